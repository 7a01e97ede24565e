import ColumnarFormat
import ColumnarStorage

/// Rows of one table parsed by one worker, bound for one partition.
enum TableBatch {
    case exposures(ExposureBatch)
    case outcomes(OutcomeBatch)
    case assignments(AssignmentBatch)

    var byteSize: Int {
        switch self {
        case .exposures(let b): b.byteSize
        case .outcomes(let b): b.byteSize
        case .assignments(let b): b.byteSize
        }
    }

    var rows: Int {
        switch self {
        case .exposures(let b): b.rows
        case .outcomes(let b): b.rows
        case .assignments(let b): b.rows
        }
    }

    func pack() -> [UInt8] {
        var p = ArrayPacker()
        switch self {
        case .exposures(let b): b.pack(&p)
        case .outcomes(let b): b.pack(&p)
        case .assignments(let b): b.pack(&p)
        }
        return p.bytes
    }

    static func unpack(_ bytes: [UInt8], table: TableKind) -> TableBatch {
        var u = ArrayUnpacker(bytes: bytes)
        switch table {
        case .exposures: return .exposures(.unpack(&u))
        case .outcomes: return .outcomes(.unpack(&u))
        case .assignments: return .assignments(.unpack(&u))
        }
    }
}

/// A batch held in memory or moved to the spill file, with the worker whose interners its codes use.
struct Segment {
    enum Place {
        case memory(TableBatch)
        /// `rawLength` 0: stored packed as is; otherwise lz4 block of that many packed bytes.
        case spilled(offset: UInt64, length: Int, rawLength: Int)
    }
    var worker: Int
    var place: Place
}

/// Buffers every partition's rows in input order, spilling them to one anonymous file when the
/// in-memory total passes the budget.
final class PartitionStore: @unchecked Sendable {
    // Invariant for @unchecked Sendable: mutated only by the single committing thread during
    // phase 1; during phase 2 it is read-only (segments) and the spill file is read with pread,
    // which is safe from several threads.
    let partitions: Int
    private(set) var segments: [[[Segment]]]  // [partition][table][i]
    private var inMemory = 0
    let budget: Int
    let spillDirectory: String
    private var spill: SpillFile?
    private(set) var spilledBytes: UInt64 = 0

    let threads: Int

    init(partitions: Int, budget: Int, spillDirectory: String, threads: Int) {
        self.partitions = partitions
        self.threads = threads
        self.budget = budget
        self.spillDirectory = spillDirectory
        segments = Array(repeating: Array(repeating: [], count: TableKind.allCases.count), count: partitions)
    }

    func append(_ b: TableBatch, partition: Int, table: TableKind, worker: Int) throws(StorageError) {
        if b.rows == 0 { return }
        segments[partition][table.rawValue].append(Segment(worker: worker, place: .memory(b)))
        inMemory += b.byteSize
        if inMemory > budget { try spillAll() }
    }

    /// Moves every in-memory segment to the spill file, a group of about 32 MiB at a time so the
    /// transient copies stay small. Each group's segments are packed and lz4-compressed on all
    /// workers (compression cuts the bytes written and read back by 2-4x), then written in order.
    private func spillAll() throws(StorageError) {
        if spill == nil { spill = try SpillFile(directory: spillDirectory) }
        var pending: [(Int, Int, Int)] = []
        for p in 0..<partitions {
            for t in 0..<segments[p].count {
                for i in 0..<segments[p][t].count {
                    if case .memory = segments[p][t][i].place { pending.append((p, t, i)) }
                }
            }
        }
        var start = 0
        while start < pending.count {
            var end = start
            var bytes = 0
            var group: [TableBatch] = []
            while end < pending.count && (bytes < 32 << 20 || group.isEmpty) {
                let (p, t, i) = pending[end]
                if case .memory(let b) = segments[p][t][i].place {
                    group.append(b)
                    bytes += b.byteSize
                    segments[p][t][i].place = .spilled(offset: 0, length: 0, rawLength: 0)  // set below
                }
                end += 1
            }
            let input = UncheckedBox(value: group)
            group = []
            let packed = Morsels.run(count: input.value.count, threads: threads) { k -> UncheckedBox<([UInt8], Int)> in
                let raw = input.value[k].pack()
                if let small = CompressionCodec.compress(raw, codec: .lz4) { return UncheckedBox(value: (small, raw.count)) }
                return UncheckedBox(value: (raw, 0))
            }
            for k in 0..<(end - start) {
                let (p, t, i) = pending[start + k]
                let (data, rawLength) = packed[k].value
                let offset = spill!.size
                let r = data.withUnsafeBytes { raw in Result { () throws(StorageError) in try spill!.append(raw) } }
                try r.get()
                spilledBytes += UInt64(data.count)
                segments[p][t][i].place = .spilled(offset: offset, length: data.count, rawLength: rawLength)
            }
            start = end
        }
        inMemory = 0
    }

    /// The segments of one partition and table, loaded back from the spill file if needed.
    func load(partition p: Int, table: TableKind) throws(StorageError) -> [(worker: Int, batch: TableBatch)] {
        var out: [(Int, TableBatch)] = []
        for s in segments[p][table.rawValue] {
            switch s.place {
            case .memory(let b): out.append((s.worker, b))
            case .spilled(let offset, let length, let rawLength):
                var bytes = try spill!.read(offset: offset, count: length)
                if rawLength > 0 {
                    do {
                        bytes = try bytes.withUnsafeBytes { (raw) throws(FormatError) in
                            try CompressionCodec.decompress(raw, codec: .lz4, expectedLength: rawLength, context: "spill segment")
                        }
                    } catch {
                        throw .input(path: spillDirectory, reason: "temporary spill data is damaged: \(error)")
                    }
                }
                out.append((s.worker, TableBatch.unpack(bytes, table: table)))
            }
        }
        return out
    }

    /// Frees a partition's in-memory segments once it is written.
    func release(partition p: Int) {
        for t in 0..<segments[p].count {
            for s in segments[p][t] {
                if case .memory(let b) = s.place { inMemory -= b.byteSize }
            }
            segments[p][t] = []
        }
    }
}
