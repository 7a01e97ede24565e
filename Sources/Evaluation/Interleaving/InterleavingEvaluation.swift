import ColumnarFormat
import ColumnarStorage
import Engine
import Ingest
import Reports
import Statistics

/// `--mode interleaving`: report.v1 with recsys-eval's `interleaving` keys (SPEC §10), from its
/// rank lists re-interleaved as it does, and receval's analysis in the new key
/// `interleaving_analysis`: wins, losses and ties, Δ_AB with a user-level bootstrap interval and
/// the exact sign test, credited with clicks and conversions; from logged team labels it also
/// reports per segment (docs/interleaving.md).
public enum InterleavingEvaluation {
    /// recsys-eval's input: two rankers' lists and the outcomes of the interleaved lists, read
    /// under `contract` (by default what recsys-eval's runtime reads).
    public static func run(
        rankerA: String, rankerB: String, outcomes: String, config c: InterleavingConfig, metadata: ReportMetadata, threads: Int,
        contract: IngestContract = .recsysEvalRuntime
    ) throws -> JSONValue {
        let (listsA, readingsA) = try RankListReader.readRankLists(path: rankerA, contract: contract)
        let (listsB, readingsB) = try RankListReader.readRankLists(path: rankerB, contract: contract)
        let (events, readingsO) = try RankListReader.readOutcomes(path: outcomes, contract: contract)
        var a: [String: RankList] = [:]
        var b: [String: RankList] = [:]
        for l in listsA { a[l.requestID] = l }
        for l in listsB { b[l.requestID] = l }
        var byRequest: [String: [InterleavingOutcome]] = [:]
        for e in events { byRequest[e.requestID, default: []].append(e) }
        let requests = a.keys.filter { b[$0] != nil }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var rng = GoRandom(seed: c.seed)
        let interleaver = Interleaver(algorithm: Interleaver.Algorithm(name: c.algorithm), maxResults: c.maxResults)
        var compat = InterleavingScan.Tally()
        var tally = InterleavingScan.Tally()
        var userIndex: [String: Int] = [:]
        var userCounts: [Double] = []
        var hangsAvoided = 0
        var outcomesCredited = 0
        var outcomesOffList = 0
        for id in requests {
            let result = interleaver.interleave(a[id]!.items, b[id]!.items, rng: &rng)
            hangsAvoided += result.hangsAvoided
            var team: [String: Interleaver.Team] = [:]
            for (item, t) in zip(result.items, result.teams) { team[item] = t }
            var clicks = [0, 0]
            var conversions = [0, 0]
            for e in byRequest[id] ?? [] {
                guard let t = team[e.itemID] else {
                    outcomesOffList += 1
                    continue
                }
                outcomesCredited += 1
                let i = t == .a ? 0 : 1
                // recsys-eval: strings.ToLower(event_type) == "click"; other event types are not credited.
                if GoCaseFolding.lowercases(e.eventType, to: "click") { clicks[i] += 1 }
                if GoCaseFolding.lowercases(e.eventType, to: "conversion") { conversions[i] += 1 }
            }
            compat.requests += 1
            if clicks[0] > clicks[1] { compat.winsA += 1 } else if clicks[1] > clicks[0] { compat.winsB += 1 } else { compat.ties += 1 }
            let t = InterleavingScan.Tally(request: clicks, conversions: conversions, credit: scanCredit(c.analysis.credit))
            tally.merge(t)
            let user = a[id]!.userID
            if userIndex[user] == nil {
                userIndex[user] = userCounts.count / 3
                userCounts += [0, 0, 0]
            }
            let u = userIndex[user]! * 3
            userCounts[u] += 1
            userCounts[u + 1] += Double(t.winsA)
            userCounts[u + 2] += Double(t.winsB)
        }
        // Units: users in first-seen order of the sorted requests, keyed by a hash of the id so the
        // bootstrap does not depend on that order.
        let userIDs = userIndex.sorted { $0.value < $1.value }.map { XXH64.hash(Array($0.key.utf8)) }
        var top = metadata.header(mode: "interleaving")
        top.append(("summary", DataQualitySection.summary(cases: compat.requests, outcomeJoinRate: nil)))
        top.append(("interleaving", compatSection(compat, algorithm: c.algorithm)))
        var analysis = analysisMembers(
            tally, users: try UserSums(users: userIDs, userCounts: userCounts, config: c, threads: threads), config: c,
            source: "re-interleaved rank lists (recsys-eval's input)")
        analysis.append(("hangs_avoided", .number(Double(hangsAvoided))))
        top.append(("interleaving_analysis", .object(analysis)))
        top.append(
            (
                "interleaving_data_quality",
                .object(
                    [
                        ("lists_a", .number(Double(listsA.count))), ("lists_b", .number(Double(listsB.count))),
                        ("duplicate_request_ids_a", .number(Double(listsA.count - a.count))),
                        ("duplicate_request_ids_b", .number(Double(listsB.count - b.count))),
                        ("requests_in_both", .number(Double(requests.count))),
                        ("requests_only_in_a", .number(Double(a.count - requests.count))),
                        ("requests_only_in_b", .number(Double(b.count - requests.count))),
                        ("outcomes", .number(Double(events.count))), ("outcomes_credited", .number(Double(outcomesCredited))),
                        ("outcomes_on_items_not_shown", .number(Double(outcomesOffList))),
                        ("outcomes_on_requests_not_interleaved", .number(Double(events.count - outcomesCredited - outcomesOffList))),
                    ]
                        + runtimeReadings(
                            [("ranker_a", rankerA, readingsA), ("ranker_b", rankerB, readingsB), ("outcomes", outcomes, readingsO)],
                            contract: contract))
            ))
        var warnings: [String] = []
        if hangsAvoided > 0 {
            warnings.append(
                "balanced interleaving: \(hangsAvoided) picks fell to the other team because the team the counts chose had no item left (recsys-eval does not terminate on these lists)"
            )
        }
        if !warnings.isEmpty { top.append(("warnings", .array(warnings.map { .string($0) }))) }
        return .object(top)
    }

