import Foundation
import TestSupport
import Testing

/// The `receval` binary end to end: exit codes, messages, and behaviour on damaged files.
@Suite struct CLITests {
    static let binary: String = {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir.appendingPathComponent("receval"), dir.deletingLastPathComponent().appendingPathComponent("receval")] {
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
        }
        return dir.appendingPathComponent("receval").path
    }()
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("IngestTests/Fixtures/recsys-eval").path

    struct Run {
        var status: Int32
        var out: String
        var err: String
    }

    @discardableResult
    static func run(_ args: [String], stdin: Data? = nil) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let input = Pipe()
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
    }

    /// A new directory that lasts until the test process exits (see `TestDirectory`).
    static func tempDir() -> String { try! TestDirectory.make("cli") }

    static func ingestMini(_ dir: String) throws -> String {
        let m = fixtures + "/ecommerce-mini"
        let r = try run([
            "ingest", "--exposures", m + "/exposures.jsonl", "--outcomes", m + "/outcomes.jsonl",
            "--assignments", m + "/assignments.jsonl", "-o", dir + "/d.rcv",
        ])
        #expect(r.status == 0, "\(r.err)")
        return dir + "/d.rcv"
    }

    @Test func ingestInspectExport() throws {
        let tmp = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let ds = try Self.ingestMini(tmp)
        let inspect = try Self.run(["inspect", ds])
        #expect(inspect.status == 0)
        #expect(inspect.out.contains("table exposures: 6 rows"))
        // What the data holds comes before how it is stored.
        let summary = try #require(inspect.out.range(of: "\nsummary\n"))
        let storage = try #require(inspect.out.range(of: "\nstorage\n"))
        #expect(summary.lowerBound < storage.lowerBound)
        #expect(inspect.out.contains("experiment   exp_ecommerce_mini: A "))
        #expect(inspect.out.contains("  exposures    6 rows, "))
        let json = try Self.run(["inspect", ds, "--json"])
        let obj = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as! [String: Any]
        let tables = obj["tables"] as! [[String: Any]]
        #expect(tables.map { $0["rows"] as! Int } == [6, 7, 6])
        let export = try Self.run(["export", ds, "--table", "outcomes"])
        #expect(export.status == 0)
        #expect(export.out.split(separator: "\n").count == 7)
        let csv = try Self.run(["export", ds, "--table", "assignments", "--format", "csv", "-o", tmp + "/a.csv"])
        #expect(csv.status == 0)
        #expect(try String(contentsOfFile: tmp + "/a.csv", encoding: .utf8).split(separator: "\n").count == 7)
    }

    @Test func standardInputIsAnInput() throws {
        let tmp = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/tiny/exposures.jsonl"))
        let r = try Self.run(["ingest", "--exposures", "-", "-o", tmp + "/d.rcv"], stdin: data)
        #expect(r.status == 0, "\(r.err)")
        #expect(try Self.run(["export", tmp + "/d.rcv", "--table", "exposures"]).out.split(separator: "\n").count == 3)
    }

    @Test func everyCommandRejectsDamagedDatasets() throws {
        let tmp = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let ds = try Self.ingestMini(tmp)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: ds)))
        let good = try Self.run(["export", ds, "--table", "exposures"]).out
        var variants: [(String, [UInt8])] = [
            ("empty", []), ("half", Array(bytes.prefix(bytes.count / 2))), ("no trailer", Array(bytes.dropLast(32))),
        ]
        for i in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 60)) {
            var b = bytes
            b[i] ^= 0xFF
            variants.append(("flip \(i)", b))
        }
        var failures = 0
        for (name, b) in variants {
            _ = FileManager.default.createFile(atPath: tmp + "/bad.rcv", contents: Data(b))
            let inspect = try Self.run(["inspect", tmp + "/bad.rcv"])
            let export = try Self.run(["export", tmp + "/bad.rcv", "--table", "exposures"])
            #expect(inspect.status == 0 || inspect.status == 1, "\(name): inspect crashed with \(inspect.status)")
            #expect(export.status == 0 || export.status == 1, "\(name): export crashed with \(export.status)")
            if export.status == 0 {
                #expect(export.out == good, "\(name): export succeeded with different content")
            } else {
                failures += 1
                #expect(export.err.contains("bad.rcv"), "\(name): error does not name the file: \(export.err)")
            }
        }
        #expect(failures >= 3)
    }

    @Test func validateExitCodes() throws {
        let tmp = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let ok = try Self.run(["validate", "--schema", "exposure.v1", "--input", Self.fixtures + "/tiny/exposures.jsonl"])
        #expect(ok.status == 0)
        #expect(ok.out.contains("3 valid, 0 invalid"))
        let bad = try Self.run(["validate", "--schema", "outcome.v1", "--input", Self.fixtures + "/edge-duplicates/outcomes.jsonl"])
        #expect(bad.status == 4)
        #expect(bad.out.contains("outcomes.jsonl:2: field event_type: must be \"click\" or \"conversion\""))
        #expect(try Self.run(["validate", "--schema", "nope.v1", "--input", Self.fixtures + "/tiny/exposures.jsonl"]).status == 1)
        #expect(try Self.run(["validate", "--schema", "exposure.v1", "--input", tmp + "/missing.jsonl"]).status == 1)
    }

    @Test func tooManyRejectsExitsWithFive() throws {
        let tmp = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let d = Self.fixtures + "/edge-duplicates"
        let r = try Self.run(["ingest", "--exposures", d + "/exposures.jsonl", "--outcomes", d + "/outcomes.jsonl", "-o", tmp + "/d.rcv"])
        #expect(r.status == 5)
        #expect(r.err.contains("2 of 5 outcomes rows"))
        // The message shows the first rejected lines with file, line, field and reason.
        #expect(r.err.contains("outcomes.jsonl:2: event_type: must be"))
        #expect(!FileManager.default.fileExists(atPath: tmp + "/d.rcv"))
        let missing = try Self.run(["ingest", "--exposures", tmp + "/nope.jsonl", "-o", tmp + "/d.rcv"])
        #expect(missing.status == 1)
        #expect(missing.err.contains("nope.jsonl"))
    }

    /// recsys-eval's duplicates edge case holds `Click` and `purchase` outcomes: `ingest` rejects
    /// them by default and keeps them with `--contract recsys-eval-runtime`, saying how; `run`
    /// keeps them by default; `validate` checks either contract; an unknown contract is a flag error.
    @Test func contracts() throws {
        let tmp = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let d = Self.fixtures + "/edge-duplicates"
        let inputs = ["--exposures", d + "/exposures.jsonl", "--outcomes", d + "/outcomes.jsonl"]
        let kept = try Self.run(["ingest"] + inputs + ["-o", tmp + "/d.rcv", "--contract", "recsys-eval-runtime"])
        #expect(kept.status == 0, "\(kept.err)")
        #expect(kept.err.contains("outcomes     read 5, written 5, rejected 0"))
        #expect(
            kept.err.contains(
                "kept as recsys-eval's runtime reads it: 1 outcomes row: event_type click or conversion in other letter cases"))
        #expect(kept.err.contains("outcomes.jsonl:4: event_type)"))
        let inspect = try Self.run(["inspect", tmp + "/d.rcv"])
        #expect(inspect.out.contains("recsys-eval-runtime"), "\(inspect.out)")
        #expect(try Self.run(["ingest"] + inputs + ["-o", tmp + "/s.rcv", "--contract", "strict"]).status == 5)
        let bogus = try Self.run(["ingest"] + inputs + ["-o", tmp + "/b.rcv", "--contract", "lenient"])
        #expect(bogus.status != 0 && bogus.err.contains("--contract takes strict or recsys-eval-runtime"))
        let run = try Self.run(["run"] + inputs + ["--metrics", "precision@2", "--output", tmp + "/r.json"])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.err.contains("kept as recsys-eval's runtime reads it"))
        #expect(
            try Self.run(["run"] + inputs + ["--metrics", "precision@2", "--output", tmp + "/s.json", "--contract", "strict"]).status == 5)
        let check = ["validate", "--schema", "outcome.v1", "--input", d + "/outcomes.jsonl"]
        #expect(try Self.run(check).status == 4)
        let runtime = try Self.run(check + ["--contract", "recsys-eval-runtime"])
        #expect(runtime.status == 0 && runtime.out.contains("5 valid, 0 invalid against outcome.v1 as recsys-eval's runtime reads it"))
    }

    /// An interrupted ingest leaves neither a dataset nor temporary files.
    @Test func interruptedIngestLeavesNothing() throws {
        let tmp = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let line = try String(contentsOfFile: Self.fixtures + "/ecommerce-mini/exposures.jsonl", encoding: .utf8).split(separator: "\n")[0]
        var text = ""
        for i in 0..<200_000 { text += line.replacingOccurrences(of: "req-ecom-001", with: "req-\(i)") + "\n" }
        try text.write(toFile: tmp + "/e.jsonl", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = ["ingest", "--exposures", tmp + "/e.jsonl", "-o", tmp + "/d.rcv", "--quiet"]
        try p.run()
        Thread.sleep(forTimeInterval: 0.3)
        p.interrupt()
        p.waitUntilExit()
        #expect(p.terminationStatus != 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp) == ["e.jsonl"])
    }

    @Test func runOfflineWritesAReportAndNamesBadKeys() throws {
        let tmp = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let tiny = Self.fixtures + "/tiny"
        try """
        exposures:
          type: jsonl
          path: \(tiny)/exposures.jsonl
        outcomes:
          type: jsonl
          path: \(tiny)/outcomes.jsonl
        """.write(toFile: tmp + "/dataset.yaml", atomically: true, encoding: .utf8)
        try """
        mode: offline
        offline:
          metrics:
            - name: ndcg
              k: 2
          slice_keys: [surface]
        """.write(toFile: tmp + "/eval.yaml", atomically: true, encoding: .utf8)
        let r = try Self.run(["run", "--dataset", tmp + "/dataset.yaml", "--config", tmp + "/eval.yaml", "--output", tmp + "/report.json"])
        #expect(r.status == 0, "\(r.err)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tmp + "/report.json"))) as! [String: Any]
        #expect(report["mode"] as? String == "offline")
        #expect((report["summary"] as? [String: Any])?["cases_evaluated"] as? Int == 3)
        #expect((report["input_dataset_fingerprint"] as? String)?.count == 64)
        // No temporary dataset is left next to the report.
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).sorted() == ["dataset.yaml", "eval.yaml", "report.json"])
        try "mode: offline\noffline:\n  metrics:\n    - name: ndcg\n      k: 2\n  bogus_key: 1\n".write(
            toFile: tmp + "/bad.yaml", atomically: true, encoding: .utf8)
        let bad = try Self.run(["run", "--dataset", tmp + "/dataset.yaml", "--config", tmp + "/bad.yaml", "--output", tmp + "/x.json"])
        #expect(bad.status == 1)
        #expect(bad.err.contains("offline.bogus_key"))
    }

    @Test func runWithPlainFlags() throws {
        let tmp = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let tiny = Self.fixtures + "/tiny"
        let r = try Self.run([
            "run", "--exposures", tiny + "/exposures.jsonl", "--outcomes", tiny + "/outcomes.jsonl", "--metrics", "precision@2,recall@2",
            "--slice-keys", "tenant,surface", "--output", tmp + "/r.md", "--output-format", "markdown",
        ])
        #expect(r.status == 0, "\(r.err)")
        let md = try String(contentsOfFile: tmp + "/r.md", encoding: .utf8)
        #expect(md.contains("precision@2 | 0.1667"))
        #expect(md.contains("surface=home|tenant=t1"))
    }

    /// `run --memory-limit`: read like ingest's (at least 512M), and a report that does not
    /// depend on it.
    @Test func runMemoryLimit() throws {
        let tmp = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let tiny = Self.fixtures + "/tiny"
        func run(_ extra: [String], _ out: String) throws -> Run {
            try Self.run(
                [
                    "run", "--exposures", tiny + "/exposures.jsonl", "--outcomes", tiny + "/outcomes.jsonl", "--metrics", "precision@2",
                    "--output", tmp + "/" + out, "--created-at", "2025-01-01T00:00:00Z", "--quiet",
                ] + extra)
        }
        let low = try run(["--memory-limit", "100M"], "low.json")
        #expect(low.status != 0 && low.err.contains("--memory-limit must be at least 512M"), "\(low.err)")
        let unreadable = try run(["--memory-limit", "lots"], "x.json")
        #expect(unreadable.status != 0 && unreadable.err.contains("cannot read 'lots'"), "\(unreadable.err)")
        #expect(try run([], "a.json").status == 0)
        let limited = try run(["--memory-limit", "1G"], "b.json")
        #expect(limited.status == 0, "\(limited.err)")
        func body(_ f: String) throws -> String {
            try String(contentsOfFile: tmp + "/" + f, encoding: .utf8).split(separator: "\n").filter { !$0.contains("\"run_id\"") }
                .joined(separator: "\n")
        }
        #expect(try body("a.json") == body("b.json"))
    }

    /// Experiment mode: recsys-eval's decision with --compat (fail, exit 3), receval's by default
    /// (too few users to conclude: inconclusive, exit 2), the decision artifact next to the report.
    @Test func runExperimentDecisionsAndExitCodes() throws {
        let tmp = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let tiny = Self.fixtures + "/tiny"
        try """
        exposures: {type: jsonl, path: \(tiny)/exposures.jsonl}
        outcomes: {type: jsonl, path: \(tiny)/outcomes.jsonl}
        assignments: {type: jsonl, path: \(tiny)/assignments.jsonl}
        """.write(toFile: tmp + "/dataset.yaml", atomically: true, encoding: .utf8)
        try """
        mode: experiment
        experiment:
          experiment_id: EXP_123
          control_variant: A
          primary_metrics: [ctr]
          decision: {enabled: true}
        """.write(toFile: tmp + "/eval.yaml", atomically: true, encoding: .utf8)
        let args = ["run", "--dataset", tmp + "/dataset.yaml", "--config", tmp + "/eval.yaml", "--output", tmp + "/r.json"]
        let compat = try Self.run(args + ["--compat", "recsys-eval"])
        #expect(compat.status == 3, "\(compat.err)")
        var decision =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tmp + "/r.json.decision.json"))) as! [String: Any]
        #expect(decision["decision"] as? String == "fail")
        #expect(decision["reason"] as? String == "primary metric regression")
        let unit = try Self.run(args)
        #expect(unit.status == 2, "\(unit.err)")
        #expect(unit.err.contains("decision: inconclusive"))
        decision =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tmp + "/r.json.decision.json"))) as! [String: Any]
        #expect(decision["action"] as? String == "inconclusive")
        #expect(decision["decision"] as? String == "hold")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tmp + "/r.json"))) as! [String: Any]
        #expect(report["experiment"] != nil && report["experiment_units"] != nil)
        let html = try Self.run(args + ["--output-format", "html", "--output", tmp + "/r.html"])
        #expect(html.status == 2)
        #expect(try String(contentsOfFile: tmp + "/r.html", encoding: .utf8).contains("experiment_units"))
        let bad = try Self.run(args + ["--compat", "statsig"])
        #expect(bad.status == 1)
        #expect(bad.err.contains("--compat"))
    }

    /// Output conventions: several outputs in one run, each in the format of its extension,
    /// `-` for standard output; the rejects file is named after the report and every rejected
    /// row is counted on standard error.
    @Test func runOutputsFormatsAndRejects() throws {
        let tmp = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let tiny = Self.fixtures + "/tiny"
        var lines = try String(contentsOfFile: tiny + "/exposures.jsonl", encoding: .utf8)
        lines += "{\"request_id\": 5}\n"
        try lines.write(toFile: tmp + "/exposures.jsonl", atomically: true, encoding: .utf8)
        let r = try Self.run([
            "run", "--exposures", tmp + "/exposures.jsonl", "--outcomes", tiny + "/outcomes.jsonl", "--metrics", "ndcg@2",
            "--output", tmp + "/r.json", "--output", tmp + "/r.html", "--output", tmp + "/r.md", "--output", "-", "--max-reject-rate",
            "0.5",
        ])
        #expect(r.status == 0, "\(r.err)")
        #expect(try String(contentsOfFile: tmp + "/r.html", encoding: .utf8).hasPrefix("<!DOCTYPE html>"))
        #expect(try String(contentsOfFile: tmp + "/r.json", encoding: .utf8).hasPrefix("{"))
        #expect(!(try String(contentsOfFile: tmp + "/r.md", encoding: .utf8).hasPrefix("{")))
        let stdout = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        #expect(stdout?["mode"] as? String == "offline")
        #expect(r.err.contains("ingest: exposures read 4, written 3, rejected 1"))
        #expect(r.err.contains("exposures.jsonl:4: request_id"))
        #expect(FileManager.default.fileExists(atPath: tmp + "/r.rejects.jsonl"))
        let dq = (stdout?["data_quality"] as? [String: Any])?["ingest"] as? [String: Any]
        #expect(((dq?["tables"] as? [String: Any])?["exposures"] as? [String: Any])?["rejected"] as? Int == 1)
        // Beyond --max-reject-rate: exit 5, no report.
        let strict = try Self.run([
            "run", "--exposures", tmp + "/exposures.jsonl", "--outcomes", tiny + "/outcomes.jsonl", "--metrics", "ndcg@2",
            "--output", tmp + "/s.json", "--max-reject-rate", "0.1",
        ])
        #expect(strict.status == 5, "\(strict.err)")
        #expect(!FileManager.default.fileExists(atPath: tmp + "/s.json"))
        // A later output that cannot be written: exit 1, and no earlier output appears either.
        let partial = try Self.run([
            "run", "--exposures", tiny + "/exposures.jsonl", "--outcomes", tiny + "/outcomes.jsonl", "--metrics", "ndcg@2",
            "--output", tmp + "/first.json", "--output", tmp + "/missing-dir/second.html",
        ])
        #expect(partial.status == 1)
        #expect(!FileManager.default.fileExists(atPath: tmp + "/first.json"))
    }

    /// One meaning per exit status: a failed regression gate (4) is not an error (1); a flag
    /// error is 1 too; recsys-eval's status for a failed gate (1) only with --compat.
    @Test func exitStatusesAreShared() throws {
        let tmp = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let tiny = Self.fixtures + "/tiny"
        let args = ["run", "--exposures", tiny + "/exposures.jsonl", "--outcomes", tiny + "/outcomes.jsonl", "--metrics", "precision@2"]
        #expect(try Self.run(args + ["--output", tmp + "/base.json"]).status == 0)
        // A baseline whose precision@2 is far higher makes the gate fail.
        var base = try String(contentsOfFile: tmp + "/base.json", encoding: .utf8)
        base = base.replacingOccurrences(of: "\"value\": 0.16666666666666666", with: "\"value\": 0.9")
        try base.write(toFile: tmp + "/base.json", atomically: true, encoding: .utf8)
        try "mode: offline\noffline:\n  metrics: [{name: precision, k: 2}]\n  gates: [{metric: precision@2, max_drop: 0.01}]\n".write(
            toFile: tmp + "/gate.yaml", atomically: true, encoding: .utf8)
        let gated = ["run", "--data", try Self.ingestTiny(tmp), "--config", tmp + "/gate.yaml", "--baseline", tmp + "/base.json"]
        let failed = try Self.run(gated + ["--output", tmp + "/g.json"])
        #expect(failed.status == 4, "\(failed.err)")
        #expect(FileManager.default.fileExists(atPath: tmp + "/g.json"))
        #expect(try Self.run(gated + ["--output", tmp + "/g.json", "--compat", "recsys-eval"]).status == 1)
        #expect(try Self.run(["run", "--output", tmp + "/x.json", "--threads", "0"]).status == 1)
        #expect(try Self.run(["inspect", tmp + "/missing.rcv"]).status == 1)
        let help = try Self.run(["run", "--help"])
        for mode in ["offline", "experiment", "aa-check", "ope", "interleaving"] { #expect(help.out.contains(mode)) }
        let words = help.out.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(words.contains("4 a check failed"))
    }

    /// `quality` says what the dataset does hold when asked for what it does not.
    @Test func qualityNamesWhatTheDataHolds() throws {
        let tmp = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let ds = try Self.ingestMini(tmp)
        let exp = try Self.run(["quality", ds, "--experiment", "exp_nope"])
        #expect(exp.status == 1)
        #expect(exp.err.contains("the assignments hold: exp_ecommerce_mini"), "\(exp.err)")
        let key = try Self.run(["quality", ds, "--slice", "surfac"])
        #expect(key.status == 1)
        #expect(key.err.contains("no exposure's context has the key surfac; context keys in the data:"), "\(key.err)")
        #expect(key.err.contains("surface"))
        try "\n".write(toFile: tmp + "/empty.jsonl", atomically: true, encoding: .utf8)
        let ingest = try Self.run(["ingest", "--exposures", tmp + "/empty.jsonl", "-o", tmp + "/empty.rcv"])
        #expect(ingest.status == 0)
        #expect(ingest.err.contains("the inputs hold no rows"))
        let empty = try Self.run(["quality", tmp + "/empty.rcv"])
        #expect(empty.status == 1)
        #expect(empty.err.contains("holds no rows"))
    }

    static func ingestTiny(_ dir: String) throws -> String {
        let t = fixtures + "/tiny"
        let r = try run(["ingest", "--exposures", t + "/exposures.jsonl", "--outcomes", t + "/outcomes.jsonl", "-o", dir + "/tiny.rcv"])
        #expect(r.status == 0, "\(r.err)")
        return dir + "/tiny.rcv"
    }

    /// `gen --compress zstd` writes the same lines as plain `gen`, in files `ingest` reads.
    @Test func genWritesZstd() throws {
        let tmp = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        for (dir, extra) in [("plain", [String]()), ("zst", ["--compress", "zstd"])] {
            let g = try Self.run(["gen", "--exposures", "500", "--seed", "3", "--all-fields", "--out", tmp + "/" + dir] + extra)
            #expect(g.status == 0, "\(g.err)")
        }
        #expect(FileManager.default.fileExists(atPath: tmp + "/zst/exposures.jsonl.zst"))
        #expect(!FileManager.default.fileExists(atPath: tmp + "/zst/exposures.jsonl"))
        var exports: [String] = []
        for (dir, suffix) in [("plain", ""), ("zst", ".zst")] {
            let i = try Self.run(
                ["ingest", "-o", tmp + "/\(dir).rcv"]
                    + ["exposures", "outcomes", "assignments"].flatMap { ["--\($0)", tmp + "/\(dir)/\($0).jsonl" + suffix] })
            #expect(i.status == 0, "\(i.err)")
            exports.append(try Self.run(["export", tmp + "/\(dir).rcv", "--table", "exposures"]).out)
        }
        #expect(exports[0] == exports[1] && !exports[0].isEmpty)
        #expect(try Self.run(["gen", "--exposures", "5", "--out", tmp + "/x", "--compress", "lz4"]).status == 1)
    }

    /// `gen --table` writes only the tables named, with the lines of a full run; `--out -` puts the
    /// one table on standard output, and `ingest --exposures -` of that stream with the other
    /// tables' files makes the same dataset as the files, given the same partitions.
    @Test func genWritesChosenTablesAndStandardOutput() throws {
        let tmp = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let gen = ["gen", "--exposures", "400", "--seed", "5", "--all-fields"]
        #expect(try Self.run(gen + ["--out", tmp + "/all"]).status == 0)
        let some = try Self.run(gen + ["--out", tmp + "/some", "--table", "outcomes", "--table", "assignments", "--compress", "zstd"])
        #expect(some.status == 0, "\(some.err)")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: tmp + "/some").sorted() == ["assignments.jsonl.zst", "outcomes.jsonl.zst"])
        let stream = try Self.run(gen + ["--table", "exposures", "--out", "-"])
        #expect(stream.status == 0, "\(stream.err)")
        #expect(stream.out == (try String(contentsOfFile: tmp + "/all/exposures.jsonl", encoding: .utf8)))
        func ingest(_ exposures: String, _ small: String, suffix: String, stdin: Data?) throws -> Data {
            let out = tmp + "/\(small).rcv"
            let r = try Self.run(
                [
                    "ingest", "--quiet", "--partitions", "4", "-o", out, "--exposures", exposures,
                    "--outcomes", tmp + "/\(small)/outcomes.jsonl" + suffix, "--assignments", tmp + "/\(small)/assignments.jsonl" + suffix,
                ], stdin: stdin)
            #expect(r.status == 0, "\(r.err)")
            return try Data(contentsOf: URL(fileURLWithPath: out))
        }
        let piped = try ingest("-", "some", suffix: ".zst", stdin: Data(stream.out.utf8))
        // The same files as plain JSONL (same lines; the sources named in the metadata differ).
        let files = try ingest(tmp + "/all/exposures.jsonl", "all", suffix: "", stdin: nil)
        let exports = try [tmp + "/some.rcv", tmp + "/all.rcv"].map { path in
            try ["exposures", "outcomes", "assignments"].map { try Self.run(["export", path, "--table", $0]).out }
        }
        #expect(exports[0] == exports[1] && !exports[0][0].isEmpty)
        #expect(piped.count > 0 && files.count > 0)
        #expect(try Self.run(gen + ["--out", "-"]).status == 1)
        #expect(try Self.run(gen + ["--out", "-", "--table", "exposures", "--compress", "zstd"]).status == 1)
        #expect(try Self.run(gen + ["--out", tmp + "/x", "--table", "clicks"]).status == 1)
    }
}
