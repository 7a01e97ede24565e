import ColumnarFormat
import ColumnarStorage

/// Maps from each worker's interner codes to the sorted, dataset-wide dictionary codes.
struct CodeRemaps: Sendable {
    var user: [[Int32]]
    var item: [[Int32]]
    var contextKey: [[Int32]]
    var contextValue: [[Int32]]
    var eventType: [[Int32]]
    var experiment: [[Int32]]
    var variant: [[Int32]]
}

/// A row group of one table, encoded and compressed, in schema column order.
struct PreparedRowGroup: Sendable {
    var rows: Int
    var groupRows: [Int]
    var chunks: [PreparedChunk]
}

/// One partition ready to be placed in the file.
struct PreparedPartition: Sendable {
    var requestDictionary: PreparedChunk
    var requestCount: Int
    /// Whether the request dictionary holds `""` (sorted first, so code 0).
    var hasEmptyRequestID: Bool
    var tables: [[PreparedRowGroup]]
    var rows: [Int]
}

/// Turns a partition's buffered rows into encoded, compressed row groups ("analyze" and
/// "compress" of the column writer): remaps worker codes to dataset codes, builds the partition's
/// sorted request-id dictionary, and cuts row groups of at most `rowGroupRows` parent rows.
struct PartitionEncoder {
    let remaps: CodeRemaps
    let codec: Codec
    let level: Int32
    let rowGroupRows: Int
    /// Row groups of one partition are encoded on up to this many threads (useful when there
    /// are fewer partitions than threads).
    var threads: Int = 1

    func prepare(_ e: EncodedChunk) -> PreparedChunk { PreparedChunk(e, codec: codec, level: level) }

    /// Replaces each code by `map[code]`, in place. The codes' range is checked first (one pass
    /// the compiler vectorises), so a code from a damaged spill record stops the ingest instead
    /// of reading past the map.
    @inline(__always)
    static func remap(_ codes: inout [Int32], _ map: [Int32]) {
        codes.withUnsafeMutableBufferPointer { c in
            var lo = Int32.max
            var hi = Int32.min
            for x in c {
                lo = min(lo, x)
                hi = max(hi, x)
            }
            precondition(c.isEmpty || (lo >= 0 && Int(hi) < map.count), "a worker's code outside its dictionary")
            map.withUnsafeBufferPointer { m in
                for i in c.indices { c[i] = m[Int(c[i])] }
            }
        }
    }

    /// The batches of `table` out of `segments`, each taken out of its slot so that the returned
    /// batch holds the only reference to its arrays (the store has handed them over): `mutate`
    /// then changes them in place instead of copying them.
    static func owned<B>(
        _ segments: inout [(worker: Int, batch: TableBatch)], _ extract: KeyPath<TableBatch, B?>, _ mutate: (inout B, Int) -> Void
    ) -> [B] {
        var out: [B] = []
        out.reserveCapacity(segments.count)
        for k in segments.indices {
            guard var b = segments[k].batch[keyPath: extract] else { continue }
            segments[k].batch = .outcomes(OutcomeBatch())
            mutate(&b, segments[k].worker)
            out.append(b)
        }
        return out
    }

