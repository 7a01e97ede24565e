import ColumnarStorage

#if canImport(Glibc)
    import Glibc
#endif

/// A run of complete lines, from one file or, when files are small, from several files of one
/// table packed together (`ChunkStream`), so that small shards do not make small chunks.
///
/// ```
/// bytes:  | file 7, lines 1-40 \n | file 8, lines 1-12 \n | file 9, lines 1-3 |
///         ^ pieces[0].start       ^ pieces[1].start       ^ pieces[2].start
/// ```
///
/// Every piece but the last ends with `\n` (one is added after a file's last line if it had none).
struct LineChunk: Sendable {
    /// The lines of one file in a chunk. Lines are not numbered here: the chunker does not
    /// count them (the worker that parses the chunk does), and `LineNumbers` numbers each
    /// file's pieces as the chunks are taken in input order.
    struct Piece: Sendable {
        /// The file, by index into the ingest's files.
        var source: Int
        /// Where its lines start in `bytes`.
        var start: Int
        /// The lines longer than the limit met just before its first line (the lines right
        /// before it in its file, in order); none of them is in `bytes`. A piece can hold only
        /// those (no bytes), when they end its file.
        var oversize: [OversizeLine] = []
    }

    var bytes: ChunkBytes
    var table: TableKind
    var pieces: [Piece]

    init(bytes: ChunkBytes, table: TableKind, pieces: [Piece]) {
        self.bytes = bytes
        self.table = table
        self.pieces = pieces
    }

    init(bytes: [UInt8], table: TableKind, pieces: [Piece]) {
        self.init(bytes: ChunkBytes(bytes), table: table, pieces: pieces)
    }

    /// Appends `other`, the next chunk of the same table, as further pieces.
    mutating func append(_ other: LineChunk) {
        precondition(other.table == table, "a chunk holds one table")
        if let last = bytes.last, last != 0x0A { bytes.append(0x0A) }
        let offset = bytes.count
        bytes.append(contentsOf: other.bytes)
        pieces += other.pieces.map { p in
            var q = p
            q.start += offset
            return q
        }
    }
}

/// A line longer than the limit: rejected without ever being held in memory whole.
struct OversizeLine: Sendable {
    /// The line's length in bytes, without its `\n` or `\r\n`.
    var length: Int
    /// Its first KiB, for the rejects file.
    var prefix: [UInt8]

    static let prefixBytes = 1024

    /// The reject reason, the same for `ingest` and `validate`.
    func error(limit: Int) -> RowError {
        RowError(field: "", reason: "line is \(length) bytes, longer than the limit of \(limit) bytes (--max-line-bytes)")
    }
}

/// Splits an input stream into chunks of whole lines of about `chunkSize` bytes, and enforces
/// `maxLineBytes` on every line: a longer line is never put in a chunk but reported, with its
/// first KiB, in the `oversize` of the next chunk's (only) piece.
///
/// What a line is: the bytes up to a `\n` (or the end of the input), without the `\n` and without
/// a `\r` right before it, so a CRLF file has the same lines as its LF twin and the limit counts
/// the same bytes in both. A UTF-8 byte-order mark (`EF BB BF`) at the start of the input is not
/// part of line 1.
///
/// Memory: a line is held whole only while it is within the limit. Once the unfinished line at
/// the end of the buffer passes the limit, the rest of it is read in blocks and thrown away up to
/// its `\n`, so the buffer never exceeds `max(chunkSize, maxLineBytes + chunkSize / 2 + 1)` bytes
/// (`peakBufferBytes`), whatever the line's length.
///
/// ```
/// pending: | complete lines ........ | unfinished line |  <- filled by the next read
///          0                     lineStart          count
///          |<- emitted as a chunk ->|   carried over (newline-free, `searched` bytes)
/// ```
///
/// While the whole buffer is within the limit, no line in it can pass the limit, and the chunk
/// ends at the buffer's last `\n`, found from the end: the chunker does not read the lines (the
/// worker parsing them does). A buffer larger than the limit (a limit below the chunk size, or a
/// long line being carried) is measured line by line with `memchr`, so the limit holds for a
/// 258-byte line between short ones as much as for a line longer than the read buffer.
struct LineChunker {
    let input: InputSource
    let source: Int
    let table: TableKind
    let chunkSize: Int
    let maxLineBytes: Int
    /// The largest buffer this chunker has held, in bytes (see the bound above).
    private(set) var peakBufferBytes = 0
    /// Bytes read and not yet emitted; they start at the start of a line.
    private var pending: [UInt8] = []
    /// A prefix of `pending` known to hold no `\n`, so the scan resumes after it.
    private var searched = 0
    private var atStart = true
    private var eof = false
    /// Over-long lines met since the last chunk, for the next one.
    private var oversize: [OversizeLine] = []
    private var skip: Skip?

