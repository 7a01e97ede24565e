import ColumnarFormat
import ColumnarStorage
import ParquetFormat

/// `receval export --format parquet`: a table as Parquet (format-spec/parquet.md), one row
/// group per dataset partition, zstd pages, statistics per chunk. Exposures nest as they are
/// logged (`items` a list of structs, `context` a map of strings), or flat with one row per shown
/// item (`Layout.items`, what analysts query). Timestamps are UTC microseconds with the offset
/// and the sub-microsecond nanoseconds in columns of their own, so every value of the JSONL
/// export is there.
public struct ParquetExporter {
    public enum Layout: String, Sendable, CaseIterable {
        case records, items
    }

    public let reader: DatasetReader
    public init(reader: DatasetReader) { self.reader = reader }

    static let string = ParquetAnnotation.string
    typealias Node = ParquetSchema.Node

    static func ts() -> [Node] {
        [
            .leaf(name: "ts", type: .int64, repetition: .required, annotation: .timestampMicrosUTC),
            .leaf(name: "ts_nanos", type: .int32, repetition: .required, annotation: nil),
            .leaf(name: "ts_offset_minutes", type: .int32, repetition: .required, annotation: nil),
        ]
    }

    static let context: Node = .group(
        name: "context", repetition: .optional, annotation: .map,
        children: [
            .group(
                name: "key_value", repetition: .repeated, annotation: nil,
                children: [
                    .leaf(name: "key", type: .byteArray, repetition: .required, annotation: string),
                    .leaf(name: "value", type: .byteArray, repetition: .required, annotation: string),
                ])
        ])

    static let itemFields: [Node] = [
        .leaf(name: "item_id", type: .byteArray, repetition: .required, annotation: string),
        .leaf(name: "rank", type: .int64, repetition: .required, annotation: nil),
        .leaf(name: "propensity", type: .double, repetition: .optional, annotation: nil),
        .leaf(name: "logging_propensity", type: .double, repetition: .optional, annotation: nil),
        .leaf(name: "target_propensity", type: .double, repetition: .optional, annotation: nil),
        .leaf(name: "extra", type: .byteArray, repetition: .optional, annotation: .json),
    ]

    /// The schema of `table` in `layout`.
    public static func schema(table: String, layout: Layout) -> ParquetSchema {
        func str(_ n: String) -> Node { .leaf(name: n, type: .byteArray, repetition: .required, annotation: string) }
        switch (table, layout) {
        case ("exposures", .records):
            return ParquetSchema(
                [str("request_id"), str("user_id")] + ts() + [
                    .group(
                        name: "items", repetition: .required, annotation: .list,
                        children: [
                            .group(
                                name: "list", repetition: .repeated, annotation: nil,
                                children: [.group(name: "element", repetition: .required, annotation: nil, children: itemFields)])
                        ]),
                    context,
                    .leaf(name: "latency_ms", type: .double, repetition: .optional, annotation: nil),
                    .leaf(name: "error", type: .boolean, repetition: .optional, annotation: nil),
                ])
        case ("exposures", .items):
            return ParquetSchema(
                [str("request_id"), str("user_id")] + ts() + [
                    .leaf(name: "position", type: .int32, repetition: .required, annotation: nil),
                    .leaf(name: "item_count", type: .int32, repetition: .required, annotation: nil),
                ] + itemFields + [
                    context,
                    .leaf(name: "latency_ms", type: .double, repetition: .optional, annotation: nil),
                    .leaf(name: "error", type: .boolean, repetition: .optional, annotation: nil),
                ])
        case ("outcomes", _):
            return ParquetSchema(
                [str("request_id"), str("user_id"), str("item_id"), str("event_type")]
                    + [.leaf(name: "value", type: .double, repetition: .optional, annotation: nil)] + ts())
        default:
            return ParquetSchema([str("experiment_id"), str("variant"), str("request_id"), str("user_id")] + ts() + [context])
        }
    }

    /// The dataset dictionary a column's values are codes of (nil: written PLAIN).
    static func dictionaryName(_ path: [String]) -> String? {
        switch path.last {
        case "user_id", "item_id", "event_type", "experiment_id", "variant": path.last
        case "key" where path.first == "context": "context_key"
        case "value" where path.first == "context": "context_value"
        default: nil
        }
    }

