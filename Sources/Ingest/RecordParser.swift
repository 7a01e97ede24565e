import ColumnarFormat

/// The tables of a dataset, in storage order.
public enum TableKind: Int, Sendable, CaseIterable, CustomStringConvertible {
    case exposures = 0
    case outcomes = 1
    case assignments = 2

    public var description: String {
        switch self {
        case .exposures: "exposures"
        case .outcomes: "outcomes"
        case .assignments: "assignments"
        }
    }

    /// The recsys-eval contract a line of this table is validated against.
    public var schemaName: String {
        switch self {
        case .exposures: "exposure.v1"
        case .outcomes: "outcome.v1"
        case .assignments: "assignment.v1"
        }
    }
}

/// The string dictionaries one worker fills while parsing; merged into sorted, dataset-wide
/// dictionaries once all input is read.
struct WorkerInterners {
    var user = StringInterner(capacity: 1 << 14)
    var item = StringInterner(capacity: 1 << 14)
    var contextKey = StringInterner()
    var contextValue = StringInterner()
    var eventType = StringInterner()
    var experiment = StringInterner()
    var variant = StringInterner()

    /// The context pairs of recent lines, by position: log lines repeat them (a handful of keys
    /// in the same order, values from short lists), and comparing a short key or value with the
    /// ones met at the same position is cheaper than hashing and probing. Per position: the last
    /// key, and the last `memoWays` distinct values (replaced oldest first), with their codes.
    private var contextMemo: [ContextMemo] = []
    /// `memoWays` values per position (`contextMemo` order), and their codes.
    private var valueMemo: [ShortString] = []
    private var valueMemoCodes: [Int32] = []

    /// Values remembered per position: the generated logs' context keys have 3 to 8 values.
    static let memoWays = 8

    struct ContextMemo {
        var key: ShortString
        var keyCode: Int32
        /// Values remembered (at most `memoWays`), and the slot the next new one takes.
        var filled: Int
        var next: Int
    }

    /// A string of at most 16 bytes as its length and two zero-padded words (`prefix`), equal
    /// iff the strings are; longer strings have no `ShortString`.
    struct ShortString: Equatable {
        var length: Int
        var k0: UInt64
        var k1: UInt64

        @inline(__always)
        init?(_ r: ByteRef) {
            guard r.count <= 16 else { return nil }
            length = r.count
            (k0, k1) = StringInterner.prefix(UnsafeRawPointer(r.start), r.count)
        }
    }

    /// The codes of context pair `i` of a line, `k: v`.
    @inline(__always)
    mutating func contextCodes(_ k: ByteRef, _ v: ByteRef, at i: Int) -> (key: Int32, value: Int32) {
        guard let ks = ShortString(k), let vs = ShortString(v) else {
            return (contextKey.intern(k.buffer), contextValue.intern(v.buffer))
        }
        if i < contextMemo.count {
            var m = contextMemo[i]
            var keyCode = m.keyCode
            if m.key != ks {
                keyCode = contextKey.intern(k.buffer)
                m.key = ks
                m.keyCode = keyCode
            }
            // Value codes do not depend on the key (one dictionary for all values), so the
            // values remembered at a position stay valid when its key changes.
            let base = i * Self.memoWays
            for w in 0..<m.filled where valueMemo[base + w] == vs {
                if m.key != contextMemo[i].key { contextMemo[i] = m }
                return (keyCode, valueMemoCodes[base + w])
            }
            let valueCode = contextValue.intern(v.buffer)
            valueMemo[base + m.next] = vs
            valueMemoCodes[base + m.next] = valueCode
            m.filled = min(m.filled + 1, Self.memoWays)
            m.next = (m.next + 1) % Self.memoWays
            contextMemo[i] = m
            return (keyCode, valueCode)
        }
        let codes = (key: contextKey.intern(k.buffer), value: contextValue.intern(v.buffer))
        if i == contextMemo.count {
            contextMemo.append(ContextMemo(key: ks, keyCode: codes.key, filled: 1, next: 1))
            valueMemo += [ShortString](repeating: vs, count: Self.memoWays)
            valueMemoCodes += [Int32](repeating: codes.value, count: Self.memoWays)
        }
        return codes
    }

    /// Bytes held by the seven dictionaries (they grow with distinct users and items).
    var byteSize: Int {
        user.byteSize + item.byteSize + contextKey.byteSize + contextValue.byteSize + eventType.byteSize + experiment.byteSize
            + variant.byteSize
    }
}

/// A timestamp text of 17 to 24 bytes as its length and its words at 0, 8 and length - 8,
/// which between them hold every byte: equal keys are equal texts.
struct TimestampKey: Equatable {
    var length: Int
    var first: UInt64
    var middle: UInt64
    var last: UInt64
}

struct ItemFields {
    var id: ByteRef?
    /// `StringInterner.hash(of:)` of the id, taken as the item is read.
    var hash: UInt64 = 0
    var rank: Int64?
    var propensity: Double?
    var logging: Double?
    var target: Double?
    var extraStart = 0
    var extraEnd = -1
}

