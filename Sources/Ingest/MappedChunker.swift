import ColumnarStorage

#if canImport(Glibc)
    import Glibc
#endif

/// `LineChunker`'s chunks of a regular, uncompressed file, as ranges of the file mapped read-only
/// (`MappedRegion`) instead of buffers the file is read into: the input is never copied. (The
/// kernel's copy of 1.2 GB of JSONL into read buffers was a tenth of an ingest's CPU.)
///
/// The lines are `LineChunker`'s, in the same order: a byte-order mark at the start of the file
/// is not part of line 1, a line is the bytes up to a `\n` without a `\r` right before it, and a
/// line longer than `maxLineBytes` is never put in a chunk but reported, with its first KiB, in
/// the `oversize` of the next chunk's piece (a chunk with no bytes when it ends the file). The
/// chunks themselves may be cut elsewhere, which changes nothing downstream: rows reach their
/// partitions in input order whatever the chunks.
///
/// For limits of at least the chunk size (`ChunkStream` checks): a chunk of at most `chunkSize`
/// bytes then holds no line over the limit, so a chunk ends at the last `\n` of the next
/// `chunkSize` bytes, found from the end, and only a stretch of `chunkSize` bytes without a `\n`
/// (the start of a line longer than a chunk) is measured. Such a line within the limit becomes a
/// chunk of its own; one over it is passed over a window at a time, so neither is mapped whole.
///
/// Every byte of the file is handed to `observe` once, in order, as the buffered reader does.
struct MappedChunker {
    /// The open file (closed when the last chunker copy lets it go).
    final class File: @unchecked Sendable {
        let path: String
        let fd: Int32
        let size: Int
        /// What the file was when opened.
        let identity: Identity

        /// A file's device, inode, size and modification time: a file rewritten in place keeps
        /// its inode but not its modification time.
        struct Identity: Equatable, Sendable {
            var device: UInt64
            var inode: UInt64
            var size: Int
            var seconds: Int
            var nanoseconds: Int

            init(_ st: stat) {
                device = UInt64(st.st_dev)
                inode = UInt64(st.st_ino)
                size = Int(st.st_size)
                seconds = Int(st.st_mtim.tv_sec)
                nanoseconds = Int(st.st_mtim.tv_nsec)
            }

            /// The file at `path` now, or nil when it cannot be looked at.
            static func current(_ path: String) -> Identity? {
                var st = stat()
                return stat(path, &st) == 0 ? Identity(st) : nil
            }

            /// Whether the bytes of a file that was `self` when it was mapped may have changed:
            /// another file in its place, fewer bytes, or a rewrite (the same size, a newer
            /// modification time). A file that only grew kept its first `size` bytes (logs are
            /// appended to), and the mapping read no further.
            func changed(to now: Identity?) -> Bool {
                guard let now else { return true }
                if now.device != device || now.inode != inode || now.size < size { return true }
                return now.size == size && (now.seconds, now.nanoseconds) != (seconds, nanoseconds)
            }
        }

