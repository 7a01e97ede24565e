import ColumnarFormat
import ColumnarStorage

/// One pass over an experiment's logs that gathers everything the experiment analysis needs:
/// recsys-eval's request-level accumulators per variant and per segment (SPEC §7.1), latencies,
/// assignment counts for its SRM, the join counts for data quality, the dataset's time window,
/// and per-unit aggregates (by default the user of each assignment) for inference at the
/// randomisation unit.
///
/// Partitions are scanned in parallel and merged in partition order; every floating-point sum
/// that crosses partitions is an `ExactSum`, so the result is the same for any thread count and
/// any partition count.
public struct ExperimentScan: Sendable {
    public struct Options: Sendable {
        /// recsys-eval's `experiment_id`: matched ignoring case; empty selects every assignment.
        public var experiment: String
        /// Exposure context keys that form segments (recsys-eval's `slice_keys`).
        public var sliceKeys: [String]
        /// Assignment context keys of recsys-eval's per-segment SRM.
        public var srmSliceKeys: [String]
        /// Exposure context key holding a numeric pre-period covariate (CUPED).
        public var covariateKey: String?
        /// Exposures inside this window are the pre-period: they give each unit's covariate and
        /// are left out of the unit-level analysis (recsys-eval's keys still count them).
        public var prePeriod: TimeWindow?
        /// Largest (segments + 1) × units the per-segment unit arrays may take; above it only the
        /// global scope is kept at unit level.
        public var unitCellLimit: Int
        /// The randomisation unit: the user of each assignment, or each request on its own.
        public var requestUnits = false
        /// User units only: the user codes whose per-unit state this scan keeps (nil: all), each
        /// counted from the range's start (unit code `u` is user `units.lowerBound + u`). Every
        /// other sum (recsys-eval's groups, latencies, SRM rows, join counts) is the whole
        /// dataset's. This is how a run with more users than its memory holds takes them in
        /// parts (`ExperimentEvaluation`).
        public var units: Range<Int>? = nil
        /// A later part of a run in parts: only the per-unit state is wanted (the first part gave
        /// everything else), so recsys-eval's group sums, latencies, SRM rows and the window are
        /// not computed (their columns are not even decoded), and come out empty or zero. The
        /// segments seen are still recorded, so the part keeps the same scopes.
        public var unitsOnly = false

        public init(
            experiment: String, sliceKeys: [String] = [], srmSliceKeys: [String] = [], covariateKey: String? = nil,
            prePeriod: TimeWindow? = nil, unitCellLimit: Int = 64 << 20
        ) {
            self.experiment = experiment
            self.sliceKeys = sliceKeys
            self.srmSliceKeys = srmSliceKeys
            self.covariateKey = covariateKey
            self.prePeriod = prePeriod
            self.unitCellLimit = unitCellLimit
        }
    }

    /// recsys-eval's request-level sums for one variant (in one segment).
    public struct Group: Sendable, Equatable {
        public var exposures = 0
        public var clicks = 0
        public var conversions = 0
        public var revenue = ExactSum()
        /// Earliest and latest exposure instant, in nanoseconds since the epoch.
        public var firstNanos = Int64.max
        public var lastNanos = Int64.min
        public var errors = 0
        public var empties = 0
        /// Exposures with at least one outcome.
        public var joined = 0
        /// CUPED inputs over exposures that carry the covariate: count, Σx, Σ click and conversion indicators.
        public var covariateExposures = 0
        public var covariateSum = ExactSum()
        public var clickedWithCovariate = 0
        public var convertedWithCovariate = 0

        mutating func merge(_ o: Group) {
            exposures += o.exposures
            clicks += o.clicks
            conversions += o.conversions
            revenue.add(o.revenue)
            firstNanos = min(firstNanos, o.firstNanos)
            lastNanos = max(lastNanos, o.lastNanos)
            errors += o.errors
            empties += o.empties
            joined += o.joined
            covariateExposures += o.covariateExposures
            covariateSum.add(o.covariateSum)
            clickedWithCovariate += o.clickedWithCovariate
            convertedWithCovariate += o.convertedWithCovariate
        }
    }

    /// Σx², Σx·click and Σx·conversion indicator over every assigned exposure with a covariate.
    public struct CovariateMoments: Sendable, Equatable {
        public var squares = ExactSum()
        public var timesClicked = ExactSum()
        public var timesConverted = ExactSum()

