import ColumnarStorage

/// Checks the text a dataset stores, beyond what its checksums prove: every global and request
/// dictionary entry is UTF-8, every item `extra` is a JSON object with members (format-spec
/// §13.3), and no request dictionary holds `""` when the footer says none does (§12). A file
/// written by a buggy writer, or crafted, can pass every checksum and still break these rules.
///
/// Commands that read such text check it as they read it (`DatasetReader.dictionary`,
/// `extraColumn`), so exports and reports never print it. `inspect` and `quality` describe the
/// whole dataset, so they run this check first and refuse a dataset with invalid content even
/// where their own numbers would not read it. Cost: decoding every dictionary once (the reader
/// remembers which passed) and every `extra` chunk, one pass over their bytes, partitions in
/// parallel; the largest transient allocation is the biggest dictionary.
public enum ContentCheck {
    /// Throws `StorageError.corrupt` naming the file and the first invalid entry or item row.
    public static func run(reader: DatasetReader, threads: Int) throws {
        for d in reader.footer.dictionaries { _ = try reader.dictionary(d.name) }
        let extras = reader.tableIndex("exposures").flatMap { t in reader.footer.tables[t].columnIndex("extra") == nil ? nil : t }
        // A footer that says no request id is "" is what every pass then relies on (§12).
        let noEmptyRequestIDs = reader.footer.metadataValue("ingest.empty_request_ids") == "none"
        _ = try Morsels.partitions(of: reader, threads: threads) { p in
            let requests = try reader.requestDictionary(partition: p)
            if noEmptyRequestIDs && EmptyStrings.code(requests) == 0 {
                throw StorageError.corrupt(
                    path: reader.path,
                    reason:
                        "partition \(p)'s request dictionary holds the empty request id, but the footer says ingest.empty_request_ids = none"
                )
            }
            guard let extras else { return }
            for g in reader.footer.partitions[p].tables[extras].indices {
                _ = try reader.extraColumn(partition: p, table: extras, rowGroup: g)
            }
        }
    }
}
