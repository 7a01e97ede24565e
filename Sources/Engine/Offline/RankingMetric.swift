/// The ranking metrics at cut-off k, declared once: each metric's name, whether recsys-eval's
/// configs may name it, and its value for one case under both definition sets
/// (`RankingMetrics.Definitions`). The scan scores every case through this table, and the
/// report, the bootstrap and the config check read names from it, so adding a metric is one
/// case here and its two formulas below.
public enum RankingMetric: Int, CaseIterable, Sendable {
    case precision, recall, map, ndcg, hitrate, mrr
    /// NDCG with graded gains: 2 for an item with a conversion, 1 for a click only (ir only).
    case ndcgGraded

    /// The metric's name in configs and reports.
    public var name: String {
        switch self {
        case .precision: return "precision"
        case .recall: return "recall"
        case .map: return "map"
        case .ndcg: return "ndcg"
        case .hitrate: return "hitrate"
        case .mrr: return "mrr"
        case .ndcgGraded: return "ndcg_graded"
        }
    }

    public init?(name: String) {
        guard let m = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = m
    }

    /// The metrics recsys-eval defines (SPEC section 6.2): what its configs may name, and what
    /// the case bootstrap resamples, in this order.
    public static let recsysEval: [RankingMetric] = [.precision, .recall, .map, .ndcg, .hitrate]

    /// What one case (a request's first exposure, its list in rank order) gives the formulas.
    struct Case {
        /// Cut-off, and the list length within it (min(k, length)).
        var k: Int
        var shown: Int
        /// Relevant items in the top `shown`, and relevant items in all.
        var hits: Int
        var relevant: Int
        /// Σ over hits of precision at the hit's position.
        var apSum: Double
        /// DCG of the top `shown` (binary and graded gains), and their ideals.
        var dcg: Double
        var idealDCG: Double
        var gradedDCG: Double
        var idealGradedDCG: Double
        /// 1-based position of the first hit (0: none).
        var firstHit: Int
    }

    /// The case's value under recsys-eval's definitions: every first exposure is a case;
    /// precision divides by min(k, length), MAP by min(|R|, k); 0 where the formula has no term.
    func recsysEvalValue(_ c: Case) -> Double {
        switch self {
        case .precision: return c.shown > 0 ? Double(c.hits) / Double(c.shown) : 0
        case .recall: return c.relevant > 0 ? Double(c.hits) / Double(c.relevant) : 0
        case .map: return c.shown > 0 && c.relevant > 0 ? c.apSum / Double(min(c.relevant, c.k)) : 0
        case .ndcg: return c.shown > 0 && c.relevant > 0 ? c.dcg / c.idealDCG : 0
        case .hitrate: return c.shown > 0 && c.hits > 0 ? 1 : 0
        case .mrr: return c.firstHit > 0 ? 1 / Double(c.firstHit) : 0
        case .ndcgGraded: return 0
        }
    }

    /// The case's value under the IR convention (trec_eval, ranx), for a case with at least one
    /// relevant item: P@k divides by k, AP@k by min(|R|, k).
    func irValue(_ c: Case) -> Double {
        switch self {
        case .precision: return Double(c.hits) / Double(c.k)
        case .recall: return Double(c.hits) / Double(c.relevant)
        case .map: return c.apSum / Double(min(c.relevant, c.k))
        case .ndcg: return c.dcg / c.idealDCG
        case .hitrate: return c.hits > 0 ? 1 : 0
        case .mrr: return c.firstHit > 0 ? 1 / Double(c.firstHit) : 0
        case .ndcgGraded: return c.gradedDCG / c.idealGradedDCG
        }
    }
}
