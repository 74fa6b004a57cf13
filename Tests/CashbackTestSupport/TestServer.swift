import CashbackServer
import CashbackStore
import Foundation
import H2
import Logging
import RPC

/// A real server on 127.0.0.1 with an ephemeral port, over a SQLite file in a temporary
/// directory: the end-to-end fixture.
public struct TestServer: Sendable {
    public let server: H2Server
    public let ledger: SQLiteLedgerRepository
    public let databasePath: String

    public var port: Int { server.localAddress.port! }

    public static func temporaryDatabasePath() -> String {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("cashback-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("ledger.sqlite").path
    }

    /// Starts the Cashback router over the database at `path` (a new one unless given), over
    /// TLS when given credentials.
    public static func start(
        databasePath: String? = nil, limits: RPCLimits = .default,
        tls: TLSServerCredentials? = nil
    ) async throws -> TestServer {
        let path = databasePath ?? temporaryDatabasePath()
        let ledger = try SQLiteLedgerRepository(path: path)
        let logger = Logger(label: "test")
        let router = CashbackServer.makeRouter(ledger: ledger, logger: logger)
        let server = try await H2Server.bind(
            host: "127.0.0.1", port: 0, router: router, limits: limits, tls: tls, logger: logger)
        return TestServer(server: server, ledger: ledger, databasePath: path)
    }

    /// Stops serving, then closes the ledger (and so gives up the database file).
    public func stop() async {
        await server.shutdownGracefully(gracePeriod: .seconds(10))
        try? ledger.close()
    }
}
