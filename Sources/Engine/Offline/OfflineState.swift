import ColumnarFormat
import ColumnarStorage

/// The offline evaluation's state, keyed by ids: for each cut-off k, the ranking metrics' exact
/// sums (globally, per segment, and the bootstrap's replicate sums per group) and the
/// distribution metrics' counts per item and group; and data quality's join counts and slices.
/// States of shards, or of separately ingested datasets, merge exactly (integer counts, exact
/// sums, replicate sums whose weights hash the case's request id), and finish into what one
/// pass over all of the data gives.
public struct OfflineState: Sendable {
    typealias Segment = [String?]

    /// One cut-off's ranking sums.
    struct Ranking: Sendable {
        var k: Int
        var recsysEval: RankingMetrics.Sums
        var ir: RankingMetrics.Sums
        var bytes: Int
        var segments: [Segment: (RankingMetrics.Sums, RankingMetrics.Sums)]
        /// With the bootstrap: replicate sums of every case (key nil) and of each segment.
        var bootstrap: (iterations: Int, seed: UInt64, groups: [Segment?: CaseBootstrap.GroupSums])?
    }

    /// One cut-off's distribution counts: per group (nil: every case; else a segment), the
    /// items with a count, as codes into `items`, with popularity, top-k positions and catalog.
    struct Distribution: Sendable {
        var k: Int
        var items: ByteStrings
        var groups: [Segment?: Counts]

        struct Counts: Sendable, Equatable {
            var item: [Int32] = []
            var pop: [Int64] = []
            var top: [Int64] = []
            var catalog: [Bool] = []
        }
    }

    /// Data quality: join counts, and per slice key the (exposures, joined, assigned) of each value.
    struct Quality: Sendable {
        var counts: JoinCounts
        var slices: [[String?: [Int]]]
    }

    var sliceKeys: [String]
    /// Exposure rows the state counted.
    public var exposureRows: Int { quality.counts.exposureRows }
    var ranking: [Ranking]
    var distribution: [Distribution]
    var quality: Quality
}

extension RankingMetrics {
    /// The ranking pass over the partitions `reader` scans, as a state.
    static func state(
        reader: DatasetReader, k: Int, threads: Int, sliceKeys: [String], window: TimeWindow?,
        bootstrap: (iterations: Int, seed: UInt64)?
    ) throws -> (OfflineState.Ranking, [Int64]) {
        let pass = try Pass(
            reader: reader, k: k, threads: threads, relevantEvents: ["click", "conversion"], sliceKeys: sliceKeys, window: window,
            bootstrap: bootstrap)
        let state = try pass.fold(threads: threads)
        func values(_ id: Int64) -> OfflineState.Segment { SegmentKeys.values(id, count: sliceKeys.count, values: pass.ctxValues) }
        var segments: [OfflineState.Segment: (Sums, Sums)] = [:]
        for (id, s) in state.segments { segments[values(id)] = s }
        var boot: (iterations: Int, seed: UInt64, groups: [OfflineState.Segment?: CaseBootstrap.GroupSums])? = nil
        if let cases = state.cases {
            var groups: [OfflineState.Segment?: CaseBootstrap.GroupSums] = [nil: cases.sums(group: 0)]
            for (id, g) in cases.segmentGroups { groups[values(id)] = cases.sums(group: g) }
            boot = (cases.iterations, cases.seed, groups)
        }
        let ranking = OfflineState.Ranking(
            k: k, recsysEval: state.recsysEval, ir: state.ir, bytes: state.bytes, segments: segments, bootstrap: boot)
        return (ranking, Array(state.segments.keys))
    }
}

