import CPrefetch

/// Sums of `width` values per key of a large key space (items, users) gathered in one
/// partition. Only the keys the partition touches get a row, so a partial stays as small as its
/// partition's data; partials are then added into one `Dense` table.
///
/// Cells are 128-bit fixed-point integers in units of 2⁻⁴⁸ (each added value is rounded once to
/// that grid, about 3.6 × 10⁻¹⁵), so merged sums do not depend on which partition a row fell
/// in, nor on the order partials arrive: the same data gives the same bits for any partitioning,
/// thread count or shard split. A cell holds magnitudes up to 2⁷⁸ (about 3 × 10²³); a column
/// that goes beyond reads as NaN rather than wrapping.
public struct KeyedSums: Sendable {
    public let width: Int
    /// The keys touched, in first-touch order; row `r` of the cells belongs to `keys[r]`.
    public private(set) var keys: [Int32] = []
    private var cells: [Int128] = []
    /// Per column: a value or a sum left the representable range.
    private var overflowed: [Bool]
    private var slot: [Int32]

    static let scale = 0x1p48
    /// Largest scaled magnitude accepted per addition; sums of up to 2⁴⁸ such values stay in range.
    static let addLimit = 0x1p78 * 0x1p48

    public init(keyCount: Int, width: Int) {
        precondition(keyCount >= 0 && width > 0, "a key space and at least one value per key")
        self.width = width
        slot = [Int32](repeating: -1, count: keyCount)
        overflowed = [Bool](repeating: false, count: width)
    }

    /// The first index of `key`'s row, creating the row on first use.
    @inline(__always)
    public mutating func row(_ key: Int32) -> Int {
        let s = slot[Int(key)]
        if s >= 0 { return Int(s) * width }
        slot[Int(key)] = Int32(keys.count)
        keys.append(key)
        cells.append(contentsOf: repeatElement(0, count: width))
        return (keys.count - 1) * width
    }

    @inline(__always)
    public mutating func add(_ key: Int32, _ column: Int, _ x: Double) {
        let r = row(key)
        add(row: r, column, x)
    }

    @inline(__always)
    public mutating func add(row r: Int, _ column: Int, _ x: Double) {
        guard let v = KeyedSums.fixed(x) else {
            overflowed[column] = true
            return
        }
        cells[r + column] &+= v
    }

    /// `x` in cell units (rounded once to 2⁻⁴⁸), nil when it is beyond what a cell may take in
    /// one addition (or not finite).
    @inline(__always)
    static func fixed(_ x: Double) -> Int128? {
        let scaled = (x * scale).roundedToEven
        return abs(scaled) < addLimit ? Int128(integral: scaled) : nil
    }

    /// Frees the key map once the partition is done (the partial then holds only its rows).
    public mutating func seal() { slot = [] }

    /// A table over every key (`keyCount × width`, key-major) that partials are added into.
    public struct Dense: Sendable {
        public let width: Int
        fileprivate var cells: [Int128]
        fileprivate var overflowed: [Bool]

        public init(keyCount: Int, width: Int) {
            precondition(keyCount >= 0 && width > 0, "a key space and at least one value per key")
            self.width = width
            cells = [Int128](repeating: 0, count: keyCount * width)
            overflowed = [Bool](repeating: false, count: width)
        }

        public var keyCount: Int { cells.count / width }

        /// Adds a partial's rows; the order partials are added in does not change the result.
        public mutating func add(_ p: KeyedSums) {
            precondition(p.width == width, "partials of one width")
            for c in 0..<width where p.overflowed[c] { overflowed[c] = true }
            for (r, key) in p.keys.enumerated() {
                let base = Int(key) * width
                for c in 0..<width {
                    let (s, o) = cells[base + c].addingReportingOverflow(p.cells[r * width + c])
                    cells[base + c] = s
                    if o { overflowed[c] = true }
                }
            }
        }

        /// Adds `x` to column `column` of `key` directly (a table a worker fills on its own).
        @inline(__always)
        public mutating func add(_ key: Int, _ column: Int, _ x: Double) {
            guard let v = KeyedSums.fixed(x) else {
                overflowed[column] = true
                return
            }
            cells[key * width + column] &+= v
        }

