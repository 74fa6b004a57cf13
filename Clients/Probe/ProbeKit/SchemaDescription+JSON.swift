import CashbackClient

extension SchemaDescription {
    /// What `describe --format json` prints for a service, method (`pkg.Service/Method`) or
    /// message, on one line; `nil` if unknown.
    ///
    /// - a service: `{"kind":"service","name":…,"doc":…,"methods":[method…]}`
    /// - a method: `{"kind":"method","name":…,"doc":…,"request":…,"response":…,
    ///   "serverStreaming":…,"messages":[message…]}`, its messages being the request, the
    ///   response and every message their fields use
    /// - a message: `{"kind":"message","name":…,"messages":[message…]}`, itself first
    ///
    /// A message is `{"name":…,"fields":[{"name":"member_id","jsonName":"memberId",
    /// "number":1,"type":"string","repeated":false},…]}`; `doc` is the schema's comment, its
    /// lines joined by newlines.
    static func json(_ symbol: String) -> String? {
        for service in ProbeSchema.services {
            if service.name == symbol {
                return JSONLine.encode(
                    Described(
                        kind: "service", name: service.name, doc: doc(service.doc),
                        methods: service.methods.map(Described.init(method:))))
            }
            if let method = service.methods.first(where: { $0.descriptor.fullName == symbol }) {
                return JSONLine.encode(Described(method: method))
            }
        }
        guard let message = ProbeSchema.messages.first(where: { $0.name == symbol }) else {
            return nil
        }
        return JSONLine.encode(
            Described(
                kind: "message", name: message.name,
                messages: messages(using: [message]).map(Message.init)))
    }

    /// One described symbol; what does not apply to its kind is left out.
    private struct Described: Encodable {
        var kind: String
        var name: String
        var doc: String?
        var methods: [Described]?
        var request: String?
        var response: String?
        var serverStreaming: Bool?
        var messages: [Message]?

        init(
            kind: String, name: String, doc: String? = nil, methods: [Described]? = nil,
            messages: [Message]? = nil
        ) {
            self.kind = kind
            self.name = name
            self.doc = doc
            self.methods = methods
            self.messages = messages
        }

        init(method: MethodSchema) {
            self.init(
                kind: "method", name: method.descriptor.fullName,
                doc: SchemaDescription.doc(method.doc),
                messages: SchemaDescription.messages(using: [method.request, method.response])
                    .map(Message.init))
            request = method.request.name
            response = method.response.name
            serverStreaming = method.isServerStreaming
        }
    }

    private struct Message: Encodable {
        var name: String
        var fields: [Field]

        init(_ message: MessageSchema) {
            name = message.name
            fields = message.fields.map {
                Field(
                    name: $0.name, jsonName: $0.jsonName, number: $0.number, type: $0.type,
                    repeated: $0.isRepeated)
            }
        }
    }

    private struct Field: Encodable {
        var name: String
        var jsonName: String
        var number: UInt32
        var type: String
        var repeated: Bool
    }

    private static func doc(_ lines: [String]) -> String? {
        lines.isEmpty ? nil : lines.joined(separator: "\n")
    }
}
