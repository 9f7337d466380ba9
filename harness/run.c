/*
 * run.c - `backcheck run SCENARIO`: the orchestration (see run.h for the parts).
 *
 * Phases: resolve the scenario -> run directory -> start the target -> create the source
 * table -> meta line -> workload setup -> workers + backup scheduler + nemesis for
 * duration_s -> wait for backups -> restores and scans -> source scan -> clean-up ->
 * `end` line -> check stage and reports -> exit with the verdict.
 *
 * Everything a later stage needs is on disk before that stage starts, so a run killed
 * at any point leaves a directory `backcheck check` can read (at worst inconclusive).
 */
#include "harness/run_internal.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkers/checker.h"
#include "reports/pricing.h"
#include "reports/report.h"
#include "util/clock.h"
#include "util/jsonl.h"
#include "util/log.h"
#include "util/pcg32.h"

/* How long the workload setup (bank accounts...) may take before the run gives up. */
#define RUN_SETUP_DEADLINE_S 120.0
/* How long the workload may run past its duration while a backup that fell due before the
 * end has not been requested yet (the scheduler thread was starved on a loaded machine). */
#define RUN_DUE_BACKUP_GRACE_NS (10 * BC_NS_PER_S)
/* Tags on everything the run creates, so `backcheck cleanup` can find leftovers. */
#define RUN_TAG_KEY "backcheck-run"
/* Closed-loop throughput assumed per worker (operation in flight) when estimating AWS costs. */
#define RUN_AWS_EST_OPS_PER_WORKER 200.0
/* Days a backup is billed for in the estimate (the run deletes it at the end). */
#define RUN_AWS_EST_BACKUP_DAYS 1.0
/* Slack added to the request deadlines when waiting for workers at the end. */
#define RUN_STOP_MARGIN_S 1.0
/* A worker still busy this long after the end is named in the log. */
#define RUN_STOP_SAY_AFTER_S 0.5

/* The one process-wide mutable: set by the signal handler (which can reach nothing
 * else), read by the main thread, which turns it into ctx->stop/interrupted. */
static volatile sig_atomic_t g_signal;

static void on_signal(int sig)
{
    g_signal = sig;
    /* A second Ctrl-C ends the process the default way. */
    signal(sig, SIG_DFL);
}

/* ---- shared helpers (run_internal.h) ---- */

void run_add_ns(cJSON *obj, const char *name, int64_t ns)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)ns);
    cJSON_AddRawToObject(obj, name, buf);
}

