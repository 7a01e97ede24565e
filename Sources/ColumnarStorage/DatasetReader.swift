import ColumnarFormat

/// Opens a dataset file, checks its header, trailer, footer checksum and every chunk's extent, and
/// hands out decoded chunks (each verified against its checksum before it is decompressed).
///
/// A damaged file gives `StorageError.corrupt` naming the file and what is wrong; no method traps
/// on bad bytes. Thread-safe for reads: chunks are read with `pread` into buffers each call
/// borrows (`ChunkFile`), so nothing of the file stays resident in the process.
public final class DatasetReader: Sendable {
    public let path: String
    public let footer: DatasetFooter
    public let fileSize: Int
    /// Where the footer starts; every chunk lies between the header and here.
    public let footerOffset: UInt64
    /// The format version written in the file's header.
    public let formatVersion: (major: UInt16, minor: UInt16)
    private let file: ChunkFile
    /// Whether the file was in the page cache when opened (sampled pages, `ChunkFile.isCached`):
    /// then read-ahead advice is left out, since it walks every page of each partition (about a
    /// tenth of a fast scan's time) and brings nothing.
    private let cachedAtOpen: Bool
    /// Sees every chunk handed out (for progress); nil: nobody watches.
    private let observer: ScanObserver?
    /// Dictionary chunks (by offset) whose entries were found to be valid UTF-8.
    private let validated = ValidatedChunks()
    /// The partitions scans visit (`Morsels.foldPartitions`, `Morsels.partitions`): all of
    /// them, or a shard's.
    public let shard: PartitionShard

    public init(path: String, observer: ScanObserver? = nil, shard: PartitionShard = .whole) throws(StorageError) {
        self.path = path
        self.observer = observer
        self.shard = shard
        file = try ChunkFile(path: path)
        fileSize = file.count
        (footer, footerOffset, formatVersion) = try DatasetReader.readFooter(file)
        cachedAtOpen = file.isCached()
        do {
            try DatasetReader.validate(footer, limit: footerOffset)
        } catch {
            throw .corrupt(path: path, reason: error.description)
        }
    }

