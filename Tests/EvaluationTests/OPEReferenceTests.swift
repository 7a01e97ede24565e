import ColumnarStorage
import Engine
import Evaluation
import Foundation
import Reports
import TestSupport
import Testing

/// receval's estimators against obp (Open Bandit Pipeline 0.5.7) on data receval has not seen:
/// real logged bandit feedback (the Open Bandit Dataset sample, with obp's BernoulliTS target
/// and obp's fitted reward model) and synthetic slates with factorised policies
/// (Fixtures/ope-obp, produced by tools/reference/ope.py). Tolerance 1e-9, relative.
@Suite struct OPEReferenceTests {
    static let folder = OfflineParityTests.fixtures + "/ope-obp"

    static func analysis(
        _ dataset: String, clipping: Double = 5, tau: Double = 5, model: OPEConfig.Analysis.RewardModel = .logged, partitions: Int? = nil,
        threads: Int = 2, discount: String = "none", enabled: Bool = true, unit: String = "request", topK: Int = 0,
        unitsPerPart: Int? = nil
    ) throws -> JSONValue {
        var c = OPEConfig()
        c.analysis.enabled = enabled
        c.unit = unit
        c.topK = topK
        c.clipping = 3
        c.enableSNIPS = true
        c.enableDR = true
        c.positionDiscount = discount
        c.analysis.rewardModel = model
        c.analysis.clipping = clipping
        c.analysis.switchThreshold = tau
        c.analysis.bootstrapIterations = 200
        let metadata = ReportMetadata(
            runID: "ope-x", createdAt: "2025-01-01T00:00:00Z", binaryVersion: "", gitCommit: "", effectiveConfig: nil,
            datasetFingerprint: "")
        let reader = try OfflineParityTests.ingest(folder + "/" + dataset, partitions: partitions)
        return try OPEEvaluation.run(reader: reader, config: c, metadata: metadata, threads: threads, unitsPerPart: unitsPerPart)
    }

    static func estimate(_ report: JSONValue, _ name: String) -> JSONValue? {
        report["ope_analysis"]?["estimators"]?.arrayItems.first { $0["name"] == .string(name) }
    }

    static func close(_ a: Double?, _ b: Double?) -> Bool {
        guard let a, let b else { return false }
        return abs(a - b) <= 1e-9 * max(abs(b), 1e-300)
    }

