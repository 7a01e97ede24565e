import Crypto

/// SHA-256 (FIPS 180-4), for dataset fingerprints in report metadata: a thin wrapper over
/// swift-crypto's, which uses the CPU's SHA extensions where it has them (BoringSSL on Linux,
/// CryptoKit on Apple platforms). A fingerprint hashes whole JSONL inputs, so its speed is part
/// of every `run` from JSONL sources.
public struct SHA256: Sendable {
    private var hasher = Crypto.SHA256()

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bufferPointer: bytes) }

    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// The digest as 64 lower-case hexadecimal digits; the hasher is spent afterwards.
    public mutating func finalizeHex() -> String {
        let digest = hasher.finalize()
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in digest {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The digest of `bytes` in hexadecimal.
    public static func hex(_ bytes: [UInt8]) -> String {
        var s = SHA256()
        s.update(bytes)
        return s.finalizeHex()
    }
}
