import ColumnarFormat
import ColumnarStorage

/// Decodes whole columns of one table in one partition (all its row groups, in order), with
/// dictionary codes checked against their dictionary so later array indexing cannot go out of
/// bounds. Counts the decoded bytes, which benchmarks report as "bytes of columns touched".
public struct ColumnLoader {
    public let reader: DatasetReader
    public let partition: Int
    public private(set) var bytesTouched = 0

    public init(reader: DatasetReader, partition: Int) {
        self.reader = reader
        self.partition = partition
    }

    func table(_ name: String) throws -> Int {
        guard let t = reader.tableIndex(name) else { throw StorageError.corrupt(path: reader.path, reason: "no table \(name)") }
        return t
    }

    public func rowGroups(_ table: String) throws -> Int {
        reader.footer.partitions[partition].tables[try self.table(table)].count
    }

    /// An int32 column; `bound` checks dictionary codes (pass nil for plain integers). Row groups
    /// are decoded straight into one array.
    public mutating func int32(_ table: String, _ column: String, bound: Int? = nil) throws -> [Int32] {
        let reader = self.reader
        return try decodeAll(table, column, as: Int32.self) { c, slice, ctx throws(StorageError) in
            try reader.int32s(c, into: slice, bound: bound, context: ctx)
        }
    }

    public mutating func int64(_ table: String, _ column: String) throws -> [Int64] {
        let reader = self.reader
        return try decodeAll(table, column, as: Int64.self) { c, slice, ctx throws(StorageError) in
            try reader.int64s(c, into: slice, context: ctx)
        }
    }

    /// The most values of one column a partition may hold here (2³¹ − 1): ingest sizes partitions
    /// to a sixth of its memory limit, far below, while a crafted footer can claim billions of
    /// constant values in a few bytes (bit width 0), which would otherwise end the process in a
    /// failed allocation instead of an error.
    public static let maxValues = Int(Int32.max)

    func checkSize(_ values: Int, _ table: String, _ column: String) throws {
        guard values <= ColumnLoader.maxValues else {
            throw StorageError.corrupt(
                path: reader.path,
                reason:
                    "partition \(partition) \(table).\(column) holds \(values) values, more than a partition may (\(ColumnLoader.maxValues))"
            )
        }
    }

    /// The partition's row groups of `table`, the index of `column` among their chunks, and the
    /// column's values in the partition (checked against `maxValues`).
    func chunks(_ table: String, _ column: String) throws -> (groups: [RowGroupDescriptor], column: Int, values: Int) {
        let t = try self.table(table)
        let groups = reader.footer.partitions[partition].tables[t]
        guard let ci = reader.footer.tables[t].columnIndex(column) else {
            throw StorageError.corrupt(path: reader.path, reason: "table \(table) has no column \(column)")
        }
        let values = groups.reduce(0) { $0 + Int($1.chunks[ci].count) }
        try checkSize(values, table, column)
        return (groups, ci, values)
    }

