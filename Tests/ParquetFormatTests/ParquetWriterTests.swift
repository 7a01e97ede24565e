import Testing

@testable import ParquetFormat

/// The Parquet writer's encodings against hand-computed bytes (Thrift's compact protocol and
/// the RLE hybrid), and levels of nested schemas; whole files are checked against pyarrow and
/// DuckDB by tools/interop/check_parquet.py.
@Suite struct ParquetWriterTests {
    @Test func thriftCompactFields() {
        var w = ThriftCompactWriter()
        w.structBody { s in
            s.i32(1, 3)  // delta 1, i32: 0x15, zigzag(3) = 6
            s.i64(3, -1)  // delta 2, i64: 0x26, zigzag(-1) = 1
            s.string(4, "ab")  // delta 1, binary: 0x18, length 2
            s.i32(20, 64)  // delta 16: long form 0x05, zigzag(20) = 40, zigzag(64) = 128 = 0x80 0x01
            s.bool(21, true)  // delta 1, true: 0x11
            s.i32List(22, [0, 3])  // delta 1, list: 0x19, header 0x25, zigzag 0, 6
            s.structure(23) { n in n.i32(1, 1) }  // delta 1, struct: 0x1C, 0x15 0x02, stop
        }
        #expect(
            w.bytes == [
                0x15, 0x06, 0x26, 0x01, 0x18, 0x02, 0x61, 0x62, 0x05, 0x28, 0x80, 0x01, 0x11, 0x19, 0x25, 0x00, 0x06, 0x1C, 0x15, 0x02,
                0x00, 0x00,
            ])
    }

    @Test func longListHeader() {
        var w = ThriftCompactWriter()
        w.i32List(1, [Int32](repeating: 1, count: 20))
        #expect(Array(w.bytes.prefix(3)) == [0x19, 0xF5, 0x14])
    }

    @Test func rleRuns() {
        var out: [UInt8] = []
        RLEHybrid.encode([0, 0, 0, 1, 1, 2][...], bitWidth: 2, into: &out)
        #expect(out == [0x06, 0x00, 0x04, 0x01, 0x02, 0x02])
        var long: [UInt8] = []
        RLEHybrid.encode([UInt8](repeating: 1, count: 100)[...], bitWidth: 1, into: &long)
        #expect(long == [0xC8, 0x01, 0x01])  // 200 as a varint, then the value
        #expect(RLEHybrid.bitWidth(0) == 0 && RLEHybrid.bitWidth(1) == 1 && RLEHybrid.bitWidth(2) == 2 && RLEHybrid.bitWidth(3) == 2)
    }

    @Test func bitPackedRuns() {
        var out: [UInt8] = []
        RLEHybrid.bitPacked([1, 2, 3][...], bitWidth: 2, into: &out)
        // One group of 8: header (1 << 1) | 1, then 8 × 2 bits: 1, 2, 3 and zeros.
        #expect(out == [0x03, 0x39, 0x00])
        var nine: [UInt8] = []
        RLEHybrid.bitPacked(ArraySlice((0..<9).map { Int32($0) }), bitWidth: 4, into: &nine)
        #expect(nine == [0x05, 0x10, 0x32, 0x54, 0x76, 0x08, 0x00, 0x00, 0x00])
    }

    @Test func nestedLevels() {
        let s = ParquetSchema([
            .leaf(name: "a", type: .int64, repetition: .required, annotation: nil),
            .group(
                name: "items", repetition: .required, annotation: .list,
                children: [
                    .group(
                        name: "list", repetition: .repeated, annotation: nil,
                        children: [
                            .group(
                                name: "element", repetition: .required, annotation: nil,
                                children: [
                                    .leaf(name: "id", type: .byteArray, repetition: .required, annotation: .string),
                                    .leaf(name: "p", type: .double, repetition: .optional, annotation: nil),
                                ])
                        ])
                ]),
            .group(
                name: "context", repetition: .optional, annotation: .map,
                children: [
                    .group(
                        name: "key_value", repetition: .repeated, annotation: nil,
                        children: [.leaf(name: "key", type: .byteArray, repetition: .required, annotation: .string)])
                ]),
        ])
        #expect(
            s.columns.map(\.path) == [
                ["a"], ["items", "list", "element", "id"], ["items", "list", "element", "p"], ["context", "key_value", "key"],
            ])
        #expect(s.columns.map(\.maxDefinition) == [0, 1, 2, 2])
        #expect(s.columns.map(\.maxRepetition) == [0, 1, 1, 1])
    }
}
