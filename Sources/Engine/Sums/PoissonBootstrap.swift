import ColumnarStorage

/// A Poisson(1) bootstrap whose replicate weights come from a counter-based hash of
/// (seed, replicate, unit): the same unit gets the same weight in a replicate whatever the row
/// order, thread count or partitioning, so weighted sums can be merged across partitions.
///
/// One 64-bit hash of (seed, unit, ⌊replicate/8⌋) gives the weights of eight replicates, one
/// byte each, mapped through a 256-entry inverse CDF: P(w = 0…5) = (94, 94, 47, 16, 4, 1)/256,
/// Poisson(1) to the nearest 1/256 (mean 1.0039, variance 1.0040). The statistics bootstrapped
/// are ratios of weighted sums, which a common scale of the weights leaves unchanged.
public enum PoissonBootstrap {
    /// Byte thresholds: the weight of byte `u` is the number of thresholds `u` reaches.
    static let thresholds: [UInt8] = [94, 188, 235, 251, 255]

    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The per-unit stream base: every replicate's weight of `unit` derives from it.
    @inline(__always)
    static func base(seed: UInt64, unit: UInt64) -> UInt64 { mix(mix(seed) ^ unit) }

    /// The eight weight bytes of replicates 8·block ..< 8·block + 8.
    @inline(__always)
    static func block(base: UInt64, _ block: Int) -> UInt64 { mix(base &+ UInt64(block) &* 0xD6E8_FEB8_6659_FD93) }

    @inline(__always)
    static func weight(byte u: UInt8) -> Int {
        var w = 0
        for t in thresholds where u >= t { w += 1 }
        return w
    }

    /// The weight of `unit` in replicate `replicate`.
    @inline(__always)
    public static func weight(seed: UInt64, replicate: Int, unit: UInt64) -> Int {
        precondition(replicate >= 0, "replicates are numbered from 0")
        let h = block(base: base(seed: seed, unit: unit), replicate >> 3)
        return weight(byte: UInt8(truncatingIfNeeded: h >> (UInt64(replicate & 7) * 8)))
    }

    /// Weighted column sums for every replicate: `result[(arm · columns.count + c) · replicates + b]`
    /// = Σ over units i of arm `arm` of w(b, i) · columns[c][i]. Units with `arm[i] < 0` are left
    /// out. Each replicate's sums run over units in index order on one thread, so the result is
    /// the same for any thread count.
    ///
    /// `continuing` is the result of the same call over the units before these (in the same
    /// order): the sums go on from it, adding in the same order, so units given in consecutive
    /// parts give the same bits as all of them given at once.
    public static func replicateSums(
        units: [UInt64], arm: [Int32], arms: Int, columns: [[Double]], replicates: Int, seed: UInt64, threads: Int,
        continuing previous: [Double]? = nil
    ) throws -> [Double] {
        precondition(columns.allSatisfy { $0.count == units.count }, "one value per unit in every column")
        let cols = columns.count
        // Columns side by side per unit (unit-major), so one unit's values are adjacent.
        var flat = [Double](repeating: 0, count: units.count * cols)
        for c in 0..<cols { for i in 0..<units.count { flat[i * cols + c] = columns[c][i] } }
        return try replicateSums(
            units: units, arm: arm, arms: arms, unitMajor: flat, columns: cols, replicates: replicates, seed: seed, threads: threads,
            continuing: previous)
    }

    /// The same with the values unit-major: unit i's value of column c is `values[i * columns + c]`.
    public static func replicateSums(
        units: [UInt64], arm: [Int32], arms: Int, unitMajor values: [Double], columns cols: Int, replicates: Int, seed: UInt64,
        threads: Int, continuing previous: [Double]? = nil
    ) throws -> [Double] {
        precondition(arm.count == units.count && values.count == units.count * cols, "one value per unit in every column")
        precondition(arms > 0 && replicates >= 0, "at least one arm")
        precondition(previous == nil || previous!.count == arms * cols * replicates, "earlier sums of the same shape")
        let lanes = 64  // replicates per block: 8 hashes of 8 weights
        let blocks = (replicates + lanes - 1) / lanes
        let mixedSeed = mix(seed)
        let parts = Morsels.run(count: blocks, threads: threads) { blockIndex -> [Double] in
            // Accumulators: (arm, column, hash j) -> 8 replicate lanes.
            let acc = UnsafeMutablePointer<SIMD8<Double>>.allocate(capacity: arms * cols * 8)
            defer { acc.deallocate() }
            acc.initialize(repeating: .zero, count: arms * cols * 8)
            if let previous {
                // Lane l of accumulator (k, j) is replicate blockIndex · 64 + j · 8 + l of row k.
                for k in 0..<(arms * cols) {
                    for j in 0..<8 {
                        for l in 0..<8 where blockIndex * lanes + j * 8 + l < replicates {
                            acc[k * 8 + j][l] = previous[k * replicates + blockIndex * lanes + j * 8 + l]
                        }
                    }
                }
            }
            let t1 = SIMD8<UInt8>(repeating: thresholds[0])
            let t2 = SIMD8<UInt8>(repeating: thresholds[1])
            let t3 = SIMD8<UInt8>(repeating: thresholds[2])
            let t4 = SIMD8<UInt8>(repeating: thresholds[3])
            let t5 = SIMD8<UInt8>(repeating: thresholds[4])
            let one = SIMD8<UInt8>(repeating: 1)
            let counter = UInt64(blockIndex * 8) &* 0xD6E8_FEB8_6659_FD93
            units.withUnsafeBufferPointer { units in
                arm.withUnsafeBufferPointer { arm in
                    values.withUnsafeBufferPointer { values in
                        for i in 0..<units.count {
                            let a = Int(arm[i])
                            if a < 0 { continue }
                            let b = mix(mixedSeed ^ units[i]) &+ counter
                            let x = values.baseAddress! + i * cols
                            let row = acc + a * cols * 8
                            for j in 0..<8 {
                                let h = mix(b &+ UInt64(j) &* 0xD6E8_FEB8_6659_FD93)
                                let bytes = unsafeBitCast(h, to: SIMD8<UInt8>.self)
                                var w = one.replacing(with: 0, where: bytes .< t1)
                                w &+= one.replacing(with: 0, where: bytes .< t2)
                                w &+= one.replacing(with: 0, where: bytes .< t3)
                                w &+= one.replacing(with: 0, where: bytes .< t4)
                                w &+= one.replacing(with: 0, where: bytes .< t5)
                                let wd = SIMD8<Double>(SIMD8<Int32>(truncatingIfNeeded: w))
                                if cols == 2 {
                                    // The common case (a ratio's numerator and denominator), unrolled.
                                    row[j] += wd * x[0]
                                    row[8 + j] += wd * x[1]
                                } else {
                                    for c in 0..<cols { row[c * 8 + j] += wd * x[c] }
                                }
                            }
                        }
                    }
                }
            }
            var out = [Double](repeating: 0, count: arms * cols * lanes)
            for k in 0..<(arms * cols) {
                for j in 0..<8 {
                    for l in 0..<8 { out[k * lanes + j * 8 + l] = acc[k * 8 + j][l] }
                }
            }
            return out
        }
        var result = [Double](repeating: 0, count: arms * cols * replicates)
        for (blockIndex, part) in parts.enumerated() {
            for k in 0..<(arms * cols) {
                for l in 0..<lanes where blockIndex * lanes + l < replicates {
                    result[k * replicates + blockIndex * lanes + l] = part[k * lanes + l]
                }
            }
        }
        return result
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