        /// Opens `path` for mapping: nil (and closed again) unless it is a regular file of at
        /// least `minSize` bytes whose first bytes are no compression's magic number. The checks
        /// are made on the descriptor that is mapped, so the path cannot change in between.
        /// Anything but a regular file by its path is not opened at all: opening and closing a
        /// named pipe's read end would wait for its writer, or break its pipe (`SIGPIPE`); it is
        /// read instead. (Opened without blocking, should the path change to a pipe meanwhile.)
        static func open(path: String, minSize: Int) throws(StorageError) -> File? {
            var named = stat()
            guard stat(path, &named) == 0 else { throw .system(op: "open", path: path, errno: errno) }
            guard (named.st_mode & S_IFMT) == S_IFREG else { return nil }
            let (f, st) = try descriptor(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            var magic: [UInt8] = [0, 0, 0, 0]
            let n = (st.st_mode & S_IFMT) == S_IFREG ? magic.withUnsafeMutableBytes { pread(f, $0.baseAddress!, 4, 0) } : -1
            guard (st.st_mode & S_IFMT) == S_IFREG, Int(st.st_size) >= minSize, n >= 0,
                InputSource.detectCompression(magic[..<n]) == .none
            else {
                close(f)
                return nil
            }
            return File(path: path, fd: f, st: st)
        }

        /// Opens `path` whatever it holds (tests).
        convenience init(path: String) throws(StorageError) {
            let (f, st) = try Self.descriptor(path, O_RDONLY | O_CLOEXEC)
            self.init(path: path, fd: f, st: st)
        }

        private init(path: String, fd: Int32, st: stat) {
            self.path = path
            self.fd = fd
            size = Int(st.st_size)
            identity = Identity(st)
        }

        /// `path` opened with `flags`, and what `fstat` says of it.
        private static func descriptor(_ path: String, _ flags: Int32) throws(StorageError) -> (Int32, stat) {
            let f = Glibc.open(path, flags)
            guard f >= 0 else { throw .system(op: "open", path: path, errno: errno) }
            var st = stat()
            guard fstat(f, &st) == 0 else {
                close(f)
                throw .system(op: "stat", path: path, errno: errno)
            }
            return (f, st)
        }

        deinit { close(fd) }

        func map(_ range: Range<Int>) throws(StorageError) -> MappedRegion {
            try MappedRegion(fd: fd, path: path, offset: range.lowerBound, count: range.count)
        }
    }

    /// The window an over-long line is passed over in.
    static let skipWindow = 64 << 20

    let file: File
    let source: Int
    let table: TableKind
    let chunkSize: Int
    let maxLineBytes: Int
    let observe: ((UnsafeRawBufferPointer) -> Void)?
    /// The next line's first byte.
    private var pos = 0
    /// The bytes before this offset were handed to `observe` (at most `pos`: a byte-order mark
    /// is observed with the first chunk).
    private var observed = 0
    private var started = false
    /// Over-long lines met since the last chunk, for the next one.
    private var oversize: [OversizeLine] = []

    init(
        file: File, source: Int, table: TableKind, chunkSize: Int, maxLineBytes: Int,
        observe: ((UnsafeRawBufferPointer) -> Void)? = nil
    ) {
        precondition(chunkSize >= 16, "a chunk holds at least a byte-order mark and a short line")
        precondition(maxLineBytes >= chunkSize, "mapped chunks need a line limit of at least the chunk size")
        self.file = file
        self.source = source
        self.table = table
        self.chunkSize = chunkSize
        self.maxLineBytes = maxLineBytes
        self.observe = observe
    }

    /// Bytes of the file passed so far (for progress).
    var rawBytesRead: UInt64 { UInt64(observed) }

    /// The next chunk, or nil at the end of the file.
    mutating func next() throws(StorageError) -> LineChunk? {
        let size = file.size
        if !started {
            started = true
            if size >= 3 {
                let head = try file.map(0..<3)
                if head.withBytes({ $0.elementsEqual([0xEF, 0xBB, 0xBF]) }) { pos = 3 }
            }
        }
        while true {
            if pos >= size {
                guard !oversize.isEmpty else { return nil }
                return emit(ChunkBytes([]), end: pos)
            }
            let windowEnd = min(size, pos + chunkSize)
            let region = try file.map(observed..<windowEnd)
            let lead = pos - observed
            // The chunk ends at the last `\n` of the window, or at the end of the file.
            let end: Int? =
                windowEnd == size
                ? size
                : region.withBytes { raw in
                    // From the end: lines are short next to a chunk.
                    var i = raw.count - 1
                    while i >= lead && raw[i] != 0x0A { i -= 1 }
                    return i >= lead ? observed + i + 1 : nil
                }
            if let end {
                return emit(ChunkBytes(region: region, start: lead, count: end - pos), end: end, observing: region)
            }
            if let chunk = try longLine() { return chunk }
        }
    }

