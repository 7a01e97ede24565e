import ColumnarStorage

/// Poisson bootstrap replicate sums for per-case means (offline metrics over requests),
/// accumulated partition by partition and then dropped: memory grows with replicates × groups
/// (every case, and each segment), never with cases.
///
/// Each replicate weighs a case by a counter-based hash of (seed, replicate, case unit), so the
/// sums do not depend on threads. Metric values lie in [0, 1] and are rounded once to multiples
/// of 2⁻⁶⁰; each replicate adds weight × value as 128-bit integers, so its sums are exact and do
/// not depend on which partition a case fell in or the order partitions arrive.
///
/// A class, not a value: its replicates are shared mutable state. It is filled by one owner (the
/// ranking scan's fold, under its lock) and only read afterwards, which is what makes the
/// `@unchecked Sendable` sound.
public final class CaseBootstrap: @unchecked Sendable {
    public let iterations: Int
    public let seed: UInt64
    /// Cases per group: group 0 is every case, then one group per segment id in first-seen order.
    public private(set) var cases: [Int] = [0]
    private var groupOfSegment: [Int64: Int] = [:]
    private var replicates: [Replicate]

    /// One replicate's running sums: `den[g]` = Σ w, `num[m * groups + g]` = Σ w · value of
    /// metric m in units of 2⁻⁶⁰.
    final class Replicate: @unchecked Sendable {
        var den: [Int64] = [0]
        var num: [Int128]
        init(metrics: Int) { num = [Int128](repeating: 0, count: metrics) }
    }

    static let scale = 0x1p60

    /// The metrics per case: recsys-eval's, in `RankingMetric.recsysEval` order.
    public static let metrics = RankingMetric.recsysEval.count

    public init(iterations: Int, seed: UInt64) {
        precondition(iterations >= 1, "at least one replicate")
        self.iterations = iterations
        self.seed = seed
        replicates = (0..<iterations).map { _ in Replicate(metrics: Self.metrics) }
    }

    /// The group of a segment id (nil when no case of that segment was added).
    public func group(ofSegment id: Int64) -> Int? { groupOfSegment[id] }

    /// Adds one partition's cases: each case's unit and segment id (nil: no segments), and for
    /// the cases at `scored` (indices into `units`) their metric values, `values[m][j]`.
    func add(units: [UInt64], segments: [Int64]?, scored: [Int32], values: [[Double]], threads: Int) {
        precondition(values.count == Self.metrics && values.allSatisfy { $0.count == scored.count }, "one value per scored case and metric")
        let fixed = values.map { column in
            column.map { v in
                precondition(v >= 0 && v <= 1, "bootstrap metric values lie in [0, 1]")
                return Int64((v * Self.scale).roundedToEven)
            }
        }
        var groupOf = [Int](repeating: -1, count: units.count)
        if let segments {
            for (i, id) in segments.enumerated() {
                if let g = groupOfSegment[id] {
                    groupOf[i] = g
                } else {
                    groupOfSegment[id] = cases.count
                    groupOf[i] = cases.count
                    cases.append(0)
                }
            }
        }
        let groups = cases.count
        cases[0] += units.count
        for g in groupOf where g > 0 { cases[g] += 1 }
        // New groups get zero sums, laid out metric-major.
        for r in replicates where r.den.count < groups {
            let old = r.den.count
            r.den += [Int64](repeating: 0, count: groups - old)
            var num = [Int128](repeating: 0, count: Self.metrics * groups)
            for m in 0..<Self.metrics { for g in 0..<old { num[m * groups + g] = r.num[m * old + g] } }
            r.num = num
        }
        let replicates = replicates
        let groupOfCase = groupOf
        let iterations = iterations
        // Each case's hash stream base once; one hash gives its weights in eight replicates, so
        // work goes out in blocks of eight replicates.
        let bases = units.map { PoissonBootstrap.base(seed: seed, unit: $0) }
        let scoredCases = scored.map { Int($0) }
        _ = Morsels.run(count: (iterations + 7) / 8, threads: threads) { block in
            let lanes = min(8, iterations - block * 8)
            // Each replicate's running sums move to locals (no shared cache lines, no
            // reference-counted access in the loop) and back.
            var den = (0..<lanes).map { replicates[block * 8 + $0].den }
            var num = (0..<lanes).map { replicates[block * 8 + $0].num }
            for lane in 0..<lanes {
                replicates[block * 8 + lane].den = []
                replicates[block * 8 + lane].num = []
            }
            var weights = [UInt8](repeating: 0, count: 8 * units.count)
            for i in 0..<units.count {
                let h = PoissonBootstrap.block(base: bases[i], block)
                for lane in 0..<8 {
                    weights[i * 8 + lane] = UInt8(PoissonBootstrap.weight(byte: UInt8(truncatingIfNeeded: h >> (UInt64(lane) * 8))))
                }
            }
            // Weights are at most 5 and values at most 2⁶⁰, so no sum of fewer than 2⁶⁰ cases can
            // leave 127 bits: the wrapping operators only skip overflow checks that cannot fire.
            for lane in 0..<lanes {
                var d = den[lane]
                var n = num[lane]
                for i in 0..<units.count {
                    let w = Int64(weights[i * 8 + lane])
                    d[0] &+= w
                    if groupOfCase[i] > 0 { d[groupOfCase[i]] &+= w }
                }
                for (j, i) in scoredCases.enumerated() {
                    let w = Int128(weights[i * 8 + lane])
                    if w == 0 { continue }
                    let g = groupOfCase[i]
                    for m in 0..<Self.metrics where fixed[m][j] != 0 {
                        let x = w &* Int128(fixed[m][j])
                        n[m * groups] &+= x
                        if g > 0 { n[m * groups + g] &+= x }
                    }
                }
                den[lane] = d
                num[lane] = n
            }
            for lane in 0..<lanes {
                replicates[block * 8 + lane].den = den[lane]
                replicates[block * 8 + lane].num = num[lane]
            }
        }
    }

