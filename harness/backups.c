/*
 * backups.c - the backup scheduler: requests each planned backup at its offset from the
 * workload start (or once enough operations completed), one thread per backup so that
 * a slow backup never delays the next one and a burst is requested at one instant.
 *
 * Each backup thread: fsync the history (every write acknowledged before R is on disk
 * before the request), CreateBackup (R = invoke, A = complete), record the request in
 * history.jsonl and backups.jsonl and fsync again, then poll DescribeBackup with backoff
 * until AVAILABLE or the target's deadline (TIMEOUT: the run goes on and the verdict
 * will be inconclusive, never a hang). On the embedded target it also records the
 * emulator's truth about the cut.
 */
#include "harness/run_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/jsonl.h"
#include "util/log.h"

/* How often the scheduler wakes to check op counts and the stop flag. */
#define BK_TICK_NS (5 * BC_NS_PER_MS)
/* First DescribeBackup poll delay; doubles up to the target's cap. */
#define BK_POLL_START_S 0.05

static int64_t epoch_s_to_ns(const cJSON *v)
{
    if (!cJSON_IsNumber(v)) return 0;
    return (int64_t)llround(v->valuedouble * 1e9);
}

static void emit_backup_state(run_ctx *ctx, run_backup *b, const char *extra_status)
{
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "type", "backup");
    cJSON_AddStringToObject(l, "id", b->plan->id);
    cJSON_AddStringToObject(l, "status", extra_status);
    if (strcmp(extra_status, "AVAILABLE") == 0) {
        run_add_ns(l, "available_ns", b->available_ns);
        cJSON_AddNumberToObject(l, "size_bytes", (double)b->size_bytes);
    }
    if (b->error[0]) cJSON_AddStringToObject(l, "error", b->error);
    run_emit_backups_line(ctx, l, 1);
}

static void record_truth(run_ctx *ctx, run_backup *b)
{
    if (!ctx->tg.emu) return;
    char err[256];
    cJSON *t = run_truth(&ctx->tg.cfg, "BackupArn", b->arn, err, sizeof err);
    if (!t) {
        bc_warn("backup %s: no truth from the emulator: %s", b->plan->id, err);
        return;
    }
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "type", "backup");
    cJSON_AddStringToObject(l, "id", b->plan->id);
    cJSON *tr = cJSON_AddObjectToObject(l, "truth");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(t, "Model");
    cJSON_AddStringToObject(tr, "model", cJSON_IsString(m) ? m->valuestring : "");
    const char *nums[][2] = {
        {"RequestNs", "request_ns"}, {"CutMinNs", "cut_min_ns"}, {"CutMaxNs", "cut_max_ns"}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, nums[i][0]);
        long long ns;
        if (bc_json_ns(v, &ns) == 0) run_add_ns(tr, nums[i][1], ns);
    }
    cJSON *cuts = cJSON_AddArrayToObject(tr, "cut_ns");
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(t, "CutNs"))
    {
        long long ns;
        char buf[32];
        if (bc_json_ns(c, &ns)) continue;
        snprintf(buf, sizeof buf, "%lld", ns);
        cJSON_AddItemToArray(cuts, cJSON_CreateRaw(buf));
    }
    cJSON_AddItemToObject(tr, "damage", run_truth_damage(t, ctx->sc->table.hash_key));
    cJSON_Delete(t);
    run_emit_backups_line(ctx, l, 0);
}

