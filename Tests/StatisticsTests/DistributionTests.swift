import Testing

@testable import Statistics

@Suite struct DistributionTests {
    @Test func normalQuantileInvertsTheCDF() {
        for p in [1e-12, 1e-6, 0.001, 0.01, 0.02425, 0.3, 0.5, 0.8, 0.975, 0.999, 1 - 1e-9] {
            let x = Normal.quantile(p)
            #expect(abs(Normal.cdf(x) - p) <= 4e-16 * max(1, 1 / p) * p + 1e-18)
        }
    }

    @Test func acklamMatchesRecsysEvalAnchors() {
        #expect(Normal.acklam(0.975) == 1.959963986120195)
        #expect(Normal.acklam(0.8) == 0.8416212327266186)
        #expect(Normal.acklam(0.01) == -2.3263478743880275)
    }
}
