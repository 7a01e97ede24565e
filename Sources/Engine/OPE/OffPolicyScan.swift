import CPrefetch
import ColumnarFormat
import ColumnarStorage

#if canImport(Glibc)
    import Glibc
#endif

/// The passes behind off-policy evaluation: recsys-eval's samples and sums (SPEC §9), and
/// receval's per-request estimator terms over deduplicated slates with diagnostics per segment
/// and per-unit sums for the bootstrap.
///
/// A first pass (`CountingPass`) over outcomes and slates builds the reward models and counts the
/// importance weights per bucket; a second (`EstimatorPass`) computes everything else and keeps
/// only the weights that lie in the buckets of the wanted quantiles (`WeightQuantiles`), so
/// quantiles are exact and no pass keeps every weight. Both are `PartitionScan`s: partitions run
/// in parallel and fold in partition order, and every sum across requests is exact (`ExactSum`,
/// `KeyedSums`), so results depend neither on the thread count nor on the partitioning.
public struct OffPolicyScan: Sendable {
    public struct Options: Sendable {
        public enum Reward: Sendable { case click, conversion, value }
        // recsys-eval (compat) semantics.
        public var compatEvent = "click"
        public var compatItemUnit = false
        public var compatMax = false
        public var topK = 0
        public var clipping = 0.0
        public var minPropensity = 1e-6
        public var allowMissingTarget = false
        public var log2Discount = false
        // receval.
        public var reward = Reward.click
        /// Use the items' `reward_estimate` / `target_reward_estimate` instead of the fitted model.
        public var loggedModel = false
        public var smoothing = 10.0
        public var clipIPS = 10.0
        public var switchThreshold = 10.0
        public var sliceKeys: [String] = []
        /// Slots of the fitted model; later slots share the last one.
        public var modelSlots = 16
        /// Compute receval's estimators (`global`, `segments`, units); `false` leaves only
        /// recsys-eval's sums (`compat`), and the first pass only plans their weight quantile.
        public var analysis = true
        /// Keep per-user sums of every term (the bootstrap's input, 16 B per user and term);
        /// without them only the distinct users are counted (one bit per user).
        public var unitSums = true
        /// With `unitSums`: `run` also computes the bootstrap's replicate sums
        /// (`OffPolicyScan.replicateSums`) and keeps them instead of the per-user sums, taking the
        /// users in parts (`unitsPerPart`) so that per-user state never exceeds one part's.
        public var bootstrap: (iterations: Int, seed: UInt64)? = nil
        /// Users per part for the bootstrap (nil: as many as `UnitParts.budget` bytes hold).
        public var unitsPerPart: Int? = nil

        public init() {}
    }

    /// recsys-eval's OPE sums (SPEC §9.1–9.4).
    public struct Compat: Sendable {
        public var samples = 0
        public var ips = ExactSum()
        public var ipsSquares = ExactSum()
        public var weights = ExactSum()
        public var weightSquares = ExactSum()
        public var dr = ExactSum()
        public var drSquares = ExactSum()
        public var clipped = 0
        public var missingTarget = 0
        public var nearZero = 0
        /// The largest sample weight (−∞ before the first: in a recsys-eval-runtime dataset every
        /// weight may be negative).
        public var maxWeight = -Double.infinity
        /// The samples' weights in the buckets of `plan` (for the exact p95).
        public var weightValues = WeightQuantiles.Collected()
        public var plan = WeightQuantiles.Plan.none
        /// Sums of the exposure row being read (v, v², w, w², dr, dr²).
        var row = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)

        mutating func merge(_ o: Compat) {
            samples += o.samples
            ips.add(o.ips)
            ipsSquares.add(o.ipsSquares)
            weights.add(o.weights)
            weightSquares.add(o.weightSquares)
            dr.add(o.dr)
            drSquares.add(o.drSquares)
            clipped += o.clipped
            missingTarget += o.missingTarget
            nearZero += o.nearZero
            maxWeight = max(maxWeight, o.maxWeight)
            weightValues.merge(o.weightValues)
        }

        /// recsys-eval's weight p95: `sorted[round((n − 1) · 0.95)]` over every sample.
        public static func p95Rank(samples n: Int) -> Int { Int((Double(n - 1) * 0.95).rounded()) }

        /// The p95 of the samples' weights (pass one planned its bucket, pass two kept it).
        public var p95: Double? { weightValues.values(for: plan)?.first }

