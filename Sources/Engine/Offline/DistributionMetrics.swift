import CPrefetch
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

    /// The workers' tables, and the 64-bit totals a table is flushed into when its 32-bit counts
    /// could overflow (made only then). Integer sums commute, so which partitions a table saw
    /// cannot matter. Every member is used under `lock`, which makes `@unchecked Sendable` sound.
    final class Totals: @unchecked Sendable {
        private(set) var popularity: [Int64] = []
        private(set) var topK: [Int64] = []
        private(set) var catalog: [Bool] = []
        private let lock = Mutex()
        /// Worker tables not in use.
        private(set) var idle: [Counts] = []
        let groups: Int
        let items: Int

        init(groups: Int, items: Int) {
            self.groups = groups
            self.items = items
        }

        func borrow() -> Counts { lock.withLock { idle.popLast() } ?? Counts(groups: groups, items: items) }

        func giveBack(_ c: Counts) { lock.withLock { idle.append(c) } }

        /// Adds a table's counts into the 64-bit totals and zeroes it.
        func flush(_ c: inout Counts) {
            lock.withLock {
                if popularity.isEmpty {
                    popularity = [Int64](repeating: 0, count: groups * items)
                    topK = popularity
                    catalog = [Bool](repeating: false, count: groups * items)
                }
                for g in 0..<groups where c.used[g] {
                    for i in (g * items)..<((g + 1) * items) {
                        let cell = c.cells[i]
                        popularity[i] += Int64(cell & 0xFFFF_FFFF)
                        topK[i] += Int64(cell >> 32)
                        if cell != 0 || c.relevant[i] { catalog[i] = true }
                    }
                }
            }
            c.reset()
        }

        /// Group `g`'s counts over every table and the flushed totals (call once no table is
        /// borrowed), added into `pop`, `top` and `seen` (each `items` long).
        func add(group g: Int, pop: inout [Int64], top: inout [Int64], seen: inout [Bool]) {
            let r = (g * items)..<((g + 1) * items)
            for t in idle where t.used[g] {
                for (i, j) in r.enumerated() {
                    let cell = t.cells[j]
                    pop[i] += Int64(cell & 0xFFFF_FFFF)
                    top[i] += Int64(cell >> 32)
                    if cell != 0 || t.relevant[j] { seen[i] = true }
                }
            }
            if !popularity.isEmpty {
                for (i, j) in r.enumerated() {
                    pop[i] += popularity[j]
                    top[i] += topK[j]
                    if catalog[j] { seen[i] = true }
                }
            }
        }
    }

    /// One worker's counts, `[g * items + i]`, filled over several partitions. Counts are 32-bit;
    /// `added` bounds every cell (no cell grows by more than the items added), and the table is
    /// flushed into the 64-bit totals before that bound could overflow.
    ///
    /// A cell holds an item's popularity in its low 32 bits and its top-k positions in the high 32
    /// (never more than the popularity), so counting a shown item touches one cache line of the
    /// large table, not two or three; the catalog is the items shown (a cell not zero) and the
    /// items of relevant outcomes (`relevant`, rarely written).
    struct Counts {
        var cells: [UInt64]
        var relevant: [Bool]
        var used: [Bool]
        var added = 0

        init(groups: Int, items: Int) {
            cells = [UInt64](repeating: 0, count: groups * items)
            relevant = [Bool](repeating: false, count: groups * items)
            used = [Bool](repeating: false, count: groups)
        }

        mutating func reset() {
            for i in cells.indices {
                cells[i] = 0
                relevant[i] = false
            }
            for g in used.indices { used[g] = false }
            added = 0
        }
    }

    /// Bytes held per catalog item and group by a pass on `threads` workers.
    public static func bytesPerItemAndGroup(threads: Int) -> Int { 9 * max(threads, 1) }

    /// The metrics over every case.
    public static func compute(
        reader: DatasetReader, k: Int, threads: Int, relevantEvents: [String] = ["click", "conversion"], window: TimeWindow? = nil
    ) throws -> DistributionMetrics {
        try compute(reader: reader, k: k, threads: threads, relevantEvents: relevantEvents, window: window, segments: nil)[0]
    }

    /// The metrics of several groups of cases in one pass: with `segments`, one per packed
    /// segment id (`RankingMetrics.Segment.id` over the same slice keys), and, with `everyCase`
    /// (or without segments), a last group of every case. Memory per catalog item and group: 9
    /// bytes in each worker's table (`bytesPerItemAndGroup`), so callers pass segments in batches.
    public static func compute(
        reader: DatasetReader, k: Int, threads: Int, relevantEvents: [String] = ["click", "conversion"], window: TimeWindow? = nil,
        segments: (keys: [String], ids: [Int64])?, everyCase: Bool = false
    ) throws -> [DistributionMetrics] {
        precondition(k >= 1, "k must be at least 1")
        let pass = try Pass(reader: reader, k: k, relevantEvents: relevantEvents, window: window, segments: segments, everyCase: everyCase)
        _ = try pass.fold(threads: threads)
        let (totals, all, groups, rest, itemCount) = (pass.totals, pass.all, pass.groups, pass.rest, pass.itemCount)
        // recsys-eval leaves empty item ids out of coverage, novelty and diversity.
        let emptyItem = Int(try EmptyStrings(reader: reader).item)
        // Group by group (only one group's 64-bit counts at a time), every case last: the sum of
        // all groups, the rest group included.
        var results: [DistributionMetrics] = []
        var every = (
            [Int64](repeating: 0, count: all ? itemCount : 0), [Int64](repeating: 0, count: all ? itemCount : 0),
            [Bool](repeating: false, count: all ? itemCount : 0)
        )
        for g in 0..<groups {
            var pop = [Int64](repeating: 0, count: itemCount)
            var top = pop
            var seen = [Bool](repeating: false, count: itemCount)
            totals.add(group: g, pop: &pop, top: &top, seen: &seen)
            if emptyItem >= 0 {
                pop[emptyItem] = 0
                top[emptyItem] = 0
                seen[emptyItem] = false
            }
            if all {
                for i in 0..<itemCount {
                    every.0[i] += pop[i]
                    every.1[i] += top[i]
                    if seen[i] { every.2[i] = true }
                }
            }
            if g != rest { results.append(finish(popularity: pop[...], topK: top[...], catalog: seen[...])) }
        }
        if all { results.append(finish(popularity: every.0[...], topK: every.1[...], catalog: every.2[...])) }
        return results
    }

    /// The pass over the dataset: each partition's cases counted into the group tables its
    /// worker borrows from `totals` (exact integer counts, so which partitions a table saw cannot
    /// matter); the partial and state carry only the bytes read.
    /// The counts behind `compute(…segments:everyCase:)`, before the metrics are taken: `body`
    /// gets each segment's (in `segments.ids` order, index i) and, with `everyCase` or without
    /// segments, every case's (the last index), as popularity, top-k positions and catalog
    /// membership per item code (the empty item id's counts included; callers drop them).
    static func counts(
        reader: DatasetReader, k: Int, threads: Int, relevantEvents: [String] = ["click", "conversion"], window: TimeWindow? = nil,
        segments: (keys: [String], ids: [Int64])?, everyCase: Bool = false,
        _ body: (Int, [Int64], [Int64], [Bool]) -> Void
    ) throws {
        precondition(k >= 1, "k must be at least 1")
        let pass = try Pass(reader: reader, k: k, relevantEvents: relevantEvents, window: window, segments: segments, everyCase: everyCase)
        _ = try pass.fold(threads: threads)
        let (totals, all, groups, rest, itemCount) = (pass.totals, pass.all, pass.groups, pass.rest, pass.itemCount)
        var every = (
            [Int64](repeating: 0, count: all ? itemCount : 0), [Int64](repeating: 0, count: all ? itemCount : 0),
            [Bool](repeating: false, count: all ? itemCount : 0)
        )
        var index = 0
        for g in 0..<groups {
            var pop = [Int64](repeating: 0, count: itemCount)
            var top = pop
            var seen = [Bool](repeating: false, count: itemCount)
            totals.add(group: g, pop: &pop, top: &top, seen: &seen)
            if all {
                for i in 0..<itemCount {
                    every.0[i] += pop[i]
                    every.1[i] += top[i]
                    if seen[i] { every.2[i] = true }
                }
            }
            if g != rest {
                body(index, pop, top, seen)
                index += 1
            }
        }
        if all { body(index, every.0, every.1, every.2) }
    }

    struct Pass: PartitionScan {
        let reader: DatasetReader
        let k: Int
        let window: TimeWindow?
        let itemCount: Int
        let events: DictionaryIndex
        let isRelevant: [Bool]
        /// Whether every case is wanted: cases of no listed segment go to the last, rest, group.
        let all: Bool
        let groups: Int
        let rest: Int
        let totals: Totals
        let groupOf: [Int64: Int]
        let sliceCodes: [Int32]
        let nKeys: Int
        let nValues: Int
        let bySegment: Bool

        init(
            reader: DatasetReader, k: Int, relevantEvents: [String], window: TimeWindow?, segments: (keys: [String], ids: [Int64])?,
            everyCase: Bool
        ) throws {
            self.reader = reader
            self.k = k
            self.window = window
            let itemCount = try reader.dictionary("item_id").count
            let events = DictionaryIndex(try reader.dictionary("event_type"))
            // recsys-eval compares relevant events with Go's strings.EqualFold.
            var relevantEvent = [Bool](repeating: false, count: events.count)
            for e in relevantEvents { for (c, hit) in events.codes(goEqualFold: e).enumerated() where hit { relevantEvent[c] = true } }
            let isRelevant = relevantEvent
            // Each case is counted once, in its segment's group; with `everyCase` (or without
            // segments), cases of no listed segment go to a last "rest" group, and every case's
            // counts are the sum of all groups (and its catalog their union).
            let all = segments == nil || everyCase
            let segmentGroups = segments?.ids.count ?? 0
            let groups = segmentGroups + (all ? 1 : 0)
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
            let rest = all ? groups - 1 : -1

            self.itemCount = itemCount
            self.events = events
            self.isRelevant = isRelevant
            self.all = all
            self.groups = groups
            self.rest = rest
            self.totals = totals
            self.groupOf = groupOf
            self.sliceCodes = sliceCodes
            self.nKeys = nKeys
            self.nValues = nValues
            self.bySegment = bySegment
        }

        struct Partial: Sendable { var bytes: Int }

        func start() -> Int { 0 }

        func combine(_ part: Partial, into bytes: inout Int) { bytes += part.bytes }

        func scan(partition p: Int) throws -> Partial {
            // Locals, not `self`'s members: the loops below then touch no reference counts.
            let k = self.k
            let window = self.window
            let itemCount = self.itemCount
            let events = self.events
            let isRelevant = self.isRelevant
            let rest = self.rest
            let totals = self.totals
            let groupOf = self.groupOf
            let sliceCodes = self.sliceCodes
            let nKeys = self.nKeys
            let nValues = self.nValues
            let bySegment = self.bySegment
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
            var counts = totals.borrow()
            defer { totals.giveBack(counts) }
            if counts.added > Int(UInt32.max) - items.count { totals.flush(&counts) }
            counts.added += items.count
            var cells = counts.cells
            var relevant = counts.relevant
            counts.cells = []
            counts.relevant = []
            defer {
                counts.cells = cells
                counts.relevant = relevant
            }
            var first = [Bool](repeating: false, count: requests)
            // The group of each case's request (-1: the case is in no wanted group).
            var groupOfCase = [Int32](repeating: -1, count: requests)
            // The group each row counts into (-1: not a case, or in no wanted group), and where
            // its items start: decided first, so the counting loop can prefetch rows ahead.
            let rows = exReq.count
            var groupOfRow = [Int32](repeating: -1, count: rows)
            var itemStart = [Int](repeating: 0, count: rows + 1)
            for row in 0..<rows {
                itemStart[row + 1] = itemStart[row] + Int(nItems[row])
                let code = Int(exReq[row])
                if !exIn.isEmpty && !exIn[row] { continue }  // outside the time window
                if first[code] { continue }  // a later duplicate is not a case
                first[code] = true
                let g = bySegment ? groupOf[segmentOf[row]] ?? rest : rest
                if g < 0 { continue }
                groupOfCase[code] = Int32(g)
                groupOfRow[row] = Int32(g)
            }
            let ahead = 4
            var order: [Int] = []
            var used = counts.used
            // Through a pointer: every cell update of the array paid a uniqueness check (6% of
            // the pass). Item codes are below `itemCount` (checked as the column was loaded), so
            // every cell index lies inside the table.
            cells.withUnsafeMutableBufferPointer { table in
                let cell = table.baseAddress!
                for row in 0..<rows {
                    if row + ahead < rows && groupOfRow[row + ahead] >= 0 {
                        // The counters of a later row's items: random cells of tables larger than
                        // the caches, so their misses overlap with this row's work (a hint only).
                        let base = Int(groupOfRow[row + ahead]) * itemCount
                        for j in itemStart[row + ahead]..<itemStart[row + ahead + 1] {
                            receval_prefetch_write(cell + base + Int(items[j]))
                        }
                    }
                    let g = Int(groupOfRow[row])
                    if g < 0 { continue }
                    let (a, b) = (itemStart[row], itemStart[row + 1])
                    used[g] = true
                    let base = g * itemCount
                    for j in a..<b { cell[base + Int(items[j])] &+= 1 }
                    var sorted = true
                    if b - a > 1 {
                        for j in (a + 1)..<b where ranks[j] < ranks[j - 1] {
                            sorted = false
                            break
                        }
                    }
                    if sorted {
                        for j in a..<min(b, a + k) { cell[base + Int(items[j])] &+= 1 << 32 }
                    } else {
                        order = Array(a..<b)
                        order.sort { ranks[$0] < ranks[$1] || (ranks[$0] == ranks[$1] && $0 < $1) }
                        for j in order.prefix(k) { cell[base + Int(items[j])] &+= 1 << 32 }
                    }
                }
            }
            counts.used = used
            // Relevant items of cases join their groups' catalogs.
            for i in 0..<ocReq.count where isRelevant[Int(ocEvent[i])] && (ocIn.isEmpty || ocIn[i]) {
                let g = Int(groupOfCase[Int(ocReq[i])])
                if g >= 0 { relevant[g * itemCount + Int(ocItem[i])] = true }
            }
            return Partial(bytes: load.bytesTouched)
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
