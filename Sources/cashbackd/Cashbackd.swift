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
///
/// Every setting also comes from the environment and a JSON file (``SettingSources``); the
/// options here are optional so that a flag given wins and one left out lets the others speak.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the Cashback ledger (gRPC mapping over HTTP/2, TLS or --plaintext).",
        discussion: """
            The default subcommand: `cashbackd --listen ...` is `cashbackd serve --listen ...`. \
            Serves until SIGINT or SIGTERM, then stops accepting connections, finishes the \
            calls in flight and exits 0. SIGHUP reloads the TLS certificate and key.

            Every option below is also a setting of the environment and of the configuration \
            file, under the same name: --max-connections is CASHBACKD_MAX_CONNECTIONS and the \
            file's key "max-connections". A flag wins over the environment, the environment \
            over the file, the file over the default. --print-config shows what is in force \
            and where each value came from.
            """)

    @Option(
        help: """
            A JSON file of settings, {"NAME": value, ...} with the options' names (also \
            $CASHBACKD_CONFIG); a key that is not a setting is an error.
            """)
    var config: String?

    @Flag(help: "Print every setting in force and where it came from, then exit.")
    var printConfig = false

    @Option(
        help: """
            Address to listen on, HOST:PORT ([::1]:PORT for IPv6); port 0 picks one.\
            \(ServeSettings.listen.defaultNote)
            """)
    var listen: String?

    @OptionGroup(title: "Transport")
    var transport: TransportOptions

    @OptionGroup(title: "Ledger store")
    var store: StoreOptions

    @OptionGroup(title: "Observability")
    var observability: ObservabilityOptions

    @Option(
        help: """
            SQLite database file; created with its schema when missing.\
            \(ServeSettings.database.defaultNote)
            """)
    var database: String?

    @Option(help: "Largest request or response message, in bytes.\(ServeSettings.maxMessageBytes.defaultNote)")
    var maxMessageBytes: Int?

    @Option(
        help: """
            Seconds a connection may stay open with no call in progress.\
            \(ServeSettings.idleTimeoutSeconds.defaultNote)
            """)
    var idleTimeoutSeconds: Int?

    @Option(
        help: """
            Seconds without a frame from a peer before the server pings it (keepalive).\
            \(ServeSettings.keepaliveSeconds.defaultNote)
            """)
    var keepaliveSeconds: Int?

    @Option(
        help: """
            Seconds a keepalive ping may go unanswered before the connection is closed.\
            \(ServeSettings.keepaliveTimeoutSeconds.defaultNote)
            """)
    var keepaliveTimeoutSeconds: Int?

    @Option(
        help: """
            gRPC's ping policy: a client ping sooner than this many seconds after its previous \
            one, with no response in between, is a strike.\
            \(ServeSettings.pingIntervalMinSeconds.defaultNote)
            """)
    var pingIntervalMinSeconds: Int?

    @Option(
        help: """
            Ping strikes allowed; the next gets GOAWAY ENHANCE_YOUR_CALM (too_many_pings).\
            \(ServeSettings.pingStrikesMax.defaultNote)
            """)
    var pingStrikesMax: Int?

    @Option(
        help: """
            Seconds a request may take to arrive, or a response to leave.\
            \(ServeSettings.streamStallTimeoutSeconds.defaultNote)
            """)
    var streamStallTimeoutSeconds: Int?

    @Option(
        help: """
            Request bytes one connection may buffer across its streams. \
            (default: 16 MiB, or 4 × --max-message-bytes when that is more)
            """)
    var connectionRequestBytesMax: Int?

    @Option(
        help: """
            Connections served at once; more are closed as they arrive.\
            \(ServeSettings.maxConnections.defaultNote)
            """)
    var maxConnections: Int?

    @Option(
        help: """
            Connections one peer address may hold at once (behind a proxy that connects from \
            one address, raise it to --max-connections). (default: 256, or --max-connections \
            when that is less)
            """)
    var maxConnectionsPerPeer: Int?

    @Option(
        help: """
            Seconds that calls in flight may take to finish on shutdown.\
            \(ServeSettings.shutdownGraceSeconds.defaultNote)
            """)
    var shutdownGraceSeconds: Int?

    @Option(
        help: """
            Keep a token with every scope in this file (mode 0600), made at the first start: \
            for a first try on loopback (`make run`); never on another address.
            """)
    var developmentTokenFile: String?

    @Option(
        help: """
            Log level: trace, debug, info, notice, warning, error, critical.\
            \(ServeSettings.logLevel.defaultNote)
            """)
    var logLevel: String?

    @Option(
        help: """
            The smallest withdrawal, in minor units, of a currency without its own minimum.\
            \(ServeSettings.withdrawalMinimum.defaultNote)
            """)
    var withdrawalMinimum: Int?

    @Option(
        help: """
            The smallest withdrawal of one currency, as CODE=MINOR_UNITS (e.g. JPY=1000); \
            repeat it for more currencies (in the environment: comma-separated; in the file: \
            a list).
            """)
    var currencyWithdrawalMinimum: [String] = []

    @Option(
        help: """
            New accruals one member may get in any sliding hour (replays do not count).\
            \(ServeSettings.accrualsPerMemberPerHour.defaultNote)
            """)
    var accrualsPerMemberPerHour: Int?

    @Option(
        help: """
            Withdrawals one member may request in any sliding day (replays do not count).\
            \(ServeSettings.withdrawalsPerMemberPerDay.defaultNote)
            """)
    var withdrawalsPerMemberPerDay: Int?

    /// The settings given as flags.
    var givenFlags: GivenFlags {
        var flags = GivenFlags()
        flags.add(ServeSettings.listen, listen)
        flags.add(ServeSettings.database, database)
        flags.add(ServeSettings.maxMessageBytes, maxMessageBytes)
        flags.add(ServeSettings.idleTimeoutSeconds, idleTimeoutSeconds)
        flags.add(ServeSettings.keepaliveSeconds, keepaliveSeconds)
        flags.add(ServeSettings.keepaliveTimeoutSeconds, keepaliveTimeoutSeconds)
        flags.add(ServeSettings.pingIntervalMinSeconds, pingIntervalMinSeconds)
        flags.add(ServeSettings.pingStrikesMax, pingStrikesMax)
        flags.add(ServeSettings.streamStallTimeoutSeconds, streamStallTimeoutSeconds)
        flags.add(ServeSettings.connectionRequestBytesMax, connectionRequestBytesMax)
        flags.add(ServeSettings.maxConnections, maxConnections)
        flags.add(ServeSettings.maxConnectionsPerPeer, maxConnectionsPerPeer)
        flags.add(ServeSettings.shutdownGraceSeconds, shutdownGraceSeconds)
        flags.add(ServeSettings.developmentTokenFile, developmentTokenFile)
        flags.add(ServeSettings.logLevel, logLevel)
        flags.add(ServeSettings.withdrawalMinimum, withdrawalMinimum)
        flags.add(
            ServeSettings.currencyWithdrawalMinimum,
            currencyWithdrawalMinimum.isEmpty ? nil : currencyWithdrawalMinimum)
        flags.add(ServeSettings.accrualsPerMemberPerHour, accrualsPerMemberPerHour)
        flags.add(ServeSettings.withdrawalsPerMemberPerDay, withdrawalsPerMemberPerDay)
        transport.add(to: &flags)
        store.add(to: &flags)
        observability.add(to: &flags)
        return flags
    }

    /// The settings in force: flags, then the environment, then the file, then defaults.
    func resolvedSettings(environment: [String: String]) async throws -> ResolvedSettings {
        try await SettingSources(flags: givenFlags.values, environment: environment, configFlag: config)
            .resolve(ServeSettings.all)
    }

    func run() async throws {
        let settings = try await resolvedSettings(environment: ProcessInfo.processInfo.environment)
        if printConfig {
            print(settings.printed(ServeSettings.all), terminator: "")
            return
        }
        var configuration = try settings.serverConfiguration()
        // Never StreamLogHandler: it writes on the caller's thread, and an event loop must not
        // wait for a pipe nobody reads.
        let logFormat = try settings.logFormat()
        let sink = LogSink(fileDescriptor: STDERR_FILENO, format: logFormat)
        LoggingSystem.bootstrap { NonBlockingLogHandler(label: $0, sink: sink, format: logFormat) }
        defer { sink.flush() }
        var logger = Logger(label: "cashbackd")
        logger.logLevel = try settings.logLevel()
        var credentials: TLSServerCredentials?
        if let tls = try settings.tlsConfiguration(listeningOn: configuration.host) {
            credentials = try Self.loadCredentials(tls)
            configuration.tls = credentials
        }
        // SIGHUP reloads the TLS files; without TLS it is logged and ignored (its default
        // action would end the process).
        let reload = TLSReload(
            credentials: credentials, signals: await UnixSignalsSequence(trapping: .sighup),
            logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: reload, successTerminationBehavior: .gracefullyShutdownGroup)
        ]
        let server = CashbackServer(
            configuration: configuration, logger: logger,
            observability: try settings.serverObservability(
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