    /// Encodes one partition without concatenating its segments: codes are remapped in place,
    /// the request dictionary is built over all three tables, then row groups are cut while
    /// walking the segments in input order, so only about one row group is copied at a time.
    func encode(
        exposures: consuming [(worker: Int, batch: TableBatch)], outcomes: consuming [(worker: Int, batch: TableBatch)],
        assignments: consuming [(worker: Int, batch: TableBatch)]
    ) -> PreparedPartition {
        let remaps = remaps
        var ex: [ExposureBatch] = Self.owned(&exposures, \.asExposures) { b, w in
            Self.remap(&b.user, remaps.user[w])
            Self.remap(&b.item, remaps.item[w])
            Self.remap(&b.contextKey, remaps.contextKey[w])
            Self.remap(&b.contextValue, remaps.contextValue[w])
        }
        var oc: [OutcomeBatch] = Self.owned(&outcomes, \.asOutcomes) { b, w in
            Self.remap(&b.user, remaps.user[w])
            Self.remap(&b.item, remaps.item[w])
            Self.remap(&b.eventType, remaps.eventType[w])
        }
        var asg: [AssignmentBatch] = Self.owned(&assignments, \.asAssignments) { b, w in
            Self.remap(&b.user, remaps.user[w])
            Self.remap(&b.experiment, remaps.experiment[w])
            Self.remap(&b.variant, remaps.variant[w])
            Self.remap(&b.contextKey, remaps.contextKey[w])
            Self.remap(&b.contextValue, remaps.contextValue[w])
        }
        // One request dictionary for the three tables of the partition.
        let exRows = ex.reduce(0) { $0 + $1.rows }
        var interner = StringInterner(capacity: exRows + 16)
        var exReq = ex.map { interner.codes(of: $0.requestID) }
        var ocReq = oc.map { interner.codes(of: $0.requestID) }
        var asReq = asg.map { interner.codes(of: $0.requestID) }
        // The row groups store request codes: the ids' bytes are not carried any further.
        for k in ex.indices { ex[k].requestID = ByteColumn() }
        for k in oc.indices { oc[k].requestID = ByteColumn() }
        for k in asg.indices { asg[k].requestID = ByteColumn() }
        let sorted = SortedDictionary(merging: [interner])
        let map = sorted.remaps[0]
        for k in exReq.indices { Self.remap(&exReq[k], map) }
        for k in ocReq.indices { Self.remap(&ocReq[k], map) }
        for k in asReq.indices { Self.remap(&asReq[k], map) }
        let requestChunk = PreparedChunk(
            ColumnEncoder.encode(offsets: sorted.offsets, data: sorted.data), codec: codec, level: level, tryingLZ4: false)
        let rows = [exRows, oc.reduce(0) { $0 + $1.rows }, asg.reduce(0) { $0 + $1.rows }]
        let exGroups = stream(
            &ex, exReq, rows: \.rows, concatenate: ExposureBatch.init(concatenating:), slice: { $0.slice($1) }, empty: ExposureBatch(),
            emit: { b, req, n in exposureGroups(b, req, limit: n) })
        let ocGroups = stream(
            &oc, ocReq, rows: \.rows, concatenate: OutcomeBatch.init(concatenating:), slice: { $0.slice($1) }, empty: OutcomeBatch(),
            emit: { b, req, n in outcomeGroups(b, req, limit: n) })
        let asGroups = stream(
            &asg, asReq, rows: \.rows, concatenate: AssignmentBatch.init(concatenating:), slice: { $0.slice($1) }, empty: AssignmentBatch(),
            emit: { b, req, n in assignmentGroups(b, req, limit: n) })
        return PreparedPartition(
            requestDictionary: requestChunk, requestCount: sorted.count, hasEmptyRequestID: sorted.count > 0 && sorted.offsets[1] == 0,
            tables: [exGroups, ocGroups, asGroups], rows: rows)
    }

    /// Walks segments in order, gathering them until whole row groups can be cut, then copies
    /// the gathered segments once into a batch of exactly their size (no array grows by
    /// doubling); rows past the last whole group are carried into the next gathering. Each
    /// segment is released once copied.
    func stream<B>(
        _ segments: inout [B], _ requestCodes: [[Int32]], rows: (B) -> Int, concatenate: ([B]) -> B,
        slice: (B, Range<Int>) -> B, empty: B, emit: (B, [Int32], Int) -> [PreparedRowGroup]
    ) -> [PreparedRowGroup] {
        var out: [PreparedRowGroup] = []
        var gathered: [B] = []
        var gatheredCodes: [[Int32]] = []
        var n = 0
        func cut(whole: Bool) {
            let batch = concatenate(gathered)
            var codes: [Int32] = []
            codes.reserveCapacity(n)
            for c in gatheredCodes { codes += c }
            gathered = []
            gatheredCodes = []
            let full = whole ? n / rowGroupRows * rowGroupRows : n
            out += emit(batch, codes, full)
            if full < n {
                gathered = [slice(batch, full..<n)]
                gatheredCodes = [Array(codes[full...])]
            }
            n -= full
        }
        for k in segments.indices {
            let r = rows(segments[k])
            gathered.append(segments[k])
            gatheredCodes.append(requestCodes[k])
            segments[k] = empty  // `gathered` holds the only reference from here on
            n += r
            if n >= rowGroupRows * threads { cut(whole: true) }
        }
        if n > 0 { cut(whole: false) }
        return out
    }

    /// `transform` over `items` on up to `threads` threads, results in input order.
    func parallelMap<T, R>(_ items: [T], _ transform: (T) -> R) -> [R] {
        if threads <= 1 || items.count <= 1 { return items.map(transform) }
        return withoutActuallyEscaping(transform) { t in
            let box = UncheckedBox(value: t)
            let input = UncheckedBox(value: items)
            return Morsels.run(count: items.count, threads: threads) { i in UncheckedBox(value: box.value(input.value[i])) }.map(\.value)
        }
    }

    /// Row ranges of at most `rowGroupRows`.
    func ranges(_ n: Int) -> [Range<Int>] {
        stride(from: 0, to: n, by: rowGroupRows).map { $0..<min(n, $0 + rowGroupRows) }
    }

    static func prefix(_ counts: [Int32]) -> [Int] {
        var out = [Int](repeating: 0, count: counts.count + 1)
        for i in 0..<counts.count { out[i + 1] = out[i] + Int(counts[i]) }
        return out
    }

