import CashbackCore
import Testing

@Suite("OrderReference validation")
struct OrderReferenceTests {
    @Test("keeps valid ids")
    func valid() throws {
        let ref = try OrderReference(merchantID: "shop-1", orderID: "order-1")
        #expect(ref.merchantID == "shop-1")
        #expect(ref.orderID == "order-1")
        #expect(ref.description == "order 'order-1' of merchant 'shop-1'")
    }

    @Test("refuses empty, long and control-character ids")
    func invalid() {
        #expect(
            rejection { try OrderReference(merchantID: "", orderID: "o") }
                == LedgerRejection(
                    .invalidArgument,
                    "merchantId must be 1...128 UTF-8 bytes, got 0"
                )
        )
        #expect(
            rejection {
                try OrderReference(merchantID: "m", orderID: String(repeating: "o", count: 129))
            }
                == LedgerRejection(.invalidArgument, "orderId must be 1...128 UTF-8 bytes, got 129")
        )
        #expect(
            rejection { try OrderReference(merchantID: "m", orderID: "o\u{7F}") }
                == LedgerRejection(
                    .invalidArgument,
                    "orderId must not contain control characters, found U+007F"
                )
        )
    }
}
