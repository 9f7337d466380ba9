/* pcg32.c - PCG32 XSH RR generator (see pcg32.h for the source of the algorithm). */
#include "util/pcg32.h"

#define PCG32_MULT 6364136223846793005ULL

uint32_t pcg32_next(pcg32 *rng)
{
    uint64_t old = rng->state;
    rng->state = old * PCG32_MULT + rng->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

void pcg32_seed(pcg32 *rng, uint64_t initstate, uint64_t stream)
{
    rng->state = 0U;
    rng->inc = (stream << 1u) | 1u;
    pcg32_next(rng);
    rng->state += initstate;
    pcg32_next(rng);
}

uint32_t pcg32_bounded(pcg32 *rng, uint32_t bound)
{
    /* Rejection sampling as in the reference pcg32_boundedrand_r. */
    uint32_t threshold = (uint32_t)(-bound) % bound;
    for (;;) {
        uint32_t r = pcg32_next(rng);
        if (r >= threshold) return r % bound;
    }
}

uint64_t pcg32_next64(pcg32 *rng)
{
    uint64_t hi = pcg32_next(rng);
    return (hi << 32) | pcg32_next(rng);
}

double pcg32_double(pcg32 *rng)
{
    return (double)(pcg32_next64(rng) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t bc_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t bc_hash_bytes(const void *data, unsigned long len)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ULL;
    for (unsigned long i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}
