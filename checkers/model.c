/*
 * model.c - loads a run directory into the compact model the checkers share
 * (chk_internal.h): scenario.json, the guarantee profile, backups.jsonl merged by
 * (type, id), and history.jsonl into interned keys and 40-byte write records stored in
 * (key, write id) order.
 */
#define _GNU_SOURCE /* mremap: moving placed chunks' pages under the key-ordered array */
#include "checkers/chk_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "util/log.h"
#include "util/pcg32.h"

/* AWS documents the on-demand backup window as one minute each side of the request
 * (CreateBackup, AWS-FACTS.md 1.1). */
#define CHK_AWS_WINDOW_NS (60LL * 1000000000LL)

/* ---------------------------------------------------------------- key table */

/* The slot table holds (hash tag << 32 | arena offset); an arena entry is
 * [u32 id][u32 len][bytes][NUL], so a lookup touches one slot and one arena entry: two
 * cache misses on a table far larger than the cache (1M keys), instead of three.
 *
 * A key is held by the (prefix, worker, n) index or by the slot table, or both: a key the
 * index caches when it is first met never enters the slot table, so the workloads' keys
 * cost one index entry each and no hashing (chk_internal.h). */
#define KT_HDR 8

int chk_keytab_init(chk_keytab *kt)
{
    memset(kt, 0, sizeof *kt);
    kt->nslots = 1024;
    kt->slots = calloc(kt->nslots, sizeof *kt->slots);
    kt->arena_cap = 1 << 16;
    kt->arena = malloc(kt->arena_cap);
    kt->arena_len = KT_HDR; /* offset 0 means an empty slot */
    return kt->slots && kt->arena ? 0 : -1;
}

void chk_keytab_free(chk_keytab *kt)
{
    for (int i = 0; i < kt->nkidx; i++) {
        for (uint32_t w = 0; w < kt->kidx[i].nlanes; w++)
            free(kt->kidx[i].lanes[w].ids);
        free(kt->kidx[i].lanes);
    }
    free(kt->keys);
    free(kt->slots);
    free(kt->arena);
    memset(kt, 0, sizeof *kt);
}

static uint64_t key_hash(const char *s, size_t len)
{
    /* FNV-1a, then mixed so that both the slot bits and the tag bits are well spread. */
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    return h;
}

static inline int slot_match(const chk_keytab *kt, uint64_t slot, uint32_t tag, const char *s,
                             size_t len)
{
    if ((uint32_t)(slot >> 32) != tag) return 0;
    const char *e = kt->arena + (uint32_t)slot;
    uint32_t elen;
    memcpy(&elen, e + 4, 4);
    return elen == len && memcmp(e + KT_HDR, s, len) == 0;
}

static inline uint32_t slot_id(const chk_keytab *kt, uint64_t slot)
{
    uint32_t id;
    memcpy(&id, kt->arena + (uint32_t)slot, 4);
    return id;
}

/* The slot table's entry for s: its id, or -1 with *at set to the empty slot ending the
 * probe. */
static inline int64_t hash_find(const chk_keytab *kt, const char *s, size_t len, uint32_t *at)
{
    uint64_t h = key_hash(s, len);
    uint32_t mask = kt->nslots - 1, i = (uint32_t)h & mask, tag = (uint32_t)(h >> 32);
    for (;;) {
        uint64_t v = kt->slots[i];
        if (!v) break;
        if (slot_match(kt, v, tag, s, len)) return slot_id(kt, v);
        i = (i + 1) & mask;
    }
    if (at) *at = i;
    return -1;
}

/* ---- the (prefix, worker, n) index (chk_internal.h) */

/* kidx_nums for the common shape, read with one 8-byte load that ends at e: the digits of
 * n are the load's top bytes (1 to 7 of them, after a '/') and the worker is one or two
 * digits before that '/'. Answers 1 with both numbers when the name has that shape in
 * canonical decimal, 0 for anything else (the byte-wise reader then decides, so a
 * rejection is always its). s..e is the whole name, which must be 8 bytes or more. */
static inline int kidx_nums_word(const char *s, const char *q, const char *e, uint32_t *worker,
                                 uint32_t *n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (e - s < 8) return 0;
    uint64_t x, t, m;
    memcpy(&x, e - 8, 8);
    t = x ^ 0x3030303030303030ULL;
    m = ((t + 0x7676767676767676ULL) | t) & 0x8080808080808080ULL; /* non-digit bytes */
    if (!m) return 0;                                              /* 8 digits or more */
    int nd = __builtin_clzll(m) >> 3; /* digits at the end of the name */
    if (nd == 0) return 0;
    const char *d = e - nd, *slash = d - 1; /* slash is inside the load: nd <= 7 */
    if (*slash != '/' || (nd > 1 && *d == '0')) return 0;
    uint32_t w;
    if (slash - q == 1 && q[0] >= '0' && q[0] <= '9')
        w = (uint32_t)(q[0] - '0');
    else if (slash - q == 2 && q[0] >= '1' && q[0] <= '9' && q[1] >= '0' && q[1] <= '9')
        w = (uint32_t)(q[0] - '0') * 10 + (uint32_t)(q[1] - '0');
    else
        return 0;
    *worker = w;
    *n = (uint32_t)chk_swar8_value(t & (~0ULL << (8 * (8 - nd))));
    return 1;
#else
    (void)s, (void)q, (void)e, (void)worker, (void)n;
    return 0;
#endif
}

/* Splits "<prefix>/<worker>/<n>" with both numbers in canonical decimal (no sign, no
 * leading zero), so that each such name maps to exactly one (prefix, worker, n). */
static inline int kidx_nums(const char *q, const char *e, uint32_t *worker, uint32_t *n);
static inline int kidx_parse(const char *s, size_t len, size_t *plen, uint32_t *worker, uint32_t *n)
{
    const char *e = s + len, *q = s;
    size_t lim = len < CHK_KIDX_PREFIX_MAX ? len : CHK_KIDX_PREFIX_MAX;
    while ((size_t)(q - s) < lim && *q != '/')
        q++;
    if (q == s || q >= e || *q != '/') return -1;
    *plen = (size_t)(q - s);
    if (kidx_nums_word(s, q + 1, e, worker, n)) return 0;
    return kidx_nums(q + 1, e, worker, n);
}

/* "<worker>/<n>" at q..e, both in canonical decimal. */
static inline int kidx_nums(const char *q, const char *e, uint32_t *worker, uint32_t *n)
{
    uint32_t w = 0;
    const char *d = q;
    while (q < e && *q >= '0' && *q <= '9' && q - d < 6)
        w = w * 10 + (uint32_t)(*q++ - '0');
    if (q == d || q >= e || *q != '/' || (*d == '0' && q - d > 1) || w > CHK_KIDX_MAX_WORKER)
        return -1;
    q++;
    uint64_t v = 0;
    d = q;
    while (q < e && *q >= '0' && *q <= '9' && q - d < 10)
        v = v * 10 + (uint64_t)(*q++ - '0');
    if (q == d || q != e || (*d == '0' && q - d > 1) || v >= CHK_KIDX_RESOLVED) return -1;
    *worker = w;
    *n = (uint32_t)v;
    return 0;
}

static inline int kidx_prefix(const chk_keytab *kt, const char *s, size_t plen)
{
    for (int i = 0; i < kt->nkidx; i++)
        if (kt->kidx[i].len == plen && memcmp(kt->kidx[i].name, s, plen) == 0) return i;
    return -1;
}

