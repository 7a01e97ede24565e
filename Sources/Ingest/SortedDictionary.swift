/// Sorted, distinct byte strings and, for each source interner, the map from its codes to the
/// sorted codes. Sorting makes codes depend only on the set of values, never on thread count or
/// arrival order, and lets readers binary-search a value.
public struct SortedDictionary: Sendable {
    public var offsets: [UInt32] = [0]
    public var data: [UInt8] = []
    public var remaps: [[Int32]] = []

    public var count: Int { offsets.count - 1 }

    /// Merges interners into one sorted dictionary.
    ///
    /// The first interner is the start of the union: the others' keys are interned into it, so
    /// its own keys are not hashed again (pass it uniquely referenced, and it is extended in
    /// place rather than copied). The codes it gives depend only on the set of keys.
    public init(merging interners: consuming [StringInterner]) {
        precondition(!interners.isEmpty, "at least one interner to merge")
        // Collect every distinct key once (a single interner already holds them once).
        var others = consume interners
        var all = others.removeFirst()
        var local: [[Int32]] = [(0..<Int32(all.count)).map { $0 }]
        for t in others {
            var m = [Int32](repeating: 0, count: t.count)
            t.arena.withUnsafeBytes { ar in
                for c in 0..<t.count {
                    let a = Int(t.offsets[c])
                    let b = Int(t.offsets[c + 1])
                    m[c] = all.intern(UnsafeRawBufferPointer(rebasing: ar[a..<b]))
                }
            }
            local.append(m)
        }
        let n = all.count
        // Sort by the first 16 bytes as big-endian integers, comparing whole keys only on ties.
        var keys = [SortKey]()
        keys.reserveCapacity(n)
        all.arena.withUnsafeBytes { ar in
            for c in 0..<n {
                let a = Int(all.offsets[c])
                let b = Int(all.offsets[c + 1])
                // The interner's zero-padded prefix words (little-endian loads), byte-swapped.
                let (k0, k1) = StringInterner.prefix((ar.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!) + a, b - a)
                keys.append(SortKey(w0: k0.byteSwapped, w1: k1.byteSwapped, code: Int32(c)))
            }
        }
        let offs = all.offsets
        Self.radixSort(&keys)
        // Keys that share their first 16 bytes are ordered by the rest of their bytes.
        all.arena.withUnsafeBytes { ar in
            var start = 0
            while start < n {
                var end = start + 1
                while end < n && keys[end].w0 == keys[start].w0 && keys[end].w1 == keys[start].w1 { end += 1 }
                if end - start > 1 {
                    keys[start..<end].sort { x, y in
                        let xa = Int(offs[Int(x.code)])
                        let xb = Int(offs[Int(x.code) + 1])
                        let ya = Int(offs[Int(y.code)])
                        let yb = Int(offs[Int(y.code) + 1])
                        return lexicographicallyLess(
                            UnsafeRawBufferPointer(rebasing: ar[xa..<xb]), UnsafeRawBufferPointer(rebasing: ar[ya..<yb]))
                    }
                }
                start = end
            }
        }
        let order = keys.map { Int($0.code) }
        var rank = [Int32](repeating: 0, count: n)
        data.reserveCapacity(all.arena.count)
        offsets.reserveCapacity(n + 1)
        for (sortedCode, code) in order.enumerated() {
            rank[code] = Int32(sortedCode)
            data.append(contentsOf: all.key(code))
            offsets.append(UInt32(data.count))
        }
        remaps = local.map { m in m.map { rank[Int($0)] } }
    }

    /// A key's first 16 bytes as big-endian words (zero padded), and its code.
    struct SortKey {
        var w0: UInt64
        var w1: UInt64
        var code: Int32
    }

    /// Sorts by `(w0, w1)`: stable least-significant-digit radix passes over the bytes of `w1`,
    /// then of `w0`, skipping every byte that all keys share (the `req_` of request ids, the
    /// padding of short keys). One pass counts every byte position; each pass after it only
    /// scatters. A partition's 60,000 request ids sort in about a fifth of the time of a
    /// comparison sort.
    static func radixSort(_ keys: inout [SortKey]) {
        let n = keys.count
        if n < 64 {
            keys.sort { ($0.w0, $0.w1) < ($1.w0, $1.w1) }
            return
        }
        // counts[p * 256 + b]: keys whose byte p (0-7 of w1 from the least significant, then
        // 8-15 of w0) is b.
        var counts = [Int](repeating: 0, count: 16 * 256)
        keys.withUnsafeBufferPointer { k in
            counts.withUnsafeMutableBufferPointer { c in
                for key in k {
                    for p in 0..<8 {
                        c[p * 256 + Int(truncatingIfNeeded: key.w1 >> UInt64(8 * p)) & 255] += 1
                        c[(p + 8) * 256 + Int(truncatingIfNeeded: key.w0 >> UInt64(8 * p)) & 255] += 1
                    }
                }
            }
        }
        var other = keys
        for p in 0..<16 {
            let base = p * 256
            // A byte every key shares leaves the order as it is.
            if (0..<256).contains(where: { counts[base + $0] == n }) { continue }
            var next = [Int](repeating: 0, count: 256)
            var sum = 0
            for b in 0..<256 {
                next[b] = sum
                sum += counts[base + b]
            }
            let shift = UInt64(8 * (p & 7))
            let high = p >= 8
            keys.withUnsafeBufferPointer { from in
                other.withUnsafeMutableBufferPointer { to in
                    next.withUnsafeMutableBufferPointer { nx in
                        for key in from {
                            let b = Int(truncatingIfNeeded: (high ? key.w0 : key.w1) >> shift) & 255
                            to[nx[b]] = key
                            nx[b] += 1
                        }
                    }
                }
            }
            swap(&keys, &other)
        }
    }
}

@inline(__always)
func lexicographicallyLess(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    let n = min(a.count, b.count)
    if n > 0 {
        let r = memcmp(a.baseAddress!, b.baseAddress!, n)
        if r != 0 { return r < 0 }
    }
    return a.count < b.count
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