void run_fatal(run_ctx *ctx, const char *fmt, ...)
{
    pthread_mutex_lock(&ctx->out_mu);
    if (!ctx->fatal_msg[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->fatal_msg, sizeof ctx->fatal_msg, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&ctx->out_mu);
    atomic_store(&ctx->fatal, 1);
    atomic_store(&ctx->stop, 1);
}

void run_emit_backups_line(run_ctx *ctx, cJSON *line, int sync)
{
    pthread_mutex_lock(&ctx->out_mu);
    if (ctx->backups_f) {
        jsonl_write(ctx->backups_f, line);
        fflush(ctx->backups_f);
        if (sync) fsync(fileno(ctx->backups_f));
    }
    pthread_mutex_unlock(&ctx->out_mu);
    cJSON_Delete(line);
}

void run_emit_history_line(run_ctx *ctx, cJSON *line, int sync)
{
    if (ctx->journal) {
        hist_journal_append_line(ctx->journal, line);
        if (sync) hist_journal_sync(ctx->journal);
    }
    cJSON_Delete(line);
}

uint64_t run_ops_done(run_ctx *ctx)
{
    uint64_t n = 0;
    for (int i = 0; i < ctx->nworkers; i++)
        n += atomic_load_explicit(&ctx->workers[i].ops_done, memory_order_relaxed);
    return n;
}

uint64_t run_errors(run_ctx *ctx)
{
    uint64_t n = 0;
    for (int i = 0; i < ctx->nworkers; i++)
        n += atomic_load_explicit(&ctx->workers[i].errors, memory_order_relaxed);
    return n;
}

int run_sleep_poll(run_ctx *ctx, double *delay_s, double cap_s)
{
    int64_t until = bc_mono_ns() + (int64_t)(*delay_s * BC_NS_PER_S);
    while (bc_mono_ns() < until) {
        if (atomic_load(&ctx->interrupted) || atomic_load(&ctx->fatal)) return 1;
        bc_sleep_ns(10 * BC_NS_PER_MS);
    }
    *delay_s = fmin(*delay_s * 2, cap_s);
    return atomic_load(&ctx->interrupted) ? 1 : 0;
}

/* A message too long for the caller's buffer is cut, ending in "...". */
void run_describe_error(const ddb_result *r, char *out, size_t n)
{
    int w = r->err_type[0] ? snprintf(out, n, "%s: %s", r->err_type, r->err_message)
                           : snprintf(out, n, "%s%s%s", ddb_strerror(r->err),
                                      r->err_message[0] ? ": " : "", r->err_message);
    if (w >= 0 && (size_t)w >= n && n > 4) memcpy(out + n - 4, "...", 4);
}

/* ---- scenario hooks ---- */

static int hook_workload_known(const char *type)
{
    return wl_find(type) != NULL;
}

static int hook_fault_validate(const char *spec, char *err, size_t errlen)
{
    return emu_fault_validate(spec, err, errlen);
}

/* ---- run directory ---- */

static int mkdir_p(const char *path)
{
    char tmp[RUN_PATH_MAX + 64];
    snprintf(tmp, sizeof tmp, "%.1080s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* --pricing: a copy in the run directory (pricing.json), which the check stage and a
 * later `backcheck check` use, so the run directory holds the prices its costs are in. */
static int keep_pricing(run_ctx *ctx, char *err, size_t errlen)
{
    char path[RUN_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/pricing.json", ctx->dir);
    FILE *in = fopen(ctx->opts->pricing, "rb");
    if (!in) {
        snprintf(err, errlen, "--pricing: %.600s: %s", ctx->opts->pricing, strerror(errno));
        return -1;
    }
    FILE *out = fopen(path, "wb");
    int rc = out ? 0 : -1;
    char buf[8192];
    size_t n;
    while (!rc && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) rc = -1;
    if (ferror(in)) rc = -1;
    fclose(in);
    if (out && fclose(out) != 0) rc = -1;
    if (rc) snprintf(err, errlen, "%.600s: %s", path, strerror(errno));
    return rc;
}

static int make_run_dir(run_ctx *ctx, char *err, size_t errlen)
{
    char ts[32];
    bc_fmt_compact(bc_now_ns(), ts, sizeof ts);
    char base[RUN_PATH_MAX];
    snprintf(base, sizeof base, "%.800s/%.127s", ctx->opts->out_dir ? ctx->opts->out_dir : "runs",
             ctx->sc->name);
    char leaf[64];
    snprintf(leaf, sizeof leaf, "%s-%s", ts, ctx->run_id);
    snprintf(ctx->dir, sizeof ctx->dir, "%.900s/%.63s", base, leaf);
    char snaps[RUN_PATH_MAX + 16];
    snprintf(snaps, sizeof snaps, "%s/snapshots", ctx->dir);
    if (mkdir_p(snaps) != 0) {
        snprintf(err, errlen, "%.600s: %s", ctx->dir, strerror(errno));
        return -1;
    }
    /* latest -> the newest run, replaced atomically. */
    char link[RUN_PATH_MAX + 16], tmp[RUN_PATH_MAX + 32];
    snprintf(link, sizeof link, "%s/latest", base);
    snprintf(tmp, sizeof tmp, "%s/.latest-%s", base, ctx->run_id);
    unlink(tmp);
    if (symlink(leaf, tmp) == 0 && rename(tmp, link) != 0) unlink(tmp);
    return 0;
}

/* ---- source table ---- */

static cJSON *attr_def(const char *name)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "AttributeName", name);
    cJSON_AddStringToObject(a, "AttributeType", "S");
    return a;
}

static cJSON *key_elem(const char *name, const char *type)
{
    cJSON *k = cJSON_CreateObject();
    cJSON_AddStringToObject(k, "AttributeName", name);
    cJSON_AddStringToObject(k, "KeyType", type);
    return k;
}

static cJSON *create_table_request(run_ctx *ctx)
{
    const sc_table *t = &ctx->sc->table;
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "TableName", ctx->table);
    cJSON *ad = cJSON_AddArrayToObject(req, "AttributeDefinitions");
    cJSON_AddItemToArray(ad, attr_def(t->hash_key));
    cJSON *ks = cJSON_AddArrayToObject(req, "KeySchema");
    cJSON_AddItemToArray(ks, key_elem(t->hash_key, "HASH"));
    cJSON_AddStringToObject(req, "BillingMode", t->billing);
    int provisioned = strcmp(t->billing, "PROVISIONED") == 0;
    if (provisioned) {
        cJSON *pt = cJSON_AddObjectToObject(req, "ProvisionedThroughput");
        cJSON_AddNumberToObject(pt, "ReadCapacityUnits", (double)t->read_capacity);
        cJSON_AddNumberToObject(pt, "WriteCapacityUnits", (double)t->write_capacity);
    }
    if (t->ngsi > 0) {
        cJSON *gl = cJSON_AddArrayToObject(req, "GlobalSecondaryIndexes");
        for (int i = 0; i < t->ngsi; i++) {
            const sc_gsi *g = &t->gsi[i];
            int seen = strcmp(g->hash_key, t->hash_key) == 0;
            for (int j = 0; j < i; j++)
                seen |= strcmp(t->gsi[j].hash_key, g->hash_key) == 0 ||
                        strcmp(t->gsi[j].range_key, g->hash_key) == 0;
            if (!seen) cJSON_AddItemToArray(ad, attr_def(g->hash_key));
            cJSON *gi = cJSON_CreateObject();
            cJSON_AddStringToObject(gi, "IndexName", g->name);
            cJSON *gk = cJSON_AddArrayToObject(gi, "KeySchema");
            cJSON_AddItemToArray(gk, key_elem(g->hash_key, "HASH"));
            if (g->range_key[0]) {
                int rseen = strcmp(g->range_key, t->hash_key) == 0 ||
                            strcmp(g->range_key, g->hash_key) == 0;
                for (int j = 0; j < i; j++)
                    rseen |= strcmp(t->gsi[j].hash_key, g->range_key) == 0 ||
                             strcmp(t->gsi[j].range_key, g->range_key) == 0;
                if (!rseen) cJSON_AddItemToArray(ad, attr_def(g->range_key));
                cJSON_AddItemToArray(gk, key_elem(g->range_key, "RANGE"));
            }
            cJSON *pr = cJSON_AddObjectToObject(gi, "Projection");
            cJSON_AddStringToObject(pr, "ProjectionType", "ALL");
            if (provisioned) {
                cJSON *pt = cJSON_AddObjectToObject(gi, "ProvisionedThroughput");
                cJSON_AddNumberToObject(pt, "ReadCapacityUnits", (double)t->read_capacity);
                cJSON_AddNumberToObject(pt, "WriteCapacityUnits", (double)t->write_capacity);
            }
            cJSON_AddItemToArray(gl, gi);
        }
    }
    cJSON *tags = cJSON_AddArrayToObject(req, "Tags");
    cJSON *tg = cJSON_CreateObject();
    cJSON_AddStringToObject(tg, "Key", RUN_TAG_KEY);
    cJSON_AddStringToObject(tg, "Value", ctx->run_id);
    cJSON_AddItemToArray(tags, tg);
    tg = cJSON_CreateObject();
    cJSON_AddStringToObject(tg, "Key", "backcheck-scenario");
    cJSON_AddStringToObject(tg, "Value", ctx->sc->name);
    cJSON_AddItemToArray(tags, tg);
    return req;
}

/* 0 ok; -1 with a message. */
static int create_source(run_ctx *ctx, ddb_client *c, char *err, size_t errlen)
{
    cJSON *req = create_table_request(ctx);
    ddb_result r;
    ddb_call(c, "CreateTable", req, &r);
    cJSON_Delete(req);
    if (r.err != DDB_OK) {
        char e[400];
        run_describe_error(&r, e, sizeof e);
        if (r.err == DDB_ERR_CONNECT)
            snprintf(err, errlen, "target %s unreachable: %s", ctx->tg.endpoint, e);
        else
            snprintf(err, errlen, "CreateTable %s: %s", ctx->table, e);
        ddb_result_free(&r);
        return -1;
    }
    ddb_result_free(&r);
    int64_t active_ns;
    char msg[300];
    int w = rs_wait_table_active(ctx, c, ctx->table, ctx->tg.restore_deadline_s, &active_ns, msg,
                                 sizeof msg);
    if (w != 0) {
        snprintf(err, errlen, "source table %s: %s", ctx->table, w == 2 ? "interrupted" : msg);
        return -1;
    }
    if (ctx->sc->table.pitr) {
        cJSON *u = cJSON_CreateObject();
        cJSON_AddStringToObject(u, "TableName", ctx->table);
        cJSON *spec = cJSON_AddObjectToObject(u, "PointInTimeRecoverySpecification");
        cJSON_AddBoolToObject(spec, "PointInTimeRecoveryEnabled", 1);
        ddb_call(c, "UpdateContinuousBackups", u, &r);
        cJSON_Delete(u);
        if (r.err != DDB_OK) {
            char e[400];
            run_describe_error(&r, e, sizeof e);
            snprintf(err, errlen, "enabling point-in-time recovery on %s: %s%s", ctx->table, e,
                     r.err == DDB_ERR_UNKNOWN_OPERATION ? " (the target lacks the operation)" : "");
            ddb_result_free(&r);
            return -1;
        }
        ddb_result_free(&r);
    }
    return 0;
}

/* ---- meta ---- */

static void write_meta(run_ctx *ctx)
{
    const scenario *sc = ctx->sc;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "meta");
    cJSON_AddNumberToObject(m, "format", HIST_FORMAT_VERSION);
    cJSON_AddStringToObject(m, "backcheck_version", BACKCHECK_VERSION);
    cJSON_AddStringToObject(m, "run_id", ctx->run_id);
    cJSON_AddStringToObject(m, "scenario", sc->name);
    cJSON_AddNumberToObject(m, "seed", (double)ctx->seed);
    cJSON_AddStringToObject(m, "table", ctx->table);
    cJSON_AddStringToObject(m, "hash_key", sc->table.hash_key);
    run_add_ns(m, "start_ns", bc_now_ns());
    cJSON_AddNumberToObject(m, "duration_s", sc->duration_s);
    cJSON_AddStringToObject(m, "guarantee", sc->guarantee.profile);
    cJSON *t = cJSON_AddObjectToObject(m, "target");
    cJSON_AddStringToObject(t, "kind", ctx->tg.kind);
    cJSON_AddStringToObject(t, "endpoint", ctx->tg.endpoint);
    cJSON_AddStringToObject(t, "region", ctx->tg.cfg.region);
    if (ctx->tg.emu) {
        cJSON_AddStringToObject(t, "backup_model", sc->target.backup_model);
        cJSON_AddNumberToObject(t, "window_ms", sc->target.window_ms);
    }
    cJSON *wl = cJSON_AddArrayToObject(m, "workloads");
    int first = 0;
    for (int i = 0; i < sc->nworkloads; i++) {
        const wl_spec *s = &sc->workloads[i];
        cJSON *w = cJSON_CreateObject();
        cJSON_AddNumberToObject(w, "index", i);
        cJSON_AddStringToObject(w, "type", s->type);
        cJSON_AddNumberToObject(w, "threads", s->threads);
        cJSON_AddNumberToObject(w, "inflight", wl_spec_inflight(s));
        cJSON_AddNumberToObject(w, "workers", wl_spec_workers(s));
        cJSON_AddNumberToObject(w, "first_worker", first);
        cJSON_AddNumberToObject(w, "item_bytes", s->item_bytes);
        cJSON_AddNumberToObject(w, "rate", s->rate);
        if (strcmp(s->type, "bank") == 0) {
            cJSON_AddNumberToObject(w, "accounts", s->accounts);
            cJSON_AddNumberToObject(w, "initial_balance", (double)s->initial_balance);
            cJSON_AddNumberToObject(w, "bank_total", (double)wl_bank_total(s));
        }
        cJSON_AddItemToArray(wl, w);
        first += wl_spec_workers(s);
    }
    run_emit_history_line(ctx, m, 1);
}

