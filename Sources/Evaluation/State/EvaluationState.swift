import ColumnarFormat
import ColumnarStorage
import Engine
import Reports

/// What a state file's header says (format-spec/state.md §2): enough to check a set of states
/// before any body is read.
public struct StateHeader: Sendable, Equatable {
    public var mode: String
    public var configDigest: String
    public var datasetID: String
    public var partitions: Int
    public var shard: PartitionShard
    public var fingerprint: String
    public var round: Int
    public var rounds: Int
    public var modelDigest: String
    /// The datasets the state covers (one, or several once merged).
    public var datasets: [String]
    /// Second rounds: the datasets their model was merged from.
    public var modelDatasets: [String]
}

/// A state to merge: its file (or a name), its header, and how to read the whole state when
/// its turn comes, so a merge holds one state besides the merged one, however many it merges.
public struct StateSource {
    public let path: String
    public let header: StateHeader
    let load: () throws -> EvaluationState

    /// A state file: its header now, the rest when merged (checked against the header then).
    public static func file(_ path: String) throws -> StateSource {
        let header = try StateFile.readHeader(path: path)
        return StateSource(path: path, header: header) {
            let state = try StateFile.read(path: path)
            guard state.header == header else { throw StateFileError.damaged(path: path, reason: "the file changed while it was merged") }
            return state
        }
    }

    /// A state in memory.
    public static func memory(_ state: EvaluationState, name: String) -> StateSource {
        StateSource(path: name, header: state.header) { state }
    }
}

/// A run's partial state as `receval run --state-out` writes it and `receval merge` reads it
/// (format-spec/state.md): which mode, config and dataset shard it comes from, what finishing it
/// needs besides the mode's sums (the run's metadata, the context keys and experiment ids the
/// data holds), and the mode's state keyed by ids.
public struct EvaluationState {
    /// The mode's state.
    public enum Body {
        case experiment(ExperimentState)
        case offline(OfflineState)
        case interleaving(InterleavingState)
        case monitor(MonitorState)
        /// OPE's first round (pass one's counts), a shard's or merged into a model.
        case opeCounts(OPECountsState)
        /// OPE's second round (pass two's sums, with a merged model).
        case ope(OPEEstimatesState)

        /// Which round of its mode the state is, and how many the mode has.
        public var round: (Int, of: Int) {
            switch self {
            case .experiment, .offline, .interleaving, .monitor: return (1, 1)
            case .opeCounts: return (1, 2)
            case .ope: return (2, 2)
            }
        }
    }

    public var mode: String
    /// `EvalConfig.digest` of the config the state was computed under.
    public var configDigest: String
    /// SHA-256 of the dataset's footer: the same for every shard of one dataset, different for
    /// separately ingested ones.
    public var datasetID: String
    public var partitions: Int
    public var shard: PartitionShard
    /// The report metadata a single run over the dataset would write.
    public var fingerprint: String
    public var effectiveConfig: JSONValue
    public var recevalVersion: String
    /// Context keys the dataset's exposures hold (for warnings about slice keys no row has).
    public var contextKeys: [String]
    /// Experiment ids its assignments hold.
    public var experimentIDs: [String]
    public var body: Body
    /// Second rounds: SHA-256 of the body of the model state (merged first rounds) they used.
    public var modelDigest = ""
    /// The ids of the datasets the state covers: its own, or every merged state's.
    public var datasets: [String] = []
    /// Second rounds: the datasets their model covers, which their merge must cover too.
    public var modelDatasets: [String] = []

    public init(
        mode: String, configDigest: String, datasetID: String, partitions: Int, shard: PartitionShard, fingerprint: String,
        effectiveConfig: JSONValue, recevalVersion: String, contextKeys: [String], experimentIDs: [String], body: Body
    ) {
        self.mode = mode
        self.configDigest = configDigest
        self.datasetID = datasetID
        self.partitions = partitions
        self.shard = shard
        self.fingerprint = fingerprint
        self.effectiveConfig = effectiveConfig
        self.recevalVersion = recevalVersion
        self.contextKeys = contextKeys
        self.experimentIDs = experimentIDs
        self.body = body
    }

    /// What the header says, as JSON (readable with `head -c`; format-spec/state.md §2).
    var headerJSON: JSONValue {
        .object([
            ("mode", .string(mode)), ("config_sha256", .string(configDigest)),
            (
                "dataset",
                .object([
                    ("id", .string(datasetID)), ("partitions", .number(Double(partitions))), ("fingerprint", .string(fingerprint)),
                ])
            ),
            ("shard", .object([("index", .number(Double(shard.index))), ("count", .number(Double(shard.count)))])),
            ("round", .number(Double(body.round.0))), ("rounds", .number(Double(body.round.of))),
            ("model_sha256", .string(modelDigest)),
            ("datasets", .array((datasets.isEmpty ? [datasetID] : datasets).map { .string($0) })),
            ("model_datasets", .array(modelDatasets.map { .string($0) })),
            ("receval_version", .string(recevalVersion)),
            ("effective_config", effectiveConfig),
        ])
    }

    public var header: StateHeader {
        StateHeader(
            mode: mode, configDigest: configDigest, datasetID: datasetID, partitions: partitions, shard: shard, fingerprint: fingerprint,
            round: body.round.0, rounds: body.round.of, modelDigest: modelDigest, datasets: datasets.isEmpty ? [datasetID] : datasets,
            modelDatasets: modelDatasets)
    }

    /// Whether the state covers every partition of its data: one shard of one, or merged.
    public var isWhole: Bool { shard.count == 1 }

    /// SHA-256 of the body's bytes (a model's identity, for the second rounds that use it).
    public var bodyDigest: String { SHA256.hex(encodeBody()) }

    /// The body's bytes: the common part, then the mode's state.
    func encodeBody() -> [UInt8] {
        var e = StateEncoder()
        e.strings(contextKeys)
        e.strings(experimentIDs)
        switch body {
        case .experiment(let s):
            e.u8(StateFile.bodyExperiment)
            s.encode(to: &e)
        case .offline(let s):
            e.u8(StateFile.bodyOffline)
            s.encode(to: &e)
        case .interleaving(let s):
            e.u8(StateFile.bodyInterleaving)
            s.encode(to: &e)
        case .monitor(let s):
            e.u8(StateFile.bodyMonitor)
            s.encode(to: &e)
        case .opeCounts(let s):
            e.u8(StateFile.bodyOPECounts)
            s.encode(to: &e)
        case .ope(let s):
            e.u8(StateFile.bodyOPE)
            s.encode(to: &e)
        }
        return e.bytes
    }
}
