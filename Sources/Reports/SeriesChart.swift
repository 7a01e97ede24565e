/// One time-series chart for one indicator: a line per group over the windows, the whole window
/// in black, each line named at its right end (no legend to look up), an objective as a dashed
/// red line, and the points that breach it ringed in red.
///
///     latency p95 (ms)                    ── all
///     160 ┤                ●──●  v2        ── v2
///     150 ┤- - - - - - - - - - - - SLO 150
///      95 ┤──────────────────────── v1
///         00:00                   23:00
struct SeriesChart {
    struct Line {
        var label: String
        /// One value per window (nil: the group had no value in that window).
        var values: [Double?]
        /// Indexes of the windows where the value breaches the objective.
        var breaches: Set<Int> = []
        /// The line's colour; nil: the palette's, by position.
        var colour: String? = nil
    }

    var title: String
    var note: String?
    /// The windows' labels, in order (the x axis).
    var windows: [String]
    var lines: [Line]
    var style: NumberStyle
    /// The objective's threshold and its label.
    var objective: (value: Double, label: String)?

    static let plotWidth = 396.0
    static let plotHeight = 120.0
    static let left = 52.0
    static let right = 84.0
    static let palette = ["#24292f", "#0969da", "#bf8700", "#8250df", "#1a7f37", "#bc4c00", "#57606a", "#0598bc"]

    /// The y axis: from zero (or the lowest value, if negative) to the highest value or the
    /// objective, padded by 8%; a share never past 100%, and a flat zero line on an axis of one
    /// unit (1% for shares) rather than a sliver.
    var range: (lower: Double, upper: Double) {
        var values = lines.flatMap { $0.values.compactMap { $0 } }.filter(\.isFinite)
        if let o = objective?.value { values.append(o) }
        let lo = min(values.min() ?? 0, 0)
        var hi = values.max() ?? 1
        if hi - lo < 1e-9 { hi = lo + (style == .percent ? 0.01 : 1) }
        var padded = hi + (hi - lo) * 0.08
        if style == .percent && hi <= 1 { padded = min(padded, 1) }
        return (lo, padded.isFinite ? padded : hi)
    }

    func figure() -> String {
        var s = "<figure><figcaption>\(ReportRenderer.htmlEscape(title))"
        if let note { s += "<small>\(ReportRenderer.htmlEscape(note))</small>" }
        return s + "</figcaption>\n" + svg() + "</figure>\n"
    }

