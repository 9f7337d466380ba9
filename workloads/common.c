/*
 * common.c - what every workload shares: write ids, key distributions, key names, item
 * builders and the journaling of an operation's timing and outcome.
 *
 * Key distributions pick an index in [0, keys_per_worker): each worker owns its own key
 * range, so a key's write order is its owner's sequence order (docs/formats.md).
 *   uniform     every key equally likely
 *   zipf        P(i) proportional to 1/(i+1)^theta, by Gray et al.'s method with zeta(n)
 *               precomputed once per spec (wl_spec_prepare); key 0 is the most popular
 *   hotspot     the first hot_fraction of the keys receive hot_prob of the operations,
 *               uniformly within the hot and the cold set (YCSB's hotspot generator)
 *   sequential  0, 1, ..., n-1, 0, 1, ... per worker
 */
#include "workloads/wl_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb/attr.h"
#include "util/clock.h"
#include "util/payload.h"

/* Stream constant mixed with the run seed so that worker streams do not coincide with
 * other PCG32 users of the same seed (emulator faults, backoff jitter). */
#define WL_RNG_SALT 0x776c2d776f726bULL /* "wl-work" */

uint64_t wl_next_wid(wl_worker *w, char wid[HIST_WID_MAX])
{
    uint64_t s = w->seq++;
    hist_wid(w->worker, s, wid);
    return s;
}

void wl_worker_init(wl_worker *w, const wl_spec *spec, int worker, int local, uint64_t seed)
{
    memset(w, 0, sizeof *w);
    w->spec = spec;
    w->worker = worker;
    w->local = local;
    w->seed = seed;
    pcg32_seed(&w->rng, bc_mix64(seed ^ WL_RNG_SALT), (uint64_t)worker);
}

long wl_worker_keys(const wl_worker *w)
{
    const wl_spec *s = w->spec;
    if (s->keys_per_worker > 0) return s->keys_per_worker;
    int workers = wl_spec_workers(s);
    long n = workers > 0 ? s->keys.count / workers : s->keys.count;
    return n > 0 ? n : 1;
}

static double zeta(long n, double theta)
{
    double sum = 0;
    for (long i = 1; i <= n; i++)
        sum += 1.0 / pow((double)i, theta);
    return sum;
}

static void zipf_prepare(wl_zipf *z, long n, double theta)
{
    z->n = n;
    z->theta = theta;
    z->alpha = 1.0 / (1.0 - theta);
    z->zetan = zeta(n, theta);
    z->zeta2 = zeta(2, theta);
    /* With n < 3 eta's denominator can vanish; the first two branches of the sampler
     * cover those n anyway. */
    double denom = 1.0 - z->zeta2 / z->zetan;
    z->eta = denom != 0 ? (1.0 - pow(2.0 / (double)n, 1.0 - theta)) / denom : 0;
    z->ready = 1;
}

static long zipf_next(const wl_zipf *z, pcg32 *rng)
{
    double u = pcg32_double(rng);
    double uz = u * z->zetan;
    long v;
    if (uz < 1.0)
        v = 0;
    else if (uz < 1.0 + pow(0.5, z->theta))
        v = 1;
    else
        v = (long)((double)z->n * pow(z->eta * u - z->eta + 1.0, z->alpha));
    if (v >= z->n) v = z->n - 1;
    return v < 0 ? 0 : v;
}

/* Uniform in [0, n) for n up to LONG_MAX (two draws when n does not fit 32 bits). */
static long uniform_below(pcg32 *rng, long n)
{
    if (n <= (long)UINT32_MAX) return (long)pcg32_bounded(rng, (uint32_t)n);
    return (long)(pcg32_next64(rng) % (uint64_t)n);
}

long wl_pick_key(wl_worker *w)
{
    const wl_spec *s = w->spec;
    long n = wl_worker_keys(w);
    switch (s->keys.dist) {
    case WL_DIST_ZIPF: {
        const wl_zipf *z = &s->zipf;
        if (!z->ready || z->n != n) {
            /* Unprepared spec: compute once for this worker, not per op. */
            if (!w->zipf_own.ready) zipf_prepare(&w->zipf_own, n, s->keys.theta);
            z = &w->zipf_own;
        }
        return zipf_next(z, &w->rng);
    }
    case WL_DIST_HOTSPOT: {
        long hot = (long)((double)n * s->keys.hot_fraction);
        if (hot < 1) hot = 1;
        if (hot >= n || pcg32_double(&w->rng) < s->keys.hot_prob)
            return uniform_below(&w->rng, hot < n ? hot : n);
        return hot + uniform_below(&w->rng, n - hot);
    }
    case WL_DIST_SEQUENTIAL: {
        long v = w->seq_next % n;
        w->seq_next = v + 1;
        return v;
    }
    case WL_DIST_UNIFORM:
    default:
        return uniform_below(&w->rng, n);
    }
}

