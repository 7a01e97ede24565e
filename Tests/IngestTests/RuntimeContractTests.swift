import ColumnarStorage
import Foundation
import Ingest
import Testing

/// The two ingest contracts on rows recsys-eval's JSON Schemas reject but its runtime (Go's
/// `encoding/json` into its structs, SPEC §1.1, §1.3) reads: strict rejects each with its file,
/// line, field and reason; recsys-eval-runtime keeps each the way the runtime reads it and
/// counts it by kind. Lines the runtime cannot read either are rejected under both.
@Suite struct RuntimeContractTests {
    static let ts = "\"ts\":\"2025-01-01T00:00:00Z\""

    /// Exposure lines, one case each (line numbers as in the file).
    static let exposures = [
        "{\"request_id\":\"r1\",\"user_id\":\"u1\",\(ts),\"items\":[{\"item_id\":\"a\",\"rank\":1}]}",  // 1 valid
        "{\"request_id\":\"\",\"user_id\":\"u2\",\(ts),\"items\":[{\"item_id\":\"a\",\"rank\":1}]}",  // 2 empty request id
        "{\"request_id\":\"r3\",\"user_id\":\"u3\",\"items\":[]}",  // 3 no ts
        "{\"Request_ID\":\"r4\",\"USER_ID\":\"u4\",\(ts),\"debug\":{\"x\":[1]}}",  // 4 names in other cases, unknown member, no items
        "{\"request_id\":\"r5\",\"user_id\":\"u5\",\(ts),\"items\":[{\"rank\":0}],\"latency_ms\":-1}",  // 5 no item_id, rank 0, latency < 0
        "{\"request_id\":\"r6\",\"user_id\":null,\(ts),\"items\":null,\"context\":null,\"error\":null}",  // 6 nulls
        "null",  // 7 a null line
        // 8 a negative propensity
        "{\"request_id\":\"r8\",\"user_id\":\"u8\",\(ts),\"items\":[{\"item_id\":\"a\",\"rank\":1,\"logging_propensity\":0.5,\"target_propensity\":-0.25}]}",
    ]
    static let outcomes = [
        "{\"request_id\":\"r1\",\"user_id\":\"u1\",\"item_id\":\"a\",\"event_type\":\"Click\",\(ts)}",  // 1
        "{\"request_id\":\"r1\",\"user_id\":\"u1\",\"item_id\":\"a\",\"event_type\":\"CONVERSION\",\"value\":3,\(ts)}",  // 2
        "{\"request_id\":\"r1\",\"user_id\":\"u1\",\"item_id\":\"a\",\"event_type\":\"purchase\",\(ts)}",  // 3 unknown type
        "{\"request_id\":\"r1\",\"user_id\":\"u1\",\"item_id\":\"a\",\(ts)}",  // 4 no event type
        "{\"request_id\":\"r1\",\"user_id\":\"u1\",\"item_id\":\"\",\"event_type\":\"click\",\(ts)}",  // 5 empty item id
    ]
    static let assignments = [
        "{\"experiment_id\":\"e\",\"variant\":\"\",\"request_id\":\"r1\",\"user_id\":\"u1\",\(ts)}",  // 1 empty variant
        "{\"experiment_id\":\"e\",\"request_id\":\"r2\",\"user_id\":\"u2\",\(ts)}",  // 2 no variant
        "{\"experiment_id\":\"\",\"variant\":\"A\",\"request_id\":\"r3\",\"user_id\":\"u3\",\(ts)}",  // 3 empty experiment id
    ]

    static func ingest(_ contract: IngestContract) throws -> (summary: IngestSummary, dir: String) {
        let dir = Support.tempDir()
        Support.write(exposures, to: dir + "/e.jsonl")
        Support.write(outcomes, to: dir + "/o.jsonl")
        Support.write(assignments, to: dir + "/a.jsonl")
        var o = IngestOptions(output: dir + "/d.rcv", threads: 2)
        o.exposures = [dir + "/e.jsonl"]
        o.outcomes = [dir + "/o.jsonl"]
        o.assignments = [dir + "/a.jsonl"]
        o.maxRejectRate = 1
        o.contract = contract
        return (try IngestJob(options: o).run(), dir)
    }

    /// Each rejects-file record as `file:line field: reason`.
    static func rejects(_ path: String) throws -> [String] {
        try Support.read(path).split(separator: "\n").map { line in
            let r = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let file = URL(fileURLWithPath: r["source"] as! String).lastPathComponent
            return "\(file):\(r["line"] as! Int) \(r["field"] as! String): \(r["reason"] as! String)"
        }
    }

