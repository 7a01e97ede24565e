import ColumnarStorage
import Engine
import Foundation
import Ingest
import Testing

/// Ranking metrics against recsys-eval's unit anchors and a naive reference on generated data.
@Suite struct RankingMetricsTests {
    static func ingest(_ exposures: [String], _ outcomes: [String], partitions: Int = 1) throws -> String {
        let dir = JoinTests.tempDir()
        try (exposures.joined(separator: "\n") + "\n").write(toFile: dir + "/e.jsonl", atomically: true, encoding: .utf8)
        try (outcomes.joined(separator: "\n") + "\n").write(toFile: dir + "/o.jsonl", atomically: true, encoding: .utf8)
        var o = IngestOptions(output: dir + "/d.rcv", threads: 2)
        o.exposures = [dir + "/e.jsonl"]
        o.outcomes = [dir + "/o.jsonl"]
        o.partitions = partitions
        o.maxRejectRate = 0
        _ = try IngestJob(options: o).run()
        return dir + "/d.rcv"
    }

    static func exposure(_ id: String, _ items: [(String, Int)]) -> String {
        let list = items.map { #"{"item_id":"\#($0.0)","rank":\#($0.1)}"# }.joined(separator: ",")
        return #"{"request_id":"\#(id)","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[\#(list)]}"#
    }

    static func outcome(_ id: String, _ item: String, _ event: String = "click") -> String {
        #"{"request_id":"\#(id)","user_id":"u","item_id":"\#(item)","event_type":"\#(event)","ts":"2026-01-27T00:00:00Z"}"#
    }

    /// SPEC 6.2 anchors: L = [i1, i2, i3], R = {i1, i3}.
    @Test func recsysEvalUnitAnchors() throws {
        // Ranks deliberately out of input order: the list is ordered by rank.
        let path = try Self.ingest(
            [Self.exposure("r", [("i3", 3), ("i1", 1), ("i2", 2)])],
            [Self.outcome("r", "i1"), Self.outcome("r", "i3", "conversion"), Self.outcome("r", "i1")])
        let reader = try DatasetReader(path: path)
        let at2 = try RankingMetrics.compute(reader: reader, k: 2, threads: 1)
        #expect(at2.recsysEval.precision == 0.5)
        #expect(at2.recsysEval.recall == 0.5)
        let at3 = try RankingMetrics.compute(reader: reader, k: 3, threads: 1)
        #expect(abs(at3.recsysEval.map - (1.0 + 2.0 / 3.0) / 2.0) < 1e-12)  // 0.8333...
        #expect(abs(at3.recsysEval.ndcg - (1 + 1 / log2(4.0)) / (1 + 1 / log2(3.0))) < 1e-12)  // 0.9197
        #expect(try RankingMetrics.compute(reader: reader, k: 1, threads: 1).recsysEval.hitrate == 1)
        // precision@10 divides by the list length (3), the IR convention by k.
        let at10 = try RankingMetrics.compute(reader: reader, k: 10, threads: 1)
        #expect(abs(at10.recsysEval.precision - 2.0 / 3.0) < 1e-12)
        #expect(abs(at10.ir.precision - 0.2) < 1e-12)
        #expect(at10.ir.mrr == 1)
    }

    /// Graded gains: a conversion counts 2, a click 1; the ideal order puts the conversion first.
    @Test func gradedNDCG() throws {
        let path = try Self.ingest(
            [Self.exposure("r", [("a", 1), ("b", 2), ("c", 3)])],
            [Self.outcome("r", "a"), Self.outcome("r", "b", "conversion"), Self.outcome("r", "b")])
        let m = try RankingMetrics.compute(reader: try DatasetReader(path: path), k: 2, threads: 1)
        let dcg = 1 + 2 / log2(3.0)
        let ideal = 2 + 1 / log2(3.0)
        #expect(abs(m.ir.ndcgGraded - dcg / ideal) < 1e-12)
        #expect(m.ir.ndcg == 1)  // binary gains: both relevant items are in the top 2
    }

    /// A naive reference over the JSONL: both definition sets, written out metric by metric.
    @Test(arguments: [1, 4])
    func matchesNaiveReference(partitions: Int) throws {
        var rng = SystemRandomNumberGenerator()
        var ex: [String] = []
        var oc: [String] = []
        var lists: [String: [String]] = [:]
        var firstSeen: [String] = []
        var relevant: [String: Set<String>] = [:]
        for r in 0..<600 {
            let id = "q\(r)"
            let n = Int.random(in: 0...12, using: &rng)
            var items = (0..<n).map { _ in "i\(Int.random(in: 0..<40, using: &rng))" }
            var ranks = Array(1...max(n, 1)).prefix(n).map { $0 }
            if r % 5 == 0 { ranks.shuffle(using: &rng) }  // out-of-order ranks
            ex.append(Self.exposure(id, Array(zip(items, ranks))))
            if r % 17 == 0 { ex.append(Self.exposure(id, [("dup", 1)])) }  // later duplicate: ignored
            let order = zip(items, ranks).sorted { $0.1 < $1.1 }.map(\.0)
            items = order
            lists[id] = items
            firstSeen.append(id)
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                let item =
                    Bool.random(using: &rng) && !items.isEmpty
                    ? items.randomElement(using: &rng)! : "i\(Int.random(in: 0..<40, using: &rng))"
                let event = ["click", "conversion", "click"][Int.random(in: 0..<3, using: &rng)]
                oc.append(Self.outcome(id, item, event))
                relevant[id, default: []].insert(item)
            }
        }
        oc.append(Self.outcome("orphan", "i1"))
        let reader = try DatasetReader(path: try Self.ingest(ex, oc, partitions: partitions))
        for k in [1, 3, 10] {
            var re = [Double](repeating: 0, count: 6)
            var ir = [Double](repeating: 0, count: 6)
            var irCases = 0
            for id in firstSeen {
                let l = lists[id]!
                let rset = relevant[id] ?? []
                let t = Array(l.prefix(k))
                let hits = t.filter { rset.contains($0) }.count
                var ap = 0.0
                var h = 0
                var dcg = 0.0
                var rr = 0.0
                for (i, item) in t.enumerated() where rset.contains(item) {
                    h += 1
                    ap += Double(h) / Double(i + 1)
                    dcg += 1 / log2(Double(i + 2))
                    if rr == 0 { rr = 1 / Double(i + 1) }
                }
                let idcg = (0..<min(rset.count, k)).reduce(0.0) { $0 + 1 / log2(Double($1 + 2)) }
                if !t.isEmpty {
                    re[0] += Double(hits) / Double(t.count)
                    re[2] += hits > 0 ? 1 : 0
                }
                if !rset.isEmpty { re[1] += Double(hits) / Double(rset.count) }
                if !t.isEmpty && !rset.isEmpty {
                    re[3] += ap / Double(min(rset.count, k))
                    re[4] += dcg / idcg
                }
                re[5] += rr
                if !rset.isEmpty {
                    irCases += 1
                    ir[0] += Double(hits) / Double(k)
                    ir[1] += Double(hits) / Double(rset.count)
                    ir[2] += hits > 0 ? 1 : 0
                    ir[3] += ap / Double(min(rset.count, k))
                    ir[4] += dcg / idcg
                    ir[5] += rr
                }
            }
            let n = Double(firstSeen.count)
            let m = try RankingMetrics.compute(reader: reader, k: k, threads: 2)
            #expect(m.recsysEval.cases == firstSeen.count)
            #expect(m.ir.cases == irCases)
            let got = [
                m.recsysEval.precision, m.recsysEval.recall, m.recsysEval.hitrate, m.recsysEval.map, m.recsysEval.ndcg, m.recsysEval.mrr,
            ]
            let gotIR = [m.ir.precision, m.ir.recall, m.ir.hitrate, m.ir.map, m.ir.ndcg, m.ir.mrr]
            for j in 0..<6 {
                #expect(abs(got[j] - re[j] / n) <= 1e-12 * max(1, abs(re[j] / n)), "k \(k) recsys-eval metric \(j)")
                #expect(abs(gotIR[j] - ir[j] / Double(irCases)) <= 1e-12, "k \(k) ir metric \(j)")
            }
            // Same bits for any thread count.
            let one = try RankingMetrics.compute(reader: reader, k: k, threads: 1)
            #expect(one.recsysEval == m.recsysEval && one.ir == m.ir)
        }
    }
}
