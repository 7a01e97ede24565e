import CZstd

/// An `AtomicOutputFile` whose bytes are zstd-compressed as they are written (one frame, with
/// its content checksum), so generated logs of any size fit on the disk in the form `ingest`
/// reads (`.zst`, detected by content). The file appears only on `commit`, as any atomic output.
public final class ZstdOutputFile {
    private let file: AtomicOutputFile
    private let stream: OpaquePointer
    private var buffer: [UInt8]

    /// Compresses at `level` (1: fast; zstd's levels) into a new file at `path`.
    public init(path: String, level: Int32 = 1) throws(StorageError) {
        file = try AtomicOutputFile(path: path)
        guard let s = ZSTD_createCStream() else { throw .input(path: path, reason: "zstd could not allocate a compression stream") }
        stream = s
        ZSTD_CCtx_setParameter(stream, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(stream, ZSTD_c_checksumFlag, 1)
        buffer = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())
    }

    deinit { ZSTD_freeCStream(stream) }

    public var path: String { file.path }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(StorageError) {
        try compress(bytes, end: false)
    }

    /// Finishes the frame and makes the file visible.
    public func commit() throws(StorageError) {
        try compress(UnsafeRawBufferPointer(start: nil, count: 0), end: true)
        try file.commit()
    }

    private func compress(_ raw: UnsafeRawBufferPointer, end: Bool) throws(StorageError) {
        var input = ZSTD_inBuffer(src: raw.baseAddress, size: raw.count, pos: 0)
        while true {
            let (remaining, produced) = buffer.withUnsafeMutableBytes { out -> (Int, Int) in
                var output = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                let r = ZSTD_compressStream2(stream, &output, &input, end ? ZSTD_e_end : ZSTD_e_continue)
                return (ZSTD_isError(r) != 0 ? -1 : r, output.pos)
            }
            guard remaining >= 0 else { throw .input(path: file.path, reason: "zstd compression failed") }
            if produced > 0 { try file.write(Array(buffer[0..<produced])) }
            if end ? remaining == 0 : input.pos == input.size { return }
        }
    }
}
