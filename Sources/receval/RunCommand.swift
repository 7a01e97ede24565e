import ArgumentParser
import ColumnarStorage
import Evaluation
import Ingest
import Reports

#if canImport(Glibc)
    import Glibc
#endif

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an evaluation (offline, experiment, aa-check, ope, interleaving or monitor) and write its report.",
        discussion: """
            Modes: offline (ranking metrics, segments, baseline gates), experiment (A/B analysis \
            and decision), aa-check (A/A check of the split and the analysis), ope (off-policy \
            estimates of a target policy from logged propensities), interleaving (team draft and \
            logged team labels), monitor (SLIs per time window and group with SLOs, fairness and \
            drift; exit 4 on a breached objective).

            Reads recsys-eval's YAML configs unchanged (unknown keys are errors naming the key); \
            relative paths resolve against the config file's folder. --mode must agree with the \
            config's `mode:` (an experiment config may be run as aa-check), and the config must \
            hold the mode's section. JSONL sources are ingested into a temporary dataset (only \
            the tables the mode reads: assignments only for experiment and aa-check, as recsys-eval \
            does; every configured source counts in the fingerprint, an unread PostgreSQL source by \
            its DSN and query); a source of type `receval` names an ingested dataset.

            Outputs: --output is repeatable (one run, several formats); each file's format follows \
            its extension (.json, .md or .markdown, .html), else --output-format (default json). \
            `--output -` writes to standard output. Experiment reports keep recsys-eval's keys and \
            numbers and add `experiment_units`, the analysis at the randomisation unit that \
            decides by default, and `verdict`, which says what decides and why; --compat \
            recsys-eval decides exactly as recsys-eval does. A configured control_variant or \
            experiment_id that the data does not hold is an error naming what it holds.

            JSONL sources are read as recsys-eval's runtime reads them (--contract \
            recsys-eval-runtime, the default): rows its JSON Schemas reject but its runtime \
            evaluates (an empty variant, `Click`, an unknown event type, a missing ts, a member \
            name in other letter cases, ...) are kept and counted the way recsys-eval counts them \
            (in data_quality's completeness and join counts; metrics ignore unknown event types), \
            and each kind is reported with its first row (data_quality.ingest.runtime_readings, \
            and on standard error). --contract strict rejects them instead, as `receval ingest` \
            does by default.

            Rejected JSONL lines: counted per table in the report (data_quality.ingest, with the \
            first reasons) and on standard error; every rejected line with its reason is written \
            to --rejects, by default next to the first output file as NAME.rejects.jsonl (report.json \
            -> report.rejects.jsonl), only when a line was rejected; with only `--output -` and no \
            --rejects they are not kept. More than --max-reject-rate of a table's rows rejected \
            stops the run (exit 5).

            \(ExitStatus.summary) The decision artifact (experiment.decision.enabled) goes to \
            experiment.decision.output_path or next to the first output file as FILE.decision.json.
            """)

    @Option(help: "offline, experiment, aa-check, ope, interleaving or monitor (default: the config's mode).")
    var mode: String?
    @Option(
        help: ArgumentHelp(
            "recsys-eval: decide and fall back exactly as recsys-eval does (request-level, no significance).", valueName: "NAME"))
    var compat: String?
    @Option(help: ArgumentHelp("Dataset config YAML (or give --data / --exposures and --outcomes).", valueName: "FILE"))
    var dataset: String?
    @Option(help: ArgumentHelp("Eval config YAML (or give --metrics).", valueName: "FILE"))
    var config: String?
    @Option(help: ArgumentHelp("Without --dataset: an ingested dataset.", valueName: "DATASET"))
    var data: String?
    @Option(help: ArgumentHelp("Without --dataset: exposure JSONL.", valueName: "FILE"))
    var exposures: String?
    @Option(help: ArgumentHelp("Without --dataset: outcome JSONL.", valueName: "FILE"))
    var outcomes: String?
    @Option(help: "Without --config: metrics such as ndcg@10,precision@10.")
    var metrics: String?
    @Option(name: .customLong("slice-keys"), help: "Without --config: context keys to segment by, comma separated.")
    var sliceKeys: String = ""
    @Option(help: ArgumentHelp("Report file to write; repeat for several formats; - for standard output.", valueName: "FILE"))
    var output: [String] = []
    @Option(name: .customLong("output-format"), help: "json, markdown (md) or html, for outputs whose extension names no format.")
    var outputFormat: String?
    @Option(help: ArgumentHelp("Baseline report (JSON) for deltas and gates.", valueName: "FILE"))
    var baseline: String?
    @Option(help: ArgumentHelp("Where rejected JSONL lines and their reasons go (default: NAME.rejects.jsonl).", valueName: "FILE"))
    var rejects: String?
    @Option(
        help: ArgumentHelp(
            "Which JSONL rows are kept: recsys-eval-runtime (what recsys-eval reads) or strict (its JSON Schemas).", valueName: "CONTRACT"))
    var contract: String = IngestContract.recsysEvalRuntime.rawValue
    @Option(name: .customLong("max-reject-rate"), help: "Largest share of a table's JSONL rows that may be rejected (0 to 1).")
    var maxRejectRate: Double = 0.05
    @Option(help: "Threads (default: all cores).")
    var threads: Int?
    @Option(
        name: .customLong("memory-limit"),
        help: ArgumentHelp(
            "Peak memory to aim under (at least 512M), e.g. 4G: bounds the rows an ingest of JSONL or PostgreSQL sources buffers (default 2G) and the per-user state of OPE's bootstrap, experiment, aa-check and interleaving, taken in parts of users when it exceeds half of it (default: a quarter of the machine's memory; each extra part is one more pass; experiment parts wait in a scratch file next to the report). A --state-out state keeps every user's sums. Experiment and aa-check with request units stop before the scan when their state cannot fit.",
            valueName: "SIZE"))
    var memoryLimit: String?
    @Option(
        help: ArgumentHelp(
            "Scan only the dataset's partitions p with p mod N = I (with --state-out; every mode).", valueName: "I/N"))
    var shard: String?
    @Option(
        name: .customLong("state-out"),
        help: ArgumentHelp("Write the run's partial state here instead of a report, for `receval merge`.", valueName: "FILE"))
    var stateOut: String?
    @Option(
        name: .customLong("state-in"),
        help: ArgumentHelp(
            "OPE's second round: the model (every shard's first round merged by `receval merge --state-out`).", valueName: "MODEL"))
    var stateIn: String?
    @Flag(help: "No progress line and no ingest summary on standard error (errors and the decision still show).")
    var quiet = false
    @Option(
        name: .customLong("created-at"),
        help: ArgumentHelp("Fix the report time (RFC 3339, UTC), for reproducible reports.", visibility: .hidden))
    var createdAt: String?

    func validate() throws {
        if stateOut != nil {
            guard output.isEmpty else { throw ValidationError("--state-out writes a state, not a report: drop --output (merge writes it)") }
        } else {
            guard shard == nil else { throw ValidationError("--shard needs --state-out FILE (then `receval merge` the shards' states)") }
            guard stateIn == nil else { throw ValidationError("--state-in needs --state-out FILE (the second round's state)") }
            guard !output.isEmpty else { throw ValidationError("give --output FILE (or - for standard output)") }
        }
        if let shard, PartitionShard(parsing: shard) == nil {
            throw ValidationError("--shard takes I/N with 0 <= I < N, such as 0/4, not '\(shard)'")
        }
        guard output.filter({ $0 == "-" }).count <= 1 else { throw ValidationError("--output - can be given once") }
        guard (0...1).contains(maxRejectRate) else { throw ValidationError("--max-reject-rate must be between 0 and 1") }
        guard IngestContract(name: contract) != nil else {
            throw ValidationError("--contract takes recsys-eval-runtime or strict, not '\(contract)'")
        }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        if let memoryLimit {
            guard let limit = parseByteSize(memoryLimit) else {
                throw ValidationError("--memory-limit: cannot read '\(memoryLimit)'; try 4G or 512M")
            }
            guard limit >= 512 << 20 else { throw ValidationError("--memory-limit must be at least 512M") }
        }
        if let outputFormat, ReportFormat(name: outputFormat) == nil {
            throw ValidationError("unknown output format: \(outputFormat) (use json, markdown or html)")
        }
        if let compat, compat.lowercased() != "recsys-eval" { throw ValidationError("--compat takes recsys-eval") }
    }

    /// Each output with its format: the file's extension, else --output-format, else JSON.
    func targets() -> [(path: String, format: ReportFormat)] {
        let fallback = outputFormat.flatMap { ReportFormat(name: $0) } ?? .json
        return output.map { path in (path, path == "-" ? fallback : ReportFormat(fileName: path) ?? fallback) }
    }

    /// `dir/report.json` -> `dir/report<suffix>`; nil when every output is standard output.
    func sibling(_ suffix: String) -> String? {
        guard let first = output.first(where: { $0 != "-" }) else { return nil }
        let slash = first.lastIndex(of: "/").map { first.index(after: $0) } ?? first.startIndex
        let name = first[slash...]
        let stem = name.lastIndex(of: ".").flatMap { $0 == name.startIndex ? nil : first[..<$0] } ?? first[...]
        return String(stem) + suffix
    }

    func run() throws {
        do {
            let eval: EvalConfig
            if let config {
                eval = try EvalConfig.parse(try TextFile.read(config), file: config)
            } else if let metrics {
                eval = try EvalConfig.offline(metrics: metrics, sliceKeys: sliceKeys)
            } else {
                throw ConfigError(file: "flags", "give --config FILE or --metrics (e.g. ndcg@10,precision@10)")
            }
            let datasetConfig: DatasetConfig
            if let dataset {
                datasetConfig = try DatasetConfig.parse(
                    try TextFile.read(dataset), file: dataset, directory: AtomicOutputFile.directory(of: dataset))
            } else if let data {
                let s = DatasetConfig.Source(type: "receval", path: data)
                datasetConfig = DatasetConfig(exposures: s, outcomes: s, assignments: nil)
            } else if let exposures, let outcomes {
                datasetConfig = DatasetConfig(
                    exposures: .init(type: "jsonl", path: exposures), outcomes: .init(type: "jsonl", path: outcomes), assignments: nil)
            } else {
                throw ConfigError(file: "flags", "give --dataset FILE, --data DATASET, or --exposures FILE and --outcomes FILE")
            }
            let firstFile = output.first { $0 != "-" }
            // A run that scans an ingested dataset gets one malloc arena (`ReceVal.oneArena`); one
            // that ingests JSONL or PostgreSQL first keeps ingest's arena per thread.
            if [datasetConfig.exposures, datasetConfig.outcomes, datasetConfig.assignments].allSatisfy({
                $0 == nil || $0!.type == "receval"
            }) {
                ReceVal.oneArena()
            }
            var request = EvaluationRun.Request(
                eval: eval, configName: config ?? "--metrics", modeFlag: mode, dataset: datasetConfig,
                threads: threads ?? defaultThreads(), createdAt: createdAt ?? Terminal.utcNow(), binaryVersion: receValVersion,
                scratchDirectory: AtomicOutputFile.directory(of: firstFile ?? "./report"))
            if compat != nil { request.eval.experiment.analysis.compat = "recsys-eval" }
            if let baseline { request.baseline = try JSONValue.parse(try TextFile.read(baseline)) }
            request.ingest = .init(
                maxRejectRate: maxRejectRate, rejectsPath: rejects ?? sibling(".rejects.jsonl"), contract: IngestContract(name: contract)!)
            request.memoryLimit = memoryLimit.flatMap(parseByteSize)
            request.ingest.memoryLimit = request.memoryLimit
            var bar = ProgressBar(enabled: !quiet)
            let observer = bar.enabled ? ProgressBar.scanObserver() : nil
            if let stateOut {
                request.shard = shard.flatMap { PartitionShard(parsing: $0) } ?? .whole
                let model = try stateIn.map { (path: $0, state: try StateFile.read(path: $0)) }
                let state = try EvaluationRun.state(request, model: model, observer: observer)
                bar.finish()
                if observer?.total ?? 0 > 0 { Terminal.err("\r\u{1B}[2K") }
                let bytes = try StateFile.write(state, to: stateOut)
                if !quiet {
                    let round = state.body.round
                    let which = round.of > 1 ? " round \(round.0) of \(round.of)" : ""
                    Terminal.err(
                        "state: \(state.mode)\(which), shard \(state.shard) of \(state.partitions) partitions, written to \(stateOut) (\(ReadableNumber.count(bytes)) bytes)\n"
                    )
                }
                return
            }
            let result = try EvaluationRun.run(request, observer: observer) { p in
                bar.update(phase: "ingest " + p.phase, done: p.bytesRead, total: p.bytesTotal, rows: p.rows)
            }
            bar.finish()
            if observer?.total ?? 0 > 0 { Terminal.err("\r\u{1B}[2K") }
            try ReportOutputs.write(
                result, to: targets(), decisionPath: request.eval.experiment.decisionOutputPath, firstFile: firstFile, quiet: quiet)
            if result.status != .success { throw ExitCode(result.status.rawValue) }
        } catch let e as ExitCode {
            throw e
        } catch let e as IngestError {
            Terminal.err("error: \(e)\n")
            throw ExitCode(e.exitCode)
        } catch {
            Terminal.err("error: \(error)\n")
            throw ExitCode(ExitStatus.error.rawValue)
        }
    }

}
