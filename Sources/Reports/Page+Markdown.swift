extension Page {
    /// Markdown that reads well pasted into a pull request: banners as quotes, tables, charts as
    /// monospaced text, folded sections as `<details>` (GitHub renders them).
    func markdown() -> String {
        var out = "# " + ReportRenderer.mdEscape(title) + "\n\n" + ReportRenderer.mdEscape(subtitle) + "\n\n"
        for block in blocks { Self.markdown(block, into: &out) }
        return out
    }

    /// Text as people read it, escaped: long decimals inside log strings rounded, markup inert.
    static func mdText(_ s: String) -> String { ReportRenderer.mdEscape(ReadableNumber.text(s)) }

    static func markdown(_ block: Block, into out: inout String) {
        switch block {
        case .heading(let text):
            out += "## " + mdText(text) + "\n\n"
        case .banner(let tone, let title, let lines):
            out += "> " + tone.symbol + " **" + mdText(title) + "**\n"
            for line in lines { out += ">\n> - " + mdText(line) + "\n" }
            out += "\n"
        case .text(let text):
            out += mdText(text) + "\n\n"
        case .table(let table):
            out += "| " + table.header.map(ReportRenderer.mdEscape).joined(separator: " | ") + " |\n"
            out += "|" + String(repeating: "---|", count: table.header.count) + "\n"
            for row in table.rows {
                out += "| " + row.map(markdown).joined(separator: " | ") + " |\n"
            }
            out += "\n"
        case .charts(let charts):
            out += "```\n" + charts.map { $0.text() }.joined(separator: "\n") + "```\n\n"
        case .series(let charts):
            out += "```\n" + charts.map { $0.text() }.joined(separator: "\n") + "```\n\n"
        case .details(let summary, let open, let blocks):
            // GitHub renders Markdown inside <details> only after a blank line.
            out += "<details\(open ? " open" : "")><summary>" + ReportRenderer.htmlEscape(ReadableNumber.text(summary)) + "</summary>\n\n"
            for b in blocks { markdown(b, into: &out) }
            out += "</details>\n\n"
        }
    }

    static func markdown(_ cell: Cell) -> String {
        let text = mdText(cell.text)
        if cell.isMissing, let note = cell.note { return text + " " + mdText("(" + note + ")") }
        return text
    }
}
