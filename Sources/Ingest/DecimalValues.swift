import ColumnarFormat

/// The values of an optional number column as most propensities are written, short decimals
/// (`0.6927`), kept in half the bytes: as `Int32` multiples of `10^-exponent`, one exponent for
/// the column, until a value arrives that no exponent up to `maxExponent` holds in 32 bits; from
/// then on (and for the values before it) as doubles.
///
/// Exact: a value is kept scaled only when `Double(scaled) / 10^exponent` is the same double, bit
/// for bit (so never `-0.0`); raising the exponent multiplies the kept values by a power of ten,
/// which leaves each quotient, and so each double, as it was (IEEE division is correctly rounded
/// and both numbers stay exact). `doubles(_:)` gives back exactly the values appended.
///
/// Eight-byte propensities were over a quarter of what ingest buffers (fifteen items a row).
struct DecimalValues {
    private(set) var scaled: [Int32] = []
    private(set) var exponent = 0
    /// Every value, once one could not be scaled (`scaled` is then empty).
    private(set) var fallback: [Double]? = nil
    /// The largest magnitude in `scaled`, to know how far the exponent can rise.
    private var largest: Int64 = 0

    /// Exponents tried, up to nine decimals (propensities of `1` to `0.123456789`).
    static let maxExponent = 9

    init() {}

    /// The values `v`, in order.
    init(_ v: [Double]) {
        v.withUnsafeBufferPointer { append(contentsOf: $0) }
    }

    var rowCount: Int { fallback?.count ?? scaled.count }

    /// `x` as a multiple of `10^-e` in 32 bits, when that gives `x` back exactly.
    @inline(__always)
    static func scale(_ x: Double, _ e: Int) -> Int32? {
        let p = ColumnEncoder.powersOfTen[e]
        let m = ColumnEncoder.roundToInteger(x * p)
        guard abs(m) <= 2_147_483_647, m / p == x, !(x == 0 && x.sign == .minus) else { return nil }
        return Int32(m)
    }

    @inline(__always)
    mutating func append(_ x: Double) {
        if fallback == nil, let m = Self.scale(x, exponent) {
            scaled.append(m)
            largest = max(largest, abs(Int64(m)))
            return
        }
        appendSlow(x)
    }

    mutating func append(contentsOf v: UnsafeBufferPointer<Double>) {
        if fallback != nil {
            fallback!.append(contentsOf: v)
            return
        }
        // The usual run: every value scales at the current exponent, written in one pass;
        // from the first that does not, value by value.
        let p = ColumnEncoder.powersOfTen[exponent]
        var done = 0
        var big = largest
        let n = v.count
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: n) { tmp in
            while done < n {
                let x = v[done]
                let m = ColumnEncoder.roundToInteger(x * p)
                guard abs(m) <= 2_147_483_647, m / p == x, !(x == 0 && x.sign == .minus) else { break }
                tmp[done] = Int32(m)
                big = max(big, abs(Int64(tmp[done])))
                done += 1
            }
            if done > 0 { scaled.append(contentsOf: UnsafeBufferPointer(rebasing: tmp[0..<done])) }
        }
        largest = big
        for x in v[done...] { append(x) }
    }

    /// `x` needs a larger exponent, or doubles.
    private mutating func appendSlow(_ x: Double) {
        if fallback == nil {
            var e = exponent + 1
            while e <= Self.maxExponent {
                let factor = Int64(ColumnEncoder.powersOfTen[e - exponent])
                if largest * factor > Int64(Int32.max) { break }  // higher exponents overflow too
                if Self.scale(x, e) != nil {
                    rescale(to: e)
                    append(x)
                    return
                }
                e += 1
            }
            fallback = doubles(0..<scaled.count)
            scaled = []
            largest = 0
        }
        fallback!.append(x)
    }

    /// Multiplies the kept values up to exponent `e` (they fit: `largest` was checked).
    private mutating func rescale(to e: Int) {
        let factor = Int32(ColumnEncoder.powersOfTen[e - exponent])
        scaled.withUnsafeMutableBufferPointer { s in
            for i in s.indices { s[i] &*= factor }
        }
        largest *= Int64(factor)
        exponent = e
    }

    /// Rows `r`'s values as multiples of `10^-exponent`; nil once kept as doubles.
    func scaled(_ r: Range<Int>) -> ArraySlice<Int32>? { fallback == nil ? scaled[r] : nil }

    /// Rows `r`'s values as doubles.
    func doubles(_ r: Range<Int>) -> [Double] {
        if let fallback { return Array(fallback[r]) }
        let p = ColumnEncoder.powersOfTen[exponent]
        return scaled[r].map { Double($0) / p }
    }
}

extension DecimalValues: OptionalValues {
    mutating func reserveRows(_ n: Int) {
        if fallback != nil { fallback!.reserveCapacity(n) } else { scaled.reserveCapacity(n) }
    }

    mutating func appendAbsent(_ n: Int) {
        if fallback != nil {
            fallback!.append(contentsOf: repeatElement(0, count: n))
        } else {
            scaled.append(contentsOf: repeatElement(0, count: n))
        }
    }

    mutating func appendRows(of other: DecimalValues) {
        if fallback == nil && other.fallback == nil {
            // Both scaled: to the larger exponent when the smaller side's values fit there.
            let e = max(exponent, other.exponent)
            let mine = largest * Int64(ColumnEncoder.powersOfTen[e - exponent])
            let theirs = other.largest * Int64(ColumnEncoder.powersOfTen[e - other.exponent])
            if mine <= Int64(Int32.max) && theirs <= Int64(Int32.max) {
                if e > exponent { rescale(to: e) }
                var o = other
                if e > o.exponent { o.rescale(to: e) }
                scaled += o.scaled
                largest = max(largest, o.largest)
                return
            }
        }
        if fallback == nil {
            fallback = doubles(0..<scaled.count)
            scaled = []
            largest = 0
        }
        fallback! += other.doubles(0..<other.rowCount)
    }

    func rows(_ r: Range<Int>) -> DecimalValues {
        var d = DecimalValues()
        if let fallback {
            d.fallback = Array(fallback[r])
        } else {
            d.scaled = Array(scaled[r])
            d.exponent = exponent
            d.largest = d.scaled.reduce(0) { max($0, abs(Int64($1))) }
        }
        return d
    }

    var heapByteSize: Int { fallback.map { heapBytes($0) } ?? heapBytes(scaled) }
}

extension DecimalValues {
    /// Writes the values to a spill record as they are kept: the exponent (-1 once they are
    /// doubles) as a one-value array, the scaled integers, then the doubles (one of the two
    /// empty). Read back by `unpack` without testing each value again.
    func pack(_ p: inout SpillPacker) {
        p.put([Int64(fallback == nil ? exponent : -1)])
        p.put(scaled)
        p.put(fallback ?? [])
    }

    static func unpack(_ u: inout SpillUnpacker) throws(FormatError) -> DecimalValues {
        let header: [Int64] = try u.get()
        let s: [Int32] = try u.get()
        let f: [Double] = try u.get()
        guard header.count == 1, header[0] >= -1, header[0] <= Int64(maxExponent), header[0] >= 0 ? f.isEmpty : s.isEmpty else {
            throw .invalid("spilled decimal values: exponent \(header) with \(s.count) scaled and \(f.count) double values")
        }
        var d = DecimalValues()
        if header[0] < 0 {
            d.fallback = f
        } else {
            d.scaled = s
            d.exponent = Int(header[0])
            d.largest = s.reduce(0) { max($0, abs(Int64($1))) }
        }
        return d
    }
}
