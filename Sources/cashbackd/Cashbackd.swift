import ArgumentParser
import CashbackAPI
import CashbackCore
import Foundation
import CashbackRepository
import CashbackServer
import H2
import Logging
import RPC
import ServiceLifecycle
import UnixSignals

/// `cashbackd`: serves the Cashback ledger over gRPC-style HTTP/2, or verifies its books.
@main
struct Cashbackd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cashbackd",
        abstract: "The Cashback ledger server.",
        version: CashbackRelease.version,
        subcommands: [Serve.self, Verify.self, Token.self, Backup.self, Restore.self],
        defaultSubcommand: Serve.self)
}

/// `cashbackd serve` (the default): serves the ledger.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the Cashback ledger (gRPC mapping over HTTP/2, TLS or --plaintext).",
        discussion: """
            The default subcommand: `cashbackd --listen ...` is `cashbackd serve --listen ...`. \
            Serves until SIGINT or SIGTERM, then stops accepting connections, finishes the \
            calls in flight and exits 0. SIGHUP reloads the TLS certificate and key.
            """)

    @Option(help: "Address to listen on, HOST:PORT ([::1]:PORT for IPv6); port 0 picks one.")
    var listen = "127.0.0.1:50051"

    @OptionGroup(title: "Transport")
    var transport: TransportOptions

    @OptionGroup(title: "Ledger store")
    var store: StoreOptions

    @OptionGroup(title: "Observability")
    var observability: ObservabilityOptions

    @Option(help: "SQLite database file; created with its schema when missing.")
    var database = "./cashback.sqlite"

    @Option(help: "Largest request or response message, in bytes.")
    var maxMessageBytes = 1 << 20

    @Option(help: "Seconds a connection may stay open with no call in progress.")
    var idleTimeoutSeconds = 300

    @Option(help: "Seconds without a frame from a peer before the server pings it (keepalive).")
    var keepaliveSeconds = 7200

    @Option(help: "Seconds a keepalive ping may go unanswered before the connection is closed.")
    var keepaliveTimeoutSeconds = 20

    @Option(
        help: """
            gRPC's ping policy: a client ping sooner than this many seconds after its previous \
            one, with no response in between, is a strike.
            """)
    var pingIntervalMinSeconds = 300

    @Option(help: "Ping strikes allowed; the next gets GOAWAY ENHANCE_YOUR_CALM (too_many_pings).")
    var pingStrikesMax = 2

    @Option(help: "Seconds a request may take to arrive, or a response to leave.")
    var streamStallTimeoutSeconds = 30

    @Option(
        help: """
            Request bytes one connection may buffer across its streams. \
            (default: 16 MiB, or 4 × --max-message-bytes when that is more)
            """)
    var connectionRequestBytesMax: Int?

    /// The request byte budget: as given, or scaled with the message limit.
    var requestBytesBudget: Int {
        connectionRequestBytesMax ?? max(16 << 20, 4 * (maxMessageBytes + 5))
    }

    @Option(help: "Connections served at once; more are closed as they arrive.")
    var maxConnections = 1024

    @Option(
        help: """
            Connections one peer address may hold at once (behind a proxy that connects from \
            one address, raise it to --max-connections). (default: 256, or --max-connections \
            when that is less)
            """)
    var maxConnectionsPerPeer: Int?

    @Option(help: "Seconds that calls in flight may take to finish on shutdown.")
    var shutdownGraceSeconds = 30

    @Option(
        help: """
            Keep a token with every scope in this file (mode 0600), made at the first start:             for a first try on loopback (`make run`); never on another address.
            """)
    var developmentTokenFile: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "The smallest withdrawal, in minor units, of a currency without its own minimum.")
    var withdrawalMinimum: Int64 = WalletPolicy.default.defaultWithdrawalMinimumMinorUnits

    @Option(
        help: """
            The smallest withdrawal of one currency, as CODE=MINOR_UNITS (e.g. JPY=1000); \
            repeat it for more currencies.
            """)
    var currencyWithdrawalMinimum: [String] = []

    @Option(help: "New accruals one member may get in any sliding hour (replays do not count).")
    var accrualsPerMemberPerHour = WalletPolicy.default.accrualsPerMemberPerHour

    @Option(help: "Withdrawals one member may request in any sliding day (replays do not count).")
    var withdrawalsPerMemberPerDay = WalletPolicy.default.withdrawalsPerMemberPerDay

    /// The wallet policy the flags describe.
    func walletPolicy() throws -> WalletPolicy {
        var policy = WalletPolicy.default
        policy.defaultWithdrawalMinimumMinorUnits = withdrawalMinimum
        guard (1...1_000_000).contains(accrualsPerMemberPerHour),
            (1...1_000_000).contains(withdrawalsPerMemberPerDay)
        else {
            throw ValidationError(
                "--accruals-per-member-per-hour and --withdrawals-per-member-per-day must be "
                    + "1...1000000")
        }
        policy.accrualsPerMemberPerHour = accrualsPerMemberPerHour
        policy.withdrawalsPerMemberPerDay = withdrawalsPerMemberPerDay
        for entry in currencyWithdrawalMinimum {
            let parts = entry.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, let amount = Int64(parts[1]),
                LedgerLimits.eligibleMinorUnits.contains(amount),
                let currency = try? CurrencyCode(validating: String(parts[0]))
            else {
                throw ValidationError(
                    "--currency-withdrawal-minimum must be CODE=MINOR_UNITS with a 3-letter "
                        + "code and 1...\(LedgerLimits.eligibleMinorUnits.upperBound), got '\(entry)'")
            }
            policy.withdrawalMinimumMinorUnits[currency] = amount
        }
        return policy
    }

    func validate() throws {
        _ = try transport.tlsConfiguration(listeningOn: try HostAndPort(parsing: listen).host)
        guard maxMessageBytes >= 1024, maxMessageBytes <= 64 << 20 else {
            throw ValidationError("--max-message-bytes must be 1024...\(64 << 20)")
        }
        guard idleTimeoutSeconds >= 1, idleTimeoutSeconds <= 86_400 else {
            throw ValidationError("--idle-timeout-seconds must be 1...86400")
        }
        guard (1...86_400).contains(keepaliveSeconds), (1...3600).contains(keepaliveTimeoutSeconds)
        else {
            throw ValidationError(
                "--keepalive-seconds must be 1...86400 and --keepalive-timeout-seconds 1...3600")
        }
        guard (0...86_400).contains(pingIntervalMinSeconds), (0...1000).contains(pingStrikesMax)
        else {
            throw ValidationError(
                "--ping-interval-min-seconds must be 0...86400 and --ping-strikes-max 0...1000")
        }
        guard streamStallTimeoutSeconds >= 1, streamStallTimeoutSeconds <= 3600 else {
            throw ValidationError("--stream-stall-timeout-seconds must be 1...3600")
        }
        guard requestBytesBudget >= maxMessageBytes + 5, requestBytesBudget <= 1 << 30 else {
            throw ValidationError(
                "--connection-request-bytes-max must be at least --max-message-bytes + 5 "
                    + "and at most \(1 << 30)")
        }
        guard maxConnections >= 1, maxConnections <= 1_000_000 else {
            throw ValidationError("--max-connections must be 1...1000000")
        }
        if let maxConnectionsPerPeer, !(1...maxConnections).contains(maxConnectionsPerPeer) {
            throw ValidationError("--max-connections-per-peer must be 1...--max-connections")
        }
        guard shutdownGraceSeconds >= 0, shutdownGraceSeconds <= 3600 else {
            throw ValidationError("--shutdown-grace-seconds must be 0...3600")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError(
                "unknown --log-level '\(logLevel)'; use one of "
                    + Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard LedgerLimits.eligibleMinorUnits.contains(withdrawalMinimum) else {
            throw ValidationError(
                "--withdrawal-minimum must be 1...\(LedgerLimits.eligibleMinorUnits.upperBound)")
        }
        _ = try walletPolicy()
    }

    func run() async throws {
        // Never StreamLogHandler: it writes on the caller's thread, and an event loop must not
        // wait for a pipe nobody reads.
        let sink = LogSink(fileDescriptor: STDERR_FILENO)
        let logFormat = observability.logFormat
        LoggingSystem.bootstrap { NonBlockingLogHandler(label: $0, sink: sink, format: logFormat) }
        defer { sink.flush() }
        var logger = Logger(label: "cashbackd")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let address = try HostAndPort(parsing: listen)
        var limits = CashbackServerConfiguration.default.limits
        limits.messageBytesMax = maxMessageBytes
        limits.connectionIdleTimeout = .seconds(idleTimeoutSeconds)
        limits.streamStallTimeout = .seconds(streamStallTimeoutSeconds)
        limits.keepaliveInterval = .seconds(keepaliveSeconds)
        limits.keepaliveTimeout = .seconds(keepaliveTimeoutSeconds)
        limits.pingIntervalMin = .seconds(pingIntervalMinSeconds)
        limits.pingStrikesMax = pingStrikesMax
        limits.connectionRequestBytesMax = requestBytesBudget
        limits.connectionsMax = maxConnections
        limits.connectionsPerPeerMax = maxConnectionsPerPeer ?? min(256, maxConnections)
        var configuration = CashbackServerConfiguration(
            host: address.host, port: address.port, databasePath: database, limits: limits,
            shutdownGracePeriod: .seconds(shutdownGraceSeconds))
        configuration.walletPolicy = try walletPolicy()
        configuration.developmentTokenPath = developmentTokenFile
        configuration.commit = try store.commitSettings()
        configuration.balanceCacheEntries = store.balanceCacheEntries
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let tls = try transport.tlsConfiguration(listeningOn: address.host) {
            let credentials = try Self.loadCredentials(tls)
            configuration.tls = credentials
            let reload = TLSReload(
                credentials: credentials, signals: await UnixSignalsSequence(trapping: .sighup),
                logger: logger)
            services.append(.init(service: reload, successTerminationBehavior: .gracefullyShutdownGroup))
        }
        let server = CashbackServer(
            configuration: configuration, logger: logger,
            observability: try observability.serverObservability(
                sink: sink, logLevel: logger.logLevel))
        services.insert(.init(service: server), at: 0)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch let error as LedgerStoreError
            where error.code == .databaseInUse || error.code == .databaseUnavailable
        {
            // The message names the path and the cause; the code's name adds nothing for an
            // operator.
            FileHandle.standardError.write(Data("cashbackd: \(error.message)\n".utf8))
            throw ExitCode.failure
        } catch let error as AccessTokenError {
            FileHandle.standardError.write(Data("cashbackd: \(error.message)\n".utf8))
            throw ExitCode.failure
        } catch let error as ListenError {
            FileHandle.standardError.write(Data("cashbackd: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

extension Serve {
    /// The TLS files, loaded before anything listens: a bad file is a start error naming it.
    static func loadCredentials(_ tls: TLSServerConfiguration) throws -> TLSServerCredentials {
        do {
            return try TLSServerCredentials(tls)
        } catch {
            FileHandle.standardError.write(Data("cashbackd: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
