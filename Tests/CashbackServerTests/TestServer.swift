import CashbackServer
import CashbackStore
import Foundation
import H2
import Logging
import RPC

/// A real server on 127.0.0.1 with an ephemeral port, over a SQLite file in a temporary
/// directory: the end-to-end fixture.
struct TestServer {
    let server: H2Server
    let ledger: SQLiteLedgerRepository
    let databasePath: String

    var port: Int { server.localAddress.port! }

    static func temporaryDatabasePath() -> String {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("cashback-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("ledger.sqlite").path
    }

    /// Starts the Cashback router over the database at `path` (a new one unless given).
    static func start(databasePath: String? = nil, limits: RPCLimits = .default) async throws
        -> TestServer
    {
        let path = databasePath ?? temporaryDatabasePath()
        let ledger = try SQLiteLedgerRepository(path: path)
        let logger = Logger(label: "test")
        let router = CashbackServer.makeRouter(ledger: ledger, logger: logger)
        let server = try await H2Server.bind(
            host: "127.0.0.1", port: 0, router: router, limits: limits, logger: logger)
        return TestServer(server: server, ledger: ledger, databasePath: path)
    }

    func stop() async {
        await server.shutdownGracefully(gracePeriod: .seconds(10))
    }
}

/// A gate a test opens once: tasks wait on it without sleeping.
final class Gate: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self)
    }

    /// Opens the gate for every waiter, present and future.
    func open() { continuation.finish() }

    /// Waits until the gate is open (or the task is cancelled).
    func wait() async {
        for await _ in stream {}
    }
}
