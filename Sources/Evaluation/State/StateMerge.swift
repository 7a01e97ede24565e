import ColumnarStorage
import Engine
import Reports

/// `receval merge`: states of a run's shards (and of separately ingested datasets) finished into
/// the report one run over all of them gives. The states are checked first: one mode, computed
/// under the config given here; per dataset, every shard of one split exactly once. They are
/// then merged in a fixed order (by dataset id, then shard), whatever order they were given in.
public enum StateMerge {
    public struct Request {
        public var eval: EvalConfig
        public var configName: String
        public var modeFlag: String?
        /// The states: headers now, bodies read one at a time as they are merged.
        public var states: [StateSource]
        public var threads: Int
        public var createdAt: String
        public var binaryVersion: String
        /// Offline: a baseline report for deltas and gates.
        public var baseline: JSONValue?

        public init(
            eval: EvalConfig, configName: String, modeFlag: String?, states: [StateSource], threads: Int,
            createdAt: String, binaryVersion: String
        ) {
            precondition(threads >= 1, "at least one thread")
            self.eval = eval
            self.configName = configName
            self.modeFlag = modeFlag
            self.states = states
            self.threads = threads
            self.createdAt = createdAt
            self.binaryVersion = binaryVersion
        }
    }

    /// The states merged and finished into the report.
    public static func run(_ request: Request) throws -> EvaluationRun.Result {
        let (merged, eval) = try merge(request)
        let exposures: Int? =
            switch merged.body {
            case .experiment(let x): x.exposureRows
            case .offline(let x): x.exposureRows
            case .interleaving(let x): x.exposureRows
            case .monitor(let x): x.exposureRows
            case .ope(let x): x.exposureRows
            case .opeCounts: nil
            }
        if exposures == 0 { throw RunError.noExposures(source: "the merged states") }
        let metadata = ReportMetadata(
            runID: ReportMetadata.runID(prefix: merged.mode == "interleaving" ? "interleave" : merged.mode, createdAt: request.createdAt),
            createdAt: request.createdAt,
            binaryVersion: request.binaryVersion, gitCommit: "", effectiveConfig: merged.effectiveConfig,
            datasetFingerprint: merged.fingerprint)
        var report: JSONValue
        var decision: JSONValue? = nil
        var status = ExitStatus.success
        var messages: [String] = []
        switch merged.body {
        case .experiment(let x):
            let outcome = try ExperimentEvaluation.finish(
                x, experimentIDs: merged.experimentIDs, config: eval.experiment, mode: merged.mode, metadata: metadata,
                threads: request.threads)
            report = outcome.report
            decision = outcome.decision
            status = ExitStatus(rawValue: outcome.exitCode) ?? .error
            messages += EvaluationRun.decisionMessages(report, mode: merged.mode)
        case .offline(let x):
            let outcome = try OfflineEvaluation.finish(x, config: eval.offline, baseline: request.baseline, metadata: metadata)
            report = outcome.report
            if outcome.gatesFailed {
                messages.append("one or more regression gates failed")
                status = eval.experiment.analysis.compat == "recsys-eval" ? .error : .checkFailed
            }
        case .monitor(let x):
            let outcome = try MonitorEvaluation.finish(x, config: eval.monitor, metadata: metadata)
            report = outcome.report
            messages += outcome.messages
            if outcome.breaches > 0 { status = .checkFailed }
        case .interleaving(let x):
            try x.check(sliceKeys: eval.interleaving.analysis.sliceKeys)
            report = try InterleavingEvaluation.finish(
                x.finish(sliceKeys: eval.interleaving.analysis.sliceKeys), config: eval.interleaving, metadata: metadata,
                threads: request.threads)
        case .opeCounts:
            throw MergeError.firstRound
        case .ope(let x):
            try x.check(options: OPEEvaluation.options(eval.ope))
            report = try OPEEvaluation.finish(
                x.finish(sliceKeys: eval.ope.analysis.sliceKeys), config: eval.ope, metadata: metadata, threads: request.threads)
        }
        let unknown = EvaluationRun.unknownContextKeys(eval, present: merged.contextKeys)
        if !unknown.isEmpty { report = EvaluationRun.withWarnings(report, unknown) }
        return EvaluationRun.Result(
            report: report, decision: decision, status: status, messages: messages + EvaluationRun.warnings(report), ingest: nil)
    }

