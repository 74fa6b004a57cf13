import CompactCodec

// gRPC's health service (`grpc/health/v1/health.proto`) answers beside the Cashback schema. Its
// two messages are protobuf, not ours, but for their field types (a string and an enum under
// field 1) the two encodings agree byte for byte: the compact codec reads and writes them. One
// definition serves the server (`HealthService`), the client (`checkHealth`) and the probe.

/// `grpc.health.v1.HealthCheckRequest { string service = 1; }`.
public struct HealthCheckRequest: CompactMessage, Codable {
    public static let schemaName = "grpc.health.v1.HealthCheckRequest"

    /// A fully qualified service name, or empty for the whole server.
    public var service = ""

    public init() {}

    /// A request for `service` (empty: the whole server).
    public init(service: String) { self.service = service }

    public init(compactReader reader: inout CompactReader) throws(CompactDecodingError) {
        while let tag = try reader.readTag() {
            if tag.fieldNumber == 1 { service = try reader.readString(tag) } else {
                try reader.skipField(tag)
            }
        }
    }

    public func encode(to writer: inout CompactWriter) {
        writer.writeStringField(1, service)
    }

    public init(from decoder: any Decoder) throws {
        let json = try decoder.container(keyedBy: CompactJSONKey.self)
        try json.rejectUnknownKeys(["service"], in: Self.schemaName)
        service = try json.decodeCompactString("service") ?? ""
    }

    public func encode(to encoder: any Encoder) throws {
        var json = encoder.container(keyedBy: CompactJSONKey.self)
        try json.encode(service, forKey: CompactJSONKey("service"))
    }
}

/// `grpc.health.v1.HealthCheckResponse { ServingStatus status = 1; }`.
public struct HealthCheckResponse: CompactMessage, Codable {
    public static let schemaName = "grpc.health.v1.HealthCheckResponse"

    /// gRPC's `ServingStatus`: its wire number, named as gRPC names it.
    public struct ServingStatus: CompactJSONEnum {
        public let rawValue: UInt32

        /// The names of 0, 1, 2 and 3; other numbers have none.
        private static let names = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"]
        public static let unknown = ServingStatus(rawValue: 0)
        public static let serving = ServingStatus(rawValue: 1)
        public static let notServing = ServingStatus(rawValue: 2)
        public static let serviceUnknown = ServingStatus(rawValue: 3)

        public init(rawValue: UInt32) { self.rawValue = rawValue }

        public init?(jsonName: String) {
            guard let number = Self.names.firstIndex(of: jsonName) else { return nil }
            rawValue = UInt32(number)
        }

        public var jsonName: String? {
            rawValue < Self.names.count ? Self.names[Int(rawValue)] : nil
        }
    }

    public var status = ServingStatus.unknown

    public init() {}

    /// A response carrying `status`.
    public init(status: ServingStatus) { self.status = status }

    public init(compactReader reader: inout CompactReader) throws(CompactDecodingError) {
        while let tag = try reader.readTag() {
            if tag.fieldNumber == 1 { status = try reader.readEnum(tag) } else {
                try reader.skipField(tag)
            }
        }
    }

    public func encode(to writer: inout CompactWriter) {
        writer.writeEnumField(1, status)
    }

    public init(from decoder: any Decoder) throws {
        let json = try decoder.container(keyedBy: CompactJSONKey.self)
        try json.rejectUnknownKeys(["status"], in: Self.schemaName)
        status = try json.decodeCompactEnum(ServingStatus.self, "status") ?? .unknown
    }

    public func encode(to encoder: any Encoder) throws {
        var json = encoder.container(keyedBy: CompactJSONKey.self)
        try json.encodeCompactEnum(status, "status")
    }
}
