#if canImport(Glibc)
    import Glibc
#endif

/// One leaf column's entries for a row group, as the Dremel encoding has them: a repetition and
/// a definition level per entry, and a value for each entry defined down to the leaf. Also keeps
/// the statistics the footer holds (min, max, nulls).
public struct ParquetColumnBuffer: Sendable {
    public let column: ParquetSchema.Column
    var reps: [UInt8] = []
    var defs: [UInt8] = []
    /// PLAIN-encoded values, and for each entry's value its end offset in `values` (so pages can
    /// be cut at record boundaries).
    var values: [UInt8] = []
    var valueEnds: [Int] = []
    var bits: [Bool] = []
    var nulls = 0
    /// Where the smallest and largest byte-array values lie in `values` (their bytes, after the
    /// length): ranges, not copies, compared with memcmp.
    var minRange: Range<Int>? = nil
    var maxRange: Range<Int>? = nil
    var minNumber: Double? = nil
    var maxNumber: Double? = nil
    var minInt: Int64? = nil
    var maxInt: Int64? = nil
    /// Dictionary-coded byte arrays: each value a code into `dictionary` (strings in ascending
    /// byte order, such as a dataset's dictionary); written as a dictionary page of the codes
    /// the chunk uses and RLE_DICTIONARY data pages.
    public let dictionary: ParquetDictionary?
    var codes: [Int32] = []

    public init(_ column: ParquetSchema.Column, dictionary: ParquetDictionary? = nil) {
        precondition(dictionary == nil || column.type == .byteArray, "dictionaries code byte arrays")
        self.column = column
        self.dictionary = dictionary
    }

    /// A value given by its code in the column's dictionary.
    public mutating func append(code: Int32, repetition r: Int = 0) {
        precondition(dictionary != nil && code >= 0 && Int(code) < dictionary!.count, "a code of the column's dictionary")
        defined(r)
        codes.append(code)
        valueEnds.append((valueEnds.last ?? 0) + 4)
    }

    public var entries: Int { defs.count }

    /// An entry without a value: defined to `definition` levels (below the maximum).
    public mutating func appendNull(repetition r: Int, definition d: Int) {
        precondition(d < column.maxDefinition && r <= column.maxRepetition, "levels within the column's")
        reps.append(UInt8(r))
        defs.append(UInt8(d))
        if column.maxRepetition == 0 { nulls += 1 }
    }

    private mutating func defined(_ r: Int) {
        precondition(r <= column.maxRepetition, "repetition within the column's")
        reps.append(UInt8(r))
        defs.append(UInt8(column.maxDefinition))
    }

    public mutating func append(_ v: Int64, repetition r: Int = 0) {
        precondition(column.type == .int64, "an INT64 column")
        defined(r)
        withUnsafeBytes(of: v.littleEndian) { values.append(contentsOf: $0) }
        valueEnds.append(values.count)
        minInt = min(minInt ?? v, v)
        maxInt = max(maxInt ?? v, v)
    }

    public mutating func append(_ v: Int32, repetition r: Int = 0) {
        precondition(column.type == .int32, "an INT32 column")
        defined(r)
        withUnsafeBytes(of: v.littleEndian) { values.append(contentsOf: $0) }
        valueEnds.append(values.count)
        minInt = min(minInt ?? Int64(v), Int64(v))
        maxInt = max(maxInt ?? Int64(v), Int64(v))
    }

    public mutating func append(_ v: Double, repetition r: Int = 0) {
        precondition(column.type == .double, "a DOUBLE column")
        defined(r)
        withUnsafeBytes(of: v.bitPattern.littleEndian) { values.append(contentsOf: $0) }
        valueEnds.append(values.count)
        if !v.isNaN {
            minNumber = min(minNumber ?? v, v)
            maxNumber = max(maxNumber ?? v, v)
        }
    }

    public mutating func append(_ v: Bool, repetition r: Int = 0) {
        precondition(column.type == .boolean, "a BOOLEAN column")
        defined(r)
        bits.append(v)
        valueEnds.append(bits.count)
        minInt = min(minInt ?? (v ? 1 : 0), v ? 1 : 0)
        maxInt = max(maxInt ?? (v ? 1 : 0), v ? 1 : 0)
    }

    public mutating func append(bytes v: ArraySlice<UInt8>, repetition r: Int = 0) {
        precondition(column.type == .byteArray, "a BYTE_ARRAY column")
        defined(r)
        withUnsafeBytes(of: UInt32(v.count).littleEndian) { values.append(contentsOf: $0) }
        let start = values.count
        values.append(contentsOf: v)
        valueEnds.append(values.count)
        let range = start..<values.count
        if let m = minRange {
            if compare(range, m) < 0 { minRange = range }
        } else {
            minRange = range
        }
        if let m = maxRange {
            if compare(range, m) > 0 { maxRange = range }
        } else {
            maxRange = range
        }
    }

    public mutating func append(bytes v: [UInt8], repetition r: Int = 0) { append(bytes: v[...], repetition: r) }

    /// Unsigned byte-wise order of two values in `values`.
    private func compare(_ a: Range<Int>, _ b: Range<Int>) -> Int {
        values.withUnsafeBytes { raw in
            let n = min(a.count, b.count)
            let c = n == 0 ? 0 : memcmp(raw.baseAddress! + a.lowerBound, raw.baseAddress! + b.lowerBound, n)
            return c != 0 ? Int(c) : a.count - b.count
        }
    }

    /// The footer's `Statistics`: null count (flat columns), min and max as PLAIN values
    /// (doubles: a zero minimum as -0 and a zero maximum as +0, as the format asks).
    func writeStatistics(_ w: inout ThriftCompactWriter) {
        if column.maxRepetition == 0 { w.i64(3, Int64(nulls)) }
        var lo: [UInt8]? = nil
        var hi: [UInt8]? = nil
        switch column.type {
        case .byteArray:
            if let dictionary {
                // The dictionary is sorted: the smallest and largest codes used are the bounds.
                if let a = codes.min(), let b = codes.max() {
                    lo = Array(dictionary[Int(a)])
                    hi = Array(dictionary[Int(b)])
                }
            } else {
                lo = minRange.map { Array(values[$0]) }
                hi = maxRange.map { Array(values[$0]) }
            }
        case .double:
            if var a = minNumber, var b = maxNumber {
                if a == 0 { a = -0.0 }
                if b == 0 { b = 0.0 }
                lo = withUnsafeBytes(of: a.bitPattern.littleEndian) { Array($0) }
                hi = withUnsafeBytes(of: b.bitPattern.littleEndian) { Array($0) }
            }
        case .int64:
            if let a = minInt, let b = maxInt {
                lo = withUnsafeBytes(of: a.littleEndian) { Array($0) }
                hi = withUnsafeBytes(of: b.littleEndian) { Array($0) }
            }
        case .int32:
            if let a = minInt, let b = maxInt {
                lo = withUnsafeBytes(of: Int32(a).littleEndian) { Array($0) }
                hi = withUnsafeBytes(of: Int32(b).littleEndian) { Array($0) }
            }
        case .boolean:
            if let a = minInt, let b = maxInt {
                lo = [UInt8(a)]
                hi = [UInt8(b)]
            }
        }
        if let hi { w.binary(5, hi) }
        if let lo { w.binary(6, lo) }
    }
}
