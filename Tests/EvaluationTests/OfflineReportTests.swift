import ColumnarStorage
import Evaluation
import Foundation
import Reports
import Testing

@Suite struct OfflineReportTests {
    static let yaml = """
        mode: offline
        offline:
          metrics:
            - name: precision
              k: 2
            - name: recall
              k: 2
            - name: ndcg
              k: 2
            - name: coverage
              k: 2
          slice_keys: [tenant, surface]
        """

    static func report(threads: Int, dataset: String = "tiny", partitions: Int? = nil, extra: String = "") throws -> JSONValue {
        let config = try EvalConfig.parse(yaml + extra, file: "eval.yaml")
        let metadata = ReportMetadata(
            runID: "offline-20250101T000000Z", createdAt: "2025-01-01T00:00:00Z", binaryVersion: "test", gitCommit: "",
            effectiveConfig: nil, datasetFingerprint: "")
        return try OfflineEvaluation.run(
            reader: try OfflineParityTests.ingest(OfflineParityTests.datasets + "/" + dataset, partitions: partitions),
            config: config.offline, baseline: nil, metadata: metadata, threads: threads
        ).report
    }

    /// The IR definition set, computed by hand on the tiny fixture: two requests have a relevant
    /// item (r1: i1 at position 1; r2: i4 at position 3, outside the top 2).
    @Test func irSectionByHand() throws {
        let r = try Self.report(threads: 2)
        guard case .array(let metrics)? = r["offline_ir"]?["metrics"] else {
            Issue.record("offline_ir.metrics missing")
            return
        }
        var got: [String: Double] = [:]
        for m in metrics { if case .string(let n)? = m["name"], case .number(let v)? = m["value"] { got[n] = v } }
        #expect(got == ["precision@2": 0.25, "recall@2": 0.5, "ndcg@2": 0.5, "mrr@2": 0.5, "ndcg_graded@2": 0.5])
        #expect(r["offline_ir"]?["cases"]?["@2"] == .number(2))
        #expect(r["definitions"]?["offline"] == .string("recsys-eval"))
    }

    /// Join rate by slice in the new key: on the tiny fixture, surface=home joins 2 of 2, search 0 of 1.
    @Test func joinRateBySlice() throws {
        let r = try Self.report(threads: 2)
        guard case .array(let rows)? = r["data_quality_slices"]?["join_rate_by_slice"] else {
            Issue.record("data_quality_slices missing")
            return
        }
        var got: [String: (Double, Double)] = [:]
        for row in rows {
            if case .string(let k)? = row["key"], case .string(let v)? = row["value"], case .number(let e)? = row["exposures"],
                case .number(let j)? = row["joined"]
            {
                got["\(k)=\(v)"] = (e, j)
            }
        }
        #expect(got["surface=home"]! == (2, 2))
        #expect(got["surface=search"]! == (1, 0))
        #expect(got["tenant=t1"]! == (3, 2))
    }

    /// The same report bytes for any partitioning, bootstrap included: means and replicate sums
    /// are exact, so merging partitions in another grouping cannot move a bit.
    @Test func reportBytesDoNotDependOnPartitions() throws {
        let bootstrap = "\n  bootstrap: {enabled: true, iterations: 200, seed: 7}"
        let one = try Self.report(threads: 1, dataset: "ecommerce-mini", partitions: 1, extra: bootstrap).serialized()
        for p in [3, 8] {
            #expect(
                try Self.report(threads: 2, dataset: "ecommerce-mini", partitions: p, extra: bootstrap).serialized() == one,
                "partitions \(p)")
        }
    }

    /// The same report bytes for any thread count, and run to run.
    @Test(arguments: ["tiny", "ecommerce-mini"])
    func reportBytesDoNotDependOnThreads(dataset: String) throws {
        let one = try Self.report(threads: 1, dataset: dataset).serialized()
        #expect(try Self.report(threads: 2, dataset: dataset).serialized() == one)
        #expect(try Self.report(threads: 3, dataset: dataset).serialized() == one)
    }
}

@Suite struct FingerprintTests {
    /// recsys-eval's fingerprint of the tiny dataset config in offline mode (SPEC 12.3): files
    /// under 10 MiB hash the same way.
    @Test func matchesRecsysEvalForSmallFiles() throws {
        let dir = OfflineParityTests.datasets + "/tiny"
        let config = try DatasetConfig.parse(
            """
            exposures:
              type: jsonl
              path: exposures.jsonl
            outcomes:
              type: jsonl
              path: outcomes.jsonl
            assignments:
              type: jsonl
              path: assignments.jsonl
            """, file: "dataset.yaml", directory: dir)
        #expect(
            try DatasetFingerprint.compute(mode: "OFFLINE", dataset: config)
                == "50e7c9d25c8a2af6a1f86cffbda614d18cbb4c5d32f338e65312eac1873449e8")
    }

    /// A run over JSONL sources hashes them in the read that parses them: its report carries
    /// recsys-eval's fingerprint, and for a gzip-compressed source the one a separate pass over
    /// the compressed bytes on disk gives.
    @Test(arguments: [false, true])
    func runHashesItsInputsInTheIngestRead(gzipped: Bool) throws {
        let tiny = OfflineParityTests.datasets + "/tiny"
        let dir = RunTrapTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for t in ["exposures", "outcomes", "assignments"] {
            try FileManager.default.copyItem(atPath: "\(tiny)/\(t).jsonl", toPath: "\(dir)/\(t).jsonl")
        }
        if gzipped {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["gzip", "-n", "\(dir)/outcomes.jsonl"]
            try p.run()
            p.waitUntilExit()
            try #require(p.terminationStatus == 0)
        }
        let outcomes = gzipped ? "outcomes.jsonl.gz" : "outcomes.jsonl"
        let dataset = try DatasetConfig.parse(
            """
            exposures: {type: jsonl, path: exposures.jsonl}
            outcomes: {type: jsonl, path: \(outcomes)}
            assignments: {type: jsonl, path: assignments.jsonl}
            """, file: "dataset.yaml", directory: dir)
        let eval = try EvalConfig.parse("mode: offline\noffline:\n  metrics: [{name: ndcg, k: 2}]\n", file: "offline.yaml")
        let out = try EvaluationRun.run(
            EvaluationRun.Request(
                eval: eval, configName: "offline.yaml", modeFlag: nil, dataset: dataset, threads: 2, createdAt: "2025-01-01T00:00:00Z",
                binaryVersion: "test", scratchDirectory: dir))
        let separate = try DatasetFingerprint.compute(mode: "offline", dataset: dataset)
        #expect(out.report["input_dataset_fingerprint"] == .string(separate))
        if !gzipped { #expect(separate == "50e7c9d25c8a2af6a1f86cffbda614d18cbb4c5d32f338e65312eac1873449e8") }
    }
}