        mutating func merge(_ o: CovariateMoments) {
            squares.add(o.squares)
            timesClicked.add(o.timesClicked)
            timesConverted.add(o.timesConverted)
        }
    }

    /// Per-unit sums in one scope (all exposures, or one segment's): the units with a row in the
    /// scope, in ascending unit code, and their sums at the same positions.
    public struct UnitScope: Sendable {
        public var key: String
        public var units: [Int32] = []
        public var exposures: [Int32] = []
        public var clicks: [Int32] = []
        public var clickedRequests: [Int32] = []
        public var conversions: [Int32] = []
        /// The exact sums' values (each an `ExactSum` while partitions are folded in).
        public var revenue: [Double] = []
        /// Empty unless a context covariate was asked for.
        public var covariateCount: [Int32] = []
        public var covariateSum: [Double] = []

        init(key: String) { self.key = key }
    }

    public var variants: [String]
    /// Segment keys (recsys-eval's `k1=v1|k2=v2`, or `__all__` without slice keys), sorted byte-wise.
    public var segmentKeys: [String]
    /// `global[v]`: variant code v over all assigned exposures.
    public var global: [Group]
    /// `segments[s][v]`.
    public var segments: [[Group]]
    /// Latencies of each variant's assigned exposures: exact counts of each distinct value.
    public var latencies: [ValueCounts.Sorted]
    public var covariateMoments = CovariateMoments()
    /// recsys-eval's SRM counts: matching assignment rows per variant, overall and per
    /// assignment-context segment (keys sorted).
    public var assignmentRowsByVariant: [Int]
    public var srmSegments: [(key: String, counts: [Int])]
    /// Join counts (assignments restricted to the experiment), for data quality.
    public var counts: JoinCounts
    /// Every assignment row, of any experiment.
    public var assignmentRowsTotal = 0
    /// Earliest and latest instant over all exposure and outcome rows, with their offsets.
    public var window: (first: Timestamp, last: Timestamp)?

    /// The least memory one unit takes in an experiment or A/A run: 48 bytes of scan state
    /// (variant, bootstrap key, guardrail counts, global-scope sums) and the unit analysis's 8
    /// per-unit columns of the global scope (64 bytes), before its id, its segments, revenue
    /// and covariates (docs/scale.md: about 220 bytes with 41 segments).
    public static let bytesPerUnitAtLeast = 112

    // Unit level.
    public var unitCount: Int
    /// A stable key of each unit: XXH64 of its id, for bootstrap weights.
    public var unitKeys: [UInt64]
    /// The variant of each unit from its assignments; -1 none, -2 several (a crossover unit).
    public var variantOfUnit: [Int32]
    /// Analysed (non-pre-period) assigned exposures of crossover units.
    public var crossoverExposures = 0
    /// Scope 0 is every analysed exposure; then one per segment, in `segmentKeys` order, when they
    /// fit. Crossover units are left out of every scope.
    public var unitScopes: [UnitScope]
    /// Per unit code over analysed exposures: errors, empty lists and exposures with an outcome
    /// (guardrails); 0 for crossover units.
    public var unitErrors: [Int32]
    public var unitEmpties: [Int32]
    public var unitJoined: [Int32]
    /// Per unit over pre-period exposures (assigned or not, crossover units included), when a
    /// pre-period is set.
    public var preScope: UnitScope?
    public var bytesTouched = 0

    /// One partition's contribution, merged in partition order.
    struct Partial: Sendable {
        /// Groups of each segment seen, in first-seen order (`segmentOrder` holds their ids).
        var groups: [[Group]] = []
        var segmentOrder: [Int64] = []
        /// Latency counts per variant, counted in the partition (in parallel), merged in order.
        var latencies: [ValueCounts]
        var moments = CovariateMoments()
        var srmRows: [Int]
        var srmSegments: [Int64: [Int]] = [:]
        var counts = JoinCounts()
        var assignmentRowsTotal = 0
        var first: Timestamp? = nil
        var last: Timestamp? = nil
        // Unit rows, one per analysed assigned exposure.
        var unit: [Int32] = []
        /// With request units: XXH64 of each row's request id.
        var requestKey: [UInt64] = []
        var variant: [Int32] = []
        var segment: [Int64] = []
        var clicks: [Int32] = []
        var conversions: [Int32] = []
        var revenue: [Double] = []
        var covariate: [Double] = []
        var error: [Bool] = []
        var empty: [Bool] = []
        var joined: [Bool] = []
        // Pre-period rows (any exposure in the window).
        var preUnit: [Int32] = []
        var preClicks: [Int32] = []
        var preConversions: [Int32] = []
        var preRevenue: [Double] = []
        // Assignment (unit, variant) pairs, for crossover detection and unit SRM.
        var assignedUnit: [Int32] = []
        var assignedVariant: [Int32] = []
        var bytes = 0
        /// The partition scanned (request units are numbered in partition order).
        var partition = 0
    }

