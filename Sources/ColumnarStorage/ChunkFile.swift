import ColumnarFormat

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file read range by range with `pread` into reusable buffers: how a dataset reader reaches its
/// chunks.
///
/// Why copies rather than a memory mapping: a scan touches each chunk's bytes once, checks their
/// checksum and decodes them. Through a mapping, every page of that first touch is a page fault
/// that maps the page-cache page into the process (about a tenth of a join's CPU), and keeping
/// the peak bounded then needs each partition's pages dropped again (another syscall that walks
/// the page tables). A `pread` into a buffer that stays in the cache costs one copy and no fault;
/// nothing of the file becomes resident in the process, so a run's memory does not grow with
/// the dataset however large it is.
///
/// Memory: one buffer per concurrent reader (the scan's threads), each as large as the largest
/// range it was asked for (a chunk's stored bytes: about a megabyte at the writer's defaults),
/// at most `largestBuffered`. A larger range (a huge chunk, or a length a damaged file claims) is
/// mapped for the call instead: nothing is allocated for it, and a damaged length costs a
/// checksum mismatch, not the machine's memory.
///
/// Invariant that makes it `@unchecked Sendable`: `fd` is immutable and `pread` is safe from any
/// thread; `idle` is touched only under `lock`, and a borrowed buffer belongs to one caller
/// until it is handed back.
public final class ChunkFile: @unchecked Sendable {
    public let path: String
    /// The file's size in bytes when it was opened.
    public let count: Int
    private let fd: Int32
    private let lock = Mutex()
    private var idle: [UnsafeMutableRawBufferPointer] = []

    public init(path: String) throws(StorageError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(op: "open", path: path, errno: errno) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            throw .system(op: "stat", path: path, errno: e)
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw .input(path: path, reason: "not a regular file")
        }
        self.fd = fd
        count = Int(st.st_size)
    }

    deinit {
        close(fd)
        for b in idle { b.deallocate() }
    }

    /// Calls `body` with the bytes of `range` (which must lie inside the file), read into a
    /// buffer that is valid only inside the call. A read that fails or ends early (the file
    /// shrank since it was opened) is an error naming the file.
    public func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws(FormatError) -> R) throws(StorageError) -> R {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "the range lies inside the file")
        if range.count > ChunkFile.largestBuffered { return try withMapping(range, body) }
        let buffer = borrow(range.count)
        defer { giveBack(buffer) }
        var done = 0
        while done < range.count {
            let n = pread(fd, buffer.baseAddress! + done, range.count - done, off_t(range.lowerBound + done))
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw .system(op: "read", path: path, errno: errno) }
            if n == 0 {
                throw .corrupt(
                    path: path, reason: "the file ends at byte \(range.lowerBound + done), before \(range.upperBound): it shrank while open"
                )
            }
            done += n
        }
        do {
            return try body(UnsafeRawBufferPointer(start: buffer.baseAddress!, count: range.count))
        } catch {
            throw .corrupt(path: path, reason: error.description)
        }
    }

    /// The largest range read into a buffer (64 MiB); larger ones are mapped for the call.
    public static let largestBuffered = 64 << 20

    /// `body` on a read-only mapping of `range` (page-aligned around it), unmapped on return.
    private func withMapping<R>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws(FormatError) -> R) throws(StorageError)
        -> R
    {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = range.lowerBound / page * page
        let length = range.upperBound - start
        let p = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, off_t(start))
        guard let p, p != MAP_FAILED else { throw .system(op: "mmap", path: path, errno: errno) }
        defer { munmap(p, length) }
        do {
            return try body(UnsafeRawBufferPointer(start: p + (range.lowerBound - start), count: range.count))
        } catch {
            throw .corrupt(path: path, reason: error.description)
        }
    }

    /// Asks the kernel to start reading `range` into the page cache (a hint: it returns at
    /// once and changes no result). A scan that is about to read a region gives this first,
    /// since `pread` itself reads ahead only along a sequential stream, and a partition's columns
    /// are read as jumps between chunks. The advice walks every page of the range in the page
    /// cache, so it is worth giving only when some of it is not there (`isCached`).
    public func willNeed(_ range: Range<Int>) {
        let lo = max(range.lowerBound, 0)
        let hi = min(range.upperBound, count)
        guard hi > lo else { return }
        _ = posix_fadvise(fd, off_t(lo), off_t(hi - lo), POSIX_FADV_WILLNEED)
    }

    /// Whether `samples` pages spread evenly over the file are all in the page cache (`mincore`
    /// on a mapping that is never read through and is unmapped at once): a cheap guess at
    /// whether the whole file is. An empty file counts as cached.
    public func isCached(samples: Int = 64) -> Bool {
        guard count > 0 else { return true }
        let p = mmap(nil, count, PROT_READ, MAP_SHARED, fd, 0)
        guard let p, p != MAP_FAILED else { return false }
        defer { munmap(p, count) }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let pages = (count + page - 1) / page
        var resident: UInt8 = 0
        for k in 0..<max(samples, 1) {
            let at = pages <= 1 ? 0 : (pages - 1) * k / max(samples - 1, 1)
            if mincore(p + at * page, 1, &resident) != 0 || resident & 1 == 0 { return false }
        }
        return true
    }

    /// An idle buffer of at least `size` bytes (grown, or new, when none is that large).
    private func borrow(_ size: Int) -> UnsafeMutableRawBufferPointer {
        let found: UnsafeMutableRawBufferPointer? = lock.withLock {
            if let i = idle.lastIndex(where: { $0.count >= size }) { return idle.remove(at: i) }
            return idle.popLast()
        }
        if let found, found.count >= size { return found }
        found?.deallocate()
        return .allocate(byteCount: max(size, 4096), alignment: 64)
    }

    private func giveBack(_ buffer: UnsafeMutableRawBufferPointer) { lock.withLock { idle.append(buffer) } }
}
