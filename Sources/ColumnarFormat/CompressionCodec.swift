import CLZ4
import CZstd

/// The general-purpose compressors (zstd frames and lz4 blocks) applied to encoded chunks.
/// This file and the input decoders in storage are the only code that touches the C libraries.
public enum CompressionCodec {
    /// Compresses `input` with `codec`. Returns nil when compression does not save at least
    /// `1/minSavingDivisor` of it (3% by default), in which case the writer stores the chunk
    /// uncompressed (codec `none`).
    public static func compress(_ input: [UInt8], codec: Codec, level: Int32 = 3, minSavingDivisor: Int = 32) -> [UInt8]? {
        precondition(minSavingDivisor >= 1, "a saving is a fraction 1/d of the input, d >= 1")
        if input.isEmpty { return nil }
        switch codec {
        case .none:
            return nil
        case .zstd:
            // The output buffer is not zeroed first: the compressor writes what it returns, and
            // only that is kept.
            let bound = ZSTD_compressBound(input.count)
            var failed = false
            let out = [UInt8](unsafeUninitializedCapacity: bound) { o, written in
                let n = input.withUnsafeBytes { i in ZSTD_compress(o.baseAddress, bound, i.baseAddress, i.count, level) }
                failed = ZSTD_isError(n) != 0
                written = failed ? 0 : n
            }
            if failed || out.count >= input.count - input.count / minSavingDivisor { return nil }
            return out
        case .lz4:
            guard input.count < Int(LZ4_MAX_INPUT_SIZE) else { return nil }
            let bound = Int(LZ4_compressBound(Int32(input.count)))
            let out = [UInt8](unsafeUninitializedCapacity: bound) { o, written in
                let n = input.withUnsafeBytes { i in
                    LZ4_compress_default(
                        i.baseAddress!.assumingMemoryBound(to: CChar.self),
                        UnsafeMutableRawPointer(o.baseAddress!).assumingMemoryBound(to: CChar.self), Int32(i.count), Int32(bound))
                }
                written = max(0, Int(n))
            }
            if out.isEmpty || out.count >= input.count - input.count / minSavingDivisor { return nil }
            return out
        }
    }

    /// One zstd frame of `input`, whatever it saves (formats whose codec is fixed per column, such
    /// as Parquet's, cannot fall back to storing a page raw).
    public static func zstdFrame(_ input: [UInt8], level: Int32 = 3) -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var out = [UInt8](repeating: 0, count: bound)
        let n = out.withUnsafeMutableBytes { o in
            input.withUnsafeBytes { i in ZSTD_compress(o.baseAddress, bound, i.baseAddress, i.count, level) }
        }
        precondition(ZSTD_isError(n) == 0, "zstd compresses into its own bound")
        out.removeSubrange(n...)
        return out
    }

    /// Decompresses a stored chunk into exactly `expectedLength` bytes or throws.
    public static func decompress(_ stored: UnsafeRawBufferPointer, codec: Codec, expectedLength: Int, context: String) throws(FormatError)
        -> [UInt8]
    {
        switch codec {
        case .none:
            guard stored.count == expectedLength else {
                throw .invalid("\(context): stored \(stored.count) bytes but encoded length is \(expectedLength)")
            }
            return Array(stored)
        case .zstd:
            let frame = ZSTD_findFrameCompressedSize(stored.baseAddress, stored.count)
            guard ZSTD_isError(frame) == 0, frame == stored.count else {
                throw .codecFailure("\(context): a zstd chunk must be exactly one frame")
            }
            let size = ZSTD_getFrameContentSize(stored.baseAddress, stored.count)
            guard size == UInt64(expectedLength) else {
                throw .codecFailure("\(context): zstd frame declares \(size) bytes, descriptor says \(expectedLength)")
            }
            var out = [UInt8](repeating: 0, count: expectedLength)
            let n = out.withUnsafeMutableBytes { o in
                ZSTD_decompress(o.baseAddress, expectedLength, stored.baseAddress, stored.count)
            }
            if ZSTD_isError(n) != 0 {
                throw .codecFailure("\(context): zstd: \(String(cString: ZSTD_getErrorName(n)))")
            }
            guard n == expectedLength else { throw .codecFailure("\(context): zstd produced \(n) of \(expectedLength) bytes") }
            return out
        case .lz4:
            guard expectedLength < Int(Int32.max), stored.count < Int(Int32.max), stored.count > 0, expectedLength > 0 else {
                throw .codecFailure("\(context): lz4 block too large")
            }
            var out = [UInt8](repeating: 0, count: expectedLength)
            let n = out.withUnsafeMutableBytes { o in
                LZ4_decompress_safe(
                    stored.baseAddress!.assumingMemoryBound(to: CChar.self),
                    o.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(stored.count), Int32(expectedLength))
            }
            guard Int(n) == expectedLength else { throw .codecFailure("\(context): lz4 produced \(n) of \(expectedLength) bytes") }
            return out
        }
    }

    public static var versions: String {
        "zstd \(String(cString: ZSTD_versionString())), lz4 \(String(cString: LZ4_versionString()))"
    }
}
