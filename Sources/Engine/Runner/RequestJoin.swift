import ColumnarFormat
import ColumnarStorage

/// Counts of the exposure <- outcome <- assignment join with recsys-eval's semantics
/// (SPEC section 5): the first exposure of a request id wins and later ones are counted as
/// duplicates; outcomes attach many-to-one with no time window; an outcome whose request has no
/// exposure is an orphan; the last assignment of a request wins.
public struct JoinCounts: Sendable, Equatable {
    public var exposureRows = 0
    public var duplicateExposures = 0
    /// First exposures with at least one outcome.
    public var exposuresJoined = 0
    public var outcomeRows = 0
    public var outcomesJoined = 0
    public var orphanOutcomes = 0
    public var emptyExposures = 0
    /// recsys-eval's "missing" rows (SPEC §5.4): exposures with an empty request id or no items,
    /// outcomes with an empty request id or item id, and assignments (of any experiment) with an
    /// empty request id or variant, which are then assigned to nothing.
    public var incompleteExposures = 0
    public var incompleteOutcomes = 0
    public var incompleteAssignments = 0
    /// Outcomes whose item was not in the exposure's list.
    public var outcomesOnUnshownItems = 0
    /// Outcomes timestamped before their exposure.
    public var outcomesBeforeExposure = 0
    public var assignmentRows = 0
    /// Distinct request ids among assignments.
    public var assignedRequests = 0
    /// First exposures whose request has an assignment.
    public var assignedExposures = 0

    public init() {}

    public static func + (a: JoinCounts, b: JoinCounts) -> JoinCounts {
        var c = JoinCounts()
        c.exposureRows = a.exposureRows + b.exposureRows
        c.duplicateExposures = a.duplicateExposures + b.duplicateExposures
        c.exposuresJoined = a.exposuresJoined + b.exposuresJoined
        c.outcomeRows = a.outcomeRows + b.outcomeRows
        c.outcomesJoined = a.outcomesJoined + b.outcomesJoined
        c.orphanOutcomes = a.orphanOutcomes + b.orphanOutcomes
        c.emptyExposures = a.emptyExposures + b.emptyExposures
        c.incompleteExposures = a.incompleteExposures + b.incompleteExposures
        c.incompleteOutcomes = a.incompleteOutcomes + b.incompleteOutcomes
        c.incompleteAssignments = a.incompleteAssignments + b.incompleteAssignments
        c.outcomesOnUnshownItems = a.outcomesOnUnshownItems + b.outcomesOnUnshownItems
        c.outcomesBeforeExposure = a.outcomesBeforeExposure + b.outcomesBeforeExposure
        c.assignmentRows = a.assignmentRows + b.assignmentRows
        c.assignedRequests = a.assignedRequests + b.assignedRequests
        c.assignedExposures = a.assignedExposures + b.assignedExposures
        return c
    }
}

/// The join of one partition, through the partition's request-id codes: every lookup is an
/// array index, never a hash of a string.
public struct PartitionJoin {
    /// For each request code, the exposure row that won (-1: none).
    public let firstExposure: [Int32]
    /// For each request code, the variant code of its last assignment (-1: none).
    public let variantOfRequest: [Int32]
    /// The code of the empty request id in this partition (-1: none).
    public let emptyRequest: Int32
    public let counts: JoinCounts
    public let bytesTouched: Int

