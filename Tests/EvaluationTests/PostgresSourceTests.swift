import ColumnarStorage
import Evaluation
import Foundation
import Ingest
import Reports
import Testing

/// recsys-eval's `type: postgres` sources on a real server (tools/test.sh starts one and sets
/// RECEVAL_TEST_PG_DSN, a DSN with a password): the same report as over the JSONL files the rows
/// came from, and the password nowhere (report, effective_config, messages, errors).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["RECEVAL_TEST_PG_DSN"] != nil), .serialized)
struct PostgresSourceTests {
    static var dsn: String { ProcessInfo.processInfo.environment["RECEVAL_TEST_PG_DSN"] ?? "" }

    /// Loads the experiment fixture's three files into tables: exposures as jsonb, outcomes as
    /// json written over several lines, assignments as text.
    static func load(_ c: PostgresConnection) throws {
        let dir = UnitAnalysisTests.dir
        for (table, type) in [("exposures", "jsonb"), ("outcomes", "json"), ("assignments", "text")] {
            try c.execute("DROP TABLE IF EXISTS recsys_\(table)")
            try c.execute("CREATE TABLE recsys_\(table) (id serial PRIMARY KEY, data \(type))")
            let text = try String(contentsOfFile: dir + "/\(table).jsonl", encoding: .utf8)
            try c.execute("BEGIN")
            for line in text.split(separator: "\n") {
                let value = table == "outcomes" ? line.replacingOccurrences(of: "{\"", with: "{\n  \"") : String(line)
                try c.execute("INSERT INTO recsys_\(table) (data) VALUES ($1)", [value])
            }
            try c.execute("COMMIT")
        }
    }

    static let experiment = """
        mode: experiment
        experiment:
          experiment_id: exp_units
          control_variant: control
          slice_keys: [device]
          analysis: {bootstrap: {enabled: true, iterations: 50, seed: 3}}
        """

    static func run(_ dataset: DatasetConfig) throws -> EvaluationRun.Result {
        var r = EvaluationRun.Request(
            eval: try EvalConfig.parse(experiment, file: "e.yaml"), configName: "e.yaml", modeFlag: nil, dataset: dataset, threads: 2,
            createdAt: "2025-01-01T00:00:00Z", binaryVersion: "test", scratchDirectory: NSTemporaryDirectory())
        r.ingest = .init(maxRejectRate: 0.05, rejectsPath: nil, contract: .recsysEvalRuntime)
        return try EvaluationRun.run(r)
    }

    @Test func reportEqualsTheJSONLOneAndShowsNoPassword() throws {
        let c = try PostgresConnection(dsn: Self.dsn)
        try Self.load(c)
        func source(_ t: String) -> DatasetConfig.Source { .init(postgres: Self.dsn, query: "SELECT data FROM recsys_\(t) ORDER BY id") }
        let pg = try Self.run(
            DatasetConfig(exposures: source("exposures"), outcomes: source("outcomes"), assignments: source("assignments")))
        let dir = UnitAnalysisTests.dir
        let jsonl = try Self.run(
            DatasetConfig(
                exposures: .init(type: "jsonl", path: dir + "/exposures.jsonl"),
                outcomes: .init(type: "jsonl", path: dir + "/outcomes.jsonl"),
                assignments: .init(type: "jsonl", path: dir + "/assignments.jsonl")))
        guard case .object(let a) = pg.report, case .object(let b) = jsonl.report else { return #expect(Bool(false)) }
        #expect(a.count == b.count)
        #expect(zip(a, b).filter { $0.0 != $1.0 || $0.1 != $1.1 }.map(\.0.0) == ["effective_config", "input_dataset_fingerprint"])
        let password = try #require(PostgresConnectionTestSupport.password(in: Self.dsn))
        #expect(!pg.report.serialized().contains(password))
        #expect(!(pg.messages.joined(separator: "\n")).contains(password))
        #expect(pg.report["effective_config"]?["dataset"]?["exposures"]?["dsn"].map { $0.serialized().contains("***") } == true)
    }

    @Test func errorsShowNoPassword() throws {
        let password = try #require(PostgresConnectionTestSupport.password(in: Self.dsn))
        let wrong = Self.dsn.replacingOccurrences(of: password, with: password + "x")
        do {
            _ = try PostgresConnection(dsn: wrong)
            Issue.record("a wrong password connected")
        } catch {
            #expect(!"\(error)".contains(password))
            #expect("\(error)".contains("***"))
        }
        let c = try PostgresConnection(dsn: Self.dsn)
        do {
            try c.stream("SELECT data FROM no_such_table") { _ in }
            Issue.record("a failing query streamed")
        } catch {
            #expect("\(error)".contains("no_such_table") && !"\(error)".contains(password))
        }
    }

    /// Rows to lines: NULL is `null` (ingest rejects it, naming the row as its line), a document
    /// written over several lines is one line.
    @Test func rowsBecomeLines() throws {
        let file = NSTemporaryDirectory() + "receval-pg-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try PostgresRows.fetch(
            dsn: Self.dsn,
            query: "SELECT NULL::text UNION ALL SELECT E'{\"a\":\\n 1}'::json::text UNION ALL SELECT '{\"b\":2}'::json::text",
            to: file)
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 4 && lines[0] == "null" && lines[3] == "")
        #expect(!lines[1].contains("\n"))
    }

    @Test func duckdbSourcesSayHowToExport() {
        do {
            _ = try DatasetConfig.parse("exposures: {type: duckdb, dsn: x.db, query: 'select 1'}\n", file: "d.yaml", directory: "/")
            Issue.record("a duckdb source was accepted")
        } catch {
            #expect("\(error)".contains("COPY"))
        }
    }
}

/// The password of a DSN, as the tests look for it (the library's own finder is internal).
enum PostgresConnectionTestSupport {
    static func password(in dsn: String) -> String? {
        if let r = dsn.range(of: "://"), let at = dsn.range(of: "@", range: r.upperBound..<dsn.endIndex) {
            let userInfo = dsn[r.upperBound..<at.lowerBound]
            if let colon = userInfo.firstIndex(of: ":") { return String(userInfo[userInfo.index(after: colon)...]) }
        }
        if let r = dsn.range(of: "password=") { return String(dsn[r.upperBound...].prefix { $0 != " " && $0 != "&" }) }
        return nil
    }
}
