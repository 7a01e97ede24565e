import ColumnarStorage

/// Checks a JSONL file line by line against exposure.v1, outcome.v1 or assignment.v1 with the
/// same rules ingest applies under the same contract, reporting each invalid line with its
/// number, field path and reason.
public struct LineValidator {
    public struct Finding: Sendable {
        public var line: Int
        public var error: RowError
    }

    public struct Summary: Sendable {
        public var lines = 0
        public var valid = 0
        public var invalid = 0
        public var blank = 0
    }

    public let table: TableKind
    public let maxLineBytes: Int
    /// Bytes read and parsed at a time (a line may be longer: it then spans reads).
    public let chunkSize: Int
    /// The rules: recsys-eval's JSON Schemas, or what its runtime reads (then a finding is a
    /// line that recsys-eval's runtime, or receval's, cannot read at all).
    public let contract: IngestContract

    public init(
        table: TableKind, maxLineBytes: Int = 64 << 20, chunkSize: Int = 4 << 20, contract: IngestContract = .strict
    ) {
        precondition(maxLineBytes >= 1 && chunkSize >= 1, "maxLineBytes and chunkSize are at least 1")
        self.table = table
        self.maxLineBytes = maxLineBytes
        self.chunkSize = chunkSize
        self.contract = contract
    }

    /// The table whose contract has this name (`exposure.v1`, `outcome.v1`, `assignment.v1`,
    /// with or without the version).
    public static func table(forSchema name: String) -> TableKind? {
        switch name.lowercased() {
        case "exposure.v1", "exposure", "exposures": .exposures
        case "outcome.v1", "outcome", "outcomes": .outcomes
        case "assignment.v1", "assignment", "assignments": .assignments
        default: nil
        }
    }

    /// Validates `path` (`-` for stdin; gzip and zstd are decoded), calling `finding` for each
    /// invalid line in order.
    public func validate(path: String, finding: (Finding) -> Void) throws(StorageError) -> Summary {
        let input = try InputSource(path: path)
        var chunker = LineChunker(input: input, source: 0, table: table, chunkSize: chunkSize, maxLineBytes: maxLineBytes)
        let worker = WorkerState(contract: contract)
        var summary = Summary()
        var sinceReset = 0
        var lineNumbers = LineNumbers()
        while let chunk = try chunker.next() {
            let r = IngestJob.parseChunk(chunk, worker: worker, partitions: 1)
            // One file: one piece, whose over-long lines come before its first line.
            let numbers = lineNumbers.take(chunk.pieces[0], lines: r.pieceLines[0])
            for (k, o) in chunk.pieces[0].oversize.enumerated() {
                summary.lines += 1
                summary.invalid += 1
                finding(Finding(line: numbers.oversize + k, error: o.error(limit: maxLineBytes)))
            }
            summary.lines += r.read
            summary.blank += r.blank
            summary.valid += r.written
            summary.invalid += r.rejects.count
            for rej in r.rejects { finding(Finding(line: numbers.first + rej.line, error: rej.error)) }
            // Nothing reads the codes: fresh interners every 64 MiB bound their memory without
            // making (and zeroing) new tables for every chunk.
            sinceReset += chunk.bytes.count
            if sinceReset > 64 << 20 {
                worker.freshDictionaries()
                sinceReset = 0
            }
        }
        return summary
    }
}
