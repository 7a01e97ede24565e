import ColumnarFormat

/// A chunk that has been encoded, compressed and checksummed, ready to be placed in the file.
/// Preparing is pure and runs on any thread; placing is sequential.
public struct PreparedChunk: Sendable {
    public var stored: [UInt8]
    public var encodedLength: Int
    public var checksum: UInt64
    public var codec: Codec
    public var encoded: EncodedChunkHeader

    /// A chunk is stored compressed only when that saves at least a quarter of its encoded bytes:
    /// every scan decompresses what it reads, so a small saving (the bit-packed ids, decimal
    /// propensities: 3-10% under zstd) would cost each run more than the bytes save. Measured on
    /// the generated 1M logs: the dataset 2.4% larger, the experiment's CPU 4-7% lower.
    public static let minSavingDivisor = 4

    /// Everything of `EncodedChunk` but its payload.
    public struct EncodedChunkHeader: Sendable {
        public var count: Int
        public var physicalType: PhysicalType
        public var encoding: Encoding
        public var bitWidth: UInt8
        public var paramA: Int64
        public var paramB: Int64
    }

    /// Under `zstd`, a chunk is stored with lz4 instead when zstd's output is smaller than lz4's
    /// by less than `1/lz4Divisor` of the payload: the same rule as compressing at all (a saving
    /// under a quarter of the payload costs every scan more than it saves), applied to zstd's
    /// saving over lz4, which decompresses several times faster. Measured on the generated 1M
    /// logs: `items.rank` (4-bit ranks) 2.8 MiB under lz4 against 1.7 MiB under zstd, of 7.2 MiB
    /// encoded; the dataset 2% larger and the ranking-metrics pass, which reads the ranks, about
    /// 18% faster.
    public static let lz4Divisor = 4

    /// A payload is first judged on `sampleWindows` windows of `sampleWindow` bytes, spread
    /// evenly from its start to its end, when it is larger than 16 such windows.
    static let sampleWindow = 8 << 10
    static let sampleWindows = 6

    /// Whether a chunk's payload may compress enough to be stored compressed: a large payload
    /// whose sample (above) does not save an eighth is stored as it is, without compressing it
    /// whole. Most bytes of a dataset are bit-packed ids and decimal propensities that zstd
    /// shrinks by 3-10%, under the quarter `minSavingDivisor` asks for; compressing them whole
    /// only to throw the result away cost ingest a sixth of its encoding phase. A payload that
    /// compresses only between the windows is stored raw (a larger file, never a wrong one).
    static func worthCompressing(_ payload: [UInt8], codec: Codec, level: Int32) -> Bool {
        let w = sampleWindow
        guard codec != .none, payload.count > 16 * w else { return true }
        var sample: [UInt8] = []
        sample.reserveCapacity(sampleWindows * w)
        for i in 0..<sampleWindows {
            let start = i * (payload.count - w) / (sampleWindows - 1)
            sample += payload[start..<(start + w)]
        }
        return CompressionCodec.compress(sample, codec: codec, level: level, minSavingDivisor: 2 * minSavingDivisor) != nil
    }

    /// Compresses `chunk` with `codec` (falling back to `none` when that does not pay, and from
    /// zstd to lz4 when zstd saves little more, `lz4Divisor`) and checksums it.
    ///
    /// `tryingLZ4: false` keeps zstd without compressing with lz4 too: for dictionaries, which a
    /// scan reads once, not per row group, so lz4's faster decompression is not worth a second
    /// compression of the largest chunks of the file (sorted request ids: zstd saves 60%, lz4
    /// 27%).
    public init(_ chunk: EncodedChunk, codec: Codec, level: Int32 = 3, tryingLZ4: Bool = true) {
        precondition(chunk.count <= Int(UInt32.max), "a chunk holds at most 2^32-1 values")
        var compressed =
            PreparedChunk.worthCompressing(chunk.payload, codec: codec, level: level)
            ? CompressionCodec.compress(chunk.payload, codec: codec, level: level, minSavingDivisor: PreparedChunk.minSavingDivisor)
            : nil
        var used = codec
        if codec == .zstd, tryingLZ4, let z = compressed,
            let l = CompressionCodec.compress(chunk.payload, codec: .lz4, minSavingDivisor: PreparedChunk.minSavingDivisor),
            l.count - z.count < chunk.payload.count / PreparedChunk.lz4Divisor
        {
            compressed = l
            used = .lz4
        }
        stored = compressed ?? chunk.payload
        self.codec = compressed == nil ? .none : used
        encodedLength = chunk.payload.count
        checksum = XXH64.hash(stored)
        encoded = EncodedChunkHeader(
            count: chunk.count, physicalType: chunk.physicalType, encoding: chunk.encoding,
            bitWidth: chunk.bitWidth, paramA: chunk.paramA, paramB: chunk.paramB)
    }
}

/// Writes a dataset file: header, 64-byte-aligned chunks, footer and trailer (format-spec §3),
/// atomically: nothing appears at `path` until `finish` succeeds.
public final class DatasetWriter {
    private let file: AtomicOutputFile

    public init(path: String) throws(StorageError) {
        file = try AtomicOutputFile(path: path)
        var header = DatasetFormat.headerMagic
        withUnsafeBytes(of: DatasetFormat.majorVersion.littleEndian) { header.append(contentsOf: $0) }
        withUnsafeBytes(of: DatasetFormat.minorVersion.littleEndian) { header.append(contentsOf: $0) }
        header.append(contentsOf: [UInt8](repeating: 0, count: DatasetFormat.headerSize - header.count))
        try file.write(header)
    }

    public var bytesWritten: UInt64 { file.position }

    /// Places a prepared chunk at the next aligned offset and returns its descriptor.
    public func place(_ c: PreparedChunk) throws(StorageError) -> ChunkDescriptor {
        try file.pad(toMultipleOf: DatasetFormat.alignment)
        let offset = file.position
        try file.write(c.stored)
        return ChunkDescriptor(
            offset: offset, storedLength: UInt64(c.stored.count), encodedLength: UInt64(c.encodedLength),
            checksum: c.checksum, count: UInt32(c.encoded.count), physicalType: c.encoded.physicalType,
            encoding: c.encoded.encoding, codec: c.codec, bitWidth: c.encoded.bitWidth,
            paramA: c.encoded.paramA, paramB: c.encoded.paramB)
    }

    /// Writes the footer and trailer, syncs, and moves the file into place.
    public func finish(_ footer: DatasetFooter) throws(StorageError) {
        try file.pad(toMultipleOf: DatasetFormat.alignment)
        let bytes = footer.serialized()
        let offset = file.position
        try file.write(bytes)
        var w = ByteWriter()
        w.u64(offset)
        w.u64(UInt64(bytes.count))
        w.u64(XXH64.hash(bytes))
        w.raw(DatasetFormat.trailerMagic)
        try file.write(w.bytes)
        try file.commit()
    }
}
