import Dispatch

/// Result slots written concurrently by workers, each slot by exactly one worker, and read only
/// after all workers have finished (`concurrentPerform` returns).
///
/// This is the one `@unchecked Sendable` type of the module; the invariant above is what makes
/// it sound: no two threads ever touch the same index, and reads happen-after the join.
final class DisjointSlots<T>: @unchecked Sendable {
    private var storage: [T?]

    init(count: Int) { storage = Array(repeating: nil, count: count) }

    subscript(i: Int) -> T? {
        get { storage[i] }
        set { storage[i] = newValue }
    }

    /// Removes and returns slot `i`, for the single-threaded reader after the join.
    func take(_ i: Int) -> T? {
        let v = storage[i]
        storage[i] = nil
        return v
    }

    /// Runs `body` for `0..<count` on up to `threads` threads; `body(i)` must touch only slot `i`
    /// (and state it owns).
    static func run(_ count: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
        if threads <= 1 || count <= 1 {
            for i in 0..<count { body(i) }
        } else {
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
        }
    }
}

/// A value handed to workers that only read it while the caller waits for them to finish
/// (the caller does not touch it meanwhile); that is the invariant behind `@unchecked Sendable`.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
}

/// A worker's mutable state (its interners and parser), reached by one worker at a time.
final class WorkerState: @unchecked Sendable {
    var interners = WorkerInterners()
    var parser = RecordParser()
    var scratch: UnsafeMutablePointer<UInt8>
    var scratchCapacity: Int
    /// Shape of the last exposure chunk, used to presize the next chunk's batches.
    var rowsPerByte = 0.0
    var itemsPerRow = 0.0
    var pairsPerRow = 0.0

    init() {
        scratchCapacity = 1 << 16
        scratch = .allocate(capacity: scratchCapacity)
    }

    deinit { scratch.deallocate() }

    func ensureScratch(_ n: Int) {
        if n > scratchCapacity {
            scratch.deallocate()
            scratchCapacity = max(n, scratchCapacity * 2)
            scratch = .allocate(capacity: scratchCapacity)
        }
    }
}
