import Foundation

/// recsys-eval's own statistics (its SPEC §7.4, §7.7, §11.3), reproduced exactly so the report
/// keys that carry its names carry its numbers.
public enum RecsysEvalTests {
    /// Its pooled two-proportion z-test on counts: 1 when a trial count or the standard error is
    /// 0; NaN when the pooled rate exceeds 1 (several events per trial), which its writer cannot
    /// encode.
    public static func twoProportionP(successes s1: Int, trials n1: Int, controlSuccesses s0: Int, controlTrials n0: Int) -> Double {
        guard n1 > 0, n0 > 0 else { return 1 }
        let p1 = Double(s1) / Double(n1)
        let p0 = Double(s0) / Double(n0)
        let p = Double(s1 + s0) / Double(n1 + n0)
        let se = (p * (1 - p) * (1 / Double(n1) + 1 / Double(n0))).squareRoot()
        if se == 0 { return 1 }
        if se.isNaN { return .nan }
        let z = (p1 - p0) / se
        let phi = 0.5 * (1 + erf(abs(z) / 2.0.squareRoot()))
        return min(max(2 * (1 - phi), 0), 1)
    }

    /// Its sample size per variant for an absolute lift `mde` over `baseline` (Fleiss' form), or
    /// nil when the inputs are outside the ranges it accepts.
    public static func sampleSize(baseline p0: Double, mde: Double, alpha: Double, power: Double) -> Int? {
        let p1 = p0 + mde
        guard p0 > 0, p0 < 1, mde > 0, p1 > 0, p1 < 1 else { return nil }
        let za = Normal.acklam(1 - alpha / 2)
        let zb = Normal.acklam(power)
        let pbar = (p0 + p1) / 2
        let a = za * (2 * pbar * (1 - pbar)).squareRoot() + zb * (p0 * (1 - p0) + p1 * (1 - p1)).squareRoot()
        return Int((a * a / ((p1 - p0) * (p1 - p0))).rounded(.up))
    }
}
