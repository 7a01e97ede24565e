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

    init(contract: IngestContract = .strict) {
        parser.contract = contract
        parser.contextObjects.enabled = true
        scratchCapacity = 1 << 16
        scratch = .allocate(capacity: scratchCapacity)
    }

    deinit { scratch.deallocate() }

    /// Runs `body` with the parser and interners borrowed in place: a loop that reaches them
    /// through the class on every line copies the parser (retaining each of its arrays) on
    /// reads and checks the arrays' uniqueness on writes.
    func withParser<R>(_ body: (inout RecordParser, inout WorkerInterners) throws -> R) rethrows -> R {
        try body(&parser, &interners)
    }

    /// Empty dictionaries, and no context objects remembered with the old ones' codes.
    func freshDictionaries() {
        interners = WorkerInterners()
        parser.contextObjects = ContextObjectMemo()
        parser.contextObjects.enabled = true
    }

    func ensureScratch(_ n: Int) {
        if n > scratchCapacity {
            scratch.deallocate()
            scratchCapacity = max(n, scratchCapacity * 2)
            scratch = .allocate(capacity: scratchCapacity)
        }
    }
}
