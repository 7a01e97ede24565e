import ColumnarFormat
import Engine
import Reports
import Statistics

/// A ship decision with every reason behind it. receval's actions are ship, hold, rollback and
/// inconclusive; the decision.v1 `decision` field keeps recsys-eval's values (rollback is `fail`,
/// inconclusive is `hold`) so existing consumers keep working, and `action` says which it was.
struct Decision {
    var action: String
    var reasons: [String]
    /// recsys-eval's primary and guardrail rows, or the unit-level ones.
    var primary: [JSONValue] = []
    var guardrails: [JSONValue] = []
    var analysis = "unit"
    var candidate = ""
    var srm: (detected: Bool, p: Double, alpha: Double)?

    var schemaDecision: String {
        switch action {
        case "rollback", "fail": return "fail"
        case "ship": return "ship"
        default: return "hold"
        }
    }

    var exitCode: Int32 {
        switch schemaDecision {
        case "ship": return 0
        case "fail": return 3
        default: return 2
        }
    }

    static func candidate(_ scan: ExperimentScan, _ compat: RecsysEvalExperiment, _ config: ExperimentConfig) -> (String, Int?) {
        if !config.candidateVariant.isEmpty {
            return (config.candidateVariant, compat.present.first { scan.variants[$0] == config.candidateVariant })
        }
        let others = compat.present.filter { $0 != compat.control }
        let best = others.max {
            scan.global[$0].exposures < scan.global[$1].exposures || (scan.global[$0].exposures == scan.global[$1].exposures && $0 > $1)
        }
        return (best.map { scan.variants[$0] } ?? "", best)
    }

    static func primaryNames(_ config: ExperimentConfig) -> [String] {
        config.primaryMetrics.isEmpty ? ["ctr"] : config.primaryMetrics.map { $0.lowercased() }
    }

    static func threshold(_ config: ExperimentConfig, _ name: String) -> Double {
        config.primaryThresholds.first { $0.metric.lowercased() == name }?.threshold ?? 0
    }

    /// recsys-eval's rule (SPEC §7.9): fail on any primary delta below its threshold, else hold on a
    /// gated guardrail or SRM failure, else ship — significance plays no part.
    static func recsysEval(scan: ExperimentScan, compat: RecsysEvalExperiment, config: ExperimentConfig) -> Decision {
        var d = Decision(action: "ship", reasons: [], analysis: "recsys-eval")
        let (name, cand) = candidate(scan, compat, config)
        d.candidate = name
        func value(_ v: Int?, _ metric: String) -> Double {
            guard let v else { return 0 }
            let g = scan.global[v]
            switch metric {
            case "ctr": return RecsysEvalExperiment.rate(Double(g.clicks), g.exposures)
            case "conversion_rate": return RecsysEvalExperiment.rate(Double(g.conversions), g.exposures)
            case "revenue_per_request": return RecsysEvalExperiment.rate(g.revenue.value, g.exposures)
            default: return 0
            }
        }
        var primaryFail = false
        for m in primaryNames(config) {
            let before = value(compat.control, m)
            let after = value(cand, m)
            let delta = after - before
            let t = threshold(config, m)
            if delta < t {
                primaryFail = true
                d.reasons.append("\(m) changed by \(JSONValue.goNumber(delta)), below the threshold \(JSONValue.goNumber(t))")
            }
            d.primary.append(
                .object([
                    ("metric", .string(m)), ("delta", .number(delta)), ("relative_delta", .number(before == 0 ? 0 : delta / before)),
                    ("threshold", .number(t)),
                ]))
        }
        let g = compat.guardrails().first { $0.variant == name }
        let rows: [(String, Double, Double, Bool)] = [
            ("latency_p95_ms", g?.latencyP95 ?? 0, config.maxLatencyP95, g?.passLatency ?? true),
            ("error_rate", g?.errorRate ?? 0, config.maxErrorRate, g?.passError ?? true),
            ("empty_rate", g?.emptyRate ?? 0, config.maxEmptyRate, g?.passEmpty ?? true),
        ]
        var guardFail = false
        for (metric, v, t, passed) in rows {
            d.guardrails.append(
                .object([("metric", .string(metric)), ("value", .number(v)), ("threshold", .number(t)), ("passed", .bool(passed))]))
            if !passed {
                d.reasons.append("guardrail \(metric) \(JSONValue.goNumber(v)) exceeds \(JSONValue.goNumber(t))")
                if config.guardrailGate { guardFail = true }
            }
        }
        var srmFail = false
        if config.srmEnabled {
            let s = compat.srm(scan.assignmentRowsByVariant)
            d.srm = (s.detected, s.pValue, compat.srmAlpha)
            if s.detected {
                d.reasons.append("sample ratio mismatch on assignment rows (p = \(JSONValue.goNumber(s.pValue)))")
                srmFail = config.srmGate || config.srmGateEnabled
            }
        }
        if primaryFail {
            d.action = "fail"
            d.reasons.insert("primary metric regression", at: 0)
        } else if guardFail {
            d.action = "hold"
            d.reasons.insert("guardrail regression", at: 0)
        } else if srmFail {
            d.action = "hold"
            d.reasons.insert("srm detected", at: 0)
        }
        return d
    }