    func int32(_ a: ArraySlice<Int32>) -> PreparedChunk { prepare(ColumnEncoder.encode(int32: a)) }
    func int64(_ a: ArraySlice<Int64>) -> PreparedChunk { prepare(ColumnEncoder.encode(int64: a)) }
    func float64(_ a: ArraySlice<Double>) -> PreparedChunk { prepare(ColumnEncoder.encode(float64: a)) }
    func bool(_ a: ArraySlice<UInt8>) -> PreparedChunk { prepare(ColumnEncoder.encode(bool: a)) }

    /// An optional field's flag and value chunks; a column no row has is written without a pass
    /// over its zeros.
    func optional(_ c: OptionalNumbers, _ r: Range<Int>) -> [PreparedChunk] {
        guard c.isMaterialised else {
            return [prepare(ColumnEncoder.zeros(.bool, count: r.count)), prepare(ColumnEncoder.zeros(.float64, count: r.count))]
        }
        if let scaled = c.values.scaled(r) {
            return [
                bool(c.presence(r)),
                prepare(scaled.withUnsafeBufferPointer { ColumnEncoder.encode(decimals: $0, exponent: c.values.exponent) }),
            ]
        }
        return [bool(c.presence(r)), float64(c.values.doubles(r)[...])]
    }

    func optional(_ c: OptionalByteColumn, _ r: Range<Int>) -> [PreparedChunk] {
        guard c.isMaterialised else {
            return [prepare(ColumnEncoder.zeros(.bool, count: r.count)), prepare(ColumnEncoder.zeros(.bytes, count: r.count))]
        }
        let s = c.strings(r)
        return [bool(c.presence(r)), prepare(ColumnEncoder.encode(offsets: s.offsets, data: s.data))]
    }

    func exposureGroups(_ b: ExposureBatch, _ req: [Int32], limit: Int) -> [PreparedRowGroup] {
        let itemPrefix = Self.prefix(b.itemCount)
        let ctxPrefix = Self.prefix(b.contextCount)
        // Ranks as 32-bit integers when they fit (the usual 1...n always do).
        let rank32 = b.rank.values32(itemCounts: b.itemCount)
        let rank = rank32 == nil ? b.rank.values(itemCounts: b.itemCount) : []
        return parallelMap(ranges(limit)) { r in
            let ir = itemPrefix[r.lowerBound]..<itemPrefix[r.upperBound]
            let cr = ctxPrefix[r.lowerBound]..<ctxPrefix[r.upperBound]
            var chunks = [
                int32(req[r]), int32(b.user[r]), int64(b.tsMicros[r]), int32(b.tsNanos[r]), int32(b.tsOffset[r]),
                int32(b.itemCount[r]), bool(b.contextPresent[r]), int32(b.contextCount[r]),
                bool(b.latencyPresent[r]), float64(b.latency[r]), bool(b.errorPresent[r]), bool(b.error[r]),
                int32(b.item[ir]), rank32.map { prepare(ColumnEncoder.encode(int64: $0[ir])) } ?? int64(rank[ir]),
            ]
            chunks += optional(b.propensity, ir) + optional(b.logging, ir) + optional(b.target, ir) + optional(b.extra, ir)
            chunks += [int32(b.contextKey[cr]), int32(b.contextValue[cr])]
            precondition(chunks.count == DatasetSchema.exposures.columns.count, "exposure columns out of sync with the schema")
            return PreparedRowGroup(rows: r.count, groupRows: [ir.count, cr.count], chunks: chunks)
        }
    }

    func outcomeGroups(_ b: OutcomeBatch, _ req: [Int32], limit: Int) -> [PreparedRowGroup] {
        parallelMap(ranges(limit)) { r in
            let chunks = [
                int32(req[r]), int32(b.user[r]), int32(b.item[r]), int32(b.eventType[r]),
                bool(b.valuePresent[r]), float64(b.value[r]),
                int64(b.tsMicros[r]), int32(b.tsNanos[r]), int32(b.tsOffset[r]),
            ]
            precondition(chunks.count == DatasetSchema.outcomes.columns.count, "outcome columns out of sync with the schema")
            return PreparedRowGroup(rows: r.count, groupRows: [], chunks: chunks)
        }
    }

    func assignmentGroups(_ b: AssignmentBatch, _ req: [Int32], limit: Int) -> [PreparedRowGroup] {
        let ctxPrefix = Self.prefix(b.contextCount)
        return parallelMap(ranges(limit)) { r in
            let cr = ctxPrefix[r.lowerBound]..<ctxPrefix[r.upperBound]
            let chunks = [
                int32(req[r]), int32(b.user[r]), int32(b.experiment[r]), int32(b.variant[r]),
                int64(b.tsMicros[r]), int32(b.tsNanos[r]), int32(b.tsOffset[r]),
                bool(b.contextPresent[r]), int32(b.contextCount[r]),
                int32(b.contextKey[cr]), int32(b.contextValue[cr]),
            ]
            precondition(chunks.count == DatasetSchema.assignments.columns.count, "assignment columns out of sync with the schema")
            return PreparedRowGroup(rows: r.count, groupRows: [cr.count], chunks: chunks)
        }
    }
}
