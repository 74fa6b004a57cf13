import ArgumentParser
import CashbackClient

/// The probe's command line, grpcurl-style: flags, then `[ADDRESS] VERB [ARGUMENT]`.
struct ProbeOptions: ParsableArguments {
    static let usage = """
        cashback-probe [FLAGS] HOST:PORT list [SERVICE]
        cashback-probe [FLAGS] HOST:PORT describe SYMBOL
        cashback-probe [FLAGS] HOST:PORT call METHOD -d JSON
        cashback-probe [FLAGS] HOST:PORT health [SERVICE]
        cashback-probe encode METHOD -d JSON > frame.bin
        cashback-probe [--format text|json] decode MESSAGE|METHOD < frame.bin
        cashback-probe [FLAGS] HOST:PORT bench METHOD -d JSON (-n N | -z DURATION)
                       [-c CONNECTIONS] [-m CALLS] [--seed SEED]
        FLAGS: --plaintext or TLS (--cacert, --insecure, --cert, --key), --token, -H, -v,
               --format text|json, --max-time, --connect-timeout (see --help)
        """

    /// The whole help: what the tool does, its verbs with examples, its exit statuses, then
    /// its options.
    static func help() -> String {
        let options = helpMessage(columns: 100)
        let optionsPart = options.range(of: "OPTIONS:").map { String(options[$0.lowerBound...]) }
            ?? options
        return "OVERVIEW: \(configuration.abstract)\n\nUSAGE:\n"
            + usage.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
            + "\n\n\(configuration.discussion)\n\n\(optionsPart)"
    }

    @Flag(help: "Use cleartext HTTP/2 (h2c) instead of TLS.")
    var plaintext = false

    @Option(
        help: """
            The bearer token to send (from `cashbackd token create`); default: the \
            CASHBACK_TOKEN environment variable, which keeps it out of the process list.
            """)
    var token: String?
    @Option(help: "PEM CA certificates to trust for the server (default: the system's roots).")
    var cacert: String?

    @Flag(help: "Do not verify the server's certificate (self-signed development certificates).")
    var insecure = false

    @Option(help: "PEM client certificate chain, for servers that require mutual TLS.")
    var cert: String?

    @Option(help: "PEM private key of --cert.")
    var key: String?

    @Option(name: [.customShort("d"), .customLong("data")],
            help: "The request as JSON; '@' reads standard input, '@FILE' a file.")
    var data: String?

    @Option(name: [.customShort("H"), .customLong("header")],
            help: "Request metadata as 'name: value'; may be repeated.")
    var headers: [String] = []

    @Option(
        help: """
            Seconds the whole call may take (sent as grpc-timeout). (default: 30, and 600 for \
            a server-streaming call)
            """)
    var maxTime: Double?

    @Option(help: "Seconds to wait for the connection.")
    var connectTimeout: Double = 10

    @Flag(help: "Print the probe's version and exit.")
    var version = false

    @Flag(
        name: [.customShort("v"), .customLong("verbose")],
        help: """
            Print each call's request headers (the token redacted), response headers, trailers \
            and timings to standard error.
            """)
    var verbose = false

    @Option(
        help: ArgumentHelp(
            """
            text (for people) or json (one JSON value a line on standard output, errors as \
            {"error":…} on standard error). (default: text)
            """, valueName: "text|json"))
    var format: String?

    // MARK: bench

    @Option(
        name: .customShort("c"),
        help: ArgumentHelp("bench: connections to open. (default: 1)", valueName: "connections"))
    var connections: Int?

    @Option(
        name: .customShort("m"),
        help: ArgumentHelp("bench: concurrent calls on each connection. (default: 1)", valueName: "calls"))
    var callsPerConnection: Int?

    @Option(
        name: .customShort("n"),
        help: ArgumentHelp("bench: calls to make in all (or -z).", valueName: "calls"))
    var total: Int?

    @Option(
        name: .customShort("z"),
        help: ArgumentHelp("bench: how long to call, e.g. 10s, 500ms, 1m (or -n).", valueName: "duration"))
    var duration: String?

    @Option(
        help: ArgumentHelp(
            """
            bench: the seed of {{random:N}} in -d, 0 to 18446744073709551615; the same seed \
            draws the same values. (default: random; the report shows the seed used)
            """, valueName: "seed"))
    var seed: UInt64?

    @Argument(help: "[HOST:PORT] VERB [ARGUMENT]: verbs are list, describe, call, health, encode, decode, bench.")
    var words: [String] = []