    /// Under the runtime contract, the inputs' lines read the runtime's way, by kind, as
    /// `data_quality.ingest.runtime_readings` counts them for logs that are ingested.
    static func runtimeReadings(_ inputs: [(name: String, path: String, readings: InputReadings)], contract: IngestContract)
        -> [(String, JSONValue)]
    {
        guard contract == .recsysEvalRuntime else { return [] }
        let kinds = inputs.flatMap { input in
            input.readings.kinds.map { k in
                EvaluationRun.runtimeReading(
                    ("input", input.name), k.reading, rows: k.lines, source: input.path, line: k.firstLine, field: k.firstField)
            }
        }
        return [("runtime_readings", .array(kinds))]
    }

    /// receval's input at scale: exposures whose shown items carry the team that supplied them.
    public static func run(reader: DatasetReader, config c: InterleavingConfig, metadata: ReportMetadata, threads: Int) throws -> JSONValue
    {
        try runWithMessages(reader: reader, config: c, metadata: metadata, threads: threads).report
    }

    /// The same, with lines for standard error. When more users than `unitsPerPart` (by default,
    /// as many as `UnitParts.budget` holds) have labelled requests, their per-user counts are
    /// taken in parts: ranges of user codes, each scanned on its own, whose user-level sums (the
    /// bootstrap's replicate sums among them) go on from part to part in user order, so the
    /// report is the same bytes.
    public static func runWithMessages(
        reader: DatasetReader, config c: InterleavingConfig, metadata: ReportMetadata, threads: Int, unitsPerPart: Int? = nil
    ) throws -> (report: JSONValue, messages: [String]) {
        var o = options(c)
        let userCount = try UnitParts.users(reader)
        let ranges = UnitParts.ranges(users: userCount, perPart: unitsPerPart ?? Self.unitsPerPart(budget: UnitParts.budget))
        guard ranges.count > 1 else {
            let scan = try InterleavingScan.run(reader: reader, options: o, threads: threads)
            return (try finish(scan, config: c, metadata: metadata, threads: threads), [])
        }
        o.units = ranges[0]
        var scan = try InterleavingScan.run(reader: reader, options: o, threads: threads)
        var users = try UserSums(users: scan.users, userCounts: scan.userCounts, config: c, threads: threads)
        scan.users = []
        scan.userCounts = []
        for range in ranges.dropFirst() {
            o.units = range
            let part = try InterleavingScan.run(reader: reader, options: o, threads: threads)
            users = try UserSums(users: part.users, userCounts: part.userCounts, config: c, threads: threads, continuing: users)
        }
        let message =
            "interleaving: the per-user counts of \(ReadableNumber.count(userCount)) users were taken in \(ranges.count) parts of at most \(ReadableNumber.count(ranges[0].count)) to fit the memory budget (one pass over the dataset per part)"
        return (try finish(scan, users: users, config: c, metadata: metadata), [message])
    }

    /// Users per part for a budget of `budget` bytes: 12 bytes per user code of the part for the
    /// scan's counts, and for each user with labelled requests its key and three counts (32
    /// bytes), the bootstrap's two columns and their unit-major copy (32 bytes).
    public static func unitsPerPart(budget: Int) -> Int {
        precondition(budget > 0, "a budget")
        return max(1 << 16, budget / 76)
    }

