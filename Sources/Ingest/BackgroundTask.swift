import Dispatch

/// A value computed on another thread while the caller does other work: ingest's parse workers
/// run while the calling thread reads and commits chunks. `wait()` returns the value once it is ready,
/// and is called once.
///
/// The value is written by the worker before it signals and read by the caller after it waits,
/// so the semaphore orders the two accesses; that is what makes the `@unchecked Sendable` sound.
public final class BackgroundTask<T>: @unchecked Sendable {
    private var value: T?
    private let done = DispatchSemaphore(value: 0)

    public init(_ body: @escaping @Sendable () -> T) {
        DispatchQueue.global().async {
            self.value = body()
            self.done.signal()
        }
    }

    public func wait() -> T {
        done.wait()
        guard let v = value else { preconditionFailure("BackgroundTask.wait() called twice") }
        value = nil
        return v
    }
}
