#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An I/O failure, naming the operation and the path so the user can act on it.
public enum StorageError: Error, CustomStringConvertible, Sendable {
    case system(op: String, path: String, errno: Int32)
    case corrupt(path: String, reason: String)
    case input(path: String, reason: String)

    public var description: String {
        switch self {
        case .system(let op, let path, let code):
            let msg = String(cString: strerror(code))
            return "\(path): \(op) failed: \(msg)"
        case .corrupt(let path, let reason):
            return "\(path): not a valid receval dataset: \(reason)"
        case .input(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}
