#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A byte range holding a decoded JSON string: either a slice of the input line (no escapes) or
/// of the cursor's scratch space. Valid until the next line is parsed.
public struct ByteRef: BitwiseCopyable {
    public var start: UnsafePointer<UInt8>
    public var count: Int

    @inline(__always)
    public var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: start, count: count) }

    @inline(__always)
    func equals(_ s: StaticString) -> Bool {
        s.utf8CodeUnitCount == count && sameBytes(UnsafeRawPointer(start), UnsafeRawPointer(s.utf8Start), count)
    }
}

/// Whether `n` bytes at `a` and `b` are equal: short runs by word loads that stay within both
/// (two overlapping loads cover 4 to 16 bytes), longer ones by `memcmp`. With `b` a literal and
/// `n` its length, the loads from `b` fold into constants.
@inline(__always)
func sameBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
    switch n {
    case 8...16:
        return a.loadUnaligned(as: UInt64.self) == b.loadUnaligned(as: UInt64.self)
            && a.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
    case 4..<8:
        return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
            && a.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self) == b.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
    case 1..<4:
        for i in 0..<n where a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        return true
    case 0:
        return true
    default:
        return memcmp(a, b, n) == 0
    }
}

/// A parsed JSON number: its correctly rounded double and, when it is a mathematical integer
/// that fits, its exact `Int64` value.
public struct JSONNumber {
    public var double: Double
    /// The value as an integer when it is a whole number in range (`1`, `1.0` and `1e0` alike).
    public var integer: Int64?
    /// Whether it was written as an integer (no fraction, no exponent) that fits an Int64: what
    /// Go's `encoding/json` can read into an `int`.
    public var isPlainInteger = false
}

/// A schema-driven JSON scanner over one line (RFC 8259): it validates as it goes (grammar,
/// escapes, `\u` surrogate pairs, UTF-8), decodes strings into scratch only when they hold escapes,
/// and reports errors with the field path supplied by the caller.
///
/// Invariant: `base[0..<end]` is readable and `scratch` has room for `end` bytes, which bounds any
/// decoded string of the line.
///
/// The line may also be given as everything from its first byte to the end of its chunk (the
/// line and the lines after it): a line feed is never read as whitespace, never part of a
/// string (a control character) or of a number or literal, so a parse stops at the line's end
/// exactly where it would stop at `end`, and `expectEnd` accepts a line feed as the end. A parse
/// that succeeds so has read exactly the line; one that fails may name a different reason, so
/// the caller parses the line again with its exact end for the message (`IngestJob.parseChunk`).
public struct JSONCursor {
    let base: UnsafePointer<UInt8>
    let end: Int
    public var pos: Int = 0
    let scratch: UnsafeMutablePointer<UInt8>
    var scratchUsed: Int = 0

    public init(base: UnsafePointer<UInt8>, count: Int, scratch: UnsafeMutablePointer<UInt8>) {
        self.base = base
        self.end = count
        self.scratch = scratch
    }

    @inline(__always)
    var atEnd: Bool { pos >= end }

    @inline(__always)
    func peek() -> UInt8 { pos < end ? base[pos] : 0 }

    @inline(__always)
    public mutating func skipWhitespace() {
        while pos < end {
            let c = base[pos]
            // Not 0x0A: a line feed ends the line (see the type's notes), never within it.
            if c == 0x20 || c == 0x0D || c == 0x09 { pos += 1 } else { break }
        }
    }

    func describeHere() -> String {
        if pos >= end { return "end of line" }
        let c = base[pos]
        if c >= 0x20 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        return "byte 0x\(String(c, radix: 16))"
    }

    /// Consumes `c` (after whitespace) or throws.
    @inline(__always)
    public mutating func expect(_ c: UInt8, _ field: @autoclosure () -> String, _ what: @autoclosure () -> String) throws(RowError) {
        skipWhitespace()
        guard pos < end, base[pos] == c else {
            throw RowError(field: field(), reason: "invalid JSON: expected \(what()), found \(describeHere()) at column \(pos + 1)")
        }
        pos += 1
    }

