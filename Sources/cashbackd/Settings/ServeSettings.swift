import CashbackCore
import Configuration
import CashbackServer
import CashbackStore
import RPC

/// Every setting of `cashbackd serve` with its default: the one list the flags, the
/// environment, the configuration file and `--print-config` share (README "Configuration").
enum ServeSettings {
    // MARK: Listener and limits
    static let listen = Setting<String>("listen", default: "127.0.0.1:50051")
    static let database = Setting<String>("database", default: "./cashback.sqlite")
    static let maxMessageBytes = Setting<Int>("max-message-bytes", default: 1 << 20)
    static let idleTimeoutSeconds = Setting<Int>("idle-timeout-seconds", default: 300)
    static let keepaliveSeconds = Setting<Int>("keepalive-seconds", default: 7200)
    static let keepaliveTimeoutSeconds = Setting<Int>("keepalive-timeout-seconds", default: 20)
    static let pingIntervalMinSeconds = Setting<Int>("ping-interval-min-seconds", default: 300)
    static let pingStrikesMax = Setting<Int>("ping-strikes-max", default: 2)
    static let streamStallTimeoutSeconds = Setting<Int>("stream-stall-timeout-seconds", default: 30)
    static let connectionRequestBytesMax = Setting<Int?>("connection-request-bytes-max", default: nil)
    static let maxConnections = Setting<Int>("max-connections", default: 1024)
    static let maxConnectionsPerPeer = Setting<Int?>("max-connections-per-peer", default: nil)
    static let shutdownGraceSeconds = Setting<Int>("shutdown-grace-seconds", default: 30)
    static let developmentTokenFile = Setting<String?>("development-token-file", default: nil)
    static let logLevel = Setting<String>("log-level", default: "info")

    // MARK: Observability
    static let metricsListen = Setting<String?>("metrics-listen", default: nil)
    static let logFormat = Setting<String>("log-format", default: LogFormat.text.rawValue)
    static let accessLog = Setting<Bool>("access-log", default: true)

    // MARK: Wallet policy
    static let withdrawalMinimum = Setting<Int>(
        "withdrawal-minimum", default: Int(WalletPolicy.default.defaultWithdrawalMinimumMinorUnits))
    static let currencyWithdrawalMinimum = Setting<[String]>("currency-withdrawal-minimum", default: [])
    static let accrualsPerMemberPerHour = Setting<Int>(
        "accruals-per-member-per-hour", default: WalletPolicy.default.accrualsPerMemberPerHour)
    static let withdrawalsPerMemberPerDay = Setting<Int>(
        "withdrawals-per-member-per-day", default: WalletPolicy.default.withdrawalsPerMemberPerDay)

    // MARK: Transport
    static let tlsCert = Setting<String?>("tls-cert", default: nil)
    static let tlsKey = Setting<String?>("tls-key", default: nil)
    static let tlsClientCa = Setting<String?>("tls-client-ca", default: nil)
    static let tlsHandshakeTimeout = Setting<Int>("tls-handshake-timeout", default: 10)
    static let plaintext = Setting<Bool>("plaintext", default: false)
    static let allowInsecureRemote = Setting<Bool>("allow-insecure-remote", default: false)

    // MARK: Ledger store
    static let commitMode = Setting<String>("commit-mode", default: CommitSettings.default.mode.rawValue)
    static let commitBatchMax = Setting<Int>(
        "commit-batch-max", default: CommitSettings.default.batchMaxInGroupMode)
    static let commitLingerMicroseconds = Setting<Int>("commit-linger-microseconds", default: 0)
    static let writeQueueMax = Setting<Int>("write-queue-max", default: CommitSettings.default.queueMax)
    static let balanceCacheEntries = Setting<Int>(
        "balance-cache-entries", default: SQLiteLedgerRepository.balanceCacheEntriesDefault)

    /// Every setting, in the order `--print-config` lists them.
    static let all: [any AnySetting] = [
        listen, database, maxMessageBytes, idleTimeoutSeconds, keepaliveSeconds,
        keepaliveTimeoutSeconds, pingIntervalMinSeconds, pingStrikesMax, streamStallTimeoutSeconds,
        connectionRequestBytesMax, maxConnections, maxConnectionsPerPeer, shutdownGraceSeconds,
        developmentTokenFile, logLevel, metricsListen, logFormat, accessLog,
        withdrawalMinimum, currencyWithdrawalMinimum, accrualsPerMemberPerHour,
        withdrawalsPerMemberPerDay,
        tlsCert, tlsKey, tlsClientCa, tlsHandshakeTimeout, plaintext, allowInsecureRemote,
        commitMode, commitBatchMax, commitLingerMicroseconds, writeQueueMax, balanceCacheEntries,
    ]
}

/// Flags given on the command line, gathered by name for ``SettingSources``.
struct GivenFlags {
    private(set) var values: [String: ConfigContent] = [:]

    /// Records `value` under `setting`'s name when the flag was given.
    mutating func add<Value>(_ setting: Setting<Value>, _ value: Value?) {
        if let content = value?.content { values[setting.name] = content }
    }
}
