import Evaluation
import Foundation
import Ingest
import Reports
import TestSupport
import Testing

/// Configurations that would silently analyse the wrong thing stop with an error naming what
/// the data holds, or, where recsys-eval's behaviour is asked for, run with a warning; rejected
/// input rows are counted in the report. All through `EvaluationRun`, the library call behind
/// `receval run`, on recsys-eval's tiny fixture (variant A: 2 exposures, B: 1; experiment exp_123).
@Suite struct RunTrapTests {
    static let tiny = OfflineParityTests.datasets + "/tiny"

    /// A new directory that lasts until the test process exits (see `TestDirectory`).
    static func tempDir() -> String { try! TestDirectory.make("trap") }

    static func request(
        _ yaml: String, mode: String? = nil, exposures: String = tiny + "/exposures.jsonl",
        assignments: String = tiny + "/assignments.jsonl",
        compat: Bool = false
    ) throws -> EvaluationRun.Request {
        var eval = try EvalConfig.parse(yaml, file: "eval.yaml")
        if compat { eval.experiment.analysis.compat = "recsys-eval" }
        let dataset = DatasetConfig(
            exposures: .init(type: "jsonl", path: exposures), outcomes: .init(type: "jsonl", path: tiny + "/outcomes.jsonl"),
            assignments: .init(type: "jsonl", path: assignments))
        return EvaluationRun.Request(
            eval: eval, configName: "eval.yaml", modeFlag: mode, dataset: dataset, threads: 2, createdAt: "2025-01-01T00:00:00Z",
            binaryVersion: "test", scratchDirectory: tempDir())
    }

    static func experiment(control: String?, id: String = "exp_123") -> String {
        "mode: experiment\nexperiment:\n  experiment_id: \(id)\n" + (control.map { "  control_variant: \($0)\n" } ?? "")
            + "  primary_metrics: [ctr]\n  decision: {enabled: true}\n"
    }

    /// The message of the error `body` throws.
    static func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func absentControlIsAnErrorNamingTheVariants() throws {
        let r = try Self.request(Self.experiment(control: "a"))
        let m = Self.message { _ = try EvaluationRun.run(r) }
        #expect(m?.contains("control_variant is \"a\"") == true, "\(m ?? "no error")")
        #expect(m?.contains("A (2 exposures), B (1 exposures)") == true, "\(m ?? "")")
        #expect(m?.contains("did you mean \"A\"") == true)
    }

