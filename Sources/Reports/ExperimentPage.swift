/// The experiment (and A/A check) page. First screen: the decision with its reasons, the primary
/// metrics (control, treatment, lift with interval, adjusted p-value, significance), SRM and
/// guardrail status. Then one chart per metric, segments folded, data quality, and recsys-eval's
/// request-level keys in their own labelled section.
enum ExperimentPage {
    static func content(_ report: JSONValue) -> PageBuilder.Content {
        let units = report["experiment_units"]
        var blocks: [Block] = []
        var shown: Set<String> = []
        if report["mode"]?.stringValue == "aa-check" {
            // The A/A check's own banner is its decision.
            blocks += aaCheck(report)
            shown.formUnion(["aa_check", "aa_check_units"])
        } else {
            blocks += decision(report)
        }
        let tests = units?["tests"]?.arrayItems ?? []
        let global = tests.filter { $0["segment"] == nil }
        let primary = global.filter { $0["family"]?.stringValue == "primary" }
        let level = units?["ci_level"]?.numberValue ?? 0.95
        if !global.isEmpty {
            blocks.append(.heading(primary.isEmpty ? "Metrics" : "Primary metrics"))
            blocks.append(.table(testTable(primary.isEmpty ? global : primary, level: level, segments: false)))
        }
        blocks += srm(units, verdict: report["verdict"]?["srm"])
        blocks += guardrails(units)
        if !global.isEmpty {
            blocks.append(.heading("Relative lift per metric"))
            blocks.append(.charts(charts(global, label: { $0["variant"]?.stringValue ?? "treatment" }, level: level)))
            if !primary.isEmpty && primary.count < global.count {
                blocks.append(
                    .details(
                        "All global tests (" + plural(global.count, "row") + ")", [.table(testTable(global, level: level, segments: false))]
                    ))
            }
        }
        let segmented = tests.filter { $0["segment"] != nil }
        if !segmented.isEmpty {
            let multiVariant = Set(segmented.compactMap { $0["variant"]?.stringValue }).count > 1
            let label: (JSONValue) -> String = { t in
                let seg = t["segment"]?.stringValue ?? "segment"
                return multiVariant ? seg + " · " + (t["variant"]?.stringValue ?? "") : seg
            }
            blocks.append(
                .details(
                    "Segments: " + plural(Set(segmented.compactMap { $0["segment"]?.stringValue }).count, "segment") + ", "
                        + plural(segmented.count, "test"),
                    [
                        .text("Exploratory: segment tests are corrected as their own family and do not decide."),
                        .charts(charts(segmented, label: label, level: level).map { $0.compactingSegmentLabels() }),
                        .table(testTable(segmented, level: level, segments: true)),
                    ]))
        }
        if let dq = report["data_quality"] {
            blocks.append(.heading("Data quality"))
            blocks.append(JSONFold.details("data_quality" + JSONFold.summarySuffix(dq), dq))
            shown.insert("data_quality")
        }
        let legacy = ["experiment", "summary"].filter { report[$0] != nil }
        if !legacy.isEmpty {
            blocks.append(.heading("recsys-eval compatible keys (request-level)"))
            blocks.append(
                .text(
                    "These keys repeat recsys-eval's output: every request counts as an independent observation, so their "
                        + "p-values are too small when a user sends many requests. They are kept for comparison; the unit-level "
                        + "analysis above (experiment_units) is what decides."))
            for key in legacy {
                blocks.append(JSONFold.details(key + " (request-level)" + JSONFold.summarySuffix(report[key]!), report[key]!))
            }
            shown.formUnion(legacy)
        }
        return PageBuilder.Content(blocks: blocks, shownKeys: shown)
    }

