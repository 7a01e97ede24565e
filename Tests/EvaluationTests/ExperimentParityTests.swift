import ColumnarStorage
import Evaluation
import Foundation
import Ingest
import Reports
import Testing

/// recsys-eval parity in experiment and aa-check modes: its golden experiment report, its extra
/// experiment and A/A scenarios and its experiment CLI runs (reports and decision artifacts),
/// from its own configs, compared with a relative tolerance of 1e-9. The comparison leaves out
/// the run's own fields and the keys receval adds (`experiment_units`, `aa_check_units`, `verdict`, and the
/// decision's `action`, `reasons`, `analysis`).
@Suite struct ExperimentParityTests {
    static let fixtures = OfflineParityTests.fixtures
    static let added: Set<String> = ["experiment_units", "aa_check_units", "verdict", "action", "reasons", "analysis", "versions"]

    static func differences(_ a: JSONValue, _ b: JSONValue) -> [String] {
        OfflineParityTests.differences(strip(a), strip(b))
    }

    static func strip(_ v: JSONValue) -> JSONValue {
        guard case .object(let m) = v else { return v }
        return .object(m.filter { !added.contains($0.0) })
    }

    static func run(_ config: String, dataset: String, compat: Bool = false) throws -> ExperimentEvaluation.Outcome {
        var eval = try EvalConfig.parse(try String(contentsOfFile: fixtures + "/configs/" + config, encoding: .utf8), file: config)
        if compat { eval.experiment.analysis.compat = "recsys-eval" }
        let metadata = ReportMetadata(
            runID: "\(eval.mode)-20250101T000000Z", createdAt: "2025-01-01T00:00:00Z", binaryVersion: "test", gitCommit: "deadbeef",
            effectiveConfig: nil, datasetFingerprint: "")
        return try ExperimentEvaluation.run(
            reader: try OfflineParityTests.dataset(dataset), config: eval.experiment, mode: eval.mode, metadata: metadata, threads: 2)
    }

    struct Case: Sendable, CustomStringConvertible {
        var expected: String
        var config: String
        var dataset: String
        /// recsys-eval's exit code when its decision runs (nil: no decision configured).
        var exitCode: Int32?
        var description: String { expected }
    }

    static let cases: [Case] = [
        Case(expected: "golden_experiment", config: "golden_experiment.yaml", dataset: "tiny", exitCode: nil),
        Case(expected: "extra_experiment_full_tiny", config: "extra_experiment_full_tiny.yaml", dataset: "tiny", exitCode: 3),
        Case(
            expected: "extra_experiment_ecommerce_mini", config: "extra_experiment_ecommerce_mini.yaml", dataset: "ecommerce-mini",
            exitCode: 3),
        Case(expected: "extra_aa_check_tiny", config: "extra_aa_check_tiny.yaml", dataset: "tiny", exitCode: nil),
        Case(expected: "experiment_default", config: "experiment.default.yaml", dataset: "tiny", exitCode: nil),
        Case(expected: "experiment_decision_hold", config: "experiment_decision_hold.config.yaml", dataset: "tiny", exitCode: 2),
        Case(expected: "experiment_minimal_no_slices", config: "experiment_minimal_no_slices.config.yaml", dataset: "tiny", exitCode: nil),
    ]

    @Test(arguments: cases)
    func reportAndDecision(c: Case) throws {
        let out = try Self.run(c.config, dataset: c.dataset, compat: true)
        let expected = try OfflineParityTests.read(Self.fixtures + "/expected/\(c.expected).json")
        #expect(Self.differences(out.report, expected) == [])
        if let code = c.exitCode {
            let decision = try OfflineParityTests.read(Self.fixtures + "/expected/\(c.expected).decision.json")
            #expect(out.decision.map { Self.differences($0, decision) } == [])
            #expect(out.exitCode == code)
        } else {
            #expect(out.decision == nil)
            #expect(out.exitCode == 0)
        }
    }

    /// The report keys do not depend on the decision rule; only the decision does.
    @Test func defaultDecisionUsesTheUnitLevelAnalysis() throws {
        let out = try Self.run("extra_experiment_full_tiny.yaml", dataset: "tiny")
        let expected = try OfflineParityTests.read(Self.fixtures + "/expected/extra_experiment_full_tiny.json")
        #expect(Self.differences(out.report, expected) == [])
        // Two users, one per variant: too few units for any test, so nothing is significant.
        #expect(out.decision?["action"] == .string("inconclusive"))
        #expect(out.decision?["decision"] == .string("hold"))
        #expect(out.exitCode == 2)
    }
}
