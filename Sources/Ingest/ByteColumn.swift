/// Byte strings appended one after another: `offsets` starts at 0 and has one more entry than strings.
struct ByteColumn {
    var offsets: [UInt32] = [0]
    var data: [UInt8] = []

    var count: Int { offsets.count - 1 }

    mutating func append(_ b: UnsafeRawBufferPointer) {
        // As typed bytes: `Array.append(contentsOf:)` of a raw buffer took the generic sequence
        // path, about 200 instructions for a 28-byte request id.
        data.append(contentsOf: b.assumingMemoryBound(to: UInt8.self))
        offsets.append(UInt32(data.count))
    }

    mutating func append(contentsOf other: ByteColumn) {
        let base = UInt32(data.count)
        data.append(contentsOf: other.data)
        offsets.reserveCapacity(offsets.count + other.count)
        for i in 1..<other.offsets.count { offsets.append(base + other.offsets[i]) }
    }

    /// Heap bytes held, by capacity.
    var byteSize: Int { heapBytes(offsets) + heapBytes(data) }

    /// Strings `r` as a new column.
    func slice(_ r: Range<Int>) -> ByteColumn {
        let base = offsets[r.lowerBound]
        var c = ByteColumn()
        c.offsets = offsets[r.lowerBound...r.upperBound].map { $0 - base }
        c.data = Array(data[Int(base)..<Int(offsets[r.upperBound])])
        return c
    }
}
