/// The off-policy evaluation page. First screen: weight diagnostics that undermine the estimates
/// (as warnings), the target policy's estimated value against the logged (on-policy) value with
/// the relative change and its interval, every estimator in a table and on one chart whose axis
/// survives outliers. Then recsys-eval's legacy `ope` keys, explained where they disagree.
enum OPEPage {
    /// The estimator the headline uses, in order of preference: doubly robust first.
    static let headlinePreference = ["dr", "sndr", "switch_dr", "snips", "clipped_ips", "ips"]

    /// The self-normalised estimators: the only ones a mean importance weight far from 1 does not bias.
    static let selfNormalised = ["sndr", "snips"]

    /// Whether the mean importance weight is far enough from 1 for the page to warn about it
    /// (then the headline prefers a self-normalised estimator).
    static func weightMeanIsOff(_ mean: Double) -> Bool { mean > 1.5 || mean < 0.67 }

    /// The headline's estimator: doubly robust first, unless the mean weight is off, which biases
    /// every estimator but the self-normalised ones (the warning above the headline says so; the
    /// headline must not contradict it). With an off mean weight, also the line that says why.
    static func chooseHeadline(_ targets: [JSONValue], diagnostics: JSONValue?) -> (estimator: JSONValue, note: String?)? {
        func named(_ order: [String]) -> JSONValue? {
            order.lazy.compactMap { name in targets.first { $0["name"]?.stringValue == name } }.first ?? targets.first
        }
        guard let mean = diagnostics?["weight_mean"]?.numberValue, weightMeanIsOff(mean) else {
            return named(headlinePreference).map { ($0, nil) }
        }
        guard let h = named(selfNormalised + headlinePreference.filter { !selfNormalised.contains($0) }) else { return nil }
        let name = h["name"]?.stringValue ?? "estimate"
        let weight = ReadableNumber.value(mean)
        return (
            h,
            selfNormalised.contains(name)
                ? "Headlined by \(name), a self-normalised estimator, not by doubly robust: with a mean importance weight of \(weight), the others are biased."
                : "No self-normalised estimator (snips, sndr) was computed: with a mean importance weight of \(weight), \(name) and every other estimator shown are biased."
        )
    }

    static func content(_ report: JSONValue) -> PageBuilder.Content {
        guard let analysis = report["ope_analysis"] else { return PageBuilder.Content(blocks: legacy(report), shownKeys: ["ope"]) }
        let estimators = analysis["estimators"]?.arrayItems ?? []
        let logged = estimators.first { $0["name"]?.stringValue == "logging_policy" }?["value"]?.numberValue
        var blocks = weightWarnings(analysis["diagnostics"], report: report)
        let targets = estimators.filter { $0["name"]?.stringValue != "logging_policy" }
        let chosen = chooseHeadline(targets, diagnostics: analysis["diagnostics"])
        let headline = chosen?.estimator
        if let chosen {
            blocks.append(
                headlineBanner(chosen.estimator, logged: logged, level: analysis["ci_level"]?.numberValue ?? 0.95, note: chosen.note))
        }
        let level = ReadableNumber.level(analysis["ci_level"]?.numberValue ?? 0.95)
        blocks.append(.heading("Estimators"))
        blocks.append(.table(estimatorTable(estimators, logged: logged, level: level)))
        var overview = chart("Estimated value per estimator", estimators, logged: logged, headline: headline, level: level)
        overview.plotWidth = 420
        blocks.append(.charts([overview]))
        if let d = analysis["diagnostics"] { blocks.append(weightSummary(d)) }
        let segments = analysis["by_segment"]?.arrayItems ?? []
        if !segments.isEmpty { blocks.append(segmentCharts(segments, logged: logged, level: level)) }
        if let d = analysis["diagnostics"] { blocks.append(JSONFold.details("Importance weights: diagnostics", d)) }
        if let h = analysis["weight_histogram"] { blocks.append(JSONFold.details("Importance weights: histogram", h)) }
        blocks += legacy(report)
        // ope_analysis in full (settings, reward model, every estimator field) folds under
        // "Everything else".
        return PageBuilder.Content(blocks: blocks, shownKeys: ["ope"])
    }

