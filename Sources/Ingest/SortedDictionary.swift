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
        // The other interners' codes in `all` (the first one's are its own).
        var local: [[Int32]] = []
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
        let arena = all.arena
        let offs = all.offsets
        var rank = [Int32]()
        var sortedData = [UInt8]()
        var sortedOffsets = [UInt32]()
        arena.withUnsafeBytes { ar in
            offs.withUnsafeBufferPointer { off in
                let base = ar.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
                @inline(__always) func key(_ c: Int) -> UnsafeRawBufferPointer {
                    UnsafeRawBufferPointer(start: base + Int(off[c]), count: Int(off[c + 1] &- off[c]))
                }
                // Sort by the first 16 bytes as big-endian integers (the interner's zero-padded
                // prefix words, byte-swapped), comparing whole keys only on ties.
                var keys = [SortKey](unsafeUninitializedCapacity: n) { k, count in
                    for c in 0..<n {
                        let (k0, k1) = StringInterner.prefix(base + Int(off[c]), Int(off[c + 1] &- off[c]))
                        k[c] = SortKey(w0: k0.byteSwapped, w1: k1.byteSwapped, code: Int32(c))
                    }
                    count = n
                }
                Self.radixSort(&keys)
                keys.withUnsafeMutableBufferPointer { k in
                    // Keys that share their first 16 bytes are ordered by the rest of their bytes.
                    var start = 0
                    while start < n {
                        var end = start + 1
                        while end < n && k[end].w0 == k[start].w0 && k[end].w1 == k[start].w1 { end += 1 }
                        if end - start > 1 {
                            var ties = UnsafeMutableBufferPointer(rebasing: k[start..<end])
                            ties.sort { x, y in
                                lexicographicallyLess(key(Int(x.code)), key(Int(y.code)))
                            }
                        }
                        start = end
                    }
                }
                // The sorted keys' bytes and offsets, and each code's sorted code.
                rank = [Int32](unsafeUninitializedCapacity: n) { r, count in
                    sortedData = [UInt8](unsafeUninitializedCapacity: arena.count) { d, dataCount in
                        sortedOffsets = [UInt32](unsafeUninitializedCapacity: n + 1) { o, offsetCount in
                            var at = 0
                            o[0] = 0
                            for (sortedCode, sk) in keys.enumerated() {
                                let code = Int(sk.code)
                                r[code] = Int32(sortedCode)
                                let bytes = key(code)
                                if bytes.count > 0 {
                                    UnsafeMutableRawPointer(d.baseAddress!).advanced(by: at).copyMemory(
                                        from: bytes.baseAddress!, byteCount: bytes.count)
                                }
                                at += bytes.count
                                o[sortedCode + 1] = UInt32(at)
                            }
                            offsetCount = n + 1
                            dataCount = at
                        }
                    }
                    count = n
                }
            }
        }
        data = sortedData
        offsets = sortedOffsets
        remaps = [rank] + local.map { m in m.map { rank[Int($0)] } }
    }

    /// A key's first 16 bytes as big-endian words (zero padded), and its code.
    struct SortKey {
        var w0: UInt64
        var w1: UInt64
        var code: Int32

        /// Byte `p` of the 16, from the most significant (`w0`'s top byte) to the least.
        @inline(__always)
        func byte(_ p: Int) -> Int {
            p < 8
                ? Int(truncatingIfNeeded: w0 &>> UInt64(56 - 8 * p)) & 255 : Int(truncatingIfNeeded: w1 &>> UInt64(120 - 8 * p)) & 255
        }

        @inline(__always)
        static func < (x: SortKey, y: SortKey) -> Bool { x.w0 < y.w0 || (x.w0 == y.w0 && x.w1 < y.w1) }
    }

    /// Sorts by `(w0, w1)`: a most-significant-digit radix sort over the bytes not every key
    /// shares (the `req_` of request ids, the padding of short keys are skipped), one counting
    /// and one scatter pass per level over each bucket, down to buckets of `smallBucket` keys
    /// or fewer, which are insertion-sorted. A partition's 60,000 request ids (hexadecimal
    /// digits) take three levels, where sorting byte by byte from the least significant took a
    /// scatter pass per varying byte (twelve).
    static func radixSort(_ keys: inout [SortKey]) {
        let n = keys.count
        if n < 2 { return }
        // The byte positions where some key differs from the first.
        var d0: UInt64 = 0
        var d1: UInt64 = 0
        let first = keys[0]
        for k in keys {
            d0 |= k.w0 ^ first.w0
            d1 |= k.w1 ^ first.w1
        }
        let differing = SortKey(w0: d0, w1: d1, code: 0)
        let positions = (0..<16).filter { differing.byte($0) != 0 }
        var other = keys
        keys.withUnsafeMutableBufferPointer { k in
            other.withUnsafeMutableBufferPointer { o in
                positions.withUnsafeBufferPointer { ps in
                    withUnsafeTemporaryAllocation(of: Int.self, capacity: 256) { counts in
                        sortRange(k.baseAddress!, o.baseAddress!, 0, n, ps, 0, counts)
                    }
                }
            }
        }
    }

    /// Buckets of at most this many keys are insertion-sorted.
    static let smallBucket = 32

    /// Sorts `k[lo..<hi]`, whose keys share their bytes at `positions[..<level]`, by their bytes
    /// at `positions[level...]` (the only ones that differ); `o` is scratch of the same size.
    static func sortRange(
        _ k: UnsafeMutablePointer<SortKey>, _ o: UnsafeMutablePointer<SortKey>, _ lo: Int, _ hi: Int,
        _ positions: UnsafeBufferPointer<Int>, _ level: Int, _ counts: UnsafeMutableBufferPointer<Int>
    ) {
        var level = level
        while true {
            let n = hi - lo
            if level == positions.count || n < 2 { return }
            if n <= smallBucket {
                for i in (lo + 1)..<hi {
                    let x = k[i]
                    var j = i
                    while j > lo && x < k[j - 1] {
                        k[j] = k[j - 1]
                        j -= 1
                    }
                    k[j] = x
                }
                return
            }
            let p = positions[level]
            counts.update(repeating: 0)
            for i in lo..<hi { counts[k[i].byte(p)] += 1 }
            // All in one bucket: the next byte, without moving anything.
            if counts[k[lo].byte(p)] == n {
                level += 1
                continue
            }
            var sum = lo
            for b in 0..<256 {
                let c = counts[b]
                counts[b] = sum
                sum += c
            }
            for i in lo..<hi {
                let b = k[i].byte(p)
                o[counts[b]] = k[i]
                counts[b] += 1
            }
            (k + lo).update(from: o + lo, count: n)
            // `counts[b]` is now the end of bucket b; each bucket is sorted on the next bytes.
            var start = lo
            var ends = [Int](repeating: 0, count: 256)
            for b in 0..<256 { ends[b] = counts[b] }
            for b in 0..<256 {
                let end = ends[b]
                if end - start > 1 { sortRange(k, o, start, end, positions, level + 1, counts) }
                start = end
            }
            return
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
