import CashbackClient

/// gRPC's health service (`grpc/health/v1/health.proto`), which every server answers beside the
/// Cashback schema, so that `call` takes each method `list` shows.
///
/// Its two messages, `HealthCheckRequest` and `HealthCheckResponse`, are CashbackAPI's, which
/// the server and the client use too.
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
