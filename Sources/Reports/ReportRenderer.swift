/// Markdown and self-contained HTML renderings of a report, built for a person who has ten
/// seconds: the decision and the numbers that drive it first, each mode's own page
/// (`ExperimentPage`, `OPEPage`, `OfflinePage`, `InterleavingPage`), everything else in the JSON
/// folded below (`JSONFold`) so nothing is lost. Numbers read as people read them
/// (`ReadableNumber`); full precision stays in the JSON. Every string that comes from logs or
/// configs is escaped, so a context value such as `<script>` renders inert.
public enum ReportRenderer {
    /// Markdown for a pull request: a summary first, details in `<details>` blocks.
    public static func markdown(_ report: JSONValue) -> String {
        PageBuilder.page(report).markdown()
    }

    /// A self-contained HTML page (inline CSS and SVG, no script, no network).
    public static func html(_ report: JSONValue) -> String {
        PageBuilder.page(report).html()
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
