import ColumnarFormat

/// The monitor's state keyed by ids: cells by (window start, scope, context values), drift counts
/// per window (and for a reference range), the requests without a time, and join counts. It grows
/// with windows × (groups + cohorts), never with requests or items: per cell about 100 bytes, 16
/// per distinct latency value and a 4 KiB sketch; per window with drift, 8 KiB of item bins and
/// 16 bytes per value of each drift key.
public struct MonitorState: Sendable {
    public typealias Segment = [String?]

    public struct Key: Hashable, Sendable {
        /// The window's start, Unix microseconds.
        public var window: Int64
        public var scope: MonitorScan.Scope
        /// The `group_by` values (scope `group`), the cohort value (`cohort`), or none (`all`).
        public var values: Segment

        /// Windows in time order, then scopes, then values (an absent value first, then bytes).
        static func precedes(_ a: Key, _ b: Key) -> Bool {
            if a.window != b.window { return a.window < b.window }
            if a.scope != b.scope { return a.scope < b.scope }
            return ExperimentState.valuesPrecede(a.values, b.values)
        }
    }

    /// Drift counts: shown items per hash bin, and requests per value of each drift key (nil: the
    /// request's context lacks the key).
    public struct Drift: Sendable, Equatable {
        public var bins: [Int]
        public var requests: Int
        public var values: [[String?: Int]]

        var shape: (bins: Int, keys: Int) { (bins.count, values.count) }

        mutating func merge(_ o: Drift) {
            for i in o.bins.indices { bins[i] += o.bins[i] }
            requests += o.requests
            for k in o.values.indices { values[k].merge(o.values[k], uniquingKeysWith: +) }
        }
    }

    public var windowSeconds: Int64
    public var cells: [Key: MonitorCell]
    public var drift: [Int64: Drift]
    /// The reference range's drift counts (nil: the reference is the first window).
    public var reference: Drift?
    /// Requests left out of every window: no time (Go's zero time under the runtime contract).
    public var untimed: Int
    public var counts: JoinCounts

    /// Exposure rows the state counted.
    public var exposureRows: Int { counts.exposureRows }

    /// The cells in report order: by window, scope, then values.
    public var sortedCells: [(key: Key, cell: MonitorCell)] {
        cells.map { (key: $0.key, cell: $0.value) }.sorted { Key.precedes($0.key, $1.key) }
    }

    /// The order of a context key's values in reports: an absent value first, then bytes.
    public static func valuePrecedes(_ a: String?, _ b: String?) -> Bool { ExperimentState.valuesPrecede([a], [b]) }

    /// `a` and `b` combined.
    public static func merged(_ a: MonitorState, _ b: MonitorState) throws(ExperimentState.Mismatch) -> MonitorState {
        guard a.windowSeconds == b.windowSeconds, (a.reference == nil) == (b.reference == nil) else {
            throw ExperimentState.Mismatch(description: "the states have other windows or drift references")
        }
        // Drift counts of one config have one shape; a crafted state with another is refused here,
        // before the counts are added bin by bin.
        let shapes =
            (a.drift.values.map { $0.shape } + b.drift.values.map { $0.shape } + [a.reference, b.reference].compactMap { $0?.shape })
        guard Set(shapes.map { "\($0.bins)/\($0.keys)" }).count <= 1 else {
            throw ExperimentState.Mismatch(description: "the states' drift counts have other bins or keys")
        }
        var out = a
        for (k, c) in b.cells {
            if out.cells[k] == nil { out.cells[k] = c } else { out.cells[k]!.merge(c) }
        }
        for (w, d) in b.drift {
            if out.drift[w] == nil { out.drift[w] = d } else { out.drift[w]!.merge(d) }
        }
        if let r = b.reference { out.reference!.merge(r) }
        out.untimed += b.untimed
        out.counts = a.counts + b.counts
        return out
    }

    /// Checks that the state was computed with `options` (window, groups, cohorts, drift).
    public func check(_ o: MonitorScan.Options) throws(ExperimentState.Mismatch) {
        func fail(_ what: String) -> ExperimentState.Mismatch {
            ExperimentState.Mismatch(description: "the state's \(what) differ from the config's")
        }
        guard windowSeconds == o.windowSeconds else { throw fail("windows") }
        for k in cells.keys {
            let n =
                switch k.scope {
                case .all: 0
                case .group: o.groupBy.count
                case .cohort: o.fairnessKey == nil ? -1 : 1
                }
            guard k.values.count == n, k.scope != .group || !o.groupBy.isEmpty else { throw fail("groups or cohorts") }
        }
        guard (reference == nil) == (o.reference == nil) else { throw fail("drift references") }
        for d in drift.values + (reference.map { [$0] } ?? []) {
            guard d.bins.count == (o.driftItems ? MonitorScan.Options.driftBins : 0), d.values.count == o.driftKeys.count else {
                throw fail("drift keys")
            }
        }
        guard drift.isEmpty || o.driftEnabled else { throw fail("drift keys") }
    }
}

