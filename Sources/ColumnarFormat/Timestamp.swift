/// Why a string is not an RFC 3339 date-time.
public struct TimestampParseError: Error, Sendable {
    public var reason: String
}

/// An RFC 3339 `date-time`: the instant in microseconds since the Unix epoch, the sub-microsecond
/// remainder in nanoseconds (0...999), and the UTC offset in minutes as written.
public struct Timestamp: Sendable, Equatable {
    public var micros: Int64
    public var nanos: Int32
    public var offsetMinutes: Int32

    public init(micros: Int64, nanos: Int32, offsetMinutes: Int32) {
        self.micros = micros
        self.nanos = nanos
        self.offsetMinutes = offsetMinutes
    }

    /// Go's zero `time.Time`, 0001-01-01T00:00:00Z: what recsys-eval's runtime reads for a record
    /// without `ts`, and everywhere treats as no time at all (SPEC §1.1).
    public static let goZero = Timestamp(micros: -62_135_596_800_000_000, nanos: 0, offsetMinutes: 0)

    /// The last microsecond RFC 3339 can write, 9999-12-31T23:59:59.999999Z.
    public static let latestMicros: Int64 = 253_402_300_799_999_999

    /// Whether this is Go's zero instant (written in any offset): recsys-eval's "no timestamp".
    public var isGoZero: Bool { Self.isGoZero(micros: micros, nanos: Int64(nanos)) }

    /// Whether the stored instant `ts_us`, `ts_ns` is Go's zero instant.
    @inline(__always)
    public static func isGoZero(micros: Int64, nanos: Int64) -> Bool { micros == goZero.micros && nanos == 0 }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)` (`T` and `Z` in either case),
    /// with up to 9 fraction digits. Returns a reason on failure.
    public static func parse(_ s: UnsafeRawBufferPointer) -> Result<Timestamp, TimestampParseError> {
        func fail(_ why: String) -> Result<Timestamp, TimestampParseError> {
            let text = String(decoding: s.prefix(64), as: UTF8.self)
            return .failure(
                TimestampParseError(reason: "must be an RFC 3339 date-time (e.g. 2026-01-27T10:00:00Z), got \"\(text)\": \(why)"))
        }
        let n = s.count
        func digits(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= n else { return nil }
            var v = 0
            for i in at..<(at + count) {
                let c = s[i]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard n >= 20 else { return fail("too short") }
        guard let y = digits(0, 4), s[4] == 0x2D, let mo = digits(5, 2), s[7] == 0x2D, let d = digits(8, 2) else {
            return fail("date must be YYYY-MM-DD")
        }
        guard s[10] == UInt8(ascii: "T") || s[10] == UInt8(ascii: "t") else { return fail("'T' expected between date and time") }
        guard let h = digits(11, 2), s[13] == 0x3A, let mi = digits(14, 2), s[16] == 0x3A, let sec = digits(17, 2) else {
            return fail("time must be HH:MM:SS")
        }
        guard mo >= 1 && mo <= 12 else { return fail("month \(mo) out of range") }
        guard d >= 1 && d <= daysInMonth(y, mo) else { return fail("day \(d) out of range for month \(mo)") }
        guard h <= 23 else { return fail("hour \(h) out of range") }
        guard mi <= 59 else { return fail("minute \(mi) out of range") }
        guard sec <= 59 else { return fail(sec == 60 ? "leap seconds are not supported" : "second \(sec) out of range") }
        var p = 19
        var frac: Int64 = 0  // nanoseconds
        if p < n && s[p] == UInt8(ascii: ".") {
            p += 1
            var count = 0
            while p < n && s[p] >= 48 && s[p] <= 57 {
                if count < 9 { frac = frac * 10 + Int64(s[p] - 48) }
                count += 1
                p += 1
            }
            guard count >= 1 else { return fail("digits expected after '.'") }
            guard count <= 9 else { return fail("more than 9 fraction digits (nanosecond precision)") }
            for _ in count..<9 { frac *= 10 }
        }
        guard p < n else { return fail("time zone offset (Z or +HH:MM) is missing") }
        var offset = 0
        if s[p] == UInt8(ascii: "Z") || s[p] == UInt8(ascii: "z") {
            p += 1
        } else if s[p] == UInt8(ascii: "+") || s[p] == UInt8(ascii: "-") {
            let sign = s[p] == UInt8(ascii: "-") ? -1 : 1
            guard let oh = digits(p + 1, 2), p + 3 < n, s[p + 3] == 0x3A, let om = digits(p + 4, 2) else {
                return fail("offset must be +HH:MM or -HH:MM")
            }
            guard oh <= 23 && om <= 59 else { return fail("offset out of range") }
            offset = sign * (oh * 60 + om)
            p += 6
        } else {
            return fail("time zone offset (Z or +HH:MM) is missing")
        }
        guard p == n else { return fail("unexpected characters after the offset") }
        let days = daysFromCivil(y, mo, d)
        let secs = Int64(days) * 86_400 + Int64(h * 3600 + mi * 60 + sec) - Int64(offset * 60)
        return .success(Timestamp(micros: secs * 1_000_000 + frac / 1000, nanos: Int32(frac % 1000), offsetMinutes: Int32(offset)))
    }

    /// Formats as RFC 3339 in the original offset, with the shortest fraction that keeps the
    /// instant (none, or up to 9 digits); offset 0 is written `Z`.
    public func formatted() -> String {
        let local = micros + Int64(offsetMinutes) * 60_000_000
        let secs = local >= 0 ? local / 1_000_000 : (local - 999_999) / 1_000_000
        let us = local - secs * 1_000_000
        let days = secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400
        let sod = Int(secs - days * 86_400)
        let (y, m, d) = Timestamp.civilFromDays(Int(days))
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return s.count >= w ? s : String(repeating: "0", count: w - s.count) + s
        }
        var out = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(sod / 3600, 2)):\(pad(sod / 60 % 60, 2)):\(pad(sod % 60, 2))"
        let ns = us * 1000 + Int64(nanos)
        if ns != 0 {
            var f = pad(Int(ns), 9)
            while f.hasSuffix("0") { f.removeLast() }
            out += "." + f
        }
        if offsetMinutes == 0 {
            out += "Z"
        } else {
            let a = abs(Int(offsetMinutes))
            out += (offsetMinutes < 0 ? "-" : "+") + pad(a / 60, 2) + ":" + pad(a % 60, 2)
        }
        return out
    }
}
