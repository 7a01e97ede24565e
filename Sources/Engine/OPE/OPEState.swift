import ColumnarFormat
import ColumnarStorage

/// OPE's first round as a state (`receval run --state-out` on an OPE config): what pass one
/// counts, keyed by ids. Pass two needs the reward models and the quantile plans of every
/// request, so sharded OPE runs in two rounds: the shards' first-round states are merged into a
/// model (`receval merge --state-out MODEL`), then every shard runs pass two with it
/// (`--state-in MODEL`), and those states merge into the report (docs/distributed.md).
///
/// Items are keyed by id (the union of the datasets' item dictionaries, in byte order, is the
/// dictionary one dataset of all the logs holds), segments by their values; the model sums are
/// fixed-point cells and the weight counts integers, so merged counts equal one pass's.
public struct OPECountsState: Sendable {
    typealias Segment = [String?]

    /// The item ids the tables are indexed by.
    var items: ByteStrings
    var fitted: Bool
    var slots: Int
    /// recsys-eval's model sums per item (reward value, outcomes).
    var compatModel: KeyedSums.Sparse
    /// The fitted model's sums per occupied (item, slot), key `item × slots + slot`
    /// (impressions, rewards, target weight), when fitted.
    var fittedSums: KeyedSums.Sparse
    var compatWeights: WeightQuantiles.Counts
    var globalWeights: WeightQuantiles.Counts
    var segmentWeights: [Segment: WeightQuantiles.Counts]
    var touched: Int

    /// The catalog items the state holds.
    public var itemCount: Int { items.count }

    /// `a` and `b` combined.
    public static func merged(_ a: OPECountsState, _ b: OPECountsState) throws(ExperimentState.Mismatch) -> OPECountsState {
        guard a.fitted == b.fitted, a.slots == b.slots, a.compatModel.width == b.compatModel.width,
            a.fittedSums.width == b.fittedSums.width
        else { throw ExperimentState.Mismatch(description: "the states were computed with different OPE settings") }
        let u = ExperimentState.union(a.items, b.items)
        var out = a
        out.items = u.ids
        out.compatModel = KeyedSums.Sparse.merged(a.compatModel, u.mapA, b.compatModel, u.mapB)
        let slots = Int32(a.slots)
        out.fittedSums = KeyedSums.Sparse.merged(
            a.fittedSums, { u.mapA[Int($0 / slots)] * slots + $0 % slots }, b.fittedSums, { u.mapB[Int($0 / slots)] * slots + $0 % slots })
        out.compatWeights.merge(b.compatWeights)
        out.globalWeights.merge(b.globalWeights)
        for (s, c) in b.segmentWeights { out.segmentWeights[s, default: WeightQuantiles.Counts()].merge(c) }
        out.touched += b.touched
        return out
    }

    public func encode(to e: inout StateEncoder) {
        e.bool(fitted)
        e.int(slots)
        e.byteStrings(items)
        compatModel.encode(to: &e)
        e.bool(fitted)
        if fitted { fittedSums.encode(to: &e) }
        compatWeights.encode(to: &e)
        globalWeights.encode(to: &e)
        OPECountsState.encodeSegments(segmentWeights, to: &e) { c, e in c.encode(to: &e) }
        e.int(touched)
    }
    static func encodeSegments<T>(_ m: [Segment: T], to e: inout StateEncoder, _ body: (T, inout StateEncoder) -> Void) {
        let keys = m.keys.sorted(by: ExperimentState.valuesPrecede)
        e.count(keys.count)
        for k in keys {
            e.count(k.count)
            for v in k { e.optionalString(v) }
            body(m[k]!, &e)
        }
    }
}

/// OPE's second round as a state: pass two's sums (recsys-eval's, and receval's per scope and
/// per user) over a shard's partitions, computed with a merged first round (`OPECountsState`),
/// keyed by ids. It carries the quantile plans and slot values of that model, which every state
/// of one merge shares.
public struct OPEEstimatesState: Sendable {
    typealias Segment = [String?]

    var compatPlan: WeightQuantiles.Plan
    var globalPlan: WeightQuantiles.Plan
    var segmentPlans: [Segment: WeightQuantiles.Plan]
    var slotMeans: [Double]
    var slotTarget: [Double]
    var compat: OffPolicyScan.Compat
    var global: OffPolicyScan.Scope
    var segments: [Segment: OffPolicyScan.Scope]
    /// The user ids per-user sums are keyed by (the dataset's user dictionary).
    var users: ByteStrings
    var unitSums: Bool
    /// Per-user request counts and term sums (with the bootstrap), or the users seen.
    var unitDense: KeyedSums.Sparse
    var seenUsers: [UInt64]
    var counts: JoinCounts
    var touched: Int

