import ColumnarStorage
import Engine
import Evaluation
import Foundation
import Ingest
import LogGenerator
import Reports
import TestSupport
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
                eval: try EvalConfig.parse(yaml, file: "e.yaml"), configName: "e.yaml", modeFlag: mode,
                states: states.map { StateSource.memory($0.state, name: $0.path) }, threads: 2,
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
    static func slice(_ slice: Int, of count: Int, from source: String = UnitAnalysisTests.dir) throws -> String {
        let dir = try TestDirectory.make("slice")
        for table in ["exposures", "outcomes", "assignments"] {
            let text = try String(contentsOfFile: source + "/\(table).jsonl", encoding: .utf8)
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
        // Files: headers are read first, bodies one at a time as they merge.
        let dir = try TestDirectory.make("states")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var files: [StateSource] = []
        for (i, s) in states.enumerated() {
            _ = try StateFile.write(s.state, to: dir + "/s\(i).state")
            files.append(try StateSource.file(dir + "/s\(i).state"))
        }
        #expect(files.map(\.header) == states.map(\.state.header))
        let fromFiles = try StateMerge.run(
            StateMerge.Request(
                eval: try EvalConfig.parse(yaml, file: "e.yaml"), configName: "e.yaml", modeFlag: nil, states: files, threads: 2,
                createdAt: Self.created, binaryVersion: "test")
        ).report
        #expect(fromFiles.serialized() == (try Self.merge(yaml, states)).serialized())
        try Array(bytes[..<(bytes.count / 3)]).withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: dir + "/cut.state")) }
        #expect(message { _ = try StateSource.file(dir + "/cut.state") }.contains("truncated"))
        let report = Array("{\"mode\":\"experiment\"}".utf8)
        #expect(
            message { _ = try report.withUnsafeBytes { try StateFile.decode($0, path: "r.json") } }.contains(
                "r.json is not a receval state"))
    }

    // OPE: two rounds (pass one's counts merged into a model, then pass two with it).

    /// Generated all-fields logs (propensities, reward estimates, contexts), written once.
    static let generated = generate(teams: false)
    /// The same with an interleaving team on every shown item.
    static let generatedWithTeams = generate(teams: true)

    static func generate(teams: Bool) -> String {
        let dir = try! TestDirectory.make("gen-logs")
        var config = LogGeneratorConfig(exposures: 3000, seed: 11)
        config.allFields = true
        config.interleavingTeams = teams
        var files: [LogTable: FileHandle] = [:]
        for t in LogTable.allCases {
            _ = FileManager.default.createFile(atPath: dir + "/" + t.fileName, contents: nil)
            files[t] = FileHandle(forWritingAtPath: dir + "/" + t.fileName)!
        }
        _ = LogGenerator(config).generate { t, bytes in files[t]!.write(Data(bytes)) }
        for f in files.values { try? f.close() }
        return dir
    }

    static let opeConfigs: [String] = [
        """
        mode: ope
        ope:
          reward_event: click
          unit: request
          clipping: 10
          enable_snips: true
          enable_dr: true
          position_discount: log2
          analysis: {reward: click, reward_model: fitted, slice_keys: [surface, tenant_id], bootstrap: {enabled: true, iterations: 60, seed: 5}}
        """,
        """
        mode: ope
        ope:
          reward_event: conversion
          unit: item
          top_k: 3
          enable_dr: true
          analysis: {reward: value, reward_model: logged, slice_keys: [device]}
        """,
        """
        mode: ope
        ope: {reward_event: click, unit: item, clipping: 5, enable_snips: true, analysis: {enabled: false}}
        """,
    ]

    /// Round one of every shard, merged into a model; round two of every shard with it.
    static func opeStates(_ yaml: String, datasets: [(path: String, shards: Int)], order: [Int]? = nil) throws -> [(
        path: String, state: EvaluationState
    )] {
        var first: [(path: String, state: EvaluationState)] = []
        for (d, (path, n)) in datasets.enumerated() {
            for i in 0..<n {
                first.append(try state(yaml, mode: "ope", dataset: path, shard: PartitionShard(index: i, count: n), name: "c\(d)-\(i)"))
            }
        }
        let merging = StateMerge.Request(
            eval: try EvalConfig.parse(yaml, file: "e.yaml"), configName: "e.yaml", modeFlag: nil,
            states: first.reversed().map { StateSource.memory($0.state, name: $0.path) }, threads: 2,
            createdAt: created, binaryVersion: "test")
        let merged = try StateMerge.merge(merging).0
        let model = (
            path: "model.state", state: try StateFile.encode(merged).withUnsafeBytes { try StateFile.decode($0, path: "model.state") }
        )
        var second: [(path: String, state: EvaluationState)] = []
        for (d, (path, n)) in datasets.enumerated() {
            for i in 0..<n {
                let s = try EvaluationRun.state(
                    try request(yaml, mode: "ope", dataset: path, shard: PartitionShard(index: i, count: n)), model: model)
                second.append(
                    (path: "e\(d)-\(i)", state: try StateFile.encode(s).withUnsafeBytes { try StateFile.decode($0, path: "e\(d)-\(i)") }))
            }
        }
        return second
    }

    @Test(arguments: 0..<opeConfigs.count)
    func opeShardsInTwoRoundsMergeToTheWholeRun(config: Int) throws {
        let yaml = Self.opeConfigs[config]
        let path = try OfflineParityTests.ingest(Self.generated, partitions: 8).path
        let whole = try EvaluationRun.run(try Self.request(yaml, mode: "ope", dataset: path)).report.serialized()
        for n in [1, 3] {
            let states = try Self.opeStates(yaml, datasets: [(path, n)])
            #expect(try Self.merge(yaml, states).serialized() == whole, "\(n) shards")
            #expect(try Self.merge(yaml, states.reversed()).serialized() == whole, "\(n) shards, reversed")
        }
        #expect(whole.contains("\"ope\""))
    }

    @Test func opeSeparatelyIngestedSlicesMergeToTheWholeRun() throws {
        let yaml = Self.opeConfigs[0]
        let whole = try EvaluationRun.run(
            try Self.request(yaml, mode: "ope", dataset: try OfflineParityTests.ingest(Self.generated, partitions: 4).path)
        ).report
        let slices = try (0..<3).map { k in
            (
                path: try OfflineParityTests.ingest(try Self.slice(k, of: 3, from: Self.generated), partitions: k + 2).path,
                shards: k == 1 ? 2 : 1
            )
        }
        let merged = try Self.merge(yaml, try Self.opeStates(yaml, datasets: slices))
        guard case .object(let a) = whole, case .object(let b) = merged else { return }
        #expect(a.count == b.count)
        #expect(zip(a, b).filter { $0.0 != $1.0 || $0.1 != $1.1 }.map(\.0.0) == ["effective_config", "input_dataset_fingerprint"])
    }

    @Test func opeRoundsAreChecked() throws {
        let yaml = Self.opeConfigs[0]
        let path = try OfflineParityTests.ingest(Self.generated, partitions: 4).path
        let first = try (0..<2).map {
            try Self.state(yaml, mode: "ope", dataset: path, shard: PartitionShard(index: $0, count: 2), name: "c\($0)")
        }
        func message(_ body: () throws -> Void) -> String {
            do {
                try body()
                return "no error"
            } catch { return "\(error)" }
        }
        // First rounds do not finish into a report; a shard's own first round is not a model.
        #expect(message { _ = try Self.merge(yaml, first) }.contains("first-round states"))
        #expect(
            message {
                _ = try EvaluationRun.state(
                    try Self.request(yaml, mode: "ope", dataset: path, shard: PartitionShard(index: 0, count: 2)), model: first[0])
            }
            .contains("is not an OPE model"))
        // Second rounds computed with different models do not merge.
        let other = try Self.opeStates(
            yaml, datasets: [(try OfflineParityTests.ingest(try Self.slice(0, of: 2, from: Self.generated)).path, 1)])
        let second = try Self.opeStates(yaml, datasets: [(path, 2)])
        #expect(message { _ = try Self.merge(yaml, [second[0], other[0]]) }.contains("different models"))
    }

    // Offline: ranking sums per k and segment, the case bootstrap, distribution counts per item.

    static let offlineConfigs: [String] = [
        """
        mode: offline
        offline:
          metrics:
            - {name: ndcg, k: 10}
            - {name: precision, k: 5}
            - {name: map, k: 10}
            - {name: coverage, k: 10}
            - {name: novelty, k: 10}
            - {name: diversity, k: 5}
          slice_keys: [surface, device]
          bootstrap: {enabled: true, iterations: 40, seed: 4}
        """,
        """
        mode: offline
        offline:
          metrics: [{name: recall, k: 20}, {name: hitrate, k: 3}, {name: coverage, k: 3}]
          time_split:
            train: {start: "2026-01-01T00:00:00Z", end: "2026-01-27T00:00:00Z"}
            test: {start: "2026-01-27T00:00:00Z", end: "2026-01-27T12:00:00Z"}
        """,
    ]

    @Test(arguments: 0..<offlineConfigs.count)
    func offlineShardsMergeToTheWholeRun(config: Int) throws {
        let yaml = Self.offlineConfigs[config]
        let path = try OfflineParityTests.ingest(Self.generated, partitions: 8).path
        let whole = try EvaluationRun.run(try Self.request(yaml, mode: "offline", dataset: path)).report.serialized()
        for n in [1, 3, 8] {
            let states = try (0..<n).map {
                try Self.state(yaml, mode: "offline", dataset: path, shard: PartitionShard(index: $0, count: n), name: "o\($0).state")
            }
            #expect(try Self.merge(yaml, states).serialized() == whole, "\(n) shards")
            #expect(try Self.merge(yaml, states.reversed()).serialized() == whole, "\(n) shards, reversed")
        }
        #expect(whole.contains("\"offline\""))
    }

    @Test func offlineSeparatelyIngestedSlicesMergeToTheWholeRun() throws {
        let yaml = Self.offlineConfigs[0]
        let whole = try EvaluationRun.run(
            try Self.request(yaml, mode: "offline", dataset: try OfflineParityTests.ingest(Self.generated, partitions: 4).path)
        ).report
        let states = try (0..<3).map { k in
            try Self.state(
                yaml, mode: "offline", dataset: try OfflineParityTests.ingest(try Self.slice(k, of: 3, from: Self.generated)).path,
                shard: .whole, name: "slice\(k)")
        }
        let merged = try Self.merge(yaml, [states[1], states[2], states[0]])
        guard case .object(let a) = whole, case .object(let b) = merged else { return }
        #expect(a.count == b.count)
        #expect(zip(a, b).filter { $0.0 != $1.0 || $0.1 != $1.1 }.map(\.0.0) == ["effective_config", "input_dataset_fingerprint"])
        #expect(whole["offline"]?["metrics"]?.arrayItems.first?["ci"] != nil)
    }

    // Interleaving of logged team labels.

    static let interleavingConfig = """
        mode: interleaving
        interleaving:
          analysis: {credit: click, team_field: team, slice_keys: [surface, device], bootstrap: {iterations: 100, seed: 42}}
        """

    @Test func interleavingShardsAndSlicesMergeToTheWholeRun() throws {
        let yaml = Self.interleavingConfig
        let path = try OfflineParityTests.ingest(Self.generatedWithTeams, partitions: 8).path
        let whole = try EvaluationRun.run(try Self.request(yaml, mode: "interleaving", dataset: path)).report
        for n in [1, 3, 8] {
            let states = try (0..<n).map {
                try Self.state(yaml, mode: "interleaving", dataset: path, shard: PartitionShard(index: $0, count: n), name: "i\($0)")
            }
            #expect(try Self.merge(yaml, states.reversed()).serialized() == whole.serialized(), "\(n) shards")
        }
        let slices = try (0..<3).map { k in
            try Self.state(
                yaml, mode: "interleaving",
                dataset: try OfflineParityTests.ingest(try Self.slice(k, of: 3, from: Self.generatedWithTeams)).path, shard: .whole,
                name: "slice\(k)")
        }
        guard case .object(let a) = whole, case .object(let b) = try Self.merge(yaml, slices) else { return }
        #expect(zip(a, b).filter { $0.0 != $1.0 || $0.1 != $1.1 }.map(\.0.0) == ["effective_config", "input_dataset_fingerprint"])
        #expect(whole["interleaving_analysis"] != nil)
    }

    /// Ids in a state: each valid UTF-8 on its own (not only their concatenation) and, where a
    /// merge relies on it, strictly ascending.
    @Test func stateIdsAreChecked() throws {
        func decode(_ ids: [[UInt8]], sorted: Bool) -> String {
            var offsets: [UInt32] = [0]
            var data: [UInt8] = []
            for id in ids {
                data += id
                offsets.append(UInt32(data.count))
            }
            var e = StateEncoder()
            e.byteStrings(ByteStrings(offsets: offsets, data: data))
            var d = StateDecoder(e.bytes, context: "t")
            do {
                _ = sorted ? try d.sortedByteStrings("ids") : try d.byteStrings()
                return "ok"
            } catch { return "\(error)" }
        }
        #expect(decode([Array("a".utf8), Array("b\u{E9}".utf8), []], sorted: false) == "ok")
        #expect(decode([Array("a".utf8), Array("b\u{E9}".utf8)], sorted: true) == "ok")
        // "é" split across two ids: the concatenation is valid UTF-8, the ids are not.
        #expect(decode([[0x61, 0xC3], [0xA9, 0x62]], sorted: false).contains("id 0 is not valid UTF-8"))
        #expect(decode([[0x61, 0xFF]], sorted: false).contains("not valid UTF-8"))
        #expect(decode([Array("b".utf8), Array("a".utf8)], sorted: true).contains("not in ascending byte order"))
        #expect(decode([Array("a".utf8), Array("a".utf8)], sorted: true).contains("not in ascending byte order"))
        #expect(decode([Array("ab".utf8), Array("a".utf8)], sorted: true).contains("not in ascending byte order"))
    }

    /// Logs made to hit the merge's edges: segments whose keys read the same (`surface` absent
    /// and ""), the first and last instants logged twice with different offsets, a user assigned
    /// in one shard and exposed in another, and more shards than requests.
    static func edgeLogs() throws -> String {
        let dir = try TestDirectory.make("edge")
        var exposures = ""
        var outcomes = ""
        var assignments = ""
        for i in 0..<12 {
            let ctx = i % 3 == 0 ? "" : (i % 3 == 1 ? ",\"context\":{\"surface\":\"\"}" : ",\"context\":{\"surface\":\"home\"}")
            let ts =
                i == 0 || i == 5 ? "2026-01-01T05:30:00+05:30" : (i == 1 || i == 7 ? "2026-01-01T00:00:00Z" : "2026-01-01T0\(i % 9):00:00Z")
            let last = i == 2 || i == 9 ? (i == 2 ? "2026-01-02T00:00:00Z" : "2026-01-01T19:00:00-05:00") : ts
            exposures +=
                "{\"request_id\":\"r\(i)\",\"user_id\":\"u\(i % 4)\",\"ts\":\"\(last)\",\"items\":[{\"item_id\":\"i\(i % 5)\",\"rank\":1,\"logging_propensity\":0.5,\"target_propensity\":0.25},{\"item_id\":\"i\(i % 3)\",\"rank\":2,\"logging_propensity\":0.4,\"target_propensity\":0.6}]\(ctx),\"latency_ms\":\(10 + i)}\n"
            if i % 2 == 0 {
                outcomes +=
                    "{\"request_id\":\"r\(i)\",\"user_id\":\"u\(i % 4)\",\"item_id\":\"i\(i % 5)\",\"event_type\":\"click\",\"ts\":\"2026-01-01T10:00:00Z\"}\n"
            }
            assignments +=
                "{\"experiment_id\":\"e\",\"variant\":\"\(i % 2 == 0 ? "control" : "treat")\",\"request_id\":\"r\(i)\",\"user_id\":\"u\(i % 4)\",\"ts\":\"2026-01-01T00:00:00Z\"}\n"
        }
        try exposures.write(toFile: dir + "/exposures.jsonl", atomically: true, encoding: .utf8)
        try outcomes.write(toFile: dir + "/outcomes.jsonl", atomically: true, encoding: .utf8)
        try assignments.write(toFile: dir + "/assignments.jsonl", atomically: true, encoding: .utf8)
        return dir
    }

    @Test func edgesMergeToTheWholeRun() throws {
        let logs = try Self.edgeLogs()
        let configs: [(String, String)] = [
            (
                "experiment",
                """
                mode: experiment
                experiment:
                  experiment_id: e
                  control_variant: control
                  slice_keys: [surface]
                  decision: {enabled: true}
                """
            ),
            ("offline", "mode: offline\noffline: {metrics: [{name: ndcg, k: 2}, {name: coverage, k: 2}], slice_keys: [surface]}\n"),
            ("ope", "mode: ope\nope: {reward_event: click, analysis: {slice_keys: [surface]}}\n"),
        ]
        for (mode, yaml) in configs {
            var reports: Set<String> = []
            var decisions: Set<String> = []
            for partitions in [1, 5, 16] {
                let path = try OfflineParityTests.ingest(logs, partitions: partitions).path
                let r = try EvaluationRun.run(try Self.request(yaml, mode: mode, dataset: path))
                reports.insert(Self.withoutDataset(r.report))
                if let d = r.decision { decisions.insert(d.serialized()) }
                // More shards than requests: empty shards give empty states.
                let n = 16
                let states =
                    mode == "ope"
                    ? try Self.opeStates(yaml, datasets: [(path, n)])
                    : try (0..<n).map {
                        try Self.state(yaml, mode: mode, dataset: path, shard: PartitionShard(index: $0, count: n), name: "s\($0)")
                    }
                reports.insert(Self.withoutDataset(try Self.merge(yaml, states)))
            }
            #expect(reports.count == 1, "\(mode): \(reports.count) different reports")
            #expect(decisions.count <= 1, "\(mode): \(decisions.count) different decisions")
            #expect(reports.first?.contains("surface=") == true)
        }
    }

    /// A report without the members that name the dataset file (its path and fingerprint).
    static func withoutDataset(_ report: JSONValue) -> String {
        guard case .object(let top) = report else { return report.serialized() }
        return JSONValue.object(top.filter { $0.0 != "effective_config" && $0.0 != "input_dataset_fingerprint" }).serialized()
    }

    /// A state whose body was computed under another config is refused even when its header
    /// names this config; a second round's merge must cover every dataset of its model.
    @Test func bodiesAndModelsAreChecked() throws {
        let (_, mode, yaml) = Self.configs[0]
        let path = try UnitAnalysisTests.ingest(partitions: 4).path
        let plain = Self.configs[0].yaml.replacingOccurrences(of: "  cuped: {enabled: true, covariate_key: pre_period_ctr}\n", with: "")
        var forged = try Self.state(plain, mode: mode, dataset: path, shard: .whole, name: "forged")
        forged.state.configDigest = try EvalConfig.parse(yaml, file: "e.yaml").digest
        #expect(throws: (any Error).self) { _ = try Self.merge(yaml, [forged]) }

        let ope = Self.opeConfigs[0]
        let slices = try (0..<2).map { k in
            (path: try OfflineParityTests.ingest(try Self.slice(k, of: 2, from: Self.generated)).path, shards: 1)
        }
        let second = try Self.opeStates(ope, datasets: slices)
        do {
            _ = try Self.merge(ope, [second[0]])
            Issue.record("a second round missing a dataset of its model was merged")
        } catch {
            #expect("\(error)".contains("their model was merged from 2"))
        }
    }
}
