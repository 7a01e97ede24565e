/// Chooses the page for a report's `mode` and adds what every page has: the title line, the
/// report's top-level `warnings` as amber banners near the top, and at the end every top-level
/// key the mode's page did not already fold in full, so nothing in the JSON is lost.
enum PageBuilder {
    /// What a mode's page contributes: its blocks, and the top-level keys it already folds in full
    /// (every member, as `JSONFold` shows it), which the closing section then skips; a key the
    /// page only summarises is folded again there, so no field is lost.
    struct Content {
        var blocks: [Block]
        var shownKeys: Set<String>
    }

    static func page(_ report: JSONValue) -> Page {
        let mode = report["mode"]?.stringValue ?? ""
        let content: Content
        switch mode {
        case "experiment", "aa-check": content = ExperimentPage.content(report)
        case "ope": content = OPEPage.content(report)
        case "offline": content = OfflinePage.content(report)
        case "interleaving": content = InterleavingPage.content(report)
        case "monitor": content = MonitorPage.content(report)
        default: content = Content(blocks: [], shownKeys: [])
        }
        var blocks = warnings(report) + rejected(report) + keptAsRuntimeReads(report) + content.blocks
        blocks += fullReport(report, skipping: content.shownKeys, openAll: content.blocks.isEmpty)
        let subtitle = [
            mode.isEmpty ? nil : "mode " + mode, report["run_id"]?.stringValue.map { "run " + $0 },
            report["created_at"]?.stringValue.map { "created " + $0 },
        ].compactMap { $0 }.joined(separator: " · ")
        return Page(title: title(mode, report), subtitle: subtitle, blocks: blocks)
    }

    static func title(_ mode: String, _ report: JSONValue) -> String {
        switch mode {
        case "experiment":
            return "Experiment " + (report["experiment"]?["experiment_id"]?.stringValue ?? "report")
        case "aa-check": return "A/A check " + (report["experiment"]?["experiment_id"]?.stringValue ?? "")
        case "ope": return "Off-policy evaluation"
        case "offline": return "Offline evaluation"
        case "interleaving": return "Interleaving"
        case "monitor": return "Monitor"
        default: return "receval report"
        }
    }

    /// The report's top-level `warnings`, one amber banner each, as `ReportWarnings` words them.
    static func warnings(_ report: JSONValue) -> [Block] {
        ReportWarnings.readable(report).map { .banner(.warn, title: "Warning", lines: [$0]) }
    }

    /// Rows rejected while ingesting the run's JSONL sources (`data_quality.ingest`): one amber
    /// banner with the counts per table, the first reasons and where the rest are.
    static func rejected(_ report: JSONValue) -> [Block] {
        guard let ingest = report["data_quality"]?["ingest"] else { return [] }
        var lines: [String] = []
        for (table, c) in ingest["tables"]?.objectMembers ?? [] {
            guard let rejected = c["rejected"]?.numberValue, rejected > 0, let read = c["read"]?.numberValue else { continue }
            lines.append(
                "\(table): \(ReadableNumber.count(rejected)) of \(ReadableNumber.count(read)) rows rejected (\(ReadableNumber.percent(rejected / read))); \(ReadableNumber.count(c["written"]?.numberValue ?? 0)) analysed"
            )
        }
        guard !lines.isEmpty else { return [] }
        // A few first reasons keep the decision on the first screen; the file has them all.
        for r in (ingest["first_rejects"]?.arrayItems ?? []).prefix(3) {
            let field = r["field"]?.stringValue ?? ""
            let line = r["line"]?.numberValue.map { String(Int($0)) } ?? "?"
            lines.append(
                "\(r["source"]?.stringValue ?? "?"):\(line): " + (field.isEmpty ? "" : field + ": ") + (r["reason"]?.stringValue ?? ""))
        }
        if let file = ingest["rejects_file"]?.stringValue { lines.append("Every rejected line and its reason: " + file) }
        return [.banner(.warn, title: "Input rows rejected", lines: lines)]
    }

