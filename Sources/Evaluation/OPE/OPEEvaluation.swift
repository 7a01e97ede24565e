import ColumnarStorage
import Engine
import Reports
import Statistics

/// `--mode ope`: report.v1 with recsys-eval's `ope` keys and definitions (SPEC §9), and
/// receval's estimators in the new key `ope_analysis` (docs/ope.md): deduplicated slates, every
/// outcome credited, IPS, clipped IPS, SNIPS, DM, DR, SNDR, switch-DR and the slate estimators,
/// with normal (delta-method) and unit-level bootstrap intervals and weight diagnostics per segment.
public enum OPEEvaluation {
    /// `unitsPerPart`: users per part of the bootstrap's per-user sums (nil: as the machine's
    /// memory allows, `UnitParts`). The report is the same bits for any value.
    public static func run(
        reader: DatasetReader, config c: OPEConfig, metadata: ReportMetadata, threads: Int, unitsPerPart: Int? = nil
    ) throws -> JSONValue {
        try runWithMessages(reader: reader, config: c, metadata: metadata, threads: threads, unitsPerPart: unitsPerPart).report
    }

    /// `run`, with lines for standard error about how the run went (the parts the users were
    /// taken in), which the report leaves out so that its bytes do not depend on them.
    public static func runWithMessages(
        reader: DatasetReader, config c: OPEConfig, metadata: ReportMetadata, threads: Int, unitsPerPart: Int? = nil
    ) throws -> (report: JSONValue, messages: [String]) {
        precondition(unitsPerPart.map { $0 > 0 } ?? true, "at least one user per part")
        var o = options(c)
        o.unitsPerPart = unitsPerPart
        let scan = try OffPolicyScan.run(reader: reader, options: o, threads: threads)
        var messages: [String] = []
        if scan.unitParts > 1 {
            messages.append(
                "ope: the bootstrap's per-user sums of \(ReadableNumber.count(scan.unitCount)) users were taken in \(scan.unitParts) "
                    + "parts to stay within the memory budget (--memory-limit), each part after the first one more pass over the dataset")
        }
        return (try finish(scan, config: c, metadata: metadata, threads: threads), messages)
    }

    /// Users per part that keep the bootstrap's per-user sums within `budget` bytes.
    public static func unitsPerPart(budget: Int, threads: Int) -> Int {
        UnitParts.perPart(columns: OffPolicyScan.termCount + 1, threads: threads, budget: budget)
    }

    /// The scans' options from the config.
    public static func options(_ c: OPEConfig) -> OffPolicyScan.Options {
        var o = OffPolicyScan.Options()
        o.compatEvent = c.rewardEvent
        o.compatItemUnit = c.unit == "item"
        o.compatMax = c.rewardAggregation == "max"
        o.topK = c.topK
        o.clipping = c.clipping
        o.minPropensity = c.minPropensity
        o.allowMissingTarget = c.allowMissingTargetPropensity
        o.log2Discount = c.positionDiscount == "log2"
        switch c.reward {
        case .click: o.reward = .click
        case .conversion: o.reward = .conversion
        case .value: o.reward = .value
        }
        o.loggedModel = c.analysis.rewardModel == .logged
        o.smoothing = c.analysis.smoothing
        o.clipIPS = c.clippedIPSThreshold
        o.switchThreshold = c.analysis.switchThreshold
        o.sliceKeys = c.analysis.sliceKeys
        o.unitSums = c.analysis.bootstrap && c.analysis.enabled
        if o.unitSums { o.bootstrap = (c.analysis.bootstrapIterations, UInt64(truncatingIfNeeded: c.analysis.bootstrapSeed)) }
        o.analysis = c.analysis.enabled
        return o
    }