    /// The states checked and merged into one, in a fixed order: by dataset id, then shard.
    /// Its header: the one dataset's, or over several datasets a fingerprint of their
    /// fingerprints and the id `merged`; shard 0/1 (it covers everything it was given).
    public static func merge(_ request: Request) throws -> (EvaluationState, EvalConfig) {
        guard let first = request.states.first else { throw MergeError.noStates }
        let mode = first.header.mode
        let round = first.header.round
        for other in request.states where other.header.mode != mode || other.header.round != round {
            throw MergeError.modes(
                first: (first.path, "\(mode) round \(round)"), other: (other.path, "\(other.header.mode) round \(other.header.round)"))
        }
        let eval = try EvaluationRun.checkedConfig(mode: request.modeFlag ?? mode, eval: request.eval, file: request.configName)
        guard eval.mode == mode else { throw MergeError.modes(first: (request.configName, eval.mode), other: (first.path, mode)) }
        for s in request.states where s.header.configDigest != eval.digest {
            throw MergeError.config(path: s.path, state: s.header.configDigest, config: eval.digest, file: request.configName)
        }
        for s in request.states where s.header.modelDigest != first.header.modelDigest {
            throw MergeError.models(first: first.path, other: s.path)
        }
        let ordered = try checkedShards(request.states)
        let datasets = Set(ordered.map(\.header.datasetID))
        // Second rounds cover every dataset their model was merged from, and only those.
        let modelDatasets = Set(first.header.modelDatasets)
        if round == 2 && Set(ordered.flatMap(\.header.datasets)) != modelDatasets {
            throw MergeError.modelCoverage(states: Set(ordered.flatMap(\.header.datasets)).count, model: modelDatasets.count)
        }
        // States are read one at a time and combined like a binary counter: two merged states of
        // the same size are merged again, so each unit's rows are merged about log2(N) times
        // (not N times, as adding every state into one running total does), and at most about
        // log2(N) merged states are held at once. Every sum is exact: the grouping cannot
        // change the result.
        var contextKeys = Set<String>()
        var experimentIDs = Set<String>()
        var stack: [(size: Int, state: EvaluationState)] = []
        func combine(_ a: EvaluationState, _ b: EvaluationState, _ path: String) throws -> EvaluationState {
            var out = a
            do {
                switch (a.body, b.body) {
                case (.experiment(let x), .experiment(let y)):
                    if datasets.count > 1 && x.isRequestUnits { throw MergeError.requestUnitsAcrossDatasets }
                    out.body = .experiment(try ExperimentState.merged(x, y))
                case (.offline(let x), .offline(let y)): out.body = .offline(try OfflineState.merged(x, y))
                case (.interleaving(let x), .interleaving(let y)): out.body = .interleaving(try InterleavingState.merged(x, y))
                case (.monitor(let x), .monitor(let y)): out.body = .monitor(try MonitorState.merged(x, y))
                case (.opeCounts(let x), .opeCounts(let y)): out.body = .opeCounts(try OPECountsState.merged(x, y))
                case (.ope(let x), .ope(let y)): out.body = .ope(try OPEEstimatesState.merged(x, y))
                default: throw MergeError.modes(first: (first.path, mode), other: (path, b.mode))
                }
            } catch let e as ExperimentState.Mismatch {
                throw MergeError.incompatible(path: path, reason: e.description)
            }
            return out
        }
        for source in ordered {
            let s = try source.load()
            contextKeys.formUnion(s.contextKeys)
            experimentIDs.formUnion(s.experimentIDs)
            stack.append((1, s))
            while stack.count >= 2 && stack[stack.count - 1].size == stack[stack.count - 2].size {
                let b = stack.removeLast()
                let a = stack.removeLast()
                stack.append((a.size + b.size, try combine(a.state, b.state, source.path)))
            }
        }
        var out = stack.removeLast().state
        while let a = stack.popLast() { out = try combine(a.state, out, ordered.last!.path) }
        if case .experiment(let a) = out.body, datasets.count > 1 && a.isRequestUnits { throw MergeError.requestUnitsAcrossDatasets }
        if datasets.count > 1 {
            out.datasetID = "merged"
            out.partitions = 0
            out.fingerprint = SHA256.hex(Array(Set(ordered.map(\.header.fingerprint)).sorted().joined(separator: "|").utf8))
        }
        out.shard = .whole
        out.datasetID = datasets.count > 1 ? "merged" : ordered[0].header.datasetID
        out.datasets = Set(ordered.flatMap(\.header.datasets)).sorted()
        out.contextKeys = contextKeys.sorted()
        out.experimentIDs = experimentIDs.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        return (out, eval)
    }

