/// The `ope` part of an eval config: recsys-eval's keys (SPEC §3.3, §9), which define the
/// report.v1 `ope` section, and receval's `analysis` block for the corrected estimators.
public struct OPEConfig: Sendable {
    /// recsys-eval's reward event, lower-cased: `click` or `conversion`.
    public var rewardEvent = "click"
    /// recsys-eval's sample unit: `request` or `item`.
    public var unit = "request"
    /// recsys-eval's request-level aggregation of item rewards: `sum` or `max`.
    public var rewardAggregation = "sum"
    /// Items kept per exposure, best rank first (0: all).
    public var topK = 0
    /// Largest importance weight (0: none).
    public var clipping = 0.0
    /// Propensities below it are counted as near zero (diagnostic only).
    public var minPropensity = 1e-6
    public var enableSNIPS = false
    public var enableDR = false
    /// `log2` weights position k by 1/log2(k+1); anything else is no discount.
    public var positionDiscount = "none"
    public var allowMissingTargetPropensity = false
    public var analysis = Analysis()

    public init() {}

    /// receval's estimators: deduplicated exposures, every outcome credited, a documented
    /// reward model, intervals and diagnostics per segment (docs/ope.md).
    public struct Analysis: Sendable {
        public enum Reward: String, Sendable, CaseIterable { case click, conversion, value }
        public enum RewardModel: String, Sendable, CaseIterable { case fitted, logged }
        /// `false` computes recsys-eval's `ope` section only (one pass fewer, no `ope_analysis`):
        /// for a drop-in run that needs only recsys-eval's numbers.
        public var enabled = true
        /// Default: recsys-eval's reward event.
        public var reward: Reward? = nil
        public var rewardModel = RewardModel.fitted
        /// Additive smoothing of the fitted item × slot model toward the slot's mean reward.
        public var smoothing = 10.0
        /// Switch-DR keeps the importance-weighted residual where w ≤ τ.
        public var switchThreshold = 10.0
        /// Clipping of the clipped IPS (default: recsys-eval's `clipping`, or 10 when that is 0).
        public var clipping: Double? = nil
        public var sliceKeys: [String] = []
        public var level = 0.95
        public var bootstrap = true
        public var bootstrapIterations = 500
        public var bootstrapSeed = 42

        public init() {}
    }

    /// Reads the `ope` node; unknown keys are errors naming the key.
    static func parse(_ node: YAMLNode, file: String) throws -> OPEConfig {
        let o = try node.mapping(allowed: [
            "reward_event", "unit", "reward_aggregation", "top_k", "clipping", "min_propensity", "enable_snips", "enable_dr",
            "position_discount", "allow_missing_target_propensity", "analysis",
        ])
        var c = OPEConfig()
        let event = try o["reward_event"]?.string().lowercased() ?? ""
        c.rewardEvent = event.isEmpty ? "click" : event
        guard ["click", "conversion"].contains(c.rewardEvent) else {
            throw ConfigError(file: file, "ope.reward_event must be click or conversion, not \(c.rewardEvent)")
        }
        let unit = try o["unit"]?.string().lowercased() ?? ""
        c.unit = unit.isEmpty ? "request" : unit
        guard ["request", "item"].contains(c.unit) else { throw ConfigError(file: file, "ope.unit must be request or item, not \(c.unit)") }
        let agg = try o["reward_aggregation"]?.string().lowercased() ?? ""
        c.rewardAggregation = agg.isEmpty ? "sum" : agg
        guard ["sum", "max"].contains(c.rewardAggregation) else {
            throw ConfigError(file: file, "ope.reward_aggregation must be sum or max, not \(c.rewardAggregation)")
        }
        c.topK = max(0, try o["top_k"]?.int() ?? 0)
        c.clipping = try o["clipping"]?.double() ?? 0
        guard c.clipping >= 0 else { throw ConfigError(file: file, "ope.clipping must be >= 0") }
        let minP = try o["min_propensity"]?.double() ?? 0
        c.minPropensity = minP == 0 ? 1e-6 : minP
        c.enableSNIPS = try o["enable_snips"]?.bool() ?? false
        c.enableDR = try o["enable_dr"]?.bool() ?? false
        c.positionDiscount = try o["position_discount"]?.string().lowercased() ?? "none"
        c.allowMissingTargetPropensity = try o["allow_missing_target_propensity"]?.bool() ?? false
        if let a = o["analysis"] {
            let f = try a.mapping(allowed: [
                "enabled", "reward", "reward_model", "smoothing", "switch_threshold", "clipping", "slice_keys", "ci_level", "bootstrap",
            ])
            c.analysis.enabled = try f["enabled"]?.bool() ?? c.analysis.enabled
            if let r = try f["reward"]?.string().lowercased() {
                guard let reward = Analysis.Reward(rawValue: r) else {
                    throw ConfigError(file: file, "ope.analysis.reward must be click, conversion or value, not \(r)")
                }
                c.analysis.reward = reward
            }
            if let m = try f["reward_model"]?.string().lowercased() {
                guard let model = Analysis.RewardModel(rawValue: m) else {
                    throw ConfigError(file: file, "ope.analysis.reward_model must be fitted or logged, not \(m)")
                }
                c.analysis.rewardModel = model
            }
            c.analysis.smoothing = try f["smoothing"]?.double() ?? c.analysis.smoothing
            guard c.analysis.smoothing >= 0 else { throw ConfigError(file: file, "ope.analysis.smoothing must be >= 0") }
            c.analysis.switchThreshold = try f["switch_threshold"]?.double() ?? c.analysis.switchThreshold
            guard c.analysis.switchThreshold > 0 else { throw ConfigError(file: file, "ope.analysis.switch_threshold must be > 0") }
            c.analysis.clipping = try f["clipping"]?.double()
            if let clip = c.analysis.clipping, clip <= 0 { throw ConfigError(file: file, "ope.analysis.clipping must be > 0") }
            c.analysis.sliceKeys = try (f["slice_keys"]?.list() ?? []).map { try $0.string() }
            c.analysis.level = try f["ci_level"]?.double() ?? c.analysis.level
            guard c.analysis.level > 0 && c.analysis.level < 1 else {
                throw ConfigError(file: file, "ope.analysis.ci_level must be in (0, 1)")
            }
            if let b = f["bootstrap"] {
                let g = try b.mapping(allowed: ["enabled", "iterations", "seed"])
                c.analysis.bootstrap = try g["enabled"]?.bool() ?? c.analysis.bootstrap
                c.analysis.bootstrapIterations = try g["iterations"]?.int() ?? c.analysis.bootstrapIterations
                c.analysis.bootstrapSeed = try g["seed"]?.int() ?? c.analysis.bootstrapSeed
                guard c.analysis.bootstrapIterations > 0 else {
                    throw ConfigError(file: file, "ope.analysis.bootstrap.iterations must be > 0")
                }
            }
        }
        return c
    }

    /// The clipping of receval's clipped IPS.
    public var clippedIPSThreshold: Double { analysis.clipping ?? (clipping > 0 ? clipping : 10) }
    /// The reward receval's estimators use.
    public var reward: Analysis.Reward { analysis.reward ?? (rewardEvent == "conversion" ? .conversion : .click) }
}
