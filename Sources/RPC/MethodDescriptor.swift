/// Names one method of one service, as it appears in the request path.
public struct MethodDescriptor: Hashable, Sendable, CustomStringConvertible {
    /// The fully qualified service, e.g. `cashback.v1.Wallet`.
    public let service: String
    /// The method, e.g. `GetBalance`.
    public let method: String
    /// Whether the schema marks the method `idempotent`: sending the same request again has no
    /// effect beyond the first (a read, or a command whose replay answers the first result),
    /// so a client may retry it after a failure whose outcome it cannot know.
    ///
    /// A property of the method, not part of its identity: equality and hashing compare the
    /// service and the method only, so a descriptor made by hand (without the mark) still
    /// finds the generated one in a set.
    public let isIdempotent: Bool

    /// Creates a descriptor.
    ///
    /// - Parameters:
    ///   - service: the fully qualified service, e.g. `cashback.v1.Wallet`.
    ///   - method: the method, e.g. `GetBalance`.
    ///   - isIdempotent: whether the method may be retried (the schema's `idempotent`).
    public init(service: String, method: String, isIdempotent: Bool = false) {
        self.service = service
        self.method = method
        self.isIdempotent = isIdempotent
    }

    /// The HTTP/2 `:path`: `/cashback.v1.Wallet/GetBalance`.
    public var path: String { "/\(service)/\(method)" }

    /// `cashback.v1.Wallet/GetBalance`: how tools and logs name the method.
    public var fullName: String { "\(service)/\(method)" }

    public var description: String { fullName }

    public static func == (lhs: MethodDescriptor, rhs: MethodDescriptor) -> Bool {
        lhs.service == rhs.service && lhs.method == rhs.method
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(service)
        hasher.combine(method)
    }
}
