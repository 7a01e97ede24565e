/// The ranks of a batch's items, row by row, in the space the usual lists need: a row whose items
/// are ranked 1, 2, ..., n in order (what recommenders log almost always) is one flag, and only
/// the other rows keep their ranks.
///
/// Stored as eight-byte integers, ranks were over a third of the bytes a batch buffers (fifteen
/// items a row); as flags they are a byte a row. What the dataset stores is unchanged: the
/// encoder materialises a row group's ranks (`values`) just before encoding them.
struct RankColumn: Equatable {
    /// Per row: 1 when its items are ranked 1...n in order, else 0.
    private(set) var sequential: [UInt8] = []
    /// The ranks of the rows whose flag is 0, in row and item order.
    private(set) var explicit: [Int64] = []

    init() {}

    /// A column from its stored parts (a spill record); nil unless `explicit` holds exactly the
    /// items of the rows flagged 0 (`itemCounts` per row).
    init?(sequential: [UInt8], explicit: [Int64], itemCounts: [Int32]) {
        guard sequential.count == itemCounts.count, sequential.allSatisfy({ $0 <= 1 }) else { return nil }
        var n = 0
        for (s, c) in zip(sequential, itemCounts) where s == 0 { n += Int(c) }
        guard n == explicit.count else { return nil }
        self.sequential = sequential
        self.explicit = explicit
    }

    var rows: Int { sequential.count }

    mutating func reserve(rows: Int) { sequential.reserveCapacity(rows) }

    /// Appends one row's ranks.
    @inline(__always)
    mutating func append(row ranks: UnsafeBufferPointer<Int64>) {
        var inOrder = true
        for k in ranks.indices where ranks[k] != Int64(k + 1) {
            inOrder = false
            break
        }
        sequential.append(inOrder ? 1 : 0)
        if !inOrder { explicit.append(contentsOf: ranks) }
    }

    mutating func append(row ranks: [Int64]) { ranks.withUnsafeBufferPointer { append(row: $0) } }

    mutating func append(contentsOf other: RankColumn) {
        sequential += other.sequential
        explicit += other.explicit
    }

    /// Rows `r` as a new column (`itemCounts`: the batch's items per row).
    func slice(_ r: Range<Int>, itemCounts: [Int32]) -> RankColumn {
        precondition(r.lowerBound >= 0 && r.upperBound <= rows && itemCounts.count == rows, "slice within the column")
        var e0 = 0
        for k in 0..<r.lowerBound where sequential[k] == 0 { e0 += Int(itemCounts[k]) }
        var e1 = e0
        for k in r where sequential[k] == 0 { e1 += Int(itemCounts[k]) }
        var c = RankColumn()
        c.sequential = Array(sequential[r])
        c.explicit = Array(explicit[e0..<e1])
        return c
    }

    /// Every item's rank as a 32-bit integer, in order, or nil when some explicit rank does
    /// not fit 32 bits (then `values`).
    func values32(itemCounts: [Int32]) -> [Int32]? {
        guard explicit.allSatisfy({ $0 >= Int64(Int32.min) && $0 <= Int64(Int32.max) }) else { return nil }
        return values(itemCounts: itemCounts, as: Int32.self)
    }

    /// Every item's rank, in order (`itemCounts`: items per row), as `T` (each explicit rank
    /// fits it: `values32` checks).
    func values<T: FixedWidthInteger>(itemCounts: [Int32], as _: T.Type = Int64.self) -> [T] {
        precondition(itemCounts.count == rows, "one item count per row")
        let n = itemCounts.reduce(0) { $0 + Int($1) }
        return [T](unsafeUninitializedCapacity: n) { out, count in
            var i = 0
            var e = 0
            for row in 0..<rows {
                let c = Int(itemCounts[row])
                if sequential[row] == 1 {
                    for k in 0..<c { out[i + k] = T(k + 1) }
                } else {
                    for k in 0..<c { out[i + k] = T(explicit[e + k]) }
                    e += c
                }
                i += c
            }
            count = n
        }
    }

    /// Heap bytes held, by capacity.
    var byteSize: Int { heapBytes(sequential) + heapBytes(explicit) }
}
