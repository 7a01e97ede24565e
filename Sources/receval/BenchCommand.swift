import ArgumentParser
import ColumnarStorage
import Engine

/// Formatting shared by the bench commands.
enum BenchFormat {
    static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    static func rate(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }

    static func fmt(_ x: Double, _ places: Int) -> String {
        var m = 1.0
        for _ in 0..<places { m *= 10 }
        let v = (x * m).rounded() / m
        var s = String(v)
        if let dot = s.firstIndex(of: ".") {
            let decimals = s.distance(from: dot, to: s.endIndex) - 1
            if decimals < places { s += String(repeating: "0", count: places - decimals) }
        }
        return s
    }
}

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure engine throughput on a dataset.",
        subcommands: [BenchJoinCommand.self, BenchRankCommand.self, BenchBootstrapCommand.self])
}

struct BenchJoinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join",
        abstract: "Join throughput: the exposure <- outcome <- assignment join alone, and with a per-variant aggregate.",
        discussion: """
            Both runs read the dataset's columns from the memory-mapped file, decode them and join \
            through the per-partition request-id codes. "join" counts recsys-eval's join \
            statistics (first exposure wins, orphans, assigned exposures). "join+aggregate" groups \
            every exposure joined to its assignment by variant and the --group-by context keys, \
            with requests, items, clicked requests and clicks. Reported: median seconds over \
            --repeat runs, exposure rows/s and GB/s of decoded columns touched.
            """)

    @Argument(help: ArgumentHelp("Dataset file.", valueName: "DATASET"))
    var dataset: String
    @Option(help: "Threads (default: all cores).")
    var threads: Int?
    @Option(name: .customLong("repeat"), help: "Repetitions of each measurement.")
    var repetitions: Int = 3
    @Option(help: "Keep only assignments of this experiment id.")
    var experiment: String?
    @Option(name: .customLong("group-by"), help: "Context keys to group by, comma separated.")
    var groupBy: String = "tenant_id,surface"
    @Flag(help: "Print the timings, join counts and every group as JSON.")
    var json = false

    func run() throws {
        let n = threads ?? defaultThreads()
        do {
            let reader = try DatasetReader(path: dataset)
            var joinTimes: [Double] = []
            var aggTimes: [Double] = []
            var join: DatasetJoin.Result? = nil
            var agg: VariantAggregate.Result? = nil
            for _ in 0..<max(1, repetitions) {
                var t = Terminal.now()
                join = try DatasetJoin.run(reader: reader, threads: n, experiment: experiment)
                joinTimes.append(Terminal.now() - t)
                t = Terminal.now()
                agg = try VariantAggregate.run(
                    reader: reader, threads: n, experiment: experiment,
                    groupBy: groupBy.split(separator: ",").map(String.init))
                aggTimes.append(Terminal.now() - t)
            }
            let c = join!.counts
            func line(_ name: String, _ times: [Double], rows: Int, bytes: Int) -> String {
                let m = BenchFormat.median(times)
                let rate = Double(rows) / m / 1e6
                let gbs = Double(bytes) / m / 1e9
                return
                    "\(name.padding(16)) median \(BenchFormat.fmt(m, 3)) s (of \(times.count)), \(BenchFormat.fmt(rate, 2)) M exposure rows/s, \(BenchFormat.fmt(gbs, 2)) GB/s of columns\n"
            }
            var s = "dataset \(dataset): \(reader.partitionCount) partition(s), \(n) thread(s)\n"
            s += line("join", joinTimes, rows: c.exposureRows, bytes: join!.bytesTouched)
            s += line("join+aggregate", aggTimes, rows: agg!.exposureRows, bytes: agg!.bytesTouched)
            s += "join: \(c.exposureRows) exposure rows (\(c.duplicateExposures) duplicates, \(c.emptyExposures) empty), "
            s +=
                "\(c.outcomeRows) outcomes (\(c.orphanOutcomes) orphans, \(c.outcomesOnUnshownItems) on items not shown, \(c.outcomesBeforeExposure) before their exposure), "
            s +=
                "\(c.assignmentRows) assignments; exposure join rate \(BenchFormat.fmt(BenchFormat.rate(c.exposuresJoined, c.exposureRows), 6)), "
            s +=
                "outcome join rate \(BenchFormat.fmt(BenchFormat.rate(c.outcomesJoined, c.outcomeRows), 6)), assigned exposures \(c.assignedExposures)\n"
            var totals: [String: (Int, Int, Int, Int)] = [:]
            for g in agg!.groups {
                let t = totals[g.variant] ?? (0, 0, 0, 0)
                totals[g.variant] = (t.0 + g.requests, t.1 + g.items, t.2 + g.clickedRequests, t.3 + g.clicks)
            }
            for (v, t) in totals.sorted(by: { $0.key < $1.key }) {
                s +=
                    "variant \(v): \(t.0) requests, request CTR \(BenchFormat.fmt(BenchFormat.rate(t.2, t.0), 5)), item CTR \(BenchFormat.fmt(BenchFormat.rate(t.3, t.1), 6)) (\(agg!.groups.filter { $0.variant == v }.count) groups)\n"
            }
            if json {
                var j = "{\"dataset\":\(quote(dataset)),\"partitions\":\(reader.partitionCount),\"threads\":\(n),"
                j += "\"join_seconds\":[\(joinTimes.map { String($0) }.joined(separator: ","))],"
                j += "\"aggregate_seconds\":[\(aggTimes.map { String($0) }.joined(separator: ","))],"
                j +=
                    "\"exposure_rows\":\(c.exposureRows),\"join_bytes_touched\":\(join!.bytesTouched),\"aggregate_bytes_touched\":\(agg!.bytesTouched),"
                j +=
                    "\"join\":{\"duplicate_exposures\":\(c.duplicateExposures),\"exposures_joined\":\(c.exposuresJoined),\"outcome_rows\":\(c.outcomeRows),"
                j +=
                    "\"outcomes_joined\":\(c.outcomesJoined),\"orphan_outcomes\":\(c.orphanOutcomes),\"assignment_rows\":\(c.assignmentRows),"
                j += "\"assigned_exposures\":\(c.assignedExposures)},\"groups\":["
                j += agg!.groups.map { g in
                    "{\"variant\":\(quote(g.variant)),\"keys\":[\(g.keys.map { $0.map(quote) ?? "null" }.joined(separator: ","))],"
                        + "\"requests\":\(g.requests),\"items\":\(g.items),\"clicked_requests\":\(g.clickedRequests),\"clicks\":\(g.clicks)}"
                }.joined(separator: ",")
                j += "]}\n"
                Terminal.out(j)
            } else {
                Terminal.out(s)
            }
        } catch {
            Terminal.err("error: \(error)\n")
            throw ExitCode(1)
        }
    }

    func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if u.value < 0x20 {
                    out += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

}

