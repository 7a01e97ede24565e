import Foundation

/// Regularised incomplete gamma and beta functions (series and continued fractions, as in
/// Numerical Recipes §6.2 and §6.4), to about 1e-15 relative accuracy: the tails of the χ² and
/// Student t distributions.
enum SpecialFunctions {
    static let epsilon = 1e-16
    static let tiny = 1e-300
    static let maxIterations = 10_000

    /// Q(a, x) = Γ(a, x) / Γ(a), the upper regularised incomplete gamma function.
    static func upperGamma(_ a: Double, _ x: Double) -> Double {
        precondition(a > 0, "the shape of an incomplete gamma is positive")
        if x <= 0 { return 1 }
        if x < a + 1 { return 1 - lowerGammaSeries(a, x) }
        return upperGammaFraction(a, x)
    }

    private static func lowerGammaSeries(_ a: Double, _ x: Double) -> Double {
        var ap = a
        var sum = 1 / a
        var del = sum
        for _ in 0..<maxIterations {
            ap += 1
            del *= x / ap
            sum += del
            if abs(del) < abs(sum) * epsilon { break }
        }
        return sum * exp(-x + a * log(x) - lgamma(a))
    }

    private static func upperGammaFraction(_ a: Double, _ x: Double) -> Double {
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for i in 1...maxIterations {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let del = d * c
            h *= del
            if abs(del - 1) < epsilon { break }
        }
        return exp(-x + a * log(x) - lgamma(a)) * h
    }

    /// I_x(a, b), the regularised incomplete beta function.
    static func regularizedBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x))
        if x < (a + 1) / (a + b + 2) { return front * betaFraction(x, a, b) / a }
        return 1 - front * betaFraction(1 - x, b, a) / b
    }

    private static func betaFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let qab = a + b
        let qap = a + 1
        let qam = a - 1
        var c = 1.0
        var d = 1 - qab * x / qap
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...maxIterations {
            let m = Double(m)
            let m2 = 2 * m
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let del = d * c
            h *= del
            if abs(del - 1) < epsilon { break }
        }
        return h
    }
}

/// The χ² distribution's upper tail, for goodness-of-fit tests.
public enum ChiSquared {
    /// P(X ≥ x) for X ~ χ²(df).
    public static func survival(_ x: Double, degreesOfFreedom df: Double) -> Double {
        precondition(df > 0, "degrees of freedom are positive")
        guard x.isFinite else { return x.isNaN ? .nan : 0 }
        return SpecialFunctions.upperGamma(df / 2, x / 2)
    }
}

/// Student's t distribution.
public enum StudentT {
    /// P(T ≥ t) for T ~ t(df).
    public static func survival(_ t: Double, degreesOfFreedom df: Double) -> Double {
        precondition(df > 0, "degrees of freedom are positive")
        if t.isNaN { return .nan }
        let tail = 0.5 * SpecialFunctions.regularizedBeta(df / (df + t * t), df / 2, 0.5)
        return t >= 0 ? tail : 1 - tail
    }

    public static func cdf(_ t: Double, degreesOfFreedom df: Double) -> Double {
        if t < 0 { return survival(-t, degreesOfFreedom: df) }
        return 1 - survival(t, degreesOfFreedom: df)
    }

    public static func twoSidedP(_ t: Double, degreesOfFreedom df: Double) -> Double {
        guard t.isFinite else { return t.isNaN ? 1 : 0 }
        return min(1, 2 * survival(abs(t), degreesOfFreedom: df))
    }

    public static func density(_ t: Double, degreesOfFreedom df: Double) -> Double {
        exp(lgamma((df + 1) / 2) - lgamma(df / 2) - 0.5 * log(df * Double.pi) - (df + 1) / 2 * log1p(t * t / df))
    }

    /// The p-quantile, by Newton's method from the normal quantile, kept inside a bracket.
    public static func quantile(_ p: Double, degreesOfFreedom df: Double) -> Double {
        precondition(p > 0 && p < 1, "a quantile's probability is in (0, 1)")
        precondition(df > 0, "degrees of freedom are positive")
        if p == 0.5 { return 0 }
        if p < 0.5 { return -quantile(1 - p, degreesOfFreedom: df) }
        // Upper tail: solve survival(t) = 1 − p on t > 0.
        let target = 1 - p
        var lo = 0.0
        var hi = max(1.0, Normal.quantile(p))
        while survival(hi, degreesOfFreedom: df) > target { hi *= 2 }
        var t = min(max(Normal.quantile(p), lo), hi)
        for _ in 0..<200 {
            let f = survival(t, degreesOfFreedom: df) - target
            if f > 0 { lo = t } else { hi = t }
            var next = t + f / density(t, degreesOfFreedom: df)
            if !(next > lo && next < hi) { next = (lo + hi) / 2 }
            if abs(next - t) <= 1e-15 * max(1, abs(t)) { return next }
            t = next
        }
        return t
    }
}