    /// Writes `table` to `sink` as Parquet: partitions are read and encoded on `threads` threads,
    /// at most two per thread at once, and written in order.
    public func export(
        table: String, layout: Layout = .records, createdBy: String, threads: Int = 1, sink: @escaping ([UInt8]) throws -> Void
    ) throws {
        guard let t = reader.tableIndex(table) else { throw StorageError.corrupt(path: reader.path, reason: "no table named \(table)") }
        precondition(layout == .records || table == "exposures", "the items layout is for exposures")
        let schema = Self.schema(table: table, layout: layout)
        let writer = try ParquetFileWriter(schema: schema, createdBy: createdBy, sink: sink)
        var dicts: [String: ByteStrings] = [:]
        for name in ["user_id", "item_id", "context_key", "context_value", "event_type", "experiment_id", "variant"] {
            dicts[name] = try reader.dictionary(name)
        }
        let dictionaries = dicts
        let parquetDictionaries = dicts.mapValues { ParquetDictionary(offsets: $0.offsets, data: $0.data) }
        @Sendable func dict(_ name: String) throws -> ByteStrings { dictionaries[name]! }
        let reader = self.reader
        try Morsels.foldPartitions(of: reader, threads: threads) { p -> ParquetFileWriter.EncodedRowGroup? in
            let requests = try reader.requestDictionary(partition: p)
            // Id columns are dictionary-coded with the dataset's own (sorted) dictionaries.
            var columns = schema.columns.map { c in
                ParquetColumnBuffer(c, dictionary: Self.dictionaryName(c.path).flatMap { parquetDictionaries[$0] })
            }
            var rows = 0
            for g in 0..<reader.footer.partitions[p].tables[t].count {
                let w = RecordWriter(reader: reader, partition: p, table: t, rowGroup: g, requests: requests, format: .jsonl)
                switch table {
                case "exposures":
                    rows += try w.parquetExposures(
                        &columns, layout: layout, users: dict("user_id"), items: dict("item_id"), keys: dict("context_key"),
                        values: dict("context_value"))
                case "outcomes":
                    rows += try w.parquetOutcomes(&columns, users: dict("user_id"), items: dict("item_id"), events: dict("event_type"))
                default:
                    rows += try w.parquetAssignments(
                        &columns, users: dict("user_id"), experiments: dict("experiment_id"), variants: dict("variant"),
                        keys: dict("context_key"), values: dict("context_value"))
                }
            }
            return rows > 0 ? writer.encode(columns, rows: rows) : nil
        } combine: { group in
            if let group { try writer.write(group) }
        }
        try writer.finish()
    }
}

extension RecordWriter {
    /// Appends a timestamp's three columns at `at` (ts, ts_nanos, ts_offset_minutes).
    static func appendTimestamp(_ t: Timestamp, _ columns: inout [ParquetColumnBuffer], at i: Int) {
        columns[i].append(t.micros)
        columns[i + 1].append(Int32(t.nanos))
        columns[i + 2].append(t.offsetMinutes)
    }

    /// Appends a context map at `at` (key, value columns); `present` 0: no context.
    func appendContext(
        _ present: UInt8, _ range: Range<Int>, _ k: [Int32], _ v: [Int32], _ keys: ByteStrings, _ values: ByteStrings,
        _ columns: inout [ParquetColumnBuffer], at i: Int, repetition r: Int = 0
    ) throws {
        let base = r
        if present == 0 {
            guard range.isEmpty else {
                throw StorageError.corrupt(
                    path: reader.path, reason: "partition \(partition) row group \(rowGroup): an absent context has \(range.count) pairs")
            }
            columns[i].appendNull(repetition: base, definition: 0)
            columns[i + 1].appendNull(repetition: base, definition: 0)
        } else if range.isEmpty {
            columns[i].appendNull(repetition: base, definition: 1)
            columns[i + 1].appendNull(repetition: base, definition: 1)
        } else {
            for (n, j) in range.enumerated() {
                columns[i].append(code: k[j], repetition: n == 0 ? base : 1)
                columns[i + 1].append(code: v[j], repetition: n == 0 ? base : 1)
            }
        }
    }