    @Test func strictRejectsEachWithFileLineAndField() throws {
        let (s, dir) = try Self.ingest(.strict)
        #expect(s.counts(.exposures).written == 1 && s.counts(.exposures).rejected == 7)
        #expect(s.counts(.outcomes).written == 0 && s.counts(.outcomes).rejected == 5)
        #expect(s.counts(.assignments).written == 0 && s.counts(.assignments).rejected == 3)
        #expect(s.runtimeReadings.isEmpty)
        let got = try Self.rejects(dir + "/d.rcv.rejects.jsonl")
        let want = [
            "e.jsonl:2 request_id: must be a non-empty string",
            "e.jsonl:3 ts: missing required field",
            "e.jsonl:4 Request_ID: unknown field (exposure.v1 allows request_id, user_id, ts, items, context, latency_ms, error)",
            "e.jsonl:5 items[0].rank: must be an integer >= 1, got 0",
            "e.jsonl:6 user_id: must be a string, got null",
            "e.jsonl:7 : invalid JSON: expected a JSON object, found 'n' at column 1",
            "e.jsonl:8 items[0].target_propensity: must be >= 0, got -0.25",
            "o.jsonl:1 event_type: must be \"click\" or \"conversion\", got \"Click\"",
            "o.jsonl:2 event_type: must be \"click\" or \"conversion\", got \"CONVERSION\"",
            "o.jsonl:3 event_type: must be \"click\" or \"conversion\", got \"purchase\"",
            "o.jsonl:4 event_type: missing required field",
            "o.jsonl:5 item_id: must be a non-empty string",
            "a.jsonl:1 variant: must be a non-empty string",
            "a.jsonl:2 variant: missing required field",
            "a.jsonl:3 experiment_id: must be a non-empty string",
        ]
        #expect(got == want)
        #expect(try DatasetReader(path: dir + "/d.rcv").footer.metadataValue("ingest.contract") == nil)
        #expect(try DatasetReader(path: dir + "/d.rcv").footer.metadataValue("ingest.empty_request_ids") == nil)
    }

