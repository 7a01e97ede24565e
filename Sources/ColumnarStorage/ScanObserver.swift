#if canImport(Glibc)
    import Glibc
#endif

/// Counts the stored bytes a `DatasetReader` hands out and reports the running total to
/// `report` at most every `interval` seconds, from whichever thread crosses it: how long scans
/// show progress on a terminal. One observer belongs to one reader; nothing is global.
public final class ScanObserver: @unchecked Sendable {
    private let report: @Sendable (UInt64) -> Void
    private let interval: Double
    private let lock = Mutex()
    // Guarded by `lock`.
    private var bytes: UInt64 = 0
    private var lastReport = 0.0

    public init(interval: Double = 0.2, report: @escaping @Sendable (UInt64) -> Void) {
        precondition(interval >= 0, "interval is in seconds")
        self.interval = interval
        self.report = report
    }

    /// Stored bytes read so far.
    public var total: UInt64 { lock.withLock { bytes } }

    func add(_ n: UInt64) {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let t = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
        let (due, total) = lock.withLock { () -> (Bool, UInt64) in
            bytes += n
            let due = t - lastReport >= interval
            if due { lastReport = t }
            return (due, bytes)
        }
        if due { report(total) }
    }
}