    /// The decision banner: from `verdict` when present (its notes follow as a second banner),
    /// else from `experiment_units.decision`, else from `summary.executive.decision`.
    static func decision(_ report: JSONValue) -> [Block] {
        if let v = report["verdict"], let action = v["action"]?.stringValue {
            var lines = v["decided_by"]?.stringValue.map { [$0] } ?? []
            lines += strings(v["reasons"])
            var blocks: [Block] = [.banner(PageBuilder.tone(action), title: "Decision: " + words(action), lines: lines)]
            var notes = strings(v["notes"])
            if let c = v["control"], let variant = c["variant"]?.stringValue {
                notes.append(
                    "Control: " + variant + (c["chosen_by"]?.stringValue.map { " (" + $0 + ")" } ?? "")
                        + (c["note"]?.stringValue.map { ": " + $0 } ?? ""))
            }
            if !notes.isEmpty { blocks.append(.banner(.info, title: "Notes on this decision", lines: notes)) }
            return blocks
        }
        if let d = report["experiment_units"]?["decision"], let action = d["action"]?.stringValue {
            return [.banner(PageBuilder.tone(action), title: "Decision: " + words(action), lines: strings(d["reasons"]))]
        }
        if let action = report["summary"]?["executive"]?["decision"]?.stringValue, report["mode"]?.stringValue == "experiment" {
            return [.banner(PageBuilder.tone(action), title: "Decision: " + words(action), lines: [])]
        }
        return []
    }

    /// "not_configured" -> "not configured"; decisions in capitals so they read first.
    static func words(_ action: String) -> String {
        action == "not_configured" ? "not configured (decision.enabled is off)" : action.uppercased()
    }

    /// "1 segment", "16 segments".
    static func plural(_ n: Int, _ noun: String) -> String { ReadableNumber.count(n) + " " + noun + (n == 1 ? "" : "s") }

    static func strings(_ v: JSONValue?) -> [String] { (v?.arrayItems ?? []).map { $0.stringValue ?? $0.text } }

    /// One row per test: control and treatment values, relative lift and its interval, adjusted
    /// p-value and whether it is significant after correction.
    static func testTable(_ tests: [JSONValue], level: Double, segments: Bool) -> Table {
        let ci = ReadableNumber.level(level) + " interval"
        var header =
            ["metric"] + (segments ? ["segment"] : []) + ["variant", "control", "treatment", "lift", ci, "p (adjusted)", "significant"]
        if !segments { header.append("family") }
        let rows: [[Cell]] = tests.map { t in
            let metric = t["metric"]?.stringValue ?? "metric"
            let style = NumberStyle.forMetric(metric)
            var row = [Cell(metric)]
            if segments { row.append(Cell(t["segment"]?.stringValue ?? "", note: "the empty value of the slice key")) }
            row.append(Cell(t["variant"]?.stringValue ?? "", note: "no variant named"))
            row.append(.number(t["control"]?["value"]?.numberValue, style, missing: "no control value"))
            row.append(.number(t["treatment"]?["value"]?.numberValue, style, missing: "no treatment value"))
            row += liftCells(t)
            let p = t["adjusted_p_value"]?.numberValue ?? t["p_value"]?.numberValue
            var pCell = Cell.number(p, .pValue, missing: "not computed: too few units")
            if let raw = t["p_value"]?.numberValue, t["adjusted_p_value"] != nil {
                pCell.note = "unadjusted p = " + ReadableNumber.pValue(raw)
            }
            row.append(pCell)
            switch t["significant"]?.boolValue {
            case true?: row.append(Cell("yes", tone: (t["relative"]?["estimate"]?.numberValue ?? 0) < 0 ? .bad : .good))
            case false?: row.append(Cell("no"))
            case nil: row.append(.missing("not tested"))
            }
            if !segments { row.append(Cell(t["family"]?.stringValue ?? "", note: "no correction family")) }
            return row
        }
        return Table(header: header, rows: rows)
    }

