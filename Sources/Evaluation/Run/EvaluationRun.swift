import ColumnarStorage
import Engine
import Ingest
import Reports

/// `receval run` as a library call: checks that the configuration asks for something the data
/// can answer, opens (or ingests) the dataset, runs the mode, and returns the report with the
/// exit status and the messages a person should see. The CLI only parses flags and writes files.
public struct EvaluationRun {
    /// What to run.
    public struct Request {
        public var eval: EvalConfig
        /// The eval config's file name, for messages ("flags" when built from flags).
        public var configName: String
        /// `--mode`, when given: it must agree with the config's own `mode:`.
        public var modeFlag: String?
        public var dataset: DatasetConfig
        public var baseline: JSONValue?
        public var threads: Int
        /// The report's `created_at` (RFC 3339, UTC).
        public var createdAt: String
        public var binaryVersion: String
        /// Where a temporary dataset is ingested (next to the report, so on the same disk).
        public var scratchDirectory: String
        public var ingest = DatasetLoader.IngestPolicy()
        /// The partitions to scan (`--shard I/N`; `state` only).
        public var shard = PartitionShard.whole
        /// `--memory-limit`: the per-user state of OPE's bootstrap, experiment, aa-check and
        /// interleaving is taken in parts of users when it would exceed half of it (nil:
        /// `UnitParts.budget`). A state (`state`) keeps every user's sums, for `receval merge`
        /// to add across shards: there it bounds nothing.
        public var memoryLimit: Int?

        public init(
            eval: EvalConfig, configName: String, modeFlag: String?, dataset: DatasetConfig, threads: Int, createdAt: String,
            binaryVersion: String, scratchDirectory: String
        ) {
            precondition(threads >= 1, "at least one thread")
            self.eval = eval
            self.configName = configName
            self.modeFlag = modeFlag
            self.dataset = dataset
            self.threads = threads
            self.createdAt = createdAt
            self.binaryVersion = binaryVersion
            self.scratchDirectory = scratchDirectory
        }
    }

    /// What a run produced.
    public struct Result {
        public var report: JSONValue
        /// The decision.v1 artifact (experiment mode with `experiment.decision.enabled`).
        public var decision: JSONValue?
        public var status: ExitStatus
        /// Lines for standard error: what was rejected, warnings, the decision.
        public var messages: [String]
        /// What ingesting JSONL sources read, wrote and rejected (nil for a receval dataset).
        public var ingest: IngestSummary?
    }

    public static let modes = ["offline", "experiment", "aa-check", "ope", "interleaving", "monitor"]

    /// One kind of row read the runtime's way, as every report lists it: where (`table` or
    /// `input` and its name), the kind, how many rows, and the first of them.
    static func runtimeReading(
        _ place: (key: String, name: String), _ r: RuntimeReading, rows: Int, source: String, line: Int, field: String
    )
        -> JSONValue
    {
        .object([
            (place.key, .string(place.name)), ("reading", .string(r.key)), ("rows", .number(Double(rows))),
            ("what", .string(r.description)), ("first_source", .string(source)), ("first_line", .number(Double(line))),
            ("first_field", .string(field)),
        ])
    }
    /// The modes that read assignments.
    static let assignmentModes: Set<String> = ["experiment", "aa-check"]

    /// The section of the eval config each mode reads.
    static func section(of mode: String) -> String { mode == "aa-check" ? "experiment" : mode }

