import CZlib
import CZstd

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A stream of JSONL bytes from a file or standard input (`-`), transparently decompressed when
/// the content starts with a gzip (`1f 8b`) or zstd (`28 b5 2f fd`) magic number, whatever the name.
/// Concatenated gzip members and zstd frames are read in sequence.
public final class InputSource {
    public enum Compression: String, Sendable { case none, gzip, zstd }

    public let path: String
    public private(set) var compression: Compression = .none
    /// Size on disk when known (regular files), for progress.
    public let sizeOnDisk: UInt64?
    /// Raw (possibly compressed) bytes consumed so far.
    public private(set) var rawBytesRead: UInt64 = 0

    private let fd: Int32
    private let ownsFD: Bool
    private var raw: [UInt8]
    private var rawStart = 0
    private var rawEnd = 0
    private var eof = false
    private var zs: UnsafeMutablePointer<z_stream>?
    private var zstd: OpaquePointer?
    private var finished = false
    /// Sees every raw byte as it is read, in order (before decompression).
    private let observe: ((UnsafeRawBufferPointer) -> Void)?

    /// Opens `path` (`-`: standard input). `observe`, when given, is handed every raw byte read
    /// from it, in order and once (the compressed bytes of a compressed file), on the reading
    /// thread: a digest of the input then costs no second read.
    public init(path: String, observe: ((UnsafeRawBufferPointer) -> Void)? = nil) throws(StorageError) {
        self.path = path
        self.observe = observe
        if path == "-" {
            fd = STDIN_FILENO
            ownsFD = false
            sizeOnDisk = nil
        } else {
            let f = open(path, O_RDONLY | O_CLOEXEC)
            guard f >= 0 else { throw .system(op: "open", path: path, errno: errno) }
            fd = f
            ownsFD = true
            var st = stat()
            if fstat(f, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG {
                sizeOnDisk = UInt64(st.st_size)
            } else if (st.st_mode & S_IFMT) == S_IFDIR {
                close(f)
                throw .input(path: path, reason: "is a directory, expected a JSONL file")
            } else {
                sizeOnDisk = nil
            }
        }
        // A shard smaller than the read-ahead buffer gets a buffer its size: thousands of tiny
        // shards then cost an open each, not a MiB of zeroed memory each.
        let capacity = sizeOnDisk.map { Int(min($0 + 1, 1 << 20)) } ?? 1 << 20
        raw = [UInt8](repeating: 0, count: max(4096, capacity))
        try fillRaw()
        switch Self.detectCompression(raw[rawStart..<min(rawEnd, rawStart + 4)]) {
        case .none:
            break
        case .gzip:
            compression = .gzip
            let s = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            s.initialize(to: z_stream())
            guard inflateInit2_(s, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                s.deallocate()
                throw .input(path: path, reason: "cannot initialise gzip decoder")
            }
            zs = s
        case .zstd:
            compression = .zstd
            zstd = ZSTD_createDStream()
            ZSTD_initDStream(zstd)
        }
    }

    /// What an input holds, found without reading it: its size on disk and, from its first bytes,
    /// its compression. Standard input and other streams (pipes, process substitution, named
    /// pipes) are neither read nor opened, since a stream's bytes can be read only once and
    /// opening a named pipe waits for its writer (who would then write to a pipe this probe had
    /// closed): their size is nil and their compression `.none` (it is still detected when the
    /// stream is opened). Sizes the ingest before any work, and fails early for a missing or
    /// unreadable file. Costs a `stat`, an `open`, an `fstat` and a 4-byte `pread`.
    public static func probe(path: String) throws(StorageError) -> (sizeOnDisk: UInt64?, compression: Compression) {
        if path == "-" { return (nil, .none) }
        var named = stat()
        guard stat(path, &named) == 0 else { throw .system(op: "open", path: path, errno: errno) }
        switch named.st_mode & S_IFMT {
        case S_IFREG, S_IFDIR: break
        default: return (nil, .none)
        }
        let f = open(path, O_RDONLY | O_CLOEXEC)
        guard f >= 0 else { throw .system(op: "open", path: path, errno: errno) }
        defer { close(f) }
        var st = stat()
        guard fstat(f, &st) == 0 else { throw .system(op: "stat", path: path, errno: errno) }
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw .input(path: path, reason: "is a directory, expected a JSONL file")
        default: return (nil, .none)
        }
        var magic: [UInt8] = [0, 0, 0, 0]
        let n = magic.withUnsafeMutableBytes { pread(f, $0.baseAddress!, 4, 0) }
        guard n >= 0 else { throw .system(op: "read", path: path, errno: errno) }
        return (UInt64(st.st_size), detectCompression(magic[..<n]))
    }