/* Polls DescribeBackup. 0 AVAILABLE, 1 deadline, 2 interrupted, -1 failed (msg). */
static int wait_available(run_ctx *ctx, ddb_client *c, run_backup *b)
{
    int64_t deadline = bc_mono_ns() + (int64_t)(ctx->tg.backup_deadline_s * BC_NS_PER_S);
    double delay = BK_POLL_START_S;
    for (;;) {
        cJSON *req = cJSON_CreateObject();
        cJSON_AddStringToObject(req, "BackupArn", b->arn);
        ddb_result r;
        ddb_call(c, "DescribeBackup", req, &r);
        cJSON_Delete(req);
        if (r.err == DDB_OK) {
            const cJSON *det = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(r.body, "BackupDescription"), "BackupDetails");
            const char *st =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(det, "BackupStatus"));
            if (st && strcmp(st, "AVAILABLE") == 0) {
                b->available_ns = r.complete_ns;
                const cJSON *sz = cJSON_GetObjectItemCaseSensitive(det, "BackupSizeBytes");
                b->size_bytes = cJSON_IsNumber(sz) ? (long long)sz->valuedouble : 0;
                ddb_result_free(&r);
                return 0;
            }
            if (st && strcmp(st, "DELETED") == 0) {
                snprintf(b->error, sizeof b->error, "backup became DELETED before AVAILABLE");
                ddb_result_free(&r);
                return -1;
            }
        } else if (r.err == DDB_ERR_BACKUP_NOT_FOUND) {
            snprintf(b->error, sizeof b->error, "backup disappeared (BackupNotFoundException)");
            ddb_result_free(&r);
            return -1;
        } else {
            char e[300];
            run_describe_error(&r, e, sizeof e);
            bc_debug("backup %s: DescribeBackup: %s (retrying)", b->plan->id, e);
        }
        ddb_result_free(&r);
        if (bc_mono_ns() + (int64_t)(delay * BC_NS_PER_S) > deadline) {
            snprintf(b->error, sizeof b->error, "not AVAILABLE within %g s",
                     ctx->tg.backup_deadline_s);
            return 1;
        }
        if (run_sleep_poll(ctx, &delay, ctx->tg.poll_cap_s)) return 2;
    }
}

