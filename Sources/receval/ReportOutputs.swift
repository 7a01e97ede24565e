import ColumnarStorage
import Evaluation
import Reports

/// Writes a run's (or a merge's) report in every requested format, the decision artifact, and
/// the messages for standard error: every file in full before any appears, so a failed write
/// leaves none.
enum ReportOutputs {
    static func write(
        _ result: EvaluationRun.Result, to targets: [(path: String, format: ReportFormat)], decisionPath configured: String,
        firstFile: String?, quiet: Bool
    ) throws {
        var files: [AtomicOutputFile] = []
        var toStdout: String? = nil
        for (path, format) in targets {
            if path == "-" {
                toStdout = format.render(result.report)
            } else {
                let file = try AtomicOutputFile(path: path)
                try file.write(format.render(result.report))
                files.append(file)
            }
        }
        if let decision = result.decision {
            if let path = configured.isEmpty ? firstFile.map({ $0 + ".decision.json" }) : configured {
                let file = try AtomicOutputFile(path: path)
                try file.write(decision.serialized())
                files.append(file)
            } else {
                Terminal.err("note: the decision artifact is not written (no output file; set experiment.decision.output_path)\n")
            }
        }
        for file in files { try file.commit() }
        if let toStdout { Terminal.out(toStdout) }
        for m in result.messages where !quiet || !m.hasPrefix("ingest") && !m.hasPrefix("  ") { Terminal.err(m + "\n") }
    }
}
