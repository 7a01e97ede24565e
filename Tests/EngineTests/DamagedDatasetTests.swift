import ColumnarStorage
import Engine
import Foundation
import Testing

/// The engine on the format's mutated test vectors (bad counts with valid checksums, codes
/// outside dictionaries, unknown encodings, ...): an error or the base vector's answer, never a
/// crash or a different answer.
@Suite struct DamagedDatasetTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("format-spec/test-vectors").path

    struct Case: Decodable, Sendable, CustomStringConvertible {
        var file: String
        var base: String
        var description: String { file }
    }

    static let cases: [Case] = {
        let data = try! Data(contentsOf: URL(fileURLWithPath: root + "/mutations/cases.json"))
        return try! JSONDecoder().decode([Case].self, from: data)
    }()

    static func answers(_ path: String) throws -> String {
        let reader = try DatasetReader(path: path)
        let join = try DatasetJoin.run(reader: reader, threads: 2)
        let agg = try VariantAggregate.run(reader: reader, threads: 2, experiment: nil, groupBy: ["surface"])
        let rank = try RankingMetrics.compute(reader: reader, k: 3, threads: 2)
        let dq = try DataQuality.compute(reader: reader, sliceKeys: ["surface"], threads: 2)
        return "\(join.counts) \(agg.groups) \(rank.recsysEval) \(rank.ir) \(dq.slices)"
    }

    @Test(arguments: cases)
    func errorOrSameAnswer(c: Case) throws {
        let expected = try Self.answers("\(Self.root)/\(c.base)/\(c.base).rcv")
        do {
            let got = try Self.answers("\(Self.root)/mutations/\(c.file)")
            #expect(got == expected)
        } catch {
            #expect(error is StorageError)
        }
    }
}
