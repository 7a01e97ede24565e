/// The tests receval runs at the randomisation unit. Inputs are per-unit values of each arm,
/// in a fixed order (the order decides nothing but the last bits of the sums).
public enum TwoSampleTests {
    /// A ratio metric Σnumerator / Σdenominator over units, with the delta-method variance
    /// (s_N²/μ_D² − 2μ_N·s_ND/μ_D³ + μ_N²·s_D²/μ_D⁴)/n.
    public static func ratio(numerator: [Double], denominator: [Double]) -> ArmEstimate {
        ratio(Moments(numerator, denominator))
    }

    /// The same from the moments of (numerator, denominator).
    public static func ratio(_ m: Moments) -> ArmEstimate {
        let n = Double(m.count)
        guard m.count > 0, m.meanY != 0 else { return ArmEstimate(value: 0, variance: 0, units: m.count) }
        let d = m.meanY
        let r = m.meanX / d
        let v = (m.varianceX / (d * d) - 2 * m.meanX * m.covariance / (d * d * d) + m.meanX * m.meanX * m.varianceY / (d * d * d * d)) / n
        return ArmEstimate(value: r, variance: max(v, 0), units: m.count)
    }

    /// The per-unit linearisation of a ratio metric, (N_i − R·D_i)/μ_D, whose sample variance
    /// divided by n is the delta-method variance: the Y of CUPED for ratio metrics.
    public static func linearised(numerator: [Double], denominator: [Double]) -> [Double] {
        linearised(numerator: numerator, denominator: denominator, moments: Moments(numerator, denominator))
    }

    /// The same with the means taken from `m`, the moments of every unit's (numerator,
    /// denominator): values given in parts linearise part by part.
    public static func linearised(numerator: [Double], denominator: [Double], moments m: Moments) -> [Double] {
        guard m.count > 0, m.meanY != 0 else { return [Double](repeating: 0, count: numerator.count) }
        let r = m.meanX / m.meanY
        return zip(numerator, denominator).map { ($0 - r * $1) / m.meanY }
    }

    public static func delta(
        control: (numerator: [Double], denominator: [Double]), treatment: (numerator: [Double], denominator: [Double]), level: Double
    )
        -> Comparison
    {
        Comparison(
            method: .delta, control: ratio(numerator: control.numerator, denominator: control.denominator),
            treatment: ratio(numerator: treatment.numerator, denominator: treatment.denominator), level: level)
    }

    /// The delta-method comparison from each arm's moments of (numerator, denominator).
    public static func delta(control: Moments, treatment: Moments, level: Double) -> Comparison {
        Comparison(method: .delta, control: ratio(control), treatment: ratio(treatment), level: level)
    }

    /// Welch's t-test on the means of per-unit values.
    public static func welch(control: [Double], treatment: [Double], level: Double) -> Comparison {
        welch(control: Moments(control), treatment: Moments(treatment), level: level)
    }

    /// The same from each arm's moments of its values.
    public static func welch(control c: Moments, treatment t: Moments, level: Double) -> Comparison {
        let vc = c.count > 0 ? c.varianceX / Double(c.count) : 0
        let vt = t.count > 0 ? t.varianceX / Double(t.count) : 0
        let denominator = (c.count > 1 ? vc * vc / Double(c.count - 1) : 0) + (t.count > 1 ? vt * vt / Double(t.count - 1) : 0)
        let df = denominator > 0 ? (vc + vt) * (vc + vt) / denominator : Double(max(c.count + t.count - 2, 1))
        return Comparison(
            method: .welch, control: ArmEstimate(value: c.meanX, variance: vc, units: c.count),
            treatment: ArmEstimate(value: t.meanX, variance: vt, units: t.count), level: level, degreesOfFreedom: df)
    }

