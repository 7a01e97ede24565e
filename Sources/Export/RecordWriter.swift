import ColumnarFormat
import ColumnarStorage

/// Rebuilds the records of one row group as JSON or CSV text.
struct RecordWriter {
    let reader: DatasetReader
    let partition: Int
    let table: Int
    let rowGroup: Int
    let requests: ByteStrings
    let format: ExportFormat

    init(reader: DatasetReader, partition: Int, table: Int, rowGroup: Int, requests: ByteStrings, format: ExportFormat) {
        self.reader = reader
        self.partition = partition
        self.table = table
        self.rowGroup = rowGroup
        self.requests = requests
        self.format = format
    }

    var rg: RowGroupDescriptor { reader.footer.partitions[partition].tables[table][rowGroup] }

    /// Rows of the child list `name` in this row group, found by name in the footer's schema.
    func groupRows(_ name: String) throws -> UInt64 {
        guard let g = reader.footer.tables[table].groups.firstIndex(where: { $0.name == name }) else {
            throw StorageError.corrupt(path: reader.path, reason: "table \(reader.footer.tables[table].name) has no list \(name)")
        }
        return rg.groupRows[g]
    }

    func codes(_ name: String, _ bound: Int) throws -> [Int32] {
        try reader.codeColumn(partition: partition, table: table, rowGroup: rowGroup, name, bound: bound)
    }
    func ints(_ name: String) throws -> [Int64] { try reader.int64Column(partition: partition, table: table, rowGroup: rowGroup, name) }
    func doubles(_ name: String) throws -> [Double] {
        try reader.float64Column(partition: partition, table: table, rowGroup: rowGroup, name)
    }
    func bools(_ name: String) throws -> [UInt8] { try reader.boolColumn(partition: partition, table: table, rowGroup: rowGroup, name) }

    func timestamps() throws -> [Timestamp] {
        let us = try ints("ts_us")
        let ns = try ints("ts_ns")
        let off = try ints("ts_offset_min")
        var out: [Timestamp] = []
        out.reserveCapacity(us.count)
        for i in 0..<us.count {
            guard ns[i] >= 0 && ns[i] < 1000 && abs(off[i]) < 24 * 60 else {
                throw StorageError.corrupt(
                    path: reader.path, reason: "partition \(partition) row group \(rowGroup): timestamp fields out of range")
            }
            out.append(Timestamp(micros: us[i], nanos: Int32(ns[i]), offsetMinutes: Int32(off[i])))
        }
        return out
    }

    // MARK: Text helpers

    static func number(_ d: Double, _ out: inout [UInt8]) {
        if d == 0 && d.sign == .minus {
            out += Array("-0.0".utf8)
        } else if d == d.rounded() && abs(d) < 1e15 {
            out += Array(String(Int64(d)).utf8)
        } else {
            out += Array(d.description.utf8)
        }
    }

    static func string(_ s: ArraySlice<UInt8>, _ out: inout [UInt8]) {
        JSONTextWriter.appendString(s, to: &out)
    }

    static func key(_ k: StaticString, _ out: inout [UInt8]) {
        out.append(0x22)
        out.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
        out.append(0x22)
        out.append(UInt8(ascii: ":"))
    }

