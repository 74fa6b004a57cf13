import CashbackCore
import Testing

@Suite("OrderPricingInput validation")
struct OrderPricingInputTests {
    static func make(
        amount: Int64 = 0,
        lines: [OrderLine] = [],
        segments: [String] = [],
        ruleVersion: Int64 = 0
    ) throws -> OrderPricingInput {
        try OrderPricingInput(
            amountMinorUnits: amount, lines: lines, segments: segments,
            orderedAtMilliseconds: 1, ruleVersion: ruleVersion)
    }

    static func line(_ sku: String, _ amount: Int64, category: String = "") -> OrderLine {
        OrderLine(sku: sku, category: category, amountMinorUnits: amount)
    }

    @Test("without lines the amount is one implicit line; with lines it is 0 or their sum")
    func amounts() throws {
        let unlined = try Self.make(amount: 500)
        #expect(!unlined.hasReportedLines)
        #expect(unlined.eligibleMinorUnits == 500)
        let lined = try Self.make(lines: [Self.line("a", 200), Self.line("b", 300)])
        #expect(lined.hasReportedLines)
        #expect(lined.eligibleMinorUnits == 500)
        _ = try Self.make(amount: 500, lines: [Self.line("a", 200), Self.line("b", 300)])
    }

    @Test("refused, naming the field")
    func refused() {
        let max = LedgerLimits.eligibleMinorUnits.upperBound
        let cases: [(LedgerRejection?, String)] = [
            (rejection { try Self.make(amount: 0) }, "amountMinor must be 1..."),
            (
                rejection { try Self.make(amount: 499, lines: [Self.line("a", 500)]) },
                "amountMinor 499 differs from the sum of the lines, 500"
            ),
            (rejection { try Self.make(lines: [Self.line("a", 0)]) }, "lines[0].amountMinor must be"),
            (
                rejection { try Self.make(lines: [Self.line("a", 1), Self.line("a", 2)]) },
                "lines[1].sku 'a' repeats lines[0].sku"
            ),
            (
                rejection { try Self.make(lines: [Self.line("a", max), Self.line("b", 1)]) },
                "the lines sum to more than"
            ),
            (
                rejection {
                    try Self.make(lines: (0...LedgerLimits.orderLinesMax).map { Self.line("s\($0)", 1) })
                },
                "lines has 101 entries; at most 100"
            ),
            (
                rejection { try Self.make(amount: 1, segments: ["vip", ""]) },
                "segments[1] must be 1...128 UTF-8 bytes"
            ),
            (
                rejection { try Self.make(amount: 1, segments: Array(repeating: "s", count: 17)) },
                "segments has 17 entries; at most 16"
            ),
            (rejection { try Self.make(amount: 1, ruleVersion: -1) }, "ruleVersion must be 0..."),
            (
                rejection { try Self.make(lines: [Self.line("a", 1, category: "Home Garden")]) },
                "lines[0].category must not contain whitespace"
            ),
        ]
        for (rejection, prefix) in cases {
            #expect(rejection?.code == .invalidArgument, "\(prefix)")
            #expect(rejection?.message.hasPrefix(prefix) == true, "\(rejection?.message ?? "nil")")
        }
    }
}
