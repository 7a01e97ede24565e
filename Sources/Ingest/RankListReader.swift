import ColumnarStorage

/// One `ranklist.v1` record: a ranker's list for a request (recsys-eval's interleaving input).
public struct RankList: Sendable, Equatable {
    public var requestID: String
    public var userID: String
    public var items: [String]

    public init(requestID: String, userID: String, items: [String]) {
        self.requestID = requestID
        self.userID = userID
        self.items = items
    }
}

/// One outcome as interleaving reads it: which item of which request, and the event.
public struct InterleavingOutcome: Sendable, Equatable {
    public var requestID: String
    public var itemID: String
    public var eventType: String

    public init(requestID: String, itemID: String, eventType: String) {
        self.requestID = requestID
        self.itemID = itemID
        self.eventType = eventType
    }
}

/// The lines of one interleaving input that the runtime contract read the runtime's way, by
/// kind, each with its first line and field (as ingest counts them per table).
public struct InputReadings: Sendable, Equatable {
    public struct Kind: Sendable, Equatable {
        public var reading: RuntimeReading
        public var lines: Int
        public var firstLine: Int
        public var firstField: String
    }

    public private(set) var kinds: [Kind] = []

    public init() {}

    init(_ t: ReadingTally) {
        for r in RuntimeReading.allCases where t.rows[r.rawValue] > 0 {
            let f = t.first[r.rawValue]!
            kinds.append(Kind(reading: r, lines: t.rows[r.rawValue], firstLine: f.line, firstField: f.field))
        }
    }
}

/// An input line that could not be read, with its file, 1-based line and field.
public struct RankListError: Error, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var error: RowError

    public var description: String {
        "\(path):\(line): " + (error.field.isEmpty ? "" : "field \(error.field): ") + error.reason
    }
}

enum RankListMember: RecordMember {
    case requestID, userID, ts, items, context

    var name: StaticString {
        switch self {
        case .requestID: "request_id"
        case .userID: "user_id"
        case .ts: "ts"
        case .items: "items"
        case .context: "context"
        }
    }
}

