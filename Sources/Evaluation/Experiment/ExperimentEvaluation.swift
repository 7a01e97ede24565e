import ColumnarFormat
import ColumnarStorage
import Engine
import Reports
import Statistics

/// `--mode experiment` and `--mode aa-check`: report.v1 with recsys-eval's experiment keys and
/// definitions (SPEC §7, §8), receval's analysis at the randomisation unit in the new key
/// `experiment_units`, and a decision.
public struct ExperimentEvaluation {
    public struct Outcome: Sendable {
        public var report: JSONValue
        /// The decision.v1 artifact, when `experiment.decision.enabled`.
        public var decision: JSONValue?
        /// recsys-eval's exit codes: 0 ship, 2 hold (and receval's inconclusive), 3 fail or rollback; 4 a
        /// failed A/A check (receval's analysis only).
        public var exitCode: Int32
        /// Lines for standard error (how a run took its users, when in parts).
        public var messages: [String] = []
    }

    /// The report of one run. When more users than `unitsPerPart` (by default, as many as
    /// `UnitParts.budget` holds) were assigned, their per-unit state is taken in parts: ranges
    /// of user codes, each scanned once (`ExperimentScan.Options.units`; after the first, for
    /// its units alone), so memory holds one range's users at a time and the report is the same
    /// bytes. The parts wait for the unit analysis's later sweeps in an anonymous scratch file
    /// in `scratchDirectory` (by default `$TMPDIR`, else `/tmp`).
    public static func run(
        reader: DatasetReader, config eval: ExperimentConfig, mode: String, metadata: ReportMetadata, threads: Int,
        unitsPerPart: Int? = nil, scratchDirectory: String? = nil
    ) throws -> Outcome {
        let ids = try experimentIDs(reader)
        // A wrong experiment id stops the run before the scan.
        _ = try experimentWarnings(eval, present: ids)
        let options = try options(eval, mode: mode, runtimeContract: EmptyStrings.isRuntimeContract(reader))
        let users = options.requestUnits ? 0 : try UnitParts.users(reader)
        let ranges = UnitParts.ranges(users: users, perPart: unitsPerPart ?? self.unitsPerPart(budget: UnitParts.budget, threads: threads))
        guard ranges.count > 1 else {
            let state = try ExperimentScan.state(reader: reader, options: options, threads: threads)
            return try finish(consume state, experimentIDs: ids, config: eval, mode: mode, metadata: metadata, threads: threads)
        }
        // Each part is scanned once, in the first sweep; its per-unit state goes to a scratch
        // file that the later sweeps read back (opened first: a directory it cannot be made in
        // stops the run before any scan).
        let file = try SpillFile(directory: scratchDirectory ?? UnitParts.scratchDirectory)
        var first = options
        first.units = ranges[0]
        var head: ExperimentScan? = try ExperimentScan.run(reader: reader, options: first, threads: threads)
        let scan = head!.withoutUnits()
        let spill = PartSpill(first: head.take()!, file: file)
        let parts = UnitAnalysis.Parts(count: ranges.count) { sweep, k in
            if sweep > 0 { return try spill.read(k, into: scan) }
            var part: ExperimentScan
            if k == 0, let held = spill.takeFirst() {
                part = held
            } else {
                var o = options
                o.units = ranges[k]
                o.unitsOnly = true
                part = try ExperimentScan.run(reader: reader, options: o, threads: threads)
            }
            try spill.write(part)
            return part
        }
        var outcome = try report(
            scan: scan, parts: parts, warnings: try experimentWarnings(eval, present: ids), config: eval, mode: mode, metadata: metadata,
            threads: threads)
        outcome.messages.append(
            "\(mode): the per-unit sums of \(ReadableNumber.count(users)) users were taken in \(ranges.count) parts of at most \(ReadableNumber.count(ranges[0].count)) to fit the memory budget (each part scanned once and kept in a \(ReadableNumber.count(Int(spill.file.size) >> 20)) MiB scratch file for the analysis's later sweeps)"
        )
        return outcome
    }