    /// Warnings about the importance weights: a low effective sample size, a mean weight far from
    /// 1, missing propensities and support violations. Each is left out when one of the report's
    /// own `warnings` (shown as banners above it) already says it, so that no page says the same
    /// thing twice; the phrases below are the ones the OPE evaluation writes.
    static func weightWarnings(_ d: JSONValue?, report: JSONValue) -> [Block] {
        guard let d else { return [] }
        let said = (report["warnings"]?.arrayItems ?? []).compactMap(\.stringValue)
        func alreadySaid(_ phrase: String) -> Bool { said.contains { $0.contains(phrase) } }
        var blocks: [Block] = []
        if let share = d["ess_share"]?.numberValue, share < 0.1, !alreadySaid("effective sample size") {
            let ess = d["effective_sample_size"]?.numberValue.map { " (" + ReadableNumber.count($0.rounded()) + ")" } ?? ""
            blocks.append(
                .banner(
                    .warn, title: "Effective sample size is \(ReadableNumber.percent(share)) of the slots\(ess)",
                    lines: ["A few heavily weighted events carry the estimates: read every interval with caution."]))
        }
        if let mean = d["weight_mean"]?.numberValue, weightMeanIsOff(mean), !alreadySaid("mean importance weight") {
            blocks.append(
                .banner(
                    .warn, title: "The mean importance weight is \(ReadableNumber.value(mean)), not about 1",
                    lines: [
                        "The target and logging propensities may not describe the same slots; all but self-normalised estimators are biased."
                    ]))
        }
        for (key, what, phrase) in [
            ("support_violations", "slots where the target policy acts but the logging policy never does", "support violations"),
            ("missing_target_propensity", "slots without a usable target propensity (missing or negative)", "have no target_propensity"),
            ("missing_logging_propensity", "slots without a logging propensity", "have no logging_propensity"),
        ] {
            if let n = d[key]?.numberValue, n > 0, !alreadySaid(phrase) {
                blocks.append(.banner(.warn, title: "\(ReadableNumber.count(n)) \(what)", lines: []))
            }
        }
        return blocks
    }

    /// The importance weights in one row: what decides whether the estimates can be trusted.
    static func weightSummary(_ d: JSONValue) -> Block {
        let columns: [(String, String, NumberStyle)] = [
            ("mean weight", "weight_mean", .value), ("ESS share", "ess_share", .percent),
            ("effective sample size", "effective_sample_size", .count),
            ("max weight", "max_weight", .value), ("p99 weight", "weight_quantiles.p99", .value),
            ("clipped share", "clipped_share", .percent),
        ]
        let row = columns.map { _, key, style in
            Cell.number(d.flattenedValue(key)?.numberValue.map { style == .count ? $0.rounded() : $0 }, style, missing: "not reported")
        }
        return .table(Table(header: columns.map(\.0), rows: [row]))
    }

    /// "Target policy (dr): 0.04648 vs logged 0.0435: +6.9% [...]"; green or red only when the
    /// interval excludes no change.
    static func headlineBanner(_ e: JSONValue, logged: Double?, level: Double, note: String? = nil) -> Block {
        // `note` (why this estimator leads) comes first in every form of the banner.
        func banner(_ tone: Tone, title: String, lines: [String]) -> Block {
            .banner(tone, title: title, lines: (note.map { [$0] } ?? []) + lines)
        }
        let name = e["name"]?.stringValue ?? "estimate"
        guard let value = e["value"]?.numberValue else { return banner(.info, title: "Target policy (\(name)): not computed", lines: []) }
        guard let logged, logged != 0 else {
            return banner(
                .info, title: "Target policy (\(name)): \(ReadableNumber.value(value))",
                lines: ["No logged value to compare with (logging_policy missing or 0)."])
        }
        let rel = relative(e, logged: logged)
        if !(Swift.abs(rel.estimate) <= offScale) {
            return banner(
                .warn,
                title:
                    "Target policy (\(name)): \(ReadableNumber.value(value)) vs logged \(ReadableNumber.value(logged)): off scale (\(ReadableNumber.value(value / logged)) times the logged value)",
                lines: [
                    "An estimate this far from the logged value means its importance weights do not support it: read the weight diagnostics."
                ])
        }
        var title =
            "Target policy (\(name)): \(ReadableNumber.value(value)) vs logged \(ReadableNumber.value(logged)): \(ReadableNumber.lift(rel.estimate))"
        var tone = Tone.info
        if let l = rel.lower, let u = rel.upper {
            title += " " + ReadableNumber.interval(l, u)
            tone = l > 0 ? .good : (u < 0 ? .bad : .info)
        }
        let verdict =
            rel.lower == nil || rel.upper == nil
            ? "No interval was computed for this estimator."
            : tone == .good
                ? "The \(ReadableNumber.level(level)) interval is above the logged value."
                : tone == .bad
                    ? "The \(ReadableNumber.level(level)) interval is below the logged value."
                    : "The \(ReadableNumber.level(level)) interval includes the logged value: no change is shown."
        return banner(
            tone, title: title,
            lines: [
                verdict,
                "Relative change = (estimate − logged) / logged; its interval is the estimator's interval over the logged value (the logged value's own uncertainty is not included).",
            ])
    }

