/*
 * target.c - one thing checked against the history: a restored backup, a point-in-time
 * restore or the source table. Reads its snapshot into a captured position per key (which
 * of the key's writes the item shows), checks each item against the write it names
 * (unknown write, failed write, payload, version, append list), then decides for every
 * write whether its effect is in the snapshot ("present": the captured position is at or
 * after it, docs/formats.md). Findings are collected here and rendered sorted, so that
 * results.json is byte-identical across re-checks.
 */
#include "checkers/chk_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/payload.h"

int chk_target_init(chk_run *run, chk_target *t)
{
    uint32_t nk = run->kt.nkeys;
    t->cap = malloc((nk ? nk : 1) * sizeof *t->cap);
    t->kflags = calloc(nk ? nk : 1, 1);
    t->present = calloc(run->nw / 8 + 1, 1);
    t->bank_sum = calloc((size_t)(run->nwls ? run->nwls : 1), sizeof *t->bank_sum);
    t->bank_items = calloc((size_t)(run->nwls ? run->nwls : 1), sizeof *t->bank_items);
    t->notes = cJSON_CreateArray();
    t->extra = cJSON_CreateObject();
    if (!t->cap || !t->kflags || !t->present || !t->bank_sum || !t->bank_items) return -1;
    for (uint32_t k = 0; k < nk; k++)
        t->cap[k] = CHK_CAP_ABSENT;
    t->lo = CHK_NS_NEG_INF;
    t->hi = CHK_NS_POS_INF;
    t->lo_wid = t->hi_wid = CHK_WID_NONE;
    return 0;
}

void chk_target_free(chk_target *t)
{
    free(t->cap);
    free(t->kflags);
    free(t->present);
    free(t->bank_sum);
    free(t->bank_items);
    for (size_t i = 0; i < t->nf; i++) {
        free(t->f[i].key);
        free(t->f[i].detail);
        cJSON_Delete(t->f[i].extra);
    }
    free(t->f);
    cJSON_Delete(t->notes);
    cJSON_Delete(t->extra);
    memset(t, 0, sizeof *t);
}

void chk_target_note(chk_target *t, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cJSON_AddItemToArray(t->notes, cJSON_CreateString(buf));
}

int chk_target_add(chk_target *t, int kind, int violation, const char *key, const uint64_t *ids,
                   int nids, long total_ids, cJSON *extra, const char *fmt, ...)
{
    t->by_kind[kind][violation ? 1 : 0]++;
    if (t->nf == t->capf) {
        size_t nc = t->capf ? t->capf * 2 : 16;
        chk_finding *nf = realloc(t->f, nc * sizeof *nf);
        if (!nf) {
            cJSON_Delete(extra);
            return -1;
        }
        t->f = nf;
        t->capf = nc;
    }
    chk_finding *f = &t->f[t->nf++];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->violation = violation ? 1 : 0;
    f->key = key ? strdup(key) : NULL;
    f->nids = nids < CHK_MAX_OP_IDS ? nids : CHK_MAX_OP_IDS;
    if (ids && f->nids) memcpy(f->ids, ids, (size_t)f->nids * sizeof *ids);
    f->total_ids = total_ids > nids ? total_ids : nids;
    f->extra = extra;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    f->detail = strdup(buf);
    return 0;
}

const char *chk_fkind_name(int kind)
{
    static const char *const names[CHK_F_NKINDS] = {"LOST",         "FUTURE",      "PHANTOM",
                                                    "PHANTOM_FAIL", "RESURRECTED", "TORN_TXN",
                                                    "INVARIANT",    "ORDER",       "SCHEMA"};
    return kind >= 0 && kind < CHK_F_NKINDS ? names[kind] : "?";
}

static int cmp_finding(const void *a, const void *b)
{
    const chk_finding *x = a, *y = b;
    if (x->violation != y->violation) return y->violation - x->violation; /* violations first */
    if (x->kind != y->kind) return x->kind - y->kind;
    int c = strcmp(x->key ? x->key : "", y->key ? y->key : "");
    if (c) return c;
    uint64_t i = x->nids ? x->ids[0] : 0, j = y->nids ? y->ids[0] : 0;
    if (i != j) return i < j ? -1 : 1;
    return strcmp(x->detail ? x->detail : "", y->detail ? y->detail : "");
}

