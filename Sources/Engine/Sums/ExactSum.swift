/// A sum of doubles that does not depend on the order of additions, so sums merged across
/// partitions in any grouping are identical to the last bit.
///
/// Each value is split into its integer part and its fraction; the fraction is rounded once to a
/// multiple of 2⁻⁶⁴. Both parts are added as 128-bit integers (`whole` in units of 1, `fraction`
/// in units of 2⁻⁶⁴), and integer addition is associative. The sum is exact for magnitudes below
/// 2¹²⁶ (about 8.5 × 10³⁷: enough for squares of slate-IPS weight products); a value or a sum
/// beyond that makes the sum NaN, which reports print as null, rather than wrapping.
///
/// Where the total fits 2⁶³ (every sum of probabilities, counts or rewards), `value` is the
/// correctly rounded total, the same double a single 128-bit fixed-point accumulator gives.
public struct ExactSum: Sendable, Equatable {
    private var whole: Int128 = 0
    private var fraction: Int128 = 0
    private var overflowed = false

    public init() {}

    static let scale = 0x1p64
    static let limit = 0x1p126

    @inline(__always)
    public mutating func add(_ x: Double) {
        if x == 0 { return }
        guard abs(x) < ExactSum.limit else {
            overflowed = true
            return
        }
        let integral = x.rounded(.towardZero)
        let (w, o1) = whole.addingReportingOverflow(Int128(integral: integral))
        // |x − integral| < 1, so the scaled fraction is below 2⁶⁴ in magnitude.
        let (f, o2) = fraction.addingReportingOverflow(Int128(integral: ((x - integral) * ExactSum.scale).rounded(.toNearestOrEven)))
        whole = w
        fraction = f
        if o1 || o2 { overflowed = true }
    }

    public mutating func add(_ other: ExactSum) {
        let (w, o1) = whole.addingReportingOverflow(other.whole)
        let (f, o2) = fraction.addingReportingOverflow(other.fraction)
        whole = w
        fraction = f
        if o1 || o2 || other.overflowed { overflowed = true }
    }

    /// The total, rounded once to the nearest double where it is below 2⁶³ in magnitude.
    public var value: Double {
        if overflowed { return .nan }
        // Carry whole units out of the fraction: fraction = carry · 2⁶⁴ + rest, 0 ≤ rest < 2⁶⁴.
        let carry = fraction >> 64
        let rest = fraction - (carry << 64)
        let (total, o) = whole.addingReportingOverflow(carry)
        if o || total.magnitude >= (UInt128(1) << 126) { return .nan }
        if total.magnitude < (1 << 63) {
            // total · 2⁶⁴ + rest fits in 128 bits: one correctly rounded conversion.
            return Double((total << 64) + rest) / ExactSum.scale
        }
        // Beyond 2⁶³ the fraction is below the double's precision.
        return Double(total) + Double(rest) / ExactSum.scale
    }
}

/// Conversions between doubles and 128-bit integers without the standard library's generic
/// path (which costs tens of nanoseconds per call in these loops).
extension Int128 {
    /// The integer an integral double `x` (|x| < 2¹²⁷) holds, exactly.
    @inline(__always)
    init(integral x: Double) {
        if abs(x) < 0x1p63 {
            self.init(Int64(x))
        } else {
            let high = (x * 0x1p-64).rounded(.down)
            self = Int128(Int64(high)) << 64 + Int128(UInt64(x - high * 0x1p64))
        }
    }

    /// The nearest double (correctly rounded).
    @inline(__always)
    var nearestDouble: Double {
        if let small = Int64(exactly: self) { return Double(small) }
        return Double(self)
    }
}