    /// The states in merge order, after checking that each dataset's states are every shard of
    /// one split of its partitions, each once.
    static func checkedShards(_ states: [StateSource]) throws -> [StateSource] {
        let byDataset = Dictionary(grouping: states, by: \.header.datasetID)
        for (id, group) in byDataset {
            let first = group[0]
            for g in group where g.header.partitions != first.header.partitions || g.header.shard.count != first.header.shard.count {
                throw MergeError.splits(
                    dataset: id, first: (first.path, first.header.shard, first.header.partitions),
                    other: (g.path, g.header.shard, g.header.partitions))
            }
            let byIndex = Dictionary(grouping: group, by: \.header.shard.index)
            if let twice = byIndex.first(where: { $0.value.count > 1 }) {
                throw MergeError.overlap(dataset: id, shard: twice.value[0].header.shard, paths: twice.value.map(\.path))
            }
            let n = first.header.shard.count
            let missing = (0..<n).filter { byIndex[$0] == nil }
            if !missing.isEmpty { throw MergeError.missing(dataset: id, count: n, missing: missing, given: group.map(\.path)) }
        }
        return states.sorted { ($0.header.datasetID, $0.header.shard.index) < ($1.header.datasetID, $1.header.shard.index) }
    }
}

/// States that cannot be merged into one report.
public enum MergeError: Error, CustomStringConvertible {
    case noStates
    case modes(first: (String, String), other: (String, String))
    case config(path: String, state: String, config: String, file: String)
    case splits(dataset: String, first: (String, PartitionShard, Int), other: (String, PartitionShard, Int))
    case overlap(dataset: String, shard: PartitionShard, paths: [String])
    case missing(dataset: String, count: Int, missing: [Int], given: [String])
    case requestUnitsAcrossDatasets
    case incompatible(path: String, reason: String)
    case firstRound
    case models(first: String, other: String)
    case notAModel(path: String)
    case modelCoverage(states: Int, model: Int)

    public var description: String {
        switch self {
        case .noStates: return "give the state files to merge"
        case .modes(let a, let b): return "\(a.0) is a \(a.1) state but \(b.0) is a \(b.1) state: merge states of one mode"
        case .config(let p, let s, let c, let f):
            return
                "\(p) was computed under another config (sha256 \(s.prefix(12))…) than \(f) (sha256 \(c.prefix(12))…): merge with the config the shards ran with"
        case .splits(let d, let a, let b):
            return
                "dataset \(d.prefix(12))…: \(a.0) is shard \(a.1) of \(a.2) partitions but \(b.0) is shard \(b.1) of \(b.2): one split per dataset"
        case .overlap(let d, let s, let paths):
            return
                "dataset \(d.prefix(12))…: shard \(s) is given \(paths.count) times (\(paths.joined(separator: ", "))): its rows would count twice"
        case .missing(let d, let n, let m, let given):
            return
                "dataset \(d.prefix(12))…: shard\(m.count == 1 ? "" : "s") \(m.map { "\($0)/\(n)" }.joined(separator: ", ")) missing (given: \(given.joined(separator: ", "))): the report would leave out its requests"
        case .requestUnitsAcrossDatasets:
            return
                "states with request units (analysis.unit: request) merge only from shards of one dataset: their units are numbered in partition order"
        case .incompatible(let p, let r): return "\(p) cannot be merged: \(r)"
        case .firstRound:
            return
                "these are OPE first-round states (pass one's counts): merge them into a model with `receval merge --config E.yaml --state-out MODEL STATE...`, run every shard again with `--state-in MODEL --state-out STATE2`, then merge those"
        case .models(let a, let b):
            return
                "\(a) and \(b) were computed with different models (--state-in): every shard's second round must use the one merged model"
        case .modelCoverage(let s, let m):
            return
                "the second-round states cover \(s) dataset(s) but their model was merged from \(m): every dataset's second round must be merged, and only theirs"
        case .notAModel(let p):
            return "\(p) is not an OPE model: --state-in takes the first-round states of every shard merged by `receval merge --state-out`"
        }
    }
}
