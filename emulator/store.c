/*
 * store.c - the emulator's MVCC item store.
 *
 * A table is split into hash partitions (cfg.partitions), each with its own rwlock, so
 * writers to different keys rarely contend and a backup being materialized only holds
 * one partition's read lock at a time. A partition keeps its hash-key collections sorted
 * by the key's canonical bytes (stable Scan order and ExclusiveStartKey resumption), and
 * each collection its keys sorted by range key (Query order). Each key keeps its
 * versions, oldest first, each with a unique commit timestamp; a cut at T reads the
 * newest version with commit_ns <= T.
 *
 * Pruning: a superseded version is freed only when nothing can read it any more: no
 * backup of the table is CREATING (pins), PITR is off, and it was superseded longer ago
 * than the server's retention horizon (the widest cut window, so an aws-window cut taken
 * before the request still finds it). The last live version before a trailing tombstone
 * is kept so that the resurrect fault model has something to bring back.
 */
#include "emulator/emu_internal.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int emu_part_init(emu_part *p)
{
    memset(p, 0, sizeof *p);
    return pthread_rwlock_init(&p->lock, NULL) == 0 ? 0 : -1;
}

static void emu_entry_free(emu_entry *e)
{
    for (int i = 0; i < e->nver; i++)
        cJSON_Delete(e->ver[i].item);
    free(e->ver);
    cJSON_Delete(e->range_av);
    free(e);
}

void emu_part_destroy(emu_part *p)
{
    for (int i = 0; i < p->n; i++) {
        emu_coll *c = p->c[i];
        for (int j = 0; j < c->n; j++)
            emu_entry_free(c->e[j]);
        free(c->e);
        free(c->hkey);
        free(c);
    }
    free(p->c);
    pthread_rwlock_destroy(&p->lock);
}

int emu_key_canon(const cJSON *av, char **out, size_t *len)
{
    ddb_attr_type t = ddb_attr_type_of(av);
    const cJSON *pl = ddb_attr_payload(av);
    char *buf = NULL;
    size_t n = 0;
    if (t == DDB_T_S && cJSON_IsString(pl)) {
        n = strlen(pl->valuestring) + 1;
        buf = malloc(n + 1);
        if (!buf) return -1;
        buf[0] = 'S';
        memcpy(buf + 1, pl->valuestring, n - 1);
    } else if (t == DDB_T_N && cJSON_IsString(pl)) {
        int sign, nd, exp10;
        char digits[40];
        if (ddb_number_parse(pl->valuestring, &sign, digits, &nd, &exp10) != 0) return -1;
        buf = malloc(64);
        if (!buf) return -1;
        /* 1 and 1.0 and 10E-1 are the same key. */
        int w = snprintf(buf, 64, "N%c%d:%.*s", sign < 0 ? '-' : '+', nd ? exp10 : 0, nd, digits);
        n = (size_t)w;
    } else if (t == DDB_T_B && cJSON_IsString(pl)) {
        size_t bl;
        unsigned char *b = ddb_base64_decode(pl->valuestring, &bl);
        if (!b) return -1;
        buf = malloc(bl + 2);
        if (!buf) {
            free(b);
            return -1;
        }
        buf[0] = 'B';
        memcpy(buf + 1, b, bl);
        free(b);
        n = bl + 1;
    } else {
        return -1;
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return 0;
}

int emu_table_part_of(const emu_table *t, const cJSON *hash_av, uint64_t *hash)
{
    char *k;
    size_t n;
    if (emu_key_canon(hash_av, &k, &n) != 0) return -1;
    *hash = bc_hash_bytes(k, n);
    free(k);
    return (int)(*hash % (uint64_t)t->nparts);
}

static int emu_bytes_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c) return c;
    return al < bl ? -1 : al > bl;
}

