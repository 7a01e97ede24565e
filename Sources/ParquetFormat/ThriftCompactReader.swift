/// Reads Thrift's compact protocol into a generic tree (Parquet's footer and page headers are
/// small): structs as field id -> value, lists, integers (zigzag decoded), binaries. Every read
/// is bounds-checked; nesting is limited, so a crafted footer is an error, never a trap.
enum ThriftValue {
    case int(Int64)
    case double(Double)
    case binary([UInt8])
    case bool(Bool)
    case list([ThriftValue])
    case structure([Int16: ThriftValue])

    subscript(_ id: Int16) -> ThriftValue? {
        if case .structure(let f) = self { return f[id] }
        return nil
    }
    var int: Int64? { if case .int(let v) = self { return v } else { return nil } }
    var list: [ThriftValue] { if case .list(let v) = self { return v } else { return [] } }
    var binary: [UInt8]? { if case .binary(let v) = self { return v } else { return nil } }
    var string: String? { binary.map { String(decoding: $0, as: UTF8.self) } }
    var bool: Bool? { if case .bool(let v) = self { return v } else { return nil } }
}

struct ThriftCompactReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var position: Int

    init(_ bytes: UnsafeRawBufferPointer, at position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    private mutating func byte() throws(ParquetError) -> UInt8 {
        guard position < bytes.count else { throw .invalid("a Thrift structure ends early") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func varint() throws(ParquetError) -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64 else { throw .invalid("a Thrift varint is too long") }
            v |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return v }
            shift += 7
        }
    }

    private mutating func zigzag() throws(ParquetError) -> Int64 {
        let v = try varint()
        return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    /// A struct (after its field header, or the top-level one).
    mutating func structure(depth: Int = 0) throws(ParquetError) -> ThriftValue {
        guard depth < 32 else { throw .invalid("Thrift structures nest too deeply") }
        var fields: [Int16: ThriftValue] = [:]
        var last: Int16 = 0
        while true {
            let header = try byte()
            if header == 0 { return .structure(fields) }
            let type = header & 0x0F
            let delta = Int16(header >> 4)
            let id: Int16
            if delta != 0 {
                id = last &+ delta
            } else {
                id = Int16(truncatingIfNeeded: try zigzag())
            }
            last = id
            fields[id] = try value(type: type, depth: depth)
        }
    }

    private mutating func value(type: UInt8, depth: Int) throws(ParquetError) -> ThriftValue {
        switch type {
        case 1: return .bool(true)
        case 2: return .bool(false)
        case 3: return .int(Int64(Int8(bitPattern: try byte())))
        case 4, 5, 6: return .int(try zigzag())
        case 7:
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(try byte()) << UInt64(8 * i) }
            return .double(Double(bitPattern: v))
        case 8:
            let length = try varint()
            guard length <= UInt64(bytes.count - position) else { throw .invalid("a Thrift binary runs past the footer") }
            let n = Int(length)
            defer { position += n }
            return .binary(Array(bytes[position..<position + n]))
        case 9, 10:
            // Lists nest through `value` as structures do through `structure`: the same bound.
            guard depth < 32 else { throw .invalid("Thrift lists nest too deeply") }
            let header = try byte()
            var n = Int(header >> 4)
            if n == 15 {
                // Compared as read: a count past Int's range must not trap on the conversion.
                let count = try varint()
                guard count <= UInt64(bytes.count - position) else { throw .invalid("a Thrift list is longer than the footer") }
                n = Int(count)
            }
            guard n <= bytes.count - position else { throw .invalid("a Thrift list is longer than the footer") }
            let element = header & 0x0F
            var out: [ThriftValue] = []
            out.reserveCapacity(n)
            for _ in 0..<n {
                if element == 1 || element == 2 {
                    out.append(.bool(try byte() == 1))
                } else {
                    out.append(try value(type: element, depth: depth + 1))
                }
            }
            return .list(out)
        case 12: return try structure(depth: depth + 1)
        default: throw .invalid("Thrift type \(type) is not one Parquet uses")
        }
    }
}

/// A Parquet file that cannot be read: what is wrong.
public enum ParquetError: Error, CustomStringConvertible {
    case invalid(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .invalid(let w): return "not a valid Parquet file: \(w)"
        case .unsupported(let w): return "Parquet feature not supported: \(w)"
        }
    }
}
