/// A connection's open streams by id, with the one looked up last kept aside.
///
/// nghttp2 reports a request one callback at a time (each header, the data, the end, the
/// response's frames, the close), mostly for the same stream several times in a row, and every
/// callback finds its stream by id: hashing an `Int32` with the standard library's seeded
/// hasher on each was ~2.4 % of a GetBalance call. The last stream found answers a repeat
/// without hashing; the dictionary stays the record.
struct StreamTable {
    private var byID: [Int32: ServerStream] = [:]
    /// The stream looked up or added last, while it is in the table.
    private var recent: (id: Int32, stream: ServerStream)?

    /// The stream with this id; setting `nil` removes it.
    subscript(id: Int32) -> ServerStream? {
        mutating get {
            if let recent, recent.id == id { return recent.stream }
            guard let stream = byID[id] else { return nil }
            recent = (id, stream)
            return stream
        }
        set {
            byID[id] = newValue
            recent = newValue.map { (id, $0) }
        }
    }

    /// Removes the stream with this id and returns it, if it was there.
    mutating func removeValue(forKey id: Int32) -> ServerStream? {
        if recent?.id == id { recent = nil }
        return byID.removeValue(forKey: id)
    }

    mutating func removeAll() {
        byID.removeAll()
        recent = nil
    }

    var isEmpty: Bool { byID.isEmpty }
    var count: Int { byID.count }
    var values: Dictionary<Int32, ServerStream>.Values { byID.values }
}

extension StreamTable: Sequence {
    func makeIterator() -> Dictionary<Int32, ServerStream>.Iterator { byID.makeIterator() }
}
