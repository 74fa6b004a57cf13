/// Every bound the RPC layer and its transports enforce, in one place.
///
/// Each limit is explicit (no library default is relied on) and each breach is answered with a
/// clear status. `RPCLimitsTests` checks how they relate to each other.
public struct RPCLimits: Hashable, Sendable {
    /// Largest request or response message payload, excluding the 5-byte prefix. Over it:
    /// RESOURCE_EXHAUSTED. gRPC's default is 4 MiB; our messages are tiny, so 1 MiB is ample.
    public var messageBytesMax: Int
    /// Largest request header list (name + value + 32 per field, as HTTP/2 counts it). Over it:
    /// the stream is reset. gRPC suggests 8 KiB; 16 KiB leaves room for tokens.
    public var headerListBytesMax: Int
    /// SETTINGS_MAX_CONCURRENT_STREAMS advertised per connection.
    public var concurrentStreamsMax: Int
    /// Per-stream receive window advertised in SETTINGS_INITIAL_WINDOW_SIZE.
    public var streamWindowBytes: Int
    /// How long a connection may stay open with no call in progress (including one that never
    /// sends anything after connecting). Then it gets GOAWAY and is closed.
    public var connectionIdleTimeout: Duration

    /// The limits used unless configured otherwise.
    public static let `default` = RPCLimits(
        messageBytesMax: 1 << 20,
        headerListBytesMax: 16 << 10,
        concurrentStreamsMax: 100,
        streamWindowBytes: 1 << 20,
        connectionIdleTimeout: .seconds(300)
    )

    /// Creates limits.
    public init(
        messageBytesMax: Int, headerListBytesMax: Int, concurrentStreamsMax: Int,
        streamWindowBytes: Int, connectionIdleTimeout: Duration = .seconds(300)
    ) {
        self.messageBytesMax = messageBytesMax
        self.headerListBytesMax = headerListBytesMax
        self.concurrentStreamsMax = concurrentStreamsMax
        self.streamWindowBytes = streamWindowBytes
        self.connectionIdleTimeout = connectionIdleTimeout
    }

    /// Whether the limits are consistent with each other and with what HTTP/2 allows.
    public var isValid: Bool {
        messageBytesMax >= 1 && messageBytesMax <= Int(UInt32.max)
            && headerListBytesMax >= 4096
            && concurrentStreamsMax >= 1
            && streamWindowBytes >= 65_535 && streamWindowBytes <= Int(Int32.max)
            && connectionIdleTimeout > .zero
    }
}
