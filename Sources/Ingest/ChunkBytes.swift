import ColumnarStorage

/// A chunk's bytes: read into memory, or a range of a file mapped read-only (`MappedRegion`),
/// which stays mapped while the chunk (or any copy of it) is alive and is unmapped after the
/// worker that parsed it lets it go.
struct ChunkBytes: Sendable {
    private var owned: [UInt8]
    private var region: MappedRegion?
    /// Where the bytes start in `region`'s.
    private var start: Int
    private(set) var count: Int

    init(_ bytes: [UInt8]) {
        owned = bytes
        region = nil
        start = 0
        count = bytes.count
    }

    /// `count` bytes of `region` from `start`.
    init(region: MappedRegion, start: Int, count: Int) {
        precondition(start >= 0 && count >= 0 && start + count <= region.count, "chunk bytes within their region")
        owned = []
        self.region = region
        self.start = start
        self.count = count
    }

    var isEmpty: Bool { count == 0 }

    /// Calls `body` with the bytes; the buffer must not escape the closure.
    @inline(__always)
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        guard let region else { return try owned.withUnsafeBufferPointer(body) }
        return try region.withBytes { raw in
            try body(UnsafeBufferPointer(start: raw.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + start }, count: count))
        }
    }

    var last: UInt8? { count == 0 ? nil : withUnsafeBufferPointer { $0[count - 1] } }

    /// The bytes as an array (a copy, for mapped ones).
    var array: [UInt8] { withUnsafeBufferPointer { Array($0) } }

    /// Appends bytes, copying mapped ones into memory first.
    mutating func append(contentsOf other: ChunkBytes) {
        makeOwned()
        other.withUnsafeBufferPointer { owned.append(contentsOf: $0) }
        count = owned.count
    }

    mutating func append(_ byte: UInt8) {
        makeOwned()
        owned.append(byte)
        count = owned.count
    }

    private mutating func makeOwned() {
        guard region != nil else { return }
        owned = withUnsafeBufferPointer { Array($0) }
        region = nil
        start = 0
    }
}
