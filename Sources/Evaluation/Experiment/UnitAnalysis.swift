import ColumnarStorage
import Engine
import Reports
import Statistics

/// Inference at the randomisation unit (the user of each assignment by default): every metric is
/// aggregated per unit, units seen in several variants are set aside, and each variant is
/// compared with control by the test that fits the metric (delta method for ratios, Welch for
/// per-unit means, two proportions for per-unit indicators), with CUPED, a Poisson bootstrap over
/// units, a multiple-comparison correction over a stated family, SRM on units, power, and
/// guardrails relative to control.
///
/// The per-unit values are read in sweeps over `Parts` (consecutive ranges of unit codes): the
/// tests' two-pass moments (`Moments.Accumulator`) take their means in the first sweep and their
/// centred sums in the second, and CUPED on a ratio's linearisation (which needs the ratio's
/// means) a third. The additions happen in unit order whatever the number of parts, so a run
/// whose users are taken in parts reports the same bits as one that holds them all.
struct UnitAnalysis: Sendable {
    enum Kind: String {
        case ratio, mean, proportion
    }

    struct Metric {
        var name: String
        var kind: Kind
        /// Column names: numerator and denominator (ratio), value (mean) or indicator (proportion).
        var columns: [Column]
    }

    enum Column: Int, CaseIterable {
        case clicks, clickedRequests, conversions, revenue, exposures, one, clicked, converted
    }

    static let metrics: [Metric] = [
        Metric(name: "ctr", kind: .ratio, columns: [.clicks, .exposures]),
        Metric(name: "clicked_request_rate", kind: .ratio, columns: [.clickedRequests, .exposures]),
        Metric(name: "conversion_rate", kind: .ratio, columns: [.conversions, .exposures]),
        Metric(name: "revenue_per_request", kind: .ratio, columns: [.revenue, .exposures]),
        Metric(name: "clicks_per_user", kind: .mean, columns: [.clicks, .one]),
        Metric(name: "revenue_per_user", kind: .mean, columns: [.revenue, .one]),
        Metric(name: "user_click_rate", kind: .proportion, columns: [.clicked, .one]),
        Metric(name: "user_conversion_rate", kind: .proportion, columns: [.converted, .one]),
    ]

    /// The guardrails tested per unit: each a ratio of a per-unit count over the unit's exposures.
    enum Guardrail: Int, CaseIterable {
        case errors, empties, joined

        var name: String { ["error_rate", "empty_rate", "join_rate"][rawValue] }
    }

    /// Per-unit columns of one arm in one scope (of one part), units in code order.
    struct Arm {
        var units: [Int] = []
        var columns = [[Double]](repeating: [], count: Column.allCases.count)
        var covariate: [[Double]] = []  // per column kind of covariate: index by Column
        /// Global scope: per guardrail, the unit's count (errors, empty lists, exposures joined).
        var guardrails: [[Double]] = []

        func column(_ c: Column) -> [Double] { columns[c.rawValue] }
    }

    /// One arm's accumulators in one scope, fed the arm's units part by part.
    struct ArmSums: Sendable {
        var units = 0
        /// Per metric: the moments of (numerator, denominator) of a ratio, of the value otherwise.
        var base = [Moments.Accumulator](repeating: Moments.Accumulator(), count: UnitAnalysis.metrics.count)
        /// Per metric, with a covariate: the moments of (covariate, y), y the value or, for a
        /// ratio, its linearisation.
        var cuped: [Moments.Accumulator] = []
        /// Global scope, per guardrail: the moments of (count, exposures).
        var guardrails: [Moments.Accumulator] = []
    }

    /// Where the per-unit sums come from: `count` scans of consecutive ranges of unit codes,
    /// read in order once per sweep (`scan(sweep, k)` for k = 0, 1, …). Sweep 0 reads every
    /// field; later sweeps read no unit keys and no crossover counts.
    struct Parts {
        var count: Int
        var scan: (_ sweep: Int, _ part: Int) throws -> ExperimentScan

