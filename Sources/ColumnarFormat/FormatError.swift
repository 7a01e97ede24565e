/// A dataset that cannot be read: truncated, corrupted, of a newer major version, or using an
/// encoding this reader does not know. Every case says what was expected, so the user can tell a
/// damaged file from an incompatible one.
public enum FormatError: Error, CustomStringConvertible, Sendable, Equatable {
    case badMagic(String)
    case unsupportedVersion(major: UInt16, minor: UInt16)
    case truncated(String)
    case checksumMismatch(String)
    case invalid(String)
    case unknownEncoding(UInt8)
    case unknownCodec(UInt8)
    case codecFailure(String)

    public var description: String {
        switch self {
        case .badMagic(let w): return "bad magic number in \(w) (not a receval dataset, or the file is damaged)"
        case .unsupportedVersion(let ma, let mi): return "format version \(ma).\(mi) is not supported (this reader reads version 1.x)"
        case .truncated(let w): return "file is truncated: \(w)"
        case .checksumMismatch(let w): return "checksum mismatch in \(w) (the file is corrupted)"
        case .invalid(let w): return "invalid structure: \(w)"
        case .unknownEncoding(let e): return "unknown encoding id \(e)"
        case .unknownCodec(let c): return "unknown codec id \(c)"
        case .codecFailure(let w): return "decompression failed: \(w)"
        }
    }
}
