import ColumnarFormat
import ColumnarStorage
import Engine
import Evaluation
import Foundation
import Reports
import Statistics
import TestSupport
import Testing

/// `--mode monitor` on logs written here (not the generator's): requests, error, empty and click
/// rates per (day, surface) and fairness deltas per day equal a direct computation over the
/// JSONL records; latency p95 is the nearest-rank value exactly; a latency regression planted in
/// one model version breaches its objective (exit 4) and nothing else does; shards and separately
/// ingested slices merge into the single run's report.
@Suite struct MonitorTests {
    struct Request {
        var id: String
        var seconds: Int64
        var offsetMinutes: Int
        var surface: String?
        var device: String
        var version: String
        var latency: Double?
        var error: Bool?
        var items: [Int]
    }

    /// Deterministic random requests over three days (2026-03-01..03 UTC): timestamps written
    /// with offsets, surfaces sometimes absent, empty lists, latencies absent or with decimals,
    /// errors absent, true or false; and a 3% of re-logged request ids later in the file, with
    /// another latency, which must not count.
    static func requests(seed: UInt64, regression: Bool) -> [Request] {
        var g = SplitMix(seed)
        let start: Int64 = 1_772_323_200  // 2026-03-01T00:00:00Z
        var out: [Request] = []
        for i in 0..<1500 {
            let version = g.int(100) < 30 ? "v2" : "v1"
            var latency: Double? = g.int(10) == 0 ? nil : Double(20 + g.int(200)) + (g.int(2) == 0 ? 0 : Double(g.int(10)) / 10)
            if regression, version == "v2", let l = latency { latency = l + 300 }
            out.append(
                Request(
                    id: "q\(i)", seconds: start + Int64(g.int(3 * 86_400)), offsetMinutes: [0, 0, 120, -300][g.int(4)],
                    surface: g.int(20) == 0 ? nil : ["home", "search", "pdp"][g.int(3)], device: ["ios", "android", "web"][g.int(3)],
                    version: version, latency: latency, error: g.int(10) == 0 ? nil : g.int(30) == 0,
                    items: g.int(20) == 0 ? [] : (0..<(1 + g.int(5))).map { _ in g.int(200) }))
        }
        return out
    }

