/// Order statistics without a full sort: the k-th smallest value of an array in expected linear
/// time (quickselect with median-of-three pivots), for quantiles of hundreds of millions of
/// weights where sorting would dominate a run.
public enum Selection {
    /// The values at the given 0-based ranks of `values` in ascending order (each rank
    /// `0..<values.count`). `values` is reordered.
    public static func ranks(_ ranks: [Int], of values: inout [Double]) -> [Double] {
        precondition(ranks.allSatisfy { $0 >= 0 && $0 < values.count }, "ranks lie inside the array")
        if values.count <= 1 << 16 {
            values.sort()
            return ranks.map { values[$0] }
        }
        return values.withUnsafeMutableBufferPointer { buffer in ranks.map { select($0, in: buffer) } }
    }

    static func select(_ k: Int, in a: UnsafeMutableBufferPointer<Double>) -> Double {
        var lo = 0
        var hi = a.count - 1
        while hi > lo {
            if hi - lo < 32 {
                // Insertion sort of the short range.
                for i in (lo + 1)...hi {
                    let x = a[i]
                    var j = i - 1
                    while j >= lo && a[j] > x {
                        a[j + 1] = a[j]
                        j -= 1
                    }
                    a[j + 1] = x
                }
                return a[k]
            }
            let mid = lo + (hi - lo) / 2
            if a[mid] < a[lo] { a.swapAt(mid, lo) }
            if a[hi] < a[lo] { a.swapAt(hi, lo) }
            if a[hi] < a[mid] { a.swapAt(hi, mid) }
            let pivot = a[mid]
            var i = lo
            var j = hi
            while i <= j {
                while a[i] < pivot { i += 1 }
                while a[j] > pivot { j -= 1 }
                if i <= j {
                    a.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j {
                hi = j
            } else if k >= i {
                lo = i
            } else {
                return a[k]
            }
        }
        return a[k]
    }
}
