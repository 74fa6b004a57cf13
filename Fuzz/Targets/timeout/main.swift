// Fuzz target: the `grpc-timeout` header (`GRPCTimeout.parse` and `format`).
//
// Input: the header value's bytes (invalid UTF-8 becomes U+FFFD, as in a String from the
// wire). `parse` is checked against the grammar of `doc/PROTOCOL-HTTP2.md`:
//   Timeout → TimeoutValue TimeoutUnit; TimeoutValue → {positive integer as ASCII string of at
//   most 8 digits}; TimeoutUnit → Hour / Minute / Second / Millisecond / Microsecond / Nanosecond
// and against a value computed another way. When the input holds nine bytes or more, its first
// eight are also a duration (nanoseconds, or seconds when byte 8 is odd) for `format`, whose
// value must parse back no shorter (up to the saturation past Int64 nanoseconds) and less
// than one of its unit longer, in the finest unit that fits eight digits.

import RPC

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    SeedWriter.runIfAsked { _ in timeoutSeeds }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    let value = String(decoding: input, as: UTF8.self)
    let parsed = GRPCTimeout.parse(value)
    let expected = referenceParse(Array(value.utf8))
    fuzzCheck(
        parsed == expected,
        "'\(value)' parses to \(String(describing: parsed)), "
            + "expected \(String(describing: expected))"
    )
    if input.count >= 9 {
        let raw = input[0..<8].reversed().reduce(Int64(0)) { $0 << 8 | Int64($1) }
        checkFormat(input[8] & 1 == 0 ? .nanoseconds(raw) : .seconds(raw))
    }
    return 0
}

/// Scale of each unit in nanoseconds.
private let unitNanoseconds: [UInt8: Int64] = [
    UInt8(ascii: "n"): 1, UInt8(ascii: "u"): 1_000, UInt8(ascii: "m"): 1_000_000,
    UInt8(ascii: "S"): 1_000_000_000, UInt8(ascii: "M"): 60_000_000_000,
    UInt8(ascii: "H"): 3_600_000_000_000,
]

private func referenceParse(_ bytes: [UInt8]) -> Duration? {
    guard let unit = bytes.last, let scale = unitNanoseconds[unit] else { return nil }
    let digits = bytes.dropLast()
    guard (1...8).contains(digits.count), digits.allSatisfy({ (48...57).contains($0) }) else {
        return nil
    }
    let amount = Int64(String(decoding: digits, as: UTF8.self))!
    // 99999999H is 3.6e20 ns, past Int64: split into seconds and the nanoseconds left over.
    let nanoseconds = Int128(amount) * Int128(scale)
    return Duration(
        secondsComponent: Int64(nanoseconds / 1_000_000_000),
        attosecondsComponent: Int64(nanoseconds % 1_000_000_000) * 1_000_000_000
    )
}

private func checkFormat(_ duration: Duration) {
    let text = GRPCTimeout.format(duration)
    let bytes = Array(text.utf8)
    guard let back = referenceParse(bytes) else {
        fatalError("format(\(duration)) is '\(text)', which is no valid grpc-timeout")
    }
    fuzzCheck(GRPCTimeout.parse(text) == back, "'\(text)' parses to another value")
    guard duration > .zero else {
        fuzzCheck(back == .zero, "format(\(duration)) is '\(text)', not zero")
        return
    }
    // Past Int64 nanoseconds (292 years) the value saturates: any deadline that long is as
    // good as none.
    let saturation = Duration.nanoseconds(Int64.max)
    let target = min(duration, saturation)
    let scale = unitNanoseconds[bytes.last!]!
    fuzzCheck(back >= target, "format(\(duration)) is '\(text)', shorter")
    fuzzCheck(
        back - target < .nanoseconds(scale),
        "format(\(duration)) is '\(text)', a unit or more longer"
    )
    // The finest unit that fits: in the next finer one the amount has nine digits.
    if let finer = unitNanoseconds.values.filter({ $0 < scale }).max() {
        let (seconds, attoseconds) = target.components
        let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        let finerAmount = nanoseconds / finer + (nanoseconds % finer == 0 ? 0 : 1)
        fuzzCheck(finerAmount >= 100_000_000, "format(\(duration)) is '\(text)', not the finest")
    }
}

/// Header values, valid and not, then durations for `format` (eight bytes and the unit byte).
private let timeoutSeeds: [(name: String, bytes: [UInt8])] = headerSeeds + formatSeeds

private let headerSeeds = [
    "1S", "100m", "5M", "2H", "7u", "99999999n", "99999999H", "0n", "00000001m", "123456789S",
    "1s", "-1S", "1.5S", " 1S", "１S",
].map { (name: $0, bytes: Array($0.utf8)) }

private let formatSeeds: [(name: String, bytes: [UInt8])] = [
    ("format-1500ms", [0x00, 0x2f, 0x68, 0x59, 0, 0, 0, 0, 0]),
    ("format-max-seconds", [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1]),
    ("format-negative", [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0]),
]
