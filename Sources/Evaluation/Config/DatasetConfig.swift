/// A dataset config (SPEC section 3.2): where each table comes from.
public struct DatasetConfig: Sendable, Equatable {
    public struct Source: Sendable, Equatable {
        public var type: String
        public var path: String
        /// `type: postgres`: the connection string (its password never shown) and the query
        /// whose first column holds one JSON record per row.
        public var dsn = ""
        public var query = ""

        public init(type: String, path: String) {
            self.type = type
            self.path = path
        }

        public init(postgres dsn: String, query: String) {
            type = "postgres"
            path = ""
            self.dsn = dsn
            self.query = query
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
            if type == "duckdb" {
                throw ConfigError(
                    file: file,
                    "`\(key).type` duckdb is not read by receval: export the query's records from DuckDB as JSON lines (COPY (SELECT ...) TO 'records.jsonl' (FORMAT json)) and name the file with type: jsonl"
                )
            }
            if type == "postgres" && !key.hasPrefix("interleaving.") {
                let dsn = try f["dsn"]?.string() ?? ""
                let query = try f["query"]?.string() ?? ""
                guard !query.isEmpty else { throw ConfigError(file: file, "`\(key).query` is required for a postgres source") }
                guard !dsn.isEmpty else { throw ConfigError(file: file, "`\(key).dsn` is required for a postgres source") }
                return Source(postgres: dsn, query: query)
            }
            guard type == "jsonl" || ((type == "receval" || type == "parquet") && !key.hasPrefix("interleaving.")) else {
                throw ConfigError(
                    file: file,
                    "`\(key).type` \"\(type)\" is not supported here (use jsonl, parquet, postgres, or receval for an ingested dataset)")
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
