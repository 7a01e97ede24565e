/// The `interleaving` part of an eval config: recsys-eval's keys (SPEC §3.3, §10) and receval's
/// `analysis` block for crediting logged interleaved exposures.
public struct InterleavingConfig: Sendable {
    /// As written, lower-cased (`team_draft`, `balanced`, `optimized`; other names run team draft,
    /// as in recsys-eval, and are echoed in the report).
    public var algorithm = "team_draft"
    /// The seed of Go's generator (0 means 42, as in recsys-eval).
    public var seed: Int64 = 42
    /// Interleaved list length (≤ 0: the longer of the two lists).
    public var maxResults = 0
    public var analysis = Analysis()

    public init() {}

    /// How logged interleaved exposures are credited (docs/interleaving.md).
    public struct Analysis: Sendable {
        public enum Credit: String, Sendable, CaseIterable { case click, conversion, both }
        /// Item field naming the team that supplied each shown item.
        public var teamField = "team"
        /// Exposure context key holding the teams of the shown items in rank order, comma separated
        /// (used when items carry no team field).
        public var teamContextKey = "interleaving_teams"
        /// Labels of the two teams.
        public var teamA = "A"
        public var teamB = "B"
        /// What decides a request: clicks, conversions, or clicks then conversions as a tie-break.
        public var credit = Credit.click
        public var sliceKeys: [String] = []
        public var level = 0.95
        public var bootstrapIterations = 1000
        public var bootstrapSeed = 42

        public init() {}
    }

    static func parse(_ node: YAMLNode, file: String) throws -> InterleavingConfig {
        let o = try node.mapping(allowed: ["algorithm", "seed", "max_results", "analysis"])
        var c = InterleavingConfig()
        let a = try o["algorithm"]?.string().lowercased() ?? ""
        c.algorithm = a.isEmpty ? "team_draft" : a
        let seed = try o["seed"]?.int() ?? 0
        c.seed = seed == 0 ? 42 : Int64(seed)
        c.maxResults = try o["max_results"]?.int() ?? 0
        if let an = o["analysis"] {
            let f = try an.mapping(allowed: [
                "team_field", "team_context_key", "team_a", "team_b", "credit", "slice_keys", "ci_level", "bootstrap",
            ])
            c.analysis.teamField = try f["team_field"]?.string() ?? c.analysis.teamField
            c.analysis.teamContextKey = try f["team_context_key"]?.string() ?? c.analysis.teamContextKey
            c.analysis.teamA = try f["team_a"]?.string() ?? c.analysis.teamA
            c.analysis.teamB = try f["team_b"]?.string() ?? c.analysis.teamB
            guard c.analysis.teamA != c.analysis.teamB else {
                throw ConfigError(file: file, "interleaving.analysis.team_a and team_b must differ")
            }
            if let cr = try f["credit"]?.string().lowercased() {
                guard let credit = Analysis.Credit(rawValue: cr) else {
                    throw ConfigError(file: file, "interleaving.analysis.credit must be click, conversion or both, not \(cr)")
                }
                c.analysis.credit = credit
            }
            c.analysis.sliceKeys = try (f["slice_keys"]?.list() ?? []).map { try $0.string() }
            c.analysis.level = try f["ci_level"]?.double() ?? c.analysis.level
            guard c.analysis.level > 0 && c.analysis.level < 1 else {
                throw ConfigError(file: file, "interleaving.analysis.ci_level must be in (0, 1)")
            }
            if let b = f["bootstrap"] {
                let g = try b.mapping(allowed: ["iterations", "seed"])
                c.analysis.bootstrapIterations = try g["iterations"]?.int() ?? c.analysis.bootstrapIterations
                c.analysis.bootstrapSeed = try g["seed"]?.int() ?? c.analysis.bootstrapSeed
                guard c.analysis.bootstrapIterations > 0 else {
                    throw ConfigError(file: file, "interleaving.analysis.bootstrap.iterations must be > 0")
                }
            }
        }
        return c
    }
}
