import Foundation
import Ingest
import Testing

/// Bad lines are rejected with the right line number, field path and reason; nothing is dropped.
@Suite struct BadInputTests {
    struct Line: Sendable {
        var text: String
        var field: String?  // nil: valid
        var reason: String = ""
    }

    static let good = #"{"request_id":"r%d","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[{"item_id":"a","rank":1}]}"#

    static let lines: [Line] = [
        Line(text: String(format: good, 1), field: nil),
        Line(
            text: #"{"request_id":"r2","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[{"item_id":"a","rank":"1"}]}"#,
            field: "items[0].rank", reason: "must be a number, got a string"),
        Line(text: #"{"request_id":"r3","ts":"2026-01-27T00:00:00Z","items":[]}"#, field: "user_id", reason: "missing required field"),
        Line(
            text: #"{"request_id":"r4","user_id":"u","ts":"2026-13-45T99:00:00Z","items":[]}"#, field: "ts", reason: "month 13 out of range"
        ),
        Line(
            text: #"{"request_id":"r5","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[{"item_id":"a","rank":0}]}"#,
            field: "items[0].rank", reason: "must be an integer >= 1, got 0"),
        Line(
            text: #"{"request_id":"r6","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[{"item_id":"a","rank":1.5}]}"#,
            field: "items[0].rank", reason: "must be an integer >= 1, got 1.5"),
        Line(
            text: #"{"request_id":"r7","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[{"item_id":"a","rank":1,"propensity":-0.1}]}"#,
            field: "items[0].propensity", reason: "must be >= 0"),
        Line(
            text: #"{"request_id":"r8","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[],"context":{"k":5}}"#, field: "context.k",
            reason: "must be a string, got a number"),
        Line(
            text: #"{"request_id":"r9","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[],"extra":1}"#, field: "extra",
            reason: "unknown field"),
        Line(text: #"{"request_id":"r10","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[]"#, field: "", reason: "invalid JSON"),
        Line(text: #"{"request_id":"r11","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[]} x"#, field: "", reason: "after the object"),
        Line(
            text: #"{"request_id":"","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[]}"#, field: "request_id",
            reason: "must be a non-empty string"),
        Line(
            text: #"{"request_id":"r13","user_id":"\ud800x","ts":"2026-01-27T00:00:00Z","items":[]}"#, field: "user_id",
            reason: "unpaired surrogate"),
        Line(
            text: #"{"request_id":"r14","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[],"latency_ms":01}"#, field: "latency_ms",
            reason: "leading zero"),
        Line(
            text: #"{"request_id":"r15","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[],"error":"false"}"#, field: "error",
            reason: "must be a boolean"),
        Line(
            text: #"{"request_id":"r16","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[{"rank":1}]}"#, field: "items[0].item_id",
            reason: "missing required field"),
        Line(text: #"[1,2]"#, field: "", reason: "expected a JSON object"),
        Line(
            text: #"{"request_id":"r18","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[],"latency_ms":1e999}"#, field: "latency_ms",
            reason: "out of the range"),
        Line(text: String(format: good, 19), field: nil),
    ]

    @Test func countsAndReasonsAreExact() throws {
        let tmp = Support.tempDir()
        // Physical lines: the table above, then blank lines, invalid UTF-8, a huge line, a last good line.
        var bytes: [UInt8] = []
        for l in Self.lines { bytes += Array(l.text.utf8) + [0x0A] }
        bytes += [0x0A]  // line 20: empty
        bytes += Array("   \t \r\n".utf8)  // line 21: whitespace only
        bytes +=
            Array(#"{"request_id":"r22","user_id":"u"#.utf8) + [0xFF, 0xFE] + Array(#"","ts":"2026-01-27T00:00:00Z","items":[]}"#.utf8) + [
                0x0A
            ]
        let hugeLine =
            Array(#"{"request_id":"r23","user_id":""#.utf8) + Array(repeating: UInt8(ascii: "x"), count: 300_000)
            + Array(#"","ts":"2026-01-27T00:00:00Z","items":[]}"#.utf8)
        bytes += hugeLine + [0x0A]
        bytes += Array(String(format: Self.good, 24).utf8) + Array("\r\n".utf8)  // CRLF line ending
        bytes += Array(String(format: Self.good, 25).utf8)  // no final newline
        Support.writeBytes(bytes, to: tmp + "/e.jsonl")
        let s = try Support.ingest(exposures: [tmp + "/e.jsonl"], output: tmp + "/d.rcv", maxLineBytes: 100_000)
        let c = s.counts(.exposures)
        #expect(c.read == Self.lines.count + 4)
        #expect(c.blank == 2)
        #expect(c.written == 4)
        #expect(c.rejected == Self.lines.filter { $0.field != nil }.count + 2)
        #expect(c.read == c.written + c.rejected)

        let rejects = Support.read(tmp + "/d.rcv.rejects.jsonl").split(separator: "\n").map {
            try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        var byLine: [Int: [String: Any]] = [:]
        for r in rejects { byLine[r["line"] as! Int] = r }
        for (i, l) in Self.lines.enumerated() {
            guard let field = l.field else {
                #expect(byLine[i + 1] == nil, "line \(i + 1) should be valid")
                continue
            }
            let r = try #require(byLine[i + 1], "line \(i + 1) should be rejected")
            #expect(r["field"] as? String == field, "line \(i + 1)")
            #expect((r["reason"] as? String)?.contains(l.reason) == true, "line \(i + 1): \(r["reason"] ?? "")")
            #expect(r["raw"] as? String == l.text)
        }
        let utf8 = try #require(byLine[22])
        #expect(utf8["field"] as? String == "user_id")
        #expect((utf8["reason"] as? String)?.contains("invalid UTF-8") == true)
        #expect(utf8["raw_valid_utf8"] as? Bool == false)
        let huge = try #require(byLine[23])
        #expect((huge["reason"] as? String)?.contains("longer than the limit") == true)
        #expect(huge["raw_truncated_from_bytes"] as? Int == hugeLine.count)
        #expect(byLine[24] == nil && byLine[25] == nil)
        let ids = Support.records(try Support.export(tmp + "/d.rcv", table: "exposures")).count
        #expect(ids == 4)
    }

    @Test func tooManyRejectsWritesNoDataset() throws {
        let tmp = Support.tempDir()
        Support.write([String(format: Self.good, 1), "not json", "{}"], to: tmp + "/e.jsonl")
        #expect(throws: IngestError.self) {
            try Support.ingest(exposures: [tmp + "/e.jsonl"], output: tmp + "/d.rcv", maxRejectRate: 0.5)
        }
        #expect(!FileManager.default.fileExists(atPath: tmp + "/d.rcv"))
        #expect(Support.read(tmp + "/d.rcv.rejects.jsonl").split(separator: "\n").count == 2)
        // No temporary files are left in the folder.
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).sorted() == ["d.rcv.rejects.jsonl", "e.jsonl"])
    }

    @Test func outcomeAndAssignmentContracts() throws {
        let tmp = Support.tempDir()
        Support.write(
            [
                #"{"request_id":"r","user_id":"u","item_id":"i","event_type":"click","ts":"2026-01-27T00:00:00Z"}"#,
                #"{"request_id":"r","user_id":"u","item_id":"i","event_type":"view","ts":"2026-01-27T00:00:00Z"}"#,
                #"{"request_id":"r","user_id":"u","item_id":"i","event_type":"click","value":"3","ts":"2026-01-27T00:00:00Z"}"#,
                #"{"request_id":"r","user_id":"u","event_type":"click","ts":"2026-01-27T00:00:00Z"}"#,
            ], to: tmp + "/o.jsonl")
        Support.write(
            [
                #"{"experiment_id":"e","variant":"a","request_id":"r","user_id":"u","ts":"2026-01-27T00:00:00Z"}"#,
                #"{"experiment_id":"e","request_id":"r","user_id":"u","ts":"2026-01-27T00:00:00Z"}"#,
                #"{"experiment_id":"e","variant":"a","request_id":"r","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[]}"#,
            ], to: tmp + "/a.jsonl")
        let s = try Support.ingest(outcomes: [tmp + "/o.jsonl"], assignments: [tmp + "/a.jsonl"], output: tmp + "/d.rcv")
        #expect(s.counts(.outcomes).written == 1 && s.counts(.outcomes).rejected == 3)
        #expect(s.counts(.assignments).written == 1 && s.counts(.assignments).rejected == 2)
        let fields = Support.read(tmp + "/d.rcv.rejects.jsonl").split(separator: "\n").map {
            (try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["field"] as! String
        }
        #expect(fields == ["event_type", "value", "item_id", "variant", "items"])
    }

    @Test func validatorReportsTheSameFindings() throws {
        let tmp = Support.tempDir()
        Support.write(Self.lines.map(\.text), to: tmp + "/e.jsonl")
        var found: [(Int, String)] = []
        let summary = try LineValidator(table: .exposures).validate(path: tmp + "/e.jsonl") { found.append(($0.line, $0.error.field)) }
        let expected = Self.lines.enumerated().compactMap { i, l in l.field.map { (i + 1, $0) } }
        #expect(summary.invalid == expected.count)
        #expect(summary.valid == Self.lines.count - expected.count)
        #expect(found.map(\.0) == expected.map(\.0))
        #expect(found.map(\.1) == expected.map(\.1))
    }
}