    /// The chunk of `bytes`, the lines from `pos` to `end`, with the over-long lines met before
    /// them; `observing` holds the bytes from `observed` to `end`.
    private mutating func emit(_ bytes: ChunkBytes, end: Int, observing region: MappedRegion? = nil) -> LineChunk {
        if let region { observeAll(region, upTo: end) }
        pos = end
        let c = LineChunk(bytes: bytes, table: table, pieces: [LineChunk.Piece(source: source, start: 0, oversize: oversize)])
        oversize = []
        return c
    }

    /// A line at `pos` of more than `chunkSize` bytes: a chunk of its own when it is within the
    /// limit, else recorded in `oversize` and passed over (nil).
    private mutating func longLine() throws(StorageError) -> LineChunk? {
        let size = file.size
        // A line within the limit has its `\n` (after a possible `\r`) by `limitEnd`.
        let limitEnd = min(size, pos + maxLineBytes + 2)
        let wide = try file.map(observed..<limitEnd)
        let lead = pos - observed
        let (newline, lastByte): (Int?, UInt8) = wide.withBytes { raw in
            let nl = memchr(raw.baseAddress! + lead, 0x0A, limitEnd - pos).map { UnsafeRawPointer($0) - raw.baseAddress! + observed }
            return (nl, raw[raw.count - 1])
        }
        // The line's first KiB (or all of it, when shorter), for the rejects file.
        let head = try file.map(pos..<min(size, pos + OversizeLine.prefixBytes)).withBytes { Array($0) }
        func prefix(_ length: Int) -> [UInt8] { Array(head.prefix(length)) }
        if let newline {
            let cr = wide.withBytes { newline > pos && $0[newline - 1 - observed] == 0x0D }
            let length = newline - pos - (cr ? 1 : 0)
            if length <= maxLineBytes {
                return emit(ChunkBytes(region: wide, start: lead, count: newline + 1 - pos), end: newline + 1, observing: wide)
            }
            observeAll(wide, upTo: newline + 1)
            oversize.append(OversizeLine(length: length, prefix: prefix(length)))
            pos = newline + 1
            return nil
        }
        if limitEnd == size {
            // The file's last line, without a `\n`.
            let length = size - pos - (lastByte == 0x0D ? 1 : 0)
            if length <= maxLineBytes {
                return emit(ChunkBytes(region: wide, start: lead, count: size - pos), end: size, observing: wide)
            }
            observeAll(wide, upTo: size)
            // As `LineChunker` keeps it: the line's last bytes, a `\r` included, when it is short.
            oversize.append(OversizeLine(length: length, prefix: head))
            pos = size
            return nil
        }
        // Over the limit and going on: pass over the rest of it a window at a time.
        observeAll(wide, upTo: limitEnd)
        var at = limitEnd
        var end = size
        var last = lastByte
        var before: UInt8 = 0
        while at < size {
            let w = try file.map(at..<min(size, at + Self.skipWindow))
            let found: Int? = w.withBytes { raw in memchr(raw.baseAddress!, 0x0A, raw.count).map { UnsafeRawPointer($0) - raw.baseAddress! }
            }
            if let found {
                before = found > 0 ? w.withBytes { $0[found - 1] } : last
                w.withBytes { observe?(UnsafeRawBufferPointer(rebasing: $0[0...found])) }
                observed = at + found + 1
                end = at + found
                break
            }
            w.withBytes { raw in
                observe?(raw)
                last = raw[raw.count - 1]
            }
            observed = at + w.count
            at += w.count
        }
        let length: Int
        if end == size {
            length = size - pos - (last == 0x0D ? 1 : 0)
            pos = size
        } else {
            length = end - pos - (before == 0x0D ? 1 : 0)
            pos = end + 1
        }
        oversize.append(OversizeLine(length: length, prefix: prefix(length)))
        return nil
    }

    /// Hands `region`'s bytes from `observed` to `end` to `observe`.
    private mutating func observeAll(_ region: MappedRegion, upTo end: Int) {
        if let observe, end > observed { region.withBytes { observe(UnsafeRawBufferPointer(rebasing: $0[0..<(end - observed)])) } }
        observed = max(observed, end)
    }
}
