import CashbackCore
import CashbackRepository
import Foundation

/// The token `make run` hands a newcomer: every scope, named `development`, kept in a file
/// (mode 0600) so that the walkthrough's commands can read it.
///
/// At each start the token in the file is kept while it is still active in this database;
/// otherwise (first start, another database, a revoked token) a new one replaces it, and the
/// previous active `development` token is revoked. The server refuses the option unless it
/// listens on loopback: it is for a first try on one's own machine.
enum DevelopmentToken {
    static let name = "development"

    /// Makes sure `path` holds an active development token of `tokens`.
    ///
    /// - Returns: whether a new token was written.
    static func ensure(at path: String, in tokens: any AccessTokenStore, nowMilliseconds: Int64)
        async throws -> Bool
    {
        if let existing = try? String(contentsOfFile: path, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines),
            let id = AccessToken.id(of: existing), let stored = try await tokens.token(id: id),
            stored.isActive, AccessToken.matches(existing, digest: stored.digest)
        {
            return false
        }
        if try tokens.allTokens().contains(where: { $0.grant.name == name && $0.isActive }) {
            _ = try tokens.revoke(name: name, nowMilliseconds: nowMilliseconds)
        }
        let grant = try AccessGrant(
            name: name, scopes: Set(AccessScope.allCases), merchantID: nil)
        let (token, stored) = try AccessToken.generate(grant: grant, nowMilliseconds: nowMilliseconds)
        try tokens.insert(stored)
        guard FileManager.default.createFile(
            atPath: path, contents: Data((token + "\n").utf8),
            attributes: [.posixPermissions: 0o600])
        else {
            throw AccessTokenError("cannot write the development token to \(path)")
        }
        return true
    }
}
