extension Page {
    /// A self-contained HTML page: inline CSS and SVG, no script, no network (the
    /// Content-Security-Policy forbids both), every string escaped.
    func html() -> String {
        var body = ""
        for block in blocks { Self.html(block, into: &body) }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(ReportRenderer.htmlEscape(title))</title>
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <style>
            \(Self.css)
            </style></head><body>
            <h1>\(ReportRenderer.htmlEscape(title))</h1>
            <p class="sub">\(ReportRenderer.htmlEscape(subtitle))</p>
            \(body)
            </body></html>

            """
    }

    static let css = """
        body{font-family:system-ui,-apple-system,sans-serif;margin:1.5rem 2rem;color:#1f2328;max-width:1180px;line-height:1.4}
        h1{font-size:1.5rem;margin:0}.sub{color:#656d76;margin:.2rem 0 1rem;font-size:.9rem}
        h2{font-size:1.15rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:1.6rem}
        .banner{border-left:6px solid;border-radius:4px;padding:.55rem .9rem;margin:.6rem 0}
        .banner strong{font-size:1.05rem}.banner ul{margin:.3rem 0 0;padding-left:1.2rem}
        .good{background:#dafbe1;border-color:#1a7f37}.bad{background:#ffebe9;border-color:#cf222e}
        .warn{background:#fff8c5;border-color:#bf8700}.info{background:#ddf4ff;border-color:#0969da}
        .banner.decision strong{font-size:1.3rem}
        table{border-collapse:collapse;margin:.4rem 0 1rem}td,th{border:1px solid #d0d7de;padding:.2rem .55rem;text-align:left;font-size:.88rem}
        th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
        td.good{color:#1a7f37;font-weight:600;background:none}td.bad{color:#cf222e;font-weight:600;background:none}
        td.warn{background:none;color:#9a6700}td.info{background:none}td.good,td.bad,td.warn,td.info{border-color:#d0d7de}.missing{color:#8c959f}.missing small{font-size:.75rem}
        details{margin:.35rem 0;border:1px solid #d0d7de;border-radius:4px;padding:.2rem .6rem}
        details>summary{cursor:pointer;font-weight:600;padding:.15rem 0}
        .charts{display:flex;flex-wrap:wrap;gap:.6rem 1.2rem}
        figure{margin:0;padding:.3rem .4rem;border:1px solid #eaeef2;border-radius:4px}
        figcaption{font-size:.82rem;font-weight:600}figcaption small{display:block;font-weight:400;color:#656d76;max-width:390px}
        svg text{font-size:10.5px;font-family:system-ui,sans-serif;fill:#1f2328}
        """

    /// Text as people read it, escaped: long decimals inside log strings rounded, markup inert.
    static func htmlText(_ s: String) -> String { ReportRenderer.htmlEscape(ReadableNumber.text(s)) }

    static func html(_ block: Block, into out: inout String) {
        switch block {
        case .heading(let text):
            out += "<h2>\(htmlText(text))</h2>\n"
        case .banner(let tone, let title, let lines):
            out += "<div class=\"banner \(tone.rawValue)\"><strong>\(htmlText(title))</strong>"
            if !lines.isEmpty { out += "<ul>" + lines.map { "<li>\(htmlText($0))</li>" }.joined() + "</ul>" }
            out += "</div>\n"
        case .text(let text):
            out += "<p>\(htmlText(text))</p>\n"
        case .table(let table):
            out += "<table><tr>" + table.header.map { "<th>\(htmlText($0))</th>" }.joined() + "</tr>\n"
            for row in table.rows { out += "<tr>" + row.map(html).joined() + "</tr>\n" }
            out += "</table>\n"
        case .charts(let charts):
            out += "<div class=\"charts\">\n" + charts.map { $0.figure() }.joined() + "</div>\n"
        case .series(let charts):
            out += "<div class=\"charts\">\n" + charts.map { $0.figure() }.joined() + "</div>\n"
        case .details(let summary, let open, let blocks):
            out += "<details\(open ? " open" : "")><summary>\(htmlText(summary))</summary>\n"
            for b in blocks { html(b, into: &out) }
            out += "</details>\n"
        }
    }

    static func html(_ cell: Cell) -> String {
        let title = cell.note.map { " title=\"\(htmlText($0))\"" } ?? ""
        if cell.isMissing {
            let why = cell.note.map { " <small>(\(htmlText($0)))</small>" } ?? ""
            return "<td class=\"missing\"\(title)>\(htmlText(cell.text))\(why)</td>"
        }
        var classes: [String] = []
        if let tone = cell.tone { classes.append(tone.rawValue) }
        if cell.isNumeric { classes.append("num") }
        let cls = classes.isEmpty ? "" : " class=\"\(classes.joined(separator: " "))\""
        return "<td\(cls)\(title)>\(htmlText(cell.text))</td>"
    }
}
