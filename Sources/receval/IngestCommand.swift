import ArgumentParser
import ColumnarFormat
import Evaluation
import Ingest

#if canImport(Glibc)
    import Glibc
#endif

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Convert JSONL exposure, outcome and assignment logs into one columnar dataset.",
        discussion: """
            Each input is a file, a directory or a glob pattern, and may be repeated; `-` reads \
            standard input. A directory means every regular file directly in it (not in \
            subdirectories; hidden files skipped); a pattern such as 'dump/*.jsonl.zst' is \
            expanded by receval (quote it so the shell leaves it alone) and matches files only. \
            Order: inputs in the order given, and a directory's or a pattern's files in byte-wise \
            order of their paths (as `LC_ALL=C ls`). A directory or pattern that names no file \
            is an error. Each file may be plain, gzip or zstd (detected from its content, \
            whatever its name); a UTF-8 byte-order mark at its start is skipped, and a line may \
            end in \\n or \\r\\n.

            Every line is validated against exposure.v1, outcome.v1 or \
            assignment.v1. A line that fails goes to the rejects file (default DATASET.rejects.jsonl) \
            with its source, line number, field path, reason and the original text; for every \
            table, rows read = rows written + rows rejected. Empty and whitespace-only lines are \
            not rows: they are skipped and counted as blank. A line longer than --max-line-bytes \
            is rejected without being read whole: the rest of it is skipped up to its newline, and \
            its first KiB goes to the rejects file.

            Contract (--contract): strict (the default) validates every line against recsys-eval's \
            JSON Schemas, as above. recsys-eval-runtime keeps the rows its runtime reads although \
            the schemas reject them, the way it reads them: member names in any letter case, \
            unknown members and null values ignored, a missing or empty request_id, user_id, \
            item_id, experiment_id or variant kept as "", any event_type kept as written (Click \
            and CONVERSION compare as click and conversion; other types join but no metric reads \
            them), a missing ts as 0001-01-01T00:00:00Z (no time), a missing items list as empty, \
            any integer rank, a negative latency_ms or propensity. Each kind is counted per table \
            with its first row. Lines recsys-eval cannot read either (invalid JSON, wrong JSON \
            types, a ts that is not RFC 3339, non-string context values) are still rejected. \
            `receval run` reads JSONL sources this way by default.

            Policy: if more than --max-reject-rate of a table's rows are rejected, no dataset is \
            written (the rejects file still is) and the exit code is 5.

            The dataset appears atomically: an interrupted ingest leaves the previous file (or \
            none) and no temporary files.

            Exit codes: 0 success, 1 error (I/O, bad flags), 5 too many rejected rows. \(ExitStatus.summary)
            """)

    @Option(
        name: .customLong("exposures"),
        help: ArgumentHelp("Exposure JSONL: a file, a directory or a quoted glob pattern (repeatable).", valueName: "PATH"))
    var exposures: [String] = []
    @Option(
        name: .customLong("outcomes"),
        help: ArgumentHelp("Outcome JSONL: a file, a directory or a quoted glob pattern (repeatable).", valueName: "PATH"))
    var outcomes: [String] = []
    @Option(
        name: .customLong("assignments"),
        help: ArgumentHelp("Assignment JSONL: a file, a directory or a quoted glob pattern (repeatable).", valueName: "PATH"))
    var assignments: [String] = []
    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Dataset file to write.", valueName: "DATASET"))
    var output: String
    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?
    @Option(
        name: .customLong("memory-limit"), help: "Peak memory to stay under (at least 512M), e.g. 1G; more data spills to temporary files.")
    var memoryLimit: String = "2G"
    @Option(
        help:
            "Request-id hash partitions (default: from input size and memory limit; a stream, such as standard input, counts as 8 GiB, so give it for larger streams)."
    )
    var partitions: Int?
    @Option(help: "Compression per column chunk: zstd, lz4 or none.")
    var codec: String = "zstd"
    @Option(help: "zstd compression level (1-19).")
    var level: Int32 = 1
    @Option(name: .customLong("row-group-rows"), help: "Rows per row group (bounds what is decompressed at once).")
    var rowGroupRows: Int = 16_384
    @Option(
        name: .customLong("max-line-bytes"),
        help: "Longer lines (without their line ending) are rejected without being loaded whole, e.g. 1M.")
    var maxLineBytes: String = "64M"
    @Option(name: .customLong("max-reject-rate"), help: "Largest share of rejected rows per table before the ingest fails (0-1).")
    var maxRejectRate: Double = 0.05
    @Option(
        help: ArgumentHelp(
            "Which rows are kept: strict (recsys-eval's JSON Schemas) or recsys-eval-runtime (what its runtime reads).",
            valueName: "CONTRACT"))
    var contract: String = IngestContract.strict.rawValue
    @Option(help: ArgumentHelp("Where rejected lines go (default: DATASET.rejects.jsonl).", valueName: "FILE"))
    var rejects: String?
    @Flag(
        name: .customLong("no-mmap"),
        help:
            "Read plain input files into buffers instead of mapping them (for file systems where mapping is slow, or files that may shrink during the run)."
    )
    var noMmap = false
    @Flag(help: "No progress bar and no summary.")
    var quiet = false

    func validate() throws {
        if exposures.isEmpty && outcomes.isEmpty && assignments.isEmpty {
            throw ValidationError("give at least one input: --exposures PATH, --outcomes PATH or --assignments PATH")
        }
        guard Codec(name: codec) != nil else { throw ValidationError("--codec must be zstd, lz4 or none, not '\(codec)'") }
        guard let limit = parseByteSize(memoryLimit) else {
            throw ValidationError("--memory-limit: cannot read '\(memoryLimit)'; try 1G or 512M")
        }
        // Below this the fixed buffers (read-ahead chunks, parsed rounds, dictionaries) dominate.
        guard limit >= 512 << 20 else { throw ValidationError("--memory-limit must be at least 512M") }
        guard let lineLimit = parseByteSize(maxLineBytes), lineLimit >= 1 else {
            throw ValidationError("--max-line-bytes: cannot read '\(maxLineBytes)'; try 64M")
        }
        guard (0...1).contains(maxRejectRate) else { throw ValidationError("--max-reject-rate must be between 0 and 1") }
        guard IngestContract(name: contract) != nil else {
            throw ValidationError("--contract takes strict or recsys-eval-runtime, not '\(contract)'")
        }
        guard rowGroupRows >= 1 else { throw ValidationError("--row-group-rows must be at least 1") }
        if let p = partitions, p < 1 || p > 65_536 { throw ValidationError("--partitions must be between 1 and 65536") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        if [exposures, outcomes, assignments].joined().filter({ $0 == "-" }).count > 1 {
            throw ValidationError("only one input can be standard input (-)")
        }
    }

    func run() throws {
        var o = IngestOptions(output: output, threads: threads ?? defaultThreads())
        o.exposures = exposures
        o.outcomes = outcomes
        o.assignments = assignments
        o.rejectsPath = rejects
        o.memoryLimit = parseByteSize(memoryLimit)!
        o.partitions = partitions
        o.codec = Codec(name: codec)!
        o.compressionLevel = level
        o.rowGroupRows = rowGroupRows
        o.maxLineBytes = parseByteSize(maxLineBytes)!
        o.mapInputs = !noMmap
        o.maxRejectRate = maxRejectRate
        o.contract = IngestContract(name: contract)!
        o.createdBy = "receval \(receValVersion)"
        // Interrupts end the process at once: the output is an anonymous file until the final
        // rename, so nothing is left behind. (A parent may have started us with them blocked.)
        Terminal.restoreDefaultInterrupts()
        var bar = ProgressBar(enabled: !quiet)
        let start = Terminal.now()
        let result = Result { () throws(IngestError) -> IngestSummary in
            try IngestJob(options: o).run { p in
                bar.update(phase: p.phase, done: p.bytesRead, total: p.bytesTotal, rows: p.rows)
            }
        }
        bar.finish()
        let summary: IngestSummary
        switch result {
        case .success(let s):
            summary = s
        case .failure(let e):
            Terminal.err("error: \(e.description)\n")
            throw ExitCode(e.exitCode)
        }
        let rejected = summary.tables.reduce(0) { $0 + $1.rejected }
        if quiet {
            // Even quiet, an ingest says what it did not write.
            if rejected > 0 {
                Terminal.err("rejected \(rejected) rows; every rejected line and its reason: \(summary.rejectsPath ?? "")\n")
            }
            return
        }
        let secs = Terminal.now() - start
        var s =
            "wrote \(output): \(ProgressBar.size(Double(summary.datasetBytes))) from \(ProgressBar.size(Double(summary.inputBytes))) of input"
        if summary.inputFiles > 1 { s += " (\(summary.inputFiles) files)" }
        s +=
            " in \((secs * 100).rounded() / 100) s (\(Int(Double(summary.inputBytes) / secs / 1e6)) MB/s), \(summary.partitions) partition(s)\n"
        for t in TableKind.allCases {
            let c = summary.counts(t)
            if c.read == 0 && c.blank == 0 { continue }
            s += "  \(t.description.padding(12)) read \(c.read), written \(c.written), rejected \(c.rejected)"
            if c.blank > 0 { s += ", blank lines skipped \(c.blank)" }
            s += "\n"
        }
        if summary.tables.allSatisfy({ $0.read == 0 }) {
            let blank = summary.tables.reduce(0) { $0 + $1.blank }
            s += "  warning: the inputs hold no rows\(blank > 0 ? " (only \(blank) blank lines)" : ""): the dataset is empty\n"
        }
        for r in summary.runtimeReadings { s += "  kept as recsys-eval's runtime reads it: \(r.text)\n" }
        for r in summary.firstRejects { s += "  rejected \(r.text)\n" }
        if let r = summary.rejectsPath { s += "  every rejected line and its reason: \(r)\n" }
        s +=
            "  phases: parse \((summary.parseSeconds * 100).rounded() / 100) s, encode and write \((summary.encodeSeconds * 100).rounded() / 100) s\n"
        if summary.spilledBytes > 0 {
            s += "  spilled \(ProgressBar.size(Double(summary.spilledBytes))) to temporary files to stay under --memory-limit\n"
        }
        Terminal.err(s)
    }
}

extension String {
    func padding(_ w: Int) -> String { count >= w ? self : self + String(repeating: " ", count: w - count) }
}

let receValVersion = "0.1.0"