    static let configuration = CommandConfiguration(
        commandName: "cashback-probe",
        abstract: """
            Talk to a Cashback server: list, describe, call, health, bench; encode and decode \
            frames.
            """,
        usage: usage,
        discussion: """
            VERBS (HOST:PORT first for those that talk to a server)
              list [SERVICE]        the services and methods the server answers
                                    cashback-probe --plaintext 127.0.0.1:50051 list
              describe SYMBOL       a service, method or message of the schema
                                    cashback-probe --plaintext 127.0.0.1:50051 describe \
            cashback.v1.Wallet/GetBalance
              call METHOD -d JSON   one call; a server-streaming method prints one JSON
                                    object per message as it arrives
                                    cashback-probe --plaintext 127.0.0.1:50051 call \
            cashback.v1.Wallet/GetBalance -d '{"memberId":"m1","currency":"EUR"}'
              health [SERVICE]      grpc.health.v1.Health/Check (no token needed)
                                    cashback-probe --plaintext 127.0.0.1:50051 health
              encode METHOD -d JSON the request as a length-prefixed frame, for curl and h2load
                                    cashback-probe encode cashback.v1.Wallet/GetBalance \
            -d '{"memberId":"m1"}' > body.bin
              decode MESSAGE|METHOD standard input (a frame or a bare payload) as JSON: the \
            message, or the method's response
                                    cashback-probe decode cashback.v1.GetBalanceResponse \
            < response.bin
              bench METHOD -d JSON  a load run: -c connections with -m calls in flight on each,
                                    for -n calls in all or for -z DURATION (500ms, 10s, 1m);
                                    prints the seed, the count, req/s, latency p50/p90/p99/
                                    max, a histogram and the statuses (--format json: one object,
                                    latencies in microseconds). In -d, {{n}} is the request
                                    number (0-based, unique in the run), {{worker}} the
                                    worker index (0 to c×m-1) and {{random:N}} an integer
                                    drawn uniformly, 0 ≤ value < N (N from 1 to 10^12),
                                    each worker from its own generator seeded from --seed
                                    cashback-probe --plaintext 127.0.0.1:50051 bench \
            cashback.v1.Accruals/Accrue -c 8 -m 32 -z 10s -d '{"merchantId":"shop-1",\
            "orderId":"bench-{{n}}","memberId":"m{{worker}}","amountMinor":1000,"currency":"EUR",\
            "orderedAtMs":1700000000000}'
                                    cashback-probe --plaintext 127.0.0.1:50051 bench \
            cashback.v1.Wallet/GetBalance -c 8 -m 32 -z 10s --seed 7 \
            -d '{"memberId":"member-{{random:10000}}","currency":"EUR"}'

            JSON uses lower camel case field names (memberId); int64 values are JSON numbers \
            (strings holding a decimal integer are accepted); enums are names (PENDING). \
            Without --plaintext the probe connects over TLS with ALPN h2 and verifies the \
            server's certificate for the host it connects to. Each call has a deadline: 30 s, \
            600 s for a server-streaming one (--max-time), and connecting has its own \
            (--connect-timeout, 10 s).

            -v (list, describe, call, health) prints to standard error what went over the wire: \
            '* connected to 127.0.0.1:50051 (h2c) in 0.412 ms', the request headers ('> \
            :path: /cashback.v1.Wallet/GetBalance', 'authorization: Bearer <redacted>'), the \
            response headers and trailers ('< grpc-status: 0') with the time since the \
            request, and the total; with --format json, one {"call":…} line.
                                    cashback-probe -v --plaintext 127.0.0.1:50051 health

            --format json prints each result as one JSON value on a line of its own: a \
            call's messages (one line each, as they arrive), {"services":[…]} for list, \
            {"kind":…,"name":…} for describe, {"status":"SERVING"} for health, the bench \
            report; an error is one line on standard error, \
            {"error":{"code":"NOT_FOUND","grpcCode":5,"message":"…","exitCode":69}} (code \
            USAGE for a usage error, ERROR for another failure).
                                    cashback-probe --format json --plaintext 127.0.0.1:50051 \
            call cashback.v1.Wallet/GetBalance -d '{"memberId":"m1","currency":"EUR"}'

            EXIT STATUS: 0 on success; 64 + the gRPC status code when a call fails (69 \
            NOT_FOUND, 72 RESOURCE_EXHAUSTED, 78 UNAVAILABLE, 80 UNAUTHENTICATED; also after \
            some messages of a stream); 2 for usage errors, found before anything is sent \
            (flags, bad JSON, an unknown method, a header the transport owns); 1 for other \
            failures (health not SERVING). bench exits 0 when the run completed, whatever the \
            statuses it counted; a request template that renders as a bad request only for a \
            later call (a {{random:N}} too large for its field) stops the run with exit 2.
            """,
        version: CashbackRelease.version)
}
