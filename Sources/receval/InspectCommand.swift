import ArgumentParser
import ColumnarStorage
import Engine
import Evaluation
import Export
import Reports

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe a dataset: what it holds, then how it is stored.",
        discussion: """
            First a summary of the data (like DuckDB's SUMMARIZE): rows and time range per table, \
            request ids, users and items, items per exposure, latency and error coverage, outcome \
            event types, experiments and their variants, context keys with their top values. Then \
            the storage: partitions, per-column encoding, codec and sizes, dictionaries, ingest counts.

            Exit codes: 0 success, 1 the file is missing, damaged or not a dataset. \(ExitStatus.summary)
            """)

    @Argument(help: ArgumentHelp("Dataset file.", valueName: "DATASET"))
    var dataset: String
    @Flag(help: "Machine-readable JSON (the storage description, with the data summary under `summary`).")
    var json = false
    @Option(help: "Threads (default: all cores).")
    var threads: Int?

    func run() throws {
        do {
            let reader = try DatasetReader(path: dataset)
            let d = DatasetDescription(reader: reader)
            let profile = try DatasetProfile.compute(reader: reader, threads: threads ?? defaultThreads())
            if json {
                Terminal.out(d.json(extra: [("summary", profile.json.serialized(indent: false))]))
            } else {
                let storage = d.text()
                // The header line first, then what the data holds, then how it is stored.
                let header = storage.prefix { $0 != "\n" }
                Terminal.out(header + "\n" + profile.text() + "\nstorage" + storage.dropFirst(header.count))
            }
        } catch {
            Terminal.err("error: \(error)\n")
            throw ExitCode(1)
        }
    }
}
