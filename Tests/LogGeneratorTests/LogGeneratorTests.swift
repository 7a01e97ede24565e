import Foundation
import LogGenerator
import Testing

// MARK: - Helpers

/// The three generated files, fully in memory, plus how they arrived.
struct Generated {
    var files: [LogTable: [UInt8]] = [:]
    var chunks: [LogTable: [Int]] = [:]
    var chunksEndOnNewline = true
    var summary: LogGeneratorSummary

    init(_ config: LogGeneratorConfig) {
        var files: [LogTable: [UInt8]] = [:]
        var chunks: [LogTable: [Int]] = [:]
        var ends = true
        summary = LogGenerator(config).generate { table, bytes in
            files[table, default: []].append(contentsOf: bytes)
            chunks[table, default: []].append(bytes.count)
            if bytes.last != 10 { ends = false }
        }
        self.files = files
        self.chunks = chunks
        chunksEndOnNewline = ends
    }

    init(exposures: Int, seed: UInt64 = 42, malformedRate: Double = 0, allFields: Bool = false) {
        var c = LogGeneratorConfig(exposures: exposures, seed: seed)
        c.malformedRate = malformedRate
        c.allFields = allFields
        self.init(c)
    }

    func bytes(_ t: LogTable) -> [UInt8] { files[t] ?? [] }

    /// Lines without their "\n".
    func lines(_ t: LogTable) -> [ArraySlice<UInt8>] {
        let b = bytes(t)
        var out: [ArraySlice<UInt8>] = []
        var start = 0
        for i in b.indices where b[i] == 10 {
            out.append(b[start..<i])
            start = i + 1
        }
        if start < b.count { out.append(b[start...]) }
        return out
    }
}

/// The 24-hex-digit request id of a well-formed default line (`{"request_id":"req_…`).
func requestID(_ line: ArraySlice<UInt8>) -> String {
    let s = line.startIndex
    return String(decoding: line[(s + 19)..<(s + 43)], as: UTF8.self)
}

/// 64-bit FNV-1a.
func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
        h ^= UInt64(b)
        h = h &* 0x100_0000_01b3
    }
    return h
}

// MARK: - A small JSON parser and contract check (independent of the generator)

indirect enum JSON {
    case object([(String, JSON)])
    case array([JSON])
    case string(String)
    case number(Double, integer: Bool)
    case bool(Bool)
    case null

    subscript(key: String) -> JSON? {
        if case .object(let members) = self { return members.first { $0.0 == key }?.1 }
        return nil
    }
}

struct JSONParser {
    let b: [UInt8]
    var i = 0

    init(_ bytes: ArraySlice<UInt8>) { b = Array(bytes) }

    static func parse(_ bytes: ArraySlice<UInt8>) -> JSON? {
        // Reject invalid UTF-8 anywhere in the line.
        guard String(validating: bytes, as: UTF8.self) != nil else { return nil }
        var p = JSONParser(bytes)
        guard let v = p.value() else { return nil }
        p.ws()
        return p.i == p.b.count ? v : nil
    }

    mutating func ws() {
        while i < b.count, b[i] == 32 || b[i] == 9 || b[i] == 10 || b[i] == 13 { i += 1 }
    }

    mutating func lit(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard i + u.count <= b.count, Array(b[i..<(i + u.count)]) == u else { return false }
        i += u.count
        return true
    }