cJSON *chk_target_findings_json(chk_target *t)
{
    if (t->nf > 1) qsort(t->f, t->nf, sizeof *t->f, cmp_finding);
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < t->nf && i < CHK_MAX_FINDINGS_LISTED; i++) {
        const chk_finding *f = &t->f[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "kind", chk_fkind_name(f->kind));
        cJSON_AddStringToObject(o, "severity", f->violation ? "violation" : "observation");
        if (f->key)
            cJSON_AddStringToObject(o, "key", f->key);
        else
            cJSON_AddNullToObject(o, "key");
        cJSON *ids = cJSON_AddArrayToObject(o, "op_ids");
        for (int j = 0; j < f->nids; j++) {
            char w[32];
            chk_fmt_wid(f->ids[j], w);
            cJSON_AddItemToArray(ids, cJSON_CreateString(w));
        }
        if (f->total_ids > f->nids)
            cJSON_AddNumberToObject(o, "op_ids_total", (double)f->total_ids);
        cJSON_AddStringToObject(o, "detail", f->detail ? f->detail : "");
        if (f->extra) {
            cJSON *m;
            cJSON_ArrayForEach(m, f->extra)
                cJSON_AddItemToObject(o, m->string, cJSON_Duplicate(m, 1));
        }
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

/* ---------------------------------------------------------------- snapshot items */

/* Items read by the fast path are checked three lines late. Checking an item walks a
 * chain of dependent reads at random (the key's record, then its write records, which
 * are contiguous): at 10M ops each one a cache miss. Meanwhile the next items' reads are
 * started one link per line, so that by the time an item is checked its chain is in the
 * cache. A delayed item keeps copies of its strings (the reader reuses its buffer);
 * items with an append list, and lines for the general path, first check every delayed
 * item, so items are checked in file order. */
#define CHK_SNAP_LATE 3
/* Keys with at most this many writes have their records requested ahead (a longer key's
 * binary search touches only a few of them). */
#define CHK_SNAP_PREFETCH_WRITES 16
typedef struct snap_late {
    chk_item it;
    int64_t k; /* key id, -1 unknown */
    char *buf; /* the item's strings */
    size_t cap;
} snap_late;

typedef struct snap_ctx {
    chk_run *run;
    chk_target *t;
    chk_item it;
    const char *path;
    char *err;
    size_t errlen;
    snap_late late[CHK_SNAP_LATE + 1]; /* a ring: head is the oldest delayed item */
    int head, n;
} snap_ctx;

static void wid_copy(const char *s, size_t n, char out[64])
{
    if (n > 63) n = 63;
    memcpy(out, s, n);
    out[n] = '\0';
}

/* The append list must be a prefix of the key's appends: in key order, no acknowledged
 * append skipped, none twice. Sets the captured position to the last listed append. */
static void check_ids(chk_run *run, chk_target *t, uint32_t k, const char *key, const chk_item *it)
{
    const chk_key *ck = &run->kt.keys[k];
    int64_t prev = -1;
    for (int i = 0; i < it->nids; i++) {
        uint64_t wid;
        if (chk_parse_wid(it->ids[i], it->idlens[i], &wid)) {
            char w[64];
            wid_copy(it->ids[i], it->idlens[i], w);
            chk_target_add(t, CHK_F_PHANTOM, 1, key, NULL, 0, 0, NULL,
                           "ids[%d] is \"%s\", not a write id", i, w);
            t->kflags[k] |= CHK_KF_PHANTOM;
            continue;
        }
        int64_t idx = chk_key_find_wid(run, k, wid);
        if (idx < 0) {
            if (chk_wid_beyond_journal(run, wid)) {
                t->kflags[k] |= CHK_KF_BEYOND;
                t->unjournaled_applied++;
                continue;
            }
            chk_target_add(t, CHK_F_PHANTOM, 1, key, &wid, 1, 1, NULL,
                           "ids[%d] names a write that never appended to this key", i);
            t->kflags[k] |= CHK_KF_PHANTOM;
            continue;
        }
        const chk_write *w = chk_key_write(run, k, (uint32_t)idx);
        if (w->status == CHK_O_FAIL)
            chk_target_add(t, CHK_F_PHANTOM_FAIL, 1, key, &wid, 1, 1, NULL,
                           "ids[%d] is an append that failed definitely", i);
        else if (w->status == CHK_O_INFO)
            t->indeterminate_applied++;
        if (idx <= prev) {
            chk_target_add(t, CHK_F_ORDER, 1, key, &wid, 1, 1, NULL,
                           "ids[%d] repeats or goes back in the key's append order", i);
            continue;
        }
        /* Acknowledged appends skipped between the previous listed one and this one. */
        uint64_t skipped[CHK_MAX_OP_IDS];
        int ns = 0;
        long total = 0;
        for (int64_t j = prev + 1; j < idx; j++) {
            const chk_write *s = chk_key_write(run, k, (uint32_t)j);
            if (s->kind == CHK_W_PUT || s->kind == CHK_W_DELETE) {
                ns = 0; /* the list was recreated: earlier appends are not expected */
                total = 0;
            } else if (s->kind == CHK_W_APPEND && s->status == CHK_O_OK) {
                if (ns < CHK_MAX_OP_IDS) skipped[ns++] = s->wid;
                total++;
            }
        }
        if (total)
            chk_target_add(t, CHK_F_ORDER, 1, key, skipped, ns, total, NULL,
                           "the list is not a prefix of the key's appends: %ld acknowledged "
                           "append(s) missing before ids[%d]",
                           total, i);
        prev = idx;
    }
    if (prev > t->cap[k]) t->cap[k] = (int32_t)prev;
    if (t->kflags[k] & CHK_KF_BEYOND) t->cap[k] = (int32_t)ck->count - 1;
}

/* k: the item's key id if the caller looked it up already (-1 unknown key), else
 * CHK_K_LOOKUP. */
#define CHK_K_LOOKUP (-2)
static void check_item(chk_run *run, chk_target *t, const chk_item *it, int64_t k)
{
    t->items++;
    char key[512], widbuf[64];
    if (!it->key) {
        chk_target_add(t, CHK_F_PHANTOM, 1, NULL, NULL, 0, 0, NULL,
                       "an item without the hash key attribute \"%s\"", run->hash_key);
        t->item_phantoms++;
        return;
    }
    size_t kl = it->keylen < sizeof key - 1 ? it->keylen : sizeof key - 1;
    memcpy(key, it->key, kl);
    key[kl] = '\0';
    uint64_t wid = CHK_WID_NONE;
    int wid_ok = it->wid && chk_parse_wid(it->wid, it->widlen, &wid) == 0;
    if (it->wid) wid_copy(it->wid, it->widlen, widbuf);
    if (k == CHK_K_LOOKUP) k = chk_key_lookup(&run->kt, it->key, it->keylen);
    if (k < 0) {
        if (wid_ok && chk_wid_beyond_journal(run, wid)) {
            t->unjournaled_applied++;
            if (it->pay && run->have_seed &&
                !bc_payload_matches(run->seed, key, widbuf, it->pay, it->paylen))
                chk_target_add(t, CHK_F_PHANTOM, 1, key, &wid, 1, 1, NULL,
                               "payload is not the one write %s produces for this key", widbuf);
            return;
        }
        t->item_phantoms++;
        chk_target_add(t, CHK_F_PHANTOM, 1, key, wid_ok ? &wid : NULL, wid_ok, 0, NULL,
                       "no write in the history touched this key");
        return;
    }
    if (t->kflags[k] & CHK_KF_IN_SNAPSHOT) {
        chk_target_add(t, CHK_F_PHANTOM, 1, key, NULL, 0, 0, NULL,
                       "the key appears twice in the snapshot");
        return;
    }
    t->kflags[k] |= CHK_KF_IN_SNAPSHOT;
    const chk_key *ck = &run->kt.keys[k];
    if (ck->wl >= 0 && ck->wl < run->nwls && it->has_bal) {
        t->bank_sum[ck->wl] += it->bal;
        t->bank_items[ck->wl]++;
    }
    if (it->has_ids) {
        check_ids(run, t, (uint32_t)k, key, it);
        if (!it->nids && !wid_ok) t->cap[k] = CHK_CAP_ABSENT;
        if (t->cap[k] >= 0 || (t->kflags[k] & CHK_KF_PHANTOM)) return;
    }
    if (!wid_ok) {
        chk_target_add(t, CHK_F_PHANTOM, 1, key, NULL, 0, 0, NULL,
                       it->wid ? "the item's wid \"%s\" is not a write id"
                               : "the item has no wid%s",
                       it->wid ? widbuf : "");
        t->kflags[k] |= CHK_KF_PHANTOM;
        t->item_phantoms++;
        return;
    }
    int64_t idx = chk_key_find_wid(run, (uint32_t)k, wid);
    if (idx < 0) {
        if (chk_wid_beyond_journal(run, wid)) {
            /* An interrupted run: the write was sent but its line never reached the
             * journal. Its worker wrote everything journaled for this key before it. */
            t->kflags[k] |= CHK_KF_BEYOND;
            t->cap[k] = (int32_t)ck->count - 1;
            t->unjournaled_applied++;
        } else {
            chk_target_add(t, CHK_F_PHANTOM, 1, key, &wid, 1, 1, NULL,
                           "the item names write %s, which never wrote this key", widbuf);
            t->kflags[k] |= CHK_KF_PHANTOM;
            t->item_phantoms++;
            return;
        }
    } else {
        const chk_write *w = chk_key_write(run, (uint32_t)k, (uint32_t)idx);
        t->cap[k] = (int32_t)idx;
        if (w->status == CHK_O_FAIL)
            chk_target_add(t, CHK_F_PHANTOM_FAIL, 1, key, &wid, 1, 1, NULL,
                           "the item holds write %s, which failed definitely", widbuf);
        else if (w->status == CHK_O_INFO)
            t->indeterminate_applied++;
        if (w->kind == CHK_W_DELETE)
            chk_target_add(t, CHK_F_PHANTOM, 1, key, &wid, 1, 1, NULL,
                           "the item names write %s, which deleted the key", widbuf);
        if (w->kind == CHK_W_UPDATE && it->has_ver && w->val != 0 && it->ver != w->val)
            chk_target_add(t, CHK_F_PHANTOM, 1, key, &wid, 1, 1, NULL,
                           "version %lld, but write %s wrote version %lld", (long long)it->ver,
                           widbuf, (long long)w->val);
    }
    if (it->pay && run->have_seed &&
        !bc_payload_matches(run->seed, key, widbuf, it->pay, it->paylen)) {
        chk_target_add(t, CHK_F_PHANTOM, 1, key, &wid, 1, 1, NULL,
                       "payload is not the one write %s produces for this key (a corrupted "
                       "value or another key's value)",
                       widbuf);
    }
}

/* Copies the strings of a delayed item out of the line. */
static int snap_keep(snap_late *l)
{
    chk_item *it = &l->it;
    size_t need = it->keylen + it->widlen + it->paylen;
    if (need > l->cap) {
        size_t nc = need * 2 + 256;
        char *nb = realloc(l->buf, nc);
        if (!nb) return -1;
        l->buf = nb;
        l->cap = nc;
    }
    char *o = l->buf;
    if (it->key) {
        memcpy(o, it->key, it->keylen);
        it->key = o;
        o += it->keylen;
    }
    if (it->wid) {
        memcpy(o, it->wid, it->widlen);
        it->wid = o;
        o += it->widlen;
    }
    if (it->pay) {
        memcpy(o, it->pay, it->paylen);
        it->pay = o;
    }
    return 0;
}

/* Checks every delayed item, oldest first. */
static void snap_flush(snap_ctx *c)
{
    for (; c->n; c->n--, c->head = (c->head + 1) % (CHK_SNAP_LATE + 1))
        check_item(c->run, c->t, &c->late[c->head].it, c->late[c->head].k);
}

static int snap_line(const char *line, size_t len, long lineno, int last, void *arg)
{
    snap_ctx *c = arg;
    const chk_run *run = c->run;
    snap_late *l = &c->late[(c->head + c->n) % (CHK_SNAP_LATE + 1)];
    int r = chk_scan_item_fast(line, len, c->run->hash_key, &l->it);
    if (r == 1 && !l->it.has_ids) {
        if (snap_keep(l)) {
            snprintf(c->err, c->errlen, "%s: out of memory", c->path);
            return -1;
        }
        l->k = l->it.key ? chk_key_lookup(&run->kt, l->it.key, l->it.keylen) : -1;
        if (l->k >= 0) __builtin_prefetch(&run->kt.keys[l->k]);
        c->n++;
        /* The delayed item one line back: its key record is now cached, so its records
         * (contiguous) are requested, each cache line they span. */
        const snap_late *prev =
            c->n > 1 ? &c->late[(c->head + c->n - 2) % (CHK_SNAP_LATE + 1)] : NULL;
        if (prev && prev->k >= 0 && run->kt.keys[prev->k].count <= CHK_SNAP_PREFETCH_WRITES) {
            const chk_key *ck = &run->kt.keys[prev->k];
            const char *r = (const char *)&run->w[ck->start];
            const char *e = (const char *)&run->w[ck->start + ck->count];
            for (; r < e; r += 64)
                __builtin_prefetch(r);
            __builtin_prefetch(e - 1);
        }
        if (c->n > CHK_SNAP_LATE) {
            check_item(c->run, c->t, &c->late[c->head].it, c->late[c->head].k);
            c->head = (c->head + 1) % (CHK_SNAP_LATE + 1);
            c->n--;
        }
        return 0;
    }
    snap_flush(c);
    if (r == 1) {
        check_item(c->run, c->t, &l->it, CHK_K_LOOKUP);
        return 0;
    }
    cJSON *v = chk_json_parse(line, len);
    if (!v || !cJSON_IsObject(v)) {
        cJSON_Delete(v);
        if (last) {
            chk_target_note(c->t, "the snapshot's torn last line was skipped");
            return 0;
        }
        snprintf(c->err, c->errlen, "%s:%ld: not valid JSON", c->path, lineno);
        return -1;
    }
    char lerr[256];
    if (chk_scan_item_json(v, c->run->hash_key, &c->it, lerr, sizeof lerr)) {
        snprintf(c->err, c->errlen, "%s:%ld: %s", c->path, lineno, lerr);
        cJSON_Delete(v);
        return -1;
    }
    check_item(c->run, c->t, &c->it, CHK_K_LOOKUP);
    cJSON_Delete(v);
    return 0;
}

int chk_target_load_snapshot(chk_run *run, chk_target *t, char *err, size_t errlen)
{
    snap_ctx c;
    memset(&c, 0, sizeof c);
    c.run = run;
    c.t = t;
    c.path = t->snapshot;
    c.err = err;
    c.errlen = errlen;
    int rc = chk_read_lines(t->snapshot, snap_line, &c, err, errlen);
    if (!rc) snap_flush(&c);
    chk_item_free(&c.it);
    for (int i = 0; i <= CHK_SNAP_LATE; i++) {
        chk_item_free(&c.late[i].it);
        free(c.late[i].buf);
    }
    return rc;
}

/* ---------------------------------------------------------------- resolution */

static int must_present(const chk_target *t, const chk_write *w)
{
    if (t->r == CHK_NS_POS_INF) return 1;
    return w->complete_ns < t->r - t->before;
}

/* The band [*ref_a, *ref_b] in which the cut lies according to the keys the snapshot holds:
 * from the latest invoke of a captured write to the earliest completion of an acknowledged
 * write not captured (either order). Falls back to [R, A] where a side is unknown. */
static void reference_band(const chk_run *run, const chk_target *t, int64_t *ref_a, int64_t *ref_b)
{
    int64_t lo = CHK_NS_NEG_INF, hi = CHK_NS_POS_INF;
    for (uint32_t k = 0; k < run->kt.nkeys; k++) {
        if (!(t->kflags[k] & CHK_KF_IN_SNAPSHOT)) continue;
        const chk_key *ck = &run->kt.keys[k];
        const chk_write *o = run->w + ck->start;
        for (uint32_t i = 0; i < ck->count; i++) {
            const chk_write *w = &o[i];
            if (w->status != CHK_O_OK) continue;
            if ((int32_t)i <= t->cap[k]) {
                if (w->invoke_ns > lo) lo = w->invoke_ns;
            } else if (w->complete_ns < hi) {
                hi = w->complete_ns;
            }
        }
    }
    if (lo == CHK_NS_NEG_INF) lo = t->r;
    if (hi == CHK_NS_POS_INF) hi = t->a;
    *ref_a = lo < hi ? lo : hi;
    *ref_b = lo < hi ? hi : lo;
}

/* How far the instants in which a key could be absent in state p, [lo_p, hi_p], lie from
 * the reference band (0 when they overlap). */
static int64_t band_distance(int64_t lo_p, int64_t hi_p, int64_t ref_a, int64_t ref_b)
{
    if (ref_a == CHK_NS_POS_INF || ref_b == CHK_NS_NEG_INF) return 0;
    if (lo_p > ref_b) return lo_p - ref_b;
    if (hi_p < ref_a) return ref_a - hi_p;
    return 0;
}

void chk_target_resolve(chk_run *run, chk_target *t)
{
    int64_t ref_a = CHK_NS_POS_INF, ref_b = CHK_NS_NEG_INF;
    if (t->r != CHK_NS_POS_INF) reference_band(run, t, &ref_a, &ref_b);
    for (uint32_t k = 0; k < run->kt.nkeys; k++) {
        const chk_key *ck = &run->kt.keys[k];
        const chk_write *o = run->w + ck->start;
        if (!(t->kflags[k] & CHK_KF_IN_SNAPSHOT)) {
            /* An absent item is explained by "no write yet" (-1) or by any applied delete.
             * Keep every must-present write if some explanation can; among those, take the
             * one whose time span [invoke of the delete, completion of the next write]
             * lies nearest the cut the present items imply (the latest on a tie): the
             * absence of a key inserted and deleted long before the backup is the delete,
             * not an insert that was never captured. If no explanation keeps every
             * must-present write, take the latest (what is missing is then reported). */
            int64_t lmp = -1, last = -1, best = -2, best_dist = 0;
            for (uint32_t i = 0; i < ck->count; i++) {
                const chk_write *w = &o[i];
                if (w->status == CHK_O_OK && must_present(t, w)) lmp = i;
                if (w->kind == CHK_W_DELETE && w->status != CHK_O_FAIL) last = i;
            }
            for (int64_t p = -1; p < (int64_t)ck->count; p++) {
                if (p >= 0) {
                    const chk_write *w = &o[p];
                    if (w->kind != CHK_W_DELETE || w->status == CHK_O_FAIL) continue;
                }
                if (p < lmp) continue;
                int64_t lo_p = p < 0 ? CHK_NS_NEG_INF : o[p].invoke_ns;
                int64_t hi_p = CHK_NS_POS_INF;
                for (uint32_t j = (uint32_t)(p + 1); j < ck->count; j++) {
                    const chk_write *n = &o[j];
                    if (n->status == CHK_O_OK) {
                        hi_p = n->complete_ns;
                        break;
                    }
                }
                int64_t d = band_distance(lo_p, hi_p, ref_a, ref_b);
                if (best == -2 || d <= best_dist) {
                    best = p;
                    best_dist = d;
                }
            }
            t->cap[k] = (int32_t)(best != -2 ? best : last);
        }
        int32_t cap = t->cap[k];
        for (uint32_t i = 0; i < ck->count && (int32_t)i <= cap; i++) {
            uint32_t wi = ck->start + i;
            if (o[i].status != CHK_O_FAIL) t->present[wi >> 3] |= (uint8_t)(1u << (wi & 7));
        }
    }
}
