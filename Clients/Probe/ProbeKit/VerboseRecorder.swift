import CashbackClient
import NIOConcurrencyHelpers

/// Records what `-v` shows of the calls a run makes: the observer set on each of them.
///
/// The transport calls it on its event loop; the run reads ``calls`` once its call is over.
/// The probe makes one call at a time, so headers and trailers belong to the latest call
/// started. The `authorization` value is redacted as it is recorded: nothing keeps the token.
final class VerboseRecorder: RPCCallObserver {
    private struct State {
        /// When the run started connecting, for the total of a call on a new connection.
        var connectingSince: ContinuousClock.Instant?
        var calls: [VerboseCall] = []
        /// When each call's request headers were sent: its timings count from there.
        var sentAt: [ContinuousClock.Instant] = []
    }

    private let state = NIOLockedValueBox(State())

    /// The calls recorded so far, in the order they started.
    var calls: [VerboseCall] { state.withLockedValue(\.calls) }

    /// The run is about to connect.
    func willConnect() {
        state.withLockedValue { $0.connectingSince = .now }
    }

    /// The run is done with the latest call (it returned, threw, or its stream ended).
    func didEndCall() {
        let now = ContinuousClock.now
        state.withLockedValue { state in
            guard let last = state.calls.indices.last, state.calls[last].total == nil else {
                return
            }
            let opened = state.calls[last].connection != nil
            let start = opened ? state.connectingSince ?? state.sentAt[last] : state.sentAt[last]
            state.calls[last].total = now - start
        }
    }

    func didSendRequestHeaders(_ fields: [Metadata.Field], newConnection: RPCConnectionSetup?) {
        let call = VerboseCall(requestHeaders: fields.map(Self.redacted), connection: newConnection)
        state.withLockedValue { state in
            state.calls.append(call)
            state.sentAt.append(.now)
        }
    }

    func didReceiveResponseHeaders(_ fields: [Metadata.Field]) {
        updateLatestCall { call, sinceSent in
            call.responseHeaders = fields
            call.responseHeadersAfter = sinceSent
        }
    }

    func didReceiveTrailers(_ fields: [Metadata.Field]) {
        updateLatestCall { call, sinceSent in
            call.trailers = fields
            call.trailersAfter = sinceSent
        }
    }

    private func updateLatestCall(_ update: (inout VerboseCall, Duration) -> Void) {
        let now = ContinuousClock.now
        state.withLockedValue { state in
            guard let last = state.calls.indices.last else { return }
            update(&state.calls[last], now - state.sentAt[last])
        }
    }

    /// `field` as `-v` may print it: the `authorization` value hidden, its scheme kept
    /// (`Bearer <redacted>`).
    static func redacted(_ field: Metadata.Field) -> Metadata.Field {
        guard field.name == "authorization" else { return field }
        // Only a first word followed by more is a scheme: a bare value is all secret.
        let words = field.value.split(separator: " ", maxSplits: 1)
        let scheme = words.count == 2 ? "\(words[0]) " : ""
        return Metadata.Field(name: field.name, value: scheme + "<redacted>")
    }
}