    @Test func openBanditDatasetMatchesObp() throws {
        let expected = try OfflineParityTests.read(Self.folder + "/obd/expected.json")
        let report = try Self.analysis("obd")
        let n = expected["rounds"]!.numberValue!
        #expect(report["ope_analysis"]?["requests"]?.numberValue == n)
        for name in ["ips", "snips", "clipped_ips", "dm", "dr", "sndr", "switch_dr"] {
            let want = expected["estimates"]?[name]?.numberValue
            let got = Self.estimate(report, name)?["value"]?.numberValue
            #expect(Self.close(got, want), "\(name): \(String(describing: got)) vs \(String(describing: want))")
        }
        // Plain means: the standard error is the per-round standard deviation / √n.
        for name in ["ips", "clipped_ips", "dm", "dr", "switch_dr"] {
            let want = expected["round_std"]![name]!.numberValue! / n.squareRoot()
            #expect(Self.close(Self.estimate(report, name)?["se"]?.numberValue, want), "se of \(name)")
        }
        let d = report["ope_analysis"]?["diagnostics"]
        #expect(Self.close(d?["effective_sample_size"]?.numberValue, expected["weights"]?["ess"]?.numberValue))
        #expect(Self.close(d?["weight_mean"]?.numberValue, expected["weights"]?["mean"]?.numberValue))
        #expect(Self.close(d?["max_weight"]?.numberValue, expected["weights"]?["max"]?.numberValue))
        #expect(Self.close(d?["clipped_share"]?.numberValue, expected["weights"]?["share_above_lambda"]?.numberValue))
        // A threshold where clipping and switching bite (obp: min(w, λ); switch keeps w ≤ τ).
        let tight = try Self.analysis("obd", clipping: 0.5, tau: 0.5)
        #expect(
            Self.close(
                Self.estimate(tight, "clipped_ips")?["value"]?.numberValue, expected["at_threshold_0.5"]?["clipped_ips"]?.numberValue))
        #expect(
            Self.close(Self.estimate(tight, "switch_dr")?["value"]?.numberValue, expected["at_threshold_0.5"]?["switch_dr"]?.numberValue))
    }

    @Test func slateEstimatorsMatchObp() throws {
        let expected = try OfflineParityTests.read(Self.folder + "/slate/expected.json")
        let report = try Self.analysis("slate")
        #expect(report["ope_analysis"]?["requests"]?.numberValue == expected["slates"]?.numberValue)
        #expect(report["ope_analysis"]?["units"]?.numberValue == expected["user_level"]?["users"]?.numberValue)
        for name in ["sips", "iips", "rips", "pseudo_inverse"] {
            let want = expected["estimates"]?[name]?.numberValue
            let got = Self.estimate(report, name)?["value"]?.numberValue
            #expect(Self.close(got, want), "\(name): \(String(describing: got)) vs \(String(describing: want))")
        }
        // Item-position IPS is the independent-item estimator.
        #expect(Self.estimate(report, "ips")?["value"] == Self.estimate(report, "iips")?["value"])
    }

    /// Row order, partitions and threads change nothing: byte-identical across thread counts and
    /// partitionings (every sum that crosses requests or partitions is exact).
    @Test func invariantToPartitionsAndThreads() throws {
        let base = try Self.analysis("slate", model: .fitted, partitions: 1, threads: 1)
        let twoThreads = try Self.analysis("slate", model: .fitted, partitions: 1, threads: 2)
        #expect(base.serialized() == twoThreads.serialized())
        for p in [3, 8] {
            let a = try Self.analysis("slate", model: .fitted, partitions: p, threads: 1)
            let b = try Self.analysis("slate", model: .fitted, partitions: p, threads: 2)
            #expect(a.serialized() == b.serialized())
            #expect(a.serialized() == base.serialized(), "partitions \(p)")
        }
    }

    /// Users taken in parts (`receval run --memory-limit`) change nothing: the bootstrap's
    /// replicate sums go on from part to part in user order, so any part size (300 users here,
    /// from one per part to all in one) gives the same report bytes.
    @Test func userPartsChangeNothing() throws {
        let whole = try Self.analysis("slate", model: .fitted, partitions: 3)
        #expect(Self.estimate(whole, "dr")?["bootstrap"]?["lower"]?.numberValue != nil)
        #expect(whole["ope_analysis"]?["units"]?.numberValue == 300)
        for (perPart, threads) in [(1, 1), (7, 2), (64, 1), (299, 2), (300, 1), (1_000, 2)] {
            let parts = try Self.analysis("slate", model: .fitted, partitions: 3, threads: threads, unitsPerPart: perPart)
            #expect(parts.serialized() == whole.serialized(), "\(perPart) users per part")
        }
        // The parts did happen: 300 users at 7 per part are 43 parts, each adding its users.
        var o = OPEEvaluation.options(OPEConfig())
        o.unitsPerPart = 7
        let scan = try OffPolicyScan.run(
            reader: try OfflineParityTests.ingest(Self.folder + "/slate", partitions: 3), options: o, threads: 2)
        #expect(scan.unitParts == 43 && scan.unitCount == 300 && scan.units.isEmpty)
        #expect(scan.replicateSums?.count == (OffPolicyScan.termCount + 1) * OPEConfig().analysis.bootstrapIterations)
        // And a run says so on standard error (not in the report).
        let metadata = ReportMetadata(
            runID: "ope-x", createdAt: "2025-01-01T00:00:00Z", binaryVersion: "", gitCommit: "", effectiveConfig: nil,
            datasetFingerprint: "")
        let reader = try OfflineParityTests.ingest(Self.folder + "/slate", partitions: 3)
        let split = try OPEEvaluation.runWithMessages(reader: reader, config: OPEConfig(), metadata: metadata, threads: 2, unitsPerPart: 7)
        #expect(split.messages.count == 1 && split.messages[0].contains("300 users were taken in 43 parts"), "\(split.messages)")
        let one = try OPEEvaluation.runWithMessages(reader: reader, config: OPEConfig(), metadata: metadata, threads: 2)
        #expect(one.messages.isEmpty && one.report.serialized() == split.report.serialized())
    }

    /// `ope.analysis.enabled: false` leaves out `ope_analysis` and its pass work, and changes
    /// nothing else in the report.
    /// (Item unit without top-K takes pass one's column-only path.)
    @Test(arguments: [("request", 0), ("item", 0), ("item", 2)])
    func disabledAnalysisLeavesTheRestUnchanged(unit: String, topK: Int) throws {
        let full = try Self.analysis("slate", model: .fitted, partitions: 3, unit: unit, topK: topK)
        let compat = try Self.analysis("slate", model: .fitted, partitions: 3, enabled: false, unit: unit, topK: topK)
        #expect(full["ope_analysis"] != nil && compat["ope_analysis"] == nil)
        guard case .object(let fields) = full else { return #expect(Bool(false)) }
        let expected = JSONValue.object(fields.filter { $0.0 != "ope_analysis" && $0.0 != "warnings" })
        guard case .object(let got) = compat else { return #expect(Bool(false)) }
        #expect(JSONValue.object(got.filter { $0.0 != "warnings" }).serialized() == expected.serialized())
        #expect(compat["ope"]?["estimators"]?.arrayItems.count == 3)
    }

    /// With the target equal to the logging policy every weight is 1: IPS, SNIPS and every slate
    /// estimator equal the logged (on-policy) mean, and recsys-eval's IPS the mean reward.
    @Test func targetEqualToLoggingGivesTheOnPolicyMean() throws {
        let dir = try TestDirectory.make("ope-onpolicy")
        let lines = try String(contentsOfFile: Self.folder + "/slate/exposures.jsonl", encoding: .utf8).split(separator: "\n")
        var out = ""
        for line in lines {
            var object = try JSONValue.parse(String(line))
            guard case .object(var m) = object, let i = m.firstIndex(where: { $0.0 == "items" }) else { continue }
            m[i].1 = .array(
                m[i].1.arrayItems.map { item in
                    guard case .object(let f) = item else { return item }
                    let logging = f.first { $0.0 == "logging_propensity" }!.1
                    return .object(f.map { $0.0 == "target_propensity" ? ($0.0, logging) : $0 })
                })
            object = .object(m)
            out += object.serialized(indent: false) + "\n"
        }
        try out.write(toFile: dir + "/exposures.jsonl", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: Self.folder + "/slate/outcomes.jsonl", toPath: dir + "/outcomes.jsonl")
        try "".write(toFile: dir + "/assignments.jsonl", atomically: true, encoding: .utf8)
        var c = OPEConfig()
        c.unit = "item"
        c.enableSNIPS = true
        let metadata = ReportMetadata(
            runID: "ope-x", createdAt: "2025-01-01T00:00:00Z", binaryVersion: "", gitCommit: "", effectiveConfig: nil,
            datasetFingerprint: "")
        let report = try OPEEvaluation.run(reader: try OfflineParityTests.ingest(dir), config: c, metadata: metadata, threads: 2)
        let onPolicy = Self.estimate(report, "logging_policy")?["value"]?.numberValue
        let clicks = try String(contentsOfFile: dir + "/outcomes.jsonl", encoding: .utf8).split(separator: "\n").count
        #expect(Self.close(onPolicy, Double(clicks) / 900))
        for name in ["ips", "snips", "clipped_ips", "iips", "rips", "sips", "pseudo_inverse"] {
            #expect(Self.close(Self.estimate(report, name)?["value"]?.numberValue, onPolicy), "\(name)")
        }
        // recsys-eval's item unit: the mean reward per shown item.
        let ips = report["ope"]?["estimators"]?.arrayItems.first?["value"]?.numberValue
        #expect(Self.close(ips, Double(clicks) / 2700))
        #expect(report["ope_analysis"]?["diagnostics"]?["effective_sample_size"]?.numberValue == 2700)
    }

    static func differences(_ a: JSONValue, _ b: JSONValue, _ path: String = "") -> [String] {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            guard x.map(\.0) == y.map(\.0) else { return ["\(path): keys differ"] }
            return zip(x, y).flatMap { differences($0.1, $1.1, path + "/" + $0.0) }
        case (.array(let x), .array(let y)):
            guard x.count == y.count else { return ["\(path): lengths differ"] }
            return zip(x, y).enumerated().flatMap { differences($1.0, $1.1, "\(path)[\($0)]") }
        case (.number(let x), .number(let y)):
            return abs(x - y) <= 1e-12 * max(1, abs(y)) ? [] : ["\(path): \(x) vs \(y)"]
        default:
            return a == b ? [] : ["\(path): \(a) vs \(b)"]
        }
    }
}
