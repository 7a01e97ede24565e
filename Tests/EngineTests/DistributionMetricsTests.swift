import ColumnarStorage
import Engine
import Foundation
import Testing

@Suite struct DistributionMetricsTests {
    /// SPEC 6.3 anchors: cases [a,b,c] and [a,c,d], no relevance.
    @Test func specAnchors() throws {
        let path = try RankingMetricsTests.ingest(
            [
                RankingMetricsTests.exposure("r1", [("a", 1), ("b", 2), ("c", 3)]),
                RankingMetricsTests.exposure("r2", [("d", 3), ("a", 1), ("c", 2)]),
            ],
            [])
        let m = try DistributionMetrics.compute(reader: try DatasetReader(path: path), k: 2, threads: 1)
        #expect(m.coverage == 0.75)
        #expect(abs(m.novelty - 1.8349625007211563) < 1e-12)  // (3 * log2(3) + log2(6)) / 4
        #expect(abs(m.diversity - 1.5 / log2(3.0)) < 1e-12)
    }

    /// Against a naive reference over the JSONL on generated data, for 1 and 4 partitions.
    @Test(arguments: [1, 4])
    func matchesNaiveReference(partitions: Int) throws {
        let (dir, _) = try JoinTests.dataset(partitions: partitions)
        let ex = JoinTests.objects(dir + "/exposures.jsonl")
        let oc = JoinTests.objects(dir + "/outcomes.jsonl")
        var seen = Set<String>()
        var lists: [[String]] = []
        for e in ex where seen.insert(e["request_id"] as! String).inserted {
            let items = (e["items"] as! [[String: Any]]).map { ($0["item_id"] as! String, ($0["rank"] as! NSNumber).intValue) }
            lists.append(items.enumerated().sorted { ($0.element.1, $0.offset) < ($1.element.1, $1.offset) }.map(\.element.0))
        }
        let k = 5
        var pop: [String: Int] = [:]
        var top: [String: Int] = [:]
        var catalog = Set<String>()
        for l in lists {
            for i in l {
                pop[i, default: 0] += 1
                catalog.insert(i)
            }
            for i in l.prefix(k) { top[i, default: 0] += 1 }
        }
        for o in oc where seen.contains(o["request_id"] as! String) { catalog.insert(o["item_id"] as! String) }
        let n = Double(pop.values.reduce(0, +))
        let positions = Double(top.values.reduce(0, +))
        let novelty = top.reduce(0.0) { $0 + Double($1.value) * -log2(Double(pop[$1.key]!) / n) } / positions
        let entropy = top.values.reduce(0.0) {
            let p = Double($1) / positions
            return $0 - p * log2(p)
        }
        let dir2 = dir + "/d.rcv"
        let m = try DistributionMetrics.compute(reader: try DatasetReader(path: dir2), k: k, threads: 2)
        #expect(m.coverage == Double(top.count) / Double(catalog.count))
        #expect(abs(m.novelty - novelty) < 1e-9)
        #expect(abs(m.diversity - entropy / log2(Double(top.count))) < 1e-9)
        #expect(m == (try DistributionMetrics.compute(reader: try DatasetReader(path: dir2), k: k, threads: 1)))
    }
}
