import ColumnarFormat
import ColumnarStorage
import Engine
import Export
import Foundation
import Ingest
import TestSupport
import Testing

/// Datasets whose checksums all match but whose contents break the format's rules (a writer bug or
/// a crafted file): a dictionary entry that is not UTF-8, an item `extra` that is not a JSON
/// object, a dictionary descriptor of the wrong type. Every reader path (export, inspect's profile,
/// quality, the interleaving and OPE scans) must refuse them with an error naming the place.
@Suite struct CraftedContentTests {
    /// Three requests; items carry a team label and logged reward estimates (kept in `extra`).
    static func dataset() throws -> String {
        let dir = try TestDirectory.make("crafted")
        func item(_ id: String, _ rank: Int, _ team: String) -> String {
            "{\"item_id\":\"\(id)\",\"rank\":\(rank),\"logging_propensity\":0.5,\"target_propensity\":0.25,"
                + "\"team\":\"\(team)\",\"reward_estimate\":0.1,\"target_reward_estimate\":0.2}"
        }
        func exposure(_ r: String, _ u: String) -> String {
            "{\"request_id\":\"\(r)\",\"user_id\":\"\(u)\",\"ts\":\"2025-01-01T00:00:00Z\",\"items\":[\(item("x", 1, "A")),\(item("i-zzz7", 2, "B"))]}"
        }
        let exposures = [exposure("r-1", "u-1"), exposure("r-zzz9", "u-zzz1"), exposure("r-3", "u-3")]
        let outcomes = [
            "{\"request_id\":\"r-1\",\"user_id\":\"u-1\",\"item_id\":\"x\",\"event_type\":\"click\",\"ts\":\"2025-01-01T00:00:01Z\"}"
        ]
        try (exposures.joined(separator: "\n") + "\n").write(toFile: dir + "/exposures.jsonl", atomically: true, encoding: .utf8)
        try (outcomes.joined(separator: "\n") + "\n").write(toFile: dir + "/outcomes.jsonl", atomically: true, encoding: .utf8)
        var o = IngestOptions(output: dir + "/data.rcv", threads: 2)
        o.exposures = [dir + "/exposures.jsonl"]
        o.outcomes = [dir + "/outcomes.jsonl"]
        o.partitions = 1
        o.codec = .none  // stored bytes are the encoded payload, so a string can be found and replaced
        _ = try IngestJob(options: o).run()
        return dir + "/data.rcv"
    }

    /// Every chunk descriptor of the footer, in place.
    static func forEachChunk(_ f: inout DatasetFooter, _ body: (inout ChunkDescriptor) -> Void) {
        for i in f.dictionaries.indices { body(&f.dictionaries[i].chunk) }
        for p in f.partitions.indices {
            body(&f.partitions[p].requestDictionary.chunk)
            for t in f.partitions[p].tables.indices {
                for g in f.partitions[p].tables[t].indices {
                    for c in f.partitions[p].tables[t][g].chunks.indices { body(&f.partitions[p].tables[t][g].chunks[c]) }
                }
            }
        }
    }

    /// Rewrites the footer with `edit` (its length must not change) and the trailer's checksum.
    static func rewriteFooter(_ path: String, file bytes: [UInt8]? = nil, _ edit: (inout DatasetFooter) -> Void) throws {
        let reader = try DatasetReader(path: path)
        var file = try bytes ?? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var footer = reader.footer
        edit(&footer)
        let serialized = footer.serialized()
        let at = Int(reader.footerOffset)
        #expect(serialized.count == file.count - DatasetFormat.trailerSize - at)
        file.replaceSubrange(at..<(at + serialized.count), with: serialized)
        let sum = XXH64.hash(serialized)
        withUnsafeBytes(of: sum.littleEndian) { file.replaceSubrange((file.count - 16)..<(file.count - 8), with: $0) }
        try Data(file).write(to: URL(fileURLWithPath: path))
    }

    /// Replaces `old` by `new` (same length) in the one chunk that holds it and fixes its checksum
    /// and the footer's, so only the content is wrong.
    static func replace(_ path: String, _ old: String, with new: [UInt8]) throws {
        let needle = Array(old.utf8)
        precondition(needle.count == new.count)
        var file = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var footer = try DatasetReader(path: path).footer
        var hits = 0
        forEachChunk(&footer) { c in
            let range = Int(c.offset)..<Int(c.offset + c.storedLength)
            guard let at = file[range].firstRange(of: needle) else { return }
            file.replaceSubrange(at, with: new)
            c.checksum = XXH64.hash(Array(file[range]))
            hits += 1
        }
        #expect(hits == 1)
        try rewriteFooter(path, file: file) { f in f = footer }
    }

