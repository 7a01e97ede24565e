import ColumnarStorage
import Foundation
import Testing

@testable import Ingest

/// A mapped file (`MappedChunker`) gives the lines a read one gives (`LineChunker`): the same
/// lines in order, the same over-long lines (length and first KiB) before the same lines, every
/// byte observed once in order, and ingest writes the same dataset and rejects either way.
@Suite struct MappedChunkerTests {
    /// What a chunker hands out, whatever its chunks: each line's bytes, and each over-long
    /// line's length and prefix, in file order.
    enum Event: Equatable {
        case line([UInt8])
        case oversize(Int, [UInt8])
    }

    static func events(_ next: () throws -> LineChunk?) throws -> [Event] {
        var out: [Event] = []
        while let c = try next() {
            #expect(c.pieces.count == 1)
            out += c.pieces[0].oversize.map { .oversize($0.length, $0.prefix) }
            let bytes = c.bytes.array
            if bytes.isEmpty { continue }
            var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
            if bytes.last == 0x0A { lines.removeLast() }
            out += lines.map { .line(Array($0)) }
        }
        return out
    }

    /// Random files: short lines and lines longer than a chunk, within the limit and over it,
    /// with `\r\n` or `\n`, a byte-order mark or not, a final newline or not, empty lines.
    static func file(_ seed: UInt64, chunkSize: Int, limit: Int) -> [UInt8] {
        var s = seed
        func next(_ n: Int) -> Int {
            s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((s >> 33) % UInt64(n))
        }
        var bytes: [UInt8] = next(3) == 0 ? [0xEF, 0xBB, 0xBF] : []
        for i in 0..<next(60) {
            let length: Int
            switch next(10) {
            case 0:
                // Long: at the chunk size and the limit, where a `\r` decides, or between them.
                let edges = [chunkSize - 1, chunkSize, chunkSize + 1, limit - 1, limit, limit + 1]
                length = next(2) == 0 ? edges[next(edges.count)] : chunkSize + next(limit - chunkSize + 3)
            case 1: length = limit + next(3 * limit)  // over the limit
            case 2: length = 0
            default: length = next(40)
            }
            bytes += (0..<length).map { k in UInt8(0x41 + (i + k) % 26) }
            if next(4) == 0 { bytes.append(0x0D) }
            bytes.append(0x0A)
        }
        if next(2) == 0, let last = bytes.last, last == 0x0A { bytes.removeLast() }
        if next(4) == 0 {
            // A last line without a newline, maybe over the limit, maybe ending in `\r`.
            let edges = [chunkSize, limit - 1, limit, limit + 1, limit + 2]
            let length = next(2) == 0 ? edges[next(edges.count)] : next(2 * limit)
            bytes += Array(repeating: 0x61, count: length)
            if next(2) == 0 { bytes.append(0x0D) }
        }
        return bytes
    }

    @Test(arguments: [16, 100, 1000])
    func mappedChunksHoldTheReadLines(chunkSize: Int) throws {
        let tmp = Support.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        for seed in 0..<UInt64(120) {
            // Limits of at least a KiB: an over-long line's prefix is then its first KiB either way.
            let limit = max(chunkSize, 1024) + Int(seed % 3) * 300
            let bytes = Self.file(seed &+ UInt64(chunkSize), chunkSize: chunkSize, limit: limit)
            let path = tmp + "/f\(seed).jsonl"
            Support.writeBytes(bytes, to: path)
            var reader = LineChunker(
                input: try InputSource(path: path), source: 0, table: .exposures, chunkSize: chunkSize, maxLineBytes: limit)
            var seen: [UInt8] = []
            var mapper = MappedChunker(
                file: try MappedChunker.File(path: path), source: 0, table: .exposures, chunkSize: chunkSize, maxLineBytes: limit,
                observe: { seen += $0 })
            let read = try Self.events { try reader.next() }
            let mapped = try Self.events { try mapper.next() }
            #expect(mapped == read, "seed \(seed), chunk \(chunkSize), limit \(limit), \(bytes.count) bytes")
            #expect(seen == bytes, "every byte observed once, in order (seed \(seed))")
            #expect(mapper.rawBytesRead == UInt64(bytes.count))
        }
    }

    /// An empty file, and files of only a byte-order mark or only over-long lines.
    @Test func edgeFiles() throws {
        let tmp = Support.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let long = [UInt8](repeating: 0x62, count: 1100)
        for (i, bytes) in [[], [0xEF, 0xBB, 0xBF], [0xEF, 0xBB], long, long + [0x0D], long + [0x0D, 0x0A] + long, [0x0A, 0x0A]]
            .enumerated()
        {
            let path = tmp + "/e\(i).jsonl"
            Support.writeBytes(bytes, to: path)
            var reader = LineChunker(input: try InputSource(path: path), source: 0, table: .exposures, chunkSize: 16, maxLineBytes: 1024)
            var mapper = MappedChunker(
                file: try MappedChunker.File(path: path), source: 0, table: .exposures, chunkSize: 16, maxLineBytes: 1024)
            #expect(try Self.events { try mapper.next() } == Self.events { try reader.next() }, "file \(i)")
        }
    }

