import ColumnarFormat
import ColumnarStorage

extension ExperimentScan {
    /// The experiment scan's state as partitions are folded in, in partition order: recsys-eval's
    /// groups per segment, latency counts, SRM rows, join counts, and per-unit sums. It grows with
    /// units, segments and distinct latencies, never with exposures: each partition's rows are
    /// added to the per-unit sums and then dropped.
    ///
    /// Crossover units (assignments to several variants) are only known once every partition is
    /// in, so their rows are summed like any other and left out when the scopes are finished;
    /// integer counts and `ExactSum` make that the same as never adding them.
    struct Merged {
        let nVariants: Int
        let covariate: Bool
        let requestUnits: Bool
        let cellLimit: Int
        var byID: [Int64: [Group]] = [:]
        var latencies: [ValueCounts]
        var moments = CovariateMoments()
        var srmRows: [Int]
        var srmByID: [Int64: [Int]] = [:]
        var counts = JoinCounts()
        var assignmentRowsTotal = 0
        var first: Timestamp? = nil
        var last: Timestamp? = nil
        var bytes = 0
        /// Units: users (a dictionary code each) or requests (numbered in partition order).
        var unitCount: Int
        /// User units taken in parts: the user code of unit 0 (`Options.units`).
        var unitBase = 0
        /// User units: every user of the dataset, the count the segment cell limit is checked
        /// against, so that a run in parts keeps segment scopes exactly when a whole run would.
        var cellUsers = 0
        var variantOfUnit: [Int32]
        var requestKeys: [UInt64] = []
        /// Request units: how many units each partition numbered, in fold order.
        var requestRuns: [(partition: Int, units: Int)] = []
        var global: UnitSums
        /// Segment scopes by segment id, while (segments + 1) × units stays within `cellLimit`.
        var segmentSums: SegmentUnitSums? = nil
        var errors: [Int32]
        var empties: [Int32]
        var joined: [Int32]
        var pre: UnitSums?

        init(variants: Int, users: Int, covariate: Bool, prePeriod: Bool, segments: Bool, cellLimit: Int, requestUnits: Bool) {
            nVariants = variants
            self.covariate = covariate
            self.requestUnits = requestUnits
            self.cellLimit = cellLimit
            latencies = [ValueCounts](repeating: ValueCounts(), count: variants)
            srmRows = [Int](repeating: 0, count: variants)
            unitCount = users
            cellUsers = users
            variantOfUnit = [Int32](repeating: -1, count: users)
            global = UnitSums(covariate: covariate, units: users)
            if segments { segmentSums = SegmentUnitSums(covariate: covariate) }
            errors = [Int32](repeating: 0, count: users)
            empties = errors
            joined = errors
            pre = prePeriod ? UnitSums(covariate: false) : nil
        }

        mutating func add(_ part: Partial) {
            for (slot, id) in part.segmentOrder.enumerated() {
                var acc = byID[id] ?? [Group](repeating: Group(), count: nVariants)
                for v in 0..<nVariants { acc[v].merge(part.groups[slot][v]) }
                byID[id] = acc
            }
            for v in 0..<nVariants {
                latencies[v].merge(part.latencies[v])
                srmRows[v] += part.srmRows[v]
            }
            moments.merge(part.moments)
            for (id, c) in part.srmSegments {
                var acc = srmByID[id] ?? [Int](repeating: 0, count: nVariants)
                for v in 0..<nVariants { acc[v] += c[v] }
                srmByID[id] = acc
            }
            counts = counts + part.counts
            assignmentRowsTotal += part.assignmentRowsTotal
            if let f = part.first, first.map({ Timestamp.windowLess(f, $0) }) ?? true { first = f }
            if let l = part.last, last.map({ Timestamp.windowLess($0, l) }) ?? true { last = l }
            bytes += part.bytes

            // Units: a user's variant from every matching assignment row (two variants: crossover);
            // with request units, each analysed row is a unit of its own, numbered in order.
            var unitOfRow = part.unit
            if requestUnits {
                unitOfRow = (0..<part.unit.count).map { Int32(unitCount + $0) }
                unitCount += part.unit.count
                precondition(unitCount < Int(Int32.max), "request units are numbered with 32-bit codes")
                variantOfUnit += part.variant
                requestKeys += part.requestKey
                requestRuns.append((part.partition, part.unit.count))
                errors += [Int32](repeating: 0, count: part.unit.count)
                empties += [Int32](repeating: 0, count: part.unit.count)
                joined += [Int32](repeating: 0, count: part.unit.count)
            } else {
                for (u, v) in zip(part.assignedUnit, part.assignedVariant) {
                    let cur = variantOfUnit[Int(u)]
                    if cur == -1 { variantOfUnit[Int(u)] = v } else if cur != v { variantOfUnit[Int(u)] = -2 }
                }
            }
            // The cell limit is checked on every segment of recsys-eval's groups, so it gives the
            // same answer as a check at the end: both counts only grow.
            if segmentSums != nil && (byID.count + 1) * (requestUnits ? unitCount : cellUsers) > cellLimit { segmentSums = nil }
            // Scope by scope, each table taken out of `self` for its loop, so the loops write
            // through no optional and touch one table at a time.
            var global = self.global
            self.global = UnitSums(covariate: covariate)
            for i in 0..<unitOfRow.count {
                let u = unitOfRow[i]
                global.add(
                    unit: u, clicks: part.clicks[i], conversions: part.conversions[i], revenue: part.revenue[i],
                    covariate: part.covariate[i])
                if part.error[i] { errors[Int(u)] += 1 }
                if part.empty[i] { empties[Int(u)] += 1 }
                if part.joined[i] { joined[Int(u)] += 1 }
            }
            self.global = global
            if var segments = segmentSums.take() {
                for i in 0..<unitOfRow.count {
                    segments.add(
                        segment: part.segment[i], unit: unitOfRow[i], clicks: part.clicks[i], conversions: part.conversions[i],
                        revenue: part.revenue[i], covariate: part.covariate[i])
                }
                segmentSums = segments
            }
            if pre != nil {
                for i in 0..<part.preUnit.count {
                    pre!.add(
                        unit: part.preUnit[i], clicks: part.preClicks[i], conversions: part.preConversions[i], revenue: part.preRevenue[i],
                        covariate: .nan)
                }
            }
        }
    }
}
