import ColumnarStorage
import Foundation
import LogGenerator
import Testing

@testable import Ingest

/// Inputs as production dumps come: directories and glob patterns of many shards with mixed
/// codecs ingest to the same records as one file, in byte-wise path order, with rejects naming
/// the shard; a directory or pattern that names nothing is an error naming it.
@Suite struct DumpInputTests {
    /// A generated log with malformed lines: exposures split into `shards` files (every third
    /// plain, gzip, zstd), next to a hidden file and a subdirectory that must not be read, and
    /// the same exposures whole in `whole/exposures.jsonl`.
    static func makeDump(in tmp: String, shards: Int) throws -> (dump: String, shardPaths: [String]) {
        let whole = tmp + "/whole"
        try FileManager.default.createDirectory(atPath: whole, withIntermediateDirectories: true)
        var config = LogGeneratorConfig(exposures: 2000, seed: 11)
        config.allFields = true
        config.malformedRate = 0.01
        _ = GeneratedDataTests.generate(config, into: whole)
        let lines = Self.lines(of: whole + "/exposures.jsonl")
        let dump = tmp + "/dump"
        try FileManager.default.createDirectory(atPath: dump + "/sub", withIntermediateDirectories: true)
        Support.write(["not json"], to: dump + "/.hidden.jsonl")
        Support.write(["not json"], to: dump + "/sub/part-99.jsonl")
        var paths: [String] = []
        let per = (lines.count + shards - 1) / shards
        for i in 0..<shards {
            let path = dump + String(format: "/part-%03d.jsonl", i)
            Support.writeBytes(Array(lines.dropFirst(i * per).prefix(per).joined(separator: [0x0A])) + [0x0A], to: path)
            switch i % 3 {
            case 1: paths.append(try Support.compress(path, with: "gzip"))
            case 2: paths.append(try Support.compress(path, with: "zstd"))
            default: paths.append(path)
            }
        }
        return (dump, paths)
    }

    /// The lines of a file ending in a newline, as bytes (malformed lines may not be UTF-8).
    static func lines(of path: String) -> [ArraySlice<UInt8>] {
        let bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        return Array(bytes.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast())
    }

