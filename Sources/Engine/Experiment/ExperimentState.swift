import ColumnarFormat
import ColumnarStorage

/// The experiment scan's state in the form that leaves the process (`--state-out`) and merges
/// with others (`receval merge`): everything `ExperimentScan.Merged` holds, keyed by ids rather
/// than a dataset's codes. Variants are names, segments the context values they stand for, and
/// users their ids, so states of shards of one dataset, or of separately ingested datasets,
/// merge exactly: counts add, money is `ExactSum`, a user's rows in several states add, and a
/// user assigned to different variants in different states is a crossover unit, as one run
/// over all the logs would find.
///
/// Finishing a merged state gives the same `ExperimentScan` as one pass over the union: variants
/// and users are kept in byte order, as a dataset's sorted dictionaries hold them.
public struct ExperimentState: Sendable {
    /// A segment: the values of the slice keys, in their order (nil: the row lacks the key).
    typealias Segment = [String?]

    let covariate: Bool
    let requestUnits: Bool
    let cellLimit: Int
    var variants: [String]
    var groups: [Segment: [ExperimentScan.Group]]
    var latencies: [ValueCounts]
    var moments: ExperimentScan.CovariateMoments
    var srmRows: [Int]
    var srmGroups: [Segment: [Int]]
    var counts: JoinCounts
    var assignmentRowsTotal: Int
    var first: Timestamp?
    var last: Timestamp?
    var bytes: Int
    /// User units: the id of every user code (the dataset's `user_id` dictionary).
    var users: ByteStrings
    var unitCount: Int
    var variantOfUnit: [Int32]
    /// Request units: each unit's key, and how many units each partition numbered, in order.
    var requestKeys: [UInt64]
    var requestRuns: [(partition: Int, units: Int)]
    var global: UnitRows
    /// Segment scopes, while (segments + 1) × units stays within `cellLimit`.
    var segmentRows: [Segment: UnitRows]?
    var errors: [Int32]
    var empties: [Int32]
    var joined: [Int32]
    var pre: UnitRows?
    /// User units taken in parts: the user code of unit 0 (never in a state that leaves the
    /// process: those hold every unit).
    var unitBase = 0

    /// Exposure rows the state counted.
    public var exposureRows: Int { counts.exposureRows }

    /// Units the state holds (users, or requests with request units).
    public var units: Int { unitCount }
    public var isRequestUnits: Bool { requestUnits }
}

extension ExperimentScan.Merged {
    /// The state with codes replaced by ids: segment ids by their values, variant codes by names.
    consuming func state(
        options: ExperimentScan.Options, variants: DictionaryIndex, users: ByteStrings, ctxValues: DictionaryIndex, threads: Int = 1
    )
        -> ExperimentState
    {
        let sliceCount = options.sliceKeys.count
        let srmCount = options.srmSliceKeys.count
        func segment(_ id: Int64, _ count: Int) -> ExperimentState.Segment { SegmentKeys.values(id, count: count, values: ctxValues) }
        var groups: [ExperimentState.Segment: [ExperimentScan.Group]] = [:]
        for (id, g) in byID { groups[segment(id, sliceCount)] = g }
        var srmGroups: [ExperimentState.Segment: [Int]] = [:]
        for (id, c) in srmByID { srmGroups[segment(id, srmCount)] = c }
        // Each table of sums is released once its rows are made, so the two are not both held whole.
        let globalRows = UnitRows(global)
        global = UnitSums(covariate: covariate)
        let preRows = pre.map { UnitRows($0) }
        pre = nil
        var segmentRows: [ExperimentState.Segment: UnitRows]? = nil
        if let sums = segmentSums.take() {
            // Segment by segment on every thread; each segment's sums are released once its rows
            // are made.
            let bySegment = sums.byID().sorted { $0.key < $1.key }
            let ids = bySegment.map(\.key)
            let pending = SegmentSumsQueue(bySegment.map(\.value))
            let made = Morsels.run(count: ids.count, threads: threads) { i in pending.rows(i) }
            var rows: [ExperimentState.Segment: UnitRows] = [:]
            for (id, r) in zip(ids, made) { rows[segment(id, sliceCount)] = r }
            segmentRows = rows
        }
        return ExperimentState(
            covariate: covariate, requestUnits: requestUnits, cellLimit: cellLimit,
            variants: (0..<nVariants).map { variants.string(Int32($0)) }, groups: groups, latencies: latencies, moments: moments,
            srmRows: srmRows, srmGroups: srmGroups, counts: counts, assignmentRowsTotal: assignmentRowsTotal, first: first, last: last,
            bytes: bytes, users: requestUnits ? ByteStrings(offsets: [0], data: []) : users, unitCount: unitCount,
            variantOfUnit: variantOfUnit, requestKeys: requestKeys, requestRuns: requestRuns, global: globalRows,
            segmentRows: segmentRows, errors: errors, empties: empties, joined: joined, pre: preRows, unitBase: unitBase)
    }
}

