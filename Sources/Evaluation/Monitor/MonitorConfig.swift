import ColumnarFormat
import Engine
import Reports

/// The `monitor` part of an eval config (docs/monitor.md): windows, groups, service-level
/// objectives, fairness, drift and exploration.
public struct MonitorConfig: Sendable {
    /// One service-level indicator a series row reports, and how an objective on it reads.
    public enum SLI: String, Sendable, CaseIterable {
        case latencyP50 = "latency_p50_ms"
        case latencyP95 = "latency_p95_ms"
        case latencyP99 = "latency_p99_ms"
        case errorRate = "error_rate"
        case emptyRate = "empty_rate"
        case ctr
        case cvr
        case coverage
        case explorationRate = "exploration_rate"

        /// Whether the SLI is a share (of requests, or of shown items for an item-field
        /// exploration rate): what fairness compares, with an interval for the difference of two
        /// proportions.
        var isShare: Bool { [.errorRate, .emptyRate, .ctr, .cvr, .explorationRate].contains(self) }
    }

    /// An objective: the SLI stays at most (`max`) or at least (`min`) the threshold.
    public struct Objective: Sendable, Equatable {
        public var sli: SLI
        public var isMinimum: Bool
        public var threshold: Double

        /// The config's key: the SLI's name for a maximum, `<name>_min` for a minimum.
        public var key: String { sli.rawValue + (isMinimum ? "_min" : "") }
    }

    /// The window as written (`1h`) and in seconds.
    public var window = "1d"
    public var windowSeconds: Int64 = 86_400
    public var groupBy: [String] = []
    public var objectives: [Objective] = []
    /// Cells with fewer requests are not checked against the objectives.
    public var minRequests = 1
    public var fairnessKey: String?
    public var fairnessMetric = SLI.ctr
    /// Cohorts with fewer requests get a note: their rate is too noisy to compare.
    public var minCohort = 100
    public var level = 0.95
    public var driftKeys: [String] = []
    public var driftItems = false
    /// The drift reference range (nil: the first window), and how the config wrote it.
    public var reference: TimeWindow?
    public var referenceText = "first"
    public var exploration = MonitorScan.Options.Exploration.none
    /// Only requests whose exposure time is in this range (inclusive) are monitored.
    public var range: TimeWindow?
    public var rangeText = ""

    public init() {}

    /// Parses `5m`, `1h`, `1d`, `7d`, `1w`, `30s`: a positive whole number and a unit.
    static func seconds(_ text: String) -> Int64? {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        guard let unit = text.last, let scale = units[unit], let n = Int64(text.dropLast()), n > 0 else { return nil }
        let (seconds, overflow) = n.multipliedReportingOverflow(by: scale)
        // At most about ten years, so window arithmetic in microseconds cannot overflow.
        guard !overflow, seconds <= 10 * 366 * 86_400 else { return nil }
        return seconds
    }