    /// The replicate means of metric `m` in `group` (replicates with no weight left out).
    public func means(metric m: Int, group g: Int) -> [Double] {
        precondition(m >= 0 && m < Self.metrics && g >= 0 && g < cases.count, "metric and group exist")
        let groups = cases.count
        return replicates.compactMap { r in r.den[g] > 0 ? r.num[m * groups + g].nearestDouble / Self.scale / Double(r.den[g]) : nil }
    }
}

extension CaseBootstrap {
    /// One group's replicate sums, as a state keeps them: its cases, each replicate's weight sum,
    /// and each metric's weighted sums per replicate (`num[m * iterations + r]`).
    struct GroupSums: Sendable, Equatable {
        var cases: Int
        var den: [Int64]
        var num: [Int128]

        mutating func add(_ o: GroupSums) {
            cases += o.cases
            for r in den.indices { den[r] &+= o.den[r] }
            for i in num.indices { num[i] &+= o.num[i] }
        }
    }

    /// Group `g`'s sums (0: every case).
    func sums(group g: Int) -> GroupSums {
        let groups = cases.count
        var num = [Int128](repeating: 0, count: Self.metrics * iterations)
        for (r, rep) in replicates.enumerated() { for m in 0..<Self.metrics { num[m * iterations + r] = rep.num[m * groups + g] } }
        return GroupSums(cases: cases[g], den: replicates.map { $0.den[g] }, num: num)
    }

    /// The segment ids that have a group, with their groups.
    var segmentGroups: [(id: Int64, group: Int)] { groupOfSegment.map { ($0.key, $0.value) } }

    /// A bootstrap from groups' sums: group 0 every case, then segment `ids[i]` in group i + 1.
    convenience init(iterations: Int, seed: UInt64, every: GroupSums, segments: [(id: Int64, sums: GroupSums)]) {
        self.init(iterations: iterations, seed: seed)
        let all = [every] + segments.map(\.sums)
        let groups = all.count
        cases = all.map(\.cases)
        for (i, s) in segments.enumerated() { groupOfSegment[s.id] = i + 1 }
        for (r, rep) in replicates.enumerated() {
            rep.den = all.map { $0.den[r] }
            var num = [Int128](repeating: 0, count: Self.metrics * groups)
            for m in 0..<Self.metrics { for (g, s) in all.enumerated() { num[m * groups + g] = s.num[m * iterations + r] } }
            rep.num = num
        }
    }
}
