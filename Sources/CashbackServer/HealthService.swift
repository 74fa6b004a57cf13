import CompactCodec
import RPC
import Synchronization

/// `grpc.health.v1.Health/Check`, wire-compatible with gRPC's health protocol
/// (grpc/grpc `doc/health-checking.md`).
///
/// Its two messages are protobuf, not our codec, so they are encoded by hand here:
/// - `HealthCheckRequest { string service = 1; }`: tag `0x0A`, varint length, UTF-8 bytes.
/// - `HealthCheckResponse { ServingStatus status = 1; }`: tag `0x08`, varint status;
///   SERVING is `08 01`, NOT_SERVING `08 02`.
/// For these two field types the protobuf layout is byte for byte the compact codec's (a
/// length-delimited string and a plain varint under the same tag), so the request is read with
/// ``CompactReader``. One difference from a protobuf parser: unknown fields of the deprecated
/// group wire types (3 and 4) are rejected as malformed rather than skipped. `Watch` (a
/// server-streaming method) is not served and answers UNIMPLEMENTED.
final class HealthService: Sendable {
    /// gRPC's `ServingStatus` numbers.
    enum ServingStatus: UInt8 {
        case serving = 1
        case notServing = 2
    }

    static let check = MethodDescriptor(service: "grpc.health.v1.Health", method: "Check")

    private let services: Set<String>
    private let isShuttingDown = Atomic<Bool>(false)

    /// Creates the health service for a server serving `services`.
    init(services: Set<String>) {
        self.services = services
    }

    /// Reports NOT_SERVING from now on: the server is draining.
    func markShuttingDown() {
        isShuttingDown.store(true, ordering: .relaxed)
    }

    func register(with router: inout RPCRouter) {
        router.registerRaw(Self.check) { (payload, _) throws(RPCError) in
            let service = try Self.decodeServiceName(payload)
            guard service.isEmpty || self.services.contains(service) else {
                let shown = service.count > 128 ? service.prefix(128) + "..." : Substring(service)
                throw RPCError(.notFound, "unknown service '\(shown)'")
            }
            let status: ServingStatus =
                self.isShuttingDown.load(ordering: .relaxed) ? .notServing : .serving
            return Self.encode(status)
        }
    }

    /// Reads `HealthCheckRequest.service`; unknown fields are skipped as protobuf does.
    static func decodeServiceName(_ payload: [UInt8]) throws(RPCError) -> String {
        var reader = CompactReader(bytes: payload)
        var service = ""
        do throws(CompactDecodingError) {
            while let tag = try reader.readTag() {
                if tag.fieldNumber == 1 {
                    service = try reader.readString(tag)
                } else {
                    try reader.skipField(tag)
                }
            }
        } catch {
            throw RPCError(.invalidArgument, "malformed grpc.health.v1.HealthCheckRequest: \(error)")
        }
        return service
    }

    /// Writes `HealthCheckResponse { status }`.
    static func encode(_ status: ServingStatus) -> [UInt8] {
        [0x08, status.rawValue]
    }
}
