import H2
import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the TLS certificate and key on SIGHUP: new connections get the new ones, open
/// connections keep theirs. A reload that fails is logged and the certificate in use stays.
struct TLSReload: Service {
    /// `nil` for a server without TLS: a SIGHUP then reloads nothing, and must not end the
    /// process as its default action would.
    let credentials: TLSServerCredentials?
    /// Created before the server starts, so that a SIGHUP never finds the default action
    /// (terminate) in place.
    let signals: UnixSignalsSequence
    let logger: Logger

    func run() async throws {
        for await _ in signals.cancelOnGracefulShutdown() {
            guard let credentials else {
                logger.notice("SIGHUP: nothing to reload (the server runs without TLS)")
                continue
            }
            let files = credentials.configuration
            do {
                try credentials.reload()
                logger.notice(
                    "reloaded the TLS certificate",
                    metadata: [
                        "certificate": "\(files.certificateChainPath)",
                        "key": "\(files.privateKeyPath)",
                    ])
            } catch {
                logger.error(
                    "TLS reload failed; still serving the previous certificate: \(error.message)",
                    metadata: error.cause.map { ["cause": "\($0)"] })
            }
        }
    }
}
