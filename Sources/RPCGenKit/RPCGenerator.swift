import Foundation

/// A file the generator writes, with its path relative to the repository root.
public struct GeneratedFile: Hashable, Sendable {
    public var path: String
    public var contents: String
}

/// Turns schema files into Swift: message types and service descriptors into
/// ``apiDirectory``, client stubs into ``clientDirectory``.
///
/// ```swift
/// let schema = try RPCGenerator.loadSchema(root: "Protocol")
/// for file in RPCGenerator.generate(schema) { print(file.path) }
/// ```
public enum RPCGenerator {
    /// Where message types, service descriptors and server protocols go.
    public static let apiDirectory = "Sources/CashbackAPI/Generated"
    /// Where typed client stubs go.
    public static let clientDirectory = "Clients/Swift/CashbackClient/Generated"

    /// Reads and checks every `.rpc` file under `root`, in path order.
    ///
    /// - Throws: ``SchemaError`` for a bad schema, a missing directory or one without a `.rpc`
    ///   file (generating from nothing would delete every generated file), or a file system
    ///   error.
    public static func loadSchema(root: String) throws -> [SchemaFile] {
        let rootURL = URL(fileURLWithPath: root)
        var isDirectory: ObjCBool = false
        // On Linux, `enumerator(atPath:)` of a missing path is an empty enumerator, not nil.
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory),
            isDirectory.boolValue, let walker = FileManager.default.enumerator(atPath: root)
        else {
            throw SchemaError(
                path: root, line: 0,
                message: "no schema directory here; run rpcgen from the repository root, or "
                    + "pass --root (and --schema, relative to it)")
        }
        let paths = walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".rpc") }.sorted()
        guard !paths.isEmpty else {
            throw SchemaError(
                path: root, line: 0,
                message: "no .rpc file in the schema directory; nothing would be generated, and "
                    + "every generated file would be removed")
        }
        let files = try paths.map { path in
            let text = try String(contentsOf: rootURL.appendingPathComponent(path), encoding: .utf8)
            return try SchemaParser.parse(text, path: path).resolvingTypes
        }
        try checkNamesAcrossFiles(files)
        try checkOutputNames(files)
        return files
    }

    /// Files of one package share a Swift namespace: a type or service name may be declared
    /// in one of them only.
    public static func checkNamesAcrossFiles(_ files: [SchemaFile]) throws(SchemaError) {
        var declared: [String: String] = [:]  // package.Name → path
        for file in files {
            let names =
                file.messages.map { ($0.name, $0.line) } + file.enums.map { ($0.name, $0.line) }
                + file.services.map { ($0.name, $0.line) }
            for (name, line) in names {
                let key = "\(file.package).\(name)"
                if let other = declared[key] {
                    throw SchemaError(
                        path: file.path, line: line, message: "'\(key)' is also declared in \(other)")
                }
                declared[key] = file.path
            }
        }
    }

    /// The name of the files generated from the schema file at `path` (relative to the schema
    /// directory): its folders and name joined with dots, without `.rpc`
    /// (`cashback/v1/accruals.rpc` → `cashback.v1.accruals`).
    static func stem(of path: String) -> String {
        let name = path.hasSuffix(".rpc") ? String(path.dropLast(4)) : path
        return name.replacingOccurrences(of: "/", with: ".")
    }

    /// Two schema files whose generated files would have the same name (`a/b.rpc` and
    /// `a.b.rpc`): the generator would write one over the other.
    public static func checkOutputNames(_ files: [SchemaFile]) throws(SchemaError) {
        var stems: [String: String] = [:]  // stem → path
        for file in files {
            let stem = stem(of: file.path)
            if let other = stems[stem] {
                throw SchemaError(
                    path: file.path, line: 0,
                    message: "generates \(stem).swift, as \(other) does; rename one of them")
            }
            stems[stem] = file.path
        }
    }

    /// Renders every output file for the schema.
    public static func generate(_ files: [SchemaFile]) -> [GeneratedFile] {
        var outputs: [GeneratedFile] = []
        for file in files {
            let stem = stem(of: file.path)
            outputs.append(
                GeneratedFile(path: "\(apiDirectory)/\(stem).swift", contents: api(file)))
            if !file.services.isEmpty {
                outputs.append(
                    GeneratedFile(
                        path: "\(clientDirectory)/\(stem).client.swift", contents: client(file)))
            }
        }
        outputs.append(
            GeneratedFile(path: "\(apiDirectory)/Namespaces.swift", contents: namespaces(files)))
        outputs.append(
            GeneratedFile(path: "\(apiDirectory)/SchemaCatalog.swift", contents: catalog(files)))
        return outputs
    }

    // MARK: Files

    private static func api(_ file: SchemaFile) -> String {
        var out = header(source: "Protocol/\(file.path)", imports: ["CompactCodec", "RPC"])
        for decl in file.enums {
            out.line("// MARK: - \(decl.name)")
            out.line()
            EnumRenderer(file: file).render(decl, into: &out)
            out.line()
        }
        for message in file.messages {
            out.line("// MARK: - \(message.name)")
            out.line()
            MessageRenderer(file: file).render(message, into: &out)
            out.line()
        }
        for service in file.services {
            out.line("// MARK: - \(service.name) service")
            out.line()
            ServiceRenderer(file: file).render(service, into: &out)
            out.line()
        }
        return trimmed(out.text)
    }

    private static func client(_ file: SchemaFile) -> String {
        var out = header(
            source: "Protocol/\(file.path)", imports: ["CashbackAPI", "CompactCodec", "RPC"])
        for service in file.services {
            out.line("// MARK: - \(service.name) client")
            out.line()
            ClientRenderer(file: file).render(service, into: &out)
            out.line()
        }
        return trimmed(out.text)
    }

    private static func namespaces(_ files: [SchemaFile]) -> String {
        var out = header(source: "the packages of Protocol/", imports: [])
        for package in Set(files.map(\.package)).sorted() {
            out.doc(["The types of schema package `\(package)`."])
            out.line("public enum \(SwiftNames.namespace(package)) {}")
            out.line()
        }
        return trimmed(out.text)
    }

    private static func catalog(_ files: [SchemaFile]) -> String {
        var out = header(source: "every file of Protocol/", imports: ["RPC"])
        CatalogRenderer(files: files).render(into: &out)
        return trimmed(out.text)
    }

    private static func header(source: String, imports: [String]) -> CodeWriter {
        var out = CodeWriter()
        out.line("// DO NOT EDIT. Generated by rpcgen from \(source).")
        out.line("// Regenerate with `make generate`; `make test` fails while this file is stale.")
        out.line()
        for module in imports { out.line("import \(module)") }
        if !imports.isEmpty { out.line() }
        return out
    }

    private static func trimmed(_ text: String) -> String {
        var result = text
        while result.hasSuffix("\n\n") { result.removeLast() }
        return result
    }
}

