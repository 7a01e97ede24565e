/// The forms a report is written in: report.v1 JSON for machines, Markdown and self-contained
/// HTML for people.
public enum ReportFormat: String, CaseIterable, Sendable {
    case json
    case markdown
    case html

    /// A format by name as `--output-format` takes it (trimmed, any case; `md` is Markdown and
    /// the empty name is JSON, as in recsys-eval); nil for anything else.
    public init?(name: String) {
        switch name.trimmingCharacters(in: " ").lowercased() {
        case "", "json": self = .json
        case "md", "markdown": self = .markdown
        case "html", "htm": self = .html
        default: return nil
        }
    }

    /// The format a file name's extension implies (`.html`, `.htm`, `.md`, `.markdown`, `.json`);
    /// nil when the extension says nothing.
    public init?(fileName: String) {
        let base = fileName.split(separator: "/").last.map(String.init) ?? fileName
        guard let dot = base.lastIndex(of: "."), dot != base.startIndex else { return nil }
        let ext = base[base.index(after: dot)...]
        guard ["json", "md", "markdown", "html", "htm"].contains(ext.lowercased()) else { return nil }
        self.init(name: String(ext))
    }

    /// The report rendered in this format.
    public func render(_ report: JSONValue) -> String {
        switch self {
        case .json: return report.serialized()
        case .markdown: return ReportRenderer.markdown(report)
        case .html: return ReportRenderer.html(report)
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}
