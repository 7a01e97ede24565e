#if canImport(Glibc)
    import Glibc
#endif

/// Transparent huge pages for large tables that a scan adds to at random (where the kernel
/// gives them on request: `madvise` mode, as on Debian).
enum HugePages {
    /// Tables smaller than this are left alone.
    static let threshold = 8 << 20

    /// Asks for huge pages over the whole 2 MiB pages inside `bytes` bytes at `base`, before they
    /// are first written. A hint: without transparent huge pages it changes nothing.
    static func advise(_ base: UnsafeMutableRawPointer, bytes: Int) {
        #if os(Linux)
            guard bytes >= threshold else { return }
            let page = 2 << 20
            let start = (Int(bitPattern: base) + page - 1) & ~(page - 1)
            let end = (Int(bitPattern: base) + bytes) & ~(page - 1)
            guard end > start, let p = UnsafeMutableRawPointer(bitPattern: start) else { return }
            _ = madvise(p, end - start, MADV_HUGEPAGE)
        #endif
    }
}
