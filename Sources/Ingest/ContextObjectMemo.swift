/// Whole `context` objects met recently, by their exact bytes, with the dictionary codes of their
/// pairs: log lines repeat a few hundred combinations of a handful of keys (the generated logs:
/// 840 distinct objects in 200,000 lines), and comparing the object's bytes with one remembered
/// object is several times cheaper than reading its pairs and coding each one.
///
/// What makes a remembered object safe to reuse: it is stored only when its parse took the plain
/// path for every pair (no escapes, no nulls, nothing noted) and ended at the object's first `}`
/// byte. The parse reads nothing past that byte, so any later object whose bytes up to its own
/// first `}` are the same bytes parses to the same pairs, and interning is idempotent, so its
/// codes are the ones the worker's dictionaries would give again. Output never depends on
/// whether an object was found here.
///
/// Direct-mapped, `slotCount` slots of at most `maxBytes` bytes and `maxPairs` pairs (about
/// 200 KiB, allocated at the first lookup). A worker whose objects rarely repeat (an id in every
/// context) stops looking after a window of `window` lookups that found fewer than a quarter.
struct ContextObjectMemo {
    static let slotCount = 1024
    static let maxBytes = 128
    static let maxPairs = 8
    static let window = 4096

    /// Off until the owner turns it on (`WorkerState`, whose parser appends rows to its
    /// interners' codes); a parser that never appends never stores an object.
    var enabled = false
    /// The object bytes' length per slot (0: empty slot).
    private var lengths: [Int32] = []
    private var pairCounts: [Int32] = []
    private var bytes: [UInt8] = []
    /// Per slot, `maxPairs` key codes then `maxPairs` value codes.
    private var codes: [Int32] = []
    private var lookups = 0
    private var hits = 0

    /// The slot for the `n` bytes at `p` (a hash's top bits).
    @inline(__always)
    static func slot(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        Int(truncatingIfNeeded: StringInterner.hash(UnsafeRawPointer(p), n) >> 54)
    }

    /// Whether `slot` holds exactly the `n` bytes at `p`; counts the lookup, and turns the memo
    /// off at the end of a window that found too little.
    @inline(__always)
    mutating func holds(_ slot: Int, _ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        precondition(n > 0 && n <= Self.maxBytes, "remembered objects are 1 to maxBytes bytes")
        if lengths.isEmpty {
            lengths = [Int32](repeating: 0, count: Self.slotCount)
            pairCounts = [Int32](repeating: 0, count: Self.slotCount)
            bytes = [UInt8](repeating: 0, count: Self.slotCount * Self.maxBytes)
            codes = [Int32](repeating: 0, count: Self.slotCount * Self.maxPairs * 2)
        }
        lookups += 1
        let found =
            Int(lengths[slot]) == n && bytes.withUnsafeBytes { sameBytes($0.baseAddress! + slot * Self.maxBytes, UnsafeRawPointer(p), n) }
        if found { hits += 1 }
        if lookups == Self.window {
            if hits < Self.window / 4 { enabled = false }
            lookups = 0
            hits = 0
        }
        return found
    }

    /// The number of pairs of the object in `slot`.
    @inline(__always)
    func pairCount(_ slot: Int) -> Int { Int(pairCounts[slot]) }

    /// Remembers the `n` bytes at `p` in `slot` (replacing what it held), with their pairs' codes.
    mutating func store(_ slot: Int, _ p: UnsafePointer<UInt8>, _ n: Int, keys: ArraySlice<Int32>, values: ArraySlice<Int32>) {
        precondition(n > 0 && n <= Self.maxBytes && !lengths.isEmpty, "a stored object follows its lookup")
        precondition(keys.count == values.count && keys.count <= Self.maxPairs, "at most maxPairs pairs")
        lengths[slot] = Int32(n)
        pairCounts[slot] = Int32(keys.count)
        bytes.withUnsafeMutableBytes { $0.baseAddress!.advanced(by: slot * Self.maxBytes).copyMemory(from: p, byteCount: n) }
        let base = slot * Self.maxPairs * 2
        for (i, k) in keys.enumerated() { codes[base + i] = k }
        for (i, v) in values.enumerated() { codes[base + Self.maxPairs + i] = v }
    }

    /// Appends the codes of the object in `slot` to `keys` and `values`.
    @inline(__always)
    func appendCodes(_ slot: Int, to keys: inout [Int32], _ values: inout [Int32]) {
        let n = Int(pairCounts[slot])
        let base = slot * Self.maxPairs * 2
        for i in 0..<n {
            keys.append(codes[base + i])
            values.append(codes[base + Self.maxPairs + i])
        }
    }
}
