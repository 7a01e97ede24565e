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

    /// The test window of a time split keeps exposures and outcomes by their own timestamps.
    @Test func timeWindowFiltersCasesAndOutcomes() throws {
        let dir = JoinTests.tempDir()
        var o = IngestOptions(output: dir + "/d.rcv", threads: 1)
        o.exposures = [Self.tiny + "/exposures.jsonl"]
        o.outcomes = [Self.tiny + "/outcomes.jsonl"]
        _ = try IngestJob(options: o).run()
        let reader = try DatasetReader(path: dir + "/d.rcv")
        // r1 (00:00) and r2 (00:01) are in, r3 (00:02) is out; both outcomes are in.
        let w1 = try #require(TimeWindow(start: "2025-01-01T00:00:00Z", end: "2025-01-01T00:01:30Z"))
        let m1 = try RankingMetrics.compute(reader: reader, k: 2, threads: 1, window: w1)
        #expect(m1.recsysEval.cases == 2)
        #expect(m1.recsysEval.precision == 0.25)
        #expect(m1.recsysEval.recall == 0.5)
        // Only r1, and its click (00:00:10) falls after the window's end.
        let w2 = try #require(TimeWindow(start: "2025-01-01T00:00:00Z", end: "2025-01-01T00:00:05Z"))
        let m2 = try RankingMetrics.compute(reader: reader, k: 2, threads: 1, window: w2)
        #expect(m2.recsysEval.cases == 1)
        #expect(m2.recsysEval.precision == 0)
        // Bounds are inclusive, to the nanosecond; an inverted window is refused.
        let edge = try #require(TimeWindow(start: "2025-01-01T00:02:00Z", end: "2025-01-01T00:02:00.000000000Z"))
        #expect(try RankingMetrics.compute(reader: reader, k: 2, threads: 1, window: edge).recsysEval.cases == 1)
        #expect(TimeWindow(start: "2025-01-02T00:00:00Z", end: "2025-01-01T00:00:00Z") == nil)
        let d = try DistributionMetrics.compute(reader: reader, k: 2, threads: 1, window: w1)
        #expect(d.coverage == 3.0 / 4.0)  // top-2 {i1, i2, i3} of catalog {i1, i2, i3, i4}
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
