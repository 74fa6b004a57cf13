import COpenSSL
import CashbackCore
import CashbackRepository

/// The bearer token format and its cryptography, through libcrypto.
///
/// A token reads `cbk_<id>_<secret>`: `id` is 16 hex digits, public, by which a call finds its
/// row; `secret` is 32 random bytes in base64url (43 characters). The store keeps the SHA-256
/// digest of the whole token, never the token, and a presented token is compared with it in
/// constant time (`CRYPTO_memcmp`).
public enum AccessToken {
    /// The prefix every token starts with, so that a leaked one is recognisable in a scan.
    static let prefix = "cbk_"
    /// The longest `authorization` value read; longer ones are refused unread.
    static let presentedBytesMax = 256

    /// A new token for `grant`: the plain token (shown once) and the row to store.
    ///
    /// - Throws: ``AccessTokenError`` when the system cannot supply random bytes.
    public static func generate(grant: AccessGrant, nowMilliseconds: Int64) throws
        -> (token: String, stored: StoredAccessToken)
    {
        let id = hex(try randomBytes(8))
        let token = prefix + id + "_" + base64URL(try randomBytes(32))
        let stored = StoredAccessToken(
            id: id, grant: grant, digest: digest(token), createdAtMilliseconds: nowMilliseconds,
            revokedAtMilliseconds: nil)
        return (token, stored)
    }

    /// The id part of a well-formed token, or `nil`.
    static func id(of token: String) -> String? {
        let bytes = Array(token.utf8)
        guard bytes.count == prefix.utf8.count + 16 + 1 + 43, token.hasPrefix(prefix) else {
            return nil
        }
        let id = bytes[4..<20]
        guard id.allSatisfy(isLowerHex), bytes[20] == UInt8(ascii: "_"),
            bytes[21...].allSatisfy(isBase64URL)
        else { return nil }
        return String(decoding: id, as: UTF8.self)
    }

    /// Whether `token` is the one whose digest is `digest`, in time independent of where
    /// they differ.
    static func matches(_ token: String, digest expected: [UInt8]) -> Bool {
        let actual = digest(token)
        guard actual.count == expected.count else { return false }
        return actual.withUnsafeBytes { a in
            expected.withUnsafeBytes { b in
                CRYPTO_memcmp(a.baseAddress, b.baseAddress, a.count) == 0
            }
        }
    }

    /// SHA-256 of the token's UTF-8 bytes.
    static func digest(_ token: String) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        var bytes = Array(token.utf8)
        let digested = bytes.withUnsafeMutableBytes { input in
            output.withUnsafeMutableBufferPointer { out in
                EVP_Digest(input.baseAddress, input.count, out.baseAddress, nil, sha256, nil)
            }
        }
        precondition(digested == 1, "libcrypto failed to compute a SHA-256 digest")
        return output
    }

    /// SHA-256, fetched from OpenSSL's default provider once.
    ///
    /// Every call digests its bearer token. OpenSSL 3's one-shot `SHA256()` fetches the
    /// algorithm by name each time (a property query, allocations and a hash-table lookup
    /// under a lock), which was a few microseconds of each call, more than the digest itself.
    private nonisolated(unsafe) static let sha256: OpaquePointer = {
        guard let algorithm = EVP_MD_fetch(nil, "SHA256", nil) else {
            preconditionFailure("libcrypto has no SHA-256 in its default provider")
        }
        return algorithm
    }()

    private static func randomBytes(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else {
            throw AccessTokenError("the system could not supply random bytes for a token")
        }
        return bytes
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] },
                      as: UTF8.self)
    }

    private static func base64URL(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var value: UInt32 = 0
            for byte in chunk { value = value << 8 | UInt32(byte) }
            value <<= UInt32(8 * (3 - chunk.count))
            for position in 0...chunk.count {
                output.append(alphabet[Int(value >> UInt32(18 - 6 * position)) & 63])
            }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    private static func isBase64URL(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }
}
