/// Bounds a decoder enforces on untrusted input.
///
/// Message size is bounded by the transport before a message reaches the decoder (see the RPC
/// layer's `RPCLimits`); within a message every length is checked against the bytes that remain,
/// so the only unbounded dimension left is nesting, which this caps.
public struct CompactLimits: Hashable, Sendable {
    /// How deep nested messages may go; the outermost message is depth 0.
    public var nestingDepthMax: Int

    /// The limits used when none are given: 32 levels, far past what our schema nests.
    public static let `default` = CompactLimits(nestingDepthMax: 32)

    /// Creates limits.
    public init(nestingDepthMax: Int) {
        precondition(nestingDepthMax >= 1, "a message needs at least one level")
        self.nestingDepthMax = nestingDepthMax
    }
}
