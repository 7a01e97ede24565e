import ColumnarStorage

/// Where a dataset holds empty strings, which recsys-eval reads as missing fields (SPEC §5.3,
/// §5.4): an exposure or outcome without a request id, an outcome without an item, an
/// assignment without a request id or variant. Such rows count as "missing" in data quality,
/// an assignment without a request id or variant is assigned to nothing, and an empty item id
/// is left out of the dataset-level metrics; otherwise `""` joins like any other id.
///
/// Only datasets ingested under the recsys-eval runtime contract (footer `ingest.contract` =
/// `recsys-eval-runtime`, format-spec §5.7) hold empty strings; for every other dataset each
/// code is -1 and nothing more is read. Dictionaries are sorted, so `""`, when present, is code 0.
public struct EmptyStrings: Sendable {
    /// The code of `""` in the item dictionary (-1: none).
    public let item: Int32
    /// The code of `""` in the variant dictionary (-1: none).
    public let variant: Int32
    /// Whether request dictionaries may hold `""` (then `request(reader:partition:)` reads them).
    public let requests: Bool
    /// Whether the dataset was read under the runtime contract, where Go's zero time
    /// (`Timestamp.goZero`) stands for a missing `ts` ("no time"); under the strict contract
    /// every row had its `ts`, and the year-1 instant is a time like any other.
    public let zeroTimeIsMissing: Bool

    /// None: for datasets that cannot hold empty strings.
    public static let none = EmptyStrings(item: -1, variant: -1, requests: false, runtime: false)

    init(item: Int32, variant: Int32, requests: Bool, runtime: Bool) {
        self.item = item
        self.variant = variant
        self.requests = requests
        zeroTimeIsMissing = runtime
    }

    /// Whether the dataset was read under the recsys-eval runtime contract (format-spec §5.7).
    public static func isRuntimeContract(_ reader: DatasetReader) -> Bool {
        reader.footer.metadataValue("ingest.contract") == "recsys-eval-runtime"
    }

    public init(reader: DatasetReader) throws {
        guard Self.isRuntimeContract(reader) else {
            self = .none
            return
        }
        item = Self.code(try reader.dictionary("item_id"))
        variant = Self.code(try reader.dictionary("variant"))
        // A dataset that says no partition holds "" spares every pass the request dictionaries
        // (format-spec §12; older datasets do not say, and are read).
        requests = reader.footer.metadataValue("ingest.empty_request_ids") != "none"
        zeroTimeIsMissing = true
    }

    /// The code of `""` in partition `p`'s request dictionary (-1: none).
    public func request(reader: DatasetReader, partition p: Int) throws -> Int32 {
        guard requests, reader.footer.partitions[p].requestDictionary.count > 0 else { return -1 }
        return Self.code(try reader.requestDictionary(partition: p))
    }

    /// 0 when the sorted dictionary's first entry is `""`, else -1.
    static func code(_ d: ByteStrings) -> Int32 { d.count > 0 && d.offsets[1] == 0 ? 0 : -1 }
}
