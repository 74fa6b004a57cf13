import CashbackClient

/// The request JSON of a `bench` run, cut at its placeholders: `{{n}}`, the request number
/// (0-based, unique across the run), `{{worker}}`, the index of the worker making the call, and
/// `{{random:N}}`, an integer drawn uniformly from `0..<N` by the worker's ``BenchRandom``. The
/// numbers are substituted as text before the JSON is parsed, so `"orderId":"bench-{{n}}"`
/// gives every Accrue its own order, `"memberId":"member-{{random:10000000}}"` reads members
/// at random, and `"amountMinor":{{n}}` makes a number.
///
/// ```swift
/// let template = try BenchTemplate(Array(#"{"orderId":"o-{{n}}"}"#.utf8))
/// var random = BenchRandom(seed: 1, worker: 0)
/// template.render(number: 7, worker: 0, random: &random)  // {"orderId":"o-7"}
/// ```
struct BenchTemplate: Equatable {
    enum Part: Equatable {
        case text([UInt8])
        case number
        case worker
        /// `{{random:N}}`: a value `0 ≤ value < bound`.
        case random(bound: UInt64)
    }

    let parts: [Part]

    /// What every template error names: the placeholders there are.
    static let placeholdersKnown =
        "{{n}} (the request number), {{worker}} (the worker index) and {{random:N}} (an integer "
        + "drawn uniformly, 0 ≤ value < N)"

    /// Cuts `json` at its placeholders.
    ///
    /// - Throws: ``ProbeUsageError`` for `{{…}}` with another name, `{{random:N}}` with `N` not
    ///   a whole number from 1 to ``BenchRandom/boundMax``, or `{{` never closed.
    init(_ json: [UInt8]) throws {
        var parts: [Part] = []
        var rest = json[...]
        let open = Array("{{".utf8)
        let close = Array("}}".utf8)
        while let start = rest.firstRange(of: open) {
            let inside = rest[start.upperBound...]
            guard let end = inside.firstRange(of: close) else {
                throw ProbeUsageError("-d has '{{' without '}}': placeholders are \(Self.placeholdersKnown)")
            }
            if start.lowerBound > rest.startIndex {
                parts.append(.text(Array(rest[..<start.lowerBound])))
            }
            parts.append(try Self.part(named: String(decoding: inside[..<end.lowerBound], as: UTF8.self)))
            rest = inside[end.upperBound...]
        }
        if !rest.isEmpty { parts.append(.text(Array(rest))) }
        self.parts = parts
    }

    /// The placeholder `{{name}}` stands for.
    private static func part(named name: String) throws -> Part {
        switch name {
        case "n": return .number
        case "worker": return .worker
        default:
            guard name.hasPrefix("random") else {
                throw ProbeUsageError(
                    "-d has an unknown placeholder {{\(name)}}: bench knows \(placeholdersKnown)")
            }
            let bound = name.hasPrefix("random:") ? name.dropFirst("random:".count) : nil
            // Digits only: UInt64("+5") would take a sign, and N is written as a plain count.
            guard let bound, bound.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = UInt64(bound), (1...BenchRandom.boundMax).contains(value)
            else {
                throw ProbeUsageError(
                    "-d has {{\(name)}}: write {{random:N}} with N a whole number from 1 to "
                        + "\(BenchRandom.boundMax) (the value drawn is 0 ≤ value < N)")
            }
            return .random(bound: value)
        }
    }

    /// Whether the template holds a placeholder: without one, every request is the same.
    var isConstant: Bool { parts.allSatisfy { if case .text = $0 { true } else { false } } }

    /// The JSON of request `number`, made by worker `worker`, drawing each `{{random:N}}` from
    /// `random` (the worker's own generator) in the order they appear.
    func render(number: Int, worker: Int, random: inout BenchRandom) -> [UInt8] {
        var json: [UInt8] = []
        for part in parts {
            switch part {
            case .text(let bytes): json += bytes
            case .number: json += Array(String(number).utf8)
            case .worker: json += Array(String(worker).utf8)
            case .random(let bound): json += Array(String(random.next(below: bound)).utf8)
            }
        }
        return json
    }
}

/// The requests of a `bench` run, in the compact encoding: the same bytes every time when the
/// JSON has no placeholder (encoded once, before the run), else the template rendered and
/// encoded for each call.
struct BenchRequests: Sendable {
    private enum Source {
        case constant([UInt8])
        case template(BenchTemplate, MethodSchema)
    }

    private let source: Source

    /// The requests of `method` from the JSON `-d` gives. Request 0 of worker 0 is encoded
    /// here, so that JSON that is not a valid request is refused before anything is sent (with
    /// values drawn by a generator of its own: the run's workers start afresh).
    ///
    /// - Throws: ``ProbeUsageError`` for a bad placeholder or JSON that is not a valid request.
    init(json: [UInt8], method: MethodSchema) throws {
        let template = try BenchTemplate(json)
        var random = BenchRandom(seed: 0, worker: 0)
        let first = try Invocation.encodeRequest(
            template.render(number: 0, worker: 0, random: &random), for: method)
        source = template.isConstant ? .constant(first) : .template(template, method)
    }

    /// Request `number`'s bytes, for worker `worker`, whose generator `random` draws the
    /// template's `{{random:N}}` values.
    ///
    /// - Throws: ``ProbeUsageError`` when the substituted JSON is not a valid request (a
    ///   number where the field wants another type, say).
    func bytes(number: Int, worker: Int, random: inout BenchRandom) throws -> [UInt8] {
        switch source {
        case .constant(let bytes): return bytes
        case .template(let template, let method):
            return try Invocation.encodeRequest(
                template.render(number: number, worker: worker, random: &random), for: method)
        }
    }
}