        /// One scan that holds every unit.
        static func whole(_ scan: ExperimentScan) -> Parts { Parts(count: 1) { _, _ in scan } }
    }

    struct Row {
        var scope: String
        var metric: Metric
        var variant: String
        var comparison: Comparison
        var cuped: TwoSampleTests.CUPED?
        var bootstrap: (absolute: (Double, Double), relative: (Double, Double)?)?
        /// The p-value the correction and the decision use: CUPED's when it ran, else the plain test's.
        var decisionP: Double { cuped?.comparison.pValue ?? comparison.pValue }
        var decisionInterval: Interval { cuped?.comparison.absolute ?? comparison.absolute }
        var decisionRelative: Interval? { cuped?.comparison.relative ?? comparison.relative }
        var adjusted = 0.0
        var significant = false
        /// The multiple-comparison family: "primary", "exploratory" or "all".
        var family = "all"
    }

    /// recsys-eval's groups, latencies and the scope keys (`unitScopes` may hold no units: a
    /// run in parts keeps them in its parts).
    let scan: ExperimentScan
    let config: ExperimentConfig
    let control: Int?
    let level: Double
    let alpha: Double
    let correction: MultipleComparisons.Method
    var rows: [Row] = []
    /// Per scope (in `scan.unitScopes` order), per variant code.
    private(set) var sums: [[ArmSums]] = []
    /// Assigned units per variant (with or without analysed exposures), crossover units left out.
    private(set) var unitsPerVariant: [Int]
    private(set) var crossoverUnits = 0
    /// Analysed exposures of crossover units.
    private(set) var crossoverExposures = 0

    init(scan: ExperimentScan, config: ExperimentConfig, control: Int?, threads: Int) throws {
        try self.init(scan: scan, parts: .whole(scan), config: config, control: control, threads: threads)
    }

    /// The analysis of the units `parts` hold; `scan` gives everything else (its variants and
    /// scopes are every part's).
    init(scan: ExperimentScan, parts: Parts, config: ExperimentConfig, control: Int?, threads: Int) throws {
        self.scan = scan
        self.config = config
        self.control = control
        level = config.analysis.level
        alpha = config.alpha
        let name = config.analysis.correction.isEmpty ? config.recsysEvalCorrection : config.analysis.correction
        correction = MultipleComparisons.Method(rawValue: name) ?? .fdrBH
        unitsPerVariant = [Int](repeating: 0, count: scan.variants.count)
        try sweep(parts, threads: threads)
        guard let control else { return }
        // Scopes are independent: their rows are computed on every thread and kept in scope order.
        let analysis = self
        rows = Morsels.run(count: scan.unitScopes.count, threads: threads) { s in
            let a = analysis
            let arms = a.sums[s]
            var rows: [Row] = []
            for v in a.scan.variants.indices where v != control && arms[v].units >= 2 && arms[control].units >= 2 {
                for (k, m) in Self.metrics.enumerated() {
                    rows.append(
                        a.compare(
                            scope: s == 0 ? "global" : a.scan.unitScopes[s].key, metric: m, index: k, control: arms[control],
                            treatment: arms[v], variant: v))
                }
            }
            return rows
        }.flatMap { $0 }
        if config.analysis.family == "primary" {
            let primary = Set(Decision.primaryNames(config))
            for i in rows.indices {
                rows[i].family = rows[i].scope == "global" && primary.contains(rows[i].metric.name) ? "primary" : "exploratory"
            }
        }
        for family in ["primary", "exploratory", "all"] {
            let members = rows.indices.filter { rows[$0].family == family }
            let adjusted = MultipleComparisons.adjust(members.map { rows[$0].decisionP }, method: correction)
            for (i, a) in zip(members, adjusted) {
                rows[i].adjusted = a
                rows[i].significant = a <= alpha
            }
        }
        if let replicates = bootstrapSums { applyBootstrap(replicates) }
    }

    /// The bootstrap's replicate sums, made in the first sweep (nil: no bootstrap).
    private var bootstrapSums: [Double]? = nil

