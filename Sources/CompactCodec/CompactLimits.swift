/// Bounds a decoder enforces on untrusted input.
///
/// Message size is bounded by the transport before a message reaches the decoder (see the RPC
/// layer's `RPCLimits`); within a message every length is checked against the bytes that remain.
/// What is left are nesting, and the number of fields: a field of two bytes (an empty nested
/// message, say) can become a value of tens of bytes, so a 1 MiB message of them would decode to
/// tens of MiB before any check of the schema's counts could refuse it.
public struct CompactLimits: Hashable, Sendable {
    /// How deep nested messages may go; the outermost message is depth 0.
    public var nestingDepthMax: Int
    /// How many fields one message may hold, those of the messages within it included.
    public var fieldsMax: Int

    /// The limits used when none are given: 32 levels, far past what our schema nests, and
    /// 65 536 fields, far past what its largest messages hold (GetStats' answer ~12 000, an
    /// accrual with 1 000 adjustments ~11 000).
    public static let `default` = CompactLimits(nestingDepthMax: 32)

    /// Creates limits; `fieldsMax` is the default's unless given.
    public init(nestingDepthMax: Int, fieldsMax: Int = 65_536) {
        precondition(nestingDepthMax >= 1, "a message needs at least one level")
        precondition(fieldsMax >= 1, "a message may hold at least one field")
        self.nestingDepthMax = nestingDepthMax
        self.fieldsMax = fieldsMax
    }
}
