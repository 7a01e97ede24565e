import ColumnarFormat
import ColumnarStorage
import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// JSONL logs in, one dataset file out (format-spec/README.md).
///
/// Each input argument names a file, a directory or a glob pattern (`InputPaths`); the files are
/// read in argument order, a directory's or pattern's in byte order of their paths.
///
/// Phase 1 reads each input in chunks of whole lines, parses and validates the chunks on all
/// workers, and appends the rows, in input order, to their request-id hash partition (spilling
/// past the memory budget). Phase 2 merges the workers' dictionaries into sorted dataset-wide
/// ones, then encodes and compresses partitions in parallel and places them in partition order.
/// The output appears atomically, only if the reject rate stays within the limit.
///
/// Invariant, checked before anything is written: for every table,
/// `read == written + rejected`.
public final class IngestJob {
    let options: IngestOptions
    private var counts = Array(repeating: TableCounts(), count: TableKind.allCases.count)
    /// Per table, rows kept under the runtime contract per `RuntimeReading` and the first of each.
    private var readings = [[RuntimeReadingCount?]](
        repeating: [RuntimeReadingCount?](repeating: nil, count: RuntimeReading.allCases.count), count: TableKind.allCases.count)
    private var workers: [WorkerState]
    private var bytesRead: UInt64 = 0

    /// JSONL bytes per partition at most: partitions of about 80,000 plain or 45,000 all-fields
    /// generated exposures, whose decoded columns stay within the caches' reach while a mode scans
    /// them, and enough partitions to keep every thread busy while one is combined. Measured on 2
    /// threads against partitions four times larger: offline and OPE 8-20% faster, the experiment
    /// 10-25%, peak RSS 35-45% lower, the dataset 0.5% larger.
    static let partitionInputBytes = 96 << 20

    public init(options: IngestOptions) {
        precondition(options.maxLineBytes >= 1, "maxLineBytes is at least 1")
        precondition(options.chunkSize >= 16, "chunkSize is at least 16 bytes")
        precondition(options.threads >= 1, "at least one thread")
        self.options = options
        workers = (0..<options.threads).map { _ in WorkerState(contract: options.contract) }
    }

    /// Partition count: the power of two (at most 4096) that gives each partition at most
    /// `partitionInputBytes` of input, and at most a sixth of the memory limit (at least 16 MiB).
    ///
    /// Beyond 512 partitions, only as many as the memory rule needs: every chunk of input is cut
    /// into one batch per partition, and thousands of partitions would make those batches tiny
    /// (their fixed costs then outweigh their rows).
    public static func partitionCount(inputBytes: UInt64, memoryLimit: Int) -> Int {
        func count(_ target: Int) -> Int {
            let needed = Int((inputBytes + UInt64(target) - 1) / UInt64(target))
            var p = 1
            while p < needed && p < 4096 { p <<= 1 }
            return p
        }
        let byMemory = count(max(16 << 20, memoryLimit / 6))
        let byScan = count(max(16 << 20, min(memoryLimit / 6, partitionInputBytes)))
        return min(byScan, max(512, byMemory))
    }

    public func run(progress: (IngestProgress) -> Void = { _ in }) throws(IngestError) -> IngestSummary {
        do {
            return try runThrowingStorage(progress)
        } catch let e as IngestError {
            throw e
        } catch let e as StorageError {
            throw .storage(e)
        } catch {
            throw .storage(.input(path: options.output, reason: "\(error)"))
        }
    }

