import Engine

/// Percentile intervals of per-case metric means from a Poisson bootstrap over requests (the
/// cases), globally and per segment. Replicate weights come from a counter-based hash of
/// (seed, replicate, request id), so intervals are the same for any thread count, row order or
/// partitioning. All metrics share the replicates; recsys-eval's own intervals (index resampling
/// in map order) are not reproducible, so these are not expected to equal them.
struct BootstrapIntervals {
    /// [metric 0...4][segment or -1 for global] -> interval; metrics in the order precision,
    /// recall, map, ndcg, hitrate.
    var global: [(Double, Double)?]
    var bySegment: [[(Double, Double)?]]

    init(cases: RankingMetrics.CaseValues, segments: Int, iterations: Int, seed: UInt64, level: Double, threads: Int) throws {
        let n = cases.units.count
        let groups = 1 + segments  // 0: global, 1 + s: segment s
        var count = [Int](repeating: 0, count: groups)
        for i in 0..<n {
            count[0] += 1
            if !cases.segment.isEmpty && cases.segment[i] >= 0 { count[1 + Int(cases.segment[i])] += 1 }
        }
        // Replicates are independent: each is one morsel, summed in case order.
        let perReplicate = try Morsels.run(count: iterations, threads: threads) { b -> (den: [Double], num: [[Double]]) in
            var den = [Double](repeating: 0, count: groups)
            var num = [[Double]](repeating: [Double](repeating: 0, count: groups), count: 5)
            for i in 0..<n {
                let w = Double(PoissonBootstrap.weight(seed: seed, replicate: b, unit: cases.units[i]))
                den[0] += w
                if !cases.segment.isEmpty && cases.segment[i] >= 0 { den[1 + Int(cases.segment[i])] += w }
            }
            for (j, caseIndex) in cases.scored.enumerated() {
                let i = Int(caseIndex)
                let seg = cases.segment.isEmpty ? -1 : Int(cases.segment[i])
                let w = Double(PoissonBootstrap.weight(seed: seed, replicate: b, unit: cases.units[i]))
                for m in 0..<5 where cases.values[m][j] != 0 {
                    num[m][0] += w * cases.values[m][j]
                    if seg >= 0 { num[m][1 + seg] += w * cases.values[m][j] }
                }
            }
            return (den, num)
        }
        let denominator = (0..<groups).map { g in perReplicate.map { $0.den[g] } }
        let numerator = (0..<5).map { m in (0..<groups).map { g in perReplicate.map { $0.num[m][g] } } }
        func interval(_ m: Int, _ g: Int) -> (Double, Double)? {
            guard count[g] > 1 else { return nil }
            var means: [Double] = []
            for b in 0..<iterations where denominator[g][b] > 0 { means.append(numerator[m][g][b] / denominator[g][b]) }
            return PoissonBootstrap.percentileInterval(means, level: level).map { ($0.lower, $0.upper) }
        }
        global = (0..<5).map { interval($0, 0) }
        bySegment = (0..<segments).map { s in (0..<5).map { interval($0, 1 + s) } }
    }

    static func metricIndex(_ name: String) -> Int? {
        ["precision": 0, "recall": 1, "map": 2, "ndcg": 3, "hitrate": 4][name]
    }
}
