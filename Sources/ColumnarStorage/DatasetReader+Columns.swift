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
