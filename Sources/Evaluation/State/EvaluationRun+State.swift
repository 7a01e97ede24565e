import ColumnarStorage
import Engine
import Reports

extension EvaluationRun {
    /// `receval run --state-out`: the partial state of the partitions `request.shard` names, for
    /// `receval merge` to finish with the states of the other shards (or of other datasets).
    /// States are computed from ingested datasets (`type: receval`): a shard of JSONL logs would
    /// need every line read to find its requests.
    public static func state(_ request: Request, observer: ScanObserver? = nil) throws -> EvaluationState {
        let eval = try checkedConfig(mode: request.modeFlag, eval: request.eval, file: request.configName)
        guard ["experiment", "aa-check"].contains(eval.mode) else { throw StateRunError.modeWithoutState(mode: eval.mode) }
        let dataset = request.dataset
        let sources = [dataset.exposures, dataset.outcomes, dataset.assignments].compactMap { $0 }
        guard let source = sources.first, sources.allSatisfy({ $0.type == "receval" }) else {
            throw StateRunError.notADataset(types: sources.map(\.type))
        }
        let loader = try DatasetLoader(
            config: dataset, scratchDirectory: request.scratchDirectory, threads: request.threads, observer: observer,
            shard: request.shard)
        let reader = loader.reader
        if loader.rows(of: "exposures") == 0 { throw RunError.noExposures(source: source.path) }
        let body = EvaluationState.Body.experiment(
            try ExperimentEvaluation.state(reader: reader, config: eval.experiment, mode: eval.mode, threads: request.threads))
        return EvaluationState(
            mode: eval.mode, configDigest: eval.digest, datasetID: try DatasetFingerprint.contentHash(source).1,
            partitions: reader.partitionCount, shard: request.shard,
            fingerprint: try DatasetFingerprint.compute(mode: eval.mode, dataset: dataset),
            effectiveConfig: DatasetFingerprint.effectiveConfig(mode: eval.mode, dataset: dataset, eval: eval),
            recevalVersion: request.binaryVersion, contextKeys: try contextKeys(reader),
            experimentIDs: try ExperimentEvaluation.experimentIDs(reader), body: body)
    }
}

/// Why a run cannot give a state.
public enum StateRunError: Error, CustomStringConvertible {
    case modeWithoutState(mode: String)
    case notADataset(types: [String])

    public var description: String {
        switch self {
        case .modeWithoutState(let m):
            return
                "--state-out is available for experiment and aa-check so far; \(m) runs give a report (run without --shard and --state-out)"
        case .notADataset(let t):
            return
                "--state-out and --shard read an ingested dataset (sources of type receval), not \(Set(t).sorted().joined(separator: ", ")) sources: run `receval ingest` first"
        }
    }
}
