import ColumnarFormat

/// Parsed, validated exposure rows in columns. Codes of user, item and context strings refer to the
/// interners of the worker that parsed the batch; request ids are kept as bytes until the
/// partition they belong to is encoded, which turns them into codes and drops them (from then on
/// `requestID` is empty, in every batch kind).
struct ExposureBatch {
    var requestID = ByteColumn()
    var user: [Int32] = []
    var tsMicros: [Int64] = []
    var tsNanos: [Int32] = []
    var tsOffset: [Int32] = []
    var itemCount: [Int32] = []
    var contextPresent: [UInt8] = []
    var contextCount: [Int32] = []
    var latencyPresent: [UInt8] = []
    var latency: [Double] = []
    var errorPresent: [UInt8] = []
    var error: [UInt8] = []
    // items
    var item: [Int32] = []
    var rank = RankColumn()
    var propensity = OptionalNumbers()
    var logging = OptionalNumbers()
    var target = OptionalNumbers()
    var extra = OptionalByteColumn()
    // context pairs
    var contextKey: [Int32] = []
    var contextValue: [Int32] = []

    var rows: Int { user.count }

    /// Reserves room for `rows` exposures with `items` items and `pairs` context pairs, so a
    /// chunk's batch is allocated once instead of growing by doubling.
    /// `singleValues: false` leaves the columns of `Row` out (a parsed chunk's rows, which
    /// `appendRows` writes into arrays of exactly their count).
    mutating func reserve(rows: Int, items: Int, pairs: Int, requestBytes: Int, singleValues: Bool = true) {
        requestID.offsets.reserveCapacity(rows + 1)
        requestID.data.reserveCapacity(requestBytes)
        if singleValues {
            user.reserveCapacity(rows)
            tsMicros.reserveCapacity(rows)
            tsNanos.reserveCapacity(rows)
            tsOffset.reserveCapacity(rows)
            itemCount.reserveCapacity(rows)
            contextPresent.reserveCapacity(rows)
            contextCount.reserveCapacity(rows)
            latencyPresent.reserveCapacity(rows)
            latency.reserveCapacity(rows)
            errorPresent.reserveCapacity(rows)
            error.reserveCapacity(rows)
        }
        item.reserveCapacity(items)
        rank.reserve(rows: rows)
        propensity.reserve(items)
        logging.reserve(items)
        target.reserve(items)
        contextKey.reserveCapacity(pairs)
        contextValue.reserveCapacity(pairs)
    }

    init() {}

    /// The batches one after another, in one allocation per array.
    init(concatenating parts: [ExposureBatch]) {
        reserve(
            rows: parts.reduce(0) { $0 + $1.rows }, items: parts.reduce(0) { $0 + $1.item.count },
            pairs: parts.reduce(0) { $0 + $1.contextKey.count }, requestBytes: parts.reduce(0) { $0 + $1.requestID.data.count })
        for p in parts { append(p) }
    }

    /// One exposure's single values (its item and context columns aside), as a worker gathers
    /// them while it parses a chunk: appending a row to each of eleven arrays checked each
    /// array's uniqueness and capacity, line after line; a chunk's rows are instead gathered as
    /// one array and appended column by column once (`appendRows`).
    struct Row {
        var tsMicros: Int64
        var latency: Double
        var user: Int32
        var tsNanos: Int32
        var tsOffset: Int32
        var itemCount: Int32
        var contextCount: Int32
        var contextPresent: UInt8
        var latencyPresent: UInt8
        var errorPresent: UInt8
        var error: UInt8
    }

    /// Appends `rows`' single values, in order, to their columns.
    mutating func appendRows(_ rows: [Row]) {
        appendColumn(&user, rows) { $0.user }
        appendColumn(&tsMicros, rows) { $0.tsMicros }
        appendColumn(&tsNanos, rows) { $0.tsNanos }
        appendColumn(&tsOffset, rows) { $0.tsOffset }
        appendColumn(&itemCount, rows) { $0.itemCount }
        appendColumn(&contextPresent, rows) { $0.contextPresent }
        appendColumn(&contextCount, rows) { $0.contextCount }
        appendColumn(&latencyPresent, rows) { $0.latencyPresent }
        appendColumn(&latency, rows) { $0.latency }
        appendColumn(&errorPresent, rows) { $0.errorPresent }
        appendColumn(&error, rows) { $0.error }
    }

