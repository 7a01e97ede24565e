import ColumnarFormat
import ColumnarStorage
import Engine
import Reports
import Statistics

/// `--mode monitor` (docs/monitor.md): SLIs per tumbling UTC window, per window and group, with
/// service-level objectives, fairness across cohorts and drift against a reference. A single run
/// computes the state its shards would and finishes it the same way, so `receval merge` of any
/// split gives the same report.
public enum MonitorEvaluation {
    public struct Outcome {
        public var report: JSONValue
        /// Objectives breached (a window, a group, an SLI each): the run exits 4 when any is.
        public var breaches: Int
        /// The first breaches, as lines for standard error.
        public var messages: [String]
    }

    /// The pass over the partitions `reader` scans, as a state.
    public static func state(reader: DatasetReader, config c: MonitorConfig, threads: Int) throws -> MonitorState {
        try MonitorScan.state(reader: reader, options: c.options, threads: threads)
    }

    public static func run(reader: DatasetReader, config c: MonitorConfig, metadata: ReportMetadata, threads: Int) throws -> Outcome {
        try finish(try state(reader: reader, config: c, threads: threads), config: c, metadata: metadata)
    }

    /// The nearest-rank percentile at `permille`/1000: the smallest logged value with at least
    /// that share of the values at or below it, `sorted[⌈permille·n/1000⌉ − 1]` (integer
    /// arithmetic, so 95% of 20 values is the 19th, never the 20th by a rounding error).
    static func percentile(_ s: ValueCounts.Sorted, permille: Int) -> Double? {
        guard s.count > 0 else { return nil }
        let rank = max(Int((Int128(permille) * Int128(s.count) + 999) / 1000) - 1, 0)
        return s.value(atRank: min(rank, s.count - 1))
    }

    /// An SLI's value in a cell, with the share's counts where it is one (nil: the cell has none);
    /// `latencies` is the cell's latency counts sorted, made once per cell for every percentile.
    static func value(
        _ sli: MonitorConfig.SLI, _ cell: MonitorCell, latencies: ValueCounts.Sorted, catalog: Double, config c: MonitorConfig
    ) -> (
        value: Double, share: (successes: Int, trials: Int)?
    )? {
        func share(_ a: Int, _ n: Int) -> (Double, (successes: Int, trials: Int)?)? { n == 0 ? nil : (Double(a) / Double(n), (a, n)) }
        switch sli {
        case .latencyP50, .latencyP95, .latencyP99:
            let p = sli == .latencyP50 ? 500 : sli == .latencyP95 ? 950 : 990
            return percentile(latencies, permille: p).map { ($0, nil) }
        case .errorRate: return share(cell.errors, cell.requests)
        case .emptyRate: return share(cell.empties, cell.requests)
        case .ctr: return share(cell.clicked, cell.requests)
        case .cvr: return share(cell.converted, cell.requests)
        case .coverage:
            guard let items = cell.items, catalog > 0 else { return nil }
            return (min(items.estimate / catalog, 1), nil)
        case .explorationRate:
            switch c.exploration {
            case .none: return nil
            case .contextKey: return share(cell.explored, cell.requests)
            case .itemField: return share(cell.exploredItems, cell.shownItems)
            }
        }
    }

    /// A window bound as RFC 3339 UTC, within years 1 to 9999 (a window of years that starts
    /// before year 1 or ends after 9999 is shown from or to those ends).
    static func time(_ micros: Int64) -> String {
        Timestamp(micros: min(max(micros, Timestamp.goZero.micros), Timestamp.latestMicros), nanos: 0, offsetMinutes: 0).formatted()
    }

    static func group(_ key: MonitorState.Key, _ c: MonitorConfig) -> JSONValue {
        let names = key.scope == .group ? c.groupBy : key.scope == .cohort ? [c.fairnessKey ?? ""] : []
        return .object(zip(names, key.values).map { ($0, $1.map { JSONValue.string($0) } ?? .null) })
    }

    /// A group's values as a short label: `v2`, `ios · v1`, `all` for the whole window.
    static func label(_ key: MonitorState.Key) -> String {
        key.values.isEmpty ? "all" : key.values.map { $0 ?? "(none)" }.joined(separator: " · ")
    }

