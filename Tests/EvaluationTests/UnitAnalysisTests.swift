import ColumnarStorage
import Engine
import Evaluation
import Foundation
import Ingest
import Reports
import Testing

/// The analysis at the randomisation unit against an independent reference
/// (`tools/reference/experiment.py`: scipy's Welch test, statsmodels' two-proportion test and
/// multiple-testing corrections, and plain numpy for the delta method and CUPED) on a generated
/// experiment with crossover users, duplicate exposures, re-assignments and mixed-case
/// experiment ids; and its determinism across thread and partition counts.
@Suite struct UnitAnalysisTests {
    static let dir = OfflineParityTests.fixtures + "/experiment-units"

    static func ingest(partitions: Int? = nil) throws -> DatasetReader {
        try OfflineParityTests.ingest(dir, partitions: partitions)
    }

    static func report(_ reader: DatasetReader, extra: String = "", threads: Int = 2) throws -> JSONValue {
        try outcome(reader, extra: extra, threads: threads).report
    }

    static func outcome(
        _ reader: DatasetReader, extra: String = "", threads: Int = 2, unitsPerPart: Int? = nil, mode: String = "experiment"
    )
        throws -> ExperimentEvaluation.Outcome
    {
        let yaml = """
            mode: experiment
            experiment:
              experiment_id: exp_units
              control_variant: control
              slice_keys: [device]
            \(extra)
            """
        let eval = try EvalConfig.parse(yaml, file: "units.yaml")
        let metadata = ReportMetadata(
            runID: "experiment-20250101T000000Z", createdAt: "2025-01-01T00:00:00Z", binaryVersion: "test", gitCommit: "",
            effectiveConfig: nil, datasetFingerprint: "")
        return try ExperimentEvaluation.run(
            reader: reader, config: eval.experiment, mode: mode, metadata: metadata, threads: threads, unitsPerPart: unitsPerPart)
    }

    static func number(_ v: JSONValue?) -> Double? {
        if case .number(let x)? = v { return x }
        return nil
    }

    static func close(_ a: Double?, _ b: Double?, _ tolerance: Double = 1e-9) -> Bool {
        guard let a, let b else { return false }
        return abs(a - b) <= tolerance * max(1, abs(b))
    }

