/// The process exit statuses of every `receval` command, one meaning each, so a script can branch
/// on them the same way whatever the command. recsys-eval's experiment statuses (0 ship, 2 hold,
/// 3 fail) keep their values.
public enum ExitStatus: Int32, CaseIterable, Sendable {
    /// The command did its job: the report is written; the experiment decision is ship; every
    /// regression gate passed; every line is valid.
    case success = 0
    /// The command could not do its job: a bad flag or config, a missing or damaged file, an I/O
    /// failure, a configuration that names what the data does not hold. No report is written.
    case error = 1
    /// Experiment decision hold or inconclusive (the report is written).
    case hold = 2
    /// Experiment decision rollback (decision.v1 `fail`; the report is written).
    case rollback = 3
    /// A check failed on good input: an offline regression gate, an A/A check or a monitor's
    /// service-level objective (the report is written), or lines invalid against their contract
    /// (`validate`). With `--compat
    /// recsys-eval`, a failed gate exits 1 and an A/A check 0, as recsys-eval does.
    case checkFailed = 4
    /// More than `--max-reject-rate` of a table's rows were rejected: nothing is evaluated or
    /// written except the rejects file.
    case tooManyRejects = 5

    /// One line per status, for `--help` texts and the README.
    public static let summary =
        "Exit codes (all commands): 0 success (experiment: ship); 1 error, nothing written; 2 experiment hold or inconclusive; "
        + "3 experiment rollback (fail); 4 a check failed on good input (offline regression gate, failed A/A check, SLO breach in monitor, invalid lines in validate); "
        + "5 more than --max-reject-rate of a table's rows rejected."
}
