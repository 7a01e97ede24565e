/// An optional field's values while rows are parsed: one presence flag (0 or 1) and one value per
/// row, written out only from the first row that has a value. Until then the column holds just
/// its row count, and every row reads as absent with value 0 (what the dataset stores for an
/// absent value, format-spec §5).
///
/// Most logs leave an optional item field out of every row (the logging and target propensities,
/// unknown members kept as `extra`), and a batch of exposures holds about fifteen items per row:
/// materialised from the start, such a column would cost 9 bytes and two appends per item for
/// nothing but zeros. Once materialised it is the plain pair of arrays, so a field that most rows
/// have costs one branch more per row than the arrays alone.
struct OptionalColumn<Value: Numeric> {
    /// Rows, present or not.
    private(set) var count = 0
    /// Empty while no row has a value; otherwise `count` flags.
    private(set) var flags: [UInt8] = []
    /// Empty while no row has a value; otherwise `count` values (0 where absent).
    private(set) var values: [Value] = []
    /// Capacity asked for before the first value, applied when the column is materialised.
    private var reserved = 0

    init() {}

    /// A column from its stored arrays (`flags` and `values` both empty, or both `count` long).
    init?(count: Int, flags: [UInt8], values: [Value]) {
        guard count >= 0, flags.count == values.count, flags.isEmpty || flags.count == count else { return nil }
        self.count = count
        self.flags = flags
        self.values = values
    }

    /// Whether some row has a value (the arrays are written out).
    @inline(__always)
    var isMaterialised: Bool { !flags.isEmpty }

    /// Room for `n` rows in all, used once a value arrives.
    mutating func reserve(_ n: Int) {
        if isMaterialised {
            flags.reserveCapacity(n)
            values.reserveCapacity(n)
        } else {
            reserved = n
        }
    }

    @inline(__always)
    mutating func append(_ v: Value?) {
        if let v {
            if !isMaterialised { materialise() }
            flags.append(1)
            values.append(v)
        } else if isMaterialised {
            flags.append(0)
            values.append(0)
        }
        count += 1
    }

    /// Writes out the zeros of the rows so far.
    private mutating func materialise() {
        let n = max(reserved, count + 1)
        flags.reserveCapacity(n)
        values.reserveCapacity(n)
        flags.append(contentsOf: repeatElement(0, count: count))
        values.append(contentsOf: repeatElement(0, count: count))
    }

    mutating func append(contentsOf other: OptionalColumn) {
        if other.isMaterialised {
            if !isMaterialised && count > 0 { materialise() }
            flags += other.flags
            values += other.values
        } else if isMaterialised {
            flags.append(contentsOf: repeatElement(0, count: other.count))
            values.append(contentsOf: repeatElement(0, count: other.count))
        }
        count += other.count
    }

    /// Rows `r` as a new column.
    func slice(_ r: Range<Int>) -> OptionalColumn {
        precondition(r.lowerBound >= 0 && r.upperBound <= count, "slice within the column")
        var c = OptionalColumn()
        c.count = r.count
        if isMaterialised {
            c.flags = Array(flags[r])
            c.values = Array(values[r])
        }
        return c
    }

    /// Heap bytes held, by capacity.
    var byteSize: Int { heapBytes(flags) + heapBytes(values) }
}

/// An optional byte-string field (an item's `extra`), written out only from the first row that has
/// one, as `OptionalColumn` does for numbers. Absent rows read as flag 0 and an empty string.
struct OptionalByteColumn {
    private(set) var count = 0
    /// Empty while no row has a value; otherwise `count` flags.
    private(set) var flags: [UInt8] = []
    /// `ByteColumn()` while no row has a value; otherwise `count` strings ("" where absent).
    private(set) var strings = ByteColumn()

    init() {}

    init?(count: Int, flags: [UInt8], strings: ByteColumn) {
        guard count >= 0, flags.count == strings.count, flags.isEmpty || flags.count == count else { return nil }
        self.count = count
        self.flags = flags
        self.strings = strings
    }

    @inline(__always)
    var isMaterialised: Bool { !flags.isEmpty }

    mutating func append(_ b: UnsafeRawBufferPointer) {
        if !isMaterialised { materialise() }
        flags.append(1)
        strings.append(b)
        count += 1
    }

    @inline(__always)
    mutating func appendAbsent() {
        if isMaterialised {
            flags.append(0)
            strings.offsets.append(UInt32(strings.data.count))
        }
        count += 1
    }

    private mutating func materialise() {
        flags.append(contentsOf: repeatElement(0, count: count))
        strings.offsets.append(contentsOf: repeatElement(0, count: count))
    }

    mutating func append(contentsOf other: OptionalByteColumn) {
        if other.isMaterialised {
            if !isMaterialised && count > 0 { materialise() }
            flags += other.flags
            strings.append(contentsOf: other.strings)
        } else if isMaterialised {
            flags.append(contentsOf: repeatElement(0, count: other.count))
            let end = UInt32(strings.data.count)
            strings.offsets.append(contentsOf: repeatElement(end, count: other.count))
        }
        count += other.count
    }

    func slice(_ r: Range<Int>) -> OptionalByteColumn {
        precondition(r.lowerBound >= 0 && r.upperBound <= count, "slice within the column")
        var c = OptionalByteColumn()
        c.count = r.count
        if isMaterialised {
            c.flags = Array(flags[r])
            c.strings = strings.slice(r)
        }
        return c
    }

    /// Rows `r` of a materialised column as offsets (starting at 0) and bytes.
    func strings(_ r: Range<Int>) -> (offsets: [UInt32], data: [UInt8]) {
        precondition(isMaterialised, "strings of a materialised column")
        let base = strings.offsets[r.lowerBound]
        return (
            strings.offsets[r.lowerBound...r.upperBound].map { $0 - base },
            Array(strings.data[Int(base)..<Int(strings.offsets[r.upperBound])])
        )
    }

    var byteSize: Int { heapBytes(flags) + strings.byteSize }
}
