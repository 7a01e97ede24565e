import ColumnarFormat
import ColumnarStorage
import Export
import Foundation
import Ingest
import Testing

/// Determinism across thread and partition counts, spilling, and corrupted files.
@Suite struct DatasetIntegrityTests {
    /// A few thousand varied exposures, outcomes and assignments built from the rich fixtures.
    static func synthetic(_ dir: String, count: Int) {
        var e: [String] = []
        var o: [String] = []
        var a: [String] = []
        for i in 0..<count {
            let items = (0..<(i % 7)).map { $0 + 1 }.map { r in
                #"{"item_id":"sku_\#((i * 31 + r * 17) % 503)","rank":\#(r),"propensity":0.\#(1000 + (i * r) % 9000)}"#
            }
            let ctx = i % 5 == 0 ? "" : #","context":{"surface":"s\#(i % 3)","tenant":"t\#(i % 11)"}"#
            let lat = i % 4 == 0 ? "" : #","latency_ms":\#(Double(i % 977) / 10)"#
            e.append(
                #"{"request_id":"req_\#(i)","user_id":"u_\#(i % 97)","ts":"2026-01-27T00:\#(String(format: "%02d", (i / 60) % 60)):\#(String(format: "%02d", i % 60)).\#(i % 1000)Z","items":[\#(items.joined(separator: ","))]\#(ctx)\#(lat)}"#
            )
            if i % 3 == 0 {
                o.append(
                    #"{"request_id":"req_\#(i % 2 == 0 ? "\(i)" : "orphan\(i)")","user_id":"u_\#(i % 97)","item_id":"sku_\#(i % 503)","event_type":"\#(i % 9 == 0 ? "conversion" : "click")"\#(i % 9 == 0 ? #","value":\#(i % 50).5"# : ""),"ts":"2026-01-27T01:00:00+01:00"}"#
                )
            }
            a.append(
                #"{"experiment_id":"exp","variant":"\#(i % 2 == 0 ? "control" : "candidate")","request_id":"req_\#(i)","user_id":"u_\#(i % 97)","ts":"2026-01-27T00:00:00Z"}"#
            )
        }
        Support.write(e, to: dir + "/e.jsonl")
        Support.write(o, to: dir + "/o.jsonl")
        Support.write(a, to: dir + "/a.jsonl")
    }

    static func ingest(_ dir: String, _ out: String, threads: Int = 2, partitions: Int? = 4, memoryLimit: Int = 256 << 20) throws
        -> IngestSummary
    {
        try Support.ingest(
            exposures: [dir + "/e.jsonl"], outcomes: [dir + "/o.jsonl"], assignments: [dir + "/a.jsonl"],
            output: out, threads: threads, partitions: partitions, maxRejectRate: 0, memoryLimit: memoryLimit, rowGroupRows: 500)
    }

    @Test func sameBytesForAnyThreadCount() throws {
        let tmp = Support.tempDir()
        Self.synthetic(tmp, count: 3000)
        _ = try Self.ingest(tmp, tmp + "/t1.rcv", threads: 1)
        _ = try Self.ingest(tmp, tmp + "/t2.rcv", threads: 2)
        _ = try Self.ingest(tmp, tmp + "/t3.rcv", threads: 3)
        let one = try Data(contentsOf: URL(fileURLWithPath: tmp + "/t1.rcv"))
        #expect(one == (try Data(contentsOf: URL(fileURLWithPath: tmp + "/t2.rcv"))))
        #expect(one == (try Data(contentsOf: URL(fileURLWithPath: tmp + "/t3.rcv"))))
    }

    /// The default partition count: a power of two giving each partition at most 96 MiB of
    /// JSONL, or a sixth of the memory limit when that is smaller (at least 16 MiB), at most 4096;
    /// beyond 512 only as many as the memory rule needs.
    @Test func defaultPartitionCount() {
        let g = 1 << 30
        #expect(IngestJob.partitionCount(inputBytes: 10 << 20, memoryLimit: 2 * g) == 1)
        #expect(IngestJob.partitionCount(inputBytes: 1_192_700_000, memoryLimit: 2 * g) == 16)  // 1M plain exposures
        #expect(IngestJob.partitionCount(inputBytes: 19_300_000_000, memoryLimit: 2 * g) == 256)  // 10M all-fields
        #expect(IngestJob.partitionCount(inputBytes: 1_192_700_000, memoryLimit: g / 2) == 16)  // 85 MiB a partition
        // Beyond 512, only as many as a sixth of the memory limit needs: 100M all-fields exposures
        // (176 GB) get 512, not 2048; 1B get 4096 either way.
        #expect(IngestJob.partitionCount(inputBytes: 175_800_000_000, memoryLimit: 2 * g) == 512)
        #expect(IngestJob.partitionCount(inputBytes: 1_758_000_000_000, memoryLimit: 2 * g) == 4096)
        #expect(IngestJob.partitionCount(inputBytes: 1 << 50, memoryLimit: 2 * g) == 4096)
    }

