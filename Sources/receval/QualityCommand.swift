import ArgumentParser
import ColumnarStorage
import Engine
import Reports

struct QualityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quality",
        abstract: "Data quality of a dataset: join rates, duplicates, orphans, and join rates by slice.",
        discussion: """
            Counts follow recsys-eval's join: the first exposure of a request wins (later ones are \
            duplicates), outcomes attach to it whatever their time, outcomes without an exposure \
            are orphans. For each --slice key, every value's exposure join rate (share of requests \
            with an outcome) and assignment rate are listed; a slice joining at under half the \
            overall rate is reported as a warning.

            Exit codes: 0 success (warnings included); 1 the dataset is missing or damaged, holds no rows, or lacks what was asked for (a --slice key no context holds, an --experiment id no assignment has), with a message naming what it does hold.
            """)

    @Argument(help: ArgumentHelp("Dataset file.", valueName: "DATASET"))
    var dataset: String
    @Option(help: "Context keys to slice by, comma separated.")
    var slice: String = ""
    @Option(help: "Count only assignments of this experiment id.")
    var experiment: String?
    @Option(help: "Threads (default: all cores).")
    var threads: Int?

    func run() throws {
        do {
            let reader = try DatasetReader(path: dataset)
            let keys = slice.split(separator: ",").map { String($0).trimmingSuffixSpaces() }.filter { !$0.isEmpty }
            let threads = threads ?? defaultThreads()
            try DataQuality.check(reader: reader, sliceKeys: keys, experiment: experiment, threads: threads)
            let q = try DataQuality.compute(reader: reader, sliceKeys: keys, threads: threads, experiment: experiment)
            let c = q.counts
            let n = ReadableNumber.self
            var s = "dataset \(dataset)\n"
            s += "  exposures \(n.count(c.exposureRows)) (\(n.count(c.duplicateExposures)) duplicate request ids, "
            s += "\(n.count(c.emptyExposures)) empty lists)\n"
            s +=
                "  outcomes \(n.count(c.outcomeRows)) (\(n.count(c.orphanOutcomes)) orphans, \(n.count(c.outcomesOnUnshownItems)) on items not shown, "
            s += "\(n.count(c.outcomesBeforeExposure)) before their exposure)\n"
            s += "  assignments \(n.count(c.assignmentRows)) for \(n.count(c.assignedRequests)) requests; "
            s += "\(n.count(c.assignedExposures)) exposures assigned\n"
            s += "  exposure join rate \(n.percent(q.exposureJoinRate)), outcome join rate \(n.percent(q.outcomeJoinRate))\n"
            if !q.slices.isEmpty {
                s += "\n  " + "slice".padding(32) + "exposures".padding(12) + "join rate".padding(12) + "assigned\n"
                for x in q.slices {
                    let name = x.value.map { "\(x.key)=\($0)" } ?? "\(x.key) (missing)"
                    s += "  " + name.padding(32) + n.count(x.exposures).padding(12)
                    s += n.percent(x.joinRate).padding(12) + n.percent(x.assignmentRate) + "\n"
                }
            }
            let warnings = q.warnings()
            if !warnings.isEmpty {
                s += "\nwarnings\n"
                for w in warnings { s += "  - \(w)\n" }
            }
            Terminal.out(s)
        } catch {
            Terminal.err("error: \(error)\n")
            throw ExitCode(1)
        }
    }
}
