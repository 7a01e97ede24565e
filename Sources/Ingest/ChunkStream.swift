import ColumnarStorage

/// Every input file of an ingest, read one after another as one stream of line chunks.
///
/// One file is open at a time: the next is opened when the previous one ends. A chunk smaller
/// than half `chunkSize` (a file's last, or a whole small file) is packed with the chunks that
/// follow, from the next files of the same table, up to `chunkSize`. So a dump of thousands of
/// small shards makes about as many chunks, and as many per-partition batches, as the same
/// bytes in one file: each shard costs an `open` and nothing more (no buffers, threads or
/// partition batches of its own), and the pipeline parsing the chunks runs on across file ends.
struct ChunkStream {
    struct File: Sendable {
        var table: TableKind
        var path: String
    }

    let files: [File]
    let chunkSize: Int
    let maxLineBytes: Int
    let observer: InputObserver?
    private var index = 0
    private var chunker: LineChunker?
    private var finishedBytes: UInt64 = 0
    /// A chunk read while packing that did not fit; the next chunk starts with it.
    private var held: LineChunk?

    init(files: [File], chunkSize: Int, maxLineBytes: Int, observer: InputObserver? = nil) {
        self.files = files
        self.observer = observer
        self.chunkSize = chunkSize
        self.maxLineBytes = maxLineBytes
    }

    /// Raw (possibly compressed) bytes read so far, over all files.
    var rawBytesRead: UInt64 { finishedBytes + (chunker?.input.rawBytesRead ?? 0) }

    /// The next chunk, or nil after the last file.
    mutating func next() throws(StorageError) -> LineChunk? {
        var chunk: LineChunk
        if let h = held {
            chunk = h
            held = nil
        } else {
            guard let c = try nextOfOneFile() else { return nil }
            chunk = c
        }
        while chunk.bytes.count < chunkSize / 2 {
            guard let c = try nextOfOneFile() else { break }
            // +1: the newline `append` may add.
            guard c.table == chunk.table && chunk.bytes.count + 1 + c.bytes.count <= chunkSize else {
                held = c
                break
            }
            chunk.append(c)
        }
        return chunk
    }

    /// The next chunk of the current file, opening the next file when one ends.
    private mutating func nextOfOneFile() throws(StorageError) -> LineChunk? {
        while index < files.count {
            if chunker == nil {
                let f = files[index]
                chunker = LineChunker(
                    input: try InputSource(path: f.path, observe: observer?.sink(for: f.path)), source: index, table: f.table,
                    chunkSize: chunkSize,
                    maxLineBytes: maxLineBytes)
            }
            if let c = try chunker!.next() { return c }
            finishedBytes += chunker!.input.rawBytesRead
            chunker = nil  // closes the file
            index += 1
        }
        return nil
    }
}
