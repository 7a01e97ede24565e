import ColumnarFormat
import ColumnarStorage
import ParquetFormat

#if canImport(Glibc)
    import Glibc
#endif

/// Parquet inputs of `receval ingest` (detected by content: `PAR1`): each row becomes the JSON
/// record the log contracts describe, one line per row in file order, and those lines are
/// ingested like JSONL, under the same validation, counts and rejects (row N of the file is line
/// N of `<file>.rows.jsonl` in messages). Row groups are read one at a time.
///
/// Columns map to members by name: top-level scalars (strings, numbers, booleans; a `JSON`
/// annotated string as its JSON value); `ts` as a timestamp (millis, micros, nanos, or Spark's
/// INT96; with receval's `ts_nanos` and `ts_offset_minutes` when present) or as a string;
/// `items` as a list of structs (its members by their names; receval's `extra` JSON spliced in);
/// `context` as a map or a struct of strings.
public enum ParquetRows {
    /// Whether the file at `path` is Parquet: a regular file (a pipe or standard input is
    /// never opened here: its writer would lose its reader) that starts with `PAR1`.
    public static func isParquet(path: String) -> Bool {
        var info = stat()
        guard path != "-", stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size >= 12 else { return false }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var magic = [UInt8](repeating: 0, count: 4)
        return read(fd, &magic, 4) == 4 && magic == Array("PAR1".utf8)
    }

    /// Writes the rows of the Parquet file at `path` as JSON lines to `output`: row groups are
    /// read on `threads` threads (a window of them at a time) and written in order.
    /// Returns the first row (0-based) of each row group.
    @discardableResult
    public static func convert(path: String, to output: String, threads: Int = 1) throws -> [Int] {
        var starts: [Int] = []
        let file = try MappedFile(path: path)
        let out = try AtomicOutputFile(path: output)
        try file.withBytes { bytes in
            let reader: ParquetFileReader
            do { reader = try ParquetFileReader(bytes: bytes) } catch { throw StorageError.input(path: path, reason: "\(error)") }
            var next = 0
            for g in reader.rowGroups {
                starts.append(next)
                next += g.rows
            }
            let shared = UncheckedBox(value: reader)
            try Morsels.fold(count: reader.rowGroups.count, threads: threads) { g -> UncheckedBox<[UInt8]> in
                do {
                    return UncheckedBox(value: try rows(shared.value, group: g))
                } catch let e as ParquetError {
                    throw StorageError.input(path: path, reason: "row group \(g): \(e)")
                }
            } combine: {
                try out.write($0.value)
            }
        }
        try out.commit()
        return starts
    }

    /// A column's entries, split into rows: for each row, the indices of its entries, and each
    /// entry's value index (-1: no value at this entry).
    /// A class, not a struct: rows read members column by column, and a reference is one
    /// retain where a copy of the struct would be one per array. The values are held in typed
    /// arrays (not the reader's enum), so reading one binds no payload, and numbers are written
    /// as digits straight into the line, without a `String` per value.
    final class Column {
        enum Kind { case bool, integer, float, double, int96, bytes }

        let leaf: ParquetFileReader.Leaf
        let data: ParquetColumnData
        let rowStart: [Int]
        let valueOf: [Int]
        let kind: Kind
        let bools: [Bool]
        let integers: [Int64]
        let doubles: [Double]
        let offsets: [Int]
        let bytes: [UInt8]

