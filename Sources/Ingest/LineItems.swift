/// The items of the exposure line being parsed, kept as the columns they are appended to a
/// batch in: ids (with the hash each was filed under), ranks, the three optional propensities
/// and the unknown members kept as `extra`. A line's items then reach the batch as one bulk
/// append per column; only the ids pass one by one, through the dictionary.
///
/// A field most items lack costs nothing per item: optional values are written only from the
/// first item that has one, and `extra` texts only for the items that hold them.
///
/// Reused line after line by one parser (a class: `removeAll` keeps the buffers).
final class LineItems {
    /// An item id and the `StringInterner.hash(of:)` it was read with.
    struct ID {
        var ref: ByteRef
        var hash: UInt64
    }

    let ids = ScratchBuffer<ID>()
    let ranks = ScratchBuffer<Int64>()
    let propensity = OptionalScratch()
    let logging = OptionalScratch()
    let target = OptionalScratch()
    /// The items that hold `extra` members: the item's index and its text as a range of the
    /// parser's `extras` bytes, in item order.
    let extras = ScratchBuffer<(item: Int, start: Int, end: Int)>()

    var count: Int { ids.count }

    func removeAll() {
        ids.removeAll()
        ranks.removeAll()
        propensity.removeAll()
        logging.removeAll()
        target.removeAll()
        extras.removeAll()
    }

    /// An item read by the general member loop (id and rank set).
    func append(_ it: ItemFields) {
        if it.extraEnd >= 0 { extras.append((count, it.extraStart, it.extraEnd)) }
        append(id: it.id!, hash: it.hash, rank: it.rank!, propensity: it.propensity, logging: it.logging, target: it.target)
    }

    /// An item without `extra` members.
    @inline(__always)
    func append(id: ByteRef, hash: UInt64, rank: Int64, propensity p: Double?, logging l: Double?, target t: Double?) {
        let i = count
        if let p { propensity.add(p, item: i) }
        if let l { logging.add(l, item: i) }
        if let t { target.add(t, item: i) }
        ids.append(ID(ref: id, hash: hash))
        ranks.append(rank)
    }

    /// Item `i` as its fields (tests; the parse itself never rebuilds them).
    subscript(i: Int) -> ItemFields {
        precondition(i >= 0 && i < count, "item index within the line")
        var it = ItemFields()
        it.id = ids[i].ref
        it.hash = ids[i].hash
        it.rank = ranks[i]
        it.propensity = propensity.value(i)
        it.logging = logging.value(i)
        it.target = target.value(i)
        for e in extras.elements where e.item == i { (it.extraStart, it.extraEnd) = (e.start, e.end) }
        return it
    }
}

/// One optional number per item of a line, written from the first item that has it: `values`
/// covers the items up to the last one with a value (0 for those without), and `flags` is
/// written only once some item within that range lacks one (until then every item covered has
/// a value).
final class OptionalScratch {
    let values = ScratchBuffer<Double>()
    let flags = ScratchBuffer<UInt8>()
    private(set) var present = 0

    /// Whether `flags` is written (some covered item lacks a value).
    private var flagged: Bool { flags.count > 0 }

    /// Item `i` (later than any added before) has value `v`.
    @inline(__always)
    func add(_ v: Double, item i: Int) {
        if values.count < i { gap(to: i) }
        values.append(v)
        if flagged { flags.append(1) }
        present += 1
    }

    /// Items `values.count..<i` have no value.
    private func gap(to i: Int) {
        if !flagged { flags.fill(1, upTo: values.count) }
        values.fill(0, upTo: i)
        flags.fill(0, upTo: i)
    }

    func removeAll() {
        values.removeAll()
        flags.removeAll()
        present = 0
    }

    func value(_ i: Int) -> Double? {
        guard i < values.count else { return nil }
        return !flagged || flags[i] == 1 ? values[i] : nil
    }

    /// Appends the line's `n` items to `column`.
    @inline(__always)
    func appendRows(_ n: Int, to column: inout OptionalNumbers) {
        if present == 0 {
            column.appendAbsent(count: n)
            return
        }
        if !flagged && values.count == n {
            column.append(allPresent: values.elements)
            return
        }
        if values.count < n { gap(to: n) }
        column.append(values: values.elements, flags: flags.elements, present: present)
    }
}
