import Foundation
import Reports
import Testing

@Suite struct JSONWriterTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/golden").path

    /// recsys-eval's golden reports are canonical Go JSON: parsing one and writing it back
    /// canonically must give the file byte for byte (numbers, escapes, indentation).
    @Test(arguments: ["offline.json", "experiment.json", "ope.json", "interleaving.json"])
    func goldenReportsRoundTripByteForByte(name: String) throws {
        let text = try String(contentsOfFile: Self.golden + "/" + name, encoding: .utf8)
        let value = try JSONValue.parse(text)
        #expect(value.canonical.serialized() == text)
    }

    /// Go's float formatting (strconv 'f'/'e' with shortest digits, as encoding/json uses it).
    @Test(arguments: [
        (0.16666666666666666, "0.16666666666666666"), (1.0, "1"), (100.0, "100"), (0.0, "0"), (-0.0, "-0"),
        (1e-7, "1e-7"), (1.2441921148543578e-15, "1.2441921148543578e-15"), (0.000001, "0.000001"), (1e21, "1e+21"),
        (1e20, "100000000000000000000"), (123456.789, "123456.789"), (-2.5, "-2.5"), (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"), (0.1, "0.1"), (2.220446049250313e-16, "2.220446049250313e-16"),
        // Swift's description switches to an exponent below 1e-4 and from 2^53; Go's plain range is wider.
        (0.0001, "0.0001"), (0.00001, "0.00001"), (1e16, "10000000000000000"), (12345678.0, "12345678"),
        (-1234.5, "-1234.5"), (9007199254740993.0, "9007199254740992"),
    ])
    func goNumbers(value: Double, expected: String) {
        #expect(JSONValue.goNumber(value) == expected)
    }

    @Test func goStringsEscapeHTML() {
        #expect(JSONValue.goString("<script>&\"\\\n\u{1}\u{2028}é") == #""\u003cscript\u003e\u0026\"\\\n\u0001\u2028é""#)
        #expect(JSONValue.goString("tenant_id=t1, ünï €") == #""tenant_id=t1, ünï €""#)
        #expect(JSONValue.goString("a\u{2029}") == #""a\u2029""#)
    }

    @Test func writtenDocumentsParseBack() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let v = JSONValue.object([
                ("x", .number(Double(bitPattern: UInt64.random(in: 0..<0x7FF0_0000_0000_0000, using: &rng)))),
                ("s", .string(String((0..<8).map { _ in Character(Unicode.Scalar(UInt8.random(in: 1...127, using: &rng))) }))),
                ("a", .array([.null, .bool(true), .number(Double(Int.random(in: -1000...1000, using: &rng)) / 8)])),
            ])
            #expect(try JSONValue.parse(v.serialized()) == v)
            // The written number is the shortest text that reads back to the same double. (Not checked
            // with Foundation's JSONSerialization: on Linux it does not round correctly.)
            if case .number(let x) = v["x"]! { #expect(Double(JSONValue.goNumber(x)) == x) }
        }
    }

    @Test(arguments: ["", "[1,]", "{\"a\" 1}", "01", "\"\\ud800\"", "[1] x", "\"\u{1}\""])
    func malformedJSONIsRejected(text: String) {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(text) }
    }

    @Test func sha256Vectors() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var s = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { s.update(chunk) }
        #expect(s.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
