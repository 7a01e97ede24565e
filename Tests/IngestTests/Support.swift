import ColumnarFormat
import ColumnarStorage
import Export
import Foundation
import Ingest
import TestSupport
import Testing

/// Paths and helpers shared by the ingest tests.
enum Support {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    /// A new directory that lasts until the test process exits (see `TestDirectory`).
    static func tempDir() -> String { try! TestDirectory.make("tests") }

    static func write(_ lines: [String], to path: String) {
        try! lines.joined(separator: "\n").appending("\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// `body` with a cursor over `text`, and scratch room for its decoded strings.
    static func withCursor<R>(_ text: String, _ body: (inout JSONCursor) throws -> R) rethrows -> R {
        var bytes = Array(text.utf8)
        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: bytes.count + 16)
        defer { scratch.deallocate() }
        return try bytes.withUnsafeMutableBufferPointer { b in
            var c = JSONCursor(base: UnsafePointer(b.baseAddress!), count: b.count, scratch: scratch)
            return try body(&c)
        }
    }

    /// An error's reason without its column: whitespace added to a line shifts the column, and a
    /// fast path compared with the general one on the spaced line must agree on the rest.
    static func withoutColumn(_ reason: String) -> String {
        guard let r = reason.range(of: " at column ") else { return reason }
        return String(reason[..<r.lowerBound])
    }

    static func writeBytes(_ bytes: [UInt8], to path: String) {
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    }

    @discardableResult
    static func ingest(
        exposures: [String] = [], outcomes: [String] = [], assignments: [String] = [], output: String,
        threads: Int = 2, partitions: Int? = nil, maxRejectRate: Double = 1, maxLineBytes: Int = 64 << 20,
        memoryLimit: Int = 256 << 20, rowGroupRows: Int = 65_536, codec: Codec = .zstd
    ) throws -> IngestSummary {
        var o = IngestOptions(output: output, threads: threads)
        o.exposures = exposures
        o.outcomes = outcomes
        o.assignments = assignments
        o.partitions = partitions
        o.maxRejectRate = maxRejectRate
        o.maxLineBytes = maxLineBytes
        o.memoryLimit = memoryLimit
        o.rowGroupRows = rowGroupRows
        o.codec = codec
        o.chunkSize = 64 << 10  // many chunks even for small inputs, to exercise ordering
        return try IngestJob(options: o).run()
    }

    static func export(_ dataset: String, table: String, format: ExportFormat = .jsonl) throws -> String {
        var out = [UInt8]()
        try DatasetExporter(reader: try DatasetReader(path: dataset)).export(table: table, format: format) { out += $0 }
        return String(decoding: out, as: UTF8.self)
    }

    /// A JSON value in a canonical, comparable form: objects as sorted key/value lists, numbers as
    /// doubles, and `ts` strings as (instant, offset) so `Z` and `+00:00` compare equal.
    static func canonical(_ v: Any, key: String? = nil) -> String {
        switch v {
        case let d as [String: Any]:
            return "{" + d.keys.sorted().map { "\($0):" + canonical(d[$0]!, key: $0) }.joined(separator: ",") + "}"
        case let a as [Any]:
            return "[" + a.map { canonical($0) }.joined(separator: ",") + "]"
        case let n as NSNumber:
            if String(cString: n.objCType) == "c" { return n.boolValue ? "true" : "false" }
            return "n\(n.doubleValue)"
        case let s as String:
            if key == "ts" {
                var b = Array(s.utf8)
                if let t = b.withUnsafeMutableBytes({ try? Timestamp.parse(UnsafeRawBufferPointer($0)).get() }) {
                    return "ts(\(t.micros),\(t.nanos),\(t.offsetMinutes))"
                }
            }
            return "s" + s.debugDescription
        case is NSNull:
            return "null"
        default:
            return "?\(v)"
        }
    }

    /// The JSONL text as a sorted multiset of canonical records (blank lines skipped).
    static func records(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: true)
            .filter { !$0.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\r" } }
            .map { line in
                let obj = try! JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
                return canonical(obj)
            }.sorted()
    }

    static func read(_ path: String) -> String { try! String(contentsOfFile: path, encoding: .utf8) }

    /// Compresses `path` in place with the `gzip` or `zstd` command (`path.gz` / `path.zst`,
    /// the original removed) and returns the new path.
    static func compress(_ path: String, with tool: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = tool == "gzip" ? ["gzip", "-n", "-q", path] : ["zstd", "-q", "--rm", path]
        try p.run()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "\(tool) failed on \(path); is it installed?")
        return path + (tool == "gzip" ? ".gz" : ".zst")
    }

    /// The rejects file as JSON objects, in file order.
    static func rejects(_ path: String) -> [[String: Any]] {
        read(path).split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }
}
