/// Why one input line was rejected: the JSON path of the offending field (`""` for the line
/// itself) and a message that says what was expected and what was found.
public struct RowError: Error, Sendable, Equatable {
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }
}
