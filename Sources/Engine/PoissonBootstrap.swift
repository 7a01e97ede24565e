/// A Poisson(1) bootstrap whose replicate weights come from a counter-based hash of
/// (seed, replicate, unit): the same unit gets the same weight in a replicate whatever the row
/// order, thread count or partitioning, so per-partition weighted sums can be merged.
public enum PoissonBootstrap {
    /// P(X <= k) for X ~ Poisson(1), k = 0...15.
    static let cdf: [Double] = {
        var out: [Double] = []
        var p = 0.36787944117144233  // e^-1
        var sum = 0.0
        for k in 0..<16 {
            if k > 0 { p /= Double(k) }
            sum += p
            out.append(sum)
        }
        return out
    }()

    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The weight of `unit` in replicate `replicate`.
    @inline(__always)
    public static func weight(seed: UInt64, replicate: Int, unit: UInt64) -> Int {
        let h = mix(mix(seed ^ (UInt64(replicate) &* 0xD6E8_FEB8_6659_FD93)) ^ unit)
        let u = Double(h >> 11) * 0x1p-53
        var k = 0
        while k < 15 && u >= cdf[k] { k += 1 }
        return k
    }

    /// The percentile interval of replicate statistics at `level`: sorted values at
    /// ⌊α(B−1)⌋ and ⌈(1−α)(B−1)⌉ with α = (1 − level) / 2 (recsys-eval's indices).
    public static func percentileInterval(_ values: [Double], level: Double) -> (lower: Double, upper: Double)? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        let a = (1 - level) / 2
        let n = Double(s.count - 1)
        let lo = Int((a * n).rounded(.down))
        let hi = min(s.count - 1, Int(((1 - a) * n).rounded(.up)))
        return (s[lo], s[hi])
    }
}
