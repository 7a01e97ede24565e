import ColumnarStorage
import Evaluation
import Foundation
import Ingest
import Reports
import TestSupport
import Testing

/// recsys-eval parity in offline mode: its golden report, its extra offline scenarios and its
/// offline CLI runs, reproduced from its own configs and compared as JSON values with a relative
/// tolerance of 1e-9. Fields that describe the run (ids, times, versions, effective config,
/// fingerprint) and bootstrap intervals (random in the original) are left out of the comparison.
@Suite struct OfflineParityTests {
    static let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let fixtures = here.appendingPathComponent("Fixtures").path
    static let datasets = here.deletingLastPathComponent().appendingPathComponent("IngestTests/Fixtures/recsys-eval").path
    static let golden = here.deletingLastPathComponent().appendingPathComponent("ReportsTests/Fixtures/golden/offline.json").path
    static let runFields: Set<String> = [
        "run_id", "created_at", "binary_version", "git_commit", "effective_config", "input_dataset_fingerprint", "baseline_run_id", "ci",
        // Keys receval adds (the IR definition set and the names of the definition sets).
        "offline_ir", "definitions", "data_quality_slices",
    ]

    static func dataset(_ name: String) throws -> DatasetReader { try ingest(datasets + "/" + name) }

    /// Ingests the three JSONL files of `directory` (no reject allowed) into a temporary dataset.
    static func ingest(_ directory: String, partitions: Int? = nil) throws -> DatasetReader {
        let dir = try TestDirectory.make("eval")
        var o = IngestOptions(output: dir + "/d.rcv", threads: 2)
        o.exposures = [directory + "/exposures.jsonl"]
        o.outcomes = [directory + "/outcomes.jsonl"]
        o.assignments = [directory + "/assignments.jsonl"]
        o.partitions = partitions
        o.maxRejectRate = 0
        _ = try IngestJob(options: o).run()
        return try DatasetReader(path: dir + "/d.rcv")
    }

    static func read(_ path: String) throws -> JSONValue {
        try JSONValue.parse(try String(contentsOfFile: path, encoding: .utf8))
    }

