import Engine

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

    static let knownMetrics = Set(RankingMetric.recsysEval.map(\.name) + ["coverage", "novelty", "diversity"])
}

extension OfflineConfig {
    /// The `offline:` section of an eval config; `file` names the file in errors.
    static func parse(_ off: YAMLNode, file: String) throws -> OfflineConfig {
        var c = OfflineConfig()
        let o = try off.mapping(allowed: ["metrics", "slice_keys", "gates", "time_split", "bootstrap", "history_dir"])
        for m in try o["metrics"]?.list() ?? [] {
            let fields = try m.mapping(allowed: ["name", "k"])
            var name = try fields["name"]?.string().lowercased() ?? ""
            if name.hasSuffix("@k") { name.removeLast(2) }
            let k = try fields["k"]?.int() ?? 0
            guard OfflineConfig.knownMetrics.contains(name) else { throw ConfigError(file: file, "unknown metric: \(name)") }
            guard k > 0 else { throw ConfigError(file: file, "\(name)@K requires k > 0") }
            c.metrics.append(.init(name: name, k: k))
        }
        c.sliceKeys = try (o["slice_keys"]?.list() ?? []).map { try $0.string() }
        for g in try o["gates"]?.list() ?? [] {
            let fields = try g.mapping(allowed: ["metric", "max_drop"])
            c.gates.append(.init(metric: try fields["metric"]?.string() ?? "", maxDrop: try fields["max_drop"]?.double() ?? 0))
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
            c.testWindow = bounds["test"]!
        }
        if let b = o["bootstrap"] {
            let fields = try b.mapping(allowed: ["enabled", "iterations", "seed", "ci_level"])
            c.bootstrap = try fields["enabled"]?.bool() ?? false
            c.bootstrapIterations = try fields["iterations"]?.int() ?? 0
            c.bootstrapSeed = try fields["seed"]?.int() ?? 0
            c.bootstrapLevel = try fields["ci_level"]?.double() ?? 0
        }
        _ = try o["history_dir"]?.string()
        return c
    }
}
