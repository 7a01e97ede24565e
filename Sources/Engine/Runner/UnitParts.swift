import ColumnarStorage

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
    /// Bytes of per-unit state a run holds at once without `--memory-limit`: a quarter of the
    /// memory the process may use (the machine's, or its cgroup's limit when lower).
    public static var budget: Int {
        var memory = 16 << 30
        #if canImport(Glibc)
            let pages = sysconf(Int32(_SC_PHYS_PAGES))
            let size = sysconf(Int32(_SC_PAGESIZE))
            if pages > 0 && size > 0 { memory = pages * size }
        #endif
        if let limit = cgroupLimit, limit < memory { memory = limit }
        return memory / 4
    }

    /// The users a dataset holds: its `user_id` dictionary's entry count, from the footer (the
    /// dictionary itself is checked against it when a scan loads it).
    public static func users(_ reader: DatasetReader) throws(StorageError) -> Int {
        guard let d = reader.footer.dictionaries.first(where: { $0.name == "user_id" }) else {
            throw .corrupt(path: reader.path, reason: "dictionary user_id is missing")
        }
        // Codes are 32-bit: a larger count is a damaged footer (the scan would refuse it too).
        guard d.count <= UInt64(Int32.max) else {
            throw .corrupt(path: reader.path, reason: "dictionary user_id: the footer says \(d.count) entries, more than codes can number")
        }
        return Int(d.count)
    }

    /// Where a run in parts keeps its scratch files: `$TMPDIR`, else `/tmp`. The files have no
    /// name (`SpillFile`), so none is left behind however the run ends.
    public static var scratchDirectory: String {
        #if canImport(Glibc)
            if let p = getenv("TMPDIR"), p.pointee != 0 { return String(cString: p) }
        #endif
        return "/tmp"
    }

    /// The cgroup's memory limit (v2 `memory.max`, else v1 `memory.limit_in_bytes`), nil when
    /// there is none or it cannot be read.
    static var cgroupLimit: Int? {
        for path in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            guard let text = firstLine(of: path), let value = Int(text), value > 0 else { continue }
            return value
        }
        return nil
    }

    private static func firstLine(of path: String) -> String? {
        #if canImport(Glibc)
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 64)
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { return nil }
            return String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n").first.map(String.init)
        #else
            return nil
        #endif
    }

    /// Units per part for `columns` exact sums per unit on `threads` workers: 16 bytes each in
    /// the merged table and 8 in its compacted copy (the bootstrap's input, made while the table
    /// is alive), 4 per partition partial in flight (three per worker) for its row map, and
    /// about 48 of keys and arms.
    public static func perPart(columns: Int, threads: Int, budget: Int = UnitParts.budget) -> Int {
        precondition(columns > 0 && threads > 0, "at least one column and one thread")
        return max(1 << 16, budget / (24 * columns + 12 * threads + 48))
    }

    /// `units` codes in consecutive ranges of at most `perPart` (one empty range without units).
    public static func ranges(users units: Int, perPart: Int) -> [Range<Int>] {
        precondition(units >= 0 && perPart > 0, "a unit count and a positive part size")
        guard units > perPart else { return [0..<units] }
        return stride(from: 0, to: units, by: perPart).map { $0..<min($0 + perPart, units) }
    }
}
