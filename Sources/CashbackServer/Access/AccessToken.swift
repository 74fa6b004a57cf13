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

    /// The token in an `authorization` value `Bearer <token>`, or `nil`: the scheme in any
    /// case (RFC 9110 §11.1), one space, then the token (not empty); a value longer than
    /// ``presentedBytesMax`` is not read.
    static func bearer(_ value: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        let scheme: StaticString = "bearer"
        let length = scheme.utf8CodeUnitCount
        guard value.count <= presentedBytesMax, value.count > length + 1 else { return nil }
        let start = value.startIndex
        // `| 0x20` lowers an ASCII letter's case, and matches a letter of the scheme only from
        // that letter in either case.
        for offset in 0..<length where value[start + offset] | 0x20 != scheme.utf8Start[offset] {
            return nil
        }
        guard value[start + length] == UInt8(ascii: " ") else { return nil }
        return value[(start + length + 1)...]
    }

    /// The id part of a well-formed token, or `nil`.
    static func id(of token: String) -> String? {
        id(of: ArraySlice(token.utf8))
    }

    /// The id part of a well-formed token, given as its bytes, or `nil`.
    static func id(of token: ArraySlice<UInt8>) -> String? {
        let start = token.startIndex
        guard token.count == prefix.utf8.count + 16 + 1 + 43,
            token.prefix(4).elementsEqual(prefix.utf8)
        else { return nil }
        let id = token[start + 4..<start + 20]
        guard id.allSatisfy(isLowerHex), token[start + 20] == UInt8(ascii: "_"),
            token[(start + 21)...].allSatisfy(isBase64URL)
        else { return nil }
        return String(decoding: id, as: UTF8.self)
    }

    /// Whether `token` is the one whose digest is `digest`, in time independent of where
    /// they differ.
    static func matches(_ token: String, digest expected: [UInt8]) -> Bool {
        matches(ArraySlice(token.utf8), digest: expected)
    }

    /// Whether the token given as its bytes is the one whose digest is `digest`, in time
    /// independent of where they differ.
    static func matches(_ token: ArraySlice<UInt8>, digest expected: [UInt8]) -> Bool {
        guard expected.count == Int(SHA256_DIGEST_LENGTH) else { return false }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: expected.count) { actual in
            digest(token, into: actual)
            return expected.withUnsafeBytes { expected in
                CRYPTO_memcmp(actual.baseAddress, expected.baseAddress, expected.count) == 0
            }
        }
    }

    /// SHA-256 of the token's UTF-8 bytes.
    static func digest(_ token: String) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: Int(SHA256_DIGEST_LENGTH)) { output, count in
            digest(ArraySlice(token.utf8), into: output)
            count = output.count
        }
    }

    /// Writes SHA-256 of `bytes` into `output`, which holds `SHA256_DIGEST_LENGTH` bytes.
    private static func digest(
        _ bytes: ArraySlice<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>
    ) {
        precondition(output.count == Int(SHA256_DIGEST_LENGTH))
        let digested = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, output.baseAddress, nil, sha256, nil)
        }
        precondition(digested == 1, "libcrypto failed to compute a SHA-256 digest")
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
