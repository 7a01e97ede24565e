/// A forest plot of lifts with their confidence intervals: one row per comparison (metric,
/// variant and segment), on a common axis of relative change so metrics of different scales can
/// be read together. Built from records that carry `relative: {estimate, lower, upper}` (or,
/// lacking that, `absolute`); CUPED's interval is drawn beside the plain one when present.
struct ForestPlot {
    struct Row {
        var label: String
        var estimate: Double
        var lower: Double
        var upper: Double
        var adjusted: (estimate: Double, lower: Double, upper: Double)?
        var significant: Bool
    }

    var rows: [Row]
    var relative: Bool

    init?(_ items: [JSONValue]) {
        let relative = items.allSatisfy { $0["relative"]?["lower"] != nil }
        let key = relative ? "relative" : "absolute"
        var rows: [Row] = []
        for item in items {
            guard let e = item[key]?["estimate"]?.numberValue, let lo = item[key]?["lower"]?.numberValue,
                let hi = item[key]?["upper"]?.numberValue
            else { return nil }
            var label = [item["metric"]?.text, item["variant"]?.text].compactMap { $0 }.joined(separator: " · ")
            if let seg = item["segment"]?.text { label += " · " + seg }
            var row = Row(label: label, estimate: e, lower: lo, upper: hi, significant: item["significant"] == .bool(true))
            if let c = item["cuped"]?[key], let ce = c["estimate"]?.numberValue, let cl = c["lower"]?.numberValue,
                let ch = c["upper"]?.numberValue
            {
                row.adjusted = (ce, cl, ch)
            }
            rows.append(row)
        }
        guard !rows.isEmpty else { return nil }
        self.rows = rows
        self.relative = relative
    }

    var range: (Double, Double) {
        var lo = 0.0
        var hi = 0.0
        for r in rows {
            for x in [r.lower, r.upper, r.adjusted?.lower, r.adjusted?.upper].compactMap({ $0 }) where x.isFinite {
                lo = min(lo, x)
                hi = max(hi, x)
            }
        }
        if hi - lo < 1e-12 { return (lo - 1, hi + 1) }
        let pad = (hi - lo) * 0.05
        return (lo - pad, hi + pad)
    }

    func label(_ x: Double) -> String {
        relative ? JSONValue.goNumber((x * 1000).rounded() / 10 + 0) + "%" : JSONValue.goNumber((x * 1e4).rounded() / 1e4 + 0)
    }

    /// Inline SVG: a zero line, each interval as a whisker and its estimate as a dot (filled when
    /// significant after correction); CUPED's interval below it in green.
    func svg() -> String {
        let (lo, hi) = range
        let labelWidth = 300
        let width = 460
        let rowHeight = 22
        func x(_ v: Double) -> Int { labelWidth + Int((v - lo) / (hi - lo) * Double(width)) }
        let height = rows.count * rowHeight + 34
        var s =
            "<p><strong>Forest plot</strong>: \(relative ? "relative" : "absolute") lift, treatment vs control, with \(relative ? "its" : "the") confidence interval"
        s += rows.contains { $0.adjusted != nil } ? " (grey: plain test, green: CUPED)" : ""
        s += "; a filled dot is significant after correction.</p>\n"
        s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(labelWidth + width + 20)\" height=\"\(height)\" role=\"img\">\n"
        s += "<line x1=\"\(x(0))\" y1=\"0\" x2=\"\(x(0))\" y2=\"\(height - 20)\" stroke=\"#999\" stroke-dasharray=\"3,3\"/>\n"
        for (i, r) in rows.enumerated() {
            let y = i * rowHeight + 10
            s += "<text x=\"0\" y=\"\(y + 4)\">\(ReportRenderer.htmlEscape(String(r.label.prefix(48))))</text>"
            s += "<line x1=\"\(x(r.lower))\" y1=\"\(y)\" x2=\"\(x(r.upper))\" y2=\"\(y)\" stroke=\"#555\" stroke-width=\"2\"/>"
            s += "<circle cx=\"\(x(r.estimate))\" cy=\"\(y)\" r=\"4\" fill=\"\(r.significant ? "#c0392b" : "#fff")\" stroke=\"#c0392b\"/>"
            if let a = r.adjusted {
                s +=
                    "<line x1=\"\(x(a.lower))\" y1=\"\(y + 6)\" x2=\"\(x(a.upper))\" y2=\"\(y + 6)\" stroke=\"#2e8b57\" stroke-width=\"2\"/>"
                s += "<circle cx=\"\(x(a.estimate))\" cy=\"\(y + 6)\" r=\"3\" fill=\"#2e8b57\"/>"
            }
            s += "\n"
        }
        let axisY = rows.count * rowHeight + 24
        s += "<text x=\"\(labelWidth)\" y=\"\(axisY)\">\(label(lo))</text>"
        s += "<text x=\"\(x(0) - 4)\" y=\"\(axisY)\">0</text>"
        s += "<text x=\"\(labelWidth + width - 40)\" y=\"\(axisY)\">\(label(hi))</text>\n"
        return s + "</svg>\n"
    }

    /// The same plot as monospaced text for Markdown: `|` marks zero, `*` the estimate (`#` when
    /// significant), dashes the interval.
    func text() -> String {
        let (lo, hi) = range
        let width = 41
        func col(_ v: Double) -> Int { min(width - 1, max(0, Int(((v - lo) / (hi - lo) * Double(width - 1)).rounded()))) }
        // Inside a code fence text is literal; only a backtick could close the fence early.
        let labels = rows.map { String($0.label.prefix(40).map { $0 == "`" || $0.isNewline ? "'" : $0 }) }
        let pad = labels.map(\.count).max() ?? 0
        var s = "Forest plot (\(relative ? "relative" : "absolute") lift and interval; `#` significant after correction):\n\n```\n"
        for (r, l) in zip(rows, labels) {
            var line = [Character](repeating: " ", count: width)
            for c in col(r.lower)...col(r.upper) { line[c] = "-" }
            line[col(0)] = "|"
            line[col(r.estimate)] = r.significant ? "#" : "*"
            s += l + String(repeating: " ", count: pad - l.count) + "  " + String(line) + "  " + label(r.estimate)
            s += " [" + label(r.lower) + ", " + label(r.upper) + "]\n"
        }
        s +=
            String(repeating: " ", count: pad + 2) + label(lo)
            + String(repeating: " ", count: max(1, width - label(lo).count - label(hi).count)) + label(hi) + "\n"
        return s + "```\n\n"
    }
}
