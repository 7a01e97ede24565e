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
        let t = try self.table(table)
        let groups = reader.footer.partitions[partition].tables[t]
        guard let ci = reader.footer.tables[t].columnIndex(column) else {
            throw StorageError.corrupt(path: reader.path, reason: "table \(table) has no column \(column)")
        }
        let total = groups.reduce(0) { $0 + Int($1.chunks[ci].count) }
        let reader = self.reader
        let partition = self.partition
        var failure: StorageError? = nil
        let out = [Int32](unsafeUninitializedCapacity: total) { buf, initialized in
            var at = 0
            for (g, rg) in groups.enumerated() {
                let c = rg.chunks[ci]
                let n = Int(c.count)
                let slice = UnsafeMutableBufferPointer(rebasing: buf[at..<(at + n)])
                do throws(StorageError) {
                    try reader.int32s(
                        c, into: slice, bound: bound, context: "partition \(partition) \(table) row group \(g) column \(column)")
                } catch {
                    failure = error
                    for i in at..<total { buf[i] = 0 }
                    initialized = total
                    return
                }
                at += n
            }
            initialized = total
        }
        if let failure { throw failure }
        bytesTouched += out.count * 4
        return out
    }

    public mutating func int64(_ table: String, _ column: String) throws -> [Int64] {
        let t = try self.table(table)
        let groups = reader.footer.partitions[partition].tables[t]
        guard let ci = reader.footer.tables[t].columnIndex(column) else {
            throw StorageError.corrupt(path: reader.path, reason: "table \(table) has no column \(column)")
        }
        let total = groups.reduce(0) { $0 + Int($1.chunks[ci].count) }
        let reader = self.reader
        let partition = self.partition
        var failure: StorageError? = nil
        let out = [Int64](unsafeUninitializedCapacity: total) { buf, initialized in
            var at = 0
            for (g, rg) in groups.enumerated() {
                let c = rg.chunks[ci]
                let n = Int(c.count)
                do throws(StorageError) {
                    try reader.int64s(
                        c, into: UnsafeMutableBufferPointer(rebasing: buf[at..<(at + n)]),
                        context: "partition \(partition) \(table) row group \(g) column \(column)")
                } catch {
                    failure = error
                    for i in at..<total { buf[i] = 0 }
                    initialized = total
                    return
                }
                at += n
            }
            initialized = total
        }
        if let failure { throw failure }
        bytesTouched += out.count * 8
        return out
    }

    public mutating func bool(_ table: String, _ column: String) throws -> [UInt8] {
        let t = try self.table(table)
        var out: [UInt8] = []
        for g in 0..<reader.footer.partitions[partition].tables[t].count {
            out += try reader.boolColumn(partition: partition, table: t, rowGroup: g, column)
        }
        bytesTouched += out.count
        return out
    }

    /// A per-row count column (items, context pairs), checked to be >= 0.
    public mutating func counts(_ table: String, _ column: String) throws -> [Int32] {
        let v = try int32(table, column)
        for x in v where x < 0 {
            throw StorageError.corrupt(path: reader.path, reason: "partition \(partition) \(table).\(column): negative count")
        }
        return v
    }
}

/// Looks up dictionary entries by value (dictionaries are sorted byte-wise, so by binary search).
public struct DictionaryIndex: Sendable {
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
