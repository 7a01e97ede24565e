/// An optional field's values while rows are parsed: one presence flag (0 or 1) and one value per
/// row, written out only from the first row that has a value. Until then the column holds just
/// its row count, and every row reads as absent with the absent value (0, or the empty string:
/// what the dataset stores for an absent value, format-spec §5).
///
/// Most logs leave an optional item field out of every row (the logging and target propensities,
/// unknown members kept as `extra`), and a batch of exposures holds about fifteen items per row:
/// materialised from the start, such a column would cost a flag, a value and two appends per
/// item for nothing but zeros. Once materialised it is the plain pair of flags and values, so a
/// field that most rows have costs one branch more per row than the arrays alone.
///
/// Numbers keep their values as short decimals while they are (`OptionalNumbers`,
/// `DecimalValues`), strings in a `ByteColumn` (`OptionalByteColumn`); the bookkeeping is this
/// one type for both.
struct OptionalRows<Values: OptionalValues> {
    /// Rows, present or not.
    private(set) var count = 0
    /// Empty while no row lacks a value (and `values` holds `count` rows) or no row has one
    /// (and `values` is empty); otherwise `count` flags. The usual propensity, present in every
    /// item, so costs no flag byte per item until an item lacks it.
    private(set) var flags: [UInt8] = []
    /// Empty while no row has a value; otherwise `count` values (the absent value where absent).
    private(set) var values = Values()
    /// Capacity asked for before the first value, applied when the column is materialised.
    private var reserved = 0

    init() {}

    /// A column from its stored parts: no values and no flags (every row absent), `count` values
    /// and no flags (every row present), or `count` of each.
    init?(count: Int, flags: [UInt8], values: Values) {
        guard count >= 0,
            flags.isEmpty ? (values.rowCount == 0 || values.rowCount == count) : (flags.count == count && values.rowCount == count)
        else { return nil }
        self.count = count
        self.flags = flags
        self.values = values
    }

    /// Whether some row has a value (the values are written out).
    @inline(__always)
    var isMaterialised: Bool { values.rowCount > 0 }

    /// Whether every row has a value (and there is at least one row): no flags are kept.
    @inline(__always)
    var allPresent: Bool { count > 0 && flags.isEmpty && values.rowCount == count }

    /// Rows `r`'s presence flags (written out for a column whose rows all have a value).
    func presence(_ r: Range<Int>) -> ArraySlice<UInt8> {
        precondition(r.lowerBound >= 0 && r.upperBound <= count, "rows within the column")
        if !flags.isEmpty { return flags[r] }
        return [UInt8](repeating: isMaterialised ? 1 : 0, count: r.count)[...]
    }

    /// Room for `n` rows in all, used once a value arrives.
    mutating func reserve(_ n: Int) {
        if isMaterialised {
            if !flags.isEmpty { flags.reserveCapacity(n) }
            values.reserveRows(n)
        } else {
            reserved = n
        }
    }

    /// Writes out the flags of the rows so far (all 1 when every one has a value, else all 0,
    /// with the absent value for each) so that rows of both kinds can follow.
    private mutating func writeFlags() {
        let n = max(reserved, count + 1)
        flags.reserveCapacity(n)
        if isMaterialised {
            flags.append(contentsOf: repeatElement(1, count: count))
        } else {
            values.reserveRows(n)
            flags.append(contentsOf: repeatElement(0, count: count))
            values.appendAbsent(count)
        }
    }

    /// One row without a value.
    @inline(__always)
    mutating func appendAbsent() {
        if isMaterialised {
            if flags.isEmpty { writeFlags() }
            flags.append(0)
            values.appendAbsent(1)
        }
        count += 1
    }

    /// `n` rows without a value.
    mutating func appendAbsent(count n: Int) {
        if n == 0 { return }
        if isMaterialised {
            if flags.isEmpty { writeFlags() }
            flags.append(contentsOf: repeatElement(0, count: n))
            values.appendAbsent(n)
        }
        count += n
    }

    /// Prepares for `n` rows that all have a value: nothing to do while every row so far has
    /// one (or there are none); flags are written out once absent rows precede them.
    @inline(__always)
    private mutating func willAppendPresent(_ n: Int) {
        if !isMaterialised {
            if count > 0 {
                writeFlags()
            } else if reserved > 0 {
                values.reserveRows(reserved)
            }
        }
        if !flags.isEmpty { flags.append(contentsOf: repeatElement(1, count: n)) }
    }