    /// Checks the mode against the config, then runs it. `progress` sees ingest progress and
    /// `observer` the bytes the scans read.
    public static func run(_ request: Request, observer: ScanObserver? = nil, progress: (IngestProgress) -> Void = { _ in }) throws
        -> Result
    {
        precondition(request.shard == .whole, "a shard's run gives a state (EvaluationRun.state), not a report")
        let eval = try checkedConfig(mode: request.modeFlag, eval: request.eval, file: request.configName)
        let dataset = request.dataset
        let runPrefix = eval.mode == "interleaving" ? "interleave" : eval.mode
        func metadata(read: [String: (bytes: Int, sha256: String)] = [:], postgresRows: [String: String] = [:]) throws -> ReportMetadata {
            ReportMetadata(
                runID: ReportMetadata.runID(prefix: runPrefix, createdAt: request.createdAt), createdAt: request.createdAt,
                binaryVersion: request.binaryVersion, gitCommit: "",
                effectiveConfig: DatasetFingerprint.effectiveConfig(mode: eval.mode, dataset: dataset, eval: eval),
                datasetFingerprint: try DatasetFingerprint.compute(
                    mode: eval.mode, dataset: dataset, read: read, postgresRows: postgresRows))
        }

        if eval.mode == "interleaving", let lists = dataset.interleaving {
            let metadata = try metadata()
            let report = try InterleavingEvaluation.run(
                rankerA: lists.rankerA.path, rankerB: lists.rankerB.path, outcomes: lists.outcomes.path, config: eval.interleaving,
                metadata: metadata, threads: request.threads, contract: request.ingest.contract)
            return Result(report: report, decision: nil, status: .success, messages: warnings(report), ingest: nil)
        }
        // JSONL sources are hashed for the fingerprint as ingest reads them, not in a pass of their own.
        let digests = InputDigests()
        // Assignments are read by the modes that analyse arms; the others leave the source alone,
        // as recsys-eval's offline and OPE modes do (SPEC §3.1).
        let readsAssignments = Self.assignmentModes.contains(eval.mode)
        let tables = readsAssignments ? DatasetLoader.allTables : ["exposures", "outcomes"]
        // A file left unread still counts in the fingerprint by its contents: hashed while ingest runs.
        let unread =
            readsAssignments ? [] : [dataset.assignments].compactMap { $0 }.filter { $0.type != "postgres" && $0.type != "receval" }
        let hashing = BackgroundTask { unread.map { s in (s.path, Swift.Result { try DatasetFingerprint.contentHash(s) }) } }
        let loader = try DatasetLoader(
            config: dataset, scratchDirectory: request.scratchDirectory, threads: request.threads, policy: request.ingest,
            observer: observer, inputObserver: digests, tables: tables, progress: progress)
        var read = digests.digests()
        for (path, hash) in hashing.wait() { read[path] = try hash.get() }
        let metadata = try metadata(read: read, postgresRows: loader.postgresRows)
        var messages = loader.ingest.map(ingestMessages) ?? []
        if loader.ingest != nil, let a = dataset.assignments, !readsAssignments {
            let source = a.type == "postgres" ? "a PostgreSQL query" : a.path
            messages.append("ingest: assignments (\(source)) not read: \(eval.mode) does not use them")
        }
        if loader.rows(of: "exposures") == 0 {
            throw RunError.noExposures(source: dataset.exposures?.path ?? "the dataset")
        }
        var report: JSONValue
        var decision: JSONValue? = nil
        var status = ExitStatus.success
        switch eval.mode {
        case "interleaving":
            let outcome = try InterleavingEvaluation.runWithMessages(
                reader: loader.reader, config: eval.interleaving, metadata: metadata, threads: request.threads,
                unitsPerPart: request.memoryLimit.map { InterleavingEvaluation.unitsPerPart(budget: $0 / 2) })
            report = outcome.report
            messages += outcome.messages
        case "ope":
            let outcome = try OPEEvaluation.runWithMessages(
                reader: loader.reader, config: eval.ope, metadata: metadata, threads: request.threads,
                unitsPerPart: request.memoryLimit.map { OPEEvaluation.unitsPerPart(budget: $0 / 2, threads: request.threads) })
            report = outcome.report
            messages += outcome.messages
        case "monitor":
            let outcome = try MonitorEvaluation.run(
                reader: loader.reader, config: eval.monitor, metadata: metadata, threads: request.threads)
            report = outcome.report
            messages += outcome.messages
            if outcome.breaches > 0 { status = .checkFailed }
        case "offline":
            let outcome = try OfflineEvaluation.run(
                reader: loader.reader, config: eval.offline, baseline: request.baseline, metadata: metadata, threads: request.threads)
            report = outcome.report
            if outcome.gatesFailed {
                messages.append("one or more regression gates failed")
                status = eval.experiment.analysis.compat == "recsys-eval" ? .error : .checkFailed
            }
        default:
            if let limit = request.memoryLimit, eval.experiment.analysis.unit == .request {
                // Request units are not taken in parts (a unit per request): a limit their state
                // cannot meet stops the run now, rather than the machine later.
                let units = loader.reader.footer.partitions.reduce(0) { $0 + Int($1.requestDictionary.count) }
                let bytes = units * ExperimentScan.bytesPerUnitAtLeast
                if bytes > limit {
                    throw RunError.unitStateOverLimit(mode: eval.mode, unit: "request", units: units, bytes: bytes, limit: limit)
                }
            }
            // Users are taken in parts within half the limit (the rest: the scan's partitions in flight).
            let outcome = try ExperimentEvaluation.run(
                reader: loader.reader, config: eval.experiment, mode: eval.mode, metadata: metadata, threads: request.threads,
                unitsPerPart: request.memoryLimit.map { ExperimentEvaluation.unitsPerPart(budget: $0 / 2, threads: request.threads) },
                scratchDirectory: request.scratchDirectory)
            report = outcome.report
            decision = outcome.decision
            status = ExitStatus(rawValue: outcome.exitCode) ?? .error
            messages += outcome.messages + decisionMessages(report, mode: eval.mode)
        }
        if let summary = loader.ingest { report = withIngest(report, summary) }
        let unknown = try unknownContextKeys(eval, reader: loader.reader)
        if !unknown.isEmpty { report = withWarnings(report, unknown) }
        return Result(report: report, decision: decision, status: status, messages: messages + warnings(report), ingest: loader.ingest)
    }

