import ColumnarFormat

extension DatasetReader {
    /// The chunk of `column` in one row group, with a context string for errors.
    public func chunk(partition p: Int, table t: Int, rowGroup g: Int, column name: String) throws(StorageError) -> (
        ChunkDescriptor, String
    ) {
        let schema = footer.tables[t]
        guard let ci = schema.columnIndex(name) else {
            throw .corrupt(path: path, reason: "table \(schema.name) has no column \(name)")
        }
        return (footer.partitions[p].tables[t][g].chunks[ci], "partition \(p) \(schema.name) row group \(g) column \(name)")
    }

    public func int64Column(partition p: Int, table t: Int, rowGroup g: Int, _ name: String) throws(StorageError) -> [Int64] {
        let (c, ctx) = try chunk(partition: p, table: t, rowGroup: g, column: name)
        return try integers(c, context: ctx)
    }

    public func int32Column(partition p: Int, table t: Int, rowGroup g: Int, _ name: String) throws(StorageError) -> [Int32] {
        let (c, ctx) = try chunk(partition: p, table: t, rowGroup: g, column: name)
        return try integers(c, context: ctx).map { Int32(truncatingIfNeeded: $0) }
    }

    /// A dictionary-coded column, every code checked against `bound`.
    public func codeColumn(partition p: Int, table t: Int, rowGroup g: Int, _ name: String, bound: Int) throws(StorageError) -> [Int32] {
        let (c, ctx) = try chunk(partition: p, table: t, rowGroup: g, column: name)
        return try codes(c, bound: bound, context: ctx)
    }

    public func float64Column(partition p: Int, table t: Int, rowGroup g: Int, _ name: String) throws(StorageError) -> [Double] {
        let (c, ctx) = try chunk(partition: p, table: t, rowGroup: g, column: name)
        return try doubles(c, context: ctx)
    }

    public func boolColumn(partition p: Int, table t: Int, rowGroup g: Int, _ name: String) throws(StorageError) -> [UInt8] {
        let (c, ctx) = try chunk(partition: p, table: t, rowGroup: g, column: name)
        return try bools(c, context: ctx)
    }

    public func bytesColumn(partition p: Int, table t: Int, rowGroup g: Int, _ name: String) throws(StorageError) -> ByteStrings {
        let (c, ctx) = try chunk(partition: p, table: t, rowGroup: g, column: name)
        return try bytes(c, context: ctx)
    }

    /// An item `extra` column (format-spec §5.4), checked against `extra_present`: an item with
    /// extra members holds a JSON object text with at least one member, any other item an empty
    /// entry. So the exporter can splice it into JSONL and the engine can scan it for members
    /// without a full parse. The check is one pass over the column's bytes.
    public func extraColumn(partition p: Int, table t: Int, rowGroup g: Int) throws(StorageError) -> ByteStrings {
        let (c, ctx) = try chunk(partition: p, table: t, rowGroup: g, column: "extra")
        let v = try bytes(c, context: ctx)
        let present = try boolColumn(partition: p, table: t, rowGroup: g, "extra_present")
        guard present.count == v.count else {
            throw .corrupt(path: path, reason: "\(ctx): \(v.count) values, extra_present has \(present.count)")
        }
        for (row, x) in present.enumerated() where (x != 0) != (v.offsets[row] != v.offsets[row + 1]) {
            let what = x != 0 ? "has extra_present 1 but no extra members" : "has extra members but extra_present 0"
            throw .corrupt(path: path, reason: "\(ctx): item row \(row) \(what)")
        }
        if let (row, reason) = v.firstNonObjectEntry() {
            throw .corrupt(path: path, reason: "\(ctx): item row \(row) is not a JSON object with members (\(reason))")
        }
        return v
    }

    /// A per-row count column whose values must be >= 0 and sum to `total` (the child list's rows).
    public func countColumn(partition p: Int, table t: Int, rowGroup g: Int, _ name: String, total: UInt64) throws(StorageError) -> [Int32]
    {
        let v = try int32Column(partition: p, table: t, rowGroup: g, name)
        var sum: UInt64 = 0
        for x in v {
            guard x >= 0 else { throw .corrupt(path: path, reason: "partition \(p) row group \(g) column \(name): negative count \(x)") }
            sum += UInt64(x)
        }
        guard sum == total else {
            throw .corrupt(path: path, reason: "partition \(p) row group \(g) column \(name): counts sum to \(sum), list has \(total) rows")
        }
        return v
    }
}
