/// Names one method of one service, as it appears in the request path.
public struct MethodDescriptor: Hashable, Sendable, CustomStringConvertible {
    /// The fully qualified service, e.g. `cashback.v1.Wallet`.
    public let service: String
    /// The method, e.g. `GetBalance`.
    public let method: String

    /// Creates a descriptor.
    public init(service: String, method: String) {
        self.service = service
        self.method = method
    }

    /// The HTTP/2 `:path`: `/cashback.v1.Wallet/GetBalance`.
    public var path: String { "/\(service)/\(method)" }

    /// `cashback.v1.Wallet/GetBalance`: how tools and logs name the method.
    public var fullName: String { "\(service)/\(method)" }

    public var description: String { fullName }
}
