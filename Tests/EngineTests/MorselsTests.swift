import ColumnarStorage
import Glibc
import Testing

/// The morsel runner's in-order fold: combines in morsel order whatever the thread count, keeps
/// at most a window of morsels ahead of the combined prefix, and rethrows the first error in
/// morsel order.
@Suite struct MorselsTests {
    /// Counts morsels started, under a mutex (bodies run on several threads).
    final class Started: @unchecked Sendable {
        private let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        private var n = 0
        init() { pthread_mutex_init(m, nil) }
        func increment() -> Int {
            pthread_mutex_lock(m)
            defer { pthread_mutex_unlock(m) }
            n += 1
            return n
        }
        var value: Int {
            pthread_mutex_lock(m)
            defer { pthread_mutex_unlock(m) }
            return n
        }
    }

    @Test(arguments: [1, 2, 4, 8])
    func combinesInOrderWithinTheWindow(threads: Int) throws {
        var order: [Int] = []
        var ahead = 0
        let started = Started()
        try Morsels.fold(
            count: 300, threads: threads, window: 3,
            { i -> Int in
                _ = started.increment()
                // Uneven work, so later morsels often finish first.
                var x = 0
                for k in 0..<((300 - i) * 300) { x &+= k }
                return x == -1 ? -1 : i
            },
            combine: {
                ahead = max(ahead, started.value - order.count)
                order.append($0)
            })
        #expect(order == Array(0..<300))
        // Morsels started but not combined: never more than the window (at least the threads).
        #expect(ahead <= max(3, threads))
    }

    @Test func firstErrorInOrderIsRethrown() {
        struct Bad: Error, Equatable { var i: Int }
        var combined: [Int] = []
        #expect(throws: Bad(i: 7)) {
            try Morsels.fold(
                count: 50, threads: 4,
                { i -> Int in
                    if i == 7 || i == 30 { throw Bad(i: i) }
                    return i
                }, combine: { combined.append($0) })
        }
        #expect(combined == Array(0..<7))
    }

    /// `combine` runs outside the fold's lock: while one thread combines (here slowly), the
    /// others keep running morsels, and the combines still come one at a time, in order.
    /// `concurrentPerform` promises no parallelism (under a busy test run it may run every
    /// morsel on one thread), so the fold is retried until two threads took part; the overlap
    /// is asserted for a run in which they did, and on the old fold (combine under the lock) it
    /// stays 0 however often it runs.
    @Test func morselsRunWhileAPartialIsCombined() throws {
        var sawTwoThreads = false
        var overlappedWithTwoThreads = 0
        for _ in 0..<50 where overlappedWithTwoThreads == 0 {
            let combining = Started()  // odd while a combine runs, even otherwise
            let overlapped = Started()
            let threadIDs = ThreadIDs()
            var order: [Int] = []
            try Morsels.fold(
                count: 40, threads: 2, window: 4,
                { i -> Int in
                    threadIDs.insert(pthread_self())
                    if combining.value % 2 == 1 { _ = overlapped.increment() }
                    return i
                },
                combine: {
                    _ = combining.increment()
                    usleep(2000)
                    order.append($0)
                    _ = combining.increment()
                })
            #expect(order == Array(0..<40))
            if threadIDs.count > 1 {
                sawTwoThreads = true
                overlappedWithTwoThreads = overlapped.value
            }
        }
        if sawTwoThreads { #expect(overlappedWithTwoThreads > 0) }
    }

    /// The distinct threads that ran a fold's morsels, under a mutex.
    final class ThreadIDs: @unchecked Sendable {
        private let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        private var ids: Set<UInt> = []
        init() { pthread_mutex_init(m, nil) }
        func insert(_ id: pthread_t) {
            pthread_mutex_lock(m)
            defer { pthread_mutex_unlock(m) }
            ids.insert(UInt(id))
        }
        var count: Int {
            pthread_mutex_lock(m)
            defer { pthread_mutex_unlock(m) }
            return ids.count
        }
    }
}
