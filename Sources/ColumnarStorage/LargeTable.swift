#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension Array where Element: BitwiseCopyable {
    /// `count` copies of `value` in memory the kernel may back with 2 MiB pages (Linux's
    /// transparent huge pages, asked for with `madvise(MADV_HUGEPAGE)` before the first write).
    ///
    /// For tables of many megabytes, allocated once and read and written at random (a fitted
    /// model's cells per item and slot, per-unit sums): with 4 KiB pages nearly every access also
    /// misses the TLB, and a page walk costs about as much as the cache miss itself. Smaller
    /// tables, and systems without huge pages, get an ordinary array; the contents are the same
    /// either way. Not for tables that grow by reallocation under memory pressure: when free
    /// memory is short (a page cache full of input), each huge-page fault may wait for the kernel
    /// to compact memory; ingest's interners did, and a 10M ingest under `--memory-limit 1G` went
    /// from 35 to 51 s, 22 s of it in the kernel.
    public init(largeTableRepeating value: Element, count: Int) {
        precondition(count >= 0, "a count of at least 0")
        let bytes = count * MemoryLayout<Element>.stride
        guard bytes >= LargeTable.minimumBytes else {
            self.init(repeating: value, count: count)
            return
        }
        self.init(unsafeUninitializedCapacity: count) { buffer, initialized in
            LargeTable.adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            buffer.initialize(repeating: value)
            initialized = count
        }
    }
}

/// The huge-page advice behind `Array(largeTableRepeating:count:)`.
public enum LargeTable {
    /// Tables below this size gain little from huge pages (they fit a few TLB entries anyway).
    public static let minimumBytes = 4 << 20
    static let hugePage = 2 << 20

    /// Advises the 2 MiB-aligned pages wholly inside `region` as huge-page candidates. A hint: it
    /// changes no contents, and failure (no THP support) leaves ordinary pages.
    static func adviseHugePages(_ region: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
            guard let base = region.baseAddress else { return }
            let start = (Int(bitPattern: base) + hugePage - 1) / hugePage * hugePage
            let end = (Int(bitPattern: base) + region.count) / hugePage * hugePage
            guard end > start, let p = UnsafeMutableRawPointer(bitPattern: start) else { return }
            _ = madvise(p, end - start, MADV_HUGEPAGE)
        #endif
    }
}
