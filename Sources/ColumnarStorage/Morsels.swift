import Dispatch

/// The one thread runner of ingest and the engine: runs independent pieces of work (morsels: a
/// partition, a chunk, a row group, a worker's share) on up to `threads` threads and returns
/// their results in morsel order, so any reduction over them happens in a fixed order whatever
/// the thread count.
public enum Morsels {
    /// Runs `body(i)` for every morsel `i` in `0..<count`, each once, on up to `threads` threads,
    /// and returns the results in morsel order; the first error in morsel order is rethrown.
    /// Morsels go to whichever thread is free (dynamic balance); state a morsel owns (a worker's
    /// interners, say) belongs to its index, not to a thread.
    public static func run<R: Sendable, E: Error>(count: Int, threads: Int, _ body: @Sendable (Int) throws(E) -> R) throws(E) -> [R] {
        precondition(threads >= 1, "at least one thread")
        let slots = ResultSlots<R, E>(count: count)
        if threads == 1 || count <= 1 {
            for i in 0..<count { slots.set(i, Result { () throws(E) -> R in try body(i) }) }
        } else {
            // Workers take the next morsel index from a shared counter; each result goes to its
            // own slot.
            let next = AtomicCounter()
            DispatchQueue.concurrentPerform(iterations: min(threads, count)) { _ in
                while true {
                    let i = next.increment()
                    if i >= count { break }
                    slots.set(i, Result { () throws(E) -> R in try body(i) })
                }
            }
        }
        var results: [R] = []
        results.reserveCapacity(count)
        for i in 0..<count { results.append(try slots.get(i).get()) }
        return results
    }
}

extension Morsels {
    /// Runs `body` on every morsel and hands each result to `combine` in morsel order, as soon as
    /// every earlier result has been combined, so at most about `window` results wait at once and
    /// memory does not grow with the number of morsels. A worker does not start morsel `i` until
    /// morsel `i - window` has been combined. `combine` runs under a lock, one call at a time, on
    /// whichever worker completed the prefix; the first error (in morsel order) is rethrown.
    public static func fold<R: Sendable>(
        count: Int, threads: Int, window: Int? = nil, _ body: @Sendable (Int) throws -> R, combine: (R) throws -> Void
    ) throws {
        precondition(threads >= 1, "at least one thread")
        if threads == 1 || count <= 1 {
            for i in 0..<count { try combine(try body(i)) }
            return
        }
        try withoutActuallyEscaping(combine) { combine in
            let state = FoldState<R>(window: max(window ?? 2 * threads, threads), combine: combine)
            DispatchQueue.concurrentPerform(iterations: min(threads, count)) { _ in
                while let i = state.next(count: count) {
                    let r = Result { try body(i) }
                    state.finish(i, r)
                }
            }
            if let e = state.error { throw e }
        }
    }

    /// Runs `body` once per partition `reader` scans (all, or its shard's) and combines the results in partition order
    /// with bounded memory (`fold`).
    public static func foldPartitions<R: Sendable>(
        of reader: DatasetReader, threads: Int, _ body: @Sendable (Int) throws -> R, combine: (R) throws -> Void
    ) throws {
        let partitions = reader.scannedPartitions
        try fold(
            count: partitions.count, threads: threads,
            { i in
                readAhead(reader, partitions, at: i, threads: threads)
                return try body(partitions[i])
            }, combine: combine)
    }

    /// Runs `body` once per partition `reader` scans (results in partition order, as `run`).
    public static func partitions<R: Sendable>(of reader: DatasetReader, threads: Int, _ body: @Sendable (Int) throws -> R) throws -> [R] {
        let partitions = reader.scannedPartitions
        return try run(count: partitions.count, threads: threads) { i in
            readAhead(reader, partitions, at: i, threads: threads)
            return try body(partitions[i])
        }
    }

    /// The read-ahead of a scan in partition order (`partitions`, morsel `i` scanning
    /// `partitions[i]`): the first morsel asks for the partitions of the first round, and each
    /// morsel for the one a round after it, so each partition's bytes are on their way about one
    /// partition's scan before a worker reads them. A hint only.
    public static func readAhead(_ reader: DatasetReader, _ partitions: [Int], at i: Int, threads: Int) {
        if i == 0 {
            for j in 0..<min(threads, partitions.count) { reader.willNeed(partition: partitions[j]) }
        }
        if i + threads < partitions.count { reader.willNeed(partition: partitions[i + threads]) }
    }
}

/// The shared state of a `fold`: the next morsel to hand out, results waiting for their turn,
/// and the combined prefix. Every member is read and written under `lock`. `combine` runs
/// outside it, so that the other workers keep handing in results and taking morsels while a
/// partial is combined (a fold whose combine is heavy, such as the experiment's per-unit sums,
/// would otherwise run one thread at a time); `combining` lets one thread at a time combine, in
/// morsel order, and the lock hand-offs order one combine before the next. That is what makes
/// the `@unchecked Sendable` sound.
final class FoldState<R>: @unchecked Sendable {
    private let lock = Mutex()
    private let ready = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let window: Int
    private let combine: (R) throws -> Void
    private var handedOut = 0
    private var combined = 0
    private var waiting: [Int: Result<R, Error>] = [:]
    /// Whether a thread is combining (outside the lock).
    private var combining = false
    private var failure: Error?

    /// The first error of a morsel or of `combine`; read once every worker has returned.
    var error: Error? {
        lock.lock()
        defer { lock.unlock() }
        return failure
    }

    init(window: Int, combine: @escaping (R) throws -> Void) {
        self.window = window
        self.combine = combine
        pthread_cond_init(ready, nil)
    }

    deinit {
        pthread_cond_destroy(ready)
        ready.deallocate()
    }

    /// The next morsel to run, once it is within `window` of the combined prefix; nil when all are
    /// handed out or an error stopped the fold.
    func next(count: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        while handedOut < count && failure == nil && handedOut >= combined + window { lock.wait(ready) }
        guard handedOut < count && failure == nil else { return nil }
        handedOut += 1
        return handedOut - 1
    }

    /// Records morsel `i`'s result and, unless another thread is combining (it will take this one
    /// in its turn), combines every result whose predecessors are combined.
    func finish(_ i: Int, _ r: Result<R, Error>) {
        lock.lock()
        defer { lock.unlock() }
        waiting[i] = r
        if combining { return }
        combining = true
        while failure == nil, let next = waiting.removeValue(forKey: combined) {
            lock.unlock()
            var failed: Error?
            do {
                try combine(try next.get())
            } catch {
                failed = error
            }
            lock.lock()
            if let failed { failure = failed }
            combined += 1
            pthread_cond_broadcast(ready)
        }
        // Checked and cleared in one hold of the lock: a result handed in after the loop's last
        // look finds `combining` false and is combined by the thread that hands it in.
        combining = false
        pthread_cond_broadcast(ready)
    }
}

/// One result slot per morsel, each written by exactly one worker and read after the join.
/// That invariant is what makes the `@unchecked Sendable` sound.
final class ResultSlots<R, E: Error>: @unchecked Sendable {
    private var storage: [Result<R, E>?]

    init(count: Int) { storage = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ r: Result<R, E>) { storage[i] = r }

    func get(_ i: Int) -> Result<R, E> { storage[i]! }
}

/// A counter shared by workers, protected by a lock (taken once per morsel, so contention is negligible).
final class AtomicCounter: @unchecked Sendable {
    private var value = 0
    private let lock = Mutex()

    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        let v = value
        value += 1
        return v
    }
}

#if canImport(Glibc)
    import Glibc
#endif