/// The members of a record type, by their JSON names, for matching names that differ in letter
/// case under the runtime contract.
protocol RecordMember: CaseIterable {
    var name: StaticString { get }
}

/// Record members in the order writers usually keep (the schema's).
protocol OrderedMember: RecordMember {
    /// The member's key as it is usually written: quoted, with the colon, no whitespace.
    var key: StaticString { get }
    /// The member that usually follows this one (the schema's order, which writers keep), the
    /// first one for `nil`: its key is tried by word compares before a key is read as a string.
    static func following(_ m: Self?) -> Self?
}

extension JSONCursor {
    /// The next member of an object: `expected` when the next bytes are exactly its usual key
    /// (word compares, no string read), otherwise nil with the cursor unmoved, and the caller
    /// reads the key the general way (escapes, whitespace, another order, letter case).
    @inline(__always)
    mutating func expectedMember<M: OrderedMember>(_ expected: M?) -> M? {
        guard let m = expected, matchLiteral(m.key) else { return nil }
        return m
    }
}

enum ExposureMember: OrderedMember {
    case requestID, userID, ts, items, context, latency, error

    var name: StaticString {
        switch self {
        case .requestID: "request_id"
        case .userID: "user_id"
        case .ts: "ts"
        case .items: "items"
        case .context: "context"
        case .latency: "latency_ms"
        case .error: "error"
        }
    }

    var key: StaticString {
        switch self {
        case .requestID: #""request_id":"#
        case .userID: #""user_id":"#
        case .ts: #""ts":"#
        case .items: #""items":"#
        case .context: #""context":"#
        case .latency: #""latency_ms":"#
        case .error: #""error":"#
        }
    }

    static func following(_ m: Self?) -> Self? {
        switch m {
        case nil: .requestID
        case .requestID: .userID
        case .userID: .ts
        case .ts: .items
        case .items: .context
        case .context: .latency
        case .latency: .error
        case .error: nil
        }
    }
}

enum ItemMember: RecordMember {
    case itemID, rank, propensity, logging, target

    var name: StaticString {
        switch self {
        case .itemID: "item_id"
        case .rank: "rank"
        case .propensity: "propensity"
        case .logging: "logging_propensity"
        case .target: "target_propensity"
        }
    }
}

enum OutcomeMember: OrderedMember {
    case requestID, userID, itemID, eventType, value, ts

    var name: StaticString {
        switch self {
        case .requestID: "request_id"
        case .userID: "user_id"
        case .itemID: "item_id"
        case .eventType: "event_type"
        case .value: "value"
        case .ts: "ts"
        }
    }

    var key: StaticString {
        switch self {
        case .requestID: #""request_id":"#
        case .userID: #""user_id":"#
        case .itemID: #""item_id":"#
        case .eventType: #""event_type":"#
        case .value: #""value":"#
        case .ts: #""ts":"#
        }
    }

    /// After `event_type`, `ts` (clicks carry no value); after `value`, `ts` too.
    static func following(_ m: Self?) -> Self? {
        switch m {
        case nil: .requestID
        case .requestID: .userID
        case .userID: .itemID
        case .itemID: .eventType
        case .eventType: .ts
        case .value: .ts
        case .ts: nil
        }
    }
}

enum AssignmentMember: OrderedMember {
    case experimentID, variant, requestID, userID, ts, context

    var name: StaticString {
        switch self {
        case .experimentID: "experiment_id"
        case .variant: "variant"
        case .requestID: "request_id"
        case .userID: "user_id"
        case .ts: "ts"
        case .context: "context"
        }
    }

    var key: StaticString {
        switch self {
        case .experimentID: #""experiment_id":"#
        case .variant: #""variant":"#
        case .requestID: #""request_id":"#
        case .userID: #""user_id":"#
        case .ts: #""ts":"#
        case .context: #""context":"#
        }
    }

    /// recsys-eval's logs write request_id, user_id, experiment_id, variant, ts.
    static func following(_ m: Self?) -> Self? {
        switch m {
        case nil: .requestID
        case .requestID: .userID
        case .userID: .experimentID
        case .experimentID: .variant
        case .variant: .ts
        case .ts: .context
        case .context: nil
        }
    }
}

/// Reads one JSONL line as exposure.v1, outcome.v1 or assignment.v1 under an `IngestContract`,
/// and holds the fields of the last line read until they are appended to a batch.
///
/// Strict: the rules of recsys-eval's JSON Schemas (required fields, types, `rank >= 1`,
/// propensities and latency `>= 0`, RFC 3339 `ts`, string-valued contexts, no unknown top-level
/// fields); a line that breaks one throws its field and reason. Runtime: what recsys-eval's Go
/// decoder reads (`IngestContract.recsysEvalRuntime`); each departure from the schema is noted
/// in `readings`. Duplicate keys follow the usual JSON decoders (and Go's): the last one wins.
struct RecordParser {
    var contract: IngestContract = .strict
    /// What the runtime contract read differently from the schema in the current line.
    var readings = LineReadings()

