import ArgumentParser
import ColumnarStorage
import Export

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a table of a dataset back as JSONL or CSV.",
        discussion: """
            JSONL gives the same JSON values as were ingested (key order and number spelling may \
            differ; timestamps keep their instant and UTC offset). CSV has one row per record, with \
            items and context as JSON text. Writes to standard output unless --output is given \
            (written atomically).

            Exit codes: 0 success, 1 the dataset is missing or damaged, or the output cannot be written.
            """)

    @Argument(help: ArgumentHelp("Dataset file.", valueName: "DATASET"))
    var dataset: String
    @Option(help: "exposures, outcomes or assignments.")
    var table: String
    @Option(help: "jsonl or csv.")
    var format: String = "jsonl"
    @Option(
        name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Output file (default: standard output).", valueName: "FILE"))
    var output: String?

    func validate() throws {
        guard DatasetExporter.tables.contains(table) else { throw ValidationError("--table must be exposures, outcomes or assignments") }
        guard ExportFormat(rawValue: format) != nil else { throw ValidationError("--format must be jsonl or csv") }
    }

    func run() throws {
        // A reader that stops early (`| head`) closes the pipe: end quietly instead of by SIGPIPE.
        Terminal.ignoreBrokenPipe()
        do {
            let reader = try DatasetReader(path: dataset)
            let exporter = DatasetExporter(reader: reader)
            if let output {
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
