import ColumnarFormat
import ColumnarStorage

/// The interleaving scan's state keyed by ids: tallies per scope (segments by their values),
/// per-user counts keyed by user id, label counts and join counts. Every count is an integer,
/// so states of shards or of separately ingested datasets merge into one pass's counts.
public struct InterleavingState: Sendable {
    typealias Segment = [String?]

    var global: InterleavingScan.Tally
    var segments: [Segment: InterleavingScan.Tally]
    /// The user ids per-user counts are keyed by (the dataset's user dictionary).
    var users: ByteStrings
    /// Per user: labelled requests, requests A won, requests B won.
    var requests: [Int32]
    var winsA: [Int32]
    var winsB: [Int32]
    var unlabelledRequests: Int
    var unknownTeamItems: Int
    var unlabelledItems: Int
    var counts: JoinCounts

    /// Exposure rows the state counted.
    public var exposureRows: Int { counts.exposureRows }

    /// `a` and `b` combined.
    public static func merged(_ a: InterleavingState, _ b: InterleavingState) throws(ExperimentState.Mismatch) -> InterleavingState {
        let u = ExperimentState.union(a.users, b.users)
        var out = a
        out.users = u.ids
        out.global.merge(b.global)
        for (s, t) in b.segments { out.segments[s, default: InterleavingScan.Tally()].merge(t) }
        func add(_ x: [Int32], _ y: [Int32]) throws(ExperimentState.Mismatch) -> [Int32] {
            var r = [Int32](repeating: 0, count: u.ids.count)
            var overflow = false
            for (i, c) in x.enumerated() where c != 0 { r[Int(u.mapA[i])] = c }
            for (i, c) in y.enumerated() where c != 0 {
                let (s, o) = r[Int(u.mapB[i])].addingReportingOverflow(c)
                r[Int(u.mapB[i])] = s
                overflow = overflow || o
            }
            guard !overflow else { throw ExperimentState.Mismatch(description: "a user's counts overflow 32 bits") }
            return r
        }
        out.requests = try add(a.requests, b.requests)
        out.winsA = try add(a.winsA, b.winsA)
        out.winsB = try add(a.winsB, b.winsB)
        out.unlabelledRequests += b.unlabelledRequests
        out.unknownTeamItems += b.unknownTeamItems
        out.unlabelledItems += b.unlabelledItems
        out.counts = a.counts + b.counts
        return out
    }

    /// The finished scan, as one run gives it.
    public func finish(sliceKeys: [String]) -> InterleavingScan {
        var scan = InterleavingScan()
        scan.global = global
        scan.unlabelledRequests = unlabelledRequests
        scan.unknownTeamItems = unknownTeamItems
        scan.unlabelledItems = unlabelledItems
        scan.counts = counts
        scan.segments = segments.map { (key: SegmentKeys.key($0.key, names: sliceKeys), segment: $0.key, tally: $0.value) }
            .sorted { ExperimentState.precedes(($0.key, $0.segment), ($1.key, $1.segment)) }
            .map { (key: $0.key, tally: $0.tally) }
        for u in requests.indices where requests[u] > 0 {
            scan.users.append(UInt64(u))
            scan.userCounts += [Double(requests[u]), Double(winsA[u]), Double(winsB[u])]
        }
        return scan
    }

    public func encode(to e: inout StateEncoder) {
        InterleavingState.encode(global, to: &e)
        OPECountsState.encodeSegments(segments, to: &e) { t, e in InterleavingState.encode(t, to: &e) }
        e.byteStrings(users)
        let counted = requests.indices.filter { requests[$0] != 0 }
        e.int32s(counted.map { Int32($0) })
        e.int32s(counted.map { requests[$0] })
        e.int32s(counted.map { winsA[$0] })
        e.int32s(counted.map { winsB[$0] })
        e.int(unlabelledRequests)
        e.int(unknownTeamItems)
        e.int(unlabelledItems)
        counts.encode(to: &e)
    }

    static func encode(_ t: InterleavingScan.Tally, to e: inout StateEncoder) {
        e.ints([t.requests, t.winsA, t.winsB, t.ties, t.clicksA, t.clicksB, t.conversionsA, t.conversionsB])
    }

    static func tally(from d: inout StateDecoder) throws(StateError) -> InterleavingScan.Tally {
        let v = try d.tallies()
        guard v.count == 8, v.allSatisfy({ $0 >= 0 }) else { throw d.invalid("a tally holds \(v.count) counts, 8 expected") }
        var t = InterleavingScan.Tally()
        (t.requests, t.winsA, t.winsB, t.ties) = (v[0], v[1], v[2], v[3])
        (t.clicksA, t.clicksB, t.conversionsA, t.conversionsB) = (v[4], v[5], v[6], v[7])
        return t
    }
}

extension InterleavingState {
    public init(from d: inout StateDecoder) throws(StateError) {
        global = try InterleavingState.tally(from: &d)
        segments = try ExperimentState.segments(&d) { (d) throws(StateError) in try InterleavingState.tally(from: &d) }
        users = try d.sortedByteStrings("user ids")
        let ids = users
        let counted = try d.int32s()
        let r = try d.tallies32()
        let a = try d.tallies32()
        let b = try d.tallies32()
        guard r.count == counted.count, a.count == counted.count, b.count == counted.count,
            zip(counted, counted.dropFirst()).allSatisfy({ $0 < $1 }), counted.allSatisfy({ $0 >= 0 && Int($0) < ids.count })
        else { throw d.invalid("per-user counts are not ascending users in range") }
        requests = [Int32](repeating: 0, count: ids.count)
        winsA = requests
        winsB = requests
        for (i, u) in counted.enumerated() {
            requests[Int(u)] = r[i]
            winsA[Int(u)] = a[i]
            winsB[Int(u)] = b[i]
        }
        unlabelledRequests = try d.tally()
        unknownTeamItems = try d.tally()
        unlabelledItems = try d.tally()
        counts = try JoinCounts(from: &d)
    }
}

extension InterleavingScan {
    /// The pass over the partitions `reader` scans, as a state.
    public static func state(reader: DatasetReader, options o: Options, threads: Int) throws -> InterleavingState {
        precondition(o.units == nil, "a state holds every user")
        let pass = try Pass(reader: reader, options: o)
        let state = try pass.fold(threads: threads)
        var segments: [InterleavingState.Segment: Tally] = [:]
        for (id, t) in state.segments { segments[SegmentKeys.values(id, count: o.sliceKeys.count, values: pass.codes.ctxValues)] = t }
        return InterleavingState(
            global: state.global, segments: segments, users: try reader.dictionary("user_id"), requests: state.requests,
            winsA: state.winsA, winsB: state.winsB, unlabelledRequests: state.unlabelledRequests,
            unknownTeamItems: state.unknownTeamItems, unlabelledItems: state.unlabelledItems, counts: state.counts)
    }
}

extension InterleavingState {
    /// Checks that the state's segments are those of `sliceKeys`.
    public func check(sliceKeys: [String]) throws(ExperimentState.Mismatch) {
        guard segments.keys.allSatisfy({ $0.count == sliceKeys.count }) else {
            throw ExperimentState.Mismatch(description: "the state's segments are not the config's slice keys")
        }
    }
}
