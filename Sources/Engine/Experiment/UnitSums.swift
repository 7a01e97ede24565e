/// Per-unit sums of one scope (every analysed exposure, one segment's, or the pre-period's) as
/// partitions are folded in: a unit gets a slot the first time it has a row in the scope, so a
/// scope holds only the units it has, and memory grows with (scope, unit) pairs, never with
/// exposures. Counts are integers and money is `ExactSum`, so the sums do not depend on the
/// order rows arrive in.
struct UnitSums: Sendable {
    /// Slot of each unit code, -1 when the unit has no row yet; grown on demand.
    private var slotOfUnit: [Int32] = []
    private(set) var units: [Int32] = []
    private(set) var exposures: [Int32] = []
    private(set) var clicks: [Int32] = []
    private(set) var clickedRequests: [Int32] = []
    private(set) var conversions: [Int32] = []
    /// Revenue by slot, only for units with revenue (most exposures have none).
    private(set) var revenue: [Int32: ExactSum] = [:]
    private(set) var covariateCount: [Int32] = []
    private(set) var covariateSum: [ExactSum] = []
    let covariate: Bool

    /// Whether the scope keeps its own slot map (`add(unit:…)`); segment scopes share one index
    /// (`SegmentUnitSums`) and add by slot.
    let slotMap: Bool

    init(covariate: Bool, units expected: Int = 0, slotMap: Bool = true) {
        self.covariate = covariate
        self.slotMap = slotMap
        slotOfUnit = [Int32](repeating: -1, count: slotMap ? expected : 0)
    }

    /// Adds one exposure of `unit` with its request's clicks, conversions, revenue and covariate
    /// (NaN: none).
    mutating func add(unit: Int32, clicks c: Int32, conversions k: Int32, revenue r: Double, covariate x: Double) {
        precondition(slotMap, "a scope without a slot map adds by slot")
        let u = Int(unit)
        if u >= slotOfUnit.count { slotOfUnit += [Int32](repeating: -1, count: max(u + 1 - slotOfUnit.count, slotOfUnit.count / 2)) }
        var s = Int(slotOfUnit[u])
        if s < 0 {
            s = newSlot(unit: unit)
            slotOfUnit[u] = Int32(s)
        }
        add(slot: s, clicks: c, conversions: k, revenue: r, covariate: x)
    }

    /// A zero row for `unit`; returns its slot.
    mutating func newSlot(unit: Int32) -> Int {
        units.append(unit)
        exposures.append(0)
        clicks.append(0)
        clickedRequests.append(0)
        conversions.append(0)
        if covariate {
            covariateCount.append(0)
            covariateSum.append(ExactSum())
        }
        return units.count - 1
    }

    /// Adds one exposure to the row at `s`.
    mutating func add(slot s: Int, clicks c: Int32, conversions k: Int32, revenue r: Double, covariate x: Double) {
        exposures[s] += 1
        clicks[s] += c
        if c > 0 { clickedRequests[s] += 1 }
        conversions[s] += k
        if r != 0 { revenue[Int32(s), default: ExactSum()].add(r) }
        if covariate && !x.isNaN {
            covariateCount[s] += 1
            covariateSum[s].add(x)
        }
    }

    /// Exposures of `unit` in this scope (0 when it has none).
    func exposures(of unit: Int32) -> Int {
        let u = Int(unit)
        guard u < slotOfUnit.count, slotOfUnit[u] >= 0 else { return 0 }
        return Int(exposures[Int(slotOfUnit[u])])
    }

    /// The finished scope: units in ascending code order, those `keep` rejects left out.
    func finished(key: String, keep: (Int32) -> Bool = { _ in true }) -> ExperimentScan.UnitScope {
        let order = units.indices.filter { keep(units[$0]) }.sorted { units[$0] < units[$1] }
        var s = ExperimentScan.UnitScope(key: key)
        s.units = order.map { units[$0] }
        s.exposures = order.map { exposures[$0] }
        s.clicks = order.map { clicks[$0] }
        s.clickedRequests = order.map { clickedRequests[$0] }
        s.conversions = order.map { conversions[$0] }
        s.revenue = order.map { revenue[Int32($0)]?.value ?? 0 }
        if covariate {
            s.covariateCount = order.map { covariateCount[$0] }
            s.covariateSum = order.map { covariateSum[$0].value }
        }
        return s
    }
}

extension ExperimentScan.UnitScope {
    /// The position of `unit` in `units` (ascending), nil when the scope has no row of it.
    public func index(of unit: Int32) -> Int? {
        var lo = 0
        var hi = units.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if units[mid] < unit { lo = mid + 1 } else { hi = mid }
        }
        return lo < units.count && units[lo] == unit ? lo : nil
    }
}
