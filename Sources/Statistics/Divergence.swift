#if canImport(Glibc)
    import Glibc
#endif

/// How far one distribution of counts is from another, for drift monitoring: the population
/// stability index and the Jensen-Shannon divergence. Both take two count vectors over the same
/// categories (a category's count may be zero in either).
public enum Divergence {
    /// The population stability index Σ (pᵢ − qᵢ) ln(pᵢ / qᵢ) (the symmetrised Kullback-Leibler
    /// divergence, in nats), over the categories that either side holds. Shares are smoothed by
    /// half a count per such category, pᵢ = (aᵢ + ½) / (A + k/2), so that a category empty on one
    /// side gives a large but finite term. Rules of thumb read < 0.1 as stable, 0.1-0.25 as a
    /// moderate shift and > 0.25 as a major one. nil when either side is empty.
    public static func psi(_ a: [Int], _ b: [Int]) -> Double? {
        precondition(a.count == b.count, "two distributions over the same categories")
        let totalA = a.reduce(0, +)
        let totalB = b.reduce(0, +)
        guard totalA > 0, totalB > 0 else { return nil }
        let k = zip(a, b).filter { $0 > 0 || $1 > 0 }.count
        let da = Double(totalA) + Double(k) / 2
        let db = Double(totalB) + Double(k) / 2
        var sum = 0.0
        for (x, y) in zip(a, b) where x > 0 || y > 0 {
            let p = (Double(x) + 0.5) / da
            let q = (Double(y) + 0.5) / db
            sum += (p - q) * log(p / q)
        }
        return sum
    }

    /// The PSI that two samples of these sizes drawn from one distribution show on average:
    /// (k − 1)(1/A + 1/B) over the k categories either side holds (PSI is the symmetrised
    /// divergence, whose two halves each approach χ²(k − 1)/(2N)). Drift well above it is
    /// more than sampling noise; below it, none is shown. nil when either side is empty.
    public static func psiByChance(_ a: [Int], _ b: [Int]) -> Double? {
        precondition(a.count == b.count, "two distributions over the same categories")
        let totalA = a.reduce(0, +)
        let totalB = b.reduce(0, +)
        guard totalA > 0, totalB > 0 else { return nil }
        let k = zip(a, b).filter { $0 > 0 || $1 > 0 }.count
        return Double(max(k - 1, 0)) * (1 / Double(totalA) + 1 / Double(totalB))
    }

    /// The Jensen-Shannon divergence ½ KL(P‖M) + ½ KL(Q‖M), M = (P + Q)/2, in bits (so between 0
    /// and 1), over the unsmoothed shares. nil when either side is empty.
    public static func jensenShannon(_ a: [Int], _ b: [Int]) -> Double? {
        precondition(a.count == b.count, "two distributions over the same categories")
        let totalA = Double(a.reduce(0, +))
        let totalB = Double(b.reduce(0, +))
        guard totalA > 0, totalB > 0 else { return nil }
        var sum = 0.0
        for (x, y) in zip(a, b) where x > 0 || y > 0 {
            let p = Double(x) / totalA
            let q = Double(y) / totalB
            let m = (p + q) / 2
            if p > 0 { sum += 0.5 * p * log2(p / m) }
            if q > 0 { sum += 0.5 * q * log2(q / m) }
        }
        return min(max(sum, 0), 1)
    }
}
