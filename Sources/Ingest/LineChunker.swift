import ColumnarStorage

#if canImport(Glibc)
    import Glibc
#endif

/// A run of complete lines from one input, with the physical line number of its first line.
struct LineChunk: Sendable {
    var bytes: [UInt8]
    var firstLine: Int
    var source: Int
    var table: TableKind
}

/// A line longer than the limit: rejected without ever being held in memory whole.
struct OversizeLine: Sendable {
    var line: Int
    var length: Int
    var prefix: [UInt8]
}

/// Splits an input stream into chunks of whole lines of about `chunkSize` bytes. A line longer
/// than `maxLineBytes` is skipped and reported instead (its first KiB is kept for the rejects file).
struct LineChunker {
    let input: InputSource
    let source: Int
    let table: TableKind
    let chunkSize: Int
    let maxLineBytes: Int
    private var carry: [UInt8] = []
    private var nextLine = 1
    private var done = false
    private var skipping = false  // inside an oversize line
    private var skipLength = 0
    private var skipPrefix: [UInt8] = []
    private var skipLine = 0
    var oversize: [OversizeLine] = []

    init(input: InputSource, source: Int, table: TableKind, chunkSize: Int, maxLineBytes: Int) {
        self.input = input
        self.source = source
        self.table = table
        self.chunkSize = chunkSize
        self.maxLineBytes = maxLineBytes
    }

    /// The next chunk, or nil at end of input.
    mutating func next() throws(StorageError) -> LineChunk? {
        while !done {
            let want = max(chunkSize, carry.count + chunkSize / 2)
            var eof = false
            var readError: StorageError?
            let input = self.input
            let carried = carry
            carry = []
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
                            eof = true
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
            if skipping {
                // Discard up to the end of the oversize line.
                if let nl = buf.firstIndex(of: 0x0A) {
                    skipLength += nl
                    oversize.append(OversizeLine(line: skipLine, length: skipLength, prefix: skipPrefix))
                    skipping = false
                    buf.removeSubrange(...nl)
                } else {
                    skipLength += buf.count
                    if eof {
                        oversize.append(OversizeLine(line: skipLine, length: skipLength, prefix: skipPrefix))
                        skipping = false
                        done = true
                    }
                    continue
                }
            }
            if eof {
                done = true
                if buf.isEmpty { return nil }
                return emit(buf)
            }
            if let lastNL = buf.lastIndex(of: 0x0A) {
                carry = Array(buf[(lastNL + 1)...])
                buf.removeSubrange((lastNL + 1)...)
                return emit(buf)
            }
            // No newline in the whole buffer: one line longer than the buffer.
            if buf.count > maxLineBytes {
                skipping = true
                skipLine = nextLine
                skipLength = buf.count
                skipPrefix = Array(buf.prefix(1024))
                nextLine += 1
                continue
            }
            carry = buf
        }
        return nil
    }

    private mutating func emit(_ buf: [UInt8]) -> LineChunk {
        var lines = 0
        buf.withUnsafeBytes { raw in
            guard var p = raw.baseAddress else { return }
            let end = p + raw.count
            while p < end, let nl = memchr(p, 0x0A, end - p) {
                lines += 1
                p = UnsafeRawPointer(nl) + 1
            }
        }
        if let last = buf.last, last != 0x0A { lines += 1 }
        let c = LineChunk(bytes: buf, firstLine: nextLine, source: source, table: table)
        nextLine += lines
        return c
    }
}