struct BenchRankCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rank",
        abstract: "Ranking-metric throughput: precision, recall, hit rate, MAP, NDCG, MRR, coverage, novelty and diversity at k.",
        discussion: """
            Prints both definition sets: recsys-eval's (every first exposure is a case; precision \
            divides by min(k, list length)) and the IR convention (only requests with a relevant \
            item; P@k divides by k). Relevant items are those of outcomes whose event type is in \
            --events.
            """)

    @Argument(help: ArgumentHelp("Dataset file.", valueName: "DATASET"))
    var dataset: String
    @Option(help: "Cut-off k.")
    var k: Int = 10
    @Option(help: "Event types that make an item relevant, comma separated.")
    var events: String = "click,conversion"
    @Option(help: "Threads (default: all cores).")
    var threads: Int?
    @Option(name: .customLong("repeat"), help: "Repetitions.")
    var repetitions: Int = 3
    @Option(help: "Context keys whose value combinations form segments, comma separated.")
    var slice: String = ""

    func validate() throws {
        guard k >= 1 else { throw ValidationError("--k must be at least 1") }
    }

    func run() throws {
        let n = threads ?? defaultThreads()
        do {
            let reader = try DatasetReader(path: dataset)
            var times: [Double] = []
            var m: RankingMetrics? = nil
            for _ in 0..<max(1, repetitions) {
                let t = Terminal.now()
                m = try RankingMetrics.compute(
                    reader: reader, k: k, threads: n, relevantEvents: events.split(separator: ",").map(String.init),
                    sliceKeys: slice.split(separator: ",").map(String.init))
                times.append(Terminal.now() - t)
            }
            let med = times.sorted()[times.count / 2]
            var s = "dataset \(dataset): \(reader.partitionCount) partition(s), \(n) thread(s)\n"
            s +=
                "ranking metrics @\(k): median \((med * 1000).rounded() / 1000) s (of \(times.count)), \(((Double(m!.bytesTouched) / med / 1e9) * 100).rounded() / 100) GB/s of decoded values (only the scored lists' items)\n"
            for (name, v) in [("recsys-eval", m!.recsysEval), ("ir", m!.ir)] {
                s +=
                    "\(name.padding(12)) cases \(v.cases)  precision \(v.precision)  recall \(v.recall)  hitrate \(v.hitrate)  map \(v.map)  ndcg \(v.ndcg)  mrr \(v.mrr)\n"
            }
            let t = Terminal.now()
            let d = try DistributionMetrics.compute(
                reader: reader, k: k, threads: n, relevantEvents: events.split(separator: ",").map(String.init))
            let dt = Terminal.now() - t
            s +=
                "coverage@\(k) \(d.coverage)  novelty@\(k) \(d.novelty)  diversity@\(k) \(d.diversity)  (\((dt * 1000).rounded() / 1000) s)\n"
            if !slice.isEmpty {
                for seg in m!.segments {
                    s +=
                        "  \(seg.key.padding(40)) cases \(seg.recsysEval.cases)  precision \(seg.recsysEval.precision)  ndcg \(seg.recsysEval.ndcg)"
                    s += "  | ir cases \(seg.ir.cases)  ndcg \(seg.ir.ndcg)\n"
                }
            }
            Terminal.out(s)
        } catch {
            Terminal.err("error: \(error)\n")
            throw ExitCode(1)
        }
    }
}

