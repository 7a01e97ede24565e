import ColumnarFormat
import ColumnarStorage

/// Credits logged interleaved exposures: each shown item carries the team (ranker) that supplied
/// it, as the item field `team` or, for the whole list, an exposure context value holding the
/// teams in rank order separated by commas. Clicks and conversions on an item credit its team;
/// a request is won by the team with more credit. The first exposure of a request counts
/// (duplicates are left out, as in the join); outcomes join on (request, item).
///
/// Partitions run in parallel and merge in partition order; every count is an integer, so the
/// result is the same for any thread count, partitioning or row order.
public struct InterleavingScan: Sendable {
    public struct Options: Sendable {
        public enum Credit: Sendable { case click, conversion, both }
        public var teamField = "team"
        public var teamContextKey = "interleaving_teams"
        public var teamA = "A"
        public var teamB = "B"
        public var credit = Credit.click
        public var sliceKeys: [String] = []
        /// The user codes whose per-user counts this scan keeps (nil: all); every other count is
        /// the whole dataset's. A run with more users than its memory holds takes them in parts
        /// (`InterleavingEvaluation`).
        public var units: Range<Int>? = nil

        public init() {}
    }

    /// Outcomes of one scope (all requests, or a segment).
    public struct Tally: Sendable, Equatable {
        public var requests = 0
        public var winsA = 0
        public var winsB = 0
        public var ties = 0
        public var clicksA = 0
        public var clicksB = 0
        public var conversionsA = 0
        public var conversionsB = 0

        public init() {}

        /// One request credited with `clicks` and `conversions` per team (A, B): won by the team
        /// with more credit of the chosen kind (`both`: clicks, then conversions), else a tie.
        public init(request clicks: [Int], conversions: [Int], credit: Options.Credit) {
            requests = 1
            clicksA = clicks[0]
            clicksB = clicks[1]
            conversionsA = conversions[0]
            conversionsB = conversions[1]
            let (x, y): (Int, Int)
            switch credit {
            case .click: (x, y) = (clicks[0], clicks[1])
            case .conversion: (x, y) = (conversions[0], conversions[1])
            case .both: (x, y) = clicks[0] != clicks[1] ? (clicks[0], clicks[1]) : (conversions[0], conversions[1])
            }
            if x > y { winsA = 1 } else if y > x { winsB = 1 } else { ties = 1 }
        }

        public mutating func merge(_ o: Tally) {
            requests += o.requests
            winsA += o.winsA
            winsB += o.winsB
            ties += o.ties
            clicksA += o.clicksA
            clicksB += o.clicksB
            conversionsA += o.conversionsA
            conversionsB += o.conversionsB
        }
    }

    public var global = Tally()
    /// Segments by key (`k=v|…`), sorted byte-wise.
    public var segments: [(key: String, tally: Tally)] = []
    /// Per-user requests, wins of A, wins of B (users with at least one labelled request).
    public var users: [UInt64] = []
    public var userCounts: [Double] = []
    /// Requests whose shown items carry no team at all, and labelled items with an unknown team.
    public var unlabelledRequests = 0
    public var unknownTeamItems = 0
    /// Items without a team inside a labelled request (their outcomes credit nobody).
    public var unlabelledItems = 0
    public var counts = JoinCounts()

    public static func run(reader: DatasetReader, options o: Options, threads: Int) throws -> InterleavingScan {
        let pass = try Pass(reader: reader, options: o)
        let state = try pass.fold(threads: threads)
        var scan = InterleavingScan()
        scan.global = state.global
        scan.unlabelledRequests = state.unlabelledRequests
        scan.unknownTeamItems = state.unknownTeamItems
        scan.unlabelledItems = state.unlabelledItems
        scan.counts = state.counts
        scan.segments = SegmentKeys.named(state.segments, names: o.sliceKeys, values: pass.codes.ctxValues).map { ($0.key, $0.value) }
        let first = o.units?.lowerBound ?? 0
        for u in state.requests.indices where state.requests[u] > 0 {
            scan.users.append(UInt64(first + u))
            scan.userCounts += [Double(state.requests[u]), Double(state.winsA[u]), Double(state.winsB[u])]
        }
        return scan
    }

