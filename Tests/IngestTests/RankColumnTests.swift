import Testing

@testable import Ingest

/// Ranks are buffered as a flag per row when a row's items are ranked 1...n in order
/// (`RankColumn`): every item must read back the rank it was written with, whole or sliced, and
/// parts read back from a spill record must agree with the item counts.
@Suite struct RankColumnTests {
    /// Rows of 0 to 6 items: in order, in order but starting at 0 or 2, shuffled, repeated, or
    /// extreme values; each row's flag says whether it was kept as written.
    static func rows(seed start: UInt64, count: Int) -> [[Int64]] {
        var seed = start
        func next(_ n: UInt64) -> UInt64 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (seed >> 33) % n
        }
        return (0..<count).map { _ in
            let n = Int(next(7))
            switch next(6) {
            case 0, 1: return (0..<n).map { Int64($0 + 1) }
            case 2: return (0..<n).map { Int64($0 + Int(next(2)) * 2) }
            case 3: return Array((0..<n).map { Int64($0 + 1) }.reversed())
            case 4: return (0..<n).map { _ in Int64(next(3) + 1) }
            default:
                return (0..<n).map { (k: Int) -> Int64 in
                    if k == 0 { return Int64.max }
                    if k == 1 { return Int64.min }
                    return Int64(k + 1)
                }
            }
        }
    }

    @Test func everyItemReadsBackItsRank() {
        for seed in UInt64(1)...40 {
            let rows = Self.rows(seed: seed, count: Int(seed) * 3)
            var column = RankColumn()
            for r in rows { column.append(row: r) }
            let counts = rows.map { Int32($0.count) }
            #expect(column.rows == rows.count)
            #expect(column.values(itemCounts: counts) == rows.flatMap { $0 })
            // A row ranked 1...n is a flag and nothing else.
            let explicitItems = rows.filter { r in r != (0..<r.count).map { Int64($0 + 1) } }.map(\.count).reduce(0, +)
            #expect(column.explicit.count == explicitItems)
            // Every slice holds its rows' ranks; slices appended one after another are the whole.
            let cut = rows.count / 3
            for r in [0..<cut, cut..<rows.count, 0..<rows.count, cut..<cut] {
                let s = column.slice(r, itemCounts: counts)
                #expect(s.values(itemCounts: Array(counts[r])) == rows[r].flatMap { $0 })
            }
            var joined = column.slice(0..<cut, itemCounts: counts)
            joined.append(contentsOf: column.slice(cut..<rows.count, itemCounts: counts))
            #expect(joined == column)
            // The stored parts make the same column, and only with the item counts they belong to.
            #expect(RankColumn(sequential: column.sequential, explicit: column.explicit, itemCounts: counts) == column)
            if column.explicit.count > 0 {
                #expect(RankColumn(sequential: column.sequential, explicit: Array(column.explicit.dropLast()), itemCounts: counts) == nil)
            }
            if !rows.isEmpty {
                #expect(RankColumn(sequential: column.sequential, explicit: column.explicit, itemCounts: Array(counts.dropLast())) == nil)
                var flags = column.sequential
                flags[0] = 2
                #expect(RankColumn(sequential: flags, explicit: column.explicit, itemCounts: counts) == nil)
            }
        }
    }
}