/* Where a name sits in the index: its prefix and lane (NULL when they do not exist yet)
 * and its entry (NULL when the lane does not reach n). */
typedef struct kidx_at {
    chk_kidx_prefix *px;
    chk_kidx_lane *ln;
    uint32_t *e;
} kidx_at;

/* 0 with *at filled, -1 when the name is not of the indexed shape. */
static inline int kidx_locate(const chk_keytab *kt, const char *s, size_t len, kidx_at *at)
{
    size_t plen;
    uint32_t w, n;
    at->px = NULL;
    at->ln = NULL;
    at->e = NULL;
    if (kidx_parse(s, len, &plen, &w, &n)) return -1;
    int pi = kidx_prefix(kt, s, plen);
    if (pi < 0) return 0;
    at->px = (chk_kidx_prefix *)&kt->kidx[pi];
    if (w >= at->px->nlanes) return 0;
    at->ln = &at->px->lanes[w];
    if (n < at->ln->cap) at->e = &at->ln->ids[n];
    return 0;
}

/* Whether an empty entry proves the key unknown: so when no key of its lane (or of a lane
 * of its prefix that did not exist yet) went to the slot table instead of the index. */
static inline int kidx_absent(const kidx_at *at)
{
    return at->e && !*at->e && !at->ln->hashed && !at->px->orphans;
}

/* Caches key id under its (prefix, worker, n) when the shape fits and the index may grow
 * that far. Returns its entry, or NULL when not cached (the slot table must then hold the
 * key). A lane grows to any n while the index stays within kidx_allow (a share of the
 * history's size, so that keys met in a scattered order are cached from the start);
 * beyond that only as far as its keys are dense. */
static uint32_t *kidx_add(chk_keytab *kt, const char *s, size_t len, uint32_t id, uint32_t flags)
{
    size_t plen;
    uint32_t w, n;
    if (id + 1 >= CHK_KIDX_RESOLVED || kidx_parse(s, len, &plen, &w, &n)) return NULL;
    /* Bound: lanes and lane tables at most 16 bytes per key plus 1 MiB, or kidx_allow. */
    size_t budget = (size_t)kt->nkeys * 16 + (1u << 20);
    if (budget < kt->kidx_allow) budget = kt->kidx_allow;
    int pi = kidx_prefix(kt, s, plen);
    if (pi < 0) {
        if (kt->nkidx == CHK_KIDX_MAX_PREFIXES) return NULL;
        pi = kt->nkidx++;
        memset(&kt->kidx[pi], 0, sizeof kt->kidx[pi]);
        memcpy(kt->kidx[pi].name, s, plen);
        kt->kidx[pi].len = (uint32_t)plen;
    }
    chk_kidx_prefix *px = &kt->kidx[pi];
    if (w >= px->nlanes) {
        uint32_t nl = px->nlanes ? px->nlanes : 16;
        while (nl <= w)
            nl *= 2;
        size_t more = (size_t)(nl - px->nlanes) * sizeof *px->lanes;
        if (kt->kidx_bytes + more > budget) return NULL;
        chk_kidx_lane *lanes = realloc(px->lanes, nl * sizeof *lanes);
        if (!lanes) return NULL;
        memset(lanes + px->nlanes, 0, more);
        px->lanes = lanes;
        px->nlanes = nl;
        kt->kidx_bytes += more;
    }
    chk_kidx_lane *ln = &px->lanes[w];
    if (n >= ln->cap) {
        uint32_t nc = ln->cap ? ln->cap : 64;
        while (nc <= n)
            nc *= 2;
        size_t more = (size_t)(nc - ln->cap) * sizeof *ln->ids;
        int sparse = (uint64_t)n >= 2 * (uint64_t)ln->n + CHK_KIDX_N_SLACK;
        if (kt->kidx_bytes + more > (sparse ? kt->kidx_allow : budget)) return NULL;
        uint32_t *ids = realloc(ln->ids, nc * sizeof *ids);
        if (!ids) return NULL;
        memset(ids + ln->cap, 0, more);
        ln->ids = ids;
        ln->cap = nc;
        kt->kidx_bytes += more;
    }
    if (!ln->ids[n]) ln->n++;
    ln->ids[n] = (id + 1) | flags;
    return &ln->ids[n];
}

/* Records that a key of the indexed shape went to the slot table only (kidx_absent). */
static void kidx_note_hashed(chk_keytab *kt, const char *s, size_t len)
{
    kidx_at at;
    if (kidx_locate(kt, s, len, &at)) return;
    if (at.ln)
        at.ln->hashed++;
    else if (at.px)
        at.px->orphans++;
    /* No prefix: the prefix table is full, so the index never holds this prefix. */
}

/* s[0..n) == t[0..n) for the short names of the index, in word compares rather than a
 * libc call per key. */
static inline int short_eq(const char *s, const char *t, size_t n)
{
    uint64_t a, b;
    for (; n >= 8; n -= 8, s += 8, t += 8) {
        memcpy(&a, s, 8);
        memcpy(&b, t, 8);
        if (a != b) return 0;
    }
    for (; n; n--)
        if (*s++ != *t++) return 0;
    return 1;
}

/* kidx_parse and kidx_prefix for a name whose prefix is indexed, testing the known
 * prefixes in place instead of scanning for the separator: a prefix holds no '/', so a
 * match followed by '/' is where kidx_parse would split. -1 when none matches or the
 * rest is not "<worker>/<n>" (as kidx_parse decides). */
static inline int kidx_parse_known(const chk_keytab *kt, const char *s, size_t len,
                                   uint32_t *worker, uint32_t *n)
{
    for (int i = 0; i < kt->nkidx; i++) {
        size_t plen = kt->kidx[i].len;
        if (plen >= len || s[plen] != '/' || !short_eq(s, kt->kidx[i].name, plen)) continue;
        if (kidx_nums_word(s, s + plen + 1, s + len, worker, n)) return i;
        return kidx_nums(s + plen + 1, s + len, worker, n) ? -1 : i;
    }
    return -1;
}

void chk_key_prefetch(const chk_keytab *kt, const char *s, size_t len, chk_kloc *loc)
{
    uint32_t w, n;
    loc->px = -1;
    int pi = kidx_parse_known(kt, s, len, &w, &n);
    if (pi < 0) return;
    loc->px = pi;
    loc->w = w;
    loc->n = n;
    const chk_kidx_prefix *px = &kt->kidx[pi];
    if (w < px->nlanes && n < px->lanes[w].cap) __builtin_prefetch(&px->lanes[w].ids[n]);
}

int64_t chk_key_lookup(const chk_keytab *kt, const char *s, size_t len)
{
    kidx_at at;
    if (kidx_locate(kt, s, len, &at) == 0) {
        if (at.e && *at.e) return (*at.e & ~CHK_KIDX_RESOLVED) - 1;
        if (kidx_absent(&at)) return -1;
    }
    return hash_find(kt, s, len, NULL);
}

static int keytab_grow(chk_keytab *kt)
{
    uint32_t ns = kt->nslots * 2, mask = ns - 1;
    uint64_t *slots = calloc(ns, sizeof *slots);
    if (!slots) return -1;
    for (uint32_t j = 0; j < kt->nslots; j++) {
        uint64_t v = kt->slots[j];
        if (!v) continue;
        const char *e = kt->arena + (uint32_t)v;
        uint32_t elen;
        memcpy(&elen, e + 4, 4);
        uint32_t i = (uint32_t)key_hash(e + KT_HDR, elen) & mask;
        while (slots[i])
            i = (i + 1) & mask;
        slots[i] = v;
    }
    free(kt->slots);
    kt->slots = slots;
    kt->nslots = ns;
    return 0;
}

