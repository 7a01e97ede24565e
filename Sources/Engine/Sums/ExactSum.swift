/// A sum of doubles that does not depend on the order of additions, so sums merged across
/// partitions in any grouping are identical to the last bit.
///
/// Each value is rounded once to a multiple of 2⁻⁶⁴ and added as 128-bit integers: values below
/// 2³² in magnitude go whole into `fraction` (units of 2⁻⁶⁴), larger ones are split into their
/// integer part (`whole`, units of 1) and their fraction. When `fraction` would overflow, its
/// whole units move to `whole` first. Integer addition is associative, so the total does not
/// depend on the order. The sum is exact for magnitudes below
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

    /// A sum whose limbs already hold these units (to test the carry between them).
    init(whole: Int128, fraction: Int128) {
        self.whole = whole
        self.fraction = fraction
    }

    /// The sum's limbs as they are (a state file keeps them, so sums merged in another process
    /// are the same to the bit), and a sum rebuilt from them.
    var limbs: (whole: Int128, fraction: Int128, overflowed: Bool) { (whole, fraction, overflowed) }

    init(limbs: (whole: Int128, fraction: Int128, overflowed: Bool)) {
        (whole, fraction, overflowed) = limbs
    }

    static let scale = 0x1p64
    static let limit = 0x1p126

    @inline(__always)
    public mutating func add(_ x: Double) {
        if x == 0 { return }
        if abs(x) < 0x1p32 {
            // One limb: round(x · 2⁶⁴) is what the split below adds in total (the integral part
            // times 2⁶⁴ is an integer), and it lies below 2⁹⁶, so the fraction limb takes it
            // directly; only when that limb would overflow are its whole units carried out first.
            let scaled = Int128(integral: (x * ExactSum.scale).roundedToEven)
            var (f, o) = fraction.addingReportingOverflow(scaled)
            if o {
                carryFraction()
                (f, o) = fraction.addingReportingOverflow(scaled)
            }
            fraction = f
            if o { overflowed = true }
            return
        }
        guard abs(x) < ExactSum.limit else {
            overflowed = true
            return
        }
        let integral = x.rounded(.towardZero)
        let (w, o1) = whole.addingReportingOverflow(Int128(integral: integral))
        whole = w
        // |x − integral| < 1, so the scaled fraction is below 2⁶⁴ in magnitude.
        let part = Int128(integral: ((x - integral) * ExactSum.scale).roundedToEven)
        var (f, o2) = fraction.addingReportingOverflow(part)
        if o2 {
            carryFraction()
            (f, o2) = fraction.addingReportingOverflow(part)
        }
        fraction = f
        if o1 || o2 { overflowed = true }
    }

    /// Moves the whole units out of the fraction limb (the total is unchanged).
    private mutating func carryFraction() {
        let carry = fraction >> 64
        let (w, o) = whole.addingReportingOverflow(carry)
        whole = w
        fraction -= carry << 64
        if o { overflowed = true }
    }

    public mutating func add(_ other: ExactSum) {
        var other = other
        var (f, o2) = fraction.addingReportingOverflow(other.fraction)
        if o2 {
            // Both fraction limbs carried out are below 2⁶⁴: their sum cannot overflow.
            carryFraction()
            other.carryFraction()
            (f, o2) = fraction.addingReportingOverflow(other.fraction)
        }
        let (w, o1) = whole.addingReportingOverflow(other.whole)
        whole = w
        fraction = f
        if o1 || o2 || other.overflowed { overflowed = true }
    }

    /// Equal totals (however the additions split them between the limbs).
    public static func == (a: ExactSum, b: ExactSum) -> Bool {
        var (x, y) = (a, b)
        x.carryFraction()
        y.carryFraction()
        return x.overflowed == y.overflowed && (x.overflowed || (x.whole == y.whole && x.fraction == y.fraction))
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

extension Double {
    /// `rounded(.toNearestOrEven)` without a call into libm (the default build targets x86-64
    /// without SSE4.1's `roundsd`, so the standard library calls `rint`, a few nanoseconds in
    /// loops that round once per value). A double of magnitude 2⁵² or more is already an integer;
    /// below 2⁵¹, adding and subtracting 1.5 · 2⁵² rounds it in the default rounding mode,
    /// ties to even; the binade between takes the library's path. Only the sign of a zero may
    /// differ (−0.3 gives +0), which no integer conversion sees.
    @inline(__always)
    var roundedToEven: Double {
        let a = abs(self)
        if a >= 0x1p52 { return self }
        if a < 0x1p51 { return (self + 0x1.8p52) - 0x1.8p52 }
        return rounded(.toNearestOrEven)
    }
}

/// Conversions between doubles and 128-bit integers without the standard library's generic
/// path (which costs tens of nanoseconds per call in these loops).
extension Int128 {
    /// The integer an integral double `x` (|x| < 2¹²⁷) holds, exactly.
    ///
    /// From 2⁶³ up, the value is the significand (with its implicit bit) shifted left by the
    /// exponent less 52, read from the bits: no call into libm (the exact sums convert most
    /// values they add this way: x · 2⁶⁴ is past 2⁶³ for every |x| ≥ ½).
    @inline(__always)
    init(integral x: Double) {
        if abs(x) < 0x1p63 {
            self.init(Int64(x))
        } else {
            precondition(abs(x) < 0x1p127, "an integral double below 2^127")
            let bits = x.bitPattern
            let shift = Int((bits >> 52) & 0x7FF) - 1075
            let magnitude = Int128((bits & 0x000F_FFFF_FFFF_FFFF) | 0x0010_0000_0000_0000) << shift
            self = x < 0 ? -magnitude : magnitude
        }
    }

    /// The nearest double (correctly rounded).
    @inline(__always)
    var nearestDouble: Double {
        if let small = Int64(exactly: self) { return Double(small) }
        return Double(self)
    }
}
