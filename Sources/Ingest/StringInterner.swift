import CPrefetch

/// Maps byte strings to dense `Int32` codes in order of first appearance (exact: keys are compared
/// byte for byte, never by hash alone).
///
/// Open addressing with linear probing at load <= 0.5; each slot holds the hash and the code, and
/// the keys live in one arena. Measured on this machine, such a table interns 10-15 M keys/s,
/// 6-8x `Dictionary<String, Int32>`.
public struct StringInterner: Sendable {
    /// One probe touches one slot; keys of up to 16 bytes are compared inside the slot, longer
    /// ones also touch their bytes in `arena`.
    struct Slot {
        var k0: UInt64  // key bytes 0..<8, zero padded
        var k1: UInt64  // key bytes 8..<16, zero padded
        var code: UInt32  // code + 1; 0 marks an empty slot
        var length: UInt32
        var offset: UInt32  // key bytes in `arena`
        var tag: UInt32  // high 32 bits of the hash
    }
    private var slots: [Slot]
    private var mask: Int
    public private(set) var offsets: [UInt32] = [0]
    public private(set) var arena: [UInt8] = []

    static let empty = Slot(k0: 0, k1: 0, code: 0, length: 0, offset: 0, tag: 0)

    /// A direct-mapped cache of recently seen short keys (384 KiB, L2-resident) in front
    /// of the table: skewed keys such as Zipf-distributed item ids mostly hit here.
    struct CacheEntry {
        var k0: UInt64
        var k1: UInt64
        var length: UInt32
        var code: Int32
    }
    private var cache = [CacheEntry](repeating: CacheEntry(k0: 0, k1: 0, length: UInt32.max, code: 0), count: 16_384)

    public init(capacity: Int = 1024) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        slots = [Slot](repeating: StringInterner.empty, count: n)
        mask = n - 1
    }

    /// The first 16 bytes of a key as two little-endian words, zero padded.
    @inline(__always)
    static func prefix(_ p: UnsafeRawPointer, _ n: Int) -> (UInt64, UInt64) {
        if n >= 16 {
            return (p.loadUnaligned(as: UInt64.self), p.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
        var w = (UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &w) { $0.baseAddress!.copyMemory(from: p, byteCount: n) }
        return w
    }

    public var count: Int { offsets.count - 1 }

    /// Tables of at least this many slots fill to 3/4 before doubling, smaller ones to 1/2: a
    /// dictionary of millions of users then takes half the memory (a hit still probes about 2.5
    /// slots on average), while the small, hot ones stay sparse.
    static let denseSlots = 1 << 20

    /// Bytes held: the slot table, the keys, their offsets and the cache.
    public var byteSize: Int {
        slots.capacity * MemoryLayout<Slot>.stride + arena.capacity + offsets.capacity * 4 + cache.capacity
            * MemoryLayout<CacheEntry>.stride
    }

    @inlinable
    static func hash(_ p: UnsafeRawPointer, _ n: Int) -> UInt64 {
        // A multiply-fold over 8-byte words (wyhash-style mixing).
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
        var i = 0
        while i + 8 <= n {
            let w = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let m = (h ^ w).multipliedFullWidth(by: 0xA076_1D64_78BD_642F)
            h = m.high ^ m.low
            i += 8
        }
        if i < n {
            var w: UInt64 = 0
            var s: UInt64 = 0
            while i < n {
                w |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << s
                s += 8
                i += 1
            }
            let m = (h ^ w).multipliedFullWidth(by: 0xE703_7ED1_A0B4_28DB)
            h = m.high ^ m.low
        }
        let m = h.multipliedFullWidth(by: 0x8EBC_6AF0_9C88_C6E3)
        return m.high ^ m.low
    }

    /// The hash `intern` files `key` under. With `prefetch(hash:)` and `intern(_:hash:)`, a caller
    /// with several keys at hand (the items of an exposure) asks for all their cache lines before
    /// interning the first, so that the table's cache misses overlap instead of stalling in turn.
    @inline(__always)
    public static func hash(of key: UnsafeRawBufferPointer) -> UInt64 {
        hash(key.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, key.count)
    }

    /// Asks for the cache lines `intern(_:hash:)` reads first: the key's cache entry and its home
    /// slot. A hint only: it changes nothing.
    @inline(__always)
    public func prefetch(hash h: UInt64) {
        cache.withUnsafeBufferPointer { receval_prefetch($0.baseAddress! + Int(truncatingIfNeeded: h >> 50)) }
        slots.withUnsafeBufferPointer { receval_prefetch($0.baseAddress! + (Int(truncatingIfNeeded: h) & mask)) }
    }

    /// The code of `key`, inserting it if new.
    @inline(__always)
    public mutating func intern(_ key: UnsafeRawBufferPointer) -> Int32 {
        intern(key, hash: StringInterner.hash(of: key))
    }

    /// The code of `key`, whose `hash(of:)` is `h`, inserting it if new.
    public mutating func intern(_ key: UnsafeRawBufferPointer, hash h: UInt64) -> Int32 {
        let n = key.count
        let kp = key.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        let tag = UInt32(truncatingIfNeeded: h >> 32)
        let (k0, k1) = n == 0 ? (0, 0) : StringInterner.prefix(kp, n)
        let ci = Int(truncatingIfNeeded: h >> 50)
        if n <= 16 {
            let e = cache.withUnsafeBufferPointer { $0[ci] }
            if e.length == UInt32(n) && e.k0 == k0 && e.k1 == k1 { return e.code }
        }
        let m = mask
        var i = Int(truncatingIfNeeded: h) & m
        let found: Int32 = slots.withUnsafeBufferPointer { sl in
            while true {
                let s = sl[i]
                if s.code == 0 { return -1 }
                if s.k0 == k0 && s.k1 == k1 && Int(s.length) == n && s.tag == tag {
                    if n <= 16 { return Int32(s.code - 1) }
                    let same = arena.withUnsafeBytes { ar in
                        memcmpBytes(ar.baseAddress! + Int(s.offset) + 16, kp + 16, n - 16)
                    }
                    if same { return Int32(s.code - 1) }
                }
                i = (i + 1) & m
            }
        }
        if found >= 0 {
            if n <= 16 { cache[ci] = CacheEntry(k0: k0, k1: k1, length: UInt32(n), code: found) }
            return found
        }
        let code = count
        precondition(code < Int(Int32.max) - 1, "dictionary exceeds 2^31 entries")
        let offset = arena.count
        arena.append(contentsOf: key)
        precondition(arena.count <= Int(UInt32.max), "dictionary exceeds 4 GiB of text")
        offsets.append(UInt32(arena.count))
        slots[i] = Slot(k0: k0, k1: k1, code: UInt32(code + 1), length: UInt32(n), offset: UInt32(offset), tag: tag)
        if n <= 16 { cache[ci] = CacheEntry(k0: k0, k1: k1, length: UInt32(n), code: Int32(code)) }
        if count * 2 > slots.count && (slots.count < StringInterner.denseSlots || count * 4 > slots.count * 3) { grow() }
        return Int32(code)
    }

    private mutating func grow() {
        let n = slots.count * 2
        var fresh = [Slot](repeating: StringInterner.empty, count: n)
        let m = n - 1
        for old in slots where old.code != 0 {
            let code = Int(old.code - 1)
            let a = Int(offsets[code])
            let b = Int(offsets[code + 1])
            let h = arena.withUnsafeBytes { ar in
                StringInterner.hash(ar.baseAddress.map { $0 + a } ?? UnsafeRawPointer(bitPattern: 1)!, b - a)
            }
            var i = Int(truncatingIfNeeded: h) & m
            while fresh[i].code != 0 { i = (i + 1) & m }
            fresh[i] = old
        }
        slots = fresh
        mask = m
    }

    public func key(_ code: Int) -> ArraySlice<UInt8> { arena[Int(offsets[code])..<Int(offsets[code + 1])] }

    /// Releases memory.
    public mutating func removeAll() {
        self = StringInterner()
    }
}

@inline(__always)
func memcmpBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
    var i = 0
    while i + 8 <= n {
        if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
        i += 8
    }
    while i < n {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        i += 1
    }
    return true
}