    mutating func value() -> JSON? {
        ws()
        guard i < b.count else { return nil }
        switch b[i] {
        case UInt8(ascii: "{"):
            i += 1
            var members: [(String, JSON)] = []
            ws()
            if i < b.count && b[i] == UInt8(ascii: "}") {
                i += 1
                return .object(members)
            }
            while true {
                ws()
                guard let k = string() else { return nil }
                ws()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                guard let v = value() else { return nil }
                members.append((k, v))
                ws()
                guard i < b.count else { return nil }
                if b[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                if b[i] == UInt8(ascii: "}") {
                    i += 1
                    return .object(members)
                }
                return nil
            }
        case UInt8(ascii: "["):
            i += 1
            var items: [JSON] = []
            ws()
            if i < b.count && b[i] == UInt8(ascii: "]") {
                i += 1
                return .array(items)
            }
            while true {
                guard let v = value() else { return nil }
                items.append(v)
                ws()
                guard i < b.count else { return nil }
                if b[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                if b[i] == UInt8(ascii: "]") {
                    i += 1
                    return .array(items)
                }
                return nil
            }
        case UInt8(ascii: "\""):
            return string().map { .string($0) }
        case UInt8(ascii: "t"):
            return lit("true") ? .bool(true) : nil
        case UInt8(ascii: "f"):
            return lit("false") ? .bool(false) : nil
        case UInt8(ascii: "n"):
            return lit("null") ? .null : nil
        default:
            return number()
        }
    }

    mutating func hex4() -> UInt32? {
        guard i + 4 <= b.count else { return nil }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[i]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 97...102: d = UInt32(c - 87)
            case 65...70: d = UInt32(c - 55)
            default: return nil
            }
            v = v * 16 + d
            i += 1
        }
        return v
    }

    mutating func string() -> String? {
        guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
        i += 1
        var out: [UInt8] = []
        while i < b.count {
            let c = b[i]
            i += 1
            if c == UInt8(ascii: "\"") { return String(validating: out, as: UTF8.self) }
            if c < 0x20 { return nil }
            if c != UInt8(ascii: "\\") {
                out.append(c)
                continue
            }
            guard i < b.count else { return nil }
            let e = b[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(34)
            case UInt8(ascii: "\\"): out.append(92)
            case UInt8(ascii: "/"): out.append(47)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "u"):
                guard var cp = hex4() else { return nil }
                if (0xD800..<0xDC00).contains(cp) {
                    guard lit("\\u"), let lo = hex4(), (0xDC00..<0xE000).contains(lo) else { return nil }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                } else if (0xDC00..<0xE000).contains(cp) {
                    return nil
                }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(cp)!)).utf8))
            default:
                return nil
            }
        }
        return nil
    }

    mutating func number() -> JSON? {
        let start = i
        var integer = true
        if i < b.count && b[i] == UInt8(ascii: "-") { i += 1 }
        guard i < b.count, (48...57).contains(b[i]) else { return nil }
        if b[i] == 48 {
            i += 1
        } else {
            while i < b.count, (48...57).contains(b[i]) { i += 1 }
        }
        if i < b.count && b[i] == UInt8(ascii: ".") {
            integer = false
            i += 1
            guard i < b.count, (48...57).contains(b[i]) else { return nil }
            while i < b.count, (48...57).contains(b[i]) { i += 1 }
        }
        if i < b.count && (b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E")) {
            integer = false
            i += 1
            if i < b.count && (b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-")) { i += 1 }
            guard i < b.count, (48...57).contains(b[i]) else { return nil }
            while i < b.count, (48...57).contains(b[i]) { i += 1 }
        }
        guard let d = Double(String(decoding: b[start..<i], as: UTF8.self)) else { return nil }
        return .number(d, integer: integer)
    }
}

/// RFC 3339 date-time, as JSON Schema's `format: date-time`.
func isDateTime(_ s: String) -> Bool {
    let u = Array(s.utf8)
    func digits(_ at: Int, _ n: Int) -> Int? {
        guard at + n <= u.count else { return nil }
        var v = 0
        for k in at..<(at + n) {
            guard (48...57).contains(u[k]) else { return nil }
            v = v * 10 + Int(u[k] - 48)
        }
        return v
    }
    guard u.count >= 20, let y = digits(0, 4), u[4] == 45, let mo = digits(5, 2), u[7] == 45,
        let d = digits(8, 2), u[10] == 84 || u[10] == 116, let h = digits(11, 2), u[13] == 58,
        let mi = digits(14, 2), u[16] == 58, let se = digits(17, 2)
    else { return false }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
    let mdays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    guard (1...12).contains(mo), d >= 1, d <= mdays[mo - 1], h < 24, mi < 60, se <= 60 else { return false }
    var k = 19
    if k < u.count && u[k] == 46 {
        k += 1
        let s0 = k
        while k < u.count, (48...57).contains(u[k]) { k += 1 }
        guard k > s0 else { return false }
    }
    guard k < u.count else { return false }
    if u[k] == 90 || u[k] == 122 { return k + 1 == u.count }
    guard u[k] == 43 || u[k] == 45, k + 6 == u.count, let oh = digits(k + 1, 2), u[k + 3] == 58,
        let om = digits(k + 4, 2)
    else { return false }
    return oh < 24 && om < 60
}

