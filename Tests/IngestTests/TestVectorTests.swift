import ColumnarStorage
import Export
import Foundation
import Testing

/// The committed format test vectors (format-spec/test-vectors): each decodes to its expected
/// records, and each mutated file gets the verdict the specification gives it.
@Suite struct TestVectorTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("format-spec/test-vectors").path

    static let vectors = ["minimal", "basic-none", "basic-zstd", "basic-lz4", "partitioned", "edge-cases"]

    @Test(arguments: vectors)
    func vectorDecodesToExpected(name: String) throws {
        let path = "\(Self.root)/\(name)/\(name).rcv"
        for table in DatasetExporter.tables {
            let expected = try String(contentsOfFile: "\(Self.root)/\(name)/expected/\(table).jsonl", encoding: .utf8)
            #expect(try Support.export(path, table: table) == expected, "\(name) \(table)")
        }
    }

    struct Case: Decodable, Sendable, CustomStringConvertible {
        var file: String
        var expect: String
        var because: String
        var description: String { file }
    }

    static let cases: [Case] = {
        let data = try! Data(contentsOf: URL(fileURLWithPath: root + "/mutations/cases.json"))
        return try! JSONDecoder().decode([Case].self, from: data)
    }()

    @Test(arguments: cases)
    func mutationVerdict(c: Case) throws {
        let path = "\(Self.root)/mutations/\(c.file)"
        if c.expect == "reject-open" {
            #expect(throws: StorageError.self, "\(c.because)") { _ = try DatasetReader(path: path) }
            return
        }
        let reader = try DatasetReader(path: path)
        if c.expect == "accept" {
            for t in DatasetExporter.tables { _ = try Support.export(path, table: t) }
            return
        }
        let table = String(c.expect.dropFirst("reject-read:".count))
        #expect(throws: StorageError.self, "\(c.because)") {
            try DatasetExporter(reader: reader).export(table: table, format: .jsonl) { _ in }
        }
    }
}
