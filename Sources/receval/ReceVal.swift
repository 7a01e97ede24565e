import ArgumentParser

@main
struct ReceVal: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receval",
        abstract: "Evaluate recommender systems from their production logs.",
        discussion: """
            Typical flow: `receval ingest` turns JSONL logs into one columnar dataset file; \
            `receval inspect` and `receval export` look inside it; `receval validate` checks JSONL \
            against the exposure.v1 / outcome.v1 / assignment.v1 contracts; `receval gen` makes \
            synthetic logs to try it all on.
            """,
        version: receValVersion,
        subcommands: [
            IngestCommand.self, RunCommand.self, ValidateCommand.self, InspectCommand.self, ExportCommand.self, GenCommand.self,
            QualityCommand.self,
            BenchCommand.self,
        ])
}