    /// Sweeps of every part: the first counts units and takes the means (and the bootstrap's
    /// replicate sums), the second the centred sums, the third (with a covariate) CUPED's on
    /// the ratios' linearisations. One part is read once and swept on its scope's thread; parts
    /// are read once per sweep.
    private mutating func sweep(_ parts: Parts, threads: Int) throws {
        let withCovariate = covariateSource != nil
        sums = scan.unitScopes.indices.map { s in
            var empty = ArmSums()
            if withCovariate { empty.cuped = empty.base }
            if s == 0 { empty.guardrails = [Moments.Accumulator](repeating: Moments.Accumulator(), count: Guardrail.allCases.count) }
            return [ArmSums](repeating: empty, count: scan.variants.count)
        }
        // Without a control there are no tests: the first sweep's counts are all that is read.
        let sweeps = control == nil ? 1 : withCovariate ? 3 : 2
        let bootstrapping = control != nil && config.analysis.bootstrap
        for sweep in 0..<(parts.count == 1 ? 1 : sweeps) {
            for k in 0..<parts.count {
                let part = try parts.scan(sweep, k)
                precondition(part.unitScopes.count == scan.unitScopes.count, "every part has the run's scopes")
                let analysis = self
                let current = sums
                let one = parts.count == 1
                sums = Morsels.run(count: current.count, threads: threads) { s in
                    var sums = current[s]
                    let arms = analysis.arms(scope: part.unitScopes[s], part: part, guardrails: s == 0)
                    // One part: every sweep here, while its arms are at hand.
                    for w in (one ? Array(0..<sweeps) : [sweep]) {
                        for v in arms.indices { Self.feed(&sums[v], arms[v], sweep: w) }
                        if one { for v in sums.indices { Self.end(&sums[v], sweep: w) } }
                    }
                    return sums
                }
                if sweep == 0 {
                    for v in part.variantOfUnit {
                        if v >= 0 { unitsPerVariant[Int(v)] += 1 } else if v == -2 { crossoverUnits += 1 }
                    }
                    crossoverExposures += part.crossoverExposures
                    if bootstrapping { bootstrapSums = try bootstrapPart(part, continuing: bootstrapSums, threads: threads) }
                }
            }
            if parts.count > 1 { for s in sums.indices { for v in sums[s].indices { Self.end(&sums[s][v], sweep: sweep) } } }
        }
    }

    /// Feeds one part's units of an arm to the arm's accumulators, in sweep `sweep`.
    static func feed(_ sums: inout ArmSums, _ arm: Arm, sweep: Int) {
        if sweep == 0 { sums.units += arm.units.count }
        for (k, m) in metrics.enumerated() {
            let y = arm.column(m.columns[0])
            let d = m.kind == .ratio ? arm.column(m.columns[1]) : y
            if sweep == 0 { sums.base[k].add(y, d) } else if sweep == 1 { sums.base[k].addCentred(y, d) }
            guard !sums.cuped.isEmpty else { continue }
            let x = arm.covariate[m.columns[0].rawValue]
            if m.kind == .ratio {
                // The ratio's linearisation needs its means: a sweep later than its own moments.
                guard sweep >= 1 else { continue }
                let linear = TwoSampleTests.linearised(numerator: y, denominator: d, moments: sums.base[k].means)
                if sweep == 1 { sums.cuped[k].add(x, linear) } else { sums.cuped[k].addCentred(x, linear) }
            } else if sweep == 0 {
                sums.cuped[k].add(x, y)
            } else if sweep == 1 {
                sums.cuped[k].addCentred(x, y)
            }
        }
        guard !sums.guardrails.isEmpty else { return }
        let exposures = arm.column(.exposures)
        for g in Guardrail.allCases {
            if sweep == 0 {
                sums.guardrails[g.rawValue].add(arm.guardrails[g.rawValue], exposures)
            } else if sweep == 1 {
                sums.guardrails[g.rawValue].addCentred(arm.guardrails[g.rawValue], exposures)
            }
        }
    }

