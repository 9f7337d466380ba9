/*
 * stats.c - what results.json reports besides findings: timings (latency measured from
 * each op's intended start, so a stalled server cannot hide behind a closed loop: wrk2's
 * coordinated-omission rule), availability while a backup or restore is in flight versus
 * outside (DESIGN.md "The source table and availability") and cost estimates from the
 * consumed capacity in the history and the dated pricing file.
 */
#include "checkers/chk_internal.h"

#include <stdio.h>
#include <string.h>

#include "reports/pricing.h"

/* k-th smallest (0-based) of v[0..n) by value >> 1, reordering v: quickselect with a
 * three-way partition (equal latencies are common) and a median-of-three pivot. */
static uint64_t select_k(uint64_t *v, size_t n, size_t k)
{
    long lo = 0, hi = (long)n - 1, kk = (long)k;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        uint64_t a = v[lo] >> 1, b = v[mid] >> 1, c = v[hi] >> 1;
        uint64_t pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        long lt = lo, i = lo, gt = hi;
        while (i <= gt) {
            uint64_t x = v[i] >> 1, t;
            if (x < pivot) {
                t = v[lt], v[lt] = v[i], v[i] = t;
                lt++, i++;
            } else if (x > pivot) {
                t = v[gt], v[gt] = v[i], v[i] = t;
                gt--;
            } else {
                i++;
            }
        }
        if (kk < lt)
            hi = lt - 1;
        else if (kk > gt)
            lo = gt + 1;
        else
            return pivot;
    }
    return v[kk] >> 1;
}