    /// The pooled two-proportion z-test (statsmodels' `proportions_ztest`) with the unpooled
    /// interval for the difference.
    public static func twoProportion(control: (successes: Int, trials: Int), treatment: (successes: Int, trials: Int), level: Double)
        -> Comparison
    {
        func arm(_ a: (successes: Int, trials: Int)) -> ArmEstimate {
            let p = a.trials > 0 ? Double(a.successes) / Double(a.trials) : 0
            return ArmEstimate(value: p, variance: a.trials > 0 ? p * (1 - p) / Double(a.trials) : 0, units: a.trials)
        }
        let c = arm(control)
        let t = arm(treatment)
        var z: Double? = nil
        if control.trials > 0 && treatment.trials > 0 {
            let pooled = Double(control.successes + treatment.successes) / Double(control.trials + treatment.trials)
            let se = (pooled * (1 - pooled) * (1 / Double(control.trials) + 1 / Double(treatment.trials))).squareRoot()
            if se > 0 { z = (t.value - c.value) / se }
        }
        var result = Comparison(
            method: .twoProportion, control: c, treatment: t, level: level, statistic: z, pValue: z.map(Normal.twoSidedP))
        if z == nil {
            result.statistic = 0
            result.pValue = 1
        }
        return result
    }

    /// CUPED (Deng, Xu, Kohavi & Walker 2013) on per-unit outcomes `y` with a pre-period
    /// covariate `x`: θ = Σ(x−x̄_v)(y−ȳ_v) / Σ(x−x̄_v)² over both arms (within-arm centring, so
    /// the treatment effect does not leak into θ); each arm's estimate `value_v − θ(x̄_v − x̄)`
    /// with x̄ over both arms, and variance (s_y² + θ²s_x² − 2θ·s_xy)/n_v.
    public struct CUPED: Sendable {
        public var theta: Double
        public var comparison: Comparison
        /// 1 − adjusted variance / unadjusted variance of the difference.
        public var varianceReduction: Double
    }

    /// `values` are the arms' unadjusted estimates (a ratio, a mean or a proportion) and `y` the
    /// per-unit values whose variance they carry (for ratios, the linearisation).
    public static func cuped(
        control: (value: Double, y: [Double], x: [Double]), treatment: (value: Double, y: [Double], x: [Double]), level: Double
    ) -> CUPED? {
        cuped(
            control: (control.value, Moments(control.x, control.y)), treatment: (treatment.value, Moments(treatment.x, treatment.y)),
            level: level)
    }

    /// The same from each arm's moments of (x, y).
    public static func cuped(control: (value: Double, moments: Moments), treatment: (value: Double, moments: Moments), level: Double)
        -> CUPED?
    {
        let mc = control.moments
        let mt = treatment.moments
        guard mc.count > 1, mt.count > 1 else { return nil }
        let sxx = mc.varianceX * Double(mc.count - 1) + mt.varianceX * Double(mt.count - 1)
        let sxy = mc.covariance * Double(mc.count - 1) + mt.covariance * Double(mt.count - 1)
        guard sxx > 0 else { return nil }
        let theta = sxy / sxx
        let xbar = (mc.meanX * Double(mc.count) + mt.meanX * Double(mt.count)) / Double(mc.count + mt.count)
        func arm(_ m: Moments, _ value: Double) -> (ArmEstimate, Double) {
            let n = Double(m.count)
            let v = (m.varianceY + theta * theta * m.varianceX - 2 * theta * m.covariance) / n
            return (ArmEstimate(value: value - theta * (m.meanX - xbar), variance: max(v, 0), units: m.count), m.varianceY / n)
        }
        let (c, vc) = arm(mc, control.value)
        let (t, vt) = arm(mt, treatment.value)
        let comparison = Comparison(method: .cuped, control: c, treatment: t, level: level)
        let before = vc + vt
        return CUPED(theta: theta, comparison: comparison, varianceReduction: before > 0 ? 1 - (c.variance + t.variance) / before : 0)
    }
}
