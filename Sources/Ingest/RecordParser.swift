/// Validates one JSONL line against exposure.v1 / outcome.v1 / assignment.v1 (the rules of
/// recsys-eval's JSON Schemas: required fields, types, `rank >= 1`, propensities and latency
/// `>= 0`, RFC 3339 `ts`, string-valued contexts, no unknown top-level fields) and holds the
/// fields of the last valid line until they are appended to a batch.
///
/// Duplicate keys follow the usual JSON decoders: the last one wins.
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
}

struct ItemFields {
    var id: ByteRef?
    var rank: Int64?
    var propensity: Double?
    var logging: Double?
    var target: Double?
    var extraStart = 0
    var extraEnd = -1
}

struct RecordParser {
    // Fields of the current line; refs point into the line or the cursor's scratch.
    var request: ByteRef?
    var user: ByteRef?
    var ts: Timestamp?
    var hasItems = false
    var items: [ItemFields] = []
    var contextPresent = false
    var context: [(ByteRef, ByteRef)] = []
    var latency: Double?
    var error: Bool?
    var item: ByteRef?
    var eventType: ByteRef?
    var value: Double?
    var experiment: ByteRef?
    var variant: ByteRef?
    var extras: [UInt8] = []

    mutating func reset() {
        request = nil
        user = nil
        ts = nil
        hasItems = false
        items.removeAll(keepingCapacity: true)
        contextPresent = false
        context.removeAll(keepingCapacity: true)
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

    mutating func timestamp(_ c: inout JSONCursor, _ f: String) throws(RowError) -> Timestamp {
        let s = try c.string(f)
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

    mutating func parseContext(_ c: inout JSONCursor, _ f: String) throws(RowError) {
        c.skipWhitespace()
        guard c.consumeIf(UInt8(ascii: "{")) else { throw RowError(field: f, reason: "must be an object of strings, got \(c.typeHere())") }
        contextPresent = true
        context.removeAll(keepingCapacity: true)
        if c.consumeIf(UInt8(ascii: "}")) { return }
        repeat {
            let k = try c.string(f)
            try c.expect(UInt8(ascii: ":"), f, "':'")
            let v = try c.string(
                { () -> String in
                    var key = String(decoding: k.buffer, as: UTF8.self)
                    if key.count > 40 { key = String(key.prefix(40)) + "..." }
                    return "\(f).\(key)"
                }())
            if let i = context.firstIndex(where: { $0.0.count == k.count && memcmpBytes($0.0.start, k.start, k.count) }) {
                context.remove(at: i)
            }
            context.append((k, v))
        } while try c.nextMember(close: UInt8(ascii: "}"), f)
    }

    // MARK: exposure.v1

    mutating func parseExposure(_ c: inout JSONCursor) throws(RowError) {
        reset()
        try c.expect(UInt8(ascii: "{"), "", "a JSON object")
        if !c.consumeIf(UInt8(ascii: "}")) {
            repeat {
                let key = try c.string("")
                try c.expect(UInt8(ascii: ":"), "", "':' after a key")
                if key.equals("request_id") {
                    request = try c.string("request_id")
                } else if key.equals("user_id") {
                    user = try c.string("user_id")
                } else if key.equals("ts") {
                    ts = try timestamp(&c, "ts")
                } else if key.equals("items") {
                    try parseItems(&c)
                } else if key.equals("context") {
                    try parseContext(&c, "context")
                } else if key.equals("latency_ms") {
                    latency = try nonNegative(&c, "latency_ms")
                } else if key.equals("error") {
                    error = try c.bool("error")
                } else {
                    throw RowError(
                        field: String(decoding: key.buffer, as: UTF8.self),
                        reason: "unknown field (exposure.v1 allows request_id, user_id, ts, items, context, latency_ms, error)")
                }
            } while try c.nextMember(close: UInt8(ascii: "}"), "")
        }
        try c.expectEnd()
        _ = try nonEmpty(request, "request_id")
        _ = try nonEmpty(user, "user_id")
        guard ts != nil else { throw RecordParser.missing("ts") }
        guard hasItems else { throw RecordParser.missing("items") }
    }

    mutating func parseItems(_ c: inout JSONCursor) throws(RowError) {
        c.skipWhitespace()
        guard c.consumeIf(UInt8(ascii: "[")) else { throw RowError(field: "items", reason: "must be an array, got \(c.typeHere())") }
        hasItems = true
        items.removeAll(keepingCapacity: true)
        extras.removeAll(keepingCapacity: true)
        if c.consumeIf(UInt8(ascii: "]")) { return }
        var index = 0
        repeat {
            var it = ItemFields()
            let i = index
            c.skipWhitespace()
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
                    if key.equals("item_id") {
                        it.id = try c.string("items[\(i)].item_id")
                    } else if key.equals("rank") {
                        let n = try c.number("items[\(i)].rank")
                        guard let r = n.integer else {
                            throw RowError(field: "items[\(i)].rank", reason: "must be an integer >= 1, got \(n.double)")
                        }
                        guard r >= 1 else { throw RowError(field: "items[\(i)].rank", reason: "must be an integer >= 1, got \(r)") }
                        it.rank = r
                    } else if key.equals("propensity") {
                        it.propensity = try nonNegative(&c, "items[\(i)].propensity")
                    } else if key.equals("logging_propensity") {
                        it.logging = try nonNegative(&c, "items[\(i)].logging_propensity")
                    } else if key.equals("target_propensity") {
                        it.target = try nonNegative(&c, "items[\(i)].target_propensity")
                    } else {
                        // Unknown item members are allowed (exposure.v1 does not forbid them) and kept
                        // verbatim as a JSON object text.
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
            _ = try nonEmpty(it.id, "items[\(i)].item_id")
            guard it.rank != nil else { throw RecordParser.missing("items[\(i)].rank") }
            items.append(it)
            index += 1
        } while try c.nextMember(close: UInt8(ascii: "]"), "items")
    }

    // MARK: outcome.v1

    mutating func parseOutcome(_ c: inout JSONCursor) throws(RowError) {
        reset()
        try c.expect(UInt8(ascii: "{"), "", "a JSON object")
        if !c.consumeIf(UInt8(ascii: "}")) {
            repeat {
                let key = try c.string("")
                try c.expect(UInt8(ascii: ":"), "", "':' after a key")
                if key.equals("request_id") {
                    request = try c.string("request_id")
                } else if key.equals("user_id") {
                    user = try c.string("user_id")
                } else if key.equals("item_id") {
                    item = try c.string("item_id")
                } else if key.equals("event_type") {
                    eventType = try c.string("event_type")
                } else if key.equals("value") {
                    value = try c.number("value").double
                } else if key.equals("ts") {
                    ts = try timestamp(&c, "ts")
                } else {
                    throw RowError(
                        field: String(decoding: key.buffer, as: UTF8.self),
                        reason: "unknown field (outcome.v1 allows request_id, user_id, item_id, event_type, value, ts)")
                }
            } while try c.nextMember(close: UInt8(ascii: "}"), "")
        }
        try c.expectEnd()
        _ = try nonEmpty(request, "request_id")
        _ = try nonEmpty(user, "user_id")
        _ = try nonEmpty(item, "item_id")
        guard let e = eventType else { throw RecordParser.missing("event_type") }
        guard e.equals("click") || e.equals("conversion") else {
            throw RowError(
                field: "event_type",
                reason: "must be \"click\" or \"conversion\", got \"\(String(decoding: e.buffer.prefix(64), as: UTF8.self))\"")
        }
        guard ts != nil else { throw RecordParser.missing("ts") }
    }

    // MARK: assignment.v1

    mutating func parseAssignment(_ c: inout JSONCursor) throws(RowError) {
        reset()
        try c.expect(UInt8(ascii: "{"), "", "a JSON object")
        if !c.consumeIf(UInt8(ascii: "}")) {
            repeat {
                let key = try c.string("")
                try c.expect(UInt8(ascii: ":"), "", "':' after a key")
                if key.equals("experiment_id") {
                    experiment = try c.string("experiment_id")
                } else if key.equals("variant") {
                    variant = try c.string("variant")
                } else if key.equals("request_id") {
                    request = try c.string("request_id")
                } else if key.equals("user_id") {
                    user = try c.string("user_id")
                } else if key.equals("ts") {
                    ts = try timestamp(&c, "ts")
                } else if key.equals("context") {
                    try parseContext(&c, "context")
                } else {
                    throw RowError(
                        field: String(decoding: key.buffer, as: UTF8.self),
                        reason: "unknown field (assignment.v1 allows experiment_id, variant, request_id, user_id, ts, context)")
                }
            } while try c.nextMember(close: UInt8(ascii: "}"), "")
        }
        try c.expectEnd()
        _ = try nonEmpty(experiment, "experiment_id")
        _ = try nonEmpty(variant, "variant")
        _ = try nonEmpty(request, "request_id")
        _ = try nonEmpty(user, "user_id")
        guard ts != nil else { throw RecordParser.missing("ts") }
    }

    // MARK: Appending a validated line

    func append(to b: inout ExposureBatch, _ d: inout WorkerInterners) {
        b.requestID.append(request!.buffer)
        b.user.append(d.user.intern(user!.buffer))
        b.tsMicros.append(ts!.micros)
        b.tsNanos.append(ts!.nanos)
        b.tsOffset.append(ts!.offsetMinutes)
        b.itemCount.append(Int32(items.count))
        b.contextPresent.append(contextPresent ? 1 : 0)
        b.contextCount.append(Int32(context.count))
        b.latencyPresent.append(latency == nil ? 0 : 1)
        b.latency.append(latency ?? 0)
        b.errorPresent.append(error == nil ? 0 : 1)
        b.error.append(error == true ? 1 : 0)
        for it in items {
            b.item.append(d.item.intern(it.id!.buffer))
            b.rank.append(it.rank!)
            b.propensityPresent.append(it.propensity == nil ? 0 : 1)
            b.propensity.append(it.propensity ?? 0)
            b.loggingPresent.append(it.logging == nil ? 0 : 1)
            b.logging.append(it.logging ?? 0)
            b.targetPresent.append(it.target == nil ? 0 : 1)
            b.target.append(it.target ?? 0)
            if it.extraEnd >= 0 {
                b.extraPresent.append(1)
                extras.withUnsafeBytes { b.extra.append(UnsafeRawBufferPointer(rebasing: $0[it.extraStart..<it.extraEnd])) }
            } else {
                b.extraPresent.append(0)
                b.extra.offsets.append(UInt32(b.extra.data.count))
            }
        }
        for (k, v) in context {
            b.contextKey.append(d.contextKey.intern(k.buffer))
            b.contextValue.append(d.contextValue.intern(v.buffer))
        }
    }

    func append(to b: inout OutcomeBatch, _ d: inout WorkerInterners) {
        b.requestID.append(request!.buffer)
        b.user.append(d.user.intern(user!.buffer))
        b.item.append(d.item.intern(item!.buffer))
        b.eventType.append(d.eventType.intern(eventType!.buffer))
        b.valuePresent.append(value == nil ? 0 : 1)
        b.value.append(value ?? 0)
        b.tsMicros.append(ts!.micros)
        b.tsNanos.append(ts!.nanos)
        b.tsOffset.append(ts!.offsetMinutes)
    }

    func append(to b: inout AssignmentBatch, _ d: inout WorkerInterners) {
        b.requestID.append(request!.buffer)
        b.user.append(d.user.intern(user!.buffer))
        b.experiment.append(d.experiment.intern(experiment!.buffer))
        b.variant.append(d.variant.intern(variant!.buffer))
        b.tsMicros.append(ts!.micros)
        b.tsNanos.append(ts!.nanos)
        b.tsOffset.append(ts!.offsetMinutes)
        b.contextPresent.append(contextPresent ? 1 : 0)
        b.contextCount.append(Int32(context.count))
        for (k, v) in context {
            b.contextKey.append(d.contextKey.intern(k.buffer))
            b.contextValue.append(d.contextValue.intern(v.buffer))
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