    /// Ends sweep `sweep` of an arm: the accumulators whose first pass it was take their means.
    static func end(_ sums: inout ArmSums, sweep: Int) {
        for (k, m) in metrics.enumerated() {
            if sweep == 0 { sums.base[k].centre() }
            if !sums.cuped.isEmpty && (sweep == 0) == (m.kind != .ratio) && sweep < 2 { sums.cuped[k].centre() }
        }
        if sweep == 0 { for g in sums.guardrails.indices { sums.guardrails[g].centre() } }
    }

    var covariateSource: String? {
        guard config.cupedEnabled else { return nil }
        if config.prePeriod != nil { return "pre_period" }
        return config.covariateKey.isEmpty ? nil : "context:\(config.covariateKey)"
    }

    /// Column `c` of the unit at position `i` of a scope of per-unit sums; nil: a unit without a
    /// row in the scope (all its sums are 0).
    static func value(_ c: Column, _ s: ExperimentScan.UnitScope, _ i: Int?) -> Double {
        guard let i else { return c == .one ? 1 : 0 }
        switch c {
        case .clicks: return Double(s.clicks[i])
        case .clickedRequests: return Double(s.clickedRequests[i])
        case .conversions: return Double(s.conversions[i])
        case .revenue: return s.revenue[i]
        case .exposures: return Double(s.exposures[i])
        case .one: return 1
        case .clicked: return s.clicks[i] > 0 ? 1 : 0
        case .converted: return s.conversions[i] > 0 ? 1 : 0
        }
    }

    /// Every variant's units present in `scope` of `part`, in one pass over the units.
    func arms(scope: ExperimentScan.UnitScope, part: ExperimentScan, guardrails: Bool) -> [Arm] {
        var empty = Arm()
        if covariateSource != nil { empty.covariate = [[Double]](repeating: [], count: Column.allCases.count) }
        if guardrails { empty.guardrails = [[Double]](repeating: [], count: Guardrail.allCases.count) }
        var arms = [Arm](repeating: empty, count: part.variants.count)
        let pre = part.preScope
        let context = covariateSource?.hasPrefix("context:") ?? false
        let counts = [part.unitErrors, part.unitEmpties, part.unitJoined]
        for (i, unit) in scope.units.enumerated() where part.variantOfUnit[Int(unit)] >= 0 && scope.exposures[i] > 0 {
            let u = Int(unit)
            let v = Int(part.variantOfUnit[u])
            arms[v].units.append(u)
            for c in Column.allCases { arms[v].columns[c.rawValue].append(Self.value(c, scope, i)) }
            if context {
                let n = scope.covariateCount[i]
                let x = n > 0 ? scope.covariateSum[i] / Double(n) : 0
                for c in Column.allCases { arms[v].covariate[c.rawValue].append(x) }
            } else if let pre {
                // The unit's own metric over the pre-period: the same column before the experiment.
                let at = pre.index(of: unit)
                for c in Column.allCases { arms[v].covariate[c.rawValue].append(Self.value(c, pre, at)) }
            }
            if guardrails { for g in Guardrail.allCases { arms[v].guardrails[g.rawValue].append(Double(counts[g.rawValue][u])) } }
        }
        return arms
    }

    func compare(scope: String, metric m: Metric, index k: Int, control c: ArmSums, treatment t: ArmSums, variant: Int) -> Row {
        let comparison: Comparison
        switch m.kind {
        case .ratio:
            comparison = TwoSampleTests.delta(control: c.base[k].moments, treatment: t.base[k].moments, level: level)
        case .mean:
            comparison = TwoSampleTests.welch(control: c.base[k].moments, treatment: t.base[k].moments, level: level)
        case .proportion:
            comparison = TwoSampleTests.twoProportion(
                control: (Int(c.base[k].sumX), c.units), treatment: (Int(t.base[k].sumX), t.units), level: level)
        }
        var row = Row(scope: scope, metric: m, variant: scan.variants[variant], comparison: comparison)
        if !c.cuped.isEmpty {
            row.cuped = TwoSampleTests.cuped(
                control: (comparison.control.value, c.cuped[k].moments), treatment: (comparison.treatment.value, t.cuped[k].moments),
                level: level)
        }
        return row
    }

