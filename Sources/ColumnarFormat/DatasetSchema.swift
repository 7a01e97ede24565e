/// One column of a table: its name, physical type, the list it belongs to (`""` for the table's own
/// rows) and the dictionary its integer codes refer to (`""` when it holds plain values).
public struct ColumnSchema: Sendable, Equatable {
    public var name: String
    public var physicalType: PhysicalType
    public var group: String
    public var dictionary: String

    public init(_ name: String, _ type: PhysicalType, group: String = "", dictionary: String = "") {
        self.name = name
        self.physicalType = type
        self.group = group
        self.dictionary = dictionary
    }
}

/// A child list of a table (the items of an exposure, the pairs of a context): its rows are stored
/// in parent order and `countColumn` (an int32 column of the parent) says how many belong to each parent row.
public struct GroupSchema: Sendable, Equatable {
    public var name: String
    public var countColumn: String

    public init(name: String, countColumn: String) {
        self.name = name
        self.countColumn = countColumn
    }
}

public struct TableSchema: Sendable, Equatable {
    public var name: String
    public var groups: [GroupSchema]
    public var columns: [ColumnSchema]

    public init(name: String, groups: [GroupSchema], columns: [ColumnSchema]) {
        self.name = name
        self.groups = groups
        self.columns = columns
    }

    public func columnIndex(_ name: String) -> Int? { columns.firstIndex { $0.name == name } }
}

/// The fixed tables of format v1 and their columns, in storage order. See `format-spec/README.md` §5.
public enum DatasetSchema {
    public static let requestDictionary = "request_id"

    static func ts(_ prefix: String = "ts") -> [ColumnSchema] {
        [ColumnSchema("\(prefix)_us", .int64), ColumnSchema("\(prefix)_ns", .int32), ColumnSchema("\(prefix)_offset_min", .int32)]
    }

    public static let exposures = TableSchema(
        name: "exposures",
        groups: [GroupSchema(name: "items", countColumn: "item_count"), GroupSchema(name: "context", countColumn: "context_count")],
        columns: [
            ColumnSchema("request_id", .int32, dictionary: requestDictionary),
            ColumnSchema("user_id", .int32, dictionary: "user_id"),
        ] + ts() + [
            ColumnSchema("item_count", .int32),
            ColumnSchema("context_present", .bool),
            ColumnSchema("context_count", .int32),
            ColumnSchema("latency_ms_present", .bool),
            ColumnSchema("latency_ms", .float64),
            ColumnSchema("error_present", .bool),
            ColumnSchema("error", .bool),
            ColumnSchema("item_id", .int32, group: "items", dictionary: "item_id"),
            ColumnSchema("rank", .int64, group: "items"),
            ColumnSchema("propensity_present", .bool, group: "items"),
            ColumnSchema("propensity", .float64, group: "items"),
            ColumnSchema("logging_propensity_present", .bool, group: "items"),
            ColumnSchema("logging_propensity", .float64, group: "items"),
            ColumnSchema("target_propensity_present", .bool, group: "items"),
            ColumnSchema("target_propensity", .float64, group: "items"),
            ColumnSchema("extra_present", .bool, group: "items"),
            ColumnSchema("extra", .bytes, group: "items"),
            ColumnSchema("context_key", .int32, group: "context", dictionary: "context_key"),
            ColumnSchema("context_value", .int32, group: "context", dictionary: "context_value"),
        ])

    public static let outcomes = TableSchema(
        name: "outcomes", groups: [],
        columns: [
            ColumnSchema("request_id", .int32, dictionary: requestDictionary),
            ColumnSchema("user_id", .int32, dictionary: "user_id"),
            ColumnSchema("item_id", .int32, dictionary: "item_id"),
            ColumnSchema("event_type", .int32, dictionary: "event_type"),
            ColumnSchema("value_present", .bool),
            ColumnSchema("value", .float64),
        ] + ts())

    public static let assignments = TableSchema(
        name: "assignments",
        groups: [GroupSchema(name: "context", countColumn: "context_count")],
        columns: [
            ColumnSchema("request_id", .int32, dictionary: requestDictionary),
            ColumnSchema("user_id", .int32, dictionary: "user_id"),
            ColumnSchema("experiment_id", .int32, dictionary: "experiment_id"),
            ColumnSchema("variant", .int32, dictionary: "variant"),
        ] + ts() + [
            ColumnSchema("context_present", .bool),
            ColumnSchema("context_count", .int32),
            ColumnSchema("context_key", .int32, group: "context", dictionary: "context_key"),
            ColumnSchema("context_value", .int32, group: "context", dictionary: "context_value"),
        ])

    public static let tables: [TableSchema] = [exposures, outcomes, assignments]

    /// Dataset-wide dictionaries, in storage order. `request_id` is per partition instead.
    public static let globalDictionaries = ["user_id", "item_id", "context_key", "context_value", "event_type", "experiment_id", "variant"]
}
