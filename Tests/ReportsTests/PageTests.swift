import Reports
import Testing

/// The pages a person reads: decision first, readable numbers, no blank cells, charts that keep
/// their scale and direction.
@Suite struct PageTests {
    /// The text a reader sees: tags, styles and entities removed, whitespace collapsed.
    static func visibleText(_ html: String) -> String {
        var s = html
        if let head = s.range(of: "</head>") { s = String(s[head.upperBound...]) }
        var out = ""
        var inTag = false
        for c in s {
            if c == "<" {
                inTag = true
                out += " "
            } else if c == ">" {
                inTag = false
            } else if !inTag {
                out.append(c)
            }
        }
        for (entity, char) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
            out = out.replacing(entity, with: char)
        }
        return out.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Every token of `text` that reads as a number ("19,886", "+12.3%", "7.62M", "1.2e-5");
    /// identifiers with letters (run ids, fingerprints, timestamps) are not numbers.
    static func numbers(in text: String) -> [String] {
        let separators: Set<Character> = [
            " ", "\n", "\t", "(", ")", "[", "]", "|", ";", "=", "<", ">", "\"", "'", "`", "*", ":", "/", "\\", "·",
        ]
        let number = try! Regex(#"[+\-−]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?(e[+\-]?\d+)?[MBT×]?%?"#)
        return text.split(whereSeparator: { separators.contains($0) }).compactMap { raw in
            var t = Substring(raw)
            while let last = t.last, [",", ".", "…"].contains(last) { t = t.dropLast() }
            guard t.contains(where: \.isNumber), (try? number.wholeMatch(in: t)) != nil else { return nil }
            return String(t)
        }
    }

    static func significantDigits(_ token: String) -> Int {
        let mantissa = token.split(separator: "e").first.map(String.init) ?? token
        let kept = mantissa.filter { $0.isNumber || $0 == "." }
        var digits = kept.filter(\.isNumber).drop { $0 == "0" }
        if !kept.contains(".") { while digits.last == "0" { digits = digits.dropLast() } }
        return digits.count
    }

    // (1) The first screen holds the decision and the primary metric, before recsys-eval's keys.
    @Test(arguments: [true, false])
    func experimentFirstScreen(verdict: Bool) throws {
        let text = Self.visibleText(ReportRenderer.html(PageFixtures.experiment(verdict: verdict)))
        let banner = verdict ? "Decision: SHIP" : "Decision: INCONCLUSIVE"
        let decision = try #require(text.range(of: banner))
        let primary = try #require(text.range(of: "ctr candidate 6.34% 7.12% +12.3% [-3.6%, +28.1%] 0.115 no"))
        let legacy = try #require(text.range(of: "recsys-eval compatible keys (request-level)"))
        #expect(decision.upperBound < primary.lowerBound && primary.upperBound < legacy.lowerBound)
        #expect(text.distance(from: text.startIndex, to: primary.upperBound) < 3000)
        #expect(text.contains("unit-level analysis above (experiment_units) is what decides"))
        #expect(text.contains("No sample ratio mismatch (p = 0.847)"))
        #expect(text.contains("Guardrails failed (1 of 2)"))
        #expect(text.contains("Warning x & <y> 12 users"))
        if verdict {
            #expect(text.contains("unit-level analysis of the primary metrics"))
            #expect(text.contains("recsys-eval would decide hold on request-level numbers"))
            #expect(text.contains("SRM gating: unit-level"))
        } else {
            #expect(text.contains("is not significant at alpha 0.05"))
        }
    }

    /// Markdown for a pull request: the decision and the primary metrics before anything folded.
    @Test func experimentMarkdownSummaryFirst() throws {
        let md = ReportRenderer.markdown(PageFixtures.experiment(verdict: true))
        let decision = try #require(md.range(of: "Decision: SHIP"))
        let row = try #require(md.range(of: "| ctr | candidate | 6.34% | 7.12% | \\+12.3% | \\[-3.6%, \\+28.1%\\] | 0.115 | no |"))
        let firstFold = try #require(md.range(of: "<details>"))
        #expect(decision.upperBound < row.lowerBound && row.upperBound < firstFold.lowerBound)
        #expect(!md.contains("<script>"))
    }

    /// The A/A check says whether p-values look uniform, with its counts.
    @Test func aaCheckBanner() {
        let text = Self.visibleText(ReportRenderer.html(PageFixtures.experiment(verdict: false, mode: "aa-check")))
        #expect(text.contains("A/A check does not look uniform (unit-level)"))
        #expect(text.contains("0.05 0 0.4 1 0.2"))
    }

    // (2) No number anywhere a person reads has more than 6 significant digits.
    @Test(arguments: PageFixtures.all.map(\.0))
    func numbersAreReadable(_ name: String) {
        let report = PageFixtures.all.first { $0.0 == name }!.1
        let html = Self.visibleText(ReportRenderer.html(report))
        let md = ReportRenderer.markdown(report).replacing("\\", with: "")
        for (format, text) in [("html", html), ("md", md)] {
            let tokens = Self.numbers(in: text)
            #expect(tokens.count > 10, "\(format): \(tokens)")
            for t in tokens where Self.significantDigits(t) > 6 {
                Issue.record("\(name) \(format): \(t) has \(Self.significantDigits(t)) significant digits")
            }
        }
        #expect(!html.contains("0.0634311"))
    }

    // (3) No blank table cell: a missing value says why.
    @Test(arguments: PageFixtures.all.map(\.0))
    func noBlankCells(_ name: String) throws {
        let report = PageFixtures.all.first { $0.0 == name }!.1
        let html = ReportRenderer.html(report)
        let blank = try Regex(#"<td[^>]*>\s*</td>"#)
        #expect(html.firstMatch(of: blank) == nil)
        let md = ReportRenderer.markdown(report)
        #expect(!md.contains("|  |") && !md.contains("| |"))
    }

    /// Every key of the JSON, at any depth.
    static func keys(_ v: JSONValue) -> Set<String> {
        switch v {
        case .object(let members): return members.reduce(into: Set(members.map(\.0))) { $0.formUnion(keys($1.1)) }
        case .array(let items): return items.reduce(into: []) { $0.formUnion(keys($1)) }
        default: return []
        }
    }

    /// Nothing is lost: every key of the report is on the page (folded or not), in both formats.
    @Test(arguments: PageFixtures.all.map(\.0))
    func everythingReachable(_ name: String) {
        let report = PageFixtures.all.first { $0.0 == name }!.1
        let html = Self.visibleText(ReportRenderer.html(report))
        let md = ReportRenderer.markdown(report).replacing("\\", with: "")
        for key in Self.keys(report) {
            #expect(html.contains(key), "html lacks \(key)")
            // Markdown escapes markup (table cells) or writes HTML entities (<details> summaries).
            let forms = [key, ReportRenderer.htmlEscape(key), ReportRenderer.mdEscape(key).replacing("\\", with: "")]
            #expect(forms.contains { md.contains($0) }, "markdown lacks \(key)")
        }
    }

    /// Missing values say why: a null throughput, an empty string.
    @Test func missingValuesExplained() {
        let html = ReportRenderer.html(PageFixtures.experiment(verdict: false))
        #expect(html.contains("n/a <small>(null in the report)</small>"))
        #expect(html.contains("n/a <small>(empty string in the report)</small>"))
    }

    /// The x coordinate in `attribute="..."` after `marker` in `svg`.
    static func attribute(_ name: String, after marker: String, in svg: Substring) -> Double? {
        guard let m = svg.range(of: marker), let a = svg[m.upperBound...].range(of: name + "=\"") else { return nil }
        return Double(svg[a.upperBound...].prefix { $0 != "\"" })
    }

    /// The `<svg>` of the chart titled `title`.
    static func svg(titled title: String, in html: String) -> Substring? {
        guard let t = html.range(of: "<figcaption>" + title) else { return nil }
        let rest = html[t.upperBound...]
        guard let start = rest.range(of: "<svg"), let end = rest.range(of: "</svg>") else { return nil }
        return rest[start.lowerBound..<end.upperBound]
    }

    // (4) A negative value's bar starts at zero and extends left.
    @Test func negativeBarsPointLeft() throws {
        for (report, title) in [
            (PageFixtures.experiment(verdict: false), "clicks_per_user"), (PageFixtures.ope, "Estimated value per estimator"),
        ] {
            let svg = try #require(Self.svg(titled: title, in: ReportRenderer.html(report)))
            let zero = try #require(Self.attribute("x1", after: "<line class=\"zero\"", in: svg))
            let x = try #require(Self.attribute("x", after: "<rect class=\"bar negative\"", in: svg))
            let width = try #require(Self.attribute("width", after: "<rect class=\"bar negative\"", in: svg))
            #expect(width > 1)
            #expect(abs(x + width - zero) < 0.15, "bar [\(x), \(x + width)] should end at zero \(zero)")
            // A positive bar starts at zero and extends right.
            if let px = Self.attribute("x", after: "<rect class=\"bar\"", in: svg) { #expect(abs(px - zero) < 0.15) }
        }
    }

    // (5) The OPE chart clips the outliers and names them; the rest keep a readable scale.
    @Test func opeChartClipsOutliers() throws {
        let html = ReportRenderer.html(PageFixtures.ope)
        #expect(html.contains("rips, sips beyond the axis: 7.62M, 20.6B"))
        let svg = try #require(Self.svg(titled: "Estimated value per estimator", in: html))
        #expect(!svg.contains("<title>rips</title>") && !svg.contains("<title>sips</title>"))
        #expect(svg.contains("<title>dr</title>") && svg.contains("class=\"reference\""))
        let text = Self.visibleText(html)
        // The mean weight is 4.358: the warning says every estimator but the self-normalised ones
        // is biased, so the headline is one of those, and says why.
        #expect(text.contains("Target policy (snips): 0.01645 vs logged 0.0435: -62.2% [-65.1%, -59.2%]"), "\(text)")
        #expect(text.contains("Headlined by snips, a self-normalised estimator, not by doubly robust"))
        #expect(text.contains("Effective sample size is 5.53% of the slots (1,656)"))
        #expect(text.contains("The mean importance weight is 4.358, not about 1"))
        #expect(text.contains("recsys-eval's dr uses as its reward model the mean reward given an event"))
        let md = ReportRenderer.markdown(PageFixtures.ope)
        #expect(md.contains("rips, sips beyond the axis: 7.62M, 20.6B"))
        // Relative changes of 10⁸ and 10¹¹ percent are "off scale", never printed in exponent form.
        #expect(!text.contains("e10%") && !text.contains("e8%"))
        let rows = md.components(separatedBy: "\n")
        let ripsRow = try #require(rows.first { $0.hasPrefix("| rips |") })
        #expect(ripsRow.contains("off scale"))
        let drRow = try #require(rows.first { $0.hasPrefix("| dr |") })
        #expect(drRow.contains("+6.9%") && !drRow.contains("off scale"))
    }

    /// With a mean importance weight near 1 the headline is doubly robust, and an interval that
    /// holds the logged value says no change is shown.
    @Test func opeHeadlineIsDoublyRobustWhenTheWeightsAreSound() throws {
        let text = PageFixtures.opeText.replacingOccurrences(of: #""weight_mean": 4.35841688827704"#, with: #""weight_mean": 1.02"#)
        #expect(text != PageFixtures.opeText)
        let page = Self.visibleText(ReportRenderer.html(try JSONValue.parse(text)))
        #expect(page.contains("Target policy (dr): 0.04648 vs logged 0.0435: +6.9% [-5.4%, +19.1%]"), "\(page)")
        #expect(page.contains("The 95% interval includes the logged value: no change is shown."))
        #expect(!page.contains("Headlined by") && !page.contains("The mean importance weight is"))
        // With the mean weight off and no self-normalised estimator, the headline says that
        // what it shows is biased too.
        let noSN = PageFixtures.opeText.replacingOccurrences(of: #"{"name": "snips", "family""#, with: #"{"name": "other", "family""#)
        #expect(noSN != PageFixtures.opeText)
        let biased = Self.visibleText(ReportRenderer.html(try JSONValue.parse(noSN)))
        #expect(biased.contains("Target policy (dr)") && biased.contains("No self-normalised estimator (snips, sndr) was computed"))
    }

    /// A warning the report already holds is not said again by the page's own weight banners;
    /// one it does not hold still gets its banner.
    @Test func opeWarningsAreNotRepeated() throws {
        var text = PageFixtures.opeText
        text = text.replacingOccurrences(
            of: #""support_violations": 0}"#,
            with: #""support_violations": 12, "missing_target_propensity": 7, "missing_logging_propensity": 3}"#)
        text = text.replacingOccurrences(
            of: #""warnings": []}"#,
            with:
                #""warnings": ["missing_target_propensity", "low_effective_sample_size", "high_clipping_fraction", "12 shown items have a positive target propensity but a zero, negative or missing logging propensity (support violations): they are left out", "7 shown items have no target_propensity (or a negative one) and are left out of receval's estimators", "the effective sample size is 1656.1 of 300035 slots: unreliable"]}"#
        )
        // The banners and sections, without the report's keys folded in full at the end.
        let html = Self.visibleText(ReportRenderer.html(try JSONValue.parse(text)))
        let page = try #require(html.components(separatedBy: "Everything else").first)
        func count(_ s: String) -> Int { page.components(separatedBy: s).count - 1 }
        #expect(count("support violations") == 1)
        #expect(count("slots where the target policy acts") == 0)
        #expect(count("have no target_propensity") == 1)
        #expect(count("slots without a usable target propensity") == 0)
        #expect(count("3 slots without a logging propensity") == 1)
        #expect(count("Effective sample size is") == 0 && count("effective sample size is 1656.1") == 1)
        #expect(count("The mean importance weight is 4.358") == 1)
        // recsys-eval's codes: in words, or not at all when receval's sentence covers them.
        let words = page.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(!words.contains("Warning missing_target_propensity") && !words.contains("Warning low_effective_sample_size"))
        #expect(!words.contains("recsys-eval's warning missing_target_propensity"))
        #expect(!words.contains("recsys-eval's warning low_effective_sample_size"))
        #expect(count("More than a tenth of the importance weights were clipped (recsys-eval's warning high_clipping_fraction)") == 1)
        #expect(!words.contains("Warning high_clipping_fraction"))
    }

    /// The terminal gets the warnings as the page words them: no bare recsys-eval code, and a
    /// code without receval's sentence in words.
    @Test func terminalWarningsAreWordedAsOnThePage() throws {
        let covered = try JSONValue.parse(
            #"{"warnings": ["missing_target_propensity", "7 shown items have no target_propensity (or a negative one) and are left out of receval's estimators", "high_clipping_fraction"]}"#
        )
        #expect(
            ReportWarnings.readable(covered) == [
                "7 shown items have no target_propensity (or a negative one) and are left out of receval's estimators",
                "More than a tenth of the importance weights were clipped (recsys-eval's warning high_clipping_fraction).",
            ])
        let alone = try JSONValue.parse(#"{"warnings": ["missing_target_propensity", "aa_check_false_positives"]}"#)
        #expect(ReportWarnings.readable(alone).allSatisfy { $0.contains("recsys-eval's warning") || $0.contains("its warning") })
        #expect(ReportWarnings.readable(alone).count == 2)
        #expect(ReportWarnings.readable(try JSONValue.parse(#"{"mode": "ope"}"#)).isEmpty)
    }

    /// Each metric's chart has its own scale: a segment 5,000% off does not squash the others.
    @Test func chartsKeepTheirOwnScale() throws {
        let html = ReportRenderer.html(PageFixtures.experiment(verdict: false))
        #expect(html.contains("(none) · ios beyond the axis: -5,133%"))
        #expect(html.contains("home · &lt;script&gt;"))
        #expect(!html.contains("<script>"))
    }

    /// Offline: the failed gate first, metrics with interval, baseline and delta.
    @Test func offlineGatesFirst() throws {
        let text = Self.visibleText(ReportRenderer.html(PageFixtures.offline))
        let gate = try #require(text.range(of: "Regression gate failed precision@10: delta -0.001235, allowed drop 0"))
        let row = try #require(text.range(of: "precision@10 0.00628 [0.005123, 0.007123] 0.007515 -0.001235 -16.4% FAILED"))
        #expect(gate.upperBound < row.lowerBound)
        #expect(text.contains("surface=<b>cart</b>") || text.contains("<b>cart</b>"))
    }

    /// Interleaving: the preference, wins/ties/losses, Δ_AB with interval, sign test p.
    @Test func interleavingFirst() throws {
        let text = Self.visibleText(ReportRenderer.html(PageFixtures.interleaving))
        #expect(text.contains("Users preferred B (sign test p < 0.001)"))
        #expect(text.contains("400 222 612 +0.1718 [+0.1123, +0.2323] < 0.001 1.23M"))
    }
}
