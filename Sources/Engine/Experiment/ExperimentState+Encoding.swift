import ColumnarFormat
import ColumnarStorage

extension ExperimentScan.Group {
    /// Every member, in the order a state keeps them.
    func encode(to e: inout StateEncoder) {
        for v in [
            exposures, clicks, conversions, errors, empties, joined, covariateExposures, clickedWithCovariate, convertedWithCovariate,
        ] {
            e.int(v)
        }
        e.int(Int(firstNanos))
        e.int(Int(lastNanos))
        e.exactSum(revenue)
        e.exactSum(covariateSum)
    }

    init(from d: inout StateDecoder) throws(StateError) {
        self.init()
        exposures = try d.tally()
        clicks = try d.tally()
        conversions = try d.tally()
        errors = try d.tally()
        empties = try d.tally()
        joined = try d.tally()
        covariateExposures = try d.tally()
        clickedWithCovariate = try d.tally()
        convertedWithCovariate = try d.tally()
        firstNanos = Int64(try d.int())
        lastNanos = Int64(try d.int())
        revenue = try d.exactSum()
        covariateSum = try d.exactSum()
    }
}

extension ExperimentState {
    /// The state's bytes (format-spec/state.md §4.2). Maps are written in sorted order, so a
    /// state's bytes depend only on its contents.
    public func encode(to e: inout StateEncoder) {
        precondition(unitBase == 0, "a state that leaves the process holds every unit")
        e.bool(covariate)
        e.bool(requestUnits)
        e.int(cellLimit)
        e.strings(variants)
        func segments<T>(_ m: [Segment: T], _ body: (T, inout StateEncoder) -> Void) {
            let keys = m.keys.sorted(by: ExperimentState.valuesPrecede)
            e.count(keys.count)
            for k in keys {
                e.count(k.count)
                for v in k { e.optionalString(v) }
                body(m[k]!, &e)
            }
        }
        segments(groups) { g, e in for x in g { x.encode(to: &e) } }
        for c in latencies { e.valueCounts(c) }
        e.exactSum(moments.squares)
        e.exactSum(moments.timesClicked)
        e.exactSum(moments.timesConverted)
        e.ints(srmRows)
        segments(srmGroups) { c, e in e.ints(c) }
        counts.encode(to: &e)
        e.int(assignmentRowsTotal)
        e.timestamp(first)
        e.timestamp(last)
        e.int(bytes)
        e.int(unitCount)
        e.byteStrings(users)
        // Per-unit arrays are sparse: most of a shard's users are not in it.
        let assigned = variantOfUnit.indices.filter { variantOfUnit[$0] != -1 }
        e.int32s(assigned.map { Int32($0) })
        e.int32s(assigned.map { variantOfUnit[$0] })
        e.uint64s(requestKeys)
        e.ints(requestRuns.map(\.partition))
        e.ints(requestRuns.map(\.units))
        global.encode(to: &e)
        e.bool(segmentRows != nil)
        if let segmentRows { segments(segmentRows) { r, e in r.encode(to: &e) } }
        let counted = errors.indices.filter { errors[$0] != 0 || empties[$0] != 0 || joined[$0] != 0 }
        e.int32s(counted.map { Int32($0) })
        e.int32s(counted.map { errors[$0] })
        e.int32s(counted.map { empties[$0] })
        e.int32s(counted.map { joined[$0] })
        e.bool(pre != nil)
        pre?.encode(to: &e)
    }

