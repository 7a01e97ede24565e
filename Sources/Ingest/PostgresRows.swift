import ColumnarStorage

/// A `type: postgres` source read as JSON lines: the query's rows streamed one at a time
/// (bounded memory) into a file, each row's first column one line. A JSON document's line breaks
/// lie between tokens (a raw one inside a string is not JSON), so they become spaces; SQL NULL
/// becomes `null`, which ingest rejects like any line that is not a record, naming its row.
public enum PostgresRows {
    public static func fetch(dsn: String, query: String, to path: String) throws {
        let connection = try PostgresConnection(dsn: dsn)
        let file = try AtomicOutputFile(path: path)
        var line: [UInt8] = []
        try connection.stream(query) { value in
            line.removeAll(keepingCapacity: true)
            if let value {
                line.append(contentsOf: value)
                for i in line.indices where line[i] == 0x0A || line[i] == 0x0D { line[i] = 0x20 }
            } else {
                line.append(contentsOf: Array("null".utf8))
            }
            line.append(0x0A)
            try file.write(line)
        }
        try file.commit()
    }
}
