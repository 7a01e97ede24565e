import ColumnarFormat
import ColumnarStorage

/// Data quality of the joined logs: recsys-eval's join counts (SPEC 5.4) plus, for each slice
/// key, the exposure join rate and assignment rate of every value of that context key, so a
/// broken surface or platform shows up even when the overall rate looks healthy.
public struct DataQuality: Sendable {
    public struct Slice: Sendable, Equatable {
        public var key: String
        /// nil: exposures whose context lacks the key.
        public var value: String?
        /// First exposures of a request in this slice.
        public var exposures = 0
        /// Of those, exposures with at least one outcome.
        public var joined = 0
        /// Of those, exposures with an assignment.
        public var assigned = 0

        public var joinRate: Double { exposures == 0 ? 0 : Double(joined) / Double(exposures) }
        public var assignmentRate: Double { exposures == 0 ? 0 : Double(assigned) / Double(exposures) }
    }

    public var counts: JoinCounts
    public var slices: [Slice]

    public var exposureJoinRate: Double { counts.exposureRows == 0 ? 0 : Double(counts.exposuresJoined) / Double(counts.exposureRows) }
    public var outcomeJoinRate: Double { counts.outcomeRows == 0 ? 0 : Double(counts.outcomesJoined) / Double(counts.outcomeRows) }

    /// Plain-language warnings for slices whose join rate is below `fraction` of the overall rate
    /// (and that have at least `minimumExposures` exposures, so noise is not reported).
    public func warnings(fraction: Double = 0.5, minimumExposures: Int = 100) -> [String] {
        let overall =
            counts.exposureRows == 0 ? 0 : Double(counts.exposuresJoined) / Double(counts.exposureRows - counts.duplicateExposures)
        var out: [String] = []
        for s in slices where s.exposures >= minimumExposures && s.joinRate < fraction * overall {
            let name = s.value.map { "\(s.key)=\($0)" } ?? "\(s.key) missing"
            out.append(
                "exposures with \(name) join to outcomes at \(percent(s.joinRate)), under half the overall \(percent(overall)): check that this slice logs its outcomes with the exposure's request_id"
            )
        }
        if counts.outcomeRows > 0 && outcomeJoinRate < 0.9 {
            out.append("only \(percent(outcomeJoinRate)) of outcomes find their exposure (\(counts.orphanOutcomes) orphans)")
        }
        return out
    }

    func percent(_ x: Double) -> String { "\((x * 1000).rounded() / 10)%" }

    /// Checks that the dataset can answer the request: it holds rows whose stored text is valid
    /// (`ContentCheck`, on `threads` threads), every slice key is a context key of the data, and
    /// the experiment id matches assignments. `compute` itself
    /// answers any request (an unknown key is one "missing" slice), so callers that take keys
    /// from a person call this first.
    public static func check(reader: DatasetReader, sliceKeys: [String], experiment: String?, threads: Int = 1) throws {
        guard reader.footer.partitions.contains(where: { p in p.tables.contains { $0.contains { $0.rows > 0 } } }) else {
            throw DataQualityError.empty(path: reader.path)
        }
        try ContentCheck.run(reader: reader, threads: threads)
        let keyNames = try reader.dictionary("context_key")
        let keys = DictionaryIndex(keyNames)
        let unknown = sliceKeys.filter { keys.code(of: $0) == nil }
        if !unknown.isEmpty {
            throw DataQualityError.unknownSliceKeys(unknown, present: (0..<keyNames.count).map { keyNames.string($0) })
        }
        if let experiment, let mask = try ExperimentFilter.mask(reader: reader, experiment: experiment), !mask.contains(true) {
            let ids = try reader.dictionary("experiment_id")
            throw DataQualityError.unknownExperiment(experiment, present: (0..<ids.count).map { ids.string($0) })
        }
    }

    /// Computes the counts and the slices of `sliceKeys` on `threads` threads.
    public static func compute(
        reader: DatasetReader, sliceKeys: [String], threads: Int, experiment: String? = nil, window: TimeWindow? = nil
    ) throws -> DataQuality {
        let pass = try Pass(reader: reader, sliceKeys: sliceKeys, experiment: experiment, window: window)
        let state = try pass.fold(threads: threads)
        var slices: [Slice] = []
        for (ki, name) in sliceKeys.enumerated() {
            let total = state.slices[ki]
            for v in 0..<pass.nValues where total[v * 3] > 0 {
                slices.append(
                    Slice(
                        key: name, value: v == 0 ? nil : pass.ctxValues.string(Int32(v - 1)), exposures: total[v * 3],
                        joined: total[v * 3 + 1], assigned: total[v * 3 + 2]))
            }
        }
        return DataQuality(counts: state.counts, slices: slices)
    }

    /// The pass over the dataset: one join per partition gives both the join counts and, for
    /// each slice key, counters of cases, joined cases and assigned cases per value code + 1
    /// (0: key absent).
    struct Pass: PartitionScan {
        let reader: DatasetReader
        let window: TimeWindow?
        let ctxKeys: DictionaryIndex
        let ctxValues: DictionaryIndex
        let variants: Int
        let items: Int
        let mask: [Bool]?
        let empty: EmptyStrings
        let keyCodes: [Int32]
        /// Value codes + 1 (index 0: key absent).
        let nValues: Int