    /// Only regular, uncompressed files of at least the chunk size are mapped; a named pipe is
    /// neither mapped nor waited on.
    @Test func onlyPlainRegularFilesAreMapped() throws {
        let tmp = Support.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let plain = tmp + "/plain.jsonl"
        Support.writeBytes([UInt8](repeating: 0x61, count: 100), to: plain)
        let gzip = tmp + "/g.jsonl"
        Support.writeBytes([0x1F, 0x8B] + [UInt8](repeating: 0, count: 98), to: gzip)
        let zstd = tmp + "/z.jsonl"
        Support.writeBytes([0x28, 0xB5, 0x2F, 0xFD] + [UInt8](repeating: 0, count: 96), to: zstd)
        let fifo = tmp + "/pipe"
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(try MappedChunker.File.open(path: plain, minSize: 100) != nil)
        #expect(try MappedChunker.File.open(path: plain, minSize: 101) == nil)
        #expect(try MappedChunker.File.open(path: gzip, minSize: 16) == nil)
        #expect(try MappedChunker.File.open(path: zstd, minSize: 16) == nil)
        #expect(try MappedChunker.File.open(path: fifo, minSize: 0) == nil)
        #expect(throws: StorageError.self) { try MappedChunker.File.open(path: tmp + "/missing", minSize: 0) }
    }

    /// A mapped file that was rewritten in place, truncated or replaced while it was read is an
    /// error once its chunks are parsed; one that only grew is not (its first bytes are as read).
    @Test func changedMappedFilesAreCaught() throws {
        let tmp = Support.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let path = tmp + "/f.jsonl"
        let bytes = [UInt8](repeating: 0x61, count: 1000)
        func opened() throws -> MappedChunker.File.Identity {
            Support.writeBytes(bytes, to: path)
            return try #require(try MappedChunker.File.open(path: path, minSize: 16)).identity
        }
        var id = try opened()
        #expect(!id.changed(to: .current(path)))
        // Rewritten in place, same size: a later modification time.
        var ts = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000_000, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, path, &ts, 0) == 0)
        #expect(id.changed(to: .current(path)))
        id = try opened()
        let h = FileHandle(forWritingAtPath: path)!
        h.seekToEndOfFile()
        h.write(Data([0x0A, 0x62]))
        h.closeFile()
        #expect(!id.changed(to: .current(path)), "appended: the mapped bytes are as they were")
        id = try opened()
        #expect(truncate(path, 10) == 0)
        #expect(id.changed(to: .current(path)))
        id = try opened()
        Support.writeBytes(bytes, to: tmp + "/other")
        #expect(rename(tmp + "/other", path) == 0)
        #expect(id.changed(to: .current(path)), "another file in its place")
        #expect(id.changed(to: .current(tmp + "/missing")))
    }

    /// Ingest with inputs mapped and read: the same dataset, byte for byte, and the same rejects.
    @Test func ingestIsTheSameMappedOrRead() throws {
        let tmp = Support.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        var lines: [String] = []
        for i in 0..<3000 {
            let items = (1...(1 + i % 7)).map {
                #"{"item_id":"sku_\#(($0 * 7919 + i) % 500)","rank":\#($0),"propensity":0.\#(($0 + i) % 97 + 1)}"#
            }
            var line =
                #"{"request_id":"req_\#(i)","user_id":"u_\#(i % 211)","ts":"2026-01-27T00:00:\#(String(format: "%02d", i % 60))Z","items":["#
                + items.joined(separator: ",") + #"],"context":{"surface":"s\#(i % 3)"}}"#
            if i % 500 == 7 { line = String(repeating: "x", count: 30000) }  // over the limit below
            if i % 400 == 9 { line = "{\"request_id\":\"broken" }  // rejected
            lines.append(line)
        }
        let path = tmp + "/e.jsonl"
        Support.writeBytes([0xEF, 0xBB, 0xBF] + Array(lines.joined(separator: "\r\n").utf8), to: path)
        var outputs: [[UInt8]] = []
        var rejects: [[UInt8]] = []
        for map in [true, false] {
            var o = IngestOptions(output: tmp + "/d-\(map).rcv", threads: 2)
            o.exposures = [path]
            o.maxRejectRate = 1
            o.chunkSize = 16 << 10
            o.maxLineBytes = 4096 + 16 << 10
            o.mapInputs = map
            let s = try IngestJob(options: o).run()
            #expect(s.counts(.exposures).read == 3000 && s.counts(.exposures).rejected == 8 + 6)
            outputs.append(Array(try Data(contentsOf: URL(fileURLWithPath: o.output))))
            rejects.append(Array(try Data(contentsOf: URL(fileURLWithPath: o.output + ".rejects.jsonl"))))
        }
        #expect(outputs[0] == outputs[1])
        #expect(rejects[0] == rejects[1])
    }
}
