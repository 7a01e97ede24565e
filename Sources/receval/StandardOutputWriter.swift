import ColumnarStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Data (not messages) to standard output, as `gen --out -` writes logs into a pipe. Unlike
/// `Terminal.out`, a failed write, a closed pipe included, is an error: the reader did not get
/// every line, and the exit status must say so.
enum StandardOutputWriter {
    static func write(_ bytes: UnsafeRawBufferPointer) throws(StorageError) {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(1, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(op: "write", path: "standard output", errno: errno)
            }
            done += n
        }
    }
}