    public static func finish(_ s: MonitorState, config c: MonitorConfig, metadata: ReportMetadata) throws -> Outcome {
        try s.check(c.options)
        let windowMicros = c.windowSeconds * 1_000_000
        let cells = s.sortedCells.filter { $0.key.scope != .cohort }
        var catalogSketch = HyperLogLog()
        for (k, cell) in cells where k.scope == .all { if let i = cell.items { catalogSketch.merge(i) } }
        let catalog = catalogSketch.estimate
        let requests = cells.filter { $0.key.scope == .all }.reduce(0) { $0 + $1.cell.requests }
        let windows = cells.filter { $0.key.scope == .all }.map(\.key.window)

        // Series: a row per (window, group), the window as a whole first.
        var series: [JSONValue] = []
        var breaches: [JSONValue] = []
        var messages: [String] = []
        for (key, cell) in cells {
            var row: [(String, JSONValue)] = [
                ("window_start", .string(time(key.window))), ("window_end", .string(time(key.window + windowMicros))),
                ("group", group(key, c)), ("requests", .number(Double(cell.requests))),
            ]
            let sorted = cell.latency.sorted()
            if sorted.count > 0 {
                row.append(
                    (
                        "latency_ms",
                        .object([
                            ("p50", .number(percentile(sorted, permille: 500)!)), ("p95", .number(percentile(sorted, permille: 950)!)),
                            ("p99", .number(percentile(sorted, permille: 990)!)), ("samples", .number(Double(sorted.count))),
                            ("exact", .bool(!cell.latencyRounded)),
                        ])
                    ))
            } else {
                row.append(("latency_ms", .null))
            }
            for sli in [MonitorConfig.SLI.errorRate, .emptyRate, .ctr, .cvr, .coverage, .explorationRate] {
                if sli == .explorationRate && c.exploration == .none { continue }
                row.append(
                    (sli.rawValue, value(sli, cell, latencies: sorted, catalog: catalog, config: c).map { .number($0.value) } ?? .null))
            }
            if let items = cell.items { row.append(("distinct_items", .number(items.estimate.rounded()))) }
            series.append(.object(row))
            guard cell.requests >= c.minRequests else { continue }
            for objective in c.objectives {
                guard let v = value(objective.sli, cell, latencies: sorted, catalog: catalog, config: c)?.value else { continue }
                let breached = objective.isMinimum ? v < objective.threshold : v > objective.threshold
                guard breached else { continue }
                breaches.append(
                    .object([
                        ("window_start", .string(time(key.window))), ("window_end", .string(time(key.window + windowMicros))),
                        ("group", group(key, c)), ("sli", .string(objective.sli.rawValue)),
                        ("objective", .string(objective.isMinimum ? "min" : "max")), ("value", .number(v)),
                        ("threshold", .number(objective.threshold)), ("requests", .number(Double(cell.requests))),
                    ]))
                if messages.count < 5 {
                    messages.append(
                        "SLO breach: \(objective.sli.rawValue) \(ReadableNumber.value(v)) \(objective.isMinimum ? "<" : ">") \(ReadableNumber.value(objective.threshold)) in \(time(key.window)) (\(label(key)))"
                    )
                }
            }
        }
        if breaches.count > messages.count { messages.append("... \(breaches.count) SLO breaches in all (monitor.slo.breaches)") }

        var monitor: [(String, JSONValue)] = [
            ("window", .string(c.window)), ("window_seconds", .number(Double(c.windowSeconds))),
            ("group_by", .array(c.groupBy.map { .string($0) })),
            (
                "summary",
                .object([
                    ("status", .string(breaches.isEmpty ? "ok" : "breached")), ("windows", .number(Double(windows.count))),
                    ("first_window", windows.first.map { .string(time($0)) } ?? .null),
                    ("last_window", windows.last.map { .string(time($0 + windowMicros)) } ?? .null),
                    ("requests", .number(Double(requests))), ("untimed_requests", .number(Double(s.untimed))),
                    ("distinct_items", .number(catalog.rounded())), ("breaches", .number(Double(breaches.count))),
                ])
            ),
            ("definitions", definitions(c)),
            ("series", .array(series)),
            (
                "slo",
                .object([
                    ("status", .string(breaches.isEmpty ? "ok" : "breached")),
                    (
                        "objectives",
                        .array(
                            c.objectives.map {
                                .object([
                                    ("sli", .string($0.sli.rawValue)), ("objective", .string($0.isMinimum ? "min" : "max")),
                                    ("threshold", .number($0.threshold)),
                                ])
                            })
                    ),
                    ("min_requests", .number(Double(c.minRequests))), ("breaches", .array(breaches)),
                ])
            ),
        ]
        if let key = c.fairnessKey { monitor.append(("fairness", fairness(s, key: key, config: c, windowMicros: windowMicros))) }
        if c.driftItems || !c.driftKeys.isEmpty { monitor.append(("drift", drift(s, config: c, windowMicros: windowMicros))) }

        var top = metadata.header(mode: "monitor")
        top.append(("monitor", .object(monitor)))
        top.append(("data_quality", DataQualitySection.json(s.counts, assignmentRows: nil)))
        var warnings: [String] = []
        if s.untimed > 0 { warnings.append("\(s.untimed) requests have no time (Go's zero time) and are in no window") }
        if !warnings.isEmpty { top.append(("warnings", .array(warnings.map { .string($0) }))) }
        return Outcome(report: .object(top), breaches: breaches.count, messages: messages)
    }

