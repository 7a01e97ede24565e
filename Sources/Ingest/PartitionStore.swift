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
        case spilled(offset: UInt64, length: Int)
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

    init(partitions: Int, budget: Int, spillDirectory: String) {
        self.partitions = partitions
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

    private func spillAll() throws(StorageError) {
        if spill == nil { spill = try SpillFile(directory: spillDirectory) }
        for p in 0..<partitions {
            for t in 0..<segments[p].count {
                for i in 0..<segments[p][t].count {
                    if case .memory(let b) = segments[p][t][i].place {
                        let bytes = b.pack()
                        let offset = spill!.size
                        let r = bytes.withUnsafeBytes { raw in Result { () throws(StorageError) in try spill!.append(raw) } }
                        try r.get()
                        spilledBytes += UInt64(bytes.count)
                        segments[p][t][i].place = .spilled(offset: offset, length: bytes.count)
                    }
                }
            }
        }
        inMemory = 0
    }

    /// The segments of one partition and table, loaded back from the spill file if needed.
    func load(partition p: Int, table: TableKind) throws(StorageError) -> [(worker: Int, batch: TableBatch)] {
        var out: [(Int, TableBatch)] = []
        for s in segments[p][table.rawValue] {
            switch s.place {
            case .memory(let b): out.append((s.worker, b))
            case let .spilled(offset, length):
                let bytes = try spill!.read(offset: offset, count: length)
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