        /// Hints that the cell of `key` and `column` is about to be added to: a cache prefetch, so
        /// a scan's random cells overlap their misses. It changes nothing.
        @inline(__always)
        public func prefetch(_ key: Int, _ column: Int) {
            let i = key * width + column
            guard i >= 0 && i < cells.count else { return }
            cells.withUnsafeBufferPointer { receval_prefetch_write($0.baseAddress! + i) }
        }

        /// Adds another table of the same shape, cell by cell.
        public mutating func add(_ other: Dense) {
            precondition(other.width == width && other.cells.count == cells.count, "tables of one shape")
            for c in 0..<width where other.overflowed[c] { overflowed[c] = true }
            for i in cells.indices {
                let (s, o) = cells[i].addingReportingOverflow(other.cells[i])
                cells[i] = s
                if o { overflowed[i % width] = true }
            }
        }

        /// The sum in column `column` of `key` (NaN if that column overflowed).
        @inline(__always)
        public func value(_ key: Int, _ column: Int) -> Double {
            overflowed[column] ? .nan : cells[key * width + column].nearestDouble / KeyedSums.scale
        }

        /// The keys whose first column is positive (a count), with their rows side by side.
        public func compacted() -> (keys: [UInt64], rows: [Double]) {
            // Sized first: the copy may be most of a run's memory (per-user sums).
            var n = 0
            for k in 0..<keyCount where cells[k * width] > 0 { n += 1 }
            var keys: [UInt64] = []
            var rows: [Double] = []
            keys.reserveCapacity(n)
            rows.reserveCapacity(n * width)
            for k in 0..<keyCount where cells[k * width] > 0 {
                keys.append(UInt64(k))
                for c in 0..<width { rows.append(value(k, c)) }
            }
            return (keys, rows)
        }
    }
}

// State encoding (format-spec/state.md §4.3): a table's rows that hold anything, by key, with
// the cells as they are (fixed point), so tables merged in another process are the same to the bit.
extension KeyedSums {
    /// A table's nonzero rows, by ascending key: what a state keeps and merges (a dense table
    /// over every item would cost its whole size per state, where a shard touches a part).
    public struct Sparse: Sendable, Equatable {
        public let width: Int
        var overflowed: [Bool]
        var keys: [Int32] = []
        var cells: [Int128] = []

        public init(width: Int) {
            self.width = width
            overflowed = [Bool](repeating: false, count: width)
        }

        /// The nonzero rows of `dense`, cut into rows of `width` cells (a divisor of the table's
        /// width: a table of 3 sums per (item, slot) keeps the occupied (item, slot) pairs, key
        /// `item × slots + slot`, rather than every slot of every item it touches).
        public init(_ dense: Dense, width rowWidth: Int? = nil) {
            let w = rowWidth ?? dense.width
            precondition(w > 0 && dense.width % w == 0, "rows divide the table's rows")
            self.init(width: w)
            for c in 0..<dense.width where dense.overflowed[c] { overflowed[c % w] = true }
            for k in 0..<(dense.cells.count / w) {
                let row = dense.cells[(k * w)..<((k + 1) * w)]
                guard row.contains(where: { $0 != 0 }) else { continue }
                keys.append(Int32(k))
                cells.append(contentsOf: row)
            }
        }

        /// The keys whose first column is positive (a count), with their rows side by side, as
        /// `Dense.compacted` gives them.
        public func compacted() -> (keys: [UInt64], rows: [Double]) {
            var out: (keys: [UInt64], rows: [Double]) = ([], [])
            for (r, k) in keys.enumerated() where cells[r * width] > 0 {
                out.keys.append(UInt64(k))
                for c in 0..<width { out.rows.append(overflowed[c] ? .nan : cells[r * width + c].nearestDouble / KeyedSums.scale) }
            }
            return out
        }

        /// The table over `keyCount` keys of `width` cells (by default this table's width; a
        /// multiple of it joins consecutive keys into one row, undoing `init(_:width:)`).
        public func dense(keyCount: Int, width tableWidth: Int? = nil) -> Dense {
            let w = tableWidth ?? width
            precondition(w % width == 0, "a table row holds whole rows")
            var d = Dense(keyCount: keyCount, width: w)
            for c in 0..<w { d.overflowed[c] = overflowed[c % width] }
            for (r, k) in keys.enumerated() {
                for c in 0..<width { d.cells[Int(k) * width + c] = cells[r * width + c] }
            }
            return d
        }