    static func parse(_ node: YAMLNode, file: String) throws -> MonitorConfig {
        let o = try node.mapping(allowed: [
            "window", "group_by", "slo", "min_requests", "fairness", "drift", "exploration", "ci_level", "range",
        ])
        var c = MonitorConfig()
        if let w = try o["window"]?.string() {
            guard let s = seconds(w) else {
                throw ConfigError(file: file, "monitor.window must be a whole number and a unit (5m, 1h, 1d, 7d), not \(w)")
            }
            (c.window, c.windowSeconds) = (w, s)
        }
        if let r = o["range"] {
            let g = try r.mapping(allowed: ["start", "end"])
            guard let start = try g["start"]?.string(), let end = try g["end"]?.string(), let window = TimeWindow(start: start, end: end)
            else { throw ConfigError(file: file, "monitor.range needs start and end as RFC 3339 times, start not after end") }
            c.range = window
            c.rangeText = "\(start) to \(end)"
        }
        c.groupBy = try (o["group_by"]?.list() ?? []).map { try $0.string() }
        guard Set(c.groupBy).count == c.groupBy.count else { throw ConfigError(file: file, "monitor.group_by names a key twice") }
        if let slo = o["slo"] {
            let allowed = Set(SLI.allCases.flatMap { [$0.rawValue, $0.rawValue + "_min"] })
            for (key, value) in try slo.entries() {
                guard allowed.contains(key) else {
                    throw ConfigError(
                        file: file,
                        "monitor.slo.\(key) is not an SLI: use \(SLI.allCases.map(\.rawValue).joined(separator: ", ")) (a maximum) or the same with _min (a minimum)"
                    )
                }
                let isMinimum = key.hasSuffix("_min")
                let sli = SLI(rawValue: isMinimum ? String(key.dropLast(4)) : key)!
                let threshold = try value.double()
                guard threshold.isFinite, threshold >= 0 else { throw ConfigError(file: file, "monitor.slo.\(key) must be a number >= 0") }
                c.objectives.append(Objective(sli: sli, isMinimum: isMinimum, threshold: threshold))
            }
            // The config's order, except that objectives keep one order whatever the YAML's.
            c.objectives.sort { ($0.sli.rawValue, $0.isMinimum ? 1 : 0) < ($1.sli.rawValue, $1.isMinimum ? 1 : 0) }
        }
        c.minRequests = try o["min_requests"]?.int() ?? c.minRequests
        guard c.minRequests >= 1 else { throw ConfigError(file: file, "monitor.min_requests must be >= 1") }
        c.level = try o["ci_level"]?.double() ?? c.level
        guard c.level > 0 && c.level < 1 else { throw ConfigError(file: file, "monitor.ci_level must be in (0, 1)") }
        if let f = o["fairness"] {
            let g = try f.mapping(allowed: ["key", "metric", "min_cohort"])
            guard let key = try g["key"]?.string(), !key.isEmpty else {
                throw ConfigError(file: file, "monitor.fairness.key must name the context key of the cohorts")
            }
            c.fairnessKey = key
            if let m = try g["metric"]?.string() {
                guard let sli = SLI(rawValue: m), sli.isShare else {
                    throw ConfigError(
                        file: file,
                        "monitor.fairness.metric must be a share of requests (ctr, cvr, error_rate, empty_rate, exploration_rate), not \(m)"
                    )
                }
                c.fairnessMetric = sli
            }
            c.minCohort = try g["min_cohort"]?.int() ?? c.minCohort
            guard c.minCohort >= 1 else { throw ConfigError(file: file, "monitor.fairness.min_cohort must be >= 1") }
        }
        if let d = o["drift"] {
            let g = try d.mapping(allowed: ["reference", "keys", "items"])
            c.driftKeys = try (g["keys"]?.list() ?? []).map { try $0.string() }
            c.driftItems = try g["items"]?.bool() ?? false
            guard c.driftItems || !c.driftKeys.isEmpty else {
                throw ConfigError(file: file, "monitor.drift compares nothing: set items: true or keys")
            }
            if let r = g["reference"] {
                if let text = try? r.string() {
                    guard text == "first" else {
                        throw ConfigError(
                            file: file, "monitor.drift.reference must be first or {start: RFC 3339, end: RFC 3339}, not \(text)")
                    }
                } else {
                    let range = try r.mapping(allowed: ["start", "end"])
                    guard let start = try range["start"]?.string(), let end = try range["end"]?.string(),
                        let window = TimeWindow(start: start, end: end)
                    else {
                        throw ConfigError(file: file, "monitor.drift.reference needs start and end as RFC 3339 times, start not after end")
                    }
                    c.reference = window
                    c.referenceText = "\(start) to \(end)"
                }
            }
        }
        if let e = o["exploration"] {
            let g = try e.mapping(allowed: ["context_key", "item_field"])
            switch (try g["context_key"]?.string(), try g["item_field"]?.string()) {
            case (let k?, nil): c.exploration = .contextKey(k)
            case (nil, let f?): c.exploration = .itemField(f)
            default: throw ConfigError(file: file, "monitor.exploration takes one of context_key or item_field")
            }
        }
        if c.objectives.contains(where: { $0.sli == .explorationRate }) || c.fairnessMetric == .explorationRate && c.fairnessKey != nil,
            c.exploration == .none
        {
            throw ConfigError(file: file, "exploration_rate needs monitor.exploration (a context_key or an item_field)")
        }
        return c
    }

    /// The config as the report's effective_config echoes it.
    var json: JSONValue {
        var m: [(String, JSONValue)] = [
            ("window", .string(window)), ("group_by", .array(groupBy.map { .string($0) })),
            ("slo", .object(objectives.map { ($0.key, .number($0.threshold)) })), ("min_requests", .number(Double(minRequests))),
            ("ci_level", .number(level)),
        ]
        if range != nil { m.append(("range", .string(rangeText))) }
        if let k = fairnessKey {
            m.append(
                (
                    "fairness",
                    .object([("key", .string(k)), ("metric", .string(fairnessMetric.rawValue)), ("min_cohort", .number(Double(minCohort)))])
                ))
        }
        if driftItems || !driftKeys.isEmpty {
            m.append(
                (
                    "drift",
                    .object([
                        ("reference", .string(referenceText)), ("keys", .array(driftKeys.map { .string($0) })),
                        ("items", .bool(driftItems)),
                    ])
                ))
        }
        switch exploration {
        case .none: break
        case .contextKey(let k): m.append(("exploration", .object([("context_key", .string(k))])))
        case .itemField(let f): m.append(("exploration", .object([("item_field", .string(f))])))
        }
        return .object(m)
    }

    /// The scan's options.
    var options: MonitorScan.Options {
        var o = MonitorScan.Options()
        o.windowSeconds = windowSeconds
        o.groupBy = groupBy
        o.fairnessKey = fairnessKey
        o.driftKeys = driftKeys
        o.driftItems = driftItems
        o.reference = reference
        o.exploration = exploration
        o.range = range
        return o
    }
}
