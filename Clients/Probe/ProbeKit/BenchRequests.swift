import CashbackClient

/// The request JSON of a `bench` run, cut at its placeholders: `{{n}}`, the request number
/// (0-based, unique across the run), and `{{worker}}`, the index of the worker making the call.
/// The numbers are substituted as text before the JSON is parsed, so `"orderId":"bench-{{n}}"`
/// gives every Accrue its own order and `"amountMinor":{{n}}` a number.
///
/// ```swift
/// let template = try BenchTemplate(Array(#"{"orderId":"o-{{n}}"}"#.utf8))
/// template.render(number: 7, worker: 0)  // {"orderId":"o-7"}
/// ```
struct BenchTemplate: Equatable {
    enum Part: Equatable {
        case text([UInt8])
        case number
        case worker
    }

    let parts: [Part]

    /// The placeholders a template may hold, as written in `-d`.
    static let placeholders: [(name: String, part: Part)] = [("n", .number), ("worker", .worker)]

    /// Cuts `json` at its placeholders.
    ///
    /// - Throws: ``ProbeUsageError`` for `{{…}}` with another name, or `{{` never closed.
    init(_ json: [UInt8]) throws {
        var parts: [Part] = []
        var rest = json[...]
        let open = Array("{{".utf8)
        let close = Array("}}".utf8)
        while let start = rest.firstRange(of: open) {
            let inside = rest[start.upperBound...]
            guard let end = inside.firstRange(of: close) else {
                throw ProbeUsageError("-d has '{{' without '}}': placeholders are {{n}} and {{worker}}")
            }
            let name = String(decoding: inside[..<end.lowerBound], as: UTF8.self)
            guard let placeholder = Self.placeholders.first(where: { $0.name == name }) else {
                throw ProbeUsageError(
                    "-d has an unknown placeholder {{\(name)}}: bench knows {{n}} (the request "
                        + "number) and {{worker}} (the worker index)")
            }
            if start.lowerBound > rest.startIndex {
                parts.append(.text(Array(rest[..<start.lowerBound])))
            }
            parts.append(placeholder.part)
            rest = inside[end.upperBound...]
        }
        if !rest.isEmpty { parts.append(.text(Array(rest))) }
        self.parts = parts
    }

    /// Whether the template holds a placeholder: without one, every request is the same.
    var isConstant: Bool { parts.allSatisfy { if case .text = $0 { true } else { false } } }

    /// The JSON of request `number`, made by worker `worker`.
    func render(number: Int, worker: Int) -> [UInt8] {
        var json: [UInt8] = []
        for part in parts {
            switch part {
            case .text(let bytes): json += bytes
            case .number: json += Array(String(number).utf8)
            case .worker: json += Array(String(worker).utf8)
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
    /// here, so that JSON that is not a valid request is refused before anything is sent.
    ///
    /// - Throws: ``ProbeUsageError`` for a bad placeholder or JSON that is not a valid request.
    init(json: [UInt8], method: MethodSchema) throws {
        let template = try BenchTemplate(json)
        let first = try Invocation.encodeRequest(template.render(number: 0, worker: 0), for: method)
        source = template.isConstant ? .constant(first) : .template(template, method)
    }

    /// Request `number`'s bytes, for worker `worker`.
    ///
    /// - Throws: ``ProbeUsageError`` when the substituted JSON is not a valid request (a
    ///   number where the field wants another type, say).
    func bytes(number: Int, worker: Int) throws -> [UInt8] {
        switch source {
        case .constant(let bytes): return bytes
        case .template(let template, let method):
            return try Invocation.encodeRequest(
                template.render(number: number, worker: worker), for: method)
        }
    }
}
