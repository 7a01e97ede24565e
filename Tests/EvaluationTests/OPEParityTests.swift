import ColumnarStorage
import Evaluation
import Foundation
import Reports
import Testing

/// recsys-eval parity in OPE mode: its golden OPE report, its six extra OPE scenarios and its
/// default OPE CLI run, from its own configs, compared with a relative tolerance of 1e-9. The
/// comparison leaves out the run's own fields and the key receval adds (`ope_analysis`), and
/// receval's own warnings (recsys-eval's warnings are compared).
@Suite struct OPEParityTests {
    static let fixtures = OfflineParityTests.fixtures

    static func run(_ config: String, dataset: String, partitions: Int? = nil, threads: Int = 2) throws -> JSONValue {
        let eval = try EvalConfig.parse(try String(contentsOfFile: fixtures + "/configs/" + config, encoding: .utf8), file: config)
        let metadata = ReportMetadata(
            runID: "ope-20250101T000000Z", createdAt: "2025-01-01T00:00:00Z", binaryVersion: "test", gitCommit: "deadbeef",
            effectiveConfig: nil, datasetFingerprint: "")
        let reader = try OfflineParityTests.ingest(OfflineParityTests.datasets + "/" + dataset, partitions: partitions)
        return try OPEEvaluation.run(reader: reader, config: eval.ope, metadata: metadata, threads: threads)
    }

    /// The report without receval's additions: `ope_analysis`, and warnings that are not recsys-eval's.
    static func compatOnly(_ v: JSONValue) -> JSONValue {
        guard case .object(let m) = v else { return v }
        let known: Set<String> = ["high_clipping_fraction", "low_effective_sample_size", "missing_target_propensity"]
        var out: [(String, JSONValue)] = []
        for (k, x) in m where k != "ope_analysis" {
            if k == "warnings", case .array(let items) = x {
                let kept = items.filter { if case .string(let s) = $0 { return known.contains(s) } else { return false } }
                if !kept.isEmpty { out.append((k, .array(kept))) }
            } else {
                out.append((k, x))
            }
        }
        return .object(out)
    }

    struct Case: Sendable, CustomStringConvertible {
        var expected: String
        var config: String
        var dataset: String
        var description: String { expected }
    }

    static let cases: [Case] =
        [
            Case(expected: "golden_ope", config: "golden_ope.yaml", dataset: "tiny"),
            Case(expected: "extra_ope_tiny_item_dr", config: "extra_ope_tiny_item_dr.yaml", dataset: "tiny"),
            Case(expected: "extra_ope_tiny_request_max_clip", config: "extra_ope_tiny_request_max_clip.yaml", dataset: "tiny"),
            Case(expected: "ope_default", config: "ope.default.yaml", dataset: "tiny"),
        ]
        + ["request_none", "request_log2", "item_none", "item_log2"].map {
            Case(expected: "extra_ope_ecommerce_mini_\($0)", config: "extra_ope_ecommerce_mini_\($0).yaml", dataset: "ecommerce-mini")
        }

    @Test(arguments: cases)
    func report(c: Case) throws {
        let out = try Self.run(c.config, dataset: c.dataset)
        let expected = try OfflineParityTests.read(Self.fixtures + "/expected/\(c.expected).json")
        #expect(OfflineParityTests.differences(Self.compatOnly(out), expected) == [])
        #expect(out["ope_analysis"] != nil)
    }
}