    func svg() -> String {
        let (lo, hi) = range
        let n = max(windows.count, 1)
        let w = Self.plotWidth
        let h = Self.plotHeight
        func x(_ i: Int) -> Double { Self.left + (n == 1 ? w / 2 : Double(i) / Double(n - 1) * w) }
        func y(_ v: Double) -> Double { 6 + (1 - (v - lo) / (hi - lo)) * h }
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(Self.left + w + Self.right))\" height=\"\(Int(h + 28))\" role=\"img\">"
        s += "<title>\(ReportRenderer.htmlEscape(title))</title>\n"
        s += "<rect x=\"\(svgNumber(Self.left))\" y=\"6\" width=\"\(svgNumber(w))\" height=\"\(svgNumber(h))\" fill=\"#f6f8fa\"/>\n"
        // Y axis: the bottom and the top value.
        s +=
            "<text x=\"\(svgNumber(Self.left - 4))\" y=\"\(svgNumber(y(lo) + 3.5))\" text-anchor=\"end\">\(ReportRenderer.htmlEscape(style.format(lo)))</text>"
        // The top value, unless the objective's label would overlap it.
        if objective.map({ abs(y($0.value) - y(hi) - 4.5) > 11 }) ?? true {
            s += "<text x=\"\(svgNumber(Self.left - 4))\" y=\"\(svgNumber(y(hi) + 8))\" text-anchor=\"end\">"
            s += "\(ReportRenderer.htmlEscape(style.format(hi)))</text>"
        }
        s += "\n"
        if let o = objective {
            s +=
                "<line x1=\"\(svgNumber(Self.left))\" y1=\"\(svgNumber(y(o.value)))\" x2=\"\(svgNumber(Self.left + w))\" y2=\"\(svgNumber(y(o.value)))\" "
            s += "stroke=\"#cf222e\" stroke-dasharray=\"5,3\"><title>\(ReportRenderer.htmlEscape(o.label))</title></line>"
            s += "<text x=\"\(svgNumber(Self.left - 4))\" y=\"\(svgNumber(y(o.value) + 3.5))\" text-anchor=\"end\" fill=\"#cf222e\">"
            s += "\(ReportRenderer.htmlEscape(style.format(o.value)))</text>\n"
        }
        // Lines, the whole window last so that it is drawn on top.
        var labelYs: [Double] = []
        for (i, line) in lines.enumerated().reversed() {
            let colour = line.colour ?? Self.palette[i % Self.palette.count]
            var path = ""
            var pen = false
            for (k, v) in line.values.enumerated() {
                guard let v, v.isFinite else {
                    pen = false
                    continue
                }
                path += (pen ? " L" : " M") + "\(svgNumber(x(k))),\(svgNumber(y(v)))"
                pen = true
            }
            if !path.isEmpty {
                s += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"\(i == 0 && line.colour == nil ? 2.2 : 1.5)\">"
                s += "<title>\(ReportRenderer.htmlEscape(line.label))</title></path>\n"
            }
            if n == 1 || line.values.filter({ $0 != nil }).count == 1 {
                for (k, v) in line.values.enumerated() {
                    if let v { s += "<circle cx=\"\(svgNumber(x(k)))\" cy=\"\(svgNumber(y(v)))\" r=\"2.5\" fill=\"\(colour)\"/>" }
                }
            }
            for k in line.breaches.sorted() {
                guard k < line.values.count, let v = line.values[k] else { continue }
                s +=
                    "<circle cx=\"\(svgNumber(x(k)))\" cy=\"\(svgNumber(y(v)))\" r=\"4\" fill=\"none\" stroke=\"#cf222e\" stroke-width=\"2\">"
                s +=
                    "<title>\(ReportRenderer.htmlEscape("\(line.label), \(windows[k]): \(style.format(v)) breaches the objective"))</title></circle>"
            }
            // The label at the line's last value, or the nearest place above or below it clear of
            // the labels already placed.
            if let last = line.values.lastIndex(where: { $0 != nil }), let v = line.values[last] {
                let wanted = y(v) + 3.5
                var ly = wanted
                var step = 1
                while labelYs.contains(where: { abs($0 - ly) < 11 }) {
                    ly = wanted + Double(step % 2 == 1 ? (step + 1) / 2 : -(step / 2)) * 11
                    step += 1
                }
                labelYs.append(ly)
                s += "<text x=\"\(svgNumber(Self.left + w + 4))\" y=\"\(svgNumber(ly))\" fill=\"\(colour)\">"
                s += "\(ReportRenderer.htmlEscape(IntervalChart.shorten(line.label, 13)))</text>\n"
            }
        }
        // X axis: first, middle and last window.
        let ticks = Set([0, (n - 1) / 2, n - 1]).sorted()
        for k in ticks where k < windows.count {
            let anchor = k == 0 ? "start" : k == n - 1 ? "end" : "middle"
            s +=
                "<text x=\"\(svgNumber(x(k)))\" y=\"\(svgNumber(h + 22))\" text-anchor=\"\(anchor)\">\(ReportRenderer.htmlEscape(windows[k]))</text>"
        }
        return s + "</svg>\n"
    }

    /// The chart as text for Markdown: a sparkline per line, its last value, and the breaches.
    func text() -> String {
        let (lo, hi) = range
        let bars = Array("▁▂▃▄▅▆▇█")
        var out = title + (objective.map { " (objective \(style.format($0.value)))" } ?? "") + "\n"
        let width = min(lines.map(\.label.count).max() ?? 0, 14)
        for line in lines {
            var spark = ""
            for v in line.values {
                guard let v, v.isFinite else {
                    spark += " "
                    continue
                }
                spark.append(bars[min(max(Int((v - lo) / (hi - lo) * Double(bars.count)), 0), bars.count - 1)])
            }
            let label = IntervalChart.shorten(line.label, 14)
            let last = line.values.last(where: { $0 != nil }).flatMap { $0 }.map(style.format) ?? "n/a"
            out += label + String(repeating: " ", count: max(width - label.count, 0)) + " " + spark + "  " + last
            if !line.breaches.isEmpty { out += "  (\(line.breaches.count) breached)" }
            out += "\n"
        }
        return out
    }
}
