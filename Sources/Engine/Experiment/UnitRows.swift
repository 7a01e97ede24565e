/// One scope's per-unit sums once partitions are folded: a row per unit with a row in the scope,
/// in ascending unit code, with exact money. The form a state keeps (`ExperimentState`):
/// scopes of two states merge by walking both in unit order, so merging needs no index of
/// units, and a scope costs its rows, never the dataset's unit count.
struct UnitRows: Sendable, Equatable {
    var units: [Int32] = []
    var exposures: [Int32] = []
    var clicks: [Int32] = []
    var clickedRequests: [Int32] = []
    var conversions: [Int32] = []
    /// Rows with revenue (ascending) and their sums.
    var revenueRows: [Int32] = []
    var revenue: [ExactSum] = []
    /// With a covariate: per row, covariate observations and their sum.
    var covariateCount: [Int32] = []
    var covariateSum: [ExactSum] = []
    let covariate: Bool

    init(covariate: Bool) { self.covariate = covariate }

    /// The rows of `sums`, sorted by unit code.
    init(_ sums: UnitSums) {
        covariate = sums.covariate
        // Slots in ascending unit code: placed through a table by code when the scope holds at
        // least an eighth of the codes below its largest (a unit has one slot per scope), else
        // sorted.
        let top = Int(sums.units.max() ?? -1) + 1
        let order: [Int]
        if sums.units.count * 8 >= top {
            var slotOfCode = [Int32](repeating: -1, count: top)
            for (slot, u) in sums.units.enumerated() { slotOfCode[Int(u)] = Int32(slot) }
            order = slotOfCode.compactMap { $0 >= 0 ? Int($0) : nil }
        } else {
            order = sums.units.indices.sorted { sums.units[$0] < sums.units[$1] }
        }
        units = order.map { sums.units[$0] }
        exposures = order.map { sums.exposures[$0] }
        clicks = order.map { sums.clicks[$0] }
        clickedRequests = order.map { sums.clickedRequests[$0] }
        conversions = order.map { sums.conversions[$0] }
        for (row, slot) in order.enumerated() {
            if let r = sums.revenue[Int32(slot)] {
                revenueRows.append(Int32(row))
                revenue.append(r)
            }
        }
        if covariate {
            covariateCount = order.map { sums.covariateCount[$0] }
            covariateSum = order.map { sums.covariateSum[$0] }
        }
    }

    var count: Int { units.count }

    /// The rows of `a` and `b`, their unit codes mapped by `mapA` and `mapB` (each increasing, so
    /// both stay in ascending order), with the rows of a unit both hold added. One pass over both,
    /// with every column read through local arrays (no per-row calls that retain the scopes).
    static func merged(_ a: UnitRows, _ mapA: [Int32], _ b: UnitRows, _ mapB: [Int32]) throws(ExperimentState.Mismatch) -> UnitRows {
        precondition(a.covariate == b.covariate, "scopes of one configuration")
        let covariate = a.covariate
        let capacity = a.count + b.count
        var units: [Int32] = []
        var exposures: [Int32] = []
        var clicks: [Int32] = []
        var clicked: [Int32] = []
        var conversions: [Int32] = []
        var covariateCount: [Int32] = []
        var covariateSum: [ExactSum] = []
        units.reserveCapacity(capacity)
        exposures.reserveCapacity(capacity)
        clicks.reserveCapacity(capacity)
        clicked.reserveCapacity(capacity)
        conversions.reserveCapacity(capacity)
        if covariate {
            covariateCount.reserveCapacity(capacity)
            covariateSum.reserveCapacity(capacity)
        }
        // Each side's row of the merged row it went to (revenue is sparse: mapped afterwards).
        var rowOfA = [Int32](repeating: 0, count: a.count)
        var rowOfB = [Int32](repeating: 0, count: b.count)
        let (au, bu) = (a.units, b.units)
        var (i, j) = (0, 0)
        var overflow = false
        while i < au.count || j < bu.count {
            let x = i < au.count ? mapA[Int(au[i])] : Int32.max
            let y = j < bu.count ? mapB[Int(bu[j])] : Int32.max
            let row = Int32(units.count)
            units.append(min(x, y))
            var (e, c, k, v) = (Int32(0), Int32(0), Int32(0), Int32(0))
            var n = Int32(0)
            var sum = ExactSum()
            if x <= y {
                (e, c, k, v) = (a.exposures[i], a.clicks[i], a.clickedRequests[i], a.conversions[i])
                if covariate {
                    n = a.covariateCount[i]
                    sum = a.covariateSum[i]
                }
                rowOfA[i] = row
                i += 1
            }
            if y <= x {
                var o = false
                (e, o) = e.addingReportingOverflow(b.exposures[j])
                overflow = overflow || o
                (c, o) = c.addingReportingOverflow(b.clicks[j])
                overflow = overflow || o
                (k, o) = k.addingReportingOverflow(b.clickedRequests[j])
                overflow = overflow || o
                (v, o) = v.addingReportingOverflow(b.conversions[j])
                overflow = overflow || o
                if covariate {
                    (n, o) = n.addingReportingOverflow(b.covariateCount[j])
                    overflow = overflow || o
                    sum.add(b.covariateSum[j])
                }
                rowOfB[j] = row
                j += 1
            }
            exposures.append(e)
            clicks.append(c)
            clicked.append(k)
            conversions.append(v)
            if covariate {
                covariateCount.append(n)
                covariateSum.append(sum)
            }
        }
        guard !overflow else { throw ExperimentState.Mismatch(description: "a unit's counts overflow 32 bits") }
        // Revenue rows of both sides, in merged-row order, a row both hold added once.
        var revenueRows: [Int32] = []
        var revenue: [ExactSum] = []
        var (p, q) = (0, 0)
        while p < a.revenueRows.count || q < b.revenueRows.count {
            let x = p < a.revenueRows.count ? rowOfA[Int(a.revenueRows[p])] : Int32.max
            let y = q < b.revenueRows.count ? rowOfB[Int(b.revenueRows[q])] : Int32.max
            var sum = ExactSum()
            if x <= y {
                sum = a.revenue[p]
                p += 1
            }
            if y <= x {
                sum.add(b.revenue[q])
                q += 1
            }
            revenueRows.append(min(x, y))
            revenue.append(sum)
        }
        var out = UnitRows(covariate: covariate)
        out.units = units
        out.exposures = exposures
        out.clicks = clicks
        out.clickedRequests = clicked
        out.conversions = conversions
        out.revenueRows = revenueRows
        out.revenue = revenue
        out.covariateCount = covariateCount
        out.covariateSum = covariateSum
        return out
    }