    @Test func partitionCountAndSpillingDoNotChangeContent() throws {
        let tmp = Support.tempDir()
        Self.synthetic(tmp, count: 4000)
        let expected = ["exposures": "e", "outcomes": "o", "assignments": "a"].mapValues {
            Support.records(Support.read(tmp + "/\($0).jsonl"))
        }
        for (p, mem) in [(1, 256 << 20), (3, 256 << 20), (16, 1 << 20)] {
            let out = tmp + "/p\(p).rcv"
            let s = try Self.ingest(tmp, out, partitions: p, memoryLimit: mem)
            if mem < (2 << 20) { #expect(s.spilledBytes > 0, "a 1 MiB budget must spill") }
            let reader = try DatasetReader(path: out)
            #expect(reader.partitionCount == p)
            for (t, rows) in expected {
                #expect(Support.records(try Support.export(out, table: t)) == rows, "partitions \(p) \(t)")
            }
        }
    }

    /// The spill is internal: the same input gives the same bytes whether the rows stayed in
    /// memory or were spilled many times over.
    @Test func spillingGivesTheSameBytes() throws {
        let tmp = Support.tempDir()
        Self.synthetic(tmp, count: 4000)
        let held = try Self.ingest(tmp, tmp + "/held.rcv", partitions: 8, memoryLimit: 256 << 20)
        let spilled = try Self.ingest(tmp, tmp + "/spilled.rcv", partitions: 8, memoryLimit: 256 << 10)
        #expect(held.spilledBytes == 0)
        #expect(spilled.spilledBytes > 0)
        let a = try Data(contentsOf: URL(fileURLWithPath: tmp + "/held.rcv"))
        #expect(a == (try Data(contentsOf: URL(fileURLWithPath: tmp + "/spilled.rcv"))))
    }

    /// Request ids land in the partition XXH64(request_id) mod P, and the partition's dictionary
    /// covers exposures, outcomes and assignments alike.
    @Test func requestsArePartitionedByHash() throws {
        let tmp = Support.tempDir()
        Self.synthetic(tmp, count: 1000)
        _ = try Self.ingest(tmp, tmp + "/d.rcv", partitions: 5)
        let r = try DatasetReader(path: tmp + "/d.rcv")
        var seen = 0
        for p in 0..<r.partitionCount {
            let dict = try r.requestDictionary(partition: p)
            for i in 0..<dict.count {
                let key = Array(dict[i])
                #expect(Int(XXH64.hash(key) % 5) == p)
                if i > 0 { #expect(Array(dict[i - 1]).lexicographicallyPrecedes(key)) }
            }
            seen += dict.count
        }
        #expect(seen == 1000 + 1000 / 6 + 1)  // exposures plus orphan outcome request ids
    }

    @Test func truncatedAndCorruptedFilesGiveErrorsNotWrongAnswers() throws {
        let tmp = Support.tempDir()
        Self.synthetic(tmp, count: 300)
        _ = try Self.ingest(tmp, tmp + "/d.rcv", partitions: 2)
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: tmp + "/d.rcv")))
        let expected = try DatasetExporter.tables.map { try Support.export(tmp + "/d.rcv", table: $0) }
        func outcome(_ bytes: [UInt8]) -> Bool? {  // nil: error; true: same content; false: wrong answer
            Support.writeBytes(bytes, to: tmp + "/bad.rcv")
            do {
                let got = try DatasetExporter.tables.map { try Support.export(tmp + "/bad.rcv", table: $0) }
                return got == expected
            } catch {
                return nil
            }
        }
        var rng = SystemRandomNumberGenerator()
        for n in [0, 7, 63, 64, 100, original.count / 2, original.count - 33, original.count - 1]
            + (0..<20).map({ _ in Int.random(in: 0..<original.count, using: &rng) })
        {
            #expect(outcome(Array(original.prefix(n))) == nil, "truncated to \(n) bytes")
        }
        var errors = 0
        for i in stride(from: 0, to: original.count, by: max(1, original.count / 400)) {
            var b = original
            b[i] ^= 0x5A
            let r = outcome(b)
            #expect(r != false, "flipping byte \(i) gave a wrong answer")
            if r == nil { errors += 1 }
        }
        #expect(errors > 0)
    }
}

/// The parse pipeline's failure path: a read error after many chunks have been handed to the
/// workers ends the ingest with that error (no hang, no dataset), for any thread count.
@Suite struct ParsePipelineTests {
    @Test(arguments: [1, 2, 3]) func readErrorMidStreamStopsTheIngest(threads: Int) throws {
        let tmp = Support.tempDir()
        DatasetIntegrityTests.synthetic(tmp, count: 6000)
        let gz = try Support.compress(tmp + "/e.jsonl", with: "gzip")
        // Cut the compressed stream at 60%: the first chunks decompress, then the stream ends early.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: gz))
        try bytes.prefix(bytes.count * 6 / 10).write(to: URL(fileURLWithPath: gz))
        let out = tmp + "/cut.rcv"
        do {
            try Support.ingest(exposures: [gz], output: out, threads: threads)
            Issue.record("a truncated gzip input was ingested")
        } catch {
            #expect("\(error)".contains("e.jsonl.gz"), "the error names the input: \(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
