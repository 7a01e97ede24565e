/// A report's top-level `warnings` as a person should read them, on the page and on the terminal.
///
/// Reports keep recsys-eval's warning codes verbatim in `warnings` (its readers match them), next
/// to receval's own sentences. Shown to a person, a code is said in words, or left out when one
/// of receval's sentences already makes its point (saying it twice buries the rest).
public enum ReportWarnings {
    /// recsys-eval's warning codes: what each says in words, and the phrase of receval's own
    /// warning that makes the same point (a code it covers is not shown again).
    static let recsysEvalCodes: [String: (words: String, coveredBy: String?)] = [
        "missing_target_propensity": (
            "Some shown items have no target propensity; recsys-eval's estimators skip them (its warning missing_target_propensity).",
            "have no target_propensity"
        ),
        "low_effective_sample_size": (
            "The effective sample size is below a fifth of the importance weights (recsys-eval's warning low_effective_sample_size).",
            "effective sample size"
        ),
        "high_clipping_fraction": (
            "More than a tenth of the importance weights were clipped (recsys-eval's warning high_clipping_fraction).", nil
        ),
        "aa_check_false_positives": (
            "recsys-eval's A/A check found more significant differences than chance allows (its warning aa_check_false_positives).", nil
        ),
    ]

    /// The warnings to show, in the report's order: receval's sentences as they are, recsys-eval's
    /// codes in words unless covered.
    public static func readable(_ report: JSONValue) -> [String] {
        let all = (report["warnings"]?.arrayItems ?? []).map { $0.stringValue ?? $0.text }
        return all.compactMap { w in
            guard let code = recsysEvalCodes[w] else { return w }
            if let phrase = code.coveredBy, all.contains(where: { $0 != w && $0.contains(phrase) }) { return nil }
            return code.words
        }
    }
}