void wl_key_name(const wl_worker *w, const char *prefix, long n, char out[HIST_KEY_MAX])
{
    hist_key_name(prefix, w->worker, n, out);
}

int wl_dist_parse(const char *name, wl_dist *out)
{
    static const struct {
        const char *name;
        wl_dist d;
    } names[] = {{"uniform", WL_DIST_UNIFORM},
                 {"zipf", WL_DIST_ZIPF},
                 {"zipfian", WL_DIST_ZIPF},
                 {"hotspot", WL_DIST_HOTSPOT},
                 {"sequential", WL_DIST_SEQUENTIAL}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(names[i].name, name) == 0) {
            *out = names[i].d;
            return 0;
        }
    }
    return -1;
}

const char *wl_dist_name(wl_dist d)
{
    switch (d) {
    case WL_DIST_ZIPF:
        return "zipf";
    case WL_DIST_HOTSPOT:
        return "hotspot";
    case WL_DIST_SEQUENTIAL:
        return "sequential";
    case WL_DIST_UNIFORM:
    default:
        return "uniform";
    }
}

int64_t wl_bank_total(const wl_spec *spec)
{
    return (int64_t)wl_spec_workers(spec) * spec->accounts * spec->initial_balance;
}

int wl_spec_prepare(wl_spec *s, char *err, size_t errlen)
{
    if (s->threads <= 0) {
        snprintf(err, errlen, "workloads[%d].threads: expected a positive integer", s->index);
        return -1;
    }
    if (s->inflight <= 0) s->inflight = 1;
    if ((long)s->threads * s->inflight > WL_MAX_WORKERS) {
        snprintf(err, errlen,
                 "workloads[%d]: threads * inflight = %ld workers, more than the %d a workload "
                 "may have",
                 s->index, (long)s->threads * s->inflight, WL_MAX_WORKERS);
        return -1;
    }
    if (s->item_bytes < 0) {
        snprintf(err, errlen, "workloads[%d].item_bytes: expected 0 or more", s->index);
        return -1;
    }
    if (s->keys.count <= 0) s->keys.count = WL_DEFAULT_KEY_COUNT;
    if (s->txn_min == 0) s->txn_min = WL_DEFAULT_TXN_MIN;
    if (s->txn_max == 0)
        s->txn_max = s->txn_min > WL_DEFAULT_TXN_MAX ? s->txn_min : WL_DEFAULT_TXN_MAX;
    if (s->batch_items == 0) s->batch_items = WL_DEFAULT_BATCH_ITEMS;
    if (s->accounts == 0) s->accounts = WL_DEFAULT_ACCOUNTS;
    if (s->initial_balance == 0) s->initial_balance = WL_DEFAULT_INITIAL_BALANCE;
    if (s->keys.dist == WL_DIST_ZIPF && s->keys.theta == 0) s->keys.theta = WL_DEFAULT_THETA;
    if (s->keys.dist == WL_DIST_HOTSPOT && s->keys.hot_fraction == 0)
        s->keys.hot_fraction = WL_DEFAULT_HOT_FRACTION;
    if (s->keys.dist == WL_DIST_HOTSPOT && s->keys.hot_prob == 0)
        s->keys.hot_prob = WL_DEFAULT_HOT_PROB;

    if (s->keys.dist == WL_DIST_ZIPF && !(s->keys.theta > 0 && s->keys.theta < 1)) {
        snprintf(err, errlen, "workloads[%d].keys.theta: expected a number in (0, 1)", s->index);
        return -1;
    }
    if (s->keys.dist == WL_DIST_HOTSPOT &&
        !(s->keys.hot_fraction > 0 && s->keys.hot_fraction <= 1)) {
        snprintf(err, errlen, "workloads[%d].keys.hot_fraction: expected a number in (0, 1]",
                 s->index);
        return -1;
    }
    if (s->keys.dist == WL_DIST_HOTSPOT && !(s->keys.hot_prob >= 0 && s->keys.hot_prob <= 1)) {
        snprintf(err, errlen, "workloads[%d].keys.hot_prob: expected a number in [0, 1]", s->index);
        return -1;
    }
    if (s->txn_min < 1 || s->txn_max < s->txn_min || s->txn_max > WL_TXN_MAX_ITEMS) {
        snprintf(err, errlen,
                 "workloads[%d].txn_min/txn_max: expected 1 <= txn_min <= txn_max <= %d "
                 "(TransactWriteItems limit)",
                 s->index, WL_TXN_MAX_ITEMS);
        return -1;
    }
    if (s->batch_items < 1 || s->batch_items > WL_BATCH_MAX_ITEMS) {
        snprintf(err, errlen, "workloads[%d].batch_items: expected 1..%d (BatchWriteItem limit)",
                 s->index, WL_BATCH_MAX_ITEMS);
        return -1;
    }
    if (s->accounts < 2 && strcmp(s->type, "bank") == 0) {
        snprintf(err, errlen, "workloads[%d].accounts: a transfer needs at least 2 accounts",
                 s->index);
        return -1;
    }
    if (s->initial_balance < 0 || s->delete_after_s < 0) {
        snprintf(err, errlen, "workloads[%d]: initial_balance and delete_after_s must be >= 0",
                 s->index);
        return -1;
    }
    s->keys_per_worker = 0;
    wl_worker probe = {.spec = s};
    s->keys_per_worker = wl_worker_keys(&probe);
    if (strcmp(s->type, "txn") == 0 && s->keys_per_worker < s->txn_max) {
        snprintf(err, errlen,
                 "workloads[%d].keys.count: %ld keys per thread cannot fill a transaction of "
                 "%d distinct items",
                 s->index, s->keys_per_worker, s->txn_max);
        return -1;
    }
    memset(&s->zipf, 0, sizeof s->zipf);
    if (s->keys.dist == WL_DIST_ZIPF) zipf_prepare(&s->zipf, s->keys_per_worker, s->keys.theta);
    return 0;
}