/// Sorted, distinct byte strings and, for each source interner, the map from its codes to the
/// sorted codes. Sorting makes codes depend only on the set of values, never on thread count or
/// arrival order, and lets readers binary-search a value.
public struct SortedDictionary: Sendable {
    public var offsets: [UInt32] = [0]
    public var data: [UInt8] = []
    public var remaps: [[Int32]] = []

    public var count: Int { offsets.count - 1 }

    /// Merges interners into one sorted dictionary.
    public init(merging interners: [StringInterner]) {
        // Collect every distinct key once (a single interner already holds them once).
        var all: StringInterner
        var local: [[Int32]] = []
        if interners.count == 1 {
            all = interners[0]
            local = [(0..<Int32(all.count)).map { $0 }]
        } else {
            all = StringInterner(capacity: interners.map(\.count).max() ?? 16)
        }
        for t in interners where interners.count > 1 {
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
        struct SortKey {
            var w0: UInt64
            var w1: UInt64
            var code: Int32
        }
        var keys = [SortKey]()
        keys.reserveCapacity(n)
        all.arena.withUnsafeBytes { ar in
            for c in 0..<n {
                let a = Int(all.offsets[c])
                let b = Int(all.offsets[c + 1])
                var w0: UInt64 = 0
                var w1: UInt64 = 0
                for j in 0..<min(16, b - a) {
                    let byte = UInt64(ar[a + j])
                    if j < 8 { w0 |= byte << UInt64(56 - 8 * j) } else { w1 |= byte << UInt64(56 - 8 * (j - 8)) }
                }
                keys.append(SortKey(w0: w0, w1: w1, code: Int32(c)))
            }
        }
        let offs = all.offsets
        all.arena.withUnsafeBytes { ar in
            keys.sort { x, y in
                if x.w0 != y.w0 { return x.w0 < y.w0 }
                if x.w1 != y.w1 { return x.w1 < y.w1 }
                let xa = Int(offs[Int(x.code)])
                let xb = Int(offs[Int(x.code) + 1])
                let ya = Int(offs[Int(y.code)])
                let yb = Int(offs[Int(y.code) + 1])
                return lexicographicallyLess(UnsafeRawBufferPointer(rebasing: ar[xa..<xb]), UnsafeRawBufferPointer(rebasing: ar[ya..<yb]))
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
