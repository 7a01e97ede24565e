import ColumnarStorage

/// What a pass resolves from a dataset's dictionaries once, before it reads partitions: the code
/// counts column loading checks codes against, the event and context dictionaries, and which
/// event codes are clicks and conversions (case-insensitively, as recsys-eval compares them).
struct DatasetCodes: Sendable {
    let items: Int
    let users: Int
    let variants: Int
    let events: DictionaryIndex
    let ctxKeys: DictionaryIndex
    let ctxValues: DictionaryIndex
    let isClick: [Bool]
    let isConversion: [Bool]

    init(reader: DatasetReader) throws {
        items = try reader.dictionary("item_id").count
        users = try reader.dictionary("user_id").count
        variants = try reader.dictionary("variant").count
        let eventIndex = DictionaryIndex(try reader.dictionary("event_type"))
        events = eventIndex
        ctxKeys = DictionaryIndex(try reader.dictionary("context_key"))
        ctxValues = DictionaryIndex(try reader.dictionary("context_value"))
        isClick = eventIndex.codes(matchingCaseInsensitive: "click")
        isConversion = eventIndex.codes(matchingCaseInsensitive: "conversion")
    }

    /// The code of each context key in `keys` (-1: no exposure's context holds it).
    func keyCodes(_ keys: [String]) -> [Int32] { keys.map { ctxKeys.code(of: $0) ?? -1 } }
}
