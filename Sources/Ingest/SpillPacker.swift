import ColumnarFormat

/// Serialises a batch's arrays for the spill file, each encoded the way the dataset encodes its
/// columns (`ColumnEncoder`: frame-of-reference or delta bit packing for integers, exact decimals
/// for doubles, bitmaps or runs for flags) so that parsed rows take about as many bytes in the
/// spill as they will in the dataset, before the record is compressed as a whole.
///
/// Each array is a 31-byte header (physical type, encoding, bit width, UInt32 value count, Int64
/// parameters A and B, UInt64 payload length; little-endian) followed by its payload. The layout
/// is private to one ingest run; `SpillUnpacker` reads it back.
struct SpillPacker {
    static let headerSize = 31

    var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func put(_ a: [Int32]) { append(ColumnEncoder.encode(int32: a)) }

    mutating func put(_ a: [Int64]) { append(ColumnEncoder.encode(int64: a)) }

    mutating func put(_ a: [Double]) { append(ColumnEncoder.encode(float64: a)) }

    /// Flags: every byte is 0 or 1 (presence and boolean columns), stored as a bitmap or runs.
    mutating func put(_ a: [UInt8]) { append(ColumnEncoder.encode(bool: a)) }

    /// Strings: their offsets as integers (delta-packed, so equal lengths cost no bits), then the
    /// concatenated bytes as they are.
    mutating func put(_ c: ByteColumn) {
        append(ColumnEncoder.encode(int64: c.offsets.map { Int64($0) }))
        c.data.withUnsafeBytes { append(header: .bytes, encoding: .plain, bitWidth: 0, count: $0.count, a: 0, b: 0, payload: $0) }
    }

    private mutating func append(_ e: EncodedChunk) {
        e.payload.withUnsafeBytes {
            append(
                header: e.physicalType, encoding: e.encoding, bitWidth: e.bitWidth, count: e.count, a: e.paramA, b: e.paramB, payload: $0)
        }
    }

    private mutating func append(
        header type: PhysicalType, encoding: Encoding, bitWidth: UInt8, count: Int, a: Int64, b: Int64, payload: UnsafeRawBufferPointer
    ) {
        precondition(count <= Int(UInt32.max), "a spilled array holds fewer than 2^32 values")
        bytes.append(type.rawValue)
        bytes.append(encoding.rawValue)
        bytes.append(bitWidth)
        withUnsafeBytes(of: UInt32(count).littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: a.littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: b.littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(payload.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: payload)
    }
}
