/// The offline part of a recsys-eval eval config (SPEC section 3.3), validated.
public struct OfflineConfig: Sendable, Equatable {
    public struct Metric: Sendable, Equatable {
        /// Lower-case canonical name: precision, recall, map, ndcg, hitrate, coverage, novelty, diversity.
        public var name: String
        public var k: Int
        public var label: String { "\(name)@\(k)" }
    }

    public struct Gate: Sendable, Equatable {
        public var metric: String
        public var maxDrop: Double
    }

    public var metrics: [Metric] = []
    public var sliceKeys: [String] = []
    public var gates: [Gate] = []
    /// RFC 3339 bounds of the test window of `time_split`, when configured.
    public var testWindow: (start: String, end: String)?
    public var bootstrap = false
    /// Replicates, seed and interval level of the bootstrap (0 means recsys-eval's defaults:
    /// 200, 42, 0.95).
    public var bootstrapIterations = 0
    public var bootstrapSeed = 0
    public var bootstrapLevel = 0.0

    public static func == (a: OfflineConfig, b: OfflineConfig) -> Bool {
        a.metrics == b.metrics && a.sliceKeys == b.sliceKeys && a.gates == b.gates && a.testWindow?.start == b.testWindow?.start
            && a.testWindow?.end == b.testWindow?.end && a.bootstrap == b.bootstrap
    }

    static let knownMetrics: Set<String> = ["precision", "recall", "map", "ndcg", "hitrate", "coverage", "novelty", "diversity"]
}

/// An eval config: the mode and the sections receval reads.
public struct EvalConfig: Sendable {
    public var mode: String
    public var offline: OfflineConfig
    public var experiment = ExperimentConfig()
    public var ope = OPEConfig()
    public var interleaving = InterleavingConfig()
    /// The `mode:` the file itself declares ("" when absent), whatever `--mode` later says.
    public var declaredMode = ""
    /// The top-level sections the file holds (`offline`, `experiment`, ...).
    public var sections: Set<String> = []

    /// Parses YAML text; `file` names the file in errors.
    public static func parse(_ text: String, file: String) throws -> EvalConfig {
        let root = try YAMLNode.load(text, file: file).mapping(allowed: [
            "mode", "offline", "experiment", "ope", "interleaving", "scale", "artifacts",
        ])
        var c = EvalConfig(mode: try root["mode"]?.string().lowercased() ?? "", offline: OfflineConfig())
        c.declaredMode = c.mode
        c.sections = Set(root.keys)
        if let off = root["offline"] {
            let o = try off.mapping(allowed: ["metrics", "slice_keys", "gates", "time_split", "bootstrap", "history_dir"])
            for m in try o["metrics"]?.list() ?? [] {
                let fields = try m.mapping(allowed: ["name", "k"])
                var name = try fields["name"]?.string().lowercased() ?? ""
                if name.hasSuffix("@k") { name.removeLast(2) }
                let k = try fields["k"]?.int() ?? 0
                guard OfflineConfig.knownMetrics.contains(name) else { throw ConfigError(file: file, "unknown metric: \(name)") }
                guard k > 0 else { throw ConfigError(file: file, "\(name)@K requires k > 0") }
                c.offline.metrics.append(.init(name: name, k: k))
            }
            c.offline.sliceKeys = try (o["slice_keys"]?.list() ?? []).map { try $0.string() }
            for g in try o["gates"]?.list() ?? [] {
                let fields = try g.mapping(allowed: ["metric", "max_drop"])
                c.offline.gates.append(.init(metric: try fields["metric"]?.string() ?? "", maxDrop: try fields["max_drop"]?.double() ?? 0))
            }
            if let ts = o["time_split"] {
                let split = try ts.mapping(allowed: ["train", "test"])
                var bounds: [String: (String, String)] = [:]
                for side in ["train", "test"] {
                    let w = try split[side]?.mapping(allowed: ["start", "end"]) ?? [:]
                    bounds[side] = (try w["start"]?.string() ?? "", try w["end"]?.string() ?? "")
                }
                let all = [bounds["train"]!.0, bounds["train"]!.1, bounds["test"]!.0, bounds["test"]!.1]
                guard all.allSatisfy({ !$0.isEmpty }) else {
                    throw ConfigError(file: file, "time_split requires train.start, train.end, test.start, and test.end")
                }
                c.offline.testWindow = bounds["test"]!
            }
            if let b = o["bootstrap"] {
                let fields = try b.mapping(allowed: ["enabled", "iterations", "seed", "ci_level"])
                c.offline.bootstrap = try fields["enabled"]?.bool() ?? false
                c.offline.bootstrapIterations = try fields["iterations"]?.int() ?? 0
                c.offline.bootstrapSeed = try fields["seed"]?.int() ?? 0
                c.offline.bootstrapLevel = try fields["ci_level"]?.double() ?? 0
            }
            _ = try o["history_dir"]?.string()
        }
        if let e = root["experiment"] { c.experiment = try ExperimentConfig.parse(e, file: file) }
        if let o = root["ope"] { c.ope = try OPEConfig.parse(o, file: file) }
        if let i = root["interleaving"] { c.interleaving = try InterleavingConfig.parse(i, file: file) }
        return c
    }
}