    private func runThrowingStorage(_ progress: (IngestProgress) -> Void) throws -> IngestSummary {
        guard !options.exposures.isEmpty || !options.outcomes.isEmpty || !options.assignments.isEmpty else { throw IngestError.noInput }
        if FileSystem.isDirectory(options.output) {
            throw StorageError.input(path: options.output, reason: "is a directory; give the dataset file to write")
        }
        // Expand directories and patterns, and look at every file, before any work: a missing
        // file or a pattern that matches nothing fails at once, and the sizes choose the
        // partition count. Files are opened for reading one at a time, later.
        var files: [ChunkStream.File] = []
        for t in TableKind.allCases {
            for argument in options.inputs(t) {
                for path in try InputPaths.expand(argument) { files.append(ChunkStream.File(table: t, path: path)) }
            }
        }
        // Parquet inputs (by content) become JSON lines next to the output, read like JSONL
        // (row N of the file is line N of its `.rows.jsonl` in messages).
        var converted: [String] = []
        var parquetInputs: [String: (file: String, groupStarts: [Int])] = [:]
        defer { for f in converted { FileSystem.removeIfExists(f) } }
        for (i, f) in files.enumerated() where ParquetRows.isParquet(path: f.path) {
            let name = f.path.split(separator: "/").last.map(String.init) ?? "input"
            let rows = AtomicOutputFile.directory(of: options.output) + "/.receval-\(UInt32.random(in: 0...UInt32.max))-\(name).rows.jsonl"
            converted.append(rows)
            parquetInputs[rows] = (f.path, try ParquetRows.convert(path: f.path, to: rows, threads: options.threads))
            files[i] = ChunkStream.File(table: f.table, path: rows)
        }
        var knownBytes: UInt64 = 0
        var diskBytes: UInt64 = 0
        var unknownSize = false
        for f in files {
            let probe = try InputSource.probe(path: f.path)
            if let n = probe.sizeOnDisk {
                knownBytes += probe.compression == .none ? n : n * 6
                diskBytes += n
            } else {
                unknownSize = true
            }
        }
        let estimate = unknownSize ? max(knownBytes, 8 << 30) : knownBytes
        let partitions = options.partitions ?? Self.partitionCount(inputBytes: estimate, memoryLimit: options.memoryLimit)
        precondition(partitions >= 1, "at least one partition")
        let directory = AtomicOutputFile.directory(of: options.output)
        let store = PartitionStore(
            partitions: partitions, budget: options.memoryLimit / 2, spillDirectory: directory, threads: options.threads)
        let rejects = RejectsWriter(path: options.resolvedRejectsPath)
        rejects.parquet = parquetInputs
        let totalDisk: UInt64? = unknownSize ? nil : diskBytes
        var rowsSoFar = 0
        var lineNumbers = LineNumbers()

        // Phase 1: parse, validate, partition.
        let t0 = monotonicSeconds()
        var stream = ChunkStream(
            files: files, chunkSize: options.chunkSize, maxLineBytes: options.maxLineBytes, observer: options.inputObserver,
            mapInputs: options.mapInputs)
        func commit(_ r: ChunkResult) throws {
            let table = r.table
            // Rejects in input order: file by file, a file's over-long lines before the lines
            // that follow them.
            var next = 0
            var firstLines: [Int] = []
            for (i, piece) in r.pieces.enumerated() {
                let path = files[piece.source].path
                let numbers = lineNumbers.take(piece, lines: r.pieceLines[i])
                firstLines.append(numbers.first)
                for (k, o) in piece.oversize.enumerated() {
                    counts[table.rawValue].read += 1
                    counts[table.rawValue].rejected += 1
                    rowsSoFar += 1
                    try o.prefix.withUnsafeBytes { (raw) throws in
                        try rejects.add(
                            source: path, line: numbers.oversize + k, table: table, error: o.error(limit: options.maxLineBytes),
                            raw: raw, truncatedFrom: o.length)
                    }
                }
                while next < r.rejects.count && r.rejects[next].piece == i {
                    let rej = r.rejects[next]
                    try rej.raw.withUnsafeBytes { (raw) throws in
                        try rejects.add(source: path, line: numbers.first + rej.line, table: table, error: rej.error, raw: raw)
                    }
                    next += 1
                }
            }
            for kind in RuntimeReading.allCases where r.readings.rows[kind.rawValue] > 0 {
                let n = r.readings.rows[kind.rawValue]
                if readings[table.rawValue][kind.rawValue] == nil, let f = r.readings.first[kind.rawValue] {
                    readings[table.rawValue][kind.rawValue] = RuntimeReadingCount(
                        table: table, reading: kind, rows: n, source: files[r.pieces[f.piece].source].path,
                        line: firstLines[f.piece] + f.line,
                        field: f.field)
                } else {
                    readings[table.rawValue][kind.rawValue]!.rows += n
                }
            }
            counts[table.rawValue].read += r.read
            counts[table.rawValue].blank += r.blank
            counts[table.rawValue].written += r.written
            counts[table.rawValue].rejected += r.rejects.count
            rowsSoFar += r.read
            store.reserve(worker: r.worker, bytes: r.dictionaryBytes)
            for (p, b) in r.batches.enumerated() {
                try store.append(b, partition: p, table: table, worker: r.worker)
            }
            progress(IngestProgress(phase: "parsing", bytesRead: stream.rawBytesRead, bytesTotal: totalDisk, rows: rowsSoFar))
        }
        // A pipeline over every file: this thread reads chunks ahead and commits parsed ones in
        // input order, while each worker parses the next chunk not yet taken.
        let pipeline = ParsePipeline()
        let ws = workers
        let parsing = BackgroundTask { pipeline.work(workers: ws, partitions: partitions) }
        do {
            // Chunks read and not yet committed, at most: four per worker (one being parsed, the
            // others read ahead or parsed and waiting for an earlier one), and no more than a
            // quarter of the memory limit holds, but never fewer than two per worker.
            let capacity = min(
                4 * options.threads, max(2 * options.threads, options.memoryLimit / (4 * max(1, options.chunkSize))))
            var pushed = 0
            var committed = 0
            var finished = false
            while !finished || committed < pushed {
                if let r = pipeline.result(committed, wait: false) {
                    try commit(r)
                    committed += 1
                } else if !finished && pushed - committed < capacity {
                    if let c = try stream.next() {
                        pipeline.push(c)
                        pushed += 1
                    } else {
                        finished = true
                        pipeline.close()
                    }
                } else {
                    try commit(pipeline.result(committed, wait: true)!)
                    committed += 1
                }
            }
        } catch {
            pipeline.close(discarding: true)
            parsing.wait()
            throw error
        }
        parsing.wait()
        try stream.checkMappedFiles()
        let diskDone = stream.rawBytesRead
        for t in TableKind.allCases {
            let c = counts[t.rawValue]
            precondition(c.read == c.written + c.rejected, "row accounting broken for \(t)")
        }
        try rejects.finish()
        for t in TableKind.allCases {
            let c = counts[t.rawValue]
            if c.read > 0 && Double(c.rejected) > options.maxRejectRate * Double(c.read) {
                throw IngestError.tooManyRejects(
                    table: t, rejected: c.rejected, read: c.read, limit: options.maxRejectRate, rejectsPath: rejects.path,
                    first: rejects.samples)
            }
        }

        // Phase 2: dictionaries, then partitions in parallel waves, placed in order.
        let t1 = monotonicSeconds()
        progress(IngestProgress(phase: "encoding", bytesRead: diskDone, bytesTotal: totalDisk, rows: rowsSoFar))
        let dicts = mergeDictionaries()
        workers = []
        let remaps = CodeRemaps(
            user: dicts[0].remaps, item: dicts[1].remaps, contextKey: dicts[2].remaps, contextValue: dicts[3].remaps,
            eventType: dicts[4].remaps, experiment: dicts[5].remaps, variant: dicts[6].remaps)
        var configured = PartitionEncoder(
            remaps: remaps, codec: options.codec, level: options.compressionLevel, rowGroupRows: options.rowGroupRows)
        // Threads left over when there are fewer partitions than threads encode row groups.
        configured.threads = max(1, options.threads / max(1, min(options.threads, partitions)))
        let encoder = configured
        // The dataset-wide dictionaries: compressed on another thread while the partitions are
        // encoded when their copies (the encoded payload and zstd's output, about twice their
        // bytes, outside the store's budget) are small next to the memory limit, so that the
        // work fills the other core instead of following the partitions on one; otherwise one
        // at a time after the partitions, as the memory bound needs.
        let (codec, level) = (options.codec, options.compressionLevel)
        @Sendable func dictionaryChunk(_ d: SortedDictionary) -> PreparedChunk {
            PreparedChunk(ColumnEncoder.encode(offsets: d.offsets, data: d.data), codec: codec, level: level, tryingLZ4: false)
        }
        let dictionaryBytes = dicts.reduce(0) { $0 + $1.data.count + 4 * $1.offsets.count }
        let earlyDictionaries =
            2 * dictionaryBytes <= options.memoryLimit / 16
            ? BackgroundTask { [dicts] in UncheckedBox(value: dicts.map(dictionaryChunk)) } : nil
        let writer = try DatasetWriter(path: options.output)
        var partitionDescriptors: [PartitionDescriptor] = []
        var emptyRequestIDs = false
        // Partitions are encoded on every worker and placed in partition order as soon as each one
        // and all before it are ready, so writing overlaps encoding and no worker waits for a
        // slower partition of its wave; as with waves, at most `threads` encoded partitions wait
        // at once (a worker starts partition p once p - threads is placed).
        var placed = 0
        try Morsels.fold(count: partitions, threads: options.threads, window: options.threads) { p in
            UncheckedBox(
                value: Result { () throws(StorageError) -> PreparedPartition in
                    let e = try store.take(partition: p, table: TableKind.exposures)
                    let o = try store.take(partition: p, table: TableKind.outcomes)
                    let a = try store.take(partition: p, table: TableKind.assignments)
                    return encoder.encode(exposures: e, outcomes: o, assignments: a)
                })
        } combine: { result in
            let prepared = try result.value.get()
            emptyRequestIDs = emptyRequestIDs || prepared.hasEmptyRequestID
            store.release(partition: placed)
            partitionDescriptors.append(try place(prepared, writer))
            placed += 1
            progress(IngestProgress(phase: "encoding", bytesRead: diskDone, bytesTotal: totalDisk, rows: rowsSoFar))
        }
        var dictDescriptors: [DictionaryDescriptor] = []
        let early = earlyDictionaries?.wait().value
        for (i, (name, d)) in zip(DatasetSchema.globalDictionaries, dicts).enumerated() {
            let chunk = early?[i] ?? dictionaryChunk(d)
            dictDescriptors.append(DictionaryDescriptor(name: name, count: UInt64(d.count), chunk: try writer.place(chunk)))
        }
        var meta: [(String, String)] = [
            ("partition_hash", "xxh64(request_id, seed 0) mod partition_count"),
            ("row_group_rows", String(options.rowGroupRows)),
            ("codec", options.codec.description),
        ]
        // Only the runtime contract is recorded (format-spec §12): without the key, a reader may
        // rely on the strict contract's guarantees (non-empty strings, click or conversion, ...).
        if options.contract != .strict {
            meta.append(("ingest.contract", options.contract.rawValue))
            // Whether any request dictionary holds "": readers that count missing request ids
            // skip decoding every partition's dictionary when none does.
            meta.append(("ingest.empty_request_ids", emptyRequestIDs ? "some" : "none"))
        }
        for t in TableKind.allCases {
            let c = counts[t.rawValue]
            meta.append(("ingest.\(t).rows_read", String(c.read)))
            meta.append(("ingest.\(t).rows_written", String(c.written)))
            meta.append(("ingest.\(t).rows_rejected", String(c.rejected)))
            meta.append(("ingest.\(t).blank_lines", String(c.blank)))
            meta.append(("ingest.\(t).sources", files.filter { $0.table == t }.map(\.path).joined(separator: "\n")))
        }
        let footer = DatasetFooter(
            createdBy: options.createdBy, tables: DatasetSchema.tables, dictionaries: dictDescriptors,
            partitions: partitionDescriptors, metadata: meta)
        try writer.finish(footer)
        let size = writer.bytesWritten
        var summary = IngestSummary(
            tables: counts, inputBytes: diskDone, datasetBytes: size, partitions: partitions,
            rejectsPath: rejects.count > 0 ? rejects.path : nil, spilledBytes: store.spilledBytes,
            dictionaryEntries: zip(DatasetSchema.globalDictionaries, dicts.map(\.count)).map { ($0, $1) })
        summary.firstRejects = rejects.samples
        summary.contract = options.contract
        summary.runtimeReadings = readings.flatMap { $0.compactMap { $0 } }
        summary.inputFiles = files.count
        summary.parseSeconds = t1 - t0
        summary.encodeSeconds = monotonicSeconds() - t1
        return summary
    }

