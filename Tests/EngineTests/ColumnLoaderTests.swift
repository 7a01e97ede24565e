import ColumnarStorage
import Engine
import Foundation
import Testing

/// Selective loading (late materialisation) against whole columns: the rows of the ranges, in
/// order, across row groups (500 exposures each, so item ranges cross their bounds), in every
/// partition, and row groups without a wanted row left unread.
@Suite struct ColumnLoaderTests {
    @Test func gatheredRowsEqualTheWholeColumn() throws {
        let (dir, path) = try JoinTests.dataset(partitions: 3)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let reader = try DatasetReader(path: path)
        var rng = SystemRandomNumberGenerator()
        var crossed = 0
        for p in 0..<reader.partitionCount {
            var whole = ColumnLoader(reader: reader, partition: p)
            let items = try whole.int32("exposures", "item_id", bound: Int.max)
            let ranks = try whole.int64("exposures", "rank")
            let groups = try whole.rowGroups("exposures")
            // Item rows where one row group's items end and the next one's begin.
            var bounds: [Int] = []
            var at = 0
            for g in 0..<groups {
                at += Int(reader.footer.partitions[p].tables[reader.tableIndex("exposures")!][g].groupRows[0])
                bounds.append(at)
            }
            for trial in 0..<4 {
                var ranges: [Range<Int>] = []
                var next = 0
                while next < items.count {
                    let lo = min(items.count, next + Int.random(in: 0..<(trial == 0 ? 3 : 4000), using: &rng))
                    let hi = min(items.count, lo + Int.random(in: 0..<40, using: &rng))
                    ranges.append(lo..<hi)
                    next = hi + 1
                }
                crossed += ranges.filter { r in bounds.contains { r.lowerBound < $0 && $0 < r.upperBound } }.count
                var load = ColumnLoader(reader: reader, partition: p)
                let gotItems = try load.int32("exposures", "item_id", bound: Int.max, gathering: ranges)
                let gotRanks = try load.int64("exposures", "rank", gathering: ranges)
                #expect(gotItems == ranges.flatMap { items[$0] })
                #expect(gotRanks == ranges.flatMap { ranks[$0] })
                #expect(load.bytesTouched == gotItems.count * 4 + gotRanks.count * 8)
            }
            var none = ColumnLoader(reader: reader, partition: p)
            #expect(try none.int32("exposures", "item_id", gathering: []).isEmpty)
        }
        #expect(crossed > 0, "some ranges cross a row group's bound")
    }

    /// A gathered dictionary code outside the dictionary is an error naming the row group, as in
    /// whole loading.
    @Test func gatheredCodesAreCheckedAgainstTheDictionary() throws {
        let (dir, path) = try JoinTests.dataset(partitions: 1)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let reader = try DatasetReader(path: path)
        var load = ColumnLoader(reader: reader, partition: 0)
        let items = try load.int32("exposures", "item_id")
        let big = items.indices.max { items[$0] < items[$1] }!
        #expect(throws: StorageError.self) {
            _ = try load.int32("exposures", "item_id", bound: Int(items[big]), gathering: [big..<(big + 1)])
        }
        #expect(try load.int32("exposures", "item_id", bound: Int(items[big]) + 1, gathering: [big..<(big + 1)]) == [items[big]])
        // Rows beyond the column, or ranges out of order, are an error (they would come from a
        // count column that disagrees with its list), not a trap.
        #expect(throws: StorageError.self) { _ = try load.int32("exposures", "item_id", gathering: [0..<(items.count + 1)]) }
        #expect(throws: StorageError.self) { _ = try load.int64("exposures", "rank", gathering: [5..<6, 2..<3]) }
    }
}