    /// The footer (checksum verified), where it starts, and the format version of the header.
    static func readFooter(_ file: ChunkFile) throws(StorageError) -> (DatasetFooter, UInt64, (major: UInt16, minor: UInt16)) {
        let hs = DatasetFormat.headerSize
        let ts = DatasetFormat.trailerSize
        let size = file.count
        guard size >= hs + ts else {
            throw .corrupt(path: file.path, reason: FormatError.truncated("\(size) bytes is smaller than header and trailer").description)
        }
        let version = try file.withBytes(0..<hs) { (b) throws(FormatError) -> (major: UInt16, minor: UInt16) in
            guard Array(b[0..<8]) == DatasetFormat.headerMagic else { throw .badMagic("header") }
            let major = UInt16(littleEndian: b.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
            let minor = UInt16(littleEndian: b.loadUnaligned(fromByteOffset: 10, as: UInt16.self))
            guard major == DatasetFormat.majorVersion else { throw .unsupportedVersion(major: major, minor: minor) }
            return (major, minor)
        }
        let (offset, length, sum) = try file.withBytes((size - ts)..<size) { (b) throws(FormatError) -> (UInt64, UInt64, UInt64) in
            guard Array(b[(b.count - 8)...]) == DatasetFormat.trailerMagic else { throw .badMagic("trailer (the file may be truncated)") }
            var r = ByteReader(b, context: "trailer")
            let offset = try r.u64()
            let length = try r.u64()
            let sum = try r.u64()
            guard offset >= UInt64(hs), length <= UInt64(size - ts), offset <= UInt64(size - ts) - length else {
                throw .invalid("footer extent \(offset)+\(length) lies outside the file")
            }
            return (offset, length, sum)
        }
        let footer = try file.withBytes(Int(offset)..<Int(offset + length)) { (fb) throws(FormatError) -> DatasetFooter in
            guard XXH64.hash(fb) == sum else { throw .checksumMismatch("footer") }
            return try DatasetFooter.parse(fb)
        }
        return (footer, offset, version)
    }

    /// The tables of format v1 (§5), where present, keep their groups first and in order and
    /// their columns' physical types, groups and dictionaries (§13.1, §13.3): the scans rely on
    /// them, and a list column declared as one of the table's own would be read out of step with
    /// its count column.
    static func checkV1Tables(_ f: DatasetFooter) throws(FormatError) {
        func describe(_ c: ColumnSchema) -> String {
            "\(c.physicalType)" + (c.group.isEmpty ? " of the table's rows" : " in list \(c.group)")
                + (c.dictionary.isEmpty ? "" : " coded by dictionary \(c.dictionary)")
        }
        for t in f.tables {
            guard let v1 = DatasetSchema.tables.first(where: { $0.name == t.name }) else { continue }
            guard t.groups.count >= v1.groups.count, zip(t.groups, v1.groups).allSatisfy({ $0 == $1 }) else {
                let have = t.groups.map { "\($0.name) (\($0.countColumn))" }.joined(separator: ", ")
                let want = v1.groups.map { "\($0.name) (\($0.countColumn))" }.joined(separator: ", ")
                throw .invalid("table \(t.name): lists [\(have)], format v1 begins with [\(want)] (§5)")
            }
            for c in v1.columns {
                guard let i = t.columnIndex(c.name), t.columns[i] != c else { continue }
                throw .invalid("table \(t.name) column \(c.name): \(describe(t.columns[i])), format v1 has \(describe(c)) (§5)")
            }
        }
    }

    static func validate(_ f: DatasetFooter, limit: UInt64) throws(FormatError) {
        func check(_ c: ChunkDescriptor, _ what: @autoclosure () -> String) throws(FormatError) {
            guard c.offset >= UInt64(DatasetFormat.headerSize), c.offset % UInt64(DatasetFormat.alignment) == 0,
                c.storedLength <= limit, c.offset <= limit - c.storedLength
            else { throw .invalid("\(what()): chunk extent \(c.offset)+\(c.storedLength) is outside the data area") }
            guard c.encodedLength <= DatasetReader.maxChunkBytes else {
                throw .invalid(
                    "\(what()): encoded length \(c.encodedLength) is more than this reader decodes in one chunk (\(DatasetReader.maxChunkBytes))"
                )
            }
        }
        /// A dictionary's chunk holds `bytes`, one value per entry; each mismatch gets its own message.
        func checkDictionary(_ d: DictionaryDescriptor, _ what: String) throws(FormatError) {
            guard d.chunk.physicalType == .bytes else {
                throw .invalid("\(what): chunk type is \(d.chunk.physicalType), a dictionary must be bytes")
            }
            guard UInt64(d.chunk.count) == d.count else {
                throw .invalid("\(what): chunk holds \(d.chunk.count) entries, footer says \(d.count)")
            }
        }
        for d in f.dictionaries {
            try check(d.chunk, "dictionary \(d.name)")
            try checkDictionary(d, "dictionary \(d.name)")
        }
        try checkV1Tables(f)
        for (pi, p) in f.partitions.enumerated() {
            try check(p.requestDictionary.chunk, "partition \(pi) request dictionary")
            try checkDictionary(p.requestDictionary, "partition \(pi) request dictionary")
            guard p.tables.count == f.tables.count else { throw .invalid("partition \(pi): table count mismatch") }
            for (ti, t) in f.tables.enumerated() {
                for (gi, rg) in p.tables[ti].enumerated() {
                    let ctx = "partition \(pi) \(t.name) row group \(gi)"
                    guard rg.chunks.count == t.columns.count, rg.groupRows.count == t.groups.count else {
                        throw .invalid("\(ctx): column count mismatch")
                    }
                    for (ci, c) in rg.chunks.enumerated() {
                        let col = t.columns[ci]
                        try check(c, "\(ctx) column \(col.name)")
                        guard c.physicalType == col.physicalType else {
                            throw .invalid(
                                "\(ctx) column \(col.name): chunk type \(c.physicalType) differs from schema \(col.physicalType)")
                        }
                        let expected: UInt64
                        if col.group.isEmpty {
                            expected = rg.rows
                        } else {
                            let g = t.groups.firstIndex { $0.name == col.group }!
                            expected = rg.groupRows[g]
                        }
                        guard UInt64(c.count) == expected else {
                            throw .invalid("\(ctx) column \(col.name): \(c.count) values, row group has \(expected) rows")
                        }
                    }
                }
            }
        }
    }

    public var partitionCount: Int { footer.partitions.count }

    /// The partitions of `shard`, ascending.
    public var scannedPartitions: [Int] { shard.partitions(of: partitionCount) }

    /// Calls `body` with the file's bytes from the footer to the end (footer and trailer), read
    /// through this reader's own open file: what a fingerprint of the dataset hashes.
    public func withFooterBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) throws(StorageError) -> R {
        try file.withBytes(Int(footerOffset)..<fileSize) { (b) throws(FormatError) -> R in body(b) }
    }