static void write_end(run_ctx *ctx, const char *reason)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "type", "end");
    run_add_ns(e, "end_ns", bc_now_ns());
    cJSON_AddStringToObject(e, "reason", reason);
    cJSON_AddNumberToObject(e, "ops", (double)run_ops_done(ctx));
    run_emit_history_line(ctx, e, 1);
}

/* ---- clients ---- */

static void trace_call(void *arg, const char *op, const ddb_result *r)
{
    const run_worker *rw = arg;
    if (rw && r->attempts <= 1 && r->outcome == DDB_OUTCOME_OK) return;
    char line[1024];
    size_t n = 0;
    if (rw) n += (size_t)snprintf(line, sizeof line, "worker %d ", rw->w.worker);
    /* "PutItem: HTTP 200 in 0.4 ms", or "PutItem: throttled (HTTP 400) in 31.2 ms,
     * fail: attempt 1: ..." */
    if (r->err == DDB_OK)
        n += (size_t)snprintf(line + n, sizeof line - n, "%s: HTTP %d", op, r->http_status);
    else
        n += (size_t)snprintf(line + n, sizeof line - n, "%s: %s", op,
                              r->err_type[0] ? r->err_type : ddb_strerror(r->err));
    if (r->err != DDB_OK && r->http_status && n < sizeof line)
        n += (size_t)snprintf(line + n, sizeof line - n, " (HTTP %d)", r->http_status);
    if (n < sizeof line)
        n += (size_t)snprintf(line + n, sizeof line - n, " in %.3f ms",
                              (double)(r->complete_ns - r->invoke_ns) / 1e6);
    if (r->outcome != DDB_OUTCOME_OK && n < sizeof line)
        n += (size_t)snprintf(line + n, sizeof line - n, ", %s", ddb_outcome_name(r->outcome));
    for (int i = 0; r->attempts > 1 && i < r->attempts && n < sizeof line; i++) {
        const ddb_attempt *a = &r->attempt[i];
        n += (size_t)snprintf(line + n, sizeof line - n, "%s attempt %d: %s", i ? ";" : ":", i + 1,
                              a->err == DDB_OK ? "ok" : ddb_strerror(a->err));
        if (a->http_status && n < sizeof line)
            n += (size_t)snprintf(line + n, sizeof line - n, " (HTTP %d)", a->http_status);
        if (a->backoff_ns && n < sizeof line)
            n += (size_t)snprintf(line + n, sizeof line - n, ", %.1f ms backoff",
                                  (double)a->backoff_ns / 1e6);
    }
    if (r->err != DDB_OK && r->err_message[0] && n < sizeof line)
        snprintf(line + n, sizeof line - n, " - %s", r->err_message);
    bc_debug("%s", line);
}

