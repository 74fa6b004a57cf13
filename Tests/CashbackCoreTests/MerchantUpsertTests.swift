import CashbackCore
import Testing

@Suite("MerchantUpsert validation")
struct MerchantUpsertTests {
    private static func make(
        merchantID: String = "shop-1",
        name: String = "Shop One",
        currency: String = "EUR",
        shopperRateBasisPoints: Int64 = 250
    ) throws(LedgerRejection) -> MerchantUpsert {
        try MerchantUpsert(
            merchantID: merchantID,
            name: name,
            currency: currency,
            shopperRateBasisPoints: shopperRateBasisPoints
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
        ]
        for (rejection, message) in cases {
            #expect(rejection == LedgerRejection(.invalidArgument, message))
        }
    }
}