    mutating func append(_ o: ExposureBatch) {
        requestID.append(contentsOf: o.requestID)
        user += o.user
        tsMicros += o.tsMicros
        tsNanos += o.tsNanos
        tsOffset += o.tsOffset
        itemCount += o.itemCount
        contextPresent += o.contextPresent
        contextCount += o.contextCount
        latencyPresent += o.latencyPresent
        latency += o.latency
        errorPresent += o.errorPresent
        error += o.error
        item += o.item
        rank.append(contentsOf: o.rank)
        propensity.append(contentsOf: o.propensity)
        logging.append(contentsOf: o.logging)
        target.append(contentsOf: o.target)
        extra.append(contentsOf: o.extra)
        contextKey += o.contextKey
        contextValue += o.contextValue
    }

    func pack(_ p: inout SpillPacker) {
        p.put(requestID)
        p.put(user)
        p.put(tsMicros)
        p.put(tsNanos)
        p.put(tsOffset)
        p.put(itemCount)
        p.put(contextPresent)
        p.put(contextCount)
        p.put(latencyPresent)
        p.put(latency)
        p.put(errorPresent)
        p.put(error)
        p.put(item)
        p.put(rank.sequential)
        p.put(rank.explicit)
        for c in [propensity, logging, target] {
            p.put(c.flags)
            c.values.pack(&p)
        }
        p.put(extra.flags)
        p.put(extra.strings)
        p.put(contextKey)
        p.put(contextValue)
    }

    static func unpack(_ u: inout SpillUnpacker) throws(FormatError) -> ExposureBatch {
        var b = ExposureBatch()
        b.requestID = try u.get()
        b.user = try u.get()
        b.tsMicros = try u.get()
        b.tsNanos = try u.get()
        b.tsOffset = try u.get()
        b.itemCount = try u.get()
        b.contextPresent = try u.get()
        b.contextCount = try u.get()
        b.latencyPresent = try u.get()
        b.latency = try u.get()
        b.errorPresent = try u.get()
        b.error = try u.get()
        b.item = try u.get()
        let rankFlags: [UInt8] = try u.get()
        let ranks: [Int64] = try u.get()
        var optional: [(flags: [UInt8], values: DecimalValues)] = []
        for _ in 0..<3 { optional.append((try u.get(), try DecimalValues.unpack(&u))) }
        let extraFlags: [UInt8] = try u.get()
        let extraStrings: ByteColumn = try u.get()
        b.contextKey = try u.get()
        b.contextValue = try u.get()
        guard let rank = RankColumn(sequential: rankFlags, explicit: ranks, itemCounts: b.itemCount) else {
            throw .invalid("spilled exposure batch: the ranks disagree with the item counts")
        }
        b.rank = rank
        // The optional columns' row count is the items', known once the counts are read.
        let items = b.item.count
        guard let p = OptionalNumbers(count: items, flags: optional[0].flags, values: optional[0].values),
            let l = OptionalNumbers(count: items, flags: optional[1].flags, values: optional[1].values),
            let t = OptionalNumbers(count: items, flags: optional[2].flags, values: optional[2].values),
            let x = OptionalByteColumn(count: items, flags: extraFlags, strings: extraStrings)
        else { throw .invalid("spilled exposure batch: an optional item column disagrees with its \(items) items") }
        (b.propensity, b.logging, b.target, b.extra) = (p, l, t, x)
        try b.checkShape()
        return b
    }

    /// Throws unless every array has the length the row, item and pair counts give it: a spilled
    /// batch read back is used only whole.
    func checkShape() throws(FormatError) {
        let n = rows
        let items = itemCount.reduce(0) { $0 + Int($1) }
        let pairs = contextCount.reduce(0) { $0 + Int($1) }
        let rowArrays = [
            requestID.count, tsMicros.count, tsNanos.count, tsOffset.count, itemCount.count, contextPresent.count,
            contextCount.count, latencyPresent.count, latency.count, errorPresent.count, error.count, rank.rows,
        ]
        let itemArrays = [
            item.count, propensity.count, logging.count, target.count, extra.count,
        ]
        guard itemCount.allSatisfy({ $0 >= 0 }), contextCount.allSatisfy({ $0 >= 0 }), rowArrays.allSatisfy({ $0 == n }),
            itemArrays.allSatisfy({ $0 == items }), contextKey.count == pairs, contextValue.count == pairs
        else { throw .invalid("spilled exposure batch: arrays disagree on \(n) rows, \(items) items, \(pairs) pairs") }
    }

