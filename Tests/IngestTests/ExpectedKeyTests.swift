import ColumnarFormat
import Testing

@testable import Ingest

/// Keys in the schema's order are recognised by word compares (`JSONCursor.expectedMember`)
/// before the general key read. Every line here is parsed as written (the fast path takes the
/// keys it can) and once with a space after `{` and after each `,` outside strings (which the
/// fast path never takes), under both contracts: fields, errors and runtime readings must agree.
@Suite struct ExpectedKeyTests {
    static let exposures: [String] = [
        #"{"request_id":"r1","user_id":"u1","ts":"2026-01-27T00:00:00Z","items":[],"context":{"a":"b"},"latency_ms":1.5,"error":false}"#,
        #"{"user_id":"u1","request_id":"r1","ts":"2026-01-27T00:00:00Z","items":[]}"#,
        #"{"request_id":"r1","request_id":"r2","user_id":"u1","ts":"2026-01-27T00:00:00Z","items":[]}"#,
        #"{"request_id":"r1","user_id":"u1","ts":"2026-01-27T00:00:00.5+01:00","items":[],"error":true,"latency_ms":2}"#,
        #"{"request_id":"r1","User_ID":"u1","ts":"2026-01-27T00:00:00Z","items":[]}"#,
        #"{"request_id":"r1","user_id":null,"ts":"2026-01-27T00:00:00Z","items":[]}"#,
        #"{"request_id":"r1","user_id":"u1","ts":"2026-01-27T00:00:00Z","items":[],"extra":1}"#,
        #"{"request_id":"r1","user_id":"u1","ts":"2026-13-27T00:00:00Z","items":[]}"#,
        #"{"request_id":"r1","user_id":"u1","items":[]}"#,
        #"{"request_id":"r1","user_id":"u1","ts":"2026-01-27T00:00:00Z","items":[],"context":null}"#,
        #"{"request_id":"r1","user_id":"u1","ts":"2026-01-27T00:00:00Z","items":[],"context":{},"error":true}"#,
        #"{"request_id":"r1","user_id":"u1","ts":"2026-01-27T00:00:00Z","items":[],"latency_ms":1,"latency_ms":2,"error":null}"#,
        #"{"request_id":"r1","user_id":"u1","ts":"2026-01-27T00:00:00Z","items":[],"latency_ms":-1}"#,
        #"{"request_id":"\u0072","user_id":"u1","ts":"2026-01-27T00:00:00Z","items":[]}"#,
        #"{"\u0072equest_id":"r1","user_id":"u1","ts":"2026-01-27T00:00:00Z","items":[]}"#,
    ]
    static let outcomes: [String] = [
        #"{"request_id":"r1","user_id":"u1","item_id":"i1","event_type":"click","ts":"2026-01-27T00:00:16Z"}"#,
        #"{"request_id":"r1","user_id":"u1","item_id":"i1","event_type":"conversion","value":7.2,"ts":"2026-01-27T00:00:16Z"}"#,
        #"{"ts":"2026-01-27T00:00:16Z","event_type":"click","item_id":"i1","user_id":"u1","request_id":"r1"}"#,
        #"{"request_id":"r1","user_id":"u1","item_id":"i1","event_type":"Click","ts":"2026-01-27T00:00:16Z"}"#,
        #"{"request_id":"r1","user_id":"u1","item_id":"i1","event_type":"view","ts":"2026-01-27T00:00:16Z"}"#,
        #"{"request_id":"r1","user_id":"u1","item_id":"i1","event_type":"click","value":null,"ts":"2026-01-27T00:00:16Z"}"#,
        #"{"request_id":"r1","user_id":"u1","item_id":"i1","event_type":"click"}"#,
        #"{"request_id":"r1","user_id":"u1","item_id":"i1","event_type":"click","ts":"2026-01-27T00:00:16Z","value":1}"#,
        #"{"request_id":"r1","user_id":"u1","item_id":"i1","ts":"2026-01-27T00:00:16Z","event_type":"click"}"#,
    ]
    static let assignments: [String] = [
        #"{"request_id":"r1","user_id":"u1","experiment_id":"e","variant":"v","ts":"2026-01-27T00:00:00Z"}"#,
        #"{"experiment_id":"e","variant":"v","request_id":"r1","user_id":"u1","ts":"2026-01-27T00:00:00Z"}"#,
        #"{"request_id":"r1","user_id":"u1","experiment_id":"e","variant":"","ts":"2026-01-27T00:00:00Z"}"#,
        #"{"request_id":"r1","user_id":"u1","experiment_id":"e","variant":"v","ts":"2026-01-27T00:00:00Z","context":{"k":"v"}}"#,
        #"{"request_id":"r1","user_id":"u1","experiment_id":"e","Variant":"v","ts":"2026-01-27T00:00:00Z"}"#,
        #"{"request_id":"r1","user_id":"u1","experiment_id":"e","variant":"v","ts":"2026-01-27T00:00:00Z","bucket":3}"#,
        #"{"request_id":"r1","user_id":"u1","experiment_id":"e","ts":"2026-01-27T00:00:00Z","variant":"v"}"#,
        #"{"request_id":"r1","user_id":"u1","variant":"v","experiment_id":"e","ts":"2026-01-27T00:00:00Z"}"#,
    ]

