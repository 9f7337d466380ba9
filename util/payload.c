/* payload.c - deterministic payload bytes (see payload.h). */
#include "util/payload.h"
#include "util/pcg32.h"

#include <string.h>

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static uint64_t payload_seed(uint64_t seed, const char *key, const char *wid)
{
    uint64_t h = bc_mix64(seed);
    h = bc_mix64(h ^ bc_hash_bytes(key, strlen(key)));
    return bc_mix64(h ^ bc_hash_bytes(wid, strlen(wid)));
}

void bc_payload(uint64_t seed, const char *key, const char *wid, size_t len, char *out)
{
    uint64_t x = payload_seed(seed, key, wid);
    for (size_t i = 0; i < len; i++) {
        if (i % 8 == 0) x = bc_mix64(x + i);
        out[i] = ALPHABET[(x >> ((i % 8) * 8)) % 62];
    }
    out[len] = '\0';
}

int bc_payload_matches(uint64_t seed, const char *key, const char *wid, const char *s, size_t len)
{
    uint64_t x = payload_seed(seed, key, wid);
    size_t i = 0;
    /* Whole blocks of eight (the bytes bc_payload writes from one mix) compared at once. */
    for (; i + 8 <= len; i += 8) {
        x = bc_mix64(x + i);
        char want[8];
        for (int j = 0; j < 8; j++)
            want[j] = ALPHABET[(x >> (j * 8)) % 62];
        if (memcmp(s + i, want, 8) != 0) return 0;
    }
    for (; i < len; i++) {
        if (i % 8 == 0) x = bc_mix64(x + i);
        if (s[i] != ALPHABET[(x >> ((i % 8) * 8)) % 62]) return 0;
    }
    return 1;
}
