import ColumnarFormat

/// An inclusive time window: a row is inside when its instant lies in `[start, end]`, compared
/// to the nanosecond (recsys-eval's offline `time_split.test`, SPEC section 5.5).
public struct TimeWindow: Sendable, Equatable {
    public var start: Timestamp
    public var end: Timestamp
    /// Whether Go's zero time stands for a missing `ts` (datasets read under the recsys-eval
    /// runtime contract, `EmptyStrings.isRuntimeContract`): such a row is in no window, even one
    /// that reaches back to year 1, as recsys-eval drops records without a timestamp (SPEC §5.5).
    public var excludesGoZeroTime = false

    public init(start: Timestamp, end: Timestamp) {
        precondition(!TimeWindow.before(end.micros, Int64(end.nanos), start), "window start must not be after its end")
        self.start = start
        self.end = end
    }

    /// Parses two RFC 3339 bounds; nil when either does not parse or start is after end.
    public init?(start: String, end: String) {
        func parse(_ s: String) -> Timestamp? {
            var b = Array(s.utf8)
            return b.withUnsafeMutableBytes { try? Timestamp.parse(UnsafeRawBufferPointer($0)).get() }
        }
        guard let a = parse(start), let b = parse(end), !TimeWindow.before(b.micros, Int64(b.nanos), a) else { return nil }
        self.start = a
        self.end = b
    }

    @inline(__always)
    static func before(_ us: Int64, _ ns: Int64, _ t: Timestamp) -> Bool {
        us < t.micros || (us == t.micros && ns < Int64(t.nanos))
    }

    @inline(__always)
    public func contains(micros us: Int64, nanos ns: Int64) -> Bool {
        !TimeWindow.before(us, ns, start) && !(us > end.micros || (us == end.micros && ns > Int64(end.nanos)))
            && !(excludesGoZeroTime && Timestamp.isGoZero(micros: us, nanos: ns))
    }

    /// Which rows of a table's `ts_us`/`ts_ns` columns lie in the window.
    public func mask(micros: [Int64], nanos: [Int64]) -> [Bool] {
        (0..<micros.count).map { contains(micros: micros[$0], nanos: nanos[$0]) }
    }
}