extension RPCGenerator {
    /// How the files on disk differ from what the schema generates.
    public struct Drift: Sendable {
        /// Generated files that are missing on disk or differ from it.
        public var changed: [GeneratedFile]
        /// Files in the generated directories that the schema no longer produces.
        public var orphaned: [String]
        public var isEmpty: Bool { changed.isEmpty && orphaned.isEmpty }
    }

    /// Compares what `schemaRoot` generates with the files under `repositoryRoot`.
    public static func drift(schemaRoot: String, repositoryRoot: String) throws -> Drift {
        let files = generate(try loadSchema(root: schemaRoot))
        let root = URL(fileURLWithPath: repositoryRoot)
        // Bytes, not `String`s: two strings that differ only in Unicode normalization (`é` as
        // one scalar or as `e` and a combining accent) are equal, and the file would pass.
        let changed = files.filter { file in
            let url = root.appendingPathComponent(file.path)
            return (try? Data(contentsOf: url)) != Data(file.contents.utf8)
        }
        let expected = Set(files.map(\.path))
        var orphaned: [String] = []
        for directory in [apiDirectory, clientDirectory] {
            let names = (try? FileManager.default.contentsOfDirectory(
                atPath: root.appendingPathComponent(directory).path)) ?? []
            for name in names.sorted() where !expected.contains("\(directory)/\(name)") {
                orphaned.append("\(directory)/\(name)")
            }
        }
        return Drift(changed: changed, orphaned: orphaned)
    }
}
