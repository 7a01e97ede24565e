import ColumnarFormat
import ColumnarStorage
import Engine
import Reports

/// A state file (format-spec/state.md): magic, version, a JSON header, the body compressed with
/// zstd, the XXH64 of every byte before it and an end magic. Written atomically; read with every
/// length, the checksum and the body's structure checked, so a truncated, damaged or foreign
/// file is an error naming the file, never a crash or a wrong merge.
public enum StateFile {
    static let magic = Array("RCVSTATE".utf8)
    static let endMagic = Array("RCVSTEND".utf8)
    static let major: UInt16 = 1
    static let minor: UInt16 = 0
    static let bodyExperiment: UInt8 = 1
    static let bodyOPECounts: UInt8 = 2
    static let bodyOPE: UInt8 = 3
    static let bodyOffline: UInt8 = 4
    static let bodyInterleaving: UInt8 = 5
    static let bodyMonitor: UInt8 = 6

    /// The file's bytes.
    public static func encode(_ state: EvaluationState) -> [UInt8] {
        let body = state.encodeBody()
        let stored = CompressionCodec.compress(body, codec: .zstd, level: 1)
        var w = ByteWriter()
        w.raw(magic)
        w.u16(major)
        w.u16(minor)
        let header = Array(state.headerJSON.serialized(indent: false).utf8)
        w.u32(UInt32(header.count))
        w.raw(header)
        w.u8(stored == nil ? 0 : 1)
        w.u64(UInt64(body.count))
        w.u64(UInt64((stored ?? body).count))
        w.raw(stored ?? body)
        var bytes = w.bytes
        let sum = bytes.withUnsafeBytes { XXH64.hash($0) }
        withUnsafeBytes(of: sum.littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: endMagic)
        return bytes
    }

    /// Writes `state` to `path` atomically.
    public static func write(_ state: EvaluationState, to path: String) throws -> Int {
        let bytes = encode(state)
        let file = try AtomicOutputFile(path: path)
        try file.write(bytes)
        try file.commit()
        return bytes.count
    }

    /// Reads the state at `path`.
    public static func read(path: String) throws -> EvaluationState {
        let file = try MappedFile(path: path)
        return try file.withBytes { b throws(StateFileError) in try decode(b, path: path) }
    }

