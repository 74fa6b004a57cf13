import Foundation

/// Where a text stops being JSON, for usage errors that point at the mistake.
///
/// `JSONDecoder` says only "The given data was not valid JSON." on Linux; Foundation's
/// `JSONSerialization` reads the same grammar and names the byte where it gave up ("Invalid
/// value around character 17."), which this turns into a line and a column.
enum JSONSyntax {
    /// What is wrong with `json` and where, e.g. `invalid value at line 2, column 8 (byte 17)`;
    /// `nil` when Foundation reads it as JSON.
    static func error(in json: [UInt8]) -> String? {
        let reason: String
        do {
            _ = try JSONSerialization.jsonObject(with: Data(json), options: .fragmentsAllowed)
            return nil
        } catch {
            reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
                ?? "\(error)"
        }
        if json.allSatisfy(JSONLine.isWhitespace) {
            return "the text is empty (an empty request is '{}')"
        }
        if reason.hasPrefix("Unexpected end of file") {
            return "the text ends inside a JSON value, \(position(of: json.count, in: json))"
        }
        // "<What> around character <N>.": N counts bytes from 0.
        guard let around = reason.range(of: " around character "),
            let offset = Int(reason[around.upperBound...].prefix(while: \.isNumber)),
            (0...json.count).contains(offset)
        else { return lowercasingTheFirstLetter(reason) }
        return lowercasingTheFirstLetter(String(reason[..<around.lowerBound]))
            + " \(position(of: offset, in: json))"
    }

    /// `at line 2, column 8 (byte 17)`: line and column from 1, the column in characters.
    static func position(of offset: Int, in json: [UInt8]) -> String {
        let before = json[..<offset]
        let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        let line = before.count { $0 == UInt8(ascii: "\n") } + 1
        let column = String(decoding: json[lineStart..<offset], as: UTF8.self).count + 1
        return "at line \(line), column \(column) (byte \(offset))"
    }

    private static func lowercasingTheFirstLetter(_ text: String) -> String {
        text.prefix(1).lowercased() + text.dropFirst()
    }
}