    /// After a member: consumes ',' and returns true, or '}' / ']' (`close`) and returns false.
    @inline(__always)
    public mutating func nextMember(close: UInt8, _ field: @autoclosure () -> String) throws(RowError) -> Bool {
        skipWhitespace()
        if pos < end {
            let c = base[pos]
            pos += 1
            if c == 0x2C { return true }
            if c == close { return false }
            pos -= 1
        }
        throw RowError(
            field: field(),
            reason: "invalid JSON: expected ',' or '\(Character(Unicode.Scalar(close)))', found \(describeHere()) at column \(pos + 1)")
    }

    /// True and consumes the opening byte when the next value starts with `c`.
    @inline(__always)
    mutating func consumeIf(_ c: UInt8) -> Bool {
        skipWhitespace()
        if pos < end && base[pos] == c {
            pos += 1
            return true
        }
        return false
    }

    // MARK: Fast paths: exact shapes, no validation beyond what they accept

    /// The rest of a string whose opening quote is consumed, when it is printable ASCII without
    /// escapes (as most ids are): its bytes, the cursor after the closing quote. Nil, with the
    /// cursor unmoved, for anything else, which `string` then reads, validates or rejects.
    @inline(__always)
    mutating func plainASCIIStringRest() -> ByteRef? {
        let p = plainASCIIEnd(from: pos)
        guard p < end, base[p] == 0x22 else { return nil }
        let r = ByteRef(start: base + pos, count: p - pos)
        pos = p + 1
        return r
    }

    /// A positive integer written plainly (a digit 1-9, at most 18 digits, no fraction or
    /// exponent) and followed by `,` or `}`. Nil, with the cursor unmoved, for anything else.
    @inline(__always)
    mutating func plainPositiveInteger() -> Int64? {
        var p = pos
        guard p < end, base[p] >= 0x31, base[p] <= 0x39 else { return nil }
        var v: Int64 = 0
        while p < end, base[p] >= 0x30, base[p] <= 0x39 {
            if p - pos == 18 { return nil }
            v = v &* 10 &+ Int64(base[p] &- 0x30)
            p += 1
        }
        guard p < end, base[p] == 0x2C || base[p] == 0x7D else { return nil }
        pos = p
        return v
    }