struct BenchBootstrapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bootstrap",
        abstract: "Poisson bootstrap throughput: replicate sums over units with counter-based weights.",
        discussion: """
            Prepares one row per unit (not timed), then times the replicate kernel: for every \
            replicate, the weighted sums of each arm's columns, weights Poisson(1) from a hash of \
            (seed, replicate, unit). --unit request bootstraps the request-level CTR (a request \
            clicked or not) as tools/bench/bootstrap.py does with numpy and DuckDB; --unit user \
            bootstraps the user-level CTR (Σ clicks / Σ exposures over users). Reports the median \
            kernel seconds over --repeat runs and the candidate − control difference with its \
            95% percentile interval.
            """)

    @Argument(help: ArgumentHelp("Dataset file.", valueName: "DATASET"))
    var dataset: String
    @Option(help: "request or user.")
    var unit: String = "request"
    @Option(help: "Replicates.")
    var replicates: Int = 1000
    @Option(help: "Control and candidate variant names.")
    var arms: String = "control,candidate"
    @Option(help: "Experiment id (user units).")
    var experiment: String = ""
    @Option(help: "Threads (default: all cores).")
    var threads: Int?
    @Option(name: .customLong("repeat"), help: "Repetitions.")
    var repetitions: Int = 3
    @Option(help: "Seed of the weights.")
    var seed: UInt64 = 7
    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() throws {
        let n = threads ?? defaultThreads()
        do {
            let reader = try DatasetReader(path: dataset)
            var t = Terminal.now()
            let input: BootstrapInput
            switch unit {
            case "request": input = try BootstrapInput.requests(reader: reader, threads: n)
            case "user": input = try BootstrapInput.users(reader: reader, experiment: experiment, threads: n)
            default: throw ValidationError("--unit is request or user")
            }
            let load = Terminal.now() - t
            let names = arms.split(separator: ",").map(String.init)
            guard names.count == 2, let c = input.variants.firstIndex(of: names[0]), let v = input.variants.firstIndex(of: names[1]) else {
                throw ValidationError("--arms names two variants of the dataset (it has \(input.variants.joined(separator: ", ")))")
            }
            var times: [Double] = []
            var sums: [Double] = []
            for _ in 0..<max(1, repetitions) {
                t = Terminal.now()
                sums = try PoissonBootstrap.replicateSums(
                    units: input.keys, arm: input.arm, arms: input.variants.count, columns: input.columns, replicates: replicates,
                    seed: seed,
                    threads: n)
                times.append(Terminal.now() - t)
            }
            func ratio(_ arm: Int, _ r: Int) -> Double { sums[(arm * 2) * replicates + r] / sums[(arm * 2 + 1) * replicates + r] }
            let diffs = (0..<replicates).map { ratio(v, $0) - ratio(c, $0) }
            let ci = PoissonBootstrap.percentileInterval(diffs, level: 0.95) ?? (0, 0)
            var y = [0.0, 0.0]
            var d = [0.0, 0.0]
            for i in 0..<input.keys.count where input.arm[i] == Int32(c) || input.arm[i] == Int32(v) {
                let k = input.arm[i] == Int32(c) ? 0 : 1
                y[k] += input.columns[0][i]
                d[k] += input.columns[1][i]
            }
            let m = BenchFormat.median(times)
            let units = input.keys.count
            if json {
                print(
                    "{\"tool\": \"receval\", \"task\": \"boot_poisson_\(unit)\", \"threads\": \(n), \"seconds\": \(m), \"load_seconds\": \(load), \"replicates\": \(replicates), \"units\": \(units), \"answer\": {\"diff\": \(y[1] / d[1] - y[0] / d[0]), \"ci95\": [\(ci.lower), \(ci.upper)]}}"
                )
            } else {
                print("units \(units) (\(unit)), replicates \(replicates), threads \(n); preparing \(BenchFormat.fmt(load, 3)) s")
                print(
                    "kernel \(BenchFormat.fmt(m, 3)) s median of \(times.count): \(BenchFormat.fmt(Double(units) * Double(replicates) / m / 1e6, 0))M unit-replicates/s"
                )
                print("\(names[1]) - \(names[0]): \(y[1] / d[1] - y[0] / d[0]), 95% interval [\(ci.lower), \(ci.upper)]")
            }
        } catch let e as ValidationError {
            throw e
        } catch {
            Terminal.err("error: \(error)\n")
            throw ExitCode(1)
        }
    }
}
