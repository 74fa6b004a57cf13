import RPC
import Testing

/// Metadata as a server transport builds it (packed bytes, decoded on demand) behaves as
/// metadata built from pairs.
@Suite struct MetadataTests {
    static func packed(_ pairs: [(String, String)]) -> Metadata {
        var packed = Metadata.Packed()
        for (name, value) in pairs {
            let nameBytes = Array(name.utf8)
            let valueBytes = Array(value.utf8)
            nameBytes.withUnsafeBufferPointer { name in
                valueBytes.withUnsafeBufferPointer { value in
                    packed.append(name: name, value: value)
                }
            }
        }
        return Metadata(packed)
    }

    static let pairs = [
        ("authorization", "Bearer cbk_0123456789abcdef_secret"), ("x-trace", "a"),
        ("x-trace", "b"), ("x-empty", ""), ("x-utf8", "café ☕"),
    ]

    @Test func lookupsFindTheFirstValueUnderAName() {
        let metadata = Self.packed(Self.pairs)
        #expect(metadata["authorization"] == "Bearer cbk_0123456789abcdef_secret")
        #expect(metadata["Authorization"] == "Bearer cbk_0123456789abcdef_secret")
        #expect(metadata["x-trace"] == "a")
        #expect(metadata["x-empty"] == "")
        #expect(metadata["x-utf8"] == "café ☕")
        #expect(metadata["x-missing"] == nil)
        #expect(metadata["x-trac"] == nil)  // a prefix is not a name
        #expect(metadata.count == 5)
    }

    @Test func packedAndPairMetadataAreEqualAndIterateAlike() {
        let packed = Self.packed(Self.pairs)
        let built = Metadata(Self.pairs)
        #expect(packed == built)
        #expect(packed.hashValue == built.hashValue)
        #expect(packed.map(\.name) == Self.pairs.map(\.0))
        #expect(packed.map(\.value) == Self.pairs.map(\.1))
        #expect(Self.packed([]) == Metadata())
        #expect(Self.packed([("a", "1")]) != Metadata([("a", "2")]))
    }

    @Test func addingToPackedMetadataKeepsWhatWasThere() {
        var metadata = Self.packed([("x-a", "1")])
        metadata.add("X-B", "2")
        #expect(metadata["x-a"] == "1")
        #expect(metadata["x-b"] == "2")
        #expect(metadata.count == 2)
    }
}
