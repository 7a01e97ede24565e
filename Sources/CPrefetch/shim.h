// Cache prefetch hints for the scan kernels: a scan that will read a random cell of a large
// table a few iterations from now asks for its cache line early, so several misses overlap
// instead of stalling one after another. A hint only: it never faults and changes no result.
#ifndef RECEVAL_PREFETCH_H
#define RECEVAL_PREFETCH_H

static inline void receval_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }
static inline void receval_prefetch_write(const void *p) { __builtin_prefetch(p, 1, 3); }

#endif
