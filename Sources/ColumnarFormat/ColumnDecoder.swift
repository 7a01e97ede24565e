/// Turns an encoded payload back into values. Every length and parameter is checked against the
/// descriptor first, so a corrupted chunk throws `FormatError` instead of reading out of bounds.
public enum ColumnDecoder {
    static func expect(_ ok: Bool, _ what: @autoclosure () -> String) throws(FormatError) {
        if !ok { throw .invalid(what()) }
    }

    static func checkBitPacked(_ payload: UnsafeRawBufferPointer, count: Int, width: Int, _ ctx: String) throws(FormatError) {
        try expect(width <= 64, "\(ctx): bit width \(width) > 64")
        try expect(
            payload.count == BitPacking.byteCount(count: count, width: width),
            "\(ctx): bit-packed payload is \(payload.count) bytes, expected \(BitPacking.byteCount(count: count, width: width))")
    }

    /// Decodes an int32 or int64 chunk into Int64 values.
    public static func decodeIntegers(_ payload: UnsafeRawBufferPointer, _ d: ChunkDescriptor, context ctx: String) throws(FormatError)
        -> [Int64]
    {
        let n = Int(d.count)
        guard d.physicalType == .int32 || d.physicalType == .int64 else {
            throw .invalid("\(ctx): expected an integer chunk, found \(d.physicalType)")
        }
        guard let enc = d.encoding else { throw .unknownEncoding(d.encodingRaw) }
        var out = [Int64](repeating: 0, count: n)
        switch enc {
        case .plain:
            let size = d.physicalType == .int32 ? 4 : 8
            try expect(payload.count == n * size, "\(ctx): plain payload is \(payload.count) bytes for \(n) values")
            out.withUnsafeMutableBufferPointer { o in
                if size == 4 {
                    for i in 0..<n { o[i] = Int64(Int32(littleEndian: payload.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))) }
                } else {
                    for i in 0..<n { o[i] = Int64(littleEndian: payload.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)) }
                }
            }
        case .bitPacked:
            let w = Int(d.bitWidth)
            try checkBitPacked(payload, count: n, width: w, ctx)
            let base = d.paramA
            out.withUnsafeMutableBufferPointer { o in
                BitPacking.unpack(payload, count: n, width: w) { i, v in o[i] = base &+ Int64(bitPattern: v) }
            }
        case .deltaBitPacked:
            let w = Int(d.bitWidth)
            if n == 0 {
                try expect(payload.isEmpty, "\(ctx): empty delta chunk has a payload")
                return out
            }
            try checkBitPacked(payload, count: n - 1, width: w, ctx)
            let minDelta = d.paramB
            out.withUnsafeMutableBufferPointer { o in
                o[0] = d.paramA
                var prev = d.paramA
                BitPacking.unpack(payload, count: n - 1, width: w) { i, v in
                    prev = prev &+ (Int64(bitPattern: v) &+ minDelta)
                    o[i + 1] = prev
                }
            }
        default:
            throw .invalid("\(ctx): encoding \(enc) does not apply to integers")
        }
        if d.physicalType == .int32 {
            for x in out where x < Int64(Int32.min) || x > Int64(Int32.max) {
                throw .invalid("\(ctx): value \(x) does not fit int32")
            }
        }
        return out
    }

    /// Decodes an int64 (or int32) chunk into `out` (exactly `d.count` elements), with fast paths
    /// for bit-packed and delta encodings.
    public static func decodeInt64(
        _ payload: UnsafeRawBufferPointer, _ d: ChunkDescriptor, into out: UnsafeMutableBufferPointer<Int64>,
        context ctx: String
    ) throws(FormatError) {
        let n = Int(d.count)
        precondition(out.count == n, "output buffer must hold the chunk's values")
        if d.physicalType == .int64 && n > 0 {
            if d.encoding == .bitPacked {
                let w = Int(d.bitWidth)
                try checkBitPacked(payload, count: n, width: w, ctx)
                BitPacking.unpackInt64(payload, count: n, width: w, base: d.paramA, into: out.baseAddress!)
                return
            }
            if d.encoding == .deltaBitPacked {
                let w = Int(d.bitWidth)
                try checkBitPacked(payload, count: n - 1, width: w, ctx)
                out[0] = d.paramA
                if n > 1 {
                    BitPacking.unpackInt64(payload, count: n - 1, width: w, base: d.paramB, into: out.baseAddress! + 1)
                    var prev = d.paramA
                    for i in 1..<n {
                        prev = prev &+ out[i]
                        out[i] = prev
                    }
                }
                return
            }
        }
        let all = try decodeIntegers(payload, d, context: ctx)
        for i in 0..<n { out[i] = all[i] }
    }

    /// A `count`-element array filled by one of the `into:` decoders.
    static func filled<T>(_ count: Int, _ zero: T, _ fill: (UnsafeMutableBufferPointer<T>) throws(FormatError) -> Void)
        throws(FormatError) -> [T]
    {
        var out = [T](repeating: zero, count: count)
        try out.withUnsafeMutableBufferPointer { (o) throws(FormatError) in try fill(o) }
        return out
    }

    /// Decodes an int32 chunk.
    public static func decodeInt32(_ payload: UnsafeRawBufferPointer, _ d: ChunkDescriptor, context ctx: String) throws(FormatError)
        -> [Int32]
    {
        try filled(Int(d.count), 0) { (o) throws(FormatError) in _ = try decodeInt32(payload, d, into: o, context: ctx) }
    }

    /// Decodes an int32 chunk into `out` (exactly `d.count` elements) and returns the smallest
    /// and largest value, so callers can range-check dictionary codes without another pass.
    @discardableResult
    public static func decodeInt32(
        _ payload: UnsafeRawBufferPointer, _ d: ChunkDescriptor, into out: UnsafeMutableBufferPointer<Int32>,
        context ctx: String
    ) throws(FormatError) -> (min: Int64, max: Int64) {
        let n = Int(d.count)
        precondition(out.count == n, "output buffer must hold the chunk's values")
        guard d.physicalType == .int32 else { throw .invalid("\(ctx): expected int32, found \(d.physicalType)") }
        if n == 0 { return (0, -1) }
        if d.encoding == .bitPacked {
            let w = Int(d.bitWidth)
            try checkBitPacked(payload, count: n, width: w, ctx)
            let lo = d.paramA
            let (hi, overflow) = lo.addingReportingOverflow(w == 0 ? 0 : (w >= 63 ? Int64.max : (Int64(1) << Int64(w)) - 1))
            guard !overflow, lo >= Int64(Int32.min), hi <= Int64(Int32.max) else {
                // Values may not fit: take the general path, which checks each one.
                let all = try decodeIntegers(payload, d, context: ctx)
                for i in 0..<n { out[i] = Int32(truncatingIfNeeded: all[i]) }
                return (all.min() ?? 0, all.max() ?? -1)
            }
            let r = BitPacking.unpackInt32(payload, count: n, width: w, base: lo, into: out.baseAddress!)
            return (Int64(r.min), Int64(r.max))
        }
        let all = try decodeIntegers(payload, d, context: ctx)
        var lo = Int64.max
        var hi = Int64.min
        for i in 0..<n {
            let v = all[i]
            if v < lo { lo = v }
            if v > hi { hi = v }
            out[i] = Int32(truncatingIfNeeded: v)
        }
        return (lo, hi)
    }

    /// Decodes only the values at the positions in `ranges` (each within `0..<d.count`) of an
    /// integer chunk, range by range, into `out` (exactly as many elements as the ranges cover).
    /// A bit-packed chunk is read only where those values lie; other encodings (a delta chunk's
    /// values depend on every earlier one) are decoded whole first. Values of an int32 chunk are
    /// checked to fit int32, as whole decoding does.
    public static func gatherInt64(
        _ payload: UnsafeRawBufferPointer, _ d: ChunkDescriptor, ranges: [Range<Int>],
        into out: UnsafeMutableBufferPointer<Int64>, context ctx: String
    ) throws(FormatError) {
        let n = Int(d.count)
        guard d.physicalType == .int32 || d.physicalType == .int64 else {
            throw .invalid("\(ctx): expected an integer chunk, found \(d.physicalType)")
        }
        precondition(ranges.allSatisfy { $0.lowerBound >= 0 && $0.upperBound <= n }, "positions within the chunk")
        precondition(out.count == ranges.reduce(0) { $0 + $1.count }, "output buffer must hold the gathered values")
        var at = 0
        if d.encoding == .bitPacked {
            let w = Int(d.bitWidth)
            try checkBitPacked(payload, count: n, width: w, ctx)
            let base = d.paramA
            BitPacking.gather(payload, count: n, width: w, ranges: ranges) { u in
                out[at] = base &+ Int64(bitPattern: u)
                at &+= 1
            }
            if d.physicalType == .int32 {
                for x in out where x < Int64(Int32.min) || x > Int64(Int32.max) {
                    throw .invalid("\(ctx): value \(x) does not fit int32")
                }
            }
            return
        }
        let all = UnsafeMutableBufferPointer<Int64>.allocate(capacity: n)
        defer { all.deallocate() }
        try decodeInt64(payload, d, into: all, context: ctx)
        for r in ranges {
            for i in r {
                out[at] = all[i]
                at += 1
            }
        }
    }

    /// `gatherInt64` for an int32 chunk, into int32 values; returns the smallest and largest
    /// value gathered, so callers can range-check dictionary codes.
    @discardableResult
    public static func gatherInt32(
        _ payload: UnsafeRawBufferPointer, _ d: ChunkDescriptor, ranges: [Range<Int>],
        into out: UnsafeMutableBufferPointer<Int32>, context ctx: String
    ) throws(FormatError) -> (min: Int64, max: Int64) {
        guard d.physicalType == .int32 else { throw .invalid("\(ctx): expected int32, found \(d.physicalType)") }
        let wide = UnsafeMutableBufferPointer<Int64>.allocate(capacity: out.count)
        defer { wide.deallocate() }
        try gatherInt64(payload, d, ranges: ranges, into: wide, context: ctx)
        var lo = Int64.max
        var hi = Int64.min
        for (i, v) in wide.enumerated() {
            if v < lo { lo = v }
            if v > hi { hi = v }
            out[i] = Int32(truncatingIfNeeded: v)
        }
        return out.isEmpty ? (0, -1) : (lo, hi)
    }

    public static func decodeFloat64(_ payload: UnsafeRawBufferPointer, _ d: ChunkDescriptor, context ctx: String) throws(FormatError)
        -> [Double]
    {
        try filled(Int(d.count), 0) { (o) throws(FormatError) in try decodeFloat64(payload, d, into: o, context: ctx) }
    }

    /// Decodes a float64 chunk into `out` (exactly `d.count` elements).
    public static func decodeFloat64(
        _ payload: UnsafeRawBufferPointer, _ d: ChunkDescriptor, into o: UnsafeMutableBufferPointer<Double>, context ctx: String
    ) throws(FormatError) {
        let n = Int(d.count)
        precondition(o.count == n, "the output holds the chunk's values")
        guard d.physicalType == .float64 else { throw .invalid("\(ctx): expected float64, found \(d.physicalType)") }
        guard let enc = d.encoding else { throw .unknownEncoding(d.encodingRaw) }
        switch enc {
        case .plain:
            try expect(payload.count == n * 8, "\(ctx): plain payload is \(payload.count) bytes for \(n) doubles")
            for i in 0..<n {
                o[i] = Double(bitPattern: UInt64(littleEndian: payload.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))
            }
        case .decimalBitPacked:
            let w = Int(d.bitWidth)
            try checkBitPacked(payload, count: n, width: w, ctx)
            try expect(
                d.paramB >= 0 && d.paramB < Int64(ColumnEncoder.powersOfTen.count), "\(ctx): decimal exponent \(d.paramB) out of range")
            let scale = ColumnEncoder.powersOfTen[Int(d.paramB)]
            // The scaled integers first, into the output's own memory (Int64 and Double have
            // the same size), by the unpacker every integer column uses; then each divided by the
            // scale in place, in a loop the compiler vectorises.
            if n > 0 {
                o.withMemoryRebound(to: Int64.self) { ints in
                    BitPacking.unpackInt64(payload, count: n, width: w, base: d.paramA, into: ints.baseAddress!)
                }
            }
            for i in 0..<n { o[i] = Double(Int64(bitPattern: o[i].bitPattern)) / scale }
        default:
            throw .invalid("\(ctx): encoding \(enc) does not apply to doubles")
        }
    }

    /// Decodes a bool chunk into one byte (0 or 1) per value.
    public static func decodeBool(_ payload: UnsafeRawBufferPointer, _ d: ChunkDescriptor, context ctx: String) throws(FormatError)
        -> [UInt8]
    {
        try filled(Int(d.count), 0) { (o) throws(FormatError) in try decodeBool(payload, d, into: o, context: ctx) }
    }

    /// Decodes a bool chunk into `out` (exactly `d.count` bytes, each 0 or 1).
    public static func decodeBool(
        _ payload: UnsafeRawBufferPointer, _ d: ChunkDescriptor, into out: UnsafeMutableBufferPointer<UInt8>, context ctx: String
    ) throws(FormatError) {
        let n = Int(d.count)
        precondition(out.count == n, "the output holds the chunk's values")
        guard d.physicalType == .bool else { throw .invalid("\(ctx): expected bool, found \(d.physicalType)") }
        guard let enc = d.encoding else { throw .unknownEncoding(d.encodingRaw) }
        switch enc {
        case .plain:
            try expect(payload.count == n, "\(ctx): plain bool payload is \(payload.count) bytes for \(n) values")
            for i in 0..<n {
                let b = payload[i]
                try expect(b <= 1, "\(ctx): bool byte \(b) is neither 0 nor 1")
                out[i] = b
            }
        case .bitmap:
            try expect(payload.count == (n + 7) / 8, "\(ctx): bitmap is \(payload.count) bytes for \(n) values")
            for i in 0..<n { out[i] = (payload[i >> 3] >> UInt8(i & 7)) & 1 }
        case .runLength:
            try expect(payload.count % 4 == 0, "\(ctx): run-length payload size \(payload.count) is not a multiple of 4")
            for i in 0..<n { out[i] = 0 }
            var pos = 0
            var value: UInt8 = 0
            for r in 0..<(payload.count / 4) {
                let len = Int(UInt32(littleEndian: payload.loadUnaligned(fromByteOffset: r * 4, as: UInt32.self)))
                try expect(len <= n - pos, "\(ctx): runs cover more than \(n) values")
                if value == 1 { for i in pos..<(pos + len) { out[i] = 1 } }
                pos += len
                value ^= 1
            }
            try expect(pos == n, "\(ctx): runs cover \(pos) of \(n) values")
        default:
            throw .invalid("\(ctx): encoding \(enc) does not apply to bools")
        }
    }

    /// Decodes a bytes chunk into `count + 1` offsets (starting at 0) and the data they index.
    public static func decodeBytes(_ payload: UnsafeRawBufferPointer, _ d: ChunkDescriptor, context ctx: String) throws(FormatError) -> (
        offsets: [UInt32], data: [UInt8]
    ) {
        let n = Int(d.count)
        guard d.physicalType == .bytes else { throw .invalid("\(ctx): expected bytes, found \(d.physicalType)") }
        guard d.encoding == .plain else {
            if d.encoding == nil { throw .unknownEncoding(d.encodingRaw) }
            throw .invalid("\(ctx): encoding \(d.encoding!) does not apply to bytes")
        }
        try expect(payload.count >= (n + 1) * 4, "\(ctx): bytes payload too short for \(n + 1) offsets")
        var offsets = [UInt32](repeating: 0, count: n + 1)
        let dataLen = payload.count - (n + 1) * 4
        var prev: UInt32 = 0
        for i in 0...n {
            let o = UInt32(littleEndian: payload.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
            try expect(i > 0 || o == 0, "\(ctx): first offset is \(o), not 0")
            try expect(o >= prev && Int(o) <= dataLen, "\(ctx): offset \(i) = \(o) is out of order or past the data")
            offsets[i] = o
            prev = o
        }
        try expect(Int(prev) == dataLen, "\(ctx): offsets end at \(prev) but data has \(dataLen) bytes")
        let data = Array(UnsafeRawBufferPointer(rebasing: payload[((n + 1) * 4)...]))
        return (offsets, data)
    }
}
