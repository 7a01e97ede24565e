import Reports

/// The report's `verdict` key for experiment and A/A reports: the one decision a person acts on,
/// what made it, and how it relates to the other keys that look like decisions. An experiment
/// report carries recsys-eval's keys unchanged (`summary.executive.decision`, the request-level
/// `experiment.srm`), which can read differently from receval's unit-level analysis; the verdict
/// says which one governs and why, so the report agrees with itself.
struct Verdict {
    var action: String
    var decidedBy: String
    var reasons: [String]
    var control: (variant: String, chosenBy: String, note: String)
    var srm: (gating: String, detected: Bool, note: String)
    var notes: [String]

    var json: JSONValue {
        .object([
            ("action", .string(action)), ("decided_by", .string(decidedBy)), ("reasons", .array(reasons.map { .string($0) })),
            (
                "control",
                .object([("variant", .string(control.variant)), ("chosen_by", .string(control.chosenBy)), ("note", .string(control.note))])
            ),
            ("srm", .object([("gating", .string(srm.gating)), ("detected", .bool(srm.detected)), ("note", .string(srm.note))])),
            ("notes", .array(notes.map { .string($0) })),
        ])
    }

    /// The control variant and why it was chosen.
    static func control(_ compat: RecsysEvalExperiment) -> (variant: String, chosenBy: String, note: String) {
        let name = compat.controlName
        let others = compat.presentByExposures.filter { $0.name != name }
            .map { "\($0.name): \(ReadableNumber.count($0.exposures))" }.joined(separator: ", ")
        let own = compat.control.map { ReadableNumber.count(compat.scan.global[$0].exposures) } ?? "0"
        let counts = "\(name) has \(own) exposures" + (others.isEmpty ? "" : " (\(others))")
        switch compat.controlChoice {
        case .configured:
            return (name, "config", "experiment.control_variant is \(name)")
        case .mostExposures:
            return (
                name, "most_exposures",
                "experiment.control_variant is not set, so the control is the variant with the most exposures, recsys-eval's rule: \(counts). Set control_variant to make this explicit."
            )
        case .fallback:
            return (
                name, "fallback",
                "experiment.control_variant \"\(compat.config.controlVariant)\" is not in the data; as recsys-eval does (--compat recsys-eval), the variant with the most exposures is the control instead: \(counts). Every lift is measured against it."
            )
        }
    }

    /// The verdict of an experiment: `decision` is the one that sets the exit status.
    static func experiment(
        decision: Decision, compat: RecsysEvalExperiment, units: UnitAnalysis, unitSRM: UnitAnalysis.SRM, config: ExperimentConfig
    ) -> Verdict {
        let recsysEval = config.analysis.compat == "recsys-eval"
        let decidedBy =
            recsysEval
            ? "recsys-eval's rule (--compat recsys-eval): the primary metrics' request-level deltas against their thresholds, then gated guardrails and SRM; significance plays no part"
            : "receval's analysis at the randomisation unit (experiment_units): SRM on \(units.config.analysis.unit == .request ? "requests" : "users") first, then each primary metric's test after \(units.correction.rawValue) correction at alpha \(ReadableNumber.value(units.alpha)), then guardrails"
        let requestSRM = compat.srm(compat.scan.assignmentRowsByVariant)
        let gating = recsysEval ? "request-level" : "unit-level"
        let gatingDetected = recsysEval ? requestSRM.detected : unitSRM.detected
        var srmNote: String
        if recsysEval {
            srmNote =
                "recsys-eval's SRM (experiment.srm) compares assignment rows per variant and is what this decision uses"
                + (config.srmEnabled ? "" : "; it is not enabled (experiment.srm.enabled), so it gates nothing")
        } else {
            srmNote =
                "experiment_units.srm compares the units per variant, which is what randomisation assigned, and gates the decision"
                + (units.config.analysis.srmGate ? "" : " only as a reason (analysis.srm_gate is false)")
        }
        if requestSRM.detected != unitSRM.detected {
            srmNote +=
                ". The two SRM checks disagree: recsys-eval's request-level check (experiment.srm) \(requestSRM.detected ? "detects" : "does not detect") a mismatch (p \(ReadableNumber.pClause(requestSRM.pValue))) and the unit-level check \(unitSRM.detected ? "detects" : "does not detect") one (p \(ReadableNumber.pClause(unitSRM.global.pValue))). Rows per variant also differ when units in one arm make more requests than in the other, a treatment effect, not a broken split; units are what was randomised"
        }
        var notes = [
            "summary.executive.decision is recsys-eval's status of offline regression gates; an experiment has none, so it reads not_configured. The experiment's decision is verdict.action."
        ]
        if !config.decisionEnabled {
            notes.append(
                "experiment.decision.enabled is false: no decision artifact is written and the exit status is 0; verdict.action is what the analysis concludes."
            )
        }
        return Verdict(
            action: decision.action, decidedBy: decidedBy, reasons: decision.reasons, control: control(compat),
            srm: (gating, gatingDetected, srmNote), notes: notes)
    }
}

extension ReadableNumber {
    /// A p-value as the end of a sentence: `= 0.115`, `< 0.001`.
    static func pClause(_ p: Double) -> String {
        let s = pValue(p)
        return s.hasPrefix("<") ? s : "= " + s
    }
}