    /// The over-long line being read and thrown away.
    private struct Skip {
        var length: Int
        var prefix: [UInt8]
        var lastByte: UInt8
    }

    init(input: InputSource, source: Int, table: TableKind, chunkSize: Int, maxLineBytes: Int) {
        precondition(chunkSize >= 16, "a chunk holds at least a byte-order mark and a short line")
        precondition(maxLineBytes >= 1, "the line limit is at least one byte")
        self.input = input
        self.source = source
        self.table = table
        self.chunkSize = chunkSize
        self.maxLineBytes = maxLineBytes
    }

    /// The next chunk, or nil at end of input.
    mutating func next() throws(StorageError) -> LineChunk? {
        while true {
            if skip != nil {
                try skipToLineEnd()
                continue
            }
            let scan = scanLines()
            if let long = scan.long {
                // An over-long line that is complete in the buffer: emit the lines before it
                // first, so that line numbers stay in order; then drop it.
                if scan.end > 0 { return emit(upTo: scan.end, restSearched: 0) }
                oversize.append(
                    OversizeLine(length: long.length, prefix: Array(pending[0..<min(long.length, OversizeLine.prefixBytes)])))
                pending.removeSubrange(...long.newline)
                searched = 0
                continue
            }
            // Every complete line is within the limit; what follows `scan.end` is unfinished.
            let unfinished = pending.count - scan.end
            let unfinishedLength = unfinished - (unfinished > 0 && pending[pending.count - 1] == 0x0D ? 1 : 0)
            if unfinishedLength > maxLineBytes {
                if scan.end > 0 { return emit(upTo: scan.end, restSearched: unfinished) }
                let prefix = Array(pending.prefix(OversizeLine.prefixBytes))
                if eof {
                    oversize.append(OversizeLine(length: unfinishedLength, prefix: prefix))
                } else {
                    skip = Skip(length: unfinished, prefix: prefix, lastByte: pending[pending.count - 1])
                }
                pending = []
                searched = 0
                continue
            }
            if eof {
                if pending.isEmpty && oversize.isEmpty { return nil }
                return emit(upTo: pending.count, restSearched: 0)
            }
            if scan.end > 0 { return emit(upTo: scan.end, restSearched: unfinished) }
            searched = pending.count
            try fill()
        }
    }

