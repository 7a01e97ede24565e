import Engine
import Glibc
import Testing

/// The two-pass selection against sorting: random weights of several shapes (spread over orders
/// of magnitude, point masses, a dense cluster inside one bucket, zeros, negative ones), split into random
/// partitions whose counts and values are merged in shuffled order.
@Suite struct WeightQuantilesTests {
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    }

    static func sample(_ shape: Int, _ n: Int, _ g: inout Generator) -> [Double] {
        (0..<n).map { _ in
            switch shape {
            case 0: return exp2(g.unit() * 20 - 10)  // 2^-10 ... 2^10
            case 1: return [0.5, 1, 1, 2, 4][Int(g.next() % 5)]  // point masses
            case 2: return 1 + g.unit() * 1e-4  // all within one bucket
            case 3: return g.unit() < 0.3 ? 0 : g.unit() * 3  // zeros and a spread
            default:  // negative weights (recsys-eval's samples of a runtime-contract dataset), -0, 0 and positive ones
                let u = g.unit()
                return u < 0.1 ? -0.0 : u < 0.2 ? 0 : (u < 0.6 ? -1 : 1) * exp2(g.unit() * 20 - 10)
            }
        }
    }

    @Test(arguments: [0, 1, 2, 3, 4])
    func matchesSorting(shape: Int) {
        var g = Generator(state: UInt64(shape) &+ 17)
        let values = Self.sample(shape, 20_000, &g)
        let sorted = values.sorted()
        let ranks = [0, 9_999, 17_999, 18_999, 19_799, 19_999, 12_345]
        // Pass one and pass two over random partitions, merged in a different order each time.
        var parts: [[Double]] = []
        var i = 0
        while i < values.count {
            let n = min(values.count - i, 1 + Int(g.next() % 3_000))
            parts.append(Array(values[i..<(i + n)]))
            i += n
        }
        var counts = WeightQuantiles.Counts()
        for p in parts.reversed() {
            var c = WeightQuantiles.Counts()
            for x in p { c.add(x) }
            counts.merge(c)
        }
        #expect(counts.count == values.count)
        let plan = WeightQuantiles.Plan(ranks: ranks, counts: counts)
        var collected = WeightQuantiles.Collected()
        for p in parts.shuffled(using: &g) {
            var c = WeightQuantiles.Collected()
            for x in p { c.add(x, plan: plan) }
            collected.merge(c)
        }
        #expect(collected.values(for: plan) == ranks.map { sorted[$0] })
        // A second pass that missed values says so instead of answering.
        var partial = WeightQuantiles.Collected()
        for x in parts[0] { partial.add(x, plan: plan) }
        if parts.count > 1 && shape == 2 { #expect(partial.values(for: plan) == nil) }
    }

    @Test func valueCountsRanks() {
        var v = ValueCounts()
        v.add(contentsOf: [3, 1, 2, 2, 5, 1, 1])
        let s = v.sorted()
        #expect(s.values == [1, 2, 3, 5] && s.cumulative == [3, 5, 6, 7])
        #expect((0..<7).map { s.value(atRank: $0) } == [1, 1, 1, 2, 2, 3, 5])
        #expect(s.floorPercentile(0.95) == 3)  // floor(6 · 0.95) = 5
        #expect(ValueCounts().sorted().floorPercentile(0.5) == 0)
        // -0 and +0 are one value, read as +0 whichever came first.
        var zeros = ValueCounts()
        zeros.add(contentsOf: [-0.0, 0.0, -0.0])
        #expect(zeros.distinctValues == 1 && zeros.sorted().value(atRank: 2).sign == .plus)
    }
}

extension WeightQuantilesTests.Generator: RandomNumberGenerator {}
