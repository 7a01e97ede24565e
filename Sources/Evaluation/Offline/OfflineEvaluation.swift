import ColumnarFormat
import ColumnarStorage
import Engine
import Reports

/// `--mode offline`: ranking and distribution metrics over the joined exposures, globally and by
/// segment, data quality, baseline deltas and regression gates, assembled as report.v1 with
/// recsys-eval's keys and definitions (SPEC sections 5.4, 6 and 12).
public struct OfflineEvaluation {
    public struct Outcome: Sendable {
        public var report: JSONValue
        /// True when a baseline was given and at least one gate failed (exit code 1).
        public var gatesFailed: Bool
    }

    /// Memory the distribution metrics' per-item counts may take in one pass.
    static let distributionBudget = 128 << 20

    public static func run(
        reader: DatasetReader, config: OfflineConfig, baseline: JSONValue?, metadata: ReportMetadata, threads: Int
    ) throws -> Outcome {
        let window = try self.window(config, runtimeContract: EmptyStrings.isRuntimeContract(reader))
        let (bootstrapIterations, bootstrapSeed) = bootstrapSettings(config)
        var ranking: [Int: RankingMetrics] = [:]
        var distribution: [Int: DistributionMetrics] = [:]
        for m in config.metrics where ranking[m.k] == nil {
            ranking[m.k] = try RankingMetrics.compute(
                reader: reader, k: m.k, threads: threads, sliceKeys: config.sliceKeys, window: window,
                bootstrap: config.bootstrap ? (bootstrapIterations, bootstrapSeed) : nil)
        }
        let distributionKs = Set(config.metrics.filter { ["coverage", "novelty", "diversity"].contains($0.name) }.map(\.k))
        let segments = ranking[config.metrics[0].k]!.segments
        // Distribution metrics for all three names, globally and per segment: one pass per batch
        // of segments, the first batch also giving every case. Batches keep the groups' counts
        // within `distributionBudget` bytes.
        var segmentDistribution: [[Int]: DistributionMetrics] = [:]
        for k in distributionKs.sorted() {
            guard !config.sliceKeys.isEmpty else {
                distribution[k] = try DistributionMetrics.compute(reader: reader, k: k, threads: threads, window: window)
                continue
            }
            let perGroup = DistributionMetrics.bytesPerItemAndGroup(threads: threads) * max(try reader.dictionary("item_id").count, 1)
            let batch = max(1, Self.distributionBudget / perGroup - 1)
            for first in stride(from: 0, to: max(segments.count, 1), by: batch) {
                let indices = Array(first..<min(first + batch, segments.count))
                let metrics = try DistributionMetrics.compute(
                    reader: reader, k: k, threads: threads, window: window,
                    segments: (config.sliceKeys, indices.map { segments[$0].id }), everyCase: first == 0)
                for (i, d) in zip(indices, metrics) { segmentDistribution[[k, i]] = d }
                if first == 0 { distribution[k] = metrics.last! }
            }
        }
        // Data quality on the (time-filtered) logs.
        // One pass gives recsys-eval's join counts and the join rate by slice.
        let quality = try DataQuality.compute(reader: reader, sliceKeys: config.sliceKeys, threads: threads, window: window)
        return try assemble(
            ranking: ranking, distribution: distribution, segmentDistribution: segmentDistribution, quality: quality, config: config,
            baseline: baseline, metadata: metadata)
    }

    /// The test window of `offline.time_split.test`, checked.
    static func window(_ config: OfflineConfig, runtimeContract: Bool) throws -> TimeWindow? {
        guard !config.metrics.isEmpty else { throw ConfigError(file: "eval config", "offline.metrics must list at least one metric") }
        guard let w = config.testWindow else { return nil }
        guard var parsed = TimeWindow(start: w.start, end: w.end) else {
            throw ConfigError(file: "eval config", "offline.time_split.test must be two RFC 3339 times with start before end")
        }
        parsed.excludesGoZeroTime = runtimeContract
        return parsed
    }

    /// Replicates and seed of the case bootstrap (recsys-eval's defaults: 200 and 42).
    static func bootstrapSettings(_ config: OfflineConfig) -> (Int, UInt64) {
        (
            config.bootstrapIterations > 0 ? config.bootstrapIterations : 200,
            UInt64(bitPattern: Int64(config.bootstrapSeed == 0 ? 42 : config.bootstrapSeed))
        )
    }

