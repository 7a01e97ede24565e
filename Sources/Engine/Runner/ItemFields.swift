import ColumnarStorage

/// Reads top-level members of an item's `extra` text (the JSON object of item members beyond
/// the five the format stores as columns, format-spec §5.4): a number or a string by name.
/// `extra` comes through `ColumnLoader.extra`, which rejects an entry that is not a JSON object
/// (a crafted or miswritten file) with an error naming the file, partition and row, so a scan that
/// skips values by their brackets and quotes is enough here; a member that is not the asked-for
/// kind reads as absent.
public enum ItemFields {
    /// The member `name` of object text `text` as a number (nil when absent or not a number).
    public static func number(_ name: [UInt8], in text: ArraySlice<UInt8>) -> Double? {
        guard let v = value(name, in: text), let first = v.first, first != UInt8(ascii: "\"") else { return nil }
        return Double(String(decoding: v, as: UTF8.self))
    }

    /// The member `name` as a string without escapes (nil when absent, not a string, or escaped),
    /// as a slice of `text` (no copy: scans call this once per shown item).
    public static func string(_ name: [UInt8], in text: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard let v = value(name, in: text), v.count >= 2, v.first == UInt8(ascii: "\""), v.last == UInt8(ascii: "\"") else {
            return nil
        }
        let inner = v.dropFirst().dropLast()
        if inner.contains(UInt8(ascii: "\\")) { return nil }
        return inner
    }

    /// The raw text of member `name`'s value.
    static func value(_ name: [UInt8], in text: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        var i = text.startIndex
        let end = text.endIndex
        func skipSpace() { while i < end, text[i] == 0x20 || text[i] == 0x0A || text[i] == 0x0D || text[i] == 0x09 { i += 1 } }
        /// Index just past the string starting at `i` (a quote).
        func skipString() {
            i += 1
            while i < end {
                if text[i] == UInt8(ascii: "\\") {
                    i += 2
                    continue
                }
                if text[i] == UInt8(ascii: "\"") {
                    i += 1
                    return
                }
                i += 1
            }
        }
        func skipValue() {
            skipSpace()
            guard i < end else { return }
            let c = text[i]
            if c == UInt8(ascii: "\"") {
                skipString()
                return
            }
            if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                var depth = 0
                while i < end {
                    let d = text[i]
                    if d == UInt8(ascii: "\"") {
                        skipString()
                        continue
                    }
                    if d == UInt8(ascii: "{") || d == UInt8(ascii: "[") { depth += 1 }
                    if d == UInt8(ascii: "}") || d == UInt8(ascii: "]") {
                        depth -= 1
                        if depth == 0 {
                            i += 1
                            return
                        }
                    }
                    i += 1
                }
                return
            }
            while i < end, text[i] != UInt8(ascii: ","), text[i] != UInt8(ascii: "}"), text[i] != 0x20 { i += 1 }
        }
        skipSpace()
        guard i < end, text[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        while i < end {
            skipSpace()
            guard i < end, text[i] == UInt8(ascii: "\"") else { return nil }
            let keyStart = i + 1
            skipString()
            let key = text[keyStart..<(i - 1)]
            skipSpace()
            guard i < end, text[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skipSpace()
            let valueStart = i
            skipValue()
            if key.elementsEqual(name) { return text[valueStart..<i] }
            skipSpace()
            guard i < end, text[i] == UInt8(ascii: ",") else { return nil }
            i += 1
        }
        return nil
    }
}
