/// One slate's item indices in rank order, rewritten row after row in the same storage: a scan
/// reads millions of slates, and an array per slate would allocate and count references for
/// each. The storage never escapes: `items` is valid until the next `fill`.
final class SlateBuffer {
    private var storage: UnsafeMutablePointer<Int>
    private var capacity: Int
    private var count = 0

    init() {
        capacity = 64
        storage = .allocate(capacity: capacity)
    }

    deinit { storage.deallocate() }

    /// The current slate's item indices.
    var items: UnsafeBufferPointer<Int> { UnsafeBufferPointer(start: storage, count: count) }

    /// Sets the slate to the items `first..<end` sorted by `rank` (stable: equal ranks keep their
    /// logged order), truncated to `topK` items (0: all).
    func fill(_ first: Int, _ end: Int, rank: [Int64], topK: Int) {
        precondition(first <= end && end <= rank.count, "the items lie inside the column")
        let n = end - first
        if n > capacity {
            storage.deallocate()
            capacity = max(n, 2 * capacity)
            storage = .allocate(capacity: capacity)
        }
        let s = storage
        for k in 0..<n { s[k] = first + k }
        rank.withUnsafeBufferPointer { r in
            var sorted = true
            if n > 1 { for j in first..<(end - 1) where r[j] > r[j + 1] { sorted = false } }
            guard !sorted else { return }
            if n <= 64 {
                // Insertion sort: stable, and the fastest for the few items of a slate.
                for i in 1..<n {
                    let x = s[i]
                    var k = i
                    while k > 0 && r[s[k - 1]] > r[x] {
                        s[k] = s[k - 1]
                        k -= 1
                    }
                    s[k] = x
                }
            } else {
                let order = (first..<end).sorted { (r[$0], $0) < (r[$1], $1) }
                for (k, j) in order.enumerated() { s[k] = j }
            }
        }
        count = topK > 0 ? min(n, topK) : n
    }
}
