/// A sum of doubles that does not depend on the order of additions: each value is rounded once
/// to a multiple of 2⁻⁶⁴ and added as a 128-bit integer, so sums merged across partitions in any
/// grouping are identical. Magnitudes must stay below 2⁶³; beyond that the sum becomes NaN
/// (and a report refuses to print it) rather than wrapping.
public struct ExactSum: Sendable, Equatable {
    private var fixed: Int128 = 0
    private var overflowed = false

    public init() {}

    static let scale = 0x1p64

    @inline(__always)
    public mutating func add(_ x: Double) {
        if x == 0 { return }
        let scaled = (x * ExactSum.scale).rounded(.toNearestOrEven)
        guard scaled.isFinite, abs(scaled) < 0x1p126 else {
            overflowed = true
            return
        }
        let (s, o) = fixed.addingReportingOverflow(Int128(scaled))
        fixed = s
        if o { overflowed = true }
    }

    public mutating func add(_ other: ExactSum) {
        let (s, o) = fixed.addingReportingOverflow(other.fixed)
        fixed = s
        if o || other.overflowed { overflowed = true }
    }

    public var value: Double {
        if overflowed { return .nan }
        return Double(fixed) / ExactSum.scale
    }
}
