/// Chooses and applies the smallest encoding for a chunk of values (the "analyze" and "compress"
/// phases of a column writer). Every choice is lossless; the decoder reproduces the values bit for bit.
public enum ColumnEncoder {
    /// Integers: plain, frame-of-reference bit packing, or delta bit packing, whichever is smallest.
    public static func encode(int64 values: [Int64]) -> EncodedChunk { encode(int64: values[...]) }
    public static func encode(int32 values: [Int32]) -> EncodedChunk { encode(int32: values[...]) }

    public static func encode(int64 values: ArraySlice<Int64>) -> EncodedChunk {
        values.withUnsafeBufferPointer { encodeIntegers($0, physical: .int64, plainSize: 8) }
    }

    public static func encode(int32 values: ArraySlice<Int32>) -> EncodedChunk {
        values.withUnsafeBufferPointer { encodeIntegers($0, physical: .int32, plainSize: 4) }
    }

    /// A 64-bit column whose values fit 32 bits, given as such (half the bytes to build and
    /// scan, and the 32-bit range pass): the chunk `encode(int64:)` makes of the same values.
    public static func encode(int64 values: ArraySlice<Int32>) -> EncodedChunk {
        values.withUnsafeBufferPointer { encodeIntegers($0, physical: .int64, plainSize: 8) }
    }

    static func encodeIntegers<T: FixedWidthInteger & SignedInteger>(_ v: UnsafeBufferPointer<T>, physical: PhysicalType, plainSize: Int)
        -> EncodedChunk
    {
        let n = v.count
        if n == 0 { return EncodedChunk(payload: [], count: 0, physicalType: physical, encoding: .plain) }
        // One pass: the range of the values and of the differences between neighbours, and
        // whether a difference overflowed (the sign bit of `(x ^ p) & (x ^ d)`; only 64-bit
        // values can). Without that test the loop is branch-free (fewer instructions for
        // 32-bit values); with it, the branchy form is the cheaper one.
        var lo = Int64(v[0])
        var hi = lo
        var dlo = Int64.max
        var dhi = Int64.min
        var deltaOverflow = false
        if T.bitWidth <= 32 {
            for i in 1..<n {
                let x = Int64(v[i])
                let d = x &- Int64(v[i - 1])
                lo = Swift.min(lo, x)
                hi = Swift.max(hi, x)
                dlo = Swift.min(dlo, d)
                dhi = Swift.max(dhi, d)
            }
        } else {
            var prev = lo
            for i in 1..<n {
                let x = Int64(v[i])
                let (d, o) = x.subtractingReportingOverflow(prev)
                if o { deltaOverflow = true }
                if x < lo { lo = x }
                if x > hi { hi = x }
                if d < dlo { dlo = d }
                if d > dhi { dhi = d }
                prev = x
            }
        }
        let forWidth = BitPacking.width(of: UInt64(bitPattern: hi &- lo))
        let forBytes = BitPacking.byteCount(count: n, width: forWidth)
        var deltaWidth = 64
        var deltaBytes = Int.max
        if n > 1 && !deltaOverflow {
            deltaWidth = BitPacking.width(of: UInt64(bitPattern: dhi &- dlo))
            deltaBytes = BitPacking.byteCount(count: n - 1, width: deltaWidth)
        }
        let plainBytes = n * plainSize
        if plainBytes <= forBytes && plainBytes <= deltaBytes {
            var out = [UInt8]()
            out.reserveCapacity(plainBytes)
            if MemoryLayout<T>.size == plainSize {
                out.append(contentsOf: UnsafeRawBufferPointer(v))  // little-endian hosts only
            } else {
                for x in v { withUnsafeBytes(of: Int64(x).littleEndian) { out.append(contentsOf: $0) } }
            }
            return EncodedChunk(payload: out, count: n, physicalType: physical, encoding: .plain)
        }
        var out = [UInt8]()
        if deltaBytes < forBytes {
            let first = Int64(v[0])
            BitPacking.pack(count: n - 1, width: deltaWidth, into: &out) { i in
                UInt64(bitPattern: (Int64(v[i + 1]) &- Int64(v[i])) &- dlo)
            }
            return EncodedChunk(
                payload: out, count: n, physicalType: physical, encoding: .deltaBitPacked,
                bitWidth: UInt8(deltaWidth), paramA: first, paramB: dlo)
        }
        BitPacking.pack(count: n, width: forWidth, into: &out) { i in UInt64(bitPattern: Int64(v[i]) &- lo) }
        return EncodedChunk(
            payload: out, count: n, physicalType: physical, encoding: .bitPacked,
            bitWidth: UInt8(forWidth), paramA: lo, paramB: 0)
    }

    /// Doubles: decimal bit packing when every value is an exact short decimal, otherwise plain.
    public static func encode(float64 values: [Double]) -> EncodedChunk { encode(float64: values[...]) }

    public static func encode(float64 values: ArraySlice<Double>) -> EncodedChunk {
        values.withUnsafeBufferPointer { encodeDoubles($0) }
    }

