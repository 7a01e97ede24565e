import Testing

@testable import Ingest

/// The items fast path (`RecordParser.canonicalItem`) reads exactly what the general member loop
/// reads, under both contracts: every item text here is parsed once as written (the fast path
/// takes it when it can) and once with a space before it (which the fast path never takes), and
/// the two parses must agree on every field, on the error and on the runtime readings.
@Suite struct CanonicalItemTests {
    static let items: [String] = [
        #"{"item_id":"sku_97379","rank":1,"propensity":0.6927}"#,
        #"{"item_id":"a","rank":123456789012345678}"#,
        #"{"item_id":"a","rank":1234567890123456789}"#,  // 19 digits: general path
        #"{"item_id":"a","rank":2,"propensity":0,"logging_propensity":1e-3,"target_propensity":0.25}"#,
        #"{"item_id":"a","rank":2,"target_propensity":0.5}"#,
        #"{"item_id":"a","rank":2,"logging_propensity":0.5,"propensity":0.1}"#,  // other order
        #"{"item_id":"a","rank":2,"propensity":0.1,"propensity":0.2}"#,  // duplicate
        #"{"item_id":"a","rank":2,"propensity":0.12345678901234}"#,  // 15 digits: the plain decimal
        #"{"item_id":"a","rank":2,"propensity":0.123456789012345}"#,  // 16 digits: the general number
        #"{"item_id":"a","rank":2,"propensity":123456789012345}"#,
        #"{"item_id":"a","rank":2,"propensity":1234567890123456}"#,
        #"{"item_id":"a","rank":2,"propensity":0.10000000000000001}"#,
        #"{"item_id":"a","rank":2,"propensity":12.5}"#,
        #"{"item_id":"a","rank":2,"propensity":0.0}"#,
        #"{"item_id":"a","rank":2,"propensity":5}"#,
        #"{"item_id":"a","rank":2,"propensity":1.5e2}"#,
        #"{"item_id":"a","rank":2,"propensity":2E-1}"#,
        #"{"item_id":"a","rank":2,"propensity":0.5 }"#,
        #"{"item_id":"a","rank":2,"propensity":0.5,"target_propensity":0.7}"#,
        #"{"item_id":"a","rank":2,"propensity":.5}"#,
        #"{"item_id":"a","rank":2,"propensity":0.}"#,
        #"{"item_id":"a","rank":2,"propensity":-0.1}"#,
        #"{"item_id":"a","rank":2,"propensity":-0}"#,
        #"{"item_id":"a","rank":2,"propensity":01}"#,
        #"{"item_id":"a","rank":2,"propensity":1.}"#,
        #"{"item_id":"a","rank":2,"propensity":"0.5"}"#,
        #"{"item_id":"a","rank":2,"propensity":null}"#,
        #"{"item_id":"a","rank":0}"#,
        #"{"item_id":"a","rank":01}"#,
        #"{"item_id":"a","rank":1.0}"#,
        #"{"item_id":"a","rank":1e0}"#,
        #"{"item_id":"a","rank":-1}"#,
        #"{"item_id":"a","rank":1 }"#,
        #"{"item_id":"a"}"#,
        #"{"item_id":"","rank":1}"#,
        #"{"item_id":"a\"b","rank":1}"#,
        #"{"item_id":"caf\u00e9","rank":1}"#,
        #"{"item_id":"café","rank":1}"#,
        #"{"item_id":"tab\there","rank":1}"#,
        #"{"item_id":"a","rank":1,"meta":{"x":1}}"#,
        #"{"Item_ID":"a","rank":1}"#,
        #"{"item_id":"a","rank":1,"propensity":0.5"#,
        #"{"item_id":"a","rank":1}x"#,
        #"{"rank":1,"item_id":"a"}"#,
        #"{ "item_id":"a","rank":1}"#,
        #"{"item_id" :"a","rank":1}"#,
        "null",
    ]

    struct Parsed: Equatable {
        var error: RowError?
        var fields: [String] = []
        var readings: [String] = []
    }

    static func parse(_ line: String, _ contract: IngestContract) -> Parsed {
        var parser = RecordParser()
        parser.contract = contract
        return Support.withCursor(line) { c in
            var out = Parsed()
            do throws(RowError) {
                try parser.parseExposure(&c)
            } catch {
                // The spaces the general-path twin holds shift error columns; the rest must agree.
                var e = error
                e.reason = Support.withoutColumn(e.reason)
                out.error = e
                return out
            }
            for it in (0..<parser.items.count).map({ parser.items[$0] }) {
                let id = it.id.map { String(decoding: $0.buffer, as: UTF8.self) } ?? "nil"
                let numbers = [it.propensity, it.logging, it.target].map { $0.map { String($0.bitPattern) } ?? "-" }
                out.fields.append("\(id) \(it.rank.map(String.init) ?? "nil") \(numbers.joined(separator: " "))")
            }
            for r in RuntimeReading.allCases where parser.readings.contains(r) {
                out.readings.append("\(r) \(parser.readings.fields[r.rawValue])")
            }
            return out
        }
    }

    static func line(_ items: [String]) -> String {
        #"{"request_id":"r","user_id":"u","ts":"2026-01-27T00:00:00Z","items":["# + items.joined(separator: ",") + "]}"
    }

