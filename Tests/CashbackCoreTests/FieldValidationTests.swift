import Testing

@testable import CashbackCore

/// The identifier policy (`Protocol/WIRE.md` §4.1): refuse, never normalize silently.
@Suite("Identifier validation")
struct FieldValidationTests {
    /// The rejection of `value` as the identifier `field`, or `nil` if it is accepted.
    private static func refusal(_ value: String, field: String = "memberId") -> LedgerRejection? {
        rejection { try FieldValidation.identifier(value, field: field) }
    }

    @Test(
        "accepts",
        arguments: [
            "m",  // the shortest
            "member-1",
            "shop_1.order:42/x~y",  // ASCII punctuation
            "caf\u{E9}",  // NFC: é precomposed
            "\u{C5}ngstr\u{F6}m",  // Å and ö precomposed
            "\u{AC00}",  // a precomposed Hangul syllable
            "\u{1F600}",  // an emoji (one scalar)
            "\u{2764}\u{FE0F}",  // an emoji with a variation selector (Mn, not Cf)
            "\u{4E2D}\u{6587}-\u{D55C}\u{AD6D}\u{C5B4}",  // CJK and Hangul
            "\u{FFFD}",  // the replacement character is assigned (So)
            "\u{5D0}\u{5D1}",  // right-to-left letters, without bidi controls
            String(repeating: "a", count: 128),  // exactly 128 bytes
            String(repeating: "\u{20AC}", count: 42) + "ab",  // 42 three-byte characters + 2 = 128
            String(repeating: "\u{1F600}", count: 32),  // 32 four-byte characters = 128
        ] as [String])
    func accepts(_ value: String) {
        #expect(Self.refusal(value) == nil)
    }

    @Test(
        "refuses, naming the field, the code point and the fix",
        arguments: [
            // Length, in UTF-8 bytes, checked first.
            ("", "memberId must be 1...128 UTF-8 bytes, got 0"),
            (String(repeating: "a", count: 129), "memberId must be 1...128 UTF-8 bytes, got 129"),
            (
                String(repeating: "\u{20AC}", count: 43),
                "memberId must be 1...128 UTF-8 bytes, got 129"
            ),
            (
                String(repeating: "\u{1F600}", count: 32) + "a",
                "memberId must be 1...128 UTF-8 bytes, got 129"
            ),
            // A long id is refused for its length before anything else about it.
            (
                String(repeating: " ", count: 129),
                "memberId must be 1...128 UTF-8 bytes, got 129"
            ),
            // Control characters (Cc), with the message they have always had.
            ("a\u{0}b", "memberId must not contain control characters, found U+0000"),
            ("a\u{9}b", "memberId must not contain control characters, found U+0009"),
            ("a\u{7F}", "memberId must not contain control characters, found U+007F"),
            ("a\u{85}", "memberId must not contain control characters, found U+0085"),
            // Format characters (Cf): invisible.
            ("a\u{200B}b", Self.format("200B")),  // zero width space
            ("a\u{200C}b", Self.format("200C")),  // zero width non-joiner
            ("a\u{200D}b", Self.format("200D")),  // zero width joiner
            ("\u{1F468}\u{200D}\u{1F469}", Self.format("200D")),  // a ZWJ emoji sequence
            ("a\u{2060}b", Self.format("2060")),  // word joiner
            ("\u{FEFF}member", Self.format("FEFF")),  // byte order mark
            ("a\u{AD}b", Self.format("00AD")),  // soft hyphen
            ("a\u{200E}b", Self.format("200E")),  // left-to-right mark
            ("a\u{202E}b", Self.format("202E")),  // right-to-left override
            ("a\u{2066}b", Self.format("2066")),  // left-to-right isolate
            ("a\u{E0041}", Self.format("E0041")),  // a tag character
            // Whitespace (White_Space), wherever it is.
            (" member", Self.whitespace("0020")),
            ("member ", Self.whitespace("0020")),
            ("mem ber", Self.whitespace("0020")),
            (" ", Self.whitespace("0020")),
            ("a\u{A0}b", Self.whitespace("00A0")),  // no-break space
            ("a\u{1680}b", Self.whitespace("1680")),  // ogham space mark
            ("a\u{2007}b", Self.whitespace("2007")),  // figure space
            ("a\u{2028}b", Self.whitespace("2028")),  // line separator
            ("a\u{2029}b", Self.whitespace("2029")),  // paragraph separator
            ("a\u{202F}b", Self.whitespace("202F")),  // narrow no-break space
            ("a\u{3000}b", Self.whitespace("3000")),  // ideographic space
            // Noncharacters (a Swift literal cannot spell them).
            ("a" + Self.scalar(0xFDD0), Self.refused("noncharacters", "FDD0")),
            ("a" + Self.scalar(0xFFFE), Self.refused("noncharacters", "FFFE")),
            ("a" + Self.scalar(0xFFFF), Self.refused("noncharacters", "FFFF")),
            ("a" + Self.scalar(0x1FFFE), Self.refused("noncharacters", "1FFFE")),
            ("a" + Self.scalar(0x10FFFF), Self.refused("noncharacters", "10FFFF")),
            // Private use (Co).
            ("a\u{E000}", Self.refused("private-use characters (Unicode category Co)", "E000")),
            ("a\u{F8FF}", Self.refused("private-use characters (Unicode category Co)", "F8FF")),
            ("a\u{F0000}", Self.refused("private-use characters (Unicode category Co)", "F0000")),
            // Unassigned (Cn).
            ("a\u{378}", Self.refused("unassigned code points (Unicode category Cn)", "0378")),
            ("a\u{E0080}", Self.refused("unassigned code points (Unicode category Cn)", "E0080")),
            // The first offending code point is named, whatever its kind.
            ("a b\u{200B}", Self.whitespace("0020")),
            ("a\u{200B} b", Self.format("200B")),
            // Not NFC: decomposed, or a singleton NFC replaces.
            ("cafe\u{301}", Self.notNFC("U+0065 U+0301", "U+00E9")),
            ("A\u{30A}ngstr\u{F6}m", Self.notNFC("U+0041 U+030A", "U+00C5")),
            ("\u{212B}", Self.notNFC("U+212B", "U+00C5")),  // ANGSTROM SIGN
            ("\u{2126}", Self.notNFC("U+2126", "U+03A9")),  // OHM SIGN
            ("\u{1100}\u{1161}", Self.notNFC("U+1100 U+1161", "U+AC00")),  // Hangul jamo
            ("q\u{307}\u{323}", Self.notNFC("U+0307 U+0323", "U+0323 U+0307")),  // mark order
        ] as [(String, String)])
    func refuses(_ value: String, _ message: String) {
        #expect(Self.refusal(value) == LedgerRejection(.invalidArgument, message))
    }