    // Fields of the current line; refs point into the line or the cursor's scratch.
    var request: ByteRef?
    var user: ByteRef?
    var ts: Timestamp?
    var hasItems = false
    /// The line's items, in order, as columns (buffers reused line after line).
    let items = LineItems()
    /// The items' dictionary codes as `append` stages them for one bulk append.
    let itemCodes = ScratchBuffer<Int32>()
    var contextPresent = false
    var context: [(ByteRef, ByteRef)] = []
    /// Whole context objects met before, with their codes (off unless the owner appends rows).
    var contextObjects = ContextObjectMemo()
    /// The remembered object the line's context is (then `context` stays empty), and where it is.
    var contextHit: (slot: Int, start: UnsafePointer<UInt8>, count: Int)? = nil
    /// The line's context object, to remember once `appendContext` has its codes.
    var contextCandidate: (slot: Int, start: UnsafePointer<UInt8>, count: Int)? = nil
    /// The line's context pairs, read or remembered.
    var contextCount: Int { contextHit.map { contextObjects.pairCount($0.slot) } ?? context.count }
    var latency: Double?
    var error: Bool?
    var item: ByteRef?
    var eventType: ByteRef?
    var value: Double?
    var experiment: ByteRef?
    var variant: ByteRef?
    var extras: [UInt8] = []
    /// The last `ts` text parsed, by its length and the three words that cover it, and its value
    /// (`timestamp`); length 0 matches no text.
    var lastTimestamp = (key: TimestampKey(length: 0, first: 0, middle: 0, last: 0), value: Timestamp.goZero)
    /// The item dictionary the rows will be appended to, when set: an item id's table lines are
    /// asked for as soon as the item is read (its hash is taken then, once, for `append` too), so
    /// that those cache misses overlap the rest of the line's parsing instead of stalling
    /// `append`. A hint only.
    var itemTarget: StringInterner.PrefetchTarget? = nil
    /// The same for the user dictionary: the user id is read early in a line and interned at
    /// its end. `userHash` is the hash of `user` when it was taken as the id was read.
    var userTarget: StringInterner.PrefetchTarget? = nil
    var userHash: UInt64? = nil

    @inline(__always)
    var lenient: Bool { contract == .recsysEvalRuntime }

    mutating func reset() {
        readings.reset()
        request = nil
        user = nil
        userHash = nil
        ts = nil
        hasItems = false
        items.removeAll()
        clearContext()
        latency = nil
        error = nil
        item = nil
        eventType = nil
        value = nil
        experiment = nil
        variant = nil
        extras.removeAll(keepingCapacity: true)
    }

    static func missing(_ f: String) -> RowError { RowError(field: f, reason: "missing required field") }

    func nonEmpty(_ r: ByteRef?, _ f: @autoclosure () -> String) throws(RowError) -> ByteRef {
        guard let r else { throw RecordParser.missing(f()) }
        guard r.count > 0 else { throw RowError(field: f(), reason: "must be a non-empty string") }
        return r
    }

    /// Under the runtime contract, a required string that is missing, null or empty reads as
    /// `""` (noted); under the strict one it is an error.
    mutating func required(_ r: ByteRef?, _ f: @autoclosure () -> String, _ c: borrowing JSONCursor) throws(RowError) -> ByteRef {
        guard lenient else { return try nonEmpty(r, f()) }
        if let r, r.count > 0 { return r }
        readings.note(.emptyString, f())
        return ByteRef(start: c.base, count: 0)
    }

    /// A member whose name is not one of `M`'s exactly: under the runtime contract, the member
    /// whose name matches it ignoring case as Go's decoder does (noted), or nil after skipping an
    /// unknown member's value (noted); under the strict contract an error naming what `allows`.
    mutating func otherMember<M: RecordMember>(_ key: ByteRef, _ c: inout JSONCursor, path: String = "", allows: String) throws(RowError)
        -> M?
    {
        let name = path + String(decoding: key.buffer, as: UTF8.self)
        guard lenient else { throw RowError(field: name, reason: "unknown field (\(allows))") }
        for m in M.allCases where GoCaseFolding.equalFold(key.buffer, m.name) {
            readings.note(.memberNameCase, name)
            return m
        }
        readings.note(.unknownMember, name)
        try c.skipValue(name)
        return nil
    }

    /// The next member of a record: its usual next key by word compares (`expectedMember`),
    /// else the key read as a string and matched to a member's name, else `otherMember`'s
    /// reading (nil: an unknown member, skipped under the runtime contract).
    @inline(__always)
    mutating func readMember<M: OrderedMember>(expected: M?, _ c: inout JSONCursor, allows: @autoclosure () -> String) throws(RowError)
        -> M?
    {
        if let m = c.expectedMember(expected) { return m }
        return try readMemberByName(&c, allows: allows())
    }

    /// `readMember`'s general way: the key read as a string.
    mutating func readMemberByName<M: OrderedMember>(_ c: inout JSONCursor, allows: String) throws(RowError) -> M? {
        let key = try c.string("")
        try c.expect(UInt8(ascii: ":"), "", "':' after a key")
        for m in M.allCases where key.equals(m.name) { return m }
        return try otherMember(key, &c, allows: allows)
    }

