import ColumnarStorage
import Engine
import Foundation
import Ingest
import Testing

/// `DatasetProfile` (what `inspect` summarises) by hand on recsys-eval's tiny fixture, against a
/// naive count of the JSONL on generated logs, and the same whatever the threads or partitions.
@Suite struct DatasetProfileTests {
    static let tiny = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("IngestTests/Fixtures/recsys-eval/tiny").path

    static func ingest(_ dir: String, partitions: Int) throws -> DatasetReader {
        let out = JoinTests.tempDir() + "/d.rcv"
        var o = IngestOptions(output: out, threads: 2)
        o.exposures = [dir + "/exposures.jsonl"]
        o.outcomes = [dir + "/outcomes.jsonl"]
        o.assignments = [dir + "/assignments.jsonl"]
        o.partitions = partitions
        o.maxRejectRate = 1
        _ = try IngestJob(options: o).run()
        return try DatasetReader(path: out)
    }

    @Test func tinyByHand() throws {
        let p = try DatasetProfile.compute(reader: try Self.ingest(Self.tiny, partitions: 1), threads: 1)
        #expect(p.exposures.rows == 3 && p.outcomes.rows == 2 && p.assignments.rows == 3)
        // 2025-01-01T00:00:00Z and 00:02:00Z in microseconds.
        #expect(p.exposures.first == 1_735_689_600_000_000 && p.exposures.last == 1_735_689_720_000_000)
        #expect(p.requests == 3 && p.users == 2 && p.items == 4)
        #expect(p.shownItems == 6 && p.maxItems == 3 && p.emptyExposures == 1)
        #expect(p.withLatency == 3 && p.withError == 3 && p.errors == 0)
        #expect(p.eventTypes.map(\.name) == ["click", "conversion"] && p.eventTypes.map(\.rows) == [1, 1])
        #expect(p.experiments.map(\.experiment) == ["exp_123"])
        #expect(p.experiments.first?.variants.map(\.name) == ["A", "B"] && p.experiments.first?.variants.map(\.rows) == [2, 1])
        let surface = p.contextKeys.first { $0.key == "surface" }
        #expect(surface?.exposures == 3 && surface?.distinctValues == 2)
        #expect(surface?.top.map(\.value) == ["home", "search"] && surface?.top.map(\.exposures) == [2, 1])
        #expect(p.contextKeys.map(\.key) == ["device", "locale", "pre_period_ctr", "surface", "tenant", "user_type"])
    }

    /// Counts from the JSONL itself, on generated logs with many keys and values.
    @Test(arguments: [1, 3, 16])
    func matchesANaiveCount(partitions: Int) throws {
        let (dir, _) = try JoinTests.dataset(partitions: 1)
        let reader = try Self.ingest(dir, partitions: partitions)
        let p = try DatasetProfile.compute(reader: reader, threads: 2, topValues: 3)
        let exposures = JoinTests.objects(dir + "/exposures.jsonl")
        #expect(p.exposures.rows == exposures.count)
        #expect(p.shownItems == exposures.reduce(0) { $0 + (($1["items"] as? [Any])?.count ?? 0) })
        var keyRows: [String: Int] = [:]
        var valueRows: [String: [String: Int]] = [:]
        for e in exposures {
            for (k, v) in (e["context"] as? [String: Any]) ?? [:] {
                keyRows[k, default: 0] += 1
                valueRows[k, default: [:]][v as! String, default: 0] += 1
            }
        }
        #expect(p.contextKeys.map(\.key) == keyRows.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        for k in p.contextKeys {
            #expect(k.exposures == keyRows[k.key])
            #expect(k.distinctValues == valueRows[k.key]?.count)
            let expected = (valueRows[k.key] ?? [:]).values.sorted(by: >).prefix(3)
            #expect(k.top.map(\.exposures) == Array(expected), "\(k.key)")
            for t in k.top { #expect(valueRows[k.key]?[t.value] == t.exposures) }
        }
        var events: [String: Int] = [:]
        for o in JoinTests.objects(dir + "/outcomes.jsonl") { events[o["event_type"] as! String, default: 0] += 1 }
        #expect(Dictionary(uniqueKeysWithValues: p.eventTypes.map { ($0.name, $0.rows) }) == events)
        let single = try DatasetProfile.compute(reader: try Self.ingest(dir, partitions: 1), threads: 1, topValues: 3)
        #expect(p == single)
    }

    /// A reader's observer sees every chunk it hands out, from every thread.
    @Test func scanObserverCountsEveryChunk() throws {
        let (dir, path) = try JoinTests.dataset(partitions: 3)
        _ = dir
        final class Last: @unchecked Sendable { var value: UInt64 = 0 }
        let last = Last()
        let observer = ScanObserver(interval: 0) { last.value = max(last.value, $0) }
        let reader = try DatasetReader(path: path, observer: observer)
        _ = try DatasetProfile.compute(reader: reader, threads: 1)
        let once = observer.total
        #expect(once > 0 && last.value == once)
        _ = try DatasetProfile.compute(reader: reader, threads: 2)
        #expect(observer.total == 2 * once)
    }
}
