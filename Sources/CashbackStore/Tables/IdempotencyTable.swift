import CashbackCore
import CashbackRepository
import GRDB

/// SQL for `idempotency_keys`: one row per applied (method, key), kept forever.
enum IdempotencyTable {
    /// The stored request and response of `key` for `method`, or `nil`.
    static func fetch(_ db: Database, method: String, key: IdempotencyKey) throws
        -> (request: String, response: String)?
    {
        let statement = try db.cachedStatement(
            sql: "SELECT request, response FROM idempotency_keys WHERE method = ? AND key = ?")
        guard let row = try Row.fetchOne(statement, arguments: [method, key.rawValue]) else {
            return nil
        }
        return (
            try row.decode(String.self, forColumn: "request"),
            try row.decode(String.self, forColumn: "response")
        )
    }

    /// Records the first answer to `key`.
    static func insert(
        _ db: Database,
        method: String,
        key: IdempotencyKey,
        request: String,
        response: String,
        nowMilliseconds: Int64
    ) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO idempotency_keys (method, key, request, response, created_ms)
                VALUES (?, ?, ?, ?, ?)
                """
        )
        try statement.execute(arguments: [method, key.rawValue, request, response, nowMilliseconds])
    }
}

/// An answer that says whether it replayed an idempotency key.
protocol Replayable: Codable {
    /// `true` when the answer is a stored first response.
    var replayed: Bool { get set }
}

extension MerchantUpsertOutcome: Replayable {}
extension PublishedRuleSet: Replayable {}
extension AdjustOutcome: Replayable {}

/// Runs keyed commands: a replay answers the stored first response, the same key with another
/// payload is `idempotencyConflict`, and a first run stores its response in the same
/// transaction as its effects.
enum Idempotent {
    /// The refusal of `key` sent again with another request.
    static func conflict(key: IdempotencyKey, method: String) -> LedgerRejection {
        LedgerRejection(
            .idempotencyConflict,
            "idempotencyKey '\(key)' was already used for another \(method) request; "
                + "use a new key for a new request")
    }

    /// Runs `body` under `key`, or answers its first response.
    ///
    /// - Parameters:
    ///   - method: The method's name, the key's scope (`Admin/UpsertMerchant`).
    ///   - request: The validated command, compared as sorted-key JSON.
    ///   - body: The command; its rejections write nothing and are not stored.
    /// - Returns: The response and whether it is a replay, or the rejection.
    static func run<Request: Encodable, Response: Codable>(
        _ db: Database,
        method: String,
        key: IdempotencyKey,
        request: Request,
        nowMilliseconds: Int64,
        body: () throws -> Result<Response, LedgerRejection>
    ) throws -> Result<(response: Response, replayed: Bool), LedgerRejection> {
        let requestText = try StoredJSON.encode(request)
        if let stored = try IdempotencyTable.fetch(db, method: method, key: key) {
            // Byte-wise: Swift's `==` on strings is canonical equivalence.
            guard stored.request.utf8.elementsEqual(requestText.utf8) else {
                return .failure(Self.conflict(key: key, method: method))
            }
            let response = try StoredJSON.decode(
                Response.self, stored.response, column: "idempotency_keys.response")
            return .success((response, true))
        }
        switch try Savepoint.run(db, body) {
        case .failure(let rejection):
            return .failure(rejection)
        case .success(let response):
            try IdempotencyTable.insert(
                db, method: method, key: key, request: requestText,
                response: try StoredJSON.encode(response), nowMilliseconds: nowMilliseconds)
            return .success((response, false))
        }
    }
}

extension Idempotent {
    /// `run(…)` for answers that carry their own `replayed` flag, set from the key's history.
    static func run<Request: Encodable, Response: Replayable>(
        _ db: Database,
        method: String,
        key: IdempotencyKey,
        request: Request,
        nowMilliseconds: Int64,
        body: () throws -> Result<Response, LedgerRejection>
    ) throws -> Result<Response, LedgerRejection> {
        let result: Result<(response: Response, replayed: Bool), LedgerRejection> = try Self.run(
            db, method: method, key: key, request: request, nowMilliseconds: nowMilliseconds,
            body: body)
        return result.map { first in
            var response = first.response
            response.replayed = first.replayed
            return response
        }
    }
}

/// Runs a command body in a savepoint that is rolled back when the body refuses the command,
/// so that a rejection never leaves a write behind, whatever order the body checks in.
enum Savepoint {
    static func run<T>(
        _ db: Database,
        _ body: () throws -> Result<T, LedgerRejection>
    ) throws -> Result<T, LedgerRejection> {
        var result: Result<T, LedgerRejection>!
        try db.inSavepoint {
            result = try body()
            if case .failure = result { return .rollback }
            return .commit
        }
        return result
    }
}