    /// Heap bytes held, by capacity: what the batch costs against the ingest's memory budget,
    /// reserved room and per-array overhead included (a batch of a partition that got few rows
    /// of a chunk holds several times its rows' bytes).
    var byteSize: Int {
        requestID.byteSize + heapBytes(user) + heapBytes(tsMicros) + heapBytes(tsNanos) + heapBytes(tsOffset)
            + heapBytes(itemCount) + heapBytes(contextPresent) + heapBytes(contextCount) + heapBytes(latencyPresent)
            + heapBytes(latency) + heapBytes(errorPresent) + heapBytes(error) + heapBytes(item) + rank.byteSize
            + propensity.byteSize + logging.byteSize + target.byteSize + extra.byteSize + heapBytes(contextKey)
            + heapBytes(contextValue)
    }

    /// Rows `r` (with their items and pairs) as a new batch.
    func slice(_ r: Range<Int>) -> ExposureBatch {
        var i0 = 0
        var c0 = 0
        for k in 0..<r.lowerBound {
            i0 += Int(itemCount[k])
            c0 += Int(contextCount[k])
        }
        var i1 = i0
        var c1 = c0
        for k in r {
            i1 += Int(itemCount[k])
            c1 += Int(contextCount[k])
        }
        var b = ExposureBatch()
        if requestID.count > 0 { b.requestID = requestID.slice(r) }  // none once coded
        b.user = Array(user[r])
        b.tsMicros = Array(tsMicros[r])
        b.tsNanos = Array(tsNanos[r])
        b.tsOffset = Array(tsOffset[r])
        b.itemCount = Array(itemCount[r])
        b.contextPresent = Array(contextPresent[r])
        b.contextCount = Array(contextCount[r])
        b.latencyPresent = Array(latencyPresent[r])
        b.latency = Array(latency[r])
        b.errorPresent = Array(errorPresent[r])
        b.error = Array(error[r])
        let ir = i0..<i1
        b.item = Array(item[ir])
        b.rank = rank.slice(r, itemCounts: itemCount)
        b.propensity = propensity.slice(ir)
        b.logging = logging.slice(ir)
        b.target = target.slice(ir)
        b.extra = extra.slice(ir)
        b.contextKey = Array(contextKey[c0..<c1])
        b.contextValue = Array(contextValue[c0..<c1])
        return b
    }
}

struct OutcomeBatch {
    var requestID = ByteColumn()
    var user: [Int32] = []
    var item: [Int32] = []
    var eventType: [Int32] = []
    var valuePresent: [UInt8] = []
    var value: [Double] = []
    var tsMicros: [Int64] = []
    var tsNanos: [Int32] = []
    var tsOffset: [Int32] = []

    var rows: Int { user.count }

    init() {}

    /// The batches one after another, in one allocation per array.
    init(concatenating parts: [OutcomeBatch]) {
        let rows = parts.reduce(0) { $0 + $1.rows }
        requestID.offsets.reserveCapacity(rows + 1)
        requestID.data.reserveCapacity(parts.reduce(0) { $0 + $1.requestID.data.count })
        user.reserveCapacity(rows)
        item.reserveCapacity(rows)
        eventType.reserveCapacity(rows)
        valuePresent.reserveCapacity(rows)
        value.reserveCapacity(rows)
        tsMicros.reserveCapacity(rows)
        tsNanos.reserveCapacity(rows)
        tsOffset.reserveCapacity(rows)
        for p in parts { append(p) }
    }

    mutating func append(_ o: OutcomeBatch) {
        requestID.append(contentsOf: o.requestID)
        user += o.user
        item += o.item
        eventType += o.eventType
        valuePresent += o.valuePresent
        value += o.value
        tsMicros += o.tsMicros
        tsNanos += o.tsNanos
        tsOffset += o.tsOffset
    }

    func pack(_ p: inout SpillPacker) {
        p.put(requestID)
        p.put(user)
        p.put(item)
        p.put(eventType)
        p.put(valuePresent)
        p.put(value)
        p.put(tsMicros)
        p.put(tsNanos)
        p.put(tsOffset)
    }

