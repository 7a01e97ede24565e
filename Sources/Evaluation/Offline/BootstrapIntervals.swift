import Engine

/// Percentile intervals of per-case metric means from a Poisson bootstrap over requests (the
/// cases), globally and per segment, from the replicate sums the ranking scan accumulates
/// (`CaseBootstrap`). Replicate weights come from a counter-based hash of
/// (seed, replicate, request id), so intervals are the same for any thread count, row order or
/// partitioning. All metrics share the replicates; recsys-eval's own intervals (index resampling
/// in map order) are not reproducible, so these are not expected to equal them.
struct BootstrapIntervals {
    /// [metric][segment or -1 for global] -> interval; metrics in `RankingMetric.recsysEval` order.
    var global: [(Double, Double)?]
    var bySegment: [[(Double, Double)?]]

    /// Intervals from the replicate sums of `ranking.bootstrap`, for its segments in their order.
    init(_ ranking: RankingMetrics, level: Double) {
        let boot = ranking.bootstrap!
        func interval(_ m: Int, _ g: Int?) -> (Double, Double)? {
            guard let g, boot.cases[g] > 1 else { return nil }
            return PoissonBootstrap.percentileInterval(boot.means(metric: m, group: g), level: level).map { ($0.lower, $0.upper) }
        }
        global = RankingMetric.recsysEval.indices.map { interval($0, 0) }
        bySegment = ranking.segments.map { seg in RankingMetric.recsysEval.indices.map { interval($0, boot.group(ofSegment: seg.id)) } }
    }

    static func metricIndex(_ name: String) -> Int? {
        RankingMetric(name: name).flatMap { RankingMetric.recsysEval.firstIndex(of: $0) }
    }
}
