import Reports

/// An eval config: the mode and the sections receval reads.
public struct EvalConfig: Sendable {
    public var mode: String
    public var offline: OfflineConfig
    public var experiment = ExperimentConfig()
    public var ope = OPEConfig()
    public var interleaving = InterleavingConfig()
    public var monitor = MonitorConfig()
    /// The `mode:` the file itself declares ("" when absent), whatever `--mode` later says.
    public var declaredMode = ""
    /// The top-level sections the file holds (`offline`, `experiment`, ...).
    public var sections: Set<String> = []
    /// SHA-256 of the document's values in a canonical form (mappings by sorted key): equal for
    /// configs that say the same, whatever their layout, comments or key order. States carry it,
    /// and `receval merge` refuses states computed under another config.
    public var digest = ""

    /// Parses YAML text; `file` names the file in errors.
    public static func parse(_ text: String, file: String) throws -> EvalConfig {
        let document = try YAMLNode.load(text, file: file)
        let root = try document.mapping(allowed: [
            "mode", "offline", "experiment", "ope", "interleaving", "monitor", "scale", "artifacts",
        ])
        var c = EvalConfig(mode: try root["mode"]?.string().lowercased() ?? "", offline: OfflineConfig())
        c.declaredMode = c.mode
        c.sections = Set(root.keys)
        c.digest = SHA256.hex(Array(YAMLNode.canonical(document.value).utf8))
        if let off = root["offline"] { c.offline = try OfflineConfig.parse(off, file: file) }
        if let e = root["experiment"] { c.experiment = try ExperimentConfig.parse(e, file: file) }
        if let o = root["ope"] { c.ope = try OPEConfig.parse(o, file: file) }
        if let i = root["interleaving"] { c.interleaving = try InterleavingConfig.parse(i, file: file) }
        if let m = root["monitor"] { c.monitor = try MonitorConfig.parse(m, file: file) }
        return c
    }
}