        init(_ leaf: ParquetFileReader.Leaf, _ data: ParquetColumnData) {
            self.leaf = leaf
            self.data = data
            var rowStart: [Int] = []
            var valueOf: [Int] = []
            valueOf.reserveCapacity(data.defs.count)
            var v = 0
            for e in 0..<data.defs.count {
                if data.reps[e] == 0 { rowStart.append(e) }
                if Int(data.defs[e]) == leaf.maxDefinition {
                    valueOf.append(v)
                    v += 1
                } else {
                    valueOf.append(-1)
                }
            }
            rowStart.append(data.defs.count)
            self.rowStart = rowStart
            self.valueOf = valueOf
            var (bools, integers, doubles, offsets, bytes) = ([Bool](), [Int64](), [Double](), [Int](), [UInt8]())
            switch data.values {
            case .bool(let a):
                kind = .bool
                bools = a
            case .int32(let a):
                kind = .integer
                integers = a.map { Int64($0) }
            case .int64(let a):
                kind = .integer
                integers = a
            case .float(let a):
                kind = .float
                doubles = a.map { Double($0) }
            case .double(let a):
                kind = .double
                doubles = a
            case .int96: kind = .int96
            case .bytes(let o, let d):
                kind = .bytes
                (offsets, bytes) = (o, d)
            }
            (self.bools, self.integers, self.doubles, self.offsets, self.bytes) = (bools, integers, doubles, offsets, bytes)
        }

        func entries(row r: Int) -> Range<Int> { rowStart[r]..<rowStart[r + 1] }

        /// The value at entry `e` as JSON text, nil when absent.
        func json(_ e: Int, into out: inout [UInt8]) -> Bool {
            let i = valueOf[e]
            guard i >= 0 else { return false }
            switch kind {
            case .bool: out.append(contentsOf: bools[i] ? "true".utf8 : "false".utf8)
            case .integer: Column.appendInteger(integers[i], to: &out)
            case .float, .double: Column.appendDouble(doubles[i], to: &out)
            case .int96: out.append(contentsOf: "null".utf8)
            case .bytes:
                let slice = bytes[offsets[i]..<offsets[i + 1]]
                if leaf.isJSON { out.append(contentsOf: slice) } else { JSONTextWriter.appendString(slice, to: &out) }
            }
            return true
        }

        /// `x` as Swift's `description` writes it (the shortest text that reads back as `x`); whole
        /// values below 10¹⁵ as digits and `.0` without making a `String`.
        static func appendDouble(_ x: Double, to out: inout [UInt8]) {
            guard x == x.rounded(), abs(x) < 1e15 else {
                out.append(contentsOf: x.description.utf8)
                return
            }
            if x == 0 && x.sign == .minus { out.append(UInt8(ascii: "-")) }
            appendInteger(Int64(x), to: &out)
            out.append(contentsOf: ".0".utf8)
        }

        /// `v` in decimal digits.
        static func appendInteger(_ v: Int64, to out: inout [UInt8]) {
            if v < 0 { out.append(UInt8(ascii: "-")) }
            var m = v.magnitude
            var digits:
                (
                    UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                    UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
                ) = (
                    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
                )
            var n = 0
            withUnsafeMutableBytes(of: &digits) { d in
                repeat {
                    d[19 - n] = UInt8(ascii: "0") + UInt8(m % 10)
                    m /= 10
                    n += 1
                } while m > 0
                out.append(contentsOf: d[(20 - n)...])
            }
        }

        /// The value at entry `e` as an integer (ts parts), nil when absent.
        func int(_ e: Int) -> Int64? {
            let i = valueOf[e]
            guard i >= 0 else { return nil }
            switch data.values {
            case .int32(let a): return Int64(a[i])
            case .int64(let a): return a[i]
            default: return nil
            }
        }
    }

