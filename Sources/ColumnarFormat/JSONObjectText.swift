/// Checks that bytes are one JSON object text with at least one member (RFC 8259, strict), with
/// no whitespace before its `{` or after its `}`: what an item's `extra` column holds when
/// `extra_present` is 1 (format-spec §5.4), whose members the exporter splices between the braces.
///
/// The exporter splices `extra` into the JSONL it writes and the engine scans it for members
/// without a full parse, so both rely on it being well formed; a crafted or miswritten file must
/// be rejected instead. The scan keeps its nesting on an explicit stack, so deep nesting cannot
/// overflow the thread's stack. Cost: one pass over the text plus the UTF-8 pass.
public enum JSONObjectText {
    /// Why `text` is not a JSON object with members (for an error message), or nil when it is.
    public static func problem(_ text: UnsafeRawBufferPointer) -> String? {
        if let at = UTF8Validation.firstInvalidOffset(text) { return "byte \(at) is not valid UTF-8" }
        var s = Scanner(b: text)
        do {
            try s.object()
            return nil
        } catch {
            return error.reason
        }
    }

    struct Problem: Error {
        let reason: String
    }

    /// The open containers, innermost last (true: an object): one bit per level for the first
    /// 64 levels and an array only beyond, so the usual shallow text allocates nothing (the
    /// check runs once per shown item).
    struct Nesting {
        private var bits: UInt64 = 0
        private var depth = 0
        private var deeper: [Bool] = []

        mutating func push(object: Bool) {
            if depth < 64 {
                if object { bits |= 1 << UInt64(depth) } else { bits &= ~(1 << UInt64(depth)) }
            } else {
                deeper.append(object)
            }
            depth += 1
        }

        /// The innermost open container (true: an object), nil when none is open.
        var top: Bool? {
            if depth == 0 { return nil }
            return depth <= 64 ? bits & (1 << UInt64(depth - 1)) != 0 : deeper.last!
        }

        mutating func pop() {
            precondition(depth > 0, "a container to close")
            if depth > 64 { deeper.removeLast() }
            depth -= 1
        }
    }

    struct Scanner {
        let b: UnsafeRawBufferPointer
        var i = 0

        func fail(_ what: String) -> Problem {
            Problem(reason: i < b.count ? "expected \(what) at byte \(i)" : "text ends where \(what) was expected")
        }

        mutating func space() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        }

        mutating func expect(_ c: UInt8, _ what: String) throws(Problem) {
            space()
            guard i < b.count, b[i] == c else { throw fail(what) }
            i += 1
        }

        /// The whole text: `{`, at least one member, `}`, nothing before or after.
        mutating func object() throws(Problem) {
            guard i < b.count, b[i] == UInt8(ascii: "{") else { throw fail("'{'") }
            i += 1
            space()
            if i < b.count, b[i] == UInt8(ascii: "}") { throw Problem(reason: "the object has no members") }
            // Open containers: '{' or '['. After a value, the top decides what may follow.
            var open = Nesting()
            open.push(object: true)
            try string()
            try expect(UInt8(ascii: ":"), "':'")
            try value(&open)
            while let inObject = open.top {
                space()
                let close = inObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
                guard i < b.count else { throw fail("',' or '\(Character(Unicode.Scalar(close)))'") }
                if b[i] == close {
                    i += 1
                    open.pop()
                    continue
                }
                guard b[i] == UInt8(ascii: ",") else { throw fail("',' or '\(Character(Unicode.Scalar(close)))'") }
                i += 1
                if inObject {
                    space()
                    try string()
                    try expect(UInt8(ascii: ":"), "':'")
                }
                try value(&open)
            }
            guard i == b.count else { throw Problem(reason: "unexpected byte after the object at byte \(i)") }
        }

        /// One value; a container is opened (pushed on `open`) and its first element, if any,
        /// scanned, so the caller continues after a value or at a container's end.
        mutating func value(_ open: inout Nesting) throws(Problem) {
            while true {
                space()
                guard i < b.count else { throw fail("a value") }
                let c = b[i]
                switch c {
                case UInt8(ascii: "{"):
                    i += 1
                    open.push(object: true)
                    space()
                    if i < b.count, b[i] == UInt8(ascii: "}") { return }
                    try string()
                    try expect(UInt8(ascii: ":"), "':'")
                case UInt8(ascii: "["):
                    i += 1
                    open.push(object: false)
                    space()
                    if i < b.count, b[i] == UInt8(ascii: "]") { return }
                case UInt8(ascii: "\""):
                    try string()
                    return
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    try number()
                    return
                case UInt8(ascii: "t"): return try literal("true")
                case UInt8(ascii: "f"): return try literal("false")
                case UInt8(ascii: "n"): return try literal("null")
                default: throw fail("a value")
                }
            }
        }

        mutating func string() throws(Problem) {
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw fail("a string") }
            i += 1
            while i < b.count {
                let c = b[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    return
                }
                guard c >= 0x20 else { throw Problem(reason: "control byte \(c) inside a string at byte \(i)") }
                if c == UInt8(ascii: "\\") {
                    i += 1
                    guard i < b.count else { break }
                    switch b[i] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                        UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        i += 1
                    case UInt8(ascii: "u"):
                        i += 1
                        for _ in 0..<4 {
                            guard i < b.count, isHex(b[i]) else { throw fail("a hex digit") }
                            i += 1
                        }
                    default: throw Problem(reason: "invalid escape at byte \(i - 1)")
                    }
                    continue
                }
                i += 1
            }
            throw Problem(reason: "unterminated string")
        }

        mutating func number() throws(Problem) {
            if b[i] == UInt8(ascii: "-") { i += 1 }
            guard i < b.count, isDigit(b[i]) else { throw fail("a digit") }
            if b[i] == UInt8(ascii: "0") { i += 1 } else { digits() }
            if i < b.count, b[i] == UInt8(ascii: ".") {
                i += 1
                guard i < b.count, isDigit(b[i]) else { throw fail("a digit") }
                digits()
            }
            if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
                i += 1
                if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
                guard i < b.count, isDigit(b[i]) else { throw fail("a digit") }
                digits()
            }
        }

        mutating func digits() { while i < b.count, isDigit(b[i]) { i += 1 } }

        mutating func literal(_ word: StaticString) throws(Problem) {
            let n = word.utf8CodeUnitCount
            guard i + n <= b.count else { throw fail("'\(word)'") }
            for k in 0..<n where b[i + k] != word.utf8Start[k] { throw fail("'\(word)'") }
            i += n
        }

        func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
        func isHex(_ c: UInt8) -> Bool {
            isDigit(c) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "F"))
        }
    }
}
