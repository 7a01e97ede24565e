import Testing

@testable import Statistics

/// The exact sign test against scipy.stats.binomtest(a, a + b, 0.5).pvalue (scipy 1.x).
@Suite struct SignTestTests {
    @Test(arguments: [
        (0, 1, 1.0), (3, 10, 0.09228515625), (40, 60, 0.05688793364098089), (480, 520, 0.2174482932041415),
        (5000, 5200, 0.04878796312682234), (7, 7, 1.0), (0, 20, 1.9073486328125e-06), (1234, 1300, 0.19660747608996218),
    ])
    func matchesScipy(a: Int, b: Int, p: Double) {
        #expect(abs(SignTest.twoSidedP(a, b) - p) <= 1e-9 * p)
        #expect(SignTest.twoSidedP(b, a) == SignTest.twoSidedP(a, b))
    }

    @Test func noComparisonsGiveOne() { #expect(SignTest.twoSidedP(0, 0) == 1) }
}
