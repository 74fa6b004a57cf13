import RPC
import Testing

/// `grpc-retry-pushback-ms` as gRFC A6 reads it.
@Suite struct RPCErrorRetryPushbackTests {
    @Test(arguments: [
        ("250", RPCError.RetryPushback.retryAfter(.milliseconds(250))),
        ("0", .retryAfter(.zero)),
        ("-1", .doNotRetry), ("", .doNotRetry), ("1.5", .doNotRetry), (" 5", .doNotRetry),
        ("+5", .doNotRetry), ("99999999999999999999", .doNotRetry),
        ("2147483647", .retryAfter(.milliseconds(2_147_483_647))),
        ("2147483648", .doNotRetry), ("9223372036854775807", .doNotRetry),
    ] as [(String, RPCError.RetryPushback)])
    func headerValuesAreReadAsA6Says(_ value: String, _ pushback: RPCError.RetryPushback) {
        #expect(RPCError.RetryPushback(headerValue: value) == pushback)
    }

    @Test func headerValuesAreWrittenInWholeMillisecondsRoundedUp() {
        #expect(RPCError.RetryPushback.retryAfter(.microseconds(1500)).headerValue == "2")
        #expect(RPCError.RetryPushback.retryAfter(.seconds(3)).headerValue == "3000")
        #expect(RPCError.RetryPushback.retryAfter(.milliseconds(-5)).headerValue == "0")
        #expect(RPCError.RetryPushback.doNotRetry.headerValue == "-1")
    }

    @Test func anErrorHasNoPushbackUnlessSet() {
        var error = RPCError(.unavailable, "restarting")
        #expect(error.retryPushback == nil)
        error.retryPushback = .doNotRetry
        #expect(error != RPCError(.unavailable, "restarting"))
    }
}
