#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A read-only mapping of a byte range of an open file, unmapped when the last reference goes
/// away: input read without copying it (the page cache's pages are mapped, not copied into a
/// buffer as `read` does).
///
/// The pages are mapped when the region is made (`MAP_POPULATE` where there is one), on the
/// thread that makes it, so that the threads reading the bytes do not fault on them. The bytes
/// are reached only through `withBytes`, so no pointer outlives the mapping.
///
/// A file that shrinks while it is mapped takes the mapped pages past its new end with it, and
/// touching them raises `SIGBUS`: `InputFaultGuard` turns that into an error exit.
///
/// Invariant: `mapping` maps `lead + count` readable bytes from a page boundary, the range's
/// first byte `lead` bytes in (nil when `count` is 0).
public final class MappedRegion: @unchecked Sendable {
    public let count: Int
    private let mapping: UnsafeMutableRawPointer?
    private let lead: Int

    /// Maps `count` bytes of `fd` (the file at `path`, for messages) from `offset`.
    public init(fd: Int32, path: String, offset: Int, count: Int) throws(StorageError) {
        precondition(offset >= 0 && count >= 0, "a region is a range of the file")
        self.count = count
        if count == 0 {
            mapping = nil
            lead = 0
            return
        }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = offset / page * page
        lead = offset - start
        #if os(Linux)
            let flags = MAP_PRIVATE | MAP_POPULATE
        #else
            let flags = MAP_PRIVATE
        #endif
        let p = mmap(nil, lead + count, PROT_READ, flags, fd, off_t(start))
        guard let p, p != MAP_FAILED else { throw .system(op: "mmap", path: path, errno: errno) }
        mapping = p
    }

    deinit {
        if let mapping { munmap(mapping, lead + count) }
    }

    /// Calls `body` with the mapped bytes; the buffer must not escape the closure.
    @inline(__always)
    public func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: mapping.map { UnsafeRawPointer($0) + lead }, count: count))
    }
}
