@testable import H2
import NIOCore
import RPC
import Testing

/// The stream table answers as the dictionary it keeps would, whatever the order of lookups,
/// additions and removals: its last-found stream never outlives the stream's place in it.
@Suite struct StreamTableTests {
    static func stream() -> ServerStream {
        ServerStream(openedAt: .uptimeNanoseconds(0), limits: .default)
    }

    @Test func answersLikeADictionaryUnderAnyOrderOfOperations() {
        var table = StreamTable()
        var model: [Int32: ServerStream] = [:]
        // xorshift64: the same 20 000 operations on every run, over 8 ids so that the same
        // id comes back often, as nghttp2's callbacks do.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % 1_000_000)
        }
        for _ in 0..<20_000 {
            let id = Int32(next() % 8) * 2 + 1
            switch next() % 100 {
            case 0..<55:
                #expect(table[id] === model[id])
            case 55..<75:
                let stream = Self.stream()
                table[id] = stream
                model[id] = stream
            case 75..<85:
                table[id] = nil
                model[id] = nil
            case 85..<99:
                #expect(table.removeValue(forKey: id) === model.removeValue(forKey: id))
            default:
                table.removeAll()
                model.removeAll()
            }
            #expect(table.count == model.count && table.isEmpty == model.isEmpty)
        }
        let tableIDs = Set(table.map(\.key))
        #expect(tableIDs == Set(model.keys))
        #expect(
            Set(table.values.map(ObjectIdentifier.init))
                == Set(model.values.map(ObjectIdentifier.init)))
    }

    @Test func aRemovedStreamIsNotFoundAgain() {
        var table = StreamTable()
        let stream = Self.stream()
        table[1] = stream
        #expect(table[1] === stream)
        #expect(table.removeValue(forKey: 1) === stream)
        #expect(table[1] == nil)
        table[3] = Self.stream()
        #expect(table[3] != nil)
        table.removeAll()
        #expect(table[3] == nil && table.isEmpty)
    }
}
