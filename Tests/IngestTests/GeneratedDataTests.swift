import ColumnarStorage
import Export
import Foundation
import Ingest
import LogGenerator
import Testing

/// Round trips and reject accounting on synthetic logs from `LogGenerator`.
@Suite struct GeneratedDataTests {
    static func generate(_ config: LogGeneratorConfig, into dir: String) -> LogGeneratorSummary {
        var files: [LogTable: FileHandle] = [:]
        for t in LogTable.allCases {
            _ = FileManager.default.createFile(atPath: dir + "/" + t.fileName, contents: nil)
            files[t] = FileHandle(forWritingAtPath: dir + "/" + t.fileName)!
        }
        let summary = LogGenerator(config).generate { t, bytes in files[t]!.write(Data(bytes)) }
        for f in files.values { try? f.close() }
        return summary
    }

    @Test func everyOptionalFieldRoundTrips() throws {
        let tmp = Support.tempDir()
        var config = LogGeneratorConfig(exposures: 3000, seed: 7)
        config.allFields = true
        let g = Self.generate(config, into: tmp)
        let paths = LogTable.allCases.map { tmp + "/" + $0.fileName }
        let s = try Support.ingest(
            exposures: [paths[0]], outcomes: [paths[1]], assignments: [paths[2]], output: tmp + "/d.rcv",
            partitions: 3, maxRejectRate: 0, rowGroupRows: 700)
        #expect(s.counts(.exposures).written == g.exposureLines)
        #expect(s.counts(.outcomes).written == g.outcomes)
        #expect(s.counts(.assignments).written == g.assignments)
        for (t, path) in zip(["exposures", "outcomes", "assignments"], paths) {
            #expect(Support.records(try Support.export(tmp + "/d.rcv", table: t)) == Support.records(Support.read(path)), "\(t)")
        }
    }

    /// Parquet exports are the same bytes on 1 or 2 threads (partitions encode in parallel and
    /// are written in order), start and end with the magic, and hold one row group per
    /// partition; their values are checked against pyarrow and DuckDB by
    /// tools/interop/check_parquet.py.
    @Test func parquetExportDoesNotDependOnThreads() throws {
        let tmp = Support.tempDir()
        var config = LogGeneratorConfig(exposures: 1500, seed: 9)
        config.allFields = true
        _ = Self.generate(config, into: tmp)
        let paths = LogTable.allCases.map { tmp + "/" + $0.fileName }
        try Support.ingest(exposures: [paths[0]], outcomes: [paths[1]], assignments: [paths[2]], output: tmp + "/d.rcv", partitions: 5)
        let reader = try DatasetReader(path: tmp + "/d.rcv")
        for (table, layout) in [
            ("exposures", ParquetExporter.Layout.records), ("exposures", .items), ("outcomes", .records), ("assignments", .records),
        ] {
            var one: [UInt8] = []
            var two: [UInt8] = []
            try ParquetExporter(reader: reader).export(table: table, layout: layout, createdBy: "t", threads: 1) { one += $0 }
            try ParquetExporter(reader: reader).export(table: table, layout: layout, createdBy: "t", threads: 2) { two += $0 }
            #expect(one == two, "\(table) \(layout)")
            #expect(Array(one.prefix(4)) == Array("PAR1".utf8) && Array(one.suffix(4)) == Array("PAR1".utf8))
        }
    }

    @Test func malformedLinesAreAllRejected() throws {
        let tmp = Support.tempDir()
        var config = LogGeneratorConfig(exposures: 5000, seed: 3)
        config.malformedRate = 0.02
        config.allFields = true
        let g = Self.generate(config, into: tmp)
        let paths = LogTable.allCases.map { tmp + "/" + $0.fileName }
        let s = try Support.ingest(exposures: [paths[0]], outcomes: [paths[1]], assignments: [paths[2]], output: tmp + "/d.rcv")
        for (kind, t) in zip([TableKind.exposures, .outcomes, .assignments], LogTable.allCases) {
            let c = s.counts(kind)
            #expect(c.rejected == g.malformed[t, default: 0], "\(t)")
            #expect(c.read == g.lines(t), "\(t)")
            #expect(c.read == c.written + c.rejected)
        }
    }
}