    /// A non-negative decimal written plainly, as most propensities are (`0.6927`, `1`, `12.5`):
    /// an integer part (`0` alone, or digits not starting with `0`), an optional fraction of at
    /// least one digit, no exponent, at most 15 digits in all, and `,` or `}` after it. The value
    /// is the one `number` gives the same text (the same exact division by a power of ten: with
    /// 15 digits the mantissa is below 2^53). Nil, with the cursor unmoved, for anything else.
    @inline(__always)
    mutating func plainDecimal() -> Double? {
        var p = pos
        guard p < end, base[p] &- 0x30 < 10 else { return nil }
        var mantissa: UInt64 = 0
        var digits = 1
        if base[p] == 0x30 {
            p += 1
        } else {
            mantissa = UInt64(base[p] &- 0x30)
            p += 1
            while p < end, case let d = base[p] &- 0x30, d < 10 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                digits += 1
                p += 1
            }
        }
        var fraction = 0
        if p < end && base[p] == 0x2E {
            p += 1
            let first = p
            while p < end, case let d = base[p] &- 0x30, d < 10 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                p += 1
            }
            fraction = p - first
            guard fraction > 0 else { return nil }
        }
        guard digits + fraction <= 15, p < end, base[p] == 0x2C || base[p] == 0x7D else { return nil }
        pos = p
        return fraction == 0 ? Double(mantissa) : Double(mantissa) / JSONCursor.exactPowers[fraction]
    }

    /// A number that starts with a digit (so it is not negative), read by `number`. Nil, with the
    /// cursor unmoved, when it does not start with a digit or is not a valid JSON number.
    @inline(__always)
    mutating func nonNegativeNumber() -> Double? {
        guard pos < end, base[pos] >= 0x30, base[pos] <= 0x39 else { return nil }
        let start = pos
        guard let n = try? number("") else {
            pos = start
            return nil
        }
        return n.double
    }

    /// The JSON type name of the value at the cursor, for "expected X, got Y" messages.
    func typeHere() -> String {
        var p = pos
        while p < end && (base[p] == 0x20 || base[p] == 0x09 || base[p] == 0x0A || base[p] == 0x0D) { p += 1 }
        guard p < end else { return "nothing" }
        switch base[p] {
        case UInt8(ascii: "\""): return "a string"
        case UInt8(ascii: "{"): return "an object"
        case UInt8(ascii: "["): return "an array"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "a boolean"
        case UInt8(ascii: "n"): return "null"
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return "a number"
        default: return "invalid JSON"
        }
    }

    // MARK: Strings

    /// Parses a string (cursor at optional whitespace then `"`).
    public mutating func string(_ field: @autoclosure () -> String) throws(RowError) -> ByteRef {
        skipWhitespace()
        guard pos < end, base[pos] == UInt8(ascii: "\"") else {
            throw RowError(field: field(), reason: "must be a string, got \(typeHere())")
        }
        pos += 1
        let start = pos
        // Fast path: printable ASCII without escapes (0x7F, allowed in JSON strings, takes the
        // slow path, which copies it as it is).
        pos = plainASCIIEnd(from: pos)
        if pos < end && base[pos] == UInt8(ascii: "\"") {
            let r = ByteRef(start: base + start, count: pos - start)
            pos += 1
            return r
        }
        return try slowString(from: start, field)
    }

    /// The index of the first byte at or after `from` that is not printable ASCII other than `"`
    /// and `\\` (0x20-0x7E), or `end`: sixteen bytes a step while sixteen remain (vector
    /// compares: equal to `"` or `\\`, or outside 0x20-0x7E as one wrapping subtraction and an
    /// unsigned compare; the lowest flagged lane is the answer), then eight bytes a step by the
    /// usual word tests for a byte equal to a value (`"`, `\\`, 0x7F) or below 0x20 or above
    /// 0x7F, each exact for the lowest such byte of the word (a borrow only sets flags above it).
    @inline(__always)
    func plainASCIIEnd(from: Int) -> Int {
        var p = from
        // The operands are vectors, not scalars: the scalar forms of these operators compile to
        // a loop over the lanes.
        let quote = SIMD16<UInt8>(repeating: 0x22)
        let backslash = SIMD16<UInt8>(repeating: 0x5C)
        let space = SIMD16<UInt8>(repeating: 0x20)
        let printable = SIMD16<UInt8>(repeating: 0x7E - 0x20)
        while p + 16 <= end {
            let v = UnsafeRawPointer(base + p).loadUnaligned(as: SIMD16<UInt8>.self)
            let special = (v .== quote) .| (v .== backslash) .| ((v &- space) .> printable)
            // Each lane of the mask is 0x00 or 0xFF.
            let lanes = unsafeBitCast(special, to: SIMD2<UInt64>.self)
            if lanes[0] | lanes[1] != 0 {
                return p + (lanes[0] != 0 ? lanes[0].trailingZeroBitCount / 8 : 8 + lanes[1].trailingZeroBitCount / 8)
            }
            p += 16
        }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func zeroByte(_ v: UInt64) -> UInt64 { (v &- ones) & ~v & highs }
        while p + 8 <= end {
            let w = UInt64(littleEndian: UnsafeRawPointer(base + p).loadUnaligned(as: UInt64.self))
            let special =
                zeroByte(w ^ (ones &* 0x22)) | zeroByte(w ^ (ones &* 0x5C)) | zeroByte(w ^ (ones &* 0x7F))
                | ((w &- ones &* 0x20) & ~w & highs) | (w & highs)
            if special != 0 { return p + special.trailingZeroBitCount / 8 }
            p += 8
        }
        while p < end {
            let c = base[p]
            if c == 0x22 || c == 0x5C || c < 0x20 || c >= 0x7F { return p }
            p += 1
        }
        return end
    }

    mutating func slowString(from start: Int, _ field: () -> String) throws(RowError) -> ByteRef {
        let out = scratch + scratchUsed
        var n = 0
        // Copy the ASCII prefix already scanned.
        let prefix = pos - start
        if prefix > 0 { out.update(from: base + start, count: prefix) }
        n = prefix
        while true {
            guard pos < end else { throw RowError(field: field(), reason: "invalid JSON: unterminated string") }
            let c = base[pos]
            if c == UInt8(ascii: "\"") {
                pos += 1
                scratchUsed += n
                return ByteRef(start: UnsafePointer(out), count: n)
            }
            if c < 0x20 {
                throw RowError(field: field(), reason: "invalid JSON: unescaped control character 0x\(String(c, radix: 16)) in string")
            }
            if c == UInt8(ascii: "\\") {
                pos += 1
                guard pos < end else { throw RowError(field: field(), reason: "invalid JSON: unterminated escape") }
                let e = base[pos]
                pos += 1
                switch e {
                case UInt8(ascii: "\""):
                    out[n] = 0x22
                    n += 1
                case UInt8(ascii: "\\"):
                    out[n] = 0x5C
                    n += 1
                case UInt8(ascii: "/"):
                    out[n] = 0x2F
                    n += 1
                case UInt8(ascii: "b"):
                    out[n] = 0x08
                    n += 1
                case UInt8(ascii: "f"):
                    out[n] = 0x0C
                    n += 1
                case UInt8(ascii: "n"):
                    out[n] = 0x0A
                    n += 1
                case UInt8(ascii: "r"):
                    out[n] = 0x0D
                    n += 1
                case UInt8(ascii: "t"):
                    out[n] = 0x09
                    n += 1
                case UInt8(ascii: "u"):
                    var scalar = try hex4(field)
                    if scalar >= 0xD800 && scalar <= 0xDBFF {
                        guard pos + 1 < end, base[pos] == UInt8(ascii: "\\"), base[pos + 1] == UInt8(ascii: "u") else {
                            throw RowError(
                                field: field(),
                                reason: "invalid string: unpaired surrogate \\u\(String(scalar, radix: 16, uppercase: true))")
                        }
                        pos += 2
                        let low = try hex4(field)
                        guard low >= 0xDC00 && low <= 0xDFFF else {
                            throw RowError(
                                field: field(),
                                reason: "invalid string: unpaired surrogate \\u\(String(scalar, radix: 16, uppercase: true))")
                        }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                        throw RowError(
                            field: field(), reason: "invalid string: unpaired surrogate \\u\(String(scalar, radix: 16, uppercase: true))")
                    }
                    n += encodeUTF8(scalar, out + n)
                default:
                    throw RowError(field: field(), reason: "invalid JSON: unknown escape \\\(Character(Unicode.Scalar(e)))")
                }
                continue
            }
            if c < 0x80 {
                out[n] = c
                n += 1
                pos += 1
                continue
            }
            let len = validUTF8Sequence(at: pos)
            guard len > 0 else { throw RowError(field: field(), reason: "invalid UTF-8 at byte \(pos + 1) of the line") }
            out.advanced(by: n).update(from: base + pos, count: len)
            n += len
            pos += len
        }
    }

    mutating func hex4(_ field: () -> String) throws(RowError) -> UInt32 {
        guard pos + 4 <= end else { throw RowError(field: field(), reason: "invalid JSON: truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = base[pos]
            var d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - 48)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - 87)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - 55)
            default: throw RowError(field: field(), reason: "invalid JSON: bad hex digit in \\u escape")
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }

    func encodeUTF8(_ s: UInt32, _ o: UnsafeMutablePointer<UInt8>) -> Int {
        if s < 0x80 {
            o[0] = UInt8(s)
            return 1
        } else if s < 0x800 {
            o[0] = UInt8(0xC0 | (s >> 6))
            o[1] = UInt8(0x80 | (s & 0x3F))
            return 2
        } else if s < 0x10000 {
            o[0] = UInt8(0xE0 | (s >> 12))
            o[1] = UInt8(0x80 | ((s >> 6) & 0x3F))
            o[2] = UInt8(0x80 | (s & 0x3F))
            return 3
        }
        o[0] = UInt8(0xF0 | (s >> 18))
        o[1] = UInt8(0x80 | ((s >> 12) & 0x3F))
        o[2] = UInt8(0x80 | ((s >> 6) & 0x3F))
        o[3] = UInt8(0x80 | (s & 0x3F))
        return 4
    }

    /// Length of the well-formed UTF-8 sequence at `p` (Unicode Table 3-7), or 0.
    func validUTF8Sequence(at p: Int) -> Int {
        let b0 = base[p]
        func cont(_ i: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool {
            p + i < end && base[p + i] >= lo && base[p + i] <= hi
        }
        switch b0 {
        case 0xC2...0xDF: return cont(1) ? 2 : 0
        case 0xE0: return cont(1, 0xA0, 0xBF) && cont(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF: return cont(1) && cont(2) ? 3 : 0
        case 0xED: return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0
        case 0xF0: return cont(1, 0x90, 0xBF) && cont(2) && cont(3) ? 4 : 0
        case 0xF1...0xF3: return cont(1) && cont(2) && cont(3) ? 4 : 0
        case 0xF4: return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0
        default: return 0
        }
    }

    // MARK: Numbers

    static let exactPowers: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Parses a JSON number (strict grammar) into its correctly rounded double: Clinger's fast
    /// path for up to 15 significant digits and |exponent| <= 22, `strtod` otherwise.
    public mutating func number(_ field: @autoclosure () -> String) throws(RowError) -> JSONNumber {
        skipWhitespace()
        let start = pos
        var neg = false
        if pos < end && base[pos] == UInt8(ascii: "-") {
            neg = true
            pos += 1
        }
        guard pos < end, base[pos] >= 48, base[pos] <= 57 else {
            pos = start
            throw RowError(field: field(), reason: "must be a number, got \(typeHere())")
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var dropped = 0  // integer digits beyond 19
        if base[pos] == 48 {
            pos += 1
            if pos < end && base[pos] >= 48 && base[pos] <= 57 {
                throw RowError(field: field(), reason: "invalid JSON number: leading zero")
            }
        } else {
            while pos < end && base[pos] >= 48 && base[pos] <= 57 {
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(base[pos] - 48)
                    digits += 1
                } else {
                    dropped += 1
                }
                pos += 1
            }
        }
        var fracDigits = 0
        var fracNonZero = false
        var isPlainInteger = true
        if pos < end && base[pos] == UInt8(ascii: ".") {
            isPlainInteger = false
            pos += 1
            guard pos < end, base[pos] >= 48, base[pos] <= 57 else {
                throw RowError(field: field(), reason: "invalid JSON number: digit expected after '.'")
            }
            while pos < end && base[pos] >= 48 && base[pos] <= 57 {
                let d = UInt64(base[pos] - 48)
                if d != 0 { fracNonZero = true }
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ d
                    digits += (mantissa == 0 ? 0 : 1)
                    fracDigits += 1
                }
                pos += 1
            }
        }
        var exp = 0
        if pos < end && (base[pos] == UInt8(ascii: "e") || base[pos] == UInt8(ascii: "E")) {
            isPlainInteger = false
            pos += 1
            var eneg = false
            if pos < end && (base[pos] == UInt8(ascii: "+") || base[pos] == UInt8(ascii: "-")) {
                eneg = base[pos] == UInt8(ascii: "-")
                pos += 1
            }
            guard pos < end, base[pos] >= 48, base[pos] <= 57 else {
                throw RowError(field: field(), reason: "invalid JSON number: digit expected in exponent")
            }
            while pos < end && base[pos] >= 48 && base[pos] <= 57 {
                if exp < 100_000 { exp = exp * 10 + Int(base[pos] - 48) }
                pos += 1
            }
            if eneg { exp = -exp }
        }
        _ = fracNonZero
        // Integer fast path: no fraction, no exponent, fits Int64.
        if isPlainInteger && dropped == 0 && (mantissa <= UInt64(Int64.max) || (neg && mantissa == UInt64(Int64.max) + 1)) {
            let i: Int64 = neg ? (mantissa == UInt64(Int64.max) + 1 ? Int64.min : -Int64(mantissa)) : Int64(mantissa)
            if mantissa < (1 << 53) {
                return JSONNumber(double: Double(i), integer: i, isPlainInteger: true)
            }
            return JSONNumber(double: try slowDouble(start, field), integer: i, isPlainInteger: true)
        }
        let e10 = exp - fracDigits + dropped
        var d: Double
        if digits <= 15 && dropped == 0 && e10 >= -22 && e10 <= 22 && mantissa < (1 << 53) {
            d = Double(mantissa)
            if e10 < 0 { d /= JSONCursor.exactPowers[-e10] } else { d *= JSONCursor.exactPowers[e10] }
            if neg { d = -d }
        } else {
            d = try slowDouble(start, field)
        }
        guard d.isFinite else { throw RowError(field: field(), reason: "number is out of the range of a double") }
        // Integral iff truncation keeps it (a conversion instruction: `rounded()` was a libm
        // call, this target having no SSE4.1 rounding).
        var integer: Int64? = nil
        if abs(d) < 9.2e18, case let i = Int64(d), Double(i) == d { integer = i }
        return JSONNumber(double: d, integer: integer)
    }

    func slowDouble(_ start: Int, _ field: () -> String) throws(RowError) -> Double {
        let n = pos - start
        var buf = [CChar](repeating: 0, count: n + 1)
        for i in 0..<n { buf[i] = CChar(bitPattern: base[start + i]) }
        return buf.withUnsafeBufferPointer { strtod($0.baseAddress!, nil) }
    }

    // MARK: Literals and skipping

    public mutating func bool(_ field: @autoclosure () -> String) throws(RowError) -> Bool {
        skipWhitespace()
        if matchLiteral("true") { return true }
        if matchLiteral("false") { return false }
        throw RowError(field: field(), reason: "must be a boolean, got \(typeHere())")
    }

    /// Consumes `s` when the next bytes are exactly it (no whitespace is skipped).
    @inline(__always)
    mutating func matchLiteral(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard pos + n <= end, sameBytes(UnsafeRawPointer(base + pos), UnsafeRawPointer(s.utf8Start), n) else { return false }
        pos += n
        return true
    }

    /// Validates and skips any JSON value (for members the schema allows but does not type).
    public mutating func skipValue(_ field: @autoclosure () -> String, depth: Int = 0) throws(RowError) {
        guard depth < 512 else { throw RowError(field: field(), reason: "JSON nested deeper than 512 levels") }
        skipWhitespace()
        guard pos < end else { throw RowError(field: field(), reason: "invalid JSON: value expected, found end of line") }
        switch base[pos] {
        case UInt8(ascii: "\""):
            let saved = scratchUsed
            _ = try string(field())
            scratchUsed = saved
        case UInt8(ascii: "{"):
            pos += 1
            if consumeIf(UInt8(ascii: "}")) { return }
            repeat {
                let saved = scratchUsed
                _ = try string(field())
                scratchUsed = saved
                try expect(UInt8(ascii: ":"), field(), "':'")
                try skipValue(field(), depth: depth + 1)
            } while try nextMember(close: UInt8(ascii: "}"), field())
        case UInt8(ascii: "["):
            pos += 1
            if consumeIf(UInt8(ascii: "]")) { return }
            repeat {
                try skipValue(field(), depth: depth + 1)
            } while try nextMember(close: UInt8(ascii: "]"), field())
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            _ = try bool(field())
        case UInt8(ascii: "n"):
            guard matchLiteral("null") else { throw RowError(field: field(), reason: "invalid JSON literal") }
        default:
            _ = try number(field())
        }
    }

    /// True when the value at the cursor is `null` (consumed).
    mutating func null() -> Bool {
        skipWhitespace()
        return matchLiteral("null")
    }

    /// Resets per-line scratch usage.
    public mutating func resetScratch() { scratchUsed = 0 }

    /// Ensures nothing but whitespace follows the top-level value.
    /// Throws unless only whitespace follows, up to the end or to a line feed (where `pos` then is).
    public mutating func expectEnd() throws(RowError) {
        skipWhitespace()
        if pos < end && base[pos] != 0x0A {
            throw RowError(field: "", reason: "invalid JSON: unexpected \(describeHere()) after the object at column \(pos + 1)")
        }
    }
}
