#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An append-only byte buffer with a fixed capacity. Callers keep each line well below the
/// slack between the flush threshold and the capacity, so appends do not check bounds.
struct ByteWriter {
    let base: UnsafeMutablePointer<UInt8>
    let capacity: Int
    var len: Int = 0

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    func deallocate() { base.deallocate() }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: len) }

    @inline(__always)
    mutating func byte(_ b: UInt8) {
        base[len] = b
        len &+= 1
    }

    @inline(__always)
    mutating func lit(_ s: StaticString) {
        let n = s.utf8CodeUnitCount
        (base + len).update(from: s.utf8Start, count: n)
        len &+= n
    }

    @inline(__always)
    mutating func append(_ p: UnsafePointer<UInt8>, count n: Int) {
        (base + len).update(from: p, count: n)
        len &+= n
    }

    /// Lower-case hexadecimal, exactly `digits` digits (high bits beyond them are dropped).
    @inline(__always)
    mutating func hex(_ value: UInt64, digits: Int) {
        var v = value
        var i = digits &- 1
        while i >= 0 {
            let d = UInt8(truncatingIfNeeded: v & 15)
            base[len &+ i] = d < 10 ? d &+ 48 : d &+ 87
            v >>= 4
            i &-= 1
        }
        len &+= digits
    }

    /// Unsigned decimal.
    @inline(__always)
    mutating func u64(_ value: UInt64) {
        var n = 1
        var t = value / 10
        while t != 0 {
            n &+= 1
            t /= 10
        }
        var v = value
        var i = len &+ n &- 1
        repeat {
            base[i] = UInt8(truncatingIfNeeded: v % 10) &+ 48
            v /= 10
            i &-= 1
        } while v != 0
        len &+= n
    }

    /// Unsigned decimal left-padded with zeros to `width` digits.
    @inline(__always)
    mutating func padded(_ value: UInt64, width: Int) {
        var v = value
        var i = width &- 1
        while i >= 0 {
            base[len &+ i] = UInt8(truncatingIfNeeded: v % 10) &+ 48
            v /= 10
            i &-= 1
        }
        len &+= width
    }

    /// `value / 10^dec` in fixed point with trailing fractional zeros trimmed,
    /// keeping at least one fractional digit ("3.0", "0.25", "12.5").
    @inline(__always)
    mutating func fixed(_ value: UInt64, decimals dec: Int) {
        var p: UInt64 = 1
        for _ in 0..<dec { p &*= 10 }
        u64(value / p)
        var f = value % p
        if f == 0 {
            lit(".0")
            return
        }
        base[len] = 46  // "."
        len &+= 1
        var i = dec &- 1
        while i >= 0 {
            base[len &+ i] = UInt8(truncatingIfNeeded: f % 10) &+ 48
            f /= 10
            i &-= 1
        }
        var n = dec
        while n > 1 && base[len &+ n &- 1] == 48 { n &-= 1 }
        len &+= n
    }

    /// Replaces bytes `start..<end` with `replacement`, moving everything after them.
    mutating func replace(_ start: Int, _ end: Int, with replacement: UnsafeRawBufferPointer) {
        let tail = len &- end
        let newEnd = start &+ replacement.count
        if tail > 0 && newEnd != end {
            UnsafeMutableRawPointer(base + newEnd).copyMemory(from: base + end, byteCount: tail)
        }
        if replacement.count > 0 {
            UnsafeMutableRawPointer(base + start).copyMemory(
                from: replacement.baseAddress!, byteCount: replacement.count)
        }
        len = newEnd &+ tail
    }

    mutating func replace(_ start: Int, _ end: Int, with s: StaticString) {
        replace(start, end, with: UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }
}

// MARK: - Timestamps

/// 2026-01-27T00:00:00Z
let epochStart: Int64 = 1_769_472_000

/// Writes "YYYY-MM-DD?HH:MM:SS" (19 bytes, `sep` between date and time) for Unix time `t`.
@inline(__always)
func writeCivil(_ t: Int64, sep: UInt8, into p: UnsafeMutablePointer<UInt8>) {
    var days = t / 86400
    var sod = t - days * 86400
    if sod < 0 {
        sod += 86400
        days -= 1
    }
    // Civil-from-days (proleptic Gregorian).
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    var y = yoe + era * 400
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    if m <= 2 { y += 1 }
    @inline(__always) func two(_ v: Int64, _ at: Int) {
        p[at] = UInt8(truncatingIfNeeded: v / 10) &+ 48
        p[at + 1] = UInt8(truncatingIfNeeded: v % 10) &+ 48
    }
    p[0] = UInt8(truncatingIfNeeded: (y / 1000) % 10) &+ 48
    p[1] = UInt8(truncatingIfNeeded: (y / 100) % 10) &+ 48
    p[2] = UInt8(truncatingIfNeeded: (y / 10) % 10) &+ 48
    p[3] = UInt8(truncatingIfNeeded: y % 10) &+ 48
    p[4] = 45
    two(m, 5)
    p[7] = 45
    two(d, 8)
    p[10] = sep
    two(sod / 3600, 11)
    p[13] = 58
    two((sod / 60) % 60, 14)
    p[16] = 58
    two(sod % 60, 17)
}

/// Caches the quoted `"YYYY-MM-DDTHH:MM:SSZ"` rendering (22 bytes) of the last second seen.
struct TimestampCache {
    let text: UnsafeMutablePointer<UInt8>
    var second: Int64 = .min

    init() {
        text = .allocate(capacity: 22)
        text[0] = 34
        text[20] = 90  // Z
        text[21] = 34
    }

    func deallocate() { text.deallocate() }

    @inline(__always)
    mutating func write(_ t: Int64, into w: inout ByteWriter) {
        if t != second {
            writeCivil(t, sep: 84, into: text + 1)
            second = t
        }
        w.append(text, count: 22)
    }
}
