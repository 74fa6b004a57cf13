import Foundation
import H2

/// Throw-away TLS certificates made by `Tests/make-test-certificates.sh` (the generator the
/// interop tests use too) in a temporary directory, once per test process.
///
/// ```swift
/// let certificates = try TestCertificates.shared()
/// let credentials = try TLSServerCredentials(certificates.server())
/// ```
public struct TestCertificates: Sendable {
    /// The directory holding `ca.pem`, `server.pem`, `client.pem` and the rest.
    public let directory: String

    /// Every suite shares one set: making them costs a few openssl runs.
    private static let made: Result<TestCertificates, TestCertificateError> = make()

    /// The shared set, made on first use.
    ///
    /// - Throws: ``TestCertificateError`` when openssl is missing or fails.
    public static func shared() throws -> TestCertificates { try made.get() }

    /// The path of `name` (`ca.pem`, `client.key`, …).
    public func path(_ name: String) -> String { directory + "/" + name }

    /// The server's identity: `server.pem` for 127.0.0.1 and localhost, signed by `ca.pem`.
    public func server(clientCA: String? = nil, handshakeTimeout: Duration = .seconds(10))
        -> TLSServerConfiguration
    {
        TLSServerConfiguration(
            certificateChainPath: path("server.pem"), privateKeyPath: path("server.key"),
            clientCAPath: clientCA.map(path), handshakeTimeout: handshakeTimeout)
    }

    /// A client that trusts `ca.pem`, with the client certificate `identity` (`client`,
    /// `other-client`) when given.
    public func client(identity: String? = nil, serverName: String? = nil)
        -> TLSClientConfiguration
    {
        TLSClientConfiguration(
            trustRootsPath: path("ca.pem"), certificateChainPath: identity.map { path("\($0).pem") },
            privateKeyPath: identity.map { path("\($0).key") }, serverName: serverName)
    }

    private static func make() -> Result<TestCertificates, TestCertificateError> {
        let script = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("make-test-certificates.sh").path
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("cashback-certificates-\(UUID().uuidString)").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [script, directory]
        let errors = Pipe()
        process.standardError = errors
        do {
            try process.run()
        } catch {
            return .failure(TestCertificateError(message: "cannot run \(script): \(error)"))
        }
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: output, as: UTF8.self)
            return .failure(TestCertificateError(message: "\(script) failed: \(text)"))
        }
        return .success(TestCertificates(directory: directory))
    }
}

/// The test certificates could not be made (is the openssl CLI installed?).
public struct TestCertificateError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
