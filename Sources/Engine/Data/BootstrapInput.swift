import ColumnarFormat
import ColumnarStorage

/// The inputs of a bootstrap benchmark, prepared from a dataset: one row per unit with a stable
/// key (XXH64 of its id), its arm (variant code) and per-unit values.
public struct BootstrapInput: Sendable {
    public var keys: [UInt64] = []
    public var arm: [Int32] = []
    public var columns: [[Double]]
    public var variants: [String]

    /// Request units: every request with an assignment (the last one wins), with y = 1 when it has
    /// at least one click (the request-level CTR of `tools/bench/bootstrap.py`) and a column of ones.
    public static func requests(reader: DatasetReader, threads: Int) throws -> BootstrapInput {
        let variants = try reader.dictionary("variant")
        let events = DictionaryIndex(try reader.dictionary("event_type"))
        let isClick = events.codes(matchingCaseInsensitive: "click")
        let parts = try Morsels.partitions(of: reader, threads: threads) { p -> BootstrapInput in
            let requests = Int(reader.footer.partitions[p].requestDictionary.count)
            var load = ColumnLoader(reader: reader, partition: p)
            let asReq = try load.int32("assignments", "request_id", bound: requests)
            let asVariant = try load.int32("assignments", "variant", bound: max(variants.count, 1))
            let ocReq = try load.int32("outcomes", "request_id", bound: requests)
            let ocEvent = try load.int32("outcomes", "event_type", bound: max(events.count, 1))
            var variant = [Int32](repeating: -1, count: requests)
            for i in 0..<asReq.count { variant[Int(asReq[i])] = asVariant[i] }
            var clicked = [Bool](repeating: false, count: requests)
            for i in 0..<ocReq.count where isClick[Int(ocEvent[i])] { clicked[Int(ocReq[i])] = true }
            let ids = try reader.requestDictionary(partition: p)
            var out = BootstrapInput(columns: [[], []], variants: [])
            ids.data.withUnsafeBytes { raw in
                for code in 0..<requests where variant[code] >= 0 {
                    out.keys.append(XXH64.hash(UnsafeRawBufferPointer(rebasing: raw[Int(ids.offsets[code])..<Int(ids.offsets[code + 1])])))
                    out.arm.append(variant[code])
                    out.columns[0].append(clicked[code] ? 1 : 0)
                    out.columns[1].append(1)
                }
            }
            return out
        }
        var all = BootstrapInput(columns: [[], []], variants: (0..<variants.count).map { variants.string($0) })
        for p in parts {
            all.keys += p.keys
            all.arm += p.arm
            all.columns[0] += p.columns[0]
            all.columns[1] += p.columns[1]
        }
        return all
    }

    /// User units (the user of each assignment), crossover users left out: clicks and exposures
    /// per user, for the user-level CTR by the ratio of weighted sums.
    public static func users(reader: DatasetReader, experiment: String, threads: Int) throws -> BootstrapInput {
        let scan = try ExperimentScan.run(reader: reader, options: .init(experiment: experiment), threads: threads)
        let scope = scan.unitScopes[0]
        var out = BootstrapInput(columns: [[], []], variants: scan.variants)
        // The scope holds a row per user with analysed exposures (row i is user scope.units[i]).
        for (i, unit) in scope.units.enumerated() where scan.variantOfUnit[Int(unit)] >= 0 && scope.exposures[i] > 0 {
            out.keys.append(scan.unitKeys[Int(unit)])
            out.arm.append(scan.variantOfUnit[Int(unit)])
            out.columns[0].append(Double(scope.clicks[i]))
            out.columns[1].append(Double(scope.exposures[i]))
        }
        return out
    }
}
