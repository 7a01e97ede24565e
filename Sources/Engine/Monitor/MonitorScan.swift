import ColumnarFormat
import ColumnarStorage

/// The monitor's pass (docs/monitor.md): every request (the first exposure of an id, as in the
/// join) falls in one tumbling UTC window by its exposure's `ts`, and is counted into cells:
/// the window as a whole, the window and its `group_by` values, and the window and its fairness
/// cohort. A cell holds integer counts, the latencies as counts of distinct values (exact
/// percentiles) and a HyperLogLog of the items shown (coverage). Per window, drift counts: the
/// shown items in 1,024 bins by a hash of the item id, and the requests per value of each drift
/// context key.
///
/// Every count is an integer and the sketches combine by maximum, so partitions, shards and
/// separately ingested datasets merge into the same state in any grouping or order.
public enum MonitorScan {
    public struct Options: Sendable {
        /// Where exploration is read from: a context key whose value is true (`true`, `1`, `yes`,
        /// in any case) marks the request; an item field that is true marks the shown item.
        public enum Exploration: Sendable, Equatable {
            case none
            case contextKey(String)
            case itemField(String)
        }

        /// The window length in seconds (tumbling, aligned to `origin`).
        public var windowSeconds: Int64 = 86_400
        /// Context keys whose values make the groups.
        public var groupBy: [String] = []
        /// The context key whose values are the fairness cohorts.
        public var fairnessKey: String?
        /// Context keys whose value distribution is compared with the reference.
        public var driftKeys: [String] = []
        /// Whether the item exposure distribution is compared with the reference.
        public var driftItems = false
        /// The drift reference as a time range; nil: the first window.
        public var reference: TimeWindow?
        /// Only requests in this time range (inclusive) are monitored; nil: all.
        public var range: TimeWindow?
        public var exploration = Exploration.none

        public init() {}

        /// Windows start at Monday 1970-01-05 00:00 UTC plus a multiple of their length: whole
        /// days start at midnight UTC and weeks on Mondays.
        public static let originSeconds: Int64 = 4 * 86_400
        /// Bins of the item exposure distribution.
        public static let driftBins = 1024

        var driftEnabled: Bool { driftItems || !driftKeys.isEmpty }
    }

    /// Which cells a request is counted in.
    public enum Scope: UInt8, Sendable, CaseIterable, Comparable {
        /// The window as a whole.
        case all = 0
        /// The window and the request's `group_by` values.
        case group = 1
        /// The window and the request's fairness cohort.
        case cohort = 2

        public static func < (a: Scope, b: Scope) -> Bool { a.rawValue < b.rawValue }
    }

    /// The drift bin of an item hash (bits apart from those HyperLogLog's registers read).
    @inline(__always)
    static func bin(_ hash: UInt64) -> Int { Int(truncatingIfNeeded: (hash >> 20) & UInt64(Options.driftBins - 1)) }

    /// The window start (Unix microseconds) of an instant.
    @inline(__always)
    static func windowStart(micros: Int64, windowMicros: Int64) -> Int64 {
        let origin = Options.originSeconds * 1_000_000
        let offset = micros &- origin
        var w = offset / windowMicros
        if offset % windowMicros < 0 { w -= 1 }
        return origin &+ w &* windowMicros
    }

    /// The pass over the partitions `reader` scans, as a state keyed by ids.
    public static func state(reader: DatasetReader, options o: Options, threads: Int) throws -> MonitorState {
        precondition(o.windowSeconds > 0, "windows have a positive length")
        let pass = try Pass(reader: reader, options: o)
        let counts = try pass.fold(threads: threads)
        return pass.state(counts)
    }

    struct CellKey: Hashable {
        var window: Int64
        var scope: Scope
        var segment: Int64
    }

    /// Drift counts with dataset codes.
    struct CodeDrift {
        var bins: [Int]
        /// Per drift key: requests per packed value id.
        var values: [[Int64: Int]]
        var requests = 0