    /// Exposure rows the state counted.
    public var exposureRows: Int { counts.exposureRows }

    /// `a` and `b` combined; both must come from one model.
    public static func merged(_ a: OPEEstimatesState, _ b: OPEEstimatesState) throws(ExperimentState.Mismatch) -> OPEEstimatesState {
        // Slot values compare by bits: a NaN (an overflowed fitted column) equals itself.
        guard a.compatPlan == b.compatPlan, a.globalPlan == b.globalPlan, a.segmentPlans == b.segmentPlans,
            a.slotMeans.map(\.bitPattern) == b.slotMeans.map(\.bitPattern),
            a.slotTarget.map(\.bitPattern) == b.slotTarget.map(\.bitPattern),
            a.unitSums == b.unitSums, a.unitDense.width == b.unitDense.width
        else { throw ExperimentState.Mismatch(description: "the states were computed with different models or settings") }
        let u = ExperimentState.union(a.users, b.users)
        var out = a
        out.users = u.ids
        out.compat.merge(b.compat)
        out.global.merge(b.global)
        for (s, scope) in b.segments { out.segments[s, default: OffPolicyScan.Scope(plan: a.segmentPlans[s] ?? .none)].merge(scope) }
        if a.unitSums {
            out.unitDense = KeyedSums.Sparse.merged(a.unitDense, u.mapA, b.unitDense, u.mapB)
        } else {
            var seen = [UInt64](repeating: 0, count: (u.ids.count + 63) / 64)
            for (side, map) in [(a, u.mapA), (b, u.mapB)] {
                for k in 0..<side.users.count where side.seenUsers[k >> 6] & (1 << UInt64(k & 63)) != 0 {
                    let g = Int(map[k])
                    seen[g >> 6] |= 1 << UInt64(g & 63)
                }
            }
            out.seenUsers = seen
        }
        out.counts = a.counts + b.counts
        out.touched = a.touched + b.touched
        return out
    }

    /// The finished scan, as one run gives it.
    public func finish(sliceKeys: [String]) -> OffPolicyScan {
        var scan = OffPolicyScan()
        scan.compat = compat
        scan.global = global
        scan.counts = counts
        scan.bytesTouched = touched
        scan.segments = segments.map { (key: SegmentKeys.key($0.key, names: sliceKeys), segment: $0.key, scope: $0.value) }
            .sorted { ExperimentState.precedes(($0.key, $0.segment), ($1.key, $1.segment)) }
            .map { (key: $0.key, scope: $0.scope) }
        if unitSums {
            (scan.units, scan.unitSums) = unitDense.compacted()
            scan.unitCount = scan.units.count
        } else {
            scan.unitCount = seenUsers.reduce(0) { $0 + $1.nonzeroBitCount }
        }
        scan.slotMeans = slotMeans
        scan.slotTargetValues = slotTarget
        return scan
    }

    public func encode(to e: inout StateEncoder) {
        compatPlan.encode(to: &e)
        globalPlan.encode(to: &e)
        OPECountsState.encodeSegments(segmentPlans, to: &e) { p, e in p.encode(to: &e) }
        e.doubles(slotMeans)
        e.doubles(slotTarget)
        compat.encode(to: &e)
        global.encode(to: &e)
        OPECountsState.encodeSegments(segments, to: &e) { s, e in s.encode(to: &e) }
        e.byteStrings(users)
        e.bool(unitSums)
        if unitSums { unitDense.encode(to: &e) } else { e.uint64s(seenUsers) }
        counts.encode(to: &e)
        e.int(touched)
    }
}

extension OffPolicyScan.Compat {
    func encode(to e: inout StateEncoder) {
        e.int(samples)
        for s in [ips, ipsSquares, weights, weightSquares, dr, drSquares] { e.exactSum(s) }
        e.int(clipped)
        e.int(missingTarget)
        e.int(nearZero)
        e.double(maxWeight)
        weightValues.encode(to: &e)
    }

    init(from d: inout StateDecoder) throws(StateError) {
        self.init()
        samples = try d.tally()
        ips = try d.exactSum()
        ipsSquares = try d.exactSum()
        weights = try d.exactSum()
        weightSquares = try d.exactSum()
        dr = try d.exactSum()
        drSquares = try d.exactSum()
        clipped = try d.tally()
        missingTarget = try d.tally()
        nearZero = try d.tally()
        maxWeight = try d.double()
        weightValues = try WeightQuantiles.Collected(from: &d)
    }
}