ddb_client *run_client_new(const ddb_config *cfg, run_worker *rw)
{
    ddb_client *c = ddb_client_new(cfg);
    if (c && bc_log_get_level() >= BC_LOG_DEBUG) ddb_client_set_trace(c, trace_call, rw);
    return c;
}

/* ---- workers ---- */

/* Sleeps a worker: its thread, or only its lane when it shares the thread (lanes.c). */
static void worker_sleep(run_worker *rw, int64_t ns)
{
    if (rw->lane)
        run_lane_sleep(rw->lane, ns);
    else
        bc_sleep_ns(ns);
}

void run_worker_loop(run_worker *rw)
{
    run_ctx *ctx = rw->ctx;
    wl_worker *w = &rw->w;
    if (rw->ops->setup && rw->ops->setup(w, rw->msg, sizeof rw->msg) != 0) {
        rw->rc = -1;
        run_fatal(ctx, "workload %s setup (worker %d): %s", rw->ops->name, w->worker, rw->msg);
        atomic_store(&rw->finished, 1);
        return;
    }
    /* Every worker starts at the common start, after every setup finished. */
    atomic_fetch_add(&ctx->ready, 1);
    while (atomic_load(&ctx->phase) == PH_SETUP && !atomic_load(&ctx->stop))
        worker_sleep(rw, BC_NS_PER_MS);
    const wl_spec *s = w->spec;
    int workers = wl_spec_workers(s);
    int64_t interval = 0, next = 0;
    if (s->rate > 0) {
        double per_worker = s->rate / workers;
        interval = (int64_t)(1e9 / per_worker);
        /* Workers of one workload are spread evenly over the interval. */
        next = ctx->start_mono + interval * w->local / workers;
    }
    uint64_t done = 0;
    while (!atomic_load_explicit(&ctx->stop, memory_order_relaxed)) {
        if (interval > 0) {
            if (next >= ctx->end_mono) break;
            int64_t now = bc_mono_ns();
            if (next > now) worker_sleep(rw, next - now);
            /* Latency counts from the intended start: a slow server delays every later
             * request, and that waiting is part of what clients see. */
            w->intended_ns = ctx->start_ns + (next - ctx->start_mono);
            next += interval;
        } else {
            if (bc_mono_ns() >= ctx->end_mono) break;
            w->intended_ns = 0;
        }
        uint64_t before_err = w->ops_fail + w->ops_info;
        int rc = rw->ops->step(w, rw->msg, sizeof rw->msg);
        done++;
        atomic_store_explicit(&rw->ops_done, done, memory_order_relaxed);
        if (w->ops_fail + w->ops_info != before_err)
            atomic_store_explicit(&rw->errors, w->ops_fail + w->ops_info, memory_order_relaxed);
        if (rc == 1) break;
        if (rc < 0) {
            rw->rc = -1;
            run_fatal(ctx, "workload %s (worker %d): %s", rw->ops->name, w->worker, rw->msg);
            break;
        }
    }
    atomic_store(&rw->finished, 1);
}

static void *worker_thread(void *arg)
{
    run_worker_loop(arg);
    return NULL;
}

/* A partition fault cuts off `fraction` of the workers (at least one): which ones is
 * drawn from the seed, so a run with the same seed cuts off the same workers. They
 * connect through the partition group's proxy port for the whole run. */
