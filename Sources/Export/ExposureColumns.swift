import ColumnarFormat
import ColumnarStorage

/// The columns of one exposure row group that every exporter reads (JSONL, CSV and Parquet),
/// decoded once, codes checked against the dictionaries' sizes.
struct ExposureColumns {
    let rows: Int
    let request: [Int32]
    let user: [Int32]
    let ts: [Timestamp]
    let itemCount: [Int32]
    let contextPresent: [UInt8]
    let contextCount: [Int32]
    let latencyPresent: [UInt8]
    let latency: [Double]
    let errorPresent: [UInt8]
    let error: [UInt8]
    let item: [Int32]
    let rank: [Int64]
    /// `propensity`, `logging_propensity`, `target_propensity`: presence and value per item.
    let propensities: [(present: [UInt8], value: [Double])]
    let extraPresent: [UInt8]
    let extra: ByteStrings
    let contextKey: [Int32]
    let contextValue: [Int32]

    init(_ w: RecordWriter, users: Int, items: Int, keys: Int, values: Int) throws {
        rows = Int(w.rg.rows)
        let nItems = try w.groupRows("items")
        let nContext = try w.groupRows("context")
        request = try w.codes("request_id", w.requests.count)
        user = try w.codes("user_id", users)
        ts = try w.timestamps()
        itemCount = try w.reader.countColumn(partition: w.partition, table: w.table, rowGroup: w.rowGroup, "item_count", total: nItems)
        contextPresent = try w.bools("context_present")
        contextCount = try w.reader.countColumn(
            partition: w.partition, table: w.table, rowGroup: w.rowGroup, "context_count", total: nContext)
        latencyPresent = try w.bools("latency_ms_present")
        latency = try w.doubles("latency_ms")
        errorPresent = try w.bools("error_present")
        error = try w.bools("error")
        item = try w.codes("item_id", items)
        rank = try w.ints("rank")
        propensities = [
            (try w.bools("propensity_present"), try w.doubles("propensity")),
            (try w.bools("logging_propensity_present"), try w.doubles("logging_propensity")),
            (try w.bools("target_propensity_present"), try w.doubles("target_propensity")),
        ]
        extraPresent = try w.bools("extra_present")
        extra = try w.reader.extraColumn(partition: w.partition, table: w.table, rowGroup: w.rowGroup)
        contextKey = try w.codes("context_key", keys)
        contextValue = try w.codes("context_value", values)
    }
}
