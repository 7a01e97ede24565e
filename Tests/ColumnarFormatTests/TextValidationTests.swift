import ColumnarFormat
import Testing

/// The validators the reader applies to dictionary entries (UTF-8) and item `extra` texts (JSON
/// objects): UTF-8 against the standard library's decoder on random bytes, JSON on hand-picked
/// cases from RFC 8259's grammar.
@Suite struct TextValidationTests {
    static func invalidOffset(_ b: [UInt8]) -> Int? { b.withUnsafeBytes { UTF8Validation.firstInvalidOffset($0) } }

    /// Random byte strings biased towards the interesting lead and continuation bytes.
    @Test(arguments: 0..<8)
    func utf8AgreesWithTheStandardLibrary(seed: UInt64) {
        var rng = SplitMix(seed: seed)
        let alphabet: [UInt8] = [
            0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xA0, 0xED, 0x9F, 0xEF, 0xF0, 0x90, 0xF4, 0x8F, 0xF5, 0xFF,
        ]
        for _ in 0..<2000 {
            let n = Int(rng.next() % 24)
            let b = (0..<n).map { _ in
                rng.next() % 3 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : alphabet[Int(rng.next() % UInt64(alphabet.count))]
            }
            let reference = String(validating: b, as: UTF8.self) != nil
            #expect((Self.invalidOffset(b) == nil) == reference, "\(b)")
            #expect(b.withUnsafeBytes { UTF8Validation.isASCII($0) } == b.allSatisfy { $0 < 0x80 })
        }
    }

    @Test func utf8OffsetIsTheBadSequence() {
        #expect(Self.invalidOffset(Array("abcdefghij".utf8) + [0xC3, 0x28]) == 10)
        #expect(Self.invalidOffset([0xE2, 0x82, 0xAC, 0xED, 0xA0, 0x80]) == 3)  // € then a surrogate
        #expect(Self.invalidOffset([0xF0, 0x9F, 0x98]) == 0)  // truncated
        #expect(Self.invalidOffset(Array("héllo wörld, ünïcode".utf8)) == nil)
    }

    @Test(arguments: [
        "{\"a\":1}", "{\"a\":-0.5e+3,\"b\":[1,{\"c\":null},[]],\"d\":{}}", "{ \"k\" : \"v\\u00e9\\n\" , \"t\":true,\"f\":false }",
        "{\"m\\u00e9ta\":{ \"k\" : [1, 2.50, null] }, \"flag\":true}", "{\"é\":\"ü\"}", "{\"a\":[[[[[]]]]]}",
    ])
    func jsonObjectsAccepted(text: String) {
        #expect(Array(text.utf8).withUnsafeBytes { JSONObjectText.problem($0) } == nil)
    }

    @Test(arguments: [
        "", "{}", " { } ", " {\"a\":1}", "{\"a\":1} ", "[1]", "\"a\"", "{'a':1}", "{\"a\":1", "{\"a\":1}}", "{\"a\":1,}", "{\"a\" 1}",
        "{\"a\":01}",
        "{\"a\":1.}", "{\"a\":.5}", "{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12g4\"}", "{\"a\":\"unterminated}",
        "{\"a\":[1,2}", "{\"a\":{\"b\":1]}", "{\"a\":1} x", "{\"a\":\"tab\there\"}", "{\"a\":+1}", "{\"a\":[1 2]}",
    ])
    func jsonObjectsRejected(text: String) {
        #expect(Array(text.utf8).withUnsafeBytes { JSONObjectText.problem($0) } != nil)
    }

    @Test func jsonWithInvalidUTF8IsRejected() {
        let b = Array("{\"a\":\"".utf8) + [0xFF] + Array("\"}".utf8)
        #expect(b.withUnsafeBytes { JSONObjectText.problem($0) } == "byte 6 is not valid UTF-8")
    }

    /// Deep nesting is scanned without recursion.
    @Test func deepNestingDoesNotOverflow() {
        let text = "{\"a\":" + String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000) + "}"
        #expect(Array(text.utf8).withUnsafeBytes { JSONObjectText.problem($0) } == nil)
    }
}
