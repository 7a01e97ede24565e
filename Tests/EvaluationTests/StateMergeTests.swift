import ColumnarStorage
import Evaluation
import Foundation
import Ingest
import Reports
import Testing

/// `run --shard I/N --state-out` and `merge`: states of shards, written and read back as files,
/// merged in any order give the report one run over the whole dataset gives, byte for byte;
/// states of separately ingested slices of the logs give it too (fingerprint and effective
/// config aside); and states that cannot make that report are refused with a message.
/// The data: the experiment fixture with crossover users, duplicate exposures, re-assignments and
/// mixed-case experiment ids (`Fixtures/experiment-units`).
@Suite struct StateMergeTests {
    static let created = "2025-01-01T00:00:00Z"

    static let configs: [(name: String, mode: String, yaml: String)] = [
        (
            "user units, CUPED, bootstrap", "experiment",
            """
            mode: experiment
            experiment:
              experiment_id: exp_units
              control_variant: control
              slice_keys: [device]
              primary_metrics: [ctr, revenue_per_user]
              cuped: {enabled: true, covariate_key: pre_period_ctr}
              srm: {enabled: true, slice_keys: [device]}
              analysis: {bootstrap: {enabled: true, iterations: 100, seed: 7}}
            """
        ),
        (
            "pre-period", "experiment",
            """
            mode: experiment
            experiment:
              experiment_id: exp_units
              control_variant: control
              slice_keys: [device]
              cuped: {enabled: true, pre_period: {start: "2026-03-01T00:00:00Z", end: "2026-03-03T00:00:00Z"}}
            """
        ),
        (
            "request units", "experiment",
            """
            mode: experiment
            experiment:
              experiment_id: exp_units
              control_variant: control
              slice_keys: [device]
              analysis: {unit: request, bootstrap: {enabled: true, iterations: 50, seed: 3}}
            """
        ),
        (
            "A/A check", "aa-check",
            """
            mode: experiment
            experiment:
              experiment_id: exp_units
              control_variant: control
              aa_check: {enabled: true}
            """
        ),
    ]

    /// A dataset config naming one ingested dataset.
    static func datasetConfig(_ path: String) -> DatasetConfig {
        let s = DatasetConfig.Source(type: "receval", path: path)
        return DatasetConfig(exposures: s, outcomes: s, assignments: s)
    }

    static func request(_ yaml: String, mode: String, dataset: String, shard: PartitionShard = .whole) throws -> EvaluationRun.Request {
        var r = EvaluationRun.Request(
            eval: try EvalConfig.parse(yaml, file: "e.yaml"), configName: "e.yaml", modeFlag: mode, dataset: datasetConfig(dataset),
            threads: 2, createdAt: created, binaryVersion: "test", scratchDirectory: NSTemporaryDirectory())
        r.shard = shard
        return r
    }

    /// The state of one shard, through its file's bytes.
    static func state(_ yaml: String, mode: String, dataset: String, shard: PartitionShard, name: String) throws -> (
        path: String, state: EvaluationState
    ) {
        let s = try EvaluationRun.state(try request(yaml, mode: mode, dataset: dataset, shard: shard))
        let bytes = StateFile.encode(s)
        return (name, try bytes.withUnsafeBytes { try StateFile.decode($0, path: name) })
    }

    static func merge(_ yaml: String, mode: String? = nil, _ states: [(path: String, state: EvaluationState)]) throws -> JSONValue {
        try StateMerge.run(
            StateMerge.Request(
                eval: try EvalConfig.parse(yaml, file: "e.yaml"), configName: "e.yaml", modeFlag: mode, states: states, threads: 2,
                createdAt: created, binaryVersion: "test")
        ).report
    }

    @Test(arguments: 0..<configs.count)
    func shardsMergeToTheWholeRun(config: Int) throws {
        let (_, mode, yaml) = Self.configs[config]
        let path = try UnitAnalysisTests.ingest(partitions: 8).path
        let whole = try EvaluationRun.run(try Self.request(yaml, mode: mode, dataset: path)).report.serialized()
        for n in [1, 3, 8] {
            let states = try (0..<n).map {
                try Self.state(yaml, mode: mode, dataset: path, shard: PartitionShard(index: $0, count: n), name: "s\($0).state")
            }
            #expect(try Self.merge(yaml, states).serialized() == whole, "\(n) shards")
            #expect(try Self.merge(yaml, states.reversed()).serialized() == whole, "\(n) shards, reversed")
        }
        #expect(whole.contains("\"experiment_units\""))
    }

