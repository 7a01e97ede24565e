/// The experiment part of an eval config (recsys-eval SPEC §3.3, also read by aa-check), plus
/// receval's `analysis` block for inference at the randomisation unit.
public struct ExperimentConfig: Sendable {
    public var experimentID = ""
    public var sliceKeys: [String] = []
    public var controlVariant = ""
    public var primaryMetrics: [String] = []
    // Guardrails: absolute thresholds (0 disables a check, as in recsys-eval).
    public var maxLatencyP95 = 0.0
    public var maxErrorRate = 0.0
    public var maxEmptyRate = 0.0
    /// Non-inferiority margins relative to control, by guardrail name (`latency_p50_ms`,
    /// `latency_p95_ms`, `latency_p99_ms`, `error_rate`, `empty_rate`, `join_rate`): e.g. 0.05
    /// allows a 5% degradation.
    public var nonInferiority: [(metric: String, margin: Double)] = []
    public var cupedEnabled = false
    public var covariateKey = ""
    /// A window of the same logs whose exposures give each unit's pre-period covariate.
    public var prePeriod: (start: String, end: String)?
    public struct Power: Sendable {
        public var metric = ""
        public var baselineRate = 0.0
        public var mde = 0.0
        public var alpha = 0.0
        public var power = 0.0
        public var dailySamples = 0.0
    }
    public var power: Power?
    /// recsys-eval's correction method as written ("" means fdr_bh) and alpha (0 means 0.05).
    public var correctionMethod = ""
    public var correctionAlpha = 0.0
    public var srmEnabled = false
    public var srmAlpha = 0.0
    public var srmMinSample = 0
    public var srmExpected: [(variant: String, weight: Double)] = []
    public var srmSliceKeys: [String] = []
    public var srmGateEnabled = false
    public var decisionEnabled = false
    public var decisionOutputPath = ""
    public var candidateVariant = ""
    public var primaryThresholds: [(metric: String, threshold: Double)] = []
    public var guardrailGate = false
    public var srmGate = false
    public var aaCheckEnabled = false
    public var aaThresholds: [Double] = []
    /// receval's unit-level analysis.
    public var analysis = Analysis()

    public struct Analysis: Sendable {
        public enum Unit: String, Sendable { case user, request }
        public var unit = Unit.user
        /// "recsys-eval": decisions exactly as recsys-eval makes them.
        public var compat = ""
        public var level = 0.95
        /// The unit-level family's correction; "" means the recsys-eval method (fdr_bh by default).
        public var correction = ""
        public var bootstrap = false
        public var bootstrapIterations = 1000
        public var bootstrapSeed = 42
        /// SRM gate on units (on by default: an SRM makes every comparison suspect).
        public var srmGate = true
        /// "primary": the primary metrics' global comparisons form the confirmatory family the
        /// decision uses, every other row an exploratory family; "all": one family of every row.
        public var family = "primary"
    }

    public init() {}

    /// recsys-eval's normalised correction: fdr_bh unless bonferroni or none is named.
    public var recsysEvalCorrection: String {
        let m = correctionMethod.lowercased()
        return m == "bonferroni" || m == "none" ? m : "fdr_bh"
    }

    public var alpha: Double { correctionAlpha > 0 && correctionAlpha < 1 ? correctionAlpha : 0.05 }

