import CPrefetch
import ColumnarFormat
import ColumnarStorage

/// Ranking metrics at cut-off k over the joined exposures, under two named definition sets.
///
/// `recsysEval` (recsys-eval, SPEC section 6.2): every first exposure of a request is a case,
/// including empty lists and lists without outcomes; relevant = the set of items of the
/// request's click or conversion outcomes (event types compared case-insensitively);
/// precision divides by min(k, list length); MAP divides by min(|R|, k); means over all cases.
///
/// `ir` (the trec_eval / ranx convention): only requests with at least one relevant item are
/// cases; P@k divides by k; AP@k divides by min(|R|, k); NDCG's ideal gain uses min(|R|, k)
/// items; MRR is the reciprocal rank of the first relevant item within k (0 if none).
///
/// The list is ordered by `rank` ascending (a stable sort; lists already in order, the common
/// case, are not copied). The metrics and their formulas are declared in `RankingMetric`. Sums
/// are exact, so the results do not depend on the thread count or the partitioning.
public struct RankingMetrics: Sendable {
    /// How many exposure rows ahead the first-exposure loop prefetches the request entries of.
    static let prefetchDistance = 16

    public enum Definitions: String, Sendable {
        case recsysEval = "recsys-eval"
        case ir
    }

    /// Means over one scope's cases, per metric (`RankingMetric`).
    public struct Values: Sendable, Equatable {
        public var cases = 0
        public var means = [Double](repeating: 0, count: RankingMetric.allCases.count)

        public subscript(_ m: RankingMetric) -> Double { means[m.rawValue] }

        public var precision: Double { self[.precision] }
        public var recall: Double { self[.recall] }
        public var hitrate: Double { self[.hitrate] }
        public var map: Double { self[.map] }
        public var ndcg: Double { self[.ndcg] }
        public var mrr: Double { self[.mrr] }
        public var ndcgGraded: Double { self[.ndcgGraded] }
    }

    /// One segment's values: the key is recsys-eval's segment key (`k1=v1|k2=v2`, parts sorted
    /// byte-wise, a missing key written `k=`; `__all__` without slice keys).
    public struct Segment: Sendable, Equatable {
        public var key: String
        /// The context value of each slice key, in slice-key order (nil: the key was absent).
        public var values: [String?] = []
        /// Identifier of the value combination (packed context value codes; what
        /// `CaseBootstrap.group(ofSegment:)` takes).
        public internal(set) var id: Int64 = 0
        public var recsysEval: Values
        public var ir: Values
    }

    public var k: Int
    public var recsysEval: Values
    public var ir: Values
    public var segments: [Segment] = []
    /// Bootstrap replicate sums of the per-case recsys-eval values, when requested.
    public var bootstrap: CaseBootstrap?
    public var bytesTouched: Int

    /// Exact sums of every metric over a scope's cases.
    struct Sums: Sendable {
        var cases = 0
        var sums = [ExactSum](repeating: ExactSum(), count: RankingMetric.allCases.count)

        mutating func add(_ o: Sums) {
            cases += o.cases
            for m in sums.indices { sums[m].add(o.sums[m]) }
        }

        var means: Values {
            guard cases > 0 else { return Values() }
            let n = Double(cases)
            return Values(cases: cases, means: sums.map { $0.value / n })
        }
    }

    /// Computes both definition sets at cut-off `k` (k >= 1), globally and per segment of
    /// `sliceKeys` (context keys).
    public static func compute(
        reader: DatasetReader, k: Int, threads: Int, relevantEvents: [String] = ["click", "conversion"], sliceKeys: [String] = [],
        window: TimeWindow? = nil, bootstrap: (iterations: Int, seed: UInt64)? = nil
    ) throws -> RankingMetrics {
        precondition(k >= 1, "k must be at least 1")
        let pass = try Pass(
            reader: reader, k: k, threads: threads, relevantEvents: relevantEvents, sliceKeys: sliceKeys, window: window,
            bootstrap: bootstrap)
        let state = try pass.fold(threads: threads)
        var result = RankingMetrics(k: k, recsysEval: state.recsysEval.means, ir: state.ir.means, bytesTouched: state.bytes)
        if sliceKeys.isEmpty {
            result.segments = [Segment(key: "__all__", values: [], recsysEval: result.recsysEval, ir: result.ir)]
        } else {
            for (id, sums) in state.segments {
                result.segments.append(
                    Segment(
                        key: SegmentKeys.key(id, names: sliceKeys, values: pass.ctxValues),
                        values: SegmentKeys.values(id, count: sliceKeys.count, values: pass.ctxValues), id: id, recsysEval: sums.0.means,
                        ir: sums.1.means))
            }
            result.segments.sort { ExperimentState.precedes(($0.key, $0.values), ($1.key, $1.values)) }
        }
        result.bootstrap = state.cases
        return result
    }

