import ColumnarStorage
import Reports

/// `input_dataset_fingerprint`: SHA-256 over the mode and, for each configured source, its name,
/// type, file name, size and the SHA-256 of its contents, with the parts sorted and joined by
/// `|` (recsys-eval's construction, SPEC section 12.3). Unlike recsys-eval, which stops hashing
/// contents past 10 MiB, every file is hashed in full, so two different large inputs never share
/// a fingerprint; for files up to 10 MiB the value equals recsys-eval's.
public enum DatasetFingerprint {
    public static func compute(mode: String, dataset: DatasetConfig) throws -> String {
        var parts = [mode.lowercased()]
        for (name, source) in [("exposures", dataset.exposures), ("outcomes", dataset.outcomes), ("assignments", dataset.assignments)] {
            guard let source else { continue }
            parts.append(name)
            parts.append(source.type.lowercased())
            let file = try MappedFile(path: source.path)
            parts.append(String(source.path.split(separator: "/").last ?? ""))
            parts.append(String(file.count))
            var h = SHA256()
            file.withBytes { h.update($0) }
            parts.append(h.finalizeHex())
        }
        parts.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        return SHA256.hex(Array(parts.joined(separator: "|").utf8))
    }

    /// The configuration as run, for `effective_config`: only what receval reads, and never a
    /// secret (database sources, which carry DSNs, are not accepted).
    public static func effectiveConfig(mode: String, dataset: DatasetConfig, eval: OfflineConfig) -> JSONValue {
        func source(_ s: DatasetConfig.Source?) -> JSONValue {
            guard let s else { return .null }
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
            ("eval", .object([("offline", .object(offline))])),
        ])
    }
}