    /// The bytes a partition's chunks span in the file (the writer places each partition's chunks
    /// together).
    public func extent(partition p: Int) -> Range<Int> {
        let part = footer.partitions[p]
        var lo = Int(part.requestDictionary.chunk.offset)
        var hi = lo + Int(part.requestDictionary.chunk.storedLength)
        for table in part.tables {
            for group in table {
                for c in group.chunks {
                    lo = min(lo, Int(c.offset))
                    hi = max(hi, Int(c.offset + c.storedLength))
                }
            }
        }
        return lo..<hi
    }

    /// Asks the kernel to start reading partition `p` into the page cache: the partition runner
    /// gives this for the partitions a little ahead of those being scanned, so that a dataset
    /// not yet in the cache is read while the workers compute instead of chunk by chunk as they
    /// wait. A dataset found in the cache when it was opened is not advised (`cachedAtOpen`).
    public func willNeed(partition p: Int) {
        if !cachedAtOpen { file.willNeed(extent(partition: p)) }
    }

    public func tableIndex(_ name: String) -> Int? { footer.tables.firstIndex { $0.name == name } }

    /// The stored bytes of a chunk, checksum-verified and decompressed into its encoded payload.
    public func payload(_ c: ChunkDescriptor, context: String) throws(StorageError) -> [UInt8] {
        observer?.add(c.storedLength)
        return try file.withBytes(Int(c.offset)..<Int(c.offset + c.storedLength)) { (stored) throws(FormatError) -> [UInt8] in
            guard XXH64.hash(stored) == c.checksum else { throw .checksumMismatch(context) }
            guard let codec = c.codec else { throw .unknownCodec(c.codecRaw) }
            return try CompressionCodec.decompress(stored, codec: codec, expectedLength: Int(c.encodedLength), context: context)
        }
    }

    /// The most values this reader decodes from one chunk (2²⁸): a row group of the writer's
    /// default 16,384 rows with lists of 16,384 items each. The format allows up to 2³² − 1, and
    /// a crafted chunk of constant values (bit width 0) can claim that many in no bytes at all;
    /// decoding them would end the process in a failed allocation instead of an error.
    public static let maxChunkValues = 1 << 28

    /// The largest encoded chunk this reader decodes (4 GiB, about 16 bytes for each of the most
    /// values it decodes from a chunk). A compressed chunk is decompressed into a buffer of its
    /// encoded length; a crafted descriptor and zstd frame can claim a terabyte in a few bytes,
    /// which would end the process in a failed allocation instead of an error.
    public static let maxChunkBytes: UInt64 = 1 << 32

