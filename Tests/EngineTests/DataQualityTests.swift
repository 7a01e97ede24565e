import ColumnarStorage
import Engine
import Foundation
import Testing

@Suite struct DataQualityTests {
    /// Join rate and assignment rate by surface against a naive reference over the JSONL.
    @Test(arguments: [1, 5])
    func slicesMatchTheReference(partitions: Int) throws {
        let (dir, path) = try JoinTests.dataset(partitions: partitions)
        let ex = JoinTests.objects(dir + "/exposures.jsonl")
        let oc = JoinTests.objects(dir + "/outcomes.jsonl")
        let asg = JoinTests.objects(dir + "/assignments.jsonl")
        var seen = Set<String>()
        let withOutcome = Set(oc.map { $0["request_id"] as! String })
        let assigned = Set(asg.filter { $0["experiment_id"] as! String == "exp_1" }.map { $0["request_id"] as! String })
        var expected: [String: (Int, Int, Int)] = [:]
        for e in ex {
            let id = e["request_id"] as! String
            guard seen.insert(id).inserted else { continue }
            let surface = (e["context"] as? [String: String])?["surface"] ?? "(missing)"
            let old = expected[surface] ?? (0, 0, 0)
            expected[surface] = (old.0 + 1, old.1 + (withOutcome.contains(id) ? 1 : 0), old.2 + (assigned.contains(id) ? 1 : 0))
        }
        let q = try DataQuality.compute(reader: try DatasetReader(path: path), sliceKeys: ["surface"], threads: 2, experiment: "exp_1")
        var got: [String: (Int, Int, Int)] = [:]
        for s in q.slices { got[s.value ?? "(missing)"] = (s.exposures, s.joined, s.assigned) }
        #expect(got.keys.sorted() == expected.keys.sorted())
        for (k, v) in expected { #expect(got[k]! == v, "\(k)") }
        #expect(q.slices.reduce(0) { $0 + $1.exposures } == q.counts.exposureRows - q.counts.duplicateExposures)
    }

    @Test func brokenSliceIsWarnedAbout() throws {
        // One surface whose outcomes never join: its rate is 0 against a healthy overall rate.
        let dir = JoinTests.tempDir()
        var e: [String] = []
        var o: [String] = []
        for i in 0..<400 {
            let surface = i < 200 ? "home" : "pdp"
            e.append(
                #"{"request_id":"r\#(i)","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[{"item_id":"a","rank":1}],"context":{"surface":"\#(surface)"}}"#
            )
            if surface == "home" && i % 2 == 0 {
                o.append(#"{"request_id":"r\#(i)","user_id":"u","item_id":"a","event_type":"click","ts":"2026-01-27T00:00:01Z"}"#)
            }
        }
        let path = try RankingMetricsTests.ingest(e, o)
        _ = dir
        let q = try DataQuality.compute(reader: try DatasetReader(path: path), sliceKeys: ["surface"], threads: 1)
        let w = q.warnings()
        #expect(w.count == 1)
        #expect(w.first?.contains("surface=pdp") == true)
    }
}
