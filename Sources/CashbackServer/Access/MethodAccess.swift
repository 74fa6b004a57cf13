import CashbackAPI
import CashbackCore
import RPC

/// Which scope each method needs: the access table, stated once.
///
/// A service's methods need the service's group scope; the methods listed in ``readOnly``
/// need that scope or `read`. Health is open to anyone (load balancers and Kubernetes probes
/// carry no token); reflection needs a valid token of any scope. A method of a service not in
/// the table is refused to every token: a new service is closed until it is added here.
///
/// The server works this out once per method, when the router registers it
/// (``TokenAccessControl/access(to:)``); a call only tests the token's scopes against it.
enum MethodAccess: Equatable {
    /// No token needed.
    case open
    /// Any valid token.
    case anyToken
    /// A token with the service's group scope, or with `read` when `orRead` (a method in
    /// ``readOnly``).
    case group(AccessScope, orRead: Bool)
    /// No token: the method's service is not in the table.
    case closed

    /// The group scope of each service.
    static let groups: [String: AccessScope] = [
        "cashback.v1.Accruals": .accrual,
        "cashback.v1.Wallet": .wallet,
        "cashback.v1.Payouts": .payout,
        "cashback.v1.Admin": .admin,
    ]

    /// The methods that change nothing, by path: `read` grants them in every group.
    static let readOnly: Set<String> = [
        CashbackV1.Accruals.Method.Quote.descriptor.path,
        CashbackV1.Accruals.Method.GetAccrual.descriptor.path,
        CashbackV1.Wallet.Method.GetBalance.descriptor.path,
        CashbackV1.Wallet.Method.ListHistory.descriptor.path,
        CashbackV1.Payouts.Method.ListWithdrawals.descriptor.path,
        CashbackV1.Admin.Method.GetRuleSet.descriptor.path,
        CashbackV1.Admin.Method.Verify.descriptor.path,
        CashbackV1.Admin.Method.ListClaims.descriptor.path,
        CashbackV1.Admin.Method.GetStats.descriptor.path,
        CashbackV1.Admin.Method.ExportJournal.descriptor.path,
    ]

    /// What `method` needs.
    static func of(_ method: MethodDescriptor) -> MethodAccess {
        switch method.service {
        case "grpc.health.v1.Health": return .open
        case "cashback.v1.Reflection": return .anyToken
        default:
            guard let group = groups[method.service] else { return .closed }
            return .group(group, orRead: readOnly.contains(method.path))
        }
    }

    /// Whether a token with `scopes` may call the method (for ``group(_:orRead:)`` and
    /// ``closed``; the others need no scope).
    func admits(_ scopes: Set<AccessScope>) -> Bool {
        switch self {
        case .open, .anyToken: true
        case .group(let group, let orRead):
            scopes.contains(group) || orRead && scopes.contains(.read)
        case .closed: false
        }
    }

    /// The scopes that would admit a call, for messages: `accrual or read`.
    var scopesNeeded: String {
        switch self {
        case .open, .anyToken: "none"
        case .group(let group, let orRead): orRead ? "\(group.rawValue) or read" : group.rawValue
        case .closed: "of a group this server does not grant"
        }
    }
}

/// A request that acts for one merchant: a merchant-bound token may send it for its own
/// merchant only, and may send no other request.
protocol MerchantScopedRequest {
    var merchantID: String { get }
}

extension CashbackV1.AccrueRequest: MerchantScopedRequest {}
extension CashbackV1.OrderRef: MerchantScopedRequest {}
extension CashbackV1.QuoteRequest: MerchantScopedRequest {}
extension CashbackV1.AdjustRequest: MerchantScopedRequest {}
extension CashbackV1.UpsertMerchantRequest: MerchantScopedRequest {}
extension CashbackV1.PublishRuleSetRequest: MerchantScopedRequest {}
extension CashbackV1.GetRuleSetRequest: MerchantScopedRequest {}
extension CashbackV1.FileClaimRequest: MerchantScopedRequest {}
