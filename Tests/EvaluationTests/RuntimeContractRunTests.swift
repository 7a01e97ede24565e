import ColumnarStorage
import Evaluation
import Foundation
import Ingest
import Reports
import Testing

/// `receval run` from recsys-eval configs over JSONL logs that hold rows recsys-eval's JSON
/// Schemas reject but its runtime reads (SPEC §1.1, §1.3): the run reads them as the runtime
/// does (the recsys-eval runtime contract) and counts them as recsys-eval does (§5.3, §5.4,
/// §6.1, §6.3, §7.1, §9.1). Expectations are worked out by hand from recsys-eval's rules, with
/// the arithmetic beside them; one scenario is recsys-eval's own output (its duplicates edge
/// case, with `Click` and `purchase` events).
///
/// Fixtures/runtime-contract holds the logs:
///
/// exposures: r1 [a, b, "" at rank 3]; r2 [a]; r3 [c rank 1, e without rank (0)]; r4 [a];
/// r5 [b] without ts; r6 written `Request_ID`, with an unknown member `debug` and no items;
/// "" (empty request id) [a].
/// outcomes: r1 a `Click`, r1 a `CONVERSION` value 10, r2 a click, r2 a `add_to_cart`, r3 c
/// `purchase` value 99, r4 "" (empty item id) click, r9 a click (no exposure).
/// assignments (experiment exp): r1 A, r2 B, r3 variant "", r4 B, r5 B written `EXP`, r6 without
/// variant, "" (empty request id) A, r2 A of experiment `other`, r8 A (no exposure).
@Suite struct RuntimeContractRunTests {
    static let logs = OfflineParityTests.fixtures + "/runtime-contract"

    static func request(_ config: String, dataset: DatasetConfig? = nil, contract: IngestContract = .recsysEvalRuntime) throws
        -> EvaluationRun.Request
    {
        let eval = try EvalConfig.parse(try String(contentsOfFile: logs + "/" + config, encoding: .utf8), file: config)
        let data =
            try dataset
            ?? DatasetConfig.parse(
                try String(contentsOfFile: logs + "/dataset.yaml", encoding: .utf8), file: "dataset.yaml", directory: logs)
        var r = EvaluationRun.Request(
            eval: eval, configName: config, modeFlag: nil, dataset: data, threads: 2, createdAt: "2025-01-01T00:00:00Z",
            binaryVersion: "test", scratchDirectory: RunTrapTests.tempDir())
        r.ingest = .init(maxRejectRate: 1, rejectsPath: nil, contract: contract)
        return r
    }

    /// `value` without the members `keys`.
    static func without(_ value: JSONValue?, _ keys: Set<String>) -> JSONValue {
        guard case .object(let m)? = value else { return value ?? .null }
        return .object(m.filter { !keys.contains($0.0) })
    }

