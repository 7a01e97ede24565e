#if canImport(Glibc)
    import Glibc
#endif

/// How far one distribution of counts is from another, for drift monitoring: the population
/// stability index and the Jensen-Shannon divergence. Both take two count vectors over the same
/// categories (a category's count may be zero in either).
public enum Divergence {
    /// Both sides' totals and the categories either holds; nil when either side is empty.
    static func totals(_ a: [Int], _ b: [Int]) -> (a: Int, b: Int, categories: Int)? {
        precondition(a.count == b.count, "two distributions over the same categories")
        let totalA = a.reduce(0, +)
        let totalB = b.reduce(0, +)
        guard totalA > 0, totalB > 0 else { return nil }
        return (totalA, totalB, zip(a, b).filter { $0 > 0 || $1 > 0 }.count)
    }

    /// The population stability index Σ (pᵢ − qᵢ) ln(pᵢ / qᵢ) (the symmetrised Kullback-Leibler
    /// divergence, in nats), over the categories that either side holds. Shares are smoothed by
    /// half a count per such category, pᵢ = (aᵢ + ½) / (A + k/2), so that a category empty on one
    /// side gives a large but finite term. Rules of thumb read < 0.1 as stable, 0.1-0.25 as a
    /// moderate shift and > 0.25 as a major one. nil when either side is empty.
    public static func psi(_ a: [Int], _ b: [Int]) -> Double? {
        guard let t = totals(a, b) else { return nil }
        let da = Double(t.a) + Double(t.categories) / 2
        let db = Double(t.b) + Double(t.categories) / 2
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
        guard let t = totals(a, b) else { return nil }
        return Double(max(t.categories - 1, 0)) * (1 / Double(t.a) + 1 / Double(t.b))
    }

    /// The Jensen-Shannon divergence ½ KL(P‖M) + ½ KL(Q‖M), M = (P + Q)/2, in bits (so between 0
    /// and 1), over the unsmoothed shares. nil when either side is empty.
    public static func jensenShannon(_ a: [Int], _ b: [Int]) -> Double? {
        guard let t = totals(a, b) else { return nil }
        let (totalA, totalB) = (Double(t.a), Double(t.b))
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
