import CashbackAPI
import Foundation
import NIOCore
import CashbackRepository
import CashbackStore
import H2
import Logging
import RPC
import ServiceLifecycle

/// The Cashback service: the ledger behind the RPC router behind the HTTP/2 transport.
///
/// Run it in a `ServiceGroup`: it serves until graceful shutdown is triggered (SIGINT or
/// SIGTERM in `cashbackd`), then stops accepting, finishes the calls in flight and returns.
///
/// ```swift
/// let server = CashbackServer(configuration: .default, logger: logger)
/// let group = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm], logger: logger)
/// try await group.run()
/// ```
public struct CashbackServer: Service {
    private let configuration: CashbackServerConfiguration
    private let logger: Logger
    private let observability: ServerObservability
    private let onListening: @Sendable (H2Server) -> Void

    /// Creates the service.
    /// - Parameters:
    ///   - observability: metrics, their listener and the access log; none unless given.
    ///   - onListening: called once the server listens (tests learn the port here).
    public init(
        configuration: CashbackServerConfiguration, logger: Logger,
        observability: ServerObservability = ServerObservability(),
        onListening: @escaping @Sendable (H2Server) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.observability = observability
        self.onListening = onListening
    }

    /// Every service the server answers, by full name (for health and tools).
    public static let serviceNames: Set<String> = Set(
        SchemaCatalog.services.map(\.name) + ["grpc.health.v1.Health"])

    /// The router for `ledger`: every generated service plus health, each call checked
    /// against `tokens` first.
    static func makeRouter(
        ledger: any LedgerRepository, tokens: any AccessTokenStore, health: HealthService,
        logger: Logger, observer: (any RPCServerCallObserver)?
    ) -> RPCRouter {
        var router = RPCRouter(
            accessControl: TokenAccessControl(tokens: tokens, logger: logger), observer: observer)
        AdminService(ledger: ledger, logger: logger).register(with: &router)
        AccrualsService(ledger: ledger, logger: logger).register(with: &router)
        WalletService(ledger: ledger, logger: logger).register(with: &router)
        PayoutsService(ledger: ledger, logger: logger).register(with: &router)
        health.register(with: &router)
        // Reflection lists the router's methods, its own included.
        let reflected = router.methods + CashbackV1.Reflection.methods
        ReflectionService(
            methods: reflected, serverStreaming: Set(router.serverStreamingMethods)
        ).register(with: &router)
        return router
    }

    /// A router over `ledger` whose calls need a token from `tokens`, for in-process tests and
    /// tools; `observer` (e.g. a ``CallObserver``) sees every call end.
    public static func makeRouter(
        ledger: any LedgerRepository, tokens: any AccessTokenStore, logger: Logger,
        observer: (any RPCServerCallObserver)? = nil
    ) -> RPCRouter {
        makeRouter(
            ledger: ledger, tokens: tokens, health: HealthService(services: serviceNames),
            logger: logger, observer: observer)
    }

