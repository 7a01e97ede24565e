/// JSON string literals from UTF-8 bytes (RFC 8259 escapes; other bytes verbatim).
public enum JSONTextWriter {
    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    public static func appendString(_ bytes: ArraySlice<UInt8>, to out: inout [UInt8]) {
        out.append(0x22)
        for b in bytes {
            switch b {
            case 0x22:
                out.append(0x5C)
                out.append(0x22)
            case 0x5C:
                out.append(0x5C)
                out.append(0x5C)
            case 0x0A:
                out.append(0x5C)
                out.append(UInt8(ascii: "n"))
            case 0x0D:
                out.append(0x5C)
                out.append(UInt8(ascii: "r"))
            case 0x09:
                out.append(0x5C)
                out.append(UInt8(ascii: "t"))
            case 0..<0x20: out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: out.append(b)
            }
        }
        out.append(0x22)
    }
}
