import Ingest
import Testing

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
