import ColumnarStorage
import Engine
import Foundation
import Ingest
import Testing

/// recsys-eval's offline golden report (testdata/golden/offline.json: precision@2 and recall@2
/// on the tiny fixture, slice keys tenant and surface), reproduced from the engine.
@Suite struct OfflineGoldenTests {
    static let tiny = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("IngestTests/Fixtures/recsys-eval/tiny").path

    @Test func tinyFixtureMatchesTheGolden() throws {
        let dir = JoinTests.tempDir()
        var o = IngestOptions(output: dir + "/d.rcv", threads: 2)
        o.exposures = [Self.tiny + "/exposures.jsonl"]
        o.outcomes = [Self.tiny + "/outcomes.jsonl"]
        o.maxRejectRate = 0
        _ = try IngestJob(options: o).run()
        let m = try RankingMetrics.compute(
            reader: try DatasetReader(path: dir + "/d.rcv"), k: 2, threads: 2, sliceKeys: ["tenant", "surface"])
        // Values from the golden report.
        #expect(m.recsysEval.cases == 3)
        #expect(m.recsysEval.precision == 0.16666666666666666)
        #expect(m.recsysEval.recall == 0.3333333333333333)
        #expect(m.segments.map(\.key) == ["surface=home|tenant=t1", "surface=search|tenant=t1"])
        #expect(m.segments[0].recsysEval.precision == 0.25)
        #expect(m.segments[0].recsysEval.recall == 0.5)
        #expect(m.segments[1].recsysEval.precision == 0)
        #expect(m.segments[1].recsysEval.recall == 0)
        // Without slice keys the single segment is `__all__`, equal to the global values.
        let all = try RankingMetrics.compute(reader: try DatasetReader(path: dir + "/d.rcv"), k: 2, threads: 1)
        #expect(all.segments.map(\.key) == ["__all__"])
        #expect(all.segments[0].recsysEval == m.recsysEval)
    }

    /// Segment means weighted by their case counts give the global mean, for any thread count.
    @Test func segmentsPartitionTheCases() throws {
        let (_, path) = try JoinTests.dataset(partitions: 3)
        let reader = try DatasetReader(path: path)
        let m = try RankingMetrics.compute(reader: reader, k: 5, threads: 2, sliceKeys: ["surface", "tenant_id"])
        #expect(m.segments.reduce(0) { $0 + $1.recsysEval.cases } == m.recsysEval.cases)
        #expect(m.segments.reduce(0) { $0 + $1.ir.cases } == m.ir.cases)
        let weighted = m.segments.reduce(0.0) { $0 + Double($1.recsysEval.cases) * $1.recsysEval.ndcg } / Double(m.recsysEval.cases)
        #expect(abs(weighted - m.recsysEval.ndcg) < 1e-12)
        #expect(m.segments.allSatisfy { $0.key.hasPrefix("surface=") && $0.key.contains("|tenant_id=") })
        let one = try RankingMetrics.compute(reader: reader, k: 5, threads: 1, sliceKeys: ["surface", "tenant_id"])
        #expect(one.segments == m.segments)
    }
}
