/// An exact distribution kept as counts of distinct values: what order statistics need (the
/// value at any rank), in memory that grows with the number of distinct values, not of
/// observations. Latencies are logged with a few decimals, so they take a few thousand distinct
/// values however many exposures there are; and counts add, so partitions merge exactly in any
/// order.
public struct ValueCounts: Sendable, Equatable {
    private var counts: [Double: Int] = [:]
    /// Observations added.
    public private(set) var count = 0

    public init() {}

    /// Adds one observation; -0 counts as +0 (they are one key, and one sign must be kept).
    public mutating func add(_ x: Double) {
        precondition(!x.isNaN, "NaN has no rank")
        counts[x + 0, default: 0] += 1
        count += 1
    }

    /// Adds `n` observations of `x`.
    public mutating func add(_ x: Double, count n: Int) {
        precondition(!x.isNaN && n >= 0, "NaN has no rank; counts are non-negative")
        counts[x + 0, default: 0] += n
        count += n
    }

    public mutating func add<S: Sequence>(contentsOf xs: S) where S.Element == Double {
        for x in xs { add(x) }
    }

    public mutating func merge(_ other: ValueCounts) {
        counts.merge(other.counts, uniquingKeysWith: +)
        count += other.count
    }

    public var distinctValues: Int { counts.count }

    /// The distribution with every value replaced by `f(value)` (counts of values that become
    /// equal add).
    public func mapped(_ f: (Double) -> Double) -> ValueCounts {
        var out = ValueCounts()
        for (v, n) in counts { out.add(f(v), count: n) }
        return out
    }

    /// The ascending distinct values and, for each, how many observations are at most it.
    public func sorted() -> Sorted {
        let values = counts.keys.sorted()
        var cumulative: [Int] = []
        cumulative.reserveCapacity(values.count)
        var total = 0
        for v in values {
            total += counts[v]!
            cumulative.append(total)
        }
        return Sorted(values: values, cumulative: cumulative)
    }

    /// A sorted view: answers rank queries by binary search.
    public struct Sorted: Sendable, Equatable {
        public let values: [Double]
        public let cumulative: [Int]

        public var count: Int { cumulative.last ?? 0 }

        /// The value at 0-based `rank` of the ascending observations (`sorted[rank]`).
        public func value(atRank rank: Int) -> Double {
            precondition(rank >= 0 && rank < count, "rank \(rank) outside 0..<\(count)")
            var lo = 0
            var hi = cumulative.count - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if cumulative[mid] > rank { hi = mid } else { lo = mid + 1 }
            }
            return values[lo]
        }

        /// recsys-eval's percentile: `sorted[floor((n - 1) · q)]`, 0 when there is no observation.
        public func floorPercentile(_ q: Double) -> Double {
            count == 0 ? 0 : value(atRank: Int((Double(count - 1) * q).rounded(.down)))
        }
    }
}
