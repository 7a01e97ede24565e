import ColumnarFormat
import Foundation
import Testing

@testable import Ingest

/// The spill's records: batches come back exactly (bit for bit, whatever the values), several
/// batches to a record, and damaged records are errors, never crashes or wrong rows.
@Suite struct SpillTests {
    /// Every stored field of a batch, doubles by bit pattern, so `-0.0` differs from `0.0`.
    static func fields(_ b: TableBatch) -> String {
        let value: Any
        switch b {
        case .exposures(let x): value = x
        case .outcomes(let x): value = x
        case .assignments(let x): value = x
        }
        return Mirror(reflecting: value).children.map { child in
            if let d = child.value as? [Double] { return "\(child.label!)=\(d.map(\.bitPattern))" }
            if let o = child.value as? OptionalNumbers {
                return "\(child.label!)=\(o.count) \(o.flags) \(o.values.doubles(0..<o.values.rowCount).map(\.bitPattern))"
            }
            if let o = child.value as? OptionalByteColumn { return "\(child.label!)=\(o.count) \(o.flags) \(o.strings)" }
            return "\(child.label!)=\(child.value)"
        }.joined(separator: "\n")
    }

    static func strings(_ s: [String]) -> ByteColumn {
        var c = ByteColumn()
        for x in s { Array(x.utf8).withUnsafeBytes { c.append($0) } }
        return c
    }

