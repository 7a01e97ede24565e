/// A growable run of plain values that one worker reuses line after line: the items of the line
/// being parsed, and the columns they become before they are appended to a batch in bulk.
///
/// `Array.append` in a loop checks uniqueness and capacity on every call, and those checks were
/// most of the per-item cost of appending (15-20 items per exposure line). This buffer is a
/// reference to memory only its owner writes, so an append is a capacity check and a store.
/// It is a class so that its storage is freed exactly once; copies of a value that holds it
/// share the storage, so it belongs to one parser and is never handed to another thread while
/// in use.
final class ScratchBuffer<Element: BitwiseCopyable> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private(set) var capacity: Int

    init(capacity: Int = 32) {
        precondition(capacity >= 1, "a scratch buffer holds at least one element")
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    @inline(__always)
    func append(_ e: Element) {
        if count == capacity { grow(to: capacity * 2) }
        base[count] = e
        count += 1
    }

    /// Makes room for `n` elements in all, keeping the first `count`.
    func reserve(_ n: Int) {
        if n > capacity { grow(to: max(n, capacity * 2)) }
    }

    /// Sets the count to `n` (at most the capacity: `reserve` first); elements past the old
    /// count are whatever the buffer last held until written.
    @inline(__always)
    func setCount(_ n: Int) {
        precondition(n >= 0 && n <= capacity, "count within the reserved capacity")
        count = n
    }

    @inline(__always)
    func removeAll() { count = 0 }

    /// Appends `e` until the count is `n` (nothing when it is already).
    func fill(_ e: Element, upTo n: Int) {
        guard n > count else { return }
        reserve(n)
        (base + count).initialize(repeating: e, count: n - count)
        count = n
    }

    @inline(__always)
    subscript(i: Int) -> Element {
        get {
            assert(i >= 0 && i < count, "index within the buffer")
            return base[i]
        }
        set {
            assert(i >= 0 && i < count, "index within the buffer")
            base[i] = newValue
        }
    }

    /// The elements, valid until the next append, reserve or deinit.
    @inline(__always)
    var elements: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: base, count: count) }

    private func grow(to n: Int) {
        let b = UnsafeMutablePointer<Element>.allocate(capacity: n)
        b.initialize(from: base, count: count)
        base.deallocate()
        base = b
        capacity = n
    }
}