    func parquetExposures(
        _ columns: inout [ParquetColumnBuffer], layout: ParquetExporter.Layout, users: ByteStrings, items: ByteStrings,
        keys: ByteStrings, values: ByteStrings
    ) throws -> Int {
        let c = try ExposureColumns(self, users: users.count, items: items.count, keys: keys.count, values: values.count)
        let (n, req, user, ts, itemCount, ctxPresent, ctxCount) = (
            c.rows, c.request, c.user, c.ts, c.itemCount, c.contextPresent, c.contextCount
        )
        let (latP, lat, errP, err, itemCode, rank) = (c.latencyPresent, c.latency, c.errorPresent, c.error, c.item, c.rank)
        let (optional, xP, extra, ck, cv) = (c.propensities, c.extraPresent, c.extra, c.contextKey, c.contextValue)
        var ii = 0
        var ci = 0
        var rows = 0
        // Column positions: request_id 0, user_id 1, ts 2-4, then the layout's columns.
        for r in 0..<n {
            let list = ii..<(ii + Int(itemCount[r]))
            let pairs = ci..<(ci + Int(ctxCount[r]))
            ii = list.upperBound
            ci = pairs.upperBound
            func head() {
                columns[0].append(bytes: requests[Int(req[r])])
                columns[1].append(code: user[r])
                Self.appendTimestamp(ts[r], &columns, at: 2)
            }
            func item(_ j: Int, at i: Int, repetition rep: Int, definition d: Int) {
                columns[i].append(code: itemCode[j], repetition: rep)
                columns[i + 1].append(rank[j], repetition: rep)
                for (k, (present, value)) in optional.enumerated() {
                    if present[j] != 0 {
                        columns[i + 2 + k].append(value[j], repetition: rep)
                    } else {
                        columns[i + 2 + k].appendNull(repetition: rep, definition: d)
                    }
                }
                if xP[j] != 0 {
                    columns[i + 5].append(bytes: extra[j], repetition: rep)
                } else {
                    columns[i + 5].appendNull(repetition: rep, definition: d)
                }
            }
            func tail(at i: Int) throws {
                try appendContext(ctxPresent[r], pairs, ck, cv, keys, values, &columns, at: i)
                if latP[r] != 0 { columns[i + 2].append(lat[r]) } else { columns[i + 2].appendNull(repetition: 0, definition: 0) }
                if errP[r] != 0 { columns[i + 3].append(err[r] != 0) } else { columns[i + 3].appendNull(repetition: 0, definition: 0) }
            }
            switch layout {
            case .records:
                head()
                if list.isEmpty {
                    for c in 5..<11 { columns[c].appendNull(repetition: 0, definition: 0) }
                } else {
                    for (k, j) in list.enumerated() { item(j, at: 5, repetition: k == 0 ? 0 : 1, definition: 1) }
                }
                try tail(at: 11)
                rows += 1
            case .items:
                for (k, j) in list.enumerated() {
                    head()
                    columns[5].append(Int32(k + 1))
                    columns[6].append(Int32(list.count))
                    item(j, at: 7, repetition: 0, definition: 0)
                    try tail(at: 13)
                    rows += 1
                }
            }
        }
        return rows
    }

    func parquetOutcomes(_ columns: inout [ParquetColumnBuffer], users: ByteStrings, items: ByteStrings, events: ByteStrings) throws -> Int
    {
        let n = Int(rg.rows)
        let req = try codes("request_id", requests.count)
        let user = try codes("user_id", users.count)
        let item = try codes("item_id", items.count)
        let ev = try codes("event_type", events.count)
        let vP = try bools("value_present")
        let v = try doubles("value")
        let ts = try timestamps()
        for r in 0..<n {
            columns[0].append(bytes: requests[Int(req[r])])
            columns[1].append(code: user[r])
            columns[2].append(code: item[r])
            columns[3].append(code: ev[r])
            if vP[r] != 0 { columns[4].append(v[r]) } else { columns[4].appendNull(repetition: 0, definition: 0) }
            Self.appendTimestamp(ts[r], &columns, at: 5)
        }
        return n
    }

    func parquetAssignments(
        _ columns: inout [ParquetColumnBuffer], users: ByteStrings, experiments: ByteStrings, variants: ByteStrings, keys: ByteStrings,
        values: ByteStrings
    ) throws -> Int {
        let n = Int(rg.rows)
        let nCtx = try groupRows("context")
        let req = try codes("request_id", requests.count)
        let user = try codes("user_id", users.count)
        let exp = try codes("experiment_id", experiments.count)
        let variant = try codes("variant", variants.count)
        let ts = try timestamps()
        let ctxPresent = try bools("context_present")
        let ctxCount = try reader.countColumn(partition: partition, table: table, rowGroup: rowGroup, "context_count", total: nCtx)
        let ck = try codes("context_key", keys.count)
        let cv = try codes("context_value", values.count)
        var ci = 0
        for r in 0..<n {
            columns[0].append(code: exp[r])
            columns[1].append(code: variant[r])
            columns[2].append(bytes: requests[Int(req[r])])
            columns[3].append(code: user[r])
            Self.appendTimestamp(ts[r], &columns, at: 4)
            let pairs = ci..<(ci + Int(ctxCount[r]))
            ci = pairs.upperBound
            try appendContext(ctxPresent[r], pairs, ck, cv, keys, values, &columns, at: 7)
        }
        return n
    }
}
