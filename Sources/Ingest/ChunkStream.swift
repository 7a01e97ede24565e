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
    /// Whether files that qualify are mapped rather than read (`MappedChunker`).
    let mapInputs: Bool
    private var index = 0
    /// The current file's chunker: reading it into buffers (any input), or mapping it (a
    /// regular, uncompressed file of at least a chunk, with a line limit of at least a chunk).
    private var reader: LineChunker?
    private var mapper: MappedChunker?
    private var finishedBytes: UInt64 = 0
    /// The files mapped so far, as they were when opened (`checkMappedFiles`).
    private var mapped: [(path: String, identity: MappedChunker.File.Identity)] = []
    /// A chunk read while packing that did not fit; the next chunk starts with it.
    private var held: LineChunk?
    init(files: [File], chunkSize: Int, maxLineBytes: Int, observer: InputObserver? = nil, mapInputs: Bool = false) {
        self.files = files
        self.observer = observer
        self.chunkSize = chunkSize
        self.maxLineBytes = maxLineBytes
        self.mapInputs = mapInputs
    }

    /// Fails when a mapped file changed while it was read (`File.Identity.changed`): its pages
    /// are the page cache's, so bytes written in place after the reading thread handed a chunk
    /// out (and observed it, for the inputs' digest) could still reach the worker parsing it.
    /// Called once every chunk has been parsed.
    func checkMappedFiles() throws(StorageError) {
        for (path, identity) in mapped where identity.changed(to: .current(path)) {
            throw .input(
                path: path,
                reason:
                    "changed while it was being read (rewritten, truncated or replaced during the run); run again on a file that stays as it is"
            )
        }
    }

    /// Raw (possibly compressed) bytes read so far, over all files.
    var rawBytesRead: UInt64 { finishedBytes + currentFileBytes }

    /// Raw bytes of the current file read so far.
    private var currentFileBytes: UInt64 { reader?.input.rawBytesRead ?? mapper?.rawBytesRead ?? 0 }

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
            if reader == nil && mapper == nil {
                let f = files[index]
                let mappable =
                    mapInputs && maxLineBytes >= chunkSize && f.path != "-"
                    ? try MappedChunker.File.open(path: f.path, minSize: chunkSize) : nil
                if let mappable {
                    mapped.append((f.path, mappable.identity))
                    mapper = MappedChunker(
                        file: mappable, source: index, table: f.table, chunkSize: chunkSize, maxLineBytes: maxLineBytes,
                        observe: observer?.sink(for: f.path))
                } else {
                    reader = LineChunker(
                        input: try InputSource(path: f.path, observe: observer?.sink(for: f.path)), source: index, table: f.table,
                        chunkSize: chunkSize, maxLineBytes: maxLineBytes)
                }
            }
            if reader != nil, let c = try reader!.next() { return c }
            if mapper != nil, let c = try mapper!.next() { return c }
            finishedBytes += currentFileBytes
            reader = nil  // closes the file
            mapper = nil
            index += 1
        }
        return nil
    }
}
