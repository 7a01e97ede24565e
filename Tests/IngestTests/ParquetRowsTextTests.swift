import Testing

@testable import Ingest

/// The digits Parquet rows are written with (`ParquetRows.Column`): integers as `String(v)`
/// writes them, and whole doubles as Swift's `description` does, without a `String` per value.
@Suite struct ParquetRowsTextTests {
    @Test(arguments: [Int64(0), 7, -7, 10, 1_772_323_200, -1_000_000_007, Int64.max, Int64.min])
    func integersAsStringWritesThem(v: Int64) {
        var out: [UInt8] = [UInt8(ascii: "x")]
        ParquetRows.Column.appendInteger(v, to: &out)
        #expect(String(decoding: out.dropFirst(), as: UTF8.self) == String(v))
    }

    @Test(arguments: [0.0, -0.0, 3.0, -7.0, 0.1, -2.5, 1e14, 999_999_999_999_999.0, 1e15, 1e16, 1e300, 5e-324, .infinity])
    func doublesAsDescriptionWritesThem(x: Double) {
        var out: [UInt8] = []
        ParquetRows.Column.appendDouble(x, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == x.description)
    }
}
