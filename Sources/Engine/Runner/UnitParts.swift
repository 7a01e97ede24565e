#if canImport(Glibc)
    import Glibc
#endif

/// Per-unit state taken in parts: when a pass's per-user sums would not fit the memory budget
/// (hundreds of millions of users), the users are split into consecutive ranges of codes and the
/// pass runs once per range, keeping only that range's users. What is computed from per-user
/// sums must then go on from part to part in user order (the bootstrap's replicate sums do:
/// `PoissonBootstrap.replicateSums(continuing:)`), so the result is the same bits for any
/// number of parts; each extra part costs one more pass over the dataset.
public enum UnitParts {
    /// Bytes of per-unit state a run holds at once: a quarter of the machine's memory.
    public static var budget: Int {
        #if canImport(Glibc)
            let pages = sysconf(Int32(_SC_PHYS_PAGES))
            let size = sysconf(Int32(_SC_PAGESIZE))
            if pages > 0 && size > 0 { return pages * size / 4 }
        #endif
        return 4 << 30
    }

    /// Units per part for `columns` exact sums per unit: 16 bytes each in the merged table and 8
    /// in its compacted copy (the bootstrap's input; they overlap while it is made), and about 48
    /// bytes of keys, arms and the in-flight partitions' row maps.
    public static func perPart(columns: Int, budget: Int = UnitParts.budget) -> Int {
        max(1 << 16, budget / (24 * columns + 48))
    }

    /// `units` codes in consecutive ranges of at most `perPart` (one empty range without units).
    public static func ranges(users units: Int, perPart: Int) -> [Range<Int>] {
        precondition(units >= 0 && perPart > 0, "a unit count and a positive part size")
        guard units > perPart else { return [0..<units] }
        return stride(from: 0, to: units, by: perPart).map { $0..<min($0 + perPart, units) }
    }
}
