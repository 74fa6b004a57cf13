import CashbackCore
import CashbackRepository
import GRDB

/// Decoding of the columns whose stored values carry a domain invariant.
///
/// The schema's CHECK constraints already refuse bad values, so a failure here means the file
/// was changed behind the ledger's back: it is thrown as `corruptRow`, never trusted.
enum StoredValues {
    /// A currency column.
    static func currency(_ row: Row, column: String) throws -> CurrencyCode {
        let raw = try row.decode(String.self, forColumn: column)
        do {
            return try CurrencyCode(validating: raw)
        } catch {
            throw LedgerStoreError(.corruptRow, "column \(column) holds '\(raw)'", cause: error)
        }
    }

    /// A rate column, in basis points.
    static func rate(_ row: Row, column: String) throws -> Int64 {
        let rate = try row.decode(Int64.self, forColumn: column)
        guard LedgerLimits.shopperRateBasisPoints.contains(rate) else {
            throw LedgerStoreError(.corruptRow, "column \(column) holds rate \(rate)")
        }
        return rate
    }

    /// An accrual state column.
    static func accrualState(_ row: Row, column: String) throws -> AccrualState {
        let raw = try row.decode(Int64.self, forColumn: column)
        guard let narrow = UInt8(exactly: raw), let state = AccrualState(rawValue: narrow) else {
            throw LedgerStoreError(.corruptRow, "column \(column) holds accrual state \(raw)")
        }
        return state
    }

    /// An amount column that must not be negative, in minor units.
    static func nonNegativeAmount(_ row: Row, column: String) throws -> Int64 {
        try nonNegative(try row.decode(Int64.self, forColumn: column), column: column)
    }

    /// The amount column at `index` of the statement's columns, named `column` in errors: for
    /// the reads made once per call, where finding a column by name (GRDB lowercases it and
    /// hashes it) cost more than the read.
    static func nonNegativeAmount(_ row: Row, at index: Int, column: String) throws -> Int64 {
        try nonNegative(try row.decode(Int64.self, atIndex: index), column: column)
    }

    private static func nonNegative(_ amount: Int64, column: String) throws -> Int64 {
        guard amount >= 0 else {
            throw LedgerStoreError(.corruptRow, "column \(column) holds negative amount \(amount)")
        }
        return amount
    }
}

extension StoredValues {
    /// A days column (hold, expiry).
    static func days(_ row: Row, column: String) throws -> Int64 {
        let days = try row.decode(Int64.self, forColumn: column)
        guard LedgerLimits.merchantDays.contains(days) else {
            throw LedgerStoreError(.corruptRow, "column \(column) holds \(days) days")
        }
        return days
    }
}
