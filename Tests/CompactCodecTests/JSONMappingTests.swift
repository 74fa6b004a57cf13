import CashbackAPI
import CompactCodec
import Foundation
import Testing

@Suite struct JSONMappingTests {
    private func decode<M: Decodable>(_ type: M.Type, _ json: String) throws -> M {
        try JSONDecoder().decode(M.self, from: Data(json.utf8))
    }

    @Test func int64AcceptsNumbersAndDecimalStrings() throws {
        let fromNumber = try decode(CashbackV1.GetBalanceResponse.self, #"{"pendingMinor": 9223372036854775807}"#)
        let fromString = try decode(CashbackV1.GetBalanceResponse.self, #"{"pendingMinor": "9223372036854775807"}"#)
        #expect(fromNumber.pendingMinor == Int64.max)
        #expect(fromString == fromNumber)
    }

    @Test(arguments: [
        #"{"pendingMinor": 1.5}"#, #"{"pendingMinor": "12abc"}"#,
        #"{"pendingMinor": 9223372036854775808}"#, #"{"pendingMinor": true}"#,
        #"{"pendingMinor": "+5"}"#, #"{"pendingMinor": " 5"}"#, #"{"pendingMinor": ""}"#,
        #"{"pendingMinor": "-"}"#, #"{"pendingMinor": "1.0"}"#,
    ])
    func badIntegersAreRejected(_ json: String) {
        #expect(throws: DecodingError.self) { try decode(CashbackV1.GetBalanceResponse.self, json) }
    }

    /// Strings: digits, after a minus sign for a negative value; numbers: any whose value is
    /// an integer (WIRE.md §6).
    @Test(arguments: [
        (#"{"pendingMinor": "-5"}"#, Int64(-5)), (#"{"pendingMinor": "007"}"#, 7),
        (#"{"pendingMinor": "-9223372036854775808"}"#, .min), (#"{"pendingMinor": 5.0}"#, 5),
    ])
    func integersInTheirAcceptedForms(_ json: String, _ value: Int64) throws {
        #expect(try decode(CashbackV1.GetBalanceResponse.self, json).pendingMinor == value)
    }

    @Test func unknownFieldNamesAreRejected() {
        #expect(throws: DecodingError.self) {
            try decode(CashbackV1.GetBalanceRequest.self, #"{"memberID": "m1"}"#)
        }
    }

    @Test func enumsAreNamesAndUnknownNamesAreRejected() throws {
        let state = try decode(CashbackV1.AccrualStateResponse.self, #"{"state": "CONFIRMED"}"#)
        #expect(state.state == .confirmed)
        #expect(throws: DecodingError.self) {
            try decode(CashbackV1.AccrualStateResponse.self, #"{"state": "DONE"}"#)
        }
    }

    @Test func missingFieldsTakeTheirDefaults() throws {
        #expect(try decode(CashbackV1.AccrueRequest.self, "{}") == CashbackV1.AccrueRequest())
    }
}
