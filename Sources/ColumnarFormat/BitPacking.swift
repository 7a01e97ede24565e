import CBitUnpack

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
            // The payload need not be 8-byte aligned in `out` (bytes may precede it): stores are
            // unaligned ones.
            let payload = raw.baseAddress! + start
            @inline(__always) func store(_ word: UInt64, at w: Int) {
                payload.storeBytes(of: word.littleEndian, toByteOffset: w &* 8, as: UInt64.self)
            }
            if width < 64 {
                // Branch-free: the word being filled is stored after every value (again until
                // it is full), and the word index and fill move by selects, not by a branch
                // that a width not dividing 64 makes unpredictable.
                let wd = UInt64(width)
                var acc: UInt64 = 0
                var filled: UInt64 = 0
                var w = 0
                for i in 0..<count {
                    let v = value(i)
                    let merged = acc | (v &<< filled)
                    store(merged, at: w)
                    let next = filled &+ wd
                    let full = next >= 64
                    // Full: `filled >= 64 - width >= 1`, so the shift is 1-63.
                    acc = full ? v &>> (64 &- filled) : merged
                    filled = full ? next &- 64 : next
                    w &+= full ? 1 : 0
                }
                if filled > 0 { store(acc, at: w) }
                return
            }
            var acc: UInt64 = 0
            var filled = 0
            var w = 0
            for i in 0..<count {
                let v = value(i)
                acc |= v &<< UInt64(filled)
                filled += width
                if filled >= 64 {
                    store(acc, at: w)
                    w += 1
                    filled -= 64
                    acc = filled == 0 ? 0 : v &>> UInt64(width - filled)
                }
            }
            if filled > 0 { store(acc, at: w) }
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
            var i = r.lowerBound
            if width <= 56 {
                // One unaligned load per value while 8 bytes remain from its first byte (its bits
                // span at most 7 + 56 bits of them), as in `unpackInt32`.
                let end = Swift.min(r.upperBound, oneLoadCount(payloadBytes: payload.count, width: width))
                while i < end {
                    sink((UInt64(littleEndian: base!.loadUnaligned(fromByteOffset: bit &>> 3, as: UInt64.self)) &>> UInt64(bit & 7)) & mask)
                    bit &+= width
                    i &+= 1
                }
            }
            while i < r.upperBound {
                i &+= 1
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

    /// How many values from the start can be read with one unaligned 8-byte load from their first
    /// byte (their bits start inside it and span at most 7 + 56 bits, so widths up to 56): those
    /// whose first byte has 8 bytes of the payload from it.
    @inlinable
    static func oneLoadCount(payloadBytes: Int, width: Int) -> Int {
        payloadBytes < 8 ? 0 : ((payloadBytes - 8) * 8 + 7) / width + 1
    }

    /// The whole blocks of 8 values the per-width block loops take: block k reads bytes
    /// [k·width, k·width + 7·width/8 + 8), so only blocks whose reads stay inside the payload.
    @inlinable
    static func blockCount(count: Int, width: Int, payloadBytes: Int) -> Int {
        let room = payloadBytes - 8 - (7 * width) / 8
        return room < 0 ? 0 : min(count / 8, room / width + 1)
    }

    /// The 16-value steps the vector kernel takes (0 when it does not apply: no kernel on this
    /// CPU, widths above 25, fewer than 16 values): step k reads the 64 bytes from 2·k·width, so
    /// only whole steps whose reads stay inside the payload; the scalar loops finish the rest.
    @inlinable
    static func vectorSteps(count: Int, width: Int, payloadBytes: Int, vector: Bool) -> Int {
        guard vector && vectorUnpacking && width >= 1 && width <= 25 && count >= 16 && payloadBytes >= 64 else { return 0 }
        return min(count / 16, (payloadBytes - 64) / (2 * width) + 1)
    }

    /// Whether `unpackInt32` and `unpackInt64` run 16 values a step with AVX-512 VBMI
    /// (CBitUnpack) for widths up to 25 bits: decided once from the CPU. The kernel and the
    /// scalar loops give the same values, minimum and maximum (tested on every width against
    /// the scalar path).
    public static let vectorUnpacking = receval_unpack_simd_available() != 0

    /// Unpacks `count` values and writes `base + value` as Int32 into `out` (which holds `count`
    /// elements); the caller has checked the payload size and that results fit Int32. Returns
    /// the smallest and largest value written.
    @inlinable
    @discardableResult
    public static func unpackInt32(
        _ payload: UnsafeRawBufferPointer, count: Int, width: Int, base: Int64,
        into out: UnsafeMutablePointer<Int32>
    ) -> (min: Int32, max: Int32) {
        unpackInt32(payload, count: count, width: width, base: base, into: out, vector: vectorUnpacking)
    }

    /// `unpackInt32`, with the vector kernel allowed or not (`vector: false` is the scalar
    /// reference the tests compare it with; `vector: true` still takes the scalar path on a CPU
    /// without the instructions).
    @inlinable
    @discardableResult
    public static func unpackInt32(
        _ payload: UnsafeRawBufferPointer, count: Int, width: Int, base: Int64,
        into out: UnsafeMutablePointer<Int32>, vector: Bool
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
        let steps = vectorSteps(count: count, width: width, payloadBytes: payload.count, vector: vector)
        if steps > 0 {
            var low = UInt32.max
            var high = UInt32.min
            receval_unpack32_simd(
                words.assumingMemoryBound(to: UInt8.self), steps, Int32(width), UInt32(truncatingIfNeeded: b), out, &low, &high)
            lo = UInt64(low)
            hi = UInt64(high)
            i = steps * 16
            bit = i * width
        } else if width <= 32 {
            // Blocks of 8 values, each starting on a byte boundary (8 × width bits = width bytes),
            // unpacked by a loop specialised for the width: every shift and offset a constant; the
            // loops below finish what `blockCount` leaves.
            let blocks = blockCount(count: count, width: width, payloadBytes: payload.count)
            switch width {
            case 1: unpackBlocks(words, blocks, 1, b, out, &lo, &hi)
            case 2: unpackBlocks(words, blocks, 2, b, out, &lo, &hi)
            case 3: unpackBlocks(words, blocks, 3, b, out, &lo, &hi)
            case 4: unpackBlocks(words, blocks, 4, b, out, &lo, &hi)
            case 5: unpackBlocks(words, blocks, 5, b, out, &lo, &hi)
            case 6: unpackBlocks(words, blocks, 6, b, out, &lo, &hi)
            case 7: unpackBlocks(words, blocks, 7, b, out, &lo, &hi)
            case 8: unpackBlocks(words, blocks, 8, b, out, &lo, &hi)
            case 9: unpackBlocks(words, blocks, 9, b, out, &lo, &hi)
            case 10: unpackBlocks(words, blocks, 10, b, out, &lo, &hi)
            case 11: unpackBlocks(words, blocks, 11, b, out, &lo, &hi)
            case 12: unpackBlocks(words, blocks, 12, b, out, &lo, &hi)
            case 13: unpackBlocks(words, blocks, 13, b, out, &lo, &hi)
            case 14: unpackBlocks(words, blocks, 14, b, out, &lo, &hi)
            case 15: unpackBlocks(words, blocks, 15, b, out, &lo, &hi)
            case 16: unpackBlocks(words, blocks, 16, b, out, &lo, &hi)
            case 17: unpackBlocks(words, blocks, 17, b, out, &lo, &hi)
            case 18: unpackBlocks(words, blocks, 18, b, out, &lo, &hi)
            case 19: unpackBlocks(words, blocks, 19, b, out, &lo, &hi)
            case 20: unpackBlocks(words, blocks, 20, b, out, &lo, &hi)
            case 21: unpackBlocks(words, blocks, 21, b, out, &lo, &hi)
            case 22: unpackBlocks(words, blocks, 22, b, out, &lo, &hi)
            case 23: unpackBlocks(words, blocks, 23, b, out, &lo, &hi)
            case 24: unpackBlocks(words, blocks, 24, b, out, &lo, &hi)
            case 25: unpackBlocks(words, blocks, 25, b, out, &lo, &hi)
            case 26: unpackBlocks(words, blocks, 26, b, out, &lo, &hi)
            case 27: unpackBlocks(words, blocks, 27, b, out, &lo, &hi)
            case 28: unpackBlocks(words, blocks, 28, b, out, &lo, &hi)
            case 29: unpackBlocks(words, blocks, 29, b, out, &lo, &hi)
            case 30: unpackBlocks(words, blocks, 30, b, out, &lo, &hi)
            case 31: unpackBlocks(words, blocks, 31, b, out, &lo, &hi)
            default: unpackBlocks(words, blocks, 32, b, out, &lo, &hi)
            }
            i = blocks * 8
            bit = i * width
        }
        if width <= 56 && payload.count >= 8 {
            // One unaligned load per value: its bits start inside the loaded word's first byte and
            // span at most 7 + 56 bits, while 8 bytes remain from that byte.
            let safe = min(count, oneLoadCount(payloadBytes: payload.count, width: width))
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

    /// `blocks` blocks of 8 values of `width` (1...32) bits from `p` into `out`, as `base &+ value`
    /// truncated to Int32, tracking the smallest and largest value. Inlined (it is transparent)
    /// into a call with a
    /// literal width, every offset, shift and mask below is a constant, and each value costs one
    /// load, shift, mask and store.
    @_transparent
    @usableFromInline
    static func unpackBlocks(
        _ p: UnsafeRawPointer, _ blocks: Int, _ width: Int, _ base: UInt64, _ out: UnsafeMutablePointer<Int32>,
        _ lo: inout UInt64, _ hi: inout UInt64
    ) {
        let mask: UInt64 = (1 << UInt64(width)) - 1
        var low = lo
        var high = hi
        for k in 0..<blocks {
            let q = p + k &* width
            let o = out + k &* 8
            for j in 0..<8 {
                let bit = j &* width
                let v = (UInt64(littleEndian: q.loadUnaligned(fromByteOffset: bit &>> 3, as: UInt64.self)) &>> UInt64(bit & 7)) & mask
                low = Swift.min(low, v)
                high = Swift.max(high, v)
                o[j] = Int32(truncatingIfNeeded: v &+ base)
            }
        }
        lo = low
        hi = high
    }

    /// `blocks` blocks of 8 values of `width` (1...56) bits from `p` into `out`, as `base &+ value`:
    /// `unpackBlocks` for Int64 values (8 values start on a byte boundary, and a value's bits
    /// lie within the 8 bytes loaded from its first byte). The two loops and their per-width
    /// switches stay written out: one generic loop with a store closure, dispatched through one
    /// shared switch, made the join's decoding 5-10% slower (the closure was not specialised).
    @_transparent
    @usableFromInline
    static func unpackBlocks(_ p: UnsafeRawPointer, _ blocks: Int, _ width: Int, _ base: Int64, _ out: UnsafeMutablePointer<Int64>) {
        let mask: UInt64 = (1 << UInt64(width)) - 1
        for k in 0..<blocks {
            let q = p + k &* width
            let o = out + k &* 8
            for j in 0..<8 {
                let bit = j &* width
                let v = (UInt64(littleEndian: q.loadUnaligned(fromByteOffset: bit &>> 3, as: UInt64.self)) &>> UInt64(bit & 7)) & mask
                o[j] = base &+ Int64(bitPattern: v)
            }
        }
    }

    /// Unpacks `count` values and writes `base &+ value` into `out` (which holds `count` elements);
    /// the caller has checked the payload size.
    @inlinable
    public static func unpackInt64(
        _ payload: UnsafeRawBufferPointer, count: Int, width: Int, base: Int64,
        into out: UnsafeMutablePointer<Int64>
    ) {
        unpackInt64(payload, count: count, width: width, base: base, into: out, vector: vectorUnpacking)
    }

    /// `unpackInt64`, with the vector kernel allowed or not (`vector: false` is the scalar
    /// reference the tests compare it with; `vector: true` still takes the scalar path on a CPU
    /// without the instructions).
    @inlinable
    public static func unpackInt64(
        _ payload: UnsafeRawBufferPointer, count: Int, width: Int, base: Int64,
        into out: UnsafeMutablePointer<Int64>, vector: Bool
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
        let steps = vectorSteps(count: count, width: width, payloadBytes: payload.count, vector: vector)
        if steps > 0 {
            receval_unpack64_simd(words.assumingMemoryBound(to: UInt8.self), steps, Int32(width), base, out)
            i = steps * 16
            bit = i * width
        } else if width <= 56 {
            // Blocks of 8 values by a loop specialised for the width, as in `unpackInt32`.
            let blocks = blockCount(count: count, width: width, payloadBytes: payload.count)
            switch width {
            case 1: unpackBlocks(words, blocks, 1, base, out)
            case 2: unpackBlocks(words, blocks, 2, base, out)
            case 3: unpackBlocks(words, blocks, 3, base, out)
            case 4: unpackBlocks(words, blocks, 4, base, out)
            case 5: unpackBlocks(words, blocks, 5, base, out)
            case 6: unpackBlocks(words, blocks, 6, base, out)
            case 7: unpackBlocks(words, blocks, 7, base, out)
            case 8: unpackBlocks(words, blocks, 8, base, out)
            case 9: unpackBlocks(words, blocks, 9, base, out)
            case 10: unpackBlocks(words, blocks, 10, base, out)
            case 11: unpackBlocks(words, blocks, 11, base, out)
            case 12: unpackBlocks(words, blocks, 12, base, out)
            case 13: unpackBlocks(words, blocks, 13, base, out)
            case 14: unpackBlocks(words, blocks, 14, base, out)
            case 15: unpackBlocks(words, blocks, 15, base, out)
            case 16: unpackBlocks(words, blocks, 16, base, out)
            case 17: unpackBlocks(words, blocks, 17, base, out)
            case 18: unpackBlocks(words, blocks, 18, base, out)
            case 19: unpackBlocks(words, blocks, 19, base, out)
            case 20: unpackBlocks(words, blocks, 20, base, out)
            case 21: unpackBlocks(words, blocks, 21, base, out)
            case 22: unpackBlocks(words, blocks, 22, base, out)
            case 23: unpackBlocks(words, blocks, 23, base, out)
            case 24: unpackBlocks(words, blocks, 24, base, out)
            case 25: unpackBlocks(words, blocks, 25, base, out)
            case 26: unpackBlocks(words, blocks, 26, base, out)
            case 27: unpackBlocks(words, blocks, 27, base, out)
            case 28: unpackBlocks(words, blocks, 28, base, out)
            case 29: unpackBlocks(words, blocks, 29, base, out)
            case 30: unpackBlocks(words, blocks, 30, base, out)
            case 31: unpackBlocks(words, blocks, 31, base, out)
            case 32: unpackBlocks(words, blocks, 32, base, out)
            case 33: unpackBlocks(words, blocks, 33, base, out)
            case 34: unpackBlocks(words, blocks, 34, base, out)
            case 35: unpackBlocks(words, blocks, 35, base, out)
            case 36: unpackBlocks(words, blocks, 36, base, out)
            case 37: unpackBlocks(words, blocks, 37, base, out)
            case 38: unpackBlocks(words, blocks, 38, base, out)
            case 39: unpackBlocks(words, blocks, 39, base, out)
            case 40: unpackBlocks(words, blocks, 40, base, out)
            case 41: unpackBlocks(words, blocks, 41, base, out)
            case 42: unpackBlocks(words, blocks, 42, base, out)
            case 43: unpackBlocks(words, blocks, 43, base, out)
            case 44: unpackBlocks(words, blocks, 44, base, out)
            case 45: unpackBlocks(words, blocks, 45, base, out)
            case 46: unpackBlocks(words, blocks, 46, base, out)
            case 47: unpackBlocks(words, blocks, 47, base, out)
            case 48: unpackBlocks(words, blocks, 48, base, out)
            case 49: unpackBlocks(words, blocks, 49, base, out)
            case 50: unpackBlocks(words, blocks, 50, base, out)
            case 51: unpackBlocks(words, blocks, 51, base, out)
            case 52: unpackBlocks(words, blocks, 52, base, out)
            case 53: unpackBlocks(words, blocks, 53, base, out)
            case 54: unpackBlocks(words, blocks, 54, base, out)
            case 55: unpackBlocks(words, blocks, 55, base, out)
            default: unpackBlocks(words, blocks, 56, base, out)
            }
            i = blocks * 8
            bit = i * width
        }
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