extension ExperimentState {
    /// The finished scan: segments named and sorted by key, crossover units left out of the
    /// scopes, unit keys hashed from the ids. Consuming: each scope's rows are released as soon as
    /// they are finished, so the state's per-unit rows and the scan's scopes are not both held
    /// whole (about a quarter of a 10M-exposure experiment's peak).
    public consuming func finish(options: ExperimentScan.Options) -> ExperimentScan {
        func key(_ s: Segment, _ names: [String]) -> String { SegmentKeys.key(s, names: names) }
        let nVariants = variants.count
        let keyed = groups.map { (key: key($0.key, options.sliceKeys), segment: $0.key, groups: $0.value) }
            .sorted { ExperimentState.precedes(($0.key, $0.segment), ($1.key, $1.segment)) }
        var globalGroups = [ExperimentScan.Group](repeating: ExperimentScan.Group(), count: nVariants)
        for s in keyed { for v in 0..<nVariants { globalGroups[v].merge(s.groups[v]) } }
        let srmSegments = srmGroups.map { (key: key($0.key, options.srmSliceKeys), segment: $0.key, counts: $0.value) }
            .sorted { ExperimentState.precedes(($0.key, $0.segment), ($1.key, $1.segment)) }
            .map { (key: $0.key, counts: $0.counts) }
        let owners = variantOfUnit
        let kept: (Int32) -> Bool = { owners[Int($0)] != -2 }
        var crossoverExposures = 0
        for (i, u) in global.units.enumerated() where owners[Int(u)] == -2 { crossoverExposures += Int(global.exposures[i]) }
        var scopes = [global.finished(key: "global", keep: kept)]
        global = UnitRows(covariate: covariate)
        if var rows = segmentRows {
            segmentRows = nil
            for s in keyed {
                scopes.append((rows.removeValue(forKey: s.segment) ?? UnitRows(covariate: covariate)).finished(key: s.key, keep: kept))
            }
        }
        var errors = errors
        var empties = empties
        var joined = joined
        for u in owners.indices where owners[u] == -2 {
            errors[u] = 0
            empties[u] = 0
            joined[u] = 0
        }
        let unitKeys: [UInt64] =
            requestUnits
            ? requestKeys
            : users.data.withUnsafeBytes { raw in
                (unitBase..<(unitBase + unitCount)).map {
                    XXH64.hash(UnsafeRawBufferPointer(rebasing: raw[Int(users.offsets[$0])..<Int(users.offsets[$0 + 1])]))
                }
            }
        var window: (Timestamp, Timestamp)? = nil
        if let first, let last { window = (first, last) }
        return ExperimentScan(
            variants: variants, segmentKeys: keyed.map(\.key), global: globalGroups, segments: keyed.map(\.groups),
            latencies: latencies.map { $0.sorted() }, covariateMoments: moments, assignmentRowsByVariant: srmRows,
            srmSegments: srmSegments, counts: counts, assignmentRowsTotal: assignmentRowsTotal, window: window, unitCount: unitCount,
            unitKeys: unitKeys, variantOfUnit: variantOfUnit, crossoverExposures: crossoverExposures, unitScopes: scopes,
            unitErrors: errors, unitEmpties: empties, unitJoined: joined, preScope: pre?.finished(key: "pre_period"),
            bytesTouched: bytes)
    }

    /// Segments in byte order of their keys; two segments whose keys read the same (a value
    /// holding `|` or `=`) in order of their values, so the order never depends on a hash.
    static func precedes(_ a: (String, Segment), _ b: (String, Segment)) -> Bool {
        if a.0 != b.0 { return Array(a.0.utf8).lexicographicallyPrecedes(Array(b.0.utf8)) }
        return valuesPrecede(a.1, b.1)
    }

    /// Segments by their values, value by value: an absent value first, then byte order.
    static func valuesPrecede(_ a: Segment, _ b: Segment) -> Bool {
        for (x, y) in zip(a, b) where x != y {
            guard let x else { return true }
            guard let y else { return false }
            return Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8))
        }
        return a.count < b.count
    }
}

extension ExperimentState {
    /// Checks that the state was computed with `options` (a state's header names its config by
    /// digest; this checks the body agrees, so a crafted or mislabelled state is refused rather
    /// than finished into a wrong report).
    public func check(options: ExperimentScan.Options) throws(Mismatch) {
        guard covariate == (options.covariateKey != nil), requestUnits == options.requestUnits,
            (pre != nil) == (options.prePeriod != nil), cellLimit == options.unitCellLimit,
            groups.keys.allSatisfy({ $0.count == options.sliceKeys.count }),
            (segmentRows ?? [:]).keys.allSatisfy({ $0.count == options.sliceKeys.count }),
            srmGroups.keys.allSatisfy({ $0.count == options.srmSliceKeys.count })
        else { throw Mismatch(description: "the state's settings (covariate, units, pre-period, segments) are not the config's") }
    }
}

/// Segments' unit sums waiting to become rows, in memory of their own: morsel `i` moves slot `i`
/// out (each slot is taken by exactly one morsel, and no two morsels touch the same memory, which
/// is what makes the `@unchecked Sendable` sound), so every table is released as soon as its rows
/// are made.
private final class SegmentSumsQueue: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<UnitSums?>

    init(_ sums: [UnitSums]) {
        slots = .allocate(capacity: sums.count)
        _ = slots.initialize(from: sums.map { Optional($0) })
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func rows(_ i: Int) -> UnitRows {
        precondition(slots[i] != nil, "each segment is taken once")
        let s = slots[i].take()!
        return UnitRows(s)
    }
}
