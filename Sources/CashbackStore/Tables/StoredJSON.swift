import CashbackCore
import CashbackRepository
import Foundation

/// JSON columns: the `Codable` form of domain values, with sorted keys so that the same value
/// always gives the same text (idempotency compares stored requests byte for byte).
enum StoredJSON {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Decodes a column; a value no valid write could have stored is `corruptRow`.
    static func decode<T: Decodable>(_ type: T.Type, _ text: String, column: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw LedgerStoreError(.corruptRow, "column \(column) holds unreadable JSON", cause: error)
        }
    }
}