    /// Beyond ±1,000% a relative change tells a reader nothing but "off scale": typically a slate
    /// estimator whose weight products explode because the propensities are not slate-level.
    /// Such changes print as "off scale", with the ratio to the logged value in the note.
    static let offScale = 10.0

    /// The relative change as a cell: "+6.9%", or "off scale" beyond ±1,000%.
    static func relativeCell(_ r: Double, estimateOverLogged ratio: Double) -> Cell {
        guard r.isFinite, Swift.abs(r) > offScale else { return .number(r, .lift) }
        return .numeric(
            "off scale",
            note: "the estimate is \(ReadableNumber.value(ratio)) times the logged value: its importance weights do not support it")
    }

    /// The relative change against the logged value, with the estimator's interval scaled.
    static func relative(_ e: JSONValue, logged: Double) -> (estimate: Double, lower: Double?, upper: Double?) {
        let v = e["value"]?.numberValue ?? .nan
        let ci = e["absolute"]
        return (
            (v - logged) / logged, ci?["lower"]?.numberValue.map { ($0 - logged) / logged },
            ci?["upper"]?.numberValue.map { ($0 - logged) / logged }
        )
    }

    static func estimatorTable(_ estimators: [JSONValue], logged: Double?, level: String) -> Table {
        let rows: [[Cell]] = estimators.map { e in
            let name = e["name"]?.stringValue ?? ""
            let isLogged = name == "logging_policy"
            var row = [
                Cell(name, note: isLogged ? "the logged (on-policy) value" : nil), Cell(e["family"]?.stringValue ?? "", note: "no family"),
            ]
            row.append(.number(e["value"]?.numberValue, .value, missing: "not computed"))
            row.append(interval(e["absolute"], missing: "no interval"))
            if isLogged {
                row += [.missing("this is the logged value"), .missing("this is the logged value")]
            } else if let logged, logged != 0 {
                let r = relative(e, logged: logged)
                row.append(relativeCell(r.estimate, estimateOverLogged: r.estimate + 1))
                if let l = r.lower, let u = r.upper, Swift.abs(l) > offScale || Swift.abs(u) > offScale {
                    row.append(.numeric("off scale", note: "the interval reaches beyond ±1,000% of the logged value"))
                } else {
                    row.append(
                        r.lower.flatMap { l in r.upper.map { Cell.numeric(ReadableNumber.interval(l, $0)) } } ?? .missing("no interval"))
                }
            } else {
                row += [.missing("no logged value"), .missing("no logged value")]
            }
            row.append(interval(e["bootstrap"], missing: "no bootstrap"))
            row.append(.number(e["value_per_slot"]?.numberValue, .value, missing: "not per slot"))
            return row
        }
        return Table(
            header: [
                "estimator", "family", "value", "\(level) interval", "vs logged", "relative interval", "bootstrap interval", "per slot",
            ],
            rows: rows)
    }