    @Test(arguments: ["directory", "pattern"])
    func shardsIngestLikeOneFile(form: String) throws {
        let tmp = Support.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let (dump, shardPaths) = try Self.makeDump(in: tmp, shards: 12)
        let argument = form == "directory" ? dump : dump + "/part-*.jsonl*"
        let others = (outcomes: [tmp + "/whole/outcomes.jsonl"], assignments: [tmp + "/whole/assignments.jsonl"])
        let one = try Support.ingest(
            exposures: [tmp + "/whole/exposures.jsonl"], outcomes: others.outcomes, assignments: others.assignments,
            output: tmp + "/one.rcv")
        let sharded = try Support.ingest(
            exposures: [argument], outcomes: others.outcomes, assignments: others.assignments, output: tmp + "/dump.rcv")

        #expect(sharded.inputFiles == shardPaths.count + 2)
        for t in TableKind.allCases {
            let c = sharded.counts(t)
            #expect(c == one.counts(t), "\(t)")
            #expect(c.read == c.written + c.rejected, "\(t)")
            #expect(
                Support.records(try Support.export(tmp + "/dump.rcv", table: "\(t)"))
                    == Support.records(try Support.export(tmp + "/one.rcv", table: "\(t)")), "\(t)")
        }
        #expect(sharded.counts(.exposures).rejected > 0)
        // The shards are read in byte-wise order of their paths, and the dataset says so.
        let sources = try DatasetReader(path: tmp + "/dump.rcv").footer.metadataValue("ingest.exposures.sources")
        #expect(sources == shardPaths.joined(separator: "\n"))
        // Every reject names its shard, and its line number is the line within that shard.
        let wholeRejects = Support.rejects(tmp + "/one.rcv.rejects.jsonl").filter { $0["table"] as? String == "exposures" }
        let shardRejects = Support.rejects(tmp + "/dump.rcv.rejects.jsonl").filter { $0["table"] as? String == "exposures" }
        #expect(shardRejects.map { $0["raw"] as! String } == wholeRejects.map { $0["raw"] as! String })
        for r in shardRejects {
            let source = r["source"] as! String
            #expect(shardPaths.contains(source))
            if source.hasSuffix(".jsonl") {
                let line = Self.lines(of: source)[(r["line"] as! Int) - 1]
                #expect(String(decoding: line, as: UTF8.self) == r["raw"] as! String)
            }
        }
    }

    /// 300 tiny shards, some odd (a byte-order mark, CRLF, no final newline, empty, an over-long
    /// line, a bad line): packed into a few chunks, not one per file, yet every count and every
    /// reject's file and line are exact, and the records are those of the shards concatenated.
    @Test func tinyShardsArePackedWithExactRejects() throws {
        let tmp = Support.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let dump = tmp + "/dump"
        try FileManager.default.createDirectory(atPath: dump, withIntermediateDirectories: true)
        let bad = #"{"request_id":"bad"}"#
        var expectedRejects: [(String, Int)] = []
        var good: [String] = []
        for i in 0..<300 {
            let path = dump + String(format: "/s%04d.jsonl", i)
            var bytes: [UInt8] = []
            if i != 150 {  // shard 150 is empty
                var lines = (0..<3).map { LineFramingTests.exposure(i * 10 + $0) }
                if i % 10 == 3 { lines[1] = bad }
                if i % 50 == 7 { lines[2] = LineFramingTests.exposure(i * 10 + 2, bytes: 300) }
                for (n, l) in lines.enumerated() {
                    if l == bad || l.utf8.count > 200 { expectedRejects.append((path, n + 1)) } else { good.append(l) }
                }
                let ending = i % 7 == 0 ? "\r\n" : "\n"
                bytes = Array(lines.joined(separator: ending).utf8)
                if i % 11 != 0 { bytes += Array(ending.utf8) }  // else no final newline
                if i % 13 == 0 { bytes = [0xEF, 0xBB, 0xBF] + bytes }
            }
            Support.writeBytes(bytes, to: path)
        }
        let files = try InputPaths.expand(dump).map { ChunkStream.File(table: .exposures, path: $0) }
        var stream = ChunkStream(files: files, chunkSize: 64 << 10, maxLineBytes: 200)
        var chunks = 0
        var pieces = 0
        while let c = try stream.next() {
            chunks += 1
            pieces += c.pieces.count
        }
        // A piece per file but the empty one, and a second one (holding only its over-long last
        // line) for each of the 6 files that end with one.
        #expect(chunks <= 3 && pieces == 299 + 6, "\(chunks) chunks, \(pieces) pieces")

        var o = IngestOptions(output: tmp + "/d.rcv", threads: 2)
        o.exposures = [dump]
        o.maxLineBytes = 200
        o.maxRejectRate = 1
        o.chunkSize = 64 << 10
        let s = try IngestJob(options: o).run()
        let c = s.counts(.exposures)
        #expect(c.read == c.written + c.rejected)
        #expect(c.rejected == expectedRejects.count && c.written == good.count && c.blank == 0)
        let rejects = Support.rejects(tmp + "/d.rcv.rejects.jsonl")
        #expect(rejects.map { $0["source"] as! String } == expectedRejects.map(\.0))
        #expect(rejects.map { $0["line"] as! Int } == expectedRejects.map(\.1))
        #expect(Support.records(try Support.export(tmp + "/d.rcv", table: "exposures")) == Support.records(good.joined(separator: "\n")))
    }

    /// Byte-wise order, not the locale's: `B` (0x42) < `_` (0x5F) < `a` (0x61) < `é` (0xC3 0xA9).
    @Test func directoriesAndPatternsExpandInByteOrder() throws {
        let tmp = Support.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        for name in ["é.jsonl", "a.jsonl", "_.jsonl", "B.jsonl", ".hidden.jsonl"] { Support.write(["{}"], to: tmp + "/" + name) }
        try FileManager.default.createDirectory(atPath: tmp + "/dir.jsonl", withIntermediateDirectories: true)
        let expected = ["B.jsonl", "_.jsonl", "a.jsonl", "é.jsonl"].map { tmp + "/" + $0 }
        #expect(try InputPaths.expand(tmp) == expected)
        #expect(try InputPaths.expand(tmp + "/") == expected)
        #expect(try InputPaths.expand(tmp + "/*.jsonl") == expected)  // the directory `dir.jsonl` is not a file
        #expect(try InputPaths.expand(tmp + "/[a_].jsonl") == [tmp + "/_.jsonl", tmp + "/a.jsonl"])
        #expect(try InputPaths.expand(tmp + "/a.jsonl") == [tmp + "/a.jsonl"])
        #expect(try InputPaths.expand("-") == ["-"])
    }

    @Test func emptyDirectoryAndUnmatchedPatternAreErrorsNamingThem() throws {
        let tmp = Support.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let empty = tmp + "/empty"
        try FileManager.default.createDirectory(atPath: empty + "/sub", withIntermediateDirectories: true)
        Support.write(["{}"], to: empty + "/.only-hidden.jsonl")
        for argument in [empty, tmp + "/*.jsonl.zst", tmp + "/missing/*.jsonl"] {
            let error = #expect(throws: IngestError.self) { try Support.ingest(exposures: [argument], output: tmp + "/d.rcv") }
            #expect(error?.description.contains(argument) == true, "\(error?.description ?? "")")
            #expect(error?.exitCode == 1)
        }
        #expect(!FileManager.default.fileExists(atPath: tmp + "/d.rcv"))
    }

    /// Collects the raw bytes an ingest hands its `InputObserver`, per file.
    final class Collector: InputObserver, @unchecked Sendable {
        var bytes: [String: [UInt8]] = [:]
        var opened: [String] = []
        func sink(for path: String) -> ((UnsafeRawBufferPointer) -> Void)? {
            opened.append(path)
            bytes[path] = []
            return { [unowned self] b in self.bytes[path]!.append(contentsOf: b) }
        }
    }

    /// An input observer sees each shard's bytes as they are on disk (compressed ones
    /// compressed), whole and once, in the order the shards are read: what a digest of the inputs
    /// computed in the ingest's own read needs.
    @Test func observerSeesEveryRawByteOnce() throws {
        let tmp = Support.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let (dump, shardPaths) = try Self.makeDump(in: tmp, shards: 7)
        let collector = Collector()
        var o = IngestOptions(output: tmp + "/d.rcv", threads: 2)
        o.exposures = [dump]
        o.outcomes = [tmp + "/whole/outcomes.jsonl"]
        o.maxRejectRate = 1
        o.chunkSize = 64 << 10
        o.inputObserver = collector
        _ = try IngestJob(options: o).run()
        #expect(collector.opened == shardPaths + [tmp + "/whole/outcomes.jsonl"])
        for path in collector.opened {
            #expect(collector.bytes[path] == [UInt8](FileManager.default.contents(atPath: path)!), "\(path)")
        }
    }
}
