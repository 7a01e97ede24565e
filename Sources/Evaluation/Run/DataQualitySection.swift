import Engine
import Reports

/// report.v1's `data_quality` (recsys-eval SPEC §5.4) from join counts. `assignmentRows` is the
/// number of assignment records in experiment and aa-check modes, which add
/// `assignment_completeness` and count assignments; nil elsewhere, where both stay 0. "missing"
/// is recsys-eval's: an exposure with an empty request id or no items, an outcome with an empty
/// request id or item id, an assignment with an empty request id or variant (rows only a dataset
/// ingested under the recsys-eval runtime contract can hold, beside empty lists).
enum DataQualitySection {
    static func rate(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }

    static func completeness(total: Int, missing: Int) -> JSONValue {
        .object([
            ("total", .number(Double(total))), ("missing", .number(Double(missing))), ("missing_rate", .number(rate(missing, total))),
        ])
    }

    static func json(_ c: JoinCounts, assignmentRows: Int?) -> JSONValue {
        var join: [(String, JSONValue)] = [
            ("exposure_count", .number(Double(c.exposureRows))), ("outcome_count", .number(Double(c.outcomeRows))),
            ("assignments_count", .number(assignmentRows == nil ? 0 : Double(c.assignedRequests))),
        ]
        if c.duplicateExposures > 0 { join.append(("duplicate_exposure_request_ids", .number(Double(c.duplicateExposures)))) }
        join += [
            ("exposure_join_rate", .number(rate(c.exposuresJoined, c.exposureRows))),
            ("outcome_join_rate", .number(rate(c.outcomesJoined, c.outcomeRows))),
            ("assignment_join_rate", .number(assignmentRows == nil ? 0 : rate(c.assignedExposures, c.assignedRequests))),
        ]
        var members: [(String, JSONValue)] = [
            ("exposure_completeness", completeness(total: c.exposureRows, missing: c.incompleteExposures)),
            ("outcome_completeness", completeness(total: c.outcomeRows, missing: c.incompleteOutcomes)),
        ]
        if let assignmentRows {
            members.append(("assignment_completeness", completeness(total: assignmentRows, missing: c.incompleteAssignments)))
        }
        members.append(("join_integrity", .object(join)))
        return .object(members)
    }

    /// report.v1's `summary` for modes without gates: cases and recsys-eval's next steps (SPEC §12.2).
    static func summary(cases: Int, outcomeJoinRate: Double?) -> JSONValue {
        var steps: [String] = []
        if let r = outcomeJoinRate, r > 0 && r < 0.8 {
            steps.append("Improve exposure/outcome joins (request_id alignment) to raise join rates.")
        }
        if cases > 0 && cases < 50 { steps.append("Increase sample size to stabilize metrics.") }
        var executive: [(String, JSONValue)] = [("decision", .string("not_configured"))]
        if !steps.isEmpty { executive.append(("next_steps", .array(steps.map { .string($0) }))) }
        return .object([("cases_evaluated", .number(Double(cases))), ("executive", .object(executive))])
    }
}