    static func interval(_ v: JSONValue?, missing: String) -> Cell {
        guard let l = v?["lower"]?.numberValue, let u = v?["upper"]?.numberValue else { return .missing(missing) }
        return .numeric(NumberStyle.value.interval(l, u))
    }

    static func chart(_ title: String, _ estimators: [JSONValue], logged: Double?, headline: JSONValue?, level: String) -> IntervalChart {
        let rows = estimators.map { e in
            IntervalChart.Row(
                label: e["name"]?.stringValue ?? "", estimate: e["value"]?.numberValue, lower: e["absolute"]?["lower"]?.numberValue,
                upper: e["absolute"]?["upper"]?.numberValue, emphasis: e["name"] == headline?["name"])
        }
        return IntervalChart(
            title: title, rows: rows, style: .value, reference: logged.map { ($0, "logged value") },
            note: "value with \(level) interval; dashed line: the logged (on-policy) value; filled: the headline estimator")
    }

    /// One chart per estimator, one row per segment.
    static func segmentCharts(_ segments: [JSONValue], logged: Double?, level: String) -> Block {
        var order: [String] = []
        var rows: [String: [IntervalChart.Row]] = [:]
        for s in segments {
            let segment = s["segment"]?.stringValue ?? "segment"
            for e in s["estimators"]?.arrayItems ?? [] {
                let name = e["name"]?.stringValue ?? ""
                if rows[name] == nil { order.append(name) }
                rows[name, default: []].append(
                    IntervalChart.Row(
                        label: segment, estimate: e["value"]?.numberValue, lower: e["absolute"]?["lower"]?.numberValue,
                        upper: e["absolute"]?["upper"]?.numberValue))
            }
        }
        let charts = order.map { name in
            IntervalChart(
                title: name, rows: rows[name] ?? [], style: .value, reference: logged.map { ($0, "logged value (all segments)") },
                note: "value by segment, \(level) interval"
            ).compactingSegmentLabels()
        }
        return .details(
            "Segments: " + ExperimentPage.plural(segments.count, "segment"),
            [.charts(charts), JSONFold.details("Segment estimates (table)", .array(segments))])
    }

    /// recsys-eval's `ope` keys beside receval's same-named estimators, with why they differ.
    static func legacy(_ report: JSONValue) -> [Block] {
        guard let ope = report["ope"] else { return [] }
        var blocks: [Block] = [
            .heading("recsys-eval compatible keys (ope)"),
            .text(
                "recsys-eval's `ope` block, kept for comparison. receval's estimators above (ope_analysis) come with intervals and "
                    + "diagnostics and are the ones to read."),
        ]
        let ours = report["ope_analysis"]?["estimators"]?.arrayItems ?? []
        let rows: [[Cell]] = (ope["estimators"]?.arrayItems ?? []).map { e in
            let name = e["name"]?.stringValue ?? ""
            let theirs = e["value"]?.numberValue
            let mine = ours.first { $0["name"]?.stringValue == name }
            let perSlot = mine?["value_per_slot"]?.numberValue ?? mine?["value"]?.numberValue
            var note = Cell("agree within 10%")
            if let t = theirs, let m = perSlot, abs(t - m) > 0.1 * max(abs(m), 1e-12) {
                note =
                    name == "dr"
                    ? Cell(
                        "differ: recsys-eval's dr uses as its reward model the mean reward given an event (a value per event, not a rate), "
                            + "so its corrections are on another scale; receval's dr models the reward rate per slot", tone: .warn)
                    : Cell("differ: recsys-eval weighs and aggregates slots differently (see its unit and reward_aggregation)")
            } else if perSlot == nil {
                note = .missing("receval has no estimator of this name")
            }
            return [Cell(name), .number(theirs, .value), .number(perSlot, .value, missing: "no such estimator"), note]
        }
        if !rows.isEmpty {
            blocks.append(
                .table(Table(header: ["estimator", "recsys-eval (ope)", "receval per slot (ope_analysis)", "comparison"], rows: rows)))
        }
        blocks.append(JSONFold.details("ope (recsys-eval)" + JSONFold.summarySuffix(ope), ope))
        return blocks
    }
}
