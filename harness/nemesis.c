/*
 * nemesis.c - faults with a start time, acted out while the workload runs:
 *   target   emulator faults switched on at at_s and off after for_s
 *            (emu_fault_add/emu_fault_remove; embedded target only);
 *   network  the fault proxy between the workers and the target (latency, bandwidth,
 *            reset, blackhole, partition): the faults on at a moment are combined into
 *            one bc_proxy_faults and set at once, so overlapping faults add up;
 *   control  the harness acts on the target: delete-source deletes the source table,
 *            backup-storm requests `count` backups at one instant.
 * Restore-phase faults (restore-collision, delete-backup-during-restore) are acted out
 * by restore.c, which records them through nm_fault_line.
 *
 * Each fault's start and end are `fault` lines in the history, fsync'd, so checkers and
 * reports line findings up with what was done. Faults without at_s start with the
 * workload (emulator ones were given to the emulator at start-up, target.c). Network
 * faults end when the last worker stopped (nm_workload_ended: nothing else goes through
 * the proxy, and a request still in a black hole stays there until its deadline);
 * emulator faults stay on through the backups and restores and end with the run
 * (nm_finish).
 */
#include "harness/run_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/log.h"

#define NM_TICK_NS (5 * BC_NS_PER_MS)

enum { NM_WAITING = 0, NM_ON, NM_DONE };

int nm_has_side(const scenario *sc, sc_fault_side side)
{
    for (int i = 0; i < sc->nfaults; i++)
        if (sc->faults[i].side == side) return 1;
    return 0;
}

const sc_fault *nm_find_kind(const scenario *sc, const char *kind)
{
    for (int i = 0; i < sc->nfaults; i++)
        if (strcmp(sc->faults[i].kind, kind) == 0) return &sc->faults[i];
    return NULL;
}

static const char *side_name(sc_fault_side s)
{
    switch (s) {
    case SC_FAULT_TARGET:
        return "target";
    case SC_FAULT_CONTROL:
        return "control";
    case SC_FAULT_NETWORK:
        return "network";
    case SC_FAULT_RESTORE:
        return "restore";
    }
    return "?";
}

void nm_fault_line(run_ctx *ctx, const sc_fault *f, const char *phase, int64_t at_ns, cJSON *params)
{
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "type", "fault");
    cJSON_AddStringToObject(l, "kind", f->kind);
    cJSON_AddStringToObject(l, "phase", phase);
    run_add_ns(l, "at_ns", at_ns);
    cJSON_AddStringToObject(l, "side", side_name(f->side));
    if (strcmp(phase, "start") == 0) {
        if (!params) params = cJSON_CreateObject();
        /* Every parameter that was given, by its scenario name. */
        if (f->fraction > 0) cJSON_AddNumberToObject(params, "fraction", f->fraction);
        if (f->count > 0) cJSON_AddNumberToObject(params, "count", (double)f->count);
        if (f->ms > 0) cJSON_AddNumberToObject(params, "ms", (double)f->ms);
        if (f->jitter_ms > 0) cJSON_AddNumberToObject(params, "jitter_ms", (double)f->jitter_ms);
        if (f->bytes_per_s > 0)
            cJSON_AddNumberToObject(params, "bytes_per_s", (double)f->bytes_per_s);
        if (f->ops[0]) cJSON_AddStringToObject(params, "ops", f->ops);
        if (f->for_s > 0) cJSON_AddNumberToObject(params, "for_s", f->for_s);
        if (f->side == SC_FAULT_TARGET) cJSON_AddStringToObject(params, "spec", f->spec);
    }
    if (params) cJSON_AddItemToObject(l, "params", params);
    run_emit_history_line(ctx, l, 1);
}

/* ---- network ---- */

/* The proxy faults of every network fault now on, combined: latencies add, the lowest
 * bandwidth wins, reset fractions compose as independent draws. */
static void apply_network(run_ctx *ctx)
{
    bc_proxy_faults pf;
    bc_proxy_faults_none(&pf);
    double pass = 1.0;
    for (int i = 0; i < ctx->sc->nfaults; i++) {
        const sc_fault *f = &ctx->sc->faults[i];
        if (f->side != SC_FAULT_NETWORK || ctx->nm_state[i] != NM_ON) continue;
        if (strcmp(f->kind, "latency") == 0) {
            pf.latency_ms += (int)f->ms;
            pf.jitter_ms += (int)f->jitter_ms;
        } else if (strcmp(f->kind, "bandwidth") == 0) {
            if (pf.bandwidth_bps == 0 || f->bytes_per_s < pf.bandwidth_bps)
                pf.bandwidth_bps = f->bytes_per_s;
        } else if (strcmp(f->kind, "reset") == 0) {
            pass *= 1.0 - f->fraction;
        } else if (strcmp(f->kind, "blackhole") == 0) {
            pf.blackhole = 1;
        } else if (strcmp(f->kind, "partition") == 0) {
            pf.partition_group = TGT_PARTITION_GROUP;
        }
    }
    pf.reset_fraction = 1.0 - pass;
    if (ctx->tg.proxy) bc_proxy_set_faults(ctx->tg.proxy, &pf);
}

