/// One column chunk's entries as read: levels and the values of the entries defined to the leaf.
public struct ParquetColumnData: Sendable {
    public var reps: [UInt8] = []
    public var defs: [UInt8] = []
    public var values: Values

    public enum Values: Sendable {
        case bool([Bool])
        case int32([Int32])
        case int64([Int64])
        case float([Float])
        case double([Double])
        /// Byte arrays (and fixed-length ones): offsets (count + 1) into data.
        case bytes(offsets: [Int], data: [UInt8])
        /// INT96 timestamps (Spark's legacy): nanoseconds of the day and the Julian day.
        case int96([(nanos: Int64, julianDay: Int32)])

        var count: Int {
            switch self {
            case .bool(let v): v.count
            case .int32(let v): v.count
            case .int64(let v): v.count
            case .float(let v): v.count
            case .double(let v): v.count
            case .bytes(let o, _): o.count - 1
            case .int96(let v): v.count
            }
        }
    }
}

/// Parquet's value encodings (`Encodings.md`): the RLE / bit-packing hybrid, PLAIN, the
/// dictionary indices, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY. Every
/// read is bounds-checked.
struct ParquetDecoder {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8], at position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    var remaining: Int { bytes.count - position }

    mutating func byte() throws(ParquetError) -> UInt8 {
        guard position < bytes.count else { throw .invalid("a page ends early") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u32() throws(ParquetError) -> UInt32 {
        guard remaining >= 4 else { throw .invalid("a page ends early") }
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[position + i]) << UInt32(8 * i) }
        position += 4
        return v
    }

    /// A varint that must be a count: at most 2^40 (no page holds more).
    mutating func count() throws(ParquetError) -> Int {
        let v = try varint()
        guard v <= 1 << 40 else { throw .invalid("a count of \(v) is larger than any page") }
        return Int(v)
    }

    mutating func varint() throws(ParquetError) -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64 else { throw .invalid("a varint is too long") }
            v |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return v }
            shift += 7
        }
    }

    mutating func zigzag() throws(ParquetError) -> Int64 {
        let v = try varint()
        return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    /// `count` values of the RLE / bit-packing hybrid of `bitWidth` bits, up to `end`.
    mutating func hybrid(count: Int, bitWidth: Int, end: Int) throws(ParquetError) -> [UInt32] {
        guard (0...32).contains(bitWidth) else { throw .invalid("a bit width of \(bitWidth)") }
        var out: [UInt32] = []
        out.reserveCapacity(count)
        let valueBytes = (bitWidth + 7) / 8
        while out.count < count {
            guard position < end else { throw .invalid("RLE runs end before their \(count) values") }
            let header = try varint()
            // A run longer than any page is malformed (and would overflow the counts below).
            guard header >> 1 <= 1 << 40 else { throw .invalid("an RLE run of \(header >> 1) is longer than any page") }
            if header & 1 == 0 {
                let run = Int(header >> 1)
                var v: UInt32 = 0
                for i in 0..<valueBytes { v |= UInt32(try byte()) << UInt32(8 * i) }
                out.append(contentsOf: repeatElement(v, count: min(run, count - out.count)))
            } else {
                let values = Int(header >> 1) * 8
                let n = values * bitWidth / 8
                guard n <= end - position else { throw .invalid("a bit-packed run passes its page") }
                var acc: UInt64 = 0
                var bits = 0
                var taken = 0
                var k = 0
                // Values past the `count` wanted are skipped with the run (`position += n`): a run of
                // width 0 reads no byte, and must not spin through a count no page holds.
                while taken < values && out.count < count {
                    while bits < bitWidth {
                        acc |= UInt64(bytes[position + k]) << UInt64(bits)
                        k += 1
                        bits += 8
                    }
                    let v = UInt32(truncatingIfNeeded: acc & ((1 << UInt64(bitWidth)) - 1))
                    acc >>= UInt64(bitWidth)
                    bits -= bitWidth
                    out.append(v)
                    taken += 1
                }
                position += n
            }
        }
        return out
    }

    /// DELTA_BINARY_PACKED integers.
    mutating func deltaBinaryPacked() throws(ParquetError) -> [Int64] {
        // Read as counts: a varint past Int's range is a malformed header, not a trap.
        let blockSize = try count()
        let miniblocks = try count()
        let total = try count()
        var last = try zigzag()
        guard miniblocks > 0, blockSize > 0, blockSize % miniblocks == 0, total <= bytes.count * 8 + 1 else {
            throw .invalid("a DELTA_BINARY_PACKED header is malformed")
        }
        let perMini = blockSize / miniblocks
        var out: [Int64] = []
        out.reserveCapacity(total)
        if total > 0 { out.append(last) }
        while out.count < total {
            let minDelta = try zigzag()
            var widths: [Int] = []
            for _ in 0..<miniblocks { widths.append(Int(try byte())) }
            for w in widths {
                guard out.count < total else { break }
                guard w <= 64 else { throw .invalid("a miniblock bit width of \(w)") }
                let n = perMini * w / 8
                guard n <= remaining else { throw .invalid("a miniblock passes its page") }
                var acc: UInt64 = 0
                var bits = 0
                var k = 0
                // Only the values still wanted are decoded (the miniblock is then skipped whole):
                // a miniblock of width 0 reads no byte and must not spin through its length.
                for _ in 0..<min(perMini, total - out.count) {
                    var v: UInt64 = 0
                    var got = 0
                    while got < w {
                        if bits == 0 {
                            acc = UInt64(bytes[position + k])
                            k += 1
                            bits = 8
                        }
                        let take = min(bits, w - got)
                        v |= (acc & ((1 << UInt64(take)) - 1)) << UInt64(got)
                        acc >>= UInt64(take)
                        bits -= take
                        got += take
                    }
                    last = last &+ minDelta &+ Int64(bitPattern: v)
                    out.append(last)
                }
                position += n
            }
        }
        return out
    }

    /// Byte arrays: PLAIN (`plainCount` values), or with DELTA_LENGTH_BYTE_ARRAY or
    /// DELTA_BYTE_ARRAY.
    mutating func byteArrays(encoding: Int64, count: Int) throws(ParquetError) -> (offsets: [Int], data: [UInt8]) {
        var offsets = [0]
        var data: [UInt8] = []
        switch encoding {
        case 0:
            for _ in 0..<count {
                let n = Int(try u32())
                guard n <= remaining else { throw .invalid("a byte array passes its page") }
                data.append(contentsOf: bytes[position..<position + n])
                position += n
                offsets.append(data.count)
            }
        case 6:
            let lengths = try deltaBinaryPacked()
            guard lengths.count >= count else { throw .invalid("fewer lengths than values") }
            for n in lengths.prefix(count) {
                guard n >= 0, Int(n) <= remaining else { throw .invalid("a byte array passes its page") }
                data.append(contentsOf: bytes[position..<position + Int(n)])
                position += Int(n)
                offsets.append(data.count)
            }
        case 7:
            let prefixes = try deltaBinaryPacked()
            let suffixes = try byteArrays(encoding: 6, count: count)
            guard prefixes.count >= count else { throw .invalid("fewer prefixes than values") }
            var previous: [UInt8] = []
            for i in 0..<count {
                let p = Int(prefixes[i])
                guard p >= 0, p <= previous.count else { throw .invalid("a prefix longer than the previous value") }
                let value = Array(previous[..<p]) + suffixes.data[suffixes.offsets[i]..<suffixes.offsets[i + 1]]
                data.append(contentsOf: value)
                offsets.append(data.count)
                previous = value
            }
        default: throw .unsupported("encoding \(encoding) for byte arrays")
        }
        return (offsets, data)
    }
}
