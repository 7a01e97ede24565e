import ColumnarFormat
import ColumnarStorage

/// What `receval inspect` reports: tables, rows, partitions, and per column its encodings,
/// codecs, stored and raw sizes; dictionary sizes; the ingest counts recorded in the footer.
public struct DatasetDescription: Sendable {
    public struct Column: Sendable {
        public var name: String
        public var type: String
        public var list: String
        public var dictionary: String
        public var values: UInt64 = 0
        public var storedBytes: UInt64 = 0
        public var encodedBytes: UInt64 = 0
        public var rawBytes: UInt64 = 0
        public var encodings: [String: Int] = [:]
        public var codecs: [String: Int] = [:]
    }

    public struct Table: Sendable {
        public var name: String
        public var rows: UInt64 = 0
        public var listRows: [(String, UInt64)] = []
        public var rowGroups = 0
        public var columns: [Column] = []
    }

    public var path: String
    public var fileBytes: Int
    public var formatVersion: String
    public var createdBy: String
    public var partitions: Int
    public var tables: [Table] = []
    public var dictionaries: [(name: String, entries: UInt64, storedBytes: UInt64, rawBytes: UInt64)] = []
    public var requestDictionaryEntries: UInt64 = 0
    public var requestDictionaryBytes: UInt64 = 0
    public var metadata: [(String, String)]

    public init(reader: DatasetReader) {
        let f = reader.footer
        path = reader.path
        fileBytes = reader.fileSize
        formatVersion = "\(reader.formatVersion.major).\(reader.formatVersion.minor)"
        createdBy = f.createdBy
        partitions = f.partitions.count
        metadata = f.metadata
        for (ti, t) in f.tables.enumerated() {
            var table = Table(name: t.name)
            table.columns = t.columns.map {
                Column(name: $0.name, type: $0.physicalType.description, list: $0.group, dictionary: $0.dictionary)
            }
            var lists = Array(repeating: UInt64(0), count: t.groups.count)
            for p in f.partitions {
                for rg in p.tables[ti] {
                    table.rows += rg.rows
                    table.rowGroups += 1
                    for (gi, n) in rg.groupRows.enumerated() { lists[gi] += n }
                    for (ci, c) in rg.chunks.enumerated() {
                        table.columns[ci].values += UInt64(c.count)
                        table.columns[ci].storedBytes += c.storedLength
                        table.columns[ci].encodedBytes += c.encodedLength
                        table.columns[ci].rawBytes += DatasetDescription.rawSize(c)
                        table.columns[ci].encodings[c.encoding?.description ?? "unknown(\(c.encodingRaw))", default: 0] += 1
                        table.columns[ci].codecs[c.codec?.description ?? "unknown(\(c.codecRaw))", default: 0] += 1
                    }
                }
            }
            table.listRows = zip(t.groups.map(\.name), lists).map { ($0, $1) }
            tables.append(table)
        }
        for d in f.dictionaries {
            dictionaries.append((d.name, d.count, d.chunk.storedLength, d.chunk.encodedLength))
        }
        for p in f.partitions {
            requestDictionaryEntries += p.requestDictionary.count
            requestDictionaryBytes += p.requestDictionary.chunk.storedLength
        }
    }

    /// The size of a chunk's values in their plain in-memory form (bytes: offsets and data).
    static func rawSize(_ c: ChunkDescriptor) -> UInt64 {
        switch c.physicalType {
        case .int32: UInt64(c.count) * 4
        case .int64, .float64: UInt64(c.count) * 8
        case .bool: UInt64(c.count)
        case .bytes: c.encodedLength
        }
    }

    // MARK: Renderings

