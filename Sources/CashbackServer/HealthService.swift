import CashbackAPI
import CompactCodec
import RPC
import NIOConcurrencyHelpers

/// `grpc.health.v1.Health/Check` and `Watch`, wire-compatible with gRPC's health protocol
/// (grpc/grpc `doc/health-checking.md`).
///
/// Its two messages are protobuf, not our codec:
/// - `HealthCheckRequest { string service = 1; }`: tag `0x0A`, varint length, UTF-8 bytes.
/// - `HealthCheckResponse { ServingStatus status = 1; }`: tag `0x08`, varint status;
///   SERVING is `08 01`, NOT_SERVING `08 02`.
/// For these two field types the protobuf layout is byte for byte the compact codec's (a
/// length-delimited string and a plain varint under the same tag), so CashbackAPI's
/// `HealthCheckRequest` and `HealthCheckResponse` read and write them. One difference from a
/// protobuf parser: unknown fields of the deprecated group wire types (3 and 4) are rejected as
/// malformed rather than skipped.
///
/// `Watch` streams: the current status at once, then a message on every change. The only
/// change this server makes is to NOT_SERVING when it starts draining; the stream then ends
/// with UNAVAILABLE, as a stream of a server going away does. An unknown service is not an
/// error for `Watch` (the spec: "the server will send a message setting the serving status
/// to SERVICE_UNKNOWN"): it gets SERVICE_UNKNOWN and the stream stays open.
final class HealthService: Sendable {
    typealias ServingStatus = HealthCheckResponse.ServingStatus

    static let check = MethodDescriptor(service: "grpc.health.v1.Health", method: "Check")
    static let watch = MethodDescriptor(service: "grpc.health.v1.Health", method: "Watch")

    private struct State {
        var isShuttingDown = false
        var watchers: [UInt64: AsyncStream<Void>.Continuation] = [:]
        var nextWatcher: UInt64 = 0
    }

    private let services: Set<String>
    private let state = NIOLockedValueBox(State())

    /// Creates the health service for a server serving `services`.
    init(services: Set<String>) {
        self.services = services
    }

    /// Reports NOT_SERVING from now on, to checks and to every watcher: the server is
    /// draining.
    func markShuttingDown() {
        let watchers = state.withLockedValue { state in
            state.isShuttingDown = true
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.yield() }
    }

    private var isShuttingDown: Bool { state.withLockedValue(\.isShuttingDown) }

    func register(with router: inout RPCRouter) {
        router.registerRaw(Self.check) { (payload, _) throws(RPCError) in
            let service = try Self.decodeServiceName(payload)
            guard service.isEmpty || self.services.contains(service) else {
                let shown = service.count > 128 ? service.prefix(128) + "..." : Substring(service)
                throw RPCError(.notFound, "unknown service '\(shown)'")
            }
            return Self.encode(self.isShuttingDown ? .notServing : .serving)
        }
        router.registerRawServerStreaming(Self.watch) { (payload, writer, _) throws(RPCError) in
            try await self.watch(service: try Self.decodeServiceName(payload), writer: writer)
        }
    }

    /// Sends the status of `service` now and again when it changes, until the server drains
    /// (then UNAVAILABLE) or the caller goes away.
    private func watch(service: String, writer: RPCMessageWriter) async throws(RPCError) {
        let (changes, continuation) = AsyncStream.makeStream(
            of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLockedValue { state in
            defer { state.nextWatcher += 1 }
            state.watchers[state.nextWatcher] = continuation
            return state.nextWatcher
        }
        defer { _ = state.withLockedValue { $0.watchers.removeValue(forKey: id) } }
        let known = service.isEmpty || services.contains(service)
        var sent: ServingStatus?
        var iterator = changes.makeAsyncIterator()
        repeat {
            // Registered before reading the flag: a change in between is still seen.
            let status: ServingStatus =
                !known ? .serviceUnknown : (isShuttingDown ? .notServing : .serving)
            if status != sent {
                try await writer.write(Self.encode(status))
                sent = status
            }
            if isShuttingDown { throw RPCError(.unavailable, "the server is shutting down") }
        } while await iterator.next() != nil
        // The stream of changes ends only when the call is cancelled.
    }

    /// Reads `HealthCheckRequest.service`; unknown fields are skipped as protobuf does.
    static func decodeServiceName(_ payload: [UInt8]) throws(RPCError) -> String {
        do throws(CompactDecodingError) {
            return try HealthCheckRequest(compactBytes: payload).service
        } catch {
            throw RPCError(.invalidArgument, "malformed grpc.health.v1.HealthCheckRequest: \(error)")
        }
    }

    /// Writes `HealthCheckResponse { status }`.
    static func encode(_ status: ServingStatus) -> [UInt8] {
        HealthCheckResponse(status: status).compactBytes()
    }
}