    static func rows(_ reader: ParquetFileReader, group g: Int) throws -> [UInt8] {
        let n = reader.rowGroups[g].rows
        var columns: [Column] = []
        for (i, leaf) in reader.leaves.enumerated() {
            let c = Column(leaf, try reader.column(group: g, leaf: i))
            guard c.rowStart.count == n + 1 else {
                throw ParquetError.invalid(
                    "column \(leaf.path.joined(separator: ".")) holds \(c.rowStart.count - 1) rows, the row group \(n)")
            }
            columns.append(c)
        }
        // How each top-level member is made, decided once per row group.
        enum Plan {
            case timestamp(Int, nanos: Int?, offset: Int?)
            case scalar(Int)
            case structure([Int])
            case repeated([Int], level: Int, isMap: Bool)
        }
        let top = Dictionary(grouping: columns.indices, by: { columns[$0].leaf.path[0] })
        let order = columns.map(\.leaf.path[0]).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        var plans: [(name: [UInt8], plan: Plan)] = []
        for name in order where name != "ts_nanos" && name != "ts_offset_minutes" {
            let idx = top[name]!
            let key = { () -> [UInt8] in
                var k: [UInt8] = []
                JSONTextWriter.appendString(ArraySlice(name.utf8), to: &k)
                k.append(UInt8(ascii: ":"))
                return k
            }()
            let first = columns[idx[0]].leaf
            if idx.count == 1 && first.path.count == 1 && first.maxRepetition == 0 {
                let isTime = name == "ts" && (first.timestampUnit != nil || first.type == 3)
                plans.append(
                    (
                        key,
                        isTime
                            ? .timestamp(idx[0], nanos: top["ts_nanos"]?.first, offset: top["ts_offset_minutes"]?.first) : .scalar(idx[0])
                    ))
            } else if idx.allSatisfy({ columns[$0].leaf.maxRepetition == 0 }) {
                plans.append((key, .structure(idx)))
            } else if idx.allSatisfy({ columns[$0].leaf.maxRepetition == 1 }), let level = first.repeatedDefinition {
                let isMap = idx.count == 2 && columns[idx[0]].leaf.path.last == "key" && columns[idx[1]].leaf.path.last == "value"
                plans.append((key, .repeated(idx, level: level, isMap: isMap)))
            } else {
                throw ParquetError.unsupported("column \(name): nesting deeper than a list or map of scalars")
            }
        }
        let memberKeys = columns.map { c -> [UInt8] in
            var k: [UInt8] = []
            JSONTextWriter.appendString(ArraySlice(c.leaf.path.last!.utf8), to: &k)
            k.append(UInt8(ascii: ":"))
            return k
        }
        // receval's `extra` member of items: spliced into the item, decided once per column.
        let isExtra = columns.map { $0.leaf.isJSON && $0.leaf.path.last == "extra" }
        let col = Borrowed(columns)
        var out: [UInt8] = []
        out.reserveCapacity(n * 256)
        var text: [UInt8] = []
        defer { withExtendedLifetime(columns) {} }
        for r in 0..<n {
            out.append(UInt8(ascii: "{"))
            var first = true
            for (key, plan) in plans {
                switch plan {
                case .timestamp(let i, let nanos, let offset):
                    let e = columns[i].entries(row: r).lowerBound
                    if let t = timestamp(columns[i], e, nanos: nanos.map { columns[$0] }, offset: offset.map { columns[$0] }, row: r) {
                        if !first { out.append(UInt8(ascii: ",")) }
                        first = false
                        out += key
                        JSONTextWriter.appendString(ArraySlice(t.utf8), to: &out)
                    }
                case .scalar(let i):
                    text.removeAll(keepingCapacity: true)
                    if col(i, { $0.json($0.rowStart[r], into: &text) }) {
                        if !first { out.append(UInt8(ascii: ",")) }
                        first = false
                        out += key
                        out += text
                    }
                case .structure(let idx):
                    var any = false
                    for i in idx {
                        text.removeAll(keepingCapacity: true)
                        guard col(i, { $0.json($0.rowStart[r], into: &text) }) else { continue }
                        if !any {
                            if !first { out.append(UInt8(ascii: ",")) }
                            first = false
                            out += key
                            out.append(UInt8(ascii: "{"))
                        } else {
                            out.append(UInt8(ascii: ","))
                        }
                        any = true
                        out += memberKeys[i]
                        out += text
                    }
                    if any { out.append(UInt8(ascii: "}")) }
                case .repeated(let idx, let level, let isMap):
                    let entries = col(idx[0]) { $0.entries(row: r) }
                    for i in idx.dropFirst() where col(i, { $0.entries(row: r).count }) != entries.count {
                        throw ParquetError.invalid("the columns of a list or map disagree on a row's entries")
                    }
                    // The list or map itself absent (its optional group undefined): no member.
                    if col(idx[0], { Int($0.data.defs[entries.lowerBound]) }) < level - 1 { continue }
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    out += key
                    out.append(UInt8(ascii: isMap ? "{" : "["))
                    var k = 0
                    for e in entries where col(idx[0], { Int($0.data.defs[e]) }) >= level {
                        if k > 0 { out.append(UInt8(ascii: ",")) }
                        k += 1
                        if isMap {
                            _ = col(idx[0]) { $0.json(e, into: &out) }
                            out.append(UInt8(ascii: ":"))
                            if !col(idx[1], { $0.json(e, into: &out) }) { out.append(contentsOf: "null".utf8) }
                            continue
                        }
                        out.append(UInt8(ascii: "{"))
                        var any = false
                        for i in idx {
                            text.removeAll(keepingCapacity: true)
                            guard col(i, { $0.json(e, into: &text) }) else { continue }
                            if isExtra[i] {
                                // receval's export: the item's other members, as an object.
                                guard text.first == UInt8(ascii: "{"), text.count > 2 else { continue }
                                if any { out.append(UInt8(ascii: ",")) }
                                any = true
                                out += text.dropFirst().dropLast()
                                continue
                            }
                            if any { out.append(UInt8(ascii: ",")) }
                            any = true
                            out += memberKeys[i]
                            out += text
                        }
                        out.append(UInt8(ascii: "}"))
                    }
                    out.append(UInt8(ascii: isMap ? "}" : "]"))
                }
            }
            out.append(UInt8(ascii: "}"))
            out.append(0x0A)
        }
        return out
    }

