/// Which input rows ingest keeps.
///
/// recsys-eval publishes JSON Schemas for its logs (exposure.v1, outcome.v1, assignment.v1), but
/// its runtime never checks them: it decodes each line with Go's `encoding/json` into fixed
/// structs and counts what it reads (SPEC §1.1-1.3, §5.3-5.4). A log can therefore hold rows the
/// schemas reject and recsys-eval still evaluates: an empty variant (counted in
/// `assignment_completeness.missing`), `Click`, an unknown event type (a joined outcome that no
/// metric reads). `strict` rejects such rows with their reasons; `recsysEvalRuntime` keeps them
/// the way the runtime reads them, so a report on them counts what recsys-eval's counts.
public enum IngestContract: String, Sendable, CaseIterable, CustomStringConvertible {
    /// recsys-eval's JSON Schemas: required fields present and non-empty, `event_type` exactly
    /// `click` or `conversion`, `rank >= 1`, numbers `>= 0` where the schema says so, RFC 3339
    /// `ts`, string-valued contexts, no unknown top-level members. Anything else is rejected
    /// with its file, line, field and reason. The default of `receval ingest`.
    case strict
    /// What recsys-eval's runtime reads (`RuntimeReading` lists each departure from the
    /// schemas it accepts, and how the row is kept): member names matched ignoring case, unknown
    /// members and `null` values ignored, missing or empty strings kept as `""`, any
    /// `event_type` kept as written, a missing `ts` read as Go's zero time, a missing `items` as
    /// an empty list, any integer `rank`, a negative `latency_ms` or propensity. Rows recsys-eval's
    /// runtime itself cannot read (invalid JSON, a value of the wrong JSON type, a `rank` written
    /// with a fraction or exponent, a `ts` that is not RFC 3339, a non-string context value) are
    /// still rejected. Used by `receval run` over JSONL sources.
    case recsysEvalRuntime = "recsys-eval-runtime"

    public var description: String { rawValue }

    /// The contract named `name` (`strict` or `recsys-eval-runtime`).
    public init?(name: String) { self.init(rawValue: name.lowercased()) }
}
