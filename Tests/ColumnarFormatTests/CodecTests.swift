import ColumnarFormat
import Testing

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
