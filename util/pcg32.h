/*
 * pcg32.h - PCG32 (XSH RR 64/32), from M. E. O'Neill's published algorithm
 * (pcg-random.org, "PCG: A Family of Simple Fast Space-Efficient Statistically Good
 * Algorithms for Random Number Generation", 2014). One generator per thread: the
 * struct is plain state, never shared.
 */
#ifndef BC_PCG32_H
#define BC_PCG32_H
#include <stdint.h>

typedef struct pcg32 {
    uint64_t state;
    uint64_t inc; /* stream selector, always odd */
} pcg32;

void pcg32_seed(pcg32 *rng, uint64_t initstate, uint64_t stream);
uint32_t pcg32_next(pcg32 *rng);
/* Uniform in [0, bound) without modulo bias (bound > 0). */
uint32_t pcg32_bounded(pcg32 *rng, uint32_t bound);
/* Uniform 64-bit value from two draws. */
uint64_t pcg32_next64(pcg32 *rng);
/* Uniform double in [0, 1). */
double pcg32_double(pcg32 *rng);
/* A stateless 64-bit mix (SplitMix64 finalizer) for deriving seeds and payload bytes. */
uint64_t bc_mix64(uint64_t x);
/* FNV-1a over bytes, for hashing keys into seeds/partitions. */
uint64_t bc_hash_bytes(const void *data, unsigned long len);
#endif
