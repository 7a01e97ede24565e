import Glibc
import Testing

@testable import Engine

@Suite struct ExactSumTests {
    /// Values spread over 60 binades, some huge (squares of slate weight products), added in
    /// three orders and merged in two groupings: the same bits every time.
    @Test func orderAndGroupingDoNotMatter() {
        var rng = SystemRandomNumberGenerator()
        let values = (0..<5000).map { i -> Double in
            let magnitude = Double.random(in: -20...35, using: &rng)
            return (i % 3 == 0 ? -1 : 1) * Double.random(in: 1..<2, using: &rng) * pow(10, magnitude)
        }
        func sum(_ v: [Double]) -> ExactSum {
            var s = ExactSum()
            for x in v { s.add(x) }
            return s
        }
        let forward = sum(values)
        #expect(sum(values.reversed()) == forward)
        #expect(sum(values.shuffled(using: &rng)) == forward)
        var merged = sum(Array(values[2500...]))
        merged.add(sum(Array(values[..<2500])))
        #expect(merged == forward)
        #expect(merged.value == forward.value)
        #expect(forward.value.isFinite)
    }

    /// A fraction limb about to overflow (2³¹ additions of values near 2³² would get there)
    /// carries its whole units out instead: additions and merges stay exact, never NaN.
    @Test func fullFractionLimbCarries() {
        let nearFull = Int128.max - 5
        var a = ExactSum(whole: 0, fraction: nearFull)
        a.add(3e9)
        a.add(0.25)
        // The same total with the fraction's whole units already carried.
        var b = ExactSum(whole: nearFull >> 64, fraction: nearFull - ((nearFull >> 64) << 64))
        b.add(0.25)
        b.add(3e9)
        #expect(a == b)
        #expect(a.value == b.value && a.value.isFinite)
        var merged = ExactSum(whole: 0, fraction: nearFull)
        merged.add(ExactSum(whole: 0, fraction: nearFull))
        #expect(merged.value == 2 * ExactSum(whole: 0, fraction: nearFull).value)
        var negative = ExactSum(whole: 0, fraction: Int128.min + 5)
        negative.add(-3e9)
        #expect(negative.value == ExactSum(whole: 0, fraction: Int128.min + 5).value - 3e9)
    }

    /// Cancellation that a double sum gets wrong: 1e30 + 1 − 1e30 is exactly 1.
    @Test func exactWhereDoublesRound() {
        var s = ExactSum()
        for x in [1e30, 1, -1e30, 0.25] { s.add(x) }
        #expect(s.value == 1.25)
        var t = ExactSum()
        for _ in 0..<10 { t.add(0.1) }
        // The correctly rounded sum of the ten doubles nearest 0.1 (a plain loop gives 0.9999999999999999).
        #expect(t.value == 1.0)
    }

    /// The rounding the exact sums convert with agrees with the library's, ties and the binades
    /// around 2⁵¹ and 2⁵² included, on both signs.
    @Test func roundingToEvenMatchesTheLibrary() {
        var rng = SystemRandomNumberGenerator()
        var values: [Double] = [0, -0.0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999999999999994, .infinity, -.infinity]
        for e in [-3.0, 10, 40, 50, 51, 52, 53, 60, 96] {
            let b = pow(2, e)
            values += [b, b.nextUp, b.nextDown, b + 0.5, b - 0.5, b + 1.5, b * 1.5, -b, -b.nextUp, -b.nextDown, -(b + 0.5)]
        }
        for _ in 0..<200_000 {
            let e = Double.random(in: -10...60, using: &rng)
            let v = Double.random(in: 1..<2, using: &rng) * pow(2, e)
            let half = (v.rounded(.down) + 0.5)
            values += [v, -v, half, -half]
        }
        for v in values {
            let want = v.rounded(.toNearestOrEven)
            #expect(v.roundedToEven == want || (v.roundedToEven == 0 && want == 0), "\(v)")
        }
        #expect(Double.nan.roundedToEven.isNaN)
    }

    /// The bit-level conversion of integral doubles to 128-bit integers agrees with the standard
    /// library's on both signs, from 2⁶³ to just below 2¹²⁷, and at the edges of the fast path.
    @Test func integralConversionMatchesTheLibrary() {
        var rng = SystemRandomNumberGenerator()
        var values: [Double] = [0, 1, -1, 0x1p63.nextDown, -0x1p63.nextDown, 0x1p63, -0x1p63, 0x1p64, 0x1p127.nextDown, -0x1p127.nextDown]
        for _ in 0..<100_000 {
            let e = Double.random(in: 0..<126, using: &rng)
            let v = (Double.random(in: 1..<2, using: &rng) * pow(2, e)).rounded(.towardZero)
            values += [v, -v]
        }
        for v in values { #expect(Int128(integral: v) == Int128(v), "\(v)") }
    }

    /// Beyond 2¹²⁶ the sum is NaN (reports print null), never a wrapped number.
    @Test func overflowIsNaN() {
        var s = ExactSum()
        s.add(0x1p127)
        #expect(s.value.isNaN)
        var t = ExactSum()
        for _ in 0..<4 { t.add(0x1p125) }
        #expect(t.value.isNaN)
        var u = ExactSum()
        u.add(0x1p125)
        u.add(-0x1p124)
        #expect(u.value == 0x1p124)
    }
}