    /// The pass over the dataset: per partition, each request's first exposure credited to its
    /// teams (`Partial`); partials combined into per-scope tallies and per-user counts (`State`).
    struct Pass: PartitionScan {
        let reader: DatasetReader
        let o: Options
        let codes: DatasetCodes
        let sliceCodes: [Int32]
        let teamKey: Int32?
        let field: [UInt8]
        let a: [UInt8]
        let b: [UInt8]

        init(reader: DatasetReader, options o: Options) throws {
            self.reader = reader
            self.o = o
            codes = try DatasetCodes(reader: reader)
            sliceCodes = codes.keyCodes(o.sliceKeys)
            teamKey = codes.ctxKeys.code(of: o.teamContextKey)
            field = Array(o.teamField.utf8)
            a = Array(o.teamA.utf8)
            b = Array(o.teamB.utf8)
        }

        struct Partial: Sendable {
            var global = Tally()
            var segments: [Int64: Tally] = [:]
            /// Each labelled request's user and winner (0 none, 1 A, 2 B), in row order.
            var requestUser: [Int32] = []
            var requestWinner: [UInt8] = []
            var unlabelledRequests = 0
            var unknownTeamItems = 0
            var unlabelledItems = 0
            var counts = JoinCounts()
        }

        struct State {
            var global = Tally()
            var segments: [Int64: Tally] = [:]
            /// Per user: requests, wins of A, wins of B.
            /// Per user code: labelled requests, and the requests A and B won (12 bytes a user).
            var requests: [Int32]
            var winsA: [Int32]
            var winsB: [Int32]
            var unlabelledRequests = 0
            var unknownTeamItems = 0
            var unlabelledItems = 0
            var counts = JoinCounts()
        }

        func start() -> State {
            if let range = o.units { precondition(range.lowerBound >= 0 && range.upperBound <= codes.users, "user codes") }
            let zeros = [Int32](repeating: 0, count: max(o.units?.count ?? codes.users, 1))
            return State(requests: zeros, winsA: zeros, winsB: zeros)
        }

        func combine(_ part: Partial, into state: inout State) {
            state.global.merge(part.global)
            for (k, t) in part.segments { state.segments[k, default: Tally()].merge(t) }
            state.unlabelledRequests += part.unlabelledRequests
            state.unknownTeamItems += part.unknownTeamItems
            state.unlabelledItems += part.unlabelledItems
            state.counts = state.counts + part.counts
            // Users counted from the start of `o.units`; users outside it are another part's.
            let first = o.units?.lowerBound ?? 0
            let count = o.units?.count ?? state.requests.count
            for (user, w) in zip(part.requestUser, part.requestWinner) {
                let u = Int(user) - first
                guard u >= 0 && u < count else { continue }
                state.requests[u] += 1
                if w == 1 { state.winsA[u] += 1 } else if w == 2 { state.winsB[u] += 1 }
            }
        }