    /// The pass over the dataset: per partition, every case scored under both definition sets
    /// (`Partial`: exact sums, per segment, and the cases' values for the bootstrap); partials
    /// folded into the sums and the bootstrap's replicate sums (`State`).
    struct Pass: PartitionScan {
        let reader: DatasetReader
        let k: Int
        /// Threads the bootstrap's replicate kernel uses while a partial is combined.
        let threads: Int
        let sliceKeys: [String]
        let window: TimeWindow?
        let bootstrap: (iterations: Int, seed: UInt64)?
        let collectCases: Bool
        let events: DictionaryIndex
        let isRelevant: [Bool]
        /// Graded gain of an event type: 2 for a conversion, 1 otherwise.
        let gainOfEvent: [Double]
        let itemCount: Int
        /// 1/log2(i+1) for positions 1...k, and the ideal DCG of 1...k relevant items.
        let disc: [Double]
        let idcg: [Double]
        let ctxKeys: DictionaryIndex
        let ctxValues: DictionaryIndex
        let keyCodes: [Int32]

        init(
            reader: DatasetReader, k: Int, threads: Int, relevantEvents: [String], sliceKeys: [String], window: TimeWindow?,
            bootstrap: (iterations: Int, seed: UInt64)?
        ) throws {
            self.reader = reader
            self.k = k
            self.threads = threads
            self.sliceKeys = sliceKeys
            self.window = window
            self.bootstrap = bootstrap
            collectCases = bootstrap != nil
            let eventIndex = DictionaryIndex(try reader.dictionary("event_type"))
            events = eventIndex
            // recsys-eval compares relevant events with Go's strings.EqualFold.
            var relevant = [Bool](repeating: false, count: eventIndex.count)
            for e in relevantEvents { for (c, hit) in eventIndex.codes(goEqualFold: e).enumerated() where hit { relevant[c] = true } }
            isRelevant = relevant
            gainOfEvent = eventIndex.codes(goEqualFold: "conversion").map { $0 ? 2.0 : 1.0 }
            itemCount = try reader.dictionary("item_id").count
            var discount = [Double](repeating: 0, count: k + 1)
            var ideal = [Double](repeating: 0, count: k + 1)
            for i in 1...k {
                discount[i] = 1 / log2(Double(i + 1))
                ideal[i] = ideal[i - 1] + discount[i]
            }
            disc = discount
            idcg = ideal
            let keys = DictionaryIndex(try reader.dictionary("context_key"))
            ctxKeys = keys
            ctxValues = DictionaryIndex(try reader.dictionary("context_value"))
            keyCodes = sliceKeys.map { keys.code(of: $0) ?? -1 }
        }

        /// One partition's cases for the bootstrap: unit keys, segment ids, and the values of
        /// the scored ones.
        struct PartCases: Sendable {
            var units: [UInt64] = []
            var segment: [Int64] = []
            var scored: [Int32] = []
            var values: [[Double]] = Array(repeating: [], count: RankingMetric.recsysEval.count)
        }

        struct Partial: Sendable {
            var recsysEval: Sums
            var ir: Sums
            var bytes: Int
            var segments: [Int64: (Sums, Sums)]
            var cases: PartCases
        }

        struct State {
            var recsysEval = Sums()
            var ir = Sums()
            var bytes = 0
            var segments: [Int64: (Sums, Sums)] = [:]
            var cases: CaseBootstrap?
        }

        func start() -> State { State(cases: bootstrap.map { CaseBootstrap(iterations: $0.iterations, seed: $0.seed) }) }

        func combine(_ part: Partial, into state: inout State) {
            state.recsysEval.add(part.recsysEval)
            state.ir.add(part.ir)
            state.bytes += part.bytes
            for (id, pair) in part.segments {
                var total = state.segments[id] ?? (Sums(), Sums())
                total.0.add(pair.0)
                total.1.add(pair.1)
                state.segments[id] = total
            }
            let pc = part.cases
            state.cases?.add(
                units: pc.units, segments: sliceKeys.isEmpty ? nil : pc.segment, scored: pc.scored, values: pc.values, threads: threads)
        }

