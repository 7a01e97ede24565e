import Testing

@testable import Ingest

/// A context object found in the memo (`ContextObjectMemo`) must give exactly what reading it
/// gives: the same pairs, in order, with the same codes, the same count and presence, the same
/// errors and notes. Lines are parsed and appended by two parsers, one remembering objects and
/// one not, each with its own dictionaries, and compared line by line as strings; the objects
/// include the ones the memo must never take for another (a `}` inside a string, escapes,
/// whitespace, nulls, duplicate keys and members, too many pairs, too many bytes).
@Suite struct ContextObjectMemoTests {
    struct Outcome: Equatable {
        var error: String?
        var present: UInt8 = 0
        var pairs: [String] = []
        var readings: [String] = []
    }

    static let hostile = [
        #"{"tenant_id":"t1","surface":"email"}"#,
        #"{"tenant_id":"t1","surface":"emails"}"#,
        #"{"a":"x}y","b":"z"}"#,
        #"{"a":"x}"}"#,
        #"{"a":"x}","b":"x}"}"#,
        #"{"a":"b" }"#,
        #"{ "a":"b"}"#,
        #"{"a" : "b"}"#,
        #"{"a":"\u0041}"}"#,
        #"{"a":"\u0041"}"#,
        #"{"a":null}"#,
        #"{"a":"b","a":"c"}"#,
        #"{"a":"b","c":"d","a":"e"}"#,
        #"{}"#,
        #"{ }"#,
        #"{"k1":"v","k2":"v","k3":"v","k4":"v","k5":"v","k6":"v","k7":"v","k8":"v","k9":"v"}"#,
        #"{"k1":"v","k2":"v","k3":"v","k4":"v","k5":"v","k6":"v","k7":"v","k8":"v"}"#,
        "{\"long\":\"" + String(repeating: "x", count: 130) + "\"}",
        "{\"edge\":\"" + String(repeating: "y", count: 128 - 12) + "\"}",
        #"{"a":1}"#,
        #"{"a":"b"#,
        #"{"a":"b"}}"#,
        #"{"a":"caf\u00e9"}"#,
        "{\"a\":\"caf\u{e9}\"}",
    ]

    /// A line per table holding `contexts` as its `context` members, in order (`nil`: `null`).
    static func line(_ table: TableKind, _ contexts: [String?]) -> String {
        let members = contexts.map { ",\"context\":\($0 ?? "null")" }.joined()
        switch table {
        case .assignments:
            return #"{"experiment_id":"e","variant":"v","request_id":"r","user_id":"u","ts":"2026-01-27T00:00:00Z""# + members + "}"
        default:
            return #"{"request_id":"r","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[]"# + members + "}"
        }
    }

    /// Parses and appends `lines` with one parser (its memo on or off), line by line.
    static func run(_ lines: [String], _ table: TableKind, _ contract: IngestContract, memo: Bool) -> (outcomes: [Outcome], hits: Int) {
        var parser = RecordParser()
        parser.contract = contract
        parser.contextObjects.enabled = memo
        var d = WorkerInterners()
        var hits = 0
        var outcomes: [Outcome] = []
        for text in lines {
            let o = Support.withCursor(text) { c -> Outcome in
                var o = Outcome()
                do throws(RowError) {
                    switch table {
                    case .assignments: try parser.parseAssignment(&c)
                    default: try parser.parseExposure(&c)
                    }
                } catch {
                    o.error = "\(error.field): \(error.reason)"
                    return o
                }
                if parser.contextHit != nil { hits += 1 }
                for r in RuntimeReading.allCases where parser.readings.contains(r) {
                    o.readings.append("\(r) \(parser.readings.fields[r.rawValue])")
                }
                let keys: [Int32]
                let values: [Int32]
                let count: Int32
                switch table {
                case .assignments:
                    var b = AssignmentBatch()
                    var rows: [AssignmentBatch.Row] = []
                    parser.append(to: &b, rows: &rows, &d)
                    b.appendRows(rows)
                    (keys, values, count, o.present) = (b.contextKey, b.contextValue, b.contextCount[0], b.contextPresent[0])
                default:
                    var b = ExposureBatch()
                    var rows: [ExposureBatch.Row] = []
                    parser.append(to: &b, rows: &rows, &d)
                    b.appendRows(rows)
                    (keys, values, count, o.present) = (b.contextKey, b.contextValue, b.contextCount[0], b.contextPresent[0])
                }
                #expect(Int(count) == keys.count)
                o.pairs = zip(keys, values).map { k, v in
                    String(decoding: d.contextKey.key(Int(k)), as: UTF8.self) + "="
                        + String(decoding: d.contextValue.key(Int(v)), as: UTF8.self)
                }
                return o
            }
            outcomes.append(o)
        }
        return (outcomes, hits)
    }

