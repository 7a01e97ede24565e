import ColumnarFormat
import Testing

/// Every encoding against a naive reference: random inputs must decode to exactly the input,
/// and the chosen encoding must be no larger than plain.
@Suite struct EncodingTests {
    func decode(_ e: EncodedChunk) throws -> ChunkDescriptor {
        ChunkDescriptor(
            offset: 64, storedLength: UInt64(e.payload.count), encodedLength: UInt64(e.payload.count), checksum: 0,
            count: UInt32(e.count), physicalType: e.physicalType, encoding: e.encoding, codec: .none,
            bitWidth: e.bitWidth, paramA: e.paramA, paramB: e.paramB)
    }

    @Test(arguments: 0..<40)
    func bitPackingMatchesNaive(seed: Int) {
        var rng = SplitMix(seed: UInt64(seed))
        let width = seed % 41 == 40 ? 64 : Int(rng.next() % 65)
        let count = Int(rng.next() % 300)
        let mask: UInt64 = width == 64 ? ~0 : (width == 0 ? 0 : (1 << UInt64(width)) - 1)
        let values = (0..<count).map { _ in rng.next() & mask }
        var packed: [UInt8] = []
        BitPacking.pack(count: count, width: width, into: &packed) { values[$0] }
        #expect(packed.count == BitPacking.byteCount(count: count, width: width))
        // Naive reference: bit i*width+b of the stream is bit b of value i.
        for (i, v) in values.enumerated() {
            for b in 0..<width {
                let bit = i * width + b
                let stored = (packed[bit / 8] >> UInt8(bit % 8)) & 1
                #expect(UInt64(stored) == (v >> UInt64(b)) & 1)
            }
        }
        var out = [UInt64](repeating: 0, count: count)
        packed.withUnsafeBytes { raw in BitPacking.unpack(raw, count: count, width: width) { out[$0] = $1 } }
        #expect(out == values)
    }

    /// Every width, counts around word boundaries, after bytes already in the output (whose
    /// words the packed ones are not aligned to): the packed bits are the naive stream's, and the
    /// bytes before them are kept.
    @Test(arguments: 0...64)
    func bitPackingEveryWidthAfterAPrefix(width: Int) {
        var rng = SplitMix(seed: UInt64(width) &+ 99)
        let mask: UInt64 = width == 64 ? ~0 : (width == 0 ? 0 : (1 << UInt64(width)) - 1)
        for count in [0, 1, 2, 63, 64, 65, 127, 129, 1000] {
            let values = (0..<count).map { k in k % 7 == 3 ? mask : rng.next() & mask }
            var packed: [UInt8] = [1, 2, 3]
            BitPacking.pack(count: count, width: width, into: &packed) { values[$0] }
            #expect(Array(packed.prefix(3)) == [1, 2, 3])
            let body = Array(packed.dropFirst(3))
            #expect(body.count == BitPacking.byteCount(count: count, width: width))
            var naive = [UInt8](repeating: 0, count: body.count)
            for (i, v) in values.enumerated() {
                for b in 0..<width where (v >> UInt64(b)) & 1 == 1 {
                    let bit = i * width + b
                    naive[bit / 8] |= 1 << UInt8(bit % 8)
                }
            }
            #expect(body == naive, "width \(width) count \(count)")
        }
    }

