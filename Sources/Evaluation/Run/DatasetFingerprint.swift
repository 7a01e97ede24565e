import ColumnarStorage
import Ingest
import Reports

/// `input_dataset_fingerprint`: SHA-256 over the mode and, for each configured source, its name,
/// type, file name, size and the SHA-256 of its contents, with the parts sorted and joined by
/// `|` (recsys-eval's construction, SPEC section 12.3). Unlike recsys-eval, which stops hashing
/// contents past 10 MiB, every JSONL file is hashed in full, so two different large inputs never
/// share a fingerprint; for files up to 10 MiB the value equals recsys-eval's.
public enum DatasetFingerprint {
    /// `read` holds the size and SHA-256 of files already read whole (by ingest, in the same read
    /// as the parse); other sources are hashed here.
    /// A PostgreSQL source counts by its DSN without the password, its query, and the size and
    /// SHA-256 of the rows it gave (`postgresRows`: the JSON lines they were read into).
    public static func compute(
        mode: String, dataset: DatasetConfig, read: [String: (bytes: Int, sha256: String)] = [:], postgresRows: [String: String] = [:]
    ) throws -> String {
        var parts = [mode.lowercased()]
        var hashed: [String: (Int, String)] = [:]
        var sources = [("exposures", dataset.exposures), ("outcomes", dataset.outcomes), ("assignments", dataset.assignments)]
        if mode.lowercased() == "interleaving", let i = dataset.interleaving {
            sources += [("ranker_a", i.rankerA), ("ranker_b", i.rankerB), ("interleaving_outcomes", i.outcomes)]
        }
        for (name, source) in sources {
            guard let source else { continue }
            if source.type == "postgres" {
                parts += [name, "postgres", PostgresConnection.redacted(source.dsn), source.query]
                if let file = postgresRows[name], let d = read[file] { parts += [String(d.bytes), d.sha256] }
                continue
            }
            parts.append(name)
            parts.append(source.type.lowercased())
            parts.append(String(source.path.split(separator: "/").last ?? ""))
            if hashed[source.path] == nil { hashed[source.path] = try read[source.path] ?? contentHash(source) }
            parts.append(String(hashed[source.path]!.0))
            parts.append(hashed[source.path]!.1)
        }
        parts.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        return SHA256.hex(Array(parts.joined(separator: "|").utf8))
    }

    /// Size and content hash of a source. A receval dataset is hashed through its footer, which
    /// holds the size and XXH64 checksum of every chunk, so the hash still changes with any byte
    /// of data but costs microseconds instead of a pass over gigabytes.
    static func contentHash(_ source: DatasetConfig.Source) throws -> (Int, String) {
        var h = SHA256()
        if source.type == "receval" {
            // Read, not mapped: a mapping would ask the kernel to read ahead the whole file.
            let reader = try DatasetReader(path: source.path)
            try reader.withFooterBytes { h.update($0) }
            return (reader.fileSize, h.finalizeHex())
        }
        let file = try MappedFile(path: source.path)
        file.withBytes { h.update($0) }
        return (file.count, h.finalizeHex())
    }

    /// The configuration as run, for `effective_config`: only what receval reads, and never a
    /// secret (a PostgreSQL DSN is shown with its password replaced by `***`).
    public static func effectiveConfig(mode: String, dataset: DatasetConfig, eval config: EvalConfig) -> JSONValue {
        let eval = config.offline
        func source(_ s: DatasetConfig.Source?) -> JSONValue {
            guard let s else { return .null }
            if s.type == "postgres" {
                return .object([
                    ("type", .string(s.type)), ("dsn", .string(PostgresConnection.redacted(s.dsn))), ("query", .string(s.query)),
                ])
            }
            return .object([("type", .string(s.type)), ("path", .string(s.path))])
        }
        var offline: [(String, JSONValue)] = [
            ("metrics", .array(eval.metrics.map { .object([("name", .string($0.name)), ("k", .number(Double($0.k)))]) })),
            ("slice_keys", .array(eval.sliceKeys.map { .string($0) })),
            ("gates", .array(eval.gates.map { .object([("metric", .string($0.metric)), ("max_drop", .number($0.maxDrop))]) })),
        ]
        if let w = eval.testWindow { offline.append(("time_split_test", .object([("start", .string(w.start)), ("end", .string(w.end))]))) }
        offline.append(("bootstrap", .bool(eval.bootstrap)))
        return .object([
            ("mode", .string(mode)),
            (
                "dataset",
                .object([
                    ("exposures", source(dataset.exposures)), ("outcomes", source(dataset.outcomes)),
                    ("assignments", source(dataset.assignments)),
                ])
            ),
            (
                "eval",
                .object(
                    mode == "offline"
                        ? [("offline", .object(offline))]
                        : mode == "monitor" ? [("monitor", config.monitor.json)] : [("experiment", experimentJSON(config.experiment))])
            ),
        ])
    }

    static func experimentJSON(_ e: ExperimentConfig) -> JSONValue {
        func strings(_ a: [String]) -> JSONValue { .array(a.map { .string($0) }) }
        var m: [(String, JSONValue)] = [
            ("experiment_id", .string(e.experimentID)), ("slice_keys", strings(e.sliceKeys)),
            ("control_variant", .string(e.controlVariant)),
            ("primary_metrics", strings(e.primaryMetrics)),
            (
                "guardrails",
                .object([
                    ("max_latency_p95_ms", .number(e.maxLatencyP95)), ("max_error_rate", .number(e.maxErrorRate)),
                    ("max_empty_rate", .number(e.maxEmptyRate)),
                    ("non_inferiority", .object(e.nonInferiority.map { ($0.metric, .number($0.margin)) })),
                ])
            ),
            ("cuped", .object([("enabled", .bool(e.cupedEnabled)), ("covariate_key", .string(e.covariateKey))])),
            ("multiple_comparisons", .object([("method", .string(e.recsysEvalCorrection)), ("alpha", .number(e.alpha))])),
            (
                "srm",
                .object([("enabled", .bool(e.srmEnabled)), ("alpha", .number(e.srmAlpha)), ("min_sample", .number(Double(e.srmMinSample)))])
            ),
            (
                "decision",
                .object([("enabled", .bool(e.decisionEnabled)), ("guardrail_gate", .bool(e.guardrailGate)), ("srm_gate", .bool(e.srmGate))])
            ),
        ]
        m.append(
            (
                "analysis",
                .object([
                    ("unit", .string(e.analysis.unit.rawValue)), ("compat", .string(e.analysis.compat)),
                    ("ci_level", .number(e.analysis.level)),
                    ("correction", .string(e.analysis.correction)), ("bootstrap", .bool(e.analysis.bootstrap)),
                    ("bootstrap_iterations", .number(Double(e.analysis.bootstrapIterations))),
                    ("bootstrap_seed", .number(Double(e.analysis.bootstrapSeed))),
                ])
            ))
        return .object(m)
    }
}