    static func encodeDoubles(_ v: UnsafeBufferPointer<Double>) -> EncodedChunk {
        let n = v.count
        if n > 0, let e = decimalExponent(v) {
            // One pass computes the scaled integers and verifies that each reproduces its value.
            let scale = powersOfTen[e]
            var lo = Int64.max
            var hi = Int64.min
            var exact = true
            // Not zeroed first: every element is written before it is counted.
            let ints = [Int64](unsafeUninitializedCapacity: n) { out, count in
                for i in 0..<n {
                    let x = v[i]
                    let m = roundToInteger(x * scale)
                    if !(abs(m) < 4_503_599_627_370_496 && m / scale == x) || (x == 0 && x.sign == .minus) {
                        exact = false
                        count = i
                        return
                    }
                    let k = Int64(m)
                    out[i] = k
                    if k < lo { lo = k }
                    if k > hi { hi = k }
                }
                count = n
            }
            let width = BitPacking.width(of: UInt64(bitPattern: hi &- lo))
            if exact && BitPacking.byteCount(count: n, width: width) < n * 8 {
                var out = [UInt8]()
                ints.withUnsafeBufferPointer { k in
                    BitPacking.pack(count: n, width: width, into: &out) { i in UInt64(bitPattern: k[i] &- lo) }
                }
                return EncodedChunk(
                    payload: out, count: n, physicalType: .float64, encoding: .decimalBitPacked,
                    bitWidth: UInt8(width), paramA: lo, paramB: Int64(e))
            }
        }
        return EncodedChunk(payload: Array(UnsafeRawBufferPointer(v)), count: n, physicalType: .float64, encoding: .plain)
    }

    /// What `encode(float64:)` gives for the doubles `Double(s[i]) / 10^exponent` (exponent 0-9),
    /// computed from the integers: ingest keeps most propensities so (`DecimalValues`), and this
    /// skips building the doubles and testing each one with a division.
    ///
    /// Why it is the same chunk: a double written as `t / 10^e0` with `t` not a multiple of ten
    /// (at most ten significant digits) is no shorter decimal's double, so the smallest exponent
    /// `encodeDoubles` finds exact for it is `e0 = exponent - (trailing decimal zeros of s)`,
    /// and every exponent from `e0` to `exponent` is exact too (the product rounds back to the
    /// same integer, the quotient to the same double). The chunk's exponent is then the largest
    /// `e0` of the first 256 values, the chunk is exact when no value needs more, and its
    /// integers are `s / 10^(exponent - e)`. Tested against `encode(float64:)`.
    public static func encode(decimals s: UnsafeBufferPointer<Int32>, exponent: Int) -> EncodedChunk {
        precondition(exponent >= 0 && exponent <= 9, "decimal exponents 0-9")
        let n = s.count
        let materialised: () -> EncodedChunk = {
            let p = powersOfTen[exponent]
            return encode(float64: s.map { Double($0) / p }[...])
        }
        if n == 0 { return materialised() }
        // The chunk's exponent: the largest needed by the first 256 values.
        var e = 0
        for i in 0..<min(n, 256) where s[i] != 0 {
            var needed = exponent
            var m = s[i]
            while needed > e && m % 10 == 0 {
                m /= 10
                needed -= 1
            }
            e = max(e, needed)
            if e == exponent { break }
        }
        let divisor = Int32(powersOfTen[exponent - e])
        var lo = Int32.max
        var hi = Int32.min
        var out = [UInt8]()
        if divisor == 1 {
            // The usual chunk: its own exponent is the column's, the integers are the values.
            for v in s {
                lo = min(lo, v)
                hi = max(hi, v)
            }
            let width = BitPacking.width(of: UInt64(bitPattern: Int64(hi) &- Int64(lo)))
            guard BitPacking.byteCount(count: n, width: width) < n * 8 else { return materialised() }
            BitPacking.pack(count: n, width: width, into: &out) { i in UInt64(bitPattern: Int64(s[i]) &- Int64(lo)) }
            return EncodedChunk(
                payload: out, count: n, physicalType: .float64, encoding: .decimalBitPacked, bitWidth: UInt8(width),
                paramA: Int64(lo), paramB: Int64(e))
        }
        var exact = true
        let ints = [Int32](unsafeUninitializedCapacity: n) { out, count in
            for i in 0..<n {
                let v = s[i]
                let k = v / divisor
                if k &* divisor != v {
                    exact = false
                    count = i
                    return
                }
                out[i] = k
                lo = min(lo, k)
                hi = max(hi, k)
            }
            count = n
        }
        let width = BitPacking.width(of: UInt64(bitPattern: Int64(hi) &- Int64(lo)))
        guard exact && BitPacking.byteCount(count: n, width: width) < n * 8 else { return materialised() }
        ints.withUnsafeBufferPointer { k in
            BitPacking.pack(count: n, width: width, into: &out) { i in UInt64(bitPattern: Int64(k[i]) &- Int64(lo)) }
        }
        return EncodedChunk(
            payload: out, count: n, physicalType: .float64, encoding: .decimalBitPacked, bitWidth: UInt8(width), paramA: Int64(lo),
            paramB: Int64(e))
    }

