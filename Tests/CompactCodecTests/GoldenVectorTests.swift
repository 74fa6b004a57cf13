import CashbackAPI
import CompactCodec
import Foundation
import RPC
import Testing

/// The golden vectors of `Protocol/vectors/compact-codec.json`, checked both ways.
@Suite struct GoldenVectorTests {
    struct Vector: Decodable, CustomTestStringConvertible {
        let name: String
        let message: String
        let hex: String
        let json: JSONValue?
        let error: String?
        let offset: Int?
        /// The field an invalid vector's error names (``CompactDecodingError/fieldPath``).
        let field: String?
        var testDescription: String { name }

        var bytes: [UInt8] {
            stride(from: 0, to: hex.count, by: 2).map { offset in
                let start = hex.index(hex.startIndex, offsetBy: offset)
                return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
            }
        }

        var schema: MessageSchema {
            SchemaCatalog.messages.first { $0.name == message }!
        }
    }

    struct File: Decodable {
        let valid: [Vector]
        let decodeOnly: [Vector]
        let invalid: [Vector]
    }

    static let file: File = {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Protocol/vectors/compact-codec.json")
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: url))
    }()

    @Test(arguments: file.valid)
    func jsonEncodesToTheGoldenBytes(_ vector: Vector) throws {
        let json = try JSONEncoder().encode(vector.json!)
        #expect(try vector.schema.compactFromJSON(Array(json)) == vector.bytes)
    }

    @Test(arguments: file.valid + file.decodeOnly)
    func goldenBytesDecodeToTheJSON(_ vector: Vector) throws {
        let json = try vector.schema.jsonFromCompact(vector.bytes)
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(json)) == vector.json!)
    }

    /// Decode-only bytes are not what an encoder writes: re-encoding the decoded message gives
    /// other bytes, the canonical encoding of the vector's JSON. A vector that re-encodes to its
    /// own bytes converts both ways and belongs in `valid`.
    @Test(arguments: file.decodeOnly)
    func decodeOnlyBytesReEncodeToOtherCanonicalBytes(_ vector: Vector) throws {
        let reEncoded = try vector.schema.compactFromJSON(
            vector.schema.jsonFromCompact(vector.bytes))
        #expect(reEncoded != vector.bytes, "re-encodes to its own bytes: move it to 'valid'")
        let canonical = try vector.schema.compactFromJSON(
            Array(JSONEncoder().encode(vector.json!)))
        #expect(reEncoded == canonical)
    }

    @Test(arguments: file.invalid)
    func invalidBytesFailWithTheNamedErrorAtTheNamedOffset(_ vector: Vector) throws {
        let offset = try #require(vector.offset, "an invalid vector names its error's offset")
        #expect {
            _ = try vector.schema.jsonFromCompact(vector.bytes)
        } throws: { error in
            guard let error = error as? CompactDecodingError else { return false }
            return error.code.description == vector.error && error.offset == offset
                && (vector.field == nil || error.fieldPath == vector.field)
        }
    }

    @Test func vectorNamesAreUnique() {
        let names = (Self.file.valid + Self.file.decodeOnly + Self.file.invalid).map(\.name)
        #expect(Set(names).count == names.count)
    }

    @Test func everyMessageOfTheSchemaHasAValidVector() {
        let covered = Set(Self.file.valid.map(\.message))
        let missing = SchemaCatalog.messages.map(\.name).filter { !covered.contains($0) }
        #expect(missing.isEmpty, "messages without a golden vector: \(missing)")
    }
}

/// Any JSON value, compared structurally (numbers as exact integers when they are integers).
enum JSONValue: Codable, Hashable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
