import CashbackAPI
import CashbackCore
import RPC

/// Which scope each method needs: the access table, stated once.
///
/// A service's methods need the service's group scope; the methods listed in ``readOnly``
/// need that scope or `read`. Health is open to anyone (load balancers and Kubernetes probes
/// carry no token); reflection needs a valid token of any scope. A method of a service not in
/// the table is refused to every token: a new service is closed until it is added here.
enum MethodAccess: Equatable {
    /// No token needed.
    case open
    /// Any valid token.
    case anyToken
    /// A token with one of these scopes.
    case scopes(Set<AccessScope>)

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
            guard let group = groups[method.service] else { return .scopes([]) }
            return .scopes(readOnly.contains(method.path) ? [group, .read] : [group])
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
