/// What a bearer token may do: one scope per method group, plus `read` for every read-only
/// method of every group.
///
/// A group's scope grants all of the group's methods, reads included. Which method belongs to
/// which group, and which methods only read, is stated once, in the server's access table
/// (`MethodAccess`).
public enum AccessScope: String, CaseIterable, Sendable, Hashable, Comparable {
    /// `cashback.v1.Accruals`: quote, accrue, confirm, cancel, adjust (a store's backend).
    case accrual
    /// `cashback.v1.Wallet`: balances, history, redeem, withdraw, claims (the member's app).
    case wallet
    /// `cashback.v1.Payouts`: the payout worker's side of withdrawals.
    case payout
    /// `cashback.v1.Admin`: merchants, rule sets, members, expiry, claims, verification.
    case admin
    /// Every method that only reads, in every group.
    case read

    public static func < (left: AccessScope, right: AccessScope) -> Bool {
        left.ordinal < right.ordinal
    }

    private var ordinal: Int { Self.allCases.firstIndex(of: self)! }

    /// Parses a comma-separated list such as `accrual,read`.
    ///
    /// - Throws: `LedgerRejection` `.invalidArgument` naming the unknown or repeated scope and
    ///   the valid ones.
    public static func parseList(_ text: String) throws(LedgerRejection) -> Set<AccessScope> {
        var scopes = Set<AccessScope>()
        for word in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = word.trimmingWhitespace()
            guard let scope = AccessScope(rawValue: name) else {
                throw LedgerRejection(
                    .invalidArgument,
                    "unknown scope '\(name)'; the scopes are "
                        + allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard scopes.insert(scope).inserted else {
                throw LedgerRejection(.invalidArgument, "scope '\(name)' is given twice")
            }
        }
        return scopes
    }

    /// `accrual,read`: the scopes in their canonical order, as stored and shown.
    public static func list(_ scopes: Set<AccessScope>) -> String {
        scopes.sorted().map(\.rawValue).joined(separator: ",")
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

/// What one token grants: its name (the actor of what it does), its scopes, and the merchant
/// it is bound to, if any.
public struct AccessGrant: Sendable, Hashable {
    /// Unique among active tokens; recorded as the actor of every admin action.
    public let name: String
    /// What the token may call.
    public let scopes: Set<AccessScope>
    /// When set, the token acts only for this merchant: only methods whose request names a
    /// merchant, and only this one.
    public let merchantID: String?

    /// Checks and creates a grant.
    ///
    /// - Throws: `LedgerRejection` `.invalidArgument` naming the field: a name or merchant id
    ///   outside the id policy, or no scope.
    public init(name: String, scopes: Set<AccessScope>, merchantID: String?)
        throws(LedgerRejection)
    {
        try FieldValidation.identifier(name, field: "name")
        guard !scopes.isEmpty else {
            throw LedgerRejection(
                .invalidArgument,
                "a token needs at least one scope: "
                    + AccessScope.allCases.map(\.rawValue).joined(separator: ", "))
        }
        if let merchantID { try FieldValidation.identifier(merchantID, field: "merchant") }
        self.name = name
        self.scopes = scopes
        self.merchantID = merchantID
    }
}
