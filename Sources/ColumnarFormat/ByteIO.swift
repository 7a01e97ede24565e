/// Appends little-endian scalars and length-prefixed strings to a growing byte array.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { append(v.littleEndian) }
    public mutating func u32(_ v: UInt32) { append(v.littleEndian) }
    public mutating func u64(_ v: UInt64) { append(v.littleEndian) }
    public mutating func i64(_ v: Int64) { append(v.littleEndian) }

    /// A UInt32 byte length followed by the UTF-8 bytes.
    public mutating func string(_ s: String) {
        let u = Array(s.utf8)
        u32(UInt32(u.count))
        bytes.append(contentsOf: u)
    }

    public mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }

    private mutating func append<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) }
    }
}

/// Reads little-endian scalars from a byte buffer; every read is bounds-checked and a short buffer
/// throws `FormatError.truncated` naming `context` instead of trapping.
public struct ByteReader {
    private let base: UnsafeRawBufferPointer
    public private(set) var position: Int
    private let context: String

    public init(_ base: UnsafeRawBufferPointer, context: String) {
        self.base = base
        self.position = 0
        self.context = context
    }

    public var remaining: Int { base.count - position }

    private mutating func take<T: FixedWidthInteger>(_: T.Type) throws(FormatError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw .truncated("\(context) ends early at byte \(position)") }
        let v = base.loadUnaligned(fromByteOffset: position, as: T.self)
        position += size
        return T(littleEndian: v)
    }

    public mutating func u8() throws(FormatError) -> UInt8 { try take(UInt8.self) }
    public mutating func u16() throws(FormatError) -> UInt16 { try take(UInt16.self) }
    public mutating func u32() throws(FormatError) -> UInt32 { try take(UInt32.self) }
    public mutating func u64() throws(FormatError) -> UInt64 { try take(UInt64.self) }
    public mutating func i64() throws(FormatError) -> Int64 { try take(Int64.self) }

    /// A count that will size an allocation: bounded by what the remaining bytes could hold.
    public mutating func count(minimumElementSize: Int) throws(FormatError) -> Int {
        let n = Int(try u32())
        guard n <= remaining / max(1, minimumElementSize) else {
            throw .invalid("\(context): count \(n) at byte \(position - 4) exceeds the remaining \(remaining) bytes")
        }
        return n
    }

    public mutating func string() throws(FormatError) -> String {
        let n = try count(minimumElementSize: 1)
        guard let s = String(validating: UnsafeRawBufferPointer(rebasing: base[position..<position + n]), as: UTF8.self) else {
            throw .invalid("\(context): string at byte \(position) is not valid UTF-8")
        }
        position += n
        return s
    }
}
