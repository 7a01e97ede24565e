/// Serialisation compatible with Go's `encoding/json` (`MarshalIndent` with two spaces), which
/// report.v1 consumers and recsys-eval's golden files expect byte for byte.
extension JSONValue {
    /// The document with two-space indentation and a trailing newline.
    public func serialized(indent: Bool = true) -> String {
        var out = ""
        write(to: &out, level: 0, indent: indent)
        if indent { out += "\n" }
        return out
    }

    func write(to out: inout String, level: Int, indent: Bool) {
        let pad = indent ? "\n" + String(repeating: "  ", count: level + 1) : ""
        let close = indent ? "\n" + String(repeating: "  ", count: level) : ""
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let d): out += JSONValue.goNumber(d)
        case .string(let s): out += JSONValue.goString(s)
        case .array(let items):
            if items.isEmpty {
                out += "[]"
                return
            }
            out += "["
            for (i, v) in items.enumerated() {
                if i > 0 { out += "," }
                out += pad
                v.write(to: &out, level: level + 1, indent: indent)
            }
            out += close + "]"
        case .object(let members):
            if members.isEmpty {
                out += "{}"
                return
            }
            out += "{"
            for (i, (k, v)) in members.enumerated() {
                if i > 0 { out += "," }
                out += pad + JSONValue.goString(k) + (indent ? ": " : ":")
                v.write(to: &out, level: level + 1, indent: indent)
            }
            out += close + "}"
        }
    }

    /// A float64 as Go writes it: the shortest digits that read back to the same value, in plain
    /// notation unless |x| < 1e-6 or |x| >= 1e21, where the exponent form is used with at least
    /// one exponent digit (`1e-7`, `1.5e+21`); integers have no decimal point; `-0` stays `-0`.
    /// Precondition: finite (Go refuses to encode NaN and infinities).
    public static func goNumber(_ x: Double) -> String {
        precondition(x.isFinite, "JSON cannot represent \(x)")
        if x == 0 { return x.sign == .minus ? "-0" : "0" }
        // Swift's description gives the shortest round-trip digits. Without an exponent it is
        // already Go's form, but for the ".0" of an integer (the common case, taken first).
        let plain = x.description
        if !plain.utf8.contains(UInt8(ascii: "e")) {
            return plain.utf8.count > 2 && plain.hasSuffix(".0") ? String(plain.dropLast(2)) : plain
        }
        // Otherwise re-render its digits.
        let (negative, digits, pointPosition) = shortestDigits(x)
        let a = abs(x)
        var s = negative ? "-" : ""
        if a < 1e-6 || a >= 1e21 {
            s += String(digits.first!)
            if digits.count > 1 { s += "." + digits.dropFirst() }
            // strconv writes at least two exponent digits (e-07, e+21); encoding/json then drops
            // the zero of a one-digit negative exponent (e-7).
            let e = pointPosition - 1
            s += e < 0 ? "e-" + String(-e) : "e+" + (e < 10 ? "0" : "") + String(e)
            return s
        }
        if pointPosition <= 0 {
            s += "0." + String(repeating: "0", count: -pointPosition) + digits
        } else if pointPosition >= digits.count {
            s += digits + String(repeating: "0", count: pointPosition - digits.count)
        } else {
            let i = digits.index(digits.startIndex, offsetBy: pointPosition)
            s += digits[..<i] + "." + digits[i...]
        }
        return s
    }

    /// (sign, significant digits without leading or trailing zeros, position of the decimal
    /// point relative to the first digit) of the shortest round-trip representation.
    static func shortestDigits(_ x: Double) -> (Bool, String, Int) {
        var text = abs(x).description  // e.g. "0.001", "1e-07", "1.2345e+20", "100.0"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...])!
            text = String(text[..<e])
        }
        var intPart = text
        var fracPart = ""
        if let dot = text.firstIndex(of: ".") {
            intPart = String(text[..<dot])
            fracPart = String(text[text.index(after: dot)...])
        }
        var digits = intPart + fracPart
        var point = intPart.count + exponent
        while digits.first == "0" {
            digits.removeFirst()
            point -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        return (x < 0, digits.isEmpty ? "0" : digits, point)
    }

    /// A string as Go writes it: `"`, `\` and control characters escaped (`\n`, `\r`, `\t`,
    /// otherwise `\u00XX`), `<`, `>`, `&`, U+2028 and U+2029 escaped as `\uXXXX`.
    public static func goString(_ s: String) -> String {
        // Most strings (keys, names, ids) need no escape: one scan of the bytes decides.
        let needsEscape = s.utf8.contains { b in
            b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b == UInt8(ascii: "<") || b == UInt8(ascii: ">")
                || b == UInt8(ascii: "&") || b == 0xE2  // U+2028 and U+2029 start with 0xE2
        }
        if !needsEscape { return "\"" + s + "\"" }
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