    /// The Int32 unpacker (one load per value up to 56 bits, two beyond, a careful tail) against
    /// the packed values, for every width it takes and counts around word boundaries.
    @Test(arguments: 0...32)
    func unpackInt32MatchesPacked(width: Int) {
        var rng = SplitMix(seed: UInt64(width) &+ 7)
        for count in [0, 1, 7, 8, 9, 63, 64, 65, 200, 1001] {
            let mask: UInt64 = width == 0 ? 0 : (1 << UInt64(width)) - 1
            let values = (0..<count).map { _ in rng.next() & mask }
            var packed: [UInt8] = []
            BitPacking.pack(count: count, width: width, into: &packed) { values[$0] }
            let base: Int64 = width == 32 ? -(1 << 31) : -3
            var out = [Int32](repeating: 0, count: count)
            let range = packed.withUnsafeBytes { raw in
                out.withUnsafeMutableBufferPointer {
                    BitPacking.unpackInt32(raw, count: count, width: width, base: base, into: $0.baseAddress!)
                }
            }
            let expected = values.map { Int32(truncatingIfNeeded: Int64(bitPattern: $0) &+ base) }
            #expect(out == expected, "width \(width) count \(count)")
            if count > 0 { #expect(range.min == expected.min()! && range.max == expected.max()!) }
        }
    }

    /// The vector kernel (AVX-512 VBMI, 16 values a step, widths 1-25) against the scalar path
    /// on the same payloads: values, minimum and maximum, around step and payload boundaries, with
    /// a base that wraps and values at the width's extremes. On a CPU without the instructions
    /// both calls take the scalar path (and the test says so in its name's output).
    @Test(arguments: 0...32)
    func vectorUnpackingMatchesScalar(width: Int) {
        var rng = SplitMix(seed: UInt64(width) &+ 1234)
        let mask: UInt64 = width == 0 ? 0 : (1 << UInt64(width)) - 1
        for count in [0, 15, 16, 17, 31, 32, 33, 47, 48, 100, 1000, 16_384, 16_390] {
            // Some runs of the extremes, so the kernel's minimum and maximum see them in any lane.
            let values = (0..<count).map { k in k % 97 == 5 ? mask : (k % 89 == 3 ? 0 : rng.next() & mask) }
            var packed: [UInt8] = []
            BitPacking.pack(count: count, width: width, into: &packed) { values[$0] }
            for base: Int64 in [0, -3, Int64(Int32.max) - 5, 1 << 40] {
                var vector = [Int32](repeating: 9, count: count)
                var scalar = [Int32](repeating: 7, count: count)
                let (v, s) = packed.withUnsafeBytes { raw in
                    (
                        vector.withUnsafeMutableBufferPointer {
                            BitPacking.unpackInt32(raw, count: count, width: width, base: base, into: $0.baseAddress!, vector: true)
                        },
                        scalar.withUnsafeMutableBufferPointer {
                            BitPacking.unpackInt32(raw, count: count, width: width, base: base, into: $0.baseAddress!, vector: false)
                        }
                    )
                }
                #expect(vector == scalar, "width \(width) count \(count) base \(base) (vector kernel: \(BitPacking.vectorUnpacking))")
                #expect(v.min == s.min && v.max == s.max, "width \(width) count \(count) base \(base)")
                var vector64 = [Int64](repeating: 9, count: count)
                var scalar64 = [Int64](repeating: 7, count: count)
                let base64 = base == 1 << 40 ? Int64.max - Int64(mask) / 2 : base  // wraps past Int64.max
                packed.withUnsafeBytes { raw in
                    vector64.withUnsafeMutableBufferPointer {
                        BitPacking.unpackInt64(raw, count: count, width: width, base: base64, into: $0.baseAddress!, vector: true)
                    }
                    scalar64.withUnsafeMutableBufferPointer {
                        BitPacking.unpackInt64(raw, count: count, width: width, base: base64, into: $0.baseAddress!, vector: false)
                    }
                }
                #expect(vector64 == scalar64, "int64 width \(width) count \(count) base \(base64)")
            }
        }
    }

    /// The Int64 unpacker (blocks of 8 specialised per width up to 56 bits, then one or two word
    /// loads per value) against the packed values, for every width and counts around block and
    /// word boundaries.
    @Test(arguments: 0...64)
    func unpackInt64MatchesPacked(width: Int) {
        var rng = SplitMix(seed: UInt64(width) &+ 99)
        for count in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 200, 1001] {
            let mask: UInt64 = width == 64 ? ~0 : (width == 0 ? 0 : (1 << UInt64(width)) - 1)
            let values = (0..<count).map { _ in rng.next() & mask }
            var packed: [UInt8] = []
            BitPacking.pack(count: count, width: width, into: &packed) { values[$0] }
            let base: Int64 = -1_000_003
            var out = [Int64](repeating: 7, count: count)
            packed.withUnsafeBytes { raw in
                out.withUnsafeMutableBufferPointer {
                    BitPacking.unpackInt64(raw, count: count, width: width, base: base, into: $0.baseAddress!)
                }
            }
            #expect(out == values.map { base &+ Int64(bitPattern: $0) }, "width \(width) count \(count)")
        }
    }