    static func unpack(_ u: inout SpillUnpacker) throws(FormatError) -> OutcomeBatch {
        var b = OutcomeBatch()
        b.requestID = try u.get()
        b.user = try u.get()
        b.item = try u.get()
        b.eventType = try u.get()
        b.valuePresent = try u.get()
        b.value = try u.get()
        b.tsMicros = try u.get()
        b.tsNanos = try u.get()
        b.tsOffset = try u.get()
        try b.checkShape()
        return b
    }

    /// Throws unless every array has one value per row.
    func checkShape() throws(FormatError) {
        let n = rows
        let arrays = [
            requestID.count, item.count, eventType.count, valuePresent.count, value.count, tsMicros.count, tsNanos.count,
            tsOffset.count,
        ]
        guard arrays.allSatisfy({ $0 == n }) else { throw .invalid("spilled outcome batch: arrays disagree on \(n) rows") }
    }

    /// Heap bytes held, by capacity (see `ExposureBatch.byteSize`).
    var byteSize: Int {
        requestID.byteSize + heapBytes(user) + heapBytes(item) + heapBytes(eventType) + heapBytes(valuePresent) + heapBytes(value)
            + heapBytes(tsMicros) + heapBytes(tsNanos) + heapBytes(tsOffset)
    }

    func slice(_ r: Range<Int>) -> OutcomeBatch {
        var b = OutcomeBatch()
        if requestID.count > 0 { b.requestID = requestID.slice(r) }  // none once coded
        b.user = Array(user[r])
        b.item = Array(item[r])
        b.eventType = Array(eventType[r])
        b.valuePresent = Array(valuePresent[r])
        b.value = Array(value[r])
        b.tsMicros = Array(tsMicros[r])
        b.tsNanos = Array(tsNanos[r])
        b.tsOffset = Array(tsOffset[r])
        return b
    }
}

struct AssignmentBatch {
    var requestID = ByteColumn()
    var user: [Int32] = []
    var experiment: [Int32] = []
    var variant: [Int32] = []
    var tsMicros: [Int64] = []
    var tsNanos: [Int32] = []
    var tsOffset: [Int32] = []
    var contextPresent: [UInt8] = []
    var contextCount: [Int32] = []
    var contextKey: [Int32] = []
    var contextValue: [Int32] = []

    var rows: Int { user.count }

    init() {}

    /// The batches one after another, in one allocation per array.
    init(concatenating parts: [AssignmentBatch]) {
        let rows = parts.reduce(0) { $0 + $1.rows }
        let pairs = parts.reduce(0) { $0 + $1.contextKey.count }
        requestID.offsets.reserveCapacity(rows + 1)
        requestID.data.reserveCapacity(parts.reduce(0) { $0 + $1.requestID.data.count })
        user.reserveCapacity(rows)
        experiment.reserveCapacity(rows)
        variant.reserveCapacity(rows)
        tsMicros.reserveCapacity(rows)
        tsNanos.reserveCapacity(rows)
        tsOffset.reserveCapacity(rows)
        contextPresent.reserveCapacity(rows)
        contextCount.reserveCapacity(rows)
        contextKey.reserveCapacity(pairs)
        contextValue.reserveCapacity(pairs)
        for p in parts { append(p) }
    }

    /// One assignment's single values (`ExposureBatch.Row` says why).
    struct Row {
        var tsMicros: Int64
        var user: Int32
        var experiment: Int32
        var variant: Int32
        var tsNanos: Int32
        var tsOffset: Int32
        var contextCount: Int32
        var contextPresent: UInt8
    }

    /// Appends `rows`' single values, in order, to their columns.
    mutating func appendRows(_ rows: [Row]) {
        appendColumn(&user, rows) { $0.user }
        appendColumn(&experiment, rows) { $0.experiment }
        appendColumn(&variant, rows) { $0.variant }
        appendColumn(&tsMicros, rows) { $0.tsMicros }
        appendColumn(&tsNanos, rows) { $0.tsNanos }
        appendColumn(&tsOffset, rows) { $0.tsOffset }
        appendColumn(&contextPresent, rows) { $0.contextPresent }
        appendColumn(&contextCount, rows) { $0.contextCount }
    }