    /// Decodes every row group's chunk of `column` into consecutive slices of one array.
    mutating func decodeAll<T: BitwiseCopyable>(
        _ table: String, _ column: String, as: T.Type,
        _ decode: (ChunkDescriptor, UnsafeMutableBufferPointer<T>, String) throws(StorageError) -> Void
    ) throws -> [T] {
        let (groups, ci, total) = try chunks(table, column)
        let partition = self.partition
        var failure: StorageError? = nil
        let out = [T](unsafeUninitializedCapacity: total) { buf, initialized in
            var at = 0
            for (g, rg) in groups.enumerated() {
                let c = rg.chunks[ci]
                let n = Int(c.count)
                do throws(StorageError) {
                    try decode(
                        c, UnsafeMutableBufferPointer(rebasing: buf[at..<(at + n)]),
                        "partition \(partition) \(table) row group \(g) column \(column)")
                } catch {
                    // Zero what is left so the array is fully initialised before it is discarded.
                    failure = error
                    UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buf)[(at * MemoryLayout<T>.stride)...])
                        .initializeMemory(as: UInt8.self, repeating: 0)
                    break
                }
                at += n
            }
            initialized = total
        }
        if let failure { throw failure }
        bytesTouched += out.count * MemoryLayout<T>.stride
        return out
    }

    /// Only the rows of `ranges` of an int32 column (positions in the partition's column,
    /// ascending and disjoint, e.g. the items of chosen exposures; others are an error), in order: late
    /// materialisation. Row groups holding none of them are not read at all; the others are
    /// checksum-verified whole and, when bit-packed, decoded only where the rows lie.
    public mutating func int32(_ table: String, _ column: String, bound: Int? = nil, gathering ranges: [Range<Int>]) throws -> [Int32] {
        let reader = self.reader
        return try gatherAll(table, column, ranges, as: Int32.self) { local, c, slice, ctx throws(StorageError) in
            try reader.int32s(c, gathering: local, into: slice, bound: bound, context: ctx)
        }
    }

    /// Only the rows of `ranges` of an integer column (see `int32(_:_:bound:gathering:)`).
    public mutating func int64(_ table: String, _ column: String, gathering ranges: [Range<Int>]) throws -> [Int64] {
        let reader = self.reader
        return try gatherAll(table, column, ranges, as: Int64.self) { local, c, slice, ctx throws(StorageError) in
            try reader.int64s(c, gathering: local, into: slice, context: ctx)
        }
    }

    /// Splits `ranges` (partition positions) at the row groups' bounds and decodes each row
    /// group's share, shifted to positions within its chunk, into consecutive slices of one array.
    mutating func gatherAll<T: BitwiseCopyable>(
        _ table: String, _ column: String, _ ranges: [Range<Int>], as: T.Type,
        _ decode: ([Range<Int>], ChunkDescriptor, UnsafeMutableBufferPointer<T>, String) throws(StorageError) -> Void
    ) throws -> [T] {
        let (groups, ci, rows) = try chunks(table, column)
        var total = 0
        var last = 0
        for r in ranges {
            // The ranges come from a count column: rows beyond the column mean the file's lists
            // and counts disagree.
            guard r.lowerBound >= last && r.upperBound <= rows else {
                throw StorageError.corrupt(
                    path: reader.path,
                    reason:
                        "partition \(partition) \(table).\(column): rows \(r.lowerBound)..<\(r.upperBound) wanted, the column holds \(rows)"
                )
            }
            last = r.upperBound
            total += r.count
        }
        let partition = self.partition
        var failure: StorageError? = nil
        let out = [T](unsafeUninitializedCapacity: total) { buf, initialized in
            var at = 0
            var next = 0
            var groupStart = 0
            var local: [Range<Int>] = []
            for (g, rg) in groups.enumerated() where next < ranges.count {
                let c = rg.chunks[ci]
                let groupEnd = groupStart + Int(c.count)
                local.removeAll(keepingCapacity: true)
                var n = 0
                while next < ranges.count && ranges[next].lowerBound < groupEnd {
                    let r = ranges[next]
                    let lo = max(r.lowerBound, groupStart)
                    let hi = min(r.upperBound, groupEnd)
                    if lo < hi {
                        local.append((lo - groupStart)..<(hi - groupStart))
                        n += hi - lo
                    }
                    if r.upperBound > groupEnd { break }
                    next += 1
                }
                if n > 0 {
                    do throws(StorageError) {
                        try decode(
                            local, c, UnsafeMutableBufferPointer(rebasing: buf[at..<(at + n)]),
                            "partition \(partition) \(table) row group \(g) column \(column)")
                    } catch {
                        failure = error
                        break
                    }
                    at += n
                }
                groupStart = groupEnd
            }
            if at < total {
                // Zero what is left (after a failure) so the array is fully initialised before it is discarded.
                UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buf)[(at * MemoryLayout<T>.stride)...])
                    .initializeMemory(as: UInt8.self, repeating: 0)
            }
            initialized = total
        }
        if let failure { throw failure }
        bytesTouched += out.count * MemoryLayout<T>.stride
        return out
    }

    public mutating func bool(_ table: String, _ column: String) throws -> [UInt8] {
        let reader = self.reader
        return try decodeAll(table, column, as: UInt8.self) { c, slice, ctx throws(StorageError) in
            try reader.bools(c, into: slice, context: ctx)
        }
    }

    public mutating func double(_ table: String, _ column: String) throws -> [Double] {
        let reader = self.reader
        return try decodeAll(table, column, as: Double.self) { c, slice, ctx throws(StorageError) in
            try reader.float64s(c, into: slice, context: ctx)
        }
    }

    /// A bytes column (one entry per row), row groups joined into one list.
    public mutating func bytes(_ table: String, _ column: String) throws -> ByteStrings {
        let (reader, partition) = (self.reader, self.partition)
        return try joinBytes(table, column) { t, g throws(StorageError) in
            try reader.bytesColumn(partition: partition, table: t, rowGroup: g, column)
        }
    }

    /// The items' `extra` column, checked against `extra_present` and every non-empty entry to be
    /// a JSON object with members (`DatasetReader.extraColumn`), so `ItemFields` scans only
    /// well-formed text.
    public mutating func extra(_ table: String) throws -> ByteStrings {
        let (reader, partition) = (self.reader, self.partition)
        return try joinBytes(table, "extra") { t, g throws(StorageError) in
            try reader.extraColumn(partition: partition, table: t, rowGroup: g)
        }
    }

    private mutating func joinBytes(_ table: String, _ column: String, _ load: (Int, Int) throws(StorageError) -> ByteStrings) throws
        -> ByteStrings
    {
        let t = try self.table(table)
        var offsets: [UInt32] = [0]
        var data: [UInt8] = []
        for g in 0..<reader.footer.partitions[partition].tables[t].count {
            let part = try load(t, g)
            let base = UInt64(data.count)
            guard base + UInt64(part.data.count) <= UInt64(UInt32.max) else {
                throw StorageError.corrupt(path: reader.path, reason: "partition \(partition) \(table).\(column): more than 4 GiB of bytes")
            }
            for i in 1..<part.offsets.count { offsets.append(UInt32(base + UInt64(part.offsets[i]))) }
            data += part.data
        }
        bytesTouched += data.count + offsets.count * 4
        return ByteStrings(offsets: offsets, data: data)
    }

    /// A per-row count column (items, context pairs): each count >= 0 and, in every row group,
    /// summing to the rows of the list it counts, so child ranges derived from it stay in bounds.
    public mutating func counts(_ table: String, _ column: String) throws -> [Int32] {
        let t = try self.table(table)
        let schema = reader.footer.tables[t]
        guard let g = schema.groups.firstIndex(where: { $0.countColumn == column }) else {
            throw StorageError.corrupt(path: reader.path, reason: "\(table).\(column) is not the count column of a list")
        }
        let v = try int32(table, column)
        var at = 0
        for (rgIndex, rg) in reader.footer.partitions[partition].tables[t].enumerated() {
            guard at + Int(rg.rows) <= v.count else {
                throw StorageError.corrupt(path: reader.path, reason: "partition \(partition) \(table).\(column): fewer values than rows")
            }
            // The smallest count and the sum in one branch-free pass; an Int64 sum of Int32
            // counts cannot overflow.
            let (low, total) = v.withUnsafeBufferPointer { buf in
                var low = Int32.max
                var total: Int64 = 0
                for i in at..<(at + Int(rg.rows)) {
                    low = Swift.min(low, buf[i])
                    total &+= Int64(buf[i])
                }
                return (low, total)
            }
            guard rg.rows == 0 || low >= 0 else {
                throw StorageError.corrupt(path: reader.path, reason: "partition \(partition) \(table).\(column): negative count")
            }
            let sum = UInt64(total)
            guard sum == rg.groupRows[g] else {
                throw StorageError.corrupt(
                    path: reader.path,
                    reason:
                        "partition \(partition) \(table) row group \(rgIndex): \(column) sums to \(sum), list has \(rg.groupRows[g]) rows")
            }
            at += Int(rg.rows)
        }
        return v
    }
}