static void choose_partitioned(run_ctx *ctx)
{
    const sc_fault *f = nm_find_kind(ctx->sc, "partition");
    if (!f || !ctx->tg.proxy) return;
    int n = ctx->nworkers;
    int k = (int)lround(f->fraction * n);
    if (k < 1 && f->fraction > 0) k = 1;
    if (k > n) k = n;
    int *order = malloc(sizeof *order * (size_t)n);
    if (!order) return;
    for (int i = 0; i < n; i++)
        order[i] = i;
    pcg32 rng;
    pcg32_seed(&rng, ctx->seed ^ 0x70617274u /* "part" */, 7);
    for (int i = n - 1; i > 0; i--) {
        int j = (int)pcg32_bounded(&rng, (uint32_t)i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (int i = 0; i < k; i++)
        ctx->workers[order[i]].partitioned = 1;
    free(order);
    bc_info("partition: %d of %d workers connect through the partition port", k, n);
}

static int start_workers(run_ctx *ctx, char *err, size_t errlen)
{
    const scenario *sc = ctx->sc;
    ctx->nworkers = sc_total_workers(sc);
    ctx->workers = aligned_alloc(64, sizeof(run_worker) * (size_t)ctx->nworkers);
    if (!ctx->workers) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memset(ctx->workers, 0, sizeof(run_worker) * (size_t)ctx->nworkers);
    choose_partitioned(ctx);
    int g = 0;
    for (int i = 0; i < sc->nworkloads; i++) {
        const wl_spec *s = &sc->workloads[i];
        int inflight = wl_spec_inflight(s);
        for (int t = 0; t < wl_spec_workers(s); t++, g++) {
            run_worker *rw = &ctx->workers[g];
            rw->ctx = ctx;
            /* The first worker of each thread's group owns the thread. */
            rw->group = t % inflight == 0 ? inflight : 0;
            rw->ops = wl_find(s->type);
            wl_worker_init(&rw->w, s, g, t, ctx->seed);
            ddb_config wc;
            tgt_worker_config(&ctx->tg, rw->partitioned, &wc);
            rw->w.db = run_client_new(&wc, rw);
            memset(&wc.creds, 0, sizeof wc.creds);
            rw->w.table = ctx->table;
            rw->w.hash_key = sc->table.hash_key;
            rw->w.journal = ctx->journal;
            atomic_init(&rw->ops_done, 0);
            atomic_init(&rw->errors, 0);
            if (!rw->w.db) {
                snprintf(err, errlen, "cannot create a client");
                return -1;
            }
        }
    }
    int nthreads = 0;
    for (int i = 0; i < ctx->nworkers; i++)
        nthreads += ctx->workers[i].group > 0;
    if (nthreads != ctx->nworkers)
        bc_info("%d workers on %d threads (workloads with inflight > 1 keep several operations "
                "in flight per thread)",
                ctx->nworkers, nthreads);
    /* end_ns is set before the threads start; it is the planned end (workloads that
     * schedule deletes use it). */
    int64_t planned_end = bc_now_ns() + (int64_t)((sc->duration_s + RUN_SETUP_DEADLINE_S) * 1e9);
    for (int i = 0; i < ctx->nworkers; i++)
        ctx->workers[i].w.end_ns = planned_end;
    for (int i = 0; i < ctx->nworkers; i++) {
        run_worker *rw = &ctx->workers[i];
        if (!rw->group) continue;
        void *(*fn)(void *) = rw->group > 1 ? run_lanes_thread : worker_thread;
        if (pthread_create(&rw->th, NULL, fn, rw) != 0) {
            snprintf(err, errlen, "cannot start worker thread %d", i);
            atomic_store(&ctx->stop, 1);
            return -1;
        }
        for (int k = 0; k < rw->group; k++)
            rw[k].started = 1;
    }
    return 0;
}

/* How long a worker may still be inside one operation after the workload's end: every
 * attempt ends by its request deadline, and retries sleep at most their backoff bound. */
static double stop_grace_s(const run_ctx *ctx)
{
    const ddb_config *c = &ctx->tg.cfg;
    int attempts = c->max_attempts > 0 ? c->max_attempts : DDB_DEFAULT_MAX_ATTEMPTS;
    double s = 0;
    for (int i = 0; i < attempts; i++)
        s += (double)c->request_timeout_ms / 1000.0 +
             (i + 1 < attempts ? (double)ddb_backoff_bound_ns(i) / 1e9 : 0);
    return s + RUN_STOP_MARGIN_S;
}

/* After the stop: waits for the workers, saying which are still waiting on a request
 * (a black hole, a partition) and how long they may take, so a run that ends late says
 * why. The request deadline bounds the wait; the workers are joined after. */
static void wait_workers_stop(run_ctx *ctx)
{
    double grace = stop_grace_s(ctx);
    int64_t t0 = bc_mono_ns();
    int64_t said = t0 + (int64_t)(RUN_STOP_SAY_AFTER_S * BC_NS_PER_S);
    int reported = 0;
    for (;;) {
        int busy = 0;
        for (int i = 0; i < ctx->nworkers; i++)
            busy += ctx->workers[i].started && !atomic_load(&ctx->workers[i].finished);
        if (!busy) break;
        int64_t now = bc_mono_ns();
        if (!reported && now >= said) {
            char list[256] = "";
            size_t o = 0;
            for (int i = 0; i < ctx->nworkers && o < sizeof list - 16; i++)
                if (ctx->workers[i].started && !atomic_load(&ctx->workers[i].finished))
                    o += (size_t)snprintf(list + o, sizeof list - o, "%s%d", o ? " " : "", i);
            bc_warn("workload ended; %d worker(s) still waiting on a request (workers %s): "
                    "their operations will end by the request deadline (%ld ms a try, up to "
                    "%.1f s) and be recorded as indeterminate if unanswered",
                    busy, list, (long)ctx->tg.cfg.request_timeout_ms, grace);
            reported = 1;
        }
        if (now - t0 > (int64_t)(grace * BC_NS_PER_S)) {
            bc_warn("%d worker(s) still inside a request %.1f s after the end (past the "
                    "request deadline); waiting for them",
                    busy, grace);
            break;
        }
        bc_sleep_ns(10 * BC_NS_PER_MS);
    }
    if (reported)
        bc_info("workers stopped %.2f s after the end of the workload",
                (double)(bc_mono_ns() - t0) / 1e9);
}

static void join_workers(run_ctx *ctx)
{
    for (int i = 0; i < ctx->nworkers; i++) {
        run_worker *rw = &ctx->workers[i];
        if (rw->started && rw->group) pthread_join(rw->th, NULL);
        rw->started = 0;
        if (rw->ops && rw->ops->teardown && rw->w.state) rw->ops->teardown(&rw->w);
        ddb_client_free(rw->w.db);
        rw->w.db = NULL;
    }
}

/* ---- clean-up ---- */

static void delete_backups(run_ctx *ctx, ddb_client *c)
{
    for (int i = 0; i < ctx->sc->nbackups; i++) {
        run_backup *b = &ctx->backups[i];
        if (!b->arn[0]) continue;
        cJSON *req = cJSON_CreateObject();
        cJSON_AddStringToObject(req, "BackupArn", b->arn);
        ddb_result r;
        if (ddb_call(c, "DeleteBackup", req, &r) != DDB_OK && r.err != DDB_ERR_BACKUP_NOT_FOUND) {
            char e[300];
            run_describe_error(&r, e, sizeof e);
            /* The embedded emulator ends with the run, taking the backup with it. */
            bc_log(ctx->tg.emu ? BC_LOG_DEBUG : BC_LOG_WARN, "could not delete backup %s: %s",
                   b->name, e);
        }
        ddb_result_free(&r);
        cJSON_Delete(req);
    }
}

static void delete_source(run_ctx *ctx, ddb_client *c)
{
    if (atomic_load(&ctx->source_deleted)) return;
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "TableName", ctx->table);
    ddb_result r;
    if (ddb_call(c, "DeleteTable", req, &r) != DDB_OK) {
        char e[300];
        run_describe_error(&r, e, sizeof e);
        bc_log(ctx->tg.emu ? BC_LOG_DEBUG : BC_LOG_WARN, "could not delete table %s: %s",
               ctx->table, e);
    }
    ddb_result_free(&r);
    cJSON_Delete(req);
}

/* ---- AWS guard ---- */

/* The region a run against AWS would use (env, profile; us-east-1 by default). Returns
 * the configuration's verdict: -1 with problem set when a run could not start (no
 * credentials, ...). */
static int aws_region(const run_opts *opts, char *out, size_t n, char *problem, size_t plen)
{
    ddb_config probe;
    memset(&probe, 0, sizeof probe);
    int rc = ddb_config_resolve(&probe, opts->endpoint, problem, plen) == DDB_OK ? 0 : -1;
    snprintf(out, n, "%s", probe.region[0] ? probe.region : "us-east-1");
    return rc;
}

/* Prints the estimated cost of sc on AWS in region; -1 (err says why) when there is no
 * estimate or it is above the budget (--max-usd, else the scenario's). */
static int aws_estimate(const scenario *sc, const run_opts *opts, const char *region, char *err,
                        size_t errlen)
{
    rep_pricing p;
    char e[256];
    if (rep_pricing_load(opts->pricing, region, &p, e, sizeof e) != 0) {
        snprintf(err, errlen, "target aws: no price estimate possible (%s); refusing%s%s%s", e,
                 opts->pricing ? "" : ": give --pricing FILE with ", opts->pricing ? "" : region,
                 opts->pricing ? "" : "'s prices (the format of reports/pricing.json)");
        return -1;
    }
    rep_usage u = {0};
    double ops = 0, bytes_per_op = 0;
    for (int i = 0; i < sc->nworkloads; i++) {
        const wl_spec *s = &sc->workloads[i];
        double rate = s->rate > 0 ? s->rate : RUN_AWS_EST_OPS_PER_WORKER * wl_spec_workers(s);
        ops += rate * sc->duration_s;
        bytes_per_op = fmax(bytes_per_op, (double)s->item_bytes + 100);
    }
    /* Every op writes at most one 1 KB unit per KB of item (transactions: twice). */
    u.wru = ops * ceil(bytes_per_op / 1024.0) * 2;
    double table_bytes = ops * bytes_per_op;
    u.backup_bytes = table_bytes * sc->nbackups;
    u.backup_days = RUN_AWS_EST_BACKUP_DAYS;
    u.restore_bytes = table_bytes * sc->nrestores;
    u.rru = (table_bytes / 4096.0) * (sc->nrestores + 1);
    if (sc->table.pitr) {
        u.pitr_bytes = table_bytes;
        u.pitr_days = 1;
    }
    rep_cost c;
    rep_cost_estimate(&p, &u, &c);
    double limit = opts->max_usd_set ? opts->max_usd : sc->max_usd;
    /* Whole cents as cents ($0.50); a budget below a cent keeps its digits ($0.0001). */
    char budget[32];
    snprintf(budget, sizeof budget,
             fabs(limit * 100 - round(limit * 100)) < 1e-9 ? "$%.2f" : "$%.4f", limit);
    bc_info("aws estimate (%s prices as of %s): writes $%.4f, reads $%.4f, backups $%.4f, "
            "restores $%.4f, pitr $%.4f: total $%.4f (budget %s)",
            p.region, p.as_of, c.writes, c.reads, c.backup_storage, c.restores, c.pitr, c.total,
            budget);
    fprintf(stderr, "backcheck: estimated cost on AWS: $%.4f (budget %s)\n", c.total, budget);
    if (c.total > limit) {
        snprintf(err, errlen,
                 "target aws: estimated cost $%.4f is above the budget %s (budget.max_usd "
                 "or --max-usd)",
                 c.total, budget);
        return -1;
    }
    return 0;
}

static int aws_guard(run_ctx *ctx, char *err, size_t errlen)
{
    if (!ctx->opts->allow_aws) {
        snprintf(err, errlen,
                 "target aws: refusing to run against real AWS without --allow-aws (it costs "
                 "money)");
        return -1;
    }
    /* The region first, so that the estimate uses its prices (a configuration problem
     * stops the run when the target starts, with the whole message). */
    char problem[512];
    (void)aws_region(ctx->opts, ctx->tg.cfg.region, sizeof ctx->tg.cfg.region, problem,
                     sizeof problem);
    return aws_estimate(ctx->sc, ctx->opts, ctx->tg.cfg.region, err, errlen);
}

/* --dry-run: the resolved scenario on stdout, the AWS estimate for target aws; nothing
 * sent, nothing written. 0, or 2 when the scenario could not run. */
static int dry_run(const scenario *sc, const run_opts *opts)
{
    int rc = 0;
    if (strcmp(sc->target.kind, "aws") == 0) {
        char region[64], err[512] = "", problem[512] = "";
        if (aws_region(opts, region, sizeof region, problem, sizeof problem) != 0) {
            fprintf(stderr, "backcheck: target aws: %s\n", problem);
            rc = 2;
        }
        if (aws_estimate(sc, opts, region, err, sizeof err) != 0) {
            fprintf(stderr, "backcheck: %s\n", err);
            rc = 2;
        }
        if (!opts->allow_aws)
            fprintf(stderr, "backcheck: note: the run itself needs --allow-aws\n");
    }
    cJSON *j = sc_to_json(sc);
    char *text = j ? cJSON_Print(j) : NULL;
    if (text) printf("%s\n", text);
    cJSON_free(text);
    cJSON_Delete(j);
    if (!text) {
        fprintf(stderr, "backcheck: out of memory\n");
        return 2;
    }
    fprintf(stderr,
            "backcheck: dry run of %s (seed %llu, target %s): nothing was sent and no run "
            "directory was made\n",
            sc->name, (unsigned long long)sc->seed, sc->target.kind);
    return rc;
}

/* ---- main ---- */

static int check_stage(run_ctx *ctx)
{
    atomic_store(&ctx->phase, PH_CHECK);
    chk_options co = {.profile = ctx->opts->profile, .quiet = ctx->opts->quiet};
    chk_summary sum;
    memset(&sum, 0, sizeof sum);
    char err[512] = "";
    chk_verdict v = chk_run_dir(ctx->dir, &co, &sum, err, sizeof err);
    if (v == CHK_ERROR) {
        bc_error("check: %s", err);
        return 2;
    }
    if (rep_write_all(ctx->dir, err, sizeof err) != 0) bc_warn("reports: %s", err);
    char line[200];
    chk_summary_text(&sum, line, sizeof line);
    printf("%s: %s\nrun directory: %s\n", ctx->sc->name, line, ctx->dir);
    bc_info("verdict %s", chk_verdict_name(v));
    return (int)v;
}

int run_main(const run_opts *opts)
{
    char err[1024] = "";
    sc_hooks hooks = {hook_workload_known, wl_spec_prepare, hook_fault_validate};
    scenario *sc = NULL;
    if (sc_load_file(opts->scenario_path, &hooks, &sc, err, sizeof err) != 0) {
        fprintf(stderr, "backcheck: %s\n", err);
        return 2;
    }
    /* Command-line overrides. */
    if (opts->target_kind)
        snprintf(sc->target.kind, sizeof sc->target.kind, "%s", opts->target_kind);
    if (opts->endpoint && !opts->target_kind && strcmp(sc->target.kind, "embedded") == 0)
        snprintf(sc->target.kind, sizeof sc->target.kind, "endpoint");
    if (opts->endpoint)
        snprintf(sc->target.endpoint, sizeof sc->target.endpoint, "%s", opts->endpoint);
    if (opts->duration_s > 0) {
        sc->duration_s = opts->duration_s;
        for (int i = 0; i < sc->nbackups; i++)
            if (sc->backups[i].trigger == SC_AT_TIME && sc->backups[i].at_s >= sc->duration_s) {
                fprintf(stderr,
                        "backcheck: --duration %g: backups[%d] (%s at %g s) would not happen "
                        "before the end\n",
                        opts->duration_s, sc->backups[i].entry, sc->backups[i].id,
                        sc->backups[i].at_s);
                sc_free(sc);
                return 2;
            }
    }
    if (strcmp(sc->target.kind, "embedded") != 0)
        for (int i = 0; i < sc->nfaults; i++)
            if (sc->faults[i].side == SC_FAULT_TARGET) {
                fprintf(stderr,
                        "backcheck: faults[%d]: fault \"%s\" is made by the embedded emulator; "
                        "target %s cannot apply it\n",
                        i, sc->faults[i].kind, sc->target.kind);
                sc_free(sc);
                return 2;
            }
    if (opts->seed_set) {
        sc->seed = opts->seed;
        sc->seed_set = 1;
    }
    /* Like --seed and --duration, --profile becomes part of the resolved scenario, so a
     * later `backcheck check RUN_DIR` holds the run to the profile it was run under. */
    if (opts->profile)
        snprintf(sc->guarantee.profile, sizeof sc->guarantee.profile, "%s", opts->profile);
    if (!sc->seed_set) {
        /* Below 2^53 so the seed survives JSON. */
        sc->seed = bc_mix64((uint64_t)bc_now_ns() ^ ((uint64_t)getpid() << 32)) >> 11;
        sc->seed_set = 1;
    }
    if (opts->dry_run) {
        int rc = dry_run(sc, opts);
        sc_free(sc);
        return rc;
    }

    run_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        sc_free(sc);
        return 2;
    }
    ctx->opts = opts;
    ctx->sc = sc;
    ctx->seed = sc->seed;
    ctx->run_start_mono = bc_mono_ns();
    pthread_mutex_init(&ctx->out_mu, NULL);
    uint64_t rid = bc_mix64(ctx->seed ^ (uint64_t)bc_now_ns() ^ (uint64_t)getpid());
    snprintf(ctx->run_id, sizeof ctx->run_id, "%06llx", (unsigned long long)(rid & 0xffffff));
    snprintf(ctx->table, sizeof ctx->table, "backcheck-%s-src", ctx->run_id);
    for (int i = 0; i < sc->nbackups; i++)
        ctx->backups[i].plan = &sc->backups[i];

    int exit_code = 2;
    FILE *log_f = NULL;
    ddb_client *admin = NULL;
    int target_up = 0, table_created = 0;
    pthread_t sched_th, nem_th, prog_th;
    int sched_up = 0, nem_up = 0, prog_up = 0, scheduled = 0;
    const char *end_reason = "completed";

    if (make_run_dir(ctx, err, sizeof err) != 0) goto out;
    char path[RUN_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/log.txt", ctx->dir);
    log_f = fopen(path, "a");
    if (log_f) bc_log_set_file(log_f);
    bc_info("run %s of scenario %s (seed %llu) in %s", ctx->run_id, sc->name,
            (unsigned long long)ctx->seed, ctx->dir);
    snprintf(path, sizeof path, "%s/scenario.json", ctx->dir);
    if (sc_write_resolved(sc, path, err, sizeof err) != 0) goto out;
    if (opts->pricing && keep_pricing(ctx, err, sizeof err) != 0) goto out;
    snprintf(path, sizeof path, "%s/backups.jsonl", ctx->dir);
    ctx->backups_f = fopen(path, "a");
    if (!ctx->backups_f) {
        snprintf(err, sizeof err, "%.600s: %s", path, strerror(errno));
        goto out;
    }

    if (strcmp(sc->target.kind, "aws") == 0 && aws_guard(ctx, err, sizeof err) != 0) goto out;
    if (tgt_start(&ctx->tg, sc, sc->target.kind, sc->target.endpoint, ctx->dir, err, sizeof err) !=
        0)
        goto out;
    target_up = 1;
    bc_info("target %s at %s (credentials: %s)", ctx->tg.kind, ctx->tg.endpoint,
            ctx->tg.cfg.creds.source);
    if (nm_has_side(sc, SC_FAULT_NETWORK)) {
        if (tgt_proxy_start(&ctx->tg, ctx->seed, nm_find_kind(sc, "partition") != NULL, err,
                            sizeof err) != 0)
            goto out;
        bc_info("fault proxy on 127.0.0.1:%d in front of %s (workers only; the control plane "
                "goes direct)",
                ctx->tg.proxy_port, ctx->tg.endpoint);
    }
    bc_info("request deadline %ld ms a try (target.request_timeout_ms)",
            (long)ctx->tg.cfg.request_timeout_ms);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (pg_start(ctx, &prog_th) == 0) prog_up = 1;

    admin = run_client_new(&ctx->tg.cfg, NULL);
    if (!admin) {
        snprintf(err, sizeof err, "cannot create a client");
        goto out;
    }
    if (create_source(ctx, admin, err, sizeof err) != 0) goto out;
    table_created = 1;
    bc_info("source table %s ACTIVE%s", ctx->table, sc->table.pitr ? " (PITR on)" : "");

    snprintf(path, sizeof path, "%s/history.jsonl", ctx->dir);
    if (hist_journal_open(path, sc_total_workers(sc), &ctx->journal, err, sizeof err) != 0)
        goto out;
    write_meta(ctx);

    /* Workers set up, then all start together. */
    if (start_workers(ctx, err, sizeof err) != 0) goto stop_run;
    int64_t setup_deadline = bc_mono_ns() + (int64_t)(RUN_SETUP_DEADLINE_S * BC_NS_PER_S);
    while (atomic_load(&ctx->ready) < ctx->nworkers && !atomic_load(&ctx->stop)) {
        if (g_signal) {
            atomic_store(&ctx->interrupted, 1);
            goto stop_run;
        }
        if (bc_mono_ns() > setup_deadline) {
            run_fatal(ctx, "workload setup did not finish within %g s", RUN_SETUP_DEADLINE_S);
            goto stop_run;
        }
        bc_sleep_ns(BC_NS_PER_MS);
    }
    if (atomic_load(&ctx->stop)) goto stop_run;
    ctx->start_ns = bc_now_ns();
    ctx->start_mono = bc_mono_ns();
    ctx->end_mono = ctx->start_mono + (int64_t)(sc->duration_s * BC_NS_PER_S);
    atomic_store(&ctx->phase, PH_WORKLOAD);
    if (bk_scheduler_start(ctx, &sched_th) == 0) sched_up = scheduled = 1;
    if (nm_start(ctx, &nem_th) == 0) nem_up = 1;
    /* The workload runs until its end, and on past it (bounded) while a backup due before
     * the end is still unrequested: such a backup is taken with writes around it rather
     * than skipped as if the run had been too short. */
    int timed_due = 0;
    for (int i = 0; i < sc->nbackups; i++)
        if (sc->backups[i].trigger == SC_AT_TIME && sc->backups[i].at_s < sc->duration_s)
            timed_due++;
    while (!atomic_load(&ctx->stop)) {
        int64_t now = bc_mono_ns();
        if (now >= ctx->end_mono && (atomic_load(&ctx->timed_backups_launched) >= timed_due ||
                                     now >= ctx->end_mono + RUN_DUE_BACKUP_GRACE_NS))
            break;
        bc_sleep_ns(10 * BC_NS_PER_MS);
        if (g_signal) {
            atomic_store(&ctx->interrupted, 1);
            atomic_store(&ctx->stop, 1);
        }
    }
stop_run:
    atomic_store(&ctx->stop, 1);
    if (ctx->workers) wait_workers_stop(ctx);
    join_workers(ctx);
    if (sched_up) pthread_join(sched_th, NULL);
    if (nem_up) {
        pthread_join(nem_th, NULL);
        nm_workload_ended(ctx);
    }
    sched_up = nem_up = 0;
    if (g_signal) atomic_store(&ctx->interrupted, 1);
    if (atomic_load(&ctx->interrupted)) {
        int sig = g_signal;
        end_reason = "interrupted";
        cJSON *l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "type", "interrupted");
        run_add_ns(l, "at_ns", bc_now_ns());
        cJSON_AddStringToObject(l, "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        run_emit_history_line(ctx, l, 1);
        bc_warn("interrupted: stopping (Ctrl-C again to quit at once)");
    }
    if (ctx->journal) hist_journal_sync(ctx->journal);
    bc_info("workload done: %llu ops", (unsigned long long)run_ops_done(ctx));

    atomic_store(&ctx->phase, PH_BACKUP_WAIT);
    /* Backup threads end at AVAILABLE, their deadline, or an interrupt. */
    while (scheduled && atomic_load(&ctx->backups_settled) < sc->nbackups) {
        if (g_signal) atomic_store(&ctx->interrupted, 1);
        bc_sleep_ns(10 * BC_NS_PER_MS);
    }
    if (g_signal) atomic_store(&ctx->interrupted, 1);
    bk_join_all(ctx);

    if (!atomic_load(&ctx->fatal) && !atomic_load(&ctx->interrupted) && table_created) {
        atomic_store(&ctx->phase, PH_RESTORE);
        rs_restore_all(ctx);
        if (g_signal) atomic_store(&ctx->interrupted, 1);
        if (!atomic_load(&ctx->fatal) && !atomic_load(&ctx->interrupted)) {
            atomic_store(&ctx->phase, PH_SOURCE);
            rs_scan_source(ctx);
        }
    }
    if (atomic_load(&ctx->fatal) && strcmp(end_reason, "completed") == 0) end_reason = "error";

out:
    atomic_store(&ctx->stop, 1);
    if (sched_up) pthread_join(sched_th, NULL);
    if (nem_up) pthread_join(nem_th, NULL);
    if (ctx->workers) {
        join_workers(ctx);
        bk_join_all(ctx);
    }
    atomic_store(&ctx->phase, PH_CLEANUP);
    if (admin && table_created && !opts->keep) {
        delete_backups(ctx, admin);
        delete_source(ctx, admin);
        bc_info("deleted the run's tables and backups (--keep keeps them)");
    } else if (table_created && opts->keep) {
        bc_info("kept table %s and the run's backups (--keep)", ctx->table);
    }
    if (ctx->journal) {
        if (err[0] && strcmp(end_reason, "completed") == 0) end_reason = "error";
        nm_finish(ctx);
        write_end(ctx, end_reason);
        hist_journal_close(ctx->journal);
        ctx->journal = NULL;
    }
    ddb_client_free(admin);
    if (target_up) tgt_stop(&ctx->tg);
    if (prog_up) {
        atomic_store(&ctx->phase, PH_CHECK);
        pthread_join(prog_th, NULL);
    }
    pthread_mutex_lock(&ctx->out_mu);
    if (ctx->backups_f) fclose(ctx->backups_f);
    ctx->backups_f = NULL;
    pthread_mutex_unlock(&ctx->out_mu);

    /* bc_error reaches stderr at every level (--quiet too) and the log file: one line. */
    if (atomic_load(&ctx->fatal)) {
        bc_error("%s", ctx->fatal_msg);
        exit_code = 2;
    } else if (err[0]) {
        bc_error("%s", err);
        exit_code = 2;
    } else {
        exit_code = check_stage(ctx);
        if (atomic_load(&ctx->interrupted) && exit_code == 0)
            exit_code = 3; /* an interrupted run proved less than it set out to */
    }
    atomic_store(&ctx->phase, PH_DONE);
    bc_log_set_file(NULL);
    if (log_f) fclose(log_f);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    free(ctx->workers);
    pthread_mutex_destroy(&ctx->out_mu);
    free(ctx);
    sc_free(sc);
    return exit_code;
}