    /// What each SLI means, in the report itself.
    static func definitions(_ c: MonitorConfig) -> JSONValue {
        var d: [(String, String)] = [
            (
                "window",
                "tumbling UTC windows of \(c.window) on the exposure's ts, [window_start, window_end), aligned to Monday 1970-01-05"
            ),
            ("requests", "unique request ids; the first exposure of an id counts, as in the join"),
            (
                "latency_ms",
                "nearest-rank percentiles of latency_ms over the requests that log one: the smallest value with at least p of them at or below it (exact)"
            ),
            ("error_rate", "share of requests whose exposure says error: true"),
            ("empty_rate", "share of requests that showed no item"),
            ("ctr", "share of requests with at least one click outcome"),
            ("cvr", "share of requests with at least one conversion outcome"),
            (
                "coverage",
                "distinct items shown in the cell / distinct items shown in the whole log, both HyperLogLog estimates (4,096 registers, relative standard error 1.6%)"
            ),
        ]
        switch c.exploration {
        case .none: break
        case .contextKey(let k): d.append(("exploration_rate", "share of requests whose context key \(k) is true, 1 or yes"))
        case .itemField(let f): d.append(("exploration_rate", "share of shown items whose field \(f) is true, 1 or yes"))
        }
        return .object(d.map { ($0, .string($1)) })
    }

