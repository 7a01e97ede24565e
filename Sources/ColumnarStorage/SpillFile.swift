#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An anonymous scratch file for data that does not fit the memory budget. It has no name (it is
/// created with `O_TMPFILE`, or unlinked right after creation), so the kernel frees it when the
/// process ends, however it ends: no temporary file is ever left behind.
public final class SpillFile {
    private let fd: Int32
    public private(set) var size: UInt64 = 0
    private let directory: String

    public init(directory: String) throws(StorageError) {
        self.directory = directory
        #if os(Linux)
            let oTmpFile: Int32 = 0o20_000_000 | O_DIRECTORY
            var f = open(directory, oTmpFile | O_RDWR | O_CLOEXEC, 0o600)
        #else
            var f: Int32 = -1
        #endif
        if f < 0 {
            var template = Array((directory + "/.receval-spill-XXXXXX").utf8CString)
            f = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard f >= 0 else { throw .system(op: "create spill file in", path: directory, errno: errno) }
            template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        }
        fd = f
    }

    deinit { close(fd) }

    public func append(_ bytes: UnsafeRawBufferPointer) throws(StorageError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(size) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(op: "write spill file in", path: directory, errno: errno)
            }
            done += n
        }
        size += UInt64(bytes.count)
    }

    /// Reads `count` bytes at `offset`.
    public func read(offset: UInt64, count: Int) throws(StorageError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(op: "read spill file in", path: directory, errno: errno)
            }
            if n == 0 { throw .input(path: directory, reason: "spill file ended early") }
            done += n
        }
        return out
    }

    /// Returns the disk space of `count` bytes at `offset` that will not be read again (a hole
    /// punched with `fallocate`; the file keeps its size and other bytes). Best effort: where the
    /// file system cannot punch holes the space comes back when the file is closed, as before.
    public func discard(offset: UInt64, count: Int) {
        #if os(Linux)
            if count > 0 { _ = spillFallocate(fd, punchHoleKeepSize, off_t(offset), off_t(count)) }
        #endif
    }

    /// Drops the file's contents, returning its disk space.
    public func truncate() {
        _ = ftruncate(fd, 0)
        size = 0
    }
}

#if os(Linux)
    /// `FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE` from <linux/falloc.h>, which Glibc does not export.
    private let punchHoleKeepSize: Int32 = 0x02 | 0x01

    /// glibc's `fallocate(2)`.
    @_silgen_name("fallocate")
    private func spillFallocate(_ fd: Int32, _ mode: Int32, _ offset: off_t, _ length: off_t) -> Int32
#endif