        func scan(partition p: Int) throws -> Partial {
            // Locals, not `self`'s members: the loops below then touch no reference counts.
            let k = self.k
            let window = self.window
            let collectCases = self.collectCases
            let events = self.events
            let isRelevant = self.isRelevant
            let gainOfEvent = self.gainOfEvent
            let itemCount = self.itemCount
            let disc = self.disc
            let idcg = self.idcg
            let ctxKeys = self.ctxKeys
            let ctxValues = self.ctxValues
            let keyCodes = self.keyCodes
            let requests = Int(reader.footer.partitions[p].requestDictionary.count)
            var load = ColumnLoader(reader: reader, partition: p)
            let exReq = try load.int32("exposures", "request_id", bound: requests)
            let nItems = try load.counts("exposures", "item_count")
            let ocReq = try load.int32("outcomes", "request_id", bound: requests)
            let ocItem = try load.int32("outcomes", "item_id", bound: itemCount)
            let ocEvent = try load.int32("outcomes", "event_type", bound: events.count)
            // With a time window, rows outside it do not exist for the evaluation.
            var exIn: [Bool] = []
            var ocIn: [Bool] = []
            if let window {
                exIn = window.mask(micros: try load.int64("exposures", "ts_us"), nanos: try load.int64("exposures", "ts_ns"))
                ocIn = window.mask(micros: try load.int64("outcomes", "ts_us"), nanos: try load.int64("outcomes", "ts_ns"))
            }
            // Relevant items per request (CSR by request code, duplicates removed per request).
            var relStart = [Int32](repeating: 0, count: requests + 1)
            for i in 0..<ocReq.count where isRelevant[Int(ocEvent[i])] && (ocIn.isEmpty || ocIn[i]) { relStart[Int(ocReq[i]) + 1] += 1 }
            for r in 0..<requests { relStart[r + 1] += relStart[r] }
            var fill = relStart
            var rel = [Int32](repeating: 0, count: Int(relStart[requests]))
            var relGain = [Double](repeating: 0, count: Int(relStart[requests]))
            for i in 0..<ocReq.count where isRelevant[Int(ocEvent[i])] && (ocIn.isEmpty || ocIn[i]) {
                let r = Int(ocReq[i])
                rel[Int(fill[r])] = ocItem[i]
                relGain[Int(fill[r])] = gainOfEvent[Int(ocEvent[i])]
                fill[r] += 1
            }
            // One pass over the exposures: each request's first row (in the window) is its case.
            // A case without relevant items scores 0 on every metric under both definitions: it
            // only counts as a recsys-eval case. Only requests with relevant outcomes are scored,
            // so only their lists' item ids and ranks are decoded: a scored request's items are
            // `listAt[code]...` of the gathered columns (late materialisation; a few percent of
            // the items when outcomes are sparse).
            var first = [Int32](repeating: -1, count: requests)
            var listAt = [Int](repeating: -1, count: requests)
            var lists: [Range<Int>] = []
            var rs = Sums()
            first.withUnsafeMutableBufferPointer { first in
                listAt.withUnsafeMutableBufferPointer { listAt in
                    relStart.withUnsafeBufferPointer { relStart in
                        var item = 0
                        var gathered = 0
                        let rows = exReq.count
                        for row in 0..<rows {
                            // A later row's request entries (random in tables larger than the
                            // cache the decoded columns leave them).
                            if row + RankingMetrics.prefetchDistance < rows {
                                let ahead = Int(exReq[row + RankingMetrics.prefetchDistance])
                                receval_prefetch_write(first.baseAddress! + ahead)
                                receval_prefetch(relStart.baseAddress! + ahead)
                            }
                            let code = Int(exReq[row])
                            let n = Int(nItems[row])
                            defer { item += n }
                            guard first[code] < 0 && (exIn.isEmpty || exIn[row]) else { continue }
                            first[code] = Int32(row)
                            rs.cases += 1
                            guard relStart[code + 1] > relStart[code] else { continue }
                            listAt[code] = gathered
                            lists.append(item..<(item + n))
                            gathered += n
                        }
                    }
                }
            }
            let items = try load.int32("exposures", "item_id", bound: itemCount, gathering: lists)
            let ranks = try load.int64("exposures", "rank", gathering: lists)
            // Segment of each exposure row: the value codes (+1, 0 when absent) of the slice keys.
            var segmentOf: [Int64] = []
            var segments: [Int64: (Sums, Sums)] = [:]
            if !keyCodes.isEmpty {
                segmentOf = try SegmentKeys.ids(
                    &load, table: "exposures", rows: exReq.count, keys: keyCodes, keyCount: ctxKeys.count, valueCount: ctxValues.count)
                for row32 in first where row32 >= 0 { segments[segmentOf[Int(row32)], default: (Sums(), Sums())].0.cases += 1 }
            }
            var irs = Sums()
            var order: [Int] = []
            var rset: [Int32] = []
            var rgain: [Double] = []
            var pc = PartCases()
            var caseOfCode: [Int32] = []
            if collectCases {
                let ids = try reader.requestDictionary(partition: p)
                caseOfCode = [Int32](repeating: -1, count: requests)
                for code in 0..<requests where first[code] >= 0 {
                    caseOfCode[code] = Int32(pc.units.count)
                    pc.units.append(
                        ids.data.withUnsafeBytes { raw in
                            XXH64.hash(UnsafeRawBufferPointer(rebasing: raw[Int(ids.offsets[code])..<Int(ids.offsets[code + 1])]))
                        })
                    pc.segment.append(segmentOf.isEmpty ? 0 : segmentOf[Int(first[code])])
                }
            }
            for code in 0..<requests where first[code] >= 0 && relStart[code + 1] > relStart[code] {
                let row = Int(first[code])
                // The relevant set: distinct items (lists are short; a linear check suffices).
                rset.removeAll(keepingCapacity: true)
                rgain.removeAll(keepingCapacity: true)
                for j in Int(relStart[code])..<Int(relStart[code + 1]) {
                    if let at = rset.firstIndex(of: rel[j]) {
                        rgain[at] = max(rgain[at], relGain[j])
                    } else {
                        rset.append(rel[j])
                        rgain.append(relGain[j])
                    }
                }
                let a = listAt[code]
                let b = a + Int(nItems[row])
                // Positions in rank order (stable); the identity when ranks are already sorted.
                var sorted = true
                if b - a > 1 {
                    for j in (a + 1)..<b where ranks[j] < ranks[j - 1] {
                        sorted = false
                        break
                    }
                }
                if !sorted {
                    order = Array(a..<b)
                    order.sort { ranks[$0] < ranks[$1] || (ranks[$0] == ranks[$1] && $0 < $1) }
                }
                let t = min(k, b - a)
                var hits = 0
                var apSum = 0.0
                var dcg = 0.0
                var gradedDCG = 0.0
                var firstHit = 0
                for pos in 0..<t {
                    let item = sorted ? items[a + pos] : items[order[pos]]
                    if let at = rset.firstIndex(of: item) {
                        hits += 1
                        apSum += Double(hits) / Double(pos + 1)
                        dcg += disc[pos + 1]
                        gradedDCG += rgain[at] * disc[pos + 1]
                        if firstHit == 0 { firstHit = pos + 1 }
                    }
                }
                let nr = rset.count
                var c = RankingMetric.Case(
                    k: k, shown: t, hits: hits, relevant: nr, apSum: apSum, dcg: dcg, idealDCG: nr > 0 ? idcg[min(nr, k)] : 0,
                    gradedDCG: gradedDCG, idealGradedDCG: 0, firstHit: firstHit)
                if nr > 0 {
                    c.idealGradedDCG = rgain.sorted(by: >).prefix(k).enumerated().reduce(0.0) { $0 + $1.element * disc[$1.offset + 1] }
                }
                func score(_ rs: inout Sums, _ irs: inout Sums) {
                    // recsys-eval: every case (counted above).
                    for m in RankingMetric.allCases { rs.sums[m.rawValue].add(m.recsysEvalValue(c)) }
                    // ir: requests with a relevant item.
                    if nr > 0 {
                        irs.cases += 1
                        for m in RankingMetric.allCases { irs.sums[m.rawValue].add(m.irValue(c)) }
                    }
                }
                score(&rs, &irs)
                if collectCases {
                    pc.scored.append(caseOfCode[code])
                    for (i, m) in RankingMetric.recsysEval.enumerated() { pc.values[i].append(m.recsysEvalValue(c)) }
                }
                if !segmentOf.isEmpty {
                    let id = segmentOf[row]
                    var pair = segments[id] ?? (Sums(), Sums())
                    score(&pair.0, &pair.1)
                    segments[id] = pair
                }
            }
            return Partial(recsysEval: rs, ir: irs, bytes: load.bytesTouched, segments: segments, cases: pc)
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
