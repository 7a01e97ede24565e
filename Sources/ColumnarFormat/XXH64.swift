/// XXH64, the 64-bit xxHash of Yann Collet (reference: github.com/Cyan4973/xxHash, `xxhash.h`).
///
/// Used for per-chunk and footer checksums and for routing request ids to partitions. Seed 0
/// everywhere in format v1. `XXH64("") == 0xEF46DB3751D8E999`.
public enum XXH64 {
    @usableFromInline static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    @usableFromInline static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    @usableFromInline static let p3: UInt64 = 0x1656_67B1_9E37_79F9
    @usableFromInline static let p4: UInt64 = 0x85EB_CA77_C2B2_AE63
    @usableFromInline static let p5: UInt64 = 0x27D4_EB2F_1656_67C5

    @inlinable @inline(__always)
    static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 &- r)) }

    @inlinable @inline(__always)
    static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        rotl(acc &+ input &* p2, 31) &* p1
    }

    @inlinable @inline(__always)
    static func merge(_ acc: UInt64, _ val: UInt64) -> UInt64 {
        (acc ^ round(0, val)) &* p1 &+ p4
    }

    /// Hashes `bytes` with `seed`.
    @inlinable
    public static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        let n = bytes.count
        guard let base = bytes.baseAddress else { return finalize(seed &+ p5, base: nil, count: 0, done: 0, len: 0) }
        var i = 0
        var h: UInt64
        if n >= 32 {
            var v1 = seed &+ p1 &+ p2
            var v2 = seed &+ p2
            var v3 = seed
            var v4 = seed &- p1
            let limit = n - 32
            while i <= limit {
                v1 = round(v1, base.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian)
                v2 = round(v2, base.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self).littleEndian)
                v3 = round(v3, base.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self).littleEndian)
                v4 = round(v4, base.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self).littleEndian)
                i += 32
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
            h = merge(h, v1)
            h = merge(h, v2)
            h = merge(h, v3)
            h = merge(h, v4)
        } else {
            h = seed &+ p5
        }
        return finalize(h, base: base, count: n, done: i, len: UInt64(n))
    }

    @inlinable
    static func finalize(_ hIn: UInt64, base: UnsafeRawPointer?, count n: Int, done: Int, len: UInt64) -> UInt64 {
        var h = hIn &+ len
        var i = done
        if let base {
            while i + 8 <= n {
                let k = round(0, base.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian)
                h ^= k
                h = rotl(h, 27) &* p1 &+ p4
                i += 8
            }
            if i + 4 <= n {
                h ^= UInt64(base.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian) &* p1
                h = rotl(h, 23) &* p2 &+ p3
                i += 4
            }
            while i < n {
                h ^= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) &* p5
                h = rotl(h, 11) &* p1
                i += 1
            }
        }
        h ^= h >> 33
        h = h &* p2
        h ^= h >> 29
        h = h &* p3
        h ^= h >> 32
        return h
    }

    public static func hash(_ bytes: [UInt8], seed: UInt64 = 0) -> UInt64 {
        bytes.withUnsafeBytes { hash($0, seed: seed) }
    }
}
