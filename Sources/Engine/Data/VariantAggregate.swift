import CPrefetch
import ColumnarFormat
import ColumnarStorage

/// Requests, items shown, clicked requests and clicks per experiment variant and per value of
/// some context keys: every exposure row (duplicates included) joined to its request's
/// assignment (the last one, of the chosen experiment), with the request's click count attached.
/// This is the SQL
///
///     SELECT a.variant, e.<keys>, count(*), sum(len(e.items)), count(c.clicks), sum(c.clicks)
///     FROM exposures e JOIN assignments a USING (request_id)
///          LEFT JOIN (SELECT request_id, count(*) clicks FROM outcomes
///                     WHERE event_type = 'click' GROUP BY request_id) c USING (request_id)
///     GROUP BY ALL
///
/// computed partition by partition through request codes, and merged in partition order.
public struct VariantGroup: Sendable, Equatable {
    public var variant: String
    /// One value per grouping key; nil when the exposure's context lacks the key.
    public var keys: [String?]
    public var requests = 0
    public var items = 0
    public var clickedRequests = 0
    public var clicks = 0
}

public struct VariantAggregate {
    /// How many exposure rows ahead the loop prefetches the request entry of.
    static let prefetchDistance = 16

    public struct Result: Sendable {
        public var groups: [VariantGroup]
        public var exposureRows: Int
        public var bytesTouched: Int
    }