    /// The line with a space after `{` and after every `,` outside strings.
    static func spaced(_ line: String) -> String {
        var out = ""
        var inString = false
        var escaped = false
        for ch in line {
            out.append(ch)
            if inString {
                if escaped { escaped = false } else if ch == "\\" { escaped = true } else if ch == "\"" { inString = false }
            } else if ch == "\"" {
                inString = true
            } else if ch == "{" || ch == "," {
                out.append(" ")
            }
        }
        return out
    }

    static func read(_ line: String, _ table: TableKind, _ contract: IngestContract, parser: inout RecordParser) -> String {
        parser.contract = contract
        return Support.withCursor(line) { c in
            do throws(RowError) {
                switch table {
                case .exposures: try parser.parseExposure(&c)
                case .outcomes: try parser.parseOutcome(&c)
                case .assignments: try parser.parseAssignment(&c)
                }
            } catch {
                return "error \(error.field): \(Support.withoutColumn(error.reason))"
            }
            func text(_ r: ByteRef?) -> String { r.map { String(decoding: $0.buffer, as: UTF8.self) } ?? "nil" }
            let ts = parser.ts.map { "\($0.micros)/\($0.nanos)/\($0.offsetMinutes)" } ?? "nil"
            var fields = [
                text(parser.request), text(parser.user), ts, "\(parser.items.count)", "\(parser.contextPresent)",
                parser.context.map { text($0.0) + "=" + text($0.1) }.joined(separator: ","), "\(String(describing: parser.latency))",
                "\(String(describing: parser.error))", text(parser.item), text(parser.eventType), "\(String(describing: parser.value))",
                text(parser.experiment), text(parser.variant),
            ]
            for r in RuntimeReading.allCases where parser.readings.contains(r) {
                fields.append("\(r) \(parser.readings.fields[r.rawValue])")
            }
            return fields.joined(separator: " | ")
        }
    }

    @Test(arguments: IngestContract.allCases)
    func expectedAndGeneralKeysAgree(contract: IngestContract) {
        for (table, lines) in [(TableKind.exposures, Self.exposures), (.outcomes, Self.outcomes), (.assignments, Self.assignments)] {
            var parser = RecordParser()
            for line in lines {
                let fast = Self.read(line, table, contract, parser: &parser)
                let general = Self.read(Self.spaced(line), table, contract, parser: &parser)
                #expect(fast == general, "\(contract) \(table) \(line)")
            }
        }
    }

    /// A `ts` equal to the last one parsed is taken from the parser's memory of it; every other
    /// one is parsed. Texts of the remembered lengths that differ in any one byte, in a run, must
    /// each read as `Timestamp.parse` reads them.
    @Test func timestampsReadAsParsed() throws {
        var texts = ["2026-01-27T00:00:00Z", "2026-01-27T00:00:00Z", "2026-01-27T00:00:01Z", "2026-01-27T00:00:00.123Z"]
        texts += ["2026-01-27T00:00:00+01:00", "2026-01-27T00:00:00-01:00", "2026-01-27T00:00:00.123456789Z", "2026-01-27T00:00:00Z"]
        let base = Array("2026-01-27T10:20:30.456Z".utf8)
        for i in base.indices where base[i] >= 0x30 && base[i] <= 0x38 {
            var b = base
            b[i] += 1
            texts.append(String(decoding: b, as: UTF8.self))
            texts.append(String(decoding: base, as: UTF8.self))
        }
        var parser = RecordParser()
        for t in texts {
            let line = #"{"request_id":"r","user_id":"u","ts":""# + t + #"","items":[]}"#
            let got = Self.read(line, .exposures, .strict, parser: &parser)
            let expected: String
            switch Array(t.utf8).withUnsafeBytes({ Timestamp.parse($0) }) {
            case .success(let v): expected = "\(v.micros)/\(v.nanos)/\(v.offsetMinutes)"
            case .failure: expected = "error"
            }
            #expect(got.split(separator: " | ").dropFirst(2).first.map(String.init) == expected || got.hasPrefix("error"), "\(t): \(got)")
            #expect(got.hasPrefix("error") == (expected == "error"), "\(t)")
        }
    }
}

