@testable import CashbackServer
import Dispatch
import Testing

@Suite struct PerThreadTests {
    final class Box: @unchecked Sendable {
        var value: Int
        init(_ value: Int) { self.value = value }
    }

    @Test func eachThreadSeesOnlyTheValueItSet() {
        let variable = PerThread<Box>()
        #expect(variable.currentValue == nil)
        variable.currentValue = Box(-1)
        let seen = DispatchQueue.concurrentPerform(threads: 4) { thread -> Int? in
            // A thread of the pool has no value (the calling thread, if it takes a turn, has
            // its own); each sees the value it set, whatever the others set meanwhile.
            let original = variable.currentValue
            variable.currentValue = Box(thread)
            let after = variable.currentValue?.value
            variable.currentValue = original
            return original == nil || original?.value == -1 ? after : nil
        }
        #expect(seen.sorted { ($0 ?? -9) < ($1 ?? -9) } == [0, 1, 2, 3])
        #expect(variable.currentValue?.value == -1)
    }

    @Test func replacingTheValueReleasesTheOldOne() {
        let variable = PerThread<Box>()
        weak var first: Box?
        do {
            let made = Box(1)
            first = made
            variable.currentValue = made
        }
        #expect(first != nil)
        variable.currentValue = Box(2)
        #expect(first == nil)
        variable.currentValue = nil
    }
}

extension DispatchQueue {
    /// The results of `body` on `threads` threads at once, by index.
    fileprivate static func concurrentPerform<T: Sendable>(
        threads: Int, _ body: @Sendable (Int) -> T
    ) -> [T] {
        let results = ResultSlots<T>(count: threads)
        concurrentPerform(iterations: threads) { index in results.set(index, body(index)) }
        return results.values
    }
}

/// Each slot written by one thread, read after they all ended.
private final class ResultSlots<T: Sendable>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<T?>
    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }
    deinit {
        slots.deinitialize()
        slots.deallocate()
    }
    func set(_ index: Int, _ value: T) { slots[index] = value }
    var values: [T] { slots.map { $0! } }
}
