import ArgumentParser
import CashbackCore
import CashbackRepository
import CashbackServer
import CashbackStore
import Foundation

/// `cashbackd token create|list|revoke`: bearer tokens, in the ledger file, while the server
/// runs or not.
struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke the bearer tokens callers send.",
        discussion: """
            Tokens live in the database, stored as SHA-256 digests; the plain token is printed \
            once, by `create`. These commands work while the server runs: a revocation holds \
            from the server's next call. Scopes: accrual, wallet, payout, admin (one per \
            service) and read (every read-only method). A token bound to a merchant \
            (--merchant) may call only methods whose request names that merchant.
            """,
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print it once on standard output.")

        @Option(help: "The SQLite database file; created with its schema when missing.")
        var database = "./cashback.sqlite"

        @Option(help: "The token's name: unique among active tokens, the actor of its actions.")
        var name: String

        @Option(help: "Comma-separated: accrual, wallet, payout, admin, read.")
        var scopes: String

        @Option(help: "Bind the token to one merchant id.")
        var merchant: String?

        func run() throws {
            let grant: AccessGrant
            do throws(LedgerRejection) {
                grant = try AccessGrant(
                    name: name, scopes: try AccessScope.parseList(scopes), merchantID: merchant)
            } catch {
                throw ValidationError(
                    error.message.replacingOccurrences(of: "merchant ", with: "--merchant "))
            }
            try withTokens(database) { tokens in
                let (token, stored) = try AccessToken.generate(
                    grant: grant, nowMilliseconds: SQLiteLedgerRepository.wallClockMilliseconds())
                try tokens.insert(stored)
                print(token)
                standardError(
                    "created token '\(grant.name)' (\(AccessScope.list(grant.scopes))"
                        + (grant.merchantID.map { ", merchant \($0)" } ?? "")
                        + "); it is shown only this once")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every token (never the token itself): name, scopes, merchant, state.")

        @Option(help: "The SQLite database file; it must exist.")
        var database = "./cashback.sqlite"

        func run() throws {
            try requireFile(database)
            try withTokens(database) { tokens in
                let all = try tokens.allTokens()
                print("NAME\tID\tSCOPES\tMERCHANT\tCREATED\tREVOKED")
                for token in all {
                    print(
                        [
                            token.grant.name, token.id, AccessScope.list(token.grant.scopes),
                            token.grant.merchantID ?? "-", Self.time(token.createdAtMilliseconds),
                            token.revokedAtMilliseconds.map(Self.time) ?? "-",
                        ].joined(separator: "\t"))
                }
            }
        }

        static func time(_ milliseconds: Int64) -> String {
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            return date.formatted(.iso8601)
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke the active token with this name; calls with it fail from now on.")

        @Option(help: "The SQLite database file; it must exist.")
        var database = "./cashback.sqlite"

        @Option(help: "The token's name.")
        var name: String

        func run() throws {
            try requireFile(database)
            try withTokens(database) { tokens in
                let revoked = try tokens.revoke(
                    name: name, nowMilliseconds: SQLiteLedgerRepository.wallClockMilliseconds())
                print("revoked token '\(revoked.grant.name)' (\(revoked.id))")
            }
        }
    }
}

/// Runs `body` on the tokens of `database`; store errors and refusals become one line on
/// standard error and exit status 1.
private func withTokens(_ database: String, _ body: (SQLiteAccessTokens) throws -> Void) throws {
    do {
        let tokens = try SQLiteAccessTokens.open(path: database)
        defer { try? tokens.close() }
        try body(tokens)
    } catch let error as AccessTokenError {
        standardError("cashbackd token: \(error.message)")
        throw ExitCode.failure
    } catch let error as LedgerStoreError {
        standardError("cashbackd token: \(error.message)")
        throw ExitCode.failure
    }
}

private func requireFile(_ database: String) throws {
    guard FileManager.default.fileExists(atPath: database) else {
        standardError("cashbackd token: no database at \(database)")
        throw ExitCode.failure
    }
}

private func standardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
