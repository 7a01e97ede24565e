import ColumnarStorage
import Dispatch

/// Runs independent pieces of work (morsels: a partition, a row group) on up to `threads`
/// threads and returns their results in morsel order, so any reduction over them happens in a
/// fixed order whatever the thread count.
public enum Morsels {
    public static func run<R: Sendable>(count: Int, threads: Int, _ body: @Sendable (Int) throws -> R) throws -> [R] {
        precondition(threads >= 1, "at least one thread")
        let slots = ResultSlots<R>(count: count)
        if threads == 1 || count <= 1 {
            for i in 0..<count { slots.set(i, Result { try body(i) }) }
        } else {
            // Workers take the next morsel index from a shared counter (dynamic load balance);
            // each result goes to its own slot.
            let next = AtomicCounter()
            DispatchQueue.concurrentPerform(iterations: min(threads, count)) { _ in
                while true {
                    let i = next.increment()
                    if i >= count { break }
                    slots.set(i, Result { try body(i) })
                }
            }
        }
        return try (0..<count).map { try slots.get($0).get() }
    }
}

extension Morsels {
    /// Runs `body` once per partition of `reader` (results in partition order, as `run`), and
    /// releases each partition's mapped pages when its body returns.
    public static func partitions<R: Sendable>(of reader: DatasetReader, threads: Int, _ body: @Sendable (Int) throws -> R) throws -> [R] {
        try run(count: reader.partitionCount, threads: threads) { p in
            defer { reader.release(partition: p) }
            return try body(p)
        }
    }
}

/// One result slot per morsel, each written by exactly one worker and read after the join.
/// That invariant is what makes the `@unchecked Sendable` sound.
final class ResultSlots<R>: @unchecked Sendable {
    private var storage: [Result<R, Error>?]

    init(count: Int) { storage = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ r: Result<R, Error>) { storage[i] = r }

    func get(_ i: Int) -> Result<R, Error> { storage[i]! }
}

/// A counter shared by workers, protected by a lock (taken once per morsel, so contention is negligible).
final class AtomicCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLockLite()

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

/// A pthread mutex, without Foundation.
final class NSLockLite: @unchecked Sendable {
    private let m: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        m = .allocate(capacity: 1)
        pthread_mutex_init(m, nil)
    }

    deinit {
        pthread_mutex_destroy(m)
        m.deallocate()
    }

    func lock() { pthread_mutex_lock(m) }
    func unlock() { pthread_mutex_unlock(m) }
}