extension OffPolicyScan.Scope {
    func encode(to e: inout StateEncoder) {
        e.int(requests)
        e.exactSums(sums)
        e.exactSums(products)
        e.exactSum(weightTotal)
        e.exactSum(weightSquareTotal)
        e.double(maxWeight)
        for c in [clipped, supportViolations, missingTarget, missingLogging, nearZeroLogging, missingEstimates, slots] { e.int(c) }
        e.ints(histogram)
        weightValues.encode(to: &e)
    }

    init(from d: inout StateDecoder) throws(StateError) {
        self.init()
        requests = try d.tally()
        sums = try d.exactSums()
        products = try d.exactSums()
        let n = OffPolicyScan.termCount
        guard sums.count == n, products.count == n * n else { throw d.invalid("a scope's term sums have the wrong shape") }
        weightTotal = try d.exactSum()
        weightSquareTotal = try d.exactSum()
        maxWeight = try d.double()
        clipped = try d.tally()
        supportViolations = try d.tally()
        missingTarget = try d.tally()
        missingLogging = try d.tally()
        nearZeroLogging = try d.tally()
        missingEstimates = try d.tally()
        slots = try d.tally()
        histogram = try d.tallies()
        guard histogram.count == OffPolicyScan.histogramBins else { throw d.invalid("a scope's histogram has the wrong number of bins") }
        weightValues = try WeightQuantiles.Collected(from: &d)
    }
}

extension OPECountsState {
    public init(from d: inout StateDecoder) throws(StateError) {
        fitted = try d.bool()
        slots = try d.int()
        guard (1...1024).contains(slots) else { throw d.invalid("the fitted model's slot count \(slots) is out of range") }
        items = try d.sortedByteStrings("item ids")
        let ids = items
        compatModel = try KeyedSums.Sparse(from: &d, keyCount: ids.count)
        guard try d.bool() == fitted else { throw d.invalid("the fitted model's sums are present without a fitted model, or missing") }
        fittedSums = fitted ? try KeyedSums.Sparse(from: &d, keyCount: ids.count * slots) : KeyedSums.Sparse(width: 3)
        guard compatModel.width == 2, fittedSums.width == 3 else {
            throw d.invalid("the model tables' shapes do not match the slots")
        }
        compatWeights = try WeightQuantiles.Counts(from: &d)
        globalWeights = try WeightQuantiles.Counts(from: &d)
        segmentWeights = try ExperimentState.segments(&d) { (d) throws(StateError) in try WeightQuantiles.Counts(from: &d) }
        touched = try d.tally()
    }
}

extension OPEEstimatesState {
    public init(from d: inout StateDecoder) throws(StateError) {
        compatPlan = try WeightQuantiles.Plan(from: &d)
        globalPlan = try WeightQuantiles.Plan(from: &d)
        segmentPlans = try ExperimentState.segments(&d) { (d) throws(StateError) in try WeightQuantiles.Plan(from: &d) }
        slotMeans = try d.doubles()
        slotTarget = try d.doubles()
        compat = try OffPolicyScan.Compat(from: &d)
        compat.plan = compatPlan
        global = try OffPolicyScan.Scope(from: &d)
        global.plan = globalPlan
        let plans = segmentPlans
        segments = try ExperimentState.segments(&d) { (d) throws(StateError) in try OffPolicyScan.Scope(from: &d) }
        for s in segments.keys { segments[s]!.plan = plans[s] ?? .none }
        users = try d.sortedByteStrings("user ids")
        let ids = users
        unitSums = try d.bool()
        if unitSums {
            unitDense = try KeyedSums.Sparse(from: &d, keyCount: ids.count)
            guard unitDense.width == OffPolicyScan.termCount + 1 else { throw d.invalid("per-user sums have the wrong width") }
            seenUsers = []
        } else {
            unitDense = KeyedSums.Sparse(width: OffPolicyScan.termCount + 1)
            seenUsers = try d.uint64s()
            guard seenUsers.count == (ids.count + 63) / 64 else { throw d.invalid("the users-seen bits do not match the users") }
        }
        counts = try JoinCounts(from: &d)
        touched = try d.tally()
    }
}

extension OPEEstimatesState {
    /// Checks that the state's segments and per-user sums are what `options` ask for.
    public func check(options: OffPolicyScan.Options) throws(ExperimentState.Mismatch) {
        guard unitSums == options.unitSums, segments.keys.allSatisfy({ $0.count == options.sliceKeys.count }),
            segmentPlans.keys.allSatisfy({ $0.count == options.sliceKeys.count })
        else { throw ExperimentState.Mismatch(description: "the state's segments or per-user sums are not the config's") }
    }
}
