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

    /// Every group's item counts (`[g * items + i]`), merged from partitions under `lock`
    /// (integer sums commute, so the order partitions arrive in cannot matter).
    final class Totals: @unchecked Sendable {
        var popularity: [Int64]
        var topK: [Int64]
        var catalog: [Bool]
        let lock = Mutex()

        init(groups: Int, items: Int) {
            popularity = [Int64](repeating: 0, count: groups * items)
            topK = popularity
            catalog = [Bool](repeating: false, count: groups * items)
        }
    }

    /// The metrics over every case.
    public static func compute(
        reader: DatasetReader, k: Int, threads: Int, relevantEvents: [String] = ["click", "conversion"], window: TimeWindow? = nil
    ) throws -> DistributionMetrics {
        try compute(reader: reader, k: k, threads: threads, relevantEvents: relevantEvents, window: window, segments: nil)[0]
    }

    /// The metrics of several groups of cases in one pass: with `segments`, one per packed
    /// segment id (`RankingMetrics.Segment.id` over the same slice keys), and, with `everyCase`
    /// (or without segments), a last group of every case. Memory: 26 bytes per catalog item for
    /// each group, so callers pass segments in batches.
    public static func compute(
        reader: DatasetReader, k: Int, threads: Int, relevantEvents: [String] = ["click", "conversion"], window: TimeWindow? = nil,
        segments: (keys: [String], ids: [Int64])?, everyCase: Bool = false
    ) throws -> [DistributionMetrics] {
        precondition(k >= 1, "k must be at least 1")
        let itemCount = try reader.dictionary("item_id").count
        let events = DictionaryIndex(try reader.dictionary("event_type"))
        let wanted = Set(relevantEvents.map { $0.lowercased() })
        var relevantEvent = [Bool](repeating: false, count: events.count)
        for c in 0..<events.count where wanted.contains(events.string(Int32(c)).lowercased()) { relevantEvent[c] = true }
        let isRelevant = relevantEvent
        let all = segments == nil || everyCase
        let groups = (segments?.ids.count ?? 0) + (all ? 1 : 0)
        let totals = Totals(groups: groups, items: itemCount)
        var groupOfID: [Int64: Int] = [:]
        var keyCodes: [Int32] = []
        var keyCount = 0
        var valueCount = 0
        if let segments {
            for (g, id) in segments.ids.enumerated() where groupOfID[id] == nil { groupOfID[id] = g }
            let keys = DictionaryIndex(try reader.dictionary("context_key"))
            keyCodes = segments.keys.map { keys.code(of: $0) ?? -1 }
            keyCount = keys.count
            valueCount = try reader.dictionary("context_value").count
        }
        let groupOf = groupOfID
        let sliceCodes = keyCodes
        let (nKeys, nValues) = (keyCount, valueCount)
        let bySegment = segments != nil
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
            var segmentOf: [Int64] = []
            if bySegment {
                segmentOf = try SegmentKeys.ids(
                    &load, table: "exposures", rows: exReq.count, keys: sliceCodes, keyCount: nKeys, valueCount: nValues)
            }
            // Counts within one partition fit 32 bits (half the memory of the totals' 64); one flat
            // array per count, `[g * items + i]`.
            var pop = [Int32](repeating: 0, count: groups * itemCount)
            var top = [Int32](repeating: 0, count: groups * itemCount)
            var catalog = [Bool](repeating: false, count: groups * itemCount)
            var used = [Bool](repeating: false, count: groups)
            var first = [Bool](repeating: false, count: requests)
            // The group of each case's request (-1: the case is in no wanted group).
            var groupOfCase = [Int32](repeating: -1, count: requests)
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
                // The case's segment group, and the group of every case (the last one).
                let g = bySegment ? groupOf[segmentOf[row]] ?? -1 : -1
                if g < 0 && !all { continue }
                groupOfCase[code] = Int32(g)
                let bases = (g >= 0 ? g * itemCount : -1, all ? (groups - 1) * itemCount : -1)
                if g >= 0 { used[g] = true }
                if all { used[groups - 1] = true }
                for j in a..<b {
                    let item = Int(items[j])
                    if bases.0 >= 0 {
                        pop[bases.0 + item] += 1
                        catalog[bases.0 + item] = true
                    }
                    if bases.1 >= 0 {
                        pop[bases.1 + item] += 1
                        catalog[bases.1 + item] = true
                    }
                }
                @inline(__always) func countTop(_ item: Int) {
                    if bases.0 >= 0 { top[bases.0 + item] += 1 }
                    if bases.1 >= 0 { top[bases.1 + item] += 1 }
                }
                var sorted = true
                if b - a > 1 {
                    for j in (a + 1)..<b where ranks[j] < ranks[j - 1] {
                        sorted = false
                        break
                    }
                }
                if sorted {
                    for j in a..<min(b, a + k) { countTop(Int(items[j])) }
                } else {
                    order = Array(a..<b)
                    order.sort { ranks[$0] < ranks[$1] || (ranks[$0] == ranks[$1] && $0 < $1) }
                    for j in order.prefix(k) { countTop(Int(items[j])) }
                }
            }
            // Relevant items of cases join their groups' catalogs.
            for i in 0..<ocReq.count where isRelevant[Int(ocEvent[i])] && (ocIn.isEmpty || ocIn[i]) {
                let code = Int(ocReq[i])
                let g = Int(groupOfCase[code])
                if g >= 0 { catalog[g * itemCount + Int(ocItem[i])] = true }
                if all && first[code] { catalog[(groups - 1) * itemCount + Int(ocItem[i])] = true }
            }
            totals.lock.lock()
            // The totals leave the shared object while they are added to, so the loop works on
            // local arrays (no exclusivity checks, no uniqueness checks per element).
            var popularity = totals.popularity
            var topK = totals.topK
            var all = totals.catalog
            totals.popularity = []
            totals.topK = []
            totals.catalog = []
            for g in 0..<groups where used[g] {
                for i in (g * itemCount)..<((g + 1) * itemCount) {
                    popularity[i] += Int64(pop[i])
                    topK[i] += Int64(top[i])
                    if catalog[i] { all[i] = true }
                }
            }
            totals.popularity = popularity
            totals.topK = topK
            totals.catalog = all
            totals.lock.unlock()
            return 0
        }
        return (0..<groups).map { g in
            let r = (g * itemCount)..<((g + 1) * itemCount)
            return finish(popularity: totals.popularity[r], topK: totals.topK[r], catalog: totals.catalog[r])
        }
    }

    /// The three metrics from one group's counts (all zero: no case), logarithms taken in
    /// item-code order.
    static func finish(popularity: ArraySlice<Int64>, topK: ArraySlice<Int64>, catalog: ArraySlice<Bool>) -> DistributionMetrics {
        let n = popularity.reduce(0, +)
        let positions = topK.reduce(0, +)
        var covered = 0
        var catalogSize = 0
        var distinct = 0
        var novelty = CompensatedSum()
        var entropy = CompensatedSum()
        for i in catalog.indices {
            if catalog[i] { catalogSize += 1 }
            let c = topK[i]
            guard c > 0 else { continue }
            covered += 1
            distinct += 1
            if popularity[i] > 0 {
                novelty.add(Double(c) * -log2(Double(popularity[i]) / Double(n)))
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