    @Test func runtimeContractKeepsEachAsTheRuntimeReadsIt() throws {
        let (s, dir) = try Self.ingest(.recsysEvalRuntime)
        for t in TableKind.allCases { #expect(s.counts(t).rejected == 0 && s.counts(t).written == s.counts(t).read, "\(t)") }
        #expect(!FileManager.default.fileExists(atPath: dir + "/d.rcv.rejects.jsonl"))
        // Rows per kind, and the first of each (file:line field).
        let got = s.runtimeReadings.map {
            "\($0.table) \($0.reading.key) \($0.rows) \(URL(fileURLWithPath: $0.source).lastPathComponent):\($0.line) \($0.field)"
        }
        let want = [
            "exposures empty_string 4 e.jsonl:2 request_id",  // lines 2, 5 (item id), 6 (user id), 7
            "exposures missing_ts 2 e.jsonl:3 ts",  // lines 3, 7
            "exposures missing_items 3 e.jsonl:4 items",  // lines 4, 6, 7
            "exposures rank_below_one 1 e.jsonl:5 items[0].rank",
            "exposures negative_latency 1 e.jsonl:5 latency_ms",
            "exposures member_name_case 1 e.jsonl:4 Request_ID",
            "exposures unknown_member 1 e.jsonl:4 debug",
            "exposures null_member 1 e.jsonl:6 user_id",
            "exposures null_record 1 e.jsonl:7 ",
            "exposures negative_propensity 1 e.jsonl:8 items[0].target_propensity",
            "outcomes empty_string 1 o.jsonl:5 item_id",
            "outcomes event_type_case 2 o.jsonl:1 event_type",
            "outcomes other_event_type 2 o.jsonl:3 event_type",
            "assignments empty_string 3 a.jsonl:1 variant",
        ]
        #expect(got == want)
        #expect(try DatasetReader(path: dir + "/d.rcv").footer.metadataValue("ingest.contract") == "recsys-eval-runtime")
        // Line 2 has an empty request id: the footer says so (format-spec §12).
        #expect(try DatasetReader(path: dir + "/d.rcv").footer.metadataValue("ingest.empty_request_ids") == "some")
        // The rows as stored: the JSON values Go's decoder would have filled its structs with.
        let ex = Support.records(try Support.export(dir + "/d.rcv", table: "exposures"))
        let exWant = Support.records(
            [
                "{\"request_id\":\"r1\",\"user_id\":\"u1\",\(Self.ts),\"items\":[{\"item_id\":\"a\",\"rank\":1}]}",
                "{\"request_id\":\"\",\"user_id\":\"u2\",\(Self.ts),\"items\":[{\"item_id\":\"a\",\"rank\":1}]}",
                "{\"request_id\":\"r3\",\"user_id\":\"u3\",\"ts\":\"0001-01-01T00:00:00Z\",\"items\":[]}",
                "{\"request_id\":\"r4\",\"user_id\":\"u4\",\(Self.ts),\"items\":[]}",
                "{\"request_id\":\"r5\",\"user_id\":\"u5\",\(Self.ts),\"items\":[{\"item_id\":\"\",\"rank\":0}],\"latency_ms\":-1}",
                "{\"request_id\":\"r6\",\"user_id\":\"\",\(Self.ts),\"items\":[]}",
                "{\"request_id\":\"\",\"user_id\":\"\",\"ts\":\"0001-01-01T00:00:00Z\",\"items\":[]}",
                "{\"request_id\":\"r8\",\"user_id\":\"u8\",\(Self.ts),\"items\":[{\"item_id\":\"a\",\"rank\":1,\"logging_propensity\":0.5,\"target_propensity\":-0.25}]}",
            ].joined(separator: "\n"))
        #expect(ex == exWant)
        let oc = try Support.export(dir + "/d.rcv", table: "outcomes")
        for e in ["\"Click\"", "\"CONVERSION\"", "\"purchase\"", "\"event_type\":\"\""] { #expect(oc.contains(e), "\(e)") }
        let asg = try Support.export(dir + "/d.rcv", table: "assignments")
        #expect(asg.components(separatedBy: "\"variant\":\"\"").count - 1 == 2)
        #expect(asg.contains("\"experiment_id\":\"\""))
    }

    /// What recsys-eval's runtime cannot read aborts its run; under the runtime contract such a
    /// line is still rejected, with its reason.
    @Test(arguments: [
        ("{\"request_id\":\"r\",\"user_id\":\"u\",\"ts\":\"yesterday\",\"items\":[]}", "ts"),
        ("{\"request_id\":\"r\",\"user_id\":\"u\",\"ts\":\"\",\"items\":[]}", "ts"),
        ("{\"request_id\":\"r\",\"items\":[{\"item_id\":\"a\",\"rank\":1.5}]}", "items[0].rank"),
        // Go's int rank cannot be read from a fraction or an exponent, even a whole one (SPEC 1.1).
        ("{\"request_id\":\"r\",\"items\":[{\"item_id\":\"a\",\"rank\":1.0}]}", "items[0].rank"),
        ("{\"request_id\":\"r\",\"items\":[{\"item_id\":\"a\",\"rank\":1e0}]}", "items[0].rank"),
        ("{\"request_id\":\"r\",\"context\":{\"tenant\":1}}", "context.tenant"),
        ("{\"request_id\":5}", "request_id"),
        ("{\"request_id\":\"r\",\"error\":\"yes\"}", "error"),
        ("{\"request_id\":\"r\",\"items\":[{\"item_id\":\"a\",\"rank\":1,\"target_propensity\":\"0.5\"}]}", "items[0].target_propensity"),
        ("{\"request_id\":\"r\",\"items\":{}}", "items"),
        ("{\"request_id\":", "request_id"),
        ("[1,2]", ""),
        ("\"r1\"", ""),
        ("{\"request_id\":\"r\"} {}", ""),
    ])
    func linesTheRuntimeCannotReadAreRejected(line: String, field: String) throws {
        let dir = Support.tempDir()
        Support.write([line], to: dir + "/e.jsonl")
        var findings: [(Int, RowError)] = []
        let summary = try LineValidator(table: .exposures, contract: .recsysEvalRuntime).validate(path: dir + "/e.jsonl") {
            findings.append(($0.line, $0.error))
        }
        #expect(summary.invalid == 1 && summary.valid == 0)
        #expect(findings.first?.0 == 1)
        #expect(findings.first?.1.field == field, "\(findings.first?.1.reason ?? "")")
    }

    /// A second `context` member: Go's decoder fills the map the first one made (keys merge, the
    /// later value wins); under the schemas, as JSON parsers read duplicate members, it replaces
    /// the first. The same for assignments.
    @Test(arguments: [IngestContract.recsysEvalRuntime, .strict])
    func duplicateContextsMergeAsGoDoes(contract: IngestContract) throws {
        let dir = Support.tempDir()
        let contexts = "\"context\":{\"a\":\"1\",\"b\":\"2\"},\"context\":{\"b\":\"3\",\"c\":\"4\"}"
        Support.write(["{\"request_id\":\"r1\",\"user_id\":\"u1\",\(Self.ts),\"items\":[],\(contexts)}"], to: dir + "/e.jsonl")
        Support.write(
            ["{\"experiment_id\":\"e\",\"variant\":\"A\",\"request_id\":\"r1\",\"user_id\":\"u1\",\(Self.ts),\(contexts)}"],
            to: dir + "/a.jsonl")
        var o = IngestOptions(output: dir + "/d.rcv", threads: 1)
        o.exposures = [dir + "/e.jsonl"]
        o.assignments = [dir + "/a.jsonl"]
        o.contract = contract
        _ = try IngestJob(options: o).run()
        #expect(
            try DatasetReader(path: dir + "/d.rcv").footer.metadataValue("ingest.empty_request_ids") == (contract == .strict ? nil : "none")
        )
        let want = contract == .strict ? ["b": "3", "c": "4"] : ["a": "1", "b": "3", "c": "4"]
        for table in ["exposures", "assignments"] {
            let line = try Support.export(dir + "/d.rcv", table: table)
            let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            #expect(record["context"] as? [String: String] == want, "\(table)")
        }
    }

    /// Go matches member names with strings.EqualFold: U+212A KELVIN SIGN folds to k and U+017F
    /// LONG S to s; U+0130 (İ) does not fold to i.
    @Test func memberNamesFoldAsGoDoes() throws {
        let dir = Support.tempDir()
        Support.write(
            [
                "{\"REQUEST_id\":\"r1\",\"u\\u017Fer_id\":\"u1\",\(Self.ts),\"items\":[{\"ITEM_ID\":\"a\",\"ran\\u212A\":2,\"Logging_Propensity\":0.5}]}",
                "{\"request_id\":\"r2\",\"user_id\":\"u2\",\(Self.ts),\"\\u0130tems\":[{\"item_id\":\"a\",\"rank\":1}]}",
            ], to: dir + "/e.jsonl")
        var o = IngestOptions(output: dir + "/d.rcv", threads: 1)
        o.exposures = [dir + "/e.jsonl"]
        o.contract = .recsysEvalRuntime
        let s = try IngestJob(options: o).run()
        #expect(s.counts(.exposures).written == 2)
        let ex = Support.records(try Support.export(dir + "/d.rcv", table: "exposures"))
        let want = Support.records(
            [
                "{\"request_id\":\"r1\",\"user_id\":\"u1\",\(Self.ts),\"items\":[{\"item_id\":\"a\",\"rank\":2,\"logging_propensity\":0.5}]}",
                "{\"request_id\":\"r2\",\"user_id\":\"u2\",\(Self.ts),\"items\":[]}",
            ].joined(separator: "\n"))
        #expect(ex == want)
        let kinds = s.runtimeReadings.map { "\($0.reading.key) \($0.rows) \($0.line) \($0.field)" }
        #expect(kinds == ["missing_items 1 2 items", "member_name_case 1 1 REQUEST_id", "unknown_member 1 2 \u{130}tems"])
    }

    /// A null member after a duplicate that set it: Go empties a pointer, slice or map, and
    /// leaves a string as it was; the last of duplicate members wins, in any letter case.
    @Test func duplicatesAndNullsAsGoDecodes() throws {
        let dir = Support.tempDir()
        Support.write(
            [
                "{\"request_id\":\"r1\",\"Request_Id\":\"r2\",\"user_id\":\"u1\",\"user_id\":null,\(Self.ts),\"latency_ms\":5,\"latency_ms\":null,"
                    + "\"items\":[{\"item_id\":\"a\",\"rank\":1}],\"items\":null,\"context\":{\"k\":null}}"
            ], to: dir + "/e.jsonl")
        var o = IngestOptions(output: dir + "/d.rcv", threads: 1)
        o.exposures = [dir + "/e.jsonl"]
        o.contract = .recsysEvalRuntime
        _ = try IngestJob(options: o).run()
        let ex = Support.records(try Support.export(dir + "/d.rcv", table: "exposures"))
        #expect(
            ex == Support.records("{\"request_id\":\"r2\",\"user_id\":\"u1\",\(Self.ts),\"items\":[],\"context\":{\"k\":\"\"}}"))
    }

    /// `receval validate` under either contract: the same file is invalid on five lines against
    /// outcome.v1 and valid as recsys-eval's runtime reads it.
    @Test func validateUnderEitherContract() throws {
        let dir = Support.tempDir()
        Support.write(Self.outcomes, to: dir + "/o.jsonl")
        let strict = try LineValidator(table: .outcomes).validate(path: dir + "/o.jsonl") { _ in }
        #expect(strict.invalid == 5)
        let runtime = try LineValidator(table: .outcomes, contract: .recsysEvalRuntime).validate(path: dir + "/o.jsonl") { _ in }
        #expect(runtime.invalid == 0 && runtime.valid == 5)
    }
}