    /// The bootstrap's columns: those of the configured metrics (the primary metrics, or ctr).
    var bootstrapColumns: [Column] {
        let wanted = Set(bootstrapMetrics)
        let needed = Set(Self.metrics.filter { wanted.contains($0.name) }.flatMap(\.columns))
        return Column.allCases.filter { needed.contains($0) }
    }

    /// The Poisson bootstrap's weighted column sums over one part's units of the global scope,
    /// going on from the sums of the parts before it: one pass of the replicate kernel gives
    /// every arm's sums.
    func bootstrapPart(_ part: ExperimentScan, continuing previous: [Double]?, threads: Int) throws -> [Double] {
        let scope = part.unitScopes[0]
        let used = bootstrapColumns
        // One unit list over all arms: arm = variant code of non-crossover units present globally.
        var keys: [UInt64] = []
        var arm: [Int32] = []
        var columns = [[Double]](repeating: [], count: Column.allCases.count)
        for (i, unit) in scope.units.enumerated() where part.variantOfUnit[Int(unit)] >= 0 && scope.exposures[i] > 0 {
            keys.append(part.unitKeys[Int(unit)])
            arm.append(part.variantOfUnit[Int(unit)])
            for c in used { columns[c.rawValue].append(Self.value(c, scope, i)) }
        }
        return try PoissonBootstrap.replicateSums(
            units: keys, arm: arm, arms: scan.variants.count, columns: used.map { columns[$0.rawValue] },
            replicates: config.analysis.bootstrapIterations, seed: UInt64(bitPattern: Int64(config.analysis.bootstrapSeed)),
            threads: threads, continuing: previous)
    }

    /// Percentile intervals of the configured metrics from the replicate sums of every unit.
    mutating func applyBootstrap(_ sums: [Double]) {
        guard let control else { return }
        let wanted = Set(bootstrapMetrics)
        let used = bootstrapColumns
        let b = config.analysis.bootstrapIterations
        func sum(_ v: Int, _ c: Column, _ r: Int) -> Double { sums[(v * used.count + used.firstIndex(of: c)!) * b + r] }
        for i in rows.indices where rows[i].scope == "global" && wanted.contains(rows[i].metric.name) {
            let m = rows[i].metric
            guard let t = scan.variants.firstIndex(of: rows[i].variant) else { continue }
            var abs: [Double] = []
            var rel: [Double] = []
            for r in 0..<b {
                let vc = sum(control, m.columns[0], r) / sum(control, m.columns[1], r)
                let vt = sum(t, m.columns[0], r) / sum(t, m.columns[1], r)
                guard vc.isFinite, vt.isFinite else { continue }
                abs.append(vt - vc)
                if vc != 0 { rel.append(vt / vc - 1) }
            }
            guard let a = PoissonBootstrap.percentileInterval(abs, level: level) else { continue }
            let rr = rel.count == abs.count ? PoissonBootstrap.percentileInterval(rel, level: level) : nil
            rows[i].bootstrap = ((a.lower, a.upper), rr.map { ($0.lower, $0.upper) })
        }
    }

    var bootstrapMetrics: [String] {
        let names = Set(Self.metrics.map(\.name))
        let primary = config.primaryMetrics.map { $0.lowercased() }.filter { names.contains($0) }
        return primary.isEmpty ? ["ctr"] : primary
    }

    // MARK: - SRM, crossover, guardrails, power

    /// Expected weights per variant code (config, or equal over variants with units).
    func srmWeights(_ observed: [Int]) -> [Double] {
        if config.srmExpected.isEmpty { return observed.map { $0 > 0 ? 1 : 0 } }
        return scan.variants.map { name in config.srmExpected.first { $0.variant == name }?.weight ?? 0 }
    }

    var srmAlpha: Double { config.srmAlpha > 0 && config.srmAlpha < 1 ? config.srmAlpha : 0.001 }
    var srmMinSample: Int { config.srmMinSample == 0 ? 100 : max(config.srmMinSample, 0) }

