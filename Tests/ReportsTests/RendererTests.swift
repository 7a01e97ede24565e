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
}
