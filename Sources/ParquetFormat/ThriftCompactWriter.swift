/// Writes Thrift's compact protocol, the encoding of Parquet's page headers and footer
/// (`parquet.thrift`; Thrift's compact protocol specification): zigzag varints, field headers as
/// deltas from the previous field id, lists with their element type in the header byte.
struct ThriftCompactWriter {
    private(set) var bytes: [UInt8] = []
    /// The last field id of each struct being written.
    private var lastField: [Int16] = [0]

    enum FieldType: UInt8 {
        case boolTrue = 1
        case boolFalse = 2
        case byte = 3
        case i16 = 4
        case i32 = 5
        case i64 = 6
        case double = 7
        case binary = 8
        case list = 9
        case set = 10
        case map = 11
        case structure = 12
    }

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func zigzag(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

    mutating func fieldHeader(_ id: Int16, _ type: FieldType) {
        let delta = id - lastField[lastField.count - 1]
        if delta > 0 && delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            zigzag(Int64(id))
        }
        lastField[lastField.count - 1] = id
    }

    mutating func i32(_ id: Int16, _ v: Int32) {
        fieldHeader(id, .i32)
        zigzag(Int64(v))
    }

    mutating func i64(_ id: Int16, _ v: Int64) {
        fieldHeader(id, .i64)
        zigzag(v)
    }

    mutating func bool(_ id: Int16, _ v: Bool) { fieldHeader(id, v ? .boolTrue : .boolFalse) }

    mutating func binary(_ id: Int16, _ v: [UInt8]) {
        fieldHeader(id, .binary)
        rawBinary(v)
    }

    mutating func string(_ id: Int16, _ s: String) { binary(id, Array(s.utf8)) }

    /// Bytes of a struct body (fields and stop byte) written by another writer.
    mutating func appendRaw(_ b: [UInt8]) { bytes.append(contentsOf: b) }

    mutating func rawBinary(_ v: [UInt8]) {
        varint(UInt64(v.count))
        bytes.append(contentsOf: v)
    }

    /// A list field's header: `count` elements of `type` follow.
    mutating func listHeader(_ id: Int16, _ type: FieldType, count: Int) {
        fieldHeader(id, .list)
        if count < 15 {
            bytes.append(UInt8(count) << 4 | type.rawValue)
        } else {
            bytes.append(0xF0 | type.rawValue)
            varint(UInt64(count))
        }
    }

    /// A list of i32 (enums).
    mutating func i32List(_ id: Int16, _ values: [Int32]) {
        listHeader(id, .i32, count: values.count)
        for v in values { zigzag(Int64(v)) }
    }

    mutating func stringList(_ id: Int16, _ values: [String]) {
        listHeader(id, .binary, count: values.count)
        for v in values { rawBinary(Array(v.utf8)) }
    }

    /// A struct field: `body` writes its fields.
    mutating func structure(_ id: Int16, _ body: (inout ThriftCompactWriter) -> Void) {
        fieldHeader(id, .structure)
        structBody(body)
    }

    /// A struct's fields and stop byte (a list element, or the top-level struct).
    mutating func structBody(_ body: (inout ThriftCompactWriter) -> Void) {
        lastField.append(0)
        body(&self)
        bytes.append(0)
        lastField.removeLast()
    }
}