/* Appends a key record and its name; -1 when out of memory. */
static int64_t key_new(chk_keytab *kt, const char *s, size_t len)
{
    if (kt->nkeys >= UINT32_MAX - 1 || kt->arena_len + len + KT_HDR + 1 > UINT32_MAX) return -1;
    if (kt->nkeys == kt->capkeys) {
        uint32_t nc = kt->capkeys ? kt->capkeys * 2 : 1024;
        chk_key *nk = realloc(kt->keys, (size_t)nc * sizeof *nk);
        if (!nk) return -1;
        kt->keys = nk;
        kt->capkeys = nc;
    }
    size_t need = KT_HDR + len + 1;
    need = (need + 3) & ~(size_t)3; /* keep headers 4-byte aligned */
    if (kt->arena_len + need > kt->arena_cap) {
        size_t nc = kt->arena_cap * 2;
        while (nc < kt->arena_len + need)
            nc *= 2;
        char *na = realloc(kt->arena, nc);
        if (!na) return -1;
        kt->arena = na;
        kt->arena_cap = nc;
    }
    uint32_t id = kt->nkeys++, off = (uint32_t)kt->arena_len, l32 = (uint32_t)len;
    chk_key *k = &kt->keys[id];
    memset(k, 0, sizeof *k);
    k->str = off + KT_HDR;
    k->len = l32;
    k->wl = -1;
    memcpy(kt->arena + off, &id, 4);
    memcpy(kt->arena + off + 4, &l32, 4);
    memcpy(kt->arena + off + KT_HDR, s, len);
    kt->arena[off + KT_HDR + len] = '\0';
    kt->arena_len += need;
    return id;
}

/* Interns s; *ent is its index entry when the index holds it (else NULL). */
static int64_t key_intern(chk_keytab *kt, const char *s, size_t len, uint32_t **ent)
{
    kidx_at at;
    int shaped = kidx_locate(kt, s, len, &at) == 0;
    *ent = NULL;
    if (at.e && *at.e) {
        *ent = at.e;
        return (*at.e & ~CHK_KIDX_RESOLVED) - 1;
    }
    int64_t id = -1;
    uint32_t slot = 0;
    int probed = !kidx_absent(&at);
    if (probed) id = hash_find(kt, s, len, &slot);
    if (id >= 0) {
        if (shaped) *ent = kidx_add(kt, s, len, (uint32_t)id, 0);
        return id;
    }
    if ((id = key_new(kt, s, len)) < 0) return -1;
    if (shaped && (*ent = kidx_add(kt, s, len, (uint32_t)id, 0)) != NULL) return id;
    if (!probed) hash_find(kt, s, len, &slot);
    kt->slots[slot] = (uint64_t)(key_hash(s, len) >> 32) << 32 | (kt->keys[id].str - KT_HDR);
    kt->nhashed++;
    if (shaped) kidx_note_hashed(kt, s, len);
    /* Keep the load factor at most 1/2 so probes stay short. */
    if ((uint64_t)kt->nhashed * 2 > kt->nslots && keytab_grow(kt)) return -1;
    return id;
}

int64_t chk_key_intern(chk_keytab *kt, const char *s, size_t len)
{
    uint32_t *e;
    return key_intern(kt, s, len, &e);
}

int64_t chk_key_intern_wl_at(chk_keytab *kt, const char *s, size_t len, int wl, const chk_kloc *loc)
{
    /* A prefix slot, once taken, keeps its name, and lanes only grow: the location found
     * when the line was scanned still names the same entry. */
    if (loc->px >= 0) {
        const chk_kidx_prefix *px = &kt->kidx[loc->px];
        if (loc->w < px->nlanes && loc->n < px->lanes[loc->w].cap) {
            uint32_t e = px->lanes[loc->w].ids[loc->n];
            if (e & CHK_KIDX_RESOLVED) return (e & ~CHK_KIDX_RESOLVED) - 1;
        }
    }
    return chk_key_intern_wl(kt, s, len, wl);
}

int64_t chk_key_intern_wl(chk_keytab *kt, const char *s, size_t len, int wl)
{
    uint32_t *e;
    int64_t id = key_intern(kt, s, len, &e);
    if (id < 0 || (e && (*e & CHK_KIDX_RESOLVED))) return id;
    chk_key *key = &kt->keys[id];
    if (key->wl < 0) key->wl = (int16_t)wl;
    /* Once the key's workload is known, later writes need not touch its record. */
    if (e && key->wl >= 0) *e |= CHK_KIDX_RESOLVED;
    return id;
}

/* ---------------------------------------------------------------- notes */

void chk_run_note(chk_run *run, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cJSON_AddItemToArray(run->notes, cJSON_CreateString(buf));
}

/* ---------------------------------------------------------------- profile */

int chk_profile_parse(const cJSON *g, chk_profile *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!g || (cJSON_IsString(g) && strcmp(g->valuestring, "aws-documented") == 0)) {
        snprintf(out->name, sizeof out->name, "aws-documented");
        out->before_ns = out->after_ns = CHK_AWS_WINDOW_NS;
        return 0;
    }
    if (cJSON_IsString(g) && strcmp(g->valuestring, "strict") == 0) {
        snprintf(out->name, sizeof out->name, "strict");
        out->atomic_txn = out->single_cut = 1;
        return 0;
    }
    if (cJSON_IsObject(g)) {
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(g, "before_s");
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(g, "after_s");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(g, "atomic_txn");
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(g, "single_cut");
        if (!cJSON_IsNumber(b) || b->valuedouble < 0) {
            snprintf(err, errlen, "guarantee.before_s: expected a number >= 0");
            return -1;
        }
        if (!cJSON_IsNumber(a) || a->valuedouble < 0) {
            snprintf(err, errlen, "guarantee.after_s: expected a number >= 0");
            return -1;
        }
        if (t && !cJSON_IsBool(t)) {
            snprintf(err, errlen, "guarantee.atomic_txn: expected true or false");
            return -1;
        }
        if (c && !cJSON_IsBool(c)) {
            snprintf(err, errlen, "guarantee.single_cut: expected true or false");
            return -1;
        }
        snprintf(out->name, sizeof out->name, "explicit");
        out->before_ns = (int64_t)(b->valuedouble * 1e9);
        out->after_ns = (int64_t)(a->valuedouble * 1e9);
        out->atomic_txn = cJSON_IsTrue(t);
        out->single_cut = cJSON_IsTrue(c);
        return 0;
    }
    snprintf(err, errlen,
             "guarantee: expected \"aws-documented\", \"strict\" or "
             "{\"before_s\":N,\"after_s\":N,\"atomic_txn\":bool}");
    return -1;
}

/* ---------------------------------------------------------------- small file reads */

static cJSON *read_json_file(const char *path, int *missing, char *err, size_t errlen)
{
    *missing = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) *missing = 1;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    cJSON *v = chk_json_parse(buf, len);
    free(buf);
    if (!v) snprintf(err, errlen, "%s: not valid JSON", path);
    return v;
}

/* ---------------------------------------------------------------- backups.jsonl */

typedef struct bk_ctx {
    chk_run *run;
    const char *path;
    char *err;
    size_t errlen;
} bk_ctx;

