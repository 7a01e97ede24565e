import ColumnarFormat
import ColumnarStorage

/// Writes a mode's partial state as bytes (format-spec/state.md §3): little-endian scalars,
/// counts as UInt32, arrays of fixed-width values as their count and raw bytes, strings as
/// their UTF-8 length and bytes. The encoding holds ids (user ids, variant names, context
/// values), never a dataset's dictionary codes, so states of separately ingested datasets merge.
public struct StateEncoder: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }
    public mutating func u32(_ v: UInt32) { scalar(v.littleEndian) }
    public mutating func u64(_ v: UInt64) { scalar(v.littleEndian) }
    public mutating func int(_ v: Int) { scalar(Int64(v).littleEndian) }
    public mutating func double(_ v: Double) { scalar(v.bitPattern.littleEndian) }

    /// A count (of elements that follow).
    public mutating func count(_ n: Int) {
        precondition(n >= 0 && n <= Int(UInt32.max), "a state count fits 32 bits")
        u32(UInt32(n))
    }

    public mutating func string(_ s: String) {
        let u = Array(s.utf8)
        count(u.count)
        bytes.append(contentsOf: u)
    }

    public mutating func strings(_ a: [String]) {
        count(a.count)
        for s in a { string(s) }
    }

    /// An optional string: a presence byte, then the string.
    public mutating func optionalString(_ s: String?) {
        bool(s != nil)
        if let s { string(s) }
    }

    public mutating func bytes(_ a: [UInt8]) { array(a) }
    public mutating func int32s(_ a: [Int32]) { array(a) }
    public mutating func uint64s(_ a: [UInt64]) { array(a) }
    public mutating func doubles(_ a: [Double]) { array(a.map(\.bitPattern)) }
    public mutating func ints(_ a: [Int]) { array(a.map { Int64($0) }) }

    /// Strings held as offsets and bytes (a dictionary's ids), written as their offsets and data.
    public mutating func byteStrings(_ s: ByteStrings) {
        array(s.offsets)
        array(s.data)
    }

    public mutating func exactSum(_ s: ExactSum) {
        let (whole, fraction, overflowed) = s.limbs
        scalar(UInt64(truncatingIfNeeded: whole).littleEndian)
        scalar(UInt64(truncatingIfNeeded: whole >> 64).littleEndian)
        scalar(UInt64(truncatingIfNeeded: fraction).littleEndian)
        scalar(UInt64(truncatingIfNeeded: fraction >> 64).littleEndian)
        bool(overflowed)
    }

    public mutating func exactSums(_ a: [ExactSum]) {
        count(a.count)
        for s in a { exactSum(s) }
    }

    public mutating func timestamp(_ t: Timestamp?) {
        bool(t != nil)
        guard let t else { return }
        scalar(t.micros.littleEndian)
        scalar(t.nanos.littleEndian)
        scalar(t.offsetMinutes.littleEndian)
    }

    public mutating func valueCounts(_ c: ValueCounts) {
        let s = c.sorted()
        doubles(s.values)
        ints(zip(s.cumulative, [0] + s.cumulative).map { $0 - $1 })
    }

    private mutating func scalar<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) }
    }

    /// A count, then the elements' little-endian bytes (every platform this builds on is
    /// little-endian; `StateDecoder` checks that at run time).
    private mutating func array<T: FixedWidthInteger>(_ a: [T]) {
        count(a.count)
        a.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }
}
