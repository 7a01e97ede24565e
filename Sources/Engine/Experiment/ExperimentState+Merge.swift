import ColumnarFormat
import ColumnarStorage

extension ExperimentState {
    /// Why two states cannot merge.
    public struct Mismatch: Error, CustomStringConvertible {
        public var description: String
    }

    /// `a` and `b` combined, as if one pass had read both their partitions. Request units merge
    /// only from shards of one dataset (numbered by partition); users and variants from anywhere.
    public static func merged(_ a: ExperimentState, _ b: ExperimentState) throws(Mismatch) -> ExperimentState {
        guard a.covariate == b.covariate, a.requestUnits == b.requestUnits, a.cellLimit == b.cellLimit, (a.pre == nil) == (b.pre == nil)
        else { throw Mismatch(description: "the states were computed with different experiment settings") }
        let (variants, va, vb) = union(a.variants, b.variants)
        let n = variants.count
        var out = a
        out.variants = variants

        func remap<T>(_ x: [T], _ map: [Int32], zero: T, _ add: (inout T, T) -> Void) -> [T] {
            var r = [T](repeating: zero, count: n)
            for (v, value) in x.enumerated() { add(&r[Int(map[v])], value) }
            return r
        }
        func addGroups(_ x: [ExperimentScan.Group], _ map: [Int32], into acc: [ExperimentScan.Group]?) -> [ExperimentScan.Group] {
            var r = acc ?? [ExperimentScan.Group](repeating: ExperimentScan.Group(), count: n)
            for (v, g) in x.enumerated() { r[Int(map[v])].merge(g) }
            return r
        }
        func addCounts(_ x: [Int], _ map: [Int32], into acc: [Int]?) -> [Int] {
            var r = acc ?? [Int](repeating: 0, count: n)
            for (v, c) in x.enumerated() { r[Int(map[v])] += c }
            return r
        }
        var groups: [Segment: [ExperimentScan.Group]] = [:]
        for (s, g) in a.groups { groups[s] = addGroups(g, va, into: groups[s]) }
        for (s, g) in b.groups { groups[s] = addGroups(g, vb, into: groups[s]) }
        out.groups = groups
        var srmGroups: [Segment: [Int]] = [:]
        for (s, c) in a.srmGroups { srmGroups[s] = addCounts(c, va, into: srmGroups[s]) }
        for (s, c) in b.srmGroups { srmGroups[s] = addCounts(c, vb, into: srmGroups[s]) }
        out.srmGroups = srmGroups
        out.srmRows = addCounts(b.srmRows, vb, into: addCounts(a.srmRows, va, into: nil))
        out.latencies = remap(a.latencies, va, zero: ValueCounts()) { $0.merge($1) }
        for (v, c) in b.latencies.enumerated() { out.latencies[Int(vb[v])].merge(c) }
        out.moments.merge(b.moments)
        out.counts = a.counts + b.counts
        out.assignmentRowsTotal = a.assignmentRowsTotal + b.assignmentRowsTotal
        if let f = b.first, a.first.map({ Timestamp.windowLess(f, $0) }) ?? true { out.first = f }
        if let l = b.last, a.last.map({ Timestamp.windowLess($0, l) }) ?? true { out.last = l }
        out.bytes = a.bytes + b.bytes

        // Units: the union of the ids (users), or the runs of both in partition order (requests).
        let ua: [Int32]
        let ub: [Int32]
        if a.requestUnits {
            let runs = (a.requestRuns.map { ($0, 0) } + b.requestRuns.map { ($0, 1) }).sorted { $0.0.partition < $1.0.partition }
            for (x, y) in zip(runs, runs.dropFirst()) where x.0.partition == y.0.partition {
                throw Mismatch(description: "both states hold partition \(x.0.partition)'s request units")
            }
            var start = [Int](repeating: 0, count: runs.count)
            var next = 0
            for (i, r) in runs.enumerated() {
                start[i] = next
                next += r.0.units
            }
            func map(_ side: Int, _ count: Int) -> [Int32] {
                var m: [Int32] = []
                m.reserveCapacity(count)
                for (i, r) in runs.enumerated() where r.1 == side { for k in 0..<r.0.units { m.append(Int32(start[i] + k)) } }
                return m
            }
            ua = map(0, a.unitCount)
            ub = map(1, b.unitCount)
            out.requestRuns = runs.map(\.0)
            out.unitCount = next
            var keys = [UInt64](repeating: 0, count: next)
            for (u, k) in a.requestKeys.enumerated() { keys[Int(ua[u])] = k }
            for (u, k) in b.requestKeys.enumerated() { keys[Int(ub[u])] = k }
            out.requestKeys = keys
        } else {
            let u = ExperimentState.union(a.users, b.users)
            out.users = u.ids
            out.unitCount = u.ids.count
            ua = u.mapA
            ub = u.mapB
        }
        let units = out.unitCount
        var owner = [Int32](repeating: -1, count: units)
        for (side, map, vmap) in [(a, ua, va), (b, ub, vb)] {
            for (u, v) in side.variantOfUnit.enumerated() where v != -1 {
                let nv = v == -2 ? -2 : vmap[Int(v)]
                let w = Int(map[u])
                let cur = owner[w]
                owner[w] = cur == -1 ? nv : (cur == nv ? cur : -2)
            }
        }
        out.variantOfUnit = owner
        func addPerUnit(_ x: [Int32], _ y: [Int32]) throws(Mismatch) -> [Int32] {
            var r = [Int32](repeating: 0, count: units)
            var overflow = false
            for (u, c) in x.enumerated() where c != 0 { r[Int(ua[u])] = c }
            for (u, c) in y.enumerated() where c != 0 {
                let (s, o) = r[Int(ub[u])].addingReportingOverflow(c)
                r[Int(ub[u])] = s
                overflow = overflow || o
            }
            guard !overflow else { throw Mismatch(description: "a unit's guardrail counts overflow 32 bits") }
            return r
        }
        out.errors = try addPerUnit(a.errors, b.errors)
        out.empties = try addPerUnit(a.empties, b.empties)
        out.joined = try addPerUnit(a.joined, b.joined)
        out.global = try UnitRows.merged(a.global, ua, b.global, ub)
        if let pa = a.pre, let pb = b.pre { out.pre = try UnitRows.merged(pa, ua, pb, ub) }
        if let sa = a.segmentRows, let sb = b.segmentRows, (groups.count + 1) * units <= a.cellLimit {
            var rows: [Segment: UnitRows] = [:]
            for s in Set(sa.keys).union(sb.keys) {
                let empty = UnitRows(covariate: a.covariate)
                rows[s] = try UnitRows.merged(sa[s] ?? empty, ua, sb[s] ?? empty, ub)
            }
            out.segmentRows = rows
        } else {
            out.segmentRows = nil
        }
        return out
    }

