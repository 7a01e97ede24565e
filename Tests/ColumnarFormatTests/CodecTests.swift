import ColumnarFormat
import ColumnarStorage
import Foundation
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

/// Tables asked for with huge pages hold what an ordinary array holds, below and above the size
/// from which the advice is given, and stay ordinary arrays (copies are independent).
@Suite struct LargeTableTests {
    @Test(arguments: [0, 1, 1000, LargeTable.minimumBytes / 16 - 1, LargeTable.minimumBytes / 16 * 3 + 5])
    func sameContentsAsAnOrdinaryArray(count: Int) {
        var table = [Int128](largeTableRepeating: 7, count: count)
        #expect(table == [Int128](repeating: 7, count: count))
        guard count > 0 else { return }
        let copy = table
        table[count - 1] = -1
        #expect(copy[count - 1] == 7 && table[count - 1] == -1)
    }

    /// On Linux with transparent huge pages available, a large table's memory carries the advice
    /// (`hg` among the mapping's VmFlags in /proc/self/smaps).
    @Test func largeTablesAreAdvised() throws {
        #if os(Linux)
            guard let mode = try? String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/enabled", encoding: .utf8),
                !mode.contains("[never]")
            else { return }
            let table = [UInt64](largeTableRepeating: 1, count: 3 * LargeTable.minimumBytes / 8)
            let address = table.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress!) + UInt(LargeTable.minimumBytes) }
            // Read to the end: /proc files report a size of 0.
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/smaps"))
            defer { try? handle.close() }
            let smaps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
            var inside = false
            var flags: String? = nil
            for line in smaps.split(separator: "\n") {
                let fields = line.split(separator: " ")
                if let range = fields.first, range.contains("-"), !range.hasSuffix(":") {
                    let bounds = range.split(separator: "-").compactMap { UInt($0, radix: 16) }
                    inside = bounds.count == 2 && bounds[0] <= address && address < bounds[1]
                } else if inside && line.hasPrefix("VmFlags:") {
                    flags = String(line)
                }
            }
            #expect(flags?.split(separator: " ").contains("hg") == true, "\(flags ?? "no mapping in \(smaps.count) bytes")")
            #expect(table[5] == 1)
        #endif
    }
}