    /// The report from a finished scan: one run's, or shards' states merged.
    public static func finish(_ scan: OffPolicyScan, config c: OPEConfig, metadata: ReportMetadata, threads: Int) throws -> JSONValue {
        var scan = scan
        guard scan.compat.samples > 0 else {
            throw ConfigError(
                file: "dataset",
                "no valid samples for OPE: no exposure item has a positive logging propensity (logging_propensity or propensity) and a target_propensity"
            )
        }
        guard scan.global.isFinite, scan.segments.allSatisfy({ $0.scope.isFinite }), scan.compat.isFinite else {
            // A positive logging propensity so small (subnormal) that π_e/π_0 overflows (either
            // sign), or weights so large that their squares leave the exact sums' range: no
            // estimator is defined, and no report could print the infinite weight.
            throw ConfigError(
                file: "dataset",
                "an importance weight π_e/π_0 is infinite, or so large (beyond about 1e19) that its square cannot be summed: some logging propensity is too close to 0 for its target propensity; set ope.min_propensity and filter such rows, or clip (ope.clipping)"
            )
        }
        let (section, compatWarnings) = compatSection(&scan.compat, config: c)
        var top = metadata.header(mode: "ope")
        let outcomeJoin = DataQualitySection.rate(scan.counts.outcomesJoined, scan.counts.outcomeRows)
        top.append(("summary", DataQualitySection.summary(cases: scan.compat.samples, outcomeJoinRate: outcomeJoin)))
        top.append(("ope", section))
        var warnings: [String] = []
        if c.analysis.enabled {
            let (analysis, analysisWarnings) = try analysisSection(&scan, config: c, threads: threads)
            top.append(("ope_analysis", analysis))
            warnings = analysisWarnings
        }
        top.append(("data_quality", DataQualitySection.json(scan.counts, assignmentRows: nil)))
        let all = compatWarnings + warnings
        if !all.isEmpty { top.append(("warnings", .array(all.map { .string($0) }))) }
        return .object(top)
    }

    // MARK: recsys-eval's section

    static func compatSection(_ s: inout OffPolicyScan.Compat, config c: OPEConfig) -> (JSONValue, [String]) {
        let n = Double(s.samples)
        func variance(_ sum: Double, _ squares: Double, around center: Double) -> Double {
            guard s.samples > 1 else { return 0 }
            return max(0, (squares - 2 * center * sum + n * center * center) / (n - 1))
        }
        func estimator(_ name: String, _ value: Double, _ variance: Double) -> JSONValue {
            var m: [(String, JSONValue)] = [("name", .string(name)), ("value", .number(value))]
            if variance != 0 { m.append(("variance", .number(variance))) }
            return .object(m)
        }
        let ips = s.ips.value / n
        var estimators = [estimator("ips", ips, variance(s.ips.value, s.ipsSquares.value, around: ips))]
        if c.enableSNIPS {
            let w = s.weights.value
            if w == 0 {
                estimators.append(estimator("snips", 0, 0))
            } else {
                let sn = s.ips.value / w
                estimators.append(estimator("snips", sn, variance(s.ips.value, s.ipsSquares.value, around: sn)))
            }
        }
        if c.enableDR {
            let dr = s.dr.value / n
            estimators.append(estimator("dr", dr, variance(s.dr.value, s.drSquares.value, around: dr)))
        }
        // Pass one planned the p95's bucket and pass two kept its weights, so this is exact.
        guard let p95 = s.p95 else { preconditionFailure("the OPE passes saw different weights") }
        let w2 = s.weightSquares.value
        let ess = w2 == 0 ? 0 : s.weights.value * s.weights.value / w2
        let clippedFraction = Double(s.clipped) / n
        let section = JSONValue.object([
            ("unit", .string(c.unit)), ("reward_aggregation", .string(c.rewardAggregation)), ("estimators", .array(estimators)),
            (
                "weight_stats",
                .object([
                    ("count", .number(n)), ("mean", .number(s.weights.value / n)), ("p95", .number(p95)), ("max", .number(s.maxWeight)),
                    ("effective_sample_size", .number(ess)), ("clipped_fraction", .number(clippedFraction)),
                ])
            ),
            (
                "diagnostics",
                .object([
                    ("missing_target_propensity", .number(Double(s.missingTarget))), ("near_zero_propensity", .number(Double(s.nearZero))),
                    ("total_items", .number(n)),
                ])
            ),
        ])
        var warnings: [String] = []
        if clippedFraction > 0.1 { warnings.append("high_clipping_fraction") }
        if ess > 0 && ess < 0.2 * n { warnings.append("low_effective_sample_size") }
        if s.missingTarget > 0 && !c.allowMissingTargetPropensity { warnings.append("missing_target_propensity") }
        return (section, warnings)
    }

