import ColumnarStorage
import Ingest

/// Opens the dataset a dataset config describes: a `receval` source is used directly; JSONL
/// sources are ingested on the fly into a temporary dataset that is removed when the loader goes,
/// by default under the recsys-eval runtime contract (`IngestContract.recsysEvalRuntime`), so
/// rows recsys-eval's schemas reject but its runtime reads are counted as recsys-eval counts them.
/// Ingest never drops a row silently here either: the counts per table and the first rejected
/// lines are kept in `ingest`, the rejects file is kept where `IngestPolicy.rejectsPath` says,
/// and more than `maxRejectRate` rejected rows stop the run (`IngestError.tooManyRejects`).
/// An `observer` sees the bytes every scan of the dataset reads (for progress); an
/// `inputObserver`, the raw bytes of the JSONL sources as ingest reads them.
public final class DatasetLoader {
    /// How JSONL sources are ingested.
    public struct IngestPolicy: Sendable {
        /// The largest share of a table's rows that may be rejected before the run stops.
        public var maxRejectRate: Double = 0.05
        /// Where the rejected lines and their reasons go (written only when a line is
        /// rejected); nil: they are counted and sampled in the report, and not kept.
        public var rejectsPath: String?
        /// Which rows are kept: what recsys-eval's runtime reads (the default, for reports that
        /// match recsys-eval's on the same logs), or its JSON Schemas.
        public var contract: IngestContract
        /// The ingest's `--memory-limit` (nil: ingest's default).
        public var memoryLimit: Int?

        public init(maxRejectRate: Double = 0.05, rejectsPath: String? = nil, contract: IngestContract = .recsysEvalRuntime) {
            precondition((0...1).contains(maxRejectRate), "maxRejectRate is a share between 0 and 1")
            self.maxRejectRate = maxRejectRate
            self.rejectsPath = rejectsPath
            self.contract = contract
        }
    }

    public let reader: DatasetReader
    /// What ingesting the JSONL sources read, wrote and rejected; nil for a `receval` dataset.
    public let ingest: IngestSummary?
    /// The JSON lines each PostgreSQL source was streamed into (by table), for the fingerprint.
    public private(set) var postgresRows: [String: String] = [:]
    private let temporary: String?

    /// The tables every mode may read; `init`'s `tables` names the ones a run reads.
    public static let allTables: Set<String> = ["exposures", "outcomes", "assignments"]

    /// `tables`: the JSONL or PostgreSQL sources to ingest (a mode that reads no assignments
    /// leaves that source alone, as recsys-eval does: it is neither read nor can its lines fail
    /// the run; the fingerprint still hashes it). A receval dataset is opened whole either way.
    public init(
        config: DatasetConfig, scratchDirectory: String, threads: Int, policy: IngestPolicy = IngestPolicy(),
        observer: ScanObserver? = nil, inputObserver: InputObserver? = nil, shard: PartitionShard = .whole,
        tables: Set<String> = DatasetLoader.allTables, progress: (IngestProgress) -> Void = { _ in }
    ) throws {
        let sources = [config.exposures, config.outcomes, config.assignments].compactMap { $0 }
        if let direct = sources.first(where: { $0.type == "receval" }) {
            guard sources.allSatisfy({ $0.type == "receval" && $0.path == direct.path }) else {
                throw ConfigError(file: "dataset config", "a receval dataset holds every table: give the same path for each source")
            }
            reader = try DatasetReader(path: direct.path, observer: observer, shard: shard)
            temporary = nil
            ingest = nil
            return
        }
        precondition(shard == .whole, "shards are scanned from ingested datasets")
        let path = scratchDirectory + "/.receval-run-\(UInt64.random(in: 0...UInt64.max)).rcv"
        // PostgreSQL sources are streamed row by row into JSON lines next to the dataset (each
        // row's first column one line: row N is line N in messages), then ingested like files.
        var fetched: [String: String] = [:]
        var inputs: [String: String] = [:]
        for (name, source) in [("exposures", config.exposures), ("outcomes", config.outcomes), ("assignments", config.assignments)] {
            guard let source, tables.contains(name) else { continue }
            if source.type == "postgres" {
                let file = path + ".\(name).postgres-rows.jsonl"
                do {
                    try PostgresRows.fetch(dsn: source.dsn, query: source.query, to: file)
                } catch {
                    for f in fetched.values { FileSystem.removeIfExists(f) }
                    FileSystem.removeIfExists(file)
                    throw error
                }
                fetched[name] = file
                inputs[name] = file
            } else {
                inputs[name] = source.path
            }
        }
        defer { for f in fetched.values { FileSystem.removeIfExists(f) } }
        postgresRows = fetched
        var o = IngestOptions(output: path, threads: threads)
        // The dataset lives for this run only: lz4 compresses several times faster than zstd,
        // and the file's size does not matter.
        o.codec = .lz4
        o.exposures = inputs["exposures"].map { [$0] } ?? []
        o.outcomes = inputs["outcomes"].map { [$0] } ?? []
        o.assignments = inputs["assignments"].map { [$0] } ?? []
        o.rejectsPath = policy.rejectsPath ?? path + ".rejects.jsonl"
        o.maxRejectRate = policy.maxRejectRate
        o.contract = policy.contract
        if let m = policy.memoryLimit { o.memoryLimit = m }
        o.inputObserver = inputObserver
        let summary: IngestSummary
        do {
            summary = try IngestJob(options: o).run(progress: progress)
        } catch {
            FileSystem.removeIfExists(path)
            guard policy.rejectsPath == nil else { throw error }
            FileSystem.removeIfExists(path + ".rejects.jsonl")
            if case .tooManyRejects(let t, let rejected, let read, let limit, _, let first) = error {
                throw IngestError.tooManyRejects(
                    table: t, rejected: rejected, read: read, limit: limit, rejectsPath: "the rejects file (not kept: name one to keep it)",
                    first: first)
            }
            throw error
        }
        do {
            reader = try DatasetReader(path: path, observer: observer)
        } catch {
            // deinit does not run for an object whose init failed: tidy up here.
            FileSystem.removeIfExists(path)
            if policy.rejectsPath == nil { FileSystem.removeIfExists(path + ".rejects.jsonl") }
            throw error
        }
        temporary = path
        ingest = summary
        // The reader's open descriptor keeps the file readable after its name is removed.
        FileSystem.removeIfExists(path)
        if policy.rejectsPath == nil { FileSystem.removeIfExists(path + ".rejects.jsonl") }
    }

    deinit {
        if let temporary { FileSystem.removeIfExists(temporary) }
    }

    /// Rows of `table` in the dataset (0 when the table is absent).
    public func rows(of table: String) -> Int {
        guard let t = reader.tableIndex(table) else { return 0 }
        return reader.footer.partitions.reduce(0) { sum, p in
            sum + (t < p.tables.count ? p.tables[t].reduce(0) { $0 + Int($1.rows) } : 0)
        }
    }
}
