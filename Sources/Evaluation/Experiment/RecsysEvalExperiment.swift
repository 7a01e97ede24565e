import Engine
import Reports
import Statistics

/// recsys-eval's experiment analysis at the request level (its SPEC §7 and §8), from an
/// `ExperimentScan`: the report.v1 keys `experiment.variants`, `by_segment`, `guardrails`,
/// `significance`, `cuped`, `power` and `srm` with its definitions, its decision, and its
/// A/A summary. These numbers reproduce recsys-eval's reports; receval's own inference at the
/// randomisation unit is `UnitAnalysis`.
struct RecsysEvalExperiment {
    let scan: ExperimentScan
    let config: ExperimentConfig
    /// Variant codes with at least one assigned exposure, in name order.
    let present: [Int]
    let control: Int?
    /// How `control` was chosen.
    let controlChoice: ControlChoice
    /// Set when a z-test had no defined value (pooled rate above 1), reported as p = 1.
    private(set) var undefinedTests = 0

    init(scan: ExperimentScan, config: ExperimentConfig) {
        self.scan = scan
        self.config = config
        present = scan.variants.indices.filter { scan.global[$0].exposures > 0 }
        if let c = present.first(where: { scan.variants[$0] == config.controlVariant }) {
            control = c
            controlChoice = .configured
        } else {
            controlChoice = config.controlVariant.isEmpty ? .mostExposures : .fallback
            // The variant with most exposures; ties go to the first name (recsys-eval's tie is map order).
            control = present.max {
                scan.global[$0].exposures < scan.global[$1].exposures || (scan.global[$0].exposures == scan.global[$1].exposures && $0 > $1)
            }
        }
    }

    /// Where the control variant came from. recsys-eval takes `control_variant` when the data holds
    /// it and otherwise, silently, the variant with the most exposures (SPEC §7).
    enum ControlChoice: String {
        /// `control_variant`, present in the data.
        case configured
        /// `control_variant` unset: the variant with the most exposures.
        case mostExposures = "most_exposures"
        /// `control_variant` set but absent from the data, replaced by the variant with the most
        /// exposures (only under `--compat recsys-eval`; otherwise the run stops).
        case fallback
    }

    /// Variants with assigned exposures and their exposure counts, most exposures first.
    var presentByExposures: [(name: String, exposures: Int)] {
        present.map { (scan.variants[$0], scan.global[$0].exposures) }.sorted { ($0.exposures, $1.name) > ($1.exposures, $0.name) }
    }

    var controlName: String { control.map { scan.variants[$0] } ?? "" }

    var casesEvaluated: Int { scan.global.reduce(0) { $0 + $1.exposures } }

    /// CUPED's global terms: θ for clicks and conversions, the covariate mean, and coverage.
    struct Cuped {
        var thetaCTR: Double
        var thetaConversion: Double
        var meanX: Double
        var coverage: Double
    }

    var cuped: Cuped? {
        guard config.cupedEnabled, !config.covariateKey.isEmpty else { return nil }
        let n = Double(scan.global.reduce(0) { $0 + $1.covariateExposures })
        guard n > 0 else { return nil }
        var sx = ExactSum()
        var clicked = 0
        var converted = 0
        for g in scan.global {
            sx.add(g.covariateSum)
            clicked += g.clickedWithCovariate
            converted += g.convertedWithCovariate
        }
        let meanX = sx.value / n
        let varX = scan.covariateMoments.squares.value / n - meanX * meanX
        guard varX > 0 else { return nil }
        let thetaC = (scan.covariateMoments.timesClicked.value / n - meanX * Double(clicked) / n) / varX
        let thetaV = (scan.covariateMoments.timesConverted.value / n - meanX * Double(converted) / n) / varX
        return Cuped(thetaCTR: thetaC, thetaConversion: thetaV, meanX: meanX, coverage: n / Double(max(casesEvaluated, 1)))
    }

    static func rate(_ a: Double, _ b: Int) -> Double { b == 0 ? 0 : a / Double(b) }

