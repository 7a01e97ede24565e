import ColumnarStorage
import Foundation
import Testing

@testable import Ingest

/// How bytes become lines: a byte-order mark is not part of line 1, `\r\n` ends a line like `\n`,
/// and `--max-line-bytes` holds for every line, without an over-long line ever being read whole.
@Suite struct LineFramingTests {
    /// A valid exposure of exactly `bytes` bytes (at least 73), padded in `user_id`.
    static func exposure(_ id: Int, bytes: Int = 0) -> String {
        let head = #"{"request_id":"r\#(String(format: "%03d", id))","user_id":""#
        let tail = #"","ts":"2026-01-27T00:00:00Z","items":[{"item_id":"a","rank":1}]}"#
        let pad = max(1, bytes - head.utf8.count - tail.utf8.count)
        return head + String(repeating: "u", count: pad) + tail
    }

    static let lines = (1...40).map { exposure($0) } + ["", "   "]

    @Test func byteOrderMarkIsSkipped() throws {
        let tmp = Support.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        Support.write(Self.lines, to: tmp + "/lf.jsonl")
        Support.writeBytes([0xEF, 0xBB, 0xBF] + Array(Self.lines.joined(separator: "\n").utf8) + [0x0A], to: tmp + "/bom.jsonl")
        let lf = try Support.ingest(exposures: [tmp + "/lf.jsonl"], output: tmp + "/lf.rcv", maxRejectRate: 0)
        let bom = try Support.ingest(exposures: [tmp + "/bom.jsonl"], output: tmp + "/bom.rcv", maxRejectRate: 0)
        #expect(bom.counts(.exposures) == lf.counts(.exposures))
        #expect(bom.counts(.exposures).rejected == 0 && bom.counts(.exposures).written == 40)
        #expect(
            Support.records(try Support.export(tmp + "/bom.rcv", table: "exposures"))
                == Support.records(try Support.export(tmp + "/lf.rcv", table: "exposures")))
        // The same inside a compressed file (the mark is in the decoded bytes).
        let gz = try Support.compress(tmp + "/bom.jsonl", with: "gzip")
        #expect(try Support.ingest(exposures: [gz], output: tmp + "/gz.rcv", maxRejectRate: 0).counts(.exposures) == lf.counts(.exposures))
        let v = try LineValidator(table: .exposures).validate(path: gz) { _ in }
        #expect(v.invalid == 0 && v.valid == 40)
    }

    /// Lines are numbered as chunks are committed, from each piece's count (the chunker does not
    /// count them): reject and finding line numbers must be the physical ones across many chunks
    /// of one file, small files packed into one chunk, blank and CRLF lines, and over-long lines,
    /// with the whole buffer within the limit (no line scan) or not (scanned line by line).
    @Test(arguments: [64 << 20, 700])
    func rejectLineNumbersAreThePhysicalOnes(maxLineBytes: Int) throws {
        let tmp = Support.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        // Big file: 3,000 lines (about 250 KB, several 64 KiB chunks); small files: 5 lines each.
        var big: [String] = []
        var expected: [String] = []
        for i in 1...3000 {
            if i % 97 == 0 {
                big.append("{not json \(i)")
                expected.append("big.jsonl:\(i)")
            } else if i % 89 == 0 {
                big.append("")
            } else if i % 211 == 0 {
                big.append(Self.exposure(i, bytes: 900))  // over the 700-byte limit
                if maxLineBytes == 700 { expected.append("big.jsonl:\(i)") }
            } else {
                big.append(Self.exposure(i) + (i % 7 == 0 ? "\r" : ""))
            }
        }
        Support.write(big, to: tmp + "/big.jsonl")
        var files = [tmp + "/big.jsonl"]
        for f in 0..<4 {
            let name = "small\(f).jsonl"
            var lines = (1...5).map { Self.exposure(10_000 + f * 10 + $0) }
            lines[f] = "[]"
            expected.append("\(name):\(f + 1)")
            Support.write(lines, to: tmp + "/" + name)
            files.append(tmp + "/" + name)
        }
        let s = try Support.ingest(exposures: files, output: tmp + "/d.rcv", maxLineBytes: maxLineBytes)
        let got = Support.rejects(tmp + "/d.rcv.rejects.jsonl").map {
            "\(URL(fileURLWithPath: $0["source"] as! String).lastPathComponent):\($0["line"] as! Int)"
        }
        #expect(got == expected)
        #expect(s.counts(.exposures).rejected == expected.count)
        // `validate` numbers the big file's lines the same way.
        var found: [Int] = []
        _ = try LineValidator(table: .exposures, maxLineBytes: maxLineBytes, chunkSize: 64 << 10).validate(path: tmp + "/big.jsonl") {
            found.append($0.line)
        }
        #expect(found == expected.filter { $0.hasPrefix("big.jsonl:") }.map { Int($0.split(separator: ":")[1])! })
    }

    @Test func crlfFileIngestsLikeItsLFTwin() throws {
        let tmp = Support.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        Support.write(Self.lines, to: tmp + "/lf.jsonl")
        Support.writeBytes(Array(Self.lines.joined(separator: "\r\n").utf8) + [0x0D, 0x0A], to: tmp + "/crlf.jsonl")
        let lf = try Support.ingest(exposures: [tmp + "/lf.jsonl"], output: tmp + "/lf.rcv", maxRejectRate: 0)
        let crlf = try Support.ingest(exposures: [tmp + "/crlf.jsonl"], output: tmp + "/crlf.rcv", maxRejectRate: 0)
        #expect(crlf.counts(.exposures) == lf.counts(.exposures))
        #expect(crlf.counts(.exposures).rejected == 0 && crlf.counts(.exposures).blank == 2)
        #expect(
            Support.records(try Support.export(tmp + "/crlf.rcv", table: "exposures"))
                == Support.records(try Support.export(tmp + "/lf.rcv", table: "exposures")))
    }

    /// A 258-byte line under a 100-byte limit is rejected, in ingest and in validate alike; a line
    /// of exactly 100 bytes passes, with `\n` or `\r\n`.
    @Test(arguments: ["\n", "\r\n"])
    func lineLimitHoldsForShortLines(ending: String) throws {
        let tmp = Support.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let long = Self.exposure(2, bytes: 258)
        let atLimit = Self.exposure(3, bytes: 100)
        #expect(long.utf8.count == 258 && atLimit.utf8.count == 100)
        let text = [Self.exposure(1), long, atLimit, Self.exposure(4)].joined(separator: ending) + ending
        Support.writeBytes(Array(text.utf8), to: tmp + "/e.jsonl")
        let s = try Support.ingest(exposures: [tmp + "/e.jsonl"], output: tmp + "/d.rcv", maxLineBytes: 100)
        let c = s.counts(.exposures)
        #expect(c.read == 4 && c.written == 3 && c.rejected == 1)
        let rejects = Support.rejects(tmp + "/d.rcv.rejects.jsonl")
        try #require(rejects.count == 1)
        #expect(rejects[0]["source"] as? String == tmp + "/e.jsonl")
        #expect(rejects[0]["line"] as? Int == 2)
        #expect(rejects[0]["field"] as? String == "")
        let reason = rejects[0]["reason"] as? String ?? ""
        #expect(reason.contains("258 bytes") && reason.contains("limit of 100 bytes") && reason.contains("--max-line-bytes"), "\(reason)")
        #expect(rejects[0]["raw"] as? String == long)
        #expect(rejects[0]["raw_truncated_from_bytes"] as? Int == 258)

        var findings: [(Int, String)] = []
        let v = try LineValidator(table: .exposures, maxLineBytes: 100).validate(path: tmp + "/e.jsonl") {
            findings.append(($0.line, $0.error.reason))
        }
        #expect(v.lines == 4 && v.valid == 3 && v.invalid == 1)
        #expect(findings.map(\.0) == [2] && findings.map(\.1) == [reason])
    }

    /// A 3 MB line under a 1 MiB limit, in the middle and at the very end (no final newline):
    /// rejected, the lines after it kept, and the chunker's buffer never near 3 MB.
    @Test(arguments: ["plain", "zstd"])
    func overlongLineIsSkippedWithoutReadingItWhole(codec: String) throws {
        let tmp = Support.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let huge = Self.exposure(2, bytes: 3_000_000)
        var bytes: [UInt8] = []
        bytes += Array((Self.exposure(1) + "\n" + huge + "\r\n").utf8)
        for i in 3...50 { bytes += Array((Self.exposure(i) + "\n").utf8) }
        bytes += Array(huge.utf8)  // line 51, the last, without a newline
        var path = tmp + "/e.jsonl"
        Support.writeBytes(bytes, to: path)
        if codec == "zstd" { path = try Support.compress(path, with: "zstd") }

        let chunkSize = 64 << 10
        let limit = 1 << 20
        var chunker = LineChunker(
            input: try InputSource(path: path), source: 0, table: .exposures, chunkSize: chunkSize, maxLineBytes: limit)
        var oversize: [OversizeLine] = []
        var oversizeLines: [Int] = []
        var lines = 0
        var numbers = LineNumbers()
        while let c = try chunker.next() {
            try #require(c.pieces.count == 1)
            let piece = c.pieces[0]
            oversize += piece.oversize
            let n =
                c.bytes.isEmpty
                ? 0 : c.bytes.array.split(separator: 0x0A, omittingEmptySubsequences: false).count - (c.bytes.last == 0x0A ? 1 : 0)
            let taken = numbers.take(piece, lines: n)
            #expect(taken.first == taken.oversize + piece.oversize.count)
            oversizeLines += piece.oversize.indices.map { taken.oversize + $0 }
            lines += n
        }
        #expect(oversizeLines == [2, 51])
        #expect(oversize.map(\.length) == [3_000_000, 3_000_000])
        #expect(oversize.allSatisfy { $0.prefix.count == 1024 && $0.prefix == Array(huge.utf8.prefix(1024)) })
        #expect(lines == 49)
        #expect(chunker.peakBufferBytes <= limit + chunkSize / 2 + 1, "\(chunker.peakBufferBytes)")

        let s = try Support.ingest(exposures: [path], output: tmp + "/d.rcv", maxLineBytes: limit)
        let c = s.counts(.exposures)
        #expect(c.read == 51 && c.written == 49 && c.rejected == 2)
        let rejects = Support.rejects(tmp + "/d.rcv.rejects.jsonl")
        #expect(rejects.map { $0["line"] as? Int } == [2, 51])
        #expect(rejects.allSatisfy { ($0["raw"] as? String)?.utf8.count == 1024 && $0["raw_truncated_from_bytes"] as? Int == 3_000_000 })
        let exported = Support.records(try Support.export(tmp + "/d.rcv", table: "exposures"))
        let kept = [1] + Array(3...50)
        #expect(exported == Support.records(kept.map { Self.exposure($0) }.joined(separator: "\n")))
    }
}
