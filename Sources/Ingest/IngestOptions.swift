import ColumnarFormat
import ColumnarStorage

/// Sees the raw bytes of every input file of an ingest as they are read: the bytes on disk (a
/// compressed file's compressed bytes), each once, in order, on the one thread that reads the
/// inputs, and every byte of a file that the ingest completes. So a digest of the inputs (the
/// run's dataset fingerprint) is computed in the same read as the parse, not in a second pass.
public protocol InputObserver: AnyObject, Sendable {
    /// The sink for the bytes of the input file at `path` (a file as a directory or pattern
    /// expands to; `-` for standard input), or nil to leave it unobserved. Called when the file
    /// is opened.
    func sink(for path: String) -> ((UnsafeRawBufferPointer) -> Void)?
}

/// What to ingest and how. Defaults suit a laptop: 2 GiB of memory, zstd level 1, 16 Ki-row
/// row groups, and failure when more than 5% of a table's rows are rejected.
public struct IngestOptions: Sendable {
    /// Input arguments per table, each a file, a directory or a glob pattern (see `InputPaths`
    /// for what each names and in which order), or `-` for standard input.
    public var exposures: [String] = []
    public var outcomes: [String] = []
    public var assignments: [String] = []
    public var output: String
    /// Where rejected lines go; default `<output>.rejects.jsonl`.
    public var rejectsPath: String?
    public var threads: Int
    /// Peak memory the ingest aims to stay under, in bytes. Data beyond it spills to
    /// anonymous temporary files next to the output.
    public var memoryLimit: Int = 2 << 30
    /// Number of request-id hash partitions; nil chooses from the input size and memory limit.
    public var partitions: Int?
    public var codec: Codec = .zstd
    public var compressionLevel: Int32 = 1
    public var rowGroupRows: Int = 16_384
    public var maxLineBytes: Int = 64 << 20
    /// The ingest fails, writing no dataset, when a table's rejected share exceeds this.
    public var maxRejectRate: Double = 0.05
    public var chunkSize: Int = 8 << 20
    /// Whether regular, uncompressed input files of at least a chunk are mapped rather than read
    /// (`MappedChunker`: no copy of the input), when `maxLineBytes` is at least `chunkSize`.
    /// Off (`--no-mmap`) for file systems where mapping is slow or files may shrink mid-run.
    public var mapInputs = true
    public var createdBy: String = "receval"
    /// Which rows are kept: recsys-eval's JSON Schemas (`strict`, the default) or what its
    /// runtime reads (`recsysEvalRuntime`, for evaluations that must count what recsys-eval counts).
    public var contract: IngestContract = .strict
    /// Sees the raw bytes of every input file as they are read (for a digest of the inputs).
    public var inputObserver: InputObserver?

    public init(output: String, threads: Int) {
        self.output = output
        self.threads = max(1, threads)
    }

    public var resolvedRejectsPath: String { rejectsPath ?? output + ".rejects.jsonl" }

    func inputs(_ t: TableKind) -> [String] {
        switch t {
        case .exposures: exposures
        case .outcomes: outcomes
        case .assignments: assignments
        }
    }
}

/// Rows of one table: every non-blank line read is either written or rejected.
public struct TableCounts: Sendable, Equatable {
    public var read = 0
    public var written = 0
    public var rejected = 0
    /// Empty or whitespace-only lines: not rows, skipped, and counted here.
    public var blank = 0

    public init() {}
}

public struct IngestSummary: Sendable {
    public var tables: [TableCounts]
    public var inputBytes: UInt64
    /// Files read, once directories and patterns are expanded.
    public var inputFiles = 0
    public var datasetBytes: UInt64
    public var partitions: Int
    /// Set when at least one line was rejected.
    public var rejectsPath: String?
    public var spilledBytes: UInt64
    /// The first rejected lines of each table (at most five per table), in input order.
    public var firstRejects: [RejectSample] = []
    /// The contract the rows were read under.
    public var contract: IngestContract = .strict
    /// Under the runtime contract: for each table and each way a kept row departs from its
    /// JSON Schema, how many rows and the first of them (tables, then readings, in declaration
    /// order; kinds no row shows are left out).
    public var runtimeReadings: [RuntimeReadingCount] = []
    public var dictionaryEntries: [(String, Int)]
    /// Wall-clock seconds of each phase: parse (read, validate, partition), encode (dictionaries,
    /// columns, compression, writing).
    public var parseSeconds: Double = 0
    public var encodeSeconds: Double = 0

    public func counts(_ t: TableKind) -> TableCounts { tables[t.rawValue] }
}

public struct IngestProgress: Sendable {
    public var phase: String
    public var bytesRead: UInt64
    public var bytesTotal: UInt64?
    public var rows: Int
}

public enum IngestError: Error, CustomStringConvertible {
    case noInput
    case storage(StorageError)
    case tooManyRejects(table: TableKind, rejected: Int, read: Int, limit: Double, rejectsPath: String, first: [RejectSample])

    /// The process exit code for this failure: 5 for too many rejects, 1 otherwise (the
    /// statuses every receval command shares).
    public var exitCode: Int32 {
        if case .tooManyRejects = self { return 5 }
        return 1
    }

    public var description: String {
        switch self {
        case .noInput:
            return "nothing to ingest: give at least --exposures or --outcomes"
        case .storage(let e):
            return e.description
        case .tooManyRejects(let t, let rej, let read, let limit, let path, let first):
            let pct = read == 0 ? 0 : Double(rej) * 100 / Double(read)
            var s =
                "\(rej) of \(read) \(t) rows (\(pct.rounded(toPlaces: 2))%) were rejected, more than the allowed \((limit * 100).rounded(toPlaces: 2))%; no dataset was written. See \(path) for each line and its reason, or raise --max-reject-rate."
            for r in first where r.table == t { s += "\n  " + r.text }
            return s
        }
    }
}

extension Double {
    func rounded(toPlaces p: Int) -> Double {
        var m = 1.0
        for _ in 0..<p { m *= 10 }
        return (self * m).rounded() / m
    }
}
