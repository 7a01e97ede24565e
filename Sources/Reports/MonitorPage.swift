/// The monitor page. First screen: whether every objective held (and if not, which indicator,
/// for which group, in how many windows, and the worst value), then the latest window's numbers
/// per group. Then one time-series chart per indicator with its objective and the breaches
/// marked, fairness cohorts over time, and drift against the reference.
enum MonitorPage {
    /// The indicators charted, in order: key in a series row, title, style.
    static let indicators: [(key: String, title: String, style: NumberStyle)] = [
        ("latency_p95_ms", "latency p95 (ms)", .value), ("error_rate", "error rate", .percent), ("empty_rate", "empty rate", .percent),
        ("ctr", "click-through (requests with a click)", .percent), ("cvr", "conversion (requests with a conversion)", .percent),
        ("coverage", "catalog coverage", .percent), ("exploration_rate", "exploration rate", .percent),
        ("latency_p50_ms", "latency p50 (ms)", .value), ("latency_p99_ms", "latency p99 (ms)", .value),
    ]

    /// A series row's value of an indicator.
    static func value(_ row: JSONValue, _ key: String) -> Double? {
        switch key {
        case "latency_p50_ms": return row["latency_ms"]?["p50"]?.numberValue
        case "latency_p95_ms": return row["latency_ms"]?["p95"]?.numberValue
        case "latency_p99_ms": return row["latency_ms"]?["p99"]?.numberValue
        default: return row[key]?.numberValue
        }
    }

    /// A group object as a label: `v2`, `ios · v1`, `all` for the whole window.
    static func label(_ group: JSONValue?) -> String {
        let members = group?.objectMembers ?? []
        return members.isEmpty ? "all" : members.map { $0.1.stringValue ?? "(none)" }.joined(separator: " · ")
    }

    /// `2026-01-27T10:00:00Z` as `01-27 10:00`, or `2026-01-27` for windows of whole days.
    static func short(_ time: String, days: Bool) -> String {
        let t = Array(time)
        guard t.count >= 16 else { return time }
        return days ? String(t[0..<10]) : String(t[5..<10]) + " " + String(t[11..<16])
    }

