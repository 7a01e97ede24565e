/// One small chart for one metric: a row per variant, segment or estimator, each a bar from zero
/// to its estimate (so a negative value points left) with its interval as a whisker.
///
/// Every chart has its own scale, so a metric with wide intervals never squashes another. The
/// scale survives outliers: with three rows or more, estimates far from the median (beyond
/// `fence`) are left off the axis and named in the caption ("rips, sips beyond the axis: 7.62M,
/// 20.6B"); interval ends past the axis are cut and marked with an arrow.
///
///     label        |      zero
///     ctr · B      |       |====o----]        +12.3%
///     ctr · C      |  [---o|                  -3.6%
///                  -10%    0%          +30%
struct IntervalChart {
    struct Row {
        var label: String
        var estimate: Double?
        var lower: Double?
        var upper: Double?
        /// Drawn as a filled dot: significant after correction, or the headline estimator.
        var emphasis = false
    }

    var title: String
    var rows: [Row]
    var style: NumberStyle
    /// A dashed vertical line besides zero, e.g. the logged policy's value.
    var reference: (value: Double, label: String)?
    /// A line under the title saying what is drawn.
    var note: String?
    /// The width of the plotting area in pixels: small multiples keep the default, a chart
    /// that stands alone may be wider.
    var plotWidth = IntervalChart.defaultPlotWidth

    /// The axis and the rows left off it.
    struct Axis {
        var lower: Double
        var upper: Double
        var outliers: [Row]

        func contains(_ x: Double) -> Bool { x >= lower && x <= upper }
    }

    /// The axis: zero, the reference, and every estimate and interval end inside the fence, with
    /// 6% padding. The fence is median ± max(10 × MAD, 2 × |median|, 2 × median half-width) of the
    /// estimates, wide enough that ordinary spread never clips and narrow enough that a value
    /// 1000 times the others does.
    var axis: Axis {
        let estimates = rows.compactMap(\.estimate).filter(\.isFinite)
        var fence = (-Double.infinity, Double.infinity)
        if estimates.count >= 3 {
            let m = Self.median(estimates)
            let mad = Self.median(estimates.map { abs($0 - m) })
            let halfWidths = rows.compactMap { r in r.lower.flatMap { l in r.upper.map { ($0 - l) / 2 } } }.filter(\.isFinite)
            let spread = max(10 * mad, 2 * abs(m), 2 * (halfWidths.isEmpty ? 0 : Self.median(halfWidths)), 1e-12)
            fence = (m - spread, m + spread)
        }
        var outliers: [Row] = []
        var lo = 0.0
        var hi = 0.0
        for r in rows {
            guard let e = r.estimate, e.isFinite else { continue }
            guard e >= fence.0 && e <= fence.1 else {
                outliers.append(r)
                continue
            }
            for x in [e, r.lower, r.upper].compactMap({ $0 }) where x.isFinite {
                let clamped = min(max(x, fence.0), fence.1)
                lo = min(lo, clamped)
                hi = max(hi, clamped)
            }
        }
        if let ref = reference?.value, ref.isFinite, ref >= fence.0 && ref <= fence.1 {
            lo = min(lo, ref)
            hi = max(hi, ref)
        }
        if hi - lo < 1e-12 { return Axis(lower: lo - 1, upper: hi + 1, outliers: outliers) }
        // Pad away from the data, never past zero: bars of positive values start at the edge.
        let pad = (hi - lo) * 0.06
        return Axis(lower: lo < 0 ? lo - pad : lo, upper: hi > 0 ? hi + pad : hi, outliers: outliers)
    }

    /// The caption naming what the axis left off, or nil.
    func clippedCaption(_ axis: Axis) -> String? {
        guard !axis.outliers.isEmpty else { return nil }
        return axis.outliers.map(\.label).joined(separator: ", ") + " beyond the axis: "
            + axis.outliers.map { $0.estimate.map(style.format) ?? "n/a" }.joined(separator: ", ")
    }

    // MARK: SVG

    static let labelWidth = 118.0
    static let defaultPlotWidth = 176.0
    static let valueWidth = 62.0
    static let rowHeight = 17.0

    /// The chart as a `<figure>`: title, note and clipping caption above an inline SVG.
    func figure() -> String {
        let a = axis
        var s = "<figure><figcaption>\(ReportRenderer.htmlEscape(title))"
        if let note { s += "<small>\(ReportRenderer.htmlEscape(note))</small>" }
        if let c = clippedCaption(a) { s += "<small class=\"clipped\">\(ReportRenderer.htmlEscape(c))</small>" }
        return s + "</figcaption>\n" + svg(a) + "</figure>\n"
    }

