/// Numbers as a person reads them: a few significant digits, rates as percentages, counts with
/// thousands separators, p-values the way papers print them.
///
/// Reports keep full precision in JSON (`JSONValue.serialized`); every place a person reads a
/// number (HTML, Markdown, CLI text) goes through this type instead, so no rendering shows more
/// than 6 significant digits and the same value reads the same everywhere.
///
/// | call | input | output |
/// |---|---|---|
/// | `value(_:)` | 0.06343113060963348, 2275.45, 7.62e6, 2.06e10, 3.2e-6 | `0.06343`, `2,275`, `7.62M`, `20.6B`, `3.2e-6` |
/// | `count(_:)` | 19886, 1234567 | `19,886`, `1.235M` |
/// | `percent(_:)` | 0.06343 (a fraction) | `6.34%` |
/// | `level(_:)` | 0.95 | `95%` |
/// | `lift(_:)` | 0.12268, -0.0356 | `+12.3%`, `-3.6%` |
/// | `interval(_:_:)` | -0.0356, 0.281 | `[-3.6%, +28.1%]` |
/// | `pValue(_:)` | 0.11509, 0.0289, 1.6e-45 | `0.115`, `0.029`, `< 0.001` |
///
/// Non-finite inputs read `n/a` (NaN) or `∞` / `-∞`; formatting never traps. Strings that look
/// like numbers but are identifiers (run ids, fingerprints) are not numbers: pass them through as
/// text, never through this type.
public enum ReadableNumber {
    /// A value of any scale: 4 significant digits; thousands separators from 1,000 to 999,999;
    /// `K`-free abbreviations from a million (`7.62M`, `20.6B`, `1.5T`); scientific notation
    /// beyond that and below 0.0001 (`3.2e-6`). Integers below a million print exactly.
    public static func value(_ x: Double) -> String {
        guard x.isFinite else { return nonFinite(x) }
        if x == 0 { return "0" }
        let magnitude = Swift.abs(x)
        let sign = x < 0 ? "-" : ""
        if magnitude >= 1e15 || magnitude < 1e-4 { return sign + scientific(magnitude, digits: 3) }
        if magnitude >= 1e6 { return sign + abbreviated(magnitude) }
        if magnitude >= 1000 { return sign + grouped(magnitude.rounded()) }
        return sign + significant(magnitude, digits: 4)
    }

    /// A count: exact with thousands separators below a million (`19,886`), abbreviated above
    /// (`1.235M`) so it never shows more than 6 digits; a non-integer falls back to `value(_:)`.
    public static func count(_ x: Double) -> String {
        guard x.isFinite, x == x.rounded(), Swift.abs(x) < 1e6 else { return value(x) }
        return (x < 0 ? "-" : "") + grouped(Swift.abs(x))
    }

    /// A count given as an integer.
    public static func count(_ n: Int) -> String { count(Double(n)) }

    /// A fraction (0.0634 = 6.34%) as a percentage with 3 significant digits (`6.34%`, `12.3%`,
    /// `0.438%`), no decimals from 100% (`7,951%`), scientific from a million percent.
    public static func percent(_ fraction: Double) -> String {
        percentage(fraction, decimalsFromOne: nil)
    }

    /// A relative change as a signed percentage with one decimal from 1% (`+12.3%`, `-3.6%`), two
    /// significant digits below (`+0.43%`), no decimals from 100% (`+4,897%`).
    public static func lift(_ fraction: Double) -> String {
        let s = percentage(fraction, decimalsFromOne: 1)
        return fraction > 0 && fraction.isFinite ? "+" + s : s
    }

    /// The level of an interval: `95%`, `99.9%`.
    public static func level(_ fraction: Double) -> String {
        guard fraction > 0 && fraction <= 1 else { return percent(fraction) }
        return trimmed(significant(fraction * 100, digits: 4)) + "%"
    }

    static func percentage(_ fraction: Double, decimalsFromOne: Int?) -> String {
        guard fraction.isFinite else { return nonFinite(fraction) }
        let magnitude = Swift.abs(fraction * 100)
        let sign = fraction < 0 ? "-" : ""
        if magnitude == 0 { return "0%" }
        let digits: String
        if magnitude >= 1e6 {
            digits = scientific(magnitude, digits: 3)
        } else if magnitude >= 100 {
            digits = grouped(magnitude.rounded())
        } else if magnitude >= 1, let decimals = decimalsFromOne {
            digits = fixed(magnitude, decimals: decimals)
        } else if magnitude >= 1e-4 {
            digits = significant(magnitude, digits: decimalsFromOne == nil ? 3 : 2)
        } else {
            digits = scientific(magnitude, digits: 2)
        }
        return sign + digits + "%"
    }

    /// A difference in the metric's own unit, signed: `+0.007782`, `-12.5`.
    public static func delta(_ x: Double) -> String {
        let s = value(x)
        return x > 0 && x.isFinite ? "+" + s : s
    }

    /// A confidence interval: of relative changes by default (`[-3.6%, +28.1%]`), or of values in
    /// their own unit with `percent: false` (`[-0.001898, +0.01746]`).
    public static func interval(_ lower: Double, _ upper: Double, percent: Bool = true) -> String {
        let ends = percent ? [lift(lower), lift(upper)] : [delta(lower), delta(upper)]
        return "[" + ends[0] + ", " + ends[1] + "]"
    }