static void *backup_thread(void *arg)
{
    void **a = arg;
    run_ctx *ctx = a[0];
    run_backup *b = a[1];
    free(arg);
    ddb_client *c = run_client_new(&ctx->tg.cfg, NULL);
    if (!c) {
        run_fatal(ctx, "backup %s: cannot create a client", b->plan->id);
        atomic_fetch_add(&ctx->backups_settled, 1);
        return NULL;
    }
    snprintf(b->name, sizeof b->name, "backcheck-%s-%s", ctx->run_id, b->plan->id);
    /* Everything acknowledged before R is durable in the history before R. */
    hist_journal_sync(ctx->journal);
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "TableName", ctx->table);
    cJSON_AddStringToObject(req, "BackupName", b->name);
    ddb_result r;
    ddb_call(c, "CreateBackup", req, &r);
    cJSON_Delete(req);
    b->request_ns = r.invoke_ns;
    b->ack_ns = r.complete_ns;
    int storm = b->plan->trigger == SC_BY_FAULT;
    if (storm && r.err != DDB_OK && r.outcome == DDB_OUTCOME_FAIL &&
        r.err != DDB_ERR_UNKNOWN_OPERATION) {
        /* A storm request the target refused outright (LimitExceededException, throttled
         * past the retries, ...): no backup exists, so there is nothing to check. It is
         * recorded as a refusal, not as a backup that failed to become AVAILABLE. */
        run_describe_error(&r, b->error, sizeof b->error);
        snprintf(b->status, sizeof b->status, "REFUSED");
        cJSON *hl = cJSON_CreateObject();
        cJSON_AddStringToObject(hl, "type", "backup");
        cJSON_AddStringToObject(hl, "id", b->plan->id);
        cJSON_AddStringToObject(hl, "event", "refused");
        run_add_ns(hl, "request_ns", b->request_ns);
        run_add_ns(hl, "ack_ns", b->ack_ns);
        cJSON_AddStringToObject(hl, "error", b->error);
        cJSON *bl = cJSON_CreateObject();
        cJSON_AddStringToObject(bl, "type", "refused");
        cJSON_AddStringToObject(bl, "id", b->plan->id);
        cJSON_AddStringToObject(bl, "operation", "CreateBackup");
        cJSON_AddStringToObject(bl, "fault", "backup-storm");
        cJSON_AddStringToObject(bl, "name", b->name);
        run_add_ns(bl, "request_ns", b->request_ns);
        run_add_ns(bl, "ack_ns", b->ack_ns);
        cJSON_AddStringToObject(bl, "error", b->error);
        run_emit_history_line(ctx, hl, 1);
        run_emit_backups_line(ctx, bl, 1);
        bc_info("backup %s (storm): refused: %s", b->plan->id, b->error);
        ddb_result_free(&r);
        ddb_client_free(c);
        atomic_store(&b->answered, 1);
        atomic_fetch_add(&ctx->backups_settled, 1);
        return NULL;
    }
    cJSON *hl = cJSON_CreateObject();
    cJSON_AddStringToObject(hl, "type", "backup");
    cJSON_AddStringToObject(hl, "id", b->plan->id);
    cJSON_AddStringToObject(hl, "event", "requested");
    run_add_ns(hl, "request_ns", b->request_ns);
    run_add_ns(hl, "ack_ns", b->ack_ns);
    cJSON *bl = cJSON_CreateObject();
    cJSON_AddStringToObject(bl, "type", "backup");
    cJSON_AddStringToObject(bl, "id", b->plan->id);
    cJSON_AddStringToObject(bl, "name", b->name);
    run_add_ns(bl, "request_ns", b->request_ns);
    run_add_ns(bl, "ack_ns", b->ack_ns);
    if (b->plan->burst) cJSON_AddNumberToObject(bl, "burst", b->plan->burst);
    if (storm) cJSON_AddStringToObject(bl, "fault", "backup-storm");
    if (r.err != DDB_OK) {
        run_describe_error(&r, b->error, sizeof b->error);
        snprintf(b->status, sizeof b->status, "FAILED");
        cJSON_AddStringToObject(hl, "outcome", ddb_outcome_name(r.outcome));
        cJSON_AddStringToObject(hl, "error", b->error);
        cJSON_AddStringToObject(bl, "status", "FAILED");
        cJSON_AddStringToObject(bl, "error", b->error);
        run_emit_history_line(ctx, hl, 1);
        run_emit_backups_line(ctx, bl, 1);
        if (r.err == DDB_ERR_UNKNOWN_OPERATION)
            run_fatal(ctx,
                      "the target does not implement CreateBackup (UnknownOperationException): "
                      "backcheck needs on-demand backups");
        else
            bc_warn("backup %s: CreateBackup failed: %s", b->plan->id, b->error);
        ddb_result_free(&r);
        ddb_client_free(c);
        atomic_store(&b->answered, 1);
        atomic_fetch_add(&ctx->backups_settled, 1);
        return NULL;
    }
    const cJSON *det = cJSON_GetObjectItemCaseSensitive(r.body, "BackupDetails");
    const char *arn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(det, "BackupArn"));
    snprintf(b->arn, sizeof b->arn, "%s", arn ? arn : "");
    b->creation_ns = epoch_s_to_ns(cJSON_GetObjectItemCaseSensitive(det, "BackupCreationDateTime"));
    snprintf(b->status, sizeof b->status, "CREATING");
    cJSON_AddStringToObject(hl, "arn", b->arn);
    run_add_ns(hl, "creation_time_ns", b->creation_ns);
    cJSON_AddStringToObject(bl, "arn", b->arn);
    run_add_ns(bl, "creation_time_ns", b->creation_ns);
    cJSON_AddStringToObject(bl, "status", "CREATING");
    ddb_result_free(&r);
    run_emit_history_line(ctx, hl, 1);
    run_emit_backups_line(ctx, bl, 1);
    atomic_store(&b->answered, 1);
    bc_info("backup %s requested (%s)", b->plan->id, b->name);

    int w = b->arn[0] ? wait_available(ctx, c, b) : -1;
    if (!b->arn[0])
        snprintf(b->error, sizeof b->error, "CreateBackup answered without a BackupArn");
    const char *st = w == 0 ? "AVAILABLE" : w == 1 ? "TIMEOUT" : w == 2 ? "CREATING" : "FAILED";
    if (w == 2) snprintf(b->error, sizeof b->error, "interrupted before AVAILABLE");
    snprintf(b->status, sizeof b->status, "%s", st);
    emit_backup_state(ctx, b, st);
    cJSON *ev = cJSON_CreateObject();
    cJSON_AddStringToObject(ev, "type", "backup");
    cJSON_AddStringToObject(ev, "id", b->plan->id);
    cJSON_AddStringToObject(ev, "event", w == 0 ? "available" : w == 1 ? "timeout" : "failed");
    run_add_ns(ev, "at_ns", (w == 0 ? b->available_ns : bc_now_ns()));
    run_emit_history_line(ctx, ev, 0);
    if (w == 0)
        bc_info("backup %s AVAILABLE after %.2f s", b->plan->id,
                (double)(b->available_ns - b->request_ns) / 1e9);
    else
        bc_warn("backup %s %s: %s", b->plan->id, st, b->error);
    if (b->arn[0]) record_truth(ctx, b);
    ddb_client_free(c);
    atomic_fetch_add(&ctx->backups_settled, 1);
    return NULL;
}

