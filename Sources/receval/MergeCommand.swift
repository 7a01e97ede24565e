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

            OPE runs in two rounds, because pass two needs the reward models and quantile plans \
            of all the data: merge the shards' first-round states with --state-out MODEL, run \
            every shard again with --state-in MODEL --state-out STATE2, and merge those into the \
            report.

            \(ExitStatus.summary)
            """)

    @Option(help: ArgumentHelp("The eval config the shards ran with.", valueName: "FILE"))
    var config: String
    @Option(help: "offline, experiment, aa-check, ope, interleaving or monitor (default: the states' mode).")
    var mode: String?
    @Option(help: ArgumentHelp("Report file to write; repeat for several formats; - for standard output.", valueName: "FILE"))
    var output: [String] = []
    @Option(name: .customLong("output-format"), help: "json, markdown (md) or html, for outputs whose extension names no format.")
    var outputFormat: String?
    @Option(
        name: .customLong("state-out"),
        help: ArgumentHelp(
            "OPE's first round: write the merged model here (for `receval run --state-in`) instead of a report.", valueName: "MODEL"))
    var stateOut: String?
    @Option(help: ArgumentHelp("Offline: a baseline report (JSON) for deltas and gates.", valueName: "FILE"))
    var baseline: String?
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
        guard !output.isEmpty || stateOut != nil else { throw ValidationError("give --output FILE (or - for standard output)") }
        guard output.isEmpty || stateOut == nil else { throw ValidationError("--state-out writes a model, not a report: drop --output") }
        guard !states.isEmpty else { throw ValidationError("give the state files to merge") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        if let outputFormat, ReportFormat(name: outputFormat) == nil {
            throw ValidationError("unknown output format: \(outputFormat) (use json, markdown or html)")
        }
    }

    func run() throws {
        do {
            let eval = try EvalConfig.parse(try TextFile.read(config), file: config)
            let loaded = try states.map { try StateSource.file($0) }
            var request = StateMerge.Request(
                eval: eval, configName: config, modeFlag: mode, states: loaded, threads: threads ?? defaultThreads(),
                createdAt: createdAt ?? Terminal.utcNow(), binaryVersion: receValVersion)
            if let baseline { request.baseline = try JSONValue.parse(try TextFile.read(baseline)) }
            if let stateOut {
                let (merged, _) = try StateMerge.merge(request)
                guard case .opeCounts = merged.body else {
                    throw ValidationError(
                        "--state-out writes OPE's merged first round (a model); these states finish into a report: give --output")
                }
                let bytes = try StateFile.write(merged, to: stateOut)
                if !quiet {
                    Terminal.err(
                        "model: \(states.count) first-round states merged into \(stateOut) (\(ReadableNumber.count(bytes)) bytes)\n")
                }
                return
            }
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
