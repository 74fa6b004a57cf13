import CashbackCore
import CashbackRepository
import Logging
import RPC

/// Bearer tokens (`authorization: Bearer cbk_…`) checked against the token store on every
/// call, before anything is decoded or written.
///
/// - No token, a malformed, unknown or revoked one: UNAUTHENTICATED.
/// - A token without the method's scope (``MethodAccess``), or bound to another merchant than
///   the request names, or bound to a merchant for a request that names none:
///   PERMISSION_DENIED.
///
/// The lookup is one read per call (`SQLiteAccessTokens`, from memory while the ledger file
/// has not changed), so a revocation holds from the next call on. With a store whose lookup
/// never waits (the server's), a call is checked as soon as its headers arrive
/// (``RPCMethodAccess/admitFromHeaders(_:)``): a call that will be refused is answered before
/// its body is read, so that a caller without a valid token cannot make the server hold
/// request bytes. The messages never echo the presented token.
struct TokenAccessControl: RPCAccessControl {
    let tokens: any AccessTokenStore
    let logger: Logger

    func access(to method: MethodDescriptor) -> any RPCMethodAccess {
        TokenMethodAccess(
            tokens: tokens, immediate: tokens.immediateLookup, logger: logger, path: method.path,
            rule: MethodAccess.of(method))
    }
}

/// One method's checks: its rule from the access table, worked out when the method was
/// registered, tested against each call's token.
private struct TokenMethodAccess: RPCMethodAccess {
    let tokens: any AccessTokenStore
    /// The store's lookup that never waits, if it has one: asked from the headers.
    let immediate: (any ImmediateAccessTokenLookup)?
    let logger: Logger
    /// The method's path, for messages.
    let path: String
    let rule: MethodAccess

    func admit(_ context: RPCServerContext) async throws(RPCError) -> RPCCaller? {
        if case .open = rule { return nil }
        let (presented, id) = try presentedToken(context)
        let stored: StoredAccessToken?
        do {
            stored = try await tokens.token(id: id, receivedBy: context.receivedBy)
        } catch {
            throw unreadable(error)
        }
        return try caller(presenting: presented, stored: stored)
    }

    func admitFromHeaders(_ context: RPCServerContext) -> RPCHeadersVerdict {
        if case .open = rule { return .admitted(nil) }
        guard let immediate else { return .undecided }
        do throws(RPCError) {
            let (presented, id) = try presentedToken(context)
            let stored: StoredAccessToken?
            do {
                stored = try immediate.token(id: id, receivedBy: context.receivedBy)
            } catch {
                throw unreadable(error)
            }
            return .admitted(try caller(presenting: presented, stored: stored))
        } catch {
            return .refused(error)
        }
    }

    func authorize(_ request: any Sendable, context: RPCServerContext) throws(RPCError) {
        guard let caller = context.caller, let merchant = caller.boundTo else { return }
        guard let scoped = request as? any MerchantScopedRequest else {
            throw RPCError(
                .permissionDenied,
                "token '\(caller.name)' is bound to merchant '\(merchant)' and may call only "
                    + "methods whose request names a merchant; \(path) names none")
        }
        guard scoped.merchantID == merchant else {
            throw RPCError(
                .permissionDenied,
                "token '\(caller.name)' may act only for merchant '\(merchant)', not for "
                    + "merchantId '\(scoped.merchantID)'")
        }
    }

    /// The token the call presents, and its id. The header is read as the bytes received: a
    /// call makes no string of it, only of the token's id.
    private func presentedToken(_ context: RPCServerContext) throws(RPCError)
        -> (token: ArraySlice<UInt8>, id: String)
    {
        guard let header = context.metadata.valueBytes(lowercasedName: "authorization") else {
            throw RPCError(
                .unauthenticated,
                "\(path) needs a token: send the header "
                    + "'authorization: Bearer <token>' (`cashbackd token create` makes one)")
        }
        guard let presented = AccessToken.bearer(header), let id = AccessToken.id(of: presented)
        else {
            throw RPCError(
                .unauthenticated,
                "the authorization header is not 'Bearer cbk_…' with a token from "
                    + "`cashbackd token create`")
        }
        return (presented, id)
    }

    /// The caller that the presented token, stored as `stored`, makes of the call, once the
    /// token is the stored one, active, and has a scope the method needs.
    private func caller(presenting presented: ArraySlice<UInt8>, stored: StoredAccessToken?)
        throws(RPCError) -> RPCCaller
    {
        guard let stored, AccessToken.matches(presented, digest: stored.digest) else {
            throw RPCError(.unauthenticated, "the token is not known to this server")
        }
        guard stored.isActive else {
            throw RPCError(
                .unauthenticated, "the token '\(stored.grant.name)' was revoked; use another")
        }
        let grant = stored.grant
        guard rule.admits(grant.scopes) else {
            throw RPCError(
                .permissionDenied,
                "token '\(grant.name)' (scopes \(AccessScope.list(grant.scopes))) may not call "
                    + "\(path); it needs the scope \(rule.scopesNeeded)")
        }
        return RPCCaller(name: grant.name, boundTo: grant.merchantID)
    }

    /// A lookup that failed (the store's error is logged, not sent).
    private func unreadable(_ error: any Error) -> RPCError {
        logger.error("reading a token failed", metadata: ["error": "\(error)"])
        return RPCError(.unavailable, "the token could not be checked; retry")
    }
}

extension RPCServerContext {
    /// The actor an admin action records: the calling token's name, then `/person` when the
    /// request names the person acting through the token (its optional `actor` field).
    ///
    /// - Throws: ``RPCError`` PERMISSION_DENIED when no token authenticated the call (a
    ///   router without access control): an admin action never goes unattributed.
    func actor(person: String = "") throws(RPCError) -> String {
        guard let caller else {
            throw RPCError(
                .permissionDenied, "\(method.path) records its actor, and no token named one")
        }
        return person.isEmpty ? caller.name : caller.name + "/" + person
    }
}
