/// The "did you mean" of error messages: the known name closest to one that was not
/// recognized (a method, a JSON field, a setting).
public enum NearestName {
    /// The candidate equal to `word` but for case, or within two edits of it; `nil` when none
    /// is that close.
    public static func find(_ word: String, among candidates: [String]) -> String? {
        if let same = candidates.first(where: { $0.lowercased() == word.lowercased() }) {
            return same
        }
        let scored = candidates.map {
            ($0, editDistance(Array(word.lowercased()), Array($0.lowercased())))
        }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= 2 else { return nil }
        return best.0
    }

    /// Levenshtein distance, for suggestions only (names of at most a few dozen characters).
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(
                    min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