        /// Whether every sum the report prints is a number: a weight can be infinite (a negative
        /// target propensity over a subnormal logging one) or so large that its square leaves
        /// the exact sums' range.
        public var isFinite: Bool {
            [ips, ipsSquares, weights, weightSquares, dr, drSquares].allSatisfy { $0.value.isFinite }
                && (samples == 0 || maxWeight.isFinite)
        }
    }

    /// The per-request terms receval's estimators are means of (docs/ope.md). Slot k has
    /// weight w = π_e/π_0, position weight q, reward r, model q̂ and target model value d.
    public enum Term: Int, CaseIterable, Sendable {
        /// Valid slots.
        case slots
        /// Σ q w r (IPS; independent-item IPS).
        case ips
        /// Σ q min(w, λ) r.
        case clippedIPS
        /// Σ w (self-normalisation).
        case weights
        /// Σ q d (direct method).
        case dm
        /// Σ q w (r − q̂) (doubly robust correction).
        case residual
        /// Σ q 1[w ≤ τ] w (r − q̂) (switch-DR correction).
        case switchResidual
        /// Σ_k q_k (Π_{j≤k} w_j) r_k (reward-interaction IPS).
        case rips
        /// (Π_k w_k) Σ_k q_k r_k (standard slate IPS).
        case sips
        /// (Σ_k w_k − (K − 1)) Σ_k q_k r_k (pseudo-inverse).
        case pseudoInverse
        /// Σ q r (the logging policy's own value).
        case logged
    }
    public static let termCount = Term.allCases.count

    /// Sums over the requests of one scope (all, or one segment).
    ///
    /// Every sum that crosses requests is an `ExactSum`, so a scope merged from partitions in any
    /// grouping (threads, partition counts, shards) has the same bits.
    public struct Scope: Sendable {
        public var requests = 0
        /// Σ x_t of each term over requests.
        var sums = [ExactSum](repeating: ExactSum(), count: OffPolicyScan.termCount)
        /// Σ x_i x_j over requests, `products[i * termCount + j]` for i ≤ j.
        var products = [ExactSum](repeating: ExactSum(), count: OffPolicyScan.termCount * OffPolicyScan.termCount)
        var weightTotal = ExactSum()
        var weightSquareTotal = ExactSum()
        public var maxWeight = 0.0
        public var clipped = 0
        /// Slots whose target propensity is positive where the logging propensity is zero or missing.
        public var supportViolations = 0
        public var missingTarget = 0
        public var missingLogging = 0
        public var nearZeroLogging = 0
        /// Slots without the logged reward estimates (`reward_model: logged`).
        public var missingEstimates = 0
        public var histogram = [Int](repeating: 0, count: OffPolicyScan.histogramBins)
        /// Valid slots (one weight each).
        public var slots = 0
        /// The slots' weights in the buckets of `plan` (for the exact quantiles).
        public var weightValues = WeightQuantiles.Collected()
        public var plan = WeightQuantiles.Plan.none

        /// The weight quantiles diagnostics report, at 0-based ranks `round((k − 1) · q)` of the k slots.
        public static let quantiles = [0.5, 0.9, 0.95, 0.99]

        public static func quantileRanks(slots k: Int) -> [Int] { quantiles.map { Int((Double(k - 1) * $0).rounded()) } }

        /// The exact weight quantiles (`quantiles`), nil without slots.
        public var weightQuantiles: [Double]? { slots == 0 ? nil : weightValues.values(for: plan) }

        /// Whether every sum the report reads is a number (the largest weight finite, and no
        /// sum of terms, squares or co-moments beyond the exact sums' range).
        public var isFinite: Bool {
            maxWeight.isFinite && weightTotal.value.isFinite && weightSquareTotal.value.isFinite
                && sums.allSatisfy { $0.value.isFinite } && products.allSatisfy { $0.value.isFinite }
        }

        /// Σ w and Σ w² over the scope's slots.
        public var weightSum: Double { weightTotal.value }
        public var weightSquares: Double { weightSquareTotal.value }

        /// Mean of each term over requests.
        public var means: [Double] {
            let n = Double(requests)
            return sums.map { requests > 0 ? $0.value / n : 0 }
        }

        init(plan: WeightQuantiles.Plan = .none) { self.plan = plan }

        /// Adds one request's terms `x` (`termCount` values); `nonZero` is scratch space.
        @inline(__always)
        mutating func addRequest(_ x: UnsafePointer<Double>, scratch nonZero: UnsafeMutablePointer<Int>) {
            requests += 1
            let n = OffPolicyScan.termCount
            var count = 0
            for i in 0..<n where x[i] != 0 {
                nonZero[count] = i
                count += 1
                sums[i].add(x[i])
            }
            for a in 0..<count {
                let i = nonZero[a]
                for b in a..<count {
                    let j = nonZero[b]
                    products[i * n + j].add(x[i] * x[j])
                }
            }
        }

        mutating func merge(_ o: Scope) {
            requests += o.requests
            for i in sums.indices { sums[i].add(o.sums[i]) }
            for i in products.indices { products[i].add(o.products[i]) }
            weightTotal.add(o.weightTotal)
            weightSquareTotal.add(o.weightSquareTotal)
            maxWeight = max(maxWeight, o.maxWeight)
            clipped += o.clipped
            supportViolations += o.supportViolations
            missingTarget += o.missingTarget
            missingLogging += o.missingLogging
            nearZeroLogging += o.nearZeroLogging
            missingEstimates += o.missingEstimates
            for i in histogram.indices { histogram[i] += o.histogram[i] }
            slots += o.slots
            weightValues.merge(o.weightValues)
        }

        /// Sample covariance of terms i and j (denominator n − 1).
        /// Σ (x_i − x̄_i)(x_j − x̄_j) = Σ x_i x_j − (Σ x_i) x̄_j: zero for a constant term (its
        /// sums are exact and x̄ is the constant).
        public func covariance(_ i: Int, _ j: Int) -> Double {
            guard requests > 1 else { return 0 }
            let n = Double(requests)
            let (a, b) = i <= j ? (i, j) : (j, i)
            let comoment = products[a * OffPolicyScan.termCount + b].value - sums[a].value * (sums[b].value / n)
            return comoment / (n - 1)
        }

        public func mean(_ t: Term) -> Double { requests > 0 ? sums[t.rawValue].value / Double(requests) : 0 }
    }

    /// Weight histogram: bin 0 holds w = 0, bin 1 (0, 2⁻¹⁰), bins 2…21 [2^(b−12), 2^(b−11)), bin 22 [2¹⁰, ∞).
    public static let histogramBins = 23

    /// How many exposure rows ahead the scans prefetch the model cells of (about 30-60 random
    /// cells in flight, enough to cover a memory miss at the scans' pace).
    static let prefetchDistance = 3

    public static func histogramBin(_ w: Double) -> Int {
        if w <= 0 { return 0 }
        if w < 0x1p-10 { return 1 }
        if w >= 0x1p10 { return 22 }
        return Int(w.exponent) + 12
    }

    public var compat = Compat()
    public var global = Scope()
    /// Segments by key (`k=v|…`), sorted byte-wise.
    public var segments: [(key: String, scope: Scope)] = []
    /// Per-user sums for the bootstrap: unit ids (user codes), and for each unit its request
    /// count followed by the sums of every term (`unitSums[u * (termCount + 1) + c]`; empty
    /// unless `Options.unitSums`, and empty when `run` computed `replicateSums` from them).
    public var units: [UInt64] = []
    public var unitSums: [Double] = []
    /// Distinct users of the analysed requests.
    public var unitCount = 0
    /// The bootstrap's replicate sums, `[c * iterations + r]` for column c of the per-user sums
    /// (the request count, then each term), when `Options.bootstrap` asked `run` for them.
    public var replicateSums: [Double]? = nil
    /// How many parts the users were taken in (1 unless the per-user sums exceeded the budget).
    public var unitParts = 1
    public var counts = JoinCounts()
    /// The fitted model's slot means and the target model value d per slot (fitted model only).
    public var slotMeans: [Double] = []
    public var slotTargetValues: [Double] = []
    public var bytesTouched = 0

    /// The per-partition columns both passes read.
    struct PartitionData {
        var exReq: [Int32] = []
        var exUser: [Int32] = []
        var itemStart: [Int] = []
        var item: [Int32] = []
        var rank: [Int64] = []
        var propPresent: [UInt8] = []
        var prop: [Double] = []
        var logPresent: [UInt8] = []
        var log: [Double] = []
        var tgtPresent: [UInt8] = []
        var tgt: [Double] = []
        var extraPresent: [UInt8] = []
        var extra: ByteStrings? = nil
        var ocReq: [Int32] = []
        var ocItem: [Int32] = []
        var ocEvent: [Int32] = []
        var ocValue: [Double] = []
        /// Outcome rows of each request code, in row order.
        var outcomes = RequestOutcomes(requestOfRow: [], requests: 0)

        var outcomeColumns: Outcomes { Outcomes(request: ocReq, item: ocItem, event: ocEvent, value: ocValue) }

        /// Fills `slate` with exposure row `row`'s item indices sorted by rank (stable), truncated to `topK`.
        @inline(__always)
        func slate(_ row: Int, topK: Int, into slate: SlateBuffer) {
            slate.fill(itemStart[row], itemStart[row + 1], rank: rank, topK: topK)
        }
    }

    /// Loads a partition's columns. Without `identities` the item and user columns stay empty
    /// (recsys-eval's weights alone need neither).
    static func load(
        _ load: inout ColumnLoader, requests: Int, items: Int, users: Int, events: Int, extra: Bool, identities: Bool = true
    ) throws -> PartitionData {
        var d = PartitionData()
        d.exReq = try load.int32("exposures", "request_id", bound: requests)
        if identities { d.exUser = try load.int32("exposures", "user_id", bound: max(users, 1)) }
        let nItems = try load.counts("exposures", "item_count")
        d.itemStart = [Int](repeating: 0, count: d.exReq.count + 1)
        for i in 0..<d.exReq.count { d.itemStart[i + 1] = d.itemStart[i] + Int(nItems[i]) }
        if identities { d.item = try load.int32("exposures", "item_id", bound: max(items, 1)) }
        d.rank = try load.int64("exposures", "rank")
        d.logPresent = try load.bool("exposures", "logging_propensity_present")
        d.log = try load.double("exposures", "logging_propensity")
        // The legacy `propensity` is read only where `logging_propensity` is absent: when no item
        // of the partition lacks it, neither column is decoded (`logging` never reaches them).
        let everyItemLogged = !d.logPresent.contains(0)
        if !everyItemLogged {
            d.propPresent = try load.bool("exposures", "propensity_present")
            d.prop = try load.double("exposures", "propensity")
        }
        d.tgtPresent = try load.bool("exposures", "target_propensity_present")
        d.tgt = try load.double("exposures", "target_propensity")
        if extra {
            d.extraPresent = try load.bool("exposures", "extra_present")
            d.extra = try load.extra("exposures")
        }
        let n = d.rank.count
        guard d.itemStart[d.exReq.count] == n, !identities || (d.item.count == n && d.exUser.count == d.exReq.count), d.log.count == n,
            d.tgt.count == n,
            everyItemLogged || (d.prop.count == n && d.propPresent.count == n), d.logPresent.count == n, d.tgtPresent.count == n,
            d.extra == nil || (d.extra!.count == n && d.extraPresent.count == n)
        else {
            throw StorageError.corrupt(
                path: load.reader.path, reason: "partition \(load.partition): item columns do not match the item counts")
        }
        let oc = try loadOutcomes(&load, requests: requests, items: items, events: events)
        d.ocReq = oc.request
        d.ocItem = oc.item
        d.ocEvent = oc.event
        d.ocValue = oc.value
        d.outcomes = RequestOutcomes(requestOfRow: d.ocReq, requests: requests)
        return d
    }

    /// The outcome columns the scans read; `value` is 0 where absent.
    struct Outcomes {
        var request: [Int32]
        var item: [Int32]
        var event: [Int32]
        var value: [Double]
    }

    static func loadOutcomes(_ load: inout ColumnLoader, requests: Int, items: Int, events: Int) throws -> Outcomes {
        let request = try load.int32("outcomes", "request_id", bound: requests)
        let item = try load.int32("outcomes", "item_id", bound: max(items, 1))
        let event = try load.int32("outcomes", "event_type", bound: max(events, 1))
        let present = try load.bool("outcomes", "value_present")
        var value = try load.double("outcomes", "value")
        guard item.count == request.count, event.count == request.count, value.count == request.count, present.count == request.count
        else {
            throw StorageError.corrupt(path: load.reader.path, reason: "partition \(load.partition): outcome columns differ in length")
        }
        for i in 0..<value.count where present[i] == 0 { value[i] = 0 }
        return Outcomes(request: request, item: item, event: event, value: value)
    }

    /// recsys-eval's reward model sums: per item, the reward value (1 where the outcome has
    /// none) and the count of outcomes with the reward event.
    static func addCompatModel(_ outcomes: Outcomes, isCompatEvent: [Bool], into model: inout KeyedSums) {
        for i in 0..<outcomes.item.count where isCompatEvent[Int(outcomes.event[i])] {
            let r = model.row(outcomes.item[i])
            model.add(row: r, 0, outcomes.value[i] != 0 ? outcomes.value[i] : 1)
            model.add(row: r, 1, 1)
        }
        model.seal()
    }

    /// The logging propensity of item j: `logging_propensity`, else the legacy `propensity`
    /// (loaded only for partitions where some item lacks `logging_propensity`).
    @inline(__always)
    static func logging(_ d: PartitionData, _ j: Int) -> Double? {
        if d.logPresent[j] != 0 { return d.log[j] }
        if d.propPresent[j] != 0 { return d.prop[j] }
        return nil
    }

    /// receval's reward of item j of a request: from every outcome of the request on that item.
    @inline(__always)
    static func reward(
        _ d: PartitionData, request: Int, item: Int32, kind: Options.Reward, isClick: [Bool], isConversion: [Bool]
    ) -> Double {
        var r = 0.0
        for o in d.outcomes.of(request) {
            let row = Int(o)
            guard d.ocItem[row] == item else { continue }
            let e = Int(d.ocEvent[row])
            switch kind {
            case .click: if isClick[e] { return 1 }
            case .conversion: if isConversion[e] { return 1 }
            case .value: if isConversion[e] { r += d.ocValue[row] }
            }
        }
        return r
    }

    public static func run(reader: DatasetReader, options: Options, threads: Int) throws -> OffPolicyScan {
        let context = try Context(reader: reader, options: options)
        let counting = CountingPass(context)
        let counted = try counting.fold(threads: threads)
        let models = counted.models(context, fitted: counting.fittedPool.merged())
        // Users in parts only for the bootstrap, whose replicate sums go on from part to part;
        // every later part repeats pass two for its own users' sums alone.
        let parts =
            options.unitSums && options.bootstrap != nil
            ? UnitParts.ranges(
                users: context.users, perPart: options.unitsPerPart ?? UnitParts.perPart(columns: termCount + 1, threads: threads))
            : [0..<context.users]
        var scan = OffPolicyScan()
        // Pass two over `range`'s users: the scan (first part only) and the users' sums, the
        // dense table gone once they are compacted.
        func part(_ range: Range<Int>, first: Bool) throws -> (units: [UInt64], sums: [Double]) {
            let state = try EstimatorPass(context, models, units: range, unitsOnly: !first).fold(threads: threads)
            if first {
                scan = state.scan
                scan.segments = SegmentKeys.named(state.segments, names: options.sliceKeys, values: context.ctxValues).map {
                    ($0.key, $0.value)
                }
                if !options.unitSums { scan.unitCount = state.seenUsers.reduce(0) { $0 + $1.nonzeroBitCount } }
            }
            return options.unitSums ? state.unitDense.compacted() : ([], [])
        }
        for (i, range) in parts.enumerated() {
            let (codes, sums) = try part(range, first: i == 0)
            guard options.unitSums else { break }
            let units = codes.map { $0 + UInt64(range.lowerBound) }
            scan.unitCount += units.count
            if let b = options.bootstrap {
                scan.replicateSums = try replicateSums(
                    units: units, unitSums: sums, iterations: b.iterations, seed: b.seed, threads: threads, continuing: scan.replicateSums)
            } else {
                (scan.units, scan.unitSums) = (units, sums)
            }
        }
        scan.unitParts = parts.count
        scan.bytesTouched += counted.touched
        scan.slotMeans = context.fitted ? models.slotMeans : []
        scan.slotTargetValues = context.fitted ? models.slotTarget : []
        return scan
    }

    /// The bootstrap's replicate sums over users: `[c * iterations + r]` is Σ over the users of
    /// their weight in replicate r times column c of their sums (`unitSums`, `termCount + 1` per
    /// user, in `units` order). `continuing`: the sums over earlier users (`PoissonBootstrap`).
    public static func replicateSums(
        units: [UInt64], unitSums: [Double], iterations: Int, seed: UInt64, threads: Int, continuing: [Double]? = nil
    ) throws -> [Double] {
        try PoissonBootstrap.replicateSums(
            units: units, arm: [Int32](repeating: 0, count: units.count), arms: 1, unitMajor: unitSums, columns: termCount + 1,
            replicates: iterations, seed: seed, threads: threads, continuing: continuing)
    }

    /// What both passes read besides a partition: the options and the dictionaries, resolved once.
    struct Context: Sendable {
        let reader: DatasetReader
        let o: Options
        let codes: DatasetCodes
        let isCompatEvent: [Bool]
        let sliceCodes: [Int32]
        /// Slots of the fitted model.
        let slots: Int
        /// The passes fit the reward model (receval's estimators without logged estimates).
        var fitted: Bool { o.analysis && !o.loggedModel }

        init(reader: DatasetReader, options: Options) throws {
            self.reader = reader
            o = options
            codes = try DatasetCodes(reader: reader)
            isCompatEvent = codes.events.codes(goLowercasedTo: options.compatEvent)
            sliceCodes = codes.keyCodes(options.sliceKeys)
            slots = max(1, options.modelSlots)
        }

        var items: Int { codes.items }
        var users: Int { codes.users }
        var ctxValues: DictionaryIndex { codes.ctxValues }
    }

    /// The models and quantile plans pass one yields for pass two.
    struct Models: Sendable {
        var compatPlan: WeightQuantiles.Plan
        var globalPlan: WeightQuantiles.Plan
        var segmentPlans: [Int64: WeightQuantiles.Plan]
        /// recsys-eval's model: mean reward value per item.
        var compatModel: [Double]
        /// The fitted model q̂(a, s), `[a * slots + s]` (empty with logged estimates).
        var qModel: [Double]
        var slotMeans: [Double]
        /// The target's model value per slot, d_s.
        var slotTarget: [Double]

        /// The plans for the exact quantiles, recsys-eval's model and the fitted model, from what
        /// pass one summed over `items` items (one run's, or states merged), and the plans of the
        /// segments `segmentWeights` counted.
        static func compute<K: Hashable>(
            _ o: Options, slots: Int, items: Int, fitted: Bool, compatModelSums: KeyedSums.Dense, fittedSums: KeyedSums.Dense,
            compatWeights: WeightQuantiles.Counts, globalWeights: WeightQuantiles.Counts, segmentWeights: [K: WeightQuantiles.Counts]
        ) -> (Models, [K: WeightQuantiles.Plan]) {
            // The ranks each quantile needs, and where they lie.
            let compatPlan =
                compatWeights.count > 0
                ? WeightQuantiles.Plan(ranks: [Compat.p95Rank(samples: compatWeights.count)], counts: compatWeights) : .none
            func scopePlan(_ c: WeightQuantiles.Counts) -> WeightQuantiles.Plan {
                c.count > 0 ? WeightQuantiles.Plan(ranks: Scope.quantileRanks(slots: c.count), counts: c) : .none
            }
            let compatModel = (0..<items).map {
                compatModelSums.value($0, 1) > 0 ? compatModelSums.value($0, 0) / compatModelSums.value($0, 1) : 0
            }
            // Fitted model: q̂(a, s) = (R_as + α μ_s) / (N_as + α), μ_s the slot's mean reward; the
            // target's model value in slot s: d_s = Σ_a W_as q̂(a, s) / Σ_a W_as.
            var fittedModel: [Double] = []
            var slotMeans = [Double](repeating: 0, count: slots)
            var slotTarget = [Double](repeating: 0, count: slots)
            if fitted {
                var n = [Double](repeating: 0, count: slots)
                var r = [Double](repeating: 0, count: slots)
                for a in 0..<items {
                    for s in 0..<slots {
                        n[s] += fittedSums.value(a, 3 * s)
                        r[s] += fittedSums.value(a, 3 * s + 1)
                    }
                }
                for s in 0..<slots { slotMeans[s] = n[s] > 0 ? r[s] / n[s] : 0 }
                fittedModel = [Double](repeating: 0, count: items * slots)
                var wq = [Double](repeating: 0, count: slots)
                var w = [Double](repeating: 0, count: slots)
                for a in 0..<items {
                    for s in 0..<slots {
                        let denominator = fittedSums.value(a, 3 * s) + o.smoothing
                        let q =
                            denominator > 0 ? (fittedSums.value(a, 3 * s + 1) + o.smoothing * slotMeans[s]) / denominator : slotMeans[s]
                        fittedModel[a * slots + s] = q
                        wq[s] += fittedSums.value(a, 3 * s + 2) * q
                        w[s] += fittedSums.value(a, 3 * s + 2)
                    }
                }
                for s in 0..<slots { slotTarget[s] = w[s] > 0 ? wq[s] / w[s] : slotMeans[s] }
            }

            let models = Models(
                compatPlan: compatPlan, globalPlan: scopePlan(globalWeights), segmentPlans: [:],
                compatModel: compatModel, qModel: fittedModel, slotMeans: slotMeans, slotTarget: slotTarget)
            return (models, segmentWeights.mapValues(scopePlan))
        }
    }

    /// Pass one: recsys-eval's model (mean reward value per item over all outcomes with the
    /// reward event); for the fitted model, impressions, rewards and target weight per (item,
    /// slot), added into tables the workers borrow; and the weights of recsys-eval's samples and
    /// of receval's slots (global and per segment) counted per bucket, to plan the exact
    /// quantiles pass two keeps.
    struct CountingPass: PartitionScan {
        let context: Context
        var reader: DatasetReader { context.reader }
        /// The fitted model's sums go straight into borrowed dense tables (exact cells: the grouping
        /// does not matter), so no partition builds and merges a row of cells per item.
        let fittedPool: DenseSumsPool

        init(_ c: Context) {
            context = c
            fittedPool = DenseSumsPool(keyCount: c.fitted ? c.items : 0, width: 3 * c.slots)
        }

        struct Partial: Sendable {
            var compatModel: KeyedSums
            var compatWeights = WeightQuantiles.Counts()
            var globalWeights = WeightQuantiles.Counts()
            var segmentWeights: [Int64: WeightQuantiles.Counts] = [:]
            var touched = 0
        }

        struct State {
            var compatModelSums: KeyedSums.Dense
            var compatWeights = WeightQuantiles.Counts()
            var globalWeights = WeightQuantiles.Counts()
            var segmentWeights: [Int64: WeightQuantiles.Counts] = [:]
            var touched = 0

            /// The plans for the exact quantiles, recsys-eval's model and the fitted model.
            func models(_ c: Context, fitted fittedSums: KeyedSums.Dense) -> Models {
                var (m, plans) = Models.compute(
                    c.o, slots: c.slots, items: c.items, fitted: c.fitted, compatModelSums: compatModelSums, fittedSums: fittedSums,
                    compatWeights: compatWeights, globalWeights: globalWeights, segmentWeights: segmentWeights)
                m.segmentPlans = plans
                return m
            }
        }

        func start() -> State { State(compatModelSums: KeyedSums.Dense(keyCount: context.items, width: 2)) }

        func combine(_ part: Partial, into state: inout State) {
            state.compatModelSums.add(part.compatModel)
            state.touched += part.touched
            state.compatWeights.merge(part.compatWeights)
            state.globalWeights.merge(part.globalWeights)
            for (k, c) in part.segmentWeights { state.segmentWeights[k, default: WeightQuantiles.Counts()].merge(c) }
        }

        func scan(partition p: Int) throws -> Partial {
            if !context.o.analysis && context.o.compatItemUnit && context.o.topK == 0 { return try itemWeightsOnly(partition: p) }
            // Locals, not `self`'s members: the loops below then touch no reference counts.
            let o = context.o
            let items = context.codes.items
            let users = context.codes.users
            let events = context.codes.events
            let ctxKeys = context.codes.ctxKeys
            let ctxValues = context.codes.ctxValues
            let isClick = context.codes.isClick
            let isConversion = context.codes.isConversion
            let isCompatEvent = context.isCompatEvent
            let sliceCodes = context.sliceCodes
            let slots = context.slots
            let fittedPool = self.fittedPool
            let requests = Int(reader.footer.partitions[p].requestDictionary.count)
            var load = ColumnLoader(reader: reader, partition: p)
            // Without the fitted model, pass one reads no item or user ids.
            let d = try OffPolicyScan.load(
                &load, requests: requests, items: items, users: users, events: events.count, extra: false, identities: context.fitted)
            var segmentOf: [Int64] = []
            if !o.sliceKeys.isEmpty {
                segmentOf = try SegmentKeys.ids(
                    &load, table: "exposures", rows: d.exReq.count, keys: sliceCodes, keyCount: ctxKeys.count,
                    valueCount: ctxValues.count)
            }
            var model = context.fitted ? fittedPool.borrow() : nil
            defer { if let model { fittedPool.giveBack(model) } }
            var out = Partial(compatModel: KeyedSums(keyCount: items, width: 2))
            var seen = [Bool](repeating: false, count: requests)
            let slateBuffer = SlateBuffer()
            var scratch = Compat()
            var diagnostics = Scope.Diagnostics()
            let rows = d.exReq.count
            for row in 0..<rows {
                let req = Int(d.exReq[row])
                if let model, row + prefetchDistance < rows {
                    // The model cells of a later row (slots by position; a hint, exact or not).
                    let ahead = row + prefetchDistance
                    let first = d.itemStart[ahead]
                    // A cell's three sums (48 bytes) straddle two cache lines for half the slots: both are asked for.
                    for j in first..<d.itemStart[ahead + 1] {
                        let a = Int(d.item[j])
                        let s = 3 * min(j - first, slots - 1)
                        model.prefetch(a, s)
                        model.prefetch(a, s + 2)
                    }
                }
                d.slate(row, topK: o.topK, into: slateBuffer)
                let slate = slateBuffer.items
                // recsys-eval: every exposure record.
                let requestWeight = try OffPolicyScan.compatItems(d, slate, o, &scratch) { _, w, _ in
                    if o.compatItemUnit { out.compatWeights.add(w) }
                }
                if !o.compatItemUnit, let w = requestWeight { out.compatWeights.add(w) }
                // receval: the first exposure of each request.
                if !o.analysis || seen[req] { continue }
                seen[req] = true
                diagnostics.reset()
                OffPolicyScan.validSlots(d, slate, o, &diagnostics) { k, j, w in
                    // The target weight of the fitted model: valid slots with a target propensity
                    // (w is π_e/π_0 then; one division per slot serves both).
                    if model != nil && d.tgtPresent[j] != 0 { model!.add(Int(d.item[j]), 3 * min(k, slots - 1) + 2, w) }
                }
                out.globalWeights.add(contentsOf: diagnostics.weights)
                if !segmentOf.isEmpty {
                    out.segmentWeights[segmentOf[row], default: WeightQuantiles.Counts()].add(contentsOf: diagnostics.weights)
                }
                guard model != nil else { continue }
                let rewarded = !d.outcomes.of(req).isEmpty
                for (k, j) in slate.enumerated() {
                    let s = 3 * min(k, slots - 1)
                    let a = Int(d.item[j])
                    model!.add(a, s, 1)
                    if rewarded {
                        model!.add(
                            a, s + 1,
                            OffPolicyScan.reward(
                                d, request: req, item: d.item[j], kind: o.reward, isClick: isClick, isConversion: isConversion))
                    }
                }
            }
            OffPolicyScan.addCompatModel(d.outcomeColumns, isCompatEvent: isCompatEvent, into: &out.compatModel)
            out.touched = load.bytesTouched
            return out
        }

        /// Pass one when only recsys-eval's item-unit samples are wanted (no analysis, no top-K):
        /// which items are samples, and their weights, do not depend on slates or their order, so
        /// it reads the propensity columns alone, item by item. Pass two enumerates the same
        /// items (every item of every row) and checks the columns against the rows.
        func itemWeightsOnly(partition p: Int) throws -> Partial {
            let o = context.o
            let items = context.codes.items
            let requests = Int(reader.footer.partitions[p].requestDictionary.count)
            var load = ColumnLoader(reader: reader, partition: p)
            let logPresent = try load.bool("exposures", "logging_propensity_present")
            let log = try load.double("exposures", "logging_propensity")
            let everyItemLogged = !logPresent.contains(0)
            let propPresent = everyItemLogged ? [] : try load.bool("exposures", "propensity_present")
            let prop = everyItemLogged ? [] : try load.double("exposures", "propensity")
            let tgtPresent = try load.bool("exposures", "target_propensity_present")
            let tgt = try load.double("exposures", "target_propensity")
            let n = log.count
            guard logPresent.count == n, tgtPresent.count == n, tgt.count == n,
                everyItemLogged || (prop.count == n && propPresent.count == n)
            else {
                throw StorageError.corrupt(path: reader.path, reason: "partition \(p): item columns differ in length")
            }
            var out = Partial(compatModel: KeyedSums(keyCount: items, width: 2))
            let (clipping, allowMissingTarget) = (o.clipping, o.allowMissingTarget)
            for j in 0..<n {
                // The same tests and arithmetic as `compatSample`.
                let lp: Double
                if logPresent[j] != 0 {
                    lp = log[j]
                } else if !everyItemLogged && propPresent[j] != 0 {
                    lp = prop[j]
                } else {
                    continue
                }
                guard lp > 0 else { continue }
                var tp = lp
                if tgtPresent[j] != 0 {
                    tp = tgt[j]
                } else if !allowMissingTarget {
                    continue
                }
                var w = tp / lp
                if clipping > 0 && w > clipping { w = clipping }
                out.compatWeights.add(w)
            }
            let oc = try OffPolicyScan.loadOutcomes(&load, requests: requests, items: items, events: context.codes.events.count)
            OffPolicyScan.addCompatModel(oc, isCompatEvent: context.isCompatEvent, into: &out.compatModel)
            out.touched = load.bytesTouched
            return out
        }
    }

    /// Pass two: recsys-eval's sums over every exposure record, and receval's per-request terms
    /// over first exposures, per scope, with the weights inside the planned quantile buckets
    /// and (for the bootstrap) per-user sums.
    struct EstimatorPass: PartitionScan {
        let context: Context
        var reader: DatasetReader { context.reader }
        let models: Models
        let termCount = OffPolicyScan.termCount
        let rewardName = Array("reward_estimate".utf8)
        let targetName = Array("target_reward_estimate".utf8)

        /// The users whose per-user sums this pass keeps (with `Options.unitSums`).
        let unitRange: Range<Int>
        /// Only the per-user sums are wanted (a later part of the users): other users' rows, and
        /// every sum besides theirs, are skipped.
        let unitsOnly: Bool

        init(_ c: Context, _ m: Models, units: Range<Int>? = nil, unitsOnly: Bool = false) {
            precondition(!unitsOnly || c.o.unitSums, "a units-only pass keeps per-user sums")
            context = c
            models = m
            unitRange = units ?? 0..<c.users
            self.unitsOnly = unitsOnly
        }

        struct Partial: Sendable {
            var compat = Compat()
            var global = Scope()
            var segments: [Int64: Scope] = [:]
            var units: KeyedSums
            /// Users seen, one bit each (when per-user sums are not kept).
            var seenUsers: [UInt64]
            var counts = JoinCounts()
            var touched = 0
        }

        struct State {
            var scan = OffPolicyScan()
            var segments: [Int64: Scope] = [:]
            /// Per-user request counts and term sums (with `Options.unitSums`).
            var unitDense: KeyedSums.Dense
            var seenUsers: [UInt64]
        }

        func start() -> State {
            let (keep, users) = (context.o.unitSums, context.users)
            var s = State(
                unitDense: KeyedSums.Dense(keyCount: keep ? max(unitRange.count, 1) : 0, width: termCount + 1),
                seenUsers: [UInt64](repeating: 0, count: keep ? 0 : (users + 63) / 64))
            s.scan.compat.plan = models.compatPlan
            s.scan.global.plan = models.globalPlan
            return s
        }

        func combine(_ part: Partial, into state: inout State) {
            state.scan.compat.merge(part.compat)
            state.scan.global.merge(part.global)
            for (k, s) in part.segments { state.segments[k, default: Scope(plan: models.segmentPlans[k] ?? .none)].merge(s) }
            state.scan.counts = state.scan.counts + part.counts
            state.scan.bytesTouched += part.touched
            state.unitDense.add(part.units)
            for i in part.seenUsers.indices { state.seenUsers[i] |= part.seenUsers[i] }
        }

        func scan(partition p: Int) throws -> Partial {
            // Locals, not `self`'s members: the loops below then touch no reference counts.
            let o = context.o
            let items = context.codes.items
            let users = context.codes.users
            let variants = context.codes.variants
            let events = context.codes.events
            let ctxKeys = context.codes.ctxKeys
            let ctxValues = context.codes.ctxValues
            let isClick = context.codes.isClick
            let isConversion = context.codes.isConversion
            let isCompatEvent = context.isCompatEvent
            let sliceCodes = context.sliceCodes
            let slots = context.slots
            let compatPlan = models.compatPlan
            let globalPlan = models.globalPlan
            let segmentPlans = models.segmentPlans
            let compatModel = models.compatModel
            let qModel = models.qModel
            let dSlot = models.slotTarget
            let termCount = self.termCount
            let unitRange = self.unitRange
            let unitsOnly = self.unitsOnly
            let rewardName = self.rewardName
            let targetName = self.targetName
            let requests = Int(reader.footer.partitions[p].requestDictionary.count)
            let join = try PartitionJoin(reader: reader, partition: p, variantCount: variants, itemCount: items, empty: context.codes.empty)
            var load = ColumnLoader(reader: reader, partition: p)
            let d = try OffPolicyScan.load(
                &load, requests: requests, items: items, users: users, events: events.count, extra: o.loggedModel)
            var segmentOf: [Int64] = []
            // Segments feed only the scopes, which a units-only pass skips.
            if !o.sliceKeys.isEmpty && !unitsOnly {
                segmentOf = try SegmentKeys.ids(
                    &load, table: "exposures", rows: d.exReq.count, keys: sliceCodes, keyCount: ctxKeys.count,
                    valueCount: ctxValues.count)
            }
            var out = Partial(
                units: KeyedSums(keyCount: o.unitSums ? max(unitRange.count, 1) : 0, width: termCount + 1),
                seenUsers: o.unitSums ? [] : [UInt64](repeating: 0, count: (users + 63) / 64))
            out.compat.plan = compatPlan
            out.global.plan = globalPlan
            out.counts = join.counts
            let slateBuffer = SlateBuffer()
            var x = [Double](repeating: 0, count: termCount)
            var scratch = [Int](repeating: 0, count: termCount)
            var scope = Scope.Diagnostics()
            // The sample counters `compatItems` keeps while the row's samples go to `out.compat`.
            var counters = Compat()
            let rows = d.exReq.count
            for row in 0..<rows {
                let req = Int(d.exReq[row])
                if row + prefetchDistance < rows {
                    // The model values of a later row's items (slots by position; a hint only).
                    let ahead = row + prefetchDistance
                    let first = d.itemStart[ahead]
                    let fitted = !qModel.isEmpty && join.firstExposure[Int(d.exReq[ahead])] == Int32(ahead)
                    for j in first..<d.itemStart[ahead + 1] {
                        let a = Int(d.item[j])
                        if !unitsOnly { compatModel.withUnsafeBufferPointer { receval_prefetch($0.baseAddress! + a) } }
                        if fitted {
                            qModel.withUnsafeBufferPointer { receval_prefetch($0.baseAddress! + a * slots + min(j - first, slots - 1)) }
                        }
                    }
                }
                if unitsOnly {
                    // A later part of the users: their first exposures alone.
                    guard join.firstExposure[req] == Int32(row), unitRange.contains(Int(d.exUser[row])) else { continue }
                }
                d.slate(row, topK: o.topK, into: slateBuffer)
                let slate = slateBuffer.items
                let requestOutcomes = d.outcomes.of(req)
                if !unitsOnly {
                    // recsys-eval: every exposure record.
                    var nW = 0
                    var rAgg = 0.0
                    var mAgg = 0.0
                    let requestWeight = try OffPolicyScan.compatItems(d, slate, o, &counters) { j, w, q in
                        // The request's last outcome on this item, any event type.
                        var r = 0.0
                        if !requestOutcomes.isEmpty {
                            for k in requestOutcomes {
                                let orow = Int(k)
                                if d.ocItem[orow] == d.item[j] {
                                    r = isCompatEvent[Int(d.ocEvent[orow])] ? (d.ocValue[orow] != 0 ? d.ocValue[orow] : 1) : 0
                                }
                            }
                        }
                        let m = compatModel[Int(d.item[j])]
                        if o.compatItemUnit {
                            out.compat.addSample(w: w, r: r * q, m: m * q)
                        } else {
                            if nW == 0 || !o.compatMax {
                                rAgg = o.compatMax ? r * q : rAgg + r * q
                                mAgg = o.compatMax ? m * q : mAgg + m * q
                            } else {
                                rAgg = max(rAgg, r * q)
                                mAgg = max(mAgg, m * q)
                            }
                            nW += 1
                        }
                    }
                    out.compat.clipped += counters.clipped
                    out.compat.missingTarget += counters.missingTarget
                    out.compat.nearZero += counters.nearZero
                    counters.clipped = 0
                    counters.missingTarget = 0
                    counters.nearZero = 0
                    if !o.compatItemUnit, let w = requestWeight { out.compat.addSample(w: w, r: rAgg, m: mAgg) }
                    out.compat.flushRow()
                }

                // receval: the first exposure of each request.
                guard o.analysis, join.firstExposure[req] == Int32(row) else { continue }
                let seg = segmentOf.isEmpty ? nil : segmentOf[row]
                scope.reset()
                // The terms are summed in scalars (an array element updated per slot paid a
                // uniqueness check each time), in the same order, then stored.
                var (ips, clippedIPS, dmSum, residual, switchResidual, rips) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
                var product = 1.0
                var rewardSum = 0.0
                var weightSum = 0.0
                var valid = 0
                var missingEstimates = 0
                OffPolicyScan.validSlots(d, slate, o, &scope) { k, j, w in
                    let s = min(k, slots - 1)
                    let q = o.log2Discount ? OffPolicyScan.discount(rank: Int64(k) + 1) : 1
                    let r =
                        requestOutcomes.isEmpty
                        ? 0
                        : OffPolicyScan.reward(
                            d, request: req, item: d.item[j], kind: o.reward, isClick: isClick, isConversion: isConversion)
                    var qhat = 0.0
                    var dm = 0.0
                    if o.loggedModel {
                        if d.extraPresent[j] != 0, let extra = d.extra?[j], let a = ItemFields.number(rewardName, in: extra),
                            let b = ItemFields.number(targetName, in: extra)
                        {
                            qhat = a
                            dm = b
                        } else {
                            missingEstimates += 1
                        }
                    } else {
                        qhat = qModel[Int(d.item[j]) * slots + s]
                        dm = dSlot[s]
                    }
                    valid += 1
                    ips += q * w * r
                    clippedIPS += q * min(w, o.clipIPS) * r
                    dmSum += q * dm
                    residual += q * w * (r - qhat)
                    if w <= o.switchThreshold { switchResidual += q * w * (r - qhat) }
                    product *= w
                    rips += q * product * r
                    rewardSum += q * r
                    weightSum += w
                }
                x[Term.ips.rawValue] = ips
                x[Term.clippedIPS.rawValue] = clippedIPS
                x[Term.weights.rawValue] = weightSum
                x[Term.dm.rawValue] = dmSum
                x[Term.residual.rawValue] = residual
                x[Term.switchResidual.rawValue] = switchResidual
                x[Term.rips.rawValue] = rips
                scope.missingEstimates += missingEstimates
                x[Term.slots.rawValue] = Double(valid)
                x[Term.sips.rawValue] = valid > 0 ? product * rewardSum : 0
                x[Term.pseudoInverse.rawValue] = valid > 0 ? (weightSum - Double(valid - 1)) * rewardSum : 0
                x[Term.logged.rawValue] = rewardSum
                if !unitsOnly {
                    x.withUnsafeBufferPointer { xp in
                        scratch.withUnsafeMutableBufferPointer { sp in
                            out.global.addRequest(xp.baseAddress!, scratch: sp.baseAddress!)
                            out.global.absorb(scope)
                            if let seg {
                                // Through `values` by index: the scope is updated in place (a keyed
                                // `[seg]!` access copied the whole scope, arrays and all, per request).
                                var at = out.segments.index(forKey: seg)
                                if at == nil {
                                    out.segments[seg] = Scope(plan: segmentPlans[seg] ?? .none)
                                    at = out.segments.index(forKey: seg)
                                }
                                out.segments.values[at!].addRequest(xp.baseAddress!, scratch: sp.baseAddress!)
                                out.segments.values[at!].absorb(scope)
                            }
                        }
                    }
                }
                if o.unitSums {
                    let user = Int(d.exUser[row])
                    guard unitRange.contains(user) else { continue }
                    let ur = out.units.row(Int32(user - unitRange.lowerBound))
                    out.units.add(row: ur, 0, 1)
                    for t in 0..<termCount where x[t] != 0 { out.units.add(row: ur, t + 1, x[t]) }
                } else {
                    let u = Int(d.exUser[row])
                    out.seenUsers[u >> 6] |= 1 << UInt64(u & 63)
                }
            }
            out.units.seal()
            out.touched = load.bytesTouched + join.bytesTouched
            return out
        }
    }
}

