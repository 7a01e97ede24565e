/// Pearson's χ² goodness-of-fit test of observed counts against expected weights, as used for
/// sample-ratio mismatch.
public enum GoodnessOfFit {
    public struct Result: Sendable, Equatable {
        public var statistic: Double
        public var degreesOfFreedom: Int
        public var pValue: Double
        /// (o − e)²/e per category, in input order (0 for skipped categories).
        public var contributions: [Double]
    }

    /// `observed` and `weights` are parallel; categories with a weight but no observations count
    /// as observed zero. Returns p = 1 when fewer than two categories have a positive expected
    /// count, when nothing was observed, or when the weights are invalid.
    public static func test(observed: [Int], weights: [Double]) -> Result {
        precondition(observed.count == weights.count, "one weight per category")
        let total = observed.reduce(0, +)
        let wsum = weights.reduce(0, +)
        let none = Result(statistic: 0, degreesOfFreedom: 0, pValue: 1, contributions: [Double](repeating: 0, count: observed.count))
        guard total > 0, wsum > 0, !weights.contains(where: { $0 < 0 || !$0.isFinite }), !observed.contains(where: { $0 < 0 }) else {
            return none
        }
        var chi = 0.0
        var used = 0
        var contributions = [Double](repeating: 0, count: observed.count)
        for i in observed.indices {
            let e = weights[i] / wsum * Double(total)
            guard e > 0 else { continue }
            let d = Double(observed[i]) - e
            contributions[i] = d * d / e
            chi += contributions[i]
            used += 1
        }
        guard used >= 2 else { return none }
        let p = ChiSquared.survival(chi, degreesOfFreedom: Double(used - 1))
        return Result(statistic: chi, degreesOfFreedom: used - 1, pValue: p.isFinite ? min(max(p, 0), 1) : 1, contributions: contributions)
    }
}