/// Looks up dictionary entries by value (dictionaries are sorted byte-wise, so by binary search).
public struct DictionaryIndex: Sendable {
    /// A mask over codes: which entries equal `s` ignoring case (recsys-eval matches experiment
    /// ids that way, with Go's `strings.EqualFold`; here Unicode lower-casing, which agrees with it
    /// on every id but those holding one of a few special letters such as U+0130 or U+017F).
    public func codes(matchingCaseInsensitive s: String) -> [Bool] {
        let key = s.lowercased()
        return (0..<values.count).map { values.string($0).lowercased() == key }
    }

    /// A mask over codes: which entries Go's `strings.ToLower` turns into `name`, how recsys-eval
    /// matches event types in experiments, OPE and interleaving (`Click`, `CLICK` and `clic\u{212A}`
    /// are clicks). `name` is lower-cased first; a name that is not ASCII falls back to
    /// `codes(matchingCaseInsensitive:)`.
    public func codes(goLowercasedTo name: String) -> [Bool] {
        let key = name.lowercased()
        guard key.utf8.allSatisfy({ $0 < 0x80 }) else { return codes(matchingCaseInsensitive: name) }
        return (0..<values.count).map { GoCaseFolding.lowercases(values.string($0), to: key) }
    }

    /// A mask over codes: which entries equal `name` under Go's `strings.EqualFold`, how
    /// recsys-eval's offline evaluation decides which outcomes are relevant. `name` is lower-cased
    /// first; a name that is not ASCII falls back to `codes(matchingCaseInsensitive:)`.
    public func codes(goEqualFold name: String) -> [Bool] {
        let key = name.lowercased()
        guard key.utf8.allSatisfy({ $0 < 0x80 }) else { return codes(matchingCaseInsensitive: name) }
        return (0..<values.count).map { GoCaseFolding.equalFold(values.string($0), key) }
    }

    public let values: ByteStrings

    public init(_ values: ByteStrings) { self.values = values }

    public func code(of s: String) -> Int32? {
        let key = Array(s.utf8)
        var lo = 0
        var hi = values.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let v = values[mid]
            if v.lexicographicallyPrecedes(key) {
                lo = mid + 1
            } else {
                hi = mid
            }
        }
        if lo < values.count && values[lo].elementsEqual(key) { return Int32(lo) }
        return nil
    }

    public func string(_ code: Int32) -> String { values.string(Int(code)) }

    public var count: Int { values.count }
}