extension MonitorState {
    public func encode(to e: inout StateEncoder) {
        e.int(Int(windowSeconds))
        let sorted = sortedCells
        e.count(sorted.count)
        for (k, c) in sorted {
            e.int(Int(k.window))
            e.u8(k.scope.rawValue)
            e.count(k.values.count)
            for v in k.values { e.optionalString(v) }
            e.ints(c.tallies)
            e.valueCounts(c.latency)
            e.bool(c.latencyRounded)
            e.bool(c.items != nil)
            if let s = c.items { e.bytes(s.registers) }
        }
        let windows = drift.keys.sorted()
        e.count(windows.count)
        for w in windows {
            e.int(Int(w))
            MonitorState.encode(drift[w]!, to: &e)
        }
        e.bool(reference != nil)
        if let r = reference { MonitorState.encode(r, to: &e) }
        e.int(untimed)
        counts.encode(to: &e)
    }

    static func encode(_ d: Drift, to e: inout StateEncoder) {
        e.ints(d.bins)
        e.int(d.requests)
        e.count(d.values.count)
        for m in d.values {
            let keys = m.keys.sorted { ExperimentState.valuesPrecede([$0], [$1]) }
            e.count(keys.count)
            for k in keys {
                e.optionalString(k)
                e.int(m[k]!)
            }
        }
    }

    static func drift(from d: inout StateDecoder) throws(StateError) -> Drift {
        let bins = try d.tallies()
        guard bins.isEmpty || bins.count == MonitorScan.Options.driftBins else { throw d.invalid("drift holds \(bins.count) bins") }
        let requests = try d.tally()
        let keys = try d.count(elementSize: 8)
        var values: [[String?: Int]] = []
        for _ in 0..<keys {
            let n = try d.count(elementSize: 9)
            var m: [String?: Int] = [:]
            var previous: String?? = nil
            for _ in 0..<n {
                let v = try d.optionalString()
                if let p = previous, !ExperimentState.valuesPrecede([p], [v]) { throw d.invalid("drift values are not in ascending order") }
                previous = .some(v)
                m[v] = try d.tally()
            }
            guard StateDecoder.totalWithinLimit(Array(m.values)), m.values.reduce(0, +) <= requests else {
                throw d.invalid("drift values count more requests than the window")
            }
            values.append(m)
        }
        return Drift(bins: bins, requests: requests, values: values)
    }

    public init(from d: inout StateDecoder) throws(StateError) {
        windowSeconds = Int64(try d.int())
        guard windowSeconds > 0, windowSeconds <= 10 * 366 * 86_400 else { throw d.invalid("the window length is \(windowSeconds) s") }
        let windowMicros = windowSeconds * 1_000_000
        // Windows start on the grid of their length, around the instants a timestamp can hold.
        let origin = MonitorScan.Options.originSeconds * 1_000_000
        let lowest = Timestamp.goZero.micros - windowMicros
        let highest = Timestamp.latestMicros
        func onGrid(_ w: Int64) -> Bool { w >= lowest && w <= highest && (w - origin) % windowMicros == 0 }
        let n = try d.count(elementSize: 16)
        cells = [:]
        var previous: Key? = nil
        for _ in 0..<n {
            let window = Int64(try d.int())
            guard onGrid(window) else { throw d.invalid("a cell's window \(window) is not a window start") }
            guard let scope = MonitorScan.Scope(rawValue: try d.u8()) else { throw d.invalid("a cell's scope is unknown") }
            let parts = try d.count(elementSize: 1)
            var values: Segment = []
            for _ in 0..<parts { values.append(try d.optionalString()) }
            let key = Key(window: window, scope: scope, values: values)
            if let p = previous, !Key.precedes(p, key) { throw d.invalid("cells are not in ascending order") }
            previous = key
            let tallies = try d.tallies()
            let latency = try d.valueCounts()
            guard latency.sorted().values.allSatisfy(\.isFinite) else { throw d.invalid("a latency is not finite") }
            let rounded = try d.bool()
            var sketch: HyperLogLog? = nil
            if try d.bool() {
                guard let s = HyperLogLog(registers: try d.rawBytes()) else { throw d.invalid("a distinct-item sketch is malformed") }
                sketch = s
            }
            guard let cell = MonitorCell(tallies: tallies, latency: latency, rounded: rounded, items: sketch) else {
                throw d.invalid("a cell's counts are inconsistent")
            }
            cells[key] = cell
        }
        let windows = try d.count(elementSize: 16)
        drift = [:]
        var last = Int64.min
        for i in 0..<windows {
            let w = Int64(try d.int())
            guard i == 0 || w > last else { throw d.invalid("drift windows are not in ascending order") }
            guard onGrid(w) else { throw d.invalid("a drift window \(w) is not a window start") }
            last = w
            drift[w] = try MonitorState.drift(from: &d)
        }
        reference = try d.bool() ? try MonitorState.drift(from: &d) : nil
        untimed = try d.tally()
        counts = try JoinCounts(from: &d)
    }
}