    /// The user-level sums of the analysis: users with labelled requests, those whose wins lean
    /// to A or to B, and the bootstrap's replicate sums of (requests, wins B − wins A), made over
    /// users in the order given and, with `continuing`, going on from an earlier part's.
    struct UserSums {
        var count = 0
        var preferA = 0
        var preferB = 0
        /// `replicates[r]`: Σ w·requests; `replicates[B + r]`: Σ w·(wins B − wins A).
        var replicates: [Double] = []

        init(users: [UInt64], userCounts: [Double], config c: InterleavingConfig, threads: Int, continuing previous: UserSums? = nil)
            throws
        {
            precondition(userCounts.count == 3 * users.count, "three counts per user")
            let u = users.count
            var n = [Double](repeating: 0, count: u)
            var diff = [Double](repeating: 0, count: u)
            count = (previous?.count ?? 0) + u
            preferA = previous?.preferA ?? 0
            preferB = previous?.preferB ?? 0
            for i in 0..<u {
                n[i] = userCounts[3 * i]
                diff[i] = userCounts[3 * i + 2] - userCounts[3 * i + 1]
                if diff[i] < 0 { preferA += 1 } else if diff[i] > 0 { preferB += 1 }
            }
            replicates = try PoissonBootstrap.replicateSums(
                units: users, arm: [Int32](repeating: 0, count: u), arms: 1, columns: [n, diff], replicates: c.analysis.bootstrapIterations,
                seed: UInt64(truncatingIfNeeded: c.analysis.bootstrapSeed), threads: threads, continuing: previous?.replicates)
        }
    }

    /// The scan's options from the config.
    public static func options(_ c: InterleavingConfig) -> InterleavingScan.Options {
        var o = InterleavingScan.Options()
        o.teamField = c.analysis.teamField
        o.teamContextKey = c.analysis.teamContextKey
        o.teamA = c.analysis.teamA
        o.teamB = c.analysis.teamB
        o.credit = scanCredit(c.analysis.credit)
        o.sliceKeys = c.analysis.sliceKeys
        return o
    }

    /// The report from a finished scan of logged team labels: one run's, or shards' states merged.
    public static func finish(_ scan: InterleavingScan, config c: InterleavingConfig, metadata: ReportMetadata, threads: Int) throws
        -> JSONValue
    {
        try finish(
            scan, users: try UserSums(users: scan.users, userCounts: scan.userCounts, config: c, threads: threads), config: c,
            metadata: metadata)
    }

    /// The report from a scan's tallies and the user-level sums of every user (`users`: taken
    /// from the scan, or from its parts).
    static func finish(_ scan: InterleavingScan, users: UserSums, config c: InterleavingConfig, metadata: ReportMetadata) throws
        -> JSONValue
    {
        guard scan.global.requests > 0 else {
            throw ConfigError(
                file: "dataset",
                "no interleaved exposures: no shown item carries a team (item field `\(c.analysis.teamField)` or context key `\(c.analysis.teamContextKey)` with \(c.analysis.teamA) / \(c.analysis.teamB))"
            )
        }
        var top = metadata.header(mode: "interleaving")
        let outcomeJoin = DataQualitySection.rate(scan.counts.outcomesJoined, scan.counts.outcomeRows)
        top.append(("summary", DataQualitySection.summary(cases: scan.global.requests, outcomeJoinRate: outcomeJoin)))
        var analysis = analysisMembers(scan.global, users: users, config: c, source: "logged team labels")
        if !scan.segments.isEmpty {
            analysis.append(
                ("by_segment", .array(scan.segments.map { .object([("segment", .string($0.key))] + scopeMembers($0.tally, c)) })))
        }
        analysis.append(
            (
                "labels",
                .object([
                    ("unlabelled_requests", .number(Double(scan.unlabelledRequests))),
                    ("unlabelled_items", .number(Double(scan.unlabelledItems))),
                    ("unknown_team_items", .number(Double(scan.unknownTeamItems))),
                ])
            ))
        top.append(("interleaving_analysis", .object(analysis)))
        top.append(("data_quality", DataQualitySection.json(scan.counts, assignmentRows: nil)))
        var warnings: [String] = []
        if scan.unlabelledRequests > 0 {
            warnings.append("\(scan.unlabelledRequests) requests have no team labels and are left out")
        }
        if scan.unknownTeamItems > 0 {
            warnings.append(
                "\(scan.unknownTeamItems) shown items name a team other than \(c.analysis.teamA) or \(c.analysis.teamB); their outcomes credit nobody"
            )
        }
        if !warnings.isEmpty { top.append(("warnings", .array(warnings.map { .string($0) }))) }
        return .object(top)
    }

