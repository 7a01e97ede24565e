import ColumnarFormat
import ColumnarStorage

/// Output formats of `receval export`.
public enum ExportFormat: String, Sendable, CaseIterable {
    case jsonl, csv
}

/// Writes a table of a dataset back as JSONL (records of exposure.v1 / outcome.v1 /
/// assignment.v1, field for field what was ingested) or CSV (one row per record; nested items and
/// contexts as JSON text). Rows come partition by partition, in input order within a partition.
public struct DatasetExporter {
    public let reader: DatasetReader

    public init(reader: DatasetReader) { self.reader = reader }

    public static let tables = ["exposures", "outcomes", "assignments"]

    /// Streams the table to `sink` in pieces of about 1 MiB.
    public func export(table: String, format: ExportFormat, sink: ([UInt8]) throws -> Void) throws {
        guard let t = reader.tableIndex(table) else {
            throw StorageError.corrupt(path: reader.path, reason: "no table named \(table)")
        }
        // Only the dictionaries this table's columns refer to are decoded, once.
        var dicts: [String: ByteStrings] = [:]
        for c in reader.footer.tables[t].columns where !c.dictionary.isEmpty && c.dictionary != DatasetSchema.requestDictionary {
            if dicts[c.dictionary] == nil { dicts[c.dictionary] = try reader.dictionary(c.dictionary) }
        }
        func dict(_ name: String) throws -> ByteStrings {
            guard let d = dicts[name] else { throw StorageError.corrupt(path: reader.path, reason: "dictionary \(name) is missing") }
            return d
        }
        var out = [UInt8]()
        out.reserveCapacity(1 << 21)
        if format == .csv { out += Array(csvHeader(table).utf8) }
        let all = Array(0..<reader.partitionCount)
        for p in all {
            Morsels.readAhead(reader, all, at: p, threads: 1)
            let requests = try reader.requestDictionary(partition: p)
            for g in 0..<reader.footer.partitions[p].tables[t].count {
                var w = RecordWriter(reader: reader, partition: p, table: t, rowGroup: g, requests: requests, format: format)
                switch table {
                case "exposures":
                    try w.exposures(
                        users: dict("user_id"), items: dict("item_id"), keys: dict("context_key"), values: dict("context_value"), &out)
                case "outcomes":
                    try w.outcomes(users: dict("user_id"), items: dict("item_id"), events: dict("event_type"), &out)
                default:
                    try w.assignments(
                        users: dict("user_id"), experiments: dict("experiment_id"), variants: dict("variant"),
                        keys: dict("context_key"), values: dict("context_value"), &out)
                }
                if out.count >= 1 << 20 {
                    try sink(out)
                    out.removeAll(keepingCapacity: true)
                }
            }
        }
        if !out.isEmpty { try sink(out) }
    }

    func csvHeader(_ table: String) -> String {
        switch table {
        case "exposures": "request_id,user_id,ts,items,context,latency_ms,error\n"
        case "outcomes": "request_id,user_id,item_id,event_type,value,ts\n"
        default: "experiment_id,variant,request_id,user_id,ts,context\n"
        }
    }
}
