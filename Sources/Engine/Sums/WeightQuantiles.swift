/// Exact order statistics of importance weights without keeping every value: a two-pass
/// selection. Weights are non-negative but for recsys-eval's samples of a recsys-eval-runtime
/// dataset, where a negative target propensity gives a negative weight (as in recsys-eval).
///
/// Pass one counts values per bucket: the top 21 bits of the IEEE 754 bit pattern, which orders
/// non-negative doubles (negative ones in reverse: bucket order is value order once the sign's
/// binades are walked from the top down), so a bucket spans a relative width of 2⁻⁹ (about 0.2%). A `Plan` then
/// finds the bucket that holds each wanted rank and the rank inside it. Pass two keeps, as
/// counts of distinct values, only the values that fall into those buckets, and reads each
/// rank off them exactly. Both stages add counts, so partitions merge in any order and the
/// answer is the same for any partitioning.
///
/// Memory: 512 counters per occupied binade (4 KiB; a few dozen binades for weights spread over
/// a few orders of magnitude), plus the distinct values inside the planned buckets: a
/// small share of the values unless most of them lie within 0.2% of a quantile.
public enum WeightQuantiles {
    /// The bucket of a value (-0 counts as +0). Non-negative values have buckets below 2²⁰, in
    /// value order; negative ones at and above it, in reverse value order.
    @inline(__always)
    static func bucket(_ x: Double) -> UInt32 {
        UInt32(truncatingIfNeeded: (x + 0).bitPattern >> 43)
    }

    /// Binades (the top 12 bits of a bucket: the sign and the exponent) in value order: negative
    /// ones (sign bit set) from the largest magnitude down, then non-negative ones upwards.
    static let binadesInValueOrder: [Int] = Array((2048..<4096).reversed()) + Array(0..<2048)

    /// Pass one: how many values fall into each bucket. Buckets are grouped by binade (the
    /// exponent, the top 12 bits): each binade that holds a value gets a run of 512 counters
    /// (4 KiB) in one flat array, so counting is an index lookup and an increment; weights
    /// spread over a few dozen binades take a few hundred KiB.
    public struct Counts: Sendable, Equatable {
        /// Where the 512 counters of binade e (sign and exponent) start in `counters` (-1 until a
        /// value lands there).
        private var start = [Int32](repeating: -1, count: 4096)
        fileprivate var counters: [Int] = []
        public fileprivate(set) var count = 0

        public init() {}

        /// The first counter of binade `e`, made on first use.
        @inline(__always)
        fileprivate mutating func binade(_ e: Int) -> Int {
            let s = start[e]
            if s >= 0 { return Int(s) }
            start[e] = Int32(counters.count)
            counters.append(contentsOf: repeatElement(0, count: 512))
            return counters.count - 512
        }

        @inline(__always)
        public mutating func add(_ x: Double) {
            precondition(!x.isNaN, "weights are numbers")
            let b = WeightQuantiles.bucket(x)
            let i = binade(Int(b >> 9)) + Int(b & 511)
            counters[i] += 1
            count += 1
        }

        public mutating func add(contentsOf xs: [Double]) {
            for x in xs { add(x) }
        }

        public mutating func merge(_ o: Counts) {
            for e in 0..<4096 where o.start[e] >= 0 {
                let mine = binade(e)
                let theirs = Int(o.start[e])
                for i in 0..<512 { counters[mine + i] += o.counters[theirs + i] }
            }
            count += o.count
        }

        /// Occupied buckets in the order of their values, with their counts.
        var buckets: [(bucket: UInt32, count: Int)] {
            var out: [(UInt32, Int)] = []
            for e in WeightQuantiles.binadesInValueOrder where start[e] >= 0 {
                let s = Int(start[e])
                // Inside a negative binade, a larger bucket holds smaller values.
                let inside = e >= 2048 ? stride(from: 511, through: 0, by: -1) : stride(from: 0, through: 511, by: 1)
                for i in inside where counters[s + i] > 0 { out.append((UInt32(e << 9 | i), counters[s + i])) }
            }
            return out
        }

        /// Equal when they count the same values (whatever order their binades were made in).
        public static func == (a: Counts, b: Counts) -> Bool {
            a.count == b.count && a.buckets.elementsEqual(b.buckets) { $0.bucket == $1.bucket && $0.count == $1.count }
        }
    }

    /// Where the wanted ranks lie: for each, its bucket and its rank among that bucket's values.
    public struct Plan: Sendable, Equatable {
        public let ranks: [Int]
        /// For each rank, its bucket and its rank among that bucket's values.
        let targets: [Target]
        /// The distinct target buckets (at most one per rank: a linear scan beats hashing).
        let buckets: [UInt32]

        /// The plan for 0-based `ranks` of the values `counts` counted (each in `0..<counts.count`).
        public init(ranks: [Int], counts: Counts) {
            precondition(ranks.allSatisfy { $0 >= 0 && $0 < counts.count }, "ranks lie inside the values")
            self.ranks = ranks
            let ordered = counts.buckets
            var targets: [Target] = []
            for r in ranks {
                var below = 0
                for (b, n) in ordered {
                    if r < below + n {
                        targets.append(Target(bucket: b, rank: r - below))
                        break
                    }
                    below += n
                }
            }
            self.targets = targets
            var distinct: [UInt32] = []
            for t in targets where !distinct.contains(t.bucket) { distinct.append(t.bucket) }
            buckets = distinct
        }

