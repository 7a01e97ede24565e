/// Go's two case-insensitive comparisons, exactly, where recsys-eval compares text with an ASCII
/// name: `encoding/json` member names and `strings.EqualFold` (offline relevance), and
/// `strings.ToLower(s) == name` (experiment, OPE and interleaving event types). Both accept the
/// ASCII letters in either case; they differ in the three non-ASCII runes whose simple case
/// mapping reaches an ASCII letter:
///
/// | rune | `EqualFold` | `ToLower` |
/// |---|---|---|
/// | U+212A KELVIN SIGN | k | k |
/// | U+017F LATIN SMALL LETTER LONG S | s | (stays ſ) |
/// | U+0130 LATIN CAPITAL LETTER I WITH DOT ABOVE | (no match) | i |
///
/// Shared by Ingest (member names under the recsys-eval runtime contract) and Engine (event
/// types), so both read a log the way recsys-eval does. Names are lower-case ASCII.
public enum GoCaseFolding {
    /// Whether the UTF-8 `text` equals `name` under Go's `strings.EqualFold` (which is also how
    /// `encoding/json` matches a member name to a struct field).
    public static func equalFold(_ text: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
        matches(text, UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount), longS: true, dottedI: false)
    }

    /// Whether Go's `strings.ToLower` turns the UTF-8 `text` into `name`.
    public static func lowercases(_ text: UnsafeRawBufferPointer, to name: StaticString) -> Bool {
        matches(text, UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount), longS: false, dottedI: true)
    }

    /// `equalFold` for strings; `name` is lower-case ASCII.
    public static func equalFold(_ text: String, _ name: String) -> Bool { compare(text, name, longS: true, dottedI: false) }

    /// `lowercases` for strings; `name` is lower-case ASCII.
    public static func lowercases(_ text: String, to name: String) -> Bool { compare(text, name, longS: false, dottedI: true) }

    static func compare(_ text: String, _ name: String, longS: Bool, dottedI: Bool) -> Bool {
        var t = text
        var n = name
        return t.withUTF8 { tb in
            n.withUTF8 { nb in matches(UnsafeRawBufferPointer(tb), UnsafeRawBufferPointer(nb), longS: longS, dottedI: dottedI) }
        }
    }

    /// Whether `text` matches the lower-case ASCII `name` rune by rune: an ASCII byte by its
    /// lower case, K (E2 84 AA) as `k`, ſ (C5 BF) as `s` when `longS`, İ (C4 B0) as `i` when
    /// `dottedI`; any other non-ASCII byte never matches.
    static func matches(_ text: UnsafeRawBufferPointer, _ want: UnsafeRawBufferPointer, longS: Bool, dottedI: Bool) -> Bool {
        let n = want.count
        var i = 0
        var j = 0
        while j < n {
            guard i < text.count else { return false }
            let t = want[j]
            let c = text[i]
            if c < 0x80 {
                let lower = c >= 0x41 && c <= 0x5A ? c + 0x20 : c
                guard lower == t else { return false }
                i += 1
            } else if t == UInt8(ascii: "k"), i + 2 < text.count, c == 0xE2, text[i + 1] == 0x84, text[i + 2] == 0xAA {
                i += 3
            } else if longS, t == UInt8(ascii: "s"), i + 1 < text.count, c == 0xC5, text[i + 1] == 0xBF {
                i += 2
            } else if dottedI, t == UInt8(ascii: "i"), i + 1 < text.count, c == 0xC4, text[i + 1] == 0xB0 {
                i += 2
            } else {
                return false
            }
            j += 1
        }
        return i == text.count
    }
}
