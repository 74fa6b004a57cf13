import CashbackCore
import CashbackRepository
import Foundation
import GRDB
import PropertyBased
import Testing
@testable import CashbackStore

@Suite("StoredPricing: the compact form of accruals.pricing_compact")
struct StoredPricingTests {
    /// Any order as an accrual stores it (valid time, version and segments; any lines, with
    /// refunds) and any explanation (every integer from `Int64.min` to `.max`, any text).
    static func pricing(integers n: [Int64], texts t: [String], segments: [String]) throws
        -> StoredPricing
    {
        let lineCount = Int(n[0].magnitude % 4) + 1
        let orderLines = (0..<lineCount).map { i in
            OrderLine(
                sku: t[i], category: t[4 + i], amountMinorUnits: n[1 + i],
                refundedMinorUnits: n[5 + i])
        }
        let order = try OrderPricingInput(
            amountMinorUnits: 1, lines: [], segments: segments,
            orderedAtMilliseconds: Int64(n[9].magnitude % 253_402_300_799_999) + 1,
            ruleVersion: Int64(n[10].magnitude % UInt64(Int32.max))
        ).replacingLines(orderLines)
        let pricedLines = (0..<Int(n[11].magnitude % 4)).map { i in
            LinePricing(
                sku: t[8 + i], category: t[12 + i], amountMinorUnits: n[12 + i],
                refundedMinorUnits: n[16 + i], rateBasisPoints: n[20 + i],
                cashbackMinorUnits: n[24 + i], rule: t[16 + i], excluded: n[28 + i] % 2 == 0)
        }
        let explanation = PricingExplanation(
            ruleVersion: n[32], eligibleMinorUnits: n[33], lines: pricedLines,
            campaignID: t[20], belowMinimum: n[34] % 2 == 0, minimumOrderMinorUnits: n[35],
            fixedMinorUnits: n[36], uncappedMinorUnits: n[37], capApplied: n[38] % 2 == 0,
            capMinorUnits: n[39], limitedToEligible: n[40] % 2 == 0,
            keptByAdjustment: n[41] % 2 == 0, cashbackMinorUnits: n[42],
            commissionBasisPoints: n[43], commissionMinorUnits: n[44], marginMinorUnits: n[45])
        return StoredPricing(order: order, explanation: explanation)
    }

    /// Integers that are often zero (left out of the encoding) or at the ends of the range,
    /// and otherwise anything: `special[i]` picks one of `specialValues` or, past its end,
    /// `any[i]`.
    static let specialValues: [Int64] = [0, 1, -1, .min, .max]
    static let special = Gen.int(in: 0...9).array(of: 46)
    static let anyIntegers = Gen.int64().array(of: 46)
    /// Text without surrogates (not scalars), empty a third of the time or so.
    static let texts = Gen.character(in: "\u{0}"..."\u{D7FF}").string(of: 0...6).array(of: 24)
    static let segments = Gen.letterOrNumber.string(of: 1...12).array(of: 0...3)

    @Test("every field survives the round trip, and the bytes are the same each time")
    func roundTrip() async throws {
        await propertyCheck(
            count: 400, input: Self.special, Self.anyIntegers, Self.texts, Self.segments
        ) { special, any, texts, segments in
            let integers = zip(special, any).map { pick, value in
                pick < Self.specialValues.count ? Self.specialValues[pick] : value
            }
            let value = try Self.pricing(integers: integers, texts: texts, segments: segments)
            let bytes = value.compactBytes()
            let decoded = try StoredPricing(compactBytes: bytes, column: "pricing_compact")
            #expect(decoded == value)
            #expect(decoded.compactBytes() == bytes)
            #expect(value.compactBytes() == bytes)
        }
    }

    /// A flat 2.5 % accrual of 129.99 EUR at version 1, as `Accrue` stores it.
    static func flatAccrual() throws -> StoredPricing {
        let order = try OrderPricingInput(
            amountMinorUnits: 12_999, lines: [], segments: [],
            orderedAtMilliseconds: 1_700_000_000_000, ruleVersion: 0)
        let explanation = Pricing.price(
            order, rules: .flat(rateBasisPoints: 250), version: 1, commissionBasisPoints: 400)
        return StoredPricing(order: order.replacingRuleVersion(1), explanation: explanation)
    }