    private func place(_ p: PreparedPartition, _ writer: DatasetWriter) throws(StorageError) -> PartitionDescriptor {
        let rd = DictionaryDescriptor(
            name: DatasetSchema.requestDictionary, count: UInt64(p.requestCount),
            chunk: try writer.place(p.requestDictionary))
        var tables: [[RowGroupDescriptor]] = []
        for groups in p.tables {
            var rgs: [RowGroupDescriptor] = []
            for g in groups {
                var chunks: [ChunkDescriptor] = []
                for c in g.chunks { chunks.append(try writer.place(c)) }
                rgs.append(RowGroupDescriptor(rows: UInt64(g.rows), groupRows: g.groupRows.map { UInt64($0) }, chunks: chunks))
            }
            tables.append(rgs)
        }
        return PartitionDescriptor(requestDictionary: rd, tables: tables)
    }

    /// The workers' dictionaries merged into the dataset's, in `DatasetSchema.globalDictionaries`
    /// order. The workers' interners are moved out first (the workers are done with them), so
    /// that each merge extends its first interner in place instead of copying it.
    private func mergeDictionaries() -> [SortedDictionary] {
        var sets = [[StringInterner]](repeating: [], count: 7)
        for w in workers {
            var d = WorkerInterners()
            swap(&d, &w.interners)
            sets[0].append(d.user)
            sets[1].append(d.item)
            sets[2].append(d.contextKey)
            sets[3].append(d.contextValue)
            sets[4].append(d.eventType)
            sets[5].append(d.experiment)
            sets[6].append(d.variant)
        }
        // One box per dictionary, each emptied by the one task that merges it.
        let parts = sets.map { MergeInput(interners: $0) }
        sets = []
        let merged = Morsels.run(count: 7, threads: options.threads) { i in
            var mine: [StringInterner] = []
            swap(&mine, &parts[i].interners)
            return UncheckedBox(value: SortedDictionary(merging: mine))
        }
        return merged.map(\.value)
    }