    public static func run(reader: DatasetReader, options: Options, threads: Int) throws -> ExperimentScan {
        try state(reader: reader, options: options, threads: threads).finish(options: options)
    }

    /// The folded state of the partitions `reader` scans (all, or a shard's), by ids.
    public static func state(reader: DatasetReader, options: Options, threads: Int) throws -> ExperimentState {
        let pass = try Pass(reader: reader, options: options)
        let merged = try pass.fold(threads: threads)
        return merged.state(
            options: options, variants: pass.variantDict, users: pass.users, ctxValues: pass.codes.ctxValues, threads: threads)
    }

    /// The pass over the dataset: per partition, the join's cases reduced to recsys-eval's
    /// groups, latency counts, SRM rows and per-case unit rows (`Partial`); partials folded into
    /// per-unit sums (`Merged`).
    struct Pass: PartitionScan {
        let reader: DatasetReader
        let options: Options
        let variantDict: DictionaryIndex
        let users: ByteStrings
        let codes: DatasetCodes
        let experiments: [Bool]?
        let experimentCount: Int
        let nVariants: Int
        let sliceCodes: [Int32]
        let srmCodes: [Int32]
        let covariateCode: Int32?
        /// Parsed numeric value of every context value (NaN when it is not a number).
        let valueAsNumber: [Double]
        let pre: TimeWindow?

        init(reader: DatasetReader, options: Options) throws {
            self.reader = reader
            self.options = options
            variantDict = DictionaryIndex(try reader.dictionary("variant"))
            users = try reader.dictionary("user_id")
            let codes = try DatasetCodes(reader: reader, userIDs: users)
            self.codes = codes
            let values = codes.ctxValues
            experiments = try ExperimentFilter.mask(reader: reader, experiment: options.experiment)
            experimentCount = try reader.dictionary("experiment_id").count
            nVariants = variantDict.count
            sliceCodes = codes.keyCodes(options.sliceKeys)
            srmCodes = codes.keyCodes(options.srmSliceKeys)
            let covariate = options.covariateKey.flatMap { codes.ctxKeys.code(of: $0) }
            covariateCode = covariate
            valueAsNumber =
                covariate == nil ? [] : (0..<values.count).map { Double(values.string(Int32($0)).trimmingASCIISpaces) ?? .nan }
            pre = options.prePeriod
        }

        func start() -> Merged {
            precondition(options.units == nil || !options.requestUnits, "request units are not taken in parts")
            if let range = options.units { precondition(range.lowerBound >= 0 && range.upperBound <= users.count, "user codes") }
            var merged = Merged(
                variants: nVariants, users: options.requestUnits ? 0 : options.units?.count ?? users.count,
                covariate: options.covariateKey != nil, prePeriod: options.prePeriod != nil, segments: !options.sliceKeys.isEmpty,
                cellLimit: options.unitCellLimit, requestUnits: options.requestUnits)
            merged.unitBase = options.units?.lowerBound ?? 0
            merged.cellUsers = options.requestUnits ? 0 : users.count
            return merged
        }

        func combine(_ partial: Partial, into merged: inout Merged) { merged.add(partial) }