    /// Exposures with awkward values: negative zero, doubles that are not short decimals, extreme
    /// integers, empty strings, runs of equal flags.
    static func exposures(rows: Int, seed: Int) -> ExposureBatch {
        var b = ExposureBatch()
        var items = 0
        var pairs = 0
        for r in 0..<rows {
            let k = (r + seed) % 4
            let c = (r * 7 + seed) % 3
            items += k
            pairs += c
            b.user.append(Int32(truncatingIfNeeded: r &* 2_654_435_761 &+ seed))
            b.tsMicros.append(r == 1 ? Int64.min : 1_769_472_000_000_000 + Int64(r * 1_000_003))
            b.tsNanos.append(Int32(r % 1000))
            b.tsOffset.append(r % 5 == 0 ? -720 : 60)
            b.itemCount.append(Int32(k))
            b.contextPresent.append(c > 0 ? 1 : 0)
            b.contextCount.append(Int32(c))
            b.latencyPresent.append(r % 3 == 0 ? 0 : 1)
            b.latency.append(r % 3 == 0 ? 0 : (r == 2 ? -0.0 : Double(r) / 10))
            b.errorPresent.append(r % 4 == 0 ? 0 : 1)
            b.error.append(r % 8 == 1 ? 1 : 0)
        }
        b.requestID = strings((0..<rows).map { $0 == 3 ? "" : "req_\($0 * 97 + seed)" })
        // Ranks: the usual 1...n in most rows, ranks of their own (Int64.max once) in every third.
        var first = 0
        for r in 0..<rows {
            let k = Int(b.itemCount[r])
            b.rank.append(
                row: (first..<(first + k)).map { i in r % 3 == 1 ? (i == 5 ? Int64.max : Int64(i % 20 + 1)) : Int64(i - first + 1) })
            first += k
        }
        for i in 0..<items {
            b.item.append(Int32(i % 503))
            b.propensity.append(Double(1 + i % 9999) / 10_000)
            // Seed 7: no logging propensity in any row (the column is never materialised); the
            // others get their first one part way through.
            b.logging.append(i % 2 == 1 && seed != 7 ? 0.1 + 0.2 : nil)
            b.target.append(i % 3 == 0 ? nil : 1 / Double(i + 3))
            if i % 5 == 4 {
                Array(#"{"team":"A","meta":{"x":[1,2.5e-3]}}"#.utf8).withUnsafeBytes { b.extra.append($0) }
            } else {
                b.extra.appendAbsent()
            }
        }
        for p in 0..<pairs {
            b.contextKey.append(Int32(p % 4))
            b.contextValue.append(Int32(p % 11))
        }
        return b
    }

    static func outcomes(rows: Int) -> OutcomeBatch {
        var b = OutcomeBatch()
        b.requestID = strings((0..<rows).map { "req_\($0)" })
        for r in 0..<rows {
            b.user.append(Int32(r % 17))
            b.item.append(Int32.max - Int32(r))
            b.eventType.append(Int32(r % 2))
            b.valuePresent.append(r % 3 == 0 ? 1 : 0)
            b.value.append(r % 3 == 0 ? Double(r) * 1.25 - 40 : 0)
            b.tsMicros.append(Int64(r) * 1_000_000)
            b.tsNanos.append(0)
            b.tsOffset.append(0)
        }
        return b
    }

    static func assignments(rows: Int) -> AssignmentBatch {
        var b = AssignmentBatch()
        b.requestID = strings((0..<rows).map { "r\($0)" })
        var pairs = 0
        for r in 0..<rows {
            let c = r % 3
            pairs += c
            b.user.append(Int32(r))
            b.experiment.append(0)
            b.variant.append(Int32(r % 2))
            b.tsMicros.append(Int64(r))
            b.tsNanos.append(Int32(r))
            b.tsOffset.append(Int32(-r))
            b.contextPresent.append(c > 0 ? 1 : 0)
            b.contextCount.append(Int32(c))
        }
        b.contextKey = (0..<pairs).map { Int32($0 % 2) }
        b.contextValue = (0..<pairs).map { Int32($0) }
        return b
    }

    static func run(_ batches: [TableBatch]) -> (SpilledRun, [UInt8]) {
        let (stored, packed) = SpilledRun.record(batches)
        let run = SpilledRun(
            offset: 0, storedLength: stored.count, packedLength: packed, checksum: XXH64.hash(stored),
            workers: batches.indices.map { Int32($0 % 3) })
        return (run, stored)
    }

    @Test func batchesComeBackExactly() throws {
        let cases: [(TableKind, [TableBatch])] = [
            (.exposures, [0, 1, 7, 300].map { .exposures(Self.exposures(rows: $0 == 0 ? 1 : $0, seed: $0)) }),
            (.outcomes, [1, 2, 500].map { .outcomes(Self.outcomes(rows: $0)) }),
            (.assignments, [1, 64, 1000].map { .assignments(Self.assignments(rows: $0)) }),
        ]
        for (table, batches) in cases {
            let (run, stored) = Self.run(batches)
            let back = try run.batches(from: stored, table: table)
            #expect(back.map(Self.fields) == batches.map(Self.fields), "\(table)")
        }
    }

    /// Any damaged byte of a stored record fails its checksum; a record cut short or with bytes
    /// past its batches fails to decode even when its checksum is recomputed.
    @Test func damagedRecordsAreErrors() throws {
        let batches: [TableBatch] = [.exposures(Self.exposures(rows: 40, seed: 1)), .exposures(Self.exposures(rows: 9, seed: 2))]
        let (run, stored) = Self.run(batches)
        for i in stride(from: 0, to: stored.count, by: max(1, stored.count / 200)) {
            var bad = stored
            bad[i] ^= 0x41
            #expect(throws: FormatError.self) { try run.batches(from: bad, table: .exposures) }
        }
        #expect(throws: FormatError.self) { try run.batches(from: Array(stored.dropLast()), table: .exposures) }
        // Packed bytes stored as they are, cut or extended, with a matching checksum.
        var packer = SpillPacker()
        for b in batches { b.pack(&packer) }
        let packed = packer.bytes
        for cut in [0, 1, SpillPacker.headerSize - 1, SpillPacker.headerSize + 3, packed.count / 2, packed.count - 1, packed.count + 5] {
            let bytes = cut <= packed.count ? Array(packed.prefix(cut)) : packed + [UInt8](repeating: 0, count: cut - packed.count)
            let r = SpilledRun(offset: 0, storedLength: bytes.count, packedLength: 0, checksum: XXH64.hash(bytes), workers: [0, 1])
            #expect(throws: FormatError.self, "packed bytes cut to \(cut)") { try r.batches(from: bytes, table: .exposures) }
        }
        // Read as the wrong table, the arrays do not line up.
        let r = SpilledRun(offset: 0, storedLength: packed.count, packedLength: 0, checksum: XXH64.hash(packed), workers: [0, 1])
        #expect(throws: FormatError.self) { try r.batches(from: packed, table: .outcomes) }
    }

    /// A store spilled many times over (a budget of a few batches) gives back every batch, with
    /// its worker, in the order appended; releasing a partition returns its spill space.
    @Test func storeKeepsOrderAcrossSpills() throws {
        let tmp = Support.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let store = PartitionStore(partitions: 3, budget: 40_000, spillDirectory: tmp, threads: 2)
        var expected: [[String]] = Array(repeating: [], count: 3)
        for i in 0..<120 {
            let b = TableBatch.exposures(Self.exposures(rows: 5 + i % 37, seed: i))
            try store.append(b, partition: i % 3, table: .exposures, worker: i % 2)
            expected[i % 3].append("\(i % 2)\n" + Self.fields(b))
        }
        #expect(store.spilledBytes > 0)
        for p in 0..<3 {
            let got = try store.take(partition: p, table: .exposures).map { "\($0.worker)\n" + Self.fields($0.batch) }
            #expect(got == expected[p], "partition \(p)")
            store.release(partition: p)
        }
    }

    /// The workers' dictionaries count against the budget for buffered rows (1.5 times their
    /// bytes, the merge at the end included), down to an eighth of it: rows that fit the budget
    /// alone are spilled once the dictionaries have grown.
    @Test func dictionariesTakeTheirShareOfTheBudget() throws {
        let tmp = Support.tempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let b = TableBatch.exposures(Self.exposures(rows: 100, seed: 1))
        let size = b.byteSize
        let store = PartitionStore(partitions: 2, budget: 4 * size, spillDirectory: tmp, threads: 2)
        #expect(store.rowBudget == 4 * size)
        store.reserve(worker: 0, bytes: size)
        store.reserve(worker: 1, bytes: size / 2)
        #expect(store.rowBudget == 4 * size - (size + size / 2) * 3 / 2)
        try store.append(b, partition: 0, table: .exposures, worker: 0)
        #expect(store.spilledBytes == 0)  // one batch fits what the dictionaries leave
        try store.append(b, partition: 1, table: .exposures, worker: 1)
        #expect(store.spilledBytes > 0)  // two do not (they would fit the budget alone)
        store.reserve(worker: 1, bytes: 100 * size)
        #expect(store.rowBudget == size / 2)  // an eighth of the budget at least
        #expect(try store.take(partition: 0, table: .exposures).map { Self.fields($0.batch) } == [Self.fields(b)])
    }

    /// A batch costs the budget what it holds, reserved room included: an empty batch with room
    /// for 1,000 rows and 10,000 items counts at least that room. An optional column takes its
    /// room only when its first value arrives, and then all of it.
    @Test func batchesCountByCapacity() {
        var e = ExposureBatch()
        e.reserve(rows: 1000, items: 10_000, pairs: 0, requestBytes: 32_000)
        #expect(e.rows == 0)
        // Timestamps alone (8 B a row), rank flags (1 B a row) and item codes (4 B an item).
        let reserved = TableBatch.exposures(e).byteSize
        #expect(reserved >= 1000 * 8 + 1000 + 10_000 * 4 + 32_000)
        #expect(e.propensity.byteSize == 0 && e.logging.byteSize == 0 && e.target.byteSize == 0)
        e.propensity.append(0.5)
        // A scaled value (4 B) for each of the 10,000 items reserved; flags only once an item
        // lacks one.
        #expect(TableBatch.exposures(e).byteSize >= reserved + 10_000 * 4)
    }

    /// Optional columns: absent until a first value (rows before it read as absent, value 0), the
    /// same values whichever batches they are appended or sliced through.
    @Test func optionalColumnsMaterialiseOnTheirFirstValue() {
        var a = OptionalNumbers()
        for _ in 0..<5 { a.append(nil) }
        #expect(!a.isMaterialised && a.count == 5 && a.byteSize == 0)
        a.append(-0.0)
        a.append(nil)
        #expect(a.flags == [0, 0, 0, 0, 0, 1, 0] && a.values.doubles(0..<7).map(\.bitPattern) == [0, 0, 0, 0, 0, (-0.0).bitPattern, 0])
        var b = OptionalNumbers()
        b.append(nil)
        b.append(contentsOf: a)  // absent then materialised
        a.append(contentsOf: OptionalNumbers())  // nothing
        var c = OptionalNumbers()
        c.append(nil)
        b.append(contentsOf: c)  // materialised then absent
        #expect(b.count == 9 && b.flags == [0, 0, 0, 0, 0, 0, 1, 0, 0])
        #expect(b.slice(6..<8).flags == [1, 0] && b.slice(0..<3).count == 3)
        #expect(c.slice(0..<1).count == 1 && !c.slice(0..<1).isMaterialised)
        #expect(OptionalNumbers(count: 3, flags: [1], values: DecimalValues([2])) == nil)
        // A value in every row: no flags until a row lacks one, then ones for the rows before.
        var p = OptionalNumbers()
        p.append(0.5)
        [0.25, 0.125].withUnsafeBufferPointer { p.append(allPresent: $0) }
        #expect(p.allPresent && p.flags.isEmpty && p.presence(0..<3) == [1, 1, 1])
        #expect(p.slice(1..<3).allPresent && p.slice(1..<3).values.doubles(0..<2) == [0.25, 0.125])
        var q = OptionalNumbers()
        q.append(nil)
        q.append(contentsOf: p)  // absent, then every row present
        #expect(q.flags == [0, 1, 1, 1] && q.values.doubles(0..<4) == [0, 0.5, 0.25, 0.125])
        p.append(nil)
        #expect(!p.allPresent && p.flags == [1, 1, 1, 0] && p.values.doubles(0..<4) == [0.5, 0.25, 0.125, 0])
        #expect(OptionalNumbers(count: 2, flags: [], values: DecimalValues([1, 2]))?.allPresent == true)
        #expect(OptionalNumbers(count: 3, flags: [], values: DecimalValues([1, 2])) == nil)
        var x = OptionalByteColumn()
        x.appendAbsent()
        Array("{}".utf8).withUnsafeBytes { x.append($0) }
        x.appendAbsent()
        var y = OptionalByteColumn()
        y.appendAbsent()
        y.append(contentsOf: x)
        #expect(y.count == 4 && y.flags == [0, 0, 1, 0])
        let s = y.strings(1..<4)
        #expect(s.offsets == [0, 0, 2, 2] && s.data == Array("{}".utf8))
    }
}