extension OfflineState {
    /// The state of the partitions `reader` scans: ranking sums for every k, distribution counts
    /// for `distributionKs` (every case, and every segment with slice keys), data quality.
    public static func compute(
        reader: DatasetReader, ks: [Int], distributionKs: [Int], sliceKeys: [String], window: TimeWindow?,
        bootstrap: (iterations: Int, seed: UInt64)?, threads: Int
    ) throws -> OfflineState {
        var ranking: [Ranking] = []
        var segmentIDs: [Int64] = []
        for k in ks {
            let (r, ids) = try RankingMetrics.state(
                reader: reader, k: k, threads: threads, sliceKeys: sliceKeys, window: window, bootstrap: bootstrap)
            ranking.append(r)
            segmentIDs = ids
        }
        let ctxValues = DictionaryIndex(try reader.dictionary("context_value"))
        let items = try reader.dictionary("item_id")
        let emptyItem = Int(try EmptyStrings(reader: reader).item)
        var distribution: [Distribution] = []
        for k in distributionKs {
            let ids = sliceKeys.isEmpty ? [] : segmentIDs
            var groups: [Segment?: Distribution.Counts] = [:]
            let keys: [Segment?] = ids.map { SegmentKeys.values($0, count: sliceKeys.count, values: ctxValues) } + [nil]
            try DistributionMetrics.counts(
                reader: reader, k: k, threads: threads, window: window, segments: sliceKeys.isEmpty ? nil : (sliceKeys, ids),
                everyCase: true
            ) { g, pop, top, seen in
                var c = Distribution.Counts()
                for i in 0..<pop.count where i != emptyItem && (pop[i] != 0 || top[i] != 0 || seen[i]) {
                    c.item.append(Int32(i))
                    c.pop.append(pop[i])
                    c.top.append(top[i])
                    c.catalog.append(seen[i])
                }
                groups[keys[g]] = c
            }
            distribution.append(Distribution(k: k, items: items, groups: groups))
        }
        let q = try DataQuality.compute(reader: reader, sliceKeys: sliceKeys, threads: threads, window: window)
        var slices = [[String?: [Int]]](repeating: [:], count: sliceKeys.count)
        for s in q.slices {
            guard let i = sliceKeys.firstIndex(of: s.key) else { continue }
            slices[i][s.value] = [s.exposures, s.joined, s.assigned]
        }
        return OfflineState(
            sliceKeys: sliceKeys, ranking: ranking, distribution: distribution, quality: Quality(counts: q.counts, slices: slices))
    }

    /// `a` and `b` combined.
    public static func merged(_ a: OfflineState, _ b: OfflineState) throws(ExperimentState.Mismatch) -> OfflineState {
        guard a.sliceKeys == b.sliceKeys, a.ranking.map(\.k) == b.ranking.map(\.k), a.distribution.map(\.k) == b.distribution.map(\.k)
        else { throw ExperimentState.Mismatch(description: "the states were computed with different offline settings") }
        var out = a
        for (i, r) in b.ranking.enumerated() {
            var x = out.ranking[i]
            x.recsysEval.add(r.recsysEval)
            x.ir.add(r.ir)
            x.bytes += r.bytes
            for (s, sums) in r.segments {
                var acc = x.segments[s] ?? (RankingMetrics.Sums(), RankingMetrics.Sums())
                acc.0.add(sums.0)
                acc.1.add(sums.1)
                x.segments[s] = acc
            }
            switch (x.bootstrap, r.bootstrap) {
            case (nil, nil): break
            case (var mine?, let theirs?):
                guard mine.iterations == theirs.iterations, mine.seed == theirs.seed else { fallthrough }
                for (g, s) in theirs.groups {
                    if mine.groups[g] == nil { mine.groups[g] = s } else { mine.groups[g]!.add(s) }
                }
                x.bootstrap = mine
            default: throw ExperimentState.Mismatch(description: "the states were computed with different bootstrap settings")
            }
            out.ranking[i] = x
        }
        for (i, d) in b.distribution.enumerated() {
            let mine = out.distribution[i]
            let u = ExperimentState.union(mine.items, d.items)
            var groups: [Segment?: Distribution.Counts] = [:]
            for g in Set(mine.groups.keys).union(d.groups.keys) {
                groups[g] = merge(mine.groups[g] ?? .init(), u.mapA, d.groups[g] ?? .init(), u.mapB)
            }
            out.distribution[i] = Distribution(k: mine.k, items: u.ids, groups: groups)
        }
        out.quality.counts = a.quality.counts + b.quality.counts
        for (i, values) in b.quality.slices.enumerated() {
            for (v, c) in values { out.quality.slices[i][v] = zip(out.quality.slices[i][v] ?? [0, 0, 0], c).map { $0 + $1 } }
        }
        return out
    }

    /// Two groups' counts over the union of their items (codes mapped, both ascending).
    static func merge(_ a: Distribution.Counts, _ mapA: [Int32], _ b: Distribution.Counts, _ mapB: [Int32]) -> Distribution.Counts {
        var out = Distribution.Counts()
        var (i, j) = (0, 0)
        while i < a.item.count || j < b.item.count {
            let x = i < a.item.count ? mapA[Int(a.item[i])] : Int32.max
            let y = j < b.item.count ? mapB[Int(b.item[j])] : Int32.max
            out.item.append(min(x, y))
            var (pop, top, seen) = (Int64(0), Int64(0), false)
            if x <= y {
                (pop, top, seen) = (a.pop[i], a.top[i], a.catalog[i])
                i += 1
            }
            if y <= x {
                pop += b.pop[j]
                top += b.top[j]
                seen = seen || b.catalog[j]
                j += 1
            }
            out.pop.append(pop)
            out.top.append(top)
            out.catalog.append(seen)
        }
        return out
    }

