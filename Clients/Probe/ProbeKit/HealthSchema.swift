import CashbackClient
import CompactCodec

/// gRPC's health service (`grpc/health/v1/health.proto`), which every server answers beside the
/// Cashback schema, so that `call` takes each method `list` shows.
///
/// Its two messages are protobuf, not ours, but for their field types (a string and an enum
/// under field 1) the two encodings agree byte for byte, as the server's `HealthService`
/// explains: the compact codec reads and writes them.
enum HealthSchema {
    /// `grpc.health.v1.Health`: `Check` and `Watch`.
    static let service = ServiceSchema(
        name: "grpc.health.v1.Health",
        doc: ["gRPC's health checking protocol (grpc/grpc doc/health-checking.md); no token needed."],
        methods: [
            MethodSchema(
                descriptor: MethodDescriptor(service: "grpc.health.v1.Health", method: "Check"),
                doc: [
                    "Whether the server (empty service) or one service is serving; an unknown",
                    "service is NOT_FOUND.",
                ],
                request: request, response: response),
            MethodSchema(
                descriptor: MethodDescriptor(service: "grpc.health.v1.Health", method: "Watch"),
                doc: [
                    "The status now, then again on every change; an unknown service gets",
                    "SERVICE_UNKNOWN and the stream stays open.",
                ],
                request: request, response: response, isServerStreaming: true),
        ])

    /// Both messages, request first.
    static let messages = [request, response]

    private static let request = MessageSchema(
        HealthCheckRequest.self,
        fields: [
            FieldSchema(name: "service", jsonName: "service", number: 1, type: "string", isRepeated: false)
        ])
    private static let response = MessageSchema(
        HealthCheckResponse.self,
        fields: [
            FieldSchema(
                name: "status", jsonName: "status", number: 1,
                type: "grpc.health.v1.HealthCheckResponse.ServingStatus", isRepeated: false)
        ])
}

/// `grpc.health.v1.HealthCheckRequest { string service = 1; }`.
struct HealthCheckRequest: CompactMessage, Codable {
    static let schemaName = "grpc.health.v1.HealthCheckRequest"

    /// A fully qualified service name, or empty for the whole server.
    var service = ""

    init() {}

    init(compactReader reader: inout CompactReader) throws(CompactDecodingError) {
        while let tag = try reader.readTag() {
            if tag.fieldNumber == 1 { service = try reader.readString(tag) } else {
                try reader.skipField(tag)
            }
        }
    }

    func encode(to writer: inout CompactWriter) {
        writer.writeStringField(1, service)
    }

    init(from decoder: any Decoder) throws {
        let json = try decoder.container(keyedBy: CompactJSONKey.self)
        try json.rejectUnknownKeys(["service"], in: Self.schemaName)
        service = try json.decodeCompactString("service") ?? ""
    }

    func encode(to encoder: any Encoder) throws {
        var json = encoder.container(keyedBy: CompactJSONKey.self)
        try json.encode(service, forKey: CompactJSONKey("service"))
    }
}

/// `grpc.health.v1.HealthCheckResponse { ServingStatus status = 1; }`.
struct HealthCheckResponse: CompactMessage, Codable {
    static let schemaName = "grpc.health.v1.HealthCheckResponse"

    /// gRPC's `ServingStatus`: its wire number, named as gRPC names it.
    struct ServingStatus: CompactJSONEnum {
        let rawValue: UInt32

        /// The names of 0, 1, 2 and 3; other numbers have none.
        private static let names = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"]
        static let unknown = ServingStatus(rawValue: 0)

        init(rawValue: UInt32) { self.rawValue = rawValue }

        init?(jsonName: String) {
            guard let number = Self.names.firstIndex(of: jsonName) else { return nil }
            rawValue = UInt32(number)
        }

        var jsonName: String? {
            rawValue < Self.names.count ? Self.names[Int(rawValue)] : nil
        }
    }

    var status = ServingStatus.unknown

    init() {}

    init(compactReader reader: inout CompactReader) throws(CompactDecodingError) {
        while let tag = try reader.readTag() {
            if tag.fieldNumber == 1 { status = try reader.readEnum(tag) } else {
                try reader.skipField(tag)
            }
        }
    }

    func encode(to writer: inout CompactWriter) {
        writer.writeEnumField(1, status)
    }

    init(from decoder: any Decoder) throws {
        let json = try decoder.container(keyedBy: CompactJSONKey.self)
        try json.rejectUnknownKeys(["status"], in: Self.schemaName)
        status = try json.decodeCompactEnum(ServingStatus.self, "status") ?? .unknown
    }

    func encode(to encoder: any Encoder) throws {
        var json = encoder.container(keyedBy: CompactJSONKey.self)
        try json.encodeCompactEnum(status, "status")
    }
}