    // MARK: receval's analysis

    typealias T = OffPolicyScan.Term

    /// An estimator as a function of the per-request term means, with its gradient (for the
    /// delta method).
    struct Estimator: Sendable {
        var name: String
        var family: String
        var perSlot: Bool
        var value: @Sendable ([Double]) -> Double
        var gradient: @Sendable ([Double]) -> [(Int, Double)]
    }

    static func ratio(_ a: Double, _ b: Double) -> Double { b == 0 ? 0 : a / b }

    static let estimators: [Estimator] = {
        func mean(_ name: String, _ family: String, _ t: T, perSlot: Bool = false) -> Estimator {
            Estimator(name: name, family: family, perSlot: perSlot, value: { $0[t.rawValue] }, gradient: { _ in [(t.rawValue, 1)] })
        }
        let s = T.slots.rawValue
        let w = T.weights.rawValue
        return [
            mean("ips", "item_position", .ips, perSlot: true),
            mean("clipped_ips", "item_position", .clippedIPS, perSlot: true),
            Estimator(
                name: "snips", family: "item_position", perSlot: true,
                value: { m in ratio(m[T.ips.rawValue] * m[s], m[w]) },
                gradient: { m in
                    guard m[w] != 0 else { return [] }
                    let a = m[T.ips.rawValue]
                    return [(T.ips.rawValue, m[s] / m[w]), (s, a / m[w]), (w, -a * m[s] / (m[w] * m[w]))]
                }),
            mean("dm", "item_position", .dm, perSlot: true),
            Estimator(
                name: "dr", family: "item_position", perSlot: true, value: { $0[T.dm.rawValue] + $0[T.residual.rawValue] },
                gradient: { _ in [(T.dm.rawValue, 1), (T.residual.rawValue, 1)] }),
            Estimator(
                name: "sndr", family: "item_position", perSlot: true,
                value: { m in m[T.dm.rawValue] + ratio(m[T.residual.rawValue] * m[s], m[w]) },
                gradient: { m in
                    guard m[w] != 0 else { return [(T.dm.rawValue, 1)] }
                    let e = m[T.residual.rawValue]
                    return [(T.dm.rawValue, 1), (T.residual.rawValue, m[s] / m[w]), (s, e / m[w]), (w, -e * m[s] / (m[w] * m[w]))]
                }),
            Estimator(
                name: "switch_dr", family: "item_position", perSlot: true,
                value: { $0[T.dm.rawValue] + $0[T.switchResidual.rawValue] },
                gradient: { _ in [(T.dm.rawValue, 1), (T.switchResidual.rawValue, 1)] }),
            mean("iips", "slate", .ips),
            mean("rips", "slate", .rips),
            mean("sips", "slate", .sips),
            mean("pseudo_inverse", "slate", .pseudoInverse),
            mean("logging_policy", "reference", .logged),
        ]
    }()