        func scan(partition p: Int) throws -> Partial {
            // Locals, not `self`'s members: the loops below then touch no reference counts.
            let options = self.options
            let users = self.users
            let items = codes.items
            let empty = codes.empty
            let events = codes.events
            let ctxKeys = codes.ctxKeys
            let ctxValues = codes.ctxValues
            let experiments = self.experiments
            let experimentCount = self.experimentCount
            let isClick = codes.isClick
            let isConversion = codes.isConversion
            let nVariants = self.nVariants
            let sliceCodes = self.sliceCodes
            let srmCodes = self.srmCodes
            let covariateCode = self.covariateCode
            let valueAsNumber = self.valueAsNumber
            let pre = self.pre
            // The user codes kept at unit level, and what is subtracted from each.
            let full = !options.unitsOnly
            let unitLow = Int32(options.units?.lowerBound ?? 0)
            let unitHigh = Int32(options.units?.upperBound ?? users.count)
            let requests = Int(reader.footer.partitions[p].requestDictionary.count)
            let join = try PartitionJoin(
                reader: reader, partition: p, experiments: experiments, variantCount: nVariants, itemCount: items, empty: empty)
            let emptyRequest = join.emptyRequest
            let emptyVariant = empty.variant
            let zeroIsMissing = empty.zeroTimeIsMissing
            var load = ColumnLoader(reader: reader, partition: p)
            var out = Partial(
                latencies: [ValueCounts](repeating: ValueCounts(), count: nVariants), srmRows: [Int](repeating: 0, count: nVariants))
            out.counts = join.counts
            out.partition = p
            // Assignments: the unit of each request's winning assignment, SRM rows and pairs.
            let asReq = try load.int32("assignments", "request_id", bound: requests)
            let asUser = try load.int32("assignments", "user_id", bound: users.count)
            let asExp = try load.int32("assignments", "experiment_id", bound: experimentCount)
            let asVariant = try load.int32("assignments", "variant", bound: max(nVariants, 1))
            out.assignmentRowsTotal = asReq.count
            var unitOfRequest = [Int32](repeating: -1, count: requests)
            var srmSegmentOf: [Int64] = []
            if !srmCodes.isEmpty && full {
                srmSegmentOf = try SegmentKeys.ids(
                    &load, table: "assignments", rows: asReq.count, keys: srmCodes, keyCount: ctxKeys.count, valueCount: ctxValues.count)
            }
            // SRM segments below 2^16 count in a flat table (a row per segment seen, found through
            // an array by id), larger ids in the dictionary: no hashing per assignment row.
            var srmRowOfID = [Int32](repeating: -1, count: srmSegmentOf.isEmpty ? 0 : 1 << 16)
            var srmIDs: [Int64] = []
            var srmCounts: [Int] = []
            for i in 0..<asReq.count {
                // recsys-eval's missing assignments: no request id or no variant; assigned to nothing.
                if asReq[i] == emptyRequest || asVariant[i] == emptyVariant { continue }
                if let experiments, !experiments[Int(asExp[i])] { continue }
                unitOfRequest[Int(asReq[i])] = asUser[i]
                if full { out.srmRows[Int(asVariant[i])] += 1 }
                if !srmSegmentOf.isEmpty {
                    let s = srmSegmentOf[i]
                    if s >= 0 && s < Int64(srmRowOfID.count) {
                        var k = Int(srmRowOfID[Int(s)])
                        if k < 0 {
                            k = srmIDs.count
                            srmRowOfID[Int(s)] = Int32(k)
                            srmIDs.append(s)
                            srmCounts += [Int](repeating: 0, count: nVariants)
                        }
                        srmCounts[k * nVariants + Int(asVariant[i])] += 1
                    } else {
                        if out.srmSegments[s] == nil { out.srmSegments[s] = [Int](repeating: 0, count: nVariants) }
                        out.srmSegments[s]![Int(asVariant[i])] += 1
                    }
                }
                if asUser[i] >= unitLow && asUser[i] < unitHigh {
                    out.assignedUnit.append(asUser[i] - unitLow)
                    out.assignedVariant.append(asVariant[i])
                }
            }
            for (k, id) in srmIDs.enumerated() { out.srmSegments[id] = Array(srmCounts[(k * nVariants)..<((k + 1) * nVariants)]) }
            // Outcomes per request: clicks, conversions, revenue (in file order).
            let ocReq = try load.int32("outcomes", "request_id", bound: requests)
            let ocEvent = try load.int32("outcomes", "event_type", bound: max(events.count, 1))
            let ocValue = try load.double("outcomes", "value")
            let ocValuePresent = try load.bool("outcomes", "value_present")
            let ocUs = full ? try load.int64("outcomes", "ts_us") : []
            let ocNs = full ? try load.int64("outcomes", "ts_ns") : []
            let ocOff = full ? try load.int64("outcomes", "ts_offset_min") : []
            var clicks = [Int32](repeating: 0, count: requests)
            var conversions = [Int32](repeating: 0, count: requests)
            var outcomes = [Int32](repeating: 0, count: requests)
            var revenue = [Double](repeating: 0, count: requests)
            for i in 0..<ocReq.count {
                let r = Int(ocReq[i])
                outcomes[r] += 1
                let e = Int(ocEvent[i])
                if isClick[e] { clicks[r] += 1 }
                if isConversion[e] {
                    conversions[r] += 1
                    if ocValuePresent[i] != 0 { revenue[r] += ocValue[i] }
                }
                if full {
                    out.widen(
                        Timestamp(micros: ocUs[i], nanos: Int32(ocNs[i]), offsetMinutes: Int32(ocOff[i])), zeroIsMissing: zeroIsMissing)
                }
            }
            // Exposures.
            let exReq = try load.int32("exposures", "request_id", bound: requests)
            let exUser = try load.int32("exposures", "user_id", bound: users.count)
            // A units-only part reads the time only to place rows in the pre-period.
            let readTime = full || pre != nil
            let exUs = readTime ? try load.int64("exposures", "ts_us") : []
            let exNs = readTime ? try load.int64("exposures", "ts_ns") : []
            let exOff = full ? try load.int64("exposures", "ts_offset_min") : []
            let nItems = try load.counts("exposures", "item_count")
            let latency = full ? try load.double("exposures", "latency_ms") : []
            let latencyPresent = full ? try load.bool("exposures", "latency_ms_present") : []
            let error = try load.bool("exposures", "error")
            let errorPresent = try load.bool("exposures", "error_present")
            var segmentOf: [Int64] = []
            if !sliceCodes.isEmpty {
                segmentOf = try SegmentKeys.ids(
                    &load, table: "exposures", rows: exReq.count, keys: sliceCodes, keyCount: ctxKeys.count, valueCount: ctxValues.count)
            }
            let requestIDs = options.requestUnits ? try reader.requestDictionary(partition: p) : ByteStrings(offsets: [0], data: [])
            var covariateOf: [Double] = []
            if let covariateCode {
                covariateOf = [Double](repeating: .nan, count: exReq.count)
                let nPairs = try load.counts("exposures", "context_count")
                let key = try load.int32("exposures", "context_key", bound: ctxKeys.count)
                let value = try load.int32("exposures", "context_value", bound: ctxValues.count)
                var pair = 0
                for row in 0..<exReq.count {
                    for q in pair..<(pair + Int(nPairs[row])) where key[q] == covariateCode {
                        covariateOf[row] = valueAsNumber[Int(value[q])]
                    }
                    pair += Int(nPairs[row])
                }
            }
            var slotOf: [Int64: Int] = [:]
            // Segment ids below 2^16 (two slice keys over a few hundred context values) find
            // their slot in an array, not a hashed dictionary (a hash per row when segments
            // alternate).
            var denseSlot = [Int32](repeating: -1, count: sliceCodes.isEmpty ? 0 : 1 << 16)
            var lastSeg: Int64 = -1
            var lastSlot = -1
            for row in 0..<exReq.count {
                if full {
                    out.widen(
                        Timestamp(micros: exUs[row], nanos: Int32(exNs[row]), offsetMinutes: Int32(exOff[row])),
                        zeroIsMissing: zeroIsMissing)
                }
                let r = Int(exReq[row])
                guard join.firstExposure[r] == Int32(row) else { continue }  // duplicates are not cases
                let inPre = pre?.contains(micros: exUs[row], nanos: exNs[row]) ?? false
                if inPre && exUser[row] >= unitLow && exUser[row] < unitHigh {
                    out.preUnit.append(exUser[row] - unitLow)
                    out.preClicks.append(clicks[r])
                    out.preConversions.append(conversions[r])
                    out.preRevenue.append(revenue[r])
                }
                let v = join.variantOfRequest[r]
                guard v >= 0 else { continue }
                let seg = segmentOf.isEmpty ? 0 : segmentOf[row]
                if seg != lastSeg {
                    if seg >= 0 && seg < denseSlot.count && denseSlot[Int(seg)] >= 0 {
                        lastSlot = Int(denseSlot[Int(seg)])
                    } else if let s = slotOf[seg] {
                        lastSlot = s
                    } else {
                        lastSlot = out.groups.count
                        if seg >= 0 && seg < denseSlot.count { denseSlot[Int(seg)] = Int32(lastSlot) } else { slotOf[seg] = lastSlot }
                        out.groups.append([Group](repeating: Group(), count: nVariants))
                        out.segmentOrder.append(seg)
                    }
                    lastSeg = seg
                }
                let x = covariateOf.isEmpty ? Double.nan : covariateOf[row]
                let isError = errorPresent[row] != 0 && error[row] != 0
                let isEmpty = nItems[row] == 0
                if full {
                    let nanos = exUs[row] &* 1000 &+ exNs[row]
                    // Go's zero time is recsys-eval's "no timestamp" (runtime contract): not in throughput.
                    let timed = !(zeroIsMissing && Timestamp.isGoZero(micros: exUs[row], nanos: exNs[row]))
                    func add(_ g: inout Group) {
                        g.exposures += 1
                        g.clicks += Int(clicks[r])
                        g.conversions += Int(conversions[r])
                        g.revenue.add(revenue[r])
                        if timed {
                            g.firstNanos = min(g.firstNanos, nanos)
                            g.lastNanos = max(g.lastNanos, nanos)
                        }
                        if isError { g.errors += 1 }
                        if isEmpty { g.empties += 1 }
                        if outcomes[r] > 0 { g.joined += 1 }
                        if !x.isNaN {
                            g.covariateExposures += 1
                            g.covariateSum.add(x)
                            if clicks[r] > 0 { g.clickedWithCovariate += 1 }
                            if conversions[r] > 0 { g.convertedWithCovariate += 1 }
                        }
                    }
                    add(&out.groups[lastSlot][Int(v)])
                    if !x.isNaN {
                        out.moments.squares.add(x * x)
                        if clicks[r] > 0 { out.moments.timesClicked.add(x) }
                        if conversions[r] > 0 { out.moments.timesConverted.add(x) }
                    }
                    if latencyPresent[row] != 0 { out.latencies[Int(v)].add(latency[row]) }
                }
                if inPre { continue }
                let unit = unitOfRequest[r]
                if !options.requestUnits && (unit < unitLow || unit >= unitHigh) { continue }
                out.unit.append(unit - unitLow)
                if options.requestUnits {
                    out.requestKey.append(
                        requestIDs.data.withUnsafeBytes { raw in
                            XXH64.hash(UnsafeRawBufferPointer(rebasing: raw[Int(requestIDs.offsets[r])..<Int(requestIDs.offsets[r + 1])]))
                        })
                }
                out.variant.append(v)
                out.segment.append(seg)
                out.clicks.append(clicks[r])
                out.conversions.append(conversions[r])
                out.revenue.append(revenue[r])
                out.covariate.append(x)
                out.error.append(isError)
                out.empty.append(isEmpty)
                out.joined.append(outcomes[r] > 0)
            }
            out.bytes = load.bytesTouched + join.bytesTouched
            return out
        }
    }
}

