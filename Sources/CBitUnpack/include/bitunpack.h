// Bit unpacking with AVX-512 (VBMI): 16 values of a bit-packed column per step, for widths of
// 1 to 25 bits. Called by ColumnarFormat's BitPacking, which checks the bounds and finishes the
// values this kernel leaves (the tail, and every value where the CPU lacks the instructions).
#ifndef RECEVAL_BITUNPACK_H
#define RECEVAL_BITUNPACK_H

#include <stddef.h>
#include <stdint.h>

/// Whether this CPU (and the operating system) runs the AVX-512 VBMI kernel: decided once, by
/// CPUID and XGETBV.
int receval_unpack_simd_available(void);

/// Unpacks `steps` × 16 values of `width` bits (1...25) from the little-endian bit stream at `p`,
/// writing `base + value` (mod 2^32) to `out[0 ..< 16·steps]` and lowering `*lo` / raising `*hi`
/// to the smallest / largest value (before `base` is added). Step k reads the 64 bytes at
/// `p + 2·k·width`: the caller guarantees they are readable. Only call when
/// `receval_unpack_simd_available()` returned 1.
void receval_unpack32_simd(
    const uint8_t *p, size_t steps, int width, uint32_t base, int32_t *out, uint32_t *lo, uint32_t *hi);

/// `receval_unpack32_simd` for Int64 columns: writes `base + value` (mod 2^64) to
/// `out[0 ..< 16·steps]`, with no minimum or maximum. Same reads, same preconditions.
void receval_unpack64_simd(const uint8_t *p, size_t steps, int width, int64_t base, int64_t *out);

#endif
