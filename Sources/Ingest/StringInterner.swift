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

    /// The first 16 bytes of a key as two little-endian words, zero padded. Whole-word loads only
    /// within the key (the last word overlapping the one before it), shifted into place: a
    /// byte-wise copy into a zeroed buffer stalled on store forwarding and was a quarter of the
    /// time of every lookup.
    @inline(__always)
    static func prefix(_ p: UnsafeRawPointer, _ n: Int) -> (UInt64, UInt64) {
        if n >= 16 {
            return (p.loadUnaligned(as: UInt64.self), p.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
        if n >= 8 {
            let k0 = p.loadUnaligned(as: UInt64.self)
            // Bytes n-8..<n, moved down so that byte 8 is the lowest; none when n == 8.
            let tail = p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            return (k0, n == 8 ? 0 : tail >> UInt64(8 * (16 - n)))
        }
        if n >= 4 {
            let lo = UInt64(p.loadUnaligned(as: UInt32.self))
            let hi = UInt64(p.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self))
            return (lo | (hi >> UInt64(8 * (8 - n))) << 32, 0)
        }
        if n == 0 { return (0, 0) }
        // 1-3 bytes: the first, the middle and the last (some of them the same byte).
        let b0 = UInt64(p.load(as: UInt8.self))
        let bm = UInt64(p.load(fromByteOffset: n / 2, as: UInt8.self)) << UInt64(8 * (n / 2))
        let bl = UInt64(p.load(fromByteOffset: n - 1, as: UInt8.self)) << UInt64(8 * (n - 1))
        return (b0 | bm | bl, 0)
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

    @inline(__always)
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let m = a.multipliedFullWidth(by: b)
        return m.high ^ m.low
    }

    /// A multiply-fold over the key's 8-byte words (wyhash-style mixing): the 16-byte prefix
    /// `intern` compares, then the later words, the last one overlapping the one before it.
    @inline(__always)
    static func hash(_ p: UnsafeRawPointer, _ n: Int) -> UInt64 {
        let (k0, k1) = prefix(p, n)
        var h = mix(k0 ^ 0x9E37_79B9_7F4A_7C15 ^ UInt64(n), k1 ^ 0xA076_1D64_78BD_642F)
        if n > 16 {
            var i = 16
            while i + 8 <= n {
                h = mix(h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self), 0xE703_7ED1_A0B4_28DB)
                i += 8
            }
            if i < n { h = mix(h ^ p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self), 0xE703_7ED1_A0B4_28DB) }
        }
        return mix(h, 0x8EBC_6AF0_9C88_C6E3)
    }

    /// The hash `intern` files `key` under. With `PrefetchTarget.prefetch(hash:)` and
    /// `intern(_:hash:)`, a parser asks for a key's cache lines as it reads the key, long before it
    /// interns it, so that the table's cache misses overlap the rest of the line.
    @inline(__always)
    public static func hash(of key: UnsafeRawBufferPointer) -> UInt64 {
        hash(key.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, key.count)
    }

    /// Where `intern` first looks for a hash, as bare addresses for prefetch hints: held by a
    /// parser while it reads a chunk, so that it can ask for an id's lines as soon as it reads the
    /// id without holding (and retaining) the table. The addresses are never dereferenced, only
    /// passed to the prefetch instruction, which cannot fault: once the table grows they point at
    /// freed memory and the hints are merely wasted until the next chunk takes a fresh target.
    public struct PrefetchTarget {
        let cache: UInt
        let slots: UInt
        let mask: Int

        @inline(__always)
        public func prefetch(hash h: UInt64) {
            receval_prefetch(
                UnsafeRawPointer(bitPattern: cache &+ UInt(truncatingIfNeeded: h >> 50) &* UInt(MemoryLayout<CacheEntry>.stride)))
            receval_prefetch(
                UnsafeRawPointer(bitPattern: slots &+ UInt(Int(truncatingIfNeeded: h) & mask) &* UInt(MemoryLayout<Slot>.stride)))
        }
    }

    /// The table's current prefetch target (see `PrefetchTarget`).
    public var prefetchTarget: PrefetchTarget {
        PrefetchTarget(
            cache: cache.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) },
            slots: slots.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }, mask: mask)
    }

    /// The code of `key`, inserting it if new.
    @inline(__always)
    public mutating func intern(_ key: UnsafeRawBufferPointer) -> Int32 {
        intern(key, hash: StringInterner.hash(of: key))
    }

    /// The code of `key`, whose `hash(of:)` is `h`, inserting it if new.
    ///
    /// A key found in the cache is answered inline, in the caller's loop (most item ids of a
    /// skewed log); the table is probed out of line.
    @inline(__always)
    public mutating func intern(_ key: UnsafeRawBufferPointer, hash h: UInt64) -> Int32 {
        let n = key.count
        if n <= 16 {
            let (k0, k1) = StringInterner.prefix(key.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, n)
            let e = cache.withUnsafeBufferPointer { $0[Int(truncatingIfNeeded: h >> 50)] }
            if e.length == UInt32(n) && e.k0 == k0 && e.k1 == k1 { return e.code }
        }
        return internProbing(key, hash: h)
    }

    /// `intern` past the cache: probes the table, inserting the key if new.
    @inline(never)
    mutating func internProbing(_ key: UnsafeRawBufferPointer, hash h: UInt64) -> Int32 {
        let n = key.count
        let kp = key.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        let tag = UInt32(truncatingIfNeeded: h >> 32)
        let (k0, k1) = StringInterner.prefix(kp, n)
        let ci = Int(truncatingIfNeeded: h >> 50)
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

extension StringInterner {
    /// How many keys ahead `codes(of:)` hashes and prefetches.
    static let lookahead = 8

    /// The code of every string of `column`, in order, inserting the new ones. Each key is hashed
    /// `lookahead` keys before it is interned and its slot's cache line asked for then, so the
    /// table's misses (a partition's request ids spread over megabytes of slots) overlap the
    /// work on the keys before it instead of following one another.
    mutating func codes(of column: ByteColumn) -> [Int32] {
        let n = column.count
        if n == 0 { return [] }
        let ahead = Self.lookahead
        return column.data.withUnsafeBytes { raw in
            column.offsets.withUnsafeBufferPointer { off in
                let base = raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
                @inline(__always) func key(_ i: Int) -> UnsafeRawBufferPointer {
                    UnsafeRawBufferPointer(start: base + Int(off[i]), count: Int(off[i + 1] &- off[i]))
                }
                var hashes = (0..<ahead).map { _ in UInt64(0) }
                var target = prefetchTarget
                for i in 0..<min(ahead, n) {
                    hashes[i] = Self.hash(of: key(i))
                    target.prefetch(hash: hashes[i])
                }
                return [Int32](unsafeUninitializedCapacity: n) { out, count in
                    for i in 0..<n {
                        let h = hashes[i % ahead]
                        if i + ahead < n {
                            let next = Self.hash(of: key(i + ahead))
                            hashes[i % ahead] = next
                            target.prefetch(hash: next)
                        }
                        let before = self.count
                        out[i] = intern(key(i), hash: h)
                        // A new key may have grown the table: ask for the fresh addresses.
                        if self.count != before { target = prefetchTarget }
                    }
                    count = n
                }
            }
        }
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

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