    public func run() async throws {
        let metrics = observability.metricsFactory
        let ledger = try SQLiteLedgerRepository(
            path: configuration.databasePath, policy: configuration.walletPolicy,
            commit: configuration.commit, balanceCacheEntries: configuration.balanceCacheEntries,
            metrics: metrics.map { LedgerMetrics(factory: $0) })
        if let path = configuration.developmentTokenPath {
            guard HostAndPort.isLoopback(configuration.host) else {
                try? ledger.close()
                throw AccessTokenError(
                    "--development-token-file is for a first try on loopback; on "
                        + "\(configuration.host), create tokens with `cashbackd token create`")
            }
            if try await DevelopmentToken.ensure(
                at: path, in: ledger.accessTokens,
                nowMilliseconds: SQLiteLedgerRepository.wallClockMilliseconds())
            {
                logger.notice(
                    "a development token with every scope is in \(path): export CASHBACK_TOKEN=$(cat \(path))")
            }
        }
        let health = HealthService(services: Self.serviceNames)
        let callObserver = observability.callObserver
        let router = Self.makeRouter(
            ledger: ledger, tokens: ledger.accessTokens, health: health, logger: logger,
            observer: callObserver)
        let server: H2Server
        do {
            server = try await H2Server.bind(
                host: configuration.host, port: configuration.port, router: router,
                limits: configuration.limits, tls: configuration.tls, logger: logger,
                metrics: metrics.map(ServerMetrics.transport) ?? .disabled)
        } catch {
            try? ledger.close()
            throw ListenError(host: configuration.host, port: configuration.port, cause: error)
        }
        let metricsListener: MetricsListener?
        do {
            metricsListener = try await listenForScrapes {
                callObserver?.collect()
                server.recordGauges()
            }
        } catch {
            await server.shutdownGracefully(gracePeriod: .zero)
            try? ledger.close()
            throw error
        }
        let address = server.localAddress
        logger.notice(
            "listening on \(configuration.host):\(address.port ?? configuration.port)",
            metadata: [
                "database": "\(configuration.databasePath)",
                "transport": "\(configuration.tls == nil ? "h2c (cleartext)" : "TLS")",
            ])
        onListening(server)
        // Serve until graceful shutdown is requested; cancellation ends the wait too.
        try? await gracefulShutdown()
        health.markShuttingDown()
        logger.notice("shutting down: finishing calls in flight")
        await server.shutdownGracefully(gracePeriod: configuration.shutdownGracePeriod)
        await metricsListener?.close()
        // The calls are done: close the store, which also gives up the database file.
        let writer = ledger.writerStatistics()
        logger.notice(
            "the ledger's writer committed \(writer.commands) commands in \(writer.batches) transactions (batch size p50 \(writer.batchSize(atFraction: 0.5)), p90 \(writer.batchSize(atFraction: 0.9)), largest \(writer.largestBatch))",
            metadata: [
                "commands": "\(writer.commands)", "transactions": "\(writer.batches)",
                "largestBatch": "\(writer.largestBatch)",
                "commitMilliseconds": "\(writer.commitNanoseconds / 1_000_000)",
            ])
        do {
            try ledger.close()
        } catch {
            logger.error("closing the database failed", metadata: ["error": "\(error)"])
        }
    }

    /// Starts the admin listener when asked for, and logs where it listens; `collect` runs
    /// before each scrape.
    private func listenForScrapes(collect: @escaping @Sendable () -> Void) async throws
        -> MetricsListener?
    {
        guard let address = observability.metricsListen, let registry = observability.registry
        else { return nil }
        let listener: MetricsListener
        do {
            listener = try await MetricsListener.bind(
                host: address.host, port: address.port, registry: registry, logger: logger,
                collect: collect)
        } catch {
            throw ListenError(
                host: address.host, port: address.port, cause: error, flag: "--metrics-listen")
        }
        let bound = HostAndPort(host: address.host, port: listener.localAddress.port ?? address.port)
        logger.notice("serving metrics on http://\(bound)\(MetricsListener.path)")
        return listener
    }
}

/// The server could not listen: the address and the cause, in words.
public struct ListenError: Error, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let cause: any Error
    /// The flag that sets the address, which the advice names.
    public let flag: String

    public init(host: String, port: Int, cause: any Error, flag: String = "--listen") {
        self.host = host
        self.port = port
        self.cause = cause
        self.flag = flag
    }

    public var description: String {
        let address = HostAndPort(host: host, port: port)
        let reason: String
        switch (cause as? IOError)?.errnoCode {
        case EADDRINUSE:
            reason =
                "the address is in use (another cashbackd, or another program); choose another "
                + "port with \(flag), or port 0 for a free one"
        case EACCES:
            reason = "permission denied (ports below 1024 need privileges); choose a port above 1023"
        case EADDRNOTAVAIL:
            reason = "no interface of this machine has that address; check the host in \(flag)"
        default:
            reason = "\(cause)"
        }
        return "cannot listen on \(address): \(reason)"
    }
}