    @Test(arguments: 0..<30)
    func integersRoundTrip(seed: Int) throws {
        var rng = SplitMix(seed: UInt64(seed) &+ 100)
        let n = Int(rng.next() % 2000)
        let shape = seed % 5
        var v: [Int64] = []
        var x = Int64(bitPattern: rng.next() % 1_000_000)
        for _ in 0..<n {
            switch shape {
            case 0: v.append(Int64(bitPattern: rng.next()))  // full range: plain
            case 1: v.append(Int64(rng.next() % 1000) - 500)  // small range: FOR
            case 2:
                x &+= Int64(rng.next() % 16)
                v.append(x)  // sorted: delta
            case 3: v.append(42)  // constant: width 0
            default: v.append(Int64(rng.next() % 2) == 0 ? Int64.min : Int64.max)  // extremes
            }
        }
        let e = ColumnEncoder.encode(int64: v)
        #expect(e.payload.count <= n * 8)
        let d = try decode(e)
        let back = try e.payload.withUnsafeBytes { try ColumnDecoder.decodeIntegers($0, d, context: "t") }
        #expect(back == v)
        if shape == 3 && n > 0 { #expect(e.payload.isEmpty) }
    }

    /// Ascending, disjoint ranges over `0..<n`: empty ones, single values, runs that start and end
    /// anywhere (so inside and across 64-bit words), adjacent ones when `touching`.
    static func ranges(_ n: Int, _ rng: inout SplitMix, touching: Bool) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var at = 0
        while at < n {
            let lo = min(n, at + Int(rng.next() % 40))
            let hi = min(n, lo + Int(rng.next() % 24))
            out.append(lo..<hi)
            at = hi + (touching ? 0 : 1)
        }
        return out
    }

    /// Selective decoding against the whole chunk decoded, for every integer encoding (plain,
    /// frame of reference, delta, width 0): the values at the ranges, in order.
    @Test(arguments: 0..<30)
    func gatherMatchesWholeDecode(seed: Int) throws {
        var rng = SplitMix(seed: UInt64(seed) &+ 31)
        let n = Int(rng.next() % 2000)
        var v: [Int64] = []
        var x = Int64(rng.next() % 1000)
        for i in 0..<n {
            switch seed % 4 {
            case 0: v.append(Int64(bitPattern: rng.next()))  // plain
            case 1: v.append(Int64(rng.next() % 100_000) - 7)  // frame of reference
            case 2:
                x &+= Int64(rng.next() % 16)
                v.append(x)  // delta
            default: v.append(i % 2 == 0 ? 5 : 5)  // width 0
            }
        }
        let e = ColumnEncoder.encode(int64: v)
        let d = try decode(e)
        let ranges = Self.ranges(n, &rng, touching: seed % 3 == 0)
        let expected = ranges.flatMap { v[$0] }
        var out = [Int64](repeating: -1, count: expected.count)
        try out.withUnsafeMutableBufferPointer { o in
            try e.payload.withUnsafeBytes { try ColumnDecoder.gatherInt64($0, d, ranges: ranges, into: o, context: "t") }
        }
        #expect(out == expected, "encoding \(e.encoding)")

        let v32 = v.map { Int32(truncatingIfNeeded: $0 % 70_000) }
        let e32 = ColumnEncoder.encode(int32: v32)
        let expected32 = ranges.flatMap { v32[$0] }
        var out32 = [Int32](repeating: -1, count: expected32.count)
        let range = try out32.withUnsafeMutableBufferPointer { o in
            try e32.payload.withUnsafeBytes { try ColumnDecoder.gatherInt32($0, try decode(e32), ranges: ranges, into: o, context: "t") }
        }
        #expect(out32 == expected32, "encoding \(e32.encoding)")
        if let lo = expected32.min(), let hi = expected32.max() { #expect(range == (Int64(lo), Int64(hi))) }
    }

    /// A gathered value of an int32 chunk that does not fit int32 (a frame of reference moved up
    /// by a damaged descriptor) is an error, as in whole decoding, not a truncated code.
    @Test func gatherRejectsValuesBeyondInt32() throws {
        let e = ColumnEncoder.encode(int32: [0, 200, 7])
        #expect(e.encoding == .bitPacked)
        var d = try decode(e)
        d.paramA = Int64(Int32.max) - 10
        var out = [Int32](repeating: 0, count: 1)
        #expect(throws: FormatError.self) {
            try out.withUnsafeMutableBufferPointer { o in
                try e.payload.withUnsafeBytes { try ColumnDecoder.gatherInt32($0, d, ranges: [1..<2], into: o, context: "t") }
            }
        }
        // The value below the limit is read as it is.
        try out.withUnsafeMutableBufferPointer { o in
            try e.payload.withUnsafeBytes { try ColumnDecoder.gatherInt32($0, d, ranges: [2..<3], into: o, context: "t") }
        }
        #expect(out == [Int32.max - 3])
    }