/* Nearest rank (1-based) of percentile p among n. */
static size_t pct_rank(size_t n, double p)
{
    size_t rank = (size_t)(p * (double)n + 0.999999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return rank;
}

typedef struct lat_summary {
    double p50, p99, max; /* ms */
} lat_summary;

/* p50, p99 and max of v[0..n) (reordering v). select_k leaves every element before the
 * k-th no larger and every one after it no smaller, so p99 is sought among the elements
 * from p50's place on, and the max among those from p99's. */
static lat_summary summarize(uint64_t *v, size_t n)
{
    lat_summary s = {0, 0, 0};
    if (!n) return s;
    size_t k50 = pct_rank(n, 0.50) - 1, k99 = pct_rank(n, 0.99) - 1;
    s.p50 = (double)select_k(v, n, k50) / 1e6;
    s.p99 = (double)select_k(v + k50, n - k50, k99 - k50) / 1e6;
    uint64_t m = 0;
    for (size_t i = k99; i < n; i++)
        if ((v[i] >> 1) > m) m = v[i] >> 1;
    s.max = (double)m / 1e6;
    return s;
}

static double round3(double x)
{
    return (double)(long long)(x * 1000.0 + (x >= 0 ? 0.5 : -0.5)) / 1000.0;
}

static void add_lat(cJSON *o, uint64_t *v, size_t n)
{
    lat_summary s = summarize(v, n);
    cJSON_AddNumberToObject(o, "p50", round3(s.p50));
    cJSON_AddNumberToObject(o, "p99", round3(s.p99));
    cJSON_AddNumberToObject(o, "max", round3(s.max));
}

static int64_t run_begin(const chk_run *run)
{
    int64_t s = run->meta ? chk_json_i64(run->meta, "start_ns", 0) : 0;
    return s ? s : run->first_invoke;
}

static int64_t run_end(const chk_run *run)
{
    return run->end_ns > 0 ? run->end_ns : run->last_complete;
}

/* While the workload ran: the first operation's invoke to the last one's completion. The
 * run itself goes on after it (restores, scans, clean-up), so rates are taken over this;
 * without operations, the run's span. */
static void workload_window(const chk_run *run, int64_t *b, int64_t *e)
{
    if (run->ops > 0 && run->first_invoke > 0 && run->last_complete > run->first_invoke) {
        *b = run->first_invoke;
        *e = run->last_complete;
    } else {
        *b = run_begin(run);
        *e = run_end(run);
    }
}

cJSON *chk_timings_json(chk_run *run)
{
    cJSON *o = cJSON_CreateObject();
    double run_s = (double)(run_end(run) - run_begin(run)) / 1e9;
    if (run_s < 0) run_s = 0;
    int64_t wb, we;
    workload_window(run, &wb, &we);
    double workload_s = we > wb ? (double)(we - wb) / 1e9 : 0;
    cJSON_AddNumberToObject(o, "run_s", round3(run_s));
    cJSON_AddNumberToObject(o, "workload_s", round3(workload_s));
    cJSON_AddNumberToObject(o, "ops", (double)run->ops);
    cJSON_AddNumberToObject(o, "ops_per_s",
                            workload_s > 0 ? round3((double)run->ops / workload_s) : 0);
    cJSON *l = cJSON_AddObjectToObject(o, "latency_ms");
    add_lat(l, run->lat.v, run->lat.n);
    cJSON_AddStringToObject(o, "latency_from", "intended_ns");
    return o;
}

cJSON *chk_availability_json(chk_run *run)
{
    chk_latency *l = &run->lat;
    /* Partition: ops during a backup or restore first. */
    size_t i = 0, j = l->n;
    while (i < j) {
        if (l->v[i] & 1) {
            i++;
        } else {
            uint64_t t = l->v[i];
            l->v[i] = l->v[--j];
            l->v[j] = t;
        }
    }
    size_t nd = i;
    int64_t b, e, during_ns = 0;
    workload_window(run, &b, &e);
    for (int s = 0; s < run->nspans; s++) {
        int64_t lo = run->spans[s].lo > b ? run->spans[s].lo : b;
        int64_t hi = run->spans[s].hi < e ? run->spans[s].hi : e;
        if (hi > lo) during_ns += hi - lo;
    }
    int64_t outside_ns = e - b - during_ns;
    cJSON *o = cJSON_CreateObject();
    const char *names[2] = {"during_backup", "outside"};
    for (int side = 0; side < 2; side++) {
        uint64_t *v = side == 0 ? l->v : l->v + nd;
        size_t n = side == 0 ? nd : l->n - nd;
        int64_t span = side == 0 ? during_ns : outside_ns;
        cJSON *x = cJSON_AddObjectToObject(o, names[side]);
        cJSON_AddNumberToObject(x, "ops", (double)n);
        lat_summary ls = summarize(v, n);
        cJSON_AddNumberToObject(x, "p50_ms", round3(ls.p50));
        cJSON_AddNumberToObject(x, "p99_ms", round3(ls.p99));
        cJSON_AddNumberToObject(x, "max_ms", round3(ls.max));
        cJSON_AddNumberToObject(x, "seconds", round3(span > 0 ? (double)span / 1e9 : 0));
        cJSON_AddNumberToObject(x, "ops_per_s",
                                span > 0 ? round3((double)n / ((double)span / 1e9)) : 0);
        cJSON_AddNumberToObject(x, "errors", (double)l->errors[side == 0 ? 1 : 0]);
        cJSON_AddNumberToObject(x, "throttles", (double)l->throttles[side == 0 ? 1 : 0]);
    }
    cJSON_AddStringToObject(o, "during_means",
                            "an operation overlapping any backup (request to AVAILABLE) or "
                            "restore (request to ACTIVE); seconds count only while the "
                            "workload ran");
    return o;
}

cJSON *chk_costs_json(chk_run *run, const chk_options *opts)
{
    rep_usage u;
    memset(&u, 0, sizeof u);
    u.wru = run->wcu;
    u.rru = run->rcu;
    const cJSON *r, *b;
    cJSON_ArrayForEach(r, run->restores)
    {
        u.rru += chk_json_num(r, "scan_rcu", 0);
        const char *from = chk_json_str(r, "backup");
        cJSON_ArrayForEach(b, run->backups)
        {
            const char *id = chk_json_str(b, "id");
            if (from && id && strcmp(from, id) == 0)
                u.restore_bytes += chk_json_num(b, "size_bytes", 0);
        }
    }
    if (run->source) u.rru += chk_json_num(run->source, "scan_rcu", 0);
    cJSON_ArrayForEach(b, run->backups) u.backup_bytes += chk_json_num(b, "size_bytes", 0);
    /* Backups are kept for the run only (the harness deletes them at the end). */
    double run_s = (double)(run_end(run) - run_begin(run)) / 1e9;
    u.backup_days = run_s > 0 ? run_s / 86400.0 : 0;

    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "wru", round3(u.wru));
    cJSON_AddNumberToObject(o, "rru", round3(u.rru));
    cJSON_AddNumberToObject(o, "backup_bytes", u.backup_bytes);
    cJSON_AddNumberToObject(o, "restore_bytes", u.restore_bytes);
    rep_pricing p;
    char err[256];
    const cJSON *tgt =
        run->scenario ? cJSON_GetObjectItemCaseSensitive(run->scenario, "target") : NULL;
    const char *region = chk_json_str(tgt, "region");
    if (rep_pricing_load(opts ? opts->pricing : NULL, region, &p, err, sizeof err) &&
        (!region || rep_pricing_load(opts ? opts->pricing : NULL, NULL, &p, err, sizeof err))) {
        cJSON_AddNullToObject(o, "usd");
        cJSON_AddStringToObject(o, "note", err);
        return o;
    }
    rep_cost c;
    rep_cost_estimate(&p, &u, &c);
    /* Dollars to the millionth: enough for per-request prices, stable across re-checks. */
    cJSON_AddNumberToObject(o, "usd", (double)(long long)(c.total * 1e6 + 0.5) / 1e6);
    cJSON *br = cJSON_AddObjectToObject(o, "usd_breakdown");
    cJSON_AddNumberToObject(br, "writes", (double)(long long)(c.writes * 1e6 + 0.5) / 1e6);
    cJSON_AddNumberToObject(br, "reads", (double)(long long)(c.reads * 1e6 + 0.5) / 1e6);
    cJSON_AddNumberToObject(br, "backup_storage",
                            (double)(long long)(c.backup_storage * 1e6 + 0.5) / 1e6);
    cJSON_AddNumberToObject(br, "restores", (double)(long long)(c.restores * 1e6 + 0.5) / 1e6);
    cJSON *pr = cJSON_AddObjectToObject(o, "pricing");
    cJSON_AddStringToObject(pr, "region", p.region);
    cJSON_AddStringToObject(pr, "as_of", p.as_of);
    /* Where the prices came from: the built-in file, or the one given (a run keeps the
     * file it was given as RUN_DIR/pricing.json). */
    const char *file = opts && opts->pricing ? strrchr(opts->pricing, '/') : NULL;
    cJSON_AddStringToObject(pr, "source",
                            !opts || !opts->pricing ? "built-in"
                            : file                  ? file + 1
                                                    : opts->pricing);
    return o;
}
