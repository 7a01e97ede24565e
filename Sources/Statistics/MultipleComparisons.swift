/// Adjusts a family of p-values for multiple comparisons.
public enum MultipleComparisons {
    public enum Method: String, Sendable, CaseIterable {
        case none
        /// min(1, p·m).
        case bonferroni
        /// Holm's step-down: the running maximum of (m − i + 1)·p₍ᵢ₎ over ascending p.
        case holm
        /// Benjamini–Hochberg: the running minimum, from the largest p down, of p₍ᵢ₎·m / i.
        case fdrBH = "fdr_bh"
    }

    /// Adjusted p-values in the order of `p`. Ties give the same result in any order.
    public static func adjust(_ p: [Double], method: Method) -> [Double] {
        let m = p.count
        guard m > 0 else { return [] }
        let order = p.indices.sorted { p[$0] != p[$1] ? p[$0] < p[$1] : $0 < $1 }
        var out = [Double](repeating: 0, count: m)
        switch method {
        case .none:
            return p
        case .bonferroni:
            return p.map { min(1, $0 * Double(m)) }
        case .holm:
            var running = 0.0
            for (rank, i) in order.enumerated() {
                running = max(running, Double(m - rank) * p[i])
                out[i] = min(1, running)
            }
        case .fdrBH:
            var running = Double.infinity
            for rank in stride(from: m - 1, through: 0, by: -1) {
                let i = order[rank]
                running = min(running, p[i] * Double(m) / Double(rank + 1))
                out[i] = min(1, running)
            }
        }
        return out
    }
}
