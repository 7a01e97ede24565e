import ArgumentParser
import ColumnarStorage
import Export

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe a dataset: tables, rows, partitions, per-column encoding, codec and sizes, dictionaries.",
        discussion: "Exit codes: 0 success, 1 the file is missing, damaged or not a dataset.")

    @Argument(help: ArgumentHelp("Dataset file.", valueName: "DATASET"))
    var dataset: String
    @Flag(help: "Machine-readable JSON.")
    var json = false

    func run() throws {
        do {
            let d = DatasetDescription(reader: try DatasetReader(path: dataset))
            Terminal.out(json ? d.json() : d.text())
        } catch {
            Terminal.err("error: \(error)\n")
            throw ExitCode(1)
        }
    }
}
