/// A set of chunk offsets that a reader has already validated (dictionary entries checked to be
/// UTF-8), shared by the threads reading one dataset so each chunk is checked once.
///
/// Invariant that makes it `@unchecked Sendable`: `offsets` is touched only while `lock` is held.
final class ValidatedChunks: @unchecked Sendable {
    private let lock = Mutex()
    private var offsets: Set<UInt64> = []

    func contains(_ offset: UInt64) -> Bool { lock.withLock { offsets.contains(offset) } }

    func insert(_ offset: UInt64) { lock.withLock { _ = offsets.insert(offset) } }
}