    struct SplitMix {
        var state: UInt64
        init(_ seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    static func time(_ seconds: Int64, offset: Int) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(secondsFromGMT: offset * 60)
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    /// The logs as JSONL in a new folder; clicks and conversions for some requests, and outcomes
    /// of unknown requests.
    static func write(_ requests: [Request], seed: UInt64) throws -> String {
        let dir = try TestDirectory.make("monitor")
        var g = SplitMix(seed ^ 0xABCD)
        func line(_ r: Request, latency: Double?) -> String {
            var context = ["\"device\":\"\(r.device)\"", "\"model_version\":\"\(r.version)\""]
            if let s = r.surface { context.append("\"surface\":\"\(s)\"") }
            var s =
                "{\"request_id\":\"\(r.id)\",\"user_id\":\"u\(Int(r.id.dropFirst())! % 64)\",\"ts\":\"\(time(r.seconds, offset: r.offsetMinutes))\","
            s += "\"items\":[" + r.items.enumerated().map { "{\"item_id\":\"i\($1)\",\"rank\":\($0 + 1)}" }.joined(separator: ",") + "]"
            s += ",\"context\":{" + context.joined(separator: ",") + "}"
            if let latency { s += ",\"latency_ms\":\(latency)" }
            if let e = r.error { s += ",\"error\":\(e)" }
            return s + "}"
        }
        var exposures = requests.map { line($0, latency: $0.latency) }
        for r in requests where g.int(33) == 0 { exposures.append(line(r, latency: 9999)) }
        var outcomes: [String] = []
        for r in requests {
            let kind = g.int(100)
            let shown = r.items.first.map { "i\($0)" } ?? "i0"
            if kind < 9 {
                for _ in 0...(kind % 2) {
                    outcomes.append(
                        "{\"request_id\":\"\(r.id)\",\"user_id\":\"u1\",\"item_id\":\"\(shown)\",\"event_type\":\"click\",\"ts\":\"\(time(r.seconds + 5, offset: 0))\"}"
                    )
                }
            }
            if kind >= 9 && kind < 12 {
                outcomes.append(
                    "{\"request_id\":\"\(r.id)\",\"user_id\":\"u1\",\"item_id\":\"\(shown)\",\"event_type\":\"conversion\",\"ts\":\"\(time(r.seconds + 9, offset: 0))\"}"
                )
            }
        }
        outcomes.append(
            "{\"request_id\":\"nobody\",\"user_id\":\"u1\",\"item_id\":\"i1\",\"event_type\":\"click\",\"ts\":\"2026-03-01T00:00:00Z\"}")
        try (exposures.joined(separator: "\n") + "\n").write(toFile: dir + "/exposures.jsonl", atomically: true, encoding: .utf8)
        try (outcomes.joined(separator: "\n") + "\n").write(toFile: dir + "/outcomes.jsonl", atomically: true, encoding: .utf8)
        try "".write(toFile: dir + "/assignments.jsonl", atomically: true, encoding: .utf8)
        return dir
    }

    static func clicked(_ dir: String) throws -> (clicked: Set<String>, converted: Set<String>) {
        let text = try String(contentsOfFile: dir + "/outcomes.jsonl", encoding: .utf8)
        var clicked = Set<String>()
        var converted = Set<String>()
        for line in text.split(separator: "\n") {
            let id = String(line.split(separator: "\"")[3])
            if line.contains("\"click\"") { clicked.insert(id) } else { converted.insert(id) }
        }
        return (clicked, converted)
    }

    static func run(_ yaml: String, dataset path: String) throws -> EvaluationRun.Result {
        try EvaluationRun.run(try StateMergeTests.request(yaml, mode: "monitor", dataset: path))
    }

    static let dailyBySurface = """
        mode: monitor
        monitor:
          window: 1d
          group_by: [surface]
          fairness: {key: device, metric: ctr, min_cohort: 50}
        """

    @Test func dailyRatesBySurfaceAreExact() throws {
        let requests = Self.requests(seed: 5, regression: false)
        let dir = try Self.write(requests, seed: 5)
        let (clicked, converted) = try Self.clicked(dir)
        let path = try OfflineParityTests.ingest(dir, partitions: 4).path
        let result = try Self.run(Self.dailyBySurface, dataset: path)
        #expect(result.status == .success)
        let series = result.report["monitor"]?["series"]?.arrayItems ?? []

        // The direct computation: per UTC day and surface (nil: absent), and per day.
        struct Key: Hashable {
            var day: Int64
            var surface: String??
        }
        var groups: [Key: [Request]] = [:]
        for r in requests {
            let day = r.seconds / 86_400 * 86_400
            groups[Key(day: day, surface: .some(r.surface)), default: []].append(r)
            groups[Key(day: day, surface: .none), default: []].append(r)
        }
        #expect(series.count == groups.count)
        for row in series {
            let start = row["window_start"]!.stringValue!
            let day = Int64(ISO8601DateFormatter().date(from: start)!.timeIntervalSince1970)
            let members = row["group"]?.objectMembers ?? []
            let surface: String?? = members.isEmpty ? .none : .some(members[0].1.stringValue)
            guard let rs = groups[Key(day: day, surface: surface)] else {
                Issue.record("no such group: \(start) \(members)")
                continue
            }
            let n = Double(rs.count)
            #expect(row["requests"]?.numberValue == n)
            #expect(row["error_rate"]?.numberValue == Double(rs.filter { $0.error == true }.count) / n)
            #expect(row["empty_rate"]?.numberValue == Double(rs.filter { $0.items.isEmpty }.count) / n)
            #expect(row["ctr"]?.numberValue == Double(rs.filter { clicked.contains($0.id) }.count) / n)
            #expect(row["cvr"]?.numberValue == Double(rs.filter { converted.contains($0.id) }.count) / n)
            let latencies = rs.compactMap(\.latency).sorted()
            // Nearest rank: the ⌈0.95·n⌉-th smallest.
            let rank = Int((Double(latencies.count) * 95 / 100).rounded(.up))
            #expect(row["latency_ms"]?["p95"]?.numberValue == latencies[rank - 1], "\(start) \(members)")
            #expect(row["latency_ms"]?["samples"]?.numberValue == Double(latencies.count))
        }

        // Fairness: per day, the ctr of every device, and max − min.
        let windows = result.report["monitor"]?["fairness"]?["windows"]?.arrayItems ?? []
        #expect(windows.count == 3)
        for w in windows {
            let day = Int64(ISO8601DateFormatter().date(from: w["window_start"]!.stringValue!)!.timeIntervalSince1970)
            let rs = requests.filter { $0.seconds / 86_400 * 86_400 == day }
            var rates: [String: Double] = [:]
            for d in ["android", "ios", "web"] {
                let c = rs.filter { $0.device == d }
                rates[d] = Double(c.filter { clicked.contains($0.id) }.count) / Double(c.count)
            }
            #expect(w["delta"]?.numberValue == rates.values.max()! - rates.values.min()!)
            #expect(w["max_cohort"]?.stringValue == rates.max { $0.value < $1.value }?.key)
            let cohorts = w["cohorts"]?.arrayItems ?? []
            #expect(cohorts.map { $0["value"]?.stringValue } == ["android", "ios", "web"])
            for c in cohorts { #expect(c["ctr"]?.numberValue == rates[c["value"]!.stringValue!]) }
            let ci = w["delta_ci"]
            #expect((ci?["lower"]?.numberValue ?? 1) < (ci?["upper"]?.numberValue ?? 0))
        }
    }

    static let sloByVersion = """
        mode: monitor
        monitor:
          window: 1d
          group_by: [model_version]
          slo: {latency_p95_ms: 280, error_rate: 0.2}
        """

    @Test func aPlantedLatencyRegressionBreachesOnlyItsVersion() throws {
        let clean = try OfflineParityTests.ingest(try Self.write(Self.requests(seed: 9, regression: false), seed: 9), partitions: 3).path
        let ok = try Self.run(Self.sloByVersion, dataset: clean)
        #expect(ok.status == .success)
        #expect(ok.report["monitor"]?["slo"]?["breaches"]?.arrayItems.isEmpty == true)
        #expect(ok.report["monitor"]?["slo"]?["status"]?.stringValue == "ok")

        let bad = try OfflineParityTests.ingest(try Self.write(Self.requests(seed: 9, regression: true), seed: 9), partitions: 3).path
        let result = try Self.run(Self.sloByVersion, dataset: bad)
        #expect(result.status == .checkFailed)
        #expect(result.status.rawValue == 4)
        let breaches = result.report["monitor"]?["slo"]?["breaches"]?.arrayItems ?? []
        // v2 breaches every day; v1 never; the whole window may (v2 is 30% of requests).
        let v2 = breaches.filter { $0["group"]?["model_version"]?.stringValue == "v2" }
        #expect(v2.count == 3)
        #expect(!breaches.contains { $0["group"]?["model_version"]?.stringValue == "v1" })
        #expect(breaches.allSatisfy { $0["sli"]?.stringValue == "latency_p95_ms" && ($0["value"]?.numberValue ?? 0) > 280 })
        #expect(result.messages.contains { $0.hasPrefix("SLO breach: latency_p95_ms") && $0.contains("(v2)") })
        let html = ReportRenderer.html(result.report)
        #expect(html.contains("SLO breach"))
        #expect(html.contains("latency p95 (ms)"))
        // An objective near the largest double still draws (the axis is not padded past it).
        let huge = try Self.run("mode: monitor\nmonitor: {window: 1d, slo: {latency_p95_ms: 1.7e308}}\n", dataset: bad)
        #expect(ReportRenderer.html(huge.report).contains("<svg"))
    }

    static let everything = """
        mode: monitor
        monitor:
          window: 6h
          group_by: [model_version, surface]
          slo: {latency_p95_ms: 200, ctr_min: 0.01, coverage_min: 0.05}
          fairness: {key: device, metric: ctr}
          drift: {reference: first, keys: [surface, device], items: true}
          exploration: {context_key: model_version}
        """

    @Test func shardsAndSlicesMergeToTheWholeRun() throws {
        let dir = try Self.write(Self.requests(seed: 3, regression: true), seed: 3)
        let path = try OfflineParityTests.ingest(dir, partitions: 8).path
        let whole = try Self.run(Self.everything, dataset: path).report
        #expect(whole["monitor"]?["drift"]?["windows"]?.arrayItems.count == 12)
        #expect(whole["monitor"]?["drift"]?["reference_window"]?.stringValue == "2026-03-01T00:00:00Z")
        for n in [1, 3, 8] {
            let states = try (0..<n).map {
                try StateMergeTests.state(
                    Self.everything, mode: "monitor", dataset: path, shard: PartitionShard(index: $0, count: n), name: "m\($0)")
            }
            #expect(try StateMergeTests.merge(Self.everything, states.reversed()).serialized() == whole.serialized(), "\(n) shards")
        }
        let slices = try (0..<3).map { k in
            try StateMergeTests.state(
                Self.everything, mode: "monitor",
                dataset: try OfflineParityTests.ingest(try StateMergeTests.slice(k, of: 3, from: dir)).path,
                shard: .whole, name: "slice\(k)")
        }
        guard case .object(let a) = whole, case .object(let b) = try StateMergeTests.merge(Self.everything, slices) else { return }
        #expect(zip(a, b).filter { $0.0 != $1.0 || $0.1 != $1.1 }.map(\.0.0) == ["effective_config", "input_dataset_fingerprint"])
        // One thread or two: the same bytes.
        var one = try StateMergeTests.request(Self.everything, mode: "monitor", dataset: path)
        one.threads = 1
        #expect(try EvaluationRun.run(one).report.serialized() == whole.serialized())
    }

    @Test func configErrorsNameTheKey() throws {
        func message(_ yaml: String) -> String {
            do {
                _ = try EvalConfig.parse(yaml, file: "m.yaml")
                return ""
            } catch { return "\(error)" }
        }
        #expect(message("mode: monitor\nmonitor: {window: 90x}").contains("monitor.window"))
        #expect(message("mode: monitor\nmonitor: {slo: {latency_p96_ms: 3}}").contains("monitor.slo.latency_p96_ms"))
        #expect(message("mode: monitor\nmonitor: {fairness: {key: device, metric: latency_p95_ms}}").contains("share of requests"))
        #expect(message("mode: monitor\nmonitor: {drift: {reference: last, items: true}}").contains("monitor.drift.reference"))
        #expect(message("mode: monitor\nmonitor: {slo: {exploration_rate: 0.5}}").contains("monitor.exploration"))
        #expect(message("mode: monitor\nmonitor: {window: 1h, group_by: [a, b]}").isEmpty)
    }

    @Test func divergencesByHand() throws {
        // PSI with half a count per category: p = (10.5, 0.5)/11, q = (5.5, 5.5)/11.
        let psi = Divergence.psi([10, 0], [5, 5])!
        let expected = (10.5 - 5.5) / 11 * log(10.5 / 5.5) + (0.5 - 5.5) / 11 * log(0.5 / 5.5)
        #expect(abs(psi - expected) < 1e-12)
        #expect(Divergence.psi([3, 4, 0], [3, 4, 0]) == 0)
        #expect(Divergence.psi([0, 0], [1, 2]) == nil)
        #expect(Divergence.jensenShannon([1, 0], [0, 1]) == 1)
        #expect(Divergence.jensenShannon([2, 2], [5, 5]) == 0)
        // P = (1/2, 1/2), Q = (1, 0): M = (3/4, 1/4); ½·(½log₂(2/3) + ½log₂2) + ½·log₂(4/3).
        let js = 0.5 * (0.5 * log2(0.5 / 0.75) + 0.5 * log2(0.5 / 0.25)) + 0.5 * log2(1 / 0.75)
        #expect(abs(Divergence.jensenShannon([1, 1], [2, 0])! - js) < 1e-12)
        #expect(Divergence.psiByChance([10, 10, 0], [5, 15, 0]) == 1 * (1.0 / 20 + 1.0 / 20))
    }

    @Test func hyperLogLogEstimatesAndMergesAsAUnion() throws {
        func sketch(_ range: Range<Int>) -> HyperLogLog {
            var s = HyperLogLog()
            for i in range { s.add(hash: XXH64.hash(Array("item\(i)".utf8))) }
            return s
        }
        #expect(HyperLogLog().estimate == 0)
        for n in [10, 1000, 100_000] {
            let e = sketch(0..<n).estimate
            #expect(abs(e - Double(n)) / Double(n) < 0.05, "\(n): \(e)")
        }
        var a = sketch(0..<6000)
        a.merge(sketch(4000..<9000))
        #expect(a == sketch(0..<9000))
        #expect(HyperLogLog(registers: [UInt8](repeating: 70, count: 4096)) == nil)
    }

    /// Cohorts with equal rates: the highest and the lowest are two different cohorts (the first
    /// and the last in byte order), never one cohort against itself.
    @Test func fairnessTiesCompareTwoCohorts() throws {
        let requests = (0..<6).map { i in
            Request(
                id: "t\(i)", seconds: 1_772_323_200 + Int64(i), offsetMinutes: 0, surface: "home", device: i < 2 ? "a" : "b",
                version: "v1", latency: 10, error: false, items: [1])
        }
        let dir = try Self.write(requests, seed: 1)
        // Clicks on t0 (a: 1 of 2) and t2, t3 (b: 2 of 4): both 0.5.
        let outcomes = ["t0", "t2", "t3"].map {
            "{\"request_id\":\"\($0)\",\"user_id\":\"u1\",\"item_id\":\"i1\",\"event_type\":\"click\",\"ts\":\"2026-03-01T00:00:09Z\"}"
        }
        try (outcomes.joined(separator: "\n") + "\n").write(toFile: dir + "/outcomes.jsonl", atomically: true, encoding: .utf8)
        let yaml = "mode: monitor\nmonitor: {window: 1d, fairness: {key: device, metric: ctr}}\n"
        let w = try Self.run(yaml, dataset: try OfflineParityTests.ingest(dir).path).report["monitor"]?["fairness"]?["windows"]?
            .arrayItems.first
        #expect(w?["delta"]?.numberValue == 0)
        #expect(w?["max_cohort"]?.stringValue == "a")
        #expect(w?["min_cohort"]?.stringValue == "b")
    }

    /// A crafted monitor state body: decoding refuses what finishing could not handle.
    @Test func craftedStatesAreRefused() throws {
        func body(window: Int64, latency: Double = 5, driftBins: Int = 0) -> [UInt8] {
            var e = StateEncoder()
            e.int(3600)
            e.count(1)
            e.int(Int(window))
            e.u8(0)
            e.count(0)
            e.ints([1, 0, 0, 0, 0, 0, 1, 0])
            var counts = ValueCounts()
            counts.add(latency)
            e.valueCounts(counts)
            e.bool(false)
            e.bool(false)
            e.count(1)
            e.int(Int(window))
            e.ints([Int](repeating: 0, count: driftBins))
            e.int(1)
            e.count(0)
            e.bool(false)
            e.int(0)
            JoinCounts().encode(to: &e)
            return e.bytes
        }
        func decodes(_ b: [UInt8]) -> Bool {
            var d = StateDecoder(b, context: "test")
            return (try? MonitorState(from: &d)) != nil
        }
        let hour: Int64 = 1_772_323_200_000_000
        #expect(decodes(body(window: hour)))
        #expect(!decodes(body(window: Int64.max - 5)))
        #expect(!decodes(body(window: Int64.min)))
        #expect(!decodes(body(window: hour + 1)))
        #expect(!decodes(body(window: hour, latency: .infinity)))
        // Two states whose drift counts have other shapes do not merge.
        var d1 = StateDecoder(body(window: hour), context: "a")
        var d2 = StateDecoder(body(window: hour, driftBins: 1024), context: "b")
        let a = try MonitorState(from: &d1)
        let b = try MonitorState(from: &d2)
        #expect(throws: ExperimentState.Mismatch.self) { try MonitorState.merged(a, b) }
    }

    /// Latencies logged at high precision: a cell beyond 4,096 distinct values is rounded to 3
    /// significant digits (p95 within 0.5% of the exact nearest rank, `exact: false`), and shards
    /// that each stay below the limit merge into the same rounded cell as one run.
    @Test func preciseLatenciesAreBoundedAndStillMerge() throws {
        var g = SplitMix(77)
        let requests = (0..<6000).map { i in
            Request(
                id: "p\(i)", seconds: 1_772_323_200 + Int64(g.int(86_400)), offsetMinutes: 0, surface: "home", device: "ios",
                version: "v1", latency: 20 + Double(g.int(1_000_000)) / 7919, error: false, items: [1])
        }
        let dir = try Self.write(requests, seed: 2)
        let path = try OfflineParityTests.ingest(dir, partitions: 8).path
        let yaml = "mode: monitor\nmonitor: {window: 1d}\n"
        let whole = try Self.run(yaml, dataset: path).report
        let row = whole["monitor"]?["series"]?.arrayItems.first
        #expect(row?["latency_ms"]?["exact"]?.boolValue == false)
        let sorted = requests.compactMap(\.latency).sorted()
        let exact = sorted[Int((Double(sorted.count) * 0.95).rounded(.up)) - 1]
        let p95 = row?["latency_ms"]?["p95"]?.numberValue ?? 0
        #expect(abs(p95 - exact) / exact <= 0.005, "\(p95) against \(exact)")
        let states = try (0..<3).map {
            try StateMergeTests.state(yaml, mode: "monitor", dataset: path, shard: PartitionShard(index: $0, count: 3), name: "p\($0)")
        }
        #expect(try StateMergeTests.merge(yaml, states).serialized() == whole.serialized())
    }

    /// `monitor.range`: only requests whose exposure time lies in the range are monitored.
    @Test func aRangeKeepsItsRequestsOnly() throws {
        let requests = Self.requests(seed: 5, regression: false)
        let path = try OfflineParityTests.ingest(try Self.write(requests, seed: 5), partitions: 2).path
        let yaml = """
            mode: monitor
            monitor: {window: 1d, range: {start: "2026-03-02T00:00:00Z", end: "2026-03-02T23:59:59.999999999Z"}}
            """
        let series = try Self.run(yaml, dataset: path).report["monitor"]?["series"]?.arrayItems ?? []
        #expect(series.count == 1)
        #expect(series.first?["window_start"]?.stringValue == "2026-03-02T00:00:00Z")
        let day: Int64 = 1_772_323_200 + 86_400
        #expect(series.first?["requests"]?.numberValue == Double(requests.filter { $0.seconds / 86_400 * 86_400 == day }.count))
    }

    /// Under recsys-eval's runtime contract (`receval run` over JSONL), an exposure without `ts`
    /// is kept with Go's zero time, which means no time: the monitor counts it in
    /// `untimed_requests`, warns, and puts it in no window.
    @Test func exposuresWithoutTimeAreInNoWindow() throws {
        let dir = try TestDirectory.make("monitor")
        let exposures = [
            #"{"request_id":"a","user_id":"u","ts":"2026-03-01T10:00:00Z","items":[{"item_id":"i","rank":1}],"latency_ms":5}"#,
            #"{"request_id":"b","user_id":"u","items":[{"item_id":"i","rank":1}],"latency_ms":7}"#,
        ]
        try (exposures.joined(separator: "\n") + "\n").write(toFile: dir + "/exposures.jsonl", atomically: true, encoding: .utf8)
        try "".write(toFile: dir + "/outcomes.jsonl", atomically: true, encoding: .utf8)
        let dataset = try DatasetConfig.parse(
            "exposures: {type: jsonl, path: exposures.jsonl}\noutcomes: {type: jsonl, path: outcomes.jsonl}\n", file: "d.yaml",
            directory: dir)
        var r = EvaluationRun.Request(
            eval: try EvalConfig.parse("mode: monitor\nmonitor: {window: 1d}\n", file: "m.yaml"), configName: "m.yaml", modeFlag: nil,
            dataset: dataset, threads: 2, createdAt: "2025-01-01T00:00:00Z", binaryVersion: "test", scratchDirectory: dir)
        r.ingest = .init(maxRejectRate: 1, rejectsPath: nil, contract: .recsysEvalRuntime)
        let report = try EvaluationRun.run(r).report
        #expect(report["monitor"]?["summary"]?["untimed_requests"]?.numberValue == 1)
        #expect(report["monitor"]?["series"]?.arrayItems.map { $0["requests"]?.numberValue } == [1])
        #expect(report["warnings"]?.arrayItems.contains { $0.stringValue?.contains("no time") == true } == true)
    }

}
