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

    /// Values in bit-packed runs (groups of 8, least significant bit first, the last group
    /// padded with zeros: readers take the page's value count), for dictionary indices, which
    /// rarely repeat in runs.
    static func bitPacked(_ values: ArraySlice<Int32>, bitWidth: Int, into out: inout [UInt8]) {
        precondition(bitWidth >= 1 && bitWidth <= 32, "a bit width of 1 to 32")
        let groups = (values.count + 7) / 8
        guard groups > 0 else { return }
        var header = UInt64(groups) << 1 | 1
        while header >= 0x80 {
            out.append(UInt8(header & 0x7F) | 0x80)
            header >>= 7
        }
        out.append(UInt8(header))
        var acc: UInt64 = 0
        var bits = 0
        var written = 0
        for v in values {
            acc |= UInt64(UInt32(bitPattern: v)) << UInt64(bits)
            bits += bitWidth
            while bits >= 8 {
                out.append(UInt8(truncatingIfNeeded: acc))
                acc >>= 8
                bits -= 8
            }
            written += 1
        }
        for _ in written..<(groups * 8) {
            bits += bitWidth
            while bits >= 8 {
                out.append(UInt8(truncatingIfNeeded: acc))
                acc >>= 8
                bits -= 8
            }
        }
    }
}
