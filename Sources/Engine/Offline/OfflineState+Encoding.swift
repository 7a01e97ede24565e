import ColumnarFormat
import ColumnarStorage

extension RankingMetrics.Sums {
    func encode(to e: inout StateEncoder) {
        e.int(cases)
        e.exactSums(sums)
    }

    init(from d: inout StateDecoder) throws(StateError) {
        self.init()
        cases = try d.tally()
        sums = try d.exactSums()
        guard cases >= 0, sums.count == RankingMetric.allCases.count else { throw d.invalid("ranking sums have the wrong shape") }
    }
}

extension OfflineState {
    /// Whether counts (each within the state count limit) total at most that limit, so the
    /// metrics' sums over items cannot overflow.
    static func totalWithinLimit(_ counts: [Int64]) -> Bool {
        var total: Int64 = 0
        for c in counts {
            total += c
            if total > Int64(StateDecoder.countLimit) { return false }
        }
        return true
    }

    /// Optional segments (nil: every case) in a fixed order: nil first, then by values.
    static func ordered<T>(_ m: [Segment?: T]) -> [(Segment?, T)] {
        m.sorted { a, b in
            guard let x = a.key else { return b.key != nil }
            guard let y = b.key else { return false }
            return ExperimentState.valuesPrecede(x, y)
        }
        .map { ($0.key, $0.value) }
    }

    static func encode(_ s: Segment?, to e: inout StateEncoder) {
        e.bool(s != nil)
        guard let s else { return }
        e.count(s.count)
        for v in s { e.optionalString(v) }
    }

    static func segment(from d: inout StateDecoder, parts: Int) throws(StateError) -> Segment? {
        guard try d.bool() else { return nil }
        try d.count(parts, of: "a segment's values")
        var s: Segment = []
        for _ in 0..<parts { s.append(try d.optionalString()) }
        return s
    }

    public func encode(to e: inout StateEncoder) {
        e.strings(sliceKeys)
        e.count(ranking.count)
        for r in ranking {
            e.int(r.k)
            r.recsysEval.encode(to: &e)
            r.ir.encode(to: &e)
            e.int(r.bytes)
            OPECountsState.encodeSegments(r.segments, to: &e) { s, e in
                s.0.encode(to: &e)
                s.1.encode(to: &e)
            }
            e.bool(r.bootstrap != nil)
            if let b = r.bootstrap {
                e.int(b.iterations)
                e.u64(b.seed)
                let groups = OfflineState.ordered(b.groups)
                e.count(groups.count)
                for (g, sums) in groups {
                    OfflineState.encode(g, to: &e)
                    e.int(sums.cases)
                    e.ints(sums.den.map { Int($0) })
                    e.uint64s(sums.num.flatMap { [UInt64(truncatingIfNeeded: $0), UInt64(truncatingIfNeeded: $0 >> 64)] })
                }
            }
        }
        e.count(distribution.count)
        for dist in distribution {
            e.int(dist.k)
            e.byteStrings(dist.items)
            let groups = OfflineState.ordered(dist.groups)
            e.count(groups.count)
            for (g, c) in groups {
                OfflineState.encode(g, to: &e)
                e.int32s(c.item)
                e.ints(c.pop.map { Int($0) })
                e.ints(c.top.map { Int($0) })
                e.int32s(c.catalog.map { $0 ? 1 : 0 })
            }
        }
        quality.counts.encode(to: &e)
        for values in quality.slices {
            let entries = values.sorted { a, b in
                guard let x = a.key else { return b.key != nil }
                guard let y = b.key else { return false }
                return Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8))
            }
            e.count(entries.count)
            for (v, c) in entries {
                e.optionalString(v)
                e.ints(c)
            }
        }
    }

    public init(from d: inout StateDecoder) throws(StateError) {
        sliceKeys = try d.strings()
        let parts = sliceKeys.count
        ranking = []
        for _ in 0..<(try d.count(elementSize: 8)) {
            let k = try d.int()
            let recsysEval = try RankingMetrics.Sums(from: &d)
            let ir = try RankingMetrics.Sums(from: &d)
            let bytes = try d.tally()
            let segments = try ExperimentState.segments(&d) { (d) throws(StateError) in
                (try RankingMetrics.Sums(from: &d), try RankingMetrics.Sums(from: &d))
            }
            guard k >= 1, segments.keys.allSatisfy({ $0.count == parts }) else {
                throw d.invalid("ranking segments do not match the slice keys")
            }
            var bootstrap: (iterations: Int, seed: UInt64, groups: [Segment?: CaseBootstrap.GroupSums])? = nil
            if try d.bool() {
                let iterations = try d.int()
                let seed = try d.u64()
                guard (1...1_000_000).contains(iterations) else { throw d.invalid("bootstrap replicates \(iterations) out of range") }
                var groups: [Segment?: CaseBootstrap.GroupSums] = [:]
                for _ in 0..<(try d.count(elementSize: 1)) {
                    let g = try OfflineState.segment(from: &d, parts: parts)
                    let cases = try d.tally()
                    let den = try d.ints().map { Int64($0) }
                    let halves = try d.uint64s()
                    guard den.count == iterations, halves.count == 2 * CaseBootstrap.metrics * iterations, groups[g] == nil else {
                        throw d.invalid("bootstrap sums have the wrong shape")
                    }
                    let num = (0..<(halves.count / 2)).map { Int128(Int64(bitPattern: halves[2 * $0 + 1])) << 64 | Int128(halves[2 * $0]) }
                    groups[g] = CaseBootstrap.GroupSums(cases: cases, den: den, num: num)
                }
                bootstrap = (iterations, seed, groups)
            }
            ranking.append(Ranking(k: k, recsysEval: recsysEval, ir: ir, bytes: bytes, segments: segments, bootstrap: bootstrap))
        }
        distribution = []
        for _ in 0..<(try d.count(elementSize: 8)) {
            let k = try d.int()
            let items = try d.sortedByteStrings("item ids")
            var groups: [Segment?: Distribution.Counts] = [:]
            for _ in 0..<(try d.count(elementSize: 1)) {
                let g = try OfflineState.segment(from: &d, parts: parts)
                var c = Distribution.Counts()
                c.item = try d.int32s()
                c.pop = try d.tallies().map { Int64($0) }
                c.top = try d.tallies().map { Int64($0) }
                let catalog = try d.int32s()
                c.catalog = catalog.map { $0 != 0 }
                let n = c.item.count
                guard c.pop.count == n, c.top.count == n, catalog.count == n, catalog.allSatisfy({ $0 == 0 || $0 == 1 }),
                    c.item.allSatisfy({ $0 >= 0 && Int($0) < items.count }), zip(c.item, c.item.dropFirst()).allSatisfy({ $0 < $1 }),
                    OfflineState.totalWithinLimit(c.pop), OfflineState.totalWithinLimit(c.top), groups[g] == nil
                else { throw d.invalid("distribution counts have the wrong shape") }
                groups[g] = c
            }
            distribution.append(Distribution(k: k, items: items, groups: groups))
        }
        let counts = try JoinCounts(from: &d)
        var slices: [[String?: [Int]]] = []
        for _ in 0..<parts {
            var values: [String?: [Int]] = [:]
            for _ in 0..<(try d.count(elementSize: 1)) {
                let v = try d.optionalString()
                let c = try d.tallies()
                guard c.count == 3, c.allSatisfy({ $0 >= 0 }), values[v] == nil else {
                    throw d.invalid("slice counts have the wrong shape")
                }
                values[v] = c
            }
            slices.append(values)
        }
        quality = Quality(counts: counts, slices: slices)
    }
}
