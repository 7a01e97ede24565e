/// The Parquet enumerations and annotations the writer uses (`parquet.thrift`).
public enum ParquetPhysicalType: Int32, Sendable {
    case boolean = 0
    case int32 = 1
    case int64 = 2
    case double = 5
    case byteArray = 6
}

enum ParquetRepetition: Int32 {
    case required = 0
    case optional = 1
    case repeated = 2
}

enum ParquetEncoding: Int32 {
    case plain = 0
    case rle = 3
    case rleDictionary = 8
}

enum ParquetCodec: Int32 {
    case uncompressed = 0
    case zstd = 6
}

/// A node's logical annotation, written as both its `LogicalType` and the legacy
/// `ConvertedType` readers of format v1 look for.
public enum ParquetAnnotation: Sendable {
    case string, json, list, map, timestampMicrosUTC

    var convertedType: Int32 {
        switch self {
        case .string: 0
        case .map: 1
        case .list: 3
        case .timestampMicrosUTC: 10
        case .json: 19
        }
    }

    /// The `LogicalType` union member.
    func write(_ w: inout ThriftCompactWriter) {
        switch self {
        case .string: w.structure(1) { _ in }
        case .map: w.structure(2) { _ in }
        case .list: w.structure(3) { _ in }
        case .timestampMicrosUTC:
            w.structure(8) { t in
                t.bool(1, true)
                t.structure(2) { u in u.structure(2) { _ in } }
            }
        case .json: w.structure(12) { _ in }
        }
    }
}