    /// Runs `f` on a chunk's encoded payload, checksum verified: an uncompressed chunk as read,
    /// a compressed one decompressed first.
    private func decode<T>(_ c: ChunkDescriptor, _ ctx: String, _ f: (UnsafeRawBufferPointer) throws(FormatError) -> T) throws(StorageError)
        -> T
    {
        guard Int(c.count) <= DatasetReader.maxChunkValues else {
            throw .corrupt(
                path: path,
                reason: "\(ctx): \(c.count) values in one chunk, more than this reader decodes (\(DatasetReader.maxChunkValues))")
        }
        if c.codec == Codec.none {
            observer?.add(c.storedLength)
            return try file.withBytes(Int(c.offset)..<Int(c.offset + c.storedLength)) { (stored) throws(FormatError) -> T in
                guard XXH64.hash(stored) == c.checksum else { throw .checksumMismatch(ctx) }
                guard stored.count == Int(c.encodedLength) else {
                    throw .invalid("\(ctx): stored \(stored.count) bytes but encoded length is \(c.encodedLength)")
                }
                return try f(stored)
            }
        }
        let p = try payload(c, context: ctx)
        let result = p.withUnsafeBytes { raw in Result { () throws(FormatError) -> T in try f(raw) } }
        switch result {
        case .success(let v): return v
        case .failure(let e): throw .corrupt(path: path, reason: e.description)
        }
    }

    public func integers(_ c: ChunkDescriptor, context ctx: String) throws(StorageError) -> [Int64] {
        try decode(c, ctx) { (raw) throws(FormatError) in try ColumnDecoder.decodeIntegers(raw, c, context: ctx) }
    }

    /// An int32 code column, checked to lie in `0..<bound` so dictionary lookups cannot go out of range.
    public func codes(_ c: ChunkDescriptor, bound: Int, context ctx: String) throws(StorageError) -> [Int32] {
        let v = try decode(c, ctx) { (raw) throws(FormatError) in try ColumnDecoder.decodeInt32(raw, c, context: ctx) }
        for x in v where x < 0 || Int(x) >= bound {
            throw .corrupt(path: path, reason: "\(ctx): code \(x) is outside the dictionary (size \(bound))")
        }
        return v
    }

    /// Decodes an int32 chunk into `out` (exactly `c.count` elements). With `bound`, every value is
    /// checked to lie in `0..<bound` (dictionary codes): usually from the frame of reference alone,
    /// without another pass.
    public func int32s(_ c: ChunkDescriptor, into out: UnsafeMutableBufferPointer<Int32>, bound: Int?, context ctx: String)
        throws(StorageError)
    {
        let range = try decode(c, ctx) { (raw) throws(FormatError) in try ColumnDecoder.decodeInt32(raw, c, into: out, context: ctx) }
        guard let bound else { return }
        if range.min >= 0 && range.max < Int64(bound) { return }
        for x in out where x < 0 || Int(x) >= bound {
            throw .corrupt(path: path, reason: "\(ctx): code \(x) is outside the dictionary (size \(bound))")
        }
    }

    /// Decodes an integer chunk into `out` (exactly `c.count` elements).
    public func int64s(_ c: ChunkDescriptor, into out: UnsafeMutableBufferPointer<Int64>, context ctx: String) throws(StorageError) {
        try decode(c, ctx) { (raw) throws(FormatError) in try ColumnDecoder.decodeInt64(raw, c, into: out, context: ctx) }
    }

    /// Decodes only the values at `ranges` (positions within the chunk) of an int32 chunk into
    /// `out`, range by range (`ColumnDecoder.gatherInt32`), the chunk checksum-verified as a
    /// whole. With `bound`, every value is checked to lie in `0..<bound`.
    public func int32s(
        _ c: ChunkDescriptor, gathering ranges: [Range<Int>], into out: UnsafeMutableBufferPointer<Int32>, bound: Int?,
        context ctx: String
    ) throws(StorageError) {
        let range = try decode(c, ctx) { (raw) throws(FormatError) in
            try ColumnDecoder.gatherInt32(raw, c, ranges: ranges, into: out, context: ctx)
        }
        if let bound, range.min < 0 || range.max >= Int64(bound) {
            let x = range.min < 0 ? range.min : range.max
            throw .corrupt(path: path, reason: "\(ctx): code \(x) is outside the dictionary (size \(bound))")
        }
    }

