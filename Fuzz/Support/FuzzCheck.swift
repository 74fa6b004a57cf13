/// Stops the run with `message` when `condition` is false.
///
/// `precondition` would do in `-O`, but keeps no message there; a finding should say which
/// invariant broke. libFuzzer sees the trap as a crash and saves the input.
func fuzzCheck(
    _ condition: Bool,
    _ message: @autoclosure () -> String,
    file: StaticString = #file,
    line: UInt = #line
) {
    if !condition { fatalError(message(), file: file, line: line) }
}

/// The fuzz input as an array, so that targets can slice it.
func fuzzBytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: size))
}
