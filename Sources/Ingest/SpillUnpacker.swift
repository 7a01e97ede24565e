import ColumnarFormat

/// Reads back what `SpillPacker` wrote, one array at a time in the same order. Every header is
/// checked (type, encoding, lengths against the bytes left) and every payload goes through the
/// dataset's checked decoders, so damaged spill data is a `FormatError`, never a crash.
struct SpillUnpacker {
    let bytes: [UInt8]
    private(set) var pos = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// Whether every byte has been read.
    var atEnd: Bool { pos == bytes.count }

    mutating func get() throws(FormatError) -> [Int32] {
        try next(.int32) { (payload, d) throws(FormatError) in
            try ColumnDecoder.decodeInt32(payload, d, context: "spilled int32 array")
        }
    }

    mutating func get() throws(FormatError) -> [Int64] {
        try next(.int64) { (payload, d) throws(FormatError) in
            var out = [Int64](repeating: 0, count: Int(d.count))
            let r = out.withUnsafeMutableBufferPointer { o in
                Result { () throws(FormatError) in try ColumnDecoder.decodeInt64(payload, d, into: o, context: "spilled int64 array") }
            }
            try r.get()
            return out
        }
    }

    mutating func get() throws(FormatError) -> [Double] {
        try next(.float64) { (payload, d) throws(FormatError) in
            try ColumnDecoder.decodeFloat64(payload, d, context: "spilled float64 array")
        }
    }

    /// Flags, one byte 0 or 1 each.
    mutating func get() throws(FormatError) -> [UInt8] {
        try next(.bool) { (payload, d) throws(FormatError) in
            try ColumnDecoder.decodeBool(payload, d, context: "spilled flag array")
        }
    }

    mutating func get() throws(FormatError) -> ByteColumn {
        let wide: [Int64] = try get()
        let data: [UInt8] = try next(.bytes) { (payload, d) throws(FormatError) in
            guard d.encoding == .plain, Int(d.count) == payload.count else {
                throw .invalid("spilled string bytes: \(d.count) declared, \(payload.count) stored")
            }
            return Array(payload)
        }
        guard let first = wide.first, first == 0, wide.last == Int64(data.count) else {
            throw .invalid("spilled string offsets do not span their \(data.count) bytes")
        }
        var offsets = [UInt32]()
        offsets.reserveCapacity(wide.count)
        var previous: Int64 = 0
        for o in wide {
            guard o >= previous else { throw .invalid("spilled string offsets go backwards") }
            offsets.append(UInt32(o))
            previous = o
        }
        return ByteColumn(offsets: offsets, data: data)
    }

    /// Reads one header, checks it, and decodes its payload with `decode`.
    private mutating func next<T>(
        _ type: PhysicalType, _ decode: (UnsafeRawBufferPointer, ChunkDescriptor) throws(FormatError) -> T
    ) throws(FormatError) -> T {
        guard bytes.count - pos >= SpillPacker.headerSize else {
            throw .truncated("spill record ends inside an array header at byte \(pos)")
        }
        let at = pos
        let (typeRaw, encodingRaw, width, count, a, b, length) = bytes.withUnsafeBytes { raw in
            (
                raw[at], raw[at + 1], raw[at + 2],
                UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at + 3, as: UInt32.self)),
                Int64(littleEndian: raw.loadUnaligned(fromByteOffset: at + 7, as: Int64.self)),
                Int64(littleEndian: raw.loadUnaligned(fromByteOffset: at + 15, as: Int64.self)),
                UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at + 23, as: UInt64.self))
            )
        }
        guard typeRaw == type.rawValue else {
            throw .invalid("spill record: expected a \(type) array at byte \(at), found type \(typeRaw)")
        }
        guard let encoding = Encoding(rawValue: encodingRaw) else { throw .unknownEncoding(encodingRaw) }
        let start = at + SpillPacker.headerSize
        guard length <= UInt64(bytes.count - start) else {
            throw .truncated("spill record: a \(length)-byte array at byte \(at) runs past its \(bytes.count) bytes")
        }
        let end = start + Int(length)
        let d = ChunkDescriptor(
            offset: 0, storedLength: length, encodedLength: length, checksum: 0, count: count, physicalType: type,
            encoding: encoding, codec: .none, bitWidth: width, paramA: a, paramB: b)
        let r = bytes.withUnsafeBytes { raw in
            Result { () throws(FormatError) -> T in try decode(UnsafeRawBufferPointer(rebasing: raw[start..<end]), d) }
        }
        let value = try r.get()
        pos = end
        return value
    }
}
