/* timeline.c - reads history.jsonl and snapshots into what report.html plots
 * (see timeline.h). */
#include "reports/timeline.h"

#include <stdlib.h>
#include <string.h>

#include "reports/internal.h"
#include "util/jsonl.h"
#include "util/pcg32.h"

typedef struct load_ctx {
    rep_timeline *t;
    size_t wcap, ocap, kcap, tcap;
    int fcap;
    int too_big; /* the keys and write ids outgrew 32-bit offsets */
} load_ctx;

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap * 2 : 1024;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * elem);
    if (!q) return -1;
    *p = q;
    *cap = n;
    return 0;
}

/* Appends s[0..len) and its NUL to the timeline's text; *off is where it starts. */
static int add_text(load_ctx *c, const char *s, size_t len, uint32_t *off)
{
    rep_timeline *t = c->t;
    if (len >= UINT32_MAX - t->text_len) {
        c->too_big = 1;
        return -1;
    }
    if (grow((void **)&t->text, &c->tcap, t->text_len + len + 1, 1)) return -1;
    memcpy(t->text + t->text_len, s, len);
    t->text[t->text_len + len] = '\0';
    *off = (uint32_t)t->text_len;
    t->text_len += len + 1;
    return 0;
}

static int outcome_code(const char *s)
{
    if (!s || !strcmp(s, "ok")) return 0;
    if (!strcmp(s, "info")) return 1;
    return 2;
}

static int on_line(const cJSON *line, long lineno, void *arg)
{
    (void)lineno;
    load_ctx *c = arg;
    rep_timeline *t = c->t;
    const char *type = rep_str(line, "type", "");
    if (!strcmp(type, "meta")) {
        t->start_ns = rep_i64(line, "start_ns", 0);
        snprintf(t->hash_key, sizeof t->hash_key, "%s", rep_str(line, "hash_key", "pk"));
    } else if (!strcmp(type, "end")) {
        t->end_ns = rep_i64(line, "end_ns", 0);
    } else if (!strcmp(type, "fault")) {
        const char *kind = rep_str(line, "kind", "?");
        const char *phase = rep_str(line, "phase", "start");
        int64_t at = rep_i64(line, "at_ns", 0);
        if (!strcmp(phase, "start")) {
            size_t cap = (size_t)c->fcap;
            if (grow((void **)&t->faults, &cap, (size_t)t->nfaults + 1, sizeof *t->faults))
                return -1;
            c->fcap = (int)cap;
            rep_tfault *f = &t->faults[t->nfaults++];
            snprintf(f->kind, sizeof f->kind, "%s", kind);
            f->start_ns = at;
            f->end_ns = 0;
        } else {
            for (int i = t->nfaults - 1; i >= 0; i--)
                if (!t->faults[i].end_ns && !strcmp(t->faults[i].kind, kind)) {
                    t->faults[i].end_ns = at;
                    break;
                }
        }
    } else if (!strcmp(type, "op")) {
        int64_t inv = rep_i64(line, "invoke_ns", 0), comp = rep_i64(line, "complete_ns", 0);
        int64_t intended = rep_i64(line, "intended_ns", 0);
        int oc = outcome_code(rep_str(line, "outcome", "ok"));
        if (t->nops + 1 > c->ocap) {
            /* the three per-op arrays share one capacity */
            size_t n = c->ocap ? c->ocap * 2 : 4096;
            int64_t *ot = realloc(t->op_t, n * sizeof *ot);
            if (ot) t->op_t = ot;
            int64_t *ol = realloc(t->op_lat, n * sizeof *ol);
            if (ol) t->op_lat = ol;
            uint8_t *oe = realloc(t->op_err, n);
            if (oe) t->op_err = oe;
            if (!ot || !ol || !oe) return -1;
            c->ocap = n;
        }
        t->op_t[t->nops] = comp;
        /* Latency from the intended start when the workload is open-loop (wrk2's fix
         * for coordinated omission); closed-loop workloads record intended = invoke. */
        t->op_lat[t->nops] = comp - (intended ? intended : inv);
        t->op_err[t->nops] = oc != 0;
        t->nops++;
        const cJSON *wr;
        cJSON_ArrayForEach(wr, rep_get(line, "writes"))
        {
            if (grow((void **)&t->w, &c->wcap, t->nw + 1, sizeof *t->w)) return -1;
            rep_twrite *w = &t->w[t->nw];
            memset(w, 0, sizeof *w);
            w->invoke_ns = inv;
            w->complete_ns = comp;
            const char *wid = rep_str(wr, "wid", "");
            if (add_text(c, wid, strlen(wid), &w->wid)) return -1;
            const char *st = rep_str(wr, "st", NULL);
            w->outcome = (uint8_t)(st ? outcome_code(st) : oc);
            w->is_delete = !strcmp(rep_str(wr, "op", ""), "delete");
            /* The key's index, from an open-addressing table kept at most half full. */
            const char *k = rep_str(wr, "k", "");
            size_t klen = strlen(k);
            uint64_t h = bc_hash_bytes(k, (unsigned long)klen);
            if (t->nkeys * 2 + 2 >= t->nslots) {
                size_t ns = t->nslots ? t->nslots * 2 : 4096;
                uint32_t *slots = calloc(ns, sizeof *slots);
                if (!slots) return -1;
                for (size_t i = 0; i < t->nslots; i++) {
                    if (!t->slots[i]) continue;
                    const char *name = rep_tkey(t, t->slots[i] - 1);
                    size_t j = bc_hash_bytes(name, (unsigned long)strlen(name)) & (ns - 1);
                    while (slots[j])
                        j = (j + 1) & (ns - 1);
                    slots[j] = t->slots[i];
                }
                free(t->slots);
                t->slots = slots;
                t->nslots = ns;
            }
            size_t j = h & (t->nslots - 1);
            while (t->slots[j] && strcmp(rep_tkey(t, t->slots[j] - 1), k) != 0)
                j = (j + 1) & (t->nslots - 1);
            if (!t->slots[j]) {
                if (grow((void **)&t->keys, &c->kcap, t->nkeys + 1, sizeof *t->keys)) return -1;
                if (add_text(c, k, klen, &t->keys[t->nkeys])) return -1;
                t->slots[j] = (uint32_t)++t->nkeys;
            }
            w->key = t->slots[j] - 1;
            t->nw++;
        }
    }
    return 0;
}

