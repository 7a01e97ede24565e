import Testing

@testable import Ingest

@Suite struct InternerTests {
    @Test func matchesDictionaryReference() {
        var interner = StringInterner(capacity: 4)
        var reference: [[UInt8]: Int32] = [:]
        var seed: UInt64 = 17
        for _ in 0..<50_000 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1
            let len = Int(seed >> 60)
            let key = (0..<len).map { j in UInt8(truncatingIfNeeded: (seed >> UInt64(8 + j * 3)) % 7) }
            let code = key.withUnsafeBytes { interner.intern($0) }
            if let expected = reference[key] {
                #expect(code == expected)
            } else {
                #expect(code == Int32(reference.count))
                reference[key] = code
            }
        }
        #expect(interner.count == reference.count)
        for (k, v) in reference { #expect(Array(interner.key(Int(v))) == k) }
    }

    /// The 16-byte prefix is read with whole-word loads that stay inside the key: bytes around it
    /// (0xFF here) never leak in, and every length from 0 to 40 gives the zero-padded bytes.
    @Test func prefixReadsOnlyTheKey() {
        for n in 0...40 {
            var buffer = [UInt8](repeating: 0xFF, count: n + 32)
            for j in 0..<n { buffer[16 + j] = UInt8(1 + (j * 37) % 250) }
            buffer.withUnsafeBytes { raw in
                let p = raw.baseAddress! + 16
                var expected = (UInt64(0), UInt64(0))
                for j in 0..<min(n, 16) {
                    let byte = UInt64(raw[16 + j]) << UInt64(8 * (j % 8))
                    if j < 8 { expected.0 |= byte } else { expected.1 |= byte }
                }
                let got = StringInterner.prefix(p, n)
                #expect(got.0 == expected.0 && got.1 == expected.1, "length \(n)")
                // The hash reads the same bytes: the key's copy elsewhere hashes alike.
                let copy = Array(raw[16..<(16 + n)])
                #expect(copy.withUnsafeBytes { StringInterner.hash(of: $0) } == StringInterner.hash(p, n), "length \(n)")
            }
        }
    }

    /// Keys of every length up to 40 that differ in one byte only, anywhere, get distinct codes.
    @Test func keysDifferingInOneByteStayApart() {
        var interner = StringInterner(capacity: 4)
        var expected: [[UInt8]: Int32] = [:]
        for n in 1...40 {
            for position in 0..<n {
                for value: UInt8 in [0x61, 0x62] {
                    var key = [UInt8](repeating: 0x61, count: n)
                    key[position] = value
                    let code = key.withUnsafeBytes { interner.intern($0) }
                    if let e = expected[key] { #expect(code == e) } else { expected[key] = code }
                }
            }
        }
        #expect(interner.count == expected.count)
        #expect(Set(expected.values).count == expected.count)
    }

    /// Enough keys for the radix levels: shared prefixes (every byte position constant in some
    /// keys), keys longer than 16 bytes that tie on their first 16, decimal ids, empty and
    /// one-byte keys, and bytes above 0x7F; the order is byte-wise, as a reference sort gives it.
    @Test(arguments: [2, 33, 64, 300, 5000, 40000])
    func sortedDictionaryOrdersBytewise(count: Int) {
        var words: [[UInt8]] = [[], [0xFF], [0x00], Array("req_".utf8)]
        var seed: UInt64 = UInt64(count)
        while words.count < count {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let kind = Int(seed >> 61)
            let tail = (0..<Int((seed >> 40) % 24)).map { j in UInt8(truncatingIfNeeded: seed >> UInt64((j * 5) % 56)) }
            switch kind {
            case 0, 1: words.append(Array("req_".utf8) + tail.map { 0x30 + $0 % 16 })
            case 2: words.append(Array("same-sixteen-byt".utf8) + tail)
            // Decimal ids: few values in the leading bytes, so large buckets go several levels down.
            case 3: words.append(Array(String(1_000_000 + (seed >> 20) % 90_000).utf8))
            // One varying byte deep in the prefix.
            case 4: words.append(Array("twelve-bytes".utf8) + [UInt8(truncatingIfNeeded: seed >> 30)])
            default: words.append(tail)
            }
        }
        var unique: [[UInt8]] = []
        var seen = Set<[UInt8]>()
        for w in words where seen.insert(w).inserted { unique.append(w) }
        var a = StringInterner()
        var b = StringInterner()
        for (i, w) in unique.enumerated() { _ = w.withUnsafeBytes { i % 3 == 0 ? a.intern($0) : b.intern($0) } }
        let merged = SortedDictionary(merging: [a, b])
        let entries = (0..<merged.count).map { Array(merged.data[Int(merged.offsets[$0])..<Int(merged.offsets[$0 + 1])]) }
        #expect(entries == unique.sorted { $0.lexicographicallyPrecedes($1) })
        for code in 0..<a.count { #expect(entries[Int(merged.remaps[0][code])] == Array(a.key(code))) }
        for code in 0..<b.count { #expect(entries[Int(merged.remaps[1][code])] == Array(b.key(code))) }
        // One interner alone (a partition's request ids).
        let single = SortedDictionary(merging: [b])
        let singleEntries = (0..<single.count).map { Array(single.data[Int(single.offsets[$0])..<Int(single.offsets[$0 + 1])]) }
        #expect(singleEntries == (0..<b.count).map { Array(b.key($0)) }.sorted { $0.lexicographicallyPrecedes($1) })
        for code in 0..<b.count { #expect(singleEntries[Int(single.remaps[0][code])] == Array(b.key(code))) }
    }

    @Test func sortedMergeIsIndependentOfArrivalOrder() {
        var a = StringInterner()
        var b = StringInterner()
        let words = ["pear", "apple", "", "apple pie", "zebra", "äpfel", "Apple", "app"]
        for w in words {
            var s = w
            s.withUTF8 { _ = a.intern(UnsafeRawBufferPointer($0)) }
        }
        for w in words.reversed() {
            var s = w
            s.withUTF8 { _ = b.intern(UnsafeRawBufferPointer($0)) }
        }
        let merged = SortedDictionary(merging: [a, b])
        let entries = (0..<merged.count).map {
            String(decoding: merged.data[Int(merged.offsets[$0])..<Int(merged.offsets[$0 + 1])], as: UTF8.self)
        }
        #expect(entries == words.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        for (code, w) in words.enumerated() {
            #expect(entries[Int(merged.remaps[0][code])] == w)
            #expect(entries[Int(merged.remaps[1][words.count - 1 - code])] == w)
        }
    }
}