    /// The row group's columns, read in the per-value loops without reference counting: each
    /// access borrows the column for the length of a closure. Sound because `rows` keeps the
    /// columns array alive (`withExtendedLifetime`) for as long as it uses these references,
    /// and nothing else holds or releases them (retain/release had been a fifth of the work).
    struct Borrowed {
        private let refs: [Unmanaged<Column>]

        init(_ columns: [Column]) { refs = columns.map { Unmanaged.passUnretained($0) } }

        @inline(__always)
        func callAsFunction<R>(_ i: Int, _ body: (Column) throws -> R) rethrows -> R {
            try refs[i]._withUnsafeGuaranteedRef(body)
        }
    }

    /// An RFC 3339 time from a timestamp column (with receval's nanoseconds and offset columns
    /// when the file has them); nil when the column is not a timestamp or the row has none.
    static func timestamp(_ c: Column, _ e: Int, nanos: Column?, offset: Column?, row r: Int) -> String? {
        var micros: Int64
        var sub: Int64 = 0
        switch c.data.values {
        case .int96(let a):
            let i = c.valueOf[e]
            guard i >= 0 else { return nil }
            let (n, day) = a[i]
            micros = (Int64(day) - 2_440_588) * 86_400_000_000 + n / 1000
            sub = n % 1000
        default:
            guard let unit = c.leaf.timestampUnit, let v = c.int(e) else { return nil }
            switch unit {
            case 1: micros = v * 1000
            case 3:
                micros = v >= 0 ? v / 1000 : (v - 999) / 1000
                sub = v - micros * 1000
            default: micros = v
            }
        }
        if let nanos, let extra = nanos.int(nanos.entries(row: r).lowerBound), (0...999).contains(extra) { sub = extra }
        var minutes: Int32 = 0
        if let offset, let o = offset.int(offset.entries(row: r).lowerBound), abs(o) < 24 * 60 { minutes = Int32(o) }
        return Timestamp(micros: micros, nanos: Int32(sub), offsetMinutes: minutes).formatted()
    }
}
