import Testing

@testable import Ingest

/// Propensities are buffered as scaled 32-bit integers while they are short decimals
/// (`DecimalValues`): whatever arrives, appended one by one or in bulk, sliced and concatenated,
/// every value must read back as the same double, bit for bit.
@Suite struct DecimalValuesTests {
    static func values(seed start: UInt64, count: Int) -> [Double] {
        var seed = start
        func next(_ n: UInt64) -> UInt64 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (seed >> 33) % n
        }
        let digits = Int(next(10))
        return (0..<count).map { _ in
            switch next(12) {
            case 0: return 0
            case 1: return -0.0
            case 2: return 1 / 3
            case 3: return Double(next(1000)) / 1000 * (next(2) == 0 ? 1 : -1)
            case 4: return 123_456.789
            case 5: return Double(next(UInt64(1) << 31)) / 1e9
            default:
                var p = 1.0
                for _ in 0..<digits { p *= 10 }
                return Double(next(UInt64(p))) / p
            }
        }
    }

    @Test(arguments: 0..<60)
    func valuesReadBackBitForBit(seed: Int) {
        let v = Self.values(seed: UInt64(seed) &+ 3, count: 50 + seed * 7)
        var d = DecimalValues()
        var i = 0
        while i < v.count {
            if (i + seed) % 3 == 0 {
                d.append(v[i])
                i += 1
            } else {
                let n = min(v.count - i, 1 + (i * 7 + seed) % 17)
                v[i..<(i + n)].withUnsafeBufferPointer { d.append(contentsOf: $0) }
                i += n
            }
        }
        let bits = v.map(\.bitPattern)
        #expect(d.rowCount == v.count)
        #expect(d.doubles(0..<v.count).map(\.bitPattern) == bits)
        if let s = d.scaled(0..<v.count) {
            // Kept scaled: each integer over the power of ten is its value.
            #expect(s.map { (Double($0) / pow10(d.exponent)).bitPattern } == bits)
        }
        let cut = v.count / 3
        #expect(d.rows(cut..<v.count).doubles(0..<(v.count - cut)).map(\.bitPattern) == Array(bits[cut...]))
        // Concatenations of parts scaled differently (or kept as doubles) read back whole.
        var joined = DecimalValues(Array(v[..<cut]))
        joined.appendRows(of: DecimalValues(Array(v[cut...])))
        #expect(joined.doubles(0..<v.count).map(\.bitPattern) == bits)
        var absent = DecimalValues()
        absent.appendAbsent(3)
        absent.appendRows(of: d)
        #expect(absent.doubles(0..<(v.count + 3)).map(\.bitPattern) == [0, 0, 0].map(\.bitPattern) + bits)
    }

    func pow10(_ e: Int) -> Double { (0..<e).reduce(1.0) { p, _ in p * 10 } }

    /// The usual propensities take four bytes each; a value no exponent holds turns the column
    /// to doubles, and a value needing more decimals raises the exponent of those before it.
    @Test func shortDecimalsStayScaled() {
        var d = DecimalValues([0.6927, 0.4367, 0.5])
        #expect(d.scaled(0..<3) == [6927, 4367, 5000] && d.exponent == 4)
        d.append(0.123456)
        #expect(d.scaled(0..<4) == [692_700, 436_700, 500_000, 123_456] && d.exponent == 6)
        d.append(1 / 3)
        #expect(d.scaled(0..<5) == nil && d.doubles(0..<5) == [0.6927, 0.4367, 0.5, 0.123456, 1 / 3])
        var e = DecimalValues([-0.0])
        #expect(e.scaled(0..<1) == nil && e.doubles(0..<1)[0].sign == .minus)
        e = DecimalValues([3_000_000_000])
        #expect(e.scaled(0..<1) == nil)
    }
}