    /// Rounds half to even without a libm call: adding and subtracting 1.5 * 2^52 leaves the
    /// nearest integer for |x| < 2^51; larger magnitudes are returned as is (they fail the
    /// caller's range check).
    @inline(__always)
    public static func roundToInteger(_ x: Double) -> Double {
        guard abs(x) < 2_251_799_813_685_248 else { return x }
        let magic = 6_755_399_441_055_744.0
        return (x + magic) - magic
    }

    /// `10^e` for `e` in 0...18, exactly representable up to 10^22 in a double.
    public static let powersOfTen: [Double] = (0...18).map { e in
        var p = 1.0
        for _ in 0..<e { p *= 10 }
        return p
    }

    /// The smallest exponent `e` (0...15) that makes the first values of `v` exact decimals
    /// `Double(m) / 10^e`; the encoder then checks every value. Nil for NaN or infinities.
    static func decimalExponent(_ v: UnsafeBufferPointer<Double>) -> Int? {
        var e = 0
        for i in 0..<min(v.count, 256) {
            let x = v[i]
            if !x.isFinite { return nil }
            while true {
                let scale = powersOfTen[e]
                let m = roundToInteger(x * scale)
                if abs(m) < 4_503_599_627_370_496, m / scale == x { break }
                e += 1
                if e > 15 { return nil }
            }
        }
        return e
    }

    /// Bools (one byte 0/1 per value): a bitmap, or run lengths when shorter.
    public static func encode(bool values: [UInt8]) -> EncodedChunk { encode(bool: values[...]) }

    public static func encode(bool values: ArraySlice<UInt8>) -> EncodedChunk {
        values.withUnsafeBufferPointer { encodeBools($0) }
    }

    static func encodeBools(_ v: UnsafeBufferPointer<UInt8>) -> EncodedChunk {
        let n = v.count
        var runs: [UInt32] = []
        var current: UInt8 = 0
        var run: UInt32 = 0
        for x in v {
            let b: UInt8 = x != 0 ? 1 : 0
            if b == current {
                run += 1
            } else {
                runs.append(run)
                current = b
                run = 1
            }
        }
        runs.append(run)
        let bitmapBytes = (n + 7) / 8
        if runs.count * 4 < bitmapBytes {
            var out = [UInt8]()
            out.reserveCapacity(runs.count * 4)
            for r in runs { withUnsafeBytes(of: r.littleEndian) { out.append(contentsOf: $0) } }
            return EncodedChunk(payload: out, count: n, physicalType: .bool, encoding: .runLength)
        }
        var out = [UInt8](repeating: 0, count: bitmapBytes)
        for i in 0..<n where v[i] != 0 { out[i >> 3] |= 1 << UInt8(i & 7) }
        return EncodedChunk(payload: out, count: n, physicalType: .bool, encoding: .bitmap)
    }

    /// What `encode` gives for `count` values that are all zero (`false`, `0.0`, the empty string):
    /// the chunks of an optional column that no row has, built without a pass over `count`
    /// zeros. Defined for `.bool`, `.float64` and `.bytes`; equal, byte for byte, to the scanning
    /// encoders' output (tested).
    public static func zeros(_ type: PhysicalType, count n: Int) -> EncodedChunk {
        precondition(n >= 0, "a count of values")
        switch type {
        case .bool:
            // One run of zeros, as `encodeBools` writes when four bytes beat the bitmap.
            let bitmapBytes = (n + 7) / 8
            if 4 < bitmapBytes {
                return EncodedChunk(
                    payload: withUnsafeBytes(of: UInt32(n).littleEndian) { Array($0) }, count: n, physicalType: .bool, encoding: .runLength)
            }
            return EncodedChunk(payload: [UInt8](repeating: 0, count: bitmapBytes), count: n, physicalType: .bool, encoding: .bitmap)
        case .float64:
            // Exact decimals with exponent 0, all equal to the minimum: zero bits each.
            if n == 0 { return EncodedChunk(payload: [], count: 0, physicalType: .float64, encoding: .plain) }
            return EncodedChunk(
                payload: [], count: n, physicalType: .float64, encoding: .decimalBitPacked, bitWidth: 0, paramA: 0, paramB: 0)
        case .bytes:
            return EncodedChunk(payload: [UInt8](repeating: 0, count: (n + 1) * 4), count: n, physicalType: .bytes, encoding: .plain)
        default:
            preconditionFailure("zeros(\(type)): only bool, float64 and bytes columns are optional")
        }
    }

    /// Byte strings: `count + 1` UInt32 LE offsets, then the concatenated bytes.
    /// `offsets` has `count + 1` entries starting at 0.
    public static func encode(offsets: [UInt32], data: [UInt8]) -> EncodedChunk {
        precondition(!offsets.isEmpty && offsets[0] == 0 && Int(offsets.last!) == data.count, "offsets must span data")
        var out = [UInt8]()
        out.reserveCapacity(offsets.count * 4 + data.count)
        offsets.withUnsafeBytes { out.append(contentsOf: $0) }
        out.append(contentsOf: data)
        return EncodedChunk(payload: out, count: offsets.count - 1, physicalType: .bytes, encoding: .plain)
    }
}
