import CashbackCore
import CashbackRepository
import CompactCodec

/// What an accrual keeps of its order and pricing: the order as it is now (lines with what
/// was refunded of them, segments, time, locked version) and how it is priced.
///
/// Two stored forms, in two columns of `accruals` (migration v5 says why):
/// - `pricing_compact` (v5 on): the compact encoding below, written by every accrual and
///   adjustment since v5;
/// - `pricing` (v2 to v4): the `Codable` form as sorted-key JSON (`StoredJSON`), which rows
///   written before v5 still hold and `LegacyAccruals` (inside frozen migration v2) writes.
///
/// A row is read from `pricing_compact` when it has one (then `pricing` holds `'{}'`), else
/// from the JSON in `pricing`.
struct StoredPricing: Codable, Hashable {
    var order: OrderPricingInput
    var explanation: PricingExplanation
}

// MARK: - The compact form

/// The compact form of `StoredPricing`: fields of `Protocol/WIRE.md`'s encoding, flat but for
/// the two kinds of line, in field-number order and with defaults left out, so that the same
/// value always gives the same bytes. Field numbers are a storage format, frozen like a
/// shipped migration: a change means new numbers, never new meanings for old ones.
///
/// | field | what | | field | what |
/// |---|---|---|---|---|
/// | 1 | order line (repeated, `OrderLineFields`) | | 11 | `fixedMinorUnits` |
/// | 2 | segment (repeated string) | | 12 | `uncappedMinorUnits` |
/// | 3 | order `orderedAtMilliseconds` | | 13 | `capApplied` |
/// | 4 | order `ruleVersion` | | 14 | `capMinorUnits` |
/// | 5 | explanation `ruleVersion` | | 15 | `limitedToEligible` |
/// | 6 | `eligibleMinorUnits` | | 16 | `keptByAdjustment` |
/// | 7 | line pricing (repeated, `LinePricingFields`) | | 17 | `cashbackMinorUnits` |
/// | 8 | `campaignID` | | 18 | `commissionBasisPoints` |
/// | 9 | `belowMinimum` | | 19 | `commissionMinorUnits` |
/// | 10 | `minimumOrderMinorUnits` | | 20 | `marginMinorUnits` |
///
/// Integers are zig-zag varints (any `Int64`, negative margins too). The reader is strict: a
/// field number it does not know, a wrong wire type or bytes cut short are a corrupt row,
/// never skipped.
extension StoredPricing {
    /// The compact encoding: what `accruals.pricing_compact` holds.
    func compactBytes() -> [UInt8] {
        // ~30 bytes of fixed fields and ~40 a line pair: one allocation for most orders.
        var writer = CompactWriter(capacity: 64 + 48 * self.order.lines.count)
        for line in self.order.lines {
            writer.writeMessageField(1, OrderLineFields(line))
        }
        writer.writeRepeatedStringField(2, self.order.segments)
        writer.writeInt64Field(3, self.order.orderedAtMilliseconds)
        writer.writeInt64Field(4, self.order.ruleVersion)
        let explanation = self.explanation
        writer.writeInt64Field(5, explanation.ruleVersion)
        writer.writeInt64Field(6, explanation.eligibleMinorUnits)
        for line in explanation.lines {
            writer.writeMessageField(7, LinePricingFields(line))
        }
        writer.writeStringField(8, explanation.campaignID)
        writer.writeBoolField(9, explanation.belowMinimum)
        writer.writeInt64Field(10, explanation.minimumOrderMinorUnits)
        writer.writeInt64Field(11, explanation.fixedMinorUnits)
        writer.writeInt64Field(12, explanation.uncappedMinorUnits)
        writer.writeBoolField(13, explanation.capApplied)
        writer.writeInt64Field(14, explanation.capMinorUnits)
        writer.writeBoolField(15, explanation.limitedToEligible)
        writer.writeBoolField(16, explanation.keptByAdjustment)
        writer.writeInt64Field(17, explanation.cashbackMinorUnits)
        writer.writeInt64Field(18, explanation.commissionBasisPoints)
        writer.writeInt64Field(19, explanation.commissionMinorUnits)
        writer.writeInt64Field(20, explanation.marginMinorUnits)
        return writer.bytes
    }