    /// Users per part for a budget of `budget` bytes: about 220 bytes of scan state per user
    /// (docs/scale.md, with 41 segments), the scopes' finished rows (112 at least), the part's
    /// bytes for the scratch file and their decoded copy (about 96), and the arms of the scopes
    /// being swept on each thread (19 values and a code per unit: 160).
    public static func unitsPerPart(budget: Int, threads: Int) -> Int {
        precondition(budget > 0 && threads > 0, "a budget and a thread")
        return max(1 << 16, budget / (ExperimentScan.bytesPerUnitAtLeast + 220 + 96 + 160 * threads))
    }

    /// A run's parts on their way through the sweeps: the first part's scan, handed to the
    /// first sweep once and then released, and every part's per-unit state in a scratch file
    /// (`ExperimentScan.encodeUnits`), where `extents[k]` says where part k's bytes are.
    private final class PartSpill {
        private var first: ExperimentScan?
        let file: SpillFile
        private var extents: [(offset: UInt64, count: Int)] = []

        init(first: ExperimentScan, file: SpillFile) {
            self.first = first
            self.file = file
        }

        func takeFirst() -> ExperimentScan? { first.take() }

        /// Appends the part's per-unit state (parts come in order), a scope at a time, so the
        /// bytes in memory are one scope's.
        func write(_ part: ExperimentScan) throws {
            let offset = file.size
            try part.encodeUnits { e in try e.bytes.withUnsafeBytes { try file.append($0) } }
            extents.append((offset, Int(file.size - offset)))
        }

        /// `scan` with part k's per-unit state.
        func read(_ k: Int, into scan: ExperimentScan) throws -> ExperimentScan {
            precondition(k < extents.count, "a part is written in the first sweep before it is read")
            var d = StateDecoder(
                try file.read(offset: extents[k].offset, count: extents[k].count), context: "the scratch file of part \(k)")
            return try scan.withUnits(from: &d)
        }
    }

    /// The experiment ids the dataset's assignments hold.
    static func experimentIDs(_ reader: DatasetReader) throws -> [String] {
        let ids = try reader.dictionary("experiment_id")
        return (0..<ids.count).map { ids.string($0) }
    }

    /// The scan's options from the config, checked.
    static func options(_ eval: ExperimentConfig, mode: String, runtimeContract: Bool) throws -> ExperimentScan.Options {
        if mode == "aa-check" && !eval.aaCheckEnabled {
            throw ConfigError(file: "eval config", "aa-check mode requires experiment.aa_check.enabled: true")
        }
        var prePeriod: TimeWindow? = nil
        if let w = eval.prePeriod {
            guard let t = TimeWindow(start: w.start, end: w.end) else {
                throw ConfigError(file: "eval config", "experiment.cuped.pre_period must be two RFC 3339 times with start before end")
            }
            prePeriod = t
            prePeriod?.excludesGoZeroTime = runtimeContract
        }
        if eval.analysis.unit == .request && prePeriod != nil {
            throw ConfigError(
                file: "eval config", "experiment.cuped.pre_period needs user units (a request has no pre-period); use covariate_key")
        }
        var options = ExperimentScan.Options(
            experiment: eval.experimentID, sliceKeys: eval.sliceKeys, srmSliceKeys: eval.srmSliceKeys,
            covariateKey: eval.covariateKey.isEmpty ? nil : eval.covariateKey, prePeriod: prePeriod)
        options.requestUnits = eval.analysis.unit == .request
        return options
    }

    /// The experiment id must name assignments the data holds (`present`), or the run analyses
    /// nothing (or everything): an error, or under `--compat recsys-eval` a warning.
    static func experimentWarnings(_ eval: ExperimentConfig, present idNames: [String]) throws -> [String] {
        if !eval.experimentID.isEmpty {
            // The scan's own matching rule (case-insensitive), so the check and the scan agree.
            let key = eval.experimentID.lowercased()
            if !idNames.contains(where: { $0.lowercased() == key }) {
                throw RunError.experimentAbsent(configured: eval.experimentID, present: idNames)
            }
        } else if idNames.count > 1 {
            if eval.analysis.compat != "recsys-eval" { throw RunError.experimentUnset(present: idNames) }
            return [
                "experiment.experiment_id is not set: the assignments of \(idNames.count) experiments (\(idNames.joined(separator: ", "))) are pooled, as recsys-eval does"
            ]
        }
        return []
    }

    /// The folded state of the partitions `reader` scans (every one, or a shard's).
    public static func state(reader: DatasetReader, config eval: ExperimentConfig, mode: String, threads: Int) throws -> ExperimentState {
        let options = try options(eval, mode: mode, runtimeContract: EmptyStrings.isRuntimeContract(reader))
        return try ExperimentScan.state(reader: reader, options: options, threads: threads)
    }

