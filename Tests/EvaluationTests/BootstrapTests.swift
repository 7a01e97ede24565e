import ColumnarFormat
import ColumnarStorage
import Engine
import Evaluation
import Foundation
import Reports
import Testing

@Suite struct BootstrapTests {
    static let yaml = """
        mode: offline
        offline:
          metrics:
            - name: precision
              k: 2
          slice_keys: [surface]
          bootstrap:
            enabled: true
            iterations: 300
            seed: 7
            ci_level: 0.9
        """

    static func report(threads: Int) throws -> JSONValue {
        let config = try EvalConfig.parse(yaml, file: "eval.yaml")
        let metadata = ReportMetadata(
            runID: "offline-1", createdAt: "2025-01-01T00:00:00Z", binaryVersion: "test", gitCommit: "", effectiveConfig: nil,
            datasetFingerprint: "")
        return try OfflineEvaluation.run(
            reader: try OfflineParityTests.dataset("ecommerce-mini"), config: config.offline, baseline: nil, metadata: metadata,
            threads: threads
        ).report
    }

    /// The interval equals a direct computation: Poisson weights per request id, weighted means of
    /// per-request precision@2, percentile indices ⌊α(B−1)⌋ and ⌈(1−α)(B−1)⌉.
    @Test func intervalMatchesADirectComputation() throws {
        let dir = OfflineParityTests.datasets + "/ecommerce-mini"
        let ex = try String(contentsOfFile: dir + "/exposures.jsonl", encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        let oc = try String(contentsOfFile: dir + "/outcomes.jsonl", encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        var relevant: [String: Set<String>] = [:]
        for o in oc where ["click", "conversion"].contains((o["event_type"] as! String).lowercased()) {
            relevant[o["request_id"] as! String, default: []].insert(o["item_id"] as! String)
        }
        var seen = Set<String>()
        var cases: [(UInt64, Double)] = []
        for e in ex {
            let id = e["request_id"] as! String
            guard seen.insert(id).inserted else { continue }
            let items = (e["items"] as! [[String: Any]]).sorted { ($0["rank"] as! Int) < ($1["rank"] as! Int) }.map {
                $0["item_id"] as! String
            }
            let top = items.prefix(2)
            let hits = top.filter { relevant[id]?.contains($0) == true }.count
            cases.append((XXH64.hash(Array(id.utf8)), top.isEmpty ? 0 : Double(hits) / Double(top.count)))
        }
        var means: [Double] = []
        for b in 0..<300 {
            var num = 0.0
            var den = 0.0
            for (unit, x) in cases {
                let w = Double(PoissonBootstrap.weight(seed: 7, replicate: b, unit: unit))
                num += w * x
                den += w
            }
            if den > 0 { means.append(num / den) }
        }
        means.sort()
        let lower = means[Int((0.05 * Double(means.count - 1)).rounded(.down))]
        let upper = means[Int((0.95 * Double(means.count - 1)).rounded(.up))]
        let r = try Self.report(threads: 2)
        guard case .array(let metrics)? = r["offline"]?["metrics"], let ci = metrics.first?["ci"] else {
            Issue.record("no interval in the report")
            return
        }
        #expect(ci["lower"] == .number(lower))
        #expect(ci["upper"] == .number(upper))
        #expect(ci["level"] == .number(0.9))
        #expect(lower <= upper)
    }

    @Test func intervalsDoNotDependOnThreads() throws {
        #expect(try Self.report(threads: 1).serialized() == (try Self.report(threads: 2).serialized()))
    }

    /// Replicate sums taken over consecutive parts of the units, each part going on from the
    /// sums before it, are the same bits as over all units at once (what lets OPE take its users
    /// in parts). 70 replicates: a block of 64 lanes and a partial one.
    @Test func replicateSumsGoOnAcrossParts() throws {
        let n = 1_000
        let units = (0..<n).map { UInt64($0) &* 0x9E37_79B9_7F4A_7C15 }
        let arm = (0..<n).map { Int32($0 % 3 == 0 ? -1 : $0 % 2) }
        let tenths: [Double] = (0..<n).map { Double($0 % 7) * 0.1 }
        let reciprocals: [Double] = (0..<n).map { 1 / Double($0 + 1) }
        let roots: [Double] = (0..<n).map { Double($0).squareRoot() }
        // Three columns, and two (the kernel's unrolled case).
        for columns in [[tenths, reciprocals, roots], [reciprocals, roots]] {
            func sums(_ range: Range<Int>, _ previous: [Double]?, threads: Int) throws -> [Double] {
                try PoissonBootstrap.replicateSums(
                    units: Array(units[range]), arm: Array(arm[range]), arms: 2, columns: columns.map { Array($0[range]) },
                    replicates: 70, seed: 11, threads: threads, continuing: previous)
            }
            let whole = try sums(0..<n, nil, threads: 2)
            for cuts in [[0, 1, n], [0, 333, 334, 900, n], [0, n, n]] {
                var carried: [Double]? = nil
                for i in 0..<(cuts.count - 1) { carried = try sums(cuts[i]..<cuts[i + 1], carried, threads: 1 + i % 2) }
                #expect(carried!.map(\.bitPattern) == whole.map(\.bitPattern), "\(columns.count) columns, cuts \(cuts)")
            }
        }
    }

    @Test func poissonWeightsHaveMeanAndVarianceOne() {
        var sum = 0.0
        var squares = 0.0
        let n = 200_000
        for i in 0..<n {
            let w = Double(PoissonBootstrap.weight(seed: 1, replicate: i % 1000, unit: UInt64(i / 1000)))
            sum += w
            squares += w * w
        }
        let mean = sum / Double(n)
        #expect(abs(mean - 1) < 0.01)
        #expect(abs(squares / Double(n) - mean * mean - 1) < 0.02)
    }
}
