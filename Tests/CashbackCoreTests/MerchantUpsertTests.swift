import CashbackCore
import Testing

@Suite("MerchantUpsert validation")
struct MerchantUpsertTests {
    private static func make(
        merchantID: String = "shop-1",
        name: String = "Shop One",
        currency: String = "EUR",
        shopperRateBasisPoints: Int64 = 250,
        commissionBasisPoints: Int64 = 400,
        holdDays: Int64 = 30,
        cashbackExpiryDays: Int64 = 365,
        idempotencyKey: String = "key-1"
    ) throws(LedgerRejection) -> MerchantUpsert {
        try MerchantUpsert(
            merchantID: merchantID,
            name: name,
            currency: currency,
            shopperRateBasisPoints: shopperRateBasisPoints,
            commissionBasisPoints: commissionBasisPoints,
            holdDays: holdDays,
            cashbackExpiryDays: cashbackExpiryDays,
            idempotencyKey: idempotencyKey
        )
    }

    @Test("keeps valid fields and accepts the edges")
    func valid() throws {
        let upsert = try Self.make()
        #expect(upsert.merchantID == "shop-1")
        #expect(upsert.name == "Shop One")
        #expect(upsert.currency.rawValue == "EUR")
        #expect(upsert.shopperRateBasisPoints == 250)
        _ = try Self.make(shopperRateBasisPoints: 0)
        _ = try Self.make(shopperRateBasisPoints: 10_000)
        _ = try Self.make(name: String(repeating: "n", count: 200))
        _ = try Self.make(commissionBasisPoints: 0, holdDays: 0, cashbackExpiryDays: 0)
        _ = try Self.make(commissionBasisPoints: 10_000, holdDays: 3_650, cashbackExpiryDays: 3_650)
        _ = try Self.make(idempotencyKey: String(repeating: "k", count: 128))
        #expect(upsert.commissionBasisPoints == 400)
        #expect(upsert.holdDays == 30)
        #expect(upsert.cashbackExpiryDays == 365)
        #expect(upsert.status == .active)
        #expect(Merchant(upsert).shopperRateBasisPoints == 250)
    }

    @Test("names the field and the limit in the message")
    func messages() {
        let cases: [(LedgerRejection?, String)] = [
            (
                rejection { try Self.make(merchantID: "") },
                "merchantId must be 1...128 UTF-8 bytes, got 0"
            ),
            (rejection { try Self.make(name: "") }, "name must be 1...200 UTF-8 bytes, got 0"),
            (
                rejection { try Self.make(name: String(repeating: "n", count: 201)) },
                "name must be 1...200 UTF-8 bytes, got 201"
            ),
            (
                rejection { try Self.make(name: "Shop\nOne") },
                "name must not contain control characters, found U+000A"
            ),
            (
                rejection { try Self.make(currency: "EURO") },
                "currency must be 3 ASCII uppercase letters (ISO 4217), got \"EURO\""
            ),
            (
                rejection { try Self.make(shopperRateBasisPoints: -1) },
                "shopperRateBps must be 0...10000 basis points, got -1"
            ),
            (
                rejection { try Self.make(shopperRateBasisPoints: 10_001) },
                "shopperRateBps must be 0...10000 basis points, got 10001"
            ),
            (
                rejection { try Self.make(commissionBasisPoints: 10_001) },
                "commissionBps must be 0...10000 basis points, got 10001"
            ),
            (
                rejection { try Self.make(holdDays: 3_651) },
                "holdDays must be 0...3650 days, got 3651"
            ),
            (
                rejection { try Self.make(cashbackExpiryDays: -1) },
                "cashbackExpiryDays must be 0...3650 days, got -1"
            ),
            (
                rejection { try Self.make(idempotencyKey: "") },
                "idempotencyKey must be 1...128 UTF-8 bytes, got 0"
            ),
            (
                rejection { try Self.make(idempotencyKey: String(repeating: "k", count: 129)) },
                "idempotencyKey must be 1...128 UTF-8 bytes, got 129"
            ),
        ]
        for (rejection, message) in cases {
            #expect(rejection == LedgerRejection(.invalidArgument, message))
        }
    }
}
