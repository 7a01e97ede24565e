import ColumnarStorage
import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// The hand-over between ingest's reading thread and its parse workers: the reader pushes
/// chunks in input order, each worker takes the next chunk not yet taken and parses it with
/// its own parser and dictionaries, and the reader takes the results back in input order.
///
/// There is no round barrier: the reading thread shares a core with the workers, and with
/// rounds the worker it slowed held up the other at every round's end (each worker slept about
/// 17% of the parse in those waits). Here a worker only waits when no chunk is read yet.
///
/// Memory: the reader decides how many chunks may be between reading and committing (read,
/// being parsed, or parsed and waiting for an earlier one); see `IngestJob`.
final class ParsePipeline: @unchecked Sendable {
    private let lock = Mutex()
    /// Signalled when a chunk is pushed or the pipeline closes (workers wait on it).
    private let chunkReady = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Signalled when a result is posted (the reader waits on it).
    private let resultReady = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var chunks: [Int: LineChunk] = [:]
    private var results: [Int: IngestJob.ChunkResult] = [:]
    private var pushed = 0
    private var taken = 0
    private var closed = false

    init() {
        pthread_cond_init(chunkReady, nil)
        pthread_cond_init(resultReady, nil)
    }

    deinit {
        pthread_cond_destroy(chunkReady)
        pthread_cond_destroy(resultReady)
        chunkReady.deallocate()
        resultReady.deallocate()
    }

    /// Hands the next chunk in input order to the workers.
    func push(_ chunk: LineChunk) {
        lock.withLock {
            chunks[pushed] = chunk
            pushed += 1
            pthread_cond_signal(chunkReady)
        }
    }

    /// No more chunks: the workers finish what is pushed and return. With `discarding`, chunks
    /// not yet taken are dropped (after an error).
    func close(discarding: Bool = false) {
        lock.withLock {
            closed = true
            if discarding { chunks = [:] }
            pthread_cond_broadcast(chunkReady)
        }
    }

    /// Chunk `index`'s result; waits for it when `wait`, else nil when it is not ready. Only
    /// one thread (the reader) takes results.
    func result(_ index: Int, wait: Bool) -> IngestJob.ChunkResult? {
        lock.withLock {
            precondition(!wait || index < pushed, "a result is waited for only once its chunk is pushed")
            while wait && results[index] == nil { lock.wait(resultReady) }
            return results.removeValue(forKey: index)
        }
    }

    /// Runs the workers until the pipeline is closed and every pushed chunk is parsed: worker
    /// `w` parses with `workers[w]` (its dictionaries' codes are remapped by worker later).
    func work(workers: [WorkerState], partitions: Int) {
        DispatchQueue.concurrentPerform(iterations: workers.count) { w in
            while let (index, chunk) = take() {
                let r = IngestJob.parseChunk(chunk, worker: workers[w], index: w, partitions: partitions)
                lock.withLock {
                    results[index] = r
                    pthread_cond_signal(resultReady)
                }
            }
        }
    }

    /// The next chunk to parse, waiting for one to be pushed; nil once closed and drained.
    private func take() -> (Int, LineChunk)? {
        lock.withLock {
            while chunks[taken] == nil && !closed { lock.wait(chunkReady) }
            guard let c = chunks.removeValue(forKey: taken) else { return nil }
            taken += 1
            return (taken - 1, c)
        }
    }
}
