import Reports

/// A run that would analyse something other than what was asked for. Each case stops the run
/// before any report is written (exit status 1) and says what the data or the configuration
/// does hold, so the user can fix the one line that is wrong.
public enum RunError: Error, CustomStringConvertible, Sendable {
    /// `experiment.control_variant` names a variant with no assigned exposure. recsys-eval would
    /// silently take the variant with the most exposures as control, flipping every lift's sign.
    case controlVariantAbsent(configured: String, present: [(name: String, exposures: Int)])
    /// `experiment.experiment_id` matches no assignment (ids match case-insensitively).
    case experimentAbsent(configured: String, present: [String])
    /// No `experiment_id` is set and the assignments hold several experiments, which would be
    /// pooled into one analysis.
    case experimentUnset(present: [String])
    /// `--mode` and the config's `mode:` disagree.
    case modeMismatch(flag: String, config: String, file: String)
    /// The mode's section (e.g. `experiment:`) is missing from the eval config.
    case missingSection(mode: String, section: String, file: String)
    /// The dataset holds no exposure row at all (an empty input, or every row rejected).
    case noExposures(source: String)
    /// `--memory-limit` is below what the mode's per-unit state needs at least: the run would
    /// exceed the limit it was given (per-unit state is taken in parts only for OPE's bootstrap).
    case unitStateOverLimit(mode: String, unit: String, units: Int, bytes: Int, limit: Int)

    public var description: String {
        switch self {
        case .controlVariantAbsent(let c, let present):
            let list = present.map { "\($0.name) (\(ReadableNumber.count($0.exposures)) exposures)" }.joined(separator: ", ")
            var s = "experiment.control_variant is \"\(c)\", but no assigned exposure has that variant"
            s += present.isEmpty ? "; the experiment has no assigned exposures at all" : "; the data holds: \(list)"
            if let near = present.first(where: { $0.name.lowercased() == c.lowercased() }) {
                s += ". Variant names are case-sensitive: did you mean \"\(near.name)\"?"
            } else {
                s += ". Set control_variant to one of them"
            }
            return s
                + " (with --compat recsys-eval the variant with the most exposures is taken instead, as recsys-eval does, with a warning)"
        case .experimentAbsent(let c, let present):
            return "experiment.experiment_id \"\(c)\" matches no assignment (ids compare case-insensitively); "
                + (present.isEmpty ? "the dataset holds no assignments" : "the assignments hold: \(present.joined(separator: ", "))")
        case .experimentUnset(let present):
            return "experiment.experiment_id is not set and the assignments hold \(present.count) experiments "
                + "(\(present.joined(separator: ", "))), which would be pooled into one analysis; set experiment_id to one of them"
        case .modeMismatch(let flag, let config, let file):
            return "\(file): --mode \(flag) disagrees with the config's mode: \(config); drop --mode or use a config written for \(flag)"
        case .missingSection(let mode, let section, let file):
            return "\(file): --mode \(mode) needs the `\(section):` section, and this config has none"
        case .noExposures(let source):
            return "\(source): no exposure rows to evaluate (the input is empty, or every row was rejected)"
        case .unitStateOverLimit(let mode, let unit, let units, let bytes, let limit):
            func gib(_ b: Int) -> String { JSONValue.goNumber((Double(b) / Double(1 << 30) * 10).rounded(.up) / 10) + " GiB" }
            return "--memory-limit \(gib(limit)): the \(mode) analysis keeps state per \(unit), and the dataset holds "
                + "\(ReadableNumber.count(units)) \(unit)s: at least \(gib(bytes)) (\(bytes / max(units, 1)) bytes each, more with "
                + "segments and revenue), and \(unit) units are not taken in parts (user units are). Raise --memory-limit, "
                + "analyse fewer \(unit)s (a shorter time window), or analyse by user (experiment.analysis.unit: user)"
        }
    }
}
