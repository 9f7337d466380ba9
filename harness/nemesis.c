/*
 * nemesis.c - faults with a start time: switched on at at_s and off after for_s (emulator
 * faults through emu_fault_add/emu_fault_remove), or acted out by the harness
 * (delete-source). Each switch is a `fault` line in the history, fsync'd, so checkers
 * and reports can line findings up with what was done. Faults without at_s are given to
 * the emulator at start-up (target.c) and recorded here as starting with the workload.
 */
#include "harness/run_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/log.h"

#define NM_TICK_NS (5 * BC_NS_PER_MS)

static void fault_line(run_ctx *ctx, const sc_fault *f, const char *phase, int64_t at_ns)
{
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "type", "fault");
    cJSON_AddStringToObject(l, "kind", f->kind);
    cJSON_AddStringToObject(l, "phase", phase);
    run_add_ns(l, "at_ns", at_ns);
    if (strcmp(phase, "start") == 0) {
        cJSON *p = cJSON_AddObjectToObject(l, "params");
        /* The emulator spec names every parameter that was given. */
        cJSON_AddStringToObject(p, "spec", f->spec);
        if (f->for_s > 0) cJSON_AddNumberToObject(p, "for_s", f->for_s);
    }
    run_emit_history_line(ctx, l, 1);
}

static void delete_source(run_ctx *ctx)
{
    ddb_client *c = ddb_client_new(&ctx->tg.cfg);
    if (!c) return;
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "TableName", ctx->table);
    ddb_result r;
    if (ddb_call(c, "DeleteTable", req, &r) == DDB_OK) {
        atomic_store(&ctx->source_deleted, 1);
        bc_info("fault delete-source: deleted %s", ctx->table);
    } else {
        char e[300];
        run_describe_error(&r, e, sizeof e);
        bc_warn("fault delete-source: DeleteTable failed: %s", e);
    }
    ddb_result_free(&r);
    cJSON_Delete(req);
    ddb_client_free(c);
}

static void *nemesis_thread(void *arg)
{
    run_ctx *ctx = arg;
    const scenario *sc = ctx->sc;
    enum { WAITING, ON, DONE } state[SC_MAX_FAULTS];
    int left = 0;
    for (int i = 0; i < sc->nfaults; i++) {
        const sc_fault *f = &sc->faults[i];
        if (f->at_s < 0) {
            /* Active from the start (configured at emulator start-up). */
            fault_line(ctx, f, "start", ctx->start_ns);
            state[i] = DONE;
        } else {
            state[i] = WAITING;
            left++;
        }
    }
    while (left > 0 && !atomic_load(&ctx->stop)) {
        int64_t now = bc_mono_ns();
        for (int i = 0; i < sc->nfaults; i++) {
            const sc_fault *f = &sc->faults[i];
            int64_t on = ctx->start_mono + (int64_t)(f->at_s * BC_NS_PER_S);
            int64_t off = f->for_s > 0 ? on + (int64_t)(f->for_s * BC_NS_PER_S) : INT64_MAX;
            if (state[i] == WAITING && now >= on) {
                if (f->side == SC_FAULT_CONTROL) {
                    fault_line(ctx, f, "start", bc_now_ns());
                    if (strcmp(f->kind, "delete-source") == 0) delete_source(ctx);
                    state[i] = DONE;
                    left--;
                    continue;
                }
                char err[256];
                if (ctx->tg.emu && emu_fault_add(ctx->tg.emu, f->spec, err, sizeof err) == 0) {
                    fault_line(ctx, f, "start", bc_now_ns());
                    bc_info("fault %s on", f->spec);
                    state[i] = ON;
                } else {
                    bc_warn("fault %s could not be added: %s", f->spec, ctx->tg.emu ? err : "");
                    state[i] = DONE;
                    left--;
                }
            } else if (state[i] == ON && now >= off) {
                emu_fault_remove(ctx->tg.emu, f->kind);
                fault_line(ctx, f, "end", bc_now_ns());
                bc_info("fault %s off", f->kind);
                state[i] = DONE;
                left--;
            }
        }
        bc_sleep_ns(NM_TICK_NS);
    }
    /* Faults still on when the workload ends stay on (they may be about backups still
     * being made); their end is the end of the run. */
    return NULL;
}

int nm_start(run_ctx *ctx, pthread_t *th)
{
    return pthread_create(th, NULL, nemesis_thread, ctx) == 0 ? 0 : -1;
}
