import ArgumentParser
import ColumnarStorage
import Export

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a table of a dataset back as JSONL, CSV or Parquet.",
        discussion: """
            JSONL gives the same JSON values as were ingested (key order and number spelling may \
            differ; timestamps keep their instant and UTC offset). CSV has one row per record, with \
            items and context as JSON text. Parquet (zstd, one row group per dataset partition, \
            statistics per column chunk) nests exposures as logged: items a list of structs \
            (item_id, rank, the propensities, the other members as JSON text in `extra`), context \
            a map of strings; ts is UTC microseconds with ts_nanos and ts_offset_minutes beside it \
            (format-spec/parquet.md). --layout items writes one row per shown item instead \
            (position, item_count and the item's fields next to the exposure's). Writes to \
            standard output unless --output is given (written atomically; Parquet needs --output).

            Exit codes: 0 success, 1 the dataset is missing or damaged, or the output cannot be written.
            """)

    @Argument(help: ArgumentHelp("Dataset file.", valueName: "DATASET"))
    var dataset: String
    @Option(help: "exposures, outcomes or assignments.")
    var table: String
    @Option(help: "jsonl, csv or parquet.")
    var format: String = "jsonl"
    @Option(help: "Parquet exposures: records (items nested, the default) or items (one row per shown item).")
    var layout: String = "records"
    @Option(
        name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Output file (default: standard output).", valueName: "FILE"))
    var output: String?
    @Option(help: "Threads for Parquet (default: all cores).")
    var threads: Int?

    func validate() throws {
        guard DatasetExporter.tables.contains(table) else { throw ValidationError("--table must be exposures, outcomes or assignments") }
        guard format == "parquet" || ExportFormat(rawValue: format) != nil else {
            throw ValidationError("--format must be jsonl, csv or parquet")
        }
        guard let l = ParquetExporter.Layout(rawValue: layout) else { throw ValidationError("--layout must be records or items") }
        guard l == .records || (format == "parquet" && table == "exposures") else {
            throw ValidationError("--layout items is for Parquet exports of exposures")
        }
        guard format != "parquet" || output != nil else { throw ValidationError("Parquet is written to a file: give --output FILE") }
    }

    func run() throws {
        // A reader that stops early (`| head`) closes the pipe: end quietly instead of by SIGPIPE.
        Terminal.ignoreBrokenPipe()
        do {
            let reader = try DatasetReader(path: dataset)
            let exporter = DatasetExporter(reader: reader)
            if format == "parquet", let output {
                let file = try AtomicOutputFile(path: output)
                try ParquetExporter(reader: reader).export(
                    table: table, layout: ParquetExporter.Layout(rawValue: layout)!, createdBy: "receval \(receValVersion)",
                    threads: threads ?? defaultThreads()
                ) { try file.write($0) }
                try file.commit()
            } else if let output {
                let file = try AtomicOutputFile(path: output)
                try exporter.export(table: table, format: ExportFormat(rawValue: format)!) { try file.write($0) }
                try file.commit()
            } else {
                try exporter.export(table: table, format: ExportFormat(rawValue: format)!) { Terminal.write(1, $0) }
            }
        } catch {
            Terminal.err("error: \(error)\n")
            throw ExitCode(1)
        }
    }
}
