import ColumnarFormat

/// Writes a Parquet file (format version 1; `parquet-format`'s specification): `PAR1`, row
/// groups of column chunks of data pages (v1: repetition and definition levels as RLE, values
/// PLAIN, the page compressed with zstd), and the Thrift footer with the schema, every chunk's
/// offsets, sizes and statistics, then its length and `PAR1`. Pages hold about `pageBytes` of
/// values and start at a record boundary (repetition level 0). Bytes go to `sink` as they are
/// made; the caller makes the file atomic.
public final class ParquetFileWriter: @unchecked Sendable {
    public let schema: ParquetSchema
    let sink: ([UInt8]) throws -> Void
    let level: Int32
    let pageBytes: Int
    let createdBy: String
    // Written only by `write`, `finish` and `init`, which the caller runs one at a time;
    // `encode` reads only the immutable members, which is what makes `@unchecked Sendable` sound.
    private var offset = 0
    private var rowGroups: [(rows: Int, bytes: Int, chunks: [ChunkMeta])] = []
    private var rows = 0

    struct ChunkMeta: Sendable {
        var column: ParquetSchema.Column
        var offset: Int
        /// Where the first data page starts (after the dictionary page, if any).
        var dataOffset: Int
        var dictionary: Bool
        var values: Int
        var compressed: Int
        var uncompressed: Int
        var statistics: [UInt8]
    }

    public init(
        schema: ParquetSchema, createdBy: String, zstdLevel: Int32 = 3, pageBytes: Int = 1 << 20, sink: @escaping ([UInt8]) throws -> Void
    ) throws {
        self.schema = schema
        self.sink = sink
        level = zstdLevel
        self.pageBytes = pageBytes
        self.createdBy = createdBy
        try emit(Array("PAR1".utf8))
    }

    private func emit(_ b: [UInt8]) throws {
        try sink(b)
        offset += b.count
    }

    /// A row group's column chunks, encoded and compressed, not yet placed in the file: made on
    /// any thread (`encode`), written in order (`write`).
    public struct EncodedRowGroup: Sendable {
        var rows: Int
        var bytes: [UInt8]
        /// Chunks with offsets relative to the start of `bytes`.
        var chunks: [ChunkMeta]
    }

    /// Encodes one row group: one buffer per schema column, in schema order, all of `rows` records.
    public func encode(_ columns: [ParquetColumnBuffer], rows n: Int) -> EncodedRowGroup {
        precondition(columns.count == schema.columns.count, "one buffer per column")
        var out = EncodedRowGroup(rows: n, bytes: [], chunks: [])
        for c in columns {
            precondition(c.defs.count == c.reps.count, "levels per entry")
            let start = out.bytes.count
            var uncompressed = 0
            // Dictionary columns: a dictionary page of the codes the chunk uses, in code order,
            // and each value's index among them.
            var local: [Int32] = []
            var indexBits = 1
            if let dictionary = c.dictionary {
                var used = [Bool](repeating: false, count: dictionary.count)
                for code in c.codes { used[Int(code)] = true }
                var index = [Int32](repeating: -1, count: dictionary.count)
                var body: [UInt8] = []
                var n: Int32 = 0
                for code in 0..<dictionary.count where used[code] {
                    index[code] = n
                    n += 1
                    let v = dictionary[code]
                    withUnsafeBytes(of: UInt32(v.count).littleEndian) { body.append(contentsOf: $0) }
                    body += v
                }
                local = c.codes.map { index[Int($0)] }
                indexBits = max(1, RLEHybrid.bitWidth(max(0, Int(n) - 1)))
                let payload = CompressionCodec.zstdFrame(body, level: level)
                var h = ThriftCompactWriter()
                h.structBody { w in
                    w.i32(1, 2)
                    w.i32(2, Int32(body.count))
                    w.i32(3, Int32(payload.count))
                    w.structure(7) { d in
                        d.i32(1, n)
                        d.i32(2, ParquetEncoding.plain.rawValue)
                        d.bool(3, true)
                    }
                }
                out.bytes += h.bytes
                out.bytes += payload
                uncompressed += h.bytes.count + body.count
            }
            let dataStart = out.bytes.count
            for (page, firstValue) in pages(c) {
                let (header, body, rawSize) = encodePage(c, page, firstValue: firstValue, local: local, indexBits: indexBits)
                out.bytes += header
                out.bytes += body
                uncompressed += header.count + rawSize
            }
            var stats = ThriftCompactWriter()
            stats.structBody { c.writeStatistics(&$0) }
            out.chunks.append(
                ChunkMeta(
                    column: c.column, offset: start, dataOffset: dataStart, dictionary: c.dictionary != nil, values: c.entries,
                    compressed: out.bytes.count - start, uncompressed: uncompressed, statistics: stats.bytes))
        }
        return out
    }

    /// Writes an encoded row group after the ones written so far.
    public func write(_ group: EncodedRowGroup) throws {
        let base = offset
        try emit(group.bytes)
        let chunks = group.chunks.map { c -> ChunkMeta in
            var c = c
            c.offset += base
            c.dataOffset += base
            return c
        }
        rowGroups.append((group.rows, chunks.reduce(0) { $0 + $1.uncompressed }, chunks))
        rows += group.rows
    }

    /// Encodes and writes one row group.
    public func writeRowGroup(_ columns: [ParquetColumnBuffer], rows n: Int) throws { try write(encode(columns, rows: n)) }