    func variantJSON(_ v: Int, _ g: ExperimentScan.Group, cuped: Cuped?) -> JSONValue {
        var m: [(String, JSONValue)] = [
            ("variant", .string(scan.variants[v])), ("exposures", .number(Double(g.exposures))), ("clicks", .number(Double(g.clicks))),
            ("conversions", .number(Double(g.conversions))), ("ctr", .number(Self.rate(Double(g.clicks), g.exposures))),
            ("conversion_rate", .number(Self.rate(Double(g.conversions), g.exposures))), ("revenue", .number(g.revenue.value)),
            ("revenue_per_request", .number(Self.rate(g.revenue.value, g.exposures))),
        ]
        if g.lastNanos > g.firstNanos {
            let seconds = Double(g.lastNanos - g.firstNanos) / 1e9
            m.append(("throughput_rps", .number(Double(g.exposures) / seconds)))
        }
        if let cuped, g.covariateExposures > 0 {
            let n = Double(g.covariateExposures)
            let shift = g.covariateSum.value / n - cuped.meanX
            let ctr = Double(g.clickedWithCovariate) / n - cuped.thetaCTR * shift
            let cvr = Double(g.convertedWithCovariate) / n - cuped.thetaConversion * shift
            if ctr != 0 { m.append(("ctr_adjusted", .number(ctr))) }
            if cvr != 0 { m.append(("conversion_rate_adjusted", .number(cvr))) }
        }
        return .object(m)
    }

    /// One significance row before correction.
    struct Test {
        var metric: String
        var variant: String
        var segment: String?
        var p: Double
    }

    mutating func tests() -> [Test] {
        guard let control else { return [] }
        var out: [Test] = []
        func scope(_ groups: [ExperimentScan.Group], _ segment: String?) {
            guard groups[control].exposures > 0 else { return }
            let c = groups[control]
            for v in scan.variants.indices where v != control && groups[v].exposures > 0 {
                let g = groups[v]
                for (name, s, s0) in [("ctr", g.clicks, c.clicks), ("conversion_rate", g.conversions, c.conversions)] {
                    var p = RecsysEvalTests.twoProportionP(
                        successes: s, trials: g.exposures, controlSuccesses: s0, controlTrials: c.exposures)
                    if p.isNaN {
                        undefinedTests += 1
                        p = 1
                    }
                    out.append(Test(metric: name, variant: scan.variants[v], segment: segment, p: p))
                }
            }
        }
        scope(scan.global, nil)
        for (i, key) in scan.segmentKeys.enumerated() { scope(scan.segments[i], key) }
        return out
    }

    func significanceJSON(_ tests: [Test]) -> [JSONValue] {
        let method = config.recsysEvalCorrection
        let adjusted = MultipleComparisons.adjust(
            tests.map(\.p), method: method == "bonferroni" ? .bonferroni : method == "none" ? .none : .fdrBH)
        let primary = Set(config.primaryMetrics.map { $0.lowercased() })
        return zip(tests, adjusted).map { t, a in
            var m: [(String, JSONValue)] = [("metric", .string(t.metric)), ("variant", .string(t.variant))]
            if let s = t.segment { m.append(("segment", .string(s))) }
            m.append(("p_value", .number(t.p)))
            if a != 0 { m.append(("adjusted_p_value", .number(a))) }
            m += [
                ("significant", .bool(a <= config.alpha)), ("primary", .bool(primary.contains(t.metric))), ("correction", .string(method)),
            ]
            return .object(m)
        }
    }

    /// Guardrails per present variant: p95 latency at the floor index, error and empty rates.
    struct Guardrail {
        var variant: String
        var latencyP95: Double
        var errorRate: Double
        var emptyRate: Double
        var passLatency: Bool
        var passError: Bool
        var passEmpty: Bool
    }

