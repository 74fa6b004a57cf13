import CashbackCore
import CashbackRepository
import CashbackServer
@testable import CashbackStore
import Foundation
import GRDB
import H2
import Logging
import RPC

/// A real server on 127.0.0.1 with an ephemeral port, over a SQLite file in a temporary
/// directory: the end-to-end fixture.
public struct TestServer: Sendable {
    public let server: H2Server
    public let ledger: SQLiteLedgerRepository
    public let databasePath: String
    /// A token with every scope, named `test-admin`.
    public let token: String

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
        let router = CashbackServer.makeRouter(
            ledger: ledger, tokens: ledger.accessTokens, logger: logger)
        let server = try await H2Server.bind(
            host: "127.0.0.1", port: 0, router: router, limits: limits, tls: tls, logger: logger)
        let token = try makeToken(
            in: ledger, name: "test-admin", scopes: Set(AccessScope.allCases))
        return TestServer(server: server, ledger: ledger, databasePath: path, token: token)
    }

    /// Creates a token in this server's store and returns it.
    public func makeToken(name: String, scopes: Set<AccessScope>, merchantID: String? = nil)
        throws -> String
    {
        try Self.makeToken(in: ledger, name: name, scopes: scopes, merchantID: merchantID)
    }

    private static func makeToken(
        in ledger: SQLiteLedgerRepository, name: String, scopes: Set<AccessScope>,
        merchantID: String? = nil
    ) throws -> String {
        let grant = try AccessGrant(name: name, scopes: scopes, merchantID: merchantID)
        // A restart on the same file makes its token again.
        _ = try? ledger.accessTokens.revoke(name: name, nowMilliseconds: 0)
        let (token, stored) = try AccessToken.generate(
            grant: grant, nowMilliseconds: SQLiteLedgerRepository.wallClockMilliseconds())
        try ledger.accessTokens.insert(stored)
        return token
    }

    /// The number of rows in every ledger table (tokens aside): unchanged when a refused call
    /// wrote nothing.
    public func ledgerRowCount() throws -> Int {
        try ledger.pool.read { db in
            let tables = try String.fetchAll(
                db,
                sql: """
                    SELECT name FROM sqlite_master WHERE type = 'table'
                    AND name NOT LIKE 'sqlite_%' AND name NOT IN ('access_tokens')
                    """)
            return try tables.reduce(0) { total, table in
                total + (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \"\(table)\"") ?? 0)
            }
        }
    }

    /// Stops serving, then closes the ledger (and so gives up the database file).
    public func stop() async {
        await server.shutdownGracefully(gracePeriod: .seconds(10))
        try? ledger.close()
    }
}