    /// The lift and its interval: relative when the report has it, else absolute in the metric's unit.
    static func liftCells(_ t: JSONValue) -> [Cell] {
        if let r = t["relative"], let e = r["estimate"]?.numberValue {
            let interval = r["lower"]?.numberValue.flatMap { l in r["upper"]?.numberValue.map { ReadableNumber.interval(l, $0) } }
            return [.numeric(ReadableNumber.lift(e)), interval.map { Cell.numeric($0) } ?? .missing("no interval")]
        }
        if let a = t["absolute"], let e = a["estimate"]?.numberValue {
            let interval = a["lower"]?.numberValue.flatMap { l in
                a["upper"]?.numberValue.map { ReadableNumber.interval(l, $0, percent: false) }
            }
            return [
                .numeric(ReadableNumber.delta(e), note: "absolute difference: no relative lift (control value is 0)"),
                interval.map { Cell($0) } ?? .missing("no interval"),
            ]
        }
        return [.missing("not computed: fewer than 2 units"), .missing("not computed")]
    }

    /// One chart per metric (in first-seen order), a row per test, relative lift and interval.
    static func charts(_ tests: [JSONValue], label: (JSONValue) -> String, level: Double) -> [IntervalChart] {
        var order: [String] = []
        var byMetric: [String: [IntervalChart.Row]] = [:]
        var relative: [String: Bool] = [:]
        for t in tests {
            let metric = t["metric"]?.stringValue ?? "metric"
            if byMetric[metric] == nil { order.append(metric) }
            let key = t["relative"]?["estimate"] != nil ? "relative" : "absolute"
            relative[metric, default: true] = relative[metric, default: true] && key == "relative"
            byMetric[metric, default: []].append(
                IntervalChart.Row(
                    label: label(t), estimate: t[key]?["estimate"]?.numberValue, lower: t[key]?["lower"]?.numberValue,
                    upper: t[key]?["upper"]?.numberValue, emphasis: t["significant"]?.boolValue == true))
        }
        let ci = ReadableNumber.level(level)
        return order.map { metric in
            let rel = relative[metric] ?? true
            return IntervalChart(
                title: metric, rows: byMetric[metric] ?? [], style: rel ? .lift : .delta, reference: nil,
                note: (rel ? "relative lift" : "absolute difference") + ", \(ci) interval; filled: significant after correction")
        }
    }

    /// SRM status: red when the split of units is off, green otherwise, with the counts.
    static func srm(_ units: JSONValue?, verdict: JSONValue?) -> [Block] {
        let s = units?["srm"]
        guard let detected = verdict?["detected"]?.boolValue ?? s?["detected"]?.boolValue else { return [] }
        var lines: [String] = []
        if case .object(let observed)? = s?["observed"] {
            lines.append(
                "Units observed: "
                    + observed.map { $0.0 + " " + ($0.1.numberValue.map(ReadableNumber.count) ?? $0.1.text) }.joined(separator: ", "))
        }
        if let g = verdict?["gating"]?.stringValue { lines.append("SRM gating: " + g) }
        if let n = verdict?["note"]?.stringValue { lines.append(n) }
        let p = s?["p_value"]?.numberValue.map { " (p " + Self.pText($0) + ")" } ?? ""
        return [
            detected
                ? .banner(.bad, title: "Sample ratio mismatch detected" + p + ": the split of units differs from the design", lines: lines)
                : .banner(.good, title: "No sample ratio mismatch" + p, lines: lines)
        ]
    }

    /// "= 0.847" or "< 0.001".
    static func pText(_ p: Double) -> String {
        let s = ReadableNumber.pValue(p)
        return s.hasPrefix("<") ? s : "= " + s
    }

    /// Guardrail status: green when every guardrail passed, red naming the ones that failed.
    static func guardrails(_ units: JSONValue?) -> [Block] {
        let rows = units?["guardrails"]?.arrayItems ?? []
        guard !rows.isEmpty else { return [] }
        let failed = rows.filter { $0["passed"]?.boolValue == false }
        let describe: (JSONValue) -> String = { g in
            let metric = g["metric"]?.stringValue ?? "guardrail"
            var s = metric + " " + (g["variant"]?.stringValue ?? "")
            if let v = g["value"]?.numberValue { s += ": " + ReadableNumber.value(v) }
            if let c = g["control"]?.numberValue { s += " vs control " + ReadableNumber.value(c) }
            if let t = g["threshold"]?.numberValue { s += " (threshold " + ReadableNumber.value(t) + ")" }
            if let b = g["relative_bound"]?.numberValue, let m = g["non_inferiority_margin"]?.numberValue {
                s += " (relative bound " + ReadableNumber.lift(b) + ", margin " + ReadableNumber.percent(m) + ")"
            }
            return s
        }
        let banner: Block =
            failed.isEmpty
            ? .banner(.good, title: "Guardrails passed (\(rows.count) of \(rows.count))", lines: [])
            : .banner(.bad, title: "Guardrails failed (\(failed.count) of \(rows.count))", lines: failed.map(describe))
        return [banner, .details("Guardrails (" + plural(rows.count, "row") + ")", JSONFold.blocks(.array(rows), key: "guardrails"))]
    }

