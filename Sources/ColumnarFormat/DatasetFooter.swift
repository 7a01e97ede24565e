/// A dictionary: sorted, distinct byte strings stored as one `bytes` chunk; code `i` is entry `i`.
public struct DictionaryDescriptor: Sendable, Equatable {
    public var name: String
    public var count: UInt64
    public var chunk: ChunkDescriptor

    public init(name: String, count: UInt64, chunk: ChunkDescriptor) {
        self.name = name
        self.count = count
        self.chunk = chunk
    }
}

/// A horizontal slice of one table inside one partition: `rows` parent rows, `groupRows[g]` rows of
/// each child list, and one chunk per column of the table schema, in schema order.
public struct RowGroupDescriptor: Sendable, Equatable {
    public var rows: UInt64
    public var groupRows: [UInt64]
    public var chunks: [ChunkDescriptor]

    public init(rows: UInt64, groupRows: [UInt64], chunks: [ChunkDescriptor]) {
        self.rows = rows
        self.groupRows = groupRows
        self.chunks = chunks
    }
}

/// Everything of one partition: its request-id dictionary and, per table, its row groups.
public struct PartitionDescriptor: Sendable, Equatable {
    public var requestDictionary: DictionaryDescriptor
    public var tables: [[RowGroupDescriptor]]

    public init(requestDictionary: DictionaryDescriptor, tables: [[RowGroupDescriptor]]) {
        self.requestDictionary = requestDictionary
        self.tables = tables
    }
}

/// The footer: schema, dictionaries, partitions and free-form metadata (ingest counts, sources).
public struct DatasetFooter: Sendable, Equatable {
    public var createdBy: String
    public var tables: [TableSchema]
    public var dictionaries: [DictionaryDescriptor]
    public var partitions: [PartitionDescriptor]
    public var metadata: [(String, String)]

    public init(
        createdBy: String, tables: [TableSchema], dictionaries: [DictionaryDescriptor],
        partitions: [PartitionDescriptor], metadata: [(String, String)]
    ) {
        self.createdBy = createdBy
        self.tables = tables
        self.dictionaries = dictionaries
        self.partitions = partitions
        self.metadata = metadata
    }

    public static func == (a: DatasetFooter, b: DatasetFooter) -> Bool {
        a.createdBy == b.createdBy && a.tables == b.tables && a.dictionaries == b.dictionaries
            && a.partitions == b.partitions && a.metadata.map { $0.0 } == b.metadata.map { $0.0 }
            && a.metadata.map { $0.1 } == b.metadata.map { $0.1 }
    }

    public func metadataValue(_ key: String) -> String? { metadata.first { $0.0 == key }?.1 }

    // MARK: Serialisation (format-spec §4)

    public func serialized() -> [UInt8] {
        var w = ByteWriter()
        w.string(createdBy)
        w.u32(UInt32(tables.count))
        for t in tables {
            w.string(t.name)
            w.u32(UInt32(t.groups.count))
            for g in t.groups {
                w.string(g.name)
                w.string(g.countColumn)
            }
            w.u32(UInt32(t.columns.count))
            for c in t.columns {
                w.string(c.name)
                w.u8(c.physicalType.rawValue)
                w.string(c.group)
                w.string(c.dictionary)
            }
        }
        w.u32(UInt32(dictionaries.count))
        for d in dictionaries { Self.write(d, &w) }
        w.u32(UInt32(partitions.count))
        for p in partitions {
            Self.write(p.requestDictionary, &w)
            for rgs in p.tables {
                w.u32(UInt32(rgs.count))
                for rg in rgs {
                    w.u64(rg.rows)
                    for g in rg.groupRows { w.u64(g) }
                    for c in rg.chunks { Self.write(c, &w) }
                }
            }
        }
        w.u32(UInt32(metadata.count))
        for (k, v) in metadata {
            w.string(k)
            w.string(v)
        }
        return w.bytes
    }

    static func write(_ d: DictionaryDescriptor, _ w: inout ByteWriter) {
        w.string(d.name)
        w.u64(d.count)
        write(d.chunk, &w)
    }

    static func write(_ c: ChunkDescriptor, _ w: inout ByteWriter) {
        w.u64(c.offset)
        w.u64(c.storedLength)
        w.u64(c.encodedLength)
        w.u64(c.checksum)
        w.u32(c.count)
        w.u8(c.physicalType.rawValue)
        w.u8(c.encodingRaw)
        w.u8(c.codecRaw)
        w.u8(c.bitWidth)
        w.i64(c.paramA)
        w.i64(c.paramB)
    }