static void merge_into(cJSON *dst, const cJSON *src)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, src)
    {
        cJSON *copy = cJSON_Duplicate(m, 1);
        if (cJSON_GetObjectItemCaseSensitive(dst, m->string))
            cJSON_ReplaceItemInObjectCaseSensitive(dst, m->string, copy);
        else
            cJSON_AddItemToObject(dst, m->string, copy);
    }
}

static int backups_line(const char *line, size_t len, long lineno, int last, void *arg)
{
    bk_ctx *c = arg;
    cJSON *v = chk_json_parse(line, len);
    if (!v || !cJSON_IsObject(v)) {
        cJSON_Delete(v);
        if (last) {
            bc_warn("%s:%ld: skipping a torn last line", c->path, lineno);
            chk_run_note(c->run, "backups.jsonl: a torn last line was skipped");
            return 0;
        }
        snprintf(c->err, c->errlen, "%s:%ld: not valid JSON", c->path, lineno);
        return -1;
    }
    const char *type = chk_json_str(v, "type"), *id = chk_json_str(v, "id");
    if (!type || !id) {
        snprintf(c->err, c->errlen, "%s:%ld: a line needs \"type\" and \"id\"", c->path, lineno);
        cJSON_Delete(v);
        return -1;
    }
    cJSON *arr = NULL;
    if (strcmp(type, "backup") == 0)
        arr = c->run->backups;
    else if (strcmp(type, "restore") == 0)
        arr = c->run->restores;
    if (!arr && strcmp(type, "source") != 0) {
        cJSON_Delete(v);
        return 0; /* unknown event kinds are for other readers */
    }
    cJSON *dst = NULL, *e;
    if (arr) {
        cJSON_ArrayForEach(e, arr)
        {
            const char *eid = chk_json_str(e, "id");
            if (eid && strcmp(eid, id) == 0) {
                dst = e;
                break;
            }
        }
        if (!dst) {
            dst = cJSON_CreateObject();
            cJSON_AddItemToArray(arr, dst);
        }
    } else {
        if (!c->run->source) c->run->source = cJSON_CreateObject();
        dst = c->run->source;
    }
    merge_into(dst, v);
    cJSON_Delete(v);
    return 0;
}

/* ---------------------------------------------------------------- write records */

/* While the history is read, write records go to buckets of CHK_WB_KEYS consecutive key
 * ids, each a list of chunks in history order. Putting them in key order afterwards then
 * works one bucket at a time, within a range of the final array a few MB long, instead
 * of a pass that reads 40-byte records at random across the whole array (and every later
 * pass over a key's writes reads them in sequence). The chunks are mapped on their own
 * and unmapped as soon as their bucket is placed, so that the records are held about
 * once at any time, not twice. */
#define CHK_WB_SHIFT 12 /* 4096 keys a bucket: per-bucket counters stay in the L1 cache */
#define CHK_WB_KEYS (1u << CHK_WB_SHIFT)
#define CHK_WCHUNK_BYTES (64 * 1024)
#define CHK_NO_SLOT UINT32_MAX

typedef struct chk_wrec {
    chk_write w;
    uint32_t hist;  /* history position */
    uint32_t tslot; /* slot in run->txn_w, CHK_NO_SLOT when not in a transaction list */
} chk_wrec;

typedef struct chk_wchunk {
    struct chk_wchunk *next;
    uint32_t n;                                       /* records held (ws_seal sets the tail's) */
    char pad[64 - sizeof(void *) - sizeof(uint32_t)]; /* the records start a cache line */
    chk_wrec r[];
} chk_wchunk;
#define CHK_WCHUNK_RECS ((CHK_WCHUNK_BYTES - sizeof(chk_wchunk)) / sizeof(chk_wrec))

/* Records a bucket gathers before they go to its chunk together: four 48-byte records are
 * three whole cache lines, written with streaming stores that need not read the lines
 * first. Written one at a time into 256 chunk tails at random, each new line would be
 * read from memory before being written, and those reads held up the scan that follows
 * (its first instructions and its loads waited on them). */
#define CHK_WB_STAGE 4

typedef struct chk_wbucket {
    chk_wrec *next, *end; /* free records of the tail chunk: the chunk's header stays cold */
    chk_wchunk *head, *tail;
    size_t n;
    uint32_t staged; /* records in stage[], not yet in a chunk */
    chk_wrec stage[CHK_WB_STAGE];
} chk_wbucket;

_Static_assert(offsetof(chk_wchunk, r) == 64, "chunk records start a cache line");
_Static_assert(sizeof(chk_wrec) * CHK_WB_STAGE % 64 == 0, "a staged group is whole lines");
_Static_assert(CHK_WCHUNK_RECS % CHK_WB_STAGE == 0, "staged groups fill a chunk exactly");

struct chk_wstore {
    chk_wbucket *b;
    size_t nb;
    size_t txn_cap; /* entries allocated in run->txn_at */
};

static void ws_free(struct chk_wstore *ws)
{
    if (!ws) return;
    for (size_t b = 0; b < ws->nb; b++)
        for (chk_wchunk *c = ws->b[b].head, *next; c; c = next) {
            next = c->next;
            munmap(c, CHK_WCHUNK_BYTES);
        }
    free(ws->b);
    free(ws);
}

/* Moves the bucket's staged records to the end of its tail chunk (a new chunk when the
 * tail is full); -1 when out of memory. A whole group goes with streaming stores: it is
 * three cache lines, at a line boundary since groups fill chunks from their start. */
