import Logging
import NIOConcurrencyHelpers
import NIOCore

/// A budget for the log lines that peers make the server write: a connection refused at a
/// limit, a TLS handshake refused, a connection closed for its frames or its pings. A peer
/// that reconnects as fast as it can must not write into the log as fast as it can, so at most
/// ``linesPerSecond`` such lines are written each second across the server; the others are
/// counted, and the next line written says how many were left out (`suppressed`).
///
/// ```swift
/// let budget = PeerLogBudget()
/// budget.log(.warning, "refusing a connection: at the limit", to: logger)
/// ```
public final class PeerLogBudget: Sendable {
    /// The most lines written in one second.
    public let linesPerSecond: Int

    private struct State {
        var windowStart: NIODeadline
        var written = 0
        /// Lines left out since the last one written.
        var suppressed = 0
    }

    private let state: NIOLockedValueBox<State>

    /// A budget of `linesPerSecond` lines a second (at least 1).
    public init(linesPerSecond: Int = 20, now: NIODeadline = .now()) {
        self.linesPerSecond = max(1, linesPerSecond)
        state = NIOLockedValueBox(State(windowStart: now))
    }

    /// Takes one line from the budget at `now`: `nil` when the second's lines are spent (the
    /// line is counted as left out), otherwise how many were left out before it.
    func take(at now: NIODeadline) -> Int? {
        state.withLockedValue { state in
            if now - state.windowStart >= .seconds(1) {
                state.windowStart = now
                state.written = 0
            }
            guard state.written < linesPerSecond else {
                state.suppressed += 1
                return nil
            }
            state.written += 1
            defer { state.suppressed = 0 }
            return state.suppressed
        }
    }

    /// Logs `message` at `level` to `logger` if the budget allows (the logger's level still
    /// decides), adding `suppressed` when lines were left out before it.
    func log(
        _ level: Logger.Level, _ message: @autoclosure () -> Logger.Message,
        metadata: Logger.Metadata? = nil, to logger: Logger, at now: NIODeadline = .now()
    ) {
        guard logger.logLevel <= level, let suppressed = take(at: now) else { return }
        var metadata = metadata ?? [:]
        if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
        logger.log(level: level, message(), metadata: metadata.isEmpty ? nil : metadata)
    }
}