static cJSON *partition_params(run_ctx *ctx)
{
    cJSON *p = cJSON_CreateObject();
    cJSON *w = cJSON_AddArrayToObject(p, "workers");
    for (int i = 0; i < ctx->nworkers; i++)
        if (ctx->workers[i].partitioned) cJSON_AddItemToArray(w, cJSON_CreateNumber(i));
    return p;
}

/* ---- control plane ---- */

static void delete_source(run_ctx *ctx, const sc_fault *f)
{
    cJSON *end = cJSON_CreateObject();
    ddb_client *c = run_client_new(&ctx->tg.cfg, NULL);
    if (c) {
        cJSON *req = cJSON_CreateObject();
        cJSON_AddStringToObject(req, "TableName", ctx->table);
        ddb_result r;
        if (ddb_call(c, "DeleteTable", req, &r) == DDB_OK) {
            atomic_store(&ctx->source_deleted, 1);
            cJSON_AddStringToObject(end, "outcome", "ok");
            bc_info("fault delete-source: deleted %s", ctx->table);
        } else {
            char e[300];
            run_describe_error(&r, e, sizeof e);
            cJSON_AddStringToObject(end, "outcome", ddb_outcome_name(r.outcome));
            cJSON_AddStringToObject(end, "error", e);
            bc_warn("fault delete-source: DeleteTable failed: %s", e);
        }
        ddb_result_free(&r);
        cJSON_Delete(req);
        ddb_client_free(c);
    }
    nm_fault_line(ctx, f, "end", bc_now_ns(), end);
}

/* Requests every backup of storm fault `fi` at once (each on its own thread). */
static void storm_start(run_ctx *ctx, int fi)
{
    for (int b = 0; b < ctx->sc->nbackups; b++)
        if (ctx->sc->backups[b].trigger == SC_BY_FAULT && ctx->sc->backups[b].fault == fi)
            bk_launch(ctx, b);
}

/* 1 when every backup of storm fault `fi` has its CreateBackup answer. */
static int storm_answered(run_ctx *ctx, int fi)
{
    for (int b = 0; b < ctx->sc->nbackups; b++)
        if (ctx->sc->backups[b].trigger == SC_BY_FAULT && ctx->sc->backups[b].fault == fi &&
            ctx->backups[b].started && !atomic_load(&ctx->backups[b].answered))
            return 0;
    return 1;
}

/* The storm's end line: how many were requested, made, refused (a definite refusal such
 * as LimitExceededException) or failed otherwise. Read after each backup answered. */
static void storm_end(run_ctx *ctx, int fi, int64_t at_ns)
{
    int requested = 0, created = 0, refused = 0, failed = 0;
    cJSON *p = cJSON_CreateObject();
    cJSON *ids = cJSON_AddArrayToObject(p, "backups");
    cJSON *errs = cJSON_AddArrayToObject(p, "errors");
    for (int b = 0; b < ctx->sc->nbackups; b++) {
        const run_backup *rb = &ctx->backups[b];
        if (ctx->sc->backups[b].trigger != SC_BY_FAULT || ctx->sc->backups[b].fault != fi ||
            !atomic_load(&rb->answered))
            continue;
        requested++;
        cJSON_AddItemToArray(ids, cJSON_CreateString(rb->plan->id));
        if (rb->arn[0]) {
            created++;
        } else {
            if (strcmp(rb->status, "REFUSED") == 0)
                refused++;
            else
                failed++;
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "id", rb->plan->id);
            cJSON_AddStringToObject(e, "error", rb->error);
            cJSON_AddItemToArray(errs, e);
        }
    }
    cJSON_AddNumberToObject(p, "requested", requested);
    cJSON_AddNumberToObject(p, "created", created);
    cJSON_AddNumberToObject(p, "refused", refused);
    cJSON_AddNumberToObject(p, "failed", failed);
    bc_info("fault backup-storm: %d requested, %d created, %d refused, %d failed", requested,
            created, refused, failed);
    nm_fault_line(ctx, &ctx->sc->faults[fi], "end", at_ns, p);
}

/* The emulator's name of a target fault: its spec up to ':'. */
static void emu_kind(const sc_fault *f, char *out, size_t n)
{
    size_t k = strcspn(f->spec, ":");
    snprintf(out, n, "%.*s", (int)(k < n ? k : n - 1), f->spec);
}

/* ---- the thread ---- */

