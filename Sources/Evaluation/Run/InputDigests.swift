import Foundation
import Ingest
import Reports

/// SHA-256 and size of each input file of an ingest, computed from the bytes the ingest reads
/// (`InputObserver`), for the dataset fingerprint of a run from JSONL sources: the inputs are
/// read once, for the parse and the digest together.
///
/// Ingest reads its inputs on one thread, one file after another, so `sink(for:)` and the sinks
/// it returns are never called concurrently; the lock keeps `digests` safe to read afterwards
/// from any thread.
final class InputDigests: InputObserver, @unchecked Sendable {
    private final class Running {
        var hasher = SHA256()
        var bytes = 0
    }
    private let lock = NSLock()
    private var running: [String: Running] = [:]

    func sink(for path: String) -> ((UnsafeRawBufferPointer) -> Void)? {
        let r = Running()
        lock.withLock { running[path] = r }
        return { bytes in
            r.hasher.update(bytes)
            r.bytes += bytes.count
        }
    }

    /// Size and SHA-256 (hexadecimal) of every file read, by path.
    func digests() -> [String: (bytes: Int, sha256: String)] {
        lock.withLock { running.mapValues { r in (r.bytes, r.hasher.finalizeHex()) } }
    }
}
