import CLZ4
import CSnappy
import CZlib
import CZstd
import ColumnarFormat

/// Reads a Parquet file (format versions 1 and 2 of the specification): the footer's schema and
/// row groups, and each column chunk's pages (data page v1 and v2, dictionary pages), with the
/// codecs none, snappy, gzip, zstd and lz4_raw and the encodings PLAIN, dictionary, RLE,
/// DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT. The caller keeps `bytes`
/// alive (a mapped file).
public struct ParquetFileReader {
    /// A leaf column: its path, physical type and annotations, and maximum levels.
    public struct Leaf: Sendable {
        public let path: [String]
        public let type: Int64
        public let typeLength: Int
        public let maxDefinition: Int
        public let maxRepetition: Int
        /// Time unit of a timestamp (1 millis, 2 micros, 3 nanos), nil when not a timestamp.
        public let timestampUnit: Int?
        /// A byte array annotated JSON.
        public let isJSON: Bool
        /// The definition level at which the first repeated ancestor holds an entry.
        public let repeatedDefinition: Int?
    }

    public let bytes: UnsafeRawBufferPointer
    public let leaves: [Leaf]
    public let rowGroups: [(rows: Int, chunks: [ThriftValueBox])]
    public let rows: Int

    /// A column chunk's metadata (opaque to callers).
    public struct ThriftValueBox: @unchecked Sendable { let value: ThriftValue }

