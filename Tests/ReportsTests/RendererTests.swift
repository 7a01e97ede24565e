import Reports
import Testing

@Suite struct RendererTests {
    static let report = JSONValue.object([
        ("run_id", .string("offline-1")),
        ("summary", .object([("cases_evaluated", .number(3))])),
        (
            "offline",
            .object([
                ("metrics", .array([.object([("name", .string("ndcg@2")), ("value", .number(0.5))])])),
                (
                    "by_segment",
                    .object([
                        ("tenant=<script>alert(1)</script>", .array([.object([("name", .string("ndcg@2")), ("value", .number(0.25))])])),
                        ("surface=a|b\"c", .array([.object([("name", .string("ndcg@2")), ("value", .number(1))])])),
                    ])
                ),
            ])
        ),
        ("warnings", .array([.string("x & <y>")])),
    ])

    /// Strings from logs render inert: no tag from the data survives in the HTML.
    @Test func htmlEscapesEverything() {
        let html = ReportRenderer.html(Self.report)
        #expect(!html.contains("<script>"))
        #expect(html.contains("tenant=&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("surface=a|b&quot;c"))
        #expect(html.contains("x &amp; &lt;y&gt;"))
        #expect(html.contains("<svg"))  // the per-segment chart
        #expect(html.contains("Content-Security-Policy"))
    }

    /// Markdown escapes table separators and HTML, and shows every section.
    @Test func markdownShowsEverythingEscaped() {
        let md = ReportRenderer.markdown(Self.report)
        #expect(md.contains("surface=a\\|b\"c"))
        #expect(md.contains("tenant=&lt;script&gt;alert\\(1\\)&lt;/script&gt;"))
        #expect(!md.contains("<script>"))
        for needle in ["cases\\_evaluated", "ndcg@2", "0.25", "x &amp; &lt;y&gt;", "offline-1"] {
            #expect(md.contains(needle), "\(needle)")
        }
    }

    static func test(_ metric: String, segment: String?, estimate: Double, lower: Double, upper: Double, significant: Bool) -> JSONValue {
        var m: [(String, JSONValue)] = [("metric", .string(metric)), ("variant", .string("B"))]
        if let segment { m.append(("segment", .string(segment))) }
        m += [
            ("relative", .object([("estimate", .number(estimate)), ("lower", .number(lower)), ("upper", .number(upper))])),
            ("significant", .bool(significant)),
        ]
        return .object(m)
    }

    static let experiment = JSONValue.object([
        (
            "experiment_units",
            .object([
                (
                    "tests",
                    .array([
                        test("ctr", segment: nil, estimate: 0.1, lower: 0.05, upper: 0.15, significant: true),
                        test("ctr", segment: "device=```<script>", estimate: -0.02, lower: -0.1, upper: 0.06, significant: false),
                    ])
                )
            ])
        )
    ])

    /// Lifts and intervals get a forest plot: zero line, a whisker per row, significant rows marked.
    @Test func forestPlotOfLifts() {
        let html = ReportRenderer.html(Self.experiment)
        #expect(html.contains("Forest plot"))
        #expect(html.contains("stroke-dasharray"))  // the zero line
        #expect(html.components(separatedBy: "<circle").count - 1 == 2)
        #expect(html.contains("fill=\"#c0392b\""))  // the significant row is filled
        #expect(!html.contains("<script>"))
        #expect(html.contains("relative.lower"))  // nested records flatten into table columns
        let md = ReportRenderer.markdown(Self.experiment)
        #expect(md.contains("10% [5%, 15%]"))
        #expect(md.contains("-2% [-10%, 6%]"))
        #expect(md.contains("#"))
        // The label sits in a code fence (literal text) that it cannot close.
        #expect(md.contains("device=\'\'\'<script>"))
        #expect(md.components(separatedBy: "```").count - 1 == 2)
    }
}