    /// Reads a state and checks that its parts agree: one entry per variant in every group,
    /// per-unit arrays one per unit, codes in range.
    public init(from d: inout StateDecoder) throws(StateError) {
        covariate = try d.bool()
        requestUnits = try d.bool()
        cellLimit = try d.int()
        variants = try d.strings()
        let n = variants.count
        guard zip(variants, variants.dropFirst()).allSatisfy({ Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) else {
            throw d.invalid("variant names are not in ascending byte order")
        }
        groups = try ExperimentState.segments(&d) { (d) throws(StateError) in
            var g: [ExperimentScan.Group] = []
            for _ in 0..<n { g.append(try ExperimentScan.Group(from: &d)) }
            return g
        }
        var latencies: [ValueCounts] = []
        for _ in 0..<n { latencies.append(try d.valueCounts()) }
        self.latencies = latencies
        moments = ExperimentScan.CovariateMoments()
        moments.squares = try d.exactSum()
        moments.timesClicked = try d.exactSum()
        moments.timesConverted = try d.exactSum()
        srmRows = try d.tallies()
        srmGroups = try ExperimentState.segments(&d) { (d) throws(StateError) in try d.tallies() }
        guard srmRows.count == n, srmGroups.values.allSatisfy({ $0.count == n }) else {
            throw d.invalid("SRM counts do not hold one entry per variant")
        }
        counts = try JoinCounts(from: &d)
        assignmentRowsTotal = try d.tally()
        first = try d.timestamp()
        last = try d.timestamp()
        bytes = try d.tally()
        unitCount = try d.tally()
        users = try d.sortedByteStrings("user ids")
        let assignedUnits = try d.int32s()
        let assignedVariants = try d.int32s()
        requestKeys = try d.uint64s()
        let partitions = try d.ints()
        let runUnits = try d.tallies()
        guard partitions.count == runUnits.count, StateDecoder.totalWithinLimit(runUnits),
            zip(partitions, partitions.dropFirst()).allSatisfy({ $0 < $1 })
        else { throw d.invalid("request runs are not in ascending partition order, or their units pass the limit") }
        requestRuns = zip(partitions, runUnits).map { (partition: $0, units: $1) }
        let units = unitCount
        guard units >= 0, units < Int(Int32.max), assignedUnits.count == assignedVariants.count,
            zip(assignedUnits, assignedUnits.dropFirst()).allSatisfy({ $0 < $1 }),
            assignedUnits.allSatisfy({ $0 >= 0 && Int($0) < units }),
            !assignedVariants.contains(where: { $0 < -2 || $0 == -1 || Int($0) >= n }),
            requestUnits
                ? (requestKeys.count == units && runUnits.reduce(0, +) == units && users.count == 0)
                : (users.count == units && requestKeys.isEmpty && requestRuns.isEmpty)
        else { throw d.invalid("the units' ids, keys or variants do not match the unit count \(units)") }
        global = try UnitRows(from: &d, unitCount: units)
        segmentRows =
            try d.bool() ? try ExperimentState.segments(&d) { (d) throws(StateError) in try UnitRows(from: &d, unitCount: units) } : nil
        var owner = [Int32](repeating: -1, count: units)
        for (u, v) in zip(assignedUnits, assignedVariants) { owner[Int(u)] = v }
        variantOfUnit = owner
        let counted = try d.int32s()
        let errorCounts = try d.tallies32()
        let emptyCounts = try d.tallies32()
        let joinedCounts = try d.tallies32()
        guard errorCounts.count == counted.count, emptyCounts.count == counted.count, joinedCounts.count == counted.count,
            zip(counted, counted.dropFirst()).allSatisfy({ $0 < $1 }), counted.allSatisfy({ $0 >= 0 && Int($0) < units })
        else { throw d.invalid("per-unit guardrail counts are not ascending units in range with one count each") }
        errors = [Int32](repeating: 0, count: units)
        empties = errors
        joined = errors
        for (i, u) in counted.enumerated() {
            errors[Int(u)] = errorCounts[i]
            empties[Int(u)] = emptyCounts[i]
            joined[Int(u)] = joinedCounts[i]
        }
        pre = try d.bool() ? try UnitRows(from: &d, unitCount: units) : nil
        // The pre-period scope sums no covariate.
        guard pre?.covariate != true else { throw d.invalid("the pre-period scope claims a covariate") }
        let scopes = [global] + Array(segmentRows?.values ?? [:].values)
        guard scopes.allSatisfy({ $0.covariate == covariate }) else { throw d.invalid("scopes disagree on the covariate") }
    }

    /// Segment-keyed entries: a count, then each segment's values and its entry.
    static func segments<T>(_ d: inout StateDecoder, _ body: (inout StateDecoder) throws(StateError) -> T) throws(StateError) -> [Segment:
        T]
    {
        let count = try d.count(elementSize: 4)
        var out: [Segment: T] = [:]
        var previous: Segment? = nil
        for _ in 0..<count {
            let parts = try d.count(elementSize: 1)
            var s: Segment = []
            for _ in 0..<parts { s.append(try d.optionalString()) }
            if let p = previous, !ExperimentState.valuesPrecede(p, s) { throw d.invalid("segments are not in ascending order") }
            previous = s
            out[s] = try body(&d)
        }
        return out
    }
}
