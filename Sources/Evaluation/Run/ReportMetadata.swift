import Reports

/// The report fields that describe the run rather than the data (SPEC section 12.3).
public struct ReportMetadata: Sendable {
    public var runID: String
    public var createdAt: String
    public var binaryVersion: String
    public var gitCommit: String
    public var effectiveConfig: JSONValue?
    public var datasetFingerprint: String

    public init(
        runID: String, createdAt: String, binaryVersion: String, gitCommit: String, effectiveConfig: JSONValue?, datasetFingerprint: String
    ) {
        self.runID = runID
        self.createdAt = createdAt
        self.binaryVersion = binaryVersion
        self.gitCommit = gitCommit
        self.effectiveConfig = effectiveConfig
        self.datasetFingerprint = datasetFingerprint
    }

    /// `<prefix>-YYYYMMDDTHHMMSSZ` from an RFC 3339 UTC time such as `2025-01-01T00:00:00Z`.
    public static func runID(prefix: String, createdAt: String) -> String {
        let digits = createdAt.prefix(19).filter { $0 != "-" && $0 != ":" }
        return "\(prefix)-\(digits)Z"
    }

    /// The report's first fields, in report.v1 order; empty values are left out as Go's
    /// `omitempty` leaves them.
    func header(mode: String) -> [(String, JSONValue)] {
        var top: [(String, JSONValue)] = [
            ("run_id", .string(runID)), ("mode", .string(mode)), ("created_at", .string(createdAt)), ("version", .string("0.1.0")),
        ]
        if !binaryVersion.isEmpty { top.append(("binary_version", .string(binaryVersion))) }
        if !gitCommit.isEmpty { top.append(("git_commit", .string(gitCommit))) }
        if let effectiveConfig { top.append(("effective_config", effectiveConfig)) }
        if !datasetFingerprint.isEmpty { top.append(("input_dataset_fingerprint", .string(datasetFingerprint))) }
        return top
    }
}