static int ws_flush(chk_wbucket *bk)
{
    if (bk->next == bk->end) {
        /* Populated at once: one call instead of a page fault per 4 KiB as it fills. */
        void *m = mmap(NULL, CHK_WCHUNK_BYTES, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (m == MAP_FAILED) return -1;
        chk_wchunk *nc = m;
        nc->next = NULL;
        nc->n = CHK_WCHUNK_RECS; /* full, until it is the tail when sealed */
        if (bk->tail)
            bk->tail->next = nc;
        else
            bk->head = nc;
        bk->tail = nc;
        bk->next = nc->r;
        bk->end = nc->r + CHK_WCHUNK_RECS;
    }
#if defined(__SSE2__)
    if (bk->staged == CHK_WB_STAGE) {
        const char *src = (const char *)bk->stage;
        char *dst = (char *)bk->next;
        for (size_t i = 0; i < sizeof bk->stage; i += 16)
            _mm_stream_si128((__m128i *)(void *)(dst + i),
                             _mm_loadu_si128((const __m128i *)(const void *)(src + i)));
    } else
#endif
        memcpy(bk->next, bk->stage, bk->staged * sizeof *bk->stage);
    bk->next += bk->staged;
    bk->staged = 0;
    return 0;
}

/* A new record of key's bucket (in its stage); NULL when out of memory. */
static chk_wrec *ws_push(struct chk_wstore *ws, uint32_t key)
{
    size_t b = key >> CHK_WB_SHIFT;
    if (b >= ws->nb) {
        size_t nn = ws->nb ? ws->nb * 2 : 16;
        while (nn <= b)
            nn *= 2;
        chk_wbucket *nb = realloc(ws->b, nn * sizeof *nb);
        if (!nb) return NULL;
        memset(nb + ws->nb, 0, (nn - ws->nb) * sizeof *nb);
        ws->b = nb;
        ws->nb = nn;
    }
    chk_wbucket *bk = &ws->b[b];
    if (bk->staged == CHK_WB_STAGE && ws_flush(bk)) return NULL;
    bk->n++;
    return &bk->stage[bk->staged++];
}

/* The last staged records into their chunks, and the tail chunks' record counts, which
 * ws_push keeps in the buckets; -1 when out of memory. */
static int ws_seal(struct chk_wstore *ws)
{
    for (size_t b = 0; ws && b < ws->nb; b++) {
        chk_wbucket *bk = &ws->b[b];
        if (bk->staged && ws_flush(bk)) return -1;
        if (bk->tail) bk->tail->n = (uint32_t)(bk->next - bk->tail->r);
    }
#if defined(__SSE2__)
    _mm_sfence(); /* the streamed records before any later read of them */
#endif
    return 0;
}

/* ---------------------------------------------------------------- history.jsonl */

/* Op lines read by the fast path are added one line late: while a line is scanned, the
 * index entries of the previous line's keys, prefetched when it was scanned, arrive from
 * memory, instead of each key lookup stalling on a cache miss once the index outgrows the
 * cache. The delayed op keeps copies of its key names (the reader reuses its buffer). */
typedef struct hist_ctx {
    chk_run *run;
    const char *path;
    chk_scan_op op;
    char *err;
    size_t errlen;
    int saw_meta;
    chk_scan_op late[2]; /* fast-path ops; late[cur] is scanned next */
    int cur, pending;    /* pending: late[cur ^ 1] is still to be added */
    char *names[2];      /* key names of late[i] */
    size_t namecap[2];
    int stable; /* lines stay readable to the end of the read: names need no copies */
} hist_ctx;

static int add_latency(chk_run *run, const chk_scan_op *op)
{
    chk_latency *l = &run->lat;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 1 << 16;
        uint64_t *nv = realloc(l->v, nc * sizeof *nv);
        if (!nv) return -1;
        l->v = nv;
        l->cap = nc;
    }
    /* During a backup or restore if [invoke, complete] overlaps any in-flight span. */
    int during = 0;
    int lo = 0, hi = run->nspans;
    while (lo < hi) { /* first span whose end is >= invoke */
        int mid = (lo + hi) / 2;
        if (run->spans[mid].hi < op->invoke_ns)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < run->nspans && run->spans[lo].lo <= op->complete_ns) during = 1;
    int64_t lat = op->complete_ns - op->intended_ns;
    if (lat < 0) lat = 0;
    l->v[l->n++] = ((uint64_t)lat << 1) | (uint64_t)during;
    if (op->outcome != CHK_O_OK) l->errors[during]++;
    if (op->throttled) l->throttles[during]++;
    return 0;
}

static int add_op(chk_run *run, const chk_scan_op *op, char *err, size_t errlen)
{
    run->ops++;
    run->wcu += op->wcu;
    run->rcu += op->rcu;
    if (op->invoke_ns && (run->first_invoke == 0 || op->invoke_ns < run->first_invoke))
        run->first_invoke = op->invoke_ns;
    if (op->complete_ns > run->last_complete) run->last_complete = op->complete_ns;
    if (add_latency(run, op)) {
        snprintf(err, errlen, "history: out of memory");
        return -1;
    }
    if (op->worker >= run->nworkers) {
        int nn = run->nworkers ? run->nworkers : 64;
        while (nn <= op->worker)
            nn *= 2;
        uint64_t *nm = realloc(run->max_seq, (size_t)nn * sizeof *nm);
        if (!nm) {
            snprintf(err, errlen, "history: out of memory");
            return -1;
        }
        memset(nm + run->nworkers, 0, (size_t)(nn - run->nworkers) * sizeof *nm);
        run->max_seq = nm;
        run->nworkers = nn;
    }
    if (op->seq + 1 > run->max_seq[op->worker]) run->max_seq[op->worker] = op->seq + 1;
    if (!op->nwrites) return 0;
    if (!run->ws && !(run->ws = calloc(1, sizeof *run->ws))) {
        snprintf(err, errlen, "history: out of memory for writes");
        return -1;
    }
    struct chk_wstore *ws = run->ws;
    if (run->nw + (size_t)op->nwrites >= UINT32_MAX) {
        snprintf(err, errlen, "history: more than 2^32 writes");
        return -1;
    }
    /* A transaction of several writes is listed for the txn checker, in history order. */
    uint32_t tslot = CHK_NO_SLOT;
    if (op->txn && op->nwrites > 1) {
        if (run->ntxn + 2 > ws->txn_cap) {
            size_t nc = ws->txn_cap ? ws->txn_cap * 2 : 1024;
            uint32_t *na = realloc(run->txn_at, nc * sizeof *na);
            if (!na) {
                snprintf(err, errlen, "history: out of memory for transactions");
                return -1;
            }
            run->txn_at = na;
            ws->txn_cap = nc;
        }
        run->txn_at[run->ntxn++] = (uint32_t)run->ntxn_w;
        tslot = (uint32_t)run->ntxn_w;
        run->ntxn_w += (size_t)op->nwrites;
    }
    for (int i = 0; i < op->nwrites; i++) {
        const chk_scan_write *sw = &op->writes[i];
        int64_t k = chk_key_intern_wl_at(&run->kt, sw->k, sw->klen, op->wl, &sw->kloc);
        chk_wrec *r = k < 0 ? NULL : ws_push(ws, (uint32_t)k);
        if (!r) {
            snprintf(err, errlen, "history: out of memory for %s", k < 0 ? "keys" : "writes");
            return -1;
        }
        chk_write *w = &r->w;
        w->invoke_ns = op->invoke_ns;
        w->complete_ns = op->complete_ns;
        w->wid = sw->wid;
        w->val = sw->kind == CHK_W_ADD ? sw->delta : sw->ver;
        w->key = (uint32_t)k;
        w->kind = (uint8_t)sw->kind;
        w->status = (uint8_t)(sw->status >= 0 ? sw->status : op->outcome);
        w->pad[0] = w->pad[1] = 0;
        r->hist = (uint32_t)run->nw++;
        r->tslot = tslot == CHK_NO_SLOT ? CHK_NO_SLOT : tslot + (uint32_t)i;
    }
    return 0;
}

/* Adds the delayed op, if any. */
static int history_flush(hist_ctx *c)
{
    if (!c->pending) return 0;
    c->pending = 0;
    return add_op(c->run, &c->late[c->cur ^ 1], c->err, c->errlen);
}

/* Copies the key names of late[i] out of the line. */
static int late_keep_names(hist_ctx *c, int i)
{
    chk_scan_op *op = &c->late[i];
    size_t need = 0;
    for (int j = 0; j < op->nwrites; j++)
        need += op->writes[j].klen;
    if (need > c->namecap[i]) {
        size_t nc = need * 2 + 256;
        char *nb = realloc(c->names[i], nc);
        if (!nb) return -1;
        c->names[i] = nb;
        c->namecap[i] = nc;
    }
    char *o = c->names[i];
    for (int j = 0; j < op->nwrites; j++) {
        chk_scan_write *w = &op->writes[j];
        memcpy(o, w->k, w->klen);
        w->k = o;
        o += w->klen;
    }
    return 0;
}

/* A fault's start opens a window in run->faults; its end closes the latest open window
 * of the same kind. Windows still open when the history ends keep "end_ns": null. */