    /// The experiment's decision (or the A/A check's verdict) as a line for standard error.
    static func decisionMessages(_ report: JSONValue, mode: String) -> [String] {
        guard case .string(let action)? = report["verdict"]?["action"] else { return [] }
        return ["\(mode == "aa-check" ? "A/A check" : "decision"): \(action)"]
    }

    /// The config with `--mode` applied, after checking that the two agree and that the config
    /// holds the mode's section.
    static func checkedConfig(mode modeFlag: String?, eval config: EvalConfig, file: String) throws -> EvalConfig {
        var eval = config
        if let flag = modeFlag?.lowercased() {
            // An experiment config may be A/A-checked; any other disagreement is a wrong config.
            let declared = eval.declaredMode
            guard declared.isEmpty || declared == flag || (declared == "experiment" && flag == "aa-check") else {
                throw RunError.modeMismatch(flag: flag, config: declared, file: file)
            }
            eval.mode = flag
        }
        guard !eval.mode.isEmpty else { throw ConfigError(file: file, "mode must be set in config or --mode") }
        guard modes.contains(eval.mode) else {
            throw ConfigError(file: file, "unknown mode \(eval.mode) (use \(modes.joined(separator: ", ")))")
        }
        let section = section(of: eval.mode)
        guard eval.sections.contains(section) else { throw RunError.missingSection(mode: eval.mode, section: section, file: file) }
        return eval
    }

    /// Context keys the config names (slice keys, the CUPED covariate) that no exposure holds: each
    /// would give one segment of "missing" values, or no covariate, without an error.
    static func unknownContextKeys(_ eval: EvalConfig, reader: DatasetReader) throws -> [String] {
        unknownContextKeys(eval, present: try contextKeys(reader))
    }

    /// The context keys the dataset's exposures hold.
    static func contextKeys(_ reader: DatasetReader) throws -> [String] {
        let dictionary = try reader.dictionary("context_key")
        return (0..<dictionary.count).map { dictionary.string($0) }
    }

    static func unknownContextKeys(_ eval: EvalConfig, present keys: [String]) -> [String] {
        let named: [(String, [String])]
        switch eval.mode {
        case "offline": named = [("offline.slice_keys", eval.offline.sliceKeys)]
        case "ope": named = [("ope.analysis.slice_keys", eval.ope.analysis.sliceKeys)]
        case "interleaving": named = [("interleaving.analysis.slice_keys", eval.interleaving.analysis.sliceKeys)]
        case "monitor":
            let m = eval.monitor
            var exploration: [String] = []
            if case .contextKey(let k) = m.exploration { exploration = [k] }
            named = [
                ("monitor.group_by", m.groupBy), ("monitor.fairness.key", m.fairnessKey.map { [$0] } ?? []),
                ("monitor.drift.keys", m.driftKeys), ("monitor.exploration.context_key", exploration),
            ]
        default:
            let e = eval.experiment
            named = [
                ("experiment.slice_keys", e.sliceKeys), ("experiment.srm.slice_keys", e.srmSliceKeys),
                ("experiment.cuped.covariate_key", e.covariateKey.isEmpty ? [] : [e.covariateKey]),
            ]
        }
        let present = Set(keys)
        var out: [String] = []
        for (key, values) in named {
            for v in values where !present.contains(v) {
                let shown = present.sorted().prefix(12).joined(separator: ", ")
                out.append(
                    "\(key) names \"\(v)\", which no exposure's context holds (keys in the data: \(shown.isEmpty ? "none" : shown)): its segments all read as missing"
                )
            }
        }
        return out
    }

    /// The report with `more` appended to its top-level `warnings`.
    static func withWarnings(_ report: JSONValue, _ more: [String]) -> JSONValue {
        guard case .object(var top) = report else { return report }
        let added = more.map { JSONValue.string($0) }
        if let i = top.firstIndex(where: { $0.0 == "warnings" }) {
            top[i].1 = .array(top[i].1.arrayItems + added)
        } else {
            top.append(("warnings", .array(added)))
        }
        return .object(top)
    }