    /// A CSV field: quoted when it holds a comma, quote, CR or LF (RFC 4180).
    static func csvField(_ text: [UInt8], _ out: inout [UInt8]) {
        if text.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
            out.append(0x22)
            for b in text {
                if b == 0x22 { out.append(0x22) }
                out.append(b)
            }
            out.append(0x22)
        } else {
            out += text
        }
    }

    func contextObject(_ present: UInt8, _ range: Range<Int>, _ k: [Int32], _ v: [Int32], _ keys: ByteStrings, _ values: ByteStrings) throws
        -> [UInt8]?
    {
        if present == 0 {
            guard range.isEmpty else {
                throw StorageError.corrupt(
                    path: reader.path, reason: "partition \(partition) row group \(rowGroup): an absent context has \(range.count) pairs")
            }
            return nil
        }
        var o: [UInt8] = [UInt8(ascii: "{")]
        for j in range {
            if j > range.lowerBound { o.append(UInt8(ascii: ",")) }
            Self.string(keys[Int(k[j])], &o)
            o.append(UInt8(ascii: ":"))
            Self.string(values[Int(v[j])], &o)
        }
        o.append(UInt8(ascii: "}"))
        return o
    }

    // MARK: Tables

    mutating func exposures(users: ByteStrings, items: ByteStrings, keys: ByteStrings, values: ByteStrings, _ out: inout [UInt8]) throws {
        let c = try ExposureColumns(self, users: users.count, items: items.count, keys: keys.count, values: values.count)
        let (n, req, user, ts, itemCount, ctxPresent, ctxCount) = (
            c.rows, c.request, c.user, c.ts, c.itemCount, c.contextPresent, c.contextCount
        )
        let (latP, lat, errP, err, item, rank) = (c.latencyPresent, c.latency, c.errorPresent, c.error, c.item, c.rank)
        let ((pP, prop), (lP, lprop), (tP, tprop)) = (c.propensities[0], c.propensities[1], c.propensities[2])
        let (xP, extra, ck, cv) = (c.extraPresent, c.extra, c.contextKey, c.contextValue)
        var ii = 0
        var ci = 0
        for r in 0..<n {
            var itemsText: [UInt8] = [UInt8(ascii: "[")]
            for j in ii..<(ii + Int(itemCount[r])) {
                if j > ii { itemsText.append(UInt8(ascii: ",")) }
                itemsText.append(UInt8(ascii: "{"))
                Self.key("item_id", &itemsText)
                Self.string(items[Int(item[j])], &itemsText)
                itemsText.append(UInt8(ascii: ","))
                Self.key("rank", &itemsText)
                itemsText += Array(String(rank[j]).utf8)
                if pP[j] != 0 {
                    itemsText.append(UInt8(ascii: ","))
                    Self.key("propensity", &itemsText)
                    Self.number(prop[j], &itemsText)
                }
                if lP[j] != 0 {
                    itemsText.append(UInt8(ascii: ","))
                    Self.key("logging_propensity", &itemsText)
                    Self.number(lprop[j], &itemsText)
                }
                if tP[j] != 0 {
                    itemsText.append(UInt8(ascii: ","))
                    Self.key("target_propensity", &itemsText)
                    Self.number(tprop[j], &itemsText)
                }
                if xP[j] != 0 {
                    // `extraColumn` checked that the entry is `{` members `}`: splice the members.
                    itemsText.append(UInt8(ascii: ","))
                    itemsText += extra[j].dropFirst().dropLast()
                }
                itemsText.append(UInt8(ascii: "}"))
            }
            itemsText.append(UInt8(ascii: "]"))
            ii += Int(itemCount[r])
            let ctx = try contextObject(ctxPresent[r], ci..<(ci + Int(ctxCount[r])), ck, cv, keys, values)
            ci += Int(ctxCount[r])
            if format == .jsonl {
                out.append(UInt8(ascii: "{"))
                Self.key("request_id", &out)
                Self.string(requests[Int(req[r])], &out)
                out.append(UInt8(ascii: ","))
                Self.key("user_id", &out)
                Self.string(users[Int(user[r])], &out)
                out.append(UInt8(ascii: ","))
                Self.key("ts", &out)
                Self.string(ArraySlice(ts[r].formatted().utf8), &out)
                out.append(UInt8(ascii: ","))
                Self.key("items", &out)
                out += itemsText
                if let ctx {
                    out.append(UInt8(ascii: ","))
                    Self.key("context", &out)
                    out += ctx
                }
                if latP[r] != 0 {
                    out.append(UInt8(ascii: ","))
                    Self.key("latency_ms", &out)
                    Self.number(lat[r], &out)
                }
                if errP[r] != 0 {
                    out.append(UInt8(ascii: ","))
                    Self.key("error", &out)
                    out += Array((err[r] != 0 ? "true" : "false").utf8)
                }
                out.append(UInt8(ascii: "}"))
            } else {
                Self.csvField(Array(requests[Int(req[r])]), &out)
                out.append(0x2C)
                Self.csvField(Array(users[Int(user[r])]), &out)
                out.append(0x2C)
                out += Array(ts[r].formatted().utf8)
                out.append(0x2C)
                Self.csvField(itemsText, &out)
                out.append(0x2C)
                if let ctx { Self.csvField(ctx, &out) }
                out.append(0x2C)
                if latP[r] != 0 { Self.number(lat[r], &out) }
                out.append(0x2C)
                if errP[r] != 0 { out += Array((err[r] != 0 ? "true" : "false").utf8) }
            }
            out.append(0x0A)
        }
    }

    mutating func outcomes(users: ByteStrings, items: ByteStrings, events: ByteStrings, _ out: inout [UInt8]) throws {
        let n = Int(rg.rows)
        let req = try codes("request_id", requests.count)
        let user = try codes("user_id", users.count)
        let item = try codes("item_id", items.count)
        let ev = try codes("event_type", events.count)
        let vP = try bools("value_present")
        let v = try doubles("value")
        let ts = try timestamps()
        for r in 0..<n {
            if format == .jsonl {
                out.append(UInt8(ascii: "{"))
                Self.key("request_id", &out)
                Self.string(requests[Int(req[r])], &out)
                out.append(UInt8(ascii: ","))
                Self.key("user_id", &out)
                Self.string(users[Int(user[r])], &out)
                out.append(UInt8(ascii: ","))
                Self.key("item_id", &out)
                Self.string(items[Int(item[r])], &out)
                out.append(UInt8(ascii: ","))
                Self.key("event_type", &out)
                Self.string(events[Int(ev[r])], &out)
                if vP[r] != 0 {
                    out.append(UInt8(ascii: ","))
                    Self.key("value", &out)
                    Self.number(v[r], &out)
                }
                out.append(UInt8(ascii: ","))
                Self.key("ts", &out)
                Self.string(ArraySlice(ts[r].formatted().utf8), &out)
                out.append(UInt8(ascii: "}"))
            } else {
                Self.csvField(Array(requests[Int(req[r])]), &out)
                out.append(0x2C)
                Self.csvField(Array(users[Int(user[r])]), &out)
                out.append(0x2C)
                Self.csvField(Array(items[Int(item[r])]), &out)
                out.append(0x2C)
                Self.csvField(Array(events[Int(ev[r])]), &out)
                out.append(0x2C)
                if vP[r] != 0 { Self.number(v[r], &out) }
                out.append(0x2C)
                out += Array(ts[r].formatted().utf8)
            }
            out.append(0x0A)
        }
    }

    mutating func assignments(
        users: ByteStrings, experiments: ByteStrings, variants: ByteStrings, keys: ByteStrings, values: ByteStrings, _ out: inout [UInt8]
    ) throws {
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
            let ctx = try contextObject(ctxPresent[r], ci..<(ci + Int(ctxCount[r])), ck, cv, keys, values)
            ci += Int(ctxCount[r])
            if format == .jsonl {
                out.append(UInt8(ascii: "{"))
                Self.key("experiment_id", &out)
                Self.string(experiments[Int(exp[r])], &out)
                out.append(UInt8(ascii: ","))
                Self.key("variant", &out)
                Self.string(variants[Int(variant[r])], &out)
                out.append(UInt8(ascii: ","))
                Self.key("request_id", &out)
                Self.string(requests[Int(req[r])], &out)
                out.append(UInt8(ascii: ","))
                Self.key("user_id", &out)
                Self.string(users[Int(user[r])], &out)
                out.append(UInt8(ascii: ","))
                Self.key("ts", &out)
                Self.string(ArraySlice(ts[r].formatted().utf8), &out)
                if let ctx {
                    out.append(UInt8(ascii: ","))
                    Self.key("context", &out)
                    out += ctx
                }
                out.append(UInt8(ascii: "}"))
            } else {
                Self.csvField(Array(experiments[Int(exp[r])]), &out)
                out.append(0x2C)
                Self.csvField(Array(variants[Int(variant[r])]), &out)
                out.append(0x2C)
                Self.csvField(Array(requests[Int(req[r])]), &out)
                out.append(0x2C)
                Self.csvField(Array(users[Int(user[r])]), &out)
                out.append(0x2C)
                out += Array(ts[r].formatted().utf8)
                out.append(0x2C)
                if let ctx { Self.csvField(ctx, &out) }
            }
            out.append(0x0A)
        }
    }
}
