/// Every bound the RPC layer and its transports enforce, in one place.
///
/// Each limit is explicit (no library default is relied on) and each breach is answered with a
/// clear status. `RPCLimitsTests` checks how they relate to each other.
public struct RPCLimits: Hashable, Sendable {
    /// Largest request or response message payload, excluding the 5-byte prefix. Over it:
    /// RESOURCE_EXHAUSTED. gRPC's default is 4 MiB; our messages are tiny, so 1 MiB is ample.
    public var messageBytesMax: Int
    /// Largest request header list (name + value + 32 per field, as HTTP/2 counts it). Over it:
    /// RST_STREAM(ENHANCE_YOUR_CALM), which gRPC clients report as RESOURCE_EXHAUSTED. gRPC
    /// suggests 8 KiB; 16 KiB leaves room for tokens.
    public var headerListBytesMax: Int
    /// SETTINGS_MAX_CONCURRENT_STREAMS advertised per connection.
    public var concurrentStreamsMax: Int
    /// Per-stream receive window advertised in SETTINGS_INITIAL_WINDOW_SIZE.
    public var streamWindowBytes: Int
    /// How long a connection may stay open with no call in progress (including one that never
    /// sends anything after connecting). Then it gets GOAWAY and is closed.
    public var connectionIdleTimeout: Duration
    /// How long a request may take to arrive in full, and a response to leave. A stream that
    /// stalls longer (slowloris, a zero receive window) is reset with CANCEL.
    public var streamStallTimeout: Duration
    /// Request bytes one connection may buffer across all its streams. Over it: the stream
    /// that would exceed it is answered RESOURCE_EXHAUSTED.
    public var connectionRequestBytesMax: Int
    /// Connections the server keeps open at once; more are closed as they arrive.
    public var connectionsMax: Int
    /// Connections one peer address may keep open at once, so that one client cannot hold
    /// every slot (health Watch streams need no token). Behind a proxy that connects from one
    /// address, raise it to ``connectionsMax``.
    public var connectionsPerPeerMax: Int = 256
    /// Frames without a request (PING, SETTINGS, the peer's RST_STREAM, empty DATA, invalid
    /// frames) a connection may send in a burst; past the budget it is closed with
    /// GOAWAY(ENHANCE_YOUR_CALM).
    public var glitchBurstMax: Int
    /// How many such frames per second the budget forgives.
    public var glitchRefillPerSecond: Int
    /// gRPC's ping policy: a PING sooner than this after the previous one, with nothing sent
    /// in between, is a strike (gRPC's `min_recv_ping_interval_without_data`: 5 minutes).
    public var pingIntervalMin: Duration = .seconds(300)
    /// Strikes allowed; the next one gets GOAWAY(ENHANCE_YOUR_CALM, "too_many_pings").
    public var pingStrikesMax: Int = 2
    /// After this long without a frame from the peer, the server sends a PING (keepalive).
    public var keepaliveInterval: Duration = .seconds(7200)
    /// A keepalive PING unanswered for this long closes the connection: the peer is gone.
    public var keepaliveTimeout: Duration = .seconds(20)

    /// The limits used unless configured otherwise.
    public static let `default` = RPCLimits(
        messageBytesMax: 1 << 20,
        headerListBytesMax: 16 << 10,
        concurrentStreamsMax: 100,
        streamWindowBytes: 1 << 20,
        connectionIdleTimeout: .seconds(300),
        streamStallTimeout: .seconds(30),
        connectionRequestBytesMax: 16 << 20,
        connectionsMax: 1024,
        glitchBurstMax: 200,
        glitchRefillPerSecond: 20
    )

    /// Creates limits.
    public init(
        messageBytesMax: Int, headerListBytesMax: Int, concurrentStreamsMax: Int,
        streamWindowBytes: Int, connectionIdleTimeout: Duration = .seconds(300),
        streamStallTimeout: Duration = .seconds(30), connectionRequestBytesMax: Int = 16 << 20,
        connectionsMax: Int = 1024, glitchBurstMax: Int = 200, glitchRefillPerSecond: Int = 20
    ) {
        self.messageBytesMax = messageBytesMax
        self.headerListBytesMax = headerListBytesMax
        self.concurrentStreamsMax = concurrentStreamsMax
        self.streamWindowBytes = streamWindowBytes
        self.connectionIdleTimeout = connectionIdleTimeout
        self.streamStallTimeout = streamStallTimeout
        self.connectionRequestBytesMax = connectionRequestBytesMax
        self.connectionsMax = connectionsMax
        self.glitchBurstMax = glitchBurstMax
        self.glitchRefillPerSecond = glitchRefillPerSecond
    }

    /// Whether the limits are consistent with each other and with what HTTP/2 allows.
    public var isValid: Bool {
        messageBytesMax >= 1 && messageBytesMax <= Int(UInt32.max)
            && headerListBytesMax >= 4096 && headerListBytesMax <= Int(UInt32.max)
            && concurrentStreamsMax >= 1 && concurrentStreamsMax <= Int(UInt32.max)
            && streamWindowBytes >= 65_535 && streamWindowBytes <= Int(Int32.max)
            && connectionIdleTimeout > .zero && streamStallTimeout > .zero
            && connectionRequestBytesMax >= messageBytesMax + GRPCFraming.prefixBytes
            && connectionsMax >= 1 && connectionsPerPeerMax >= 1
            && glitchBurstMax >= 1 && glitchRefillPerSecond >= 0 && glitchRefillPerSecond <= 1_000_000
            && pingIntervalMin >= .zero && pingStrikesMax >= 0
            && keepaliveInterval > .zero && keepaliveTimeout > .zero
    }
}