    static func fairness(_ s: MonitorState, key: String, config c: MonitorConfig, windowMicros: Int64) -> JSONValue {
        var byWindow: [Int64: [(value: String?, cell: MonitorCell)]] = [:]
        for (k, cell) in s.sortedCells where k.scope == .cohort { byWindow[k.window, default: []].append((k.values[0], cell)) }
        // What a cohort's share counts: shown items for an item-field exploration rate, else requests.
        var trials = "requests"
        if c.fairnessMetric == .explorationRate, case .itemField = c.exploration { trials = "shown items" }
        var rows: [JSONValue] = []
        for w in byWindow.keys.sorted() {
            let cohorts = byWindow[w]!
            var list: [JSONValue] = []
            var rated: [(value: String, rate: Double, share: (successes: Int, trials: Int))] = []
            var small: [String] = []
            for (v, cell) in cohorts {
                let r = value(c.fairnessMetric, cell, latencies: cell.latency.sorted(), catalog: 0, config: c)
                var member: [(String, JSONValue)] = [
                    ("value", v.map { .string($0) } ?? .null), ("requests", .number(Double(cell.requests))),
                    (c.fairnessMetric.rawValue, r.map { .number($0.value) } ?? .null),
                ]
                if let v, let r, let share = r.share {
                    rated.append((v, r.value, share))
                    if share.trials < c.minCohort {
                        small.append(v)
                        member.append(
                            (
                                "note",
                                .string(
                                    "fewer than \(c.minCohort) \(trials): too few to compare"
                                )
                            ))
                    }
                } else if v == nil {
                    member.append(("note", .string("requests without \(key): listed, not compared")))
                }
                list.append(.object(member))
            }
            var row: [(String, JSONValue)] = [
                ("window_start", .string(time(w))), ("window_end", .string(time(w + windowMicros))), ("cohorts", .array(list)),
            ]
            // Highest and lowest rate; among equal rates the highest is the value first in byte
            // order and the lowest the last, so the choice is fixed and two cohorts are compared.
            if rated.count >= 2,
                let hi = rated.max(by: { ($0.rate, $1.value) < ($1.rate, $0.value) }),
                let lo = rated.min(by: { ($0.rate, $1.value) < ($1.rate, $0.value) })
            {
                let cmp = TwoSampleTests.twoProportion(control: lo.share, treatment: hi.share, level: c.level)
                row += [
                    ("delta", .number(hi.rate - lo.rate)), ("max_cohort", .string(hi.value)), ("min_cohort", .string(lo.value)),
                    (
                        "delta_ci",
                        .object([
                            ("level", .number(c.level)), ("lower", .number(cmp.absolute.lower)), ("upper", .number(cmp.absolute.upper)),
                        ])
                    ),
                ]
                var notes = ["interval: the two cohorts' difference as if chosen in advance; picking the extremes biases delta upward"]
                if !small.isEmpty { notes.insert("too small to compare reliably: \(small.joined(separator: ", "))", at: 0) }
                row.append(("note", .string(notes.joined(separator: "; "))))
            } else {
                row.append(("delta", .null))
                row.append(("note", .string("fewer than two cohorts in this window")))
            }
            rows.append(.object(row))
        }
        return .object([
            ("key", .string(key)), ("metric", .string(c.fairnessMetric.rawValue)), ("min_cohort", .number(Double(c.minCohort))),
            ("windows", .array(rows)),
        ])
    }

    static func drift(_ s: MonitorState, config c: MonitorConfig, windowMicros: Int64) -> JSONValue {
        let windows = s.drift.keys.sorted()
        let reference: MonitorState.Drift? = s.reference ?? windows.first.map { s.drift[$0]! }
        var rows: [JSONValue] = []
        func pair(_ a: [Int], _ b: [Int]) -> JSONValue {
            .object([
                ("psi", Divergence.psi(a, b).map { .number($0) } ?? .null),
                ("psi_by_chance", Divergence.psiByChance(a, b).map { .number($0) } ?? .null),
                ("js", Divergence.jensenShannon(a, b).map { .number($0) } ?? .null),
            ])
        }
        for w in windows {
            let d = s.drift[w]!
            var row: [(String, JSONValue)] = [
                ("window_start", .string(time(w))), ("window_end", .string(time(w + windowMicros))),
                ("requests", .number(Double(d.requests))),
            ]
            if let ref = reference {
                if c.driftItems { row.append(("items", pair(d.bins, ref.bins))) }
                var keys: [(String, JSONValue)] = []
                for (i, name) in c.driftKeys.enumerated() {
                    let values = Set(d.values[i].keys).union(ref.values[i].keys).sorted { MonitorState.valuePrecedes($0, $1) }
                    keys.append((name, pair(values.map { d.values[i][$0] ?? 0 }, values.map { ref.values[i][$0] ?? 0 })))
                }
                if !keys.isEmpty { row.append(("keys", .object(keys))) }
            }
            rows.append(.object(row))
        }
        var head: [(String, JSONValue)] = [("reference", .string(c.referenceText))]
        if s.reference == nil, let first = windows.first { head.append(("reference_window", .string(time(first)))) }
        if let r = s.reference { head.append(("reference_requests", .number(Double(r.requests)))) }
        return .object(
            head + [
                ("items", .bool(c.driftItems)), ("item_bins", .number(Double(MonitorScan.Options.driftBins))),
                ("keys", .array(c.driftKeys.map { .string($0) })), ("windows", .array(rows)),
            ])
    }
}