    /// The report from a state: one run's, or states merged (`experimentIDs`: the experiment
    /// ids the assignments of every dataset hold).
    public static func finish(
        _ state: consuming ExperimentState, experimentIDs: [String], config eval: ExperimentConfig, mode: String, metadata: ReportMetadata,
        threads: Int
    ) throws -> Outcome {
        // The runtime contract only moves the pre-period's window, which the scan has applied.
        let options = try options(eval, mode: mode, runtimeContract: false)
        let warnings = try experimentWarnings(eval, present: experimentIDs)
        try state.check(options: options)
        let scan = (consume state).finish(options: options)
        return try report(
            scan: scan, parts: .whole(scan), warnings: warnings, config: eval, mode: mode, metadata: metadata, threads: threads)
    }

    /// The report from the scan's groups and the per-unit sums of `parts`.
    static func report(
        scan: ExperimentScan, parts: UnitAnalysis.Parts, warnings: [String], config eval: ExperimentConfig, mode: String,
        metadata: ReportMetadata, threads: Int
    ) throws -> Outcome {
        let aa = mode == "aa-check"
        let compatMode = eval.analysis.compat == "recsys-eval"
        var warnings = warnings
        var compat = RecsysEvalExperiment(scan: scan, config: eval)
        if compat.controlChoice == .fallback {
            // recsys-eval would silently measure every lift against another variant.
            guard compatMode else {
                throw RunError.controlVariantAbsent(configured: eval.controlVariant, present: compat.presentByExposures)
            }
            warnings.append(Verdict.control(compat).note)
        }
        let (section, tests) = compat.section()
        let units = try UnitAnalysis(scan: scan, parts: parts, config: eval, control: compat.control, threads: threads)
        let srm = units.srm()

        var top = metadata.header(mode: mode)
        top.append(("summary", summary(scan: scan, compat: compat, aa: aa)))
        let decision: Decision
        var aaFailed = false
        if aa {
            let (a, uniform) = compat.aaCheck(tests)
            top.append(("aa_check", a))
            if !uniform { warnings.append("aa_check_false_positives") }
            let unitSummary = aaUnits(units, thresholds: eval.aaThresholds)
            top.append(("aa_check_units", unitSummary))
            decision = Decision(action: "ship", reasons: [])
            let verdict = aaVerdict(unitSummary, srm: srm, units: units, compat: compat)
            top.insert(("verdict", verdict.json), at: verdictIndex(top))
            // A failed A/A check is a failed check on good input (exit 4); recsys-eval exits 0.
            if verdict.action == "fail" && !compatMode { aaFailed = true }
        } else {
            top.append(("experiment", section))
            decision =
                eval.analysis.compat == "recsys-eval"
                ? Decision.recsysEval(scan: scan, compat: compat, config: eval)
                : Decision.unitLevel(units: units, srm: srm, compat: compat, config: eval)
            top.insert(
                ("verdict", Verdict.experiment(decision: decision, compat: compat, units: units, unitSRM: srm, config: eval).json),
                at: verdictIndex(top))
        }
        let power = eval.power.map { $0.power > 0 && $0.power < 1 ? $0.power : 0.8 } ?? 0.8
        top.append(("experiment_units", unitSection(units, srm: srm, power: power, decision: aa ? nil : decision)))
        top.append(("data_quality", DataQualitySection.json(scan.counts, assignmentRows: scan.assignmentRowsTotal)))
        if compat.undefinedTests > 0 {
            warnings.append(
                "\(compat.undefinedTests) request-level z-tests are undefined (a pooled rate above 1: several events per request) and show p_value 1; see experiment_units for the unit-level tests"
            )
        }
        if !warnings.isEmpty { top.append(("warnings", .array(warnings.map { .string($0) }))) }
        var artifact: JSONValue? = nil
        var exit: Int32 = 0
        if !aa && eval.decisionEnabled {
            artifact = decision.artifact(scan: scan, compat: compat, units: units, config: eval, metadata: metadata)
            exit = decision.exitCode
        }
        if aaFailed { exit = ExitStatus.checkFailed.rawValue }
        return Outcome(report: .object(top), decision: artifact, exitCode: exit)
    }

