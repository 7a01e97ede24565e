import Foundation

/// The exact binomial sign test: do `a` wins against `b` wins (ties left out) depart from an
/// even split? Used for interleaving, where each request is a comparison of two rankers.
public enum SignTest {
    /// Two-sided p-value: 2 · P(X ≤ min(a, b)) for X ~ Binomial(a + b, 1/2), capped at 1 (scipy's
    /// `binomtest(a, a + b, 0.5)`). 1 when there is no decided comparison or a = b.
    public static func twoSidedP(_ a: Int, _ b: Int) -> Double {
        precondition(a >= 0 && b >= 0, "win counts are non-negative")
        let n = a + b
        guard n > 0, a != b else { return 1 }
        let k = min(a, b)
        // P(X ≤ k) = I_{1/2}(n − k, k + 1).
        let tail = SpecialFunctions.regularizedBeta(0.5, Double(n - k), Double(k + 1))
        return min(1, 2 * tail)
    }
}