        /// A plan from its parts (a state file's).
        fileprivate init(ranks: [Int], targets: [Target]) {
            self.ranks = ranks
            self.targets = targets
            var distinct: [UInt32] = []
            for t in targets where !distinct.contains(t.bucket) { distinct.append(t.bucket) }
            buckets = distinct
        }

        /// No rank wanted: collects nothing.
        public static let none = Plan()

        private init() {
            ranks = []
            targets = []
            buckets = []
        }

        struct Target: Sendable, Equatable {
            var bucket: UInt32
            var rank: Int
        }
    }

    /// Pass two: the values inside a plan's buckets.
    public struct Collected: Sendable, Equatable {
        fileprivate var values: [UInt32: ValueCounts] = [:]
        /// A run of equal values not yet counted into `values` (clipped weights repeat the
        /// clipping threshold, often inside a planned bucket): counted with one lookup per run.
        private var run = 0.0
        private var runLength = 0

        public init() {}

        @inline(__always)
        public mutating func add(_ x: Double, plan: Plan) {
            let b = WeightQuantiles.bucket(x)
            guard plan.buckets.contains(b) else { return }
            if runLength > 0 && x + 0 == run {
                runLength += 1
                return
            }
            endRun()
            run = x + 0
            runLength = 1
        }

        private mutating func endRun() {
            guard runLength > 0 else { return }
            values[WeightQuantiles.bucket(run), default: ValueCounts()].add(run, count: runLength)
            runLength = 0
        }

        /// Every value counted into `values`.
        fileprivate var settled: [UInt32: ValueCounts] {
            var c = self
            c.endRun()
            return c.values
        }

        public mutating func merge(_ o: Collected) {
            endRun()
            for (b, v) in o.settled { values[b, default: ValueCounts()].merge(v) }
        }

        public static func == (a: Collected, b: Collected) -> Bool { a.settled == b.settled }

        /// The value at each of the plan's ranks; nil when pass two did not see the values pass
        /// one counted (the two passes must see the same values).
        public func values(for plan: Plan) -> [Double]? {
            var out: [Double] = []
            let values = settled
            for t in plan.targets {
                guard let v = values[t.bucket] else { return nil }
                let sorted = v.sorted()
                guard t.rank < sorted.count else { return nil }
                out.append(sorted.value(atRank: t.rank))
            }
            return out
        }
    }
}

// State encoding (format-spec/state.md §4.3): what pass one counted and pass two kept, so
// shards' passes merge in another process.
extension WeightQuantiles.Counts {
    /// Occupied buckets, ascending, with their counts.
    func encode(to e: inout StateEncoder) {
        let b = buckets.sorted { $0.bucket < $1.bucket }
        e.int32s(b.map { Int32(bitPattern: $0.bucket) })
        e.ints(b.map(\.count))
    }

    init(from d: inout StateDecoder) throws(StateError) {
        let buckets = try d.int32s()
        let counts = try d.tallies()
        guard buckets.count == counts.count, counts.allSatisfy({ $0 > 0 }), StateDecoder.totalWithinLimit(counts),
            zip(buckets, buckets.dropFirst()).allSatisfy({ UInt32(bitPattern: $0) < UInt32(bitPattern: $1) }),
            buckets.allSatisfy({ UInt32(bitPattern: $0) >> 9 < 4096 })
        else { throw d.invalid("weight buckets are not ascending with positive counts") }
        self.init()
        for (b, n) in zip(buckets, counts) {
            let bucket = UInt32(bitPattern: b)
            let i = binade(Int(bucket >> 9)) + Int(bucket & 511)
            counters[i] += n
            count += n
        }
    }
}

extension WeightQuantiles.Plan {
    func encode(to e: inout StateEncoder) {
        e.ints(ranks)
        e.int32s(targets.map { Int32(bitPattern: $0.bucket) })
        e.ints(targets.map(\.rank))
    }

    init(from d: inout StateDecoder) throws(StateError) {
        let ranks = try d.ints()
        let buckets = try d.int32s()
        let inBucket = try d.ints()
        guard buckets.count == inBucket.count, buckets.count <= ranks.count, ranks.allSatisfy({ $0 >= 0 }), inBucket.allSatisfy({ $0 >= 0 })
        else { throw d.invalid("a quantile plan's parts do not match") }
        self.init(ranks: ranks, targets: zip(buckets, inBucket).map { Target(bucket: UInt32(bitPattern: $0), rank: $1) })
    }
}

extension WeightQuantiles.Collected {
    func encode(to e: inout StateEncoder) {
        let s = settled
        let keys = s.keys.sorted()
        e.int32s(keys.map { Int32(bitPattern: $0) })
        for k in keys { e.valueCounts(s[k]!) }
    }

    init(from d: inout StateDecoder) throws(StateError) {
        self.init()
        let keys = try d.int32s()
        guard zip(keys, keys.dropFirst()).allSatisfy({ UInt32(bitPattern: $0) < UInt32(bitPattern: $1) }) else {
            throw d.invalid("collected weights' buckets are not ascending")
        }
        for k in keys {
            let b = UInt32(bitPattern: k)
            let v = try d.valueCounts()
            guard v.count > 0, values[b] == nil else { throw d.invalid("collected weights repeat a bucket") }
            values[b] = v
        }
    }
}