    /// The A/A check: whether p-values look uniform, with the counts below each threshold
    /// against what chance alone gives.
    static func aaCheck(_ report: JSONValue) -> [Block] {
        let unitsCheck = report["aa_check_units"]
        let requestCheck = report["aa_check"]
        guard let uniform = unitsCheck?["uniformish"]?.boolValue ?? requestCheck?["uniformish"]?.boolValue else { return [] }
        let level = unitsCheck?["uniformish"] != nil ? "unit-level" : "request-level"
        var blocks: [Block] = []
        if let v = report["verdict"], let action = v["action"]?.stringValue {
            // The verdict also weighs SRM on units; its reasons carry the counts.
            let passed = action == "pass"
            blocks.append(
                .banner(
                    passed ? .good : .bad, title: passed ? "A/A check passed (\(level))" : "A/A check failed (\(level))",
                    lines: (v["decided_by"]?.stringValue.map { [$0] } ?? []) + strings(v["reasons"])))
        } else {
            blocks.append(
                uniform
                    ? .banner(
                        .good, title: "A/A check looks uniform (\(level))",
                        lines: ["p-values fall below each threshold about as often as chance alone allows."])
                    : .banner(
                        .bad, title: "A/A check does not look uniform (\(level))",
                        lines: ["Too many small p-values: the assignment or the analysis is biased."]))
        }
        let thresholds = (requestCheck?["thresholds"]?.arrayItems ?? []).compactMap(\.numberValue)
        var keys = thresholds.map { $0.description }
        if keys.isEmpty, case .object(let counts)? = unitsCheck?["counts"] { keys = counts.map(\.0) }
        if !keys.isEmpty {
            let header = [
                "p-value threshold", "unit-level tests below", "expected by chance", "request-level tests below",
                "expected by chance (requests)",
            ]
            let rows: [[Cell]] = keys.map { k in
                let t = Double(k)
                return [
                    .numeric(k), count(unitsCheck?["counts"]?[k], missing: "no unit-level check"),
                    expected(t, unitsCheck?["total_tests"]?.numberValue),
                    count(requestCheck?["counts"]?[k] ?? total(requestCheck, k), missing: "no request-level check"),
                    expected(t, requestCheck?["total_tests"]?.numberValue),
                ]
            }
            blocks.append(.table(Table(header: header, rows: rows)))
        }
        for (key, v) in [("aa_check_units", unitsCheck), ("aa_check", requestCheck)] {
            if let v { blocks.append(JSONFold.details(key + JSONFold.summarySuffix(v), v)) }
        }
        return blocks
    }

    static func count(_ v: JSONValue?, missing: String) -> Cell { .number(v?.numberValue, .count, missing: missing) }

    static func expected(_ threshold: Double?, _ total: Double?) -> Cell {
        guard let threshold, let total else { return .missing("no total") }
        return .numeric(ReadableNumber.value(threshold * total))
    }

    /// recsys-eval's A/A counts live per metric: their sum at threshold `k`.
    static func total(_ check: JSONValue?, _ k: String) -> JSONValue? {
        let rows = check?["metrics"]?.arrayItems ?? []
        guard !rows.isEmpty else { return nil }
        return .number(rows.compactMap { $0["counts"]?[k]?.numberValue }.reduce(0, +))
    }
}
