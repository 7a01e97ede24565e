/// Strict UTF-8 validation (RFC 3629, the Unicode "well-formed" table): no overlong forms, no
/// surrogates (U+D800-U+DFFF), nothing above U+10FFFF, no truncated sequences.
///
/// Dictionary entries and `extra` texts are UTF-8 by the format (format-spec §2, §5.4); a writer bug
/// or a crafted file may break that, and an exporter copying the bytes would then write invalid
/// JSON. Cost: one pass; eight ASCII bytes are checked per step until a non-ASCII byte appears.
public enum UTF8Validation {
    /// The offset of the first byte of the first ill-formed sequence in `bytes`, or nil when all
    /// of `bytes` is well-formed UTF-8.
    public static func firstInvalidOffset(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let n = bytes.count
        var i = 0
        while i < n {
            if i + 8 <= n, bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
                continue
            }
            let c = bytes[i]
            if c < 0x80 {
                i += 1
                continue
            }
            // Length and the allowed range of the second byte, by the lead byte.
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch c {
            case 0xC2...0xDF: length = 2
            case 0xE0: (length, low) = (3, 0xA0)
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: (length, high) = (3, 0x9F)
            case 0xF0: (length, low) = (4, 0x90)
            case 0xF1...0xF3: length = 4
            case 0xF4: (length, high) = (4, 0x8F)
            default: return i
            }
            guard i + length <= n, bytes[i + 1] >= low, bytes[i + 1] <= high else { return i }
            var k = 2
            while k < length {
                guard bytes[i + k] & 0xC0 == 0x80 else { return i }
                k += 1
            }
            i += length
        }
        return nil
    }

    /// True when no byte of `bytes` is 0x80 or above (then every split of it is valid UTF-8).
    public static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let n = bytes.count
        var i = 0
        while i + 8 <= n {
            if bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            i += 8
        }
        while i < n {
            if bytes[i] >= 0x80 { return false }
            i += 1
        }
        return true
    }
}