    static func json(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    /// recsys-eval's data quality of these exposures and outcomes (SPEC §5.1, §5.4):
    /// exposures 7, missing 2 (r6 has no items, one has an empty request id): 2/7;
    /// outcomes 7, missing 1 (r4's has an empty item id): 1/7;
    /// joined exposures r1, r2, r3, r4 (r3's only outcome is `purchase`, still a joined
    /// outcome): 4/7; joined outcomes 2 + 2 + 1 + 1 = 6 of 7 (r9 has no exposure): 6/7.
    static let exposureAndOutcomeQuality = """
        "exposure_completeness": {"total": 7, "missing": 2, "missing_rate": 0.2857142857142857},
        "outcome_completeness": {"total": 7, "missing": 1, "missing_rate": 0.14285714285714285},
        """

    @Test func offlineCountsAndMetricsAsRecsysEval() throws {
        let out = try EvaluationRun.run(try Self.request("offline.yaml"))
        // Cases: the 7 distinct request ids (r1..r6 and ""), in rank order (SPEC §6.1):
        //   r1 [a, b, ""], relevant {a} (Click and CONVERSION compare ignoring case)
        //   r2 [a], relevant {a} (add_to_cart is no relevance)
        //   r3 [e (rank 0), c], relevant {} (purchase is no relevance)
        //   r4 [a], relevant {""} (a click on the empty item id)
        //   r5 [b], r6 [], "" [a]: no outcomes.
        // precision@2 = (1/2 + 1/1) / 7 = 1.5/7; recall@2 = (1 + 1) / 7; hitrate@1 = (1 + 1) / 7.
        // Dataset metrics leave "" out (SPEC §6.3): full lists hold a 4, b 2, c 1, e 1 (N = 8),
        // top-2 positions the same 8.
        //   coverage@2 = |{a, b, c, e}| / |{a, b, c, e}| = 1 (0.8 if "" counted as an item);
        //   novelty@2 = (4·log2(8/4) + 2·log2(8/2) + log2(8) + log2(8)) / 8 = (4 + 4 + 3 + 3) / 8 = 1.75;
        //   diversity@2 = H(4/8, 2/8, 1/8, 1/8) / log2(4) = (0.5 + 0.5 + 0.375 + 0.375) / 2 = 0.875.
        let metrics = try Self.json(
            """
            [{"name": "precision@2", "value": 0.21428571428571427}, {"name": "recall@2", "value": 0.2857142857142857},
             {"name": "hitrate@1", "value": 0.2857142857142857}, {"name": "coverage@2", "value": 1},
             {"name": "novelty@2", "value": 1.75}, {"name": "diversity@2", "value": 0.875}]
            """)
        #expect(OfflineParityTests.differences(out.report["offline"]?["metrics"] ?? .null, metrics) == [])
        #expect(out.report["summary"]?["cases_evaluated"] == .number(7))
        let quality = try Self.json(
            """
            {\(Self.exposureAndOutcomeQuality)
             "join_integrity": {"exposure_count": 7, "outcome_count": 7, "assignments_count": 0,
               "exposure_join_rate": 0.5714285714285714, "outcome_join_rate": 0.8571428571428571, "assignment_join_rate": 0}}
            """)
        #expect(OfflineParityTests.differences(Self.without(out.report["data_quality"], ["ingest"]), quality) == [])
        // Nothing was rejected, and every kind of row the schemas reject is counted.
        let ingest = out.report["data_quality"]?["ingest"]
        #expect(ingest?["contract"] == .string("recsys-eval-runtime"))
        #expect(ingest?["tables"]?["exposures"]?["rejected"] == .number(0))
        #expect(ingest?["tables"]?["outcomes"]?["rejected"] == .number(0))
        let readings = (ingest?["runtime_readings"]?.arrayItems ?? []).map { r -> String in
            guard case .string(let t)? = r["table"], case .string(let k)? = r["reading"], case .number(let n)? = r["rows"] else {
                return ""
            }
            return "\(t) \(k) \(Int(n))"
        }
        #expect(
            readings == [
                "exposures empty_string 2", "exposures missing_ts 1", "exposures rank_below_one 1", "exposures member_name_case 1",
                "exposures unknown_member 1", "outcomes empty_string 1", "outcomes event_type_case 2", "outcomes other_event_type 2",
            ])  // offline reads no assignments (experimentCountsAsRecsysEval counts theirs)
        #expect(out.messages.contains { $0.contains("kept as recsys-eval's runtime reads it") && $0.contains("exposures.jsonl:6") })
    }

    /// The data quality of the experiment and aa-check over these logs (SPEC §5.3, §5.4):
    /// assignments 9 rows; missing (empty request id or variant) r3, r6 and the empty request
    /// id: 3, counted before the experiment filter: 3/9. Of the rest, `other` is skipped (r2
    /// stays B); EXP matches exp ignoring case. By request: r1 A, r2 B, r4 B, r5 B, r8 A:
    /// assignments_count 5. Assigned exposures r1, r2, r4, r5: 4 cases, 4/5 = 0.8.
    static let assignedQuality = """
        {\(exposureAndOutcomeQuality)
         "assignment_completeness": {"total": 9, "missing": 3, "missing_rate": 0.3333333333333333},
         "join_integrity": {"exposure_count": 7, "outcome_count": 7, "assignments_count": 5,
           "exposure_join_rate": 0.5714285714285714, "outcome_join_rate": 0.8571428571428571, "assignment_join_rate": 0.8}}
        """

    @Test func experimentCountsAsRecsysEval() throws {
        let out = try EvaluationRun.run(try Self.request("experiment.yaml"))
        let quality = try Self.json(Self.assignedQuality)
        #expect(OfflineParityTests.differences(Self.without(out.report["data_quality"], ["ingest"]), quality) == [])
        #expect(out.report["summary"]?["cases_evaluated"] == .number(4))
        let readings = (out.report["data_quality"]?["ingest"]?["runtime_readings"]?.arrayItems ?? []).filter {
            $0["table"] == .string("assignments")
        }
        #expect(readings.map { "\($0["reading"]?.stringValue ?? "") \($0["rows"]?.numberValue ?? -1)" } == ["empty_string 3.0"])
        // Per variant (SPEC §7.1, event types through strings.ToLower):
        //   A: r1 — Click is a click, CONVERSION a conversion with revenue 10: ctr 1/1, cvr 1/1.
        //   B: r2 (click; add_to_cart is neither), r4 (a click, on the empty item id), r5 (none):
        //      clicks 2 of 3 exposures; throughput from r2 (00:00:10) and r4 (00:00:30) only, as
        //      r5 has no ts (Go's zero time is skipped): 3 / 20 s = 0.15. A has one ts: no throughput.
        let variants = try Self.json(
            """
            [{"variant": "A", "exposures": 1, "clicks": 1, "conversions": 1, "ctr": 1, "conversion_rate": 1,
              "revenue": 10, "revenue_per_request": 10},
             {"variant": "B", "exposures": 3, "clicks": 2, "conversions": 0, "ctr": 0.6666666666666666, "conversion_rate": 0,
              "revenue": 0, "revenue_per_request": 0, "throughput_rps": 0.15}]
            """)
        #expect(OfflineParityTests.differences(out.report["experiment"]?["variants"] ?? .null, variants) == [])
        // The decision's window: first and last non-zero ts of all exposures and outcomes
        // (r1's exposure at 00:00:00, r9's outcome at 00:02:00); r5's missing ts is no time.
        #expect(out.decision?["dataset_window"]?["start"] == .string("2025-01-01T00:00:00Z"))
        #expect(out.decision?["dataset_window"]?["end"] == .string("2025-01-01T00:02:00Z"))
    }

