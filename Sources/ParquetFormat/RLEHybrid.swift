/// Parquet's RLE / bit-packing hybrid for levels (`Encodings.md`), written as RLE runs only: a
/// run's header is its length shifted left once, then the value in as few whole bytes as its bit
/// width needs. Levels repeat in long runs (every item of a list at the same depth), so runs are
/// what they compress to anyway.
enum RLEHybrid {
    /// Bits needed for values up to `max`.
    static func bitWidth(_ max: Int) -> Int { max == 0 ? 0 : Int.bitWidth - max.leadingZeroBitCount }

    static func encode(_ levels: ArraySlice<UInt8>, bitWidth: Int, into out: inout [UInt8]) {
        let valueBytes = (bitWidth + 7) / 8
        var i = levels.startIndex
        while i < levels.endIndex {
            let v = levels[i]
            var j = i + 1
            while j < levels.endIndex && levels[j] == v { j += 1 }
            var header = UInt64(j - i) << 1
            while header >= 0x80 {
                out.append(UInt8(header & 0x7F) | 0x80)
                header >>= 7
            }
            out.append(UInt8(header))
            if valueBytes > 0 { out.append(v) }
            i = j
        }
    }
}