extension OffPolicyScan.Compat {
    @inline(__always)
    mutating func addSample(w: Double, r: Double, m: Double) {
        samples += 1
        let v = w * r
        let dr = m + w * (r - m)
        row.0 += v
        row.1 += v * v
        row.2 += w
        row.3 += w * w
        row.4 += dr
        row.5 += dr * dr
        maxWeight = max(maxWeight, w + 0)
        weightValues.add(w, plan: plan)
    }

    /// Adds the current exposure row's samples to the exact sums: items of a row are summed in
    /// their fixed order first, so the result still does not depend on the partitioning, at one
    /// exact addition per row instead of per item.
    @inline(__always)
    mutating func flushRow() {
        ips.add(row.0)
        ipsSquares.add(row.1)
        weights.add(row.2)
        weightSquares.add(row.3)
        dr.add(row.4)
        drSquares.add(row.5)
        row = (0, 0, 0, 0, 0, 0)
    }
}

extension OffPolicyScan.Scope {
    /// One request's slot diagnostics, added to every scope the request belongs to.
    struct Diagnostics {
        var weights: [Double] = []
        var clipped = 0
        var supportViolations = 0
        var missingTarget = 0
        var missingLogging = 0
        var nearZeroLogging = 0
        var missingEstimates = 0

        mutating func reset() {
            weights.removeAll(keepingCapacity: true)
            clipped = 0
            supportViolations = 0
            missingTarget = 0
            missingLogging = 0
            nearZeroLogging = 0
            missingEstimates = 0
        }

        mutating func add(weight: Double, clipped c: Bool) {
            weights.append(weight)
            if c { clipped += 1 }
        }
    }

    mutating func absorb(_ d: Diagnostics) {
        // A request's weights are summed in slate order first: the same additions in any partitioning.
        var sum = 0.0
        var squares = 0.0
        for w in d.weights {
            sum += w
            squares += w * w
            maxWeight = max(maxWeight, w)
            histogram[OffPolicyScan.histogramBin(w)] += 1
            weightValues.add(w, plan: plan)
        }
        weightTotal.add(sum)
        weightSquareTotal.add(squares)
        slots += d.weights.count
        clipped += d.clipped
        supportViolations += d.supportViolations
        missingTarget += d.missingTarget
        missingLogging += d.missingLogging
        nearZeroLogging += d.nearZeroLogging
        missingEstimates += d.missingEstimates
    }
}

/// Inputs off-policy evaluation cannot use.
public enum OffPolicyError: Error, CustomStringConvertible {
    case rankNotPositive(rank: Int64)

    public var description: String {
        switch self {
        case .rankNotPositive(let rank):
            return "an item has rank \(rank): position_discount log2 needs ranks >= 1 (1/log2(rank+1) is infinite or undefined)"
        }
    }
}
