import ColumnarStorage

/// Appends rejected lines as JSONL records
/// `{"source":..., "line":N, "table":..., "field":..., "reason":..., "raw":...}`;
/// invalid UTF-8 in the raw line is replaced by U+FFFD and flagged with `"raw_valid_utf8":false`.
final class RejectsWriter {
    let path: String
    private var file: AtomicOutputFile?
    private(set) var count = 0
    /// The first rejects of each table, in input order, for messages and reports.
    private(set) var samples: [RejectSample] = []
    static let samplesPerTable = 5
    /// Parquet inputs read as JSON lines: each lines file's Parquet file and the first row of
    /// each of its row groups, so a reject names the file, row group and row.
    var parquet: [String: (file: String, groupStarts: [Int])] = [:]

    init(path: String) { self.path = path }

    func add(source: String, line: Int, table: TableKind, error: RowError, raw: UnsafeRawBufferPointer, truncatedFrom: Int? = nil)
        throws(StorageError)
    {
        if file == nil { file = try AtomicOutputFile(path: path) }
        var source = source
        var reason = error.reason
        var location = ""
        if let p = parquet[source] {
            // Line N of the lines file is row N of the Parquet file.
            let group = max(0, (p.groupStarts.lastIndex { $0 < line } ?? 0))
            let row = line - p.groupStarts[group]
            source = p.file
            reason = "row group \(group), row \(row): " + reason
            location = ",\"row_group\":\(group),\"row_in_group\":\(row)"
        }
        var s = "{\"source\":"
        JSONText.appendString(source, to: &s)
        s += ",\"line\":\(line)\(location),\"table\":\"\(table)\",\"field\":"
        JSONText.appendString(error.field, to: &s)
        s += ",\"reason\":"
        JSONText.appendString(reason, to: &s)
        s += ",\"raw\":"
        let valid = String(validating: raw, as: UTF8.self)
        JSONText.appendString(valid ?? String(decoding: raw, as: UTF8.self), to: &s)
        if valid == nil { s += ",\"raw_valid_utf8\":false" }
        if let n = truncatedFrom { s += ",\"raw_truncated_from_bytes\":\(n)" }
        s += "}\n"
        try file!.write(s)
        count += 1
        if samples.lazy.filter({ $0.table == table }).count < Self.samplesPerTable {
            samples.append(RejectSample(table: table, source: source, line: line, field: error.field, reason: reason))
        }
    }

    /// Makes the file visible; with no rejects, removes a stale file from an earlier run.
    func finish() throws(StorageError) {
        if let file {
            try file.commit()
        } else {
            FileSystem.removeIfExists(path)
        }
    }
}

/// One rejected line, as messages and reports show it (the rejects file also holds the raw text).
public struct RejectSample: Sendable, Equatable {
    public var table: TableKind
    public var source: String
    public var line: Int
    public var field: String
    public var reason: String

    /// `file:line: field: reason`, the form every receval message uses.
    public var text: String { "\(source):\(line): \(field.isEmpty ? "" : field + ": ")\(reason)" }
}

/// JSON text helpers shared by the rejects file and export.
public enum JSONText {
    /// Appends `s` as a JSON string literal (RFC 8259 escapes; non-ASCII kept as UTF-8).
    public static func appendString(_ s: String, to out: inout String) {
        out.unicodeScalars.append("\"")
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out.unicodeScalars.append("\"")
    }
}