    /// Decodes `accruals.pricing_compact`.
    ///
    /// - Throws: `LedgerStoreError` `.corruptRow` naming `column` when the bytes are not a
    ///   compact `StoredPricing` (a bad encoding, an unknown field, an order without lines or
    ///   with fields no accrual could have stored).
    init(compactBytes bytes: [UInt8], column: String) throws {
        do {
            self = try Self.decode(bytes)
        } catch let error as CompactDecodingError {
            // The message, not the description: the offsets of this decoder's own checks
            // (an unknown field, no line) are not known, and a column's bytes are short.
            throw LedgerStoreError(
                .corruptRow,
                "column \(column) holds an unreadable compact pricing (\(error.code)): "
                    + error.message,
                cause: error)
        } catch let rejection as LedgerRejection {
            throw LedgerStoreError(
                .corruptRow, "column \(column) holds an order no accrual could store: "
                    + rejection.message, cause: rejection)
        }
    }

    private static func decode(_ bytes: [UInt8]) throws -> StoredPricing {
        var reader = CompactReader(bytes: bytes)
        var orderLines: [OrderLine] = []
        var segments: [String] = []
        var orderedAt: Int64 = 0
        var orderVersion: Int64 = 0
        var explanation = PricingExplanation(
            ruleVersion: 0, eligibleMinorUnits: 0, lines: [], campaignID: "",
            belowMinimum: false, minimumOrderMinorUnits: 0, fixedMinorUnits: 0,
            uncappedMinorUnits: 0, capApplied: false, capMinorUnits: 0,
            limitedToEligible: false, keptByAdjustment: false, cashbackMinorUnits: 0,
            commissionBasisPoints: 0, commissionMinorUnits: 0, marginMinorUnits: 0)
        while let tag = try reader.readTag() {
            switch tag.fieldNumber {
            case 1: orderLines.append((try reader.readMessage(tag) as OrderLineFields).line)
            case 2: segments.append(try reader.readString(tag))
            case 3: orderedAt = try reader.readInt64(tag)
            case 4: orderVersion = try reader.readInt64(tag)
            case 5: explanation.ruleVersion = try reader.readInt64(tag)
            case 6: explanation.eligibleMinorUnits = try reader.readInt64(tag)
            case 7: explanation.lines.append((try reader.readMessage(tag) as LinePricingFields).line)
            case 8: explanation.campaignID = try reader.readString(tag)
            case 9: explanation.belowMinimum = try reader.readBool(tag)
            case 10: explanation.minimumOrderMinorUnits = try reader.readInt64(tag)
            case 11: explanation.fixedMinorUnits = try reader.readInt64(tag)
            case 12: explanation.uncappedMinorUnits = try reader.readInt64(tag)
            case 13: explanation.capApplied = try reader.readBool(tag)
            case 14: explanation.capMinorUnits = try reader.readInt64(tag)
            case 15: explanation.limitedToEligible = try reader.readBool(tag)
            case 16: explanation.keptByAdjustment = try reader.readBool(tag)
            case 17: explanation.cashbackMinorUnits = try reader.readInt64(tag)
            case 18: explanation.commissionBasisPoints = try reader.readInt64(tag)
            case 19: explanation.commissionMinorUnits = try reader.readInt64(tag)
            case 20: explanation.marginMinorUnits = try reader.readInt64(tag)
            default: throw Self.unknownField(tag)
            }
        }
        let order = try Self.order(
            lines: orderLines, segments: segments, orderedAtMilliseconds: orderedAt,
            ruleVersion: orderVersion)
        return StoredPricing(order: order, explanation: explanation)
    }

    /// The stored order, through `OrderPricingInput`'s one public way in.
    ///
    /// That initializer validates a reported order and forgets what was refunded; a stored one
    /// was validated when it was accrued and may carry refunds. So the order is made with a
    /// placeholder amount and then given its stored lines, as Adjust does: the segments, the
    /// time and the version are still checked, which refuses a corrupt row at little cost
    /// (orders rarely carry segments).
    private static func order(
        lines: [OrderLine],
        segments: [String],
        orderedAtMilliseconds: Int64,
        ruleVersion: Int64
    ) throws -> OrderPricingInput {
        guard !lines.isEmpty else {
            throw CompactDecodingError(
                code: .valueOutOfRange, message: "the order has no line", offset: 0)
        }
        return try OrderPricingInput(
            amountMinorUnits: 1, lines: [], segments: segments,
            orderedAtMilliseconds: orderedAtMilliseconds, ruleVersion: ruleVersion
        ).replacingLines(lines)
    }

