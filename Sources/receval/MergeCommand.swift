import ArgumentParser
import ColumnarStorage
import Evaluation
import Reports

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the states of a run's shards (receval run --shard I/N --state-out) into its report.",
        discussion: """
            Each state holds the exact sums of the partitions its shard scanned, keyed by ids \
            (users, variants, segment values), so the merged report equals one run over the whole \
            dataset, number for number, whatever order the states are given in. States of \
            separately ingested datasets (each machine ingesting its own requests) merge too: a \
            user seen in several is combined exactly.

            The states are checked first: one mode; computed under the config given here (its \
            SHA-256 is in every state); per dataset, every shard of one split (I/N for I in \
            0..N-1) exactly once. Damaged, truncated, overlapping, missing or mismatched states \
            are refused with a message naming the file. Outputs and the decision artifact as for \
            `receval run`.

            \(ExitStatus.summary)
            """)

    @Option(help: ArgumentHelp("The eval config the shards ran with.", valueName: "FILE"))
    var config: String
    @Option(help: "experiment or aa-check (default: the states' mode).")
    var mode: String?
    @Option(help: ArgumentHelp("Report file to write; repeat for several formats; - for standard output.", valueName: "FILE"))
    var output: [String] = []
    @Option(name: .customLong("output-format"), help: "json, markdown (md) or html, for outputs whose extension names no format.")
    var outputFormat: String?
    @Option(help: "Threads (default: all cores).")
    var threads: Int?
    @Flag(help: "Only errors and the decision on standard error.")
    var quiet = false
    @Option(
        name: .customLong("created-at"),
        help: ArgumentHelp("Fix the report time (RFC 3339, UTC), for reproducible reports.", visibility: .hidden))
    var createdAt: String?
    @Argument(help: ArgumentHelp("State files written by `receval run --state-out`.", valueName: "STATE"))
    var states: [String] = []

    func validate() throws {
        guard !output.isEmpty else { throw ValidationError("give --output FILE (or - for standard output)") }
        guard !states.isEmpty else { throw ValidationError("give the state files to merge") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        if let outputFormat, ReportFormat(name: outputFormat) == nil {
            throw ValidationError("unknown output format: \(outputFormat) (use json, markdown or html)")
        }
    }

    func run() throws {
        do {
            let eval = try EvalConfig.parse(try TextFile.read(config), file: config)
            let loaded = try states.map { (path: $0, state: try StateFile.read(path: $0)) }
            let request = StateMerge.Request(
                eval: eval, configName: config, modeFlag: mode, states: loaded, threads: threads ?? defaultThreads(),
                createdAt: createdAt ?? Terminal.utcNow(), binaryVersion: receValVersion)
            let result = try StateMerge.run(request)
            let fallback = outputFormat.flatMap { ReportFormat(name: $0) } ?? .json
            let targets = output.map { path in (path: path, format: path == "-" ? fallback : ReportFormat(fileName: path) ?? fallback) }
            try ReportOutputs.write(
                result, to: targets, decisionPath: eval.experiment.decisionOutputPath, firstFile: output.first { $0 != "-" }, quiet: quiet)
            if result.status != .success { throw ExitCode(result.status.rawValue) }
        } catch let e as ExitCode {
            throw e
        } catch {
            Terminal.err("error: \(error)\n")
            throw ExitCode(ExitStatus.error.rawValue)
        }
    }
}