    /// Parses a footer. Structure is validated here; chunk extents are validated by the reader,
    /// which knows the file size.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(FormatError) -> DatasetFooter {
        var r = ByteReader(bytes, context: "footer")
        let createdBy = try r.string()
        let tableCount = try r.count(minimumElementSize: 12)
        var tables: [TableSchema] = []
        for _ in 0..<tableCount {
            let name = try r.string()
            let gc = try r.count(minimumElementSize: 8)
            var groups: [GroupSchema] = []
            for _ in 0..<gc { groups.append(GroupSchema(name: try r.string(), countColumn: try r.string())) }
            let cc = try r.count(minimumElementSize: 13)
            var cols: [ColumnSchema] = []
            for _ in 0..<cc {
                let cname = try r.string()
                let traw = try r.u8()
                guard let t = PhysicalType(rawValue: traw) else {
                    throw .invalid("column \(name).\(cname) has unknown physical type \(traw)")
                }
                let group = try r.string()
                let dict = try r.string()
                guard group.isEmpty || groups.contains(where: { $0.name == group }) else {
                    throw .invalid("column \(name).\(cname) belongs to undeclared list '\(group)'")
                }
                cols.append(ColumnSchema(cname, t, group: group, dictionary: dict))
            }
            tables.append(TableSchema(name: name, groups: groups, columns: cols))
        }
        let dc = try r.count(minimumElementSize: 68)
        var dicts: [DictionaryDescriptor] = []
        for _ in 0..<dc { dicts.append(try readDictionary(&r)) }
        let pc = try r.count(minimumElementSize: 68)
        var parts: [PartitionDescriptor] = []
        for _ in 0..<pc {
            let rd = try readDictionary(&r)
            var perTable: [[RowGroupDescriptor]] = []
            for t in tables {
                let rgc = try r.count(minimumElementSize: 8)
                var rgs: [RowGroupDescriptor] = []
                for _ in 0..<rgc {
                    let rows = try r.u64()
                    var gr: [UInt64] = []
                    for _ in t.groups { gr.append(try r.u64()) }
                    var chunks: [ChunkDescriptor] = []
                    guard r.remaining >= t.columns.count * ChunkDescriptor.serializedSize else { throw .truncated("footer row group list") }
                    for _ in t.columns { chunks.append(try readChunk(&r)) }
                    rgs.append(RowGroupDescriptor(rows: rows, groupRows: gr, chunks: chunks))
                }
                perTable.append(rgs)
            }
            parts.append(PartitionDescriptor(requestDictionary: rd, tables: perTable))
        }
        let mc = try r.count(minimumElementSize: 8)
        var meta: [(String, String)] = []
        for _ in 0..<mc { meta.append((try r.string(), try r.string())) }
        guard r.remaining == 0 else { throw .invalid("footer has \(r.remaining) unexpected trailing bytes") }
        return DatasetFooter(createdBy: createdBy, tables: tables, dictionaries: dicts, partitions: parts, metadata: meta)
    }

    static func readDictionary(_ r: inout ByteReader) throws(FormatError) -> DictionaryDescriptor {
        let name = try r.string()
        let count = try r.u64()
        return DictionaryDescriptor(name: name, count: count, chunk: try readChunk(&r))
    }

    static func readChunk(_ r: inout ByteReader) throws(FormatError) -> ChunkDescriptor {
        let offset = try r.u64()
        let stored = try r.u64()
        let encoded = try r.u64()
        let sum = try r.u64()
        let count = try r.u32()
        let traw = try r.u8()
        guard let t = PhysicalType(rawValue: traw) else { throw .invalid("chunk has unknown physical type \(traw)") }
        let enc = try r.u8()
        let codec = try r.u8()
        let bw = try r.u8()
        let a = try r.i64()
        let b = try r.i64()
        var c = ChunkDescriptor(
            offset: offset, storedLength: stored, encodedLength: encoded, checksum: sum, count: count,
            physicalType: t, encoding: .plain, codec: .none, bitWidth: bw, paramA: a, paramB: b)
        c.encodingRaw = enc
        c.codecRaw = codec
        return c
    }
}