    /// One dictionary's worker interners, handed over to the task that merges them.
    private final class MergeInput: @unchecked Sendable {
        var interners: [StringInterner]
        init(interners: [StringInterner]) { self.interners = interners }
    }

    struct Reject {
        /// The chunk piece (file) the line is in, by index into the chunk's pieces.
        var piece: Int
        /// The line's index within its piece, from 0 (`LineNumbers` gives its number).
        var line: Int
        var error: RowError
        var raw: [UInt8]
    }

    struct ChunkResult {
        var table: TableKind
        /// The chunk's files, with the over-long lines before each file's lines in the chunk.
        var pieces: [LineChunk.Piece]
        /// Lines of each piece (blank ones included; its over-long lines not).
        var pieceLines: [Int] = []
        var batches: [TableBatch]
        /// In input order.
        var rejects: [Reject] = []
        /// Rows kept under the runtime contract, by how they depart from the schema.
        var readings = ReadingTally()
        /// The worker's dictionaries' bytes after this chunk.
        var dictionaryBytes = 0
        /// The worker that parsed the chunk (its dictionaries' codes).
        var worker = 0
        var read = 0
        var written = 0
        var blank = 0
    }

    /// Parses a chunk with worker `index`'s parser and dictionaries (`worker`).
    static func parseChunk(_ chunk: LineChunk, worker: WorkerState, index: Int = 0, partitions: Int) -> ChunkResult {
        let table = chunk.table
        var ex = [ExposureBatch]()
        var oc = [OutcomeBatch]()
        var asg = [AssignmentBatch]()
        // Each partition's single values of the chunk's rows, appended to its batch at the end.
        var exRows = [[ExposureBatch.Row]]()
        var asRows = [[AssignmentBatch.Row]]()
        switch table {
        case .exposures:
            // Size each partition's batch from this worker's last chunk (rows per byte, items
            // and pairs per row), with 10% headroom.
            ex = Array(repeating: ExposureBatch(), count: partitions)
            let lines = Double(chunk.bytes.count) * worker.rowsPerByte
            if lines > 0 {
                let rows = Int(lines * 1.1 / Double(partitions)) + 8
                exRows = (0..<partitions).map { _ in
                    var r: [ExposureBatch.Row] = []
                    r.reserveCapacity(rows)
                    return r
                }
                for p in 0..<partitions {
                    ex[p].reserve(
                        rows: rows, items: Int(Double(rows) * worker.itemsPerRow) + 16,
                        pairs: Int(Double(rows) * worker.pairsPerRow) + 16, requestBytes: rows * 32, singleValues: false)
                }
            }
            if exRows.isEmpty { exRows = Array(repeating: [], count: partitions) }
        case .outcomes: oc = Array(repeating: OutcomeBatch(), count: partitions)
        case .assignments:
            asg = Array(repeating: AssignmentBatch(), count: partitions)
            asRows = Array(repeating: [], count: partitions)
        }
        var result = ChunkResult(table: table, pieces: chunk.pieces, batches: [], worker: index)
        result.pieceLines = [Int](repeating: 0, count: chunk.pieces.count)
        worker.ensureScratch(chunk.bytes.count + 16)
        worker.parser.itemTarget = worker.interners.item.prefetchTarget
        worker.parser.userTarget = worker.interners.user.prefetchTarget
        let scratch = worker.scratch
        worker.withParser { parser, interners in
            chunk.bytes.withUnsafeBufferPointer { buf in
                guard let base = buf.baseAddress else { return }
                let n = buf.count
                var start = 0
                var piece = 0
                // The line's index within its piece (`LineNumbers` makes it a line number).
                var line = 0
                while start < n {
                    // Pieces start at line starts; an empty one (only over-long lines) is passed over.
                    while piece + 1 < chunk.pieces.count && start >= chunk.pieces[piece + 1].start {
                        result.pieceLines[piece] = line
                        piece += 1
                        line = 0
                    }
                    // Blank (spaces, tabs and carriage returns only): not a row.
                    var q = start
                    while q < n && (base[q] == 0x20 || base[q] == 0x09 || base[q] == 0x0D) { q += 1 }
                    if q == n || base[q] == 0x0A {
                        result.blank += 1
                        start = q + 1
                        line += 1
                        continue
                    }
                    result.read += 1
                    // One pass: the line is parsed as it runs to the chunk's end, and a parse that
                    // succeeds stops at its line feed (`JSONCursor`), so no pass looks for line
                    // ends first. A line that fails is found and parsed again on its own, for the
                    // exact message and its text.
                    @inline(__always) func parse(_ cursor: inout JSONCursor) throws(RowError) {
                        switch table {
                        case .exposures: try parser.parseExposure(&cursor)
                        case .outcomes: try parser.parseOutcome(&cursor)
                        case .assignments: try parser.parseAssignment(&cursor)
                        }
                    }
                    var cursor = JSONCursor(base: base + start, count: n - start, scratch: scratch)
                    var end: Int
                    do throws(RowError) {
                        try parse(&cursor)
                        end = start + cursor.pos
                    } catch {
                        end = n
                        if let nl = memchr(base + start, 0x0A, n - start) {
                            end = UnsafeRawPointer(nl) - UnsafeRawPointer(base)
                        }
                        var stop = end
                        if stop > start && base[stop - 1] == 0x0D { stop -= 1 }
                        var exact = JSONCursor(base: base + start, count: stop - start, scratch: scratch)
                        do throws(RowError) {
                            try parse(&exact)
                        } catch {
                            result.rejects.append(
                                Reject(piece: piece, line: line, error: error, raw: Array(UnsafeBufferPointer(rebasing: buf[start..<stop])))
                            )
                            start = end + 1
                            line += 1
                            continue
                        }
                    }
                    defer {
                        start = end + 1
                        line += 1
                    }
                    if !parser.readings.isEmpty { result.readings.add(parser.readings, piece: piece, line: line) }
                    let p = partitions == 1 ? 0 : Int(XXH64.hash(parser.request!.buffer) % UInt64(partitions))
                    switch table {
                    case .exposures: parser.append(to: &ex[p], rows: &exRows[p], &interners)
                    case .outcomes: parser.append(to: &oc[p], &interners)
                    case .assignments: parser.append(to: &asg[p], rows: &asRows[p], &interners)
                    }
                    result.written += 1
                }
                result.pieceLines[piece] = line
            }
        }
        for p in exRows.indices { ex[p].appendRows(exRows[p]) }
        for p in asRows.indices { asg[p].appendRows(asRows[p]) }
        if table == .exposures && result.written > 0 {
            let items = ex.reduce(0) { $0 + $1.item.count }
            let pairs = ex.reduce(0) { $0 + $1.contextKey.count }
            worker.rowsPerByte = Double(result.written) / Double(chunk.bytes.count)
            worker.itemsPerRow = Double(items) / Double(result.written)
            worker.pairsPerRow = Double(pairs) / Double(result.written)
        }
        result.dictionaryBytes = worker.interners.byteSize
        switch table {
        case .exposures: result.batches = ex.map { .exposures($0) }
        case .outcomes: result.batches = oc.map { .outcomes($0) }
        case .assignments: result.batches = asg.map { .assignments($0) }
        }
        return result
    }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