    fileprivate static func unknownField(_ tag: CompactTag) -> CompactDecodingError {
        CompactDecodingError(
            code: .invalidFieldNumber,
            message: "field \(tag.fieldNumber) is not part of the stored pricing", offset: 0)
    }
}

/// An order line's fields inside `StoredPricing`'s compact form: 1 sku, 2 category, 3 amount,
/// 4 refunded. A line's pricing starts with the same four (`LinePricingFields`).
private struct OrderLineFields: CompactMessage {
    static let schemaName = "cashback.store.OrderLine"
    var line: OrderLine

    init() { self.line = OrderLine(sku: "", category: "", amountMinorUnits: 0) }

    init(_ line: OrderLine) { self.line = line }

    init(compactReader reader: inout CompactReader) throws(CompactDecodingError) {
        self.init()
        while let tag = try reader.readTag() {
            guard try self.read(tag, from: &reader) else { throw StoredPricing.unknownField(tag) }
        }
    }

    /// Reads the value of `tag` if it is one of the four fields; false if it is not.
    mutating func read(_ tag: CompactTag, from reader: inout CompactReader)
        throws(CompactDecodingError) -> Bool
    {
        switch tag.fieldNumber {
        case 1: line.sku = try reader.readString(tag)
        case 2: line.category = try reader.readString(tag)
        case 3: line.amountMinorUnits = try reader.readInt64(tag)
        case 4: line.refundedMinorUnits = try reader.readInt64(tag)
        default: return false
        }
        return true
    }

    func encode(to writer: inout CompactWriter) {
        writer.writeStringField(1, line.sku)
        writer.writeStringField(2, line.category)
        writer.writeInt64Field(3, line.amountMinorUnits)
        writer.writeInt64Field(4, line.refundedMinorUnits)
    }
}

/// A line's pricing inside `StoredPricing`'s compact form: the four fields of an order line
/// (1 sku, 2 category, 3 amount, 4 refunded), then 5 rate, 6 cashback, 7 rule, 8 excluded.
private struct LinePricingFields: CompactMessage {
    static let schemaName = "cashback.store.LinePricing"
    var line: LinePricing

    init() {
        self.line = LinePricing(
            sku: "", category: "", amountMinorUnits: 0, refundedMinorUnits: 0,
            rateBasisPoints: 0, cashbackMinorUnits: 0, rule: "", excluded: false)
    }

    init(_ line: LinePricing) { self.line = line }

    init(compactReader reader: inout CompactReader) throws(CompactDecodingError) {
        self.init()
        var head = OrderLineFields()
        while let tag = try reader.readTag() {
            switch tag.fieldNumber {
            case 5: line.rateBasisPoints = try reader.readInt64(tag)
            case 6: line.cashbackMinorUnits = try reader.readInt64(tag)
            case 7: line.rule = try reader.readString(tag)
            case 8: line.excluded = try reader.readBool(tag)
            default:
                guard try head.read(tag, from: &reader) else {
                    throw StoredPricing.unknownField(tag)
                }
            }
        }
        (line.sku, line.category) = (head.line.sku, head.line.category)
        line.amountMinorUnits = head.line.amountMinorUnits
        line.refundedMinorUnits = head.line.refundedMinorUnits
    }

    func encode(to writer: inout CompactWriter) {
        OrderLineFields(
            OrderLine(
                sku: line.sku, category: line.category, amountMinorUnits: line.amountMinorUnits,
                refundedMinorUnits: line.refundedMinorUnits)
        ).encode(to: &writer)
        writer.writeInt64Field(5, line.rateBasisPoints)
        writer.writeInt64Field(6, line.cashbackMinorUnits)
        writer.writeStringField(7, line.rule)
        writer.writeBoolField(8, line.excluded)
    }
}
