import ColumnarFormat
import Testing

@Suite struct FooterTests {
    func sampleFooter() -> DatasetFooter {
        let c = ChunkDescriptor(
            offset: 128, storedLength: 10, encodedLength: 20, checksum: 7, count: 3, physicalType: .int32,
            encoding: .bitPacked, codec: .zstd, bitWidth: 5, paramA: -4, paramB: 9)
        let d = ChunkDescriptor(
            offset: 192, storedLength: 16, encodedLength: 16, checksum: 8, count: 2, physicalType: .bytes,
            encoding: .plain, codec: .none, bitWidth: 0, paramA: 0, paramB: 0)
        let t = DatasetSchema.outcomes
        let rg = RowGroupDescriptor(rows: 3, groupRows: [], chunks: Array(repeating: c, count: t.columns.count))
        return DatasetFooter(
            createdBy: "test", tables: [t], dictionaries: [DictionaryDescriptor(name: "user_id", count: 2, chunk: d)],
            partitions: [
                PartitionDescriptor(requestDictionary: DictionaryDescriptor(name: "request_id", count: 2, chunk: d), tables: [[rg, rg]])
            ],
            metadata: [("k", "v"), ("ingest.sources", "a\nb")])
    }

    @Test func serialisationRoundTrips() throws {
        let f = sampleFooter()
        let bytes = f.serialized()
        let back = try bytes.withUnsafeBytes { try DatasetFooter.parse($0) }
        #expect(back == f)
    }

    @Test func everyTruncationThrows() {
        let bytes = sampleFooter().serialized()
        for n in 0..<bytes.count {
            let prefix = Array(bytes.prefix(n))
            #expect(throws: FormatError.self) { try prefix.withUnsafeBytes { try DatasetFooter.parse($0) } }
        }
    }

    @Test func hugeCountsAreRejectedBeforeAllocating() {
        var bytes = sampleFooter().serialized()
        // The table count follows the created-by string (4-byte length + 4 bytes of text).
        bytes[8] = 0xFF
        bytes[9] = 0xFF
        bytes[10] = 0xFF
        bytes[11] = 0x7F
        #expect(throws: FormatError.self) { try bytes.withUnsafeBytes { try DatasetFooter.parse($0) } }
    }
}
