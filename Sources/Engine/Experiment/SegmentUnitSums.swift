/// Per-unit sums of every segment scope, as partitions are folded in. Each segment has its own
/// `UnitSums` (the units it has, in first-seen order), and one shared open-addressing table finds
/// a unit's slot in a segment from the (unit, segment) pair. A unit typically appears in a few of
/// the segments, so the table costs about 17 bytes per (unit, segment) pair (12 per entry at a
/// load of at most 0.7), where a slot map per segment cost 4 bytes per unit for every segment;
/// a lookup is one probe sequence, usually one cache miss, as the slot map's was.
struct SegmentUnitSums {
    let covariate: Bool
    /// Segment scopes in first-seen order, and each segment id's position there.
    private(set) var scopes: [UnitSums] = []
    private(set) var ids: [Int64] = []
    private var ordinalOfID: [Int64: Int32] = [:]
    /// Ordinals of segment ids below 2^16 (made on the first segment), without hashing.
    private var denseOrdinal: [Int32] = []
    /// The table: key (unit code << 20 | segment ordinal, +1; 0: empty) and slot of each entry.
    private var keys: [UInt64] = []
    private var slots: [Int32] = []
    private var used = 0
    /// The last segment looked up (rows of a request's segment often come together).
    private var lastID: Int64 = -1
    private var lastOrdinal: Int32 = -1

    init(covariate: Bool) { self.covariate = covariate }

    /// Adds one exposure of `unit` in segment `id`.
    mutating func add(segment id: Int64, unit: Int32, clicks: Int32, conversions: Int32, revenue: Double, covariate x: Double) {
        let ordinal = self.ordinal(of: id)
        let key = (UInt64(UInt32(bitPattern: unit)) << 20 | UInt64(ordinal)) + 1
        if used * 10 >= keys.count * 7 { grow() }
        let mask = keys.count - 1
        var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
        while keys[i] != 0 && keys[i] != key { i = (i + 1) & mask }
        let slot: Int
        if keys[i] == key {
            slot = Int(slots[i])
        } else {
            slot = scopes[Int(ordinal)].newSlot(unit: unit)
            keys[i] = key
            slots[i] = Int32(slot)
            used += 1
        }
        scopes[Int(ordinal)].add(slot: slot, clicks: clicks, conversions: conversions, revenue: revenue, covariate: x)
    }

    /// Doubles the table (at least 1,024 entries) and reinserts every entry.
    private mutating func grow() {
        let oldKeys = keys
        let oldSlots = slots
        let capacity = max(1024, keys.count * 2)
        keys = [UInt64](repeating: 0, count: capacity)
        slots = [Int32](repeating: 0, count: capacity)
        let mask = capacity - 1
        for (j, key) in oldKeys.enumerated() where key != 0 {
            var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
            while keys[i] != 0 { i = (i + 1) & mask }
            keys[i] = key
            slots[i] = oldSlots[j]
        }
    }

    private mutating func ordinal(of id: Int64) -> Int32 {
        if id == lastID { return lastOrdinal }
        if denseOrdinal.isEmpty { denseOrdinal = [Int32](repeating: -1, count: 1 << 16) }
        let dense = id >= 0 && id < Int64(denseOrdinal.count)
        let o: Int32
        if dense && denseOrdinal[Int(id)] >= 0 {
            o = denseOrdinal[Int(id)]
        } else if !dense, let known = ordinalOfID[id] {
            o = known
        } else {
            o = Int32(scopes.count)
            precondition(o < 1 << 20, "at most 2^20 segments")
            if dense { denseOrdinal[Int(id)] = o } else { ordinalOfID[id] = o }
            ids.append(id)
            scopes.append(UnitSums(covariate: covariate, slotMap: false))
        }
        lastID = id
        lastOrdinal = o
        return o
    }

    /// The segments' sums by id, the index dropped first (finishing needs only the sums).
    consuming func byID() -> [Int64: UnitSums] {
        keys = []
        slots = []
        var out: [Int64: UnitSums] = [:]
        for (i, id) in ids.enumerated() {
            out[id] = scopes[i]
            scopes[i] = UnitSums(covariate: covariate, slotMap: false)
        }
        return out
    }
}