    /// The compression whose magic number starts `bytes` (gzip `1f 8b`, zstd `28 b5 2f fd`).
    public static func detectCompression(_ bytes: ArraySlice<UInt8>) -> Compression {
        if bytes.starts(with: [0x1f, 0x8b]) { return .gzip }
        if bytes.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) { return .zstd }
        return .none
    }

    deinit {
        if let zs {
            inflateEnd(zs)
            zs.deallocate()
        }
        if let zstd { ZSTD_freeDStream(zstd) }
        if ownsFD { close(fd) }
    }

    private func fillRaw() throws(StorageError) {
        if rawStart > 0 && rawStart == rawEnd {
            rawStart = 0
            rawEnd = 0
        }
        guard !eof, rawEnd < raw.count else { return }
        while true {
            let n = raw.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + rawEnd, $0.count - rawEnd) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(op: "read", path: path, errno: errno)
            }
            if n == 0 { eof = true }
            if let observe, n > 0 { raw.withUnsafeBytes { observe(UnsafeRawBufferPointer(rebasing: $0[rawEnd..<rawEnd + n])) } }
            rawEnd += n
            rawBytesRead += UInt64(n)
            return
        }
    }

    /// Reads up to `max` decoded bytes into `buffer` at `offset`. Returns 0 at end of input.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(StorageError) -> Int {
        if buffer.count == 0 { return 0 }
        switch compression {
        case .none:
            if rawStart == rawEnd {
                rawStart = 0
                rawEnd = 0
                if eof { return 0 }
                // Large reads go straight into the caller's buffer.
                while true {
                    let n = Glibc.read(fd, buffer.baseAddress!, buffer.count)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw .system(op: "read", path: path, errno: errno)
                    }
                    if n == 0 { eof = true }
                    if let observe, n > 0 { observe(UnsafeRawBufferPointer(start: buffer.baseAddress!, count: n)) }
                    rawBytesRead += UInt64(n)
                    return n
                }
            }
            let n = min(buffer.count, rawEnd - rawStart)
            raw.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + rawStart, byteCount: n) }
            rawStart += n
            return n
        case .gzip:
            return try readGzip(buffer)
        case .zstd:
            return try readZstd(buffer)
        }
    }

    private func readGzip(_ out: UnsafeMutableRawBufferPointer) throws(StorageError) -> Int {
        guard let zs else { return 0 }
        while !finished {
            if rawStart == rawEnd { try fillRaw() }
            let availIn = rawEnd - rawStart
            if availIn == 0 && eof {
                if zs.pointee.total_in > 0 { throw .input(path: path, reason: "gzip stream is truncated") }
                finished = true
                break
            }
            var produced = 0
            var rc: Int32 = Z_OK
            raw.withUnsafeMutableBytes { r in
                zs.pointee.next_in = (r.baseAddress! + rawStart).assumingMemoryBound(to: Bytef.self)
                zs.pointee.avail_in = uInt(availIn)
                zs.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                zs.pointee.avail_out = uInt(out.count)
                rc = inflate(zs, Z_NO_FLUSH)
                produced = out.count - Int(zs.pointee.avail_out)
                rawStart += availIn - Int(zs.pointee.avail_in)
            }
            if rc == Z_STREAM_END {
                // Another member may follow (concatenated gzip files).
                inflateReset(zs)
                zs.pointee.total_in = 0
                if rawStart == rawEnd { try fillRaw() }
                if rawStart == rawEnd && eof { finished = true }
            } else if rc != Z_OK && rc != Z_BUF_ERROR {
                throw .input(path: path, reason: "gzip data is corrupt (zlib error \(rc))")
            } else if rc == Z_BUF_ERROR && produced == 0 && eof && rawStart == rawEnd {
                throw .input(path: path, reason: "gzip stream is truncated")
            }
            if produced > 0 { return produced }
        }
        return 0
    }

    private func readZstd(_ out: UnsafeMutableRawBufferPointer) throws(StorageError) -> Int {
        guard let zstd else { return 0 }
        var midFrame = false
        while !finished {
            if rawStart == rawEnd { try fillRaw() }
            let availIn = rawEnd - rawStart
            if availIn == 0 && eof {
                if midFrame { throw .input(path: path, reason: "zstd stream is truncated") }
                finished = true
                break
            }
            var produced = 0
            var ret = 0
            raw.withUnsafeBytes { r in
                var input = ZSTD_inBuffer(src: r.baseAddress! + rawStart, size: availIn, pos: 0)
                var output = ZSTD_outBuffer(dst: out.baseAddress!, size: out.count, pos: 0)
                ret = ZSTD_decompressStream(zstd, &output, &input)
                produced = output.pos
                rawStart += input.pos
            }
            if ZSTD_isError(ret) != 0 {
                throw .input(path: path, reason: "zstd data is corrupt: \(String(cString: ZSTD_getErrorName(ret)))")
            }
            midFrame = ret != 0
            if produced > 0 { return produced }
            if eof && rawStart == rawEnd && midFrame { throw .input(path: path, reason: "zstd stream is truncated") }
        }
        return 0
    }
}
