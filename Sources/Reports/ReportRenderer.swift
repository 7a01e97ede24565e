/// Markdown and self-contained HTML renderings of a report. Both show everything the JSON holds
/// (nested objects become sections, arrays of records become tables), and every string that comes
/// from logs or configs is escaped, so a context value such as `<script>` renders inert.
public enum ReportRenderer {
    /// Top-level sections, results first and the run's configuration last.
    static func orderedSections(_ members: [(String, JSONValue)]) -> [(String, JSONValue)] {
        let last: Set<String> = ["effective_config", "artifacts", "definitions"]
        let containers = members.filter { $0.1.isContainer }
        return containers.filter { !last.contains($0.0) } + containers.filter { last.contains($0.0) }
    }

    // MARK: Markdown

    public static func markdown(_ report: JSONValue) -> String {
        var out = "# receval report\n\n"
        if case .object(let members) = report {
            let scalars = members.filter { !$0.1.isContainer }
            if !scalars.isEmpty {
                out += "| field | value |\n|---|---|\n"
                for (k, v) in scalars { out += "| \(mdEscape(k)) | \(mdEscape(v.text)) |\n" }
                out += "\n"
            }
            for (k, v) in orderedSections(members) { markdownSection(k, v, level: 2, &out) }
        }
        return out
    }

    static func markdownSection(_ title: String, _ v: JSONValue, level: Int, _ out: inout String) {
        out += String(repeating: "#", count: min(level, 6)) + " " + mdEscape(title) + "\n\n"
        switch v {
        case .object(let members):
            let scalars = members.filter { !$0.1.isContainer }
            if !scalars.isEmpty {
                out += "| field | value |\n|---|---|\n"
                for (k, x) in scalars { out += "| \(mdEscape(k)) | \(mdEscape(x.text)) |\n" }
                out += "\n"
            }
            for (k, x) in members where x.isContainer { markdownSection(k, x, level: level + 1, &out) }
        case .array(let items):
            if let columns = recordColumns(items) {
                out += "| " + columns.map(mdEscape).joined(separator: " | ") + " |\n"
                out += "|" + String(repeating: "---|", count: columns.count) + "\n"
                for item in items {
                    out += "| " + columns.map { mdEscape(item.flattenedValue($0)?.text ?? "") }.joined(separator: " | ") + " |\n"
                }
                out += "\n"
                if let forest = ForestPlot(items) { out += forest.text() }
            } else if items.isEmpty {
                out += "(none)\n\n"
            } else {
                for (i, item) in items.enumerated() {
                    if item.isContainer {
                        markdownSection("\(title)[\(i)]", item, level: level + 1, &out)
                    } else {
                        out += "- \(mdEscape(item.text))\n"
                    }
                }
                out += "\n"
            }
        default:
            out += mdEscape(v.text) + "\n\n"
        }
    }

