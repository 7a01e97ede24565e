/// Serialises plain arrays back to back (`count` as UInt64, then the raw little-endian elements)
/// for spill files; the format is private to one ingest run.
struct ArrayPacker {
    var bytes: [UInt8] = []

    mutating func put<T: BitwiseCopyable>(_ a: [T]) {
        withUnsafeBytes(of: UInt64(a.count)) { bytes.append(contentsOf: $0) }
        a.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }
}

struct ArrayUnpacker {
    let bytes: [UInt8]
    var pos = 0

    mutating func get<T: BitwiseCopyable>(_: T.Type = T.self) -> [T] {
        let n = Int(bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: pos, as: UInt64.self) })
        pos += 8
        let size = n * MemoryLayout<T>.stride
        precondition(pos + size <= bytes.count, "spill segment is shorter than recorded")
        let out = [T](unsafeUninitializedCapacity: n) { buf, count in
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(buf).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[pos..<(pos + size)]))
            }
            count = n
        }
        pos += size
        return out
    }
}

/// Byte strings appended one after another: `offsets` starts at 0 and has one more entry than strings.
struct ByteColumn {
    var offsets: [UInt32] = [0]
    var data: [UInt8] = []

    var count: Int { offsets.count - 1 }

    mutating func append(_ b: UnsafeRawBufferPointer) {
        data.append(contentsOf: b)
        offsets.append(UInt32(data.count))
    }

    mutating func append(contentsOf other: ByteColumn) {
        let base = UInt32(data.count)
        data.append(contentsOf: other.data)
        offsets.reserveCapacity(offsets.count + other.count)
        for i in 1..<other.offsets.count { offsets.append(base + other.offsets[i]) }
    }

    func pack(_ p: inout ArrayPacker) {
        p.put(offsets)
        p.put(data)
    }

    static func unpack(_ u: inout ArrayUnpacker) -> ByteColumn {
        ByteColumn(offsets: u.get(), data: u.get())
    }

    var byteSize: Int { offsets.count * 4 + data.count }

    /// Strings `r` as a new column.
    func slice(_ r: Range<Int>) -> ByteColumn {
        let base = offsets[r.lowerBound]
        var c = ByteColumn()
        c.offsets = offsets[r.lowerBound...r.upperBound].map { $0 - base }
        c.data = Array(data[Int(base)..<Int(offsets[r.upperBound])])
        return c
    }
}