/* ---- items ---- */

/* Copies src into dst of cap bytes, cut to fit as snprintf("%s") would. */
static void copy_cut(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void wl_write_init(hist_write *hw, const char *key, const char *wid, hist_write_kind kind)
{
    memset(hw, 0, sizeof *hw);
    copy_cut(hw->key, sizeof hw->key, key);
    copy_cut(hw->wid, sizeof hw->wid, wid);
    hw->kind = kind;
    hw->status = -1;
}

char *wl_payload_new(const wl_worker *w, const char *key, const char *wid)
{
    size_t len = w->spec->item_bytes > 0 ? (size_t)w->spec->item_bytes : 0;
    char *p = malloc(len + 1);
    if (p) bc_payload(w->seed, key, wid, len, p);
    return p;
}

cJSON *wl_key_new(const wl_worker *w, const char *key)
{
    cJSON *k = cJSON_CreateObject();
    cJSON_AddItemToObject(k, w->hash_key, ddb_attr_s(key));
    return k;
}

cJSON *wl_item_new(const wl_worker *w, const char *key, const char *wid, int64_t ver)
{
    cJSON *item = wl_key_new(w, key);
    cJSON_AddItemToObjectCS(item, "wid", ddb_attr_s(wid));
    cJSON_AddItemToObjectCS(item, "ver", ddb_attr_n_i64(ver));
    if (w->spec->item_bytes > 0) {
        char *pay = wl_payload_new(w, key, wid);
        cJSON_AddItemToObjectCS(item, "pay", ddb_attr_s(pay ? pay : ""));
        free(pay);
    }
    return item;
}

void wl_values_add_s(cJSON *values, const char *name, const char *s)
{
    cJSON_AddItemToObject(values, name, ddb_attr_s(s));
}

void wl_values_add_n(cJSON *values, const char *name, int64_t v)
{
    cJSON_AddItemToObject(values, name, ddb_attr_n_i64(v));
}

/* ---- calls and the journal ---- */

ddb_err wl_call(wl_worker *w, const char *operation, const cJSON *request, ddb_result *res)
{
    int64_t m0 = bc_mono_ns();
    ddb_err e = ddb_call(w->db, operation, request, res);
    w->call_mono_ns = bc_mono_ns() - m0;
    return e;
}

ddb_err wl_call_json(wl_worker *w, const char *operation, const char *json, size_t len,
                     ddb_result *res)
{
    int64_t m0 = bc_mono_ns();
    ddb_err e = ddb_call_json(w->db, operation, json, len, res);
    w->call_mono_ns = bc_mono_ns() - m0;
    return e;
}

void wl_op_init(const wl_worker *w, hist_op *op, uint64_t seq, const char *f)
{
    memset(op, 0, sizeof *op);
    op->worker = w->worker;
    op->seq = seq;
    op->workload = w->spec->type;
    op->wl_index = w->spec->index;
    op->f = f;
}

/* History names for error classes (tries[].err, and op.err when the service named no
 * __type): DynamoDB's exception name for service errors, a short CamelCase name for
 * transport errors, as docs/formats.md shows them ("InternalServerError"). ddb keeps only
 * the last attempt's __type, so earlier attempts are named by their class. */
static const char *const ERR_NAME[DDB_ERR__COUNT] = {
    [DDB_ERR_CONDITIONAL] = "ConditionalCheckFailedException",
    [DDB_ERR_TXN_CANCELED] = "TransactionCanceledException",
    [DDB_ERR_TXN_CONFLICT] = "TransactionConflictException",
    [DDB_ERR_THROTTLED] = "ThrottlingException",
    [DDB_ERR_RESOURCE_NOT_FOUND] = "ResourceNotFoundException",
    [DDB_ERR_RESOURCE_IN_USE] = "ResourceInUseException",
    [DDB_ERR_LIMIT_EXCEEDED] = "LimitExceededException",
    [DDB_ERR_VALIDATION] = "ValidationException",
    [DDB_ERR_TABLE_NOT_FOUND] = "TableNotFoundException",
    [DDB_ERR_TABLE_EXISTS] = "TableAlreadyExistsException",
    [DDB_ERR_TABLE_IN_USE] = "TableInUseException",
    [DDB_ERR_BACKUP_NOT_FOUND] = "BackupNotFoundException",
    [DDB_ERR_BACKUP_IN_USE] = "BackupInUseException",
    [DDB_ERR_CONTINUOUS_BACKUPS_UNAVAILABLE] = "ContinuousBackupsUnavailableException",
    [DDB_ERR_PITR_UNAVAILABLE] = "PointInTimeRecoveryUnavailableException",
    [DDB_ERR_INVALID_RESTORE_TIME] = "InvalidRestoreTimeException",
    [DDB_ERR_ITEM_TOO_LARGE] = "ValidationException",
    [DDB_ERR_AUTH] = "UnrecognizedClientException",
    [DDB_ERR_UNKNOWN_OPERATION] = "UnknownOperationException",
    [DDB_ERR_INTERNAL] = "InternalServerError",
    [DDB_ERR_CONNECT] = "ConnectError",
    [DDB_ERR_TIMEOUT] = "Timeout",
    [DDB_ERR_NETWORK] = "NetworkError",
    [DDB_ERR_CRC] = "Crc32Mismatch",
    [DDB_ERR_PROTOCOL] = "ProtocolError",
    [DDB_ERR_CONFIG] = "ConfigError",
    [DDB_ERR_OTHER] = "ServiceError",
};

const char *wl_err_code_name(ddb_err err)
{
    if (err == DDB_OK || (int)err < 0 || err >= DDB_ERR__COUNT || !ERR_NAME[err]) return NULL;
    return ERR_NAME[err];
}

const char *wl_err_name(const ddb_result *res)
{
    if (res->err_type[0]) return res->err_type;
    return wl_err_code_name(res->err);
}

int wl_journal_op(wl_worker *w, hist_op *op)
{
    if (op->intended_ns == 0) op->intended_ns = w->intended_ns ? w->intended_ns : op->invoke_ns;
    switch (op->outcome) {
    case DDB_OUTCOME_OK:
        w->ops_ok++;
        break;
    case DDB_OUTCOME_FAIL:
        w->ops_fail++;
        break;
    default:
        w->ops_info++;
        break;
    }
    if (!w->journal) return 0;
    return hist_journal_append_op(w->journal, op);
}

int wl_journal(wl_worker *w, hist_op *op, const ddb_result *res)
{
    op->invoke_ns = res->invoke_ns;
    op->complete_ns = res->complete_ns;
    if (op->mono_ns == 0)
        op->mono_ns = w->call_mono_ns ? w->call_mono_ns : res->complete_ns - res->invoke_ns;
    op->outcome = (int)res->outcome;
    op->err = wl_err_name(res);
    op->attempts = res->attempts;
    op->ntries = 0;
    if (res->attempts > 1) {
        for (int i = 0; i < res->attempts && i < DDB_MAX_ATTEMPTS_LIMIT && i < HIST_MAX_TRIES;
             i++) {
            const ddb_attempt *a = &res->attempt[i];
            op->tries[i].send_ns = a->send_ns;
            op->tries[i].recv_ns = a->recv_ns;
            op->tries[i].http_status = a->http_status;
            op->tries[i].err = wl_err_code_name(a->err);
            op->ntries = i + 1;
        }
    }
    op->wcu = res->wcu;
    op->rcu = res->rcu;
    return wl_journal_op(w, op);
}