    /// Decodes only the values at `ranges` (positions within the chunk) of an integer chunk into
    /// `out`, range by range (`ColumnDecoder.gatherInt64`), the chunk checksum-verified as a whole.
    public func int64s(
        _ c: ChunkDescriptor, gathering ranges: [Range<Int>], into out: UnsafeMutableBufferPointer<Int64>,
        context ctx: String
    ) throws(StorageError) {
        try decode(c, ctx) { (raw) throws(FormatError) in try ColumnDecoder.gatherInt64(raw, c, ranges: ranges, into: out, context: ctx) }
    }

    /// Decodes a float64 chunk into `out` (exactly `c.count` elements).
    public func float64s(_ c: ChunkDescriptor, into out: UnsafeMutableBufferPointer<Double>, context ctx: String) throws(StorageError) {
        try decode(c, ctx) { (raw) throws(FormatError) in try ColumnDecoder.decodeFloat64(raw, c, into: out, context: ctx) }
    }

    /// Decodes a bool chunk into `out` (exactly `c.count` bytes).
    public func bools(_ c: ChunkDescriptor, into out: UnsafeMutableBufferPointer<UInt8>, context ctx: String) throws(StorageError) {
        try decode(c, ctx) { (raw) throws(FormatError) in try ColumnDecoder.decodeBool(raw, c, into: out, context: ctx) }
    }

    public func doubles(_ c: ChunkDescriptor, context ctx: String) throws(StorageError) -> [Double] {
        try decode(c, ctx) { (raw) throws(FormatError) in try ColumnDecoder.decodeFloat64(raw, c, context: ctx) }
    }

    public func bools(_ c: ChunkDescriptor, context ctx: String) throws(StorageError) -> [UInt8] {
        try decode(c, ctx) { (raw) throws(FormatError) in try ColumnDecoder.decodeBool(raw, c, context: ctx) }
    }

    public func bytes(_ c: ChunkDescriptor, context ctx: String) throws(StorageError) -> ByteStrings {
        let (o, d) = try decode(c, ctx) { (raw) throws(FormatError) in try ColumnDecoder.decodeBytes(raw, c, context: ctx) }
        return ByteStrings(offsets: o, data: d)
    }

    /// A global dictionary by name.
    public func dictionary(_ name: String) throws(StorageError) -> ByteStrings {
        guard let d = footer.dictionaries.first(where: { $0.name == name }) else {
            throw .corrupt(path: path, reason: "dictionary \(name) is missing")
        }
        return try validatedDictionary(d.chunk, context: "dictionary \(name)")
    }

    /// Partition `partition`'s request dictionary (its `request_id` strings), checked like `dictionary(_:)`.
    public func requestDictionary(partition: Int) throws(StorageError) -> ByteStrings {
        try validatedDictionary(footer.partitions[partition].requestDictionary.chunk, context: "partition \(partition) request dictionary")
    }

    /// A dictionary chunk whose entries are checked to be UTF-8 (format-spec §10), so exports and
    /// reports never print invalid text. A chunk passes the check once per reader (`validated`
    /// remembers it by offset); the check is one pass over the entry bytes, word by word while they
    /// are ASCII, small next to the decompression every load pays.
    private func validatedDictionary(_ c: ChunkDescriptor, context: String) throws(StorageError) -> ByteStrings {
        let strings = try bytes(c, context: context)
        if validated.contains(c.offset) { return strings }
        if let (entry, at) = strings.firstNonUTF8Entry() {
            throw .corrupt(path: path, reason: "\(context): entry \(entry) is not valid UTF-8 (byte \(at) of the entry)")
        }
        validated.insert(c.offset)
        return strings
    }
}

/// A list of byte strings: entry `i` is `data[offsets[i]..<offsets[i+1]]`.
public struct ByteStrings: Sendable {
    public let offsets: [UInt32]
    public let data: [UInt8]

    public init(offsets: [UInt32], data: [UInt8]) {
        precondition(!offsets.isEmpty, "offsets hold count + 1 entries")
        self.offsets = offsets
        self.data = data
    }

    public var count: Int { offsets.count - 1 }

    public subscript(i: Int) -> ArraySlice<UInt8> { data[Int(offsets[i])..<Int(offsets[i + 1])] }

    public func string(_ i: Int) -> String { String(decoding: self[i], as: UTF8.self) }
}