/// Whether a line satisfies the table's v1 contract (required fields and their types,
/// no unknown top-level fields, valid UTF-8, date-time timestamps).
func isValid(_ line: ArraySlice<UInt8>, _ table: LogTable) -> Bool {
    guard let v = JSONParser.parse(line), case .object(let members) = v else { return false }
    func nonEmptyString(_ k: String) -> Bool {
        if case .string(let s)? = v[k] { return !s.isEmpty }
        return false
    }
    func stringMap(_ x: JSON?) -> Bool {
        guard let x else { return true }
        guard case .object(let m) = x else { return false }
        return m.allSatisfy { if case .string = $0.1 { return true } else { return false } }
    }
    func number(_ x: JSON?, min: Double? = nil) -> Bool {
        guard let x else { return true }
        guard case .number(let d, _) = x else { return false }
        if let min { return d >= min }
        return true
    }
    guard case .string(let ts)? = v["ts"], isDateTime(ts) else { return false }
    let allowed: Set<String>
    switch table {
    case .exposures:
        allowed = ["request_id", "user_id", "ts", "items", "context", "latency_ms", "error"]
        guard nonEmptyString("request_id"), nonEmptyString("user_id"), stringMap(v["context"]),
            number(v["latency_ms"], min: 0)
        else { return false }
        if let e = v["error"] { guard case .bool = e else { return false } }
        guard case .array(let items)? = v["items"] else { return false }
        for item in items {
            guard case .object = item, case .string(let id)? = item["item_id"], !id.isEmpty,
                case .number(let r, true)? = item["rank"], r >= 1,
                number(item["propensity"], min: 0), number(item["logging_propensity"], min: 0),
                number(item["target_propensity"], min: 0)
            else { return false }
        }
    case .outcomes:
        allowed = ["request_id", "user_id", "item_id", "event_type", "value", "ts"]
        guard nonEmptyString("request_id"), nonEmptyString("user_id"), nonEmptyString("item_id"),
            case .string(let et)? = v["event_type"], et == "click" || et == "conversion",
            number(v["value"])
        else { return false }
    case .assignments:
        allowed = ["experiment_id", "variant", "request_id", "user_id", "ts", "context"]
        guard nonEmptyString("experiment_id"), nonEmptyString("variant"), nonEmptyString("request_id"),
            nonEmptyString("user_id"), stringMap(v["context"])
        else { return false }
    }
    return members.allSatisfy { allowed.contains($0.0) }
}

// MARK: - Tests

