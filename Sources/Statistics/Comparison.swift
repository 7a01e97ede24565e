/// An estimate with its standard error and a two-sided confidence interval.
public struct Interval: Sendable, Equatable {
    public var estimate: Double
    public var standardError: Double
    public var lower: Double
    public var upper: Double

    public init(estimate: Double, standardError: Double, critical: Double) {
        self.estimate = estimate
        self.standardError = standardError
        lower = estimate - critical * standardError
        upper = estimate + critical * standardError
    }
}

/// One arm's estimate of a metric and the variance of that estimate.
public struct ArmEstimate: Sendable, Equatable {
    public var value: Double
    /// Variance of `value` (not of a unit's metric).
    public var variance: Double
    public var units: Int

    public init(value: Double, variance: Double, units: Int) {
        self.value = value
        self.variance = variance
        self.units = units
    }
}

/// Treatment versus control on one metric: absolute and relative lift with intervals, the test
/// statistic and its two-sided p-value.
public struct Comparison: Sendable, Equatable {
    public enum Method: String, Sendable {
        /// z-test on a ratio of per-unit sums, variance by the delta method (Deng et al. 2018).
        case delta
        /// Welch's unequal-variance t-test on per-unit means.
        case welch
        /// Pooled two-proportion z-test on per-unit indicators, unpooled interval.
        case twoProportion = "two_proportion"
        /// z-test on CUPED-adjusted estimates.
        case cuped
    }

    public var method: Method
    public var control: ArmEstimate
    public var treatment: ArmEstimate
    public var absolute: Interval
    /// nil when the control value is 0.
    public var relative: Interval?
    public var statistic: Double
    /// Welch–Satterthwaite degrees of freedom (Welch only).
    public var degreesOfFreedom: Double?
    public var pValue: Double

    /// A comparison whose critical value and p-value come from the normal distribution, or from
    /// Student's t with `degreesOfFreedom`. The relative lift's variance is the delta method's
    /// V_t/c² + t²·V_c/c⁴ (gbstats' `frequentist_variance`).
    public init(
        method: Method, control: ArmEstimate, treatment: ArmEstimate, level: Double, degreesOfFreedom: Double? = nil,
        statistic: Double? = nil, pValue: Double? = nil
    ) {
        precondition(level > 0 && level < 1, "a confidence level is in (0, 1)")
        self.method = method
        self.control = control
        self.treatment = treatment
        self.degreesOfFreedom = degreesOfFreedom
        let q = 1 - (1 - level) / 2
        let critical = degreesOfFreedom.map { StudentT.quantile(q, degreesOfFreedom: $0) } ?? Normal.quantile(q)
        let diff = treatment.value - control.value
        let se = (treatment.variance + control.variance).squareRoot()
        absolute = Interval(estimate: diff, standardError: se, critical: critical)
        let c = control.value
        if c != 0 {
            let t = treatment.value
            let v = treatment.variance / (c * c) + t * t * control.variance / (c * c * c * c)
            relative = Interval(estimate: t / c - 1, standardError: v.squareRoot(), critical: critical)
        }
        if se > 0 && se.isFinite {
            let z = statistic ?? diff / se
            self.statistic = z
            self.pValue = pValue ?? (degreesOfFreedom.map { StudentT.twoSidedP(z, degreesOfFreedom: $0) } ?? Normal.twoSidedP(z))
        } else {
            self.statistic = 0
            self.pValue = 1
        }
    }
}