    /// Mismatches between two reports, as JSON paths (empty: equal).
    static func differences(_ a: JSONValue, _ b: JSONValue, _ path: String = "") -> [String] {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            let xs = Dictionary(x.filter { !runFields.contains($0.0) }, uniquingKeysWith: { $1 })
            let ys = Dictionary(y.filter { !runFields.contains($0.0) }, uniquingKeysWith: { $1 })
            var out: [String] = []
            for k in Set(xs.keys).union(ys.keys).sorted() {
                guard let u = xs[k], let v = ys[k] else {
                    out.append("\(path)/\(k) present on one side only")
                    continue
                }
                out += differences(u, v, "\(path)/\(k)")
            }
            return out
        case (.array(let x), .array(let y)):
            guard x.count == y.count else { return ["\(path): \(x.count) vs \(y.count) elements"] }
            return zip(x, y).enumerated().flatMap { differences($1.0, $1.1, "\(path)[\($0)]") }
        case (.number(let x), .number(let y)):
            return abs(x - y) <= 1e-9 * max(1, abs(y)) ? [] : ["\(path): \(x) vs \(y)"]
        default:
            return a == b ? [] : ["\(path): \(a) vs \(b)"]
        }
    }

    static func run(_ yaml: String, dataset: String, baseline: JSONValue? = nil) throws -> OfflineEvaluation.Outcome {
        let config = try EvalConfig.parse(yaml, file: "eval.yaml")
        let metadata = ReportMetadata(
            runID: "offline-20250101T000000Z", createdAt: "2025-01-01T00:00:00Z", binaryVersion: "test", gitCommit: "",
            effectiveConfig: nil, datasetFingerprint: "")
        return try OfflineEvaluation.run(
            reader: try Self.dataset(dataset), config: config.offline, baseline: baseline, metadata: metadata, threads: 2)
    }

    @Test func goldenOfflineReport() throws {
        let yaml = """
            mode: offline
            offline:
              metrics:
                - name: precision
                  k: 2
                - name: recall
                  k: 2
              slice_keys: [tenant, surface]
            """
        let golden = try Self.read(Self.golden)
        let out = try Self.run(yaml, dataset: "tiny", baseline: golden)
        #expect(Self.differences(out.report, golden) == [])
        #expect(!out.gatesFailed)
    }

    struct Scenario: Sendable, CustomStringConvertible {
        var expected: String
        var dataset: String
        var metrics: [String]
        var k: Int
        var sliceKeys: [String]
        var description: String { expected }
    }

    static let scenarios: [Scenario] = [
        Scenario(
            expected: "extra_offline_all_k2_tiny", dataset: "tiny",
            metrics: ["precision", "recall", "map", "ndcg", "hitrate", "coverage", "novelty", "diversity"], k: 2,
            sliceKeys: ["tenant", "surface"]),
        Scenario(
            expected: "extra_offline_all_k3_tiny", dataset: "tiny",
            metrics: ["precision", "recall", "map", "ndcg", "hitrate", "coverage", "novelty", "diversity"], k: 3,
            sliceKeys: ["tenant", "surface"]),
        Scenario(expected: "extra_offline_bootstrap_tiny", dataset: "tiny", metrics: ["precision", "recall", "ndcg"], k: 0, sliceKeys: []),
        Scenario(
            expected: "extra_offline_ecommerce_mini", dataset: "ecommerce-mini",
            metrics: ["precision", "recall", "ndcg", "hitrate", "coverage", "novelty", "diversity"], k: 3,
            sliceKeys: ["tenant", "surface", "category"]),
        Scenario(
            expected: "extra_offline_signals", dataset: "signals",
            metrics: ["precision", "recall", "map", "ndcg", "hitrate", "coverage", "novelty", "diversity"], k: 3,
            sliceKeys: ["tenant", "surface"]),
    ]

    @Test(arguments: scenarios)
    func extraScenario(s: Scenario) throws {
        let expected = try Self.read(Self.fixtures + "/expected/\(s.expected).json")
        // The metric list (names and cut-offs) is the one the reference report lists, in order.
        var metrics: [String] = []
        if case .array(let list)? = expected["offline"]?["metrics"] {
            metrics = list.compactMap { if case .string(let n)? = $0["name"] { return n } else { return nil } }
        }
        #expect(metrics.count == s.metrics.count)
        let yaml =
            "mode: offline\noffline:\n  metrics:\n"
            + metrics.map { "    - name: \($0.split(separator: "@")[0])\n      k: \($0.split(separator: "@")[1])\n" }.joined()
            + "  slice_keys: [\(s.sliceKeys.joined(separator: ", "))]\n"
        let out = try Self.run(yaml, dataset: s.dataset)
        #expect(Self.differences(out.report, expected) == [])
    }

    @Test(arguments: [
        ("offline_ci", "offline.ci.yaml", "tiny", true, false),
        ("offline_gate_fail", "offline_gate_fail.config.yaml", "tiny", true, true),
        ("offline_default", "offline.default.yaml", "tiny", false, false),
        ("offline_signals", "offline.signals.yaml", "signals", false, false),
    ])
    func cliRun(expected: String, config: String, dataset: String, withBaseline: Bool, gateFails: Bool) throws {
        let yaml = try String(contentsOfFile: Self.fixtures + "/configs/" + config, encoding: .utf8)
        let out = try Self.run(yaml, dataset: dataset, baseline: withBaseline ? try Self.read(Self.golden) : nil)
        let reference = try Self.read(Self.fixtures + "/expected/\(expected).json")
        #expect(Self.differences(out.report, reference) == [])
        #expect(out.gatesFailed == gateFails)
    }

    @Test func unknownKeysAndMetricsAreErrors() {
        #expect(throws: ConfigError.self) { try EvalConfig.parse("mode: offline\noffline:\n  bogus_key: 1\n", file: "e.yaml") }
        #expect(throws: ConfigError.self) {
            try EvalConfig.parse("mode: offline\noffline:\n  metrics:\n    - name: auc\n      k: 2\n", file: "e.yaml")
        }
        #expect(throws: ConfigError.self) {
            try EvalConfig.parse("mode: offline\noffline:\n  metrics:\n    - name: ndcg\n      k: 0\n", file: "e.yaml")
        }
        do {
            _ = try EvalConfig.parse("mode: offline\noffline:\n  bogus_key: 1\n", file: "e.yaml")
        } catch {
            #expect("\(error)".contains("offline.bogus_key"))
        }
    }
}
