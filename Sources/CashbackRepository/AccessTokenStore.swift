import CashbackCore

/// A bearer token as stored: never the token itself, only the SHA-256 digest of it.
public struct StoredAccessToken: Sendable, Hashable {
    /// The public part of the token (`cbk_<id>_…`), by which a call finds its row.
    public let id: String
    /// What the token grants.
    public let grant: AccessGrant
    /// SHA-256 of the whole token, 32 bytes.
    public let digest: [UInt8]
    /// When it was created, in milliseconds since the Unix epoch.
    public let createdAtMilliseconds: Int64
    /// When it was revoked; `nil` while active.
    public let revokedAtMilliseconds: Int64?

    public init(
        id: String, grant: AccessGrant, digest: [UInt8], createdAtMilliseconds: Int64,
        revokedAtMilliseconds: Int64?
    ) {
        self.id = id
        self.grant = grant
        self.digest = digest
        self.createdAtMilliseconds = createdAtMilliseconds
        self.revokedAtMilliseconds = revokedAtMilliseconds
    }

    /// Whether calls may still use it.
    public var isActive: Bool { revokedAtMilliseconds == nil }
}

/// Why a token command was refused.
public struct AccessTokenError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A sentence for a human that names the token and the fix.
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Where bearer tokens live. A call's token is looked up on every call, so that a revocation
/// takes effect on the very next call (a store may answer from memory what it has checked since
/// the request was received); the lookup is async, because a blocking read on the cooperative
/// pool can starve the tasks that would free a connection.
/// The other methods serve the command line and block their caller.
public protocol AccessTokenStore: Sendable {
    /// Stores a new token.
    ///
    /// - Throws: ``AccessTokenError`` when an active token already has the name; a store
    ///   error when the database fails.
    func insert(_ token: StoredAccessToken) throws

    /// The token with this id, active or revoked; `nil` when there is none.
    func token(id: String) async throws -> StoredAccessToken?

    /// The token with this id as of some instant after `receivedBy`: a store may answer from
    /// a check of its file made after that instant instead of checking again, since any change
    /// committed before the caller sent its request was committed before the check.
    func token(id: String, receivedBy: ContinuousClock.Instant?) async throws -> StoredAccessToken?

    /// Every token, active and revoked, oldest first.
    func allTokens() throws -> [StoredAccessToken]

    /// Revokes the active token named `name`, at `nowMilliseconds`.
    ///
    /// - Returns: the token as revoked.
    /// - Throws: ``AccessTokenError`` when no active token has the name.
    func revoke(name: String, nowMilliseconds: Int64) throws -> StoredAccessToken

    /// The store's lookup that answers at once, on the caller's thread, when it has one (from
    /// memory, or a short read that never waits for a writer); `nil` when a lookup may wait.
    /// The server then checks a call's token as soon as the call's headers arrive, before it
    /// reads the body.
    var immediateLookup: (any ImmediateAccessTokenLookup)? { get }
}

/// A token lookup that never waits: ``AccessTokenStore/token(id:receivedBy:)``, answered on
/// the caller's thread.
public protocol ImmediateAccessTokenLookup: Sendable {
    /// The token with this id, active or revoked; `nil` when there is none (see
    /// ``AccessTokenStore/token(id:receivedBy:)`` for `receivedBy`).
    func token(id: String, receivedBy: ContinuousClock.Instant?) throws -> StoredAccessToken?
}

extension AccessTokenStore {
    /// None: every lookup goes through ``token(id:receivedBy:)``.
    public var immediateLookup: (any ImmediateAccessTokenLookup)? { nil }

    /// Checks again on every call.
    public func token(id: String, receivedBy: ContinuousClock.Instant?) async throws
        -> StoredAccessToken?
    {
        try await token(id: id)
    }
}