    @Test(arguments: IngestContract.allCases)
    func fastAndGeneralPathsAgree(contract: IngestContract) {
        for item in Self.items {
            // Alone, second after a canonical item, and in the general path (a space before it).
            let fast = Self.parse(Self.line([item]), contract)
            let general = Self.parse(Self.line([" " + item]), contract)
            #expect(fast == general, "\(contract) \(item)")
            let pairFast = Self.parse(Self.line([Self.items[0], item]), contract)
            let pairGeneral = Self.parse(Self.line([" " + Self.items[0], " " + item]), contract)
            #expect(pairFast == pairGeneral, "\(contract) second \(item)")
        }
    }

    /// The vector and word scans for the end of a plain string find the same byte as a
    /// byte-by-byte scan, for every start, in lines holding each kind of special byte at every
    /// position within a vector and a word.
    @Test func plainASCIIEndMatchesAByteScan() {
        var seed: UInt64 = 99
        let specials: [UInt8] = [0x22, 0x5C, 0x7F, 0x00, 0x1F, 0x80, 0xC3, 0xFF]
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 40, 64] {
            for _ in 0..<200 {
                var line = (0..<length).map { _ -> UInt8 in
                    seed = seed &* 6_364_136_223_846_793_005 &+ 1
                    return UInt8(0x20 + (seed >> 33) % 0x5F)  // printable, may include " and \
                }
                if length > 0 && seed % 3 == 0 {
                    line[Int(seed >> 40) % length] = specials[Int(seed >> 20) % specials.count]
                }
                let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: length + 16)
                defer { scratch.deallocate() }
                line.withUnsafeBufferPointer { buf in
                    let base = buf.baseAddress ?? UnsafePointer(scratch)
                    let c = JSONCursor(base: base, count: length, scratch: scratch)
                    for from in 0...length {
                        let expected =
                            line[from...].firstIndex { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 || $0 >= 0x7F } ?? length
                        #expect(c.plainASCIIEnd(from: from) == expected, "\(line) from \(from)")
                    }
                }
            }
        }
    }

    /// A latency read by the plain-decimal path or the general number: the same double, and the
    /// same rejections and notes under each contract.
    @Test(arguments: IngestContract.allCases)
    func latencyReadsAsTheGeneralNumber(contract: IngestContract) {
        let cases: [(String, Double?)] = [
            ("15.5", 15.5), ("0", 0), ("0.0", 0), ("7", 7), ("1e2", 100), ("15.50", 15.5), (" 15.5", 15.5), ("15.5 ", 15.5),
            ("123456789012345", 123_456_789_012_345), ("1234567890123456", 1_234_567_890_123_456),
            ("0.1234567890123456", 0.1234567890123456),
            ("01", nil), ("1.", nil), (".5", nil), ("-0", contract == .strict ? 0 : 0), ("-2.5", contract == .strict ? nil : -2.5),
        ]
        for (text, expected) in cases {
            var parser = RecordParser()
            parser.contract = contract
            let line = #"{"request_id":"r","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[],"latency_ms":"# + text + "}"
            let got: Double? = Support.withCursor(line) { c in
                do throws(RowError) {
                    try parser.parseExposure(&c)
                    return parser.latency
                } catch {
                    return nil
                }
            }
            #expect(got?.bitPattern == expected?.bitPattern, "\(contract) \(text)")
        }
    }

    /// The plain decimal reads the same double as the general number, bit for bit, for random
    /// decimals of up to 15 digits.
    @Test func plainDecimalIsTheGeneralNumber() {
        var seed: UInt64 = 7
        func next() -> UInt64 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return seed >> 11
        }
        for _ in 0..<20_000 {
            let intDigits = Int(next() % 6)
            let fracDigits = Int(next() % UInt64(16 - max(1, intDigits)))
            var text = intDigits == 0 ? "0" : String((0..<intDigits).map { i in Character(String(i == 0 ? 1 + next() % 9 : next() % 10)) })
            if fracDigits > 0 { text += "." + String((0..<fracDigits).map { _ in Character(String(next() % 10)) }) }
            Support.withCursor(text + "}") { fast in
                var general = fast
                let a = fast.plainDecimal()
                let b = try? general.number("").double
                #expect(a != nil && a?.bitPattern == b?.bitPattern && fast.pos == general.pos, "\(text)")
            }
        }
    }

    /// The fast path does take the usual shapes (so the test above compares two paths).
    @Test func takesTheUsualItems() {
        for (text, taken) in [
            (Self.items[0], true), (Self.items[3], true), (Self.items[5], false), (#"{"item_id":"a\"b","rank":1}"#, false),
            (#"{"item_id":"a","rank":2,"propensity":0.5,"target_propensity":0.7}"#, true),
        ] {
            Support.withCursor(text) { c in
                let items = LineItems()
                let it = RecordParser.canonicalItem(&c, into: items, prefetch: nil)
                #expect(it == taken && items.count == (taken ? 1 : 0), "\(text)")
                #expect(c.pos == (taken ? text.utf8.count : 0), "\(text)")
            }
        }
    }
}
