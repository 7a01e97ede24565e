import ColumnarFormat
import ColumnarStorage

/// recsys-eval's dataset-level metrics at cut-off k (SPEC section 6.3), over the cases of the
/// join (the first exposure of each request), lists in rank order:
///
/// - coverage@k: distinct items in any top-k / distinct items in any full list or relevant set;
/// - novelty@k: mean over every top-k position of -log2(pop(i) / N), where pop counts the item's
///   occurrences across all full lists and N is their total;
/// - diversity@k: entropy of the items' shares of all top-k positions, normalised by
///   log2(number of distinct items) (0 with fewer than two distinct items).
///
/// Partitions only count (integers, so their merge order cannot matter); the logarithms are
/// taken once, in item-code order, so the result is the same for any thread count.
public struct DistributionMetrics: Sendable, Equatable {
    public var coverage: Double
    public var novelty: Double
    public var diversity: Double

    final class Totals: @unchecked Sendable {
        // Guarded by `lock`; partitions add their counts in any order (integer sums commute).
        var popularity: [Int64]
        var topK: [Int64]
        var catalog: [Bool]
        let lock = NSLockLite()

        init(items: Int) {
            popularity = [Int64](repeating: 0, count: items)
            topK = [Int64](repeating: 0, count: items)
            catalog = [Bool](repeating: false, count: items)
        }
    }

