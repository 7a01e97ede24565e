import ColumnarFormat

/// Consecutive batches of one partition and table, moved to the spill file as one record: the
/// batches' arrays encoded with `SpillPacker` (the dataset's own integer, decimal and flag
/// encodings) and the whole record compressed with zstd. Spilled rows then take about the space
/// they will take in the dataset (lz4 over the raw arrays took about twice that). The record's
/// XXH64 is kept in memory, so damaged spill data is found before it is decoded.
struct SpilledRun {
    /// The record's place in the spill file.
    var offset: UInt64
    var storedLength: Int
    /// Length of the packed arrays before compression; 0 when the record is stored uncompressed.
    var packedLength: Int
    /// XXH64 of the stored bytes.
    var checksum: UInt64
    /// The worker whose interner codes each batch uses, one per batch in input order.
    var workers: [Int32]

    /// zstd level of spill records. Measured on 3M all-fields exposures: level 3 saves 0.9% of
    /// the spill's bytes for 3.5% more ingest CPU.
    static let level: Int32 = 1

    /// The stored form of `batches` (in order) and the packed length to give `batches(from:)`
    /// (0 when compression did not pay and the packed bytes are stored as they are).
    static func record(_ batches: [TableBatch]) -> (stored: [UInt8], packedLength: Int) {
        var p = SpillPacker(capacity: batches.reduce(0) { $0 + $1.byteSize } / 2)
        for b in batches { b.pack(&p) }
        if let small = CompressionCodec.compress(p.bytes, codec: .zstd, level: level) { return (small, p.bytes.count) }
        return (p.bytes, 0)
    }

    /// The batches back from the record's stored bytes, checked against its checksum, length and
    /// batch count.
    func batches(from stored: [UInt8], table: TableKind) throws(FormatError) -> [TableBatch] {
        guard stored.count == storedLength, XXH64.hash(stored) == checksum else {
            throw .checksumMismatch("spill record of \(storedLength) bytes at offset \(offset)")
        }
        var packed = stored
        if packedLength > 0 {
            let r = stored.withUnsafeBytes { raw in
                Result { () throws(FormatError) in
                    try CompressionCodec.decompress(raw, codec: .zstd, expectedLength: packedLength, context: "spill record")
                }
            }
            packed = try r.get()
        }
        var u = SpillUnpacker(bytes: packed)
        var out: [TableBatch] = []
        out.reserveCapacity(workers.count)
        for _ in workers { out.append(try TableBatch.unpack(&u, table: table)) }
        guard u.atEnd else { throw .invalid("spill record holds \(packed.count - u.pos) bytes past its \(workers.count) batches") }
        return out
    }
}
