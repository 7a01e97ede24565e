import ColumnarStorage
import Evaluation
import Foundation
import Reports
import Statistics
import TestSupport
import Testing

/// Interleaving: recsys-eval parity (golden, extra scenarios, CLI run), its measured reference
/// interleavings, termination on every input, and crediting of logged team labels checked by hand.
@Suite struct InterleavingTests {
    static let fixtures = OfflineParityTests.fixtures
    static let tiny = OfflineParityTests.datasets + "/tiny"
    static let metadata = ReportMetadata(
        runID: "interleave-20250101T000000Z", createdAt: "2025-01-01T00:00:00Z", binaryVersion: "test", gitCommit: "deadbeef",
        effectiveConfig: nil, datasetFingerprint: "")

    static func compatOnly(_ v: JSONValue) -> JSONValue {
        guard case .object(let m) = v else { return v }
        return .object(m.filter { !["interleaving_analysis", "interleaving_data_quality", "warnings"].contains($0.0) })
    }

    @Test(arguments: [
        ("golden_interleaving", "golden_interleaving.yaml"), ("extra_interleaving_balanced", "extra_interleaving_balanced.yaml"),
        ("extra_interleaving_optimized", "extra_interleaving_optimized.yaml"), ("interleaving_default", "interleaving.default.yaml"),
    ])
    func parity(expected: String, config: String) throws {
        let eval = try EvalConfig.parse(try String(contentsOfFile: Self.fixtures + "/configs/" + config, encoding: .utf8), file: config)
        let report = try InterleavingEvaluation.run(
            rankerA: Self.tiny + "/ranker_a.jsonl", rankerB: Self.tiny + "/ranker_b.jsonl",
            outcomes: Self.tiny + "/outcomes_interleaving.jsonl",
            config: eval.interleaving, metadata: Self.metadata, threads: 2)
        let want = try OfflineParityTests.read(Self.fixtures + "/expected/\(expected).json")
        #expect(OfflineParityTests.differences(Self.compatOnly(report), want) == [])
        #expect(report["interleaving_analysis"]?["hangs_avoided"] == .number(0))
    }

    /// recsys-eval SPEC §10, measured with Go: A = [a,b,c,d], B = [c,e,a,f], seeds 42 and 1 — all
    /// three algorithms give [c,a,e,b] with teams [B,A,B,A].
    @Test func measuredReference() {
        for seed: Int64 in [42, 1] {
            for algorithm in [Interleaver.Algorithm.teamDraft, .balanced, .optimized] {
                var rng = GoRandom(seed: seed)
                let r = Interleaver(algorithm: algorithm, maxResults: 0).interleave(["a", "b", "c", "d"], ["c", "e", "a", "f"], rng: &rng)
                #expect(r.items == ["c", "a", "e", "b"], "\(algorithm) seed \(seed)")
                #expect(r.teams == [.b, .a, .b, .a])
            }
        }
    }

