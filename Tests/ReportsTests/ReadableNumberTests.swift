import Reports
import Testing

@Suite struct ReadableNumberTests {
    @Test(arguments: [
        (0.06343113060963348, "0.06343"), (2275.45, "2,275"), (7.62e6, "7.62M"), (2.06e10, "20.6B"), (3.2e-6, "3.2e-6"),
        (0, "0"), (-0.5001856725626942, "-0.5002"), (91.5, "91.5"), (40, "40"), (19886, "19,886"), (999_999, "999,999"),
        (9.99996, "10"), (999.96, "1000"), (1.5e12, "1.5T"), (1.23e18, "1.23e18"), (9.9996e-5, "1e-4"), (1e-4, "0.0001"),
        (183517.50147682746, "183,518"), (.nan, "n/a"), (.infinity, "∞"), (-.infinity, "-∞"),
    ])
    func value(_ x: Double, _ expected: String) {
        #expect(ReadableNumber.value(x) == expected)
    }

    @Test(arguments: [(19886.0, "19,886"), (1_234_567, "1.23M"), (0, "0"), (-1200, "-1,200"), (2.5, "2.5")])
    func count(_ x: Double, _ expected: String) {
        #expect(ReadableNumber.count(x) == expected)
    }

    @Test(arguments: [
        (0.12268167781656403, "12.3%", "+12.3%"), (-0.03561039969345367, "-3.56%", "-3.6%"), (0.28097375532658175, "28.1%", "+28.1%"),
        (0.06343113060963348, "6.34%", "+6.3%"), (0.0043, "0.43%", "+0.43%"), (0.004381, "0.438%", "+0.44%"),
        (-51.33, "-5,133%", "-5,133%"),
        (0, "0%", "0%"), (1, "100%", "+100%"), (0.0000087, "0.00087%", "+0.00087%"), (1.75e8, "1.75e10%", "+1.75e10%"),
    ])
    func percentAndLift(_ x: Double, _ percent: String, _ lift: String) {
        #expect(ReadableNumber.percent(x) == percent)
        #expect(ReadableNumber.lift(x) == lift)
    }

    @Test func levels() {
        #expect(ReadableNumber.level(0.95) == "95%")
        #expect(ReadableNumber.level(0.999) == "99.9%")
    }

    @Test(arguments: [
        ("[0.0009765625, 0.001953125)", "[0.0009766, 0.001953)"), ("mean 4.35841688827704 here", "mean 4.358 here"),
        ("run experiment-20261206T162131Z at 16:21:31.02365111Z", "run experiment-20261206T162131Z at 16:21:31.02365111Z"),
        (
            "4da171e498252e776fae9ca989d756753c91e24858ad021de9ada3f4846a9c03",
            "4da171e498252e776fae9ca989d756753c91e24858ad021de9ada3f4846a9c03"
        ),
        ("count 1234567 and 0.05", "count 1234567 and 0.05"),
    ])
    func text(_ input: String, _ expected: String) {
        #expect(ReadableNumber.text(input) == expected)
    }

    @Test func intervals() {
        #expect(ReadableNumber.interval(-0.03561039969345367, 0.28097375532658175) == "[-3.6%, +28.1%]")
        #expect(ReadableNumber.interval(-0.001897767453537088, 0.017461442511519983, percent: false) == "[-0.001898, +0.01746]")
        #expect(ReadableNumber.delta(0.007781837528991448) == "+0.007782")
    }

    @Test(arguments: [
        (0.11509572638988771, "0.115"), (0.02892441887788877, "0.029"), (1.5986012149542608e-45, "< 0.001"), (0.0012, "0.0012"),
        (1, "1"), (0.5, "0.5"), (0.8466083115020465, "0.847"), (0.001, "0.001"),
    ])
    func pValue(_ p: Double, _ expected: String) {
        #expect(ReadableNumber.pValue(p) == expected)
    }

    /// Random values of every scale never print more than 6 significant digits.
    @Test func neverMoreThanSixDigits() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let x = Double.random(in: -1...1, using: &rng) * Self.powerOfTen(Int.random(in: -20...20, using: &rng))
            for text in [
                ReadableNumber.value(x), ReadableNumber.count(x), ReadableNumber.percent(x), ReadableNumber.lift(x),
                ReadableNumber.pValue(abs(x)), ReadableNumber.level(x),
            ] {
                #expect(Self.significantDigits(text) <= 6, "\(x) -> \(text)")
            }
        }
    }

    /// The significant digits of a number as printed (mantissa only, separators ignored).
    static func significantDigits(_ text: String) -> Int {
        var mantissa = text.split(separator: "e").first.map(String.init) ?? text
        mantissa = mantissa.filter { $0.isNumber || $0 == "." }
        var digits = mantissa.filter(\.isNumber).drop { $0 == "0" }
        if !mantissa.contains(".") { while digits.last == "0" { digits = digits.dropLast() } }
        return digits.count
    }

    static func powerOfTen(_ n: Int) -> Double {
        var r = 1.0
        for _ in 0..<abs(n) { r *= 10 }
        return n < 0 ? 1 / r : r
    }
}