void bk_launch(run_ctx *ctx, int i)
{
    run_backup *b = &ctx->backups[i];
    void **a = malloc(2 * sizeof *a);
    if (!a) return;
    a[0] = ctx;
    a[1] = b;
    if (pthread_create(&b->th, NULL, backup_thread, a) == 0) {
        b->started = 1;
        atomic_fetch_add(&ctx->backups_requested, 1);
    } else {
        free(a);
        atomic_fetch_add(&ctx->backups_settled, 1);
        run_fatal(ctx, "cannot start a backup thread");
    }
}

static void *scheduler_thread(void *arg)
{
    run_ctx *ctx = arg;
    const scenario *sc = ctx->sc;
    int pending = sc->nbackups;
    /* The scheduler's own record: backup threads write their run_backup concurrently. */
    char launched[SC_MAX_BACKUPS] = {0};
    /* Storm backups are the nemesis's to request (and to mark skipped). */
    for (int i = 0; i < sc->nbackups; i++)
        if (sc->backups[i].trigger == SC_BY_FAULT) {
            launched[i] = 1;
            pending--;
        }
    while (pending > 0 && !atomic_load(&ctx->stop)) {
        int64_t now = bc_mono_ns();
        uint64_t ops = run_ops_done(ctx);
        for (int i = 0; i < sc->nbackups; i++) {
            const run_backup *b = &ctx->backups[i];
            if (launched[i]) continue;
            int due = b->plan->trigger == SC_AT_TIME
                          ? now >= ctx->start_mono + (int64_t)(b->plan->at_s * BC_NS_PER_S)
                          : ops >= (uint64_t)b->plan->after_ops;
            if (due) {
                launched[i] = 1;
                bk_launch(ctx, i);
                pending--;
                if (b->plan->trigger == SC_AT_TIME)
                    atomic_fetch_add(&ctx->timed_backups_launched, 1);
            }
        }
        if (now >= ctx->end_mono) break;
        bc_sleep_ns(BK_TICK_NS);
    }
    /* What was never requested (the run ended first) is said so in backups.jsonl. */
    for (int i = 0; i < sc->nbackups; i++)
        if (!launched[i])
            bk_mark_skipped(ctx, i,
                            ctx->backups[i].plan->trigger == SC_AFTER_OPS
                                ? "the run ended before after_ops was reached"
                                : "the run ended before its time");
    return NULL;
}

void bk_mark_skipped(run_ctx *ctx, int i, const char *why)
{
    run_backup *b = &ctx->backups[i];
    snprintf(b->status, sizeof b->status, "SKIPPED");
    snprintf(b->error, sizeof b->error, "%s", why);
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "type", "backup");
    cJSON_AddStringToObject(l, "id", b->plan->id);
    cJSON_AddStringToObject(l, "status", "SKIPPED");
    cJSON_AddStringToObject(l, "error", b->error);
    run_emit_backups_line(ctx, l, 0);
    atomic_fetch_add(&ctx->backups_settled, 1);
}

int bk_scheduler_start(run_ctx *ctx, pthread_t *th)
{
    return pthread_create(th, NULL, scheduler_thread, ctx) == 0 ? 0 : -1;
}

void bk_join_all(run_ctx *ctx)
{
    for (int i = 0; i < ctx->sc->nbackups; i++)
        if (ctx->backups[i].started) {
            pthread_join(ctx->backups[i].th, NULL);
            ctx->backups[i].started = 0;
        }
}