    static func scanCredit(_ c: InterleavingConfig.Analysis.Credit) -> InterleavingScan.Options.Credit {
        switch c {
        case .click: return .click
        case .conversion: return .conversion
        case .both: return .both
        }
    }

    static func compatSection(_ t: InterleavingScan.Tally, algorithm: String) -> JSONValue {
        let n = t.winsA + t.winsB
        var p = 1.0
        var rateA = 0.0
        var rateB = 0.0
        if n > 0 {
            let z = (Double(t.winsA) - Double(n) / 2) / (Double(n) / 4).squareRoot()
            p = min(1, max(0, 2 * (1 - Normal.cdf(abs(z)))))
            rateA = Double(t.winsA) / Double(n)
            rateB = Double(t.winsB) / Double(n)
        }
        var m: [(String, JSONValue)] = [
            ("algorithm", .string(algorithm)), ("ranker_a", .string("A")), ("ranker_b", .string("B")),
            ("requests", .number(Double(t.requests))), ("wins_a", .number(Double(t.winsA))), ("wins_b", .number(Double(t.winsB))),
            ("ties", .number(Double(t.ties))), ("win_rate_a", .number(rateA)), ("win_rate_b", .number(rateB)),
        ]
        if p != 0 { m.append(("p_value", .number(p))) }
        return .object(m)
    }

    /// Δ_AB = (wins_B + ties/2) / N − 0.5 (Chapelle et al. 2012): positive when B is preferred.
    static func delta(_ t: InterleavingScan.Tally) -> Double {
        t.requests == 0 ? 0 : (Double(t.winsB) + Double(t.ties) / 2) / Double(t.requests) - 0.5
    }

    static func scopeMembers(_ t: InterleavingScan.Tally, _ c: InterleavingConfig) -> [(String, JSONValue)] {
        let d = delta(t)
        let p = SignTest.twoSidedP(t.winsA, t.winsB)
        let preferred = p < 1 - c.analysis.level ? (t.winsB > t.winsA ? "B" : "A") : "none"
        return [
            ("requests", .number(Double(t.requests))), ("wins_a", .number(Double(t.winsA))), ("wins_b", .number(Double(t.winsB))),
            ("ties", .number(Double(t.ties))), ("delta_ab", .number(d)), ("sign_test_p", .number(p)), ("preferred", .string(preferred)),
        ]
    }

    static func analysisMembers(_ t: InterleavingScan.Tally, users: UserSums, config c: InterleavingConfig, source: String)
        -> [(String, JSONValue)]
    {
        var m: [(String, JSONValue)] = [
            ("source", .string(source)), ("credit", .string(c.analysis.credit.rawValue)), ("team_a", .string(c.analysis.teamA)),
            ("team_b", .string(c.analysis.teamB)),
        ]
        m += scopeMembers(t, c)
        // User-level bootstrap of Δ_AB = Σ(wins_B − wins_A) / (2 Σ requests).
        if users.count > 0 {
            let reps = c.analysis.bootstrapIterations
            let sums = users.replicates
            let replicates = (0..<reps).compactMap { r in sums[r] > 0 ? sums[reps + r] / (2 * sums[r]) : nil }
            if let ci = PoissonBootstrap.percentileInterval(replicates, level: c.analysis.level) {
                m.append(
                    (
                        "delta_ab_ci",
                        .object([
                            ("lower", .number(ci.lower)), ("upper", .number(ci.upper)), ("level", .number(c.analysis.level)),
                            ("unit", .string("user")), ("iterations", .number(Double(reps))),
                            ("seed", .number(Double(c.analysis.bootstrapSeed))),
                        ])
                    ))
            }
            m.append(
                (
                    "users",
                    .object([
                        ("count", .number(Double(users.count))), ("prefer_a", .number(Double(users.preferA))),
                        ("prefer_b", .number(Double(users.preferB))),
                        ("tied", .number(Double(users.count - users.preferA - users.preferB))),
                    ])
                ))
        }
        m.append(
            (
                "credits",
                .object([
                    ("clicks_a", .number(Double(t.clicksA))), ("clicks_b", .number(Double(t.clicksB))),
                    ("conversions_a", .number(Double(t.conversionsA))), ("conversions_b", .number(Double(t.conversionsB))),
                ])
            ))
        m.append(
            (
                "outcomes",
                .array([
                    .object([("name", .string("wins A")), ("value", .number(Double(t.winsA)))]),
                    .object([("name", .string("ties")), ("value", .number(Double(t.ties)))]),
                    .object([("name", .string("wins B")), ("value", .number(Double(t.winsB)))]),
                ])
            ))
        return m
    }
}