    /// The k of every metric (in config order, once each) and those of distribution metrics.
    static func cutoffs(_ config: OfflineConfig) -> (ranking: [Int], distribution: [Int]) {
        let ks = config.metrics.map(\.k).reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }
        let distribution = Set(config.metrics.filter { ["coverage", "novelty", "diversity"].contains($0.name) }.map(\.k))
        return (ks, distribution.sorted())
    }

    /// The partitions `reader` scans (every one, or a shard's) as a state.
    public static func state(reader: DatasetReader, config: OfflineConfig, threads: Int) throws -> OfflineState {
        let window = try self.window(config, runtimeContract: EmptyStrings.isRuntimeContract(reader))
        let (iterations, seed) = bootstrapSettings(config)
        let (ks, distributionKs) = cutoffs(config)
        return try OfflineState.compute(
            reader: reader, ks: ks, distributionKs: distributionKs, sliceKeys: config.sliceKeys, window: window,
            bootstrap: config.bootstrap ? (iterations, seed) : nil, threads: threads)
    }

    /// The report from a state: one run's, or shards' states merged.
    public static func finish(_ state: OfflineState, config: OfflineConfig, baseline: JSONValue?, metadata: ReportMetadata) throws
        -> Outcome
    {
        _ = try window(config, runtimeContract: false)
        let (iterations, seed) = bootstrapSettings(config)
        let (ks, distributionKs) = cutoffs(config)
        try state.check(
            ks: ks, distributionKs: distributionKs, sliceKeys: config.sliceKeys, bootstrap: config.bootstrap ? (iterations, seed) : nil)
        let parts = state.finish()
        return try assemble(
            ranking: parts.ranking, distribution: parts.distribution, segmentDistribution: parts.segmentDistribution,
            quality: parts.quality, config: config, baseline: baseline, metadata: metadata)
    }

    /// The report from the metrics, as one run computes them.
    static func assemble(
        ranking: [Int: RankingMetrics], distribution: [Int: DistributionMetrics], segmentDistribution: [[Int]: DistributionMetrics],
        quality: DataQuality, config: OfflineConfig, baseline: JSONValue?, metadata: ReportMetadata
    ) throws -> Outcome {
        let segments = ranking[config.metrics[0].k]!.segments
        func value(_ m: OfflineConfig.Metric, segment: Int?) throws -> Double {
            switch m.name {
            case "coverage", "novelty", "diversity":
                let d: DistributionMetrics
                if let segment, !config.sliceKeys.isEmpty {
                    d = segmentDistribution[[m.k, segment]]!
                } else {
                    d = distribution[m.k]!
                }
                return m.name == "coverage" ? d.coverage : m.name == "novelty" ? d.novelty : d.diversity
            default:
                let r = ranking[m.k]!
                let v = segment.map { r.segments[$0].recsysEval } ?? r.recsysEval
                guard let metric = RankingMetric(name: m.name) else { preconditionFailure("config check lets only known metrics in") }
                return v[metric]
            }
        }
        // Bootstrap intervals for per-case metrics (SPEC 6.5), when enabled.
        var intervals: [Int: BootstrapIntervals] = [:]
        let level = config.bootstrapLevel > 0 && config.bootstrapLevel < 1 ? config.bootstrapLevel : 0.95
        if config.bootstrap {
            for (k, r) in ranking { intervals[k] = BootstrapIntervals(r, level: level) }
        }
        func ci(_ m: OfflineConfig.Metric, segment: Int?) -> (Double, Double)? {
            guard let b = intervals[m.k], let j = BootstrapIntervals.metricIndex(m.name) else { return nil }
            if let segment { return config.sliceKeys.isEmpty ? b.global[j] : b.bySegment[segment][j] }
            return b.global[j]
        }
        var metrics: [(String, Double)] = []
        var metricCI: [String: (Double, Double)] = [:]
        for m in config.metrics {
            metrics.append((m.label, try value(m, segment: nil)))
            if let c = ci(m, segment: nil) { metricCI[m.label] = c }
        }
        func result(_ name: String, _ v: Double, _ c: (Double, Double)?) -> JSONValue {
            var members: [(String, JSONValue)] = [("name", .string(name)), ("value", .number(v))]
            if let c { members.append(("ci", .object([("lower", .number(c.0)), ("upper", .number(c.1)), ("level", .number(level))]))) }
            return .object(members)
        }
        var bySegment: [(String, JSONValue)] = []
        for (i, seg) in segments.enumerated() {
            var list: [JSONValue] = []
            for m in config.metrics { list.append(result(m.label, try value(m, segment: i), ci(m, segment: i))) }
            bySegment.append((seg.key, .array(list)))
        }
        let cases = ranking[config.metrics[0].k]!.recsysEval.cases

        // Baseline deltas and gates (SPEC 6.6).
        var deltas: [(name: String, before: Double, after: Double)] = []
        var baselineSection: JSONValue? = nil
        if let baseline {
            guard case .array(let previous)? = baseline["offline"]?["metrics"] else {
                throw ConfigError(file: "baseline", "baseline report missing offline section")
            }
            for (name, after) in metrics {
                guard
                    let match = previous.first(where: {
                        if case .string(let n)? = $0["name"] { return n.lowercased() == name.lowercased() }
                        return false
                    }), case .number(let before)? = match["value"]
                else { continue }
                deltas.append((name, before, after))
            }
            var runID = ""
            if case .string(let r)? = baseline["run_id"] { runID = r }
            baselineSection = .object([("baseline_run_id", .string(runID)), ("deltas", .array(deltas.map(deltaJSON)))])
        }
        var gates: [JSONValue] = []
        var gateFailures: [JSONValue] = []
        if baselineSection != nil {
            for g in config.gates {
                let d = deltas.first { $0.name.lowercased() == g.metric.lowercased() }
                let delta = d.map { $0.after - $0.before } ?? 0
                let passed = d != nil && delta >= -g.maxDrop
                let r = JSONValue.object([
                    ("metric", .string(g.metric)), ("max_drop", .number(g.maxDrop)), ("delta", .number(delta)), ("passed", .bool(passed)),
                ])
                gates.append(r)
                if !passed { gateFailures.append(r) }
            }
        }

        let join = quality.counts
        let dataQuality = DataQualitySection.json(join, assignmentRows: nil)
        let outcomeJoinRate = rate(join.outcomesJoined, join.outcomeRows)

        // Executive summary (SPEC 12.2).
        let decision = gates.isEmpty ? "not_configured" : (gateFailures.isEmpty ? "pass" : "fail")
        var executive: [(String, JSONValue)] = [("decision", .string(decision))]
        if !gateFailures.isEmpty { executive.append(("gate_failures", .array(gateFailures))) }
        executive.append(("highlights", .array(highlights(metrics).map { result($0.0, $0.1, metricCI[$0.0]) })))
        if !deltas.isEmpty {
            let sorted = deltas.sorted { a, b in
                let da = abs(a.after - a.before)
                let db = abs(b.after - b.before)
                return da != db ? da > db : Array(a.name.utf8).lexicographicallyPrecedes(Array(b.name.utf8))
            }
            executive.append(("key_deltas", .array(sorted.prefix(3).map(deltaJSON))))
        }
        var steps: [String] = []
        if decision == "fail" { steps.append("Investigate failing gates and re-run after fixes.") }
        if baseline == nil { steps.append("Add a baseline report to measure deltas over time.") }
        if outcomeJoinRate > 0 && outcomeJoinRate < 0.8 {
            steps.append("Improve exposure/outcome joins (request_id alignment) to raise join rates.")
        }
        if cases > 0 && cases < 50 { steps.append("Increase sample size to stabilize metrics.") }
        if !steps.isEmpty { executive.append(("next_steps", .array(steps.prefix(3).map { .string($0) }))) }

        // The report, in report.v1 field order.
        var top = metadata.header(mode: "offline")
        top.append(("summary", .object([("cases_evaluated", .number(Double(cases))), ("executive", .object(executive))])))
        var offline: [(String, JSONValue)] = [("metrics", .array(metrics.map { result($0.0, $0.1, metricCI[$0.0]) }))]
        if !bySegment.isEmpty { offline.append(("by_segment", .object(bySegment))) }
        if let baselineSection { offline.append(("baseline", baselineSection)) }
        top.append(("offline", .object(offline)))
        top.append(("offline_ir", try irSection(config: config, ranking: ranking)))
        // Join rate by every slice key, with plain-language warnings (a new key).
        top.append(
            (
                "data_quality_slices",
                .object([
                    (
                        "join_rate_by_slice",
                        .array(
                            quality.slices.map { s in
                                .object([
                                    ("key", .string(s.key)), ("value", s.value.map { .string($0) } ?? .null),
                                    ("exposures", .number(Double(s.exposures))), ("joined", .number(Double(s.joined))),
                                    ("join_rate", .number(s.joinRate)),
                                ])
                            })
                    ),
                    ("warnings", .array(quality.warnings().map { .string($0) })),
                ])
            ))
        top.append(("definitions", .object([("offline", .string("recsys-eval")), ("offline_ir", .string("ir"))])))
        top.append(("data_quality", dataQuality))
        if !gates.isEmpty { top.append(("gates", .array(gates))) }
        return Outcome(report: .object(top), gatesFailed: !gateFailures.isEmpty)
    }

    /// The IR convention (trec_eval, ranx) for the configured per-case metrics plus MRR: only
    /// requests with a relevant item count, P@k divides by k. A new key, so `offline` keeps
    /// recsys-eval's meaning.
    static func irSection(config: OfflineConfig, ranking: [Int: RankingMetrics]) throws -> JSONValue {
        func values(_ v: RankingMetrics.Values, _ k: Int, _ names: [String]) -> [JSONValue] {
            names.compactMap { name in RankingMetric(name: name).map { metricResult("\(name)@\(k)", v[$0]) } }
        }
        var metrics: [JSONValue] = []
        var cases: [(String, JSONValue)] = []
        var segments: [String: [JSONValue]] = [:]
        var order: [String] = []
        for k in config.metrics.map(\.k).reduce(into: [Int](), { if !$0.contains($1) { $0.append($1) } }) {
            // The configured ranking metrics, then the ones only the IR set defines.
            let names =
                config.metrics.filter { $0.k == k && RankingMetric(name: $0.name) != nil }.map(\.name)
                + RankingMetric.allCases.filter { !RankingMetric.recsysEval.contains($0) }.map(\.name)
            let r = ranking[k]!
            metrics += values(r.ir, k, names)
            cases.append(("@\(k)", .number(Double(r.ir.cases))))
            for seg in r.segments {
                if segments[seg.key] == nil { order.append(seg.key) }
                segments[seg.key, default: []] += values(seg.ir, k, names)
            }
        }
        return .object([
            ("cases", .object(cases)), ("metrics", .array(metrics)),
            ("by_segment", .object(order.map { ($0, .array(segments[$0]!)) })),
        ])
    }

    static func metricResult(_ name: String, _ value: Double) -> JSONValue {
        .object([("name", .string(name)), ("value", .number(value))])
    }

    static func deltaJSON(_ d: (name: String, before: Double, after: Double)) -> JSONValue {
        let delta = d.after - d.before
        let relative = d.before == 0 ? 0 : delta / d.before
        var members: [(String, JSONValue)] = [("name", .string(d.name)), ("delta", .number(delta))]
        if relative != 0 { members.append(("relative_delta", .number(relative))) }
        members += [("before", .number(d.before)), ("after", .number(d.after))]
        return .object(members)
    }

    static func rate(_ a: Int, _ b: Int) -> Double { DataQualitySection.rate(a, b) }

    /// Up to three metrics: by the priority ndcg, map, precision, recall, coverage, hitrate, mrr,
    /// then in config order.
    static func highlights(_ metrics: [(String, Double)]) -> [(String, Double)] {
        var picked: [Int] = []
        for base in ["ndcg", "map", "precision", "recall", "coverage", "hitrate", "mrr"] where picked.count < 3 {
            if let i = metrics.indices.first(where: {
                !picked.contains($0) && metrics[$0].0.lowercased().split(separator: "@").first.map(String.init) == base
            }) {
                picked.append(i)
            }
        }
        for i in metrics.indices where picked.count < 3 && !picked.contains(i) { picked.append(i) }
        return picked.map { metrics[$0] }
    }
}
