import ColumnarFormat
import ColumnarStorage

/// Buffers every partition's rows in input order, spilling them to one anonymous file when the
/// in-memory total passes the budget.
final class PartitionStore: @unchecked Sendable {
    // Invariant for @unchecked Sendable: mutated only by the single committing thread during
    // phase 1; during phase 2 workers load partitions while another partition is released, so
    // `runs` and `inMemory` are then reached under `phase2` only, and the spill file is read
    // with pread, which is safe from several threads.
    let partitions: Int
    private(set) var runs: [[[StoredRun]]]  // [partition][table][i]
    private let phase2 = Mutex()
    private var inMemory = 0
    let budget: Int
    let spillDirectory: String
    private var spill: SpillFile?
    /// Bytes written to the spill file (compressed records).
    private(set) var spilledBytes: UInt64 = 0

    let threads: Int

    /// A spill record holds at most about this many bytes of batches (by `byteSize`, at least
    /// one batch): large enough for zstd to find the repeats between batches, small enough that
    /// the records of one spill keep every thread busy and the transient copies small.
    static let recordBytes = 8 << 20

    init(partitions: Int, budget: Int, spillDirectory: String, threads: Int) {
        self.partitions = partitions
        self.threads = threads
        self.budget = budget
        self.spillDirectory = spillDirectory
        runs = Array(repeating: Array(repeating: [], count: TableKind.allCases.count), count: partitions)
    }

    /// Bytes of the workers' dictionaries, by worker.
    private var dictionaryBytes: [Int] = []

    /// Records that `worker`'s dictionaries now hold `bytes`. Dictionaries grow with distinct
    /// users and items, not with rows, and stay until the end of the ingest, when merging them
    /// takes about half as much again; so 1.5 times their total is taken off the budget for
    /// buffered rows (down to an eighth of it), and a log with millions of users spills earlier
    /// instead of growing past `--memory-limit`.
    func reserve(worker: Int, bytes: Int) {
        if worker >= dictionaryBytes.count { dictionaryBytes += [Int](repeating: 0, count: worker + 1 - dictionaryBytes.count) }
        dictionaryBytes[worker] = bytes
    }

    /// The budget for buffered rows once the dictionaries are taken off.
    var rowBudget: Int { max(budget - dictionaryBytes.reduce(0, +) * 3 / 2, budget / 8) }

    func append(_ b: TableBatch, partition: Int, table: TableKind, worker: Int) throws(StorageError) {
        if b.rows == 0 { return }
        runs[partition][table.rawValue].append(.memory(worker: worker, batch: b))
        inMemory += b.byteSize
        if inMemory > rowBudget { try spillAll() }
    }

    /// Moves every in-memory batch to the spill file. Each partition and table's batches (always
    /// the end of its list, since every spill takes them all) are cut into records of about
    /// `recordBytes`; records are packed and compressed on all workers a group at a time, then
    /// written in order, and each group's batches are freed once written, so the transient
    /// copies stay small.
    private func spillAll() throws(StorageError) {
        if spill == nil { spill = try SpillFile(directory: spillDirectory) }
        struct Pending {
            var partition: Int
            var table: Int
            var batches: Range<Int>  // into `moving`
        }
        var moving: [TableBatch?] = []
        var workers: [Int32] = []
        var pending: [Pending] = []
        for p in 0..<partitions {
            for t in 0..<runs[p].count {
                guard let first = runs[p][t].firstIndex(where: { if case .memory = $0 { true } else { false } }) else { continue }
                var start = moving.count
                var bytes = 0
                for run in runs[p][t][first...] {
                    guard case .memory(let w, let b) = run else { preconditionFailure("in-memory batches end each list") }
                    if bytes > 0 && bytes + b.byteSize > Self.recordBytes {
                        pending.append(Pending(partition: p, table: t, batches: start..<moving.count))
                        start = moving.count
                        bytes = 0
                    }
                    moving.append(b)
                    workers.append(Int32(w))
                    bytes += b.byteSize
                }
                pending.append(Pending(partition: p, table: t, batches: start..<moving.count))
                runs[p][t].removeSubrange(first...)
            }
        }
        let groupBytes = max(32 << 20, threads * Self.recordBytes)
        var next = 0
        while next < pending.count {
            var end = next
            var bytes = 0
            var group: [[TableBatch]] = []
            while end < pending.count && (bytes < groupBytes || group.isEmpty) {
                let batches = pending[end].batches.map { moving[$0]! }
                bytes += batches.reduce(0) { $0 + $1.byteSize }
                group.append(batches)
                end += 1
            }
            for k in next..<end { for i in pending[k].batches { moving[i] = nil } }
            let input = UncheckedBox(value: group)
            group = []
            let records = Morsels.run(count: input.value.count, threads: threads) { k in
                UncheckedBox(value: SpilledRun.record(input.value[k]))
            }
            for k in next..<end {
                let (stored, packedLength) = records[k - next].value
                let offset = spill!.size
                let r = stored.withUnsafeBytes { raw in Result { () throws(StorageError) in try spill!.append(raw) } }
                try r.get()
                spilledBytes += UInt64(stored.count)
                let pk = pending[k]
                runs[pk.partition][pk.table].append(
                    .spilled(
                        SpilledRun(
                            offset: offset, storedLength: stored.count, packedLength: packedLength, checksum: XXH64.hash(stored),
                            workers: Array(workers[pk.batches]))))
            }
            next = end
        }
        inMemory = 0
    }

    /// The batches of one partition and table, in input order, loaded back from the spill file
    /// if needed. The in-memory ones are handed over, not shared: the store keeps only their
    /// size (still counted until `release`), so the encoder can remap their codes in place
    /// instead of copying every array. Taken once per partition and table.
    func take(partition p: Int, table: TableKind) throws(StorageError) -> [(worker: Int, batch: TableBatch)] {
        var out: [(Int, TableBatch)] = []
        let list = phase2.withLock {
            let l = runs[p][table.rawValue]
            runs[p][table.rawValue] = l.map { run in
                if case .memory(_, let b) = run { return .taken(bytes: b.byteSize) }
                return run
            }
            return l
        }
        for run in list {
            switch run {
            case .memory(let w, let b): out.append((w, b))
            case .spilled(let s):
                let stored = try spill!.read(offset: s.offset, count: s.storedLength)
                let batches: [TableBatch]
                do {
                    batches = try s.batches(from: stored, table: table)
                } catch {
                    throw .input(path: spillDirectory, reason: "temporary spill data is damaged: \(error)")
                }
                for (w, b) in zip(s.workers, batches) { out.append((Int(w), b)) }
            case .taken: preconditionFailure("partition \(p) \(table) taken twice")
            }
        }
        return out
    }

    /// Frees a partition's in-memory batches once it is written, and the disk space of its
    /// spilled records: the spill file shrinks as the dataset grows, so the two together take
    /// about the dataset's size on disk, not twice it.
    func release(partition p: Int) {
        phase2.lock()
        defer { phase2.unlock() }
        for t in 0..<runs[p].count {
            for run in runs[p][t] {
                switch run {
                case .memory(_, let b): inMemory -= b.byteSize
                case .taken(let bytes): inMemory -= bytes
                case .spilled(let s): spill?.discard(offset: s.offset, count: s.storedLength)
                }
            }
            runs[p][t] = []
        }
    }
}
