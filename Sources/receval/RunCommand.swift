import ArgumentParser
import ColumnarStorage
import Evaluation
import Reports

#if canImport(Glibc)
    import Glibc
#endif

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an evaluation from recsys-eval dataset and eval configs and write a report.",
        discussion: """
            Reads recsys-eval's YAML configs unchanged (unknown keys are errors naming the key); \
            relative paths resolve against the config file's folder. JSONL sources are ingested \
            into a temporary dataset; a source of type `receval` names an ingested dataset. \
            Modes: offline, experiment, aa-check. The report is report.v1 JSON, or Markdown or a \
            self-contained HTML page showing everything in the JSON. Experiment reports keep \
            recsys-eval's keys and numbers and add `experiment_units`: the analysis at the \
            randomisation unit (delta method, Welch, CUPED, bootstrap, SRM on units) that decides \
            by default; --compat recsys-eval decides exactly as recsys-eval does.

            Exit codes: 0 success (or ship), 1 error or a failed regression gate (the report is \
            written first), 2 hold or inconclusive, 3 fail or rollback (experiment decisions, \
            written when experiment.decision.enabled).
            """)

    @Option(help: "offline, experiment, aa-check, ope or interleaving.")
    var mode: String?
    @Option(
        help: ArgumentHelp(
            "recsys-eval: decide experiments exactly as recsys-eval does (request-level, no significance).", valueName: "NAME"))
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
    @Option(help: ArgumentHelp("Report to write.", valueName: "FILE"))
    var output: String
    @Option(name: .customLong("output-format"), help: "json, markdown (md) or html.")
    var outputFormat: String = "json"
    @Option(help: ArgumentHelp("Baseline report (JSON) for deltas and gates.", valueName: "FILE"))
    var baseline: String?
    @Option(help: "Threads (default: all cores).")
    var threads: Int?
    @Option(
        name: .customLong("created-at"),
        help: ArgumentHelp("Fix the report time (RFC 3339, UTC), for reproducible reports.", visibility: .hidden))
    var createdAt: String?

    func run() throws {
        do {
            var eval: EvalConfig
            let configName = config ?? "--metrics"
            if let config {
                eval = try EvalConfig.parse(try TextFile.read(config), file: config)
            } else {
                // Plain flags: the same checks as a config file, built from a small YAML document.
                guard let metrics else { throw ConfigError(file: "flags", "give --config FILE or --metrics (e.g. ndcg@10,precision@10)") }
                var yaml = "offline:\n  metrics:\n"
                for m in metrics.split(separator: ",") {
                    let parts = m.split(separator: "@")
                    yaml += "    - name: \"\(parts[0])\"\n      k: \(parts.count > 1 ? String(parts[1]) : "0")\n"
                }
                let keys = sliceKeys.split(separator: ",").map { "\"\($0)\"" }.joined(separator: ", ")
                yaml += "  slice_keys: [\(keys)]\n"
                eval = try EvalConfig.parse(yaml, file: "flags")
                eval.mode = "offline"
            }
            if let mode { eval.mode = mode.lowercased() }
            guard !eval.mode.isEmpty else { throw ConfigError(file: configName, "mode must be set in config or --mode") }
            guard ["offline", "experiment", "aa-check", "ope", "interleaving"].contains(eval.mode) else {
                throw ConfigError(file: configName, "unknown mode \(eval.mode) (use offline, experiment, aa-check, ope or interleaving)")
            }
            if let compat {
                guard compat.lowercased() == "recsys-eval" else { throw ConfigError(file: "flags", "--compat takes recsys-eval") }
                eval.experiment.analysis.compat = "recsys-eval"
            }
            let format = outputFormat.trimmingSuffixSpaces().lowercased()
            guard ["json", "", "md", "markdown", "html"].contains(format) else {
                throw ConfigError(file: configName, "unknown output format: \(outputFormat) (use json, markdown or html)")
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
            let n = threads ?? defaultThreads()
            if eval.mode == "interleaving", let lists = datasetConfig.interleaving {
                let created = createdAt ?? Terminal.utcNow()
                let metadata = ReportMetadata(
                    runID: ReportMetadata.runID(prefix: "interleave", createdAt: created), createdAt: created,
                    binaryVersion: receValVersion, gitCommit: "",
                    effectiveConfig: DatasetFingerprint.effectiveConfig(mode: eval.mode, dataset: datasetConfig, eval: eval),
                    datasetFingerprint: try DatasetFingerprint.compute(mode: eval.mode, dataset: datasetConfig))
                let report = try InterleavingEvaluation.run(
                    rankerA: lists.rankerA.path, rankerB: lists.rankerB.path, outcomes: lists.outcomes.path, config: eval.interleaving,
                    metadata: metadata, threads: n)
                try Self.write(report, to: output, format: format)
                return
            }
            let loader = try DatasetLoader(config: datasetConfig, scratchDirectory: AtomicOutputFile.directory(of: output), threads: n)
            var baselineReport: JSONValue? = nil
            if let baseline { baselineReport = try JSONValue.parse(try TextFile.read(baseline)) }
            let created = createdAt ?? Terminal.utcNow()
            let metadata = ReportMetadata(
                runID: ReportMetadata.runID(prefix: eval.mode == "interleaving" ? "interleave" : eval.mode, createdAt: created),
                createdAt: created,
                binaryVersion: receValVersion, gitCommit: "",
                effectiveConfig: DatasetFingerprint.effectiveConfig(mode: eval.mode, dataset: datasetConfig, eval: eval),
                datasetFingerprint: try DatasetFingerprint.compute(mode: eval.mode, dataset: datasetConfig))
            func write(_ r: JSONValue, to path: String, format: String) throws { try Self.write(r, to: path, format: format) }
            if eval.mode == "interleaving" {
                let report = try InterleavingEvaluation.run(
                    reader: loader.reader, config: eval.interleaving, metadata: metadata, threads: n)
                try write(report, to: output, format: format)
                return
            }
            if eval.mode == "ope" {
                let report = try OPEEvaluation.run(reader: loader.reader, config: eval.ope, metadata: metadata, threads: n)
                try write(report, to: output, format: format)
                return
            }
            if eval.mode == "offline" {
                let outcome = try OfflineEvaluation.run(
                    reader: loader.reader, config: eval.offline, baseline: baselineReport, metadata: metadata, threads: n)
                try write(outcome.report, to: output, format: format)
                if outcome.gatesFailed {
                    Terminal.err("error: one or more regression gates failed\n")
                    throw ExitCode(1)
                }
                return
            }
            let outcome = try ExperimentEvaluation.run(
                reader: loader.reader, config: eval.experiment, mode: eval.mode, metadata: metadata, threads: n)
            try write(outcome.report, to: output, format: format)
            if let decision = outcome.decision {
                let path = eval.experiment.decisionOutputPath.isEmpty ? output + ".decision.json" : eval.experiment.decisionOutputPath
                try write(decision, to: path, format: "json")
                if case .string(let action)? = decision["action"] { Terminal.err("decision: \(action)\n") }
            }
            if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
        } catch let e as ExitCode {
            throw e
        } catch {
            Terminal.err("error: \(error)\n")
            throw ExitCode(1)
        }
    }

    static func write(_ report: JSONValue, to path: String, format: String) throws {
        let file = try AtomicOutputFile(path: path)
        switch format {
        case "md", "markdown": try file.write(ReportRenderer.markdown(report))
        case "html": try file.write(ReportRenderer.html(report))
        default: try file.write(report.serialized())
        }
        try file.commit()
    }
}
