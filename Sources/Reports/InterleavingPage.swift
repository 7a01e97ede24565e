/// The interleaving page. First screen: which ranker the users preferred (or neither), with wins,
/// ties and losses, Δ_AB with its interval and the sign test's p-value; recsys-eval's
/// `interleaving` keys follow in their own labelled section.
enum InterleavingPage {
    static func content(_ report: JSONValue) -> PageBuilder.Content {
        guard let a = report["interleaving_analysis"] ?? report["interleaving"] else {
            return PageBuilder.Content(blocks: [], shownKeys: [])
        }
        let teamA = a["team_a"]?.stringValue ?? a["ranker_a"]?.stringValue ?? "A"
        let teamB = a["team_b"]?.stringValue ?? a["ranker_b"]?.stringValue ?? "B"
        let p = a["sign_test_p"]?.numberValue ?? a["p_value"]?.numberValue
        let pText = p.map { " (sign test p " + ExperimentPage.pText($0) + ")" } ?? ""
        let preferred = a["preferred"]?.stringValue ?? "none"
        var blocks: [Block] = [
            preferred == "none" || preferred.isEmpty
                ? .banner(.info, title: "No preference between \(teamA) and \(teamB)" + pText, lines: [])
                : .banner(.good, title: "Users preferred \(preferred)" + pText, lines: [])
        ]
        let ci = a["delta_ab_ci"]
        let level = ci?["level"]?.numberValue.map(ReadableNumber.level) ?? "95%"
        let interval: Cell =
            ci.flatMap { c in
                c["lower"]?.numberValue.flatMap { l in
                    c["upper"]?.numberValue.map { Cell.numeric(ReadableNumber.interval(l, $0, percent: false)) }
                }
            } ?? .missing("no interval")
        blocks.append(
            .table(
                Table(
                    header: ["wins \(teamA)", "ties", "wins \(teamB)", "Δ_AB", "\(level) interval", "sign test p", "requests"],
                    rows: [
                        [
                            .number(a["wins_a"]?.numberValue, .count), .number(a["ties"]?.numberValue, .count),
                            .number(a["wins_b"]?.numberValue, .count),
                            .number(a["delta_ab"]?.numberValue, .delta, missing: "not computed"), interval,
                            .number(p, .pValue, missing: "not computed"), .number(a["requests"]?.numberValue, .count),
                        ]
                    ])))
        if let d = a["delta_ab"]?.numberValue {
            let row = IntervalChart.Row(
                label: "Δ_AB", estimate: d, lower: ci?["lower"]?.numberValue, upper: ci?["upper"]?.numberValue,
                emphasis: preferred != "none")
            blocks.append(
                .charts([
                    IntervalChart(
                        title: "Δ_AB", rows: [row], style: .delta, reference: nil,
                        note: "share of wins for \(teamB) minus \(teamA); \(level) interval; right of zero favours \(teamB)")
                ]))
        }
        var shown: Set<String> = []
        if report["interleaving_analysis"] != nil {
            blocks.append(JSONFold.details("interleaving_analysis", a))
            shown.insert("interleaving_analysis")
        }
        if let legacy = report["interleaving"], report["interleaving_analysis"] != nil {
            blocks.append(.heading("recsys-eval compatible keys (interleaving)"))
            blocks.append(
                .text("recsys-eval's interleaving block, kept for comparison; the analysis above adds the interval and the sign test."))
            blocks.append(JSONFold.details("interleaving (recsys-eval)", legacy))
            shown.insert("interleaving")
        }
        return PageBuilder.Content(blocks: blocks, shownKeys: shown)
    }
}