    /// The verdict goes right after the run's header fields, before every section.
    static func verdictIndex(_ top: [(String, JSONValue)]) -> Int {
        top.firstIndex { $0.0 == "summary" } ?? top.count
    }

    /// An A/A check passes when the unit-level p-values look uniform and units are not mismatched.
    static func aaVerdict(_ summary: JSONValue, srm: UnitAnalysis.SRM, units: UnitAnalysis, compat: RecsysEvalExperiment) -> Verdict {
        let uniform = summary["uniformish"] == .bool(true)
        var reasons: [String] = []
        if let total = summary["total_tests"]?.numberValue, case .object(let counts)? = summary["counts"] {
            for (threshold, n) in counts {
                let expected = (Double(threshold) ?? 0) * total
                reasons.append(
                    "\(ReadableNumber.count(Int(n.numberValue ?? 0))) of \(ReadableNumber.count(Int(total))) unit-level tests have p < \(threshold) (about \(ReadableNumber.value(expected)) expected by chance)"
                )
            }
        }
        if srm.detected { reasons.insert("sample ratio mismatch on units: p \(ReadableNumber.pClause(srm.global.pValue))", at: 0) }
        return Verdict(
            action: uniform && !srm.detected ? "pass" : "fail",
            decidedBy:
                "the A/A check at the randomisation unit (aa_check_units): p-values of identical arms should be uniform, so about 5% fall below 0.05; far more suggests a broken split or analysis",
            reasons: reasons, control: Verdict.control(compat),
            srm: ("unit-level", srm.detected, "experiment_units.srm compares units per variant and is part of this check"),
            notes: ["summary.executive.decision is recsys-eval's status of offline regression gates and reads not_configured here."])
    }

    static func summary(scan: ExperimentScan, compat: RecsysEvalExperiment, aa: Bool) -> JSONValue {
        let cases = compat.casesEvaluated
        var executive: [(String, JSONValue)] = [("decision", .string("not_configured"))]
        if !aa,
            let top = compat.present.max(by: {
                scan.global[$0].exposures < scan.global[$1].exposures || (scan.global[$0].exposures == scan.global[$1].exposures && $0 > $1)
            })
        {
            let g = scan.global[top]
            executive.append(
                (
                    "highlights",
                    .array(
                        [
                            ("ctr", RecsysEvalExperiment.rate(Double(g.clicks), g.exposures)),
                            ("conversion_rate", RecsysEvalExperiment.rate(Double(g.conversions), g.exposures)),
                            ("revenue_per_request", RecsysEvalExperiment.rate(g.revenue.value, g.exposures)),
                        ].map { .object([("name", .string($0.0)), ("value", .number($0.1))]) })
                ))
        }
        var steps: [String] = []
        let c = scan.counts
        let outcomeJoin = c.outcomeRows == 0 ? 0 : Double(c.outcomesJoined) / Double(c.outcomeRows)
        if outcomeJoin > 0 && outcomeJoin < 0.8 {
            steps.append("Improve exposure/outcome joins (request_id alignment) to raise join rates.")
        }
        if cases > 0 && cases < 50 { steps.append("Increase sample size to stabilize metrics.") }
        if steps.count < 3 && compat.present.count < 2 { steps.append("Include at least two variants to compare experiment outcomes.") }
        if !steps.isEmpty { executive.append(("next_steps", .array(steps.map { .string($0) }))) }
        return .object([("cases_evaluated", .number(Double(cases))), ("executive", .object(executive))])
    }

