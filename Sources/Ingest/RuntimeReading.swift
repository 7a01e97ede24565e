/// A way a row departs from its recsys-eval JSON Schema that recsys-eval's runtime reads anyway,
/// and how the `recsysEvalRuntime` contract keeps it (SPEC §1.1, §1.3). Ingest counts the rows
/// of each kind per table (`RuntimeReadingCount`), so nothing the schema would reject is taken
/// in silently.
public enum RuntimeReading: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// `request_id`, `user_id`, `item_id`, `experiment_id` or `variant` missing, null or empty:
    /// kept as `""`, which recsys-eval counts as missing in data quality (an exposure or outcome
    /// without a request id, an outcome without an item, an assignment without a request id or
    /// variant) and otherwise joins like any other id.
    case emptyString
    /// `event_type` that is `click` or `conversion` in other letter cases (`Click`, `CONVERSION`):
    /// kept as written; recsys-eval compares event types ignoring case.
    case eventTypeCase
    /// `event_type` neither `click` nor `conversion` in any letter case (or missing): kept as
    /// written; no metric reads it, but it is an outcome row and a joined outcome.
    case otherEventType
    /// `ts` missing or null: Go's zero time, 0001-01-01T00:00:00Z, which recsys-eval treats as no
    /// time (outside every time split, not in throughput or the decision's window).
    case missingTimestamp
    /// `items` missing or null: an empty list (an "empty" exposure).
    case missingItems
    /// An item `rank` below 1, or missing or null (Go's 0): kept; lists are ordered by it.
    case rankBelowOne
    /// `latency_ms` below 0: kept, and counted in the latency guardrail.
    case negativeLatency
    /// A member name in other letter cases (`Request_ID`): it fills its field, as Go's decoder does.
    case memberNameCase
    /// A top-level member the record type does not have: ignored (its value is still checked to be JSON).
    case unknownMember
    /// A member whose value is `null`: read as absent (an empty string, no value, no context).
    case nullMember
    /// A line that is `null`: a record of defaults (Go decodes it into a zero struct).
    case nullRecord
    /// An item's `propensity`, `logging_propensity` or `target_propensity` below 0: kept (Go reads
    /// any number); recsys-eval's OPE skips an item whose logging propensity is not positive and
    /// weighs one with a negative target propensity by it (a negative weight).
    case negativePropensity

    /// What the runtime contract did with such a row, for messages and reports.
    public var description: String {
        switch self {
        case .emptyString: "a required string missing, null or empty, kept as \"\" (recsys-eval counts it as missing)"
        case .eventTypeCase: "event_type click or conversion in other letter cases, kept as written and compared ignoring case"
        case .otherEventType:
            "event_type neither click nor conversion (or missing), kept as written: a joined outcome that no metric reads"
        case .missingTimestamp: "ts missing or null, read as Go's zero time 0001-01-01T00:00:00Z (no time)"
        case .missingItems: "items missing or null, read as an empty list"
        case .rankBelowOne: "an item rank below 1 (missing or null: 0), kept"
        case .negativeLatency: "latency_ms below 0, kept"
        case .memberNameCase: "a member name in other letter cases, read into its field"
        case .unknownMember: "a member the record type does not have, ignored"
        case .nullMember: "a member with value null, read as absent"
        case .nullRecord: "a null line, read as a record of defaults"
        case .negativePropensity: "an item propensity below 0, kept"
        }
    }

    /// A short stable name for JSON reports (`empty_string`, `event_type_case`, ...).
    public var key: String {
        switch self {
        case .emptyString: "empty_string"
        case .eventTypeCase: "event_type_case"
        case .otherEventType: "other_event_type"
        case .missingTimestamp: "missing_ts"
        case .missingItems: "missing_items"
        case .rankBelowOne: "rank_below_one"
        case .negativeLatency: "negative_latency"
        case .memberNameCase: "member_name_case"
        case .unknownMember: "unknown_member"
        case .nullMember: "null_member"
        case .nullRecord: "null_record"
        case .negativePropensity: "negative_propensity"
        }
    }
}