    /// Joins partition `p`. `experiments`, when given, keeps only assignments whose experiment
    /// code it marks true; assignments without a request id or variant (`empty`) are assigned to
    /// nothing. With `window`, exposures and outcomes outside it are left out before joining.
    public init(
        reader: DatasetReader, partition p: Int, experiments: [Bool]? = nil, variantCount: Int, itemCount: Int, empty: EmptyStrings,
        window: TimeWindow? = nil
    ) throws {
        let requests = Int(reader.footer.partitions[p].requestDictionary.count)
        var load = ColumnLoader(reader: reader, partition: p)
        var c = JoinCounts()
        let emptyRequest = try empty.request(reader: reader, partition: p)
        let emptyItem = empty.item
        let emptyVariant = empty.variant
        // Exposures: first wins.
        let exReq = try load.int32("exposures", "request_id", bound: requests)
        let nItems = try load.counts("exposures", "item_count")
        let exTs = try load.int64("exposures", "ts_us")
        var exIn: [Bool] = []
        var ocIn: [Bool] = []
        if let window {
            exIn = window.mask(micros: exTs, nanos: try load.int64("exposures", "ts_ns"))
            ocIn = window.mask(micros: try load.int64("outcomes", "ts_us"), nanos: try load.int64("outcomes", "ts_ns"))
        }
        var first = [Int32](repeating: -1, count: requests)
        for (row, code) in exReq.enumerated() {
            if !exIn.isEmpty && !exIn[row] { continue }
            c.exposureRows += 1
            if first[Int(code)] < 0 { first[Int(code)] = Int32(row) } else { c.duplicateExposures += 1 }
            if nItems[row] == 0 { c.emptyExposures += 1 }
            if nItems[row] == 0 || code == emptyRequest { c.incompleteExposures += 1 }
        }
        // Item ranges of each exposure row, to check whether an outcome's item was shown.
        var itemStart = [Int](repeating: 0, count: exReq.count + 1)
        for i in 0..<exReq.count { itemStart[i + 1] = itemStart[i] + Int(nItems[i]) }
        let items = try load.int32("exposures", "item_id", bound: itemCount)
        guard items.count == itemStart[exReq.count] else {
            throw StorageError.corrupt(path: reader.path, reason: "partition \(p): item counts do not match the item list")
        }
        // Outcomes: many-to-one, no time window.
        let ocReq = try load.int32("outcomes", "request_id", bound: requests)
        let ocItem = try load.int32("outcomes", "item_id", bound: itemCount)
        let ocTs = try load.int64("outcomes", "ts_us")
        var outcomesPerRequest = [Int32](repeating: 0, count: requests)
        for (i, code) in ocReq.enumerated() {
            if !ocIn.isEmpty && !ocIn[i] { continue }
            c.outcomeRows += 1
            if code == emptyRequest || ocItem[i] == emptyItem { c.incompleteOutcomes += 1 }
            let e = first[Int(code)]
            if e < 0 {
                c.orphanOutcomes += 1
                continue
            }
            c.outcomesJoined += 1
            outcomesPerRequest[Int(code)] += 1
            let row = Int(e)
            if ocTs[i] < exTs[row] { c.outcomesBeforeExposure += 1 }
            var shown = false
            for j in itemStart[row]..<itemStart[row + 1] where items[j] == ocItem[i] {
                shown = true
                break
            }
            if !shown { c.outcomesOnUnshownItems += 1 }
        }
        for code in 0..<requests where first[code] >= 0 && outcomesPerRequest[code] > 0 { c.exposuresJoined += 1 }
        // Assignments: the last one of a request wins.
        let asReq = try load.int32("assignments", "request_id", bound: requests)
        let asVariant = try load.int32("assignments", "variant", bound: max(variantCount, 1))
        let asExp = try load.int32("assignments", "experiment_id", bound: experiments?.count ?? Int(Int32.max))
        var variant = [Int32](repeating: -1, count: requests)
        for (i, code) in asReq.enumerated() {
            if code == emptyRequest || asVariant[i] == emptyVariant {
                c.incompleteAssignments += 1
                continue
            }
            if let experiments, !experiments[Int(asExp[i])] { continue }
            c.assignmentRows += 1
            if variant[Int(code)] < 0 { c.assignedRequests += 1 }
            variant[Int(code)] = asVariant[i]
        }
        for code in 0..<requests where first[code] >= 0 && variant[code] >= 0 { c.assignedExposures += 1 }
        firstExposure = first
        variantOfRequest = variant
        self.emptyRequest = emptyRequest
        counts = c
        bytesTouched = load.bytesTouched
    }
}

/// Which experiment codes an experiment id selects: recsys-eval matches ids ignoring case, and
/// an empty id selects every assignment.
public enum ExperimentFilter {
    public static func mask(reader: DatasetReader, experiment: String?) throws -> [Bool]? {
        guard let experiment, !experiment.isEmpty else { return nil }
        return DictionaryIndex(try reader.dictionary("experiment_id")).codes(matchingCaseInsensitive: experiment)
    }
}