static const rep_timeline *sort_t;
static int by_key_then_invoke(const void *a, const void *b)
{
    const rep_twrite *x = &sort_t->w[*(const uint32_t *)a], *y = &sort_t->w[*(const uint32_t *)b];
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    if (x->invoke_ns != y->invoke_ns) return x->invoke_ns < y->invoke_ns ? -1 : 1;
    return strcmp(rep_twid(sort_t, x), rep_twid(sort_t, y));
}

int rep_timeline_load(const char *run_dir, rep_timeline **out, char *err, size_t errlen)
{
    *out = NULL;
    char path[REP_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/history.jsonl", run_dir);
    rep_timeline *t = calloc(1, sizeof *t);
    if (!t) return -1;
    snprintf(t->hash_key, sizeof t->hash_key, "pk");
    load_ctx c = {t, 0, 0, 0, 0, 0, 0};
    jsonl_stats st;
    int rc = jsonl_read(path, 1, on_line, &c, &st, err, errlen);
    if (rc) {
        if (c.too_big)
            snprintf(err, errlen,
                     "%s: too large for the report's timeline (over 4 GiB of keys "
                     "and write ids)",
                     path);
        else if (rc != -1 || !*err)
            snprintf(err, errlen, "%s: out of memory", path);
        rep_timeline_free(t);
        return -1;
    }
    if (st.lines == 0) {
        rep_timeline_free(t);
        return 0; /* no history: the report draws markers only */
    }
    int64_t lo = 0, hi = 0;
    for (size_t i = 0; i < t->nops; i++) {
        int64_t s = t->op_t[i] - t->op_lat[i];
        if (!lo || s < lo) lo = s;
        if (t->op_t[i] > hi) hi = t->op_t[i];
    }
    if (!t->start_ns) t->start_ns = lo;
    if (!t->end_ns || t->end_ns < hi) t->end_ns = hi;
    for (int i = 0; i < t->nfaults; i++)
        if (!t->faults[i].end_ns) t->faults[i].end_ns = t->end_ns; /* still on when the run ended */

    /* Each key's writes in order: a sorted index, and where each key's run starts. */
    t->order = malloc((t->nw + 1) * sizeof *t->order);
    t->first = calloc(t->nkeys + 1, sizeof *t->first);
    if (!t->order || !t->first) {
        rep_timeline_free(t);
        return -1;
    }
    for (size_t i = 0; i < t->nw; i++)
        t->order[i] = (uint32_t)i;
    sort_t = t; /* qsort has no context argument in C11; the reports are single-threaded */
    qsort(t->order, t->nw, sizeof *t->order, by_key_then_invoke);
    sort_t = NULL;
    for (size_t i = 0; i < t->nw; i++) {
        rep_twrite *w = &t->w[t->order[i]];
        if (i == 0 || t->w[t->order[i - 1]].key != w->key) t->first[w->key] = (uint32_t)i;
        w->pos = (uint32_t)(i - t->first[w->key]);
    }
    t->first[t->nkeys] = (uint32_t)t->nw;
    *out = t;
    return 0;
}

void rep_timeline_free(rep_timeline *t)
{
    if (!t) return;
    free(t->text);
    free(t->keys);
    free(t->w);
    free(t->op_t);
    free(t->op_lat);
    free(t->op_err);
    free(t->faults);
    free(t->order);
    free(t->first);
    free(t->slots);
    free(t);
}

static int64_t key_index(const rep_timeline *t, const char *k)
{
    if (!t->nslots) return -1;
    size_t j = bc_hash_bytes(k, (unsigned long)strlen(k)) & (t->nslots - 1);
    while (t->slots[j]) {
        if (!strcmp(rep_tkey(t, t->slots[j] - 1), k)) return t->slots[j] - 1;
        j = (j + 1) & (t->nslots - 1);
    }
    return -1;
}

typedef struct snap_ctx {
    const rep_timeline *t;
    int64_t *item_pos; /* per key: position of the captured write, -1 absent */
} snap_ctx;

static const char *attr_text(const cJSON *item, const char *name)
{
    const cJSON *a = rep_get(item, name);
    const char *s = rep_str(a, "S", NULL);
    return s ? s : rep_str(a, "N", NULL);
}

static int on_item(const cJSON *item, long lineno, void *arg)
{
    (void)lineno;
    snap_ctx *c = arg;
    const char *k = attr_text(item, c->t->hash_key);
    const char *wid = attr_text(item, "wid");
    if (!k || !wid) return 0;
    int64_t ki = key_index(c->t, k);
    if (ki < 0) return 0; /* a key no write produced: the checkers report phantoms */
    /* A present item whose wid is unknown still counts as present (position 0 would
     * understate it): treat it as the key's latest write. */
    uint32_t a = c->t->first[ki], b = c->t->first[ki + 1];
    int64_t pos = (int64_t)(b - a) - 1;
    for (uint32_t i = a; i < b; i++)
        if (!strcmp(rep_twid(c->t, &c->t->w[c->t->order[i]]), wid)) {
            pos = (int64_t)(i - a);
            break;
        }
    c->item_pos[ki] = pos;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int rep_timeline_classify(const rep_timeline *t, const char *snapshot_path, const cJSON *findings,
                          uint8_t *cls, char *err, size_t errlen)
{
    snap_ctx c = {t, malloc((t->nkeys + 1) * sizeof(int64_t))};
    if (!c.item_pos) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < t->nkeys; i++)
        c.item_pos[i] = -1;
    if (snapshot_path && jsonl_read(snapshot_path, 1, on_item, &c, NULL, err, errlen)) {
        free(c.item_pos);
        return -1;
    }
    /* The wids that violation findings name, sorted for lookup. */
    size_t nv = 0, cap = 0;
    const char **viol = NULL;
    const cJSON *f, *id;
    cJSON_ArrayForEach(f, findings)
    {
        if (!rep_finding_is_violation(f)) continue;
        cJSON_ArrayForEach(id, rep_get(f, "op_ids"))
        {
            if (!cJSON_IsString(id)) continue;
            if (grow((void **)&viol, &cap, nv + 1, sizeof *viol)) {
                free(viol);
                free(c.item_pos);
                return -1;
            }
            viol[nv++] = id->valuestring;
        }
    }
    if (nv) qsort(viol, nv, sizeof *viol, cmp_str);
    for (size_t i = 0; i < t->nw; i++) {
        const rep_twrite *w = &t->w[i];
        const char *wid = rep_twid(t, w);
        int64_t ip = c.item_pos[w->key];
        if (nv && bsearch(&wid, viol, nv, sizeof *viol, cmp_str))
            cls[i] = REP_W_VIOLATION;
        else if (w->outcome == 2)
            cls[i] = REP_W_SKIP;
        else if (w->outcome == 1)
            cls[i] = REP_W_INDET;
        else if (w->is_delete ? (ip < 0 || ip > (int64_t)w->pos) : ip >= (int64_t)w->pos)
            cls[i] = REP_W_CAPTURED;
        else
            cls[i] = REP_W_MISSING;
    }
    free(viol);
    free(c.item_pos);
    return 0;
}