    @Test("the format is frozen: a flat accrual encodes to these bytes, a tenth of its JSON")
    func frozenBytes() throws {
        let value = try Self.flatAccrual()
        let bytes = value.compactBytes()
        // Field 1: the line (amount 12 999); 3: the order time; 4 and 5: version 1;
        // 6: eligible 12 999; 7: the line's pricing (12 999 at 250 bps, 324, rule "base");
        // 12: uncapped 324; 17: cashback 324; 18: 400 bps; 19: commission 519; 20: margin 195.
        let expected: [UInt8] = [
            0x0a, 0x04, 0x18, 0x8e, 0xcb, 0x01,
            0x18, 0x80, 0xa0, 0xab, 0xfe, 0xf9, 0x62,
            0x20, 0x02,
            0x28, 0x02,
            0x30, 0x8e, 0xcb, 0x01,
            0x3a, 0x10, 0x18, 0x8e, 0xcb, 0x01, 0x28, 0xf4, 0x03, 0x30, 0x88, 0x05,
            0x3a, 0x04, 0x62, 0x61, 0x73, 0x65,
            0x60, 0x88, 0x05,
            0x88, 0x01, 0x88, 0x05,
            0x90, 0x01, 0xa0, 0x06,
            0x98, 0x01, 0x8e, 0x08,
            0xa0, 0x01, 0x86, 0x03,
        ]
        #expect(bytes == expected, "\(bytes.map { String($0, radix: 16) })")
        let json = try StoredJSON.encode(value)
        #expect(bytes.count * 10 < json.utf8.count, "\(bytes.count) bytes vs \(json.utf8.count)")
    }

    @Test(
        "bytes no accrual could have written are a corrupt row naming the column",
        arguments: [
            ("cut short", Array(try! Self.flatAccrual().compactBytes().dropLast())),
            ("an unknown field", try! Self.flatAccrual().compactBytes() + [0xa8, 0x01, 0x01]),
            ("a wrong wire type", [0x18, 0x01] + [0x0d, 0, 0, 0, 0]),
            ("an order without lines", [0x18, 0x02, 0x20, 0x02]),
            ("an order time of 0", Array(try! Self.flatAccrual().compactBytes().prefix(6))),
            ("text that is not UTF-8", [0x0a, 0x03, 0x0a, 0x01, 0xff]),
            ("a bool of 2", try! Self.flatAccrual().compactBytes() + [0x48, 0x02]),
        ] as [(String, [UInt8])])
    func corruptBytes(what: String, bytes: [UInt8]) throws {
        let error = try #require(throws: LedgerStoreError.self, "\(what)") {
            try StoredPricing(compactBytes: bytes, column: "pricing_compact")
        }
        #expect(error.code == .corruptRow)
        #expect(error.message.contains("column pricing_compact"), "\(error.message)")
    }

    @Test("a corrupt compact value in the file is refused when the accrual is read")
    func corruptRowInTheFile() async throws {
        try await withLedger { repository in
            _ = try await repository.accrue(try accrual("o-1")).get()
            try await repository.executeBypassingLedgerForTesting(
                sql: "UPDATE accruals SET pricing_compact = x'0a05' WHERE order_id = 'o-1'")
            let error = try await #require(throws: LedgerStoreError.self) {
                try await repository.accrual(try order("o-1"))
            }
            #expect(error.code == .corruptRow)
            #expect(error.message.contains("pricing_compact"), "\(error.message)")
        }
    }

    @Test("an accrual writes the compact form only, and the compact form is what is read")
    func oneFormPerRow() async throws {
        try await withLedger { repository in
            let booked = try await repository.accrue(try accrual("o-1")).get().record
            let (json, compact) = try await repository.pool.read { db in
                let row = try #require(
                    try Row.fetchOne(db, sql: "SELECT pricing, pricing_compact FROM accruals"))
                return (row["pricing"] as String, row["pricing_compact"] as Data?)
            }
            #expect(json == "{}")
            #expect(compact?.isEmpty == false)
            // JSON that disagrees, written beside it by hand, is not what the ledger reads.
            var other = StoredPricing(order: booked.order, explanation: booked.explanation)
            other.explanation.lines[0].rateBasisPoints = 1
            try await repository.executeBypassingLedgerForTesting(
                sql: "UPDATE accruals SET pricing = '\(try StoredJSON.encode(other))'")
            #expect(try await repository.accrual(try order("o-1")).get().record == booked)
        }
    }
}
