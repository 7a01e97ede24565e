/// Packs unsigned integers of `width` bits, least significant bit first, into 64-bit words.
///
/// Value `i` occupies bits `[i*width, (i+1)*width)` of the little-endian bit stream; the payload is
/// `8 * ceil(count * width / 64)` bytes so every read can load whole words.
public enum BitPacking {
    /// Number of bits needed to represent `range` (0 for 0).
    @inlinable
    public static func width(of range: UInt64) -> Int { range == 0 ? 0 : 64 - range.leadingZeroBitCount }

    /// Payload size in bytes for `count` values of `width` bits.
    @inlinable
    public static func byteCount(count: Int, width: Int) -> Int { ((count * width + 63) / 64) * 8 }

    /// Packs `count` values produced by `value(i)`, which must fit in `width` bits.
    @inlinable
    public static func pack(count: Int, width: Int, into out: inout [UInt8], _ value: (Int) -> UInt64) {
        let start = out.count
        let nbytes = byteCount(count: count, width: width)
        out.append(contentsOf: repeatElement(0, count: nbytes))
        if width == 0 || count == 0 { return }
        out.withUnsafeMutableBytes { raw in
            let words = (raw.baseAddress! + start).assumingMemoryBound(to: UInt64.self)
            var acc: UInt64 = 0
            var filled = 0
            var w = 0
            for i in 0..<count {
                let v = value(i)
                acc |= v &<< UInt64(filled)
                filled += width
                if filled >= 64 {
                    words[w] = acc.littleEndian
                    w += 1
                    filled -= 64
                    acc = filled == 0 ? 0 : v &>> UInt64(width - filled)
                }
            }
            if filled > 0 { words[w] = acc.littleEndian }
        }
    }