    /// Rows kept under recsys-eval's runtime contract although its schemas reject them
    /// (`data_quality.ingest.runtime_readings` by table, or, for interleaving's inputs,
    /// `interleaving_data_quality.runtime_readings` by input): one short blue banner, a line per
    /// table or input, so that a reader sees that the logs held empty variants, other event types
    /// or missing fields before the numbers computed from them, with the decision still on the
    /// first screen.
    static func keptAsRuntimeReads(_ report: JSONValue) -> [Block] {
        let ingest = report["data_quality"]?["ingest"]?["runtime_readings"]?.arrayItems ?? []
        let (readings, by, path) =
            ingest.isEmpty
            ? (
                report["interleaving_data_quality"]?["runtime_readings"]?.arrayItems ?? [], "input",
                "interleaving_data_quality.runtime_readings"
            ) : (ingest, "table", "data_quality.ingest.runtime_readings")
        guard !readings.isEmpty else { return [] }
        var tables: [String] = []
        for r in readings where !tables.contains(r[by]?.stringValue ?? "?") { tables.append(r[by]?.stringValue ?? "?") }
        var lines = tables.map { table -> String in
            let kinds = readings.filter { $0[by]?.stringValue == table }
            let total = kinds.reduce(0.0) { $0 + ($1["rows"]?.numberValue ?? 0) }
            let first = kinds[0]
            let file = (first["first_source"]?.stringValue ?? "?").split(separator: "/").last.map(String.init) ?? "?"
            let line = first["first_line"]?.numberValue.map { String(Int($0)) } ?? "?"
            return "\(table): \(ReadableNumber.count(total)) readings of \(kinds.count) kind(s), e.g. \(file):\(line) "
                + "\(first["first_field"]?.stringValue ?? ""): \(first["what"]?.stringValue ?? "")"
        }
        lines.append("Each kind, its rows and its first line: " + path)
        return [.banner(.info, title: "Rows kept as recsys-eval's runtime reads them", lines: lines)]
    }

    /// Every top-level key not in `skipping`: scalars in one table (run id, fingerprint...), each
    /// container folded; configuration last.
    static func fullReport(_ report: JSONValue, skipping: Set<String>, openAll: Bool) -> [Block] {
        guard case .object(let members) = report else { return JSONFold.blocks(report, key: "report") }
        let last: Set<String> = ["effective_config", "artifacts", "definitions"]
        let rest = members.filter { !skipping.contains($0.0) }
        let scalars = rest.filter { !$0.1.isContainer }
        let containers = rest.filter { $0.1.isContainer }
        var blocks: [Block] = [.heading(openAll ? "Report" : "Everything else in the report")]
        if !scalars.isEmpty {
            blocks.append(.table(Table(header: ["field", "value"], rows: scalars.map { [Cell($0.0), JSONFold.cell($0.1, key: $0.0)] })))
        }
        for (k, v) in containers.filter({ !last.contains($0.0) }) + containers.filter({ last.contains($0.0) }) {
            blocks.append(JSONFold.details(k + JSONFold.summarySuffix(v), v, open: openAll && !last.contains(k)))
        }
        return blocks
    }

    /// The tone of a decision word: ship and pass green, rollback and fail red, the rest amber
    /// (not configured: neutral).
    static func tone(_ action: String) -> Tone {
        switch action.lowercased() {
        case "ship", "pass", "passed": return .good
        case "rollback", "fail", "failed": return .bad
        case "not_configured", "": return .info
        default: return .warn
        }
    }
}

extension JSONValue {
    /// The text of a string (nil for anything else).
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The value of a boolean (nil for anything else).
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The members of an object (empty for anything else).
    public var objectMembers: [(String, JSONValue)] {
        if case .object(let m) = self { return m }
        return []
    }
}
