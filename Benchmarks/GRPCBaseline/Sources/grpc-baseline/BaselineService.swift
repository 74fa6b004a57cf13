import CashbackClient
import CompactCodec
import GRPCCore

/// `cashback.v1.Wallet/GetBalance` and `cashback.v1.Accruals/Accrue`, with cashbackd's paths,
/// messages and codec, answered from an ``InMemoryLedger``. No authorization: the metadata,
/// bearer token included, is not looked at.
///
/// ```swift
/// let service = BaselineService(ledger: InMemoryLedger(rateBasisPoints: 250))
/// let server = GRPCServer(transport: transport, services: [service])
/// ```
struct BaselineService: RegistrableRPCService {
    /// The largest order amount Accrue takes, in minor units, as cashbackd (WIRE.md §9).
    static let amountMinorUnitsMax: Int64 = 1_000_000_000_000_000

    let ledger: InMemoryLedger

    func registerMethods<Transport: ServerTransport>(
        with router: inout GRPCCore.RPCRouter<Transport>
    ) {
        registerUnary(
            CashbackV1.Wallet.Method.GetBalance.descriptor, with: &router, handle: getBalance)
        registerUnary(
            CashbackV1.Accruals.Method.Accrue.descriptor, with: &router, handle: accrue)
    }

    /// The member's balance; only `pendingMinor` is ever non-zero here.
    func getBalance(_ request: CashbackV1.GetBalanceRequest) throws -> CashbackV1.GetBalanceResponse {
        try Self.requireNonEmpty(request.memberID, field: "memberId")
        try Self.requireCurrency(request.currency)
        return CashbackV1.GetBalanceResponse(
            pendingMinor: ledger.pendingMinorUnits(
                memberID: request.memberID, currency: request.currency))
    }

    /// Books the order's cashback as pending, once per (merchant, order id).
    func accrue(_ request: CashbackV1.AccrueRequest) throws -> CashbackV1.AccrueResponse {
        try Self.requireNonEmpty(request.merchantID, field: "merchantId")
        try Self.requireNonEmpty(request.orderID, field: "orderId")
        try Self.requireNonEmpty(request.memberID, field: "memberId")
        try Self.requireCurrency(request.currency)
        guard (1...Self.amountMinorUnitsMax).contains(request.amountMinor) else {
            throw GRPCCore.RPCError(
                code: .invalidArgument,
                message: "amountMinor must be 1 to 10^15 minor units, got \(request.amountMinor)")
        }
        switch ledger.accrue(request) {
        case .booked(let response), .replayed(let response):
            return response
        case .conflict:
            throw GRPCCore.RPCError(
                code: .alreadyExists,
                message: "order \(request.orderID) of merchant \(request.merchantID) was "
                    + "accrued before with another member, amount or currency")
        case .balanceOverflow:
            throw GRPCCore.RPCError(
                code: .failedPrecondition,
                message: "the pending balance of member \(request.memberID) in "
                    + "\(request.currency) would pass the largest Int64")
        }
    }

    // MARK: Helpers

    /// Registers a unary method whose messages travel in the compact codec.
    private func registerUnary<Input: CompactMessage, Output: CompactMessage, Transport>(
        _ method: RPC.MethodDescriptor,
        with router: inout GRPCCore.RPCRouter<Transport>,
        handle: @escaping @Sendable (Input) throws -> Output
    ) {
        router.registerHandler(
            forMethod: GRPCCore.MethodDescriptor(
                fullyQualifiedService: method.service, method: method.method),
            deserializer: CompactDeserializer<Input>(),
            serializer: CompactSerializer<Output>()
        ) { request, _ in
            let single = try await GRPCCore.ServerRequest(stream: request)
            return GRPCCore.StreamingServerResponse(
                single: GRPCCore.ServerResponse(message: try handle(single.message)))
        }
    }

    private static func requireNonEmpty(_ value: String, field: String) throws {
        guard value.isEmpty else { return }
        throw GRPCCore.RPCError(code: .invalidArgument, message: "\(field) must not be empty")
    }

    /// An ISO 4217 code has three upper-case ASCII letters.
    private static func requireCurrency(_ currency: String) throws {
        let isCode = currency.utf8.count == 3 && currency.utf8.allSatisfy { (0x41...0x5A).contains($0) }
        guard !isCode else { return }
        throw GRPCCore.RPCError(
            code: .invalidArgument,
            message: "currency must be an ISO 4217 code of three upper-case letters, got '\(currency)'")
    }
}
