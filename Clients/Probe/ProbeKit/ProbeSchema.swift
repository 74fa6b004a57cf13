import CashbackClient

/// What the probe knows by name: the Cashback schema compiled in (`SchemaCatalog`) and gRPC's
/// health service, which the server also answers. `call`, `describe`, `encode`, `decode` and
/// `bench` look names up here, so every method `list` shows is one they take.
enum ProbeSchema {
    /// The Cashback services, then `grpc.health.v1.Health`.
    static let services = SchemaCatalog.services + [HealthSchema.service]
    /// The Cashback messages, then the health service's two.
    static let messages = SchemaCatalog.messages + HealthSchema.messages
}
