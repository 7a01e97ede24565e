import ColumnarFormat
import Testing

@Suite struct TimestampTests {
    func parse(_ s: String) -> Timestamp? {
        var b = Array(s.utf8)
        return b.withUnsafeMutableBytes { try? Timestamp.parse(UnsafeRawBufferPointer($0)).get() }
    }

    struct Case: Sendable, CustomStringConvertible {
        var text: String
        var micros: Int64
        var nanos: Int32
        var offset: Int32
        var description: String { text }
    }

    static let day: Int64 = 1_769_472_000_000_000  // 2026-01-27T00:00:00Z in microseconds
    static let cases: [Case] = [
        // Instants computed by hand from the calendar.
        Case(text: "1970-01-01T00:00:00Z", micros: 0, nanos: 0, offset: 0),
        Case(text: "2026-01-27T00:00:00Z", micros: day, nanos: 0, offset: 0),
        Case(text: "2026-01-27T10:00:00.123456+05:30", micros: day + 16_200_000_000 + 123_456, nanos: 0, offset: 330),
        Case(text: "2026-01-27t00:00:00.5-08:00", micros: day + 28_800_000_000 + 500_000, nanos: 0, offset: -480),
        Case(text: "2024-02-29T23:59:59.123456789z", micros: 1_709_251_199_123_456, nanos: 789, offset: 0),
        Case(text: "1969-12-31T23:59:59.999999Z", micros: -1, nanos: 0, offset: 0),
    ]

    @Test(arguments: cases)
    func parsesInstantAndOffset(c: Case) throws {
        let t = try #require(parse(c.text))
        #expect(t == Timestamp(micros: c.micros, nanos: c.nanos, offsetMinutes: c.offset))
        // Formatting keeps instant and offset.
        #expect(parse(t.formatted()) == t)
    }
    @Test(arguments: [
        "", "2026-01-27", "2026-01-27T00:00:00", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-01-27T24:00:00Z", "2026-01-27T00:60:00Z", "2026-01-27T00:00:60Z", "2026-01-27 00:00:00Z",
        "2026-01-27T00:00:00.Z", "2026-01-27T00:00:00+0530", "2026-01-27T00:00:00+24:00", "2026-01-27T00:00:00Zjunk",
        "2026-01-27T00:00:00.1234567891Z", "26-01-27T00:00:00Z",
    ])
    func rejectsMalformed(text: String) {
        #expect(parse(text) == nil)
    }

    @Test func formatsShortestFractionAndZ() throws {
        #expect(try #require(parse("2026-01-27T10:00:00.120+00:00")).formatted() == "2026-01-27T10:00:00.12Z")
        #expect(try #require(parse("2026-01-27T10:00:00-00:30")).formatted() == "2026-01-27T10:00:00-00:30")
        #expect(try #require(parse("0001-01-01T00:00:00Z")).formatted() == "0001-01-01T00:00:00Z")
    }
}
