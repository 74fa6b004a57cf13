import CashbackCore
import Testing

@Suite("AccrueCommand validation")
struct AccrueCommandTests {
    private static func make(
        merchantID: String = "shop-1",
        orderID: String = "order-1",
        memberID: String = "member-1",
        eligibleMinorUnits: Int64 = 10_000,
        currency: String = "EUR",
        orderedAtMilliseconds: Int64 = 1_700_000_000_000
    ) throws(LedgerRejection) -> AccrueCommand {
        try AccrueCommand(
            merchantID: merchantID,
            orderID: orderID,
            memberID: memberID,
            eligibleMinorUnits: eligibleMinorUnits,
            currency: currency,
            orderedAtMilliseconds: orderedAtMilliseconds
        )
    }

    @Test("keeps valid fields as given")
    func valid() throws {
        let command = try Self.make()
        #expect(command.merchantID == "shop-1")
        #expect(command.orderID == "order-1")
        #expect(command.memberID == "member-1")
        #expect(command.eligibleMinorUnits == 10_000)
        #expect(command.currency.rawValue == "EUR")
        #expect(command.orderedAtMilliseconds == 1_700_000_000_000)
        #expect(
            command.orderReference == (try OrderReference(merchantID: "shop-1", orderID: "order-1"))
        )
    }

    @Test("accepts every limit's edges")
    func edges() throws {
        let longest = String(repeating: "a", count: 128)
        _ = try Self.make(merchantID: longest, orderID: longest, memberID: longest)
        _ = try Self.make(merchantID: "m", orderID: "o", memberID: "x")
        _ = try Self.make(eligibleMinorUnits: 1)
        _ = try Self.make(eligibleMinorUnits: 1_000_000_000_000_000)
        _ = try Self.make(orderedAtMilliseconds: 1)
        _ = try Self.make(orderedAtMilliseconds: 253_402_300_799_999)
        // 42 three-byte characters are 126 bytes: the limit counts bytes, not characters.
        _ = try Self.make(memberID: String(repeating: "€", count: 42))
    }

    @Test("names the field and the limit in the message")
    func messages() {
        let cases: [(LedgerRejection?, String)] = [
            (
                rejection { try Self.make(memberID: "") },
                "memberId must be 1...128 UTF-8 bytes, got 0"
            ),
            (
                rejection { try Self.make(merchantID: String(repeating: "m", count: 129)) },
                "merchantId must be 1...128 UTF-8 bytes, got 129"
            ),
            (
                rejection { try Self.make(orderID: String(repeating: "€", count: 43)) },
                "orderId must be 1...128 UTF-8 bytes, got 129"
            ),
            (
                rejection { try Self.make(memberID: "a\u{7}b") },
                "memberId must not contain control characters, found U+0007"
            ),
            (
                rejection { try Self.make(orderID: "a\u{85}") },
                "orderId must not contain control characters, found U+0085"
            ),
            (
                rejection { try Self.make(eligibleMinorUnits: 0) },
                "amountMinor must be 1...1000000000000000 minor units, got 0"
            ),
            (
                rejection { try Self.make(eligibleMinorUnits: 1_000_000_000_000_001) },
                "amountMinor must be 1...1000000000000000 minor units, got 1000000000000001"
            ),
            (
                rejection { try Self.make(eligibleMinorUnits: -5) },
                "amountMinor must be 1...1000000000000000 minor units, got -5"
            ),
            (
                rejection { try Self.make(currency: "eur") },
                "currency must be 3 ASCII uppercase letters (ISO 4217), got \"eur\""
            ),
            (
                rejection { try Self.make(orderedAtMilliseconds: 0) },
                "orderedAtMs must be 1...253402300799999 milliseconds since the Unix epoch, got 0"
            ),
            (
                rejection { try Self.make(orderedAtMilliseconds: 253_402_300_800_000) },
                "orderedAtMs must be 1...253402300799999 milliseconds since the Unix epoch, "
                    + "got 253402300800000"
            ),
        ]
        for (rejection, message) in cases {
            #expect(rejection == LedgerRejection(.invalidArgument, message))
        }
    }

    @Test("reports the first bad field in parameter order")
    func firstFieldWins() {
        let found = rejection { try Self.make(merchantID: "", memberID: "", eligibleMinorUnits: 0) }
        #expect(found?.message.hasPrefix("merchantId") == true)
    }
}
