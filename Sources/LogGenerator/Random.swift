#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// SplitMix64 finaliser applied to `z + golden gamma`.
@inline(__always)
func mix64(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9e37_79b9_7f4a_7c15
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    return z ^ (z >> 31)
}

/// xoshiro256** seeded through SplitMix64 from `seed * 0x2545F4914F6CDD1D + 12345`.
struct Xoshiro256 {
    var s0: UInt64
    var s1: UInt64
    var s2: UInt64
    var s3: UInt64

    init(seed: UInt64) {
        var sm = seed &* 0x2545_f491_4f6c_dd1d &+ 12345
        func next(_ state: inout UInt64) -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        s0 = next(&sm)
        s1 = next(&sm)
        s2 = next(&sm)
        s3 = next(&sm)
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        let x = s1 &* 5
        let result = ((x << 7) | (x >> 57)) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Advances the state by `n` outputs without using them.
    @inline(__always)
    mutating func skip(_ n: Int) {
        var i = 0
        while i < n {
            _ = next()
            i &+= 1
        }
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    mutating func urand() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform integer in [0, n).
    @inline(__always)
    mutating func urange(_ n: UInt32) -> UInt32 {
        UInt32(truncatingIfNeeded: ((next() >> 32) &* UInt64(n)) >> 32)
    }

    /// Standard normal (Box-Muller, cosine branch); always consumes two outputs.
    @inline(__always)
    mutating func nrand() -> Double {
        var u1 = urand()
        let u2 = urand()
        if u1 < 1e-300 { u1 = 1e-300 }
        return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2)
    }
}

/// Zipf(s) over 0..<n sampled by inverse CDF: the smallest index whose cumulative
/// probability is >= u. A guide table over 2^bits equal slices of [0, 1) narrows
/// the binary search; the result is the same index a search over the whole table gives.
final class ZipfTable {
    let n: UInt32
    let cdf: UnsafeMutablePointer<Double>
    let guide: UnsafeMutablePointer<UInt32>
    let scale: Double
    let slices: Int

    init(n: UInt32, exponent: Double) {
        precondition(n >= 1)
        self.n = n
        let count = Int(n)
        cdf = .allocate(capacity: count)
        var acc = 0.0
        for i in 0..<count {
            acc += 1.0 / pow(Double(i + 1), exponent)
            cdf[i] = acc
        }
        for i in 0..<count { cdf[i] /= acc }
        let bits = count >= 4096 ? 12 : 10
        slices = 1 << bits
        scale = Double(slices)
        guide = .allocate(capacity: slices + 1)
        for b in 0...slices {
            guide[b] = lowerBound(Double(b) / scale)
        }
    }

    deinit {
        cdf.deallocate()
        guide.deallocate()
    }

    /// First index with cdf >= u, or n - 1 if there is none.
    private func lowerBound(_ u: Double) -> UInt32 {
        var lo: UInt32 = 0
        var hi: UInt32 = n - 1
        while lo < hi {
            let mid = (lo &+ hi) >> 1
            if cdf[Int(mid)] < u { lo = mid &+ 1 } else { hi = mid }
        }
        return lo
    }

    @inline(__always)
    func draw(_ u: Double) -> UInt32 {
        let b = Int(u * scale)
        var lo = guide[b]
        var hi = guide[b &+ 1]
        while lo < hi {
            let mid = (lo &+ hi) >> 1
            if cdf[Int(mid)] < u { lo = mid &+ 1 } else { hi = mid }
        }
        return lo
    }
}