        init(options o: Options) {
            bins = o.driftItems ? [Int](repeating: 0, count: Options.driftBins) : []
            values = [[Int64: Int]](repeating: [:], count: o.driftKeys.count)
        }

        mutating func merge(_ other: CodeDrift) {
            for i in other.bins.indices { bins[i] += other.bins[i] }
            for k in other.values.indices { values[k].merge(other.values[k], uniquingKeysWith: +) }
            requests += other.requests
        }
    }

    /// A partition's (and the pass's) counts, keyed by dataset codes.
    struct Counts {
        var cells: [CellKey: MonitorCell] = [:]
        var drift: [Int64: CodeDrift] = [:]
        var reference: CodeDrift
        var untimed = 0
        var counts = JoinCounts()
    }

    struct Pass: PartitionScan {
        let reader: DatasetReader
        let o: Options
        let codes: DatasetCodes
        let groupCodes: [Int32]
        let cohortCode: [Int32]
        let driftCodes: [[Int32]]
        let exploreKey: Int32?
        /// Per context value code: whether it reads as true.
        let truthy: [Bool]
        let exploreField: [UInt8]?
        /// Per item code: XXH64 of the item id (8 bytes per catalog item).
        let itemHash: [UInt64]

        init(reader: DatasetReader, options o: Options) throws {
            self.reader = reader
            self.o = o
            let codes = try DatasetCodes(reader: reader)
            self.codes = codes
            groupCodes = codes.keyCodes(o.groupBy)
            cohortCode = o.fairnessKey.map { codes.keyCodes([$0]) } ?? []
            driftCodes = o.driftKeys.map { codes.keyCodes([$0]) }
            if case .contextKey(let k) = o.exploration {
                exploreKey = codes.ctxKeys.code(of: k) ?? -1
            } else {
                exploreKey = nil
            }
            let values = codes.ctxValues
            truthy = (0..<values.count).map { MonitorScan.isTrue(Array(values.string(Int32($0)).utf8)[...]) }
            if case .itemField(let f) = o.exploration { exploreField = Array(f.utf8) } else { exploreField = nil }
            let ids = try reader.dictionary("item_id")
            itemHash = ids.data.withUnsafeBytes { raw in
                (0..<ids.count).map { i in
                    XXH64.hash(UnsafeRawBufferPointer(rebasing: raw[Int(ids.offsets[i])..<Int(ids.offsets[i + 1])]))
                }
            }
        }

        func start() -> Counts { Counts(reference: CodeDrift(options: o)) }

        func combine(_ part: Counts, into state: inout Counts) {
            for (k, c) in part.cells {
                if state.cells[k] == nil {
                    state.cells[k] = c
                } else {
                    state.cells[k]!.merge(c)
                }
            }
            for (w, d) in part.drift {
                if state.drift[w] == nil { state.drift[w] = d } else { state.drift[w]!.merge(d) }
            }
            state.reference.merge(part.reference)
            state.untimed += part.untimed
            state.counts = state.counts + part.counts
        }

