import Testing

@testable import Statistics

/// Distribution functions against scipy.stats (values computed with scipy 1.17 and written
/// here) and recsys-eval's anchors.
@Suite struct DistributionTests {
    static func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-12) -> Bool { abs(a - b) <= tolerance * abs(b) }

    @Test func normalQuantileInvertsTheCDF() {
        for p in [1e-12, 1e-6, 0.001, 0.01, 0.02425, 0.3, 0.5, 0.8, 0.975, 0.999, 1 - 1e-9] {
            let x = Normal.quantile(p)
            #expect(abs(Normal.cdf(x) - p) <= 4e-16 * max(1, 1 / p) * p + 1e-18)
        }
    }

    @Test func acklamMatchesRecsysEvalAnchors() {
        #expect(Normal.acklam(0.975) == 1.959963986120195)
        #expect(Normal.acklam(0.8) == 0.8416212327266186)
        #expect(Self.close(Normal.acklam(0.01), -2.3263478743880275, 1e-15))
    }

    @Test func studentTMatchesScipy() {
        #expect(Self.close(StudentT.quantile(0.975, degreesOfFreedom: 7.3), 2.345066736547703))
        #expect(Self.close(StudentT.survival(2.5, degreesOfFreedom: 3.2), 0.04122086858087374))
        #expect(Self.close(StudentT.quantile(0.995, degreesOfFreedom: 1.5), 17.820310514462804))
        #expect(Self.close(StudentT.survival(40, degreesOfFreedom: 12), 1.925614790386016e-14, 1e-9))
        #expect(StudentT.quantile(0.025, degreesOfFreedom: 7.3) == -StudentT.quantile(0.975, degreesOfFreedom: 7.3))
    }

    @Test func chiSquaredMatchesScipy() {
        #expect(Self.close(ChiSquared.survival(3.7, degreesOfFreedom: 2), 0.1572371663136276))
        #expect(Self.close(ChiSquared.survival(64, degreesOfFreedom: 1), 1.2441921148543578e-15, 1e-9))
        #expect(Self.close(ChiSquared.survival(0.4, degreesOfFreedom: 5), 0.9953295932358704))
    }

    /// scipy.stats.chisquare, and recsys-eval's SRM anchors (its SPEC §11.4).
    @Test func goodnessOfFit() {
        #expect(Self.close(GoodnessOfFit.test(observed: [520, 480, 500], weights: [1, 1, 1]).pValue, 0.4493289641172217, 1e-10))
        #expect(Self.close(GoodnessOfFit.test(observed: [90, 10], weights: [1, 1]).pValue, 1.2441921148543578e-15, 1e-9))
        #expect(Self.close(GoodnessOfFit.test(observed: [2, 1], weights: [1, 1]).pValue, 0.5637028616507731))
        // One category with a positive expectation: no test.
        #expect(GoodnessOfFit.test(observed: [5, 0], weights: [1, 0]).pValue == 1)
        #expect(GoodnessOfFit.test(observed: [0, 0], weights: [1, 1]).pValue == 1)
    }

    /// Hand-computed: p = [0.01, 0.04, 0.03, 0.2], m = 4.
    @Test func multipleComparisons() {
        let p = [0.01, 0.04, 0.03, 0.2]
        #expect(MultipleComparisons.adjust(p, method: .bonferroni) == [0.04, 0.16, 0.12, 0.8])
        // Holm: sorted 0.01·4, 0.03·3, 0.04·2, 0.2·1 = 0.04, 0.09, 0.08 → running max 0.09, 0.2.
        let holm = MultipleComparisons.adjust(p, method: .holm)
        for (a, b) in zip(holm, [0.04, 0.09, 0.09, 0.2]) { #expect(abs(a - b) < 1e-15) }
        // BH: 0.01·4/1, 0.03·4/2, 0.04·4/3, 0.2·4/4 → running min from the top.
        let bh = MultipleComparisons.adjust(p, method: .fdrBH)
        for (a, b) in zip(bh, [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.2]) { #expect(abs(a - b) < 1e-15) }
        #expect(MultipleComparisons.adjust([], method: .holm) == [])
    }

    /// recsys-eval's golden experiment p-values and power (its SPEC §13.3, §7.7).
    @Test func recsysEvalAnchors() {
        #expect(
            Self.close(RecsysEvalTests.twoProportionP(successes: 0, trials: 1, controlSuccesses: 1, controlTrials: 2), 0.38647623077123283))
        #expect(
            Self.close(RecsysEvalTests.twoProportionP(successes: 1, trials: 1, controlSuccesses: 0, controlTrials: 2), 0.08326451666355039))
        #expect(RecsysEvalTests.twoProportionP(successes: 3, trials: 1, controlSuccesses: 2, controlTrials: 1).isNaN)
        #expect(RecsysEvalTests.sampleSize(baseline: 0.1, mde: 0.01, alpha: 0.05, power: 0.8) == 14751)
        #expect(RecsysEvalTests.sampleSize(baseline: 0.995, mde: 0.01, alpha: 0.05, power: 0.8) == nil)
    }

    /// Two-pass moments fed in parts are the same bits as over all the values at once, wherever
    /// the values are cut (what lets the unit analysis take its users in parts); and fed out of
    /// order they are not, so the check can fail.
    @Test func momentsInPartsAreTheSameBits() {
        var rng = SystemRandomNumberGenerator()
        for trial in 0..<40 {
            let n = Int.random(in: 0...300, using: &rng)
            let x = (0..<n).map { _ in Double.random(in: -1e6...1e6, using: &rng) * (trial % 2 == 0 ? 1 : 1e-9) }
            let y = (0..<n).map { _ in Double.random(in: 0...1e3, using: &rng) }
            let whole = Moments(x, y)
            var cuts = (0..<Int.random(in: 0...6, using: &rng)).map { _ in Int.random(in: 0...n, using: &rng) }
            cuts = ([0] + cuts + [n]).sorted()
            var a = Moments.Accumulator()
            for (lo, hi) in zip(cuts, cuts.dropFirst()) { a.add(Array(x[lo..<hi]), Array(y[lo..<hi])) }
            a.centre()
            for (lo, hi) in zip(cuts, cuts.dropFirst()) { a.addCentred(Array(x[lo..<hi]), Array(y[lo..<hi])) }
            let parted = a.moments
            #expect(parted.count == whole.count)
            for (p, w) in [
                (parted.meanX, whole.meanX), (parted.meanY, whole.meanY), (parted.varianceX, whole.varianceX),
                (parted.varianceY, whole.varianceY), (parted.covariance, whole.covariance),
            ] {
                #expect(p.bitPattern == w.bitPattern, "trial \(trial), cuts \(cuts)")
            }
            #expect(a.means.meanX.bitPattern == whole.meanX.bitPattern && a.sumX.bitPattern == x.reduce(0, +).bitPattern)
        }
        // The order matters to the last bits: the same values reversed give other sums here.
        let x = [1e16, 1, -1e16, 3.5, 1e-3]
        #expect(Moments(x).meanX.bitPattern != Moments(Array(x.reversed())).meanX.bitPattern)
    }
}
