/// How many rows of one table were read under the runtime contract in one `RuntimeReading`
/// way, and where the first of them is.
public struct RuntimeReadingCount: Sendable, Equatable {
    public var table: TableKind
    public var reading: RuntimeReading
    public var rows: Int
    /// The first such row: its file, 1-based line and field path.
    public var source: String
    public var line: Int
    public var field: String

    public init(table: TableKind, reading: RuntimeReading, rows: Int, source: String, line: Int, field: String) {
        self.table = table
        self.reading = reading
        self.rows = rows
        self.source = source
        self.line = line
        self.field = field
    }

    /// `N table rows: what was done (first: file:line: field)`.
    public var text: String {
        "\(rows) \(table) row\(rows == 1 ? "" : "s"): \(reading) (first: \(source):\(line)\(field.isEmpty ? "" : ": " + field))"
    }
}
