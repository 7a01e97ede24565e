import Yams

/// A loaded YAML mapping read strictly: every key must be consumed, so a misspelt or unknown key
/// is an error that names it (recsys-eval's loader rejects unknown keys the same way).
struct YAMLNode {
    let file: String
    let path: String
    let value: Any?

    static func load(_ text: String, file: String) throws -> YAMLNode {
        do {
            return YAMLNode(file: file, path: "", value: try Yams.load(yaml: text))
        } catch {
            throw ConfigError(file: file, "not valid YAML: \(error)")
        }
    }

    /// A loaded value as text with mappings in sorted key order and every scalar tagged with its
    /// type, so that equal documents give equal text.
    static func canonical(_ value: Any?) -> String {
        switch value {
        case nil: return "~"
        case let d as [String: Any]:
            let parts = d.keys.sorted().map { "\(canonical($0)):\(canonical(d[$0]))" }
            return "{" + parts.joined(separator: ",") + "}"
        case let a as [Any]: return "[" + a.map { canonical($0) }.joined(separator: ",") + "]"
        case let s as String: return "s" + String(s.utf8.count) + ":" + s
        case let b as Bool: return b ? "T" : "F"
        case let i as Int: return "i\(i)"
        case let x as Double: return "d\(x.bitPattern)"
        case let other?: return "o" + String(describing: other)
        }
    }

    func named(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The mapping's members, after checking that every key is in `allowed`.
    func mapping(allowed: Set<String>) throws -> [String: YAMLNode] {
        guard let value else { return [:] }
        guard let dict = value as? [String: Any] else {
            throw ConfigError(file: file, "\(path.isEmpty ? "the document" : "`\(path)`") must be a mapping")
        }
        var out: [String: YAMLNode] = [:]
        for (k, v) in dict {
            guard allowed.contains(k) else {
                throw ConfigError(file: file, "unknown key `\(named(k))` (allowed here: \(allowed.sorted().joined(separator: ", ")))")
            }
            out[k] = YAMLNode(file: file, path: named(k), value: v)
        }
        return out
    }

    /// A mapping whose keys are data (variant or metric names), not config keys.
    func entries() throws -> [(key: String, value: YAMLNode)] {
        guard let value else { return [] }
        guard let dict = value as? [String: Any] else { throw ConfigError(file: file, "`\(path)` must be a mapping") }
        return dict.map { (key: $0.key, value: YAMLNode(file: file, path: named($0.key), value: $0.value)) }
            .sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
    }

    func list() throws -> [YAMLNode] {
        guard let value else { return [] }
        guard let items = value as? [Any] else { throw ConfigError(file: file, "`\(path)` must be a list") }
        return items.enumerated().map { YAMLNode(file: file, path: "\(path)[\($0.offset)]", value: $0.element) }
    }

    func string() throws -> String {
        if value == nil { return "" }
        if let s = value as? String { return s }
        if let i = value as? Int { return String(i) }
        if let d = value as? Double { return String(d) }
        if let b = value as? Bool { return b ? "true" : "false" }
        throw ConfigError(file: file, "`\(path)` must be a string")
    }

    func int() throws -> Int {
        if value == nil { return 0 }
        if let i = value as? Int { return i }
        throw ConfigError(file: file, "`\(path)` must be an integer")
    }

    func double() throws -> Double {
        if value == nil { return 0 }
        if let d = value as? Double { return d }
        if let i = value as? Int { return Double(i) }
        throw ConfigError(file: file, "`\(path)` must be a number")
    }

    func bool() throws -> Bool {
        if value == nil { return false }
        if let b = value as? Bool { return b }
        throw ConfigError(file: file, "`\(path)` must be true or false")
    }
}
