import ArgumentParser
import CashbackClient

/// The probe's command line, grpcurl-style: flags, then `[ADDRESS] VERB [ARGUMENT]`.
struct ProbeOptions: ParsableArguments {
    static let usage = """
        cashback-probe [TLS FLAGS | --plaintext] HOST:PORT list [SERVICE]
        cashback-probe [TLS FLAGS | --plaintext] HOST:PORT describe SYMBOL
        cashback-probe [TLS FLAGS | --plaintext] HOST:PORT call METHOD -d JSON
        cashback-probe [TLS FLAGS | --plaintext] HOST:PORT health [SERVICE]
        cashback-probe encode METHOD -d JSON
        """

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

    @Argument(help: "[HOST:PORT] VERB [ARGUMENT]: verbs are list, describe, call, health, encode.")
    var words: [String] = []

    static let configuration = CommandConfiguration(
        commandName: "cashback-probe",
        abstract: "Talk to a Cashback server: list, describe, call, health, encode.",
        usage: usage,
        discussion: """
            JSON uses lower camel case field names (memberId); int64 values are JSON numbers \
            (strings holding a decimal integer are accepted); enums are names (PENDING). \
            Without --plaintext the probe connects over TLS with ALPN h2 and verifies the \
            server's certificate for the host it connects to. \
            Exit status: 0 on success, 64 + the gRPC status code when a call fails \
            (69 = NOT_FOUND, 78 = UNAVAILABLE), 2 for usage errors, 1 for other failures. \
            A server-streaming method prints one JSON object per message as it arrives; \
            a status other than OK after some messages still exits 64 + its code.
            """,
        version: CashbackRelease.version)
}
