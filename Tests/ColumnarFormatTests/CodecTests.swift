import ColumnarFormat
import Testing

@testable import ColumnarStorage

@Suite struct CodecTests {
    static func sample(_ seed: UInt64, _ n: Int) -> [UInt8] {
        var rng = SplitMix(seed: seed)
        return (0..<n).map { i in i % 7 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : UInt8(i % 13) }
    }

    @Test(arguments: [Codec.zstd, Codec.lz4])
    func roundTrip(codec: Codec) throws {
        for n in [1, 100, 65_536, 1_000_003] {
            let input = Self.sample(UInt64(n), n)
            guard let stored = CompressionCodec.compress(input, codec: codec) else {
                #expect(n < 200, "compressible input of \(n) bytes was stored raw")
                continue
            }
            #expect(stored.count < input.count)
            let back = try stored.withUnsafeBytes { try CompressionCodec.decompress($0, codec: codec, expectedLength: n, context: "t") }
            #expect(back == input)
        }
    }

    /// The writer's choice per chunk under `zstd`: `none` when compression saves under a quarter,
    /// `lz4` when zstd saves under a quarter of the payload more than lz4 (ranks 1..15 repeated),
    /// `zstd` when only zstd pays (bytes half random), and every stored chunk decodes to its payload.
    @Test func writerChoosesTheCodecByWhatItSaves() throws {
        var rng = SplitMix(seed: 5)
        let noise = EncodedChunk(
            payload: (0..<16_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, count: 2_000, physicalType: .int64, encoding: .plain)
        let ranks = ColumnEncoder.encode(int64: (0..<16_384 * 15).map { Int64($0 % 15 + 1) })
        // Bytes of which about half are random: zstd saves about half, not seven eighths.
        let half = EncodedChunk(
            payload: (0..<32_000).map { i in i % 2 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : 0 }, count: 4_000,
            physicalType: .int64, encoding: .plain)
        for (chunk, expected) in [(noise, Codec.none), (ranks, .lz4), (half, .zstd)] {
            let p = PreparedChunk(chunk, codec: .zstd, level: 1)
            #expect(p.codec == expected, "\(chunk.payload.count) bytes stored as \(p.codec) in \(p.stored.count)")
            let back = try p.stored.withUnsafeBytes {
                try CompressionCodec.decompress($0, codec: p.codec, expectedLength: chunk.payload.count, context: "t")
            }
            #expect(back == chunk.payload)
        }
        // Asked for lz4 or none, the writer keeps to it.
        #expect(PreparedChunk(ranks, codec: .lz4).codec == .lz4)
        #expect(PreparedChunk(ranks, codec: .none).codec == .none)
    }

    /// Large payloads are judged on a sample of six 8 KiB windows before being compressed whole:
    /// noise is stored raw without compressing it whole, repetitive bytes are compressed, a
    /// small payload is always tried, and (the stated cost of sampling) a payload that compresses
    /// only where no window falls is stored raw.
    @Test func largeChunksAreJudgedOnASample() {
        var rng = SplitMix(seed: 11)
        let n = 1 << 20
        let noise = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let ranks = (0..<n).map { UInt8($0 % 15 + 1) }
        #expect(!PreparedChunk.worthCompressing(noise, codec: .zstd, level: 3))
        #expect(PreparedChunk.worthCompressing(ranks, codec: .zstd, level: 3))
        #expect(PreparedChunk.worthCompressing(Array(noise.prefix(100_000)), codec: .zstd, level: 3))
        #expect(PreparedChunk.worthCompressing(noise, codec: .none, level: 3))
        // Zeros everywhere but in the six windows: the whole would compress, the sample does not.
        var holes = [UInt8](repeating: 0, count: n)
        let w = PreparedChunk.sampleWindow
        for i in 0..<PreparedChunk.sampleWindows {
            let start = i * (n - w) / (PreparedChunk.sampleWindows - 1)
            for k in start..<(start + w) { holes[k] = UInt8(truncatingIfNeeded: rng.next()) }
        }
        #expect(CompressionCodec.compress(holes, codec: .zstd) != nil)
        #expect(!PreparedChunk.worthCompressing(holes, codec: .zstd, level: 3))
        let p = PreparedChunk(EncodedChunk(payload: holes, count: n / 4, physicalType: .int32, encoding: .plain), codec: .zstd)
        #expect(p.codec == .none && p.stored == holes)
    }

    @Test func incompressibleDataIsStoredRaw() {
        var rng = SplitMix(seed: 1)
        let noise = (0..<10_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        #expect(CompressionCodec.compress(noise, codec: .zstd) == nil)
        #expect(CompressionCodec.compress(noise, codec: .lz4) == nil)
    }

    @Test(arguments: [Codec.zstd, Codec.lz4])
    func damagedOrTruncatedInputThrows(codec: Codec) throws {
        let input = Self.sample(9, 200_000)
        let stored = try #require(CompressionCodec.compress(input, codec: codec))
        let truncated = Array(stored.prefix(stored.count / 2))
        #expect(throws: FormatError.self) {
            try truncated.withUnsafeBytes { try CompressionCodec.decompress($0, codec: codec, expectedLength: input.count, context: "t") }
        }
        #expect(throws: FormatError.self) {
            try stored.withUnsafeBytes { try CompressionCodec.decompress($0, codec: codec, expectedLength: input.count + 1, context: "t") }
        }
    }
}
