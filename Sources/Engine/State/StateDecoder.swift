import ColumnarFormat
import ColumnarStorage

#if canImport(Glibc)
    import Glibc
#endif

/// Reads what `StateEncoder` wrote. Every read is bounds-checked, and every count that sizes an
/// allocation is checked against the bytes left, so a damaged or crafted state is an error
/// naming where it went wrong, never a trap or a huge allocation.
public struct StateDecoder {
    private let bytes: [UInt8]
    public private(set) var position = 0
    /// What is being read, for messages ("state a.state").
    let context: String

    public init(_ bytes: [UInt8], context: String) {
        precondition(1.littleEndian == 1, "states are read on little-endian machines")
        self.bytes = bytes
        self.context = context
    }

    public var remaining: Int { bytes.count - position }

    /// An error at the current position.
    public func invalid(_ what: String) -> StateError { .invalid(context: context, what: "\(what) (at byte \(position))") }

    private mutating func scalar<T: FixedWidthInteger>(_: T.Type) throws(StateError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw .truncated(context: context, at: position) }
        let v = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: position, as: T.self) }
        position += size
        return T(littleEndian: v)
    }

    public mutating func u8() throws(StateError) -> UInt8 { try scalar(UInt8.self) }
    public mutating func u32() throws(StateError) -> UInt32 { try scalar(UInt32.self) }
    public mutating func u64() throws(StateError) -> UInt64 { try scalar(UInt64.self) }
    public mutating func int() throws(StateError) -> Int { Int(try scalar(Int64.self)) }
    public mutating func double() throws(StateError) -> Double { Double(bitPattern: try u64()) }

    /// The largest count a state may hold (2⁴⁸): counts of real logs stay far below it, and any
    /// number of states up to 2¹⁵ add without overflowing 64 bits.
    public static let countLimit = 1 << 48
    /// The largest per-unit 32-bit count (2²⁴): merges add them with overflow checks.
    public static let count32Limit: Int32 = 1 << 24

    /// A count: 0 up to `countLimit`.
    public mutating func tally() throws(StateError) -> Int {
        let v = try int()
        guard v >= 0 && v <= StateDecoder.countLimit else { throw invalid("a count of \(v) is negative or beyond 2^48") }
        return v
    }

    /// Whether counts total at most `countLimit` (so their sums cannot overflow).
    public static func totalWithinLimit(_ counts: [Int]) -> Bool {
        var total = 0
        for c in counts {
            total += c
            if total > countLimit { return false }
        }
        return true
    }

    /// Counts, each 0 up to `countLimit`.
    public mutating func tallies() throws(StateError) -> [Int] {
        let v = try ints()
        guard !v.contains(where: { $0 < 0 || $0 > StateDecoder.countLimit }) else { throw invalid("a count is negative or beyond 2^48") }
        return v
    }

    /// 32-bit per-unit counts, each 0 up to `count32Limit`.
    public mutating func tallies32() throws(StateError) -> [Int32] {
        let v = try int32s()
        guard !v.contains(where: { $0 < 0 || $0 > StateDecoder.count32Limit }) else {
            throw invalid("a per-unit count is negative or beyond 2^24")
        }
        return v
    }

    public mutating func bool() throws(StateError) -> Bool {
        switch try u8() {
        case 0: return false
        case 1: return true
        case let b: throw invalid("a flag byte holds \(b), not 0 or 1")
        }
    }

    /// A count of elements of at least `size` bytes each, checked against what is left.
    public mutating func count(elementSize size: Int) throws(StateError) -> Int {
        let n = Int(try u32())
        guard n <= remaining / max(1, size) else {
            throw invalid("a count of \(n) elements of \(size) bytes exceeds the \(remaining) bytes left")
        }
        return n
    }

    /// A non-negative count that must equal `expected`.
    public mutating func count(_ expected: Int, of what: String) throws(StateError) {
        let n = Int(try u32())
        guard n == expected else { throw invalid("\(what): \(n) entries where \(expected) are expected") }
    }

    public mutating func string() throws(StateError) -> String {
        let n = try count(elementSize: 1)
        let slice = bytes[position..<position + n]
        guard let s = String(validating: slice, as: UTF8.self) else { throw invalid("a string is not valid UTF-8") }
        position += n
        return s
    }

    public mutating func strings() throws(StateError) -> [String] {
        let n = try count(elementSize: 4)
        var out: [String] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try string()) }
        return out
    }

    public mutating func optionalString() throws(StateError) -> String? { try bool() ? try string() : nil }

    public mutating func rawBytes() throws(StateError) -> [UInt8] { try array(UInt8.self) }
    public mutating func int32s() throws(StateError) -> [Int32] { try array(Int32.self) }
    public mutating func uint64s() throws(StateError) -> [UInt64] { try array(UInt64.self) }
    public mutating func doubles() throws(StateError) -> [Double] { try array(UInt64.self).map { Double(bitPattern: $0) } }
    public mutating func ints() throws(StateError) -> [Int] { try array(Int64.self).map { Int($0) } }

    /// Ids as offsets and bytes: offsets must start at 0, never decrease and end at the bytes'
    /// length, and every id must be valid UTF-8 (it will be printed).
    public mutating func byteStrings() throws(StateError) -> ByteStrings {
        let offsets = try array(UInt32.self)
        let data = try array(UInt8.self)
        guard let first = offsets.first, first == 0, Int(offsets.last!) == data.count,
            zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 })
        else { throw invalid("id offsets do not step through their \(data.count) bytes") }
        let ids = ByteStrings(offsets: offsets, data: data)
        // Every id is valid UTF-8. In one pass: the ids' concatenation is valid and no id starts
        // with a continuation byte (then every id boundary is a character boundary, so each id is
        // valid on its own); the failing id is looked for only when that fails.
        let whole = data.withUnsafeBytes { UTF8Validation.firstInvalidOffset($0) } == nil
        let boundaries = offsets.dropLast().allSatisfy { Int($0) == data.count || data[Int($0)] & 0xC0 != 0x80 }
        if !whole || !boundaries {
            for i in 0..<ids.count where String(validating: ids[i], as: UTF8.self) == nil { throw invalid("id \(i) is not valid UTF-8") }
        }
        return ids
    }

    /// Ids as `byteStrings()` reads them, also checked to be strictly ascending in byte order
    /// (a dictionary's order, which merges rely on).
    public mutating func sortedByteStrings(_ what: String) throws(StateError) -> ByteStrings {
        let ids = try byteStrings()
        let ascending = ids.data.withUnsafeBytes { raw -> Bool in
            let o = ids.offsets
            for i in 1..<max(1, ids.count) {
                let a = UnsafeRawBufferPointer(rebasing: raw[Int(o[i - 1])..<Int(o[i])])
                let b = UnsafeRawBufferPointer(rebasing: raw[Int(o[i])..<Int(o[i + 1])])
                let n = min(a.count, b.count)
                let c = n == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, n)
                if c > 0 || (c == 0 && a.count >= b.count) { return false }
            }
            return true
        }
        guard ascending else { throw invalid("\(what) are not in ascending byte order") }
        return ids
    }

    public mutating func exactSum() throws(StateError) -> ExactSum {
        let w0 = try u64()
        let w1 = try u64()
        let f0 = try u64()
        let f1 = try u64()
        let whole = Int128(Int64(bitPattern: w1)) << 64 | Int128(w0)
        let fraction = Int128(Int64(bitPattern: f1)) << 64 | Int128(f0)
        return ExactSum(limbs: (whole, fraction, try bool()))
    }

    public mutating func exactSums() throws(StateError) -> [ExactSum] {
        let n = try count(elementSize: 33)
        var out: [ExactSum] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try exactSum()) }
        return out
    }

    public mutating func timestamp() throws(StateError) -> Timestamp? {
        guard try bool() else { return nil }
        let micros = try scalar(Int64.self)
        let nanos = try scalar(Int32.self)
        let offset = try scalar(Int32.self)
        // Years 0001 to 9999, as ingest accepts them; an offset within a day.
        guard (0...999).contains(nanos), offset > -24 * 60, offset < 24 * 60, micros >= -62_135_596_800_000_000,
            micros <= Timestamp.latestMicros
        else { throw invalid("a timestamp's parts are out of range") }
        return Timestamp(micros: micros, nanos: nanos, offsetMinutes: offset)
    }

    public mutating func valueCounts() throws(StateError) -> ValueCounts {
        let values = try doubles()
        let counts = try tallies()
        guard counts.count == values.count, zip(values, values.dropFirst()).allSatisfy({ $0 < $1 }), Self.totalWithinLimit(counts)
        else { throw invalid("distinct values are not ascending with one count each, or their counts pass 2^48 in total") }
        var out = ValueCounts()
        for (v, c) in zip(values, counts) {
            guard !v.isNaN, c > 0 else { throw invalid("a counted value is NaN or has no observation") }
            out.add(v, count: c)
        }
        return out
    }

    /// Checks that every byte was read.
    public func finish() throws(StateError) {
        guard remaining == 0 else { throw invalid("\(remaining) bytes follow the state's last field") }
    }

    private mutating func array<T: FixedWidthInteger>(_: T.Type) throws(StateError) -> [T] {
        let size = MemoryLayout<T>.size
        let n = try count(elementSize: size)
        let out = [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: raw[position..<position + n * size]))
            }
            initialized = n
        }
        position += n * size
        return out
    }
}

/// A state that cannot be read: what is wrong and where.
public enum StateError: Error, CustomStringConvertible, Equatable {
    case truncated(context: String, at: Int)
    case invalid(context: String, what: String)

    public var description: String {
        switch self {
        case .truncated(let c, let at): return "\(c) is truncated: it ends at byte \(at) inside a field"
        case .invalid(let c, let what): return "\(c) is not a valid state: \(what)"
        }
    }
}