static void switch_on(run_ctx *ctx, int i, int64_t at_ns)
{
    const sc_fault *f = &ctx->sc->faults[i];
    switch (f->side) {
    case SC_FAULT_CONTROL:
        nm_fault_line(ctx, f, "start", at_ns, NULL);
        if (strcmp(f->kind, "delete-source") == 0) {
            delete_source(ctx, f);
            ctx->nm_state[i] = NM_DONE;
        } else if (strcmp(f->kind, "backup-storm") == 0) {
            bc_info("fault backup-storm: %ld CreateBackup calls at once", f->count);
            storm_start(ctx, i);
            ctx->nm_state[i] = NM_ON;
        } else {
            ctx->nm_state[i] = NM_DONE;
        }
        return;
    case SC_FAULT_NETWORK:
        if (!ctx->tg.proxy) {
            bc_warn("fault %s: no fault proxy", f->kind);
            ctx->nm_state[i] = NM_DONE;
            return;
        }
        ctx->nm_state[i] = NM_ON;
        apply_network(ctx);
        nm_fault_line(ctx, f, "start", at_ns,
                      strcmp(f->kind, "partition") == 0 ? partition_params(ctx) : NULL);
        bc_info("fault %s on (network)", f->kind);
        return;
    case SC_FAULT_TARGET: {
        char err[256] = "";
        if (ctx->tg.emu && emu_fault_add(ctx->tg.emu, f->spec, err, sizeof err) == 0) {
            nm_fault_line(ctx, f, "start", at_ns, NULL);
            bc_info("fault %s on", f->spec);
            ctx->nm_state[i] = NM_ON;
        } else {
            bc_warn("fault %s could not be added: %s", f->spec, err);
            ctx->nm_state[i] = NM_DONE;
        }
        return;
    }
    case SC_FAULT_RESTORE:
        return;
    }
}

static void switch_off(run_ctx *ctx, int i, int64_t at_ns)
{
    const sc_fault *f = &ctx->sc->faults[i];
    ctx->nm_state[i] = NM_DONE;
    if (f->side == SC_FAULT_NETWORK) {
        apply_network(ctx);
    } else if (f->side == SC_FAULT_TARGET && ctx->tg.emu) {
        char k[32];
        emu_kind(f, k, sizeof k);
        emu_fault_remove(ctx->tg.emu, k);
    } else if (f->side == SC_FAULT_CONTROL && strcmp(f->kind, "backup-storm") == 0) {
        storm_end(ctx, i, at_ns);
        return;
    }
    nm_fault_line(ctx, f, "end", at_ns, NULL);
    bc_info("fault %s off", f->kind);
}

static void *nemesis_thread(void *arg)
{
    run_ctx *ctx = arg;
    const scenario *sc = ctx->sc;
    for (int i = 0; i < sc->nfaults; i++) {
        const sc_fault *f = &sc->faults[i];
        ctx->nm_state[i] = NM_WAITING;
        if (f->side == SC_FAULT_RESTORE) {
            ctx->nm_state[i] = NM_DONE;
        } else if (f->at_s < 0 && f->side == SC_FAULT_TARGET) {
            /* Active from the start (configured at emulator start-up). */
            nm_fault_line(ctx, f, "start", ctx->start_ns, NULL);
            ctx->nm_state[i] = NM_ON;
        } else if (f->at_s < 0) {
            switch_on(ctx, i, ctx->start_ns);
        }
    }
    /* Until the workload ends (network faults end with it). A run without faults has
     * nothing to switch: no tick then, which would wake a core 200 times a second. */
    while (sc->nfaults > 0 && !atomic_load(&ctx->stop)) {
        int64_t now = bc_mono_ns();
        for (int i = 0; i < sc->nfaults; i++) {
            const sc_fault *f = &sc->faults[i];
            int64_t on = ctx->start_mono + (int64_t)(fmax(f->at_s, 0) * BC_NS_PER_S);
            int64_t off = f->for_s > 0 ? on + (int64_t)(f->for_s * BC_NS_PER_S) : INT64_MAX;
            if (ctx->nm_state[i] == NM_WAITING && now >= on) {
                switch_on(ctx, i, bc_now_ns());
            } else if (ctx->nm_state[i] == NM_ON) {
                int storm = f->side == SC_FAULT_CONTROL;
                if ((storm && storm_answered(ctx, i)) || (!storm && now >= off))
                    switch_off(ctx, i, bc_now_ns());
            }
        }
        bc_sleep_ns(NM_TICK_NS);
    }
    /* Storm backups the run ended before are said so. */
    for (int b = 0; b < sc->nbackups; b++) {
        const sc_backup *p = &sc->backups[b];
        if (p->trigger == SC_BY_FAULT && ctx->nm_state[p->fault] == NM_WAITING)
            bk_mark_skipped(ctx, b, "the run ended before its backup-storm fault");
    }
    return NULL;
}

int nm_start(run_ctx *ctx, pthread_t *th)
{
    return pthread_create(th, NULL, nemesis_thread, ctx) == 0 ? 0 : -1;
}

void nm_workload_ended(run_ctx *ctx)
{
    for (int i = 0; i < ctx->sc->nfaults; i++)
        if (ctx->sc->faults[i].side == SC_FAULT_NETWORK && ctx->nm_state[i] == NM_ON)
            switch_off(ctx, i, bc_now_ns());
}

void nm_finish(run_ctx *ctx)
{
    int64_t now = bc_now_ns();
    for (int i = 0; i < ctx->sc->nfaults; i++)
        if (ctx->nm_state[i] == NM_ON) switch_off(ctx, i, now);
}