    /// SRM on units, overall and per segment scope: what the decision, the verdict and the report
    /// section all read, computed once per run.
    typealias SRM = (
        global: GoodnessOfFit.Result, observed: [Int], detected: Bool,
        slices: [(key: String, observed: [Int], result: GoodnessOfFit.Result)]
    )

    func srm() -> SRM {
        let observed = unitsPerVariant
        let weights = srmWeights(observed)
        let global = GoodnessOfFit.test(observed: observed, weights: weights)
        var slices: [(key: String, observed: [Int], result: GoodnessOfFit.Result)] = []
        for (scope, arms) in zip(scan.unitScopes, sums).dropFirst() {
            let o = arms.map(\.units)
            slices.append((scope.key, o, GoodnessOfFit.test(observed: o, weights: weights)))
        }
        slices.sort {
            $0.result.statistic != $1.result.statistic
                ? $0.result.statistic > $1.result.statistic : Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8))
        }
        let total = observed.reduce(0, +)
        return (global, observed, total >= srmMinSample && global.pValue < srmAlpha, slices)
    }

    struct GuardrailCheck {
        var metric: String
        var variant: String
        var value: Double
        var control: Double
        /// Upper (or, for join rate, lower) bound of the relative change at the analysis level; nil for latency.
        var relativeBound: Double?
        var margin: Double?
        var threshold: Double?
        var passed: Bool
        var reason: String?
    }

    /// Per non-control variant: latency percentiles, error, empty and join rates per unit, against
    /// recsys-eval's absolute thresholds and the configured non-inferiority margins.
    func guardrails() -> [GuardrailCheck] {
        guard let control else { return [] }
        var out: [GuardrailCheck] = []
        let global = sums[0]
        let margins = Dictionary(config.nonInferiority.map { ($0.metric, $0.margin) }, uniquingKeysWith: { a, _ in a })
        for v in scan.variants.indices where v != control && scan.global[v].exposures > 0 {
            for (name, q) in [("latency_p50_ms", 0.5), ("latency_p95_ms", 0.95), ("latency_p99_ms", 0.99)] {
                let value = scan.latencies[v].floorPercentile(q)
                let base = scan.latencies[control].floorPercentile(q)
                let limit = name == "latency_p95_ms" && config.maxLatencyP95 > 0 ? config.maxLatencyP95 : nil
                var latency = GuardrailCheck(
                    metric: name, variant: scan.variants[v], value: value, control: base, relativeBound: nil, margin: margins[name],
                    threshold: limit, passed: true)
                if let t = limit, value > t {
                    latency.passed = false
                    latency.reason = "\(name) \(fmt(value)) exceeds the limit \(fmt(t))"
                }
                if let m = latency.margin, base > 0, value / base - 1 > m {
                    latency.passed = false
                    latency.reason = "\(name) \(fmt(value)) is \(pct(value / base - 1)) above control's \(fmt(base)) (margin \(pct(m)))"
                }
                out.append(latency)
            }
            for (guardrail, limit, higherIsWorse) in [
                (Guardrail.errors, config.maxErrorRate, true), (.empties, config.maxEmptyRate, true), (.joined, 0, false),
            ] {
                let name = guardrail.name
                let cmp = TwoSampleTests.delta(
                    control: global[control].guardrails[guardrail.rawValue].moments,
                    treatment: global[v].guardrails[guardrail.rawValue].moments, level: level)
                var g = GuardrailCheck(
                    metric: name, variant: scan.variants[v], value: cmp.treatment.value, control: cmp.control.value,
                    relativeBound: cmp.relative.map { higherIsWorse ? $0.upper : $0.lower }, margin: margins[name],
                    threshold: limit > 0 ? limit : nil, passed: true)
                if let t = g.threshold, g.value > t {
                    g.passed = false
                    g.reason = "\(name) \(pct(g.value)) exceeds the limit \(pct(t))"
                }
                if let m = g.margin {
                    if let b = g.relativeBound {
                        let bad = higherIsWorse ? b > m : b < -m
                        if bad {
                            g.passed = false
                            g.reason =
                                "\(name) is not shown non-inferior: the \(higherIsWorse ? "upper" : "lower") bound of its relative change, \(pct(b)), is beyond the margin \(higherIsWorse ? "" : "-")\(pct(m))"
                        }
                    } else if higherIsWorse && g.value > g.control {
                        g.passed = false
                        g.reason = "\(name) rose from 0 in control to \(pct(g.value))"
                    }
                }
                out.append(g)
            }
        }
        return out
    }

    /// Four significant digits, for reasons a person reads.
    func fmt(_ x: Double) -> String {
        guard x.isFinite, x != 0 else { return JSONValue.goNumber(x) }
        var scale = 1.0
        while abs(x) * scale < 1000 { scale *= 10 }
        while abs(x) * scale >= 10000 { scale /= 10 }
        return JSONValue.goNumber((x * scale).rounded() / scale)
    }
    func pct(_ x: Double) -> String { JSONValue.goNumber((x * 10000).rounded() / 100) + "%" }

    /// Minimum detectable effect at `power` from the observed standard error: (z₁₋α/₂ + z_power)·se.
    func mde(_ row: Row, power: Double) -> (absolute: Double, relative: Double?) {
        let z = Normal.quantile(1 - alpha / 2) + Normal.quantile(power)
        let a = z * row.comparison.absolute.standardError
        let c = row.comparison.control.value
        return (a, c != 0 ? a / abs(c) : nil)
    }

    // MARK: - JSON

    static func intervalJSON(_ i: Interval) -> JSONValue {
        .object([
            ("estimate", .number(i.estimate)), ("se", .number(i.standardError)), ("lower", .number(i.lower)), ("upper", .number(i.upper)),
        ])
    }

    func rowJSON(_ r: Row, power: Double) -> JSONValue {
        let c = r.comparison
        var m: [(String, JSONValue)] = [("metric", .string(r.metric.name))]
        if r.scope != "global" { m.append(("segment", .string(r.scope))) }
        m += [
            ("variant", .string(r.variant)), ("method", .string(c.method.rawValue)),
            ("control", .object([("value", .number(c.control.value)), ("units", .number(Double(c.control.units)))])),
            ("treatment", .object([("value", .number(c.treatment.value)), ("units", .number(Double(c.treatment.units)))])),
            ("absolute", Self.intervalJSON(c.absolute)),
        ]
        if let rel = c.relative { m.append(("relative", Self.intervalJSON(rel))) }
        m.append(("statistic", .number(c.statistic)))
        if let df = c.degreesOfFreedom { m.append(("df", .number(df))) }
        m += [("p_value", .number(c.pValue))]
        if let cu = r.cuped {
            var cm: [(String, JSONValue)] = [
                ("theta", .number(cu.theta)), ("variance_reduction", .number(cu.varianceReduction)),
                ("absolute", Self.intervalJSON(cu.comparison.absolute)),
            ]
            if let rel = cu.comparison.relative { cm.append(("relative", Self.intervalJSON(rel))) }
            cm += [("statistic", .number(cu.comparison.statistic)), ("p_value", .number(cu.comparison.pValue))]
            m.append(("cuped", .object(cm)))
        }
        if let b = r.bootstrap {
            var bm: [(String, JSONValue)] = [("absolute", .object([("lower", .number(b.absolute.0)), ("upper", .number(b.absolute.1))]))]
            if let rel = b.relative { bm.append(("relative", .object([("lower", .number(rel.0)), ("upper", .number(rel.1))]))) }
            bm.append(("replicates", .number(Double(config.analysis.bootstrapIterations))))
            m.append(("bootstrap", .object(bm)))
        }
        let d = mde(r, power: power)
        var mm: [(String, JSONValue)] = [("absolute", .number(d.absolute))]
        if let rel = d.relative { mm.append(("relative", .number(rel))) }
        m += [
            ("mde", .object(mm)), ("family", .string(r.family)), ("adjusted_p_value", .number(r.adjusted)),
            ("significant", .bool(r.significant)),
        ]
        return .object(m)
    }
}