    public init(bytes: UnsafeRawBufferPointer) throws(ParquetError) {
        self.bytes = bytes
        guard bytes.count >= 12, Array(bytes[0..<4]) == Array("PAR1".utf8), Array(bytes[(bytes.count - 4)...]) == Array("PAR1".utf8)
        else { throw .invalid("it does not start and end with PAR1") }
        let length = Int(bytes.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt32.self).littleEndian)
        guard length <= bytes.count - 12 else { throw .invalid("the footer's length passes the file") }
        var r = ThriftCompactReader(UnsafeRawBufferPointer(rebasing: bytes[(bytes.count - 8 - length)..<(bytes.count - 8)]))
        let meta = try r.structure()
        // Schema: depth-first elements with child counts; the first is the root.
        let elements = meta[2]?.list ?? []
        guard !elements.isEmpty else { throw .invalid("the footer has no schema") }
        var leaves: [Leaf] = []
        var index = 1
        func walk(_ path: [String], _ d: Int, _ rep: Int, _ repeated: Int?, children: Int) throws(ParquetError) {
            for _ in 0..<children {
                guard index < elements.count else { throw .invalid("the schema's child counts pass its elements") }
                let e = elements[index]
                index += 1
                let name = e[4]?.string ?? ""
                let repetition = e[3]?.int ?? 0
                let d2 = d + (repetition == 0 ? 0 : 1)
                let r2 = rep + (repetition == 2 ? 1 : 0)
                guard d2 <= 100, r2 <= 100 else { throw .invalid("the schema nests too deeply") }
                let repeated2 = repeated ?? (repetition == 2 ? d2 : nil)
                if let n = e[5]?.int, n > 0 {
                    try walk(path + [name], d2, r2, repeated2, children: Int(n))
                } else {
                    var unit: Int? = nil
                    if let ts = e[10]?[8] {
                        unit = ts[2].map { u in u[1] != nil ? 1 : (u[2] != nil ? 2 : 3) } ?? 2
                    } else if let converted = e[6]?.int, converted == 9 || converted == 10 {
                        unit = converted == 9 ? 1 : 2
                    }
                    leaves.append(
                        Leaf(
                            path: path + [name], type: e[1]?.int ?? -1, typeLength: try Self.typeLength(e[2]?.int), maxDefinition: d2,
                            maxRepetition: r2, timestampUnit: unit, isJSON: e[6]?.int == 19 || e[10]?[12] != nil,
                            repeatedDefinition: repeated2))
                }
            }
        }
        let rootChildren = elements[0][5]?.int ?? 0
        guard rootChildren >= 0, rootChildren < Int64(elements.count) else {
            throw .invalid("the schema's root claims \(rootChildren) columns")
        }
        try walk([], 0, 0, nil, children: Int(rootChildren))
        self.leaves = leaves
        // Row counts bound every loop over rows: negative or beyond 2^31 per group is malformed.
        func rowCount(_ v: Int64?) throws(ParquetError) -> Int {
            let n = v ?? 0
            guard n >= 0, n <= 1 << 31 else { throw .invalid("a row group claims \(n) rows") }
            return Int(n)
        }
        var groups: [(rows: Int, chunks: [ThriftValueBox])] = []
        for g in meta[4]?.list ?? [] {
            groups.append((rows: try rowCount(g[3]?.int), chunks: (g[1]?.list ?? []).map { ThriftValueBox(value: $0) }))
        }
        rowGroups = groups
        let total = meta[3]?.int ?? 0
        guard total >= 0 else { throw .invalid("the file claims \(total) rows") }
        rows = Int(total)
        for g in rowGroups where g.chunks.count != leaves.count {
            throw .invalid("a row group has \(g.chunks.count) column chunks for \(leaves.count) columns")
        }
    }

    /// Every entry of leaf `leaf` in row group `group`.
    public func column(group: Int, leaf: Int) throws(ParquetError) -> ParquetColumnData {
        let l = leaves[leaf]
        guard let meta = rowGroups[group].chunks[leaf].value[3] else { throw .invalid("a column chunk has no metadata") }
        let codec = meta[4]?.int ?? 0
        let total = Int(meta[5]?.int ?? 0)
        var start = Int(meta[9]?.int ?? 0)
        if let d = meta[11]?.int, d > 0, Int(d) < start { start = Int(d) }
        let size = Int(meta[7]?.int ?? 0)
        guard start >= 4, size >= 0, start <= bytes.count - 8, size <= bytes.count - 8 - start else {
            throw .invalid("a column chunk lies outside the file")
        }
        // Entries are bounded by the chunk's count, itself bounded (a crafted count must not
        // size the level arrays).
        guard total >= 0, total <= 1 << 31 else { throw .invalid("a column chunk claims \(total) values") }
        var out = ParquetColumnData(values: .bool([]))
        var dictionary: ParquetColumnData.Values? = nil
        var collected: [ParquetColumnData.Values] = []
        var position = start
        let end = start + size
        while position < end && out.defs.count < total {
            var r = ThriftCompactReader(UnsafeRawBufferPointer(rebasing: bytes[position..<end]))
            let header = try r.structure()
            position += r.position
            let type = header[1]?.int ?? -1
            let raw = Int(header[2]?.int ?? -1)
            let stored = Int(header[3]?.int ?? -1)
            guard raw >= 0, stored >= 0, stored <= end - position, raw <= 1 << 31 else { throw .invalid("a page's sizes are out of range") }
            let page = UnsafeRawBufferPointer(rebasing: bytes[position..<position + stored])
            position += stored
            switch type {
            case 2:
                let body = try Self.decompress(page, codec: codec, size: raw)
                let n = Int(header[7]?[1]?.int ?? 0)
                guard n >= 0, n <= raw * 8 + 8 else { throw .invalid("a dictionary page claims \(n) values") }
                var d = ParquetDecoder(body)
                dictionary = try Self.plain(&d, leaf: l, count: n)
            case 0:
                guard let h = header[5] else { throw .invalid("a data page has no header") }
                let body = try Self.decompress(page, codec: codec, size: raw)
                var d = ParquetDecoder(body)
                let n = Int(h[1]?.int ?? 0)
                guard n >= 0, n <= total - out.defs.count else { throw .invalid("a data page claims \(n) values") }
                if l.maxRepetition > 0 {
                    let len = Int(try d.u32())
                    let e = d.position + len
                    guard e <= body.count else { throw .invalid("repetition levels pass their page") }
                    out.reps += try d.hybrid(count: n, bitWidth: Self.width(l.maxRepetition), end: e).map { UInt8(truncatingIfNeeded: $0) }
                    d.position = e
                } else {
                    out.reps += repeatElement(0, count: n)
                }
                var defs: [UInt8]
                if l.maxDefinition > 0 {
                    let len = Int(try d.u32())
                    let e = d.position + len
                    guard e <= body.count else { throw .invalid("definition levels pass their page") }
                    defs = try d.hybrid(count: n, bitWidth: Self.width(l.maxDefinition), end: e).map { UInt8(truncatingIfNeeded: $0) }
                    d.position = e
                } else {
                    defs = [UInt8](repeating: 0, count: n)
                }
                out.defs += defs
                let present = defs.filter { Int($0) == l.maxDefinition }.count
                collected.append(try Self.values(&d, leaf: l, encoding: h[2]?.int ?? 0, count: present, dictionary: dictionary))
            case 3:
                guard let h = header[8] else { throw .invalid("a v2 data page has no header") }
                let n = Int(h[1]?.int ?? 0)
                guard n >= 0, n <= total - out.defs.count else { throw .invalid("a data page claims \(n) values") }
                let defLength = Int(h[5]?.int ?? 0)
                let repLength = Int(h[6]?.int ?? 0)
                guard defLength >= 0, repLength >= 0, defLength <= stored, repLength <= stored - defLength,
                    raw >= defLength + repLength
                else { throw .invalid("a v2 page's level lengths") }
                let levels = Array(page[..<(repLength + defLength)])
                var lv = ParquetDecoder(levels)
                out.reps +=
                    l.maxRepetition > 0
                    ? try lv.hybrid(count: n, bitWidth: Self.width(l.maxRepetition), end: repLength).map { UInt8(truncatingIfNeeded: $0) }
                    : [UInt8](repeating: 0, count: n)
                lv.position = repLength
                let defs =
                    l.maxDefinition > 0
                    ? try lv.hybrid(count: n, bitWidth: Self.width(l.maxDefinition), end: repLength + defLength).map {
                        UInt8(truncatingIfNeeded: $0)
                    } : [UInt8](repeating: 0, count: n)
                out.defs += defs
                let rest = UnsafeRawBufferPointer(rebasing: page[(repLength + defLength)...])
                let compressed = h[7]?.bool ?? true
                let body =
                    compressed
                    ? try Self.decompress(rest, codec: codec, size: raw - repLength - defLength) : Array(rest)
                var d = ParquetDecoder(body)
                let present = defs.filter { Int($0) == l.maxDefinition }.count
                collected.append(try Self.values(&d, leaf: l, encoding: h[4]?.int ?? 0, count: present, dictionary: dictionary))
            default:
                continue
            }
        }
        out.values = try Self.concatenate(collected, leaf: l)
        return out
    }

    /// A FIXED_LEN_BYTE_ARRAY's length from the schema: absent is 0; negative, or past any
    /// page, is malformed.
    static func typeLength(_ v: Int64?) throws(ParquetError) -> Int {
        let n = v ?? 0
        guard n >= 0, n <= 1 << 31 else { throw .invalid("a column's type length is \(n)") }
        return Int(n)
    }

    static func width(_ max: Int) -> Int { max == 0 ? 0 : Int.bitWidth - max.leadingZeroBitCount }

    static func decompress(_ page: UnsafeRawBufferPointer, codec: Int64, size: Int) throws(ParquetError) -> [UInt8] {
        guard size >= 0 else { throw .invalid("a negative page size") }
        switch codec {
        case 0:
            return Array(page)
        case 1:
            var out = [UInt8](repeating: 0, count: size)
            var n = size
            let status = out.withUnsafeMutableBytes { o in
                snappy_uncompress(
                    page.baseAddress?.assumingMemoryBound(to: CChar.self), page.count, o.baseAddress?.assumingMemoryBound(to: CChar.self),
                    &n)
            }
            guard status == SNAPPY_OK, n == size else { throw .invalid("a snappy page does not decompress to its size") }
            return out
        case 2:
            var out = [UInt8](repeating: 0, count: size)
            var stream = z_stream()
            guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                throw .invalid("zlib could not start")
            }
            defer { inflateEnd(&stream) }
            let status = out.withUnsafeMutableBytes { o -> Int32 in
                stream.next_in = UnsafeMutablePointer(mutating: page.baseAddress?.assumingMemoryBound(to: UInt8.self))
                stream.avail_in = UInt32(page.count)
                stream.next_out = o.baseAddress?.assumingMemoryBound(to: UInt8.self)
                stream.avail_out = UInt32(size)
                return inflate(&stream, Z_FINISH)
            }
            guard status == Z_STREAM_END, Int(stream.total_out) == size else {
                throw .invalid("a gzip page does not decompress to its size")
            }
            return out
        case 6:
            var out = [UInt8](repeating: 0, count: size)
            let n = out.withUnsafeMutableBytes { o in ZSTD_decompress(o.baseAddress, size, page.baseAddress, page.count) }
            guard ZSTD_isError(n) == 0, n == size else { throw .invalid("a zstd page does not decompress to its size") }
            return out
        case 7:
            var out = [UInt8](repeating: 0, count: size)
            let n = out.withUnsafeMutableBytes { o in
                LZ4_decompress_safe(
                    page.baseAddress?.assumingMemoryBound(to: CChar.self), o.baseAddress?.assumingMemoryBound(to: CChar.self),
                    Int32(page.count), Int32(size))
            }
            guard Int(n) == size else { throw .invalid("an lz4 page does not decompress to its size") }
            return out
        default:
            throw .unsupported("codec \(codec) (receval reads none, snappy, gzip, zstd and lz4_raw)")
        }
    }

    /// `count` little-endian integers from `at`, `stride` bytes apart (bounds checked by the caller).
    static func littleEndian<T: FixedWidthInteger>(_ bytes: [UInt8], at: Int, count: Int, stride: Int) -> [T] {
        bytes.withUnsafeBytes { raw in
            (0..<count).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: at + stride * $0, as: T.self)) }
        }
    }

    /// `count` PLAIN values of the leaf's type.
    static func plain(_ d: inout ParquetDecoder, leaf l: Leaf, count: Int) throws(ParquetError) -> ParquetColumnData.Values {
        func fixed(_ size: Int) throws(ParquetError) -> Int {
            guard count <= d.remaining / max(size, 1) else { throw .invalid("values pass their page") }
            defer { d.position += count * size }
            return d.position
        }
        switch l.type {
        case 0:
            var out: [Bool] = []
            guard (count + 7) / 8 <= d.remaining else { throw .invalid("booleans pass their page") }
            for i in 0..<count { out.append(d.bytes[d.position + i / 8] >> UInt8(i % 8) & 1 == 1) }
            d.position += (count + 7) / 8
            return .bool(out)
        case 1: return .int32(Self.littleEndian(d.bytes, at: try fixed(4), count: count, stride: 4))
        case 2: return .int64(Self.littleEndian(d.bytes, at: try fixed(8), count: count, stride: 8))
        case 3:
            let at = try fixed(12)
            let nanos: [Int64] = Self.littleEndian(d.bytes, at: at, count: count, stride: 12)
            let days: [Int32] = Self.littleEndian(d.bytes, at: at + 8, count: count, stride: 12)
            return .int96(zip(nanos, days).map { ($0, $1) })
        case 4:
            let bits: [UInt32] = Self.littleEndian(d.bytes, at: try fixed(4), count: count, stride: 4)
            return .float(bits.map { Float(bitPattern: $0) })
        case 5:
            let bits: [UInt64] = Self.littleEndian(d.bytes, at: try fixed(8), count: count, stride: 8)
            return .double(bits.map { Double(bitPattern: $0) })
        case 6:
            let b = try d.byteArrays(encoding: 0, count: count)
            return .bytes(offsets: b.offsets, data: b.data)
        case 7:
            let at = try fixed(l.typeLength)
            return .bytes(offsets: (0...count).map { $0 * l.typeLength }, data: Array(d.bytes[at..<(at + count * l.typeLength)]))
        default:
            throw .unsupported("physical type \(l.type)")
        }
    }

    /// A data page's values in `encoding`.
    static func values(
        _ d: inout ParquetDecoder, leaf l: Leaf, encoding: Int64, count: Int, dictionary: ParquetColumnData.Values?
    ) throws(ParquetError) -> ParquetColumnData.Values {
        switch encoding {
        case 0:
            return try plain(&d, leaf: l, count: count)
        case 2, 8:
            guard let dictionary else { throw .invalid("dictionary indices without a dictionary page") }
            let width = Int(try d.byte())
            let indices = try d.hybrid(count: count, bitWidth: width, end: d.bytes.count)
            let n = dictionary.count
            guard indices.allSatisfy({ Int($0) < n }) else { throw .invalid("a dictionary index past the dictionary") }
            return pick(dictionary, indices.map { Int($0) })
        case 3 where l.type == 0:
            _ = try d.u32()
            return .bool(try d.hybrid(count: count, bitWidth: 1, end: d.bytes.count).map { $0 == 1 })
        case 5:
            let v = try d.deltaBinaryPacked()
            guard v.count >= count else { throw .invalid("fewer delta values than the page's") }
            return l.type == 1 ? .int32(v.prefix(count).map { Int32(truncatingIfNeeded: $0) }) : .int64(Array(v.prefix(count)))
        case 6, 7:
            let b = try d.byteArrays(encoding: encoding, count: count)
            return .bytes(offsets: b.offsets, data: b.data)
        case 9:
            // BYTE_STREAM_SPLIT: byte k of every value, then byte k + 1 of every value, ...
            let size = [1: 4, 2: 8, 4: 4, 5: 8, 7: l.typeLength][Int(l.type)] ?? 0
            guard size > 0, count <= d.remaining / size else { throw .invalid("BYTE_STREAM_SPLIT values pass their page") }
            var joined = [UInt8](repeating: 0, count: count * size)
            for k in 0..<size { for i in 0..<count { joined[i * size + k] = d.bytes[d.position + k * count + i] } }
            d.position += count * size
            var plain = ParquetDecoder(joined)
            return try Self.plain(&plain, leaf: l, count: count)
        default:
            throw .unsupported("encoding \(encoding)")
        }
    }

    static func pick(_ v: ParquetColumnData.Values, _ i: [Int]) -> ParquetColumnData.Values {
        switch v {
        case .bool(let a): .bool(i.map { a[$0] })
        case .int32(let a): .int32(i.map { a[$0] })
        case .int64(let a): .int64(i.map { a[$0] })
        case .float(let a): .float(i.map { a[$0] })
        case .double(let a): .double(i.map { a[$0] })
        case .int96(let a): .int96(i.map { a[$0] })
        case .bytes(let o, let data):
            {
                var offsets = [0]
                var out: [UInt8] = []
                for k in i {
                    out.append(contentsOf: data[o[k]..<o[k + 1]])
                    offsets.append(out.count)
                }
                return .bytes(offsets: offsets, data: out)
            }()
        }
    }

    static func concatenate(_ parts: [ParquetColumnData.Values], leaf l: Leaf) throws(ParquetError) -> ParquetColumnData.Values {
        guard let first = parts.first else {
            return switch l.type {
            case 0: .bool([])
            case 1: .int32([])
            case 2: .int64([])
            case 3: .int96([])
            case 4: .float([])
            case 5: .double([])
            default: .bytes(offsets: [0], data: [])
            }
        }
        var out = first
        for p in parts.dropFirst() {
            switch (out, p) {
            case (.bool(let a), .bool(let b)): out = .bool(a + b)
            case (.int32(let a), .int32(let b)): out = .int32(a + b)
            case (.int64(let a), .int64(let b)): out = .int64(a + b)
            case (.float(let a), .float(let b)): out = .float(a + b)
            case (.double(let a), .double(let b)): out = .double(a + b)
            case (.int96(let a), .int96(let b)): out = .int96(a + b)
            case (.bytes(let ao, let ad), .bytes(let bo, let bd)):
                out = .bytes(offsets: ao + bo.dropFirst().map { $0 + ad.count }, data: ad + bd)
            default: throw .invalid("a column's pages hold values of different types")
            }
        }
        return out
    }
}