/* Index of the first collection >= hkey. */
static int emu_part_lower(const emu_part *p, const char *hkey, size_t hlen)
{
    int lo = 0, hi = p->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (emu_bytes_cmp(p->c[mid]->hkey, p->c[mid]->hkey_len, hkey, hlen) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Index of the first entry whose range is >= range_av. */
static int emu_coll_lower(const emu_coll *c, const cJSON *range_av)
{
    if (!range_av) return 0;
    int lo = 0, hi = c->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (ddb_attr_compare(c->e[mid]->range_av, range_av) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int emu_part_after(const emu_part *p, const char *hkey, size_t hlen)
{
    int i = emu_part_lower(p, hkey, hlen);
    if (i < p->n && emu_bytes_cmp(p->c[i]->hkey, p->c[i]->hkey_len, hkey, hlen) == 0) i++;
    return i;
}

emu_entry *emu_part_find(emu_part *p, const char *hkey, size_t hlen, uint64_t hash,
                         const cJSON *range_av, int create)
{
    int ci = emu_part_lower(p, hkey, hlen);
    emu_coll *c = NULL;
    if (ci < p->n && emu_bytes_cmp(p->c[ci]->hkey, p->c[ci]->hkey_len, hkey, hlen) == 0) {
        c = p->c[ci];
    } else {
        if (!create) return NULL;
        if (p->n == p->cap) {
            int cap = p->cap ? p->cap * 2 : 16;
            emu_coll **nc = realloc(p->c, (size_t)cap * sizeof *nc);
            if (!nc) return NULL;
            p->c = nc;
            p->cap = cap;
        }
        c = calloc(1, sizeof *c);
        if (!c) return NULL;
        c->hkey = malloc(hlen + 1);
        if (!c->hkey) {
            free(c);
            return NULL;
        }
        memcpy(c->hkey, hkey, hlen);
        c->hkey[hlen] = 0;
        c->hkey_len = hlen;
        c->hash = hash;
        memmove(p->c + ci + 1, p->c + ci, (size_t)(p->n - ci) * sizeof *p->c);
        p->c[ci] = c;
        p->n++;
    }
    int ei = emu_coll_lower(c, range_av);
    if (ei < c->n && (!range_av || ddb_attr_compare(c->e[ei]->range_av, range_av) == 0))
        return c->e[ei];
    if (!create) return NULL;
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 1;
        emu_entry **ne = realloc(c->e, (size_t)cap * sizeof *ne);
        if (!ne) return NULL;
        c->e = ne;
        c->cap = cap;
    }
    emu_entry *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    if (range_av && !(e->range_av = cJSON_Duplicate(range_av, 1))) {
        free(e);
        return NULL;
    }
    memmove(c->e + ei + 1, c->e + ei, (size_t)(c->n - ei) * sizeof *c->e);
    c->e[ei] = e;
    c->n++;
    return e;
}

const emu_version *emu_entry_latest(const emu_entry *e)
{
    return e && e->nver ? &e->ver[e->nver - 1] : NULL;
}

const emu_version *emu_entry_at(const emu_entry *e, int64_t at)
{
    if (!e) return NULL;
    for (int i = e->nver - 1; i >= 0; i--)
        if (e->ver[i].commit_ns <= at) return &e->ver[i];
    return NULL;
}

void emu_entry_write(emu_table *t, emu_part *p, emu_entry *e, int64_t commit_ns, uint64_t txn_id,
                     cJSON *item, int64_t retain_ns)
{
    const emu_version *old = emu_entry_latest(e);
    if (old && old->item) {
        p->items--;
        p->bytes -= (long long)old->size;
    }
    if (e->nver == e->cap) {
        int cap = e->cap ? e->cap * 2 : 2;
        emu_version *nv = realloc(e->ver, (size_t)cap * sizeof *nv);
        if (!nv) {
            /* Out of memory: keep only the new version rather than lose the write. */
            for (int i = 0; i < e->nver; i++)
                cJSON_Delete(e->ver[i].item);
            e->nver = 0;
        } else {
            e->ver = nv;
            e->cap = cap;
        }
    }
    emu_version *v = &e->ver[e->nver++];
    v->commit_ns = commit_ns;
    v->txn_id = txn_id;
    v->item = item;
    v->size = item ? ddb_item_size(item) : 0;
    if (item) {
        p->items++;
        p->bytes += (long long)v->size;
    }

    if (atomic_load(&t->pitr) || atomic_load(&t->pins) > 0) return;
    int64_t horizon = commit_ns - retain_ns;
    int keep_from = e->nver - 1;
    if (!e->ver[keep_from].item && keep_from > 0) keep_from--; /* last live before delete */
    /* Versions older than keep_from may still be needed if superseded recently. */
    while (keep_from > 0 && e->ver[keep_from].commit_ns > horizon)
        keep_from--;
    if (keep_from <= 0) return;
    for (int i = 0; i < keep_from; i++)
        cJSON_Delete(e->ver[i].item);
    memmove(e->ver, e->ver + keep_from, (size_t)(e->nver - keep_from) * sizeof *e->ver);
    e->nver -= keep_from;
}