    static func compare(_ lines: [String], _ table: TableKind, _ contract: IngestContract) -> Int {
        let remembered = run(lines, table, contract, memo: true)
        let read = run(lines, table, contract, memo: false)
        #expect(read.hits == 0)
        for (i, (a, b)) in zip(remembered.outcomes, read.outcomes).enumerated() where a != b {
            Issue.record("line \(i + 1) \(lines[i]): remembered \(a), read \(b)")
            break
        }
        return remembered.hits
    }

    @Test(arguments: IngestContract.allCases, [TableKind.exposures, .assignments])
    func rememberedObjectsReadAsTheyParse(contract: IngestContract, table: TableKind) {
        var seed: UInt64 = 11
        func next(_ n: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(n))
        }
        var lines: [String] = []
        for _ in 0..<6000 {
            // Mostly one member, sometimes two (merged or replaced) or a null one.
            var contexts: [String?] = [Self.hostile[next(Self.hostile.count)]]
            switch next(8) {
            case 0: contexts.append(Self.hostile[next(Self.hostile.count)])
            case 1: contexts.append(nil)
            case 2: contexts.insert(nil, at: 0)
            default: break
            }
            lines.append(Self.line(table, contexts))
        }
        let hits = Self.compare(lines, table, contract)
        #expect(hits > 1000, "the memo must be exercised")
    }

    /// Many distinct plain objects: slots are replaced, and objects one byte apart (a value's
    /// last letter, a key's) must never be taken for each other.
    @Test(arguments: IngestContract.allCases)
    func replacedSlotsAndNearTwins(contract: IngestContract) {
        var seed: UInt64 = 3
        func next(_ n: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(n))
        }
        let values = ["a", "b", "ab", "ba", "en-US", "en-UT", "de-DE", "ios", "iot", ""]
        var lines: [String] = []
        for _ in 0..<20000 {
            let pairs = (0..<(1 + next(4))).map { i in "\"k\(i)\(next(2) == 0 ? "" : "x")\":\"\(values[next(values.count)])\"" }
            lines.append(Self.line(.exposures, ["{" + pairs.joined(separator: ",") + "}"]))
        }
        let hits = Self.compare(lines, .exposures, contract)
        #expect(hits > 5000, "the memo must be exercised")
    }

    /// A slot holds only its own bytes: an object that differs from it in any one byte (or in
    /// length) is not found there, whatever slot the hash would give it.
    @Test func aSlotHoldsOnlyItsBytes() {
        var memo = ContextObjectMemo()
        memo.enabled = true
        for n in [3, 7, 8, 9, 16, 17, 31, 64, ContextObjectMemo.maxBytes] {
            let object = (0..<n).map { UInt8(0x41 + ($0 * 7) % 26) }
            object.withUnsafeBufferPointer { a in
                let before = memo.holds(5, a.baseAddress!, n)
                #expect(!before)
                memo.store(5, a.baseAddress!, n, keys: [1, 2], values: [3, 4])
                let after = memo.holds(5, a.baseAddress!, n)
                #expect(after && memo.pairCount(5) == 2)
                let shorter = memo.holds(5, a.baseAddress!, n - 1)
                #expect(!shorter)
            }
            for i in 0..<n {
                var twin = object
                twin[i] ^= 0x01
                let found = twin.withUnsafeBufferPointer { b in memo.holds(5, b.baseAddress!, n) }
                #expect(!found, "byte \(i) of \(n)")
            }
            var keys: [Int32] = [9]
            var values: [Int32] = [9]
            memo.appendCodes(5, to: &keys, &values)
            #expect(keys == [9, 1, 2] && values == [9, 3, 4])
        }
    }

    /// Objects that never repeat: the memo stops looking after a window and stays correct.
    @Test func unrepeatedObjectsTurnTheMemoOff() {
        let lines = (0..<(2 * ContextObjectMemo.window)).map { Self.line(.exposures, ["{\"session\":\"s\($0)\"}"]) }
        #expect(Self.compare(lines, .exposures, .strict) == 0)
        var parser = RecordParser()
        parser.contextObjects.enabled = true
        var d = WorkerInterners()
        for text in lines {
            Support.withCursor(text) { c in
                try? parser.parseExposure(&c)
                var b = ExposureBatch()
                var rows: [ExposureBatch.Row] = []
                parser.append(to: &b, rows: &rows, &d)
            }
        }
        #expect(!parser.contextObjects.enabled)
    }
}