    func guardrails() -> [Guardrail] {
        present.map { v in
            let g = scan.global[v]
            let p95 = scan.latencies[v].floorPercentile(0.95)
            let err = Self.rate(Double(g.errors), g.exposures)
            let empty = Self.rate(Double(g.empties), g.exposures)
            func pass(_ x: Double, _ max: Double) -> Bool { max == 0 || x <= max }
            return Guardrail(
                variant: scan.variants[v], latencyP95: p95, errorRate: err, emptyRate: empty, passLatency: pass(p95, config.maxLatencyP95),
                passError: pass(err, config.maxErrorRate), passEmpty: pass(empty, config.maxEmptyRate))
        }
    }

    static func guardrailJSON(_ g: Guardrail) -> JSONValue {
        .object([
            ("variant", .string(g.variant)), ("latency_p95_ms", .number(g.latencyP95)), ("error_rate", .number(g.errorRate)),
            ("empty_rate", .number(g.emptyRate)), ("pass_latency", .bool(g.passLatency)), ("pass_error_rate", .bool(g.passError)),
            ("pass_empty_rate", .bool(g.passEmpty)),
        ])
    }

    var powerJSON: JSONValue? {
        guard let p = config.power else { return nil }
        let alpha = p.alpha > 0 && p.alpha < 1 ? p.alpha : 0.05
        let power = p.power > 0 && p.power < 1 ? p.power : 0.8
        guard let n = RecsysEvalTests.sampleSize(baseline: p.baselineRate, mde: p.mde, alpha: alpha, power: power) else { return nil }
        var m: [(String, JSONValue)] = [
            ("metric", .string(p.metric.isEmpty ? "ctr" : p.metric.lowercased())), ("baseline_rate", .number(p.baselineRate)),
            ("mde", .number(p.mde)), ("alpha", .number(alpha)), ("power", .number(power)), ("sample_size_per_variant", .number(Double(n))),
        ]
        if p.dailySamples > 0 { m.append(("estimated_days", .number(2 * Double(n) / p.dailySamples))) }
        return .object(m)
    }

    /// recsys-eval's SRM result on assignment rows.
    struct SRM {
        var pValue: Double
        var observed: [(String, Int)]
        var expected: [(String, Double)]
        var detected: Bool
        var sampleSize: Int
    }

    var srmAlpha: Double { config.srmAlpha > 0 && config.srmAlpha < 1 ? config.srmAlpha : 0.001 }
    var srmMinSample: Int { config.srmMinSample == 0 ? 100 : max(config.srmMinSample, 0) }