    /// A p-value: three decimals from 0.1 (`0.115`), two significant digits below (`0.029`,
    /// `0.0012`), and `< 0.001` for anything smaller, since more digits only restate the model's
    /// tail assumptions.
    public static func pValue(_ p: Double) -> String {
        guard p.isFinite else { return nonFinite(p) }
        if p < 0.001 { return "< 0.001" }
        if p >= 0.1 { return trimmed(fixed(Swift.min(p, 1), decimals: 3)) }
        return significant(p, digits: 2)
    }

    /// Free text (a bucket name, a reason) with every standalone decimal of more than 6
    /// significant digits rounded by `value(_:)`: "[0.0009765625, 0.001953125)" reads
    /// "[0.0009766, 0.001953)". Digits touching a letter (run ids, hashes, timestamps such as
    /// "31.02365111Z") are left alone: they are identifiers, not numbers.
    public static func text(_ s: String) -> String {
        let chars = Array(s)
        var out = ""
        var i = 0
        func isWordish(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }
        while i < chars.count {
            guard chars[i].isNumber, i == 0 || !(isWordish(chars[i - 1]) || chars[i - 1] == ".") else {
                out.append(chars[i])
                i += 1
                continue
            }
            var j = i
            while j < chars.count && (chars[j].isNumber || chars[j] == ".") { j += 1 }
            let run = String(chars[i..<j])
            let followedByWord = j < chars.count && isWordish(chars[j])
            let digits = run.filter(\.isNumber).drop { $0 == "0" }.count
            if !followedByWord, run.filter({ $0 == "." }).count == 1, !run.hasSuffix("."), digits > 6, let x = Double(run) {
                out += value(x)
            } else {
                out += run
            }
            i = j
        }
        return out
    }

    // MARK: Digits

    /// `magnitude` (finite, > 0) rounded to `digits` significant digits in plain decimal notation,
    /// trailing zeros after the point removed: 0.063431 -> "0.06343", 91.50 -> "91.5".
    static func significant(_ magnitude: Double, digits: Int) -> String {
        var exponent = log10Floor(magnitude)
        var decimals = Swift.max(0, digits - 1 - exponent)
        // Rounding can carry into a new digit (9.9996 -> 10.00): one fewer decimal then.
        if decimals > 0 && (magnitude * pow10(decimals)).rounded() >= pow10(digits) {
            exponent += 1
            decimals = Swift.max(0, digits - 1 - exponent)
        }
        return trimmed(fixed(magnitude, decimals: decimals))
    }

    /// `magnitude` (finite, >= 0, below 1e15) with exactly `decimals` digits after the point.
    static func fixed(_ magnitude: Double, decimals: Int) -> String {
        let scaled = (magnitude * pow10(decimals)).rounded()
        guard scaled < 9e18 else { return scientific(magnitude, digits: 3) }
        var text = String(UInt64(scaled))
        guard decimals > 0 else { return text }
        if text.count <= decimals { text = String(repeating: "0", count: decimals - text.count + 1) + text }
        text.insert(".", at: text.index(text.endIndex, offsetBy: -decimals))
        return text
    }

    /// An integer-valued magnitude (below 1e15) with commas every three digits: "19,886".
    static func grouped(_ magnitude: Double) -> String {
        let text = String(UInt64(magnitude))
        var out = ""
        for (i, c) in text.enumerated() {
            if i > 0 && (text.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return out
    }

    /// A magnitude from a million up, in millions, billions or trillions with 3 significant
    /// digits: "7.62M", "20.6B".
    static func abbreviated(_ magnitude: Double) -> String {
        if magnitude >= 1e15 { return scientific(magnitude, digits: 3) }
        let units: [(Double, String)] = [(1e12, "T"), (1e9, "B"), (1e6, "M")]
        for (scale, suffix) in units where magnitude >= scale {
            let text = significant(magnitude / scale, digits: 3)
            // 999.96M rounds to "1000": read it as the next unit.
            if text == "1000" && suffix != "T" { return "1" + (suffix == "M" ? "B" : "T") }
            return text + suffix
        }
        return grouped(magnitude.rounded())
    }

    /// Scientific notation with `digits` significant digits: "3.2e-6", "1.23e18".
    static func scientific(_ magnitude: Double, digits: Int) -> String {
        var exponent = log10Floor(magnitude)
        var text = significant(magnitude / pow10(exponent), digits: digits)
        // 9.996e-5 rounds to "10": read it as 1e-4.
        if text == "10" {
            exponent += 1
            text = "1"
        }
        return text + "e" + String(exponent)
    }

    static func trimmed(_ text: String) -> String {
        guard text.contains(".") else { return text }
        var t = Substring(text)
        while t.hasSuffix("0") { t = t.dropLast() }
        if t.hasSuffix(".") { t = t.dropLast() }
        return String(t)
    }

    static func nonFinite(_ x: Double) -> String {
        x.isNaN ? "n/a" : (x > 0 ? "∞" : "-∞")
    }

    /// 10 to an integer power, exact for the exponents used here (|n| <= 22).
    static func pow10(_ n: Int) -> Double {
        var r = 1.0
        for _ in 0..<Swift.abs(n) { r *= 10 }
        return n < 0 ? 1 / r : r
    }

    /// floor(log10(x)) for a finite positive x, found by comparison with powers of ten (so 1000
    /// gives 3, never 2.9999 as a logarithm might).
    static func log10Floor(_ x: Double) -> Int {
        var e = 0
        var y = x
        while y >= 10 {
            y /= 10
            e += 1
        }
        while y < 1 {
            y *= 10
            e -= 1
        }
        // Repeated division can drift by an ulp; confirm against the powers themselves.
        if x >= pow10(e + 1) { e += 1 }
        if x < pow10(e) { e -= 1 }
        return e
    }
}