        func scan(partition p: Int) throws -> Counts {
            let o = self.o
            let codes = self.codes
            let itemHash = self.itemHash
            let truthy = self.truthy
            let exploreKey = self.exploreKey
            let exploreField = self.exploreField
            let isClick = codes.isClick
            let isConversion = codes.isConversion
            let zeroIsMissing = codes.empty.zeroTimeIsMissing
            let windowMicros = o.windowSeconds * 1_000_000
            let requests = Int(reader.footer.partitions[p].requestDictionary.count)
            let join = try PartitionJoin(
                reader: reader, partition: p, variantCount: codes.variants, itemCount: codes.items, empty: codes.empty)
            var load = ColumnLoader(reader: reader, partition: p)
            let ocReq = try load.int32("outcomes", "request_id", bound: requests)
            let ocEvent = try load.int32("outcomes", "event_type", bound: max(codes.events.count, 1))
            guard ocEvent.count == ocReq.count else {
                throw StorageError.corrupt(path: reader.path, reason: "partition \(p): outcome column lengths differ")
            }
            // Per request: 1 clicked, 2 converted.
            var outcome = [UInt8](repeating: 0, count: requests)
            for i in 0..<ocReq.count {
                let e = Int(ocEvent[i])
                if isClick[e] { outcome[Int(ocReq[i])] |= 1 }
                if isConversion[e] { outcome[Int(ocReq[i])] |= 2 }
            }
            let exReq = try load.int32("exposures", "request_id", bound: requests)
            let exUs = try load.int64("exposures", "ts_us")
            let exNs = try load.int64("exposures", "ts_ns")
            let nItems = try load.counts("exposures", "item_count")
            let item = try load.int32("exposures", "item_id", bound: max(codes.items, 1))
            let latency = try load.double("exposures", "latency_ms")
            let latencyPresent = try load.bool("exposures", "latency_ms_present")
            let error = try load.bool("exposures", "error")
            let errorPresent = try load.bool("exposures", "error_present")
            let rows = exReq.count
            let nPairs = try load.counts("exposures", "context_count")
            let pairKey = try load.int32("exposures", "context_key", bound: max(codes.ctxKeys.count, 1))
            let pairValue = try load.int32("exposures", "context_value", bound: max(codes.ctxValues.count, 1))
            guard exUs.count == rows, exNs.count == rows, nItems.count == rows, latency.count == rows, error.count == rows,
                nPairs.count == rows, pairKey.count == pairValue.count
            else {
                throw StorageError.corrupt(path: reader.path, reason: "partition \(p): exposure column lengths differ")
            }
            func ids(_ keys: [Int32]) throws -> [Int64] {
                keys.isEmpty
                    ? []
                    : try SegmentKeys.ids(
                        counts: nPairs, keys: pairKey, values: pairValue, rows: rows, of: keys, valueCount: codes.ctxValues.count,
                        path: reader.path, partition: p, table: "exposures")
            }
            let groupOf = try ids(groupCodes)
            let cohortOf = try ids(cohortCode)
            let driftOf = try driftCodes.map { try ids($0) }
            var extra = ByteStrings(offsets: [0], data: [])
            var extraPresent: [UInt8] = []
            if exploreField != nil {
                extra = try load.extra("exposures")
                extraPresent = try load.bool("exposures", "extra_present")
                guard extra.count == item.count, extraPresent.count == item.count else {
                    throw StorageError.corrupt(path: reader.path, reason: "partition \(p): item column lengths differ")
                }
            }
            guard item.count == nItems.reduce(0, { $0 + Int($1) }) else {
                throw StorageError.corrupt(path: reader.path, reason: "partition \(p): item counts do not match the items")
            }

            var out = Counts(reference: CodeDrift(options: o))
            out.counts = join.counts
            var hashes: [UInt64] = []
            var itemStart = 0
            var pairStart = 0
            var lastWindow = Int64.min
            for row in 0..<rows {
                let range = itemStart..<(itemStart + Int(nItems[row]))
                let pairs = pairStart..<(pairStart + Int(nPairs[row]))
                itemStart = range.upperBound
                pairStart = pairs.upperBound
                let r = Int(exReq[row])
                guard join.firstExposure[r] == Int32(row) else { continue }
                if zeroIsMissing && Timestamp.isGoZero(micros: exUs[row], nanos: exNs[row]) {
                    out.untimed += 1
                    continue
                }
                if let range = o.range, !range.contains(micros: exUs[row], nanos: exNs[row]) { continue }
                let window = MonitorScan.windowStart(micros: exUs[row], windowMicros: windowMicros)
                hashes.removeAll(keepingCapacity: true)
                var exploredItems = 0
                for j in range {
                    hashes.append(itemHash[Int(item[j])])
                    if let exploreField, extraPresent[j] != 0,
                        let v = ItemFields.value(exploreField, in: extra[j]), MonitorScan.isTrue(v, json: true)
                    {
                        exploredItems += 1
                    }
                }
                var explored = false
                if let exploreKey, exploreKey >= 0 {
                    for q in pairs where pairKey[q] == exploreKey { explored = truthy[Int(pairValue[q])] }
                }
                let request = MonitorCell.Request(
                    error: errorPresent[row] != 0 && error[row] != 0, empty: range.isEmpty, clicked: outcome[r] & 1 != 0,
                    converted: outcome[r] & 2 != 0, explored: explored, shownItems: range.count, exploredItems: exploredItems,
                    latency: latencyPresent[row] != 0 ? latency[row] : nil)
                out.cells[CellKey(window: window, scope: .all, segment: 0), default: MonitorCell(sketch: true)].add(request, items: hashes)
                if !groupOf.isEmpty {
                    out.cells[CellKey(window: window, scope: .group, segment: groupOf[row]), default: MonitorCell(sketch: true)].add(
                        request, items: hashes)
                }
                if !cohortOf.isEmpty {
                    // Cohorts compare shares: their cells keep no latencies and no sketch.
                    var shares = request
                    shares.latency = nil
                    out.cells[CellKey(window: window, scope: .cohort, segment: cohortOf[row]), default: MonitorCell(sketch: false)].add(
                        shares, items: [])
                }
                if o.driftEnabled {
                    if window != lastWindow, out.drift[window] == nil { out.drift[window] = CodeDrift(options: o) }
                    lastWindow = window
                    out.drift[window]!.add(row: row, hashes: hashes, driftOf: driftOf, items: o.driftItems)
                    if let ref = o.reference, ref.contains(micros: exUs[row], nanos: exNs[row]) {
                        out.reference.add(row: row, hashes: hashes, driftOf: driftOf, items: o.driftItems)
                    }
                }
            }
            return out
        }