    /// The inputs on which recsys-eval's balanced interleaving never returns, and random lists of
    /// every shape: each algorithm ends with distinct items, as many as the limit and the union allow.
    @Test func terminatesOnEveryInput() {
        var rng = GoRandom(seed: 7)
        var hang = GoRandom(seed: 42)
        let balanced = Interleaver(algorithm: .balanced, maxResults: 4).interleave(["a"], ["b", "c", "d"], rng: &hang)
        #expect(balanced.items == ["a", "b", "c", "d"] || balanced.items.sorted() == ["a", "b", "c", "d"])
        #expect(balanced.hangsAvoided > 0)
        let overlap = Interleaver(algorithm: .balanced, maxResults: 0).interleave(["a", "b"], ["a", "b", "c", "d"], rng: &hang)
        #expect(overlap.items.sorted() == ["a", "b", "c", "d"])
        for _ in 0..<3000 {
            let pool = (0..<8).map { "i\($0)" }
            let a = (0..<rng.intn(6)).map { _ in pool[rng.intn(8)] }
            let b = (0..<rng.intn(6)).map { _ in pool[rng.intn(8)] }
            let limit = rng.intn(7)
            for algorithm in [Interleaver.Algorithm.teamDraft, .balanced, .optimized] {
                var draws = GoRandom(seed: Int64(rng.intn(1000)))
                let r = Interleaver(algorithm: algorithm, maxResults: limit).interleave(a, b, rng: &draws)
                let union = Set(a + b).count
                let cap = limit > 0 ? limit : max(a.count, b.count)
                #expect(Set(r.items).count == r.items.count)
                #expect(r.items.count <= cap)
                if algorithm != .teamDraft { #expect(r.items.count == min(cap, union), "\(algorithm) \(a) \(b) \(limit)") }
                #expect(r.teams.count == r.items.count)
            }
        }
    }

    /// Logged team labels, credited by hand: r1 (item field teams) A clicked twice vs B once ⇒ A;
    /// r2 (context labels) B clicked ⇒ B; r3 no clicks ⇒ tie; r4 a conversion on A with credit
    /// click ⇒ tie, with credit both ⇒ A; r5 a duplicate exposure of r1 is ignored; r6 has no labels.
    @Test func loggedTeamLabels() throws {
        let dir = try TestDirectory.make("interleaving")
        func item(_ id: String, _ rank: Int, _ team: String?) -> String {
            "{\"item_id\":\"\(id)\",\"rank\":\(rank)" + (team.map { ",\"team\":\"\($0)\"" } ?? "") + "}"
        }
        func exposure(_ r: String, _ u: String, _ items: [String], context: String = "{\"surface\":\"home\"}") -> String {
            "{\"request_id\":\"\(r)\",\"user_id\":\"\(u)\",\"ts\":\"2025-01-01T00:00:00Z\",\"items\":[\(items.joined(separator: ","))],\"context\":\(context)}"
        }
        let exposures = [
            exposure("r1", "u1", [item("x", 1, "A"), item("y", 2, "B"), item("z", 3, "A")]),
            exposure(
                "r2", "u1", [item("x", 2, nil), item("y", 1, nil)], context: "{\"surface\":\"search\",\"interleaving_teams\":\"B,A\"}"),
            exposure("r3", "u2", [item("x", 1, "B"), item("y", 2, "A")]),
            exposure("r4", "u3", [item("x", 1, "A"), item("y", 2, "B")], context: "{\"surface\":\"search\"}"),
            exposure("r1", "u1", [item("x", 1, "B"), item("y", 2, "A")]),
            exposure("r6", "u4", [item("x", 1, nil)]),
        ]
        func outcome(_ r: String, _ i: String, _ e: String) -> String {
            "{\"request_id\":\"\(r)\",\"user_id\":\"u\",\"item_id\":\"\(i)\",\"event_type\":\"\(e)\",\"ts\":\"2025-01-01T00:00:01Z\"}"
        }
        let outcomes = [
            outcome("r1", "x", "click"), outcome("r1", "z", "click"), outcome("r1", "y", "click"), outcome("r2", "y", "click"),
            outcome("r4", "x", "conversion"), outcome("r6", "x", "click"),
        ]
        try (exposures.joined(separator: "\n") + "\n").write(toFile: dir + "/exposures.jsonl", atomically: true, encoding: .utf8)
        try (outcomes.joined(separator: "\n") + "\n").write(toFile: dir + "/outcomes.jsonl", atomically: true, encoding: .utf8)
        try "".write(toFile: dir + "/assignments.jsonl", atomically: true, encoding: .utf8)
        for partitions in [1, 3] {
            let reader = try OfflineParityTests.ingest(dir, partitions: partitions)
            var c = InterleavingConfig()
            c.analysis.sliceKeys = ["surface"]
            let report = try InterleavingEvaluation.run(reader: reader, config: c, metadata: Self.metadata, threads: 2)
            let a = report["interleaving_analysis"]!
            // r2: y is ranked first, so the labels B,A give y to B.
            #expect(a["requests"] == .number(4))
            #expect(a["wins_a"] == .number(1))
            #expect(a["wins_b"] == .number(1))
            #expect(a["ties"] == .number(2))
            #expect(a["delta_ab"] == .number(0))
            #expect(a["sign_test_p"] == .number(1))
            #expect(a["credits"]?["clicks_a"] == .number(2))
            #expect(a["credits"]?["clicks_b"] == .number(2))
            #expect(a["credits"]?["conversions_a"] == .number(1))
            #expect(a["labels"]?["unlabelled_requests"] == .number(1))
            #expect(a["users"]?["count"] == .number(3))
            let segments = a["by_segment"]!.arrayItems
            #expect(segments.map { $0["segment"] } == [.string("surface=home"), .string("surface=search")])
            #expect(segments[0]["wins_a"] == .number(1) && segments[0]["ties"] == .number(1))
            #expect(segments[1]["wins_b"] == .number(1) && segments[1]["ties"] == .number(1))
            c.analysis.credit = .both
            let both = try InterleavingEvaluation.run(reader: reader, config: c, metadata: Self.metadata, threads: 1)
            #expect(both["interleaving_analysis"]?["wins_a"] == .number(2))
            #expect(both["interleaving_analysis"]?["delta_ab"] == .number(-0.125))
        }
    }

    /// Δ_AB's user-level bootstrap interval is deterministic and brackets the estimate.
    @Test func deltaIntervalIsDeterministic() throws {
        var c = InterleavingConfig()
        c.analysis.bootstrapIterations = 400
        let run = {
            try InterleavingEvaluation.run(
                rankerA: Self.tiny + "/ranker_a.jsonl", rankerB: Self.tiny + "/ranker_b.jsonl",
                outcomes: Self.tiny + "/outcomes_interleaving.jsonl", config: c, metadata: Self.metadata, threads: 2)
        }
        let a = try run()
        let b = try run()
        #expect(a.serialized() == b.serialized())
        let ci = a["interleaving_analysis"]?["delta_ab_ci"]
        let d = a["interleaving_analysis"]?["delta_ab"]?.numberValue ?? .nan
        #expect((ci?["lower"]?.numberValue ?? .nan) <= d && d <= (ci?["upper"]?.numberValue ?? .nan))
    }

    /// Users taken in parts (ranges of user codes, one scan each) give the same bytes as all of
    /// them at once, on generated logs with team labels: for parts of one user up to more than
    /// all of them, on 1 and 2 threads, and a run in parts says so on standard error.
    @Test func usersInPartsChangeNothing() throws {
        let reader = try OfflineParityTests.ingest(StateMergeTests.generate(teams: true), partitions: 3)
        var c = InterleavingConfig()
        c.analysis.sliceKeys = ["surface"]
        c.analysis.bootstrapIterations = 90
        let whole = try InterleavingEvaluation.runWithMessages(reader: reader, config: c, metadata: Self.metadata, threads: 2)
        #expect(whole.messages.isEmpty)
        let users = Int(whole.report["interleaving_analysis"]?["users"]?["count"]?.numberValue ?? 0)
        let total = try reader.dictionary("user_id").count
        #expect(users > 50 && whole.report["interleaving_analysis"]?["delta_ab_ci"] != nil)
        for (perPart, threads) in [(1, 1), (3, 2), (17, 2), (total - 1, 1), (total, 2)] {
            let parts = try InterleavingEvaluation.runWithMessages(
                reader: reader, config: c, metadata: Self.metadata, threads: threads, unitsPerPart: perPart)
            #expect(parts.report.serialized() == whole.report.serialized(), "\(perPart) users per part")
            let count = (total + perPart - 1) / perPart
            #expect(parts.messages.isEmpty == (count == 1), "\(parts.messages)")
            if count > 1 { #expect(parts.messages.first?.contains("taken in \(count) parts") == true, "\(parts.messages)") }
        }
    }
}