    static func unitSection(_ u: UnitAnalysis, srm: UnitAnalysis.SRM, power: Double, decision: Decision?) -> JSONValue {
        let scan = u.scan
        let perVariant = u.unitsPerVariant
        let assigned = perVariant.reduce(0, +) + u.crossoverUnits
        var m: [(String, JSONValue)] = [
            ("unit", .string(u.config.analysis.unit == .request ? "request_id" : "user_id")),
            ("control_variant", .string(u.control.map { scan.variants[$0] } ?? "")),
            ("ci_level", .number(u.level)), ("alpha", .number(u.alpha)),
            (
                "units",
                .array(
                    scan.variants.indices.filter { perVariant[$0] > 0 }.map {
                        .object([("variant", .string(scan.variants[$0])), ("units", .number(Double(perVariant[$0])))])
                    })
            ),
            (
                "crossover",
                .object([
                    ("units", .number(Double(u.crossoverUnits))),
                    ("share", .number(assigned == 0 ? 0 : Double(u.crossoverUnits) / Double(assigned))),
                    ("exposures_excluded", .number(Double(u.crossoverExposures))),
                ])
            ),
            (
                "families",
                .array(
                    ["primary", "exploratory", "all"].compactMap { name -> JSONValue? in
                        let size = u.rows.filter { $0.family == name }.count
                        guard size > 0 else { return nil }
                        let members: String
                        switch name {
                        case "primary":
                            members =
                                "the primary metrics (\(Decision.primaryNames(u.config).joined(separator: ", "))) in the global scope, each non-control variant: the decision's family"
                        case "exploratory": members = "every other row of tests: the other metrics, and every metric by segment"
                        default: members = "every row of tests"
                        }
                        return .object([
                            ("family", .string(name)), ("correction", .string(u.correction.rawValue)), ("size", .number(Double(size))),
                            ("members", .string(members + "; CUPED's p-value when CUPED ran, else the plain test's")),
                        ])
                    })
            ),
        ]
        if let source = u.covariateSource { m.append(("cuped_covariate", .string(source))) }
        if scan.unitScopes.count == 1 && !scan.segmentKeys.isEmpty && !u.config.sliceKeys.isEmpty {
            m.append(
                ("segments_skipped", .string("segments x units exceeds the memory cap; only the global scope is analysed at unit level")))
        }
        m.append(("tests", .array(u.rows.map { u.rowJSON($0, power: power) })))
        let weights = u.srmWeights(srm.observed)
        m.append(
            (
                "srm",
                .object([
                    ("alpha", .number(u.srmAlpha)), ("min_sample", .number(Double(u.srmMinSample))),
                    (
                        "observed",
                        .object(
                            scan.variants.indices.filter { srm.observed[$0] > 0 }.map {
                                (scan.variants[$0], .number(Double(srm.observed[$0])))
                            })
                    ),
                    (
                        "expected",
                        .object(scan.variants.indices.filter { weights[$0] > 0 }.map { (scan.variants[$0], .number(weights[$0])) })
                    ),
                    ("statistic", .number(srm.global.statistic)), ("p_value", .number(srm.global.pValue)),
                    ("detected", .bool(srm.detected)),
                    (
                        "by_segment",
                        .array(
                            srm.slices.map { s in
                                .object([
                                    ("segment", .string(s.key)),
                                    (
                                        "observed",
                                        .object(
                                            scan.variants.indices.filter { s.observed[$0] > 0 }.map {
                                                (scan.variants[$0], .number(Double(s.observed[$0])))
                                            })
                                    ),
                                    ("statistic", .number(s.result.statistic)), ("p_value", .number(s.result.pValue)),
                                ])
                            })
                    ),
                ])
            ))
        m.append(
            (
                "guardrails",
                .array(
                    u.guardrails().map { g in
                        var f: [(String, JSONValue)] = [
                            ("metric", .string(g.metric)), ("variant", .string(g.variant)), ("value", .number(g.value)),
                            ("control", .number(g.control)),
                        ]
                        if let t = g.threshold { f.append(("threshold", .number(t))) }
                        if let margin = g.margin { f.append(("non_inferiority_margin", .number(margin))) }
                        if let b = g.relativeBound { f.append(("relative_bound", .number(b))) }
                        f.append(("passed", .bool(g.passed)))
                        return .object(f)
                    })
            ))
        if let decision {
            m.append(
                ("decision", .object([("action", .string(decision.action)), ("reasons", .array(decision.reasons.map { .string($0) }))])))
        }
        return .object(m)
    }

    static func aaUnits(_ u: UnitAnalysis, thresholds: [Double]) -> JSONValue {
        let t = thresholds.isEmpty ? [0.05, 0.01, 0.001] : thresholds
        let p = u.rows.map(\.comparison.pValue)
        return .object([
            ("total_tests", .number(Double(p.count))),
            ("counts", .object(t.map { x in (RecsysEvalExperiment.thresholdKey(x), .number(Double(p.filter { $0 < x }.count))) })),
            ("uniformish", .bool(RecsysEvalExperiment.uniformish(p, thresholds: t))),
        ])
    }
}