    /// Every reference row, matched by (scope, metric, variant), to 1e-9 (p-values 1e-7).
    @Test(arguments: ["none", "pre_period_ctr"])
    func matchesTheReference(covariate: String) throws {
        let reference = try OfflineParityTests.read(Self.dir + "/expected.json")
        let cuped = covariate == "none" ? "" : "  cuped: {enabled: true, covariate_key: \(covariate)}\n"
        let report = try Self.report(try Self.ingest(), extra: cuped + "  analysis: {family: all}")
        guard case .array(let tests)? = report["experiment_units"]?["tests"], case .array(let rows)? = reference["rows"] else {
            Issue.record("no tests")
            return
        }
        #expect(tests.count == rows.count)
        var byKey: [String: JSONValue] = [:]
        for t in tests {
            guard case .string(let m)? = t["metric"], case .string(let v)? = t["variant"] else { continue }
            var scope = "global"
            if case .string(let s)? = t["segment"] { scope = s }
            byKey["\(scope)|\(m)|\(v)"] = t
        }
        var mismatches: [String] = []
        for r in rows {
            guard case .string(let scope)? = r["scope"], case .string(let m)? = r["metric"], case .string(let v)? = r["variant"],
                let o = byKey["\(scope)|\(m)|\(v)"]
            else {
                mismatches.append("missing row \(r)")
                continue
            }
            var checks: [(String, Double?, Double?, Double)] = [
                ("control", Self.number(o["control"]?["value"]), Self.number(r["control"]?["value"]), 1e-9),
                ("treatment", Self.number(o["treatment"]?["value"]), Self.number(r["treatment"]?["value"]), 1e-9),
                ("units", Self.number(o["treatment"]?["units"]), Self.number(r["treatment"]?["units"]), 0),
                ("statistic", Self.number(o["statistic"]), Self.number(r["statistic"]), 1e-9),
                ("p_value", Self.number(o["p_value"]), Self.number(r["p_value"]), 1e-7),
            ]
            for part in ["absolute", "relative"] where r[part] != nil {
                for f in ["estimate", "se", "lower", "upper"] {
                    checks.append(("\(part).\(f)", Self.number(o[part]?[f]), Self.number(r[part]?[f]), 1e-9))
                }
            }
            if r["df"] != nil { checks.append(("df", Self.number(o["df"]), Self.number(r["df"]), 1e-9)) }
            if covariate == "none" {
                // The family is every row; its correction is recsys-eval's default, BH.
                checks.append(("adjusted", Self.number(o["adjusted_p_value"]), Self.number(r["adjusted"]?["fdr_bh"]), 1e-7))
                #expect(o["cuped"] == nil)
            } else if let cu = r["cuped"] {
                checks += [
                    ("cuped.theta", Self.number(o["cuped"]?["theta"]), Self.number(cu["theta"]), 1e-9),
                    (
                        "cuped.variance_reduction", Self.number(o["cuped"]?["variance_reduction"]), Self.number(cu["variance_reduction"]),
                        1e-9
                    ),
                    ("cuped.estimate", Self.number(o["cuped"]?["absolute"]?["estimate"]), Self.number(cu["absolute"]?["estimate"]), 1e-9),
                    ("cuped.se", Self.number(o["cuped"]?["absolute"]?["se"]), Self.number(cu["absolute"]?["se"]), 1e-9),
                    ("cuped.lower", Self.number(o["cuped"]?["absolute"]?["lower"]), Self.number(cu["absolute"]?["lower"]), 1e-9),
                    ("cuped.p_value", Self.number(o["cuped"]?["p_value"]), Self.number(cu["p_value"]), 1e-7),
                ]
            }
            for (name, a, b, tol) in checks where !Self.close(a, b, tol) {
                mismatches.append("\(scope) \(m) \(v) \(name): \(a as Any) vs \(b as Any)")
            }
        }
        #expect(mismatches == [])
        // SRM on units and crossover units.
        let srm = report["experiment_units"]?["srm"]
        #expect(Self.close(Self.number(srm?["p_value"]), Self.number(reference["srm"]?["p_value"]), 1e-7))
        #expect(Self.close(Self.number(srm?["statistic"]), Self.number(reference["srm"]?["statistic"])))
        #expect(srm?["observed"] == reference["srm"]?["observed"])
        #expect(Self.number(report["experiment_units"]?["crossover"]?["units"]) == Self.number(reference["crossover_units"]))
        #expect(
            Self.number(report["experiment_units"]?["crossover"]?["exposures_excluded"]) == Self.number(reference["crossover_exposures"]))
    }

    @Test(arguments: ["holm", "bonferroni"])
    func corrections(method: String) throws {
        let reference = try OfflineParityTests.read(Self.dir + "/expected.json")
        let report = try Self.report(try Self.ingest(), extra: "  analysis: {correction: \(method), family: all}")
        guard case .array(let tests)? = report["experiment_units"]?["tests"], case .array(let rows)? = reference["rows"] else { return }
        if case .array(let families)? = report["experiment_units"]?["families"] {
            #expect(families.count == 1)
            #expect(families.first?["correction"] == .string(method))
        }
        for (o, r) in zip(tests, rows) {
            #expect(Self.close(Self.number(o["adjusted_p_value"]), Self.number(r["adjusted"]?[method]), 1e-7))
        }
    }

    /// By default the decision's family is the primary metrics' global rows alone: here ctr for
    /// two treatments, so BH over two p-values (p₍₁₎·2, then min(p₍₂₎, that)).
    @Test func primaryFamilyIsCorrectedOnItsOwn() throws {
        let reference = try OfflineParityTests.read(Self.dir + "/expected.json")
        let report = try Self.report(try Self.ingest(), extra: "  primary_metrics: [ctr]")
        guard case .array(let tests)? = report["experiment_units"]?["tests"], case .array(let rows)? = reference["rows"] else { return }
        let primary = tests.filter { $0["family"] == .string("primary") }
        #expect(primary.count == 2)
        let ps = rows.filter { $0["scope"] == .string("global") && $0["metric"] == .string("ctr") }.compactMap {
            Self.number($0["p_value"])
        }
        #expect(ps.count == 2)
        let lo = min(ps[0], ps[1])
        let hi = max(ps[0], ps[1])
        let expected = [min(2 * lo, hi), hi]
        let got = primary.compactMap { Self.number($0["adjusted_p_value"]) }.sorted()
        #expect(zip(got, expected.sorted()).allSatisfy { Self.close($0, $1, 1e-7) })
        #expect(tests.filter { $0["family"] == .string("exploratory") }.count == tests.count - 2)
    }

    /// With request units every analysed request is a unit, so a ratio over exposures (one per
    /// unit) reduces to a mean: the delta method's ctr row must equal Welch's clicks-per-unit row
    /// in estimate and standard error, and the units add up to the analysed requests.
    @Test func requestUnits() throws {
        let report = try Self.report(try Self.ingest(partitions: 3), extra: "  analysis: {unit: request}")
        let units = report["experiment_units"]
        #expect(units?["unit"] == .string("request_id"))
        #expect(Self.number(units?["crossover"]?["units"]) == 0)
        guard case .array(let tests)? = units?["tests"], case .object(let observed)? = units?["srm"]?["observed"] else {
            Issue.record("no tests")
            return
        }
        // 3,495 distinct requests, all assigned (the fixture's generator guarantees it).
        #expect(observed.reduce(0.0) { $0 + (Self.number($1.1) ?? 0) } == 3495)
        func row(_ metric: String, _ variant: String) -> JSONValue? {
            tests.first { $0["metric"] == .string(metric) && $0["variant"] == .string(variant) && $0["segment"] == nil }
        }
        for v in ["treat_a", "treat_b"] {
            let ctr = row("ctr", v)
            let clicks = row("clicks_per_user", v)
            #expect(Self.close(Self.number(ctr?["absolute"]?["estimate"]), Self.number(clicks?["absolute"]?["estimate"]), 1e-12))
            #expect(Self.close(Self.number(ctr?["absolute"]?["se"]), Self.number(clicks?["absolute"]?["se"]), 1e-12))
        }
    }

    /// The same bytes for 1 or 2 threads and for 1, 3 or 16 partitions, bootstrap included.
    @Test func identicalForAnyThreadAndPartitionCount() throws {
        let extra = """
              primary_metrics: [ctr, revenue_per_user]
              cuped: {enabled: true, covariate_key: pre_period_ctr}
              analysis: {bootstrap: {enabled: true, iterations: 200, seed: 7}}
            """
        let base = try Self.report(try Self.ingest(partitions: 1), extra: extra, threads: 1).serialized()
        for (p, t) in [(3, 2), (16, 1), (16, 2)] {
            #expect(try Self.report(try Self.ingest(partitions: p), extra: extra, threads: t).serialized() == base)
        }
        #expect(base.contains("\"bootstrap\""))
    }

    /// Users taken in parts (ranges of user codes, each scanned once per sweep) give the same
    /// bytes as all of them at once: with and without CUPED (a context covariate, and a
    /// pre-period), with the bootstrap, guardrail margins and segments, on 1 and 2 threads, for
    /// parts of one user up to more than all of them; A/A checks too.
    @Test(arguments: [
        "  primary_metrics: [ctr, revenue_per_user]\n  analysis: {bootstrap: {enabled: true, iterations: 70, seed: 3}}\n"
            + "  guardrails: {non_inferiority: {error_rate: 0.1, join_rate: 0.05}}",
        "  cuped: {enabled: true, covariate_key: pre_period_ctr}\n  analysis: {bootstrap: {enabled: true, iterations: 70, seed: 3}}",
        "  cuped: {enabled: true, pre_period: {start: \"2026-03-01T00:00:00Z\", end: \"2026-03-03T00:00:00Z\"}}",
    ])
    func usersInPartsChangeNothing(extra: String) throws {
        let reader = try Self.ingest(partitions: 3)
        let whole = try Self.outcome(reader, extra: extra, threads: 2)
        #expect(whole.messages.isEmpty)
        let base = whole.report.serialized()
        #expect(base.contains("\"tests\"") && !base.contains("\"tests\":[]"))
        for (perPart, threads) in [(1, 1), (2, 2), (7, 2), (64, 1), (699, 2), (5000, 2)] {
            let parted = try Self.outcome(reader, extra: extra, threads: threads, unitsPerPart: perPart)
            #expect(parted.report.serialized() == base, "\(perPart) users per part, \(threads) threads")
            if perPart < 700 {
                #expect(parted.messages.contains { $0.contains("taken in \((700 + perPart - 1) / perPart) parts") }, "\(parted.messages)")
            } else {
                #expect(parted.messages.isEmpty)
            }
        }
        let aa = try Self.outcome(reader, extra: extra + "\n  aa_check: {enabled: true}", mode: "aa-check").report.serialized()
        let aaParted = try Self.outcome(reader, extra: extra + "\n  aa_check: {enabled: true}", unitsPerPart: 9, mode: "aa-check")
        #expect(aaParted.report.serialized() == aa)
    }

    /// A part's per-unit state written to the scratch file reads back the same, codes counted
    /// from the part's first user; damaged bytes are an error, not a wrong part.
    @Test func spilledPartsReadBackExactly() throws {
        let reader = try Self.ingest(partitions: 3)
        var options = ExperimentScan.Options(
            experiment: "exp_units", sliceKeys: ["device"], covariateKey: "pre_period_ctr",
            prePeriod: TimeWindow(start: "2026-03-01T00:00:00Z", end: "2026-03-03T00:00:00Z"))
        options.units = 100..<400
        let scan = try ExperimentScan.run(reader: reader, options: options, threads: 2)
        #expect(scan.variantOfUnit.count == 300 && scan.unitScopes.count > 1)
        #expect(scan.unitScopes.allSatisfy { $0.units.allSatisfy { $0 >= 0 && $0 < 300 } } && !scan.unitScopes[0].units.isEmpty)
        var bytes: [UInt8] = []
        scan.encodeUnits { bytes += $0.bytes }
        var d = StateDecoder(bytes, context: "test")
        let back = try scan.withoutUnits().withUnits(from: &d)
        #expect(back.unitScopes.map(\.key) == scan.unitScopes.map(\.key))
        for (a, b) in zip(back.unitScopes, scan.unitScopes) {
            #expect(a.units == b.units && a.exposures == b.exposures && a.clicks == b.clicks && a.clickedRequests == b.clickedRequests)
            #expect(a.conversions == b.conversions && a.revenue == b.revenue)
            #expect(a.covariateCount == b.covariateCount && a.covariateSum == b.covariateSum && !a.covariateSum.isEmpty)
        }
        let pre = try #require(scan.preScope)
        let prePart = try #require(back.preScope)
        #expect(!pre.units.isEmpty && prePart.units == pre.units && prePart.clicks == pre.clicks && prePart.revenue == pre.revenue)
        #expect(prePart.exposures == pre.exposures && prePart.conversions == pre.conversions)
        #expect(back.variantOfUnit == scan.variantOfUnit && back.unitErrors == scan.unitErrors)
        #expect(back.unitEmpties == scan.unitEmpties && back.unitJoined == scan.unitJoined)
        var cut = StateDecoder(Array(bytes.dropLast(5)), context: "test")
        #expect(throws: StateError.self) { _ = try scan.withoutUnits().withUnits(from: &cut) }
        // Variants of fewer units than the scopes name: a unit code out of range.
        var short: [UInt8] = []
        var smaller = scan
        smaller.variantOfUnit = Array(scan.variantOfUnit.prefix(10))
        smaller.unitErrors = Array(scan.unitErrors.prefix(10))
        smaller.unitEmpties = Array(scan.unitEmpties.prefix(10))
        smaller.unitJoined = Array(scan.unitJoined.prefix(10))
        smaller.encodeUnits { short += $0.bytes }
        var bad = StateDecoder(short, context: "test")
        #expect(throws: StateError.self) { _ = try scan.withoutUnits().withUnits(from: &bad) }
    }
}
