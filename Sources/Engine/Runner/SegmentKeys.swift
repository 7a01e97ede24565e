import ColumnarStorage

/// recsys-eval's segments: each row's values of some context keys packed into one id
/// (value code + 1 per key, 0 when the row lacks the key, in base `values + 1`), and the id's
/// text key `k1=v1|k2=v2` with parts sorted byte-wise (`k=` for an absent key).
public enum SegmentKeys {
    /// The packed id of every row of `table` (one with a `context` list) in the partition `load` reads.
    static func ids(
        _ load: inout ColumnLoader, table: String, rows: Int, keys: [Int32], keyCount: Int, valueCount: Int
    ) throws -> [Int64] {
        let nPairs = try load.counts(table, "context_count")
        let key = try load.int32(table, "context_key", bound: keyCount)
        let value = try load.int32(table, "context_value", bound: valueCount)
        return try ids(
            counts: nPairs, keys: key, values: value, rows: rows, of: keys, valueCount: valueCount, path: load.reader.path,
            partition: load.partition, table: table)
    }

    /// The packed id of every row from its context columns, loaded already (`counts` pairs per
    /// row, their `keys` and `values`), for the context keys `of`.
    static func ids(
        counts nPairs: [Int32], keys key: [Int32], values value: [Int32], rows: Int, of keys: [Int32], valueCount: Int, path: String,
        partition: Int, table: String
    ) throws -> [Int64] {
        let nValues = Int64(valueCount) + 1
        var out = [Int64](repeating: 0, count: rows)
        var pair = 0
        for row in 0..<rows {
            let pairs = pair..<(pair + Int(nPairs[row]))
            pair += Int(nPairs[row])
            guard pair <= key.count else { break }
            var g: Int64 = 0
            for kc in keys {
                var found: Int64 = 0
                if kc >= 0 { for q in pairs where key[q] == kc { found = Int64(value[q]) + 1 } }
                g = g * nValues + found
            }
            out[row] = g
        }
        guard pair == key.count, value.count == key.count else {
            throw StorageError.corrupt(path: path, reason: "partition \(partition) \(table): context counts do not match the pairs")
        }
        return out
    }

    /// The values (nil when absent) a packed id stands for, in `names` order.
    static func values(_ id: Int64, count: Int, values: DictionaryIndex) -> [String?] {
        let nValues = Int64(values.count) + 1
        var rest = id
        var out: [String?] = []
        for _ in 0..<count {
            let f = rest % nValues
            rest /= nValues
            out.insert(f == 0 ? nil : values.string(Int32(f - 1)), at: 0)
        }
        return out
    }

    /// The text key of a packed id; `__all__` without keys.
    static func key(_ id: Int64, names: [String], values dictionary: DictionaryIndex) -> String {
        key(values(id, count: names.count, values: dictionary), names: names)
    }

    /// The text key of a segment's values (nil: the row lacks the key); `__all__` without keys.
    static func key(_ values: [String?], names: [String]) -> String {
        guard !names.isEmpty else { return "__all__" }
        let parts = zip(names, values).map { "\($0)=" + ($1 ?? "") }
        return parts.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }.joined(separator: "|")
    }

    /// The packed id of a segment's values in a dataset whose context values are `dictionary`;
    /// nil when a value is not in it (no row of that dataset is in the segment).
    static func id(_ values: [String?], values dictionary: DictionaryIndex) -> Int64? {
        let nValues = Int64(dictionary.count) + 1
        var g: Int64 = 0
        for v in values {
            var found: Int64 = 0
            if let v {
                guard let code = dictionary.code(of: v) else { return nil }
                found = Int64(code) + 1
            }
            g = g * nValues + found
        }
        return g
    }

    /// Groups keyed by packed id, as (text key, group) pairs sorted byte-wise by key; two
    /// segments whose keys read the same (an absent value and "", or values holding `|` or `=`)
    /// in the order of their values (`ExperimentState.precedes`), never a hash table's order.
    static func named<T>(_ groups: [Int64: T], names: [String], values: DictionaryIndex) -> [(key: String, value: T)] {
        groups.map {
            (
                key: key($0.key, names: names, values: values), segment: self.values($0.key, count: names.count, values: values),
                value: $0.value
            )
        }
        .sorted { ExperimentState.precedes(($0.key, $0.segment), ($1.key, $1.segment)) }
        .map { (key: $0.key, value: $0.value) }
    }
}