        init(reader: DatasetReader, sliceKeys: [String], experiment: String?, window: TimeWindow?) throws {
            self.reader = reader
            self.window = window
            let keys = DictionaryIndex(try reader.dictionary("context_key"))
            ctxKeys = keys
            ctxValues = DictionaryIndex(try reader.dictionary("context_value"))
            variants = try reader.dictionary("variant").count
            items = try reader.dictionary("item_id").count
            mask = try ExperimentFilter.mask(reader: reader, experiment: experiment)
            empty = try EmptyStrings(reader: reader)
            keyCodes = sliceKeys.map { keys.code(of: $0) ?? -1 }
            nValues = ctxValues.count + 1
        }

        struct Partial: Sendable {
            var counts: JoinCounts
            /// Per slice key: (cases, joined, assigned) per value code + 1.
            var slices: [[Int]]
        }

        struct State {
            var counts = JoinCounts()
            var slices: [[Int]]
        }

        func start() -> State { State(slices: [[Int]](repeating: [Int](repeating: 0, count: nValues * 3), count: keyCodes.count)) }

        func combine(_ part: Partial, into state: inout State) {
            state.counts = state.counts + part.counts
            for k in part.slices.indices { for i in part.slices[k].indices { state.slices[k][i] += part.slices[k][i] } }
        }

        func scan(partition p: Int) throws -> Partial {
            // Locals, not `self`'s members: the loops below then touch no reference counts.
            let window = self.window
            let ctxKeys = self.ctxKeys
            let ctxValues = self.ctxValues
            let variants = self.variants
            let items = self.items
            let mask = self.mask
            let keyCodes = self.keyCodes
            let nValues = self.nValues
            let j = try PartitionJoin(
                reader: reader, partition: p, experiments: mask, variantCount: variants, itemCount: items, empty: empty, window: window)
            var load = ColumnLoader(reader: reader, partition: p)
            let requests = Int(reader.footer.partitions[p].requestDictionary.count)
            let exReq = try load.int32("exposures", "request_id", bound: requests)
            let nPairs = try load.counts("exposures", "context_count")
            let key = try load.int32("exposures", "context_key", bound: ctxKeys.count)
            let value = try load.int32("exposures", "context_value", bound: ctxValues.count)
            let ocReq = try load.int32("outcomes", "request_id", bound: requests)
            var ocIn: [Bool] = []
            if let window { ocIn = window.mask(micros: try load.int64("outcomes", "ts_us"), nanos: try load.int64("outcomes", "ts_ns")) }
            var hasOutcome = [Bool](repeating: false, count: requests)
            for (i, r) in ocReq.enumerated() where ocIn.isEmpty || ocIn[i] { hasOutcome[Int(r)] = true }
            var acc = [[Int]](repeating: [Int](repeating: 0, count: nValues * 3), count: keyCodes.count)
            var pair = 0
            for row in 0..<exReq.count {
                let pairs = pair..<(pair + Int(nPairs[row]))
                pair += Int(nPairs[row])
                let r = Int(exReq[row])
                guard j.firstExposure[r] == Int32(row) else { continue }  // duplicates are not cases
                for (ki, kc) in keyCodes.enumerated() {
                    var v = 0
                    if kc >= 0 { for q in pairs where key[q] == kc { v = Int(value[q]) + 1 } }
                    acc[ki][v * 3] += 1
                    if hasOutcome[r] { acc[ki][v * 3 + 1] += 1 }
                    if j.variantOfRequest[r] >= 0 { acc[ki][v * 3 + 2] += 1 }
                }
            }
            guard pair == key.count else {
                throw StorageError.corrupt(path: reader.path, reason: "partition \(p): context counts do not match the pairs")
            }
            return Partial(counts: j.counts, slices: acc)
        }
    }
}

/// A data-quality request the dataset cannot answer.
public enum DataQualityError: Error, CustomStringConvertible, Sendable {
    /// The dataset holds no row in any table.
    case empty(path: String)
    /// Slice keys that no exposure's context holds.
    case unknownSliceKeys([String], present: [String])
    /// An experiment id that matches no assignment (case-insensitively).
    case unknownExperiment(String, present: [String])

    public var description: String {
        switch self {
        case .empty(let path):
            return "\(path) holds no rows (no exposures, outcomes or assignments): nothing to check"
        case .unknownSliceKeys(let keys, let present):
            let shown = present.prefix(20).joined(separator: ", ") + (present.count > 20 ? ", ... (\(present.count) in all)" : "")
            return "no exposure's context has the key\(keys.count > 1 ? "s" : "") \(keys.joined(separator: ", ")); "
                + (present.isEmpty ? "the exposures have no context keys" : "context keys in the data: \(shown)")
        case .unknownExperiment(let id, let present):
            return "experiment \"\(id)\" matches no assignment (ids compare case-insensitively); "
                + (present.isEmpty ? "the dataset holds no assignments" : "the assignments hold: \(present.joined(separator: ", "))")
        }
    }
}
