/// Neumaier's compensated sum: the error of adding many doubles stays at about one rounding,
/// and the result depends only on the order of additions, which callers fix (morsel order).
public struct CompensatedSum: Sendable, Equatable {
    public private(set) var sum = 0.0
    private var compensation = 0.0

    public init() {}

    @inline(__always)
    public mutating func add(_ x: Double) {
        let t = sum + x
        if abs(sum) >= abs(x) {
            compensation += (sum - t) + x
        } else {
            compensation += (x - t) + sum
        }
        sum = t
    }

    public mutating func add(_ other: CompensatedSum) {
        add(other.sum)
        add(other.compensation)
    }

    public var value: Double { sum + compensation }
}