    func srm(_ counts: [Int]) -> SRM {
        let observed = scan.variants.indices.filter { counts[$0] > 0 }.map { (scan.variants[$0], counts[$0]) }
        let total = observed.reduce(0) { $0 + $1.1 }
        let expected = config.srmExpected.isEmpty ? observed.map { ($0.0, 1.0) } : config.srmExpected
        var p = 1.0
        let weight = Dictionary(expected.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        if total > 0 && observed.allSatisfy({ weight[$0.0] != nil }) {
            let wsum = expected.reduce(0) { $0 + $1.1 }
            if wsum > 0 && !expected.contains(where: { $0.1 < 0 }) {
                var chi = 0.0
                var used = 0
                for (name, o) in observed {
                    let e = weight[name]! / wsum * Double(total)
                    guard e > 0 else { continue }
                    chi += (Double(o) - e) * (Double(o) - e) / e
                    used += 1
                }
                if used >= 2 {
                    let q = ChiSquared.survival(chi, degreesOfFreedom: Double(used - 1))
                    p = q.isFinite ? min(max(q, 0), 1) : 1
                }
            }
        }
        return SRM(pValue: p, observed: observed, expected: expected, detected: total >= srmMinSample && p < srmAlpha, sampleSize: total)
    }

    static func srmJSON(_ s: SRM) -> JSONValue {
        .object([
            ("p_value", .number(s.pValue)), ("observed", .object(s.observed.map { ($0.0, .number(Double($0.1))) })),
            ("expected", .object(s.expected.map { ($0.0, .number($0.1)) })), ("detected", .bool(s.detected)),
            ("sample_size", .number(Double(s.sampleSize))),
        ])
    }

    /// The `experiment` section.
    mutating func section() -> (JSONValue, [Test]) {
        let cu = cuped
        var m: [(String, JSONValue)] = [
            ("experiment_id", .string(config.experimentID)),
            ("variants", .array(present.map { variantJSON($0, scan.global[$0], cuped: cu) })),
        ]
        var bySegment: [(String, JSONValue)] = []
        for (i, key) in scan.segmentKeys.enumerated() {
            let vs = scan.variants.indices.filter { scan.segments[i][$0].exposures > 0 }
            bySegment.append((key, .array(vs.map { variantJSON($0, scan.segments[i][$0], cuped: cu) })))
        }
        if !bySegment.isEmpty { m.append(("by_segment", .object(bySegment))) }
        m.append(("guardrails", .object([("per_variant", .array(guardrails().map(Self.guardrailJSON)))])))
        if let cu {
            var c: [(String, JSONValue)] = [("enabled", .bool(true)), ("covariate_key", .string(config.covariateKey))]
            if cu.thetaCTR != 0 { c.append(("theta_ctr", .number(cu.thetaCTR))) }
            if cu.thetaConversion != 0 { c.append(("theta_conversion_rate", .number(cu.thetaConversion))) }
            if cu.coverage != 0 { c.append(("coverage_rate", .number(cu.coverage))) }
            m.append(("cuped", .object(c)))
        }
        if let p = powerJSON { m.append(("power", p)) }
        let t = tests()
        let sig = significanceJSON(t)
        if !sig.isEmpty { m.append(("significance", .array(sig))) }
        if config.srmEnabled {
            var s: [(String, JSONValue)] = [
                ("alpha", .number(srmAlpha)), ("min_sample", .number(Double(srmMinSample))),
                ("global", Self.srmJSON(srm(scan.assignmentRowsByVariant))),
            ]
            if !config.srmSliceKeys.isEmpty && !scan.srmSegments.isEmpty {
                s.append(("by_segment", .object(scan.srmSegments.map { ($0.key, Self.srmJSON(srm($0.counts))) })))
            }
            m.append(("srm", .object(s)))
        }
        return (.object(m), t)
    }

    /// recsys-eval's A/A summary over raw p-values (SPEC §8).
    func aaCheck(_ tests: [Test]) -> (JSONValue, Bool) {
        let thresholds = config.aaThresholds.isEmpty ? [0.05, 0.01, 0.001] : config.aaThresholds
        var metrics: [JSONValue] = []
        for bySegment in [false, true] {
            let rows = tests.filter { ($0.segment != nil) == bySegment }
            for name in Set(rows.map(\.metric)).sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
                let ps = rows.filter { $0.metric == name }.map(\.p)
                metrics.append(
                    .object([
                        ("metric", .string(name)), ("by_segment", .bool(bySegment)),
                        ("counts", .object(thresholds.map { t in (Self.thresholdKey(t), .number(Double(ps.filter { $0 < t }.count))) })),
                    ]))
            }
        }
        let uniformish = Self.uniformish(tests.map(\.p), thresholds: thresholds)
        return (
            .object([
                ("metrics", .array(metrics)), ("thresholds", .array(thresholds.map { .number($0) })),
                ("total_tests", .number(Double(tests.count))), ("uniformish", .bool(uniformish)),
            ]), uniformish
        )
    }

    /// For every threshold expecting at least one false positive, at most 2.5 times that many.
    static func uniformish(_ p: [Double], thresholds: [Double]) -> Bool {
        thresholds.allSatisfy { t in
            let expected = Double(p.count) * t
            return expected < 1 || Double(p.filter { $0 < t }.count) <= 2.5 * expected
        }
    }

    /// A threshold as Go's `%.6f` with trailing zeros and dot removed.
    static func thresholdKey(_ t: Double) -> String {
        let scaled = (t * 1e6).rounded()
        var digits = String(Int(scaled))
        let negative = digits.hasPrefix("-")
        if negative { digits.removeFirst() }
        while digits.count < 7 { digits = "0" + digits }
        var s = String(digits.dropLast(6)) + "." + String(digits.suffix(6))
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return (negative && s != "0" ? "-" : "") + s
    }
}
