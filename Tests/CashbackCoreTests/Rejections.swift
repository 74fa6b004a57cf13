import CashbackCore

/// The rejection a throwing validation produced, or `nil` if it did not throw.
///
/// Takes an untyped closure because closure literals infer `throws(any Error)`; any error
/// other than a `LedgerRejection` is a test failure, reported as `nil` too.
func rejection<T>(_ body: () throws -> T) -> LedgerRejection? {
    do {
        _ = try body()
        return nil
    } catch let rejection as LedgerRejection {
        return rejection
    } catch {
        return nil
    }
}