    @Test("NFC and NFD spellings of one name are not two ids: the NFD one is refused")
    func canonicallyEquivalentSpellings() {
        let precomposed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        #expect(precomposed == decomposed)  // Swift compares by canonical equivalence...
        #expect(!precomposed.utf8.elementsEqual(decomposed.utf8))  // ...the ledger by bytes.
        #expect(Self.refusal(precomposed, field: "merchantId") == nil)
        #expect(
            Self.refusal(decomposed, field: "merchantId")?.message
                == "merchantId must be in Unicode NFC (normalize it before sending); "
                + "found U+0065 U+0301, which NFC writes as U+00E9"
        )
    }

    @Test("a long run that is not NFC is named in part")
    func longRunIsCut() {
        let decomposed = String(repeating: "e\u{301}", count: 10)
        let message = Self.refusal(decomposed)?.message ?? ""
        #expect(
            message.hasSuffix(
                "found U+0065 U+0301 U+0065 U+0301 U+0065 U+0301 U+0065 U+0301 …, which NFC "
                    + "writes as U+00E9 U+00E9 U+00E9 U+00E9 U+00E9 U+00E9 U+00E9 U+00E9 …")
        )
    }

    @Test("every id of the public commands follows the policy")
    func publicCommandsUseThePolicy() {
        #expect(
            rejection { try OrderReference(merchantID: "shop\u{200B}", orderID: "o") }?.message
                == "merchantId must not contain invisible format characters (Unicode category "
                + "Cf), found U+200B; remove it"
        )
        #expect(
            rejection { try OrderReference(merchantID: "shop", orderID: "order 1") }?.message
                == "orderId must not contain whitespace, found U+0020; remove it, or write '-' "
                + "or '_' instead"
        )
        #expect(
            rejection { try BalanceQuery(memberID: "ne\u{301}e", currency: "EUR") }?.message
                == "memberId must be in Unicode NFC (normalize it before sending); found U+0065 "
                + "U+0301, which NFC writes as U+00E9"
        )
        #expect(rejection { try BalanceQuery(memberID: "n\u{E9}e", currency: "EUR") } == nil)
    }

    @Test("display names keep their own rule: spaces and NFD are accepted, controls are not")
    func displayTextIsNotAnIdentifier() {
        func refusal(_ name: String) -> LedgerRejection? {
            rejection {
                try FieldValidation.text(name, field: "name", bytes: LedgerLimits.merchantNameBytes)
            }
        }
        #expect(refusal("Caf\u{E9} Ol\u{E9}") == nil)
        #expect(refusal("Cafe\u{301}") == nil)
        #expect(refusal(" a\u{200B}b\u{A0}") == nil)
        #expect(
            refusal("a\u{1B}b")
                == LedgerRejection(
                    .invalidArgument, "name must not contain control characters, found U+001B")
        )
    }

    /// The code point `value` as a string.
    private static func scalar(_ value: UInt32) -> String {
        String(Unicode.Scalar(value)!)
    }

    private static func refused(_ kind: String, _ hex: String) -> String {
        "memberId must not contain \(kind), found U+\(hex); remove it"
    }

    private static func format(_ hex: String) -> String {
        refused("invisible format characters (Unicode category Cf)", hex)
    }

    private static func whitespace(_ hex: String) -> String {
        "memberId must not contain whitespace, found U+\(hex); remove it, or write '-' or '_' "
            + "instead"
    }

    private static func notNFC(_ found: String, _ nfc: String) -> String {
        "memberId must be in Unicode NFC (normalize it before sending); found \(found), which "
            + "NFC writes as \(nfc)"
    }
}
