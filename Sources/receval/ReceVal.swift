import ArgumentParser

@main
struct ReceVal: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receval",
        abstract: "Evaluate recommender systems from their production logs.",
        subcommands: [GenCommand.self])
}