/// Reads recsys-eval's interleaving inputs (plain, gzip or zstd JSONL): rank lists
/// (`ranklist.v1`: request_id, user_id, ts, items as strings, optional context) and outcomes
/// (`outcome.v1`), under an `IngestContract`: the schemas' rules, or what recsys-eval's runtime
/// reads (member names in any letter case, unknown members and nulls ignored, missing or empty
/// strings as `""`, a missing `ts` or `items` as zero time or an empty list, any event type).
/// They are small next to exposure logs (one list per request and ranker) and are held in
/// memory, as recsys-eval does. The first line the contract rejects stops the read with its
/// file, line and field (recsys-eval stops at the first line it cannot decode); blank lines are
/// skipped.
public enum RankListReader {
    /// The rank lists of `path`, and the lines the runtime contract read the runtime's way.
    public static func readRankLists(path: String, contract: IngestContract = .strict) throws -> (
        lists: [RankList], readings: InputReadings
    ) {
        var out: [RankList] = []
        var tally = ReadingTally()
        let lenient = contract == .recsysEvalRuntime
        // One parser for every line (reset per line), not a fresh one and its buffers per line.
        var p = RecordParser()
        p.contract = contract
        try lines(path) { c, line throws(RowError) in
            defer { if !p.readings.isEmpty { tally.add(p.readings, piece: 0, line: line) } }
            var request: String?
            var user: String?
            var ts = false
            var items: [String]?
            p.reset()
            if try !p.nullRecord(&c) {
                try c.expect(UInt8(ascii: "{"), "", "a JSON object")
                if !c.consumeIf(UInt8(ascii: "}")) {
                    repeat {
                        let key = try c.string("")
                        try c.expect(UInt8(ascii: ":"), "", "':' after a key")
                        let member: RankListMember
                        if key.equals("request_id") {
                            member = .requestID
                        } else if key.equals("user_id") {
                            member = .userID
                        } else if key.equals("ts") {
                            member = .ts
                        } else if key.equals("items") {
                            member = .items
                        } else if key.equals("context") {
                            member = .context
                        } else {
                            guard
                                let m: RankListMember = try p.otherMember(
                                    key, &c, allows: "ranklist.v1 allows request_id, user_id, ts, items, context")
                            else { continue }
                            member = m
                        }
                        if p.skippedNull(&c, String(describing: member.name)) {
                            if member == .items { items = nil }
                            continue
                        }
                        switch member {
                        case .requestID: request = String(decoding: try c.string("request_id").buffer, as: UTF8.self)
                        case .userID: user = String(decoding: try c.string("user_id").buffer, as: UTF8.self)
                        case .ts:
                            _ = try p.timestamp(&c, "ts")
                            ts = true
                        case .items:
                            var list: [String] = []
                            try c.expect(UInt8(ascii: "["), "items", "an array of item ids")
                            if !c.consumeIf(UInt8(ascii: "]")) {
                                repeat {
                                    if p.skippedNull(&c, "items[\(list.count)]") {
                                        list.append("")
                                        continue
                                    }
                                    let s = try c.string("items[\(list.count)]")
                                    if s.count == 0 {
                                        guard lenient else {
                                            throw RowError(field: "items[\(list.count)]", reason: "must be a non-empty string")
                                        }
                                        p.readings.note(.emptyString, "items[\(list.count)]")
                                    }
                                    list.append(String(decoding: s.buffer, as: UTF8.self))
                                } while try c.nextMember(close: UInt8(ascii: "]"), "items")
                            }
                            items = list
                        case .context: try p.parseContext(&c, "context")
                        }
                    } while try c.nextMember(close: UInt8(ascii: "}"), "")
                }
                try c.expectEnd()
            }
            if lenient {
                // Counted as ingest counts them for exposures.
                if (request ?? "").isEmpty { p.readings.note(.emptyString, "request_id") }
                if (user ?? "").isEmpty { p.readings.note(.emptyString, "user_id") }
                if !ts { p.readings.note(.missingTimestamp, "ts") }
                if items == nil { p.readings.note(.missingItems, "items") }
            } else {
                guard let request else { throw RecordParser.missing("request_id") }
                guard !request.isEmpty else { throw RowError(field: "request_id", reason: "must be a non-empty string") }
                guard let user else { throw RecordParser.missing("user_id") }
                guard !user.isEmpty else { throw RowError(field: "user_id", reason: "must be a non-empty string") }
                guard ts else { throw RecordParser.missing("ts") }
                guard items != nil else { throw RecordParser.missing("items") }
            }
            out.append(RankList(requestID: request ?? "", userID: user ?? "", items: items ?? []))
        }
        return (out, InputReadings(tally))
    }

    /// The outcomes of `path`, and the lines the runtime contract read the runtime's way.
    public static func readOutcomes(path: String, contract: IngestContract = .strict) throws -> (
        outcomes: [InterleavingOutcome], readings: InputReadings
    ) {
        var out: [InterleavingOutcome] = []
        var tally = ReadingTally()
        var p = RecordParser()
        p.contract = contract
        try lines(path) { c, line throws(RowError) in
            try p.parseOutcome(&c)  // resets the parser first
            if !p.readings.isEmpty { tally.add(p.readings, piece: 0, line: line) }
            out.append(
                InterleavingOutcome(
                    requestID: String(decoding: p.request!.buffer, as: UTF8.self), itemID: String(decoding: p.item!.buffer, as: UTF8.self),
                    eventType: String(decoding: p.eventType!.buffer, as: UTF8.self)))
        }
        return (out, InputReadings(tally))
    }

    /// Calls `body` with a cursor over each non-blank line (a trailing `\r` removed).
    static func lines(_ path: String, _ body: (inout JSONCursor, Int) throws(RowError) -> Void) throws {
        let source = try InputSource(path: path)
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { break }
            data += chunk[0..<n]
        }
        var start = 0
        var line = 0
        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: max(data.count, 1))
        defer { scratch.deallocate() }
        try data.withUnsafeBufferPointer { buf throws in
            while start < buf.count {
                line += 1
                var end = start
                while end < buf.count && buf[end] != UInt8(ascii: "\n") { end += 1 }
                var stop = end
                if stop > start && buf[stop - 1] == UInt8(ascii: "\r") { stop -= 1 }
                if stop > start {
                    var c = JSONCursor(base: buf.baseAddress! + start, count: stop - start, scratch: scratch)
                    do throws(RowError) {
                        try body(&c, line)
                    } catch {
                        throw RankListError(path: path, line: line, error: error)
                    }
                }
                start = end + 1
            }
        }
    }
}