    /// Writes the fixture's rows whose request id hashes to `slice` of `count` into a folder.
    static func slice(_ slice: Int, of count: Int) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("receval-slice-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for table in ["exposures", "outcomes", "assignments"] {
            let text = try String(contentsOfFile: UnitAnalysisTests.dir + "/\(table).jsonl", encoding: .utf8)
            let kept = text.split(separator: "\n").filter { line in
                guard let r = line.range(of: "\"request_id\":\"") else { return slice == 0 }
                let id = line[r.upperBound...].prefix { $0 != "\"" }
                return Int(id.utf8.reduce(UInt32(7)) { $0 &* 31 &+ UInt32($1) } % UInt32(count)) == slice
            }
            try (kept.joined(separator: "\n") + "\n").write(toFile: dir + "/\(table).jsonl", atomically: true, encoding: .utf8)
        }
        return dir
    }

    /// Each machine ingests its own requests: the merged report is the single-box report, but for
    /// the dataset fingerprint and the effective config (which name the datasets).
    @Test(arguments: [0, 1, 3])
    func separatelyIngestedSlicesMergeToTheWholeRun(config: Int) throws {
        let (_, mode, yaml) = Self.configs[config]
        let whole = try EvaluationRun.run(try Self.request(yaml, mode: mode, dataset: try UnitAnalysisTests.ingest(partitions: 4).path))
            .report
        let states = try (0..<3).map { k in
            let reader = try OfflineParityTests.ingest(try Self.slice(k, of: 3), partitions: k + 1)
            return try Self.state(yaml, mode: mode, dataset: reader.path, shard: .whole, name: "slice\(k).state")
        }
        #expect(Set(states.map(\.state.datasetID)).count == 3)
        let merged = try Self.merge(yaml, [states[2], states[0], states[1]])
        var differing: [String] = []
        guard case .object(let a) = whole, case .object(let b) = merged else { return }
        for ((ka, va), (kb, vb)) in zip(a, b) where ka != kb || va != vb { differing.append(ka) }
        #expect(a.count == b.count)
        #expect(differing == ["effective_config", "input_dataset_fingerprint"])
    }

    @Test func requestUnitsDoNotMergeAcrossDatasets() throws {
        let (_, mode, yaml) = Self.configs[2]
        let states = try (0..<2).map { k in
            try Self.state(
                yaml, mode: mode, dataset: try OfflineParityTests.ingest(try Self.slice(k, of: 2)).path, shard: .whole, name: "r\(k)")
        }
        #expect(throws: MergeError.self) { try Self.merge(yaml, states) }
    }

    /// What cannot make the whole run's report is refused, naming the file and what is wrong.
    @Test func refusesStatesThatCannotMakeTheReport() throws {
        let (_, mode, yaml) = Self.configs[0]
        let path = try UnitAnalysisTests.ingest(partitions: 6).path
        let states = try (0..<3).map {
            try Self.state(yaml, mode: mode, dataset: path, shard: PartitionShard(index: $0, count: 3), name: "s\($0).state")
        }
        func message(_ body: () throws -> Void) -> String {
            do {
                try body()
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(message { _ = try Self.merge(yaml, [states[0], states[2]]) }.contains("shard 1/3 missing"))
        #expect(message { _ = try Self.merge(yaml, states + [states[1]]) }.contains("shard 1/3 is given 2 times"))
        let other = try Self.state(yaml, mode: mode, dataset: path, shard: PartitionShard(index: 0, count: 2), name: "t0.state")
        #expect(message { _ = try Self.merge(yaml, states + [other]) }.contains("one split per dataset"))
        let changed = yaml.replacingOccurrences(of: "seed: 7", with: "seed: 8")
        #expect(message { _ = try Self.merge(changed, states) }.contains("s0.state was computed under another config"))
        #expect(message { _ = try Self.merge(yaml, mode: "offline", states) }.contains("--mode offline disagrees"))
        let aa = try Self.state(Self.configs[3].yaml, mode: "aa-check", dataset: path, shard: .whole, name: "aa.state")
        #expect(message { _ = try Self.merge(yaml, [states[0], aa]) }.contains("merge states of one mode"))

        // Damaged files: every truncation, and a flipped byte anywhere, are errors, never a trap.
        let bytes = StateFile.encode(states[1].state)
        for cut in [0, 7, 20, bytes.count / 2, bytes.count - 9, bytes.count - 1] {
            #expect(
                message { _ = try Array(bytes[..<cut]).withUnsafeBytes { try StateFile.decode($0, path: "cut.state") } }
                    .contains("cut.state"))
        }
        for at in stride(from: 8, to: bytes.count, by: max(1, bytes.count / 40)) {
            var flipped = bytes
            flipped[at] ^= 0x20
            #expect(message { _ = try flipped.withUnsafeBytes { try StateFile.decode($0, path: "bad.state") } }.contains("bad.state"))
        }
        let report = Array("{\"mode\":\"experiment\"}".utf8)
        #expect(
            message { _ = try report.withUnsafeBytes { try StateFile.decode($0, path: "r.json") } }.contains(
                "r.json is not a receval state"))
    }
}
