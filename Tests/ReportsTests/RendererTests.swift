import Reports
import Testing

@Suite struct RendererTests {
    static let report = JSONValue.object([
        ("run_id", .string("offline-1")),
        ("mode", .string("offline")),
        ("note", .string("a|b")),
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
        #expect(md.contains("a\\|b"))  // a table cell
        #expect(md.contains("surface=a|b&quot;c"))  // a <details> summary is HTML
        #expect(md.contains("tenant=&lt;script&gt;alert(1)&lt;/script&gt;"))
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
        ("mode", .string("experiment")),
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
        ),
    ])

    /// Lifts and intervals get a chart per metric: zero line, a whisker per row, significant rows
    /// filled; labels escaped, and unable to close Markdown's code fence.
    @Test func intervalChartsOfLifts() {
        let html = ReportRenderer.html(Self.experiment)
        #expect(html.contains("class=\"zero\""))  // the zero line
        #expect(html.components(separatedBy: "<circle").count - 1 == 2)
        #expect(html.contains("fill=\"#24292f\" stroke"))  // the significant row is filled
        #expect(!html.contains("<script>"))
        #expect(html.contains("device=```&lt;script&gt;"))
        let md = ReportRenderer.markdown(Self.experiment)
        #expect(md.contains("+10.0% [+5.0%, +15.0%]"))
        #expect(md.contains("-2.0% [-10.0%, +6.0%]"))
        #expect(md.contains("#"))
        // Labels sit in code fences (literal text) that they cannot close.
        #expect(md.contains("'''‹script›"))
        #expect(!md.contains("<script>"))
        #expect((md.components(separatedBy: "```").count - 1) % 2 == 0)
    }

    /// Rows kept under recsys-eval's runtime contract show in one short banner, a line per table
    /// with its count, kinds and first example; a report without such rows has none.
    @Test func rowsKeptAsTheRuntimeReadsThemShowFirst() {
        func reading(_ table: String, _ rows: Double, _ what: String, _ line: Double, _ field: String) -> JSONValue {
            .object([
                ("table", .string(table)), ("reading", .string("k")), ("rows", .number(rows)), ("what", .string(what)),
                ("first_source", .string("/logs/\(table).jsonl")), ("first_line", .number(line)), ("first_field", .string(field)),
            ])
        }
        func report(_ readings: [JSONValue]) -> JSONValue {
            .object([
                ("mode", .string("offline")),
                (
                    "data_quality",
                    .object([("ingest", .object([("contract", .string("recsys-eval-runtime")), ("runtime_readings", .array(readings))]))])
                ),
            ])
        }
        let kept = report([
            reading("assignments", 3, "an empty variant", 7, "variant"),
            reading("assignments", 2, "an unknown member, ignored", 9, "debug"),
            reading("outcomes", 1, "an event type in other letter cases", 4, "event_type"),
        ])
        for page in [ReportRenderer.html(kept), ReportRenderer.markdown(kept).filter { $0 != "\\" }] {
            #expect(page.contains("runtime reads them"))  // the title; HTML escapes its apostrophe
            #expect(page.contains("assignments: 5 readings of 2 kind(s), e.g. assignments.jsonl:7 variant: an empty variant"))
            #expect(page.contains("outcomes: 1 readings of 1 kind(s)"))
        }
        #expect(!ReportRenderer.html(report([])).contains("runtime reads them"))
        // Interleaving's inputs are listed by input, from their own section.
        let interleaving = JSONValue.object([
            ("mode", .string("interleaving")),
            (
                "interleaving_data_quality",
                .object([
                    (
                        "runtime_readings",
                        .array([
                            .object([
                                ("input", .string("ranker_a")), ("reading", .string("member_name_case")), ("rows", .number(2)),
                                ("what", .string("a member name in other letter cases")), ("first_source", .string("/logs/a.jsonl")),
                                ("first_line", .number(1)), ("first_field", .string("Request_ID")),
                            ])
                        ])
                    )
                ])
            ),
        ])
        let page = ReportRenderer.html(interleaving)
        #expect(page.contains("ranker_a: 2 readings of 1 kind(s), e.g. a.jsonl:1 Request_ID: a member name in other letter cases"))
        #expect(page.contains("interleaving_data_quality.runtime_readings"))
    }

    /// Rows rejected while ingesting a run's JSONL sources show above the decision, with the
    /// first reasons (file:line, unformatted) and where the rest are.
    @Test func rejectedRowsShowFirst() {
        let report = JSONValue.object([
            ("mode", .string("offline")),
            (
                "data_quality",
                .object([
                    (
                        "ingest",
                        .object([
                            (
                                "tables",
                                .object([
                                    (
                                        "exposures",
                                        .object([("read", .number(1500)), ("written", .number(1498)), ("rejected", .number(2))])
                                    ),
                                    ("outcomes", .object([("read", .number(3)), ("written", .number(3)), ("rejected", .number(0))])),
                                ])
                            ),
                            (
                                "first_rejects",
                                .array([
                                    .object([
                                        ("table", .string("exposures")), ("source", .string("e.jsonl")), ("line", .number(1204)),
                                        ("field", .string("ts")), ("reason", .string("month 13 out of range")),
                                    ])
                                ])
                            ),
                            ("rejects_file", .string("r.rejects.jsonl")),
                        ])
                    )
                ])
            ),
        ])
        // Markdown escapes punctuation with backslashes; compare the text it shows.
        for page in [ReportRenderer.html(report), ReportRenderer.markdown(report).filter { $0 != "\\" }] {
            #expect(page.contains("Input rows rejected"))
            #expect(page.contains("exposures: 2 of 1,500 rows rejected (0.133%); 1,498 analysed"))
            #expect(page.contains("e.jsonl:1204: ts: month 13 out of range"))
            #expect(!page.contains("outcomes: 0 of"))
            #expect(page.contains("r.rejects.jsonl"))
        }
    }

    /// The offline table takes every metric's baseline from `offline.baseline.deltas`, not only
    /// the few the summary's key deltas name.
    @Test func offlineBaselineForEveryMetric() {
        func metric(_ name: String, _ v: Double) -> JSONValue { .object([("name", .string(name)), ("value", .number(v))]) }
        let report = JSONValue.object([
            ("mode", .string("offline")),
            ("summary", .object([("executive", .object([("decision", .string("pass")), ("key_deltas", .array([]))]))])),
            (
                "offline",
                .object([
                    ("metrics", .array([metric("precision@10", 0.25), metric("recall@10", 0.5)])),
                    (
                        "baseline",
                        .object([
                            (
                                "deltas",
                                .array([
                                    .object([
                                        ("name", .string("precision@10")), ("delta", .number(-0.05)), ("relative_delta", .number(-1.0 / 6)),
                                        ("before", .number(0.3)), ("after", .number(0.25)),
                                    ])
                                ])
                            )
                        ])
                    ),
                ])
            ),
        ])
        let html = ReportRenderer.html(report)
        #expect(html.contains("-16.7%"))
        #expect(html.contains(">0.3<"))
    }
}