    @Test(arguments: 0..<20)
    func int32RoundTrip(seed: Int) throws {
        var rng = SplitMix(seed: UInt64(seed) &+ 7)
        let n = Int(rng.next() % 5000)
        let v = (0..<n).map { _ in Int32(truncatingIfNeeded: seed % 2 == 0 ? rng.next() : rng.next() % 70_000) }
        let e = ColumnEncoder.encode(int32: v)
        #expect(e.payload.count <= n * 4)
        let back = try e.payload.withUnsafeBytes { try ColumnDecoder.decodeInt32($0, try decode(e), context: "t") }
        #expect(back == v)
    }

    /// The int32 fast path (straight into a buffer, returning min and max) against the reference.
    @Test(arguments: 0..<40)
    func int32IntoBufferMatchesReference(seed: Int) throws {
        var rng = SplitMix(seed: UInt64(seed) &+ 4242)
        let n = Int(rng.next() % 3000)
        let spread = [1, 2, 100, 70_000, 1 << 20, 1 << 31][seed % 6]
        let base = Int64(rng.next() % 1000) - 500
        let v = (0..<n).map { _ in Int32(truncatingIfNeeded: base + Int64(rng.next() % UInt64(spread))) }
        let e = ColumnEncoder.encode(int32: v)
        let d = try decode(e)
        var out = [Int32](repeating: -7, count: n)
        let range = try out.withUnsafeMutableBufferPointer { o in
            try e.payload.withUnsafeBytes { try ColumnDecoder.decodeInt32($0, d, into: o, context: "t") }
        }
        #expect(out == v)
        if n > 0 {
            #expect(range.min == Int64(v.min()!))
            #expect(range.max == Int64(v.max()!))
        }
    }

