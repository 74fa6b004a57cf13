import CashbackClient

/// What `list --format json` prints: the services the server answers, each method with its
/// full name (as `call` takes it) and whether it streams.
///
/// `{"services":[{"name":"cashback.v1.Wallet","methods":[{"name":
/// "cashback.v1.Wallet/GetBalance","serverStreaming":false},…]},…]}` (on one line).
struct ServiceList: Encodable {
    struct Service: Encodable {
        var name: String
        var methods: [Method]
    }

    struct Method: Encodable {
        /// `pkg.Service/Method`.
        var name: String
        var serverStreaming: Bool
    }

    var services: [Service]

    /// The list of the server's reflection answer.
    init(_ served: [CashbackV1.ServiceInfo]) {
        services = served.map { info in
            Service(
                name: info.name,
                methods: info.methods.map { method in
                    Method(
                        name: "\(info.name)/\(method)",
                        serverStreaming: info.serverStreamingMethods.contains(method))
                })
        }
    }
}