    static func parse(_ node: YAMLNode, file: String) throws -> ExperimentConfig {
        var c = ExperimentConfig()
        let e = try node.mapping(allowed: [
            "experiment_id", "slice_keys", "control_variant", "primary_metrics", "guardrails", "cuped", "power", "multiple_comparisons",
            "srm",
            "decision", "aa_check", "analysis",
        ])
        c.experimentID = try e["experiment_id"]?.string() ?? ""
        c.sliceKeys = try (e["slice_keys"]?.list() ?? []).map { try $0.string() }
        c.controlVariant = try e["control_variant"]?.string() ?? ""
        c.primaryMetrics = try (e["primary_metrics"]?.list() ?? []).map { try $0.string() }
        if let g = e["guardrails"] {
            let f = try g.mapping(allowed: ["max_latency_p95_ms", "max_error_rate", "max_empty_rate", "non_inferiority"])
            c.maxLatencyP95 = try f["max_latency_p95_ms"]?.double() ?? 0
            c.maxErrorRate = try f["max_error_rate"]?.double() ?? 0
            c.maxEmptyRate = try f["max_empty_rate"]?.double() ?? 0
            for (k, v) in try f["non_inferiority"]?.entries() ?? [] {
                guard ["latency_p95_ms", "error_rate", "empty_rate", "join_rate"].contains(k) else {
                    throw ConfigError(
                        file: file, "`\(v.path)`: non-inferiority applies to latency_p95_ms, error_rate, empty_rate or join_rate")
                }
                let m = try v.double()
                guard m >= 0 else { throw ConfigError(file: file, "`\(v.path)` must be a margin >= 0 (0.05 allows 5% worse than control)") }
                c.nonInferiority.append((k, m))
            }
        }
        if let cu = e["cuped"] {
            let f = try cu.mapping(allowed: ["enabled", "covariate_key", "pre_period"])
            c.cupedEnabled = try f["enabled"]?.bool() ?? false
            c.covariateKey = try f["covariate_key"]?.string() ?? ""
            if let w = f["pre_period"] {
                let b = try w.mapping(allowed: ["start", "end"])
                c.prePeriod = (try b["start"]?.string() ?? "", try b["end"]?.string() ?? "")
            }
        }
        if let p = e["power"] {
            let f = try p.mapping(allowed: ["metric", "baseline_rate", "mde", "alpha", "power", "daily_samples"])
            var pw = Power()
            pw.metric = try f["metric"]?.string() ?? ""
            pw.baselineRate = try f["baseline_rate"]?.double() ?? 0
            pw.mde = try f["mde"]?.double() ?? 0
            pw.alpha = try f["alpha"]?.double() ?? 0
            pw.power = try f["power"]?.double() ?? 0
            pw.dailySamples = try f["daily_samples"]?.double() ?? 0
            c.power = pw
        }
        if let m = e["multiple_comparisons"] {
            let f = try m.mapping(allowed: ["method", "alpha"])
            c.correctionMethod = try f["method"]?.string() ?? ""
            c.correctionAlpha = try f["alpha"]?.double() ?? 0
        }
        if let s = e["srm"] {
            let f = try s.mapping(allowed: ["enabled", "alpha", "min_sample", "expected", "slice_keys", "gate_enabled"])
            c.srmEnabled = try f["enabled"]?.bool() ?? false
            c.srmAlpha = try f["alpha"]?.double() ?? 0
            c.srmMinSample = try f["min_sample"]?.int() ?? 0
            c.srmExpected = try (f["expected"]?.entries() ?? []).map { ($0.key, try $0.value.double()) }
            c.srmSliceKeys = try (f["slice_keys"]?.list() ?? []).map { try $0.string() }
            c.srmGateEnabled = try f["gate_enabled"]?.bool() ?? false
        }
        if let d = e["decision"] {
            let f = try d.mapping(allowed: [
                "enabled", "output_path", "candidate_variant", "primary_thresholds", "guardrail_gate", "srm_gate",
            ])
            c.decisionEnabled = try f["enabled"]?.bool() ?? false
            c.decisionOutputPath = try f["output_path"]?.string() ?? ""
            c.candidateVariant = try f["candidate_variant"]?.string() ?? ""
            c.primaryThresholds = try (f["primary_thresholds"]?.entries() ?? []).map { ($0.key, try $0.value.double()) }
            c.guardrailGate = try f["guardrail_gate"]?.bool() ?? false
            c.srmGate = try f["srm_gate"]?.bool() ?? false
        }
        if let a = e["aa_check"] {
            let f = try a.mapping(allowed: ["enabled", "thresholds"])
            c.aaCheckEnabled = try f["enabled"]?.bool() ?? false
            c.aaThresholds = try (f["thresholds"]?.list() ?? []).map { try $0.double() }
        }
        if let a = e["analysis"] {
            let f = try a.mapping(allowed: ["unit", "compat", "ci_level", "correction", "bootstrap", "srm_gate", "family"])
            let unit = try f["unit"]?.string().lowercased() ?? "user"
            guard let u = Analysis.Unit(rawValue: unit) else {
                throw ConfigError(file: file, "`experiment.analysis.unit` must be user or request, not \(unit)")
            }
            c.analysis.unit = u
            c.analysis.compat = try f["compat"]?.string().lowercased() ?? ""
            guard ["", "recsys-eval"].contains(c.analysis.compat) else {
                throw ConfigError(file: file, "`experiment.analysis.compat` must be recsys-eval or empty")
            }
            let level = try f["ci_level"]?.double() ?? 0.95
            guard level > 0 && level < 1 else { throw ConfigError(file: file, "`experiment.analysis.ci_level` must be in (0, 1)") }
            c.analysis.level = level
            c.analysis.correction = try f["correction"]?.string().lowercased() ?? ""
            guard ["", "none", "bonferroni", "holm", "fdr_bh"].contains(c.analysis.correction) else {
                throw ConfigError(file: file, "`experiment.analysis.correction` must be none, bonferroni, holm or fdr_bh")
            }
            if let b = f["bootstrap"] {
                let bf = try b.mapping(allowed: ["enabled", "iterations", "seed"])
                c.analysis.bootstrap = try bf["enabled"]?.bool() ?? false
                c.analysis.bootstrapIterations = try bf["iterations"]?.int() ?? 1000
                c.analysis.bootstrapSeed = try bf["seed"]?.int() ?? 42
                guard c.analysis.bootstrapIterations > 0 else {
                    throw ConfigError(file: file, "`experiment.analysis.bootstrap.iterations` must be > 0")
                }
            }
            if let g = f["srm_gate"] { c.analysis.srmGate = try g.bool() }
            c.analysis.family = try f["family"]?.string().lowercased() ?? "primary"
            guard ["primary", "all"].contains(c.analysis.family) else {
                throw ConfigError(file: file, "`experiment.analysis.family` must be primary or all")
            }
        }
        return c
    }
}
