import Foundation
import Ingest
import Testing

/// Parquet files crafted to break the reader (`Fixtures/parquet-crafted`, written by its
/// `make.py`; found in review after the fuzzer's first finding): a negative root child count,
/// row counts past Int's range or negative, a chunk offset that overflows, v2 level lengths that
/// overflow, a negative fixed length, and lists nested 200,000 deep are errors naming the file;
/// a width-0 DELTA_BINARY_PACKED miniblock and a width-0 bit-packed run of 2^40 values decode
/// at once instead of spinning. None may trap or hang.
@Suite struct ParquetCraftedTests {
    static let folder = Support.fixtures + "/parquet-crafted"

    static func convert(_ bytes: [UInt8]) -> String? {
        let dir = Support.tempDir()
        Support.writeBytes(bytes, to: dir + "/f.parquet")
        do {
            try ParquetRows.convert(path: dir + "/f.parquet", to: dir + "/f.rows.jsonl")
            return nil
        } catch { return "\(error)" }
    }

    @Test(arguments: [
        ("A_root_children_neg", "root claims -1 columns"), ("B2_rows_max_one_col", "claims 9223372036854775807 rows"),
        ("B_rows_neg_no_columns", "claims -1 rows"), ("C_start_plus_size", "lies outside the file"),
        ("D_v2_level_lengths", "level lengths"), ("E_fixed_len_neg", "type length is -1"),
    ])
    func malformedFilesAreErrors(name: String, message: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.folder + "/\(name).parquet")))
        let error = Self.convert(bytes)
        #expect(error?.contains(message) == true, "\(name): \(error ?? "no error")")
    }

    @Test(arguments: ["F_delta_hang", "G_hybrid_width0_hang"])
    func widthZeroRunsDecodeAtOnce(name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.folder + "/\(name).parquet")))
        let started = Date()
        _ = Self.convert(bytes)
        // A generous bound: the old decoder ran for hours on these.
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func deeplyNestedThriftListsAreAnError() {
        // A footer of 200,000 list headers, each the element of the one before.
        let footer = [UInt8](repeating: 0x19, count: 200_000)
        var length = UInt32(footer.count).littleEndian
        let bytes = Array("PAR1".utf8) + footer + withUnsafeBytes(of: &length) { Array($0) } + Array("PAR1".utf8)
        #expect(Self.convert(bytes)?.contains("nest too deeply") == true)
    }
}
