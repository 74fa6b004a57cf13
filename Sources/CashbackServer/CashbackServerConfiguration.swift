import CashbackCore
import CashbackStore
import H2
import RPC

/// Where and how the server serves.
public struct CashbackServerConfiguration: Sendable {
    /// The host to listen on; loopback unless configured.
    public var host: String
    /// The port; 0 picks a free one.
    public var port: Int
    /// The SQLite database file; created with its schema when missing.
    public var databasePath: String
    /// Bounds on connections and messages.
    public var limits: RPCLimits
    /// How long calls in flight may take to finish on shutdown.
    public var shutdownGracePeriod: Duration
    /// What the wallet allows: withdrawal minimums per currency.
    public var walletPolicy: WalletPolicy = .default
    /// Where to keep a development token with every scope (`make run`); `nil`: none. Only
    /// on a loopback `host`.
    public var developmentTokenPath: String?
    /// How the ledger's writer batches commands (group commit unless configured).
    public var commit: CommitSettings = .default
    /// Balances held in memory to answer GetBalance without a disk read.
    public var balanceCacheEntries = SQLiteLedgerRepository.balanceCacheEntriesDefault
    /// The TLS certificate to serve with; `nil` serves cleartext h2c (keep that to loopback).
    public var tls: TLSServerCredentials?

    /// The embedded default: `127.0.0.1:50051`, `./cashback.sqlite`.
    public static let `default` = CashbackServerConfiguration(
        host: "127.0.0.1", port: 50051, databasePath: "./cashback.sqlite")

    public init(
        host: String, port: Int, databasePath: String, limits: RPCLimits = .default,
        shutdownGracePeriod: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.databasePath = databasePath
        self.limits = limits
        self.shutdownGracePeriod = shutdownGracePeriod
    }
}