    static func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            #expect(error is StorageError)
            return "\(error)"
        }
    }

    static func export(_ path: String, _ table: String) throws -> [UInt8] {
        var out: [UInt8] = []
        try DatasetExporter(reader: try DatasetReader(path: path)).export(table: table, format: .jsonl) { out += $0 }
        return out
    }

    static func interleaving(_ path: String) throws {
        _ = try InterleavingScan.run(reader: try DatasetReader(path: path), options: .init(), threads: 2)
    }

    static func ope(_ path: String) throws {
        var o = OffPolicyScan.Options()
        o.loggedModel = true
        _ = try OffPolicyScan.run(reader: try DatasetReader(path: path), options: o, threads: 2)
    }

    /// A runtime-contract dataset whose footer says no request id is empty (format-spec §12)
    /// while a partition holds one: every pass would then count it as an ordinary id, so the
    /// content check that inspect and quality run refuses the file.
    @Test func footerThatHidesAnEmptyRequestID() throws {
        let dir = try TestDirectory.make("crafted")
        try "{\"request_id\":\"\",\"user_id\":\"u\",\"ts\":\"2025-01-01T00:00:00Z\",\"items\":[]}\n".write(
            toFile: dir + "/e.jsonl", atomically: true, encoding: .utf8)
        var o = IngestOptions(output: dir + "/data.rcv", threads: 1)
        o.exposures = [dir + "/e.jsonl"]
        o.partitions = 1
        o.contract = .recsysEvalRuntime
        _ = try IngestJob(options: o).run()
        let path = dir + "/data.rcv"
        #expect(try DatasetReader(path: path).footer.metadataValue("ingest.empty_request_ids") == "some")
        try ContentCheck.run(reader: try DatasetReader(path: path), threads: 2)
        try Self.rewriteFooter(path) { f in
            f.metadata = f.metadata.map { $0.0 == "ingest.empty_request_ids" ? ($0.0, "none") : $0 }
        }
        let reader = try DatasetReader(path: path)
        let expected = "partition 0's request dictionary holds the empty request id, but the footer says ingest.empty_request_ids = none"
        #expect(Self.message { try ContentCheck.run(reader: reader, threads: 2) }?.contains(expected) == true)
        #expect(
            Self.message { try DataQuality.check(reader: reader, sliceKeys: [], experiment: nil, threads: 2) }?.contains(expected) == true)
    }

    @Test func intactDatasetPassesEveryPath() throws {
        let path = try Self.dataset()
        #expect(String(decoding: try Self.export(path, "exposures"), as: UTF8.self).contains("\"team\":\"A\""))
        try Self.interleaving(path)
        try Self.ope(path)
        _ = try DatasetProfile.compute(reader: try DatasetReader(path: path), threads: 2)
    }

    /// `u-zzz1` and `i-zzz7` get 0xC3 (which starts a two-byte sequence) followed by `(`, not a
    /// continuation byte. Inspect and quality refuse it in their content check; export and the
    /// scans as they read the dictionary (quality's scan and OPE read `item_id`, not `user_id`).
    @Test(arguments: [("user_id", "u-zzz1"), ("item_id", "i-zzz7")])
    func dictionaryEntryThatIsNotUTF8(dictionary: String, value: String) throws {
        let path = try Self.dataset()
        let names = try DatasetReader(path: path).dictionary(dictionary)
        let entry = (0..<names.count).first { names.string($0) == value }!
        var damaged = Array(value.utf8)
        damaged.replaceSubrange(3..<5, with: [0xC3, 0x28])
        try Self.replace(path, value, with: damaged)
        let expected = "dictionary \(dictionary): entry \(entry) is not valid UTF-8 (byte 3 of the entry)"
        let reader = try DatasetReader(path: path)  // the footer is intact: opening succeeds
        var paths = [
            ("reader", Self.message { _ = try reader.dictionary(dictionary) }),
            ("export", Self.message { _ = try Self.export(path, "exposures") }),
            ("inspect", Self.message { _ = try DatasetProfile.compute(reader: reader, threads: 2) }),
            ("quality", Self.message { try DataQuality.check(reader: reader, sliceKeys: [], experiment: nil, threads: 2) }),
            ("interleaving", Self.message { try Self.interleaving(path) }),
        ]
        if dictionary == "item_id" {  // read by the scans themselves, not only by the content check
            paths.append(("quality scan", Self.message { _ = try DataQuality.compute(reader: reader, sliceKeys: [], threads: 2) }))
            paths.append(("ope", Self.message { try Self.ope(path) }))
        }
        for (what, m) in paths {
            #expect(m?.contains(path) == true, "\(what)")
            #expect(m?.contains(expected) == true, "\(what): \(m ?? "no error")")
        }
    }

    @Test func requestIDThatIsNotUTF8() throws {
        let path = try Self.dataset()
        try Self.replace(path, "r-zzz9", with: [UInt8(ascii: "r"), UInt8(ascii: "-"), 0xED, 0xA0, 0x80, UInt8(ascii: "9")])  // a surrogate
        let m = Self.message { _ = try Self.export(path, "outcomes") }
        #expect(m?.contains("partition 0 request dictionary: entry") == true, "\(m ?? "no error")")
        #expect(m?.contains("is not valid UTF-8 (byte 2 of the entry)") == true, "\(m ?? "no error")")
    }

    @Test func extraThatIsNotAJSONObject() throws {
        let path = try Self.dataset()
        // Item row 1 (the first request's second item) gets a single-quoted key; nothing else changes.
        try Self.replace(
            path, "{\"team\":\"A\",\"reward_estimate\":0.1,\"target_reward_estimate\":0.2}{\"team\":\"B\"",
            with: Array(
                "{\"team\":\"A\",\"reward_estimate\":0.1,\"target_reward_estimate\":0.2}{'team':\"B\"".utf8))
        let expected =
            "partition 0 exposures row group 0 column extra: item row 1 is not a JSON object with members (expected a string at byte 1)"
        for (what, m) in [
            ("export", Self.message { _ = try Self.export(path, "exposures") }),
            ("inspect", Self.message { _ = try DatasetProfile.compute(reader: try DatasetReader(path: path), threads: 2) }),
            ("quality", Self.message { try DataQuality.check(reader: try DatasetReader(path: path), sliceKeys: [], experiment: nil) }),
            ("interleaving", Self.message { try Self.interleaving(path) }),
            ("ope", Self.message { try Self.ope(path) }),
        ] {
            #expect(m?.contains(path) == true, "\(what)")
            #expect(m?.contains(expected) == true, "\(what): \(m ?? "no error")")
        }
        // Tables without `extra` still export.
        #expect(!(try Self.export(path, "outcomes")).isEmpty)
    }

    /// Replaces the footer with `edit`'s, of any length: the new footer and a new trailer take
    /// the old footer's place (the chunks before it are untouched).
    static func replaceFooter(_ path: String, _ edit: (inout DatasetFooter) -> Void) throws {
        let reader = try DatasetReader(path: path)
        let file = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var footer = reader.footer
        edit(&footer)
        let serialized = footer.serialized()
        var out = Array(file[..<Int(reader.footerOffset)]) + serialized
        for word in [reader.footerOffset, UInt64(serialized.count), XXH64.hash(serialized)] {
            withUnsafeBytes(of: word.littleEndian) { out += $0 }
        }
        out += Array(file[(file.count - 8)...])  // the trailer magic
        try Data(out).write(to: URL(fileURLWithPath: path))
    }

    /// A footer whose v1 tables depart from §5 (a list column declared as one of the table's own,
    /// another physical type, another dictionary, the lists out of order) is refused when the
    /// file is opened, naming the table and column; before, a list column declared as a table
    /// column reached a scan with counts that did not match its rows.
    @Test func footerThatRedeclaresAV1Column() throws {
        let exposures = DatasetSchema.tables.firstIndex { $0.name == "exposures" }!
        func column(_ f: DatasetFooter, _ name: String) -> Int { f.tables[exposures].columnIndex(name)! }
        let edits: [(String, (inout DatasetFooter) -> Void)] = [
            (
                "column rank: int64 of the table's rows, format v1 has int64 in list items",
                { f in
                    // `rank` as a column of the exposures' own rows, its chunks sized to match.
                    let c = column(f, "rank")
                    f.tables[exposures].columns[c].group = ""
                    for p in f.partitions.indices {
                        for g in f.partitions[p].tables[exposures].indices {
                            f.partitions[p].tables[exposures][g].chunks[c].count = UInt32(f.partitions[p].tables[exposures][g].rows)
                        }
                    }
                }
            ),
            (
                "column rank: int32 in list items, format v1 has int64 in list items",
                { f in
                    let c = column(f, "rank")
                    f.tables[exposures].columns[c].physicalType = .int32
                    for p in f.partitions.indices {
                        for g in f.partitions[p].tables[exposures].indices {
                            f.partitions[p].tables[exposures][g].chunks[c].physicalType = .int32
                        }
                    }
                }
            ),
            (
                "column item_id: int32 in list items coded by dictionary user_id, format v1 has int32 in list items coded by dictionary item_id",
                { f in f.tables[exposures].columns[column(f, "item_id")].dictionary = "user_id" }
            ),
            ("table exposures: lists [context (context_count), items (item_count)]", { f in f.tables[exposures].groups.reverse() }),
        ]
        for (message, edit) in edits {
            let path = try Self.dataset()
            try Self.replaceFooter(path, edit)
            do {
                _ = try DatasetReader(path: path)
                Issue.record("a footer with \(message) was accepted")
            } catch {
                #expect("\(error)".contains(message), "\(error)")
            }
        }
        // The same rewrite without such a change (a metadata key more) is accepted.
        let path = try Self.dataset()
        try Self.replaceFooter(path) { f in f.metadata.append(("note", "unchanged tables")) }
        #expect(try DatasetReader(path: path).partitionCount == 1)
    }

    /// A row group that claims 2³² − 1 outcomes (a few bytes can describe that many constant
    /// values) is refused with an error naming the chunk, before anything is allocated for it:
    /// such a file used to end the process in a failed allocation of tens of gigabytes.
    @Test func chunkThatClaimsBillionsOfValues() throws {
        let path = try Self.dataset()
        let outcomes = DatasetSchema.tables.firstIndex { $0.name == "outcomes" }!
        try Self.rewriteFooter(path) { f in
            f.partitions[0].tables[outcomes][0].rows = UInt64(UInt32.max)
            for c in f.partitions[0].tables[outcomes][0].chunks.indices {
                f.partitions[0].tables[outcomes][0].chunks[c].count = UInt32.max
            }
        }
        let reader = try DatasetReader(path: path)
        for read in [
            { _ = try RankingMetrics.compute(reader: reader, k: 2, threads: 1) },
            { try DatasetExporter(reader: reader).export(table: "outcomes", format: .jsonl) { _ in } },
        ] as [() throws -> Void] {
            do {
                try read()
                Issue.record("a chunk of 2^32 - 1 values was read")
            } catch {
                #expect("\(error)".contains("more than"), "\(error)")
            }
        }
    }

    /// A chunk descriptor that claims more encoded bytes than the reader decodes (a few stored
    /// bytes of zstd can declare a terabyte) is refused when the file is opened, naming the chunk.
    @Test func chunkThatClaimsTerabytesOfEncodedBytes() throws {
        let path = try Self.dataset()
        let outcomes = DatasetSchema.tables.firstIndex { $0.name == "outcomes" }!
        try Self.rewriteFooter(path) { f in f.partitions[0].tables[outcomes][0].chunks[0].encodedLength = 1 << 40 }
        let error = #expect(throws: StorageError.self) { try DatasetReader(path: path) }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("more than this reader decodes in one chunk") && message.contains("outcomes"), "\(message)")
    }

    /// A list's count column that does not add up to the list's rows, or holds a negative count
    /// (a chunk whose frame of reference was edited): every scan's count load refuses it, naming
    /// the row group and both numbers.
    @Test(arguments: [(3, "item_count sums to 9, list has 6 rows"), (-1, "item_count: negative count")])
    func countsThatDoNotAddUp(perRow: Int64, expected: String) throws {
        let path = try Self.dataset()
        let exposures = DatasetSchema.tables.firstIndex { $0.name == "exposures" }!
        try Self.replaceFooter(path) { f in
            let c = f.tables[exposures].columnIndex("item_count")!
            f.partitions[0].tables[exposures][0].chunks[c].paramA = perRow  // 2 items a row, stored as 0 bits over 2
        }
        let reader = try DatasetReader(path: path)
        let m = Self.message {
            var load = ColumnLoader(reader: reader, partition: 0)
            _ = try load.counts("exposures", "item_count")
        }
        #expect(m?.contains(expected) == true, "\(m ?? "no error")")
    }

    @Test func dictionaryDescriptorOfTheWrongType() throws {
        let path = try Self.dataset()
        try Self.rewriteFooter(path) { f in
            let i = f.dictionaries.firstIndex { $0.name == "user_id" }!
            f.dictionaries[i].chunk.physicalType = .int64
        }
        let m = Self.message { _ = try DatasetReader(path: path) }
        #expect(m?.contains("dictionary user_id: chunk type is int64, a dictionary must be bytes") == true, "\(m ?? "no error")")
        #expect(m?.contains("entries, footer says") == false)
    }

    @Test func dictionaryDescriptorWithTheWrongCount() throws {
        let path = try Self.dataset()
        try Self.rewriteFooter(path) { f in
            let i = f.dictionaries.firstIndex { $0.name == "user_id" }!
            f.dictionaries[i].count += 1
        }
        let m = Self.message { _ = try DatasetReader(path: path) }
        #expect(m?.contains("dictionary user_id: chunk holds 3 entries, footer says 4") == true, "\(m ?? "no error")")
    }
}
