import ColumnarStorage
import Engine
import Foundation
import Ingest
import LogGenerator
import TestSupport
import Testing

/// The engine's join and per-variant aggregate against a naive reference computed from the
/// JSONL with Foundation, on data it has not seen, for several thread and partition counts.
@Suite struct JoinTests {
    /// A new directory that lasts until the test process exits (see `TestDirectory`).
    static func tempDir() -> String { try! TestDirectory.make("engine") }

    static func objects(_ path: String) -> [[String: Any]] {
        try! String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    /// Generated logs (with duplicates, orphans, and a few extra hand-made rows that exercise
    /// outcomes before their exposure, outcomes on items not shown, empty lists and a second
    /// assignment that overrides the first), ingested with `partitions` partitions.
    static func dataset(partitions: Int) throws -> (dir: String, path: String) {
        let dir = tempDir()
        var files: [LogTable: FileHandle] = [:]
        for t in LogTable.allCases {
            _ = FileManager.default.createFile(atPath: dir + "/" + t.fileName, contents: nil)
            files[t] = FileHandle(forWritingAtPath: dir + "/" + t.fileName)!
        }
        _ = LogGenerator(LogGeneratorConfig(exposures: 4000, seed: 11)).generate { t, b in files[t]!.write(Data(b)) }
        files[.exposures]!.write(
            Data(
                """
                {"request_id":"hand_1","user_id":"u","ts":"2026-01-27T12:00:00Z","items":[{"item_id":"x","rank":1}],"context":{"tenant_id":"t1","surface":"home"}}
                {"request_id":"hand_2","user_id":"u","ts":"2026-01-27T12:00:00Z","items":[],"context":{"surface":"home"}}

                """.utf8))
        files[.outcomes]!.write(
            Data(
                """
                {"request_id":"hand_1","user_id":"u","item_id":"y","event_type":"click","ts":"2026-01-27T11:00:00Z"}
                {"request_id":"hand_1","user_id":"u","item_id":"x","event_type":"click","ts":"2026-01-27T12:00:01Z"}

                """.utf8))
        files[.assignments]!.write(
            Data(
                """
                {"request_id":"hand_1","user_id":"u","experiment_id":"exp_1","variant":"control","ts":"2026-01-27T12:00:00Z"}
                {"request_id":"hand_1","user_id":"u","experiment_id":"exp_1","variant":"candidate","ts":"2026-01-27T12:00:00Z"}
                {"request_id":"hand_2","user_id":"u","experiment_id":"exp_2","variant":"control","ts":"2026-01-27T12:00:00Z"}

                """.utf8))
        for f in files.values { try f.close() }
        var o = IngestOptions(output: dir + "/d.rcv", threads: 2)
        o.exposures = [dir + "/exposures.jsonl"]
        o.outcomes = [dir + "/outcomes.jsonl"]
        o.assignments = [dir + "/assignments.jsonl"]
        o.partitions = partitions
        o.maxRejectRate = 0
        o.rowGroupRows = 500
        _ = try IngestJob(options: o).run()
        return (dir, dir + "/d.rcv")
    }

    struct Reference {
        var counts = JoinCounts()
        var groups: [String: (Int, Int, Int, Int)] = [:]  // "variant|tenant|surface"
    }

    /// recsys-eval's join (first exposure wins, last assignment wins) and the SQL aggregate,
    /// written the obvious way over dictionaries of strings.
    static func reference(_ dir: String, experiment: String) -> Reference {
        let ex = objects(dir + "/exposures.jsonl")
        let oc = objects(dir + "/outcomes.jsonl")
        let asg = objects(dir + "/assignments.jsonl")
        var r = Reference()
        var first: [String: [String: Any]] = [:]
        for e in ex {
            let id = e["request_id"] as! String
            if first[id] == nil { first[id] = e } else { r.counts.duplicateExposures += 1 }
            if (e["items"] as! [Any]).isEmpty { r.counts.emptyExposures += 1 }
            // recsys-eval's "missing" exposures: no request id or no items.
            if id.isEmpty || (e["items"] as! [Any]).isEmpty { r.counts.incompleteExposures += 1 }
        }
        r.counts.exposureRows = ex.count
        r.counts.outcomeRows = oc.count
        var joinedRequests = Set<String>()
        var clicks: [String: Int] = [:]
        for o in oc {
            let id = o["request_id"] as! String
            if id.isEmpty || (o["item_id"] as! String).isEmpty { r.counts.incompleteOutcomes += 1 }
            if o["event_type"] as! String == "click" { clicks[id, default: 0] += 1 }
            guard let e = first[id] else {
                r.counts.orphanOutcomes += 1
                continue
            }
            r.counts.outcomesJoined += 1
            joinedRequests.insert(id)
            let shown = (e["items"] as! [[String: Any]]).map { $0["item_id"] as! String }
            if !shown.contains(o["item_id"] as! String) { r.counts.outcomesOnUnshownItems += 1 }
            if (o["ts"] as! String) < (e["ts"] as! String) { r.counts.outcomesBeforeExposure += 1 }  // all Z, same length
        }
        r.counts.exposuresJoined = joinedRequests.count
        var variant: [String: String] = [:]
        for a in asg where (a["request_id"] as! String).isEmpty || (a["variant"] as? String ?? "").isEmpty {
            r.counts.incompleteAssignments += 1
        }
        for a in asg where a["experiment_id"] as! String == experiment && !(a["variant"] as? String ?? "").isEmpty {
            r.counts.assignmentRows += 1
            variant[a["request_id"] as! String] = a["variant"] as? String
        }
        r.counts.assignedRequests = variant.count
        r.counts.assignedExposures = first.keys.filter { variant[$0] != nil }.count
        for e in ex {
            let id = e["request_id"] as! String
            guard let v = variant[id] else { continue }
            let ctx = e["context"] as? [String: String] ?? [:]
            let key = "\(v)|\(ctx["tenant_id"] ?? "-")|\(ctx["surface"] ?? "-")"
            let c = clicks[id] ?? 0
            let old = r.groups[key] ?? (0, 0, 0, 0)
            r.groups[key] = (old.0 + 1, old.1 + (e["items"] as! [Any]).count, old.2 + (c > 0 ? 1 : 0), old.3 + c)
        }
        return r
    }

    @Test(arguments: [1, 3, 8])
    func joinAndAggregateMatchTheReference(partitions: Int) throws {
        let (dir, path) = try Self.dataset(partitions: partitions)
        let expected = Self.reference(dir, experiment: "exp_1")
        let reader = try DatasetReader(path: path)
        for threads in [1, 2] {
            let join = try DatasetJoin.run(reader: reader, threads: threads, experiment: "exp_1")
            #expect(join.counts == expected.counts, "partitions \(partitions) threads \(threads)")
            let agg = try VariantAggregate.run(reader: reader, threads: threads, experiment: "exp_1", groupBy: ["tenant_id", "surface"])
            var got: [String: (Int, Int, Int, Int)] = [:]
            for g in agg.groups {
                got["\(g.variant)|\(g.keys[0] ?? "-")|\(g.keys[1] ?? "-")"] = (g.requests, g.items, g.clickedRequests, g.clicks)
            }
            #expect(got.keys.sorted() == expected.groups.keys.sorted())
            for (k, v) in expected.groups {
                let g = try #require(got[k])
                #expect(g == v, "\(k)")
            }
        }
        // The hand-made rows: an outcome before its exposure and one on an item not shown.
        #expect(expected.counts.outcomesBeforeExposure >= 1)
        #expect(expected.counts.outcomesOnUnshownItems >= 1)
        #expect(expected.counts.duplicateExposures > 0 && expected.counts.orphanOutcomes > 0)
    }

    @Test func unknownExperimentIsAnError() throws {
        let (_, path) = try Self.dataset(partitions: 1)
        #expect(throws: StorageError.self) {
            _ = try VariantAggregate.run(reader: try DatasetReader(path: path), threads: 1, experiment: "nope", groupBy: [])
        }
    }
}

extension JoinCounts: CustomStringConvertible {
    public var description: String {
        "rows \(exposureRows) dup \(duplicateExposures) joined \(exposuresJoined) outcomes \(outcomeRows)/\(outcomesJoined) orphans \(orphanOutcomes) empty \(emptyExposures) unshown \(outcomesOnUnshownItems) early \(outcomesBeforeExposure) assignments \(assignmentRows)/\(assignedRequests) assigned \(assignedExposures)"
    }
}
