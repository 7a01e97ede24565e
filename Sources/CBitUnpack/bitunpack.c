#include "bitunpack.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

static int detect(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    // OSXSAVE, then the OS saves the opmask and ZMM state (XCR0 bits 1, 2, 5, 6, 7).
    if (!(c & (1u << 27))) return 0;
    unsigned xlo, xhi;
    __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
    if ((xlo & 0xE6) != 0xE6) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int f = (b >> 16) & 1;      // AVX512F
    int bw = (b >> 30) & 1;     // AVX512BW
    int vbmi = (c >> 1) & 1;    // AVX512_VBMI
    return f && bw && vbmi;
}

int receval_unpack_simd_available(void) {
    static int cached = -1;  // a benign race: every thread computes the same answer
    int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (v < 0) {
        v = detect();
        __atomic_store_n(&cached, v, __ATOMIC_RELAXED);
    }
    return v;
}

#define RECEVAL_AVX512 __attribute__((target("avx512f,avx512bw,avx512vbmi")))

/// What puts value i of a 16-value step of `width` bits into lane i: its bits start at byte
/// (i·width)/8, shift (i·width)%8, and with width <= 25 they lie within the 4 bytes from there.
struct step {
    __m512i perm;   // lane i's 4 bytes: (i·width)/8 + 0...3
    __m512i shift;  // lane i: (i·width) % 8
    __m512i mask;   // width low bits
    size_t stride;  // bytes per step: 16 values × width bits
};

RECEVAL_AVX512 static struct step step_for(int width) {
    uint8_t index[64];
    uint32_t shift[16];
    for (int i = 0; i < 16; i++) {
        int bit = i * width;
        for (int j = 0; j < 4; j++) index[4 * i + j] = (uint8_t)(bit / 8 + j);
        shift[i] = (uint32_t)(bit % 8);
    }
    struct step s = {
        _mm512_loadu_si512((const void *)index), _mm512_loadu_si512((const void *)shift),
        _mm512_set1_epi32((int)((1u << width) - 1)), 2 * (size_t)width};
    return s;
}

/// The 16 values of step k, one per 32-bit lane, before the base is added.
RECEVAL_AVX512 static inline __m512i step_values(const uint8_t *p, size_t k, const struct step *s) {
    __m512i bytes = _mm512_loadu_si512((const void *)(p + k * s->stride));
    return _mm512_and_si512(_mm512_srlv_epi32(_mm512_permutexvar_epi8(s->perm, bytes), s->shift), s->mask);
}

RECEVAL_AVX512
void receval_unpack32_simd(
    const uint8_t *p, size_t steps, int width, uint32_t base, int32_t *out, uint32_t *lo, uint32_t *hi) {
    const struct step s = step_for(width);
    const __m512i b = _mm512_set1_epi32((int)base);
    __m512i vlo = _mm512_set1_epi32((int)*lo);
    __m512i vhi = _mm512_set1_epi32((int)*hi);
    for (size_t k = 0; k < steps; k++) {
        __m512i v = step_values(p, k, &s);
        vlo = _mm512_min_epu32(vlo, v);
        vhi = _mm512_max_epu32(vhi, v);
        _mm512_storeu_si512((void *)(out + 16 * k), _mm512_add_epi32(v, b));
    }
    *lo = (uint32_t)_mm512_reduce_min_epu32(vlo);
    *hi = (uint32_t)_mm512_reduce_max_epu32(vhi);
}

RECEVAL_AVX512
void receval_unpack64_simd(const uint8_t *p, size_t steps, int width, int64_t base, int64_t *out) {
    const struct step s = step_for(width);
    const __m512i b = _mm512_set1_epi64(base);
    for (size_t k = 0; k < steps; k++) {
        __m512i v = step_values(p, k, &s);
        __m512i low = _mm512_cvtepu32_epi64(_mm512_castsi512_si256(v));
        __m512i high = _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(v, 1));
        _mm512_storeu_si512((void *)(out + 16 * k), _mm512_add_epi64(low, b));
        _mm512_storeu_si512((void *)(out + 16 * k + 8), _mm512_add_epi64(high, b));
    }
}

#else

int receval_unpack_simd_available(void) { return 0; }

void receval_unpack64_simd(const uint8_t *p, size_t steps, int width, int64_t base, int64_t *out) {
    (void)p; (void)steps; (void)width; (void)base; (void)out;
}

void receval_unpack32_simd(
    const uint8_t *p, size_t steps, int width, uint32_t base, int32_t *out, uint32_t *lo, uint32_t *hi) {
    (void)p; (void)steps; (void)width; (void)base; (void)out; (void)lo; (void)hi;
}

#endif
