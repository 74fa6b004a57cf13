import Foundation

/// State behind Foundation's `NSLock` (a pthread mutex), for this module's few shared values.
///
/// Not `Synchronization.Mutex`: ThreadSanitizer does not see that lock on Linux and reports
/// the state it guards as raced. Not NIO's `NIOLockedValueBox` either: this module stays free
/// of NIO, so that the fuzz targets compile it on its own with `swiftc`.
final class LockedState<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` with the value, under the lock.
    func withLockedValue<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
