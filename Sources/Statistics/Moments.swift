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
        var a = Accumulator()
        a.add(x, y)
        a.centre()
        a.addCentred(x, y)
        self = a.moments
    }

    /// The same two passes fed in parts: every part's values in the first pass, `centre()`, then
    /// the same parts in the same order in the second. The additions happen in the order they
    /// would over the concatenated values, so the moments are the same bits however the values
    /// were cut (what lets per-unit state be taken part by part).
    public struct Accumulator: Sendable, Equatable {
        public private(set) var count = 0
        private var sx = 0.0
        private var sy = 0.0
        public private(set) var meanX = 0.0
        public private(set) var meanY = 0.0
        private var xx = 0.0
        private var yy = 0.0
        private var xy = 0.0
        public private(set) var centred = false

        public init() {}

        /// First pass: the next values, in order.
        public mutating func add(_ x: [Double], _ y: [Double]) {
            precondition(x.count == y.count, "paired values come in equal numbers")
            precondition(!centred, "the first pass ends with centre()")
            for i in 0..<x.count {
                sx += x[i]
                sy += y[i]
            }
            count += x.count
        }

        /// Ends the first pass: the means.
        public mutating func centre() {
            precondition(!centred, "centred once")
            centred = true
            guard count > 0 else { return }
            meanX = sx / Double(count)
            meanY = sy / Double(count)
        }

        /// Second pass: the same values again, in the same order.
        public mutating func addCentred(_ x: [Double], _ y: [Double]) {
            precondition(x.count == y.count, "paired values come in equal numbers")
            precondition(centred, "the second pass follows centre()")
            for i in 0..<x.count {
                let dx = x[i] - meanX
                let dy = y[i] - meanY
                xx += dx * dx
                yy += dy * dy
                xy += dx * dy
            }
        }

        /// Σx of the first pass.
        public var sumX: Double { sx }

        /// The count and means, once the first pass is done (variances still to come: 0).
        public var means: Moments {
            precondition(centred, "means follow the first pass")
            return Moments(count: count, meanX: meanX, meanY: meanY, varianceX: 0, varianceY: 0, covariance: 0)
        }

        /// The moments once both passes are done.
        public var moments: Moments {
            precondition(centred, "moments follow both passes")
            let d = Double(max(count - 1, 1))
            return Moments(
                count: count, meanX: meanX, meanY: meanY, varianceX: count > 1 ? xx / d : 0, varianceY: count > 1 ? yy / d : 0,
                covariance: count > 1 ? xy / d : 0)
        }
    }

    public init(count: Int, meanX: Double, meanY: Double, varianceX: Double, varianceY: Double, covariance: Double) {
        self.count = count
        self.meanX = meanX
        self.meanY = meanY
        self.varianceX = varianceX
        self.varianceY = varianceY
        self.covariance = covariance
    }
}
