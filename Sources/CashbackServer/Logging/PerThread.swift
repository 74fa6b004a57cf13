#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One object per thread, found without a lock: what NIO's `ThreadSpecificVariable` does, but
/// a read retains nothing other threads touch.
///
/// `ThreadSpecificVariable.currentValue` copies a tuple holding the variable itself, so every
/// read retains and releases the variable object, which every thread shares. The access log and
/// the metrics read theirs once per call on both event loops, and those reference counts moved
/// between the cores on every call: two threads observing calls took twice as long per call as
/// one (`Benchmarks/ObserverBench`). Here a read is `pthread_getspecific` and a retain of the
/// calling thread's own object.
///
/// ```swift
/// let tally = PerThread<Tally>()
/// let mine = tally.currentValue ?? {
///     let made = Tally()
///     tally.currentValue = made
///     return made
/// }()
/// ```
final class PerThread<Value: AnyObject>: @unchecked Sendable {  // `key` is set once
    private let key: pthread_key_t

    init() {
        var key = pthread_key_t()
        // At a thread's exit, its value is released.
        let status = pthread_key_create(&key) { value in
            guard let value else { return }
            Unmanaged<AnyObject>.fromOpaque(value).release()
        }
        precondition(status == 0, "pthread_key_create failed (\(status)): too many thread keys")
        self.key = key
    }

    deinit {
        // The values of threads still running are not released (as with NIO's variable):
        // these objects live as long as the server.
        pthread_key_delete(key)
    }

    /// The calling thread's value; `nil` until the thread sets one.
    var currentValue: Value? {
        @inline(__always) get {
            guard let raw = pthread_getspecific(key) else { return nil }
            return Unmanaged<Value>.fromOpaque(raw).takeUnretainedValue()
        }
        set {
            if let old = pthread_getspecific(key) { Unmanaged<Value>.fromOpaque(old).release() }
            pthread_setspecific(key, newValue.map { Unmanaged.passRetained($0).toOpaque() })
        }
    }
}