    static func analysisSection(_ scan: inout OffPolicyScan, config c: OPEConfig, threads: Int) throws -> (JSONValue, [String]) {
        let a = c.analysis
        let z = Normal.quantile(0.5 + a.level / 2)
        // Bootstrap over units (users): replicate means are ratios of weighted sums.
        var boot: [String: (Double, Double)] = [:]
        let width = OffPolicyScan.termCount + 1
        if a.bootstrap && scan.unitCount > 0 {
            // A run's scan brings the replicate sums (its users taken in parts); merged shards'
            // states bring the per-user sums.
            let sums =
                try scan.replicateSums
                ?? OffPolicyScan.replicateSums(
                    units: scan.units, unitSums: scan.unitSums, iterations: a.bootstrapIterations,
                    seed: UInt64(truncatingIfNeeded: a.bootstrapSeed), threads: threads)
            precondition(sums.count == width * a.bootstrapIterations, "replicate sums of every column and replicate")
            let b = a.bootstrapIterations
            var replicate = [[Double]](repeating: [], count: estimators.count)
            for r in 0..<b {
                let n = sums[r]
                guard n > 0 else { continue }
                let means = (1..<width).map { sums[$0 * b + r] / n }
                for (e, est) in estimators.enumerated() { replicate[e].append(est.value(means)) }
            }
            for (e, est) in estimators.enumerated() {
                if let ci = PoissonBootstrap.percentileInterval(replicate[e], level: a.level) { boot[est.name] = (ci.lower, ci.upper) }
            }
        }
        func estimatorRows(_ s: OffPolicyScan.Scope, bootstrap: [String: (Double, Double)]) -> [JSONValue] {
            let n = Double(s.requests)
            let means = s.means
            let slotsPerRequest = means[T.slots.rawValue]
            return estimators.map { est in
                let v = est.value(means)
                let g = est.gradient(means)
                var variance = 0.0
                for (i, gi) in g { for (j, gj) in g { variance += gi * gj * s.covariance(i, j) } }
                let se = n > 1 ? (max(0, variance) / n).squareRoot() : 0
                var m: [(String, JSONValue)] = [
                    ("name", .string(est.name)), ("metric", .string(est.name)), ("family", .string(est.family)), ("value", .number(v)),
                ]
                if est.perSlot { m.append(("value_per_slot", .number(ratio(v, slotsPerRequest)))) }
                m.append(("se", .number(se)))
                m.append(("absolute", .object([("estimate", .number(v)), ("lower", .number(v - z * se)), ("upper", .number(v + z * se))])))
                if let b = bootstrap[est.name] {
                    m.append(("bootstrap", .object([("lower", .number(b.0)), ("upper", .number(b.1))])))
                }
                return .object(m)
            }
        }
        func diagnostics(_ s: inout OffPolicyScan.Scope) -> JSONValue {
            let k = s.slots
            var m: [(String, JSONValue)] = [
                ("requests", .number(Double(s.requests))), ("slots", .number(Double(k))),
                ("weight_mean", .number(ratio(s.weightSum, Double(k)))),
                ("effective_sample_size", .number(ratio(s.weightSum * s.weightSum, s.weightSquares))),
                ("ess_share", .number(ratio(ratio(s.weightSum * s.weightSum, s.weightSquares), Double(k)))),
                ("max_weight", .number(s.maxWeight)),
            ]
            if k > 0 {
                guard let values = s.weightQuantiles else { preconditionFailure("the OPE passes saw different weights") }
                m.append(("weight_quantiles", .object(zip(["p50", "p90", "p95", "p99"], values).map { ($0, .number($1)) })))
            }
            m += [
                ("clipped_share", .number(ratio(Double(s.clipped), Double(k)))),
                ("support_violations", .number(Double(s.supportViolations))),
                ("missing_target_propensity", .number(Double(s.missingTarget))),
                ("missing_logging_propensity", .number(Double(s.missingLogging))),
                ("near_zero_logging_propensity", .number(Double(s.nearZeroLogging))),
            ]
            if c.analysis.rewardModel == .logged { m.append(("missing_reward_estimates", .number(Double(s.missingEstimates)))) }
            return .object(m)
        }
        var members: [(String, JSONValue)] = [
            ("reward", .string(c.reward.rawValue)),
            ("position_discount", .string(c.positionDiscount == "log2" ? "log2" : "none")),
            ("top_k", .number(Double(c.topK))),
            ("clipping", .number(c.clippedIPSThreshold)), ("switch_threshold", .number(a.switchThreshold)),
        ]
        var model: [(String, JSONValue)] = [("kind", .string(a.rewardModel.rawValue))]
        if a.rewardModel == .fitted {
            let used = max(1, scan.slotMeans.lastIndex { $0 != 0 }.map { $0 + 1 } ?? 1)
            model += [
                ("smoothing", .number(a.smoothing)),
                ("slot_mean_reward", .array(scan.slotMeans.prefix(used).map { .number($0) })),
                ("slot_target_value", .array(scan.slotTargetValues.prefix(used).map { .number($0) })),
            ]
        }
        members.append(("reward_model", .object(model)))
        members += [
            ("requests", .number(Double(scan.global.requests))), ("units", .number(Double(scan.unitCount))),
            ("ci_level", .number(a.level)),
        ]
        if a.bootstrap {
            members.append(
                (
                    "bootstrap",
                    .object([
                        ("unit", .string("user")), ("iterations", .number(Double(a.bootstrapIterations))),
                        ("seed", .number(Double(a.bootstrapSeed))),
                    ])
                ))
        }
        members.append(("estimators", .array(estimatorRows(scan.global, bootstrap: boot))))
        let histogram = scan.global.histogram
        members.append(("diagnostics", diagnostics(&scan.global)))
        members.append(("weight_histogram", .array(histogramRows(histogram))))
        if !scan.segments.isEmpty {
            var rows: [JSONValue] = []
            for i in scan.segments.indices {
                let key = scan.segments[i].key
                let est = estimatorRows(scan.segments[i].scope, bootstrap: [:]).filter {
                    if case .string(let n)? = $0["name"] { return ["ips", "snips", "dr", "sndr"].contains(n) } else { return false }
                }
                rows.append(
                    .object([("segment", .string(key)), ("estimators", .array(est)), ("diagnostics", diagnostics(&scan.segments[i].scope))])
                )
            }
            members.append(("by_segment", .array(rows)))
        }
        var warnings: [String] = []
        let g = scan.global
        if g.supportViolations > 0 {
            warnings.append(
                "\(g.supportViolations) shown items have a positive target propensity but a zero, negative or missing logging propensity (support violations): they are left out, so every estimate misses the target's value on them"
            )
        }
        if g.missingTarget > 0 {
            warnings.append(
                "\(g.missingTarget) shown items have no target_propensity (or a negative one) and are left out of receval's estimators")
        }
        if g.missingEstimates > 0 {
            warnings.append("\(g.missingEstimates) shown items lack reward_estimate or target_reward_estimate; their model terms are 0")
        }
        let k = Double(g.slots)
        let meanWeight = ratio(g.weightSum, k)
        if k >= 100 && abs(meanWeight - 1) > 0.1 {
            warnings.append(
                "the mean importance weight is \(JSONValue.goNumber((meanWeight * 1000).rounded() / 1000)), not about 1: the target or logging propensities may not be probabilities of the same slots, which biases every estimator except the self-normalised ones"
            )
        }
        let ess = ratio(g.weightSum * g.weightSum, g.weightSquares)
        if k > 0 && ess < 0.1 * k {
            warnings.append(
                "the effective sample size is \(JSONValue.goNumber((ess * 10).rounded() / 10)) of \(Int(k)) slots: the target policy is far from the logging policy and importance-weighted estimates are unreliable"
            )
        }
        return (.object(members), warnings)
    }

    static func histogramRows(_ counts: [Int]) -> [JSONValue] {
        var rows: [JSONValue] = []
        for (bin, count) in counts.enumerated() where count > 0 {
            let (lo, hi): (Double, Double?) =
                switch bin {
                case 0: (0, 0)
                case 1: (0, 0x1p-10)
                case 22: (0x1p10, nil)
                default: (Double(sign: .plus, exponent: bin - 12, significand: 1), Double(sign: .plus, exponent: bin - 11, significand: 1))
                }
            let name =
                bin == 0 ? "0" : hi.map { "[\(JSONValue.goNumber(lo)), \(JSONValue.goNumber($0)))" } ?? "[\(JSONValue.goNumber(lo)), ∞)"
            var m: [(String, JSONValue)] = [("name", .string(name)), ("value", .number(Double(count))), ("lower", .number(lo))]
            if let hi { m.append(("upper", .number(hi))) }
            rows.append(.object(m))
        }
        return rows
    }
}
