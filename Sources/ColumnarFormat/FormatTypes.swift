/// Constants and identifiers of the receval dataset format, version 1.
/// `format-spec/README.md` is the normative description; every value here appears there.
public enum DatasetFormat {
    /// First 8 bytes of every dataset file: `RCVDSET\0`.
    public static let headerMagic: [UInt8] = Array("RCVDSET".utf8) + [0]
    /// Last 8 bytes of every dataset file: `RCVDEND\0`.
    public static let trailerMagic: [UInt8] = Array("RCVDEND".utf8) + [0]
    public static let majorVersion: UInt16 = 1
    public static let minorVersion: UInt16 = 0
    public static let headerSize = 64
    public static let trailerSize = 32
    /// Every chunk starts at a multiple of this offset, so a plain column read or mapped from the
    /// file is aligned for its values.
    public static let alignment = 64
}

/// How values are laid out in memory once decoded.
public enum PhysicalType: UInt8, Sendable, CustomStringConvertible {
    case int32 = 1
    case int64 = 2
    case float64 = 3
    case bool = 4
    case bytes = 5

    public var description: String {
        switch self {
        case .int32: "int32"
        case .int64: "int64"
        case .float64: "float64"
        case .bool: "bool"
        case .bytes: "bytes"
        }
    }
}

/// How a chunk's values are turned into bytes before compression.
public enum Encoding: UInt8, Sendable, CustomStringConvertible {
    /// Fixed-width little-endian values; bools one byte each; bytes as offsets then data.
    case plain = 0
    /// Frame of reference: `value = paramA + unpacked`, `bitWidth` bits per value, LSB first.
    case bitPacked = 1
    /// `paramA` = first value; the next `count-1` deltas minus `paramB` are bit packed.
    case deltaBitPacked = 2
    /// One bit per bool, LSB first.
    case bitmap = 3
    /// Alternating run lengths (UInt32 LE) of false and true, starting with false.
    case runLength = 4
    /// Doubles that are exact decimals: `value = Double(paramA + unpacked) / 10^paramB`.
    case decimalBitPacked = 5

    public var description: String {
        switch self {
        case .plain: "plain"
        case .bitPacked: "bitpacked"
        case .deltaBitPacked: "delta"
        case .bitmap: "bitmap"
        case .runLength: "rle"
        case .decimalBitPacked: "decimal"
        }
    }
}

/// The general-purpose compressor applied to an encoded chunk.
public enum Codec: UInt8, Sendable, CustomStringConvertible, CaseIterable {
    case none = 0
    case lz4 = 1
    case zstd = 2

    public var description: String {
        switch self {
        case .none: "none"
        case .lz4: "lz4"
        case .zstd: "zstd"
        }
    }

    public init?(name: String) {
        switch name.lowercased() {
        case "none": self = .none
        case "lz4": self = .lz4
        case "zstd": self = .zstd
        default: return nil
        }
    }
}

/// Where one chunk lives and how to turn it back into values.
///
/// Serialised as 56 bytes (all little-endian):
///
///     0        8        16       24       32     36  37  38  39  40       48       56
///     +--------+--------+--------+--------+------+---+---+---+---+--------+--------+
///     | offset | stored | encoded| xxh64  |count |typ|enc|cdc|bw | paramA | paramB |
///     +--------+--------+--------+--------+------+---+---+---+---+--------+--------+
public struct ChunkDescriptor: Sendable, Equatable {
    public var offset: UInt64
    public var storedLength: UInt64
    public var encodedLength: UInt64
    public var checksum: UInt64
    public var count: UInt32
    public var physicalType: PhysicalType
    public var encodingRaw: UInt8
    public var codecRaw: UInt8
    public var bitWidth: UInt8
    public var paramA: Int64
    public var paramB: Int64

    public static let serializedSize = 56

    public init(
        offset: UInt64, storedLength: UInt64, encodedLength: UInt64, checksum: UInt64, count: UInt32,
        physicalType: PhysicalType, encoding: Encoding, codec: Codec, bitWidth: UInt8, paramA: Int64,
        paramB: Int64
    ) {
        self.offset = offset
        self.storedLength = storedLength
        self.encodedLength = encodedLength
        self.checksum = checksum
        self.count = count
        self.physicalType = physicalType
        self.encodingRaw = encoding.rawValue
        self.codecRaw = codec.rawValue
        self.bitWidth = bitWidth
        self.paramA = paramA
        self.paramB = paramB
    }

    public var encoding: Encoding? { Encoding(rawValue: encodingRaw) }
    public var codec: Codec? { Codec(rawValue: codecRaw) }
}
