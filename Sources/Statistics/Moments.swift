/// Sample mean, variance and covariance of paired per-unit values, computed in two passes
/// (mean first, then centred sums) so large means do not cancel the variance away. Sample
/// moments divide by n − 1.
public struct Moments: Sendable, Equatable {
    public var count: Int
    public var meanX: Double
    public var meanY: Double
    public var varianceX: Double
    public var varianceY: Double
    public var covariance: Double

    /// Moments of `x` alone (`y` is taken equal to `x`).
    public init(_ x: [Double]) { self.init(x, x) }

    public init(_ x: [Double], _ y: [Double]) {
        precondition(x.count == y.count, "paired values come in equal numbers")
        count = x.count
        guard count > 0 else {
            (meanX, meanY, varianceX, varianceY, covariance) = (0, 0, 0, 0, 0)
            return
        }
        var sx = 0.0
        var sy = 0.0
        for i in 0..<count {
            sx += x[i]
            sy += y[i]
        }
        meanX = sx / Double(count)
        meanY = sy / Double(count)
        var xx = 0.0
        var yy = 0.0
        var xy = 0.0
        for i in 0..<count {
            let dx = x[i] - meanX
            let dy = y[i] - meanY
            xx += dx * dx
            yy += dy * dy
            xy += dx * dy
        }
        let d = Double(max(count - 1, 1))
        varianceX = count > 1 ? xx / d : 0
        varianceY = count > 1 ? yy / d : 0
        covariance = count > 1 ? xy / d : 0
    }
}