        func scan(partition p: Int) throws -> Partial {
            // Locals, not `self`'s members: the loops below then touch no reference counts.
            let o = self.o
            let items = codes.items
            let users = codes.users
            let variants = codes.variants
            let events = codes.events
            let ctxKeys = codes.ctxKeys
            let ctxValues = codes.ctxValues
            let isClick = codes.isClick
            let isConversion = codes.isConversion
            let sliceCodes = self.sliceCodes
            let teamKey = self.teamKey
            let field = self.field
            let a = self.a
            let b = self.b
            let requests = Int(reader.footer.partitions[p].requestDictionary.count)
            let join = try PartitionJoin(reader: reader, partition: p, variantCount: variants, itemCount: items, empty: codes.empty)
            var load = ColumnLoader(reader: reader, partition: p)
            let exReq = try load.int32("exposures", "request_id", bound: requests)
            let exUser = try load.int32("exposures", "user_id", bound: max(users, 1))
            let nItems = try load.counts("exposures", "item_count")
            let item = try load.int32("exposures", "item_id", bound: max(items, 1))
            let rank = try load.int64("exposures", "rank")
            let extraPresent = try load.bool("exposures", "extra_present")
            let extra = try load.extra("exposures")
            let nPairs = try load.counts("exposures", "context_count")
            let pairKey = try load.int32("exposures", "context_key", bound: max(ctxKeys.count, 1))
            let pairValue = try load.int32("exposures", "context_value", bound: max(ctxValues.count, 1))
            var segmentOf: [Int64] = []
            if !o.sliceKeys.isEmpty {
                segmentOf = try SegmentKeys.ids(
                    &load, table: "exposures", rows: exReq.count, keys: sliceCodes, keyCount: ctxKeys.count, valueCount: ctxValues.count)
            }
            let ocReq = try load.int32("outcomes", "request_id", bound: requests)
            let ocItem = try load.int32("outcomes", "item_id", bound: max(items, 1))
            let ocEvent = try load.int32("outcomes", "event_type", bound: max(events.count, 1))
            guard item.count == rank.count, item.count == extra.count, item.count == extraPresent.count,
                ocItem.count == ocReq.count, ocEvent.count == ocReq.count
            else {
                throw StorageError.corrupt(path: reader.path, reason: "partition \(p): column lengths differ")
            }
            let outcomesOf = RequestOutcomes(requestOfRow: ocReq, requests: requests)
            var out = Partial()
            out.counts = join.counts
            var itemStart = 0
            var pairStart = 0
            var teams: [Int8] = []  // 0 A, 1 B, -1 none
            var order: [Int] = []
            for row in 0..<exReq.count {
                let range = itemStart..<(itemStart + Int(nItems[row]))
                let pairs = pairStart..<(pairStart + Int(nPairs[row]))
                itemStart = range.upperBound
                pairStart = pairs.upperBound
                let req = Int(exReq[row])
                guard join.firstExposure[req] == Int32(row) else { continue }
                // Teams: the item field, else the context list in rank order.
                teams.removeAll(keepingCapacity: true)
                var labelled = 0
                for j in range {
                    var t: Int8 = -1
                    if extraPresent[j] != 0, let s = ItemFields.string(field, in: extra[j]) {
                        if s.elementsEqual(a) { t = 0 } else if s.elementsEqual(b) { t = 1 } else { out.unknownTeamItems += 1 }
                    }
                    if t >= 0 { labelled += 1 }
                    teams.append(t)
                }
                if labelled == 0, let teamKey, let q = pairs.first(where: { pairKey[$0] == teamKey }) {
                    order = range.sorted { (rank[$0], $0) < (rank[$1], $1) }.map { $0 - range.lowerBound }
                    let labels = Array(ctxValues.string(pairValue[q]).utf8).split(
                        separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
                    for (position, k) in order.enumerated() where position < labels.count {
                        let s = Array(labels[position].drop { $0 == 0x20 }.reversed().drop { $0 == 0x20 }.reversed())
                        if s == a { teams[k] = 0 } else if s == b { teams[k] = 1 } else if !s.isEmpty { out.unknownTeamItems += 1 }
                        if teams[k] >= 0 { labelled += 1 }
                    }
                }
                if labelled == 0 {
                    out.unlabelledRequests += 1
                    continue
                }
                out.unlabelledItems += range.count - labelled
                var clicks = [0, 0]
                var conversions = [0, 0]
                for k in outcomesOf.of(req) {
                    let orow = Int(k)
                    for j in range where item[j] == ocItem[orow] {
                        let t = Int(teams[j - range.lowerBound])
                        if t >= 0 {
                            if isClick[Int(ocEvent[orow])] { clicks[t] += 1 }
                            if isConversion[Int(ocEvent[orow])] { conversions[t] += 1 }
                        }
                        break
                    }
                }
                let tally = Tally(request: clicks, conversions: conversions, credit: o.credit)
                out.global.merge(tally)
                if !segmentOf.isEmpty { out.segments[segmentOf[row], default: Tally()].merge(tally) }
                out.requestUser.append(exUser[row])
                out.requestWinner.append(tally.winsA > 0 ? 1 : tally.winsB > 0 ? 2 : 0)
            }
            return out
        }
    }
}
