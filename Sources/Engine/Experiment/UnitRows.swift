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
        let order = sums.units.indices.sorted { sums.units[$0] < sums.units[$1] }
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

    /// Appends one row (units must arrive in ascending order).
    private mutating func append(from o: UnitRows, row i: Int, unit: Int32, revenueIndex: inout Int) {
        units.append(unit)
        exposures.append(o.exposures[i])
        clicks.append(o.clicks[i])
        clickedRequests.append(o.clickedRequests[i])
        conversions.append(o.conversions[i])
        if revenueIndex < o.revenueRows.count && o.revenueRows[revenueIndex] == Int32(i) {
            revenueRows.append(Int32(units.count - 1))
            revenue.append(o.revenue[revenueIndex])
            revenueIndex += 1
        }
        if covariate {
            covariateCount.append(o.covariateCount[i])
            covariateSum.append(o.covariateSum[i])
        }
    }

    /// Adds row `i` of `o` into the last row (the same unit).
    private mutating func addToLast(from o: UnitRows, row i: Int, revenueIndex: inout Int) {
        let last = units.count - 1
        exposures[last] += o.exposures[i]
        clicks[last] += o.clicks[i]
        clickedRequests[last] += o.clickedRequests[i]
        conversions[last] += o.conversions[i]
        if revenueIndex < o.revenueRows.count && o.revenueRows[revenueIndex] == Int32(i) {
            if revenueRows.last == Int32(last) {
                revenue[revenue.count - 1].add(o.revenue[revenueIndex])
            } else {
                revenueRows.append(Int32(last))
                revenue.append(o.revenue[revenueIndex])
            }
            revenueIndex += 1
        }
        if covariate {
            covariateCount[last] += o.covariateCount[i]
            covariateSum[last].add(o.covariateSum[i])
        }
    }

    /// The rows of `a` and `b`, their unit codes mapped by `mapA` and `mapB` (each increasing, so
    /// both stay in ascending order), with the rows of a unit both hold added.
    static func merged(_ a: UnitRows, _ mapA: [Int32], _ b: UnitRows, _ mapB: [Int32]) -> UnitRows {
        precondition(a.covariate == b.covariate, "scopes of one configuration")
        var out = UnitRows(covariate: a.covariate)
        var (i, j, ra, rb) = (0, 0, 0, 0)
        while i < a.count || j < b.count {
            let ua = i < a.count ? mapA[Int(a.units[i])] : Int32.max
            let ub = j < b.count ? mapB[Int(b.units[j])] : Int32.max
            if ua <= ub {
                out.append(from: a, row: i, unit: ua, revenueIndex: &ra)
                i += 1
                if ua == ub {
                    out.addToLast(from: b, row: j, revenueIndex: &rb)
                    j += 1
                }
            } else {
                out.append(from: b, row: j, unit: ub, revenueIndex: &rb)
                j += 1
            }
        }
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
        exposures = try d.int32s()
        clicks = try d.int32s()
        clickedRequests = try d.int32s()
        conversions = try d.int32s()
        revenueRows = try d.int32s()
        revenue = try d.exactSums()
        if covariate {
            covariateCount = try d.int32s()
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