    /// The header of the state at `path` (its magic, end magic and lengths checked; the checksum
    /// and the body are checked when the whole state is read).
    public static func readHeader(path: String) throws -> StateHeader {
        let file = try MappedFile(path: path)
        return try file.withBytes { b throws(StateFileError) in
            guard b.count >= 8, Array(b[0..<8]) == magic else {
                throw .notAState(path: path, reason: "it does not start with RCVSTATE (a report, a dataset or another file?)")
            }
            guard b.count >= 16 + 49, Array(b[(b.count - 8)...]) == endMagic else {
                throw .damaged(path: path, reason: "it does not end with RCVSTEND: the file is truncated")
            }
            let length = Int(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
            guard length <= b.count - 16 - 33 else { throw .damaged(path: path, reason: "the header's length does not match the file") }
            do {
                return try header(try JSONValue.parse(String(decoding: b[16..<(16 + length)], as: UTF8.self)), path: path)
            } catch let e as StateFileError {
                throw e
            } catch {
                throw .damaged(path: path, reason: "the header is not valid JSON: \(error)")
            }
        }
    }

    /// The header's members, checked.
    static func header(_ h: JSONValue, path: String) throws -> StateHeader {
        func string(_ v: JSONValue?, _ name: String) throws -> String {
            guard case .string(let s)? = v else { throw StateFileError.damaged(path: path, reason: "the header has no \(name)") }
            return s
        }
        func int(_ v: JSONValue?, _ name: String) throws -> Int {
            guard case .number(let x)? = v, let i = Int(exactly: x), i >= 0 else {
                throw StateFileError.damaged(path: path, reason: "the header has no \(name)")
            }
            return i
        }
        let index = try int(h["shard"]?["index"], "shard.index")
        let count = try int(h["shard"]?["count"], "shard.count")
        guard count >= 1, index < count else { throw StateFileError.damaged(path: path, reason: "shard \(index)/\(count) is not a shard") }
        let round = try int(h["round"], "round")
        let rounds = try int(h["rounds"], "rounds")
        guard round >= 1, round <= rounds else {
            throw StateFileError.damaged(path: path, reason: "round \(round) of \(rounds) is not a round")
        }
        var model = ""
        if case .string(let m)? = h["model_sha256"] { model = m }
        let id = try string(h["dataset"]?["id"], "dataset.id")
        func ids(_ name: String) throws -> [String]? {
            try h[name]?.arrayItems.map { v in
                guard case .string(let s) = v else { throw StateFileError.damaged(path: path, reason: "the header's \(name) are not ids") }
                return s
            }
        }
        let datasets = try ids("datasets") ?? [id]
        let modelDatasets = try ids("model_datasets") ?? []
        return StateHeader(
            mode: try string(h["mode"], "mode"), configDigest: try string(h["config_sha256"], "config_sha256"),
            datasetID: try string(h["dataset"]?["id"], "dataset.id"),
            partitions: try int(h["dataset"]?["partitions"], "dataset.partitions"),
            shard: PartitionShard(index: index, count: count), fingerprint: try string(h["dataset"]?["fingerprint"], "dataset.fingerprint"),
            round: round, rounds: rounds, modelDigest: model, datasets: datasets, modelDatasets: modelDatasets)
    }

    /// Decodes a state file's bytes; `path` names it in errors.
    public static func decode(_ b: UnsafeRawBufferPointer, path: String) throws(StateFileError) -> EvaluationState {
        let fixed = 8 + 4 + 4 + 1 + 16 + 8 + 8
        guard b.count >= 8, Array(b[0..<8]) == magic else {
            throw .notAState(path: path, reason: "it does not start with RCVSTATE (a report, a dataset or another file?)")
        }
        guard b.count >= fixed else { throw .damaged(path: path, reason: "\(b.count) bytes is shorter than an empty state") }
        guard Array(b[(b.count - 8)...]) == endMagic else {
            throw .damaged(path: path, reason: "it does not end with RCVSTEND: the file is truncated")
        }
        let sumAt = b.count - 16
        let stored = UInt64(littleEndian: b.loadUnaligned(fromByteOffset: sumAt, as: UInt64.self))
        guard XXH64.hash(UnsafeRawBufferPointer(rebasing: b[..<sumAt])) == stored else {
            throw .damaged(path: path, reason: "the checksum does not match its bytes (the file is corrupted)")
        }
        var r = ByteReader(UnsafeRawBufferPointer(rebasing: b[8..<sumAt]), context: "state \(path)")
        do {
            let ma = try r.u16()
            let mi = try r.u16()
            guard ma == major else {
                throw StateFileError.damaged(
                    path: path, reason: "state format version \(ma).\(mi) is not supported (this receval reads \(major).x)")
            }
            let headerLength = try r.count(minimumElementSize: 1)
            let headerStart = 8 + r.position
            let headerText = String(decoding: b[headerStart..<headerStart + headerLength], as: UTF8.self)
            for _ in 0..<headerLength { _ = try r.u8() }
            let codec = try r.u8()
            let length = Int(truncatingIfNeeded: try r.u64())
            let storedLength = Int(truncatingIfNeeded: try r.u64())
            // A body decompresses to at most 1,024 times its stored size (states compress 3 to 20
            // times): a larger claim is a crafted or damaged length, not memory to allocate.
            guard codec <= 1, storedLength == r.remaining, length >= 0, length <= max(1 << 20, storedLength * 1024) else {
                throw StateFileError.damaged(path: path, reason: "the body's codec or lengths do not match the file")
            }
            let bodyBytes = UnsafeRawBufferPointer(rebasing: b[(8 + r.position)..<sumAt])
            let body =
                codec == 0
                ? Array(bodyBytes)
                : try CompressionCodec.decompress(bodyBytes, codec: .zstd, expectedLength: length, context: "state \(path) body")
            guard body.count == length else { throw StateFileError.damaged(path: path, reason: "the body's length does not match") }
            return try state(header: try JSONValue.parse(headerText), body: body, path: path)
        } catch let e as StateFileError {
            throw e
        } catch let e as StateError {
            throw .damaged(path: path, reason: e.description)
        } catch {
            throw .damaged(path: path, reason: "\(error)")
        }
    }

    static func state(header h: JSONValue, body: [UInt8], path: String) throws -> EvaluationState {
        let header = try self.header(h, path: path)
        let mode = header.mode
        var d = StateDecoder(body, context: "state \(path)")
        let contextKeys = try d.strings()
        let experimentIDs = try d.strings()
        let kind = try d.u8()
        let body: EvaluationState.Body
        switch kind {
        case bodyExperiment where mode == "experiment" || mode == "aa-check":
            body = .experiment(try ExperimentState(from: &d))
        case bodyOffline where mode == "offline":
            body = .offline(try OfflineState(from: &d))
        case bodyInterleaving where mode == "interleaving":
            body = .interleaving(try InterleavingState(from: &d))
        case bodyMonitor where mode == "monitor":
            body = .monitor(try MonitorState(from: &d))
        case bodyOPECounts where mode == "ope":
            body = .opeCounts(try OPECountsState(from: &d))
        case bodyOPE where mode == "ope":
            body = .ope(try OPEEstimatesState(from: &d))
        default:
            throw StateFileError.damaged(path: path, reason: "its body (kind \(kind)) is not a \(mode) state")
        }
        try d.finish()
        var version = ""
        if case .string(let v)? = h["receval_version"] { version = v }
        var state = EvaluationState(
            mode: mode, configDigest: header.configDigest, datasetID: header.datasetID, partitions: header.partitions,
            shard: header.shard, fingerprint: header.fingerprint, effectiveConfig: h["effective_config"] ?? .null,
            recevalVersion: version, contextKeys: contextKeys,
            experimentIDs: experimentIDs, body: body)
        state.modelDigest = header.modelDigest
        state.datasets = header.datasets
        state.modelDatasets = header.modelDatasets
        guard state.body.round.0 == header.round, state.body.round.of == header.rounds else {
            throw StateFileError.damaged(path: path, reason: "the header's round does not match the body")
        }
        return state
    }
}

/// A state file that cannot be used.
public enum StateFileError: Error, CustomStringConvertible {
    case notAState(path: String, reason: String)
    case damaged(path: String, reason: String)

    public var description: String {
        switch self {
        case .notAState(let p, let r): return "\(p) is not a receval state: \(r)"
        case .damaged(let p, let r): return "\(p): damaged state: \(r)"
        }
    }
}
