/// A report page as a list of blocks, declared once by the mode's page type (`ExperimentPage`,
/// `OPEPage`, ...) and rendered to HTML (`Page+HTML.swift`) and Markdown (`Page+Markdown.swift`)
/// by the same walk, so both renderings show the same things in the same order.
struct Page {
    /// The `<h1>` / `#` line.
    var title: String
    /// One line under the title: mode, run id, creation time.
    var subtitle: String
    var blocks: [Block]
}

/// How a banner or a cell reads at a glance: green, red, amber or neutral.
enum Tone: String {
    case good, bad, warn, info

    /// A marker for Markdown, where colour is not available.
    var symbol: String {
        switch self {
        case .good: return "🟢"
        case .bad: return "🔴"
        case .warn: return "🟡"
        case .info: return "ℹ️"
        }
    }
}

/// One piece of a page.
indirect enum Block {
    /// A section title (`<h2>` / `##`).
    case heading(String)
    /// A coloured box: a decision, a status, a warning; its lines are reasons or notes.
    case banner(Tone, title: String, lines: [String])
    /// A paragraph of plain text (escaped when rendered).
    case text(String)
    case table(Table)
    /// Small multiples: one chart per metric, each on its own scale.
    case charts([IntervalChart])
    /// Time series: one chart per indicator, groups as lines.
    case series([SeriesChart])
    /// A folded section (`<details>`), open when `open`.
    case details(summary: String, open: Bool, blocks: [Block])

    static func details(_ summary: String, _ blocks: [Block]) -> Block { .details(summary: summary, open: false, blocks: blocks) }
}

/// A table whose cells are never blank: a value that is missing says why.
struct Table {
    var header: [String]
    var rows: [[Cell]]
}

/// One table cell: text for people, an optional explanation (a tooltip in HTML, in brackets in
/// Markdown when the value is missing) and an optional tone.
struct Cell {
    var text: String
    var note: String?
    var tone: Tone?
    var isMissing = false
    /// Right-aligned in HTML, with tabular digits.
    var isNumeric = false

    /// A cell with `text`; empty text becomes a missing value, so no cell renders blank.
    init(_ text: String, note: String? = nil, tone: Tone? = nil) {
        if text.isEmpty {
            self.text = "n/a"
            self.note = note ?? "empty in the report"
            self.isMissing = true
        } else {
            self.text = text
            self.note = note
        }
        self.tone = tone
    }

    /// A value the report does not hold, with the reason ("no control", "not computed").
    static func missing(_ why: String) -> Cell {
        var c = Cell("n/a", note: why)
        c.isMissing = true
        return c
    }

    /// A number in `style`, or a missing value explaining `why` when there is none.
    static func number(_ x: Double?, _ style: NumberStyle, missing why: String = "not in the report") -> Cell {
        guard let x else { return .missing(why) }
        guard x.isFinite else { return .missing(x.isNaN ? "not computed (NaN)" : "infinite") }
        return .numeric(style.format(x))
    }

    /// Text made of numbers, such as an interval: aligned like a number.
    static func numeric(_ text: String, note: String? = nil) -> Cell {
        var c = Cell(text, note: note)
        c.isNumeric = !c.isMissing
        return c
    }
}

/// How a number reads on a page; every style goes through `ReadableNumber`.
enum NumberStyle {
    /// A measurement in its own unit: `0.06343`, `2,275`, `20.6B`.
    case value
    /// A rate shown as a percentage: `6.34%`.
    case percent
    /// A relative change, signed: `+12.3%`.
    case lift
    /// A difference in the metric's unit, signed: `+0.007782`.
    case delta
    case count
    case pValue

    func format(_ x: Double) -> String {
        switch self {
        case .value: return ReadableNumber.value(x)
        case .percent: return ReadableNumber.percent(x)
        case .lift: return ReadableNumber.lift(x)
        case .delta: return ReadableNumber.delta(x)
        case .count: return ReadableNumber.count(x)
        case .pValue: return ReadableNumber.pValue(x)
        }
    }

    /// An interval in this style: signed for changes (`[-3.6%, +28.1%]`), plain for values
    /// (`[0.06615, 0.07726]`).
    func interval(_ lower: Double, _ upper: Double) -> String {
        switch self {
        case .lift, .percent: return ReadableNumber.interval(lower, upper)
        case .delta: return ReadableNumber.interval(lower, upper, percent: false)
        default: return "[" + format(lower) + ", " + format(upper) + "]"
        }
    }

    /// The style for a metric's values by its name: rates (`ctr`, `*_rate`, `*share*`) as
    /// percentages, everything else in its own unit.
    static func forMetric(_ name: String) -> NumberStyle {
        let n = name.lowercased()
        return n == "ctr" || n.hasSuffix("_rate") || n.hasSuffix("rate") || n.contains("share") ? .percent : .value
    }

    /// The style for a JSON member by its key: p-values, rates and shares, counts, the rest.
    static func forKey(_ key: String, _ x: Double) -> NumberStyle {
        let k = key.lowercased()
        if k == "p" || k.hasSuffix("p_value") || k.hasSuffix("_p") { return .pValue }
        if k.hasSuffix("_rate") || k.hasSuffix("_share") || k == "share" { return .percent }
        return x == x.rounded() ? .count : .value
    }
}
