/// A chunk's values after encoding and before compression, with the parameters a reader needs.
public struct EncodedChunk: Sendable {
    public var payload: [UInt8]
    public var count: Int
    public var physicalType: PhysicalType
    public var encoding: Encoding
    public var bitWidth: UInt8 = 0
    public var paramA: Int64 = 0
    public var paramB: Int64 = 0

    public init(
        payload: [UInt8], count: Int, physicalType: PhysicalType, encoding: Encoding,
        bitWidth: UInt8 = 0, paramA: Int64 = 0, paramB: Int64 = 0
    ) {
        self.payload = payload
        self.count = count
        self.physicalType = physicalType
        self.encoding = encoding
        self.bitWidth = bitWidth
        self.paramA = paramA
        self.paramB = paramB
    }
}
