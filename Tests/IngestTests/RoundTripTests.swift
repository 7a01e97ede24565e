import ColumnarFormat
import ColumnarStorage
import Export
import Foundation
import Ingest
import Testing

/// Ingest then export gives back the same JSON values, record for record.
@Suite struct RoundTripTests {
    @Test(arguments: ["tiny", "signals", "ecommerce-mini"])
    func recsysEvalFixtures(name: String) throws {
        let dir = Support.fixtures + "/recsys-eval/" + name
        let tmp = Support.tempDir()
        let ds = tmp + "/d.rcv"
        let s = try Support.ingest(
            exposures: [dir + "/exposures.jsonl"], outcomes: [dir + "/outcomes.jsonl"],
            assignments: [dir + "/assignments.jsonl"], output: ds, maxRejectRate: 0)
        for t in TableKind.allCases {
            let input = Support.read(dir + "/\(t).jsonl")
            #expect(s.counts(t).rejected == 0)
            #expect(s.counts(t).written == Support.records(input).count)
            #expect(Support.records(try Support.export(ds, table: t.description)) == Support.records(input), "\(name) \(t)")
        }
    }

    /// recsys-eval's duplicates edge case: duplicate exposures are kept; outcomes whose
    /// event_type is outside the outcome.v1 enum ("Click", "purchase") are rejected with a reason.
    @Test func duplicatesEdgeCase() throws {
        let dir = Support.fixtures + "/recsys-eval/edge-duplicates"
        let tmp = Support.tempDir()
        let s = try Support.ingest(exposures: [dir + "/exposures.jsonl"], outcomes: [dir + "/outcomes.jsonl"], output: tmp + "/d.rcv")
        #expect(
            s.counts(.exposures)
                == {
                    var c = TableCounts()
                    c.read = 3
                    c.written = 3
                    return c
                }())
        #expect(s.counts(.outcomes).read == 5)
        #expect(s.counts(.outcomes).written == 3)
        #expect(s.counts(.outcomes).rejected == 2)
        let rejects = Support.read(tmp + "/d.rcv.rejects.jsonl").split(separator: "\n")
        #expect(rejects.count == 2)
        for r in rejects {
            let obj = try JSONSerialization.jsonObject(with: Data(r.utf8)) as! [String: Any]
            #expect(obj["field"] as? String == "event_type")
            #expect((obj["reason"] as? String)?.contains("must be \"click\" or \"conversion\"") == true)
            #expect(obj["table"] as? String == "outcomes")
            #expect(obj["source"] as? String == dir + "/outcomes.jsonl")
        }
        let exported = Support.records(try Support.export(tmp + "/d.rcv", table: "exposures"))
        #expect(exported == Support.records(Support.read(dir + "/exposures.jsonl")))
    }

    @Test func compressedInputsAreDetectedByContent() throws {
        let plain = Support.fixtures + "/recsys-eval/ecommerce-mini/exposures.jsonl"
        let expected = Support.records(Support.read(plain))
        for file in ["ecommerce-exposures.jsonl.gz", "ecommerce-exposures.data"] {
            let tmp = Support.tempDir()
            try Support.ingest(exposures: [Support.fixtures + "/" + file], output: tmp + "/d.rcv", maxRejectRate: 0)
            #expect(Support.records(try Support.export(tmp + "/d.rcv", table: "exposures")) == expected, "\(file)")
        }
    }

    @Test(arguments: ["ecommerce-exposures.jsonl.gz", "ecommerce-exposures.data"])
    func truncatedCompressedInputIsAnError(file: String) throws {
        let tmp = Support.tempDir()
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Support.fixtures + "/" + file)))
        Support.writeBytes(Array(bytes.prefix(bytes.count * 2 / 3)), to: tmp + "/cut")
        #expect(throws: IngestError.self) { try Support.ingest(exposures: [tmp + "/cut"], output: tmp + "/d.rcv") }
        #expect(!FileManager.default.fileExists(atPath: tmp + "/d.rcv"))
    }

    /// Every optional field, escapes, non-ASCII, unknown item members, absent vs empty context.
    static let richExposures = [
        #"{"request_id":"r1","user_id":"u\u00e9\ud83d\ude00","ts":"2026-01-27T10:00:00.123456+05:30","items":[{"item_id":"a","rank":1,"propensity":0.25,"logging_propensity":0.5,"target_propensity":0,"meta":{"x":[1,2.5e-3,null,true,"s\"q"]},"w":-0.0}],"context":{"k":"","caf\u00e9":"日本","q":"\"<script>\""},"latency_ms":12.5,"error":true}"#,
        #"{"request_id":"r2","user_id":"u2","ts":"2026-01-27T00:00:00.5-08:00","items":[],"context":{}}"#,
        #"{ "request_id" : "r3" , "user_id":"u3","ts":"2026-01-27t00:00:01z","items":[ {"rank":1.0,"item_id":"b"} , {"item_id":"c","rank":2E0,"propensity":1e-7} ],"latency_ms":0,"error":false }"#,
        #"{"request_id":"r1","user_id":"u1","ts":"2026-01-27T00:00:00Z","items":[{"item_id":"a","rank":3}]}"#,
        #"{"request_id":"r4","user_id":"u4","ts":"2026-01-27T00:00:00Z","items":[{"item_id":"d","rank":9007199254740993}],"latency_ms":123456789.000001}"#,
    ]
    static let richOutcomes = [
        #"{"request_id":"r1","user_id":"u1","item_id":"a","event_type":"click","ts":"2026-01-27T10:00:01+05:30"}"#,
        #"{"request_id":"r1","user_id":"u1","item_id":"a","event_type":"conversion","value":-12.75,"ts":"2026-01-27T10:00:02Z"}"#,
        #"{"request_id":"orphan","user_id":"u9","item_id":"z","event_type":"click","value":0,"ts":"2026-01-27T10:00:02Z"}"#,
    ]
    static let richAssignments = [
        #"{"experiment_id":"e","variant":"control","request_id":"r1","user_id":"u1","ts":"2026-01-27T00:00:00Z"}"#,
        #"{"experiment_id":"e","variant":"candidate","request_id":"r2","user_id":"u2","ts":"2026-01-27T00:00:00Z","context":{"surface":"home"}}"#,
        #"{"experiment_id":"e","variant":"candidate","request_id":"r5","user_id":"u2","ts":"2026-01-27T00:00:00Z","context":{}}"#,
    ]

    @Test(arguments: [1, 2, 7])
    func everyOptionalFieldSurvives(partitions: Int) throws {
        let tmp = Support.tempDir()
        Support.write(Self.richExposures, to: tmp + "/e.jsonl")
        Support.write(Self.richOutcomes, to: tmp + "/o.jsonl")
        Support.write(Self.richAssignments, to: tmp + "/a.jsonl")
        let s = try Support.ingest(
            exposures: [tmp + "/e.jsonl"], outcomes: [tmp + "/o.jsonl"], assignments: [tmp + "/a.jsonl"],
            output: tmp + "/d.rcv", partitions: partitions, maxRejectRate: 0, rowGroupRows: 2)
        #expect(s.partitions == partitions)
        #expect(
            Support.records(try Support.export(tmp + "/d.rcv", table: "exposures"))
                == Support.records(Self.richExposures.joined(separator: "\n")))
        #expect(
            Support.records(try Support.export(tmp + "/d.rcv", table: "outcomes"))
                == Support.records(Self.richOutcomes.joined(separator: "\n")))
        #expect(
            Support.records(try Support.export(tmp + "/d.rcv", table: "assignments"))
                == Support.records(Self.richAssignments.joined(separator: "\n")))
        // Absent and empty contexts stay distinct.
        let exported = try Support.export(tmp + "/d.rcv", table: "exposures")
        #expect(exported.contains(#""request_id":"r2","user_id":"u2","ts":"2026-01-27T00:00:00.5-08:00","items":[],"context":{}"#))
        let r3 = exported.split(separator: "\n").first { $0.contains("\"r3\"") }!
        #expect(!r3.contains("context"))
    }

    @Test func csvExportHasOneRowPerRecord() throws {
        let tmp = Support.tempDir()
        Support.write(Self.richExposures, to: tmp + "/e.jsonl")
        try Support.ingest(exposures: [tmp + "/e.jsonl"], output: tmp + "/d.rcv", maxRejectRate: 0)
        let csv = try Support.export(tmp + "/d.rcv", table: "exposures", format: .csv)
        let lines = csv.split(separator: "\n")
        #expect(lines.first == "request_id,user_id,ts,items,context,latency_ms,error")
        #expect(lines.count == Self.richExposures.count + 1)
        #expect(csv.contains("\"[{\"\"item_id\"\":\"\"b\"\",\"\"rank\"\":1}"))
    }
}
