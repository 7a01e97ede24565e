import ColumnarStorage

/// What a pass resolves from a dataset's dictionaries once, before it reads partitions: the code
/// counts column loading checks codes against, the event and context dictionaries, which event
/// codes are clicks and conversions (as recsys-eval compares them: Go's `strings.ToLower`), and
/// where empty strings are (recsys-eval's missing fields).
struct DatasetCodes: Sendable {
    let items: Int
    let users: Int
    let variants: Int
    let events: DictionaryIndex
    let ctxKeys: DictionaryIndex
    let ctxValues: DictionaryIndex
    let isClick: [Bool]
    let isConversion: [Bool]
    let empty: EmptyStrings

    /// `userIDs`: the user dictionary when the caller has decoded it already (decoded, and so
    /// checked, either way).
    init(reader: DatasetReader, userIDs: ByteStrings? = nil) throws {
        items = try reader.dictionary("item_id").count
        users = try userIDs?.count ?? reader.dictionary("user_id").count
        variants = try reader.dictionary("variant").count
        let eventIndex = DictionaryIndex(try reader.dictionary("event_type"))
        events = eventIndex
        ctxKeys = DictionaryIndex(try reader.dictionary("context_key"))
        ctxValues = DictionaryIndex(try reader.dictionary("context_value"))
        isClick = eventIndex.codes(goLowercasedTo: "click")
        isConversion = eventIndex.codes(goLowercasedTo: "conversion")
        empty = try EmptyStrings(reader: reader)
    }

    /// The code of each context key in `keys` (-1: no exposure's context holds it).
    func keyCodes(_ keys: [String]) -> [Int32] { keys.map { ctxKeys.code(of: $0) ?? -1 } }
}
