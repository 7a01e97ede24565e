#if canImport(Glibc)
    import Glibc
#endif

/// The monitor's counts for one cell (a window, or a window and a group or cohort): what its SLIs
/// are computed from. About 100 bytes, plus 16 bytes per distinct latency value and, in window
/// and group cells, a 4 KiB HyperLogLog of the items shown (cohort cells keep only the counts).
///
/// Latencies are kept exactly while a cell holds at most `exactLatencies` distinct values (logs
/// write them with a few decimals, so a cell rarely holds more); beyond that every latency of the
/// cell is rounded to 3 significant digits (relative error at most 0.5%), which bounds a cell to a
/// few thousand values whatever the logs' precision. Whether a cell is rounded depends only on its
/// distinct values over all the data, so any grouping of partitions and states gives the same cell.
public struct MonitorCell: Sendable, Equatable {
    /// Distinct latency values a cell keeps exactly.
    public static let exactLatencies = 4096
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
    /// Whether the latencies are rounded to 3 significant digits (more than `exactLatencies`
    /// distinct values).
    public var latencyRounded = false
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
        if let l = r.latency, l.isFinite {
            latency.add(latencyRounded ? MonitorCell.round3(l) : l)
            if !latencyRounded && latency.distinctValues > MonitorCell.exactLatencies { roundLatencies() }
        }
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
        if latencyRounded || o.latencyRounded {
            roundLatencies()
            latency.merge(o.latencyRounded ? o.latency : o.latency.mapped(MonitorCell.round3))
        } else {
            latency.merge(o.latency)
            if latency.distinctValues > MonitorCell.exactLatencies { roundLatencies() }
        }
        if let other = o.items {
            if items == nil { items = other } else { items!.merge(other) }
        }
    }

    mutating func roundLatencies() {
        if !latencyRounded { latency = latency.mapped(MonitorCell.round3) }
        latencyRounded = true
    }

    /// `x` to 3 significant digits (idempotent: a rounded value rounds to itself).
    public static func round3(_ x: Double) -> Double {
        guard x != 0, x.isFinite else { return x }
        let scale = pow(10, 2 - floor(log10(abs(x))))
        guard scale.isFinite, scale > 0 else { return x }
        let r = (x * scale).rounded() / scale
        return r.isFinite ? r : x
    }

    /// The integer counts in a fixed order (the state file's).
    var tallies: [Int] { [requests, errors, empties, clicked, converted, explored, shownItems, exploredItems] }

    init?(tallies t: [Int], latency: ValueCounts, rounded: Bool, items: HyperLogLog?) {
        guard t.count == 8, t.allSatisfy({ $0 >= 0 }) else { return nil }
        (requests, errors, empties, clicked, converted) = (t[0], t[1], t[2], t[3], t[4])
        (explored, shownItems, exploredItems) = (t[5], t[6], t[7])
        guard errors <= requests, empties <= requests, clicked <= requests, converted <= requests, explored <= requests,
            exploredItems <= shownItems, latency.count <= requests
        else { return nil }
        // Unrounded cells hold at most the exact limit; rounded ones only rounded values.
        guard rounded || latency.distinctValues <= MonitorCell.exactLatencies else { return nil }
        self.latency = latency
        self.latencyRounded = rounded
        self.items = items
    }
}
