import CashbackCore
import Testing

@Suite("CurrencyCode")
struct CurrencyCodeTests {
    @Test("accepts three ASCII uppercase letters", arguments: ["EUR", "USD", "JPY", "AAA", "ZZZ"])
    func accepts(raw: String) throws {
        #expect(try CurrencyCode(validating: raw).rawValue == raw)
    }

    @Test(
        "refuses every other shape",
        arguments: [
            "", "EU", "EURO", "eur", "Eur", "EU1", "E R", "EÜR", "ＥＵＲ", "E\u{0}R", " EUR",
            "@[`",
        ]
    )
    func refuses(raw: String) {
        #expect(throws: LedgerRejection.self) { try CurrencyCode(validating: raw) }
        do {
            _ = try CurrencyCode(validating: raw)
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("currency"))
        }
    }

    @Test("echoes a bad value escaped and cut short")
    func hostileValueInMessage() {
        let long = String(repeating: "X", count: 1_000_000)
        let expectedLong = "currency must be 3 ASCII uppercase letters (ISO 4217), got "
            + "\"XXXXXXXXXXXXXXXX\"…"
        #expect(rejection { try CurrencyCode(validating: long) }?.message == expectedLong)
        let escaped = "currency must be 3 ASCII uppercase letters (ISO 4217), got \"E\\u{1B}R\""
        #expect(rejection { try CurrencyCode(validating: "E\u{1B}R") }?.message == escaped)
    }
}