        /// The rows of `a` and `b`, keys mapped by `mapA` and `mapB` (each increasing), a key both
        /// hold added cell by cell.
        public static func merged(_ a: Sparse, _ mapA: [Int32], _ b: Sparse, _ mapB: [Int32]) -> Sparse {
            merged(a, { mapA[Int($0)] }, b, { mapB[Int($0)] })
        }

        /// The same with the key maps as functions (increasing).
        public static func merged(_ a: Sparse, _ mapA: (Int32) -> Int32, _ b: Sparse, _ mapB: (Int32) -> Int32) -> Sparse {
            precondition(a.width == b.width, "tables of one width")
            let width = a.width
            var out = Sparse(width: width)
            for c in 0..<width { out.overflowed[c] = a.overflowed[c] || b.overflowed[c] }
            out.keys.reserveCapacity(a.keys.count + b.keys.count)
            out.cells.reserveCapacity(a.cells.count + b.cells.count)
            var (i, j) = (0, 0)
            while i < a.keys.count || j < b.keys.count {
                let x = i < a.keys.count ? mapA(a.keys[i]) : Int32.max
                let y = j < b.keys.count ? mapB(b.keys[j]) : Int32.max
                out.keys.append(min(x, y))
                if x == y {
                    for c in 0..<width {
                        let (v, o) = a.cells[i * width + c].addingReportingOverflow(b.cells[j * width + c])
                        out.cells.append(v)
                        if o { out.overflowed[c] = true }
                    }
                    i += 1
                    j += 1
                } else if x < y {
                    out.cells.append(contentsOf: a.cells[(i * width)..<((i + 1) * width)])
                    i += 1
                } else {
                    out.cells.append(contentsOf: b.cells[(j * width)..<((j + 1) * width)])
                    j += 1
                }
            }
            return out
        }

        func encode(to e: inout StateEncoder) {
            e.int(width)
            e.count(overflowed.count)
            for o in overflowed { e.bool(o) }
            e.int32s(keys)
            // Cells that all fit 64 bits (counts, probabilities: nearly always) are written as
            // Int64, else as 128-bit pairs.
            let narrow = cells.allSatisfy { Int64(exactly: $0) != nil }
            e.bool(narrow)
            if narrow {
                e.ints(cells.map { Int(truncatingIfNeeded: $0) })
            } else {
                e.uint64s(cells.flatMap { [UInt64(truncatingIfNeeded: $0), UInt64(truncatingIfNeeded: $0 >> 64)] })
            }
        }

        /// A table over `keyCount` keys from a state.
        init(from d: inout StateDecoder, keyCount: Int) throws(StateError) {
            let width = try d.int()
            guard width > 0, width <= 4096 else { throw d.invalid("a table's width \(width) is out of range") }
            try d.count(width, of: "a table's overflow flags")
            self.init(width: width)
            for c in 0..<width { overflowed[c] = try d.bool() }
            keys = try d.int32s()
            if try d.bool() {
                cells = try d.ints().map { Int128($0) }
            } else {
                let halves = try d.uint64s()
                guard halves.count % 2 == 0 else { throw d.invalid("a table's 128-bit cells come in pairs") }
                cells = (0..<(halves.count / 2)).map { Int128(Int64(bitPattern: halves[2 * $0 + 1])) << 64 | Int128(halves[2 * $0]) }
            }
            guard cells.count == keys.count * width, keys.allSatisfy({ $0 >= 0 && Int($0) < keyCount }),
                zip(keys, keys.dropFirst()).allSatisfy({ $0 < $1 })
            else { throw d.invalid("a table's keys are not ascending codes in range, or its cells do not match them") }
        }
    }
}

extension KeyedSums.Dense {
    func encode(to e: inout StateEncoder) { KeyedSums.Sparse(self).encode(to: &e) }

    /// A table over `keyCount` keys from a state.
    init(from d: inout StateDecoder, keyCount: Int) throws(StateError) {
        self = try KeyedSums.Sparse(from: &d, keyCount: keyCount).dense(keyCount: keyCount)
    }
}