    @Test(arguments: 0..<30)
    func doublesRoundTripBitForBit(seed: Int) throws {
        var rng = SplitMix(seed: UInt64(seed) &+ 900)
        let n = Int(rng.next() % 3000) + 1
        let v: [Double] = (0..<n).map { i in
            switch seed % 4 {
            case 0: return Double(rng.next() % 10_000) / 10_000  // 4-decimal propensities
            case 1: return Double(Int64(rng.next() % 100_000) - 50_000) / 10  // latency with one decimal
            case 2: return Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF)  // arbitrary finite
            default: return i % 3 == 0 ? -0.0 : 0.5  // negative zero forces plain
            }
        }
        let e = ColumnEncoder.encode(float64: v)
        #expect(e.payload.count <= n * 8)
        if seed % 4 <= 1 { #expect(e.encoding == .decimalBitPacked) }
        if seed % 4 == 3 { #expect(e.encoding == .plain) }
        let back = try e.payload.withUnsafeBytes { try ColumnDecoder.decodeFloat64($0, try decode(e), context: "t") }
        #expect(back.map(\.bitPattern) == v.map(\.bitPattern))
    }

    @Test(arguments: 0..<20)
    func boolsRoundTrip(seed: Int) throws {
        var rng = SplitMix(seed: UInt64(seed) &+ 55)
        let n = Int(rng.next() % 4000)
        let runny = seed % 2 == 0
        var cur: UInt8 = 0
        let v: [UInt8] = (0..<n).map { _ in
            if runny {
                if rng.next() % 500 == 0 { cur ^= 1 }
                return cur
            }
            return UInt8(rng.next() % 2)
        }
        let e = ColumnEncoder.encode(bool: v)
        if runny && n > 100 { #expect(e.encoding == .runLength) }
        #expect(e.payload.count <= (n + 7) / 8 || e.encoding == .runLength)
        let back = try e.payload.withUnsafeBytes { try ColumnDecoder.decodeBool($0, try decode(e), context: "t") }
        #expect(back == v)
    }

    /// `zeros` is the chunk the scanning encoders give for all-zero values, byte for byte, at
    /// every size around the bitmap / run-length switch and at a row group of items.
    @Test(arguments: [0, 1, 7, 8, 31, 32, 33, 40, 41, 1000, 245_760])
    func zerosAreWhatTheEncodersWrite(count n: Int) {
        func same(_ a: EncodedChunk, _ b: EncodedChunk) -> Bool {
            a.payload == b.payload && a.count == b.count && a.physicalType == b.physicalType && a.encoding == b.encoding
                && a.bitWidth == b.bitWidth && a.paramA == b.paramA && a.paramB == b.paramB
        }
        #expect(same(ColumnEncoder.zeros(.bool, count: n), ColumnEncoder.encode(bool: [UInt8](repeating: 0, count: n))))
        #expect(same(ColumnEncoder.zeros(.float64, count: n), ColumnEncoder.encode(float64: [Double](repeating: 0, count: n))))
        #expect(
            same(ColumnEncoder.zeros(.bytes, count: n), ColumnEncoder.encode(offsets: [UInt32](repeating: 0, count: n + 1), data: [])))
    }

    @Test func bytesRoundTrip() throws {
        var rng = SplitMix(seed: 5)
        var offsets: [UInt32] = [0]
        var data: [UInt8] = []
        var strings: [[UInt8]] = []
        for _ in 0..<500 {
            let s = (0..<Int(rng.next() % 20)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            strings.append(s)
            data += s
            offsets.append(UInt32(data.count))
        }
        let e = ColumnEncoder.encode(offsets: offsets, data: data)
        let (o, d) = try e.payload.withUnsafeBytes { try ColumnDecoder.decodeBytes($0, try decode(e), context: "t") }
        #expect(o == offsets)
        #expect(d == data)
    }

    @Test func corruptPayloadsThrowInsteadOfTrapping() throws {
        let e = ColumnEncoder.encode(int64: (0..<100).map { Int64($0 * $0 % 97) })
        var d = try decode(e)
        d.count = 10_000  // more values than the payload holds
        #expect(throws: FormatError.self) { try e.payload.withUnsafeBytes { try ColumnDecoder.decodeIntegers($0, d, context: "t") } }
        var bad = try decode(ColumnEncoder.encode(offsets: [0, 3, 2], data: [1, 2]))
        bad.count = 2
        #expect(throws: FormatError.self) {
            try ColumnEncoder.encode(offsets: [0, 2], data: [1, 2]).payload.withUnsafeBytes {
                try ColumnDecoder.decodeBytes($0, bad, context: "t")
            }
        }
        var rle = try decode(ColumnEncoder.encode(bool: [UInt8](repeating: 1, count: 1000)))
        rle.count = 10
        #expect(throws: FormatError.self) {
            try ColumnEncoder.encode(bool: [UInt8](repeating: 1, count: 1000)).payload.withUnsafeBytes {
                try ColumnDecoder.decodeBool($0, rle, context: "t")
            }
        }
        var unknown = try decode(e)
        unknown.encodingRaw = 99
        #expect(throws: FormatError.unknownEncoding(99)) {
            try e.payload.withUnsafeBytes { try ColumnDecoder.decodeIntegers($0, unknown, context: "t") }
        }
    }
}

