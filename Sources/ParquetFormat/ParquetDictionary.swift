/// Strings a dictionary-coded column's codes refer to: `offsets` (count + 1) into `data`, in
/// ascending byte order (a dataset dictionary's order), so the smallest and largest codes a
/// chunk uses are its statistics' bounds.
public struct ParquetDictionary: Sendable {
    public let offsets: [UInt32]
    public let data: [UInt8]

    public init(offsets: [UInt32], data: [UInt8]) {
        precondition(!offsets.isEmpty, "offsets hold count + 1 entries")
        self.offsets = offsets
        self.data = data
    }

    public var count: Int { offsets.count - 1 }

    subscript(i: Int) -> ArraySlice<UInt8> { data[Int(offsets[i])..<Int(offsets[i + 1])] }
}