extension ExperimentScan.Partial {
    /// Widens the window to `t`, unless `t` is Go's zero time and that means "no timestamp"
    /// (`EmptyStrings.zeroTimeIsMissing`).
    mutating func widen(_ t: Timestamp, zeroIsMissing: Bool) {
        if zeroIsMissing && t.isGoZero { return }
        if first.map({ Timestamp.windowLess(t, $0) }) ?? true { first = t }
        if last.map({ Timestamp.windowLess($0, t) }) ?? true { last = t }
    }
}

extension Timestamp {
    /// Whether `a` is an earlier instant than `b` (offsets do not matter).
    static func instantLess(_ a: Timestamp, _ b: Timestamp) -> Bool {
        a.micros < b.micros || (a.micros == b.micros && a.nanos < b.nanos)
    }

    /// The order the dataset window's ends are chosen by: the instant, then the offset (so of
    /// two rows at one instant written with different offsets, the same one ends the window
    /// whatever order partitions, shards or states arrive in).
    static func windowLess(_ a: Timestamp, _ b: Timestamp) -> Bool {
        instantLess(a, b) || (!instantLess(b, a) && a.offsetMinutes < b.offsetMinutes)
    }
}

extension String {
    var trimmingASCIISpaces: Substring {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return s
    }
}