    /// With `segment`, only cases whose context has, for each slice key, the given value (nil:
    /// key absent) are counted: the metrics of one segment.
    public static func compute(
        reader: DatasetReader, k: Int, threads: Int, relevantEvents: [String] = ["click", "conversion"], window: TimeWindow? = nil,
        segment: (keys: [String], values: [String?])? = nil
    ) throws -> DistributionMetrics {
        precondition(k >= 1, "k must be at least 1")
        let itemCount = try reader.dictionary("item_id").count
        let events = DictionaryIndex(try reader.dictionary("event_type"))
        let wanted = Set(relevantEvents.map { $0.lowercased() })
        var relevantEvent = [Bool](repeating: false, count: events.count)
        for c in 0..<events.count where wanted.contains(events.string(Int32(c)).lowercased()) { relevantEvent[c] = true }
        let isRelevant = relevantEvent
        let totals = Totals(items: itemCount)
        // The segment as (key code, value code + 1 or 0 for absent) pairs; a key or value the
        // dataset never saw cannot match (-2).
        var wantedPairs: [(Int32, Int32)] = []
        if let segment {
            let keys = DictionaryIndex(try reader.dictionary("context_key"))
            let values = DictionaryIndex(try reader.dictionary("context_value"))
            for (name, value) in zip(segment.keys, segment.values) {
                let kc = keys.code(of: name) ?? -2
                let vc: Int32 = value.map { (values.code(of: $0) ?? -3) + 1 } ?? 0
                wantedPairs.append((kc, vc))
            }
        }
        let filter = wantedPairs
        let filtering = segment != nil
        _ = try Morsels.partitions(of: reader, threads: threads) { p -> Int in
            let requests = Int(reader.footer.partitions[p].requestDictionary.count)
            var load = ColumnLoader(reader: reader, partition: p)
            let exReq = try load.int32("exposures", "request_id", bound: requests)
            let nItems = try load.counts("exposures", "item_count")
            let items = try load.int32("exposures", "item_id", bound: itemCount)
            let ranks = try load.int64("exposures", "rank")
            let ocReq = try load.int32("outcomes", "request_id", bound: requests)
            let ocItem = try load.int32("outcomes", "item_id", bound: itemCount)
            let ocEvent = try load.int32("outcomes", "event_type", bound: events.count)
            var exIn: [Bool] = []
            var ocIn: [Bool] = []
            if let window {
                exIn = window.mask(micros: try load.int64("exposures", "ts_us"), nanos: try load.int64("exposures", "ts_ns"))
                ocIn = window.mask(micros: try load.int64("outcomes", "ts_us"), nanos: try load.int64("outcomes", "ts_ns"))
            }
            var inSegment: [Bool] = []
            if filtering {
                let nPairs = try load.counts("exposures", "context_count")
                let key = try load.int32("exposures", "context_key", bound: Int(Int32.max))
                let value = try load.int32("exposures", "context_value", bound: Int(Int32.max))
                inSegment = [Bool](repeating: false, count: exReq.count)
                var pair = 0
                for row in 0..<exReq.count {
                    let pairs = pair..<(pair + Int(nPairs[row]))
                    pair += Int(nPairs[row])
                    inSegment[row] = filter.allSatisfy { kc, vc in
                        var found: Int32 = 0
                        if kc >= 0 { for q in pairs where key[q] == kc { found = value[q] + 1 } }
                        return found == vc
                    }
                }
            }
            var pop = [Int64](repeating: 0, count: itemCount)
            var top = [Int64](repeating: 0, count: itemCount)
            var catalog = [Bool](repeating: false, count: itemCount)
            var first = [Bool](repeating: false, count: requests)
            var caseIsOut = [Bool](repeating: false, count: requests)
            var start = 0
            var order: [Int] = []
            for row in 0..<exReq.count {
                let a = start
                let b = start + Int(nItems[row])
                start = b
                let code = Int(exReq[row])
                if !exIn.isEmpty && !exIn[row] { continue }  // outside the time window
                if first[code] { continue }  // a later duplicate is not a case
                first[code] = true
                if filtering && !inSegment[row] {
                    caseIsOut[code] = true
                    continue
                }
                for j in a..<b {
                    pop[Int(items[j])] += 1
                    catalog[Int(items[j])] = true
                }
                var sorted = true
                if b - a > 1 {
                    for j in (a + 1)..<b where ranks[j] < ranks[j - 1] {
                        sorted = false
                        break
                    }
                }
                if sorted {
                    for j in a..<min(b, a + k) { top[Int(items[j])] += 1 }
                } else {
                    order = Array(a..<b)
                    order.sort { ranks[$0] < ranks[$1] || (ranks[$0] == ranks[$1] && $0 < $1) }
                    for j in order.prefix(k) { top[Int(items[j])] += 1 }
                }
            }
            // Relevant items of cases join the catalog.
            for i in 0..<ocReq.count
            where isRelevant[Int(ocEvent[i])] && first[Int(ocReq[i])] && !caseIsOut[Int(ocReq[i])] && (ocIn.isEmpty || ocIn[i]) {
                catalog[Int(ocItem[i])] = true
            }
            totals.lock.lock()
            for i in 0..<itemCount {
                totals.popularity[i] += pop[i]
                totals.topK[i] += top[i]
                if catalog[i] { totals.catalog[i] = true }
            }
            totals.lock.unlock()
            return 0
        }
        let n = totals.popularity.reduce(0, +)
        let positions = totals.topK.reduce(0, +)
        var covered = 0
        var catalogSize = 0
        var distinct = 0
        var novelty = CompensatedSum()
        var entropy = CompensatedSum()
        for i in 0..<itemCount {
            if totals.catalog[i] { catalogSize += 1 }
            let c = totals.topK[i]
            guard c > 0 else { continue }
            covered += 1
            distinct += 1
            if totals.popularity[i] > 0 {
                novelty.add(Double(c) * -log2(Double(totals.popularity[i]) / Double(n)))
            }
            let share = Double(c) / Double(positions)
            entropy.add(-share * log2(share))
        }
        return DistributionMetrics(
            coverage: catalogSize == 0 ? 0 : Double(covered) / Double(catalogSize),
            novelty: n == 0 || positions == 0 ? 0 : novelty.value / Double(positions),
            diversity: positions == 0 || distinct < 2 ? 0 : entropy.value / log2(Double(distinct)))
    }
}

#if canImport(Glibc)
    import Glibc
#endif