/// A dataset config (SPEC section 3.2): where each table comes from.
public struct DatasetConfig: Sendable, Equatable {
    public struct Source: Sendable, Equatable {
        public var type: String
        public var path: String

        public init(type: String, path: String) {
            self.type = type
            self.path = path
        }
    }

    public var exposures: Source?
    public var outcomes: Source?
    public var assignments: Source?
    /// recsys-eval's interleaving input: two rankers' lists (ranklist.v1) and outcomes.
    public var interleaving: (rankerA: Source, rankerB: Source, outcomes: Source)?

    public init(exposures: Source?, outcomes: Source?, assignments: Source?) {
        self.exposures = exposures
        self.outcomes = outcomes
        self.assignments = assignments
    }

    public static func == (a: DatasetConfig, b: DatasetConfig) -> Bool {
        a.exposures == b.exposures && a.outcomes == b.outcomes && a.assignments == b.assignments
            && a.interleaving?.rankerA == b.interleaving?.rankerA && a.interleaving?.rankerB == b.interleaving?.rankerB
            && a.interleaving?.outcomes == b.interleaving?.outcomes
    }

    /// Parses YAML text; relative paths are resolved against `directory` (the config's folder).
    public static func parse(_ text: String, file: String, directory: String) throws -> DatasetConfig {
        let root = try YAMLNode.load(text, file: file).mapping(allowed: ["exposures", "outcomes", "assignments", "interleaving"])
        func source(_ key: String, in root: [String: YAMLNode]) throws -> Source? {
            guard let node = root[key] else { return nil }
            let f = try node.mapping(allowed: ["type", "path", "dsn", "query"])
            let type = try f["type"]?.string().lowercased() ?? ""
            guard type == "jsonl" || (type == "receval" && !key.hasPrefix("interleaving.")) else {
                throw ConfigError(
                    file: file, "`\(key).type` \"\(type)\" is not supported here (use jsonl, or receval for an ingested dataset)")
            }
            var path = try f["path"]?.string() ?? ""
            guard !path.isEmpty else { throw ConfigError(file: file, "`\(key).path` is required") }
            if !path.hasPrefix("/") { path = directory + "/" + path }
            return Source(type: type, path: path)
        }
        var c = DatasetConfig(
            exposures: try source("exposures", in: root), outcomes: try source("outcomes", in: root),
            assignments: try source("assignments", in: root))
        if let node = root["interleaving"] {
            let block = try node.mapping(allowed: ["ranker_a", "ranker_b", "outcomes"])
            let prefixed = Dictionary(uniqueKeysWithValues: block.map { ("interleaving." + $0.key, $0.value) })
            guard let a = try source("interleaving.ranker_a", in: prefixed), let b = try source("interleaving.ranker_b", in: prefixed),
                let o = try source("interleaving.outcomes", in: prefixed)
            else { throw ConfigError(file: file, "`interleaving` needs ranker_a, ranker_b and outcomes sources") }
            c.interleaving = (a, b, o)
        }
        return c
    }
}