static void add_fault_line(chk_run *run, const cJSON *v)
{
    const char *kind = chk_json_str(v, "kind"), *phase = chk_json_str(v, "phase");
    if (!kind || !phase) return;
    if (!run->faults) run->faults = cJSON_CreateArray();
    if (strcmp(phase, "start") == 0) {
        cJSON *w = cJSON_CreateObject();
        cJSON_AddStringToObject(w, "kind", kind);
        const char *side = chk_json_str(v, "side");
        if (side) cJSON_AddStringToObject(w, "side", side);
        chk_json_add_i64(w, "start_ns", chk_json_i64(v, "at_ns", 0));
        cJSON_AddNullToObject(w, "end_ns");
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(v, "params");
        if (cJSON_IsObject(p)) cJSON_AddItemToObject(w, "params", cJSON_Duplicate(p, 1));
        cJSON_AddItemToArray(run->faults, w);
        return;
    }
    for (int i = cJSON_GetArraySize(run->faults) - 1; i >= 0; i--) {
        cJSON *w = cJSON_GetArrayItem(run->faults, i);
        const char *k = chk_json_str(w, "kind");
        cJSON *end = cJSON_GetObjectItemCaseSensitive(w, "end_ns");
        if (k && strcmp(k, kind) == 0 && cJSON_IsNull(end)) {
            cJSON_DeleteItemFromObjectCaseSensitive(w, "end_ns");
            chk_json_add_i64(w, "end_ns", chk_json_i64(v, "at_ns", 0));
            const cJSON *p = cJSON_GetObjectItemCaseSensitive(v, "params");
            if (cJSON_IsObject(p)) cJSON_AddItemToObject(w, "end_params", cJSON_Duplicate(p, 1));
            return;
        }
    }
}

/* The op just read into late[cur] by a fast path: its keys are located now, and it is
 * added one line later (history_flush), once their index entries have had time to
 * arrive; the op before it is added now. */
static int late_op(hist_ctx *c)
{
    chk_run *run = c->run;
    chk_scan_op *op = &c->late[c->cur];
    run->ops_fast++;
    for (int j = 0; j < op->nwrites; j++)
        chk_key_prefetch(&run->kt, op->writes[j].k, op->writes[j].klen, &op->writes[j].kloc);
    if (!c->stable && late_keep_names(c, c->cur)) {
        snprintf(c->err, c->errlen, "history: out of memory");
        return -1;
    }
    int rc = history_flush(c);
    c->pending = 1;
    c->cur ^= 1;
    return rc;
}

/* A line of the journal's exact shape, read where it starts in the mapped history
 * (chk_read_lines_ex): its end needs no search of its own. */
static size_t history_fast(const char *s, const char *end, void *arg, int *rc)
{
    hist_ctx *c = arg;
    if (s == end) { /* the end: the op still delayed names keys in the mapping */
        if (history_flush(c)) *rc = -1;
        return 0;
    }
    size_t n = chk_scan_op_journal_line(s, end, &c->late[c->cur]);
    if (!n) return 0;
    c->run->lines++;
    if (late_op(c)) *rc = -1;
    return n;
}

static int history_line(const char *line, size_t len, long lineno, int last, void *arg)
{
    hist_ctx *c = arg;
    chk_run *run = c->run;
    run->lines++;
    chk_scan_op *op = &c->late[c->cur];
    int r = chk_scan_op_fast(line, len, op);
    if (r == 1) return late_op(c);
    if (history_flush(c)) return -1;
    cJSON *v = chk_json_parse(line, len);
    if (!v || !cJSON_IsObject(v)) {
        cJSON_Delete(v);
        if (last) {
            bc_warn("%s:%ld: skipping a torn last line", c->path, lineno);
            run->torn_last = 1;
            return 0;
        }
        snprintf(c->err, c->errlen, "%s:%ld: not valid JSON", c->path, lineno);
        return -1;
    }
    char lerr[256];
    int rc = 0;
    if (chk_scan_op_json(v, &c->op, lerr, sizeof lerr)) {
        snprintf(c->err, c->errlen, "%s:%ld: %s", c->path, lineno, lerr);
        rc = -1;
    } else if (c->op.is_op) {
        run->ops_slow++;
        rc = add_op(run, &c->op, c->err, c->errlen);
    } else if (strcmp(c->op.type, "meta") == 0) {
        if (!run->meta) {
            run->meta = v;
            v = NULL;
        }
    } else if (strcmp(c->op.type, "end") == 0) {
        run->ended = 1;
        run->end_ns = chk_json_i64(v, "end_ns", 0);
    } else if (strcmp(c->op.type, "interrupted") == 0) {
        const char *sig = chk_json_str(v, "signal");
        chk_run_note(run, "the run was interrupted (%s)", sig ? sig : "signal");
    } else if (strcmp(c->op.type, "fault") == 0) {
        add_fault_line(run, v);
    }
    cJSON_Delete(v);
    return rc;
}

/* A record of a key whose writes are not in write-id order, while it is sorted. */
typedef struct sort_ent {
    uint64_t wid;
    uint32_t hist, i;
} sort_ent;

static int cmp_sort_ent(const void *a, const void *b)
{
    const sort_ent *x = a, *y = b;
    if (x->wid != y->wid) return x->wid < y->wid ? -1 : 1;
    return x->hist < y->hist ? -1 : x->hist > y->hist;
}

/* Sorts key k's records w[start, start+count) by (write id, history position), moving
 * hist and the bucket's transaction slots along. Returns the duplicate write ids it
 * finds adjacent, or -1 when out of memory. */
static long sort_key(chk_run *run, const chk_key *key, uint32_t *slot, sort_ent **ent,
                     size_t *entcap)
{
    uint32_t n = key->count, s0 = key->start;
    if (*entcap < n) {
        sort_ent *ne = realloc(*ent, (size_t)n * sizeof *ne);
        if (!ne) return -1;
        *ent = ne;
        *entcap = n;
    }
    sort_ent *e = *ent;
    chk_write *tw = malloc((size_t)n * sizeof *tw);
    uint32_t *th = malloc((size_t)n * 2 * sizeof *th);
    if (!tw || !th) {
        free(tw);
        free(th);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        e[i] = (sort_ent){run->w[s0 + i].wid, run->hist[s0 + i], i};
        tw[i] = run->w[s0 + i];
        th[i] = run->hist[s0 + i];
        th[n + i] = slot[i];
    }
    qsort(e, n, sizeof *e, cmp_sort_ent);
    long dups = 0;
    for (uint32_t i = 0; i < n; i++) {
        run->w[s0 + i] = tw[e[i].i];
        run->hist[s0 + i] = th[e[i].i];
        slot[i] = th[n + e[i].i];
        if (i && e[i - 1].wid == e[i].wid) dups++;
    }
    free(tw);
    free(th);
    return dups;
}

/* Puts the records in (key, write id) order, bucket by bucket: a counting sort by key
 * within the bucket (stable, so each key's writes stay in history order). A key's writes
 * come from one worker in a well-formed journal and are then already in write-id order;
 * that is verified while they are placed, and only the keys whose writes are not are
 * sorted. Each chunk is unmapped once placed. */