    /// The sorted union of two sorted name lists, and where each side's entries went.
    static func union(_ a: [String], _ b: [String]) -> ([String], [Int32], [Int32]) {
        let u = union(ByteStrings(a), ByteStrings(b))
        return ((0..<u.ids.count).map { u.ids.string($0) }, u.mapA, u.mapB)
    }

    /// The byte-order union of two byte-ordered id lists (dictionaries), and each side's new codes.
    static func union(_ a: ByteStrings, _ b: ByteStrings) -> (ids: ByteStrings, mapA: [Int32], mapB: [Int32]) {
        if a.offsets == b.offsets && a.data == b.data {
            let identity = (0..<Int32(a.count)).map { $0 }
            return (a, identity, identity)
        }
        var offsets: [UInt32] = [0]
        var data: [UInt8] = []
        var mapA = [Int32](repeating: 0, count: a.count)
        var mapB = [Int32](repeating: 0, count: b.count)
        var (i, j) = (0, 0)
        func take(_ s: ArraySlice<UInt8>) {
            data.append(contentsOf: s)
            offsets.append(UInt32(data.count))
        }
        while i < a.count || j < b.count {
            let code = Int32(offsets.count - 1)
            if j == b.count || (i < a.count && a[i].lexicographicallyPrecedes(b[j])) {
                take(a[i])
                mapA[i] = code
                i += 1
            } else if i == a.count || b[j].lexicographicallyPrecedes(a[i]) {
                take(b[j])
                mapB[j] = code
                j += 1
            } else {
                take(a[i])
                mapA[i] = code
                mapB[j] = code
                i += 1
                j += 1
            }
        }
        return (ByteStrings(offsets: offsets, data: data), mapA, mapB)
    }
}

extension ByteStrings {
    /// Strings as offsets and bytes.
    init(_ strings: [String]) {
        var offsets: [UInt32] = [0]
        var data: [UInt8] = []
        for s in strings {
            data.append(contentsOf: s.utf8)
            offsets.append(UInt32(data.count))
        }
        self.init(offsets: offsets, data: data)
    }
}