    /// Entry ranges of the pages, with the index of each page's first value: cut at a record
    /// boundary once a page holds `pageBytes` of values.
    func pages(_ c: ParquetColumnBuffer) -> [(Range<Int>, Int)] {
        var out: [(Range<Int>, Int)] = []
        var start = 0
        var startValue = 0
        var valueIndex = 0
        var pageStartOffset = 0
        var lastEnd = 0
        let maxDefinition = UInt8(c.column.maxDefinition)
        for e in 0..<c.entries {
            if e > start && c.reps[e] == 0 && lastEnd - pageStartOffset >= pageBytes {
                out.append((start..<e, startValue))
                start = e
                startValue = valueIndex
                pageStartOffset = lastEnd
            }
            if c.defs[e] == maxDefinition {
                lastEnd = c.column.type == .boolean ? c.valueEnds[valueIndex] / 8 : c.valueEnds[valueIndex]
                valueIndex += 1
            }
        }
        out.append((start..<c.entries, startValue))
        return out
    }

    /// A data page's header and compressed body, and the body's size before compression.
    func encodePage(_ c: ParquetColumnBuffer, _ entries: Range<Int>, firstValue first: Int, local: [Int32] = [], indexBits: Int = 1) -> (
        [UInt8], [UInt8], Int
    ) {
        var body: [UInt8] = []
        for (levels, max) in [(c.reps, c.column.maxRepetition), (c.defs, c.column.maxDefinition)] where max > 0 {
            var encoded: [UInt8] = []
            RLEHybrid.encode(levels[entries], bitWidth: RLEHybrid.bitWidth(max), into: &encoded)
            withUnsafeBytes(of: UInt32(encoded.count).littleEndian) { body.append(contentsOf: $0) }
            body += encoded
        }
        // The values of the entries defined down to the leaf, in order.
        let maxDefinition = UInt8(c.column.maxDefinition)
        var count = 0
        for e in entries where c.defs[e] == maxDefinition { count += 1 }
        if c.dictionary != nil {
            // RLE_DICTIONARY: the indices' bit width (the chunk's), then the indices bit-packed.
            body.append(UInt8(indexBits))
            RLEHybrid.bitPacked(local[first..<(first + count)], bitWidth: indexBits, into: &body)
        } else if c.column.type == .boolean {
            var byte: UInt8 = 0
            for k in 0..<count {
                if c.bits[first + k] { byte |= 1 << UInt8(k % 8) }
                if k % 8 == 7 {
                    body.append(byte)
                    byte = 0
                }
            }
            if count % 8 != 0 { body.append(byte) }
        } else if count > 0 {
            let from = first == 0 ? 0 : c.valueEnds[first - 1]
            body += c.values[from..<c.valueEnds[first + count - 1]]
        }
        // Every page of a chunk is one zstd frame (the codec is per chunk), even where zstd saves
        // nothing.
        let payload = CompressionCodec.zstdFrame(body, level: level)
        var h = ThriftCompactWriter()
        h.structBody { w in
            w.i32(1, 0)
            w.i32(2, Int32(body.count))
            w.i32(3, Int32(payload.count))
            w.structure(5) { d in
                d.i32(1, Int32(entries.count))
                d.i32(2, c.dictionary != nil ? ParquetEncoding.rleDictionary.rawValue : ParquetEncoding.plain.rawValue)
                d.i32(3, ParquetEncoding.rle.rawValue)
                d.i32(4, ParquetEncoding.rle.rawValue)
            }
        }
        return (h.bytes, payload, body.count)
    }

    /// Writes the footer: schema, row groups with their chunks' metadata, column orders.
    public func finish() throws {
        var w = ThriftCompactWriter()
        w.structBody { f in
            f.i32(1, 1)
            schema.write(&f, listID: 2)
            f.i64(3, Int64(rows))
            f.listHeader(4, .structure, count: rowGroups.count)
            for g in rowGroups {
                f.structBody { r in
                    r.listHeader(1, .structure, count: g.chunks.count)
                    for c in g.chunks {
                        r.structBody { cc in
                            cc.i64(2, Int64(c.offset))
                            cc.structure(3) { m in
                                m.i32(1, c.column.type.rawValue)
                                m.i32List(
                                    2,
                                    [ParquetEncoding.plain.rawValue, ParquetEncoding.rle.rawValue]
                                        + (c.dictionary ? [ParquetEncoding.rleDictionary.rawValue] : []))
                                m.stringList(3, c.column.path)
                                m.i32(4, ParquetCodec.zstd.rawValue)
                                m.i64(5, Int64(c.values))
                                m.i64(6, Int64(c.uncompressed))
                                m.i64(7, Int64(c.compressed))
                                m.i64(9, Int64(c.dataOffset))
                                if c.dictionary { m.i64(11, Int64(c.offset)) }
                                m.fieldHeader(12, .structure)
                                m.appendRaw(c.statistics)
                            }
                        }
                    }
                    r.i64(2, Int64(g.bytes))
                    r.i64(3, Int64(g.rows))
                }
            }
            f.string(6, createdBy)
            f.listHeader(7, .structure, count: schema.columns.count)
            for _ in schema.columns { f.structBody { o in o.structure(1) { _ in } } }
        }
        try emit(w.bytes)
        var tail: [UInt8] = []
        withUnsafeBytes(of: UInt32(w.bytes.count).littleEndian) { tail.append(contentsOf: $0) }
        tail += Array("PAR1".utf8)
        try emit(tail)
    }
}