    /// Runs the aggregate on `threads` threads; the result does not depend on the thread count.
    public static func run(reader: DatasetReader, threads: Int, experiment: String?, groupBy keys: [String]) throws -> Result {
        let variants = DictionaryIndex(try reader.dictionary("variant"))
        let experiments = DictionaryIndex(try reader.dictionary("experiment_id"))
        let events = DictionaryIndex(try reader.dictionary("event_type"))
        let ctxKeys = DictionaryIndex(try reader.dictionary("context_key"))
        let ctxValues = DictionaryIndex(try reader.dictionary("context_value"))
        let expCode: Int32? = try experiment.map { name in
            guard let c = experiments.code(of: name) else {
                throw StorageError.input(path: reader.path, reason: "no assignment has experiment_id \"\(name)\"")
            }
            return c
        }
        let clickCode = events.code(of: "click") ?? -1
        let keyCodes = keys.map { ctxKeys.code(of: $0) ?? -1 }
        struct Partial: Sendable {
            var groups: [Int64: (requests: Int, items: Int, clicked: Int, clicks: Int)] = [:]
            var order: [Int64] = []
            var rows = 0
            var bytes = 0
        }
        let nValues = Int64(ctxValues.count) + 1
        // Group ids are dense when variants x values^keys is small: accumulate in flat arrays.
        var space: Int64 = Int64(max(variants.count, 1))
        for _ in keyCodes { space = space.multipliedReportingOverflow(by: nValues).overflow ? Int64.max : space * nValues }
        let dense = space <= 1 << 20 ? Int(space) : 0
        let partials = try Morsels.partitions(of: reader, threads: threads) { p -> Partial in
            let requests = Int(reader.footer.partitions[p].requestDictionary.count)
            var load = ColumnLoader(reader: reader, partition: p)
            // Assignments: last wins.
            let asReq = try load.int32("assignments", "request_id", bound: requests)
            let asVariant = try load.int32("assignments", "variant", bound: variants.count)
            let asExp = try load.int32("assignments", "experiment_id", bound: experiments.count)
            // Each request's variant and clicks side by side: the exposure loop's one random
            // access per row reads both from one cache line.
            var request = [(variant: Int32, clicks: Int32)](repeating: (-1, 0), count: requests)
            for i in 0..<asReq.count where expCode == nil || asExp[i] == expCode! {
                request[Int(asReq[i])].variant = asVariant[i]
            }
            // Clicks per request.
            let ocReq = try load.int32("outcomes", "request_id", bound: requests)
            let ocEvent = try load.int32("outcomes", "event_type", bound: events.count)
            for i in 0..<ocReq.count where ocEvent[i] == clickCode { request[Int(ocReq[i])].clicks += 1 }
            // Exposures.
            let exReq = try load.int32("exposures", "request_id", bound: requests)
            let nItems = try load.counts("exposures", "item_count")
            let nPairs = try load.counts("exposures", "context_count")
            let key = try load.int32("exposures", "context_key", bound: ctxKeys.count)
            let value = try load.int32("exposures", "context_value", bound: ctxValues.count)
            var out = Partial()
            out.rows = exReq.count
            // `counts` checked that the pair counts add up to the pairs, so every range below
            // lies inside `key` and `value`.
            guard nPairs.reduce(0, { $0 + Int($1) }) == key.count, key.count == value.count else {
                throw StorageError.corrupt(path: reader.path, reason: "partition \(p): context counts do not match the pairs")
            }
            var denseAcc = [Int](repeating: 0, count: dense * 4)
            // The loop reads through buffer pointers: no bounds or uniqueness checks per row.
            exReq.withUnsafeBufferPointer { exReq in
                nItems.withUnsafeBufferPointer { nItems in
                    nPairs.withUnsafeBufferPointer { nPairs in
                        key.withUnsafeBufferPointer { key in
                            value.withUnsafeBufferPointer { value in
                                request.withUnsafeBufferPointer { request in
                                    denseAcc.withUnsafeMutableBufferPointer { denseAcc in
                                        var pair = 0
                                        let rows = exReq.count
                                        for row in 0..<rows {
                                            // A later row's request entry: the table is larger
                                            // than the cache the decoded columns leave it.
                                            if row + Self.prefetchDistance < rows {
                                                receval_prefetch(request.baseAddress! + Int(exReq[row + Self.prefetchDistance]))
                                            }
                                            let code = Int(exReq[row])
                                            let first = pair
                                            pair += Int(nPairs[row])
                                            let (v, clicks) = request[code]
                                            if v < 0 { continue }
                                            var g = Int64(v)
                                            for kc in keyCodes {
                                                var found: Int64 = 0  // 0: key absent; value code + 1 otherwise
                                                if kc >= 0 {
                                                    for j in first..<pair where key[j] == kc { found = Int64(value[j]) + 1 }
                                                }
                                                g = g * nValues + found
                                            }
                                            let c = Int(clicks)
                                            let n = Int(nItems[row])
                                            if dense > 0 {
                                                let k = Int(g) * 4
                                                if denseAcc[k] == 0 { out.order.append(g) }
                                                denseAcc[k] += 1
                                                denseAcc[k + 1] += n
                                                denseAcc[k + 2] += c > 0 ? 1 : 0
                                                denseAcc[k + 3] += c
                                            } else if var acc = out.groups[g] {
                                                acc.requests += 1
                                                acc.items += n
                                                acc.clicked += c > 0 ? 1 : 0
                                                acc.clicks += c
                                                out.groups[g] = acc
                                            } else {
                                                out.groups[g] = (1, n, c > 0 ? 1 : 0, c)
                                                out.order.append(g)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if dense > 0 {
                for g in out.order {
                    let k = Int(g) * 4
                    out.groups[g] = (denseAcc[k], denseAcc[k + 1], denseAcc[k + 2], denseAcc[k + 3])
                }
            }
            out.bytes = load.bytesTouched
            return out
        }
        var merged: [Int64: VariantGroup] = [:]
        var rows = 0
        var bytes = 0
        for part in partials {
            rows += part.rows
            bytes += part.bytes
            for g in part.order {
                let acc = part.groups[g]!
                if merged[g] == nil {
                    var rest = g
                    var values: [String?] = []
                    for _ in keyCodes {
                        let f = rest % nValues
                        rest /= nValues
                        values.insert(f == 0 ? nil : ctxValues.string(Int32(f - 1)), at: 0)
                    }
                    merged[g] = VariantGroup(variant: variants.string(Int32(rest)), keys: values)
                }
                merged[g]!.requests += acc.requests
                merged[g]!.items += acc.items
                merged[g]!.clickedRequests += acc.clicked
                merged[g]!.clicks += acc.clicks
            }
        }
        let groups = merged.values.sorted { a, b in
            if a.variant != b.variant { return Array(a.variant.utf8).lexicographicallyPrecedes(Array(b.variant.utf8)) }
            for (x, y) in zip(a.keys, b.keys) where x != y {
                guard let x else { return false }
                guard let y else { return true }
                return Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8))
            }
            return false
        }
        return Result(groups: groups, exposureRows: rows, bytesTouched: bytes)
    }
}

/// The join alone, over every partition, with recsys-eval's semantics.
public enum DatasetJoin {
    public struct Result: Sendable {
        public var counts: JoinCounts
        public var bytesTouched: Int
    }

    public static func run(reader: DatasetReader, threads: Int, experiment: String? = nil, window: TimeWindow? = nil) throws -> Result {
        let variants = try reader.dictionary("variant").count
        let items = try reader.dictionary("item_id").count
        let mask = try ExperimentFilter.mask(reader: reader, experiment: experiment)
        let empty = try EmptyStrings(reader: reader)
        let parts = try Morsels.partitions(of: reader, threads: threads) { p -> (JoinCounts, Int) in
            let j = try PartitionJoin(
                reader: reader, partition: p, experiments: mask, variantCount: variants, itemCount: items, empty: empty, window: window)
            return (j.counts, j.bytesTouched)
        }
        return Result(counts: parts.reduce(JoinCounts()) { $0 + $1.0 }, bytesTouched: parts.reduce(0) { $0 + $1.1 })
    }
}