    /// recsys-eval's fallback only on request, and then said in the report and the messages.
    /// A `--memory-limit` below the least the experiment's per-user state needs stops the run
    /// before the scan, saying how many users and how much; a limit it meets changes nothing.
    @Test func memoryLimitBelowTheUnitStateIsAnError() throws {
        var r = try Self.request(Self.experiment(control: "A") + "  analysis: {unit: request}\n")
        r.memoryLimit = 100
        let m = Self.message { _ = try EvaluationRun.run(r) }
        #expect(
            m?.contains("--memory-limit") == true && m?.contains("the experiment analysis keeps state per request") == true, "\(m ?? "")")
        #expect(m?.contains("bytes each") == true && m?.contains("Raise --memory-limit") == true, "\(m ?? "")")
        #expect(m?.contains("request units are not taken in parts") == true, "\(m ?? "")")
        r.memoryLimit = 1 << 30
        let limited = try EvaluationRun.run(r)
        let free = try EvaluationRun.run(try Self.request(Self.experiment(control: "A") + "  analysis: {unit: request}\n"))
        #expect(limited.report.serialized() == free.report.serialized())
        // With user units the same limit is no error (their state is taken in parts when it
        // exceeds half the limit; this tiny dataset fits one part, and UnitAnalysisTests checks
        // that parts give the same bytes): the report is the one without a limit.
        var users = try Self.request(Self.experiment(control: "A"))
        users.memoryLimit = 100
        let parted = try EvaluationRun.run(users)
        let whole = try EvaluationRun.run(try Self.request(Self.experiment(control: "A")))
        #expect(parted.report.serialized() == whole.report.serialized())
    }

    @Test func compatKeepsTheFallbackWithAWarning() throws {
        let out = try EvaluationRun.run(try Self.request(Self.experiment(control: "Control"), compat: true))
        #expect(out.report["verdict"]?["control"]?["chosen_by"] == .string("fallback"))
        #expect(out.report["verdict"]?["control"]?["variant"] == .string("A"))
        let warnings = out.report["warnings"]?.arrayItems ?? []
        #expect(warnings.contains { $0.str.contains("\"Control\" is not in the data") })
        #expect(out.messages.contains { $0.hasPrefix("warning:") && $0.contains("\"Control\" is not in the data") })
    }

    @Test func unsetControlSaysWhichAndWhy() throws {
        let out = try EvaluationRun.run(try Self.request(Self.experiment(control: nil)))
        let control = out.report["verdict"]?["control"]
        #expect(control?["chosen_by"] == .string("most_exposures"))
        #expect(control?["variant"] == .string("A"))
        #expect(control?["note"]?.str.contains("A has 2 exposures (B: 1)") == true, "\(control?["note"]?.str ?? "")")
    }

    @Test func unknownExperimentIsAnErrorNamingTheIds() throws {
        let m = Self.message { _ = try EvaluationRun.run(try Self.request(Self.experiment(control: "A", id: "exp_999"))) }
        #expect(m?.contains("\"exp_999\" matches no assignment") == true, "\(m ?? "no error")")
        #expect(m?.contains("the assignments hold: exp_123") == true)
        // Ids still compare case-insensitively, as in recsys-eval.
        #expect(throws: Never.self) { _ = try EvaluationRun.run(try Self.request(Self.experiment(control: "A", id: "EXP_123"))) }
    }

    @Test func unsetExperimentWithSeveralInTheDataIsAnError() throws {
        let dir = Self.tempDir()
        var lines = try String(contentsOfFile: Self.tiny + "/assignments.jsonl", encoding: .utf8)
        lines +=
            "{\"experiment_id\":\"exp_other\",\"variant\":\"A\",\"request_id\":\"r2\",\"user_id\":\"u2\",\"ts\":\"2025-01-01T00:01:00Z\"}\n"
        try lines.write(toFile: dir + "/assignments.jsonl", atomically: true, encoding: .utf8)
        let yaml = "mode: experiment\nexperiment:\n  control_variant: A\n"
        let m = Self.message { _ = try EvaluationRun.run(try Self.request(yaml, assignments: dir + "/assignments.jsonl")) }
        #expect(m?.contains("2 experiments (exp_123, exp_other)") == true, "\(m ?? "no error")")
        let pooled = try EvaluationRun.run(try Self.request(yaml, assignments: dir + "/assignments.jsonl", compat: true))
        #expect(pooled.messages.contains { $0.contains("are pooled, as recsys-eval does") })
    }

    @Test func modeMustAgreeWithTheConfig() throws {
        let offline = "mode: offline\noffline:\n  metrics: [{name: ndcg, k: 2}]\n"
        let m = Self.message { _ = try EvaluationRun.run(try Self.request(offline, mode: "experiment")) }
        #expect(m?.contains("--mode experiment disagrees with the config's mode: offline") == true, "\(m ?? "no error")")
        let noSection = "offline:\n  metrics: [{name: ndcg, k: 2}]\n"
        let n = Self.message { _ = try EvaluationRun.run(try Self.request(noSection, mode: "experiment")) }
        #expect(n?.contains("--mode experiment needs the `experiment:` section") == true, "\(n ?? "no error")")
        // An experiment config may be A/A-checked.
        let aa = Self.experiment(control: "A") + "  aa_check: {enabled: true}\n"
        let out = try EvaluationRun.run(try Self.request(aa, mode: "aa-check"))
        #expect(out.report["mode"] == .string("aa-check"))
        #expect(out.report["verdict"]?["action"] != nil)
    }

    /// Malformed lines are counted per table in the report and the messages, with the first
    /// reasons and the rejects file; beyond --max-reject-rate the run stops.
    @Test func rejectedRowsAreCountedInTheReport() throws {
        let dir = Self.tempDir()
        var lines = try String(contentsOfFile: Self.tiny + "/exposures.jsonl", encoding: .utf8)
        lines += "{\"request_id\": 5}\nnot json\n"
        try lines.write(toFile: dir + "/exposures.jsonl", atomically: true, encoding: .utf8)
        var r = try Self.request(Self.experiment(control: "A"), exposures: dir + "/exposures.jsonl")
        r.ingest = .init(maxRejectRate: 0.5, rejectsPath: dir + "/report.rejects.jsonl")
        let out = try EvaluationRun.run(r)
        let ingest = out.report["data_quality"]?["ingest"]
        #expect(ingest?["tables"]?["exposures"]?["read"] == .number(5))
        #expect(ingest?["tables"]?["exposures"]?["written"] == .number(3))
        #expect(ingest?["tables"]?["exposures"]?["rejected"] == .number(2))
        #expect(ingest?["first_rejects"]?.arrayItems.first?["line"] == .number(4))
        #expect(ingest?["first_rejects"]?.arrayItems.first?["field"] == .string("request_id"))
        #expect(ingest?["rejects_file"] == .string(dir + "/report.rejects.jsonl"))
        #expect(FileManager.default.fileExists(atPath: dir + "/report.rejects.jsonl"))
        #expect(out.messages.contains("ingest: exposures read 5, written 3, rejected 2"))
        #expect(out.messages.contains { $0.contains("exposures.jsonl:5:") && $0.contains("invalid JSON") })
        r.ingest = .init(maxRejectRate: 0.1, rejectsPath: nil)
        let m = Self.message { _ = try EvaluationRun.run(r) }
        #expect(m?.contains("2 of 5 exposures rows") == true, "\(m ?? "no error")")
    }

    /// The report agrees with itself: the verdict names the decision that sets the exit status,
    /// and explains recsys-eval's keys that read differently.
    @Test func verdictExplainsTheOtherDecisionKeys() throws {
        let out = try EvaluationRun.run(try Self.request(Self.experiment(control: "A")))
        let v = out.report["verdict"]
        #expect(v?["action"] == out.report["experiment_units"]?["decision"]?["action"])
        #expect(out.decision?["action"] == v?["action"])
        #expect(v?["srm"]?["gating"] == .string("unit-level"))
        #expect(v?["notes"]?.arrayItems.contains { $0.str.contains("summary.executive.decision") } == true)
        #expect(out.report["summary"]?["executive"]?["decision"] == .string("not_configured"))
        let compat = try EvaluationRun.run(try Self.request(Self.experiment(control: "A"), compat: true))
        #expect(compat.report["verdict"]?["srm"]?["gating"] == .string("request-level"))
        #expect(compat.report["verdict"]?["action"] == compat.decision?["decision"])
        // The verdict comes before every section.
        guard case .object(let top) = out.report else { return }
        #expect(top.firstIndex { $0.0 == "verdict" }! < top.firstIndex { $0.0 == "summary" }!)
    }

    /// A slice key no context holds would make every segment "missing": the report says so.
    @Test func unknownSliceKeysAreWarnings() throws {
        let out = try EvaluationRun.run(
            try Self.request("mode: offline\noffline:\n  metrics: [{name: ndcg, k: 2}]\n  slice_keys: [surfac]\n"))
        let warnings = out.report["warnings"]?.arrayItems.map(\.str) ?? []
        #expect(warnings.contains { $0.contains("offline.slice_keys names \"surfac\"") && $0.contains("surface") }, "\(warnings)")
        #expect(out.messages.contains { $0.contains("\"surfac\"") })
    }

    /// A logging propensity so small that π_e/π_0 overflows gives an error, not a crash.
    @Test func anInfiniteWeightIsAnError() throws {
        let dir = Self.tempDir()
        try """
        {"request_id":"r1","user_id":"u1","ts":"2025-01-01T00:00:00Z","items":[{"item_id":"i1","rank":1,"logging_propensity":1e-320,"target_propensity":0.5}]}

        """.write(toFile: dir + "/exposures.jsonl", atomically: true, encoding: .utf8)
        let m = Self.message {
            _ = try EvaluationRun.run(try Self.request("mode: ope\nope: {reward_event: click}\n", exposures: dir + "/exposures.jsonl"))
        }
        #expect(m?.contains("importance weight") == true && m?.contains("infinite") == true, "\(m ?? "no error")")
    }

    @Test func anEmptyInputIsAnError() throws {
        let dir = Self.tempDir()
        try "\n".write(toFile: dir + "/exposures.jsonl", atomically: true, encoding: .utf8)
        let m = Self.message {
            _ = try EvaluationRun.run(try Self.request(Self.experiment(control: "A"), exposures: dir + "/exposures.jsonl"))
        }
        #expect(m?.contains("no exposure rows to evaluate") == true, "\(m ?? "no error")")
    }
}

extension JSONValue {
    /// A string's value ("" for anything else).
    fileprivate var str: String {
        if case .string(let s) = self { return s }
        return ""
    }
}
