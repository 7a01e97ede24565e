import Foundation
import Ingest
import Testing

/// The byte scanner against independent references: Swift's `Double(String)` for numbers and
/// Foundation's JSONSerialization for strings and arbitrary nested values.
@Suite struct ScannerTests {
    struct Rng: RandomNumberGenerator {
        var s: UInt64
        mutating func next() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func withCursor<R>(_ text: String, _ body: (inout JSONCursor) throws -> R) rethrows -> R {
        try Support.withCursor(text, body)
    }

    static func randomNumber(_ r: inout Rng) -> String {
        var s = r.next() % 2 == 0 ? "-" : ""
        let intDigits = Int(r.next() % 20) + 1
        s += String(1 + r.next() % 9)
        for _ in 1..<intDigits { s += String(r.next() % 10) }
        if r.next() % 3 == 0 { s = (s.hasPrefix("-") ? "-" : "") + "0" }
        if r.next() % 2 == 0 {
            s += "."
            for _ in 0...(r.next() % 25) { s += String(r.next() % 10) }
        }
        if r.next() % 3 == 0 {
            s += ["e", "E"][Int(r.next() % 2)] + ["", "+", "-"][Int(r.next() % 3)] + String(r.next() % 330)
        }
        return s
    }

    @Test func numbersAreCorrectlyRounded() throws {
        var r = Rng(s: 11)
        for _ in 0..<20_000 {
            let text = Self.randomNumber(&r)
            guard let reference = Double(text), reference.isFinite else { continue }
            let n = try withCursor(text) { try $0.number("x") }
            #expect(n.double.bitPattern == reference.bitPattern || (n.double == 0 && reference == 0), "\(text)")
        }
        for text in [
            "0", "-0", "1.0", "1e2", "123456789012345678", "0.1", "2.2250738585072014e-308", "1.7976931348623157e308", "9007199254740993",
            "5e-324",
        ] {
            let n = try withCursor(text) { try $0.number("x") }
            #expect(n.double == Double(text)!, "\(text)")
        }
        #expect(try withCursor("9007199254740993") { try $0.number("x") }.integer == 9_007_199_254_740_993)
    }

    @Test(arguments: ["01", "-", "1.", ".5", "1e", "+1", "0x10", "1.e3", "--1", "NaN", "Infinity"])
    func malformedNumbersAreRejected(text: String) {
        let ok: Bool = withCursor(text) { c in
            guard (try? c.number("x")) != nil else { return false }
            return (try? c.expectEnd()) != nil
        }
        #expect(!ok, "\(text)")
    }

    static func randomString(_ r: inout Rng) -> String {
        let pool: [Unicode.Scalar] = [
            "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{08}", "\u{0C}", "\u{01}", "\u{1F}", "é", "日", "😀", "\u{7F}", "\u{FFFF}",
            "\u{10FFFF}",
        ]
        var s = ""
        for _ in 0..<Int(r.next() % 12) { s.unicodeScalars.append(pool[Int(r.next() % UInt64(pool.count))]) }
        return s
    }

    /// Encodes with a random choice of escapes for each character.
    static func encode(_ s: String, _ r: inout Rng) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            let choice = r.next() % 3
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += choice == 0 ? "\\u000a" : "\\n"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "/": out += choice == 0 ? "\\/" : "/"
            default:
                if u.value < 0x20 || choice == 0 {
                    if u.value >= 0x10000 {
                        let v = u.value - 0x10000
                        out += String(format: "\\u%04X\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF))
                    } else {
                        out += String(format: "\\u%04x", u.value)
                    }
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    @Test func stringsMatchFoundation() throws {
        var r = Rng(s: 5)
        for _ in 0..<5_000 {
            let original = Self.randomString(&r)
            let text = Self.encode(original, &r)
            let reference = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) as! String
            let decoded = try withCursor(text) { c in String(decoding: try c.string("x").buffer, as: UTF8.self) }
            #expect(decoded == reference)
            #expect(decoded == original)
        }
    }

    static func randomValue(_ r: inout Rng, depth: Int = 0) -> String {
        let ws = [" ", "", "\t", "\r  "][Int(r.next() % 4)]  // no raw newline: one record per line
        switch r.next() % (depth > 3 ? 4 : 6) {
        case 0: return randomNumber(&r)
        case 1: return encode(randomString(&r), &r)
        case 2: return ["true", "false", "null"][Int(r.next() % 3)]
        case 3: return ws + randomNumber(&r) + ws
        case 4: return "[" + ws + (0..<Int(r.next() % 4)).map { _ in randomValue(&r, depth: depth + 1) }.joined(separator: "," + ws) + "]"
        default:
            return "{" + ws
                + (0..<Int(r.next() % 4)).map { i in encode("k\(i)", &r) + ws + ":" + randomValue(&r, depth: depth + 1) }.joined(
                    separator: ",") + ws + "}"
        }
    }

    /// Arbitrary nested values in an unknown item member are validated, kept verbatim and
    /// exported as the same JSON value.
    @Test func unknownItemMembersRoundTrip() throws {
        var r = Rng(s: 99)
        var lines: [String] = []
        for i in 0..<400 {
            let v = Self.randomValue(&r)
            guard (try? JSONSerialization.jsonObject(with: Data(v.utf8), options: [.fragmentsAllowed])) != nil else { continue }
            lines.append(
                #"{"request_id":"r\#(i)","user_id":"u","ts":"2026-01-27T00:00:00Z","items":[{"item_id":"a","rank":1,"meta":\#(v)}]}"#)
        }
        let tmp = Support.tempDir()
        Support.write(lines, to: tmp + "/e.jsonl")
        let s = try Support.ingest(exposures: [tmp + "/e.jsonl"], output: tmp + "/d.rcv", maxRejectRate: 0)
        #expect(s.counts(.exposures).written == lines.count)
        #expect(Support.records(try Support.export(tmp + "/d.rcv", table: "exposures")) == Support.records(lines.joined(separator: "\n")))
    }
}