    func svg(_ a: Axis) -> String {
        let drawn = rows.filter { r in !a.outliers.contains { $0.label == r.label } }
        let lw = Self.labelWidth
        let pw = plotWidth
        let rh = Self.rowHeight
        let height = Double(max(drawn.count, 1)) * rh + 22
        func x(_ v: Double) -> Double { lw + (min(max(v, a.lower), a.upper) - a.lower) / (a.upper - a.lower) * pw }
        let zero = x(0)
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(lw + pw + Self.valueWidth))\" height=\"\(Int(height))\" role=\"img\">"
        s += "<title>\(ReportRenderer.htmlEscape(title))</title>\n"
        s += "<rect x=\"\(svgNumber(lw))\" y=\"0\" width=\"\(svgNumber(pw))\" height=\"\(svgNumber(height - 20))\" fill=\"#f6f8fa\"/>\n"
        if let ref = reference, a.contains(ref.value) {
            s +=
                "<line class=\"reference\" x1=\"\(svgNumber(x(ref.value)))\" y1=\"0\" x2=\"\(svgNumber(x(ref.value)))\" y2=\"\(svgNumber(height - 20))\" "
            s += "stroke=\"#8250df\" stroke-dasharray=\"4,2\"><title>\(ReportRenderer.htmlEscape(ref.label))</title></line>\n"
        }
        for (i, r) in drawn.enumerated() {
            let y = Double(i) * rh + 3
            let mid = y + rh / 2 - 1
            s += "<text x=\"0\" y=\"\(svgNumber(mid + 3.5))\"><title>\(ReportRenderer.htmlEscape(r.label))</title>"
            s += "\(ReportRenderer.htmlEscape(Self.shorten(r.label, 21)))</text>"
            guard let e = r.estimate, e.isFinite else {
                s += "<text x=\"\(svgNumber(lw + 4))\" y=\"\(svgNumber(mid + 3.5))\" fill=\"#8c959f\">n/a</text>\n"
                continue
            }
            let xe = x(e)
            let negative = e < 0
            s += "<rect class=\"bar\(negative ? " negative" : "")\" x=\"\(svgNumber(min(zero, xe)))\" y=\"\(svgNumber(y + 2))\" "
            s += "width=\"\(svgNumber(abs(xe - zero)))\" height=\"\(svgNumber(rh - 6))\" fill=\"\(negative ? "#f5b7ae" : "#a8c7f0")\"/>"
            if let l = r.lower, let u = r.upper, l.isFinite, u.isFinite {
                s +=
                    "<line x1=\"\(svgNumber(x(l)))\" y1=\"\(svgNumber(mid))\" x2=\"\(svgNumber(x(u)))\" y2=\"\(svgNumber(mid))\" stroke=\"#24292f\" stroke-width=\"1.5\"/>"
                if l < a.lower { s += arrow(at: lw, y: mid, left: true) }
                if u > a.upper { s += arrow(at: lw + pw, y: mid, left: false) }
            }
            s +=
                "<circle cx=\"\(svgNumber(xe))\" cy=\"\(svgNumber(mid))\" r=\"3.2\" fill=\"\(r.emphasis ? "#24292f" : "#fff")\" stroke=\"#24292f\"/>"
            s +=
                "<text x=\"\(svgNumber(lw + pw + 4))\" y=\"\(svgNumber(mid + 3.5))\">\(ReportRenderer.htmlEscape(style.format(e)))</text>\n"
        }
        let axisY = height - 20
        s +=
            "<line class=\"zero\" x1=\"\(svgNumber(zero))\" y1=\"0\" x2=\"\(svgNumber(zero))\" y2=\"\(svgNumber(axisY))\" stroke=\"#57606a\"/>\n"
        s += "<text x=\"\(svgNumber(lw))\" y=\"\(svgNumber(axisY + 13))\">\(ReportRenderer.htmlEscape(axisLabel(a.lower)))</text>"
        if zero - lw > 34 && lw + pw - zero > 34 {
            s += "<text x=\"\(svgNumber(zero))\" y=\"\(svgNumber(axisY + 13))\" text-anchor=\"middle\">0</text>"
        }
        s +=
            "<text x=\"\(svgNumber(lw + pw))\" y=\"\(svgNumber(axisY + 13))\" text-anchor=\"end\">\(ReportRenderer.htmlEscape(axisLabel(a.upper)))</text>"
        return s + "</svg>\n"
    }

    /// Axis ends read like the values, with 2-3 digits ("+28%", "0.071").
    func axisLabel(_ x: Double) -> String {
        switch style {
        case .lift, .percent:
            let s = ReadableNumber.lift(Self.round(x, digits: 2))
            return s.hasSuffix(".0%") ? String(s.dropLast(3)) + "%" : s
        default: return ReadableNumber.value(Self.round(x, digits: 2))
        }
    }

    func arrow(at x: Double, y: Double, left: Bool) -> String {
        let tip = left ? x - 1 : x + 1
        let back = left ? x + 5 : x - 5
        return
            "<polygon class=\"cut\" points=\"\(svgNumber(tip)),\(svgNumber(y)) \(svgNumber(back)),\(svgNumber(y - 4)) \(svgNumber(back)),\(svgNumber(y + 4))\" fill=\"#24292f\"/>"
    }

    // MARK: Text

    /// The same chart as monospaced text for Markdown: `|` marks zero, `o` the estimate (`#`
    /// when emphasised), `=` the bar, `-` the rest of the interval, `<` / `>` a cut end.
    func text() -> String {
        let a = axis
        let width = 31
        func col(_ v: Double) -> Int {
            Int(((min(max(v, a.lower), a.upper) - a.lower) / (a.upper - a.lower) * Double(width - 1)).rounded())
        }
        let drawn = rows.filter { r in !a.outliers.contains { $0.label == r.label } }
        let labels = drawn.map { Self.fenceSafe(Self.shorten($0.label, 28)) }
        let pad = labels.map(\.count).max() ?? 0
        var s = Self.fenceSafe(title) + (note.map { " (" + Self.fenceSafe($0) + ")" } ?? "") + "\n"
        for (r, label) in zip(drawn, labels) {
            var line = [Character](repeating: " ", count: width)
            var value = "n/a"
            if let e = r.estimate, e.isFinite {
                if let l = r.lower, let u = r.upper, l.isFinite, u.isFinite {
                    for i in col(l)...max(col(l), col(u)) { line[i] = "-" }
                    if l < a.lower { line[0] = "<" }
                    if u > a.upper { line[width - 1] = ">" }
                    value = style.format(e) + " " + style.interval(l, u)
                } else {
                    value = style.format(e)
                }
                for i in min(col(0), col(e))...max(col(0), col(e)) where line[i] == " " || line[i] == "-" { line[i] = "=" }
                line[col(0)] = "|"
                line[col(e)] = r.emphasis ? "#" : "o"
            }
            s += label + String(repeating: " ", count: pad - label.count) + "  " + String(line) + "  " + value + "\n"
        }
        let lo = axisLabel(a.lower)
        let hi = axisLabel(a.upper)
        s += String(repeating: " ", count: pad + 2) + lo + String(repeating: " ", count: max(1, width - lo.count - hi.count)) + hi + "\n"
        if let clipped = clippedCaption(a) { s += Self.fenceSafe(clipped) + "\n" }
        return s
    }

    /// The same chart with segment labels shortened to their values when every row names the
    /// same keys ("device=ios|surface=home" -> "ios · home"), the keys moved to the note; an
    /// empty value reads "(none)".
    func compactingSegmentLabels() -> IntervalChart {
        let parsed = rows.map { row in
            row.label.split(separator: "|", omittingEmptySubsequences: false).map { part -> (String, String)? in
                guard let eq = part.firstIndex(of: "=") else { return nil }
                return (String(part[..<eq]), String(part[part.index(after: eq)...]))
            }
        }
        guard let keys = parsed.first?.map({ $0?.0 }), !keys.contains(where: { $0 == nil }),
            parsed.allSatisfy({ $0.map { $0?.0 } == keys })
        else { return self }
        var chart = self
        for i in chart.rows.indices {
            chart.rows[i].label = parsed[i].map { $0!.1.isEmpty ? "(none)" : $0!.1 }.joined(separator: " · ")
        }
        let names = keys.compactMap { $0 }.joined(separator: " · ")
        chart.note = (note.map { $0 + "; " } ?? "") + "segments: " + names
        return chart
    }

    // MARK: Helpers

    /// Text for a code fence: a backtick could close the fence early, a newline break the
    /// layout; angle brackets become ‹ › so that even a renderer without fences shows no tag.
    static func fenceSafe(_ s: String) -> String {
        String(
            s.map { c -> Character in
                switch c {
                case "`": return "'"
                case "<": return "‹"
                case ">": return "›"
                default: return c.isNewline ? " " : c
                }
            })
    }

    static func shorten(_ s: String, _ n: Int) -> String { s.count <= n ? s : String(s.prefix(n - 1)) + "…" }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// `x` rounded to `digits` significant digits, for axis ends.
    static func round(_ x: Double, digits: Int) -> Double {
        guard x != 0, x.isFinite else { return x }
        let e = ReadableNumber.log10Floor(abs(x))
        let scale = ReadableNumber.pow10(digits - 1 - e)
        return (x * scale).rounded() / scale
    }
}

/// An SVG coordinate with one decimal.
/// An SVG coordinate to one decimal (`12`, `12.5`), for every chart. A value that is no finite
/// pixel position (an axis spanning more than a double holds) is drawn at 0.
func svgNumber(_ v: Double) -> String {
    let r = (v * 10).rounded() / 10
    guard r.isFinite, abs(r) < 1e14 else { return "0" }
    return r == r.rounded() ? String(Int(r)) : String(r)
}
