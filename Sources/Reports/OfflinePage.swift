/// The offline page. First screen: the gate status (pass, fail naming the failed gates, or not
/// configured), then every metric with its interval, baseline and delta. Segments follow as small
/// multiples: one chart per metric, one bar per segment.
enum OfflinePage {
    static func content(_ report: JSONValue) -> PageBuilder.Content {
        let executive = report["summary"]?["executive"]
        var blocks: [Block] = [gateBanner(executive)]
        // Every top-level block shaped like {metrics: [{name, value}], by_segment: {segment: [...]}}
        // (offline, offline_ir...) gets the same table and charts.
        var first = true
        for (key, value) in report.objectMembers where value["metrics"]?.arrayItems.first?["value"] != nil {
            let definition = report["definitions"]?[key]?.stringValue.map { " (\($0) definitions)" } ?? ""
            let metricBlocks = metrics(value, executive: executive, gates: report["gates"]?.arrayItems ?? [])
            if first {
                blocks.append(.heading("Metrics: " + key + definition))
                blocks += metricBlocks
            } else {
                blocks.append(.details("Metrics: " + key + definition, metricBlocks))
            }
            first = false
        }
        var shown: Set<String> = []
        if let summary = report["summary"] {
            blocks.append(JSONFold.details("summary" + JSONFold.summarySuffix(summary), summary))
            shown.insert("summary")
        }
        return PageBuilder.Content(blocks: blocks, shownKeys: shown)
    }

    /// Pass (green), fail (red, one line per failed gate) or not configured (neutral, with the
    /// report's next steps).
    static func gateBanner(_ executive: JSONValue?) -> Block {
        let decision = executive?["decision"]?.stringValue ?? "not_configured"
        switch decision {
        case "pass":
            return .banner(.good, title: "Gates passed: no metric dropped beyond its limit", lines: [])
        case "fail":
            let failures = (executive?["gate_failures"]?.arrayItems ?? []).map(describeGate)
            return .banner(.bad, title: "Regression gate failed", lines: failures)
        default:
            let steps = ExperimentPage.strings(executive?["next_steps"])
            return .banner(.info, title: "No regression gates checked (decision: \(decision.replacing("_", with: " ")))", lines: steps)
        }
    }

    /// "precision@10 dropped by 0.0012 (limit 0)".
    static func describeGate(_ g: JSONValue) -> String {
        let metric = g["metric"]?.stringValue ?? "metric"
        var s = metric
        if let d = g["delta"]?.numberValue { s += ": delta " + ReadableNumber.delta(d) }
        if let m = g["max_drop"]?.numberValue { s += ", allowed drop " + ReadableNumber.value(m) }
        return s
    }

    /// The metrics table (value, interval, baseline, delta, gate) and the per-segment charts.
    static func metrics(_ section: JSONValue, executive: JSONValue?, gates: [JSONValue]) -> [Block] {
        let list = section["metrics"]?.arrayItems ?? []
        // Every metric's delta is in `offline.baseline.deltas`; the summary's key deltas name only a few.
        let deltas = section["baseline"]?["deltas"]?.arrayItems ?? executive?["key_deltas"]?.arrayItems ?? []
        let hasBaseline = !deltas.isEmpty
        let rows: [[Cell]] = list.map { m in
            let name = m["name"]?.stringValue ?? ""
            var row = [Cell(name), .number(m["value"]?.numberValue, .value, missing: "not computed")]
            if let ci = m["ci"], let l = ci["lower"]?.numberValue, let u = ci["upper"]?.numberValue {
                row.append(.numeric(NumberStyle.value.interval(l, u)))
            } else {
                row.append(.missing("no interval: offline.bootstrap.enabled is off"))
            }
            if hasBaseline {
                let d = deltas.first { $0["name"]?.stringValue == name }
                row.append(.number(d?["before"]?.numberValue, .value, missing: "not in the baseline"))
                row.append(.number(d?["delta"]?.numberValue, .delta, missing: "not in the baseline"))
                let before = d?["before"]?.numberValue
                let relative = before.flatMap { b in b == 0 ? nil : d?["delta"]?.numberValue.map { $0 / b } }
                row.append(.number(relative, .lift, missing: before == 0 ? "baseline is 0" : "not in the baseline"))
            }
            if let g = gates.first(where: { $0["metric"]?.stringValue == name }) {
                let passed = g["passed"]?.boolValue == true
                row.append(Cell(passed ? "passed" : "FAILED", note: describeGate(g), tone: passed ? .good : .bad))
            } else {
                row.append(.missing("no gate"))
            }
            return row
        }
        let header = ["metric", "value", "interval"] + (hasBaseline ? ["baseline", "delta", "change"] : []) + ["gate"]
        var blocks: [Block] = [.table(Table(header: header, rows: rows))]
        if case .object(let segments)? = section["by_segment"], !segments.isEmpty {
            blocks.append(.text("By segment: one chart per metric, one bar per segment (each chart on its own scale)."))
            blocks.append(.charts(segmentCharts(segments)))
        }
        return blocks
    }

    static func segmentCharts(_ segments: [(String, JSONValue)]) -> [IntervalChart] {
        var order: [String] = []
        var rows: [String: [IntervalChart.Row]] = [:]
        for (segment, list) in segments {
            for m in list.arrayItems {
                let name = m["name"]?.stringValue ?? ""
                if rows[name] == nil { order.append(name) }
                rows[name, default: []].append(
                    IntervalChart.Row(
                        label: segment, estimate: m["value"]?.numberValue, lower: m["ci"]?["lower"]?.numberValue,
                        upper: m["ci"]?["upper"]?.numberValue))
            }
        }
        return order.map {
            IntervalChart(title: $0, rows: rows[$0] ?? [], style: .value, reference: nil, note: nil).compactingSegmentLabels()
        }
    }
}
