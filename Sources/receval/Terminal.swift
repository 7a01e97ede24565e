import ColumnarStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Standard error output and the progress line shown on it when it is a terminal.
enum Terminal {
    static var stderrIsTTY: Bool { isatty(2) == 1 }

    static func err(_ s: String) { write(2, Array(s.utf8)) }

    static func out(_ s: String) { write(1, Array(s.utf8)) }

    /// Writes all bytes to a file descriptor; a closed pipe ends the process quietly, as `head` expects.
    static func write(_ fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EPIPE { exit(0) }
                    return
                }
                done += n
            }
        }
    }

    /// Lets writes to a closed pipe fail with EPIPE (handled by `write`) instead of killing the process.
    static func ignoreBrokenPipe() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// Unblocks SIGINT and SIGTERM and gives them their default action (terminate).
    static func restoreDefaultInterrupts() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    /// The current UTC time as RFC 3339 with nanoseconds (trailing zeros trimmed).
    static func utcNow() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = time_t(ts.tv_sec)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        var s = "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
        s += "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))"
        var frac = pad(Int32(ts.tv_nsec), 9)
        while frac.hasSuffix("0") { frac.removeLast() }
        return s + (frac.isEmpty ? "" : "." + frac) + "Z"
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// A one-line progress bar (bytes, rows/s, ETA), redrawn at most 5 times a second, only on a
/// terminal.
struct ProgressBar {
    let enabled: Bool
    let start = Terminal.now()
    var last = 0.0
    var drawn = false

    init(enabled: Bool) { self.enabled = enabled && Terminal.stderrIsTTY }

    static func size(_ b: Double) -> String {
        if b >= 1e9 { return "\((b / 1e8).rounded() / 10) GB" }
        if b >= 1e6 { return "\((b / 1e5).rounded() / 10) MB" }
        return "\((b / 1e2).rounded() / 10) kB"
    }

    mutating func update(phase: String, done: UInt64, total: UInt64?, rows: Int) {
        guard enabled else { return }
        let t = Terminal.now()
        if t - last < 0.2 { return }
        last = t
        let elapsed = max(t - start, 1e-3)
        var line = "\r\u{1B}[2K\(phase) "
        if let total, total > 0 {
            let frac = min(1, Double(done) / Double(total))
            let width = 24
            let filled = Int(frac * Double(width))
            line += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            line += "\(Int(frac * 100))% \(ProgressBar.size(Double(done)))/\(ProgressBar.size(Double(total)))"
            if frac > 0.01 && frac < 1 {
                let eta = elapsed / frac - elapsed
                line += ", ETA \(Int(eta.rounded()))s"
            }
        } else {
            line += ProgressBar.size(Double(done))
        }
        line += ", \(Int(Double(rows) / elapsed / 1000)) k rows/s"
        Terminal.err(line)
        drawn = true
    }

    /// A progress line for scans of a dataset: bytes of column chunks read and the rate (a run
    /// makes one or more passes, so there is no total to count towards).
    static func scanObserver() -> ScanObserver {
        let start = Terminal.now()
        return ScanObserver { bytes in
            let elapsed = max(Terminal.now() - start, 1e-3)
            Terminal.err("\r\u{1B}[2Kscanning: \(size(Double(bytes))) of columns read, \(Int(Double(bytes) / elapsed / 1e6)) MB/s")
        }
    }

    mutating func finish() {
        if drawn { Terminal.err("\r\u{1B}[2K") }
        drawn = false
    }
}

/// Parses sizes such as `512M`, `1G`, `1.5GiB`, `800000000`.
func parseByteSize(_ s: String) -> Int? {
    let t = s.trimmingSuffixSpaces().uppercased()
    var digits = ""
    var unit = ""
    for c in t {
        if c.isNumber || c == "." { if unit.isEmpty { digits.append(c) } else { return nil } } else { unit.append(c) }
    }
    guard let v = Double(digits) else { return nil }
    let mult: Double
    switch unit {
    case "", "B": mult = 1
    case "K", "KB", "KIB": mult = 1024
    case "M", "MB", "MIB": mult = 1024 * 1024
    case "G", "GB", "GIB": mult = 1024 * 1024 * 1024
    case "T", "TB", "TIB": mult = 1024 * 1024 * 1024 * 1024
    default: return nil
    }
    return Int(v * mult)
}

extension String {
    func trimmingSuffixSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        while s.first == " " { s.removeFirst() }
        return s
    }
}

func defaultThreads() -> Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