    /// The complete lines at the front of `pending`, up to the first one longer than the limit:
    /// `end` is where they stop (just after a `\n`; 0 when there is none), and `long` that
    /// over-long line, if any.
    private func scanLines() -> (end: Int, long: (newline: Int, length: Int)?) {
        pending.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, raw.count > searched else { return (0, nil) }
            // No line of a buffer within the limit can pass it: the last `\n` is the end.
            if raw.count <= maxLineBytes {
                var i = raw.count - 1
                while i >= searched && raw[i] != 0x0A { i -= 1 }
                return (i >= searched ? i + 1 : 0, nil)
            }
            var lineStart = 0
            var p = searched
            while p < raw.count, let nl = memchr(base + p, 0x0A, raw.count - p) {
                let i = UnsafeRawPointer(nl) - base
                var length = i - lineStart
                if length > 0 && raw[i - 1] == 0x0D { length -= 1 }
                if length > maxLineBytes { return (lineStart, (i, length)) }
                lineStart = i + 1
                p = i + 1
            }
            return (lineStart, nil)
        }
    }

    /// Hands out `pending[..<end]` as a chunk, with the over-long lines before it, and keeps the
    /// rest, of which the first `restSearched` bytes hold no newline.
    private mutating func emit(upTo end: Int, restSearched: Int) -> LineChunk {
        var bytes: [UInt8]
        if end == pending.count {
            bytes = pending
            pending = []
        } else {
            let rest = Array(pending[end...])
            pending.removeSubrange(end...)
            bytes = pending
            pending = rest
        }
        searched = restSearched
        let c = LineChunk(bytes: bytes, table: table, pieces: [LineChunk.Piece(source: source, start: 0, oversize: oversize)])
        oversize = []
        return c
    }

    /// Reads into a new buffer of `max(chunkSize, pending + chunkSize / 2)` bytes that starts with
    /// `pending`, until it is full or the input ends; drops a byte-order mark at the input's start.
    private mutating func fill() throws(StorageError) {
        let want = max(chunkSize, pending.count + chunkSize / 2)
        peakBufferBytes = max(peakBufferBytes, want)
        var readError: StorageError?
        var ended = false
        let input = self.input
        let carried = pending
        pending = []
        // Filled without zeroing first: the buffer is written by the copy and the reads.
        var buf = [UInt8](unsafeUninitializedCapacity: want) { b, count in
            var filled = carried.count
            if filled > 0 { _ = UnsafeMutableBufferPointer(rebasing: b[0..<filled]).initialize(from: carried) }
            while filled < want {
                let r = Result { () throws(StorageError) -> Int in
                    try input.read(into: UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: b[filled...])))
                }
                switch r {
                case .success(let n):
                    if n == 0 {
                        ended = true
                        count = filled
                        return
                    }
                    filled += n
                case .failure(let e):
                    readError = e
                    count = filled
                    return
                }
            }
            count = filled
        }
        if let readError { throw readError }
        // The first fill reads at least `chunkSize` bytes unless the input ends first.
        if atStart {
            atStart = false
            if buf.starts(with: [0xEF, 0xBB, 0xBF]) { buf.removeFirst(3) }
        }
        eof = ended
        pending = buf
    }

    /// Reads on through the over-long line in `skip`, a block at a time, keeping nothing but its
    /// length; at its `\n` (or the end of the input) records it and keeps what follows.
    private mutating func skipToLineEnd() throws(StorageError) {
        guard var s = skip else { return }
        let block = min(chunkSize, 1 << 20)
        peakBufferBytes = max(peakBufferBytes, block)
        var buf = [UInt8](repeating: 0, count: block)
        let input = self.input
        let n = try buf.withUnsafeMutableBytes { b in Result { () throws(StorageError) -> Int in try input.read(into: b) } }.get()
        if n == 0 {
            eof = true
            if s.lastByte == 0x0D { s.length -= 1 }
            oversize.append(OversizeLine(length: s.length, prefix: s.prefix))
            skip = nil
            return
        }
        if let i = buf[0..<n].firstIndex(of: 0x0A) {
            s.length += i
            if (i > 0 ? buf[i - 1] : s.lastByte) == 0x0D { s.length -= 1 }
            oversize.append(OversizeLine(length: s.length, prefix: s.prefix))
            skip = nil
            pending = Array(buf[(i + 1)..<n])
            searched = 0
            return
        }
        s.length += n
        s.lastByte = buf[n - 1]
        skip = s
    }
}

/// Physical line numbers, given to each file's pieces as the chunks are taken in input order
/// (`LineChunker` leaves lines uncounted; the worker parsing a chunk counts each piece's).
struct LineNumbers {
    /// Lines of each file (by source index) numbered so far.
    private var seen: [Int: Int] = [:]

    /// The numbers of `piece`, which holds `lines` lines: its over-long lines are
    /// `oversize ..< first`, its own lines start at `first`.
    mutating func take(_ piece: LineChunk.Piece, lines: Int) -> (oversize: Int, first: Int) {
        precondition(lines >= 0, "a piece holds no fewer than zero lines")
        let before = seen[piece.source, default: 0]
        seen[piece.source] = before + piece.oversize.count + lines
        return (before + 1, before + 1 + piece.oversize.count)
    }
}
