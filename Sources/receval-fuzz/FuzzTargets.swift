import ColumnarFormat
import ColumnarStorage
import Engine
import Evaluation
import Export
import Foundation
import Ingest

/// Coverage-guided fuzz targets for the code that reads untrusted bytes: the column decoders
/// (the format reader's unsafe kernels), whole dataset files, and the JSONL scanner and record
/// parser. Every input must end in a result or a thrown error; a crash, a trap or a sanitizer
/// report is a finding. The first byte of an input picks the target, so one corpus and one
/// binary cover all four (bytes 240 and above: a state file).
enum FuzzTargets {
    /// Scratch files live in memory-backed /dev/shm when it exists.
    static let scratch: String = {
        let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return dir + "/receval-fuzz-\(getpid())"
    }()

    static func run(_ input: UnsafeRawBufferPointer) {
        guard let selector = input.first else { return }
        let rest = UnsafeRawBufferPointer(rebasing: input[1...])
        if selector >= 240 { return state(rest) }
        if selector >= 230 { return parquet(rest) }
        if selector >= 220 { return rankLists(rest, contract: selector % 2 == 0 ? .strict : .recsysEvalRuntime) }
        switch selector % 3 {
        case 0: decoder(rest)
        case 1: dataset(rest)
        default:
            // Selectors 2, 5, 8 (the seeds') read the schemas' contract; 11, 14, 17 the same
            // tables under recsys-eval's runtime contract, and so on alternately.
            jsonl(
                rest, table: TableKind.allCases[Int(selector / 3) % TableKind.allCases.count],
                contract: (selector / 9) % 2 == 0 ? .strict : .recsysEvalRuntime)
        }
    }