    /// receval's rule, on the unit-level analysis: an SRM on units holds everything; a primary
    /// metric significantly below its threshold rolls back; a failed guardrail (absolute limit or
    /// non-inferiority) holds; a primary metric significantly above its threshold ships;
    /// otherwise the result is inconclusive. Every reason found is listed, in that order.
    static func unitLevel(units: UnitAnalysis, srm: UnitAnalysis.SRM, compat: RecsysEvalExperiment, config: ExperimentConfig)
        -> Decision
    {
        let scan = units.scan
        var d = Decision(action: "inconclusive", reasons: [])
        let (name, _) = candidate(scan, compat, config)
        d.candidate = name
        var srmReason: String? = nil
        d.srm = (srm.detected, srm.global.pValue, units.srmAlpha)
        if srm.detected {
            var text =
                "sample ratio mismatch on units: p = \(JSONValue.goNumber(srm.global.pValue)) < \(JSONValue.goNumber(units.srmAlpha))"
            if let worst = srm.slices.first, worst.result.statistic > 0 {
                text += "; the largest contribution is from \(worst.key) (chi-square \(units.fmt(worst.result.statistic)))"
            }
            srmReason = text
        }
        var regressions: [String] = []
        var wins: [String] = []
        var neutral: [String] = []
        let known = Set(UnitAnalysis.metrics.map(\.name))
        for m in primaryNames(config) {
            let t = threshold(config, m)
            guard known.contains(m),
                let row = units.rows.first(where: { $0.scope == "global" && $0.metric.name == m && $0.variant == name })
            else {
                neutral.append("\(m): no unit-level test for \(name.isEmpty ? "a candidate" : name) (unknown metric or too few units)")
                d.primary.append(.object([("metric", .string(m)), ("threshold", .number(t)), ("tested", .bool(false))]))
                continue
            }
            let i = row.decisionInterval
            let rel = row.decisionRelative
            let text =
                "\(m) \(i.estimate >= 0 ? "+" : "")\(units.fmt(i.estimate)) (\(Int((units.level * 100).rounded()))% CI \(units.fmt(i.lower)) to \(units.fmt(i.upper)), adjusted p = \(units.fmt(row.adjusted)))"
            if row.significant && i.estimate < t {
                regressions.append("\(text) is significantly below the threshold \(units.fmt(t))")
            } else if row.significant && i.estimate > t && i.lower > t {
                wins.append("\(text) is significantly above the threshold \(units.fmt(t))")
            } else {
                neutral.append("\(text) is not significant at alpha \(units.fmt(units.alpha))")
            }
            d.primary.append(
                .object([
                    ("metric", .string(m)), ("delta", .number(i.estimate)), ("relative_delta", .number(rel?.estimate ?? 0)),
                    ("threshold", .number(t)), ("lower", .number(i.lower)), ("upper", .number(i.upper)),
                    ("p_value", .number(row.decisionP)),
                    ("adjusted_p_value", .number(row.adjusted)), ("significant", .bool(row.significant)),
                    ("cuped", .bool(row.cuped != nil)),
                ]))
        }
        var guardFailures: [String] = []
        for g in units.guardrails() where g.variant == name {
            var f: [(String, JSONValue)] = [
                ("metric", .string(g.metric)), ("value", .number(g.value)), ("threshold", .number(g.threshold ?? 0)),
                ("passed", .bool(g.passed)),
                ("control", .number(g.control)),
            ]
            if let m = g.margin { f.append(("non_inferiority_margin", .number(m))) }
            if let b = g.relativeBound { f.append(("relative_bound", .number(b))) }
            d.guardrails.append(.object(f))
            if !g.passed, let r = g.reason { guardFailures.append(r) }
        }
        if let srmReason { d.reasons.append(srmReason) }
        d.reasons += regressions + guardFailures + wins + neutral
        if srmReason != nil && units.config.analysis.srmGate {
            d.action = "hold"
        } else if !regressions.isEmpty {
            d.action = "rollback"
        } else if !guardFailures.isEmpty {
            d.action = "hold"
        } else if !wins.isEmpty {
            d.action = "ship"
        } else {
            d.action = "inconclusive"
        }
        if name.isEmpty {
            d.action = "inconclusive"
            d.reasons.insert("no candidate variant: the experiment has fewer than two variants with exposures", at: 0)
        }
        return d
    }

    /// The decision.v1 artifact (recsys-eval's fields, in its order, then receval's).
    func artifact(
        scan: ExperimentScan, compat: RecsysEvalExperiment, units: UnitAnalysis, config: ExperimentConfig, metadata: ReportMetadata
    )
        -> JSONValue
    {
        let zero = "0001-01-01T00:00:00Z"
        var m: [(String, JSONValue)] = [
            ("decision", .string(schemaDecision)),
            ("reason", .string(analysis == "recsys-eval" ? (action == "ship" ? "" : reasons.first ?? "") : reasons.first ?? "")),
            ("control_variant", .string(compat.controlName)), ("candidate_variant", .string(candidate)),
            ("primary_metrics", .array(primary)), ("guardrails", .array(guardrails)),
            ("thresholds", .object(config.primaryThresholds.map { ($0.metric, .number($0.threshold)) })),
            (
                "dataset_window",
                .object([
                    ("start", .string(scan.window?.first.formatted() ?? zero)), ("end", .string(scan.window?.last.formatted() ?? zero)),
                ])
            ),
            ("versions", .object([("binary_version", .string(metadata.binaryVersion)), ("git_commit", .string(metadata.gitCommit))])),
        ]
        if let srm, analysis != "recsys-eval" || config.srmEnabled {
            m.append(("srm", .object([("detected", .bool(srm.detected)), ("p_value", .number(srm.p)), ("alpha", .number(srm.alpha))])))
        }
        m += [
            ("action", .string(action)), ("reasons", .array(reasons.map { .string($0) })),
            (
                "analysis",
                .string(analysis == "recsys-eval" ? "recsys-eval" : config.analysis.unit == .request ? "unit:request_id" : "unit:user_id")
            ),
        ]
        return .object(m)
    }
}
