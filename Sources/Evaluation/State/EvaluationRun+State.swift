import ColumnarStorage
import Engine
import Reports

extension EvaluationRun {
    /// `receval run --state-out`: the partial state of the partitions `request.shard` names, for
    /// `receval merge` to finish with the states of the other shards (or of other datasets).
    /// States are computed from ingested datasets (`type: receval`): a shard of JSONL logs would
    /// need every line read to find its requests.
    ///
    /// OPE runs in two rounds: without `model`, a shard's state is pass one's counts; with
    /// `model` (every shard's first round merged, read from `modelPath`), pass two's sums.
    public static func state(
        _ request: Request, model: (path: String, state: EvaluationState)? = nil, observer: ScanObserver? = nil
    ) throws -> EvaluationState {
        let eval = try checkedConfig(mode: request.modeFlag, eval: request.eval, file: request.configName)
        guard eval.mode != "interleaving" || request.dataset.interleaving == nil else { throw StateRunError.rankLists }
        if let model {
            guard eval.mode == "ope" else { throw StateRunError.modelUnused(mode: eval.mode) }
            guard model.state.mode == "ope", case .opeCounts = model.state.body, model.state.isWhole else {
                throw MergeError.notAModel(path: model.path)
            }
            guard model.state.configDigest == eval.digest else {
                throw MergeError.config(
                    path: model.path, state: model.state.configDigest, config: eval.digest, file: request.configName)
            }
        }
        let dataset = request.dataset
        let sources = [dataset.exposures, dataset.outcomes, dataset.assignments].compactMap { $0 }
        guard let source = sources.first, sources.allSatisfy({ $0.type == "receval" }) else {
            throw StateRunError.notADataset(types: sources.map(\.type))
        }
        let loader = try DatasetLoader(
            config: dataset, scratchDirectory: request.scratchDirectory, threads: request.threads, observer: observer,
            shard: request.shard)
        let reader = loader.reader
        let datasetID = try DatasetFingerprint.contentHash(source).1
        if let model, !model.state.header.datasets.contains(datasetID) {
            throw StateRunError.modelOfOtherData(path: model.path)
        }
        // A shard may hold no exposure (a few requests, or only their outcomes): its state is
        // empty, and the merge refuses states that hold no exposure at all.
        _ = source
        let body: EvaluationState.Body
        if eval.mode == "ope" {
            let options = OPEEvaluation.options(eval.ope)
            if case .opeCounts(let counts)? = model?.state.body {
                body = .ope(try OffPolicyScan.estimates(reader: reader, options: options, model: counts, threads: request.threads))
            } else {
                body = .opeCounts(try OffPolicyScan.counts(reader: reader, options: options, threads: request.threads))
            }
        } else if eval.mode == "interleaving" {
            body = .interleaving(
                try InterleavingScan.state(
                    reader: reader, options: InterleavingEvaluation.options(eval.interleaving), threads: request.threads))
        } else if eval.mode == "monitor" {
            body = .monitor(try MonitorEvaluation.state(reader: reader, config: eval.monitor, threads: request.threads))
        } else if eval.mode == "offline" {
            body = .offline(try OfflineEvaluation.state(reader: reader, config: eval.offline, threads: request.threads))
        } else {
            body = .experiment(
                try ExperimentEvaluation.state(reader: reader, config: eval.experiment, mode: eval.mode, threads: request.threads))
        }
        var state = EvaluationState(
            mode: eval.mode, configDigest: eval.digest, datasetID: datasetID,
            partitions: reader.partitionCount, shard: request.shard,
            fingerprint: try DatasetFingerprint.compute(mode: eval.mode, dataset: dataset),
            effectiveConfig: DatasetFingerprint.effectiveConfig(mode: eval.mode, dataset: dataset, eval: eval),
            recevalVersion: request.binaryVersion, contextKeys: try contextKeys(reader),
            experimentIDs: try ExperimentEvaluation.experimentIDs(reader), body: body)
        if let model {
            state.modelDigest = model.state.bodyDigest
            state.modelDatasets = model.state.header.datasets
        }
        return state
    }
}

/// Why a run cannot give a state.
public enum StateRunError: Error, CustomStringConvertible {
    case rankLists
    case notADataset(types: [String])
    case modelUnused(mode: String)
    case modelOfOtherData(path: String)

    public var description: String {
        switch self {
        case .rankLists:
            return
                "interleaving of rank lists (dataset.interleaving) runs on one box: its rankers' lists are not a partitioned dataset; --state-out takes logged team labels in a dataset"
        case .modelUnused(let m): return "--state-in takes an OPE model; \(m) runs in one round"
        case .modelOfOtherData(let p):
            return
                "\(p) was merged from other datasets' first rounds, not this dataset's: merge this dataset's first-round states into the model too"
        case .notADataset(let t):
            return
                "--state-out and --shard read an ingested dataset (sources of type receval), not \(Set(t).sorted().joined(separator: ", ")) sources: run `receval ingest` first"
        }
    }
}