    /// The finished scope: rows `keep` accepts, revenue as its correctly rounded value.
    func finished(key: String, keep: (Int32) -> Bool = { _ in true }) -> ExperimentScan.UnitScope {
        let order = units.indices.filter { keep(units[$0]) }
        var money = [Double](repeating: 0, count: units.count)
        for (row, sum) in zip(revenueRows, revenue) { money[Int(row)] = sum.value }
        var s = ExperimentScan.UnitScope(key: key)
        s.units = order.map { units[$0] }
        s.exposures = order.map { exposures[$0] }
        s.clicks = order.map { clicks[$0] }
        s.clickedRequests = order.map { clickedRequests[$0] }
        s.conversions = order.map { conversions[$0] }
        s.revenue = order.map { money[$0] }
        if covariate {
            s.covariateCount = order.map { covariateCount[$0] }
            s.covariateSum = order.map { covariateSum[$0].value }
        }
        return s
    }

    func encode(to e: inout StateEncoder) {
        e.bool(covariate)
        e.int32s(units)
        e.int32s(exposures)
        e.int32s(clicks)
        e.int32s(clickedRequests)
        e.int32s(conversions)
        e.int32s(revenueRows)
        e.exactSums(revenue)
        if covariate {
            e.int32s(covariateCount)
            e.exactSums(covariateSum)
        }
    }

    /// Reads rows and checks their shape: units ascending below `unitCount`, one value per row.
    init(from d: inout StateDecoder, unitCount: Int) throws(StateError) {
        covariate = try d.bool()
        units = try d.int32s()
        exposures = try d.tallies32()
        clicks = try d.tallies32()
        clickedRequests = try d.tallies32()
        conversions = try d.tallies32()
        revenueRows = try d.int32s()
        revenue = try d.exactSums()
        if covariate {
            covariateCount = try d.tallies32()
            covariateSum = try d.exactSums()
        }
        let n = units.count
        guard [exposures.count, clicks.count, clickedRequests.count, conversions.count].allSatisfy({ $0 == n }),
            revenue.count == revenueRows.count, !covariate || (covariateCount.count == n && covariateSum.count == n)
        else { throw d.invalid("a scope's columns differ in length") }
        guard zip(units, units.dropFirst()).allSatisfy({ $0 < $1 }), units.allSatisfy({ $0 >= 0 && Int($0) < unitCount }),
            zip(revenueRows, revenueRows.dropFirst()).allSatisfy({ $0 < $1 }), revenueRows.allSatisfy({ $0 >= 0 && Int($0) < n })
        else { throw d.invalid("a scope's units or revenue rows are not ascending codes in range") }
    }
}
