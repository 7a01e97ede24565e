/// The monitor's counts for one cell (a window, or a window and a group or cohort): what its SLIs
/// are computed from. About 100 bytes, plus 16 bytes per distinct latency value and, in window
/// and group cells, a 4 KiB HyperLogLog of the items shown.
public struct MonitorCell: Sendable, Equatable {
    /// Requests: unique request ids, each counted at its first exposure.
    public var requests = 0
    /// Requests whose exposure says `error: true`.
    public var errors = 0
    /// Requests that showed no item.
    public var empties = 0
    /// Requests with at least one click; with at least one conversion.
    public var clicked = 0
    public var converted = 0
    /// Requests whose exploration context key reads true.
    public var explored = 0
    /// Items shown, and those whose exploration item field reads true.
    public var shownItems = 0
    public var exploredItems = 0
    /// Latencies of the requests that log one, as counts of distinct values.
    public var latency = ValueCounts()
    /// The distinct items shown (nil in cohort cells, which do not report coverage).
    public var items: HyperLogLog?

    public init(sketch: Bool) { items = sketch ? HyperLogLog() : nil }

    /// One request, as the scan reads it.
    struct Request {
        var error: Bool
        var empty: Bool
        var clicked: Bool
        var converted: Bool
        var explored: Bool
        var shownItems: Int
        var exploredItems: Int
        var latency: Double?
    }

    @inline(__always)
    mutating func add(_ r: Request, items hashes: [UInt64]) {
        requests += 1
        if r.error { errors += 1 }
        if r.empty { empties += 1 }
        if r.clicked { clicked += 1 }
        if r.converted { converted += 1 }
        if r.explored { explored += 1 }
        shownItems += r.shownItems
        exploredItems += r.exploredItems
        if let l = r.latency, !l.isNaN { latency.add(l) }
        if items != nil { for h in hashes { items!.add(hash: h) } }
    }

    public mutating func merge(_ o: MonitorCell) {
        requests += o.requests
        errors += o.errors
        empties += o.empties
        clicked += o.clicked
        converted += o.converted
        explored += o.explored
        shownItems += o.shownItems
        exploredItems += o.exploredItems
        latency.merge(o.latency)
        if let other = o.items {
            if items == nil { items = other } else { items!.merge(other) }
        }
    }

    /// The integer counts in a fixed order (the state file's).
    var tallies: [Int] { [requests, errors, empties, clicked, converted, explored, shownItems, exploredItems] }

    init?(tallies t: [Int], latency: ValueCounts, items: HyperLogLog?) {
        guard t.count == 8, t.allSatisfy({ $0 >= 0 }) else { return nil }
        (requests, errors, empties, clicked, converted) = (t[0], t[1], t[2], t[3], t[4])
        (explored, shownItems, exploredItems) = (t[5], t[6], t[7])
        guard errors <= requests, empties <= requests, clicked <= requests, converted <= requests, explored <= requests,
            exploredItems <= shownItems, latency.count <= requests
        else { return nil }
        self.latency = latency
        self.items = items
    }
}