    mutating func append(_ o: AssignmentBatch) {
        requestID.append(contentsOf: o.requestID)
        user += o.user
        experiment += o.experiment
        variant += o.variant
        tsMicros += o.tsMicros
        tsNanos += o.tsNanos
        tsOffset += o.tsOffset
        contextPresent += o.contextPresent
        contextCount += o.contextCount
        contextKey += o.contextKey
        contextValue += o.contextValue
    }

    func pack(_ p: inout SpillPacker) {
        p.put(requestID)
        p.put(user)
        p.put(experiment)
        p.put(variant)
        p.put(tsMicros)
        p.put(tsNanos)
        p.put(tsOffset)
        p.put(contextPresent)
        p.put(contextCount)
        p.put(contextKey)
        p.put(contextValue)
    }

    static func unpack(_ u: inout SpillUnpacker) throws(FormatError) -> AssignmentBatch {
        var b = AssignmentBatch()
        b.requestID = try u.get()
        b.user = try u.get()
        b.experiment = try u.get()
        b.variant = try u.get()
        b.tsMicros = try u.get()
        b.tsNanos = try u.get()
        b.tsOffset = try u.get()
        b.contextPresent = try u.get()
        b.contextCount = try u.get()
        b.contextKey = try u.get()
        b.contextValue = try u.get()
        try b.checkShape()
        return b
    }

    /// Throws unless every array has the length the row and pair counts give it.
    func checkShape() throws(FormatError) {
        let n = rows
        let pairs = contextCount.reduce(0) { $0 + Int($1) }
        let arrays = [
            requestID.count, experiment.count, variant.count, tsMicros.count, tsNanos.count, tsOffset.count,
            contextPresent.count, contextCount.count,
        ]
        guard contextCount.allSatisfy({ $0 >= 0 }), arrays.allSatisfy({ $0 == n }), contextKey.count == pairs,
            contextValue.count == pairs
        else {
            throw .invalid("spilled assignment batch: arrays disagree on \(n) rows, \(pairs) pairs")
        }
    }

    /// Heap bytes held, by capacity (see `ExposureBatch.byteSize`).
    var byteSize: Int {
        requestID.byteSize + heapBytes(user) + heapBytes(experiment) + heapBytes(variant) + heapBytes(tsMicros) + heapBytes(tsNanos)
            + heapBytes(tsOffset) + heapBytes(contextPresent) + heapBytes(contextCount) + heapBytes(contextKey)
            + heapBytes(contextValue)
    }

    func slice(_ r: Range<Int>) -> AssignmentBatch {
        var c0 = 0
        for k in 0..<r.lowerBound { c0 += Int(contextCount[k]) }
        var c1 = c0
        for k in r { c1 += Int(contextCount[k]) }
        var b = AssignmentBatch()
        if requestID.count > 0 { b.requestID = requestID.slice(r) }  // none once coded
        b.user = Array(user[r])
        b.experiment = Array(experiment[r])
        b.variant = Array(variant[r])
        b.tsMicros = Array(tsMicros[r])
        b.tsNanos = Array(tsNanos[r])
        b.tsOffset = Array(tsOffset[r])
        b.contextPresent = Array(contextPresent[r])
        b.contextCount = Array(contextCount[r])
        b.contextKey = Array(contextKey[c0..<c1])
        b.contextValue = Array(contextValue[c0..<c1])
        return b
    }
}

/// Appends `value(row)` for each of `rows` to `column`: into an array of exactly their count
/// when the column is empty (a chunk's batch, whose single-value columns are not reserved),
/// element by element otherwise.
@inline(__always)
func appendColumn<R, T>(_ column: inout [T], _ rows: [R], _ value: (R) -> T) {
    guard column.isEmpty else {
        column.append(contentsOf: rows.lazy.map(value))
        return
    }
    column = [T](unsafeUninitializedCapacity: rows.count) { out, count in
        rows.withUnsafeBufferPointer { r in
            for i in r.indices { (out.baseAddress! + i).initialize(to: value(r[i])) }
        }
        count = rows.count
    }
}

/// Heap bytes an array holds: its capacity, plus its header and the allocator's overhead (about
/// 48 bytes) when it has storage.
@inline(__always)
func heapBytes<T>(_ a: [T]) -> Int { a.capacity == 0 ? 0 : a.capacity * MemoryLayout<T>.stride + 48 }