    /// Distribution metrics per segment leave the empty item id out too (SPEC §6.3, §6.4), in
    /// segments whose lists (t1: r1's third item) or relevant sets (t2: r4's click) hold it.
    @Test func segmentDistributionMetricsIgnoreEmptyItems() throws {
        let out = try EvaluationRun.run(try Self.request("offline-segments.yaml"))
        // tenant=t1: r1 [a, b, ""], r2 [a], r6 []; catalog {a, b}, covered {a, b}: 1 (2/3 with "").
        //   Popularity a 2, b 1 (N = 3); top-2 positions a, b, a: novelty (2·log2(3/2) + log2(3)) / 3
        //   = log2(3) − 2/3; diversity H(2/3, 1/3) / log2(2), the same number.
        // tenant=t2: r3 [e, c], r4 [a] (relevant {""}), r5 [b]: catalog and covered {a, b, c, e}: 1
        //   (4/5 with ""); every item once: novelty log2(4) = 2, diversity H = 2 over log2(4) = 1.
        // tenant= (the empty request id, no context): [a]: coverage 1, novelty log2(1) = 0,
        //   diversity 0 (fewer than 2 distinct items).
        let segments = out.report["offline"]?["by_segment"]
        func value(_ segment: String, _ metric: String) -> Double? {
            segments?[segment]?.arrayItems.first { $0["name"] == .string(metric) }?["value"]?.numberValue
        }
        let t1 = log2(3.0) - 2.0 / 3
        let want: [(String, String, Double)] = [
            ("tenant=t1", "coverage@2", 1), ("tenant=t1", "novelty@2", t1), ("tenant=t1", "diversity@2", t1),
            ("tenant=t2", "coverage@2", 1), ("tenant=t2", "novelty@2", 2), ("tenant=t2", "diversity@2", 1),
            ("tenant=", "coverage@2", 1), ("tenant=", "novelty@2", 0), ("tenant=", "diversity@2", 0),
        ]
        for (segment, metric, v) in want {
            let got = value(segment, metric)
            #expect(got.map { abs($0 - v) <= 1e-12 } == true, "\(segment) \(metric): \(String(describing: got)) against \(v)")
        }
    }

    /// aa-check on the same logs (SPEC §8): the experiment's joins and data quality, with the
    /// assignments recsys-eval counts as missing (empty request id or variant) left out of the
    /// cases, and the z-tests' raw p-values counted under each threshold.
    @Test func aaCheckCountsAsRecsysEval() throws {
        let out = try EvaluationRun.run(try Self.request("aa-check.yaml"))
        let quality = try Self.json(Self.assignedQuality)
        #expect(OfflineParityTests.differences(Self.without(out.report["data_quality"], ["ingest"]), quality) == [])
        #expect(out.report["summary"]?["cases_evaluated"] == .number(4))
        // A: r1 (1 exposure, a click, a conversion); B: r2, r4, r5 (2 clicks, no conversion).
        // conversion_rate: 1/1 against 0/3, pooled 1/4, se = sqrt(1/4 · 3/4 · (1 + 1/3)) = 1/2,
        // z = 2, p = 0.0455: below 0.05 only. ctr: 1 against 2/3, pooled 3/4, se = 1/2,
        // z = 2/3, p = 0.505. Without slice keys the one segment repeats the global rows.
        let counts = { (p05: Int, p01: Int) in
            "{\"0.05\": \(p05), \"0.01\": \(p01), \"0.001\": 0}"
        }
        let want = try Self.json(
            """
            {"metrics": [
              {"metric": "conversion_rate", "by_segment": false, "counts": \(counts(1, 0))},
              {"metric": "ctr", "by_segment": false, "counts": \(counts(0, 0))},
              {"metric": "conversion_rate", "by_segment": true, "counts": \(counts(1, 0))},
              {"metric": "ctr", "by_segment": true, "counts": \(counts(0, 0))}],
             "thresholds": [0.05, 0.01, 0.001], "total_tests": 4, "uniformish": true}
            """)
        #expect(OfflineParityTests.differences(out.report["aa_check"] ?? .null, want) == [])
    }

