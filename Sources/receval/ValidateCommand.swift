import ArgumentParser
import ColumnarStorage
import Evaluation
import Ingest

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a JSONL file against exposure.v1, outcome.v1 or assignment.v1.",
        discussion: """
            Prints one line per invalid record, `FILE:LINE: field PATH: MESSAGE`, then a summary. \
            Empty lines are skipped. Gzip and zstd input is decoded. Lines are read as `ingest` \
            reads them: a byte-order mark at the start is skipped, \\r\\n ends a line like \\n, \
            and a line longer than --max-line-bytes is invalid and skipped without being read whole.

            --contract recsys-eval-runtime checks instead what recsys-eval's runtime reads (as \
            `receval run` and `ingest --contract recsys-eval-runtime` do): an invalid line is then \
            one that neither recsys-eval nor receval evaluates.

            Exit codes: 0 every line is valid, 4 at least one line is invalid (a check failed on \
            readable input), 1 the input cannot be read or the flags are wrong. \(ExitStatus.summary)
            """)

    @Option(help: "exposure.v1, outcome.v1 or assignment.v1.")
    var schema: String
    @Option(help: ArgumentHelp("JSONL file to check (- for standard input).", valueName: "FILE"))
    var input: String
    @Option(
        name: .customLong("max-line-bytes"),
        help: "Longer lines (without their line ending) are invalid, and skipped without being loaded whole, e.g. 1M.")
    var maxLineBytes: String = "64M"
    @Option(help: ArgumentHelp("strict (recsys-eval's JSON Schemas) or recsys-eval-runtime.", valueName: "CONTRACT"))
    var contract: String = IngestContract.strict.rawValue
    @Option(name: .customLong("max-errors"), help: "Stop printing after this many errors (all lines are still counted).")
    var maxErrors: Int = 100
    @Flag(help: "Print only the summary.")
    var quiet = false

    func run() throws {
        guard let table = LineValidator.table(forSchema: schema) else {
            Terminal.err("error: unknown schema '\(schema)'; use exposure.v1, outcome.v1 or assignment.v1\n")
            throw ExitCode(ExitStatus.error.rawValue)
        }
        guard let lineLimit = parseByteSize(maxLineBytes), lineLimit >= 1 else {
            Terminal.err("error: --max-line-bytes: cannot read '\(maxLineBytes)'; try 64M\n")
            throw ExitCode(ExitStatus.error.rawValue)
        }
        guard let rules = IngestContract(name: contract) else {
            Terminal.err("error: --contract takes strict or recsys-eval-runtime, not '\(contract)'\n")
            throw ExitCode(ExitStatus.error.rawValue)
        }
        var printed = 0
        let summary: LineValidator.Summary
        do {
            summary = try LineValidator(table: table, maxLineBytes: lineLimit, contract: rules).validate(path: input) { f in
                if quiet { return }
                if printed < maxErrors {
                    let field = f.error.field.isEmpty ? "" : " field \(f.error.field):"
                    Terminal.out("\(input):\(f.line):\(field) \(f.error.reason)\n")
                } else if printed == maxErrors {
                    Terminal.out("... (more errors not shown; raise --max-errors)\n")
                }
                printed += 1
            }
        } catch {
            Terminal.err("error: \(error)\n")
            throw ExitCode(ExitStatus.error.rawValue)
        }
        Terminal.out(
            "\(input): \(summary.lines) lines, \(summary.valid) valid, \(summary.invalid) invalid against \(table.schemaName)"
                + (rules == .strict ? "" : " as recsys-eval's runtime reads it")
                + (summary.blank > 0 ? ", \(summary.blank) blank skipped" : "") + "\n")
        if summary.invalid > 0 { throw ExitCode(ExitStatus.checkFailed.rawValue) }
    }
}