    /// A chunk descriptor from the first 24 bytes (type, encoding, codec, width, count, the two
    /// parameters) and the rest as its stored payload, through the decoder of its type.
    static func decoder(_ b: UnsafeRawBufferPointer) {
        guard b.count >= 24 else { return }
        func u64(_ at: Int) -> UInt64 { UInt64(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
        guard let type = PhysicalType(rawValue: b[0] % 5 + 1), let encoding = Encoding(rawValue: b[1] % 6) else { return }
        let codec: Codec = [.none, .none, .lz4, .zstd][Int(b[2] % 4)]
        let stored = UnsafeRawBufferPointer(rebasing: b[24...])
        // Counts up to 4095 keep each execution fast; the decoders size outputs from the count.
        let count = UInt32(UInt16(littleEndian: b.loadUnaligned(fromByteOffset: 4, as: UInt16.self)) & 0x0FFF)
        let encodedLength = codec == .none ? UInt64(stored.count) : u64(8) & 0xFFFFF
        let d = ChunkDescriptor(
            offset: 64, storedLength: UInt64(stored.count), encodedLength: encodedLength, checksum: 0, count: count,
            physicalType: type, encoding: encoding, codec: codec, bitWidth: b[3], paramA: Int64(bitPattern: u64(8)),
            paramB: Int64(bitPattern: u64(16)) % 40)
        do {
            let payload = try CompressionCodec.decompress(stored, codec: codec, expectedLength: Int(encodedLength), context: "fuzz")
            let result = payload.withUnsafeBytes { raw in
                Result { () throws(FormatError) in
                    switch type {
                    case .int64:
                        let all = try ColumnDecoder.decodeIntegers(raw, d, context: "fuzz")
                        // The fast whole decoder and selective decoding must agree with it.
                        var fast = [Int64](repeating: 0, count: all.count)
                        try fast.withUnsafeMutableBufferPointer { (o) throws(FormatError) in
                            try ColumnDecoder.decodeInt64(raw, d, into: o, context: "fuzz")
                        }
                        precondition(fast == all, "decodeInt64 differs from decodeIntegers")
                        let ranges = gatherRanges(count: all.count, salt: b[3])
                        var some = [Int64](repeating: 0, count: ranges.reduce(0) { $0 + $1.count })
                        try some.withUnsafeMutableBufferPointer { (o) throws(FormatError) in
                            try ColumnDecoder.gatherInt64(raw, d, ranges: ranges, into: o, context: "fuzz")
                        }
                        precondition(some == ranges.flatMap { all[$0] }, "gatherInt64 differs from the whole decode")
                    case .int32:
                        let all = try ColumnDecoder.decodeInt32(raw, d, context: "fuzz")
                        // The int32 fast path (blocks unpacked per width) against the general decoder.
                        let general = try ColumnDecoder.decodeIntegers(raw, d, context: "fuzz")
                        precondition(general.map { Int32(truncatingIfNeeded: $0) } == all, "decodeInt32 differs from decodeIntegers")
                        let ranges = gatherRanges(count: all.count, salt: b[3])
                        var some = [Int32](repeating: 0, count: ranges.reduce(0) { $0 + $1.count })
                        try some.withUnsafeMutableBufferPointer { (o) throws(FormatError) in
                            _ = try ColumnDecoder.gatherInt32(raw, d, ranges: ranges, into: o, context: "fuzz")
                        }
                        precondition(some == ranges.flatMap { all[$0] }, "gatherInt32 differs from the whole decode")
                    case .float64: _ = try ColumnDecoder.decodeFloat64(raw, d, context: "fuzz")
                    case .bool: _ = try ColumnDecoder.decodeBool(raw, d, context: "fuzz")
                    case .bytes: _ = try ColumnDecoder.decodeBytes(raw, d, context: "fuzz")
                    }
                }
            }
            try result.get()
        } catch {}
    }

    /// Ascending, disjoint ranges over `0..<count` whose lengths and gaps follow `salt`.
    static func gatherRanges(count: Int, salt: UInt8) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var at = Int(salt % 5)
        var k = UInt(salt)
        while at < count {
            let hi = min(count, at + 1 + Int(k % 9))
            out.append(at..<hi)
            k = k &* 31 &+ 7
            at = hi + Int(k % 4)
        }
        return out
    }

    /// The input as a dataset file (with its trailer's footer checksum set to match, so the
    /// fuzzer reaches the footer parser and the chunks), read as `export` reads it.
    static func dataset(_ b: UnsafeRawBufferPointer) {
        var bytes = Array(b)
        let trailer = 32
        if bytes.count >= trailer + 16 {
            let at = bytes.count - trailer
            let offset = Int(truncatingIfNeeded: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt64.self) })
            let length = Int(truncatingIfNeeded: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self) })
            if offset >= 0, length >= 0, offset <= at, length <= at - offset {
                let sum = bytes.withUnsafeBytes { XXH64.hash(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + length)])) }
                withUnsafeBytes(of: sum.littleEndian) { for i in 0..<8 { bytes[at + 16 + i] = $0[i] } }
            }
        }
        let path = scratch + ".rcv"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
        defer { unlink(path) }
        do {
            let reader = try DatasetReader(path: path)
            let exporter = DatasetExporter(reader: reader)
            for table in DatasetExporter.tables {
                try? exporter.export(table: table, format: .jsonl) { _ in }
            }
        } catch {}
    }

    /// The input as a state file (`receval run --state-out`; its checksum set to match, so the
    /// fuzzer reaches the header and body decoders), then merged with itself and finished as a
    /// merge would: a crafted state must be an error, never a trap.
    static func state(_ b: UnsafeRawBufferPointer) {
        var bytes = Array(b)
        if bytes.count >= 24 {
            let at = bytes.count - 16
            let sum = bytes.withUnsafeBytes { XXH64.hash(UnsafeRawBufferPointer(rebasing: $0[..<at])) }
            withUnsafeBytes(of: sum.littleEndian) { for i in 0..<8 { bytes[at + i] = $0[i] } }
        }
        guard let state = try? bytes.withUnsafeBytes({ try StateFile.decode($0, path: "fuzz") }) else { return }
        switch state.body {
        case .experiment(let x):
            guard let m = try? ExperimentState.merged(x, x) else { return }
            _ = m.finish(options: ExperimentScan.Options(experiment: ""))
        case .offline(let x):
            guard let m = try? OfflineState.merged(x, x) else { return }
            _ = m.finish()
        case .interleaving(let x):
            guard let m = try? InterleavingState.merged(x, x) else { return }
            _ = m.finish(sliceKeys: [])
        case .monitor(let x):
            guard let m = try? MonitorState.merged(x, x) else { return }
            for (_, c) in m.sortedCells {
                _ = c.latency.sorted()
                _ = c.items?.estimate
            }
        case .opeCounts(let x): _ = try? OPECountsState.merged(x, x)
        case .ope(let x):
            guard let m = try? OPEEstimatesState.merged(x, x) else { return }
            _ = m.finish(sliceKeys: [])
        }
    }

    /// The input as a Parquet file, turned into JSON lines as ingest reads Parquet inputs.
    static func parquet(_ b: UnsafeRawBufferPointer) {
        let path = scratch + ".parquet"
        guard FileManager.default.createFile(atPath: path, contents: Data(b)) else { return }
        defer {
            unlink(path)
            unlink(path + ".rows.jsonl")
        }
        // An error is a fine answer to fuzzed bytes; a crash is the finding.
        _ = try? ParquetRows.convert(path: path, to: path + ".rows.jsonl")
    }

    /// The input as a JSONL file of one table, validated as ingest parses it under `contract`.
    static func jsonl(_ b: UnsafeRawBufferPointer, table: TableKind, contract: IngestContract) {
        let path = scratch + ".jsonl"
        guard FileManager.default.createFile(atPath: path, contents: Data(b)) else { return }
        defer { unlink(path) }
        _ = try? LineValidator(table: table, maxLineBytes: 1 << 16, chunkSize: 1 << 12, contract: contract).validate(path: path) { _ in }
    }

    /// The input as interleaving rank lists, then as its outcomes, read under `contract`.
    static func rankLists(_ b: UnsafeRawBufferPointer, contract: IngestContract) {
        let path = scratch + ".ranklists.jsonl"
        guard FileManager.default.createFile(atPath: path, contents: Data(b)) else { return }
        defer { unlink(path) }
        _ = try? RankListReader.readRankLists(path: path, contract: contract)
        _ = try? RankListReader.readOutcomes(path: path, contract: contract)
    }
}