/// A worker parses each line as it runs to the end of its chunk, trusting the parse to stop at
/// the line's feed (no pass finds line ends first), and parses a failing line again on its own
/// (`IngestJob.parseChunk`). Lines that would read on into the next one if a feed were
/// whitespace, or that end inside a string, number, literal or object, must each be accepted or
/// rejected exactly as the line alone is, with the same reason, and never take the next line.
@Suite struct OnePassFramingTests {
    static let good = #"{"request_id":"r1","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[{"item_id":"a","rank":1}]}"#
    static let lines = [
        good,
        #"{"request_id":"r2","user_id":"u","#,  // the object goes on in the next line
        #""ts":"2026-01-27T00:00:00Z","items":[]}"#,
        #"{"request_id":"r3","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[{"item_id":"a","rank":1}]"#,  // no closing brace
        good + "   \r",  // trailing blanks and CRLF
        #"{"request_id":"r4","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[],"latency_ms":12"#,  // ends in a number
        #"{"request_id":"r5","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[],"error":tru"#,  // ends in a literal
        #"{"request_id":"r6","user_id":"unterminated"#,  // ends inside a string
        #"{"request_id":"r7","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[],"context":{"k":"v""#,
        "   ",
        good + " x",
        #"{"request_id":"r8","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[{"item_id":"a","rank":1,"propensity":0.5"#,
        "null",
        #"{"request_id":"r9","user_id":"#,  // a value goes on in the next line
        #""u","ts":"2026-01-27T00:00:00Z","items":[]}"#,
        #"{"request_id":"r10","user_id":"u","ts":"2026-01-27T00:00:00Z","items":["#,  // an array goes on
        #"{"item_id":"a","rank":1}]}"#,
        #"{"request_id":"r11","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[{"item_id":"a","rank":1}"#,
        "]}",
        good,
    ]

    static func alone(_ line: String, _ contract: IngestContract) -> String {
        var parser = RecordParser()
        parser.contract = contract
        var text = line
        if text.hasSuffix("\r") { text.removeLast() }
        if text.allSatisfy({ $0 == " " }) { return "blank" }
        return Support.withCursor(text) { c in
            do throws(RowError) {
                try parser.parseExposure(&c)
                return "ok " + String(decoding: parser.request!.buffer, as: UTF8.self)
            } catch {
                return "error \(error.field): \(error.reason)"
            }
        }
    }

    @Test(arguments: IngestContract.allCases)
    func eachLineParsesAsItsOwn(contract: IngestContract) {
        // Every line in every position (the lines rotated), the last one with and without its
        // feed: a line that would run on must also be caught where the chunk ends after the next.
        for shift in Self.lines.indices {
            for ending in ["\n", ""] {
                check(Array(Self.lines[shift...] + Self.lines[..<shift]), ending: ending)
            }
        }
        func check(_ lines: [String], ending: String) {
            let bytes = Array((lines.joined(separator: "\n") + ending).utf8)
            let worker = WorkerState(contract: contract)
            let chunk = LineChunk(bytes: bytes, table: .exposures, pieces: [LineChunk.Piece(source: 0, start: 0)])
            let r = IngestJob.parseChunk(chunk, worker: worker, partitions: 1)
            var got: [String] = Array(repeating: "ok", count: lines.count)
            for rej in r.rejects { got[rej.line] = "error \(rej.error.field): \(rej.error.reason)" }
            var expected = lines.map { Self.alone($0, contract) }
            for (i, e) in expected.enumerated() where e.hasPrefix("ok") { expected[i] = "ok" }
            let blanks = expected.filter { $0 == "blank" }.count
            for (i, e) in expected.enumerated() where e == "blank" { expected[i] = "ok" }
            #expect(got == expected, "\(contract) ending \(ending.debugDescription)")
            #expect(r.pieceLines == [lines.count])
            #expect(r.blank == blanks && r.read == lines.count - blanks)
            #expect(r.written == r.read - r.rejects.count)
            for rej in r.rejects { #expect(!rej.raw.contains(0x0A) && rej.raw.last != 0x0D) }
        }
    }
}