static int place_records(chk_run *run, char *err, size_t errlen)
{
    struct chk_wstore *ws = run->ws;
    size_t nw = run->nw, maxb = 0;
    uint32_t nk = run->kt.nkeys;
    if (ws_seal(ws)) {
        snprintf(err, errlen, "history: out of memory for writes");
        return -1;
    }
    for (size_t b = 0; ws && b < ws->nb; b++)
        if (ws->b[b].n > maxb) maxb = ws->b[b].n;
    /* The array is mapped on its own: the pages of chunks already placed are moved under
     * its part still to be written (mremap), so that they are reused instead of the
     * kernel clearing as many fresh pages. */
    size_t wbytes = ((nw ? nw : 1) * sizeof *run->w + CHK_WCHUNK_BYTES - 1) / CHK_WCHUNK_BYTES *
                    CHK_WCHUNK_BYTES;
    void *wm = mmap(NULL, wbytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (wm != MAP_FAILED) {
        run->w = wm;
        run->w_mapped = wbytes;
    }
    size_t wback = 0; /* bytes of run->w given moved pages or already written */
    run->hist = malloc((nw ? nw : 1) * sizeof *run->hist);
    run->txn_w = malloc((run->ntxn_w ? run->ntxn_w : 1) * sizeof *run->txn_w);
    uint32_t *cur = malloc(CHK_WB_KEYS * sizeof *cur);
    uint64_t *lastwid = malloc(CHK_WB_KEYS * sizeof *lastwid);
    uint8_t *kst = malloc(CHK_WB_KEYS); /* per key: 1 multi-worker, 2 unsorted, 4 seen */
    uint32_t *slot = malloc((maxb ? maxb : 1) * sizeof *slot);
    sort_ent *ent = NULL;
    size_t entcap = 0;
    int rc = -1;
    if (!run->w || !run->hist || !run->txn_w || !cur || !lastwid || !kst || !slot) goto out;
    long multi = 0, dups = 0;
    uint32_t acc = 0;
    for (uint32_t k0 = 0; k0 < nk; k0 += CHK_WB_KEYS) {
        size_t b = k0 >> CHK_WB_SHIFT;
        uint32_t nbk = nk - k0 < CHK_WB_KEYS ? nk - k0 : CHK_WB_KEYS;
        chk_wbucket *bk = ws && b < ws->nb ? &ws->b[b] : NULL;
        memset(cur, 0, nbk * sizeof *cur);
        memset(kst, 0, nbk);
        for (chk_wchunk *c = bk ? bk->head : NULL; c; c = c->next)
            for (uint32_t i = 0; i < c->n; i++)
                cur[c->r[i].w.key - k0]++;
        uint32_t base = acc;
        for (uint32_t j = 0; j < nbk; j++) {
            chk_key *key = &run->kt.keys[k0 + j];
            key->start = acc;
            key->count = cur[j];
            cur[j] = acc;
            acc += key->count;
        }
        /* This bucket writes run->w up to acc: moved pages may go only beyond it. */
        size_t wend = ((size_t)acc * sizeof *run->w + CHK_WCHUNK_BYTES - 1) / CHK_WCHUNK_BYTES *
                      CHK_WCHUNK_BYTES;
        if (wback < wend) wback = wend;
        /* The bucket's part of run->w is fetched in order first (a few MB, it stays in the
         * cache): the records' stores below land all over it, and each would otherwise
         * wait for its line to be read from memory. */
        for (size_t off = (size_t)base * sizeof *run->w; off < (size_t)acc * sizeof *run->w;
             off += 64)
            __builtin_prefetch((const char *)run->w + off, 1, 3);
        for (chk_wchunk *c = bk ? bk->head : NULL, *next; c; c = next) {
            for (uint32_t i = 0; i < c->n; i++) {
                const chk_wrec *r = &c->r[i];
                uint32_t j = r->w.key - k0, p = cur[j]++;
                uint64_t wid = r->w.wid;
                run->w[p] = r->w;
                run->hist[p] = r->hist;
                slot[p - base] = r->tslot;
                if (kst[j] & 4) {
                    uint64_t prev = lastwid[j];
                    if (prev > wid) kst[j] |= 2;
                    if (CHK_WID_WORKER(prev) != CHK_WID_WORKER(wid)) kst[j] |= 1;
                    if (prev == wid) dups++; /* exact while the key is in order; recounted if not */
                }
                kst[j] |= 4;
                lastwid[j] = wid;
            }
            next = c->next;
            if (wback + CHK_WCHUNK_BYTES <= run->w_mapped &&
                mremap(c, CHK_WCHUNK_BYTES, CHK_WCHUNK_BYTES, MREMAP_MAYMOVE | MREMAP_FIXED,
                       (char *)run->w + wback) != MAP_FAILED)
                wback += CHK_WCHUNK_BYTES;
            else
                munmap(c, CHK_WCHUNK_BYTES);
        }
        if (bk) bk->head = bk->tail = NULL;
        for (uint32_t j = 0; j < nbk; j++) {
            chk_key *key = &run->kt.keys[k0 + j];
            if (kst[j] & 1) key->multi = 1;
            multi += key->multi;
            if (!(kst[j] & 2)) continue;
            for (uint32_t i = key->start + 1; i < key->start + key->count; i++)
                if (run->w[i - 1].wid == run->w[i].wid) dups--;
            long d = sort_key(run, key, slot + (key->start - base), &ent, &entcap);
            if (d < 0) goto out;
            dups += d;
        }
        for (uint32_t p = base; p < acc; p++)
            if (slot[p - base] != CHK_NO_SLOT) run->txn_w[slot[p - base]] = p;
    }
    if (multi)
        chk_run_note(run,
                     "%ld keys were written by more than one worker; their order is taken "
                     "from write ids and may not be the real one",
                     multi);
    if (dups) chk_run_note(run, "%ld writes reuse a write id already used on the same key", dups);
    rc = 0;
out:
    if (rc) snprintf(err, errlen, "history: out of memory for the key index");
    ws_free(run->ws);
    run->ws = NULL;
    free(cur);
    free(lastwid);
    free(kst);
    free(slot);
    free(ent);
    return rc;
}

int chk_history_load(chk_run *run, const char *path, char *err, size_t errlen)
{
    hist_ctx c;
    memset(&c, 0, sizeof c);
    c.run = run;
    c.path = path;
    c.err = err;
    c.errlen = errlen;
    struct stat st;
    if (stat(path, &st) == 0 && st.st_size > 0)
        run->kt.kidx_allow = (size_t)st.st_size / CHK_KIDX_ALLOW_DIV;
    int rc = chk_read_lines_ex(path, history_line, history_fast, &c, &c.stable, err, errlen);
    if (!rc) rc = history_flush(&c);
    chk_scan_op_free(&c.op);
    for (int i = 0; i < 2; i++) {
        chk_scan_op_free(&c.late[i]);
        free(c.names[i]);
    }
    if (rc) return -1;
    if (run->torn_last) chk_run_note(run, "history.jsonl: a torn last line was skipped");
    if (!run->ended)
        chk_run_note(run, "history.jsonl has no end line (an interrupted run): captured writes "
                          "beyond a worker's last journaled operation count as indeterminate");
    /* The transaction list's end. */
    if (run->ntxn && run->ws) run->txn_at[run->ntxn] = (uint32_t)run->ntxn_w;
    return place_records(run, err, errlen);
}

int64_t chk_key_find_wid(const chk_run *run, uint32_t k, uint64_t wid)
{
    const chk_key *key = &run->kt.keys[k];
    const chk_write *w = run->w + key->start;
    uint32_t lo = 0, hi = key->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (w[mid].wid < wid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < key->count && w[lo].wid == wid ? (int64_t)lo : -1;
}

int chk_worker_workload(const chk_run *run, int worker)
{
    for (int i = 0; i < run->nwls; i++)
        if (worker >= run->wls[i].first_worker &&
            worker < run->wls[i].first_worker + run->wls[i].workers)
            return i;
    return -1;
}

int chk_wid_beyond_journal(const chk_run *run, uint64_t wid)
{
    if (run->ended) return 0;
    int w = CHK_WID_WORKER(wid);
    uint64_t next = w < run->nworkers ? run->max_seq[w] : 0;
    return CHK_WID_SEQ(wid) >= next;
}

/* ---------------------------------------------------------------- run */

static void load_workloads(chk_run *run)
{
    const cJSON *list = run->meta ? cJSON_GetObjectItemCaseSensitive(run->meta, "workloads") : NULL;
    int from_meta = cJSON_IsArray(list);
    if (!from_meta && run->scenario)
        list = cJSON_GetObjectItemCaseSensitive(run->scenario, "workloads");
    int n = cJSON_GetArraySize(list);
    run->wls = calloc((size_t)(n ? n : 1), sizeof *run->wls);
    if (!run->wls) return;
    int next_worker = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        chk_workload *w = &run->wls[run->nwls];
        const char *type = chk_json_str(e, "type");
        snprintf(w->type, sizeof w->type, "%s", type ? type : "");
        w->index = (int)chk_json_i64(e, "index", run->nwls);
        /* Workers (threads * inflight); histories from before "inflight" have threads. */
        w->workers = (int)chk_json_i64(e, "workers", chk_json_i64(e, "threads", 1));
        w->first_worker = (int)chk_json_i64(e, "first_worker", next_worker);
        next_worker = w->first_worker + w->workers;
        w->item_bytes = (int)chk_json_i64(e, "item_bytes", 0);
        w->accounts = (int)chk_json_i64(e, "accounts", 0);
        w->initial_balance = chk_json_i64(e, "initial_balance", 0);
        const cJSON *bt = cJSON_GetObjectItemCaseSensitive(e, "bank_total");
        if (bt) {
            w->has_bank_total = 1;
            w->bank_total = chk_json_i64(bt, NULL, 0);
        } else if (strcmp(w->type, "bank") == 0 && w->accounts > 0) {
            w->has_bank_total = 1;
            w->bank_total = (int64_t)w->workers * w->accounts * w->initial_balance;
        }
        run->nwls++;
    }
}

static int cmp_span(const void *a, const void *b)
{
    const chk_span *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void add_span(chk_run *run, int64_t lo, int64_t hi, int *cap)
{
    if (lo <= 0) return;
    if (hi < lo) hi = CHK_NS_POS_INF; /* never finished: in flight until the end */
    if (run->nspans == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        chk_span *ns = realloc(run->spans, (size_t)*cap * sizeof *ns);
        if (!ns) return;
        run->spans = ns;
    }
    run->spans[run->nspans++] = (chk_span){lo, hi};
}

/* Backup and restore intervals, sorted and merged, for the availability split. */
static void build_spans(chk_run *run)
{
    int cap = 0;
    const cJSON *b;
    cJSON_ArrayForEach(b, run->backups)
    {
        int64_t lo = chk_json_i64(b, "request_ns", 0);
        int64_t hi = chk_json_i64(b, "available_ns", 0);
        if (!hi) hi = chk_json_i64(b, "ack_ns", 0);
        add_span(run, lo, hi, &cap);
    }
    cJSON_ArrayForEach(b, run->restores)
    {
        add_span(run, chk_json_i64(b, "requested_ns", 0), chk_json_i64(b, "active_ns", 0), &cap);
    }
    if (run->nspans > 1) qsort(run->spans, (size_t)run->nspans, sizeof *run->spans, cmp_span);
    int m = 0;
    for (int i = 0; i < run->nspans; i++) {
        if (m && run->spans[i].lo <= run->spans[m - 1].hi) {
            if (run->spans[i].hi > run->spans[m - 1].hi) run->spans[m - 1].hi = run->spans[i].hi;
        } else {
            run->spans[m++] = run->spans[i];
        }
    }
    run->nspans = m;
}

int chk_run_load(chk_run *run, const char *run_dir, const chk_options *opts, char *err,
                 size_t errlen)
{
    memset(run, 0, sizeof *run);
    snprintf(run->dir, sizeof run->dir, "%s", run_dir);
    run->notes = cJSON_CreateArray();
    run->backups = cJSON_CreateArray();
    run->restores = cJSON_CreateArray();
    if (chk_keytab_init(&run->kt)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char path[4200];
    int missing;
    snprintf(path, sizeof path, "%s/scenario.json", run_dir);
    run->scenario = read_json_file(path, &missing, err, errlen);
    if (!run->scenario && !missing) return -1;
    if (!run->scenario)
        chk_run_note(run, "scenario.json is missing: seed and workloads come from the history");
    else if (!cJSON_IsObject(run->scenario)) {
        snprintf(err, errlen, "%s: expected a JSON object", path);
        return -1;
    }

    /* backups.jsonl before the history: its intervals split latency into during/outside. */
    snprintf(path, sizeof path, "%s/backups.jsonl", run_dir);
    bk_ctx bc = {run, path, err, errlen};
    FILE *probe = fopen(path, "rb");
    if (probe) {
        fclose(probe);
        if (chk_read_lines(path, backups_line, &bc, err, errlen)) return -1;
    } else {
        chk_run_note(run, "backups.jsonl is missing: no backup was recorded");
    }
    build_spans(run);

    snprintf(path, sizeof path, "%s/history.jsonl", run_dir);
    if (chk_history_load(run, path, err, errlen)) return -1;

    const cJSON *sc = run->scenario;
    const cJSON *seed = sc ? cJSON_GetObjectItemCaseSensitive(sc, "seed") : NULL;
    if (!seed && run->meta) seed = cJSON_GetObjectItemCaseSensitive(run->meta, "seed");
    if (seed) {
        run->have_seed = 1;
        if (cJSON_IsRaw(seed))
            run->seed = strtoull(seed->valuestring, NULL, 10);
        else
            run->seed = (uint64_t)chk_json_i64(seed, NULL, 0);
    } else {
        chk_run_note(run, "no seed recorded: payloads are not verified");
    }
    const char *name = sc ? chk_json_str(sc, "name") : NULL;
    if (!name && run->meta) name = chk_json_str(run->meta, "scenario");
    snprintf(run->scenario_name, sizeof run->scenario_name, "%s", name ? name : "");
    const char *hk = run->meta ? chk_json_str(run->meta, "hash_key") : NULL;
    if (!hk && sc) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(sc, "table");
        hk = chk_json_str(t, "hash_key");
    }
    snprintf(run->hash_key, sizeof run->hash_key, "%s", hk ? hk : "pk");

    const cJSON *g = sc ? cJSON_GetObjectItemCaseSensitive(sc, "guarantee") : NULL;
    cJSON *override = NULL;
    if (opts && opts->profile) {
        if (opts->profile[0] == '{') {
            override = chk_json_parse(opts->profile, strlen(opts->profile));
            if (!override) {
                snprintf(err, errlen, "--profile: not valid JSON");
                return -1;
            }
        } else {
            override = cJSON_CreateString(opts->profile);
        }
        g = override;
    }
    int prc = chk_profile_parse(g, &run->profile, err, errlen);
    cJSON_Delete(override);
    if (prc) return -1;
    load_workloads(run);
    return 0;
}

void chk_run_free(chk_run *run)
{
    cJSON_Delete(run->scenario);
    cJSON_Delete(run->meta);
    cJSON_Delete(run->backups);
    cJSON_Delete(run->restores);
    cJSON_Delete(run->source);
    cJSON_Delete(run->notes);
    cJSON_Delete(run->faults);
    free(run->wls);
    chk_keytab_free(&run->kt);
    ws_free(run->ws);
    if (run->w) munmap(run->w, run->w_mapped);
    free(run->hist);
    free(run->txn_at);
    free(run->txn_w);
    free(run->max_seq);
    free(run->lat.v);
    free(run->spans);
    memset(run, 0, sizeof *run);
}