    /// One row with a value, which `write` appends to the values.
    @inline(__always)
    mutating func appendPresent(_ write: (inout Values) -> Void) {
        willAppendPresent(1)
        write(&values)
        count += 1
    }

    mutating func append(contentsOf other: OptionalRows) {
        if !other.isMaterialised {
            appendAbsent(count: other.count)
            return
        }
        if other.flags.isEmpty {
            willAppendPresent(other.count)
        } else {
            if flags.isEmpty && (isMaterialised || count > 0) { writeFlags() }
            flags += other.flags
        }
        values.appendRows(of: other.values)
        count += other.count
    }

    /// Rows `r` as a new column.
    func slice(_ r: Range<Int>) -> OptionalRows {
        precondition(r.lowerBound >= 0 && r.upperBound <= count, "slice within the column")
        var c = OptionalRows()
        c.count = r.count
        if isMaterialised && r.count > 0 {
            if !flags.isEmpty { c.flags = Array(flags[r]) }
            c.values = values.rows(r)
        }
        return c
    }

    /// Heap bytes held, by capacity.
    var byteSize: Int { heapBytes(flags) + values.heapByteSize }
}

/// A number per row (`nil`: absent, stored as 0), kept as short decimals while they are
/// (`DecimalValues`).
typealias OptionalNumbers = OptionalRows<DecimalValues>

/// A byte string per row (an item's `extra`; absent: stored as the empty string).
typealias OptionalByteColumn = OptionalRows<ByteColumn>

extension OptionalRows where Values == DecimalValues {
    @inline(__always)
    mutating func append(_ v: Double?) {
        if let v { appendPresent { $0.append(v) } } else { appendAbsent() }
    }

    /// Rows in bulk, every one with a value.
    mutating func append(allPresent v: UnsafeBufferPointer<Double>) {
        if v.isEmpty { return }
        willAppendPresent(v.count)
        values.append(contentsOf: v)
        count += v.count
    }

    /// Rows in bulk: `flags[i]` says whether row i has a value, `values[i]` is it (0 where it
    /// has none); `present` of the flags are 1.
    mutating func append(values v: UnsafeBufferPointer<Double>, flags f: UnsafeBufferPointer<UInt8>, present: Int) {
        precondition(v.count == f.count && present >= 0 && present <= f.count, "one flag per value")
        if present == 0 {
            appendAbsent(count: v.count)
            return
        }
        if present == v.count {
            append(allPresent: v)
            return
        }
        if flags.isEmpty { writeFlags() }
        flags.append(contentsOf: f)
        values.append(contentsOf: v)
        count += v.count
    }
}

extension OptionalRows where Values == ByteColumn {
    init?(count: Int, flags: [UInt8], strings: ByteColumn) { self.init(count: count, flags: flags, values: strings) }

    var strings: ByteColumn { values }

    mutating func append(_ b: UnsafeRawBufferPointer) { appendPresent { $0.append(b) } }

    /// Rows `r` of a materialised column as offsets (starting at 0) and bytes.
    func strings(_ r: Range<Int>) -> (offsets: [UInt32], data: [UInt8]) {
        precondition(isMaterialised, "strings of a materialised column")
        let s = values.slice(r)
        return (s.offsets, s.data)
    }
}

/// What an optional field's values are kept in once written out.
protocol OptionalValues {
    init()
    var rowCount: Int { get }
    mutating func reserveRows(_ n: Int)
    /// `n` rows of the absent value.
    mutating func appendAbsent(_ n: Int)
    mutating func appendRows(of other: Self)
    func rows(_ r: Range<Int>) -> Self
    var heapByteSize: Int { get }
}

extension ByteColumn: OptionalValues {
    var rowCount: Int { count }
    mutating func reserveRows(_ n: Int) { offsets.reserveCapacity(n + 1) }
    mutating func appendAbsent(_ n: Int) { offsets.append(contentsOf: repeatElement(UInt32(data.count), count: n)) }
    mutating func appendRows(of other: ByteColumn) { append(contentsOf: other) }
    func rows(_ r: Range<Int>) -> ByteColumn { slice(r) }
    var heapByteSize: Int { byteSize }
}