@Suite("LogGenerator")
struct LogGeneratorTests {
    @Test("same config gives identical bytes; another seed gives different bytes")
    func determinism() {
        let a = Generated(exposures: 3000, seed: 42)
        let b = Generated(exposures: 3000, seed: 42)
        let c = Generated(exposures: 3000, seed: 43)
        for t in LogTable.allCases {
            #expect(a.bytes(t) == b.bytes(t))
            #expect(a.bytes(t) != c.bytes(t))
            #expect(!a.bytes(t).isEmpty)
        }
        #expect(a.summary == b.summary)

        let fa = Generated(exposures: 2000, seed: 9, malformedRate: 0.05, allFields: true)
        let fb = Generated(exposures: 2000, seed: 9, malformedRate: 0.05, allFields: true)
        for t in LogTable.allCases { #expect(fa.bytes(t) == fb.bytes(t)) }
    }

    // Independent references: these values come from running the reference C generator
    // (splitmix64/xoshiro256**, same Zipf tables and formatting) at small sizes.
    @Test("matches the reference generator at small sizes")
    func referenceOutput() {
        let g10 = Generated(exposures: 10, seed: 42)
        let first = String(decoding: g10.lines(.exposures)[0], as: UTF8.self)
        #expect(
            first
                == #"{"request_id":"req_a0fee1b4230a20edd6a1a615","user_id":"u_045897ddf731","ts":"2026-01-27T00:00:00Z","items":[{"item_id":"sku_97379","rank":1,"propensity":0.6927},{"item_id":"sku_461085","rank":2,"propensity":0.4367},{"item_id":"sku_38008","rank":3,"propensity":0.2134},{"item_id":"sku_104730","rank":4,"propensity":0.2076},{"item_id":"sku_452660","rank":5,"propensity":0.1358},{"item_id":"sku_191839","rank":6,"propensity":0.2161},{"item_id":"sku_482799","rank":7,"propensity":0.1051},{"item_id":"sku_514179","rank":8,"propensity":0.1219},{"item_id":"sku_335560","rank":9,"propensity":0.1237},{"item_id":"sku_506198","rank":10,"propensity":0.0736},{"item_id":"sku_46390","rank":11,"propensity":0.1007},{"item_id":"sku_581784","rank":12,"propensity":0.0738},{"item_id":"sku_311698","rank":13,"propensity":0.0879},{"item_id":"sku_112649","rank":14,"propensity":0.0773},{"item_id":"sku_83732","rank":15,"propensity":0.0474},{"item_id":"sku_740861","rank":16,"propensity":0.0847},{"item_id":"sku_332543","rank":17,"propensity":0.0553}],"context":{"tenant_id":"t1","surface":"email","device":"android","locale":"ja-JP"},"latency_ms":15.5,"error":false}"#
        )
        #expect(
            String(decoding: g10.lines(.assignments)[0], as: UTF8.self)
                == #"{"request_id":"req_a0fee1b4230a20edd6a1a615","user_id":"u_045897ddf731","experiment_id":"exp_1","variant":"control","ts":"2026-01-27T00:00:00Z"}"#
        )
        #expect(
            String(decoding: g10.bytes(.outcomes), as: UTF8.self)
                == #"{"request_id":"req_2e084b41747f422a605499c3","user_id":"u_045897ddf731","item_id":"sku_136406","event_type":"click","ts":"2026-01-27T14:24:32Z"}"#
                + "\n")
        #expect(g10.bytes(.exposures).count == 9866)
        #expect(g10.bytes(.assignments).count == 1450)

        let g = Generated(exposures: 1000, seed: 42)
        #expect(g.bytes(.exposures).count == 1_036_338)
        #expect(g.bytes(.outcomes).count == 10704)
        #expect(g.bytes(.assignments).count == 145_534)
        #expect(fnv1a(g.bytes(.exposures)) == 0x7c75_1e23_6c5f_ba2f)
        #expect(fnv1a(g.bytes(.outcomes)) == 0x3e71_f0e5_60d8_c9f7)
        #expect(fnv1a(g.bytes(.assignments)) == 0x963d_1c2e_717e_9341)
        #expect(
            String(decoding: g.lines(.outcomes).last!, as: UTF8.self)
                == #"{"request_id":"req_a9db2f000074c6f453fddadb","user_id":"u_045897ddf731","item_id":"sku_579870","event_type":"conversion","value":7.2,"ts":"2026-01-27T23:58:16Z"}"#
        )
        #expect(g.summary.exposureLines == 1000)
        #expect(g.summary.uniqueRequests == 998)
        #expect(g.summary.duplicateLines == 2)
        #expect(g.summary.outcomes == 73)
        #expect(g.summary.orphanOutcomes == 1)
        #expect(g.summary.users == 50)
        #expect(g.summary.items == 100_000)
        #expect(
            g.summary.description
                == "exposure_lines=1000 unique_requests=998 duplicate_lines=2 outcomes=73 (orphans=1) users=50 items=100000")

        let g7 = Generated(exposures: 1000, seed: 7)
        #expect(fnv1a(g7.bytes(.exposures)) == 0xf91b_ab3c_cfff_70a0)
        #expect(fnv1a(g7.bytes(.outcomes)) == 0xbc9a_1624_0514_7c8d)
        #expect(fnv1a(g7.bytes(.assignments)) == 0xbd86_f1e0_ac5a_fb93)
    }

    @Test("line and byte counts match the summary; chunks end at line boundaries")
    func countsMatchSummary() {
        let g = Generated(exposures: 20000, seed: 5)
        let s = g.summary
        #expect(s.exposureLines == 20000)
        #expect(s.exposureLines == s.uniqueRequests + s.duplicateLines)
        #expect(s.assignments == s.uniqueRequests)
        #expect(s.users == 1000)
        for t in LogTable.allCases {
            #expect(g.bytes(t).filter { $0 == 10 }.count == s.lines(t))
            #expect(g.bytes(t).last == 10)
            #expect(s.bytes[t] == g.bytes(t).count)
            #expect(s.malformed[t] == 0)
        }
        #expect(g.chunksEndOnNewline)
        #expect(g.chunks[.exposures]!.count > 1)
        for t in LogTable.allCases {
            // Every chunk but a table's last is at least chunkSize bytes.
            #expect(g.chunks[t]!.dropLast().allSatisfy { $0 >= LogGenerator.chunkSize })
        }
        #expect(Generated(exposures: 0).summary.exposureLines == 0)
        #expect(Generated(exposures: 0).bytes(.exposures).isEmpty)
    }

    @Test("duplicates repeat the previous line exactly, at about 0.1%")
    func duplicates() {
        let g = Generated(exposures: 50000, seed: 11)
        let lines = g.lines(.exposures)
        var repeats = 0
        var seen = Set<String>()
        for (k, line) in lines.enumerated() {
            let id = requestID(line)
            if k > 0 && id == requestID(lines[k - 1]) {
                #expect(line.elementsEqual(lines[k - 1]))
                repeats += 1
            } else {
                #expect(seen.insert(id).inserted, "request ids repeat only on adjacent lines")
            }
        }
        #expect(repeats == g.summary.duplicateLines)
        #expect(repeats >= 20 && repeats <= 100)  // 0.04% .. 0.2% of 50,000
        // One assignment per unique request, in exposure order.
        let assigned = g.lines(.assignments).map(requestID)
        #expect(assigned.count == seen.count)
        #expect(Set(assigned) == seen)
    }

    @Test("orphan outcomes are exactly the reported count; the rest point at real exposures")
    func orphansAndOrdering() throws {
        let g = Generated(exposures: 20000, seed: 3)
        var exposures: [String: (user: String, items: Set<String>)] = [:]
        for line in g.lines(.exposures) {
            let v = try #require(JSONParser.parse(line))
            guard case .string(let rid)? = v["request_id"], case .string(let user)? = v["user_id"],
                case .array(let items)? = v["items"]
            else {
                Issue.record("bad exposure")
                return
            }
            var ids = Set<String>()
            for it in items { if case .string(let id)? = it["item_id"] { ids.insert(id) } }
            exposures[rid] = (user, ids)
        }
        var orphans = 0
        var lastTs = ""
        var ordered = true
        var clicks = 0
        var conversions = 0
        for line in g.lines(.outcomes) {
            let v = try #require(JSONParser.parse(line))
            guard case .string(let rid)? = v["request_id"], case .string(let user)? = v["user_id"],
                case .string(let item)? = v["item_id"], case .string(let et)? = v["event_type"],
                case .string(let ts)? = v["ts"]
            else {
                Issue.record("bad outcome")
                return
            }
            if ts < lastTs { ordered = false }
            lastTs = ts
            if et == "click" { clicks += 1 } else { conversions += 1 }
            if let e = exposures[rid] {
                #expect(e.user == user)
                #expect(e.items.contains(item))
            } else {
                orphans += 1
            }
        }
        #expect(ordered, "outcomes are time-ordered")
        #expect(orphans == g.summary.orphanOutcomes)
        #expect(orphans > 0)
        let total = g.summary.outcomes
        #expect(abs(Double(orphans) - Double(total) * 0.01) <= 2 + Double(total) * 0.001)
        #expect(clicks + conversions == total)
        #expect(conversions > 0 && conversions < clicks)
    }

    @Test("malformedRate emits exactly the reported number of contract-breaking lines")
    func malformedLines() {
        let clean = Generated(exposures: 6000, seed: 21)
        for t in LogTable.allCases {
            #expect(clean.lines(t).allSatisfy { isValid($0, t) })
        }
        for allFields in [false, true] {
            let g = Generated(exposures: 6000, seed: 21, malformedRate: 0.03, allFields: allFields)
            var total = 0
            for t in LogTable.allCases {
                let lines = g.lines(t)
                let bad = lines.filter { !isValid($0, t) }.count
                #expect(bad == g.summary.malformed[t], "\(t) allFields=\(allFields)")
                #expect(lines.count == g.summary.lines(t))
                total += bad
                // About 3% of lines, never all of them.
                let share = Double(bad) / Double(lines.count)
                if t != .outcomes { #expect(share > 0.015 && share < 0.05) }
            }
            #expect(total > 300)
            // Some malformed lines are not even valid UTF-8, some not even JSON.
            let ex = g.lines(.exposures)
            #expect(ex.contains { String(validating: $0, as: UTF8.self) == nil })
            #expect(ex.contains { String(validating: $0, as: UTF8.self) != nil && JSONParser.parse($0) == nil })
        }
    }

    @Test("allFields output stays within the contracts and exercises every optional field")
    func allFields() {
        let base = Generated(exposures: 5000, seed: 17)
        let g = Generated(exposures: 5000, seed: 17, allFields: true)
        #expect(g.summary.exposureLines == base.summary.exposureLines)
        #expect(g.summary.outcomes == base.summary.outcomes)
        #expect(g.summary.orphanOutcomes == base.summary.orphanOutcomes)

        var noContext = 0
        var emptyContext = 0
        var noLatency = 0
        var noError = 0
        var meta = 0
        var emptyValue = 0
        var escaped = 0
        var nonASCII = 0
        var offsets = 0
        var lowercase = 0
        var fractions = 0
        var logging = 0
        var target = 0
        for (line, baseLine) in zip(g.lines(.exposures), base.lines(.exposures)) {
            #expect(isValid(line, .exposures))
            #expect(requestID(line) == requestID(baseLine))
            guard let v = JSONParser.parse(line) else { continue }
            switch v["context"] {
            case nil: noContext += 1
            case .object(let m)?:
                if m.isEmpty { emptyContext += 1 }
                for (_, x) in m {
                    if case .string(let s) = x {
                        if s.isEmpty { emptyValue += 1 }
                        if s.contains("\"") || s.contains("\n") { escaped += 1 }
                        if s.unicodeScalars.contains(where: { $0.value > 127 }) { nonASCII += 1 }
                    }
                }
            default: break
            }
            if v["latency_ms"] == nil { noLatency += 1 }
            if v["error"] == nil { noError += 1 }
            if case .string(let ts)? = v["ts"] {
                if ts.hasSuffix(":00") || ts.hasSuffix(":30") { offsets += 1 }
                if ts.contains("t") || ts.hasSuffix("z") { lowercase += 1 }
                if ts.contains(".") { fractions += 1 }
            }
            if case .array(let items)? = v["items"] {
                for it in items {
                    if it["meta"] != nil { meta += 1 }
                    if it["logging_propensity"] != nil { logging += 1 }
                    if it["target_propensity"] != nil { target += 1 }
                }
            }
        }
        #expect(noContext > 0 && emptyContext > 0 && noLatency > 0 && noError > 0 && meta > 0)
        #expect(emptyValue > 0 && escaped > 0 && nonASCII > 0)
        #expect(offsets > 0 && lowercase > 0 && fractions > 0)
        #expect(logging > 0 && logging == target)
        // Raw UTF-8 and \u escapes both appear in the bytes.
        let text = String(decoding: g.bytes(.exposures), as: UTF8.self)
        #expect(text.contains("日本"))
        #expect(text.contains(#"\ud83d\ude00"#))

        var values = Set<String>()
        var negative = 0
        var zero = 0
        var withoutValue = 0
        for line in g.lines(.outcomes) {
            #expect(isValid(line, .outcomes))
            guard let v = JSONParser.parse(line) else { continue }
            if case .number(let d, _)? = v["value"] {
                if d < 0 { negative += 1 }
                if d == 0 { zero += 1 }
                values.insert("\(d)")
            } else {
                withoutValue += 1
            }
        }
        #expect(negative > 0 && zero > 0 && withoutValue > 0 && values.count > 10)

        var assignmentContext = 0
        for line in g.lines(.assignments) {
            #expect(isValid(line, .assignments))
            if let v = JSONParser.parse(line), v["context"] != nil { assignmentContext += 1 }
        }
        #expect(assignmentContext > 0 && assignmentContext < g.summary.assignments)
    }

    @Test("the contract check itself rejects each malformed kind")
    func checkerSanity() {
        func ok(_ s: String, _ t: LogTable) -> Bool { isValid(ArraySlice(Array(s.utf8)), t) }
        let good = #"{"request_id":"r","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[{"item_id":"i","rank":1}]}"#
        #expect(ok(good, .exposures))
        #expect(!ok(String(good.dropLast()), .exposures))
        #expect(!ok(#"{"request_id":"r","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[{"item_id":"i","rank":"1"}]}"#, .exposures))
        #expect(!ok(#"{"user_id":"u","ts":"2026-01-27T00:00:00Z","items":[{"item_id":"i","rank":1}]}"#, .exposures))
        #expect(!ok(#"{"request_id":"r","user_id":"u","ts":"2026-13-45T99:00:00Z","items":[{"item_id":"i","rank":1}]}"#, .exposures))
        #expect(!ok(#"{"request_id":"r","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[{"item_id":"i","rank":1}],"x":1}"#, .exposures))
        var bad = Array(good.utf8)
        bad.insert(0xff, at: 30)
        #expect(!isValid(ArraySlice(bad), .exposures))
        #expect(
            ok(
                #"{"request_id":"r","user_id":"u","item_id":"i","event_type":"click","value":-1.5e2,"ts":"2026-01-27t00:00:00.5-08:00"}"#,
                .outcomes))
        #expect(!ok(#"{"request_id":"r","user_id":5,"item_id":"i","event_type":"click","ts":"2026-01-27T00:00:00Z"}"#, .outcomes))
    }
}

@Suite struct InterleavingTeamsTests {
    /// `interleavingTeams` adds a team to every shown item, alternating A and B, and changes
    /// nothing else: dropping the team fields gives the plain logs byte for byte.
    @Test func teamsAreTheOnlyDifference() {
        func generate(teams: Bool) -> [LogTable: String] {
            var c = LogGeneratorConfig(exposures: 300, seed: 9)
            c.allFields = true
            c.interleavingTeams = teams
            return Generated(c).files.mapValues { String(decoding: $0, as: UTF8.self) }
        }
        let plain = generate(teams: false)
        let labelled = generate(teams: true)
        let exposures = labelled[.exposures]!
        let a = exposures.components(separatedBy: #","team":"A""#).count - 1
        let b = exposures.components(separatedBy: #","team":"B""#).count - 1
        #expect(a > 0 && b > 0 && abs(a - b) <= 300)
        let stripped = exposures.replacingOccurrences(of: #","team":"A""#, with: "").replacingOccurrences(of: #","team":"B""#, with: "")
        #expect(stripped == plain[.exposures]!)
        #expect(labelled[.outcomes] == plain[.outcomes])
        #expect(labelled[.assignments] == plain[.assignments])
    }
}