    /// What the offline report is made of, as one run computes it: ranking metrics per k (their
    /// segments sorted by key, with ids that are their positions), distribution metrics per k
    /// (every case) and per (k, segment position), and data quality.
    public func finish() -> (
        ranking: [Int: RankingMetrics], distribution: [Int: DistributionMetrics], segmentDistribution: [[Int]: DistributionMetrics],
        quality: DataQuality
    ) {
        var rankings: [Int: RankingMetrics] = [:]
        var order: [Segment] = []
        for r in ranking {
            var m = RankingMetrics(k: r.k, recsysEval: r.recsysEval.means, ir: r.ir.means, bytesTouched: r.bytes)
            if sliceKeys.isEmpty {
                m.segments = [RankingMetrics.Segment(key: "__all__", values: [], recsysEval: m.recsysEval, ir: m.ir)]
            } else {
                let sorted = r.segments.map { (key: SegmentKeys.key($0.key, names: sliceKeys), values: $0.key, sums: $0.value) }
                    .sorted { ExperimentState.precedes(($0.key, $0.values), ($1.key, $1.values)) }
                order = sorted.map(\.values)
                m.segments = sorted.enumerated().map { i, s in
                    RankingMetrics.Segment(
                        key: s.key, values: s.values, id: Int64(i + 1), recsysEval: s.sums.0.means, ir: s.sums.1.means)
                }
            }
            if let b = r.bootstrap {
                let empty = CaseBootstrap.GroupSums(
                    cases: 0, den: [Int64](repeating: 0, count: b.iterations),
                    num: [Int128](repeating: 0, count: CaseBootstrap.metrics * b.iterations))
                let segments =
                    sliceKeys.isEmpty ? [] : order.enumerated().compactMap { i, s in b.groups[s].map { (id: Int64(i + 1), sums: $0) } }
                m.bootstrap = CaseBootstrap(iterations: b.iterations, seed: b.seed, every: b.groups[nil] ?? empty, segments: segments)
            }
            rankings[r.k] = m
        }
        var distribution: [Int: DistributionMetrics] = [:]
        var segmentDistribution: [[Int]: DistributionMetrics] = [:]
        for d in self.distribution {
            func metrics(_ c: Distribution.Counts?) -> DistributionMetrics {
                var pop = [Int64](repeating: 0, count: d.items.count)
                var top = pop
                var seen = [Bool](repeating: false, count: d.items.count)
                if let c {
                    for (j, i) in c.item.enumerated() {
                        pop[Int(i)] = c.pop[j]
                        top[Int(i)] = c.top[j]
                        seen[Int(i)] = c.catalog[j]
                    }
                }
                return DistributionMetrics.finish(popularity: pop[...], topK: top[...], catalog: seen[...])
            }
            distribution[d.k] = metrics(d.groups[nil] ?? nil)
            if !sliceKeys.isEmpty {
                for (i, s) in order.enumerated() { segmentDistribution[[d.k, i]] = metrics(d.groups[s] ?? nil) }
            }
        }
        var slices: [DataQuality.Slice] = []
        for (i, key) in sliceKeys.enumerated() {
            let values = quality.slices[i].keys.sorted { a, b in
                guard let a else { return b != nil }
                guard let b else { return false }
                return Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
            }
            for v in values {
                let c = quality.slices[i][v]!
                guard c[0] > 0 else { continue }
                slices.append(DataQuality.Slice(key: key, value: v, exposures: c[0], joined: c[1], assigned: c[2]))
            }
        }
        return (rankings, distribution, segmentDistribution, DataQuality(counts: quality.counts, slices: slices))
    }
}

extension OfflineState {
    /// Checks that the state was computed for these cut-offs, slice keys and bootstrap, with one
    /// set of segments for every cut-off (what finishing it relies on).
    public func check(ks: [Int], distributionKs: [Int], sliceKeys: [String], bootstrap: (iterations: Int, seed: UInt64)?)
        throws(ExperimentState.Mismatch)
    {
        let segments = ranking.first.map { Set($0.segments.keys) } ?? []
        guard ranking.map(\.k) == ks, distribution.map(\.k) == distributionKs, self.sliceKeys == sliceKeys,
            ranking.allSatisfy({ Set($0.segments.keys) == segments }),
            ranking.allSatisfy({ r in
                switch (r.bootstrap, bootstrap) {
                case (nil, nil): return true
                case (let b?, let want?): return b.iterations == want.iterations && b.seed == want.seed
                default: return false
                }
            }),
            quality.slices.count == sliceKeys.count
        else { throw ExperimentState.Mismatch(description: "the state's cut-offs, slice keys, segments or bootstrap are not the config's") }
    }
}