/// Ingest encodes propensities kept as scaled integers (`ColumnEncoder.encode(decimals:)`)
/// without building their doubles: the chunk must be the one `encode(float64:)` makes of those
/// doubles, byte for byte, for every mix of decimals the float encoder meets.
@Suite struct DecimalEncodingTests {
    func same(_ s: [Int32], _ exponent: Int) -> Bool {
        let p = ColumnEncoder.powersOfTen[exponent]
        let a = s.withUnsafeBufferPointer { ColumnEncoder.encode(decimals: $0, exponent: exponent) }
        let b = ColumnEncoder.encode(float64: s.map { Double($0) / p })
        return a.payload == b.payload && a.count == b.count && a.physicalType == b.physicalType && a.encoding == b.encoding
            && a.bitWidth == b.bitWidth && a.paramA == b.paramA && a.paramB == b.paramB
    }

    @Test(arguments: 0..<200)
    func scaledIntegersEncodeAsTheirDoubles(seed: Int) {
        var rng = SplitMix(seed: UInt64(seed) &+ 977)
        let exponent = Int(rng.next() % 10)
        // Counts around the 256 values the float encoder picks its exponent from.
        let count = [0, 1, 2, 255, 256, 257, 1000][Int(rng.next() % 7)]
        // Values: short decimals (trailing zeros in the integer), zeros, extremes, negatives,
        // some needing the full exponent only after the first 256.
        let kind = rng.next() % 6
        let s: [Int32] = (0..<count).map { i in
            switch kind {
            case 0: return Int32(truncatingIfNeeded: rng.next() % 10_000)
            case 1: return Int32(truncatingIfNeeded: (rng.next() % 100) * 100)
            case 2: return i < 256 ? Int32(truncatingIfNeeded: (rng.next() % 50) * 1000) : Int32(truncatingIfNeeded: rng.next() % 50_000)
            case 3: return [0, Int32.max, Int32.min + 1, -1, 1, 10, -10][Int(rng.next() % 7)]
            case 4: return Int32(truncatingIfNeeded: Int64(rng.next() % 4_000_000_000) - 2_000_000_000)
            default: return rng.next() % 3 == 0 ? 0 : Int32(truncatingIfNeeded: (rng.next() % 9 + 1) * 100_000)
            }
        }
        #expect(same(s, exponent), "seed \(seed) exponent \(exponent) kind \(kind) count \(count)")
    }

    /// Propensities as the generator writes them (four decimals), and what `DecimalValues`
    /// makes of them after raising its exponent part way.
    @Test func propensityShapes() {
        #expect(same([6927, 4367, 2134, 1000, 0, 10_000], 4))
        #expect(same([69_270, 43_670, 21_340, 10_000, 5], 5))
        #expect(same([500, 250, 125], 3))
        #expect(same(Array(repeating: 0, count: 300), 9))
    }
}

/// Ranks fit 32 bits and are encoded from 32-bit integers into the 64-bit column
/// (`ColumnEncoder.encode(int64:)` of `Int32`s): the chunk must be the one the same values as
/// `Int64`s make, plain ones included (a lone value is stored plain).
@Suite struct NarrowInt64EncodingTests {
    @Test(arguments: 0..<60)
    func narrowValuesEncodeAsWide(seed: Int) {
        var rng = SplitMix(seed: UInt64(seed) &+ 4242)
        let count = [0, 1, 2, 3, 17, 300, 5000][seed % 7]
        let v: [Int32] = (0..<count).map { i in
            switch seed % 4 {
            case 0: return Int32(i % 20 + 1)
            case 1: return Int32(truncatingIfNeeded: rng.next())
            case 2: return [Int32.min, Int32.max, 0, -1][Int(rng.next() % 4)]
            default: return Int32(i)
            }
        }
        let a = ColumnEncoder.encode(int64: v[...])
        let b = ColumnEncoder.encode(int64: v.map { Int64($0) })
        #expect(a.payload == b.payload && a.encoding == b.encoding && a.bitWidth == b.bitWidth && a.paramA == b.paramA)
        #expect(a.paramB == b.paramB && a.count == b.count && a.physicalType == .int64 && b.physicalType == .int64)
    }
}
