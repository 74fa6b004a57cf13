// balance-check: prints a member's balance, the way an app would call Cashback.
//
//   export CASHBACK_TOKEN=$(cat .cashback-dev-token)      # a token with the wallet or read scope
//   swift run --package-path Examples/BalanceCheck balance-check 127.0.0.1 50051 m1 EUR
//   swift run --package-path Examples/BalanceCheck balance-check ledger.internal 50051 m1 EUR ca.pem
//
// Arguments: HOST PORT MEMBER CURRENCY [CA_PEM]; with CA_PEM the connection is TLS, verified
// against that CA, else cleartext h2c (a token is only ever sent so to a loopback address).
import CashbackClient
import Foundation

let arguments = CommandLine.arguments.dropFirst()
guard (4...5).contains(arguments.count), let port = Int(arguments[arguments.startIndex + 1]) else {
    FileHandle.standardError.write(Data("usage: balance-check HOST PORT MEMBER CURRENCY [CA_PEM]\n".utf8))
    exit(2)
}
let host = arguments[arguments.startIndex]
let member = arguments[arguments.startIndex + 2]
let currency = arguments[arguments.startIndex + 3]
let tls = arguments.count == 5
    ? TLSClientConfiguration(trustRootsPath: arguments[arguments.startIndex + 4]) : nil

do {
    let client = try await CashbackClient.connect(
        host: host, port: port, tls: tls,
        token: ProcessInfo.processInfo.environment["CASHBACK_TOKEN"])
    defer { Task { await client.close() } }
    // Every call takes options: a deadline for the whole call, and extra metadata.
    let balance = try await client.wallet.getBalance(
        .init(memberID: member, currency: currency),
        options: CallOptions(timeout: .seconds(5), metadata: Metadata([("x-request-id", "bc-1")])))
    // Amounts are integers in minor units of the currency (cents for EUR).
    print("\(member): available \(balance.availableMinor), pending \(balance.pendingMinor) \(currency) minor units")
} catch let error as TLSError {
    // connect could not use a TLS file (here the CA): no retry mends that.
    print("fix the TLS files: \(error.message)")
    exit(1)
} catch let error as RPCError {
    // Every failure of a call is an RPCError: switch on its code to decide what to do.
    switch error.code {
    case .unauthenticated, .permissionDenied:
        print("check the token (CASHBACK_TOKEN): \(error.message)")
    case .invalidArgument:
        print("fix the request: \(error.message)")
    case .unavailable, .deadlineExceeded:
        print("the server did not answer; try again later: \(error.message)")
    default:
        print("\(error.code.name): \(error.message)")
    }
    exit(1)
}