    /// Offline and OPE read exposures and outcomes only, as recsys-eval does (SPEC §3.1): an
    /// assignments source in the dataset config is not ingested, so lines it could not read do
    /// not fail the run, while the experiment, which reads it, stops on them. The source still
    /// counts in the fingerprint.
    @Test func modesThatReadNoAssignmentsLeaveThemAlone() throws {
        let dir = RunTrapTests.tempDir()
        for f in ["exposures", "outcomes"] {
            try FileManager.default.copyItem(atPath: Self.logs + "/\(f).jsonl", toPath: dir + "/\(f).jsonl")
        }
        try "not json\n{\"experiment_id\":\n".write(toFile: dir + "/assignments.jsonl", atomically: true, encoding: .utf8)
        let dataset = DatasetConfig(
            exposures: .init(type: "jsonl", path: dir + "/exposures.jsonl"), outcomes: .init(type: "jsonl", path: dir + "/outcomes.jsonl"),
            assignments: .init(type: "jsonl", path: dir + "/assignments.jsonl"))
        var offline = try Self.request("offline.yaml", dataset: dataset)
        offline.ingest = .init(maxRejectRate: 0, rejectsPath: nil)
        let out = try EvaluationRun.run(offline)
        #expect(out.report["data_quality"]?["ingest"]?["tables"]?["assignments"] == nil)
        #expect(out.report["data_quality"]?["ingest"]?["tables"]?["exposures"]?["read"] == .number(7))
        #expect(out.messages.contains { $0.contains("assignments (\(dir)/assignments.jsonl) not read: offline does not use them") })
        let withoutAssignments = try EvaluationRun.run(
            try Self.request(
                "offline.yaml", dataset: DatasetConfig(exposures: dataset.exposures, outcomes: dataset.outcomes, assignments: nil)))
        #expect(out.report["input_dataset_fingerprint"] != withoutAssignments.report["input_dataset_fingerprint"])
        var experiment = try Self.request("experiment.yaml", dataset: dataset)
        experiment.ingest = .init(maxRejectRate: 0, rejectsPath: nil)
        #expect(throws: IngestError.self) { try EvaluationRun.run(experiment) }
        // A configured file that is missing is still an error (recsys-eval's fingerprint needs it too).
        let missing = DatasetConfig(
            exposures: dataset.exposures, outcomes: dataset.outcomes, assignments: .init(type: "jsonl", path: dir + "/absent.jsonl"))
        #expect {
            try EvaluationRun.run(try Self.request("offline.yaml", dataset: missing))
        } throws: { error in
            "\(error)".contains("absent.jsonl")
        }
    }

    /// The same logs under the strict contract: each row the schema rejects is rejected with
    /// its file, line, field and reason, and read = written + rejected.
    @Test func strictContractRejectsThemWithReasons() throws {
        // The experiment reads all three tables (offline leaves the assignments alone); under the
        // strict contract only variant B keeps assigned exposures, so it is the control here.
        let out = try EvaluationRun.run(try Self.request("experiment-strict.yaml", contract: .strict))
        let ingest = out.report["data_quality"]?["ingest"]
        // The strict contract is not named: strict runs keep the section they always had.
        #expect(ingest?["contract"] == nil)
        #expect(ingest?["runtime_readings"] == nil)
        // Exposures: lines 1 ("" item), 3 (no rank), 5 (no ts), 6 (Request_ID), 7 ("" request id).
        // Outcomes: lines 1, 2 (other cases), 4, 5 (other types), 6 ("" item id).
        // Assignments: lines 3 ("" variant), 6 (no variant), 7 ("" request id).
        for (table, read, rejected) in [("exposures", 7, 5), ("outcomes", 7, 5), ("assignments", 9, 3)] {
            #expect(ingest?["tables"]?[table]?["read"] == .number(Double(read)), "\(table)")
            #expect(ingest?["tables"]?[table]?["written"] == .number(Double(read - rejected)), "\(table)")
            #expect(ingest?["tables"]?[table]?["rejected"] == .number(Double(rejected)), "\(table)")
        }
        let first = (ingest?["first_rejects"]?.arrayItems ?? []).map { r -> String in
            guard case .string(let t)? = r["table"], case .string(let s)? = r["source"], case .number(let l)? = r["line"],
                case .string(let f)? = r["field"], case .string(let why)? = r["reason"]
            else { return "" }
            return "\(t) \(URL(fileURLWithPath: s).lastPathComponent):\(Int(l)) \(f): \(why)"
        }
        #expect(first.contains("assignments assignments.jsonl:3 variant: must be a non-empty string"))
        #expect(first.contains("assignments assignments.jsonl:6 variant: missing required field"))
        #expect(first.contains("outcomes outcomes.jsonl:1 event_type: must be \"click\" or \"conversion\", got \"Click\""))
        #expect(first.contains("outcomes outcomes.jsonl:4 event_type: must be \"click\" or \"conversion\", got \"add_to_cart\""))
        #expect(first.contains { $0.hasPrefix("exposures exposures.jsonl:6 Request_ID: unknown field") })
        #expect(out.messages.contains { $0.contains("assignments.jsonl:3: variant: must be a non-empty string") })
    }

    /// recsys-eval's own output on its duplicates edge case (reference-outputs/edge-cases/
    /// duplicates, memory mode): outcomes `Click` (relevant) and `purchase` (joined, not
    /// relevant) among them. Under the strict contract both rows would be rejected.
    @Test func recsysEvalDuplicatesEdgeCase() throws {
        let dir = OfflineParityTests.datasets + "/edge-duplicates"
        let dataset = DatasetConfig(
            exposures: .init(type: "jsonl", path: dir + "/exposures.jsonl"), outcomes: .init(type: "jsonl", path: dir + "/outcomes.jsonl"),
            assignments: nil)
        let eval = try EvalConfig.parse(
            try String(contentsOfFile: OfflineParityTests.fixtures + "/configs/edge_duplicates_mem.yaml", encoding: .utf8),
            file: "mem.yaml")
        var r = EvaluationRun.Request(
            eval: eval, configName: "mem.yaml", modeFlag: nil, dataset: dataset, threads: 2, createdAt: "2025-01-01T00:00:00Z",
            binaryVersion: "test", scratchDirectory: RunTrapTests.tempDir())
        r.ingest = .init(maxRejectRate: 0, rejectsPath: nil)
        let out = try EvaluationRun.run(r)
        let want = try OfflineParityTests.read(OfflineParityTests.fixtures + "/expected/edge_duplicates_memory.json")
        #expect(OfflineParityTests.differences(out.report["offline"] ?? .null, want["offline"] ?? .null) == [])
        #expect(
            OfflineParityTests.differences(Self.without(out.report["data_quality"], ["ingest"]), want["data_quality"] ?? .null) == [])
        #expect(out.report["summary"]?["cases_evaluated"] == want["summary"]?["cases_evaluated"])
    }

    /// OPE (SPEC §9.1, item unit): an item's reward is its request's last outcome on it, of any
    /// event type, compared with the reward event through strings.ToLower.
    /// An OPE run from recsys-eval's item-unit config over JSONL `exposures` and `outcomes` (read
    /// under the runtime contract, nothing rejected).
    static func opeRun(exposures: String, outcomes: String) throws -> EvaluationRun.Result {
        let dir = RunTrapTests.tempDir()
        try exposures.write(toFile: dir + "/exposures.jsonl", atomically: true, encoding: .utf8)
        try outcomes.write(toFile: dir + "/outcomes.jsonl", atomically: true, encoding: .utf8)
        let dataset = DatasetConfig(
            exposures: .init(type: "jsonl", path: dir + "/exposures.jsonl"), outcomes: .init(type: "jsonl", path: dir + "/outcomes.jsonl"),
            assignments: nil)
        let eval = try EvalConfig.parse("mode: ope\nope: {reward_event: click, unit: item}\n", file: "ope.yaml")
        var r = EvaluationRun.Request(
            eval: eval, configName: "ope.yaml", modeFlag: nil, dataset: dataset, threads: 2, createdAt: "2025-01-01T00:00:00Z",
            binaryVersion: "test", scratchDirectory: dir)
        r.ingest = .init(maxRejectRate: 0, rejectsPath: nil)
        return try EvaluationRun.run(r)
    }

    @Test func opeReadsEventTypesAsRecsysEval() throws {
        let out = try Self.opeRun(
            exposures: """
                {"request_id":"r1","user_id":"u1","ts":"2025-01-01T00:00:00Z","items":[{"item_id":"a","rank":1,"logging_propensity":0.5,"target_propensity":0.25},{"item_id":"b","rank":2,"logging_propensity":0.5,"target_propensity":1}]}
                {"request_id":"r2","user_id":"u2","ts":"2025-01-01T00:00:10Z","items":[{"item_id":"a","rank":1,"logging_propensity":0.25,"target_propensity":0.5}]}

                """,
            outcomes: """
                {"request_id":"r1","user_id":"u1","item_id":"a","event_type":"Click","ts":"2025-01-01T00:00:01Z"}
                {"request_id":"r1","user_id":"u1","item_id":"b","event_type":"CLICK","ts":"2025-01-01T00:00:02Z"}
                {"request_id":"r1","user_id":"u1","item_id":"b","event_type":"view","ts":"2025-01-01T00:00:03Z"}
                {"request_id":"r2","user_id":"u2","item_id":"a","event_type":"click","ts":"2025-01-01T00:00:11Z"}

                """)
        // Samples: r1 a: w = 0.25/0.5 = 0.5, last outcome Click -> reward 1 (value 0 reads 1);
        // r1 b: w = 1/0.5 = 2, last outcome `view` -> reward 0 (the earlier CLICK is replaced);
        // r2 a: w = 0.5/0.25 = 2, reward 1. IPS = (0.5·1 + 2·0 + 2·1) / 3 = 2.5/3;
        // weights mean (0.5 + 2 + 2) / 3 = 1.5.
        let ips = out.report["ope"]?["estimators"]?.arrayItems.first
        #expect(ips?["name"] == .string("ips"))
        if case .number(let v)? = ips?["value"] { #expect(abs(v - 2.5 / 3) < 1e-12) } else { Issue.record("no IPS value") }
        #expect(out.report["ope"]?["weight_stats"]?["count"] == .number(3))
        #expect(out.report["ope"]?["weight_stats"]?["mean"] == .number(1.5))
        // 4 outcomes, all joined; `view` too.
        #expect(out.report["data_quality"]?["join_integrity"]?["outcome_join_rate"] == .number(1))
    }

    /// Negative propensities, which recsys-eval's runtime reads (SPEC §9.1): an item whose logging
    /// propensity is not positive is skipped silently; a negative target propensity counts as near
    /// zero and weighs its sample by the negative ratio. receval's own estimators leave both slots
    /// out (a support violation, a missing target) and say so.
    @Test func opeWeighsNegativePropensitiesAsRecsysEval() throws {
        let out = try Self.opeRun(
            exposures: """
                {"request_id":"r1","user_id":"u1","ts":"2025-01-01T00:00:00Z","items":[{"item_id":"a","rank":1,"logging_propensity":0.5,"target_propensity":-0.25},{"item_id":"b","rank":2,"logging_propensity":0.5,"target_propensity":1}]}
                {"request_id":"r2","user_id":"u2","ts":"2025-01-01T00:00:10Z","items":[{"item_id":"a","rank":1,"logging_propensity":-0.5,"target_propensity":0.5}]}
                {"request_id":"r3","user_id":"u3","ts":"2025-01-01T00:00:20Z","items":[{"item_id":"c","rank":1,"logging_propensity":0.25,"target_propensity":0.5}]}

                """,
            outcomes: """
                {"request_id":"r1","user_id":"u1","item_id":"a","event_type":"click","ts":"2025-01-01T00:00:01Z"}
                {"request_id":"r3","user_id":"u3","item_id":"c","event_type":"click","ts":"2025-01-01T00:00:21Z"}

                """)
        // Samples: r1 a: w = -0.25/0.5 = -0.5 (target below min_propensity: near zero), reward 1;
        // r1 b: w = 1/0.5 = 2, reward 0; r2 a: logging propensity -0.5, skipped; r3 c: w = 0.5/0.25
        // = 2, reward 1. IPS = (-0.5 + 0 + 2) / 3 = 0.5, variance of w·r: deviations -1, -0.5, 1.5
        // -> 3.5 / 2 = 1.75; weights: mean 3.5/3, p95 = sorted[-0.5, 2, 2][round(2 · 0.95)] = 2,
        // ESS = 3.5² / (0.25 + 4 + 4).
        let ope = out.report["ope"]
        #expect(ope?["estimators"]?.arrayItems.first == (try Self.json(#"{"name": "ips", "value": 0.5, "variance": 1.75}"#)))
        #expect(
            ope?["weight_stats"]
                == (try Self.json(
                    #"{"count": 3, "mean": \#(3.5 / 3), "p95": 2, "max": 2, "effective_sample_size": \#(3.5 * 3.5 / 8.25), "clipped_fraction": 0}"#
                )))
        #expect(ope?["diagnostics"] == (try Self.json(#"{"missing_target_propensity": 0, "near_zero_propensity": 1, "total_items": 3}"#)))
        // receval's estimators: r1 b and r3 c are the valid slots; r1 a's target is no probability
        // (counted as missing), r2 a's logging propensity is negative under a positive target.
        let d = out.report["ope_analysis"]?["diagnostics"]
        #expect(d?["slots"] == .number(2))
        #expect(d?["missing_target_propensity"] == .number(1))
        #expect(d?["support_violations"] == .number(1))
        // Both rows are counted as read the runtime's way.
        let readings = out.report["data_quality"]?["ingest"]?["runtime_readings"]?.arrayItems ?? []
        #expect(readings.contains { $0["reading"] == .string("negative_propensity") && $0["rows"] == .number(2) })
    }

    /// Weights no report can print are refused with a message, not a trap: a negative target over
    /// a subnormal logging propensity (−∞), and a weight whose square leaves the exact sums' range.
    @Test(arguments: [("1e-310", "-1"), ("1e-20", "1")])
    func unprintableWeightsAreRefused(logging: String, target: String) throws {
        let exposure = { (r: String, lp: String, tp: String) in
            #"{"request_id":"\#(r)","user_id":"u","ts":"2025-01-01T00:00:00Z","items":[{"item_id":"a","rank":1,"logging_propensity":\#(lp),"target_propensity":\#(tp)}]}"#
        }
        #expect {
            _ = try Self.opeRun(
                exposures: [exposure("r1", logging, target), exposure("r2", "0.5", "0.5")].joined(separator: "\n") + "\n",
                outcomes: "")
        } throws: { error in
            "\(error)".contains("importance weight π_e/π_0 is infinite, or so large")
        }
    }

    /// recsys-eval's largest weight is the largest sample weight, also when every one is
    /// negative (targets -0.25 and -0.5 over 0.5: weights -0.5 and -1).
    @Test func largestWeightOfNegativeWeights() throws {
        let out = try Self.opeRun(
            exposures: """
                {"request_id":"r1","user_id":"u1","ts":"2025-01-01T00:00:00Z","items":[{"item_id":"a","rank":1,"logging_propensity":0.5,"target_propensity":-0.25}]}
                {"request_id":"r2","user_id":"u2","ts":"2025-01-01T00:00:10Z","items":[{"item_id":"a","rank":1,"logging_propensity":0.5,"target_propensity":-0.5}]}

                """,
            outcomes: "")
        let stats = out.report["ope"]?["weight_stats"]
        #expect(stats?["max"] == .number(-0.5))
        #expect(stats?["p95"] == .number(-0.5))
        #expect(stats?["mean"] == .number(-0.75))
    }

    /// recsys-eval's interleaving input (rank lists and outcomes) written the way its runtime
    /// still reads it (member names in other cases, unknown members, no ts, `CLICK`) gives its
    /// golden interleaving report; the strict contract stops at the first such line.
    @Test func interleavingInputsAsTheRuntimeReadsThem() throws {
        let dir = RunTrapTests.tempDir()
        let tiny = OfflineParityTests.datasets + "/tiny"
        func rewrite(_ file: String, _ edit: (String) -> String) throws -> String {
            let text = try String(contentsOfFile: tiny + "/" + file, encoding: .utf8)
            let lines = text.split(separator: "\n").map { edit(String($0)) }
            try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/" + file, atomically: true, encoding: .utf8)
            return dir + "/" + file
        }
        func listEdit(_ line: String) -> String {
            line.replacingOccurrences(of: "\"request_id\"", with: "\"Request_ID\"")
                .replacingOccurrences(of: "\"ts\":\"2025-01-01T00:00:00Z\",", with: "")
                .replacingOccurrences(of: "}}", with: "},\"ranker\":\"v2\"}")
        }
        let a = try rewrite("ranker_a.jsonl", listEdit)
        let b = try rewrite("ranker_b.jsonl", listEdit)
        let o = try rewrite("outcomes_interleaving.jsonl") { $0.replacingOccurrences(of: "\"click\"", with: "\"CLICK\"") }
        let eval = try EvalConfig.parse(
            try String(contentsOfFile: OfflineParityTests.fixtures + "/configs/golden_interleaving.yaml", encoding: .utf8),
            file: "golden_interleaving.yaml")
        let report = try InterleavingEvaluation.run(
            rankerA: a, rankerB: b, outcomes: o, config: eval.interleaving, metadata: InterleavingTests.metadata, threads: 2)
        let want = try OfflineParityTests.read(OfflineParityTests.fixtures + "/expected/golden_interleaving.json")
        #expect(OfflineParityTests.differences(InterleavingTests.compatOnly(report), want) == [])
        // What was read the runtime's way is counted per input, with its first line.
        // Every line is renamed and has the unknown member; the first loses its ts.
        let lines = try String(contentsOfFile: a, encoding: .utf8).split(separator: "\n").count
        let readings = (report["interleaving_data_quality"]?["runtime_readings"]?.arrayItems ?? []).map {
            "\($0["input"]?.stringValue ?? "") \($0["reading"]?.stringValue ?? "") \($0["rows"]?.numberValue ?? -1) \($0["first_line"]?.numberValue ?? -1) \($0["first_field"]?.stringValue ?? "")"
        }
        #expect(
            readings == [
                "ranker_a missing_ts 1.0 1.0 ts", "ranker_a member_name_case \(Double(lines)) 1.0 Request_ID",
                "ranker_a unknown_member \(Double(lines)) 1.0 ranker",
                "ranker_b missing_ts 1.0 1.0 ts", "ranker_b member_name_case \(Double(lines)) 1.0 Request_ID",
                "ranker_b unknown_member \(Double(lines)) 1.0 ranker",
                "outcomes event_type_case \(Double(try String(contentsOfFile: o, encoding: .utf8).split(separator: "\n").count)) 1.0 event_type",
            ], "\(readings)")
        do {
            _ = try InterleavingEvaluation.run(
                rankerA: a, rankerB: b, outcomes: o, config: eval.interleaving, metadata: InterleavingTests.metadata, threads: 2,
                contract: .strict)
            Issue.record("the strict contract read ranker_a.jsonl")
        } catch let e as RankListError {
            #expect(e.path == a && e.line == 1 && e.error.field == "Request_ID")
        }
    }

    /// Under the strict contract every row had its `ts`, so the year-1 instant that stands for
    /// "no time" under the runtime contract is a time like any other: it opens the decision's
    /// window and counts in throughput.
    @Test func strictDatasetKeepsTheYearOneInstant() throws {
        let dir = RunTrapTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exposures = """
            {"request_id":"r1","user_id":"u1","ts":"0001-01-01T00:00:00Z","items":[{"item_id":"a","rank":1}]}
            {"request_id":"r2","user_id":"u2","ts":"2025-01-01T00:00:10Z","items":[{"item_id":"a","rank":1}]}

            """
        let assignments = """
            {"experiment_id":"exp","variant":"A","request_id":"r1","user_id":"u1","ts":"2025-01-01T00:00:00Z"}
            {"experiment_id":"exp","variant":"A","request_id":"r2","user_id":"u2","ts":"2025-01-01T00:00:00Z"}

            """
        try exposures.write(toFile: dir + "/exposures.jsonl", atomically: true, encoding: .utf8)
        try assignments.write(toFile: dir + "/assignments.jsonl", atomically: true, encoding: .utf8)
        let dataset = try DatasetConfig.parse(
            "exposures: {type: jsonl, path: exposures.jsonl}\nassignments: {type: jsonl, path: assignments.jsonl}\n", file: "dataset.yaml",
            directory: dir)
        for contract in [IngestContract.strict, .recsysEvalRuntime] {
            let out = try EvaluationRun.run(try Self.request("experiment.yaml", dataset: dataset, contract: contract))
            // Both contracts read the explicit year-1 ts; only the runtime one takes it for "no time".
            let start = contract == .strict ? "0001-01-01T00:00:00Z" : "2025-01-01T00:00:10Z"
            #expect(out.decision?["dataset_window"]?["start"] == .string(start), "\(contract)")
        }
    }

    /// SRM counts assignment rows, not requests (SPEC §7.8): those of the experiment (its id
    /// matched ignoring case) with a request id and a variant. Of the nine rows: r1 A, r2 B, r4 B,
    /// r5 B (written `EXP`) and r8 A (no exposure) count; r3 ("" variant), r6 (no variant), the
    /// empty request id and r2's assignment to `other` do not. Observed A 2, B 3; with equal
    /// weights χ² = ((2 − 2.5)² + (3 − 2.5)²) / 2.5 = 0.2 on 1 degree of freedom, p = 0.6547208.
    @Test func srmCountsAssignmentsAsRecsysEval() throws {
        let out = try EvaluationRun.run(try Self.request("srm.yaml"))
        let srm = out.report["experiment"]?["srm"]?["global"]
        #expect(srm?["observed"] == (try Self.json(#"{"A": 2, "B": 3}"#)))
        #expect(srm?["sample_size"] == .number(5))
        if case .number(let p)? = srm?["p_value"] {
            #expect(abs(p - 0.654_720_846_018_576_9) < 1e-12)
        } else {
            Issue.record("no SRM p-value")
        }
    }

    /// recsys-eval's time split drops records without a timestamp (SPEC §5.5), even from a test
    /// window that reaches back to year 1, where Go's zero time lies: of the 7 cases, r5 (no
    /// `ts`) is left out.
    @Test func timeSplitDropsRowsWithoutTimestamp() throws {
        let out = try EvaluationRun.run(try Self.request("time-split.yaml"))
        #expect(out.report["summary"]?["cases_evaluated"] == .number(6))
    }
}