    /// Unpacks `count` values of `width` bits from `payload`, calling `sink(i, value)`.
    /// The caller has checked that `payload` holds `byteCount(count:width:)` bytes.
    @inlinable
    public static func unpack(_ payload: UnsafeRawBufferPointer, count: Int, width: Int, _ sink: (Int, UInt64) -> Void) {
        precondition(payload.count >= byteCount(count: count, width: width), "bit-packed payload too short")
        if width == 0 {
            for i in 0..<count { sink(i, 0) }
            return
        }
        let mask: UInt64 = width == 64 ? ~0 : (1 << UInt64(width)) - 1
        let nwords = payload.count / 8
        let base = payload.baseAddress!
        var bit = 0
        for i in 0..<count {
            let word = bit >> 6
            let shift = bit & 63
            var v = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: word * 8, as: UInt64.self)) &>> UInt64(shift)
            if shift + width > 64 && word + 1 < nwords {
                let next = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: (word + 1) * 8, as: UInt64.self))
                v |= next &<< UInt64(64 - shift)
            }
            sink(i, v & mask)
            bit += width
        }
    }

    /// Unpacks only the values at the positions in `ranges` (each within `0..<count`), range by
    /// range, calling `sink(value)` for each: selective decoding, which reads just the words those
    /// values occupy. The caller has checked that `payload` holds `byteCount(count:width:)` bytes.
    @inlinable
    public static func gather(
        _ payload: UnsafeRawBufferPointer, count: Int, width: Int, ranges: some Sequence<Range<Int>>, _ sink: (UInt64) -> Void
    ) {
        precondition(payload.count >= byteCount(count: count, width: width), "bit-packed payload too short")
        let mask: UInt64 = width == 64 ? ~0 : (1 << UInt64(width)) - 1
        let nwords = payload.count / 8
        let base = payload.baseAddress
        for r in ranges {
            precondition(r.lowerBound >= 0 && r.upperBound <= count, "positions outside the packed values")
            if width == 0 {
                for _ in r { sink(0) }
                continue
            }
            var bit = r.lowerBound &* width
            for _ in r {
                let word = bit &>> 6
                let shift = bit & 63
                var v = UInt64(littleEndian: base!.loadUnaligned(fromByteOffset: word &* 8, as: UInt64.self)) &>> UInt64(shift)
                if shift &+ width > 64 && word &+ 1 < nwords {
                    v |=
                        UInt64(littleEndian: base!.loadUnaligned(fromByteOffset: (word &+ 1) &* 8, as: UInt64.self)) &<< UInt64(64 &- shift)
                }
                sink(v & mask)
                bit &+= width
            }
        }
    }

    /// Unpacks `count` values and writes `base + value` as Int32 into `out` (which holds `count`
    /// elements); the caller has checked the payload size and that results fit Int32. Returns
    /// the smallest and largest value written.
    @inlinable
    @discardableResult
    public static func unpackInt32(
        _ payload: UnsafeRawBufferPointer, count: Int, width: Int, base: Int64,
        into out: UnsafeMutablePointer<Int32>
    ) -> (min: Int32, max: Int32) {
        precondition(payload.count >= byteCount(count: count, width: width), "bit-packed payload too short")
        if count == 0 { return (0, -1) }
        if width == 0 {
            let v = Int32(truncatingIfNeeded: base)
            for i in 0..<count { out[i] = v }
            return (v, v)
        }
        let mask: UInt64 = width == 64 ? ~0 : (1 << UInt64(width)) - 1
        let words = payload.baseAddress!
        let nwords = payload.count / 8
        let b = UInt64(bitPattern: base)
        var lo = UInt64.max
        var hi = UInt64.min
        var bit = 0
        var i = 0
        if width <= 56 && payload.count >= 8 {
            // One unaligned load per value: its bits start inside the loaded word's first byte and
            // span at most 7 + 56 bits, while 8 bytes remain from that byte.
            let safe = min(count, ((payload.count - 8) * 8 + 7) / width + 1)
            while i < safe {
                let v = (UInt64(littleEndian: words.loadUnaligned(fromByteOffset: bit &>> 3, as: UInt64.self)) &>> UInt64(bit & 7)) & mask
                if v < lo { lo = v }
                if v > hi { hi = v }
                out[i] = Int32(truncatingIfNeeded: v &+ b)
                bit &+= width
                i &+= 1
            }
        }
        // Branch-free body: two word loads per value while a following word exists.
        let safe = max(0, min(count, ((nwords - 1) * 64) / width))
        while i < safe {
            let word = bit &>> 6
            let shift = UInt64(bit & 63)
            let w0 = UInt64(littleEndian: words.loadUnaligned(fromByteOffset: word &* 8, as: UInt64.self))
            let w1 = UInt64(littleEndian: words.loadUnaligned(fromByteOffset: word &* 8 &+ 8, as: UInt64.self))
            let v = ((w0 &>> shift) | ((w1 &<< 1) &<< (63 &- shift))) & mask
            if v < lo { lo = v }
            if v > hi { hi = v }
            out[i] = Int32(truncatingIfNeeded: v &+ b)
            bit &+= width
            i &+= 1
        }
        while i < count {
            let word = bit >> 6
            let shift = bit & 63
            var v = UInt64(littleEndian: words.loadUnaligned(fromByteOffset: word &* 8, as: UInt64.self)) &>> UInt64(shift)
            if shift &+ width > 64 && word &+ 1 < nwords {
                v |= UInt64(littleEndian: words.loadUnaligned(fromByteOffset: (word &+ 1) &* 8, as: UInt64.self)) &<< UInt64(64 &- shift)
            }
            v &= mask
            if v < lo { lo = v }
            if v > hi { hi = v }
            out[i] = Int32(truncatingIfNeeded: v &+ b)
            bit &+= width
            i &+= 1
        }
        return (Int32(truncatingIfNeeded: lo &+ b), Int32(truncatingIfNeeded: hi &+ b))
    }

    /// Unpacks `count` values and writes `base &+ value` into `out` (which holds `count` elements);
    /// the caller has checked the payload size.
    @inlinable
    public static func unpackInt64(
        _ payload: UnsafeRawBufferPointer, count: Int, width: Int, base: Int64,
        into out: UnsafeMutablePointer<Int64>
    ) {
        precondition(payload.count >= byteCount(count: count, width: width), "bit-packed payload too short")
        if count == 0 { return }
        if width == 0 {
            for i in 0..<count { out[i] = base }
            return
        }
        let mask: UInt64 = width == 64 ? ~0 : (1 << UInt64(width)) - 1
        let words = payload.baseAddress!
        let nwords = payload.count / 8
        var bit = 0
        var i = 0
        let safe = max(0, min(count, ((nwords - 1) * 64) / width))
        while i < safe {
            let word = bit &>> 6
            let shift = UInt64(bit & 63)
            let w0 = UInt64(littleEndian: words.loadUnaligned(fromByteOffset: word &* 8, as: UInt64.self))
            let w1 = UInt64(littleEndian: words.loadUnaligned(fromByteOffset: word &* 8 &+ 8, as: UInt64.self))
            out[i] = base &+ Int64(bitPattern: ((w0 &>> shift) | ((w1 &<< 1) &<< (63 &- shift))) & mask)
            bit &+= width
            i &+= 1
        }
        while i < count {
            let word = bit >> 6
            let shift = bit & 63
            var v = UInt64(littleEndian: words.loadUnaligned(fromByteOffset: word &* 8, as: UInt64.self)) &>> UInt64(shift)
            if shift &+ width > 64 && word &+ 1 < nwords {
                v |= UInt64(littleEndian: words.loadUnaligned(fromByteOffset: (word &+ 1) &* 8, as: UInt64.self)) &<< UInt64(64 &- shift)
            }
            out[i] = base &+ Int64(bitPattern: v & mask)
            bit &+= width
            i &+= 1
        }
    }
}
