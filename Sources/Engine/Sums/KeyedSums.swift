/// Sums of `width` values per key of a large key space (items, users) gathered in one
/// partition. Only the keys the partition touches get a row, so a partial stays as small as its
/// partition's data; partials are then added into one dense table in partition order, which
/// keeps the result independent of the thread count.
public struct KeyedSums: Sendable {
    public let width: Int
    /// The keys touched, in first-touch order; row `r` of `values` belongs to `keys[r]`.
    public private(set) var keys: [Int32] = []
    public private(set) var values: [Double] = []
    private var slot: [Int32]

    public init(keyCount: Int, width: Int) {
        precondition(keyCount >= 0 && width > 0, "a key space and at least one value per key")
        self.width = width
        slot = [Int32](repeating: -1, count: keyCount)
    }

    /// The first index of `key`'s row in `values`, creating the row on first use.
    @inline(__always)
    public mutating func row(_ key: Int32) -> Int {
        let s = slot[Int(key)]
        if s >= 0 { return Int(s) * width }
        slot[Int(key)] = Int32(keys.count)
        keys.append(key)
        values.append(contentsOf: repeatElement(0, count: width))
        return (keys.count - 1) * width
    }

    @inline(__always)
    public mutating func add(_ key: Int32, _ column: Int, _ x: Double) {
        let r = row(key)
        values[r + column] += x
    }

    @inline(__always)
    public mutating func add(row r: Int, _ column: Int, _ x: Double) { values[r + column] += x }

    /// Frees the key map once the partition is done (the partial then holds only its rows).
    public mutating func seal() { slot = [] }

    /// Adds every row into `dense` (`keyCount × width`, key-major).
    public func add(into dense: inout [Double]) {
        for (r, key) in keys.enumerated() {
            let base = Int(key) * width
            for c in 0..<width { dense[base + c] += values[r * width + c] }
        }
    }

    /// Adds partials in order into one dense table over `keyCount` keys and returns the keys
    /// whose first column is positive (a count), with their rows side by side.
    public static func merged(_ partials: [KeyedSums], keyCount: Int, width: Int) -> (keys: [UInt64], rows: [Double]) {
        var dense = [Double](repeating: 0, count: keyCount * width)
        for p in partials {
            precondition(p.width == width, "partials of one width")
            p.add(into: &dense)
        }
        return compacted(dense, width: width)
    }

    /// The keys of a dense table (`width` sums per key) whose first sum is positive, with their rows.
    public static func compacted(_ dense: [Double], width: Int) -> (keys: [UInt64], rows: [Double]) {
        precondition(width > 0 && dense.count % width == 0, "whole rows")
        let keyCount = dense.count / width
        var keys: [UInt64] = []
        var rows: [Double] = []
        for k in 0..<keyCount where dense[k * width] > 0 {
            keys.append(UInt64(k))
            rows += dense[(k * width)..<((k + 1) * width)]
        }
        return (keys, rows)
    }
}
