import ColumnarStorage

/// Dense tables that partition scans borrow one at a time and fill directly, instead of building
/// a partial per partition and adding it in. Cells are exact integers, so which partition went
/// into which table does not change the merged sums; at most one table per concurrent worker is
/// ever made.
public final class DenseSumsPool: @unchecked Sendable {
    private let lock = Mutex()
    private var idle: [KeyedSums.Dense] = []
    private let keyCount: Int
    private let width: Int

    public init(keyCount: Int, width: Int) {
        self.keyCount = keyCount
        self.width = width
    }

    /// A table to fill (an idle one, or a new zero table); hand it back with `giveBack`.
    public func borrow() -> KeyedSums.Dense {
        lock.withLock { idle.popLast() } ?? KeyedSums.Dense(keyCount: keyCount, width: width)
    }

    public func giveBack(_ table: KeyedSums.Dense) { lock.withLock { idle.append(table) } }

    /// Every table added together (call once no table is borrowed).
    public func merged() -> KeyedSums.Dense {
        lock.withLock {
            var total = idle.popLast() ?? KeyedSums.Dense(keyCount: keyCount, width: width)
            while let t = idle.popLast() { total.add(t) }
            return total
        }
    }
}
