import CashbackAPI
import RPC

/// `cashback.v1.Reflection`: what this server answers, read from its own router.
struct ReflectionService: CashbackV1.Reflection.ServiceProtocol {
    /// The methods of the finished router (this service's own included).
    let methods: [MethodDescriptor]
    /// Those among `methods` that answer with a stream.
    let serverStreaming: Set<MethodDescriptor>

    func listServices(_ request: CashbackV1.ListServicesRequest, context: RPCServerContext)
        async throws -> CashbackV1.ListServicesResponse
    {
        let byService = Dictionary(grouping: methods, by: \.service)
        let services = byService.keys.sorted().map { name in
            CashbackV1.ServiceInfo(
                name: name, methods: byService[name]!.map(\.method).sorted(),
                serverStreamingMethods: byService[name]!.filter(serverStreaming.contains)
                    .map(\.method).sorted())
        }
        return CashbackV1.ListServicesResponse(services: services)
    }
}