    static func human(_ n: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n)
        var u = 0
        while v >= 1024 && u < units.count - 1 {
            v /= 1024
            u += 1
        }
        return u == 0 ? "\(n) B" : "\((v * 10).rounded() / 10) \(units[u])"
    }

    static func pad(_ s: String, _ w: Int, right: Bool = false) -> String {
        if s.count >= w { return s }
        let p = String(repeating: " ", count: w - s.count)
        return right ? p + s : s + p
    }

    static func summary(_ d: [String: Int]) -> String {
        d.sorted { $0.key < $1.key }.map { d.count == 1 ? $0.key : "\($0.key)×\($0.value)" }.joined(separator: ",")
    }

    public func text() -> String {
        var s = "dataset \(path)\n"
        s +=
            "  format \(formatVersion), created by \(createdBy), \(DatasetDescription.human(UInt64(fileBytes))) on disk, \(partitions) partition(s)\n"
        for t in tables {
            s += "\ntable \(t.name): \(t.rows) rows in \(t.rowGroups) row group(s)"
            for (n, r) in t.listRows { s += ", \(n): \(r) rows" }
            s += "\n"
            s +=
                "  " + DatasetDescription.pad("column", 36) + DatasetDescription.pad("type", 8) + DatasetDescription.pad("encoding", 18)
                + DatasetDescription.pad("codec", 12) + DatasetDescription.pad("stored", 12, right: true)
                + DatasetDescription.pad("raw", 12, right: true) + "  ratio\n"
            for c in t.columns {
                let name = c.list.isEmpty ? c.name : "\(c.list).\(c.name)"
                let ratio = c.storedBytes == 0 ? "-" : String((Double(c.rawBytes) / Double(c.storedBytes) * 10).rounded() / 10) + "x"
                s +=
                    "  " + DatasetDescription.pad(name, 36) + DatasetDescription.pad(c.type, 8)
                    + DatasetDescription.pad(DatasetDescription.summary(c.encodings), 18)
                    + DatasetDescription.pad(DatasetDescription.summary(c.codecs), 12)
                    + DatasetDescription.pad(DatasetDescription.human(c.storedBytes), 12, right: true)
                    + DatasetDescription.pad(DatasetDescription.human(c.rawBytes), 12, right: true) + "  " + ratio + "\n"
            }
        }
        s += "\ndictionaries\n"
        s +=
            "  " + DatasetDescription.pad("request_id (per partition)", 28)
            + DatasetDescription.pad("\(requestDictionaryEntries) entries", 20)
            + DatasetDescription.human(requestDictionaryBytes) + " stored\n"
        for d in dictionaries {
            s +=
                "  " + DatasetDescription.pad(d.name, 28) + DatasetDescription.pad("\(d.entries) entries", 20)
                + DatasetDescription.human(d.storedBytes) + " stored, " + DatasetDescription.human(d.rawBytes) + " raw\n"
        }
        let ingest = metadata.filter { $0.0.hasPrefix("ingest.") && !$0.0.hasSuffix(".sources") }
        if !ingest.isEmpty {
            s += "\ningest\n"
            for (k, v) in ingest { s += "  \(k) = \(v)\n" }
        }
        return s
    }

    /// The description as one JSON object; `extra` members (name, JSON text) are appended.
    public func json(extra: [(String, String)] = []) -> String {
        var s = "{"
        func str(_ v: String) -> String {
            var o = ""
            JSONStringEscaper.append(v, to: &o)
            return o
        }
        s +=
            "\"path\":\(str(path)),\"file_bytes\":\(fileBytes),\"format_version\":\(str(formatVersion)),\"created_by\":\(str(createdBy)),\"partitions\":\(partitions),"
        s += "\"tables\":["
        s += tables.map { t in
            var o = "{\"name\":\(str(t.name)),\"rows\":\(t.rows),\"row_groups\":\(t.rowGroups),\"lists\":{"
            o += t.listRows.map { "\(str($0.0)):\($0.1)" }.joined(separator: ",") + "},\"columns\":["
            o += t.columns.map { c in
                let encs = c.encodings.sorted { $0.key < $1.key }.map { "\(str($0.key)):\($0.value)" }.joined(separator: ",")
                let cods = c.codecs.sorted { $0.key < $1.key }.map { "\(str($0.key)):\($0.value)" }.joined(separator: ",")
                return
                    "{\"name\":\(str(c.name)),\"list\":\(str(c.list)),\"type\":\(str(c.type)),\"dictionary\":\(str(c.dictionary)),\"values\":\(c.values),\"stored_bytes\":\(c.storedBytes),\"encoded_bytes\":\(c.encodedBytes),\"raw_bytes\":\(c.rawBytes),\"encodings\":{\(encs)},\"codecs\":{\(cods)}}"
            }.joined(separator: ",")
            return o + "]}"
        }.joined(separator: ",")
        s += "],\"dictionaries\":["
        var dl = [
            "{\"name\":\"request_id\",\"scope\":\"partition\",\"entries\":\(requestDictionaryEntries),\"stored_bytes\":\(requestDictionaryBytes)}"
        ]
        dl += dictionaries.map {
            "{\"name\":\(str($0.name)),\"scope\":\"dataset\",\"entries\":\($0.entries),\"stored_bytes\":\($0.storedBytes),\"raw_bytes\":\($0.rawBytes)}"
        }
        s += dl.joined(separator: ",")
        s += "],\"metadata\":{" + metadata.map { "\(str($0.0)):\(str($0.1))" }.joined(separator: ",") + "}"
        for (name, value) in extra { s += ",\(str(name)):\(value)" }
        s += "}\n"
        return s
    }
}

enum JSONStringEscaper {
    static func append(_ s: String, to out: inout String) {
        var bytes: [UInt8] = []
        JSONTextWriter.appendString(ArraySlice(Array(s.utf8)), to: &bytes)
        out += String(decoding: bytes, as: UTF8.self)
    }
}