    /// Escapes characters with a meaning in Markdown or HTML, so text is shown as written.
    public static func mdEscape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\", "`", "*", "_", "{", "}", "[", "]", "(", ")", "#", "+", "!", "|", "~": out += "\\" + String(c)
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\n": out += " "
            default: out.append(c)
            }
        }
        return out
    }

    // MARK: HTML

    public static func html(_ report: JSONValue) -> String {
        var body = ""
        if case .object(let members) = report {
            let scalars = members.filter { !$0.1.isContainer }
            body += table(rows: scalars.map { [$0.0, $0.1.text] }, header: ["field", "value"])
            for (k, v) in orderedSections(members) { htmlSection(k, v, level: 2, &body) }
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>receval report</title>
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <style>
            body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1100px}
            table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left;font-size:.9rem}
            th{background:#f3f3f3}h2{border-bottom:1px solid #ddd}svg text{font-size:11px;font-family:system-ui,sans-serif}
            </style></head><body>
            <h1>receval report</h1>
            \(body)
            </body></html>

            """
    }

    static func htmlSection(_ title: String, _ v: JSONValue, level: Int, _ out: inout String) {
        let h = "h\(min(level, 6))"
        out += "<\(h)>\(htmlEscape(title))</\(h)>\n"
        switch v {
        case .object(let members):
            let scalars = members.filter { !$0.1.isContainer }
            if !scalars.isEmpty { out += table(rows: scalars.map { [$0.0, $0.1.text] }, header: ["field", "value"]) }
            // Segments of metric lists: a chart per metric, one bar per segment.
            if !members.isEmpty && members.allSatisfy({ recordColumns($0.1.arrayItems)?.contains("value") == true }) {
                out += segmentCharts(members)
            }
            for (k, x) in members where x.isContainer { htmlSection(k, x, level: level + 1, &out) }
        case .array(let items):
            if let columns = recordColumns(items) {
                if let forest = ForestPlot(items) { out += forest.svg() }
                out += table(rows: items.map { item in columns.map { item.flattenedValue($0)?.text ?? "" } }, header: columns)
                if columns.contains("name") && columns.contains("value") {
                    out += barChart(items.map { ($0["name"]?.text ?? "", $0["value"]?.numberValue ?? 0) })
                }
            } else if items.isEmpty {
                out += "<p>(none)</p>\n"
            } else {
                out += "<ul>" + items.map { "<li>\(htmlEscape($0.text))</li>" }.joined() + "</ul>\n"
            }
        default:
            out += "<p>\(htmlEscape(v.text))</p>\n"
        }
    }

    static func table(rows: [[String]], header: [String]) -> String {
        var s = "<table><tr>" + header.map { "<th>\(htmlEscape($0))</th>" }.joined() + "</tr>\n"
        for r in rows { s += "<tr>" + r.map { "<td>\(htmlEscape($0))</td>" }.joined() + "</tr>\n" }
        return s + "</table>\n"
    }

    /// Horizontal bars for named values, as inline SVG (no script, no external resource).
    static func barChart(_ bars: [(String, Double)]) -> String {
        guard !bars.isEmpty else { return "" }
        let maxValue = max(bars.map { abs($0.1) }.max() ?? 0, 1e-12)
        let rowHeight = 18
        let labelWidth = 260
        let width = 420
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(labelWidth + width + 90)\" height=\"\(bars.count * rowHeight + 6)\" role=\"img\">\n"
        for (i, (label, value)) in bars.enumerated() {
            let y = i * rowHeight + 3
            let w = Int((abs(value) / maxValue) * Double(width))
            s += "<text x=\"0\" y=\"\(y + 12)\">\(htmlEscape(String(label.prefix(40))))</text>"
            s += "<rect x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(w)\" height=\"\(rowHeight - 4)\" fill=\"#4a7bd0\"/>"
            s += "<text x=\"\(labelWidth + w + 4)\" y=\"\(y + 12)\">\(htmlEscape(JSONValue.goNumber(value)))</text>\n"
        }
        return s + "</svg>\n"
    }

    static func segmentCharts(_ segments: [(String, JSONValue)]) -> String {
        guard let first = segments.first?.1.arrayItems else { return "" }
        var s = ""
        for metric in first.compactMap({ $0["name"]?.text }) {
            let bars = segments.map { seg, list in
                (seg, list.arrayItems.first { $0["name"]?.text == metric }?["value"]?.numberValue ?? 0)
            }
            s += "<p><strong>\(htmlEscape(metric))</strong> by segment</p>\n" + barChart(bars)
        }
        return s
    }

    public static func htmlEscape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// The columns of an array of records (objects whose values are scalars or records), nested
    /// keys joined by dots, in first-seen order; nil when an item holds an array.
    static func recordColumns(_ items: [JSONValue]) -> [String]? {
        guard !items.isEmpty else { return nil }
        var columns: [String] = []
        var seen: Set<String> = []
        for item in items {
            guard case .object = item, let flat = item.flattened() else { return nil }
            for (k, _) in flat where !seen.contains(k) {
                seen.insert(k)
                columns.append(k)
            }
        }
        return columns
    }
}

extension JSONValue {
    /// An object's scalar leaves with dotted keys; nil if it holds an array.
    func flattened(_ prefix: String = "") -> [(String, JSONValue)]? {
        guard case .object(let members) = self else { return nil }
        var out: [(String, JSONValue)] = []
        for (k, v) in members {
            switch v {
            case .array: return nil
            case .object:
                guard let inner = v.flattened(prefix + k + ".") else { return nil }
                out += inner
            default: out.append((prefix + k, v))
            }
        }
        return out
    }

    /// The value at a dotted key path.
    func flattenedValue(_ path: String) -> JSONValue? {
        var v: JSONValue? = self
        for part in path.split(separator: ".", omittingEmptySubsequences: false) { v = v?[String(part)] }
        return v
    }

    var isContainer: Bool {
        switch self {
        case .array, .object: return true
        default: return false
        }
    }

    /// The elements of an array (empty for anything else).
    public var arrayItems: [JSONValue] {
        if case .array(let items) = self { return items }
        return []
    }

    /// The value of a number (nil for anything else).
    public var numberValue: Double? {
        if case .number(let d) = self { return d }
        return nil
    }

    /// A scalar as text (containers as compact JSON).
    var text: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let d): return JSONValue.goNumber(d)
        case .string(let s): return s
        default: return serialized(indent: false)
        }
    }
}