    /// The report's warnings, each as a message, worded as on the page (`ReportWarnings`).
    static func warnings(_ report: JSONValue) -> [String] {
        ReportWarnings.readable(report).map { "warning: " + $0 }
    }

    /// One line per table that was read, and the first rejected lines.
    static func ingestMessages(_ s: IngestSummary) -> [String] {
        var out: [String] = []
        for t in TableKind.allCases {
            let c = s.counts(t)
            guard c.read > 0 || c.blank > 0 else { continue }
            var line =
                "ingest: \(t) read \(ReadableNumber.count(c.read)), written \(ReadableNumber.count(c.written)), rejected \(ReadableNumber.count(c.rejected))"
            if c.blank > 0 { line += " (\(ReadableNumber.count(c.blank)) blank lines skipped)" }
            out.append(line)
        }
        for r in s.runtimeReadings { out.append("  kept as recsys-eval's runtime reads it: \(r.text)") }
        for r in s.firstRejects { out.append("  rejected \(r.text)") }
        if let path = s.rejectsPath {
            out.append("  every rejected line and its reason: \(path)")
        } else if s.tables.contains(where: { $0.rejected > 0 }) {
            out.append("  rejected lines were not kept (give --rejects FILE to keep them)")
        }
        return out
    }

    /// The report with `data_quality.ingest`: the contract, rows read, written and rejected per
    /// table, the rows kept that recsys-eval's schemas reject (by how the runtime contract read
    /// them), the first rejected lines with their reasons, and where the rest are.
    static func withIngest(_ report: JSONValue, _ s: IngestSummary) -> JSONValue {
        var tables: [(String, JSONValue)] = []
        for t in TableKind.allCases {
            let c = s.counts(t)
            guard c.read > 0 || c.blank > 0 else { continue }
            tables.append(
                (
                    t.description,
                    .object([
                        ("read", .number(Double(c.read))), ("written", .number(Double(c.written))),
                        ("rejected", .number(Double(c.rejected))), ("blank_lines", .number(Double(c.blank))),
                    ])
                ))
        }
        // The contract is named only when it is not the strict one (as in the dataset's footer), so
        // strict runs keep the section they always had.
        var ingest: [(String, JSONValue)] = []
        if s.contract != .strict { ingest.append(("contract", .string(s.contract.rawValue))) }
        ingest.append(("tables", .object(tables)))
        if s.contract == .recsysEvalRuntime {
            ingest.append(
                (
                    "runtime_readings",
                    .array(
                        s.runtimeReadings.map {
                            runtimeReading(
                                ("table", $0.table.description), $0.reading, rows: $0.rows, source: $0.source, line: $0.line,
                                field: $0.field)
                        })
                ))
        }
        ingest.append(
            (
                "first_rejects",
                .array(
                    s.firstRejects.map {
                        .object([
                            ("table", .string($0.table.description)), ("source", .string($0.source)), ("line", .number(Double($0.line))),
                            ("field", .string($0.field)), ("reason", .string($0.reason)),
                        ])
                    })
            ))
        if let path = s.rejectsPath { ingest.append(("rejects_file", .string(path))) }
        guard case .object(var top) = report else { return report }
        if let i = top.firstIndex(where: { $0.0 == "data_quality" }), case .object(var dq) = top[i].1 {
            dq.append(("ingest", .object(ingest)))
            top[i].1 = .object(dq)
        } else {
            top.append(("data_quality", .object([("ingest", .object(ingest))])))
        }
        return .object(top)
    }
}

extension EvalConfig {
    /// An offline config from plain flags: metrics such as `ndcg@10,precision@10` and slice keys,
    /// with the same checks as a config file.
    public static func offline(metrics: String, sliceKeys: String) throws -> EvalConfig {
        var yaml = "mode: offline\noffline:\n  metrics:\n"
        for m in metrics.split(separator: ",") {
            let parts = m.split(separator: "@")
            let k = parts.count > 1 ? String(parts[1]) : "0"
            yaml += "    - name: \"\(parts[0])\"\n      k: \(Int(k) != nil ? k : "\"\(k)\"")\n"
        }
        let keys = sliceKeys.split(separator: ",").map { "\"\($0)\"" }.joined(separator: ", ")
        yaml += "  slice_keys: [\(keys)]\n"
        return try EvalConfig.parse(yaml, file: "--metrics")
    }
}