    static func content(_ report: JSONValue) -> PageBuilder.Content {
        guard let m = report["monitor"], let series = m["series"]?.arrayItems else { return PageBuilder.Content(blocks: [], shownKeys: []) }
        let days = (m["window_seconds"]?.numberValue ?? 0).truncatingRemainder(dividingBy: 86_400) == 0
        let summary = m["summary"]
        let windowStarts = series.compactMap { $0["window_start"]?.stringValue }.reduce(into: [String]()) {
            if $0.last != $1 { $0.append($1) }
        }
        let windowIndex = Dictionary(windowStarts.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let labels = windowStarts.map { short($0, days: days) }
        // Groups by their values (two groups may read the same as labels), in series order.
        func groupKey(_ g: JSONValue?) -> String { g?.serialized(indent: false) ?? "{}" }
        var groups: [String] = []
        var groupLabels: [String] = []
        for row in series where !groups.contains(groupKey(row["group"])) {
            groups.append(groupKey(row["group"]))
            groupLabels.append(label(row["group"]))
        }

        var blocks: [Block] = []
        // The verdict.
        let breaches = m["slo"]?["breaches"]?.arrayItems ?? []
        let objectives = m["slo"]?["objectives"]?.arrayItems ?? []
        let windowCount = Int(summary?["windows"]?.numberValue ?? 0)
        if objectives.isEmpty {
            blocks.append(.banner(.info, title: "No objectives configured (monitor.slo)", lines: []))
        } else if breaches.isEmpty {
            blocks.append(
                .banner(.good, title: "Every objective held in all \(windowCount) windows", lines: objectives.map(objectiveText)))
        } else {
            var found: [(sli: String, group: String, objective: String, threshold: Double, count: Int, worst: Double, at: String)] = []
            for b in breaches {
                let sli = b["sli"]?.stringValue ?? "?"
                let group = label(b["group"])
                let v = b["value"]?.numberValue ?? .nan
                let isMin = b["objective"]?.stringValue == "min"
                if let i = found.firstIndex(where: { $0.sli == sli && $0.group == group }) {
                    found[i].count += 1
                    if isMin ? v < found[i].worst : v > found[i].worst {
                        found[i].worst = v
                        found[i].at = b["window_start"]?.stringValue ?? ""
                    }
                } else {
                    found.append(
                        (
                            sli, group, isMin ? "below" : "above", b["threshold"]?.numberValue ?? .nan, 1, v,
                            b["window_start"]?.stringValue ?? ""
                        ))
                }
            }
            // Windows where the group's objective was checked: it had rows, at least min_requests.
            let minRequests = m["slo"]?["min_requests"]?.numberValue ?? 1
            func checked(_ group: String) -> Int {
                series.filter { label($0["group"]) == group && ($0["requests"]?.numberValue ?? 0) >= minRequests }.count
            }
            let lines = found.map { f in
                let style = style(f.sli)
                let of = checked(f.group)
                let windows = of == windowCount ? "\(of) windows" : "\(of) windows checked"
                return
                    "\(f.sli) \(f.objective) \(style.format(f.threshold)) in \(f.count) of \(windows) for \(f.group == "all" ? "all requests" : f.group); worst \(style.format(f.worst)) in the window from \(short(f.at, days: days))"
            }
            blocks.append(
                .banner(
                    .bad, title: "\(breaches.count) SLO breach\(breaches.count == 1 ? "" : "es"): the run exits 4", lines: lines))
        }
        // The latest window per group.
        if let last = windowStarts.last {
            var rows: [[Cell]] = []
            for row in series where row["window_start"]?.stringValue == last {
                var cells: [Cell] = [Cell(label(row["group"])), .number(row["requests"]?.numberValue, .count)]
                for key in ["latency_p95_ms", "error_rate", "empty_rate", "ctr", "cvr", "coverage"] {
                    cells.append(.number(value(row, key), style(key), missing: "no value in this window"))
                }
                if series.first?["exploration_rate"] != nil {
                    cells.append(.number(value(row, "exploration_rate"), .percent, missing: "no value in this window"))
                }
                rows.append(cells)
            }
            var header = ["group", "requests", "latency p95 (ms)", "error rate", "empty rate", "click-through", "conversion", "coverage"]
            if series.first?["exploration_rate"] != nil { header.append("exploration") }
            blocks.append(.text("Latest window, from \(short(last, days: days)) (\(m["window"]?.stringValue ?? "") windows, UTC):"))
            blocks.append(.table(Table(header: header, rows: rows)))
        }
        let overall = [
            summary?["requests"]?.numberValue.map { "\(ReadableNumber.count($0)) requests" },
            summary?["first_window"]?.stringValue.flatMap { a in summary?["last_window"]?.stringValue.map { "from \(a) to \($0)" } },
            summary?["distinct_items"]?.numberValue.map { "about \(ReadableNumber.count($0)) distinct items shown" },
        ].compactMap { $0 }.joined(separator: ", ")
        if !overall.isEmpty { blocks.append(.text(overall + ".")) }

        // One chart per indicator.
        var charts: [SeriesChart] = []
        for (key, title, style) in indicators {
            let objective = objectives.first { $0["sli"]?.stringValue == key }
            guard series.contains(where: { $0[key] != nil || (key.hasPrefix("latency") && $0["latency_ms"] != nil) }) else { continue }
            if (key == "latency_p50_ms" || key == "latency_p99_ms") && objective == nil { continue }
            var lines = groupLabels.map { SeriesChart.Line(label: $0, values: [Double?](repeating: nil, count: windowStarts.count)) }
            for row in series {
                guard let w = row["window_start"]?.stringValue.flatMap({ windowIndex[$0] }),
                    let g = groups.firstIndex(of: groupKey(row["group"]))
                else { continue }
                lines[g].values[w] = value(row, key)
            }
            for b in breaches where b["sli"]?.stringValue == key {
                if let w = b["window_start"]?.stringValue.flatMap({ windowIndex[$0] }), let g = groups.firstIndex(of: groupKey(b["group"]))
                {
                    lines[g].breaches.insert(w)
                }
            }
            guard lines.contains(where: { $0.values.contains { $0 != nil } }) else { continue }
            let threshold = objective.flatMap { o in
                o["threshold"]?.numberValue.map {
                    (value: $0, label: "objective: \(o["objective"]?.stringValue ?? "max") \(style.format($0))")
                }
            }
            charts.append(
                SeriesChart(
                    title: title, note: threshold.map { "dashed: \($0.label); ringed: breaches" }, windows: labels, lines: lines,
                    style: style, objective: threshold))
        }
        if !charts.isEmpty {
            blocks.append(.heading("Indicators per window"))
            blocks.append(.series(charts))
        }
        if let f = m["fairness"] { blocks += fairness(f, windowIndex: windowIndex, labels: labels, days: days) }
        if let d = m["drift"] { blocks += drift(d, windowIndex: windowIndex, labels: labels) }
        return PageBuilder.Content(blocks: blocks, shownKeys: [])
    }

    static func style(_ key: String) -> NumberStyle { key.hasPrefix("latency") ? .value : .percent }

    static func objectiveText(_ o: JSONValue) -> String {
        let key = o["sli"]?.stringValue ?? "?"
        let t = o["threshold"]?.numberValue.map(style(key).format) ?? "?"
        return "\(key) \(o["objective"]?.stringValue == "min" ? "at least" : "at most") \(t)"
    }

    static func fairness(_ f: JSONValue, windowIndex: [String: Int], labels: [String], days: Bool) -> [Block] {
        let metric = f["metric"]?.stringValue ?? "ctr"
        let key = f["key"]?.stringValue ?? "?"
        let windows = f["windows"]?.arrayItems ?? []
        var cohorts: [String] = []
        for w in windows {
            for c in w["cohorts"]?.arrayItems ?? [] where c["value"]?.stringValue != nil {
                let v = c["value"]!.stringValue!
                if !cohorts.contains(v) { cohorts.append(v) }
            }
        }
        // Cohorts in the palette's colours after black, which stands for a whole window elsewhere.
        var lines = cohorts.enumerated().map { j, c in
            SeriesChart.Line(
                label: c, values: [Double?](repeating: nil, count: labels.count),
                colour: SeriesChart.palette[1 + j % (SeriesChart.palette.count - 1)])
        }
        var delta = SeriesChart.Line(label: "max − min", values: [Double?](repeating: nil, count: labels.count))
        var rows: [[Cell]] = []
        for w in windows {
            guard let i = w["window_start"]?.stringValue.flatMap({ windowIndex[$0] }) else { continue }
            for c in w["cohorts"]?.arrayItems ?? [] {
                if let v = c["value"]?.stringValue, let j = cohorts.firstIndex(of: v) { lines[j].values[i] = c[metric]?.numberValue }
            }
            delta.values[i] = w["delta"]?.numberValue
            let ci = w["delta_ci"]
            let interval: Cell =
                ci.flatMap { c in
                    c["lower"]?.numberValue.flatMap { l in
                        c["upper"]?.numberValue.map { Cell.numeric(ReadableNumber.interval(l, $0, percent: true)) }
                    }
                } ?? .missing("fewer than two cohorts")
            rows.append([
                Cell(labels[i]), Cell(w["max_cohort"]?.stringValue ?? "", note: "no cohorts to compare"),
                Cell(w["min_cohort"]?.stringValue ?? "", note: "no cohorts to compare"),
                .number(w["delta"]?.numberValue, .percent, missing: "fewer than two cohorts"), interval,
                Cell(w["note"]?.stringValue ?? "—"),
            ])
        }
        let charts = [
            SeriesChart(
                title: "\(metric) by \(key)", note: "one line per cohort", windows: labels, lines: lines, style: .percent, objective: nil),
            SeriesChart(
                title: "fairness delta (\(metric), max − min across \(key))", note: nil, windows: labels, lines: [delta], style: .percent,
                objective: nil),
        ]
        return [
            .heading("Fairness: \(metric) across \(key)"), .series(charts),
            .details(
                "Fairness per window: highest and lowest cohort, delta and its interval",
                [.table(Table(header: ["window", "highest", "lowest", "delta", "interval", "note"], rows: rows))]),
        ]
    }

    static func drift(_ d: JSONValue, windowIndex: [String: Int], labels: [String]) -> [Block] {
        let windows = d["windows"]?.arrayItems ?? []
        var names: [String] = []
        if d["items"]?.boolValue == true { names.append("items") }
        for k in d["keys"]?.arrayItems ?? [] { if let s = k.stringValue { names.append(s) } }
        var lines = names.map { SeriesChart.Line(label: $0, values: [Double?](repeating: nil, count: labels.count)) }
        var chance = names.map { SeriesChart.Line(label: $0 + " by chance", values: [Double?](repeating: nil, count: labels.count)) }
        for w in windows {
            guard let i = w["window_start"]?.stringValue.flatMap({ windowIndex[$0] }) else { continue }
            for (j, name) in names.enumerated() {
                let pair = name == "items" && j == 0 && d["items"]?.boolValue == true ? w["items"] : w["keys"]?[name]
                lines[j].values[i] = pair?["psi"]?.numberValue
                chance[j].values[i] = pair?["psi_by_chance"]?.numberValue
            }
        }
        let reference = d["reference_window"]?.stringValue.map { "the first window, from \($0)" } ?? d["reference"]?.stringValue ?? "?"
        let charts = zip(lines, chance).map { line, noise in
            SeriesChart(
                title: "drift of \(line.label) (PSI)", note: "grey: the PSI two samples of one distribution of these sizes show on average",
                windows: labels, lines: [line, SeriesChart.Line(label: "by chance", values: noise.values, colour: "#8c959f")],
                style: .value, objective: nil)
        }
        return [
            .heading("Drift against \(reference)"),
            .text(
                "Population stability index per window (below 0.1 reads as stable, above 0.25 as a major shift); items are compared over \(Int(d["item_bins"]?.numberValue ?? 0)) bins of a hash of the item id. The JSON adds the Jensen-Shannon divergence."
            ),
            .series(charts),
        ]
    }
}