    /// Under the runtime contract, consumes a `null` value (noted): the member stays absent.
    @inline(__always)
    mutating func skippedNull(_ c: inout JSONCursor, _ f: @autoclosure () -> String) -> Bool {
        guard lenient, c.null() else { return false }
        readings.note(.nullMember, f())
        return true
    }

    mutating func timestamp(_ c: inout JSONCursor, _ f: String) throws(RowError) -> Timestamp {
        let s = try c.string(f)
        let n = s.count
        // Lines in time order often share their `ts` to the second: a text of 17 to 24 bytes
        // (every UTC second, with up to three fraction digits or an offset) is compared with the
        // last one parsed, as three words that cover it, before it is parsed.
        if n >= 17 && n <= 24 {
            let p = UnsafeRawPointer(s.start)
            let key = TimestampKey(
                length: n, first: p.loadUnaligned(as: UInt64.self), middle: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                last: p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self))
            if key == lastTimestamp.key { return lastTimestamp.value }
            let t = try parsedTimestamp(s, f)
            lastTimestamp = (key, t)
            return t
        }
        return try parsedTimestamp(s, f)
    }

    func parsedTimestamp(_ s: ByteRef, _ f: String) throws(RowError) -> Timestamp {
        switch Timestamp.parse(s.buffer) {
        case .success(let t): return t
        case .failure(let e):
            throw RowError(field: f, reason: e.reason)
        }
    }

    mutating func nonNegative(_ c: inout JSONCursor, _ f: @autoclosure () -> String) throws(RowError) -> Double {
        let n = try c.number(f())
        guard n.double >= 0 else { throw RowError(field: f(), reason: "must be >= 0, got \(n.double)") }
        return n.double
    }

    /// A propensity: `>= 0` under the schemas; any number under the runtime contract, where a
    /// negative one is counted (recsys-eval's runtime reads it, and its OPE uses it).
    mutating func propensity(_ c: inout JSONCursor, _ f: @autoclosure () -> String) throws(RowError) -> Double {
        guard lenient else { return try nonNegative(&c, f()) }
        let n = try c.number(f()).double
        if n < 0 { readings.note(.negativePropensity, f()) }
        return n
    }

    mutating func parseContext(_ c: inout JSONCursor, _ f: String) throws(RowError) {
        c.skipWhitespace()
        guard c.consumeIf(UInt8(ascii: "{")) else { throw RowError(field: f, reason: "must be an object of strings, got \(c.typeHere())") }
        contextPresent = true
        // A second `context` member replaces the first under the schemas (as JSON parsers read
        // duplicate members); Go's decoder fills the map it already has, so under the runtime
        // contract the two merge key by key, the later value winning.
        if !lenient {
            context.removeAll(keepingCapacity: true)
            contextHit = nil
        } else if contextHit != nil {
            try materializeContextHit(c, f)
        }
        contextCandidate = nil
        // An object met before, byte for byte up to its first `}`, is the pairs it was then
        // (`ContextObjectMemo`): when nothing is there to merge with, look it up first.
        let objectStart = c.pos - 1
        var candidate: (slot: Int, start: UnsafePointer<UInt8>, count: Int)? = nil
        if context.isEmpty && contextObjects.enabled,
            let close = memchr(c.base + objectStart, 0x7D, min(c.end - objectStart, ContextObjectMemo.maxBytes))
        {
            let start = c.base + objectStart
            let n = UnsafeRawPointer(close) - UnsafeRawPointer(start) + 1
            let slot = ContextObjectMemo.slot(start, n)
            if contextObjects.holds(slot, start, n) {
                contextHit = (slot, start, n)
                c.pos = objectStart + n
                return
            }
            candidate = (slot, start, n)
        }
        if c.consumeIf(UInt8(ascii: "}")) { return }
        var plain = true
        repeat {
            let k: ByteRef
            var v: ByteRef
            // The usual pair, `"key":"value"` of plain ASCII without whitespace, read without
            // the general string reads; anything else is read the general way.
            let start = c.pos
            if c.matchLiteral("\""), let key = c.plainASCIIStringRest(), c.matchLiteral(#":""#), let value = c.plainASCIIStringRest() {
                k = key
                v = value
            } else {
                plain = false
                c.pos = start
                k = try c.string(f)
                try c.expect(UInt8(ascii: ":"), f, "':'")
                // The value's path, made only for a message or a note (a nested function: no
                // closure context per pair).
                func path() -> String {
                    var key = String(decoding: k.buffer, as: UTF8.self)
                    if key.count > 40 { key = String(key.prefix(40)) + "..." }
                    return "\(f).\(key)"
                }
                // Go decodes a null map value as the empty string.
                v = ByteRef(start: c.base, count: 0)
                if !skippedNull(&c, path()) { v = try c.string(path()) }
            }
            addContextPair(k, v)
        } while try c.nextMember(close: UInt8(ascii: "}"), f)
        // Remembered once its codes are known (`appendContext`), if it qualifies.
        if let candidate, plain, c.base + c.pos == candidate.start + candidate.count, context.count <= ContextObjectMemo.maxPairs {
            contextCandidate = candidate
        }
    }

    /// Reads the pairs of the remembered object the line's first `context` member was into
    /// `context`, for a second member to merge with (runtime contract only).
    mutating func materializeContextHit(_ c: JSONCursor, _ f: String) throws(RowError) {
        guard let hit = contextHit else { return }
        contextHit = nil
        // The reads `parseContext` made of it, on its plain path.
        var again = JSONCursor(base: hit.start, count: hit.count, scratch: c.scratch)
        guard again.consumeIf(UInt8(ascii: "{")), !again.consumeIf(UInt8(ascii: "}")) else { return }
        repeat {
            guard again.matchLiteral("\""), let k = again.plainASCIIStringRest(), again.matchLiteral(#":""#),
                let v = again.plainASCIIStringRest()
            else { preconditionFailure("a remembered context object holds plain pairs only") }
            addContextPair(k, v)
        } while try again.nextMember(close: UInt8(ascii: "}"), f)
    }

    /// No context: none read, none remembered, none to remember.
    mutating func clearContext() {
        contextPresent = false
        context.removeAll(keepingCapacity: true)
        contextHit = nil
        contextCandidate = nil
    }

    /// Adds pair `k: v`; a key met before in the object (or, under the runtime contract, in an
    /// earlier member) is replaced, as JSON decoders and Go's map decoding do.
    mutating func addContextPair(_ k: ByteRef, _ v: ByteRef) {
        if let i = context.firstIndex(where: { $0.0.count == k.count && memcmpBytes($0.0.start, k.start, k.count) }) {
            context.remove(at: i)
        }
        context.append((k, v))
    }

    /// Under the runtime contract, a line that is `null` (Go decodes it into a zero struct):
    /// consumed and noted, the record keeps its defaults.
    mutating func nullRecord(_ c: inout JSONCursor) throws(RowError) -> Bool {
        guard lenient, c.null() else { return false }
        try c.expectEnd()
        readings.note(.nullRecord, "")
        return true
    }

    // MARK: exposure.v1

    mutating func parseExposure(_ c: inout JSONCursor) throws(RowError) {
        reset()
        if try !nullRecord(&c) {
            try c.expect(UInt8(ascii: "{"), "", "a JSON object")
            if !c.consumeIf(UInt8(ascii: "}")) {
                var expected = ExposureMember.following(nil)
                repeat {
                    guard
                        let member: ExposureMember = try readMember(
                            expected: expected, &c, allows: "exposure.v1 allows request_id, user_id, ts, items, context, latency_ms, error")
                    else { continue }
                    expected = ExposureMember.following(member)
                    if skippedNull(&c, String(describing: member.name)) {
                        clearNullable(member)
                        continue
                    }
                    switch member {
                    case .requestID: request = try c.string("request_id")
                    case .userID: try readUser(&c)
                    case .ts: ts = try timestamp(&c, "ts")
                    case .items: try parseItems(&c)
                    case .context: try parseContext(&c, "context")
                    case .latency:
                        // The usual latency, a plain non-negative decimal, is read without the
                        // general number (the same double, `plainDecimal`).
                        if let plain = c.plainDecimal() {
                            latency = plain
                        } else if lenient {
                            let n = try c.number("latency_ms").double
                            if n < 0 { readings.note(.negativeLatency, "latency_ms") }
                            latency = n
                        } else {
                            latency = try nonNegative(&c, "latency_ms")
                        }
                    case .error: error = try c.bool("error")
                    }
                } while try c.nextMember(close: UInt8(ascii: "}"), "")
            }
            try c.expectEnd()
        }
        request = try required(request, "request_id", c)
        user = try required(user, "user_id", c)
        if ts == nil {
            guard lenient else { throw RecordParser.missing("ts") }
            readings.note(.missingTimestamp, "ts")
            ts = .goZero
        }
        if !hasItems {
            guard lenient else { throw RecordParser.missing("items") }
            readings.note(.missingItems, "items")
        }
    }

    /// A `null` member after a duplicate that set it: Go sets a pointer, slice or map to nil and
    /// leaves a string or a time as it was.
    mutating func clearNullable(_ member: ExposureMember) {
        switch member {
        case .items:
            hasItems = false
            items.removeAll()
            extras.removeAll(keepingCapacity: true)
        case .context: clearContext()
        case .latency: latency = nil
        case .error: error = nil
        case .requestID, .userID, .ts: break
        }
    }

    mutating func parseItems(_ c: inout JSONCursor) throws(RowError) {
        c.skipWhitespace()
        guard c.consumeIf(UInt8(ascii: "[")) else { throw RowError(field: "items", reason: "must be an array, got \(c.typeHere())") }
        hasItems = true
        items.removeAll()
        extras.removeAll(keepingCapacity: true)
        if c.consumeIf(UInt8(ascii: "]")) { return }
        var index = 0
        repeat {
            if Self.canonicalItem(&c, into: items, prefetch: itemTarget) {
                index += 1
                continue
            }
            var it = ItemFields()
            let i = index
            c.skipWhitespace()
            if skippedNull(&c, "items[\(i)]") {
                // Go decodes a null element into a zero item: no id, rank 0.
            } else {
                guard c.consumeIf(UInt8(ascii: "{")) else {
                    throw RowError(field: "items[\(i)]", reason: "must be an object, got \(c.typeHere())")
                }
                if !c.consumeIf(UInt8(ascii: "}")) {
                    repeat {
                        c.skipWhitespace()
                        let keyStart = c.pos
                        let key = try c.string("items[\(i)]")
                        let keyEnd = c.pos
                        try c.expect(UInt8(ascii: ":"), "items[\(i)]", "':' after a key")
                        var member: ItemMember? = nil
                        if key.equals("item_id") {
                            member = .itemID
                        } else if key.equals("rank") {
                            member = .rank
                        } else if key.equals("propensity") {
                            member = .propensity
                        } else if key.equals("logging_propensity") {
                            member = .logging
                        } else if key.equals("target_propensity") {
                            member = .target
                        } else if lenient {
                            for m in ItemMember.allCases where GoCaseFolding.equalFold(key.buffer, m.name) {
                                readings.note(.memberNameCase, "items[\(i)].\(String(decoding: key.buffer, as: UTF8.self))")
                                member = m
                                break
                            }
                        }
                        if let member {
                            if skippedNull(&c, "items[\(i)].\(member.name)") {
                                // As Go: pointers become nil, a string or an int keeps its value.
                                switch member {
                                case .itemID, .rank: break
                                case .propensity: it.propensity = nil
                                case .logging: it.logging = nil
                                case .target: it.target = nil
                                }
                                continue
                            }
                            try parseItemMember(member, &c, &it, i)
                        } else {
                            // Unknown item members are allowed (exposure.v1 does not forbid them) and
                            // kept verbatim as a JSON object text.
                            c.skipWhitespace()
                            let valueStart = c.pos
                            try c.skipValue("items[\(i)].\(String(decoding: key.buffer, as: UTF8.self))")
                            let valueEnd = c.pos
                            if it.extraEnd < 0 {
                                it.extraStart = extras.count
                                extras.append(UInt8(ascii: "{"))
                            } else {
                                extras[extras.count - 1] = UInt8(ascii: ",")
                            }
                            extras.append(contentsOf: UnsafeRawBufferPointer(start: c.base + keyStart, count: keyEnd - keyStart))
                            extras.append(UInt8(ascii: ":"))
                            extras.append(contentsOf: UnsafeRawBufferPointer(start: c.base + valueStart, count: valueEnd - valueStart))
                            extras.append(UInt8(ascii: "}"))
                            it.extraEnd = extras.count
                        }
                    } while try c.nextMember(close: UInt8(ascii: "}"), "items[\(i)]")
                }
            }
            it.id = try required(it.id, "items[\(i)].item_id", c)
            if lenient {
                if (it.rank ?? 0) < 1 { readings.note(.rankBelowOne, "items[\(i)].rank") }
                if it.rank == nil { it.rank = 0 }
            } else {
                guard it.rank != nil else { throw RecordParser.missing("items[\(i)].rank") }
            }
            it.hash = StringInterner.hash(of: it.id!.buffer)
            itemTarget?.prefetch(hash: it.hash)
            items.append(it)
            index += 1
        } while try c.nextMember(close: UInt8(ascii: "]"), "items")
    }

    /// The usual item, `{"item_id":"…","rank":N,"propensity":P}` with the logging and target
    /// propensities optional after it, in that order and without whitespace, read without the
    /// general member loop: an id of printable ASCII without escapes, a plain positive rank and
    /// non-negative propensities, which both contracts read alike and neither notes. Anything
    /// else (another order, whitespace, `extra` members, nulls, escapes, a value either contract
    /// would reject or note) returns nil with the cursor unmoved, and the general loop reads it.
    @inline(__always)
    static func canonicalItem(_ c: inout JSONCursor, into items: LineItems, prefetch: StringInterner.PrefetchTarget?) -> Bool {
        let start = c.pos
        guard c.matchLiteral(#"{"item_id":""#), let id = c.plainASCIIStringRest(), id.count > 0,
            c.matchLiteral(#","rank":"#), let rank = c.plainPositiveInteger()
        else {
            c.pos = start
            return false
        }
        var propensity: Double? = nil
        if c.matchLiteral(#","propensity":"#) {
            guard let p = c.plainDecimal() ?? c.nonNegativeNumber() else {
                c.pos = start
                return false
            }
            propensity = p
        }
        var logging: Double? = nil
        var target: Double? = nil
        if !c.matchLiteral("}") {
            // A propensity member when the next bytes are its key: false when its value is not a
            // non-negative number (then the item is not the usual one).
            func optional(_ key: StaticString, _ value: inout Double?) -> Bool {
                guard c.matchLiteral(key) else { return true }
                value = c.nonNegativeNumber()
                return value != nil
            }
            guard optional(#","logging_propensity":"#, &logging), optional(#","target_propensity":"#, &target),
                c.matchLiteral("}")
            else {
                c.pos = start
                return false
            }
        }
        let hash = StringInterner.hash(of: id.buffer)
        prefetch?.prefetch(hash: hash)
        items.append(id: id, hash: hash, rank: rank, propensity: propensity, logging: logging, target: target)
        return true
    }

    mutating func parseItemMember(_ member: ItemMember, _ c: inout JSONCursor, _ it: inout ItemFields, _ i: Int) throws(RowError) {
        switch member {
        case .itemID:
            it.id = try c.string("items[\(i)].item_id")
        case .rank:
            let n = try c.number("items[\(i)].rank")
            guard let r = n.integer else {
                throw RowError(field: "items[\(i)].rank", reason: "must be an integer\(lenient ? "" : " >= 1"), got \(n.double)")
            }
            guard r >= 1 || lenient else { throw RowError(field: "items[\(i)].rank", reason: "must be an integer >= 1, got \(r)") }
            // recsys-eval's runtime reads the rank into a Go int, which a fraction or an exponent
            // (even 1.0) cannot fill: its run stops there, so the row is not one it reads.
            guard n.isPlainInteger || !lenient else {
                throw RowError(
                    field: "items[\(i)].rank",
                    reason: "must be written as an integer (recsys-eval's runtime cannot read \(n.double) into an int)")
            }
            it.rank = r
        case .propensity: it.propensity = try propensity(&c, "items[\(i)].propensity")
        case .logging: it.logging = try propensity(&c, "items[\(i)].logging_propensity")
        case .target: it.target = try propensity(&c, "items[\(i)].target_propensity")
        }
    }

    // MARK: outcome.v1

    mutating func parseOutcome(_ c: inout JSONCursor) throws(RowError) {
        reset()
        if try !nullRecord(&c) {
            try c.expect(UInt8(ascii: "{"), "", "a JSON object")
            if !c.consumeIf(UInt8(ascii: "}")) {
                var expected = OutcomeMember.following(nil)
                repeat {
                    guard
                        let member: OutcomeMember = try readMember(
                            expected: expected, &c, allows: "outcome.v1 allows request_id, user_id, item_id, event_type, value, ts")
                    else { continue }
                    expected = OutcomeMember.following(member)
                    if skippedNull(&c, String(describing: member.name)) { continue }
                    switch member {
                    case .requestID: request = try c.string("request_id")
                    case .userID: try readUser(&c)
                    case .itemID: item = try c.string("item_id")
                    case .eventType: eventType = try c.string("event_type")
                    case .value: value = try c.number("value").double
                    case .ts: ts = try timestamp(&c, "ts")
                    }
                } while try c.nextMember(close: UInt8(ascii: "}"), "")
            }
            try c.expectEnd()
        }
        request = try required(request, "request_id", c)
        user = try required(user, "user_id", c)
        item = try required(item, "item_id", c)
        if lenient {
            let e = eventType ?? ByteRef(start: c.base, count: 0)
            eventType = e
            if !(e.equals("click") || e.equals("conversion")) {
                let b = e.buffer
                let known =
                    GoCaseFolding.equalFold(b, "click") || GoCaseFolding.equalFold(b, "conversion")
                    || GoCaseFolding.lowercases(b, to: "click") || GoCaseFolding.lowercases(b, to: "conversion")
                readings.note(known ? .eventTypeCase : .otherEventType, "event_type")
            }
        } else {
            guard let e = eventType else { throw RecordParser.missing("event_type") }
            guard e.equals("click") || e.equals("conversion") else {
                throw RowError(
                    field: "event_type",
                    reason: "must be \"click\" or \"conversion\", got \"\(String(decoding: e.buffer.prefix(64), as: UTF8.self))\"")
            }
        }
        try requireTimestamp()
    }

    /// A missing `ts`: Go's zero time under the runtime contract (noted), an error under the strict one.
    mutating func requireTimestamp() throws(RowError) {
        guard ts == nil else { return }
        guard lenient else { throw RecordParser.missing("ts") }
        readings.note(.missingTimestamp, "ts")
        ts = .goZero
    }

    // MARK: assignment.v1

    mutating func parseAssignment(_ c: inout JSONCursor) throws(RowError) {
        reset()
        if try !nullRecord(&c) {
            try c.expect(UInt8(ascii: "{"), "", "a JSON object")
            if !c.consumeIf(UInt8(ascii: "}")) {
                var expected = AssignmentMember.following(nil)
                repeat {
                    guard
                        let member: AssignmentMember = try readMember(
                            expected: expected, &c, allows: "assignment.v1 allows experiment_id, variant, request_id, user_id, ts, context")
                    else { continue }
                    expected = AssignmentMember.following(member)
                    if skippedNull(&c, String(describing: member.name)) {
                        if member == .context { clearContext() }
                        continue
                    }
                    switch member {
                    case .experimentID: experiment = try c.string("experiment_id")
                    case .variant: variant = try c.string("variant")
                    case .requestID: request = try c.string("request_id")
                    case .userID: try readUser(&c)
                    case .ts: ts = try timestamp(&c, "ts")
                    case .context: try parseContext(&c, "context")
                    }
                } while try c.nextMember(close: UInt8(ascii: "}"), "")
            }
            try c.expectEnd()
        }
        experiment = try required(experiment, "experiment_id", c)
        variant = try required(variant, "variant", c)
        request = try required(request, "request_id", c)
        user = try required(user, "user_id", c)
        try requireTimestamp()
    }

    // MARK: Appending a validated line

    /// Reads `user_id` and asks for its table lines.
    @inline(__always)
    mutating func readUser(_ c: inout JSONCursor) throws(RowError) {
        let u = try c.string("user_id")
        user = u
        let h = StringInterner.hash(of: u.buffer)
        userHash = h
        userTarget?.prefetch(hash: h)
    }

    /// The user's code, with the hash taken as the id was read.
    @inline(__always)
    func userCode(_ d: inout WorkerInterners) -> Int32 {
        let u = user!.buffer
        // `userHash` is set with `user` in `readUser` and cleared in `reset`; any other way to
        // set `user` must clear it.
        assert(userHash.map { $0 == StringInterner.hash(of: u) } ?? true, "userHash belongs to another user id")
        return d.user.intern(u, hash: userHash ?? StringInterner.hash(of: u))
    }

    /// Appends the line's exposure: its single values to `rows` (which the caller appends to
    /// `b` once the chunk is parsed, `ExposureBatch.appendRows`), the rest to `b`.
    mutating func append(to b: inout ExposureBatch, rows: inout [ExposureBatch.Row], _ d: inout WorkerInterners) {
        b.requestID.append(request!.buffer)
        rows.append(
            ExposureBatch.Row(
                tsMicros: ts!.micros, latency: latency ?? 0, user: userCode(&d), tsNanos: ts!.nanos, tsOffset: ts!.offsetMinutes,
                itemCount: Int32(items.count), contextCount: Int32(contextCount), contextPresent: contextPresent ? 1 : 0,
                latencyPresent: latency == nil ? 0 : 1, errorPresent: error == nil ? 0 : 1, error: error == true ? 1 : 0))
        // Item columns reach the batch in bulk, one append per column and line. The ids' hashes
        // were taken, and their table lines asked for, as the items were read.
        let n = items.count
        itemCodes.reserve(n)
        itemCodes.setCount(n)
        let ids = items.ids.elements
        for i in 0..<n { itemCodes[i] = d.item.intern(ids[i].ref.buffer, hash: ids[i].hash) }
        b.item.append(contentsOf: itemCodes.elements)
        b.rank.append(row: items.ranks.elements)
        items.propensity.appendRows(n, to: &b.propensity)
        items.logging.appendRows(n, to: &b.logging)
        items.target.appendRows(n, to: &b.target)
        var next = 0
        for e in items.extras.elements {
            b.extra.appendAbsent(count: e.item - next)
            extras.withUnsafeBytes { b.extra.append(UnsafeRawBufferPointer(rebasing: $0[e.start..<e.end])) }
            next = e.item + 1
        }
        b.extra.appendAbsent(count: n - next)
        appendContext(to: &b.contextKey, &b.contextValue, &d)
    }

    /// Appends the line's context pairs' codes to `keys` and `values`. One append per pair and
    /// column: for a handful of pairs, cheaper than two bulk appends (each a fixed hundred
    /// instructions or so).
    @inline(__always)
    mutating func appendContext(to keys: inout [Int32], _ values: inout [Int32], _ d: inout WorkerInterners) {
        if let hit = contextHit {
            contextObjects.appendCodes(hit.slot, to: &keys, &values)
            return
        }
        let first = keys.count
        for (i, (k, v)) in context.enumerated() {
            let codes = d.contextCodes(k, v, at: i)
            keys.append(codes.key)
            values.append(codes.value)
        }
        if let c = contextCandidate {
            contextObjects.store(c.slot, c.start, c.count, keys: keys[first...], values: values[first...])
            contextCandidate = nil
        }
    }

    func append(to b: inout OutcomeBatch, _ d: inout WorkerInterners) {
        b.requestID.append(request!.buffer)
        b.user.append(userCode(&d))
        b.item.append(d.item.intern(item!.buffer))
        b.eventType.append(d.eventType.intern(eventType!.buffer))
        b.valuePresent.append(value == nil ? 0 : 1)
        b.value.append(value ?? 0)
        b.tsMicros.append(ts!.micros)
        b.tsNanos.append(ts!.nanos)
        b.tsOffset.append(ts!.offsetMinutes)
    }

    /// Appends the line's assignment: its single values to `rows` (appended to `b` once the
    /// chunk is parsed, `AssignmentBatch.appendRows`), the rest to `b`.
    mutating func append(to b: inout AssignmentBatch, rows: inout [AssignmentBatch.Row], _ d: inout WorkerInterners) {
        b.requestID.append(request!.buffer)
        rows.append(
            AssignmentBatch.Row(
                tsMicros: ts!.micros, user: userCode(&d), experiment: d.experiment.intern(experiment!.buffer),
                variant: d.variant.intern(variant!.buffer), tsNanos: ts!.nanos, tsOffset: ts!.offsetMinutes,
                contextCount: Int32(contextCount), contextPresent: contextPresent ? 1 : 0))
        appendContext(to: &b.contextKey, &b.contextValue, &d)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
