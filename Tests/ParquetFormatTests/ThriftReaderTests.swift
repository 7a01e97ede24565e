import Testing

@testable import ParquetFormat

/// Lengths and counts in a footer are read as they come and compared with the bytes left before
/// any conversion: a varint past Int's range is an error, never a trap (found by the fuzzer).
@Suite struct ThriftReaderTests {
    static func read(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { raw in
            var r = ThriftCompactReader(raw)
            do {
                _ = try r.structure()
                return nil
            } catch { return "\(error)" }
        }
    }

    /// Field 1 of type `type` followed by a varint of ten bytes (2^64 − 1).
    static func huge(type: UInt8, listHeader: Bool = false) -> [UInt8] {
        [0x10 | type] + (listHeader ? [0xF8] : []) + [UInt8](repeating: 0xFF, count: 9) + [0x01, 0x00]
    }

    @Test func hugeBinaryLengthIsAnError() {
        #expect(Self.read(Self.huge(type: 8))?.contains("runs past the footer") == true)
    }

    @Test func hugeListCountIsAnError() {
        #expect(Self.read(Self.huge(type: 9, listHeader: true))?.contains("longer than the footer") == true)
    }

    @Test func hugeRunsAndCountsInPagesAreErrors() {
        // An RLE header whose run length is 2^63 − 1, and a DELTA_BINARY_PACKED header of huge counts.
        let rle: [UInt8] = [UInt8](repeating: 0xFE, count: 1) + [UInt8](repeating: 0xFF, count: 8) + [0x7F]
        var d1 = ParquetDecoder(rle)
        var r1: String? = nil
        do { _ = try d1.hybrid(count: 4, bitWidth: 1, end: rle.count) } catch { r1 = "\(error)" }
        #expect(r1?.contains("longer than any page") == true)
        let delta: [UInt8] = [UInt8](repeating: 0xFF, count: 9) + [0x01] + [0x01, 0x01, 0x00]
        var d2 = ParquetDecoder(delta)
        var r2: String? = nil
        do { _ = try d2.deltaBinaryPacked() } catch { r2 = "\(error)" }
        #expect(r2?.contains("larger than any page") == true)
    }
}
