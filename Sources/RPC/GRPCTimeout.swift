/// The `grpc-timeout` header: 1 to 8 ASCII digits and a unit, `H` `M` `S` `m` `u` `n`
/// (grpc/grpc `doc/PROTOCOL-HTTP2.md`, "Timeout").
public enum GRPCTimeout {
    /// Parses a header value; `nil` when it is malformed.
    public static func parse(_ value: String) -> Duration? {
        let utf8 = Array(value.utf8)
        guard utf8.count >= 2, utf8.count <= 9, let unit = utf8.last else { return nil }
        var amount: Int64 = 0
        for byte in utf8.dropLast() {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            amount = amount * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        switch unit {
        case UInt8(ascii: "H"): return .seconds(amount * 3600)
        case UInt8(ascii: "M"): return .seconds(amount * 60)
        case UInt8(ascii: "S"): return .seconds(amount)
        case UInt8(ascii: "m"): return .milliseconds(amount)
        case UInt8(ascii: "u"): return .microseconds(amount)
        case UInt8(ascii: "n"): return .nanoseconds(amount)
        default: return nil
        }
    }

    /// Formats a duration as a header value, in the finest unit that fits eight digits.
    public static func format(_ duration: Duration) -> String {
        // A deadline already past is sent as zero. Checking `components.seconds` alone is not
        // enough: between -1 s and 0 the seconds are 0 and only the attoseconds are negative.
        guard duration > .zero else { return "0n" }
        let (seconds, attoseconds) = duration.components
        // Saturating: a duration past Int64 nanoseconds (292 years) is sent as the largest.
        let nanoseconds = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let sum = nanoseconds.partialValue.addingReportingOverflow(attoseconds / 1_000_000_000)
        let total = nanoseconds.overflow || sum.overflow ? Int64.max : sum.partialValue
        let units: [(Int64, String)] = [
            (1, "n"), (1000, "u"), (1_000_000, "m"), (1_000_000_000, "S"),
            (60_000_000_000, "M"), (3_600_000_000_000, "H"),
        ]
        for (scale, unit) in units {
            // Round up so that the server never sees a shorter deadline than asked for.
            let amount = total / scale + (total % scale == 0 ? 0 : 1)
            if amount < 100_000_000 { return "\(amount)\(unit)" }
        }
        return "99999999H"
    }
}

/// Percent-encoding of `grpc-message` (grpc/grpc `doc/PROTOCOL-HTTP2.md`, "Status-Message"):
/// bytes outside `%x20-%x7E`, and `%` itself, are sent as `%XX` of their UTF-8.
public enum GRPCMessageEncoding {
    /// Encodes a status message for the `grpc-message` trailer.
    public static func encode(_ message: String) -> String {
        var out = ""
        for byte in message.utf8 {
            if byte >= 0x20 && byte <= 0x7e && byte != UInt8(ascii: "%") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return out
    }

    /// Decodes a `grpc-message` value; malformed escapes are kept as they are (a decoder must
    /// never fail on a bad message).
    public static func decode(_ value: String) -> String {
        let bytes = Array(value.utf8)
        var out = [UInt8]()
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