        /// The pass's counts keyed by ids.
        func state(_ c: Counts) -> MonitorState {
            let values = codes.ctxValues
            var cells: [MonitorState.Key: MonitorCell] = [:]
            for (k, cell) in c.cells {
                let n =
                    switch k.scope {
                    case .all: 0
                    case .group: o.groupBy.count
                    case .cohort: 1
                    }
                cells[MonitorState.Key(window: k.window, scope: k.scope, values: SegmentKeys.values(k.segment, count: n, values: values))] =
                    cell
            }
            func drift(_ d: CodeDrift) -> MonitorState.Drift {
                MonitorState.Drift(
                    bins: d.bins, requests: d.requests,
                    values: d.values.map { m in
                        var out: [String?: Int] = [:]
                        for (id, n) in m { out[SegmentKeys.values(id, count: 1, values: values)[0]] = n }
                        return out
                    })
            }
            return MonitorState(
                windowSeconds: o.windowSeconds, cells: cells, drift: c.drift.mapValues(drift),
                reference: o.reference == nil ? nil : drift(c.reference), untimed: c.untimed, counts: c.counts)
        }
    }

    /// Whether a context value or an item field reads as true: `true`, `1` or `yes` in any case
    /// (an item field's JSON `true`, or a string or number spelling one of these).
    static func isTrue(_ v: ArraySlice<UInt8>, json: Bool = false) -> Bool {
        var s = v
        if json, s.count >= 2, s.first == UInt8(ascii: "\""), s.last == UInt8(ascii: "\"") { s = s.dropFirst().dropLast() }
        let lower = s.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        return lower.elementsEqual("true".utf8) || lower.elementsEqual("1".utf8) || lower.elementsEqual("yes".utf8)
    }
}

extension MonitorScan.CodeDrift {
    @inline(__always)
    mutating func add(row: Int, hashes: [UInt64], driftOf: [[Int64]], items: Bool) {
        requests += 1
        if items { for h in hashes { bins[MonitorScan.bin(h)] += 1 } }
        for k in driftOf.indices { values[k][driftOf[k][row], default: 0] += 1 }
    }
}
