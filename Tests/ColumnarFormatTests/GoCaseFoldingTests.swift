import ColumnarFormat
import Testing

/// Go's `strings.EqualFold` and `strings.ToLower(s) == name` against ASCII names, including the
/// three non-ASCII runes whose simple case mapping reaches an ASCII letter; and Go's zero time.
@Suite struct GoCaseFoldingTests {
    @Test(arguments: [
        // text, name, EqualFold, ToLower(text) == name
        ("click", "click", true, true),
        ("Click", "click", true, true),
        ("CLICK", "click", true, true),
        ("clic\u{212A}", "click", true, true),  // KELVIN SIGN: k under both
        ("conver\u{17F}ion", "conversion", true, false),  // LONG S: s for EqualFold only
        ("cl\u{130}ck", "click", false, true),  // I WITH DOT ABOVE: i for ToLower only
        ("clicks", "click", false, false),
        ("clic", "click", false, false),
        ("", "click", false, false),
        ("cl\u{131}ck", "click", false, false),  // dotless i is no i
        ("cli\u{301}ck", "click", false, false),
    ])
    func comparisons(text: String, name: String, fold: Bool, lower: Bool) {
        #expect(GoCaseFolding.equalFold(text, name) == fold)
        #expect(GoCaseFolding.lowercases(text, to: name) == lower)
    }

    @Test func goZeroTime() throws {
        var b = Array("0001-01-01T00:00:00Z".utf8)
        let t = try b.withUnsafeMutableBytes { try Timestamp.parse(UnsafeRawBufferPointer($0)).get() }
        #expect(t == Timestamp.goZero)
        #expect(t.isGoZero && t.formatted() == "0001-01-01T00:00:00Z")
        // The same instant in another offset is still Go's zero time (time.Time.IsZero).
        var c = Array("0001-01-01T01:00:00+01:00".utf8)
        #expect(try c.withUnsafeMutableBytes { try Timestamp.parse(UnsafeRawBufferPointer($0)).get() }.isGoZero)
        #expect(!Timestamp(micros: 0, nanos: 0, offsetMinutes: 0).isGoZero)
    }
}
