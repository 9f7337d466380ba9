/*
 * restore.c - after the workload: restore every planned backup (and point in time) to a
 * new table, wait until it is ACTIVE, scan it into snapshots/<id>.jsonl, delete it
 * (unless --keep); then scan the source table into snapshots/source.jsonl.
 *
 * Restores run in parallel (one thread each): on AWS each takes minutes to hours, and
 * running them one after another would multiply that. ItemCount refreshes only every
 * six hours on AWS, so items are counted by scanning.
 */
#include "harness/run_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/jsonl.h"
#include "util/log.h"

/* Parallel scan segments for a restored table. */
#define RS_SCAN_SEGMENTS 4
#define RS_POLL_START_S 0.05
/* Fresh names tried when a restore's target table name is taken. */
#define RS_NAME_TRIES 3

/* DescribeTable's Table object (the caller owns it), or NULL: recorded on restore and
 * source records as "description" so the schema checker can compare key schemas, indexes
 * and billing of the restored table with the source's. */
static cJSON *describe_table(ddb_client *c, const char *table)
{
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "TableName", table);
    ddb_result r;
    ddb_call(c, "DescribeTable", req, &r);
    cJSON_Delete(req);
    cJSON *t = NULL;
    if (r.err == DDB_OK && r.body) t = cJSON_DetachItemFromObjectCaseSensitive(r.body, "Table");
    ddb_result_free(&r);
    return t;
}

int rs_wait_table_active(run_ctx *ctx, ddb_client *c, const char *table, double deadline_s,
                         int64_t *active_ns, char *msg, size_t n)
{
    int64_t deadline = bc_mono_ns() + (int64_t)(deadline_s * BC_NS_PER_S);
    double delay = RS_POLL_START_S;
    int not_found = 0;
    for (;;) {
        cJSON *req = cJSON_CreateObject();
        cJSON_AddStringToObject(req, "TableName", table);
        ddb_result r;
        ddb_call(c, "DescribeTable", req, &r);
        cJSON_Delete(req);
        if (r.err == DDB_OK) {
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(r.body, "Table");
            const char *st =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "TableStatus"));
            if (st && strcmp(st, "ACTIVE") == 0) {
                *active_ns = r.complete_ns;
                ddb_result_free(&r);
                return 0;
            }
            not_found = 0;
        } else if (r.err == DDB_ERR_RESOURCE_NOT_FOUND || r.err == DDB_ERR_TABLE_NOT_FOUND) {
            /* A restoring table can be briefly invisible on some targets; missing for
             * many polls in a row means it was dropped (restore-fail). */
            if (++not_found >= 20) {
                snprintf(msg, n, "table %s disappeared while waiting for ACTIVE", table);
                ddb_result_free(&r);
                return -1;
            }
        } else if (r.err == DDB_ERR_UNKNOWN_OPERATION || r.err == DDB_ERR_AUTH ||
                   r.err == DDB_ERR_CONFIG) {
            run_describe_error(&r, msg, n);
            ddb_result_free(&r);
            return -1;
        }
        ddb_result_free(&r);
        if (bc_mono_ns() + (int64_t)(delay * BC_NS_PER_S) > deadline) {
            snprintf(msg, n, "not ACTIVE within %g s", deadline_s);
            return 1;
        }
        if (run_sleep_poll(ctx, &delay, ctx->tg.poll_cap_s)) return 2;
    }
}

typedef struct snap_writer {
    FILE *f;
    pthread_mutex_t mu;
    int failed;
} snap_writer;

static int write_item(const cJSON *item, void *arg)
{
    snap_writer *sw = arg;
    char *s = cJSON_PrintUnformatted(item);
    if (!s) return -1;
    pthread_mutex_lock(&sw->mu);
    if (fputs(s, sw->f) < 0 || fputc('\n', sw->f) == EOF) sw->failed = 1;
    pthread_mutex_unlock(&sw->mu);
    free(s);
    return 0;
}

/* Scans table into snapshots/<id>.jsonl; fills items, rcu, seconds. 0 or -1 (msg). */
static int scan_to_file(run_ctx *ctx, const char *table, const char *id, long *items, double *rcu,
                        double *secs, char *msg, size_t n)
{
    char path[RUN_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/snapshots/%s.jsonl", ctx->dir, id);
    snap_writer sw = {fopen(path, "w"), PTHREAD_MUTEX_INITIALIZER, 0};
    if (!sw.f) {
        snprintf(msg, n, "%.300s: cannot create", path);
        return -1;
    }
    int64_t t0 = bc_mono_ns();
    char e[256] = "";
    ddb_err rc = ddb_scan_all(&ctx->tg.cfg, table, RS_SCAN_SEGMENTS, 1, write_item, &sw, rcu, items,
                              e, sizeof e);
    *secs = (double)(bc_mono_ns() - t0) / 1e9;
    int bad = fclose(sw.f) != 0 || sw.failed;
    pthread_mutex_destroy(&sw.mu);
    if (rc != DDB_OK) {
        snprintf(msg, n, "scan of %s: %s", table, e[0] ? e : ddb_strerror(rc));
        return -1;
    }
    if (bad) {
        snprintf(msg, n, "%.300s: write failed", path);
        return -1;
    }
    return 0;
}

static void delete_table(run_ctx *ctx, ddb_client *c, const char *table)
{
    if (ctx->opts->keep) return;
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "TableName", table);
    ddb_result r;
    if (ddb_call(c, "DeleteTable", req, &r) != DDB_OK) {
        char e[300];
        run_describe_error(&r, e, sizeof e);
        bc_warn("could not delete table %s: %s", table, e);
    }
    ddb_result_free(&r);
    cJSON_Delete(req);
}

typedef struct restore_job {
    run_ctx *ctx;
    const sc_restore *rs;
    int index; /* in the scenario's restores */
    pthread_t th;
} restore_job;

/* Errors that say the target table name is taken (TableAlreadyExistsException for
 * restores, ResourceInUse/TableInUse on some targets). */
static int name_taken(ddb_err e)
{
    return e == DDB_ERR_TABLE_EXISTS || e == DDB_ERR_RESOURCE_IN_USE || e == DDB_ERR_TABLE_IN_USE;
}

/* The index of the first backup restore (the one delete-backup-during-restore acts on). */
static int first_backup_restore(const scenario *sc)
{
    for (int i = 0; i < sc->nrestores; i++)
        if (sc->restores[i].kind == SC_RESTORE_BACKUP) return i;
    return -1;
}

/* delete-backup-during-restore: the backup is deleted while its restore is CREATING;
 * the outcome (deleted, or refused with BackupInUseException) is recorded in the fault's
 * end line and on the restore line. */
static void delete_backup_now(run_ctx *ctx, ddb_client *c, const sc_fault *f, const char *arn,
                              const char *id, cJSON *line)
{
    nm_fault_line(ctx, f, "start", bc_now_ns(), NULL);
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "BackupArn", arn);
    ddb_result r;
    ddb_call(c, "DeleteBackup", req, &r);
    cJSON_Delete(req);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "backup", id);
    cJSON_AddStringToObject(p, "outcome",
                            r.err == DDB_OK ? "deleted" : ddb_outcome_name(r.outcome));
    char e[300] = "";
    if (r.err != DDB_OK) {
        run_describe_error(&r, e, sizeof e);
        cJSON_AddStringToObject(p, "error", e);
    }
    bc_info("fault delete-backup-during-restore: DeleteBackup %s: %s", id,
            r.err == DDB_OK ? "deleted" : e);
    cJSON_AddItemToObject(line, "backup_deleted", cJSON_Duplicate(p, 1));
    ddb_result_free(&r);
    nm_fault_line(ctx, f, "end", bc_now_ns(), p);
}

static const run_backup *find_backup(run_ctx *ctx, const char *id)
{
    for (int i = 0; i < ctx->sc->nbackups; i++)
        if (strcmp(ctx->sc->backups[i].id, id) == 0) return &ctx->backups[i];
    return NULL;
}

static void *restore_thread(void *arg)
{
    restore_job *job = arg;
    run_ctx *ctx = job->ctx;
    const sc_restore *rs = job->rs;
    char table[RUN_TABLE_MAX];
    snprintf(table, sizeof table, "backcheck-%s-r-%s", ctx->run_id, rs->id);
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "type", "restore");
    cJSON_AddStringToObject(l, "id", rs->id);
    cJSON_AddStringToObject(l, "kind", rs->kind == SC_RESTORE_BACKUP ? "backup" : "pitr");
    cJSON_AddStringToObject(l, "table", table);
    char msg[400] = "";
    const char *status = "FAILED";
    ddb_client *c = run_client_new(&ctx->tg.cfg, NULL);
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "TargetTableName", table);
    const char *op;
    if (rs->kind == SC_RESTORE_BACKUP) {
        const run_backup *b = find_backup(ctx, rs->backup);
        cJSON_AddStringToObject(l, "backup", rs->backup);
        if (b && strcmp(b->status, "REFUSED") == 0) {
            /* A storm request the target refused: no backup, nothing to restore (the
             * refusal is in backups.jsonl as a "refused" line). */
            cJSON_Delete(l);
            cJSON_Delete(req);
            ddb_client_free(c);
            return NULL;
        }
        if (!b || strcmp(b->status, "AVAILABLE") != 0) {
            snprintf(msg, sizeof msg, "backup %s is %s, not AVAILABLE", rs->backup,
                     b && b->status[0] ? b->status : "missing");
            cJSON_AddStringToObject(l, "status", "SKIPPED");
            cJSON_AddStringToObject(l, "error", msg);
            run_emit_backups_line(ctx, l, 0);
            cJSON_Delete(req);
            ddb_client_free(c);
            return NULL;
        }
        cJSON_AddStringToObject(req, "BackupArn", b->arn);
        op = "RestoreTableFromBackup";
    } else {
        int64_t t = ctx->start_ns + (int64_t)(rs->pitr_at_s * BC_NS_PER_S);
        run_add_ns(l, "pitr_time_ns", t);
        cJSON_AddStringToObject(req, "SourceTableName", ctx->table);
        /* RestoreDateTime is epoch seconds; the service keeps second precision or
         * better, and the exact instant sent is recorded for the checkers. */
        cJSON_AddNumberToObject(req, "RestoreDateTime", (double)t / 1e9);
        op = "RestoreTableToPointInTime";
    }
    /* The table name to restore into. A name that is taken (an earlier run's table, or a
     * restore-collision fault aiming at the source table) is recorded and the restore is
     * requested again under a fresh name. */
    const sc_fault *collide = job->index == 0 ? nm_find_kind(ctx->sc, "restore-collision") : NULL;
    if (collide && atomic_load(&ctx->source_deleted)) {
        bc_warn("fault restore-collision: the source table was deleted; no name to collide with");
        collide = NULL;
    }
    cJSON *collisions = NULL;
    ddb_result r;
    int64_t requested_ns = 0;
    for (int attempt = 0;; attempt++) {
        int forced = collide && attempt == 0;
        char name[RUN_TABLE_MAX];
        int k = attempt - (collide ? 1 : 0); /* fresh names: table, table-2, table-3 */
        if (forced)
            snprintf(name, sizeof name, "%s", ctx->table);
        else if (k == 0)
            snprintf(name, sizeof name, "%s", table);
        else
            snprintf(name, sizeof name, "%.200s-%d", table, k + 1);
        if (forced) {
            cJSON *sp = cJSON_CreateObject();
            cJSON_AddStringToObject(sp, "restore", rs->id);
            cJSON_AddStringToObject(sp, "table", name);
            nm_fault_line(ctx, collide, "start", bc_now_ns(), sp);
        }
        cJSON_ReplaceItemInObjectCaseSensitive(req, "TargetTableName", cJSON_CreateString(name));
        ddb_call(c, op, req, &r);
        if (forced) {
            cJSON *ep = cJSON_CreateObject();
            char e[300] = "";
            if (r.err != DDB_OK) run_describe_error(&r, e, sizeof e);
            cJSON_AddStringToObject(ep, "outcome", r.err == DDB_OK ? "accepted" : "refused");
            if (e[0]) cJSON_AddStringToObject(ep, "error", e);
            nm_fault_line(ctx, collide, "end", bc_now_ns(), ep);
        }
        if (forced && r.err == DDB_OK) {
            /* The target restored over a live table's name: never scan or delete it (it
             * may be the source); the restore is a failure with that reason. */
            snprintf(msg, sizeof msg,
                     "the target accepted a restore into the existing table %s "
                     "(TableAlreadyExistsException expected)",
                     name);
            ddb_result_free(&r);
            cJSON_Delete(req);
            cJSON_Delete(collisions);
            goto done;
        }
        if (name_taken(r.err) && attempt < RS_NAME_TRIES) {
            char e[300];
            run_describe_error(&r, e, sizeof e);
            if (!collisions) collisions = cJSON_CreateArray();
            cJSON *ce = cJSON_CreateObject();
            cJSON_AddStringToObject(ce, "table", name);
            cJSON_AddStringToObject(ce, "error", e);
            cJSON_AddItemToArray(collisions, ce);
            bc_info("restore %s: %s is taken (%s); requesting it again under a new name", rs->id,
                    name, e);
            ddb_result_free(&r);
            continue;
        }
        snprintf(table, sizeof table, "%s", name);
        break;
    }
    cJSON_Delete(req);
    cJSON_ReplaceItemInObjectCaseSensitive(l, "table", cJSON_CreateString(table));
    if (collisions) cJSON_AddItemToObject(l, "collisions", collisions);
    requested_ns = r.invoke_ns;
    run_add_ns(l, "requested_ns", requested_ns);
    if (r.err != DDB_OK) {
        run_describe_error(&r, msg, sizeof msg);
        if (r.err == DDB_ERR_UNKNOWN_OPERATION)
            run_fatal(ctx, "the target does not implement %s (UnknownOperationException)", op);
        ddb_result_free(&r);
        goto done;
    }
    ddb_result_free(&r);
    const sc_fault *del = nm_find_kind(ctx->sc, "delete-backup-during-restore");
    int deleted_backup = 0;
    if (del && rs->kind == SC_RESTORE_BACKUP && job->index == first_backup_restore(ctx->sc)) {
        const run_backup *b = find_backup(ctx, rs->backup);
        delete_backup_now(ctx, c, del, b->arn, rs->backup, l);
        deleted_backup = 1;
    }
    int64_t active_ns = 0;
    int w = rs_wait_table_active(ctx, c, table, ctx->tg.restore_deadline_s, &active_ns, msg,
                                 sizeof msg);
    if (w != 0) {
        status = w == 1 ? "TIMEOUT" : "FAILED";
        if (w == 2) snprintf(msg, sizeof msg, "interrupted before ACTIVE");
        if (deleted_backup && w != 2) {
            char m2[sizeof msg];
            snprintf(m2, sizeof m2, "%.300s (its backup was deleted while it ran)", msg);
            snprintf(msg, sizeof msg, "%s", m2);
        }
        delete_table(ctx, c, table);
        goto done;
    }
    run_add_ns(l, "active_ns", active_ns);
    cJSON *desc = describe_table(c, table);
    if (desc) cJSON_AddItemToObject(l, "description", desc);
    if (rs->kind == SC_RESTORE_PITR && ctx->tg.emu) {
        char e[256];
        cJSON *t = run_truth(&ctx->tg.cfg, "TableName", table, e, sizeof e);
        if (t) {
            cJSON *tr = cJSON_AddObjectToObject(l, "truth");
            const char *keys[][2] = {{"CutMinNs", "cut_min_ns"}, {"CutMaxNs", "cut_max_ns"}};
            for (int i = 0; i < 2; i++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, keys[i][0]);
                long long ns;
                if (bc_json_ns(v, &ns) == 0) run_add_ns(tr, keys[i][1], ns);
            }
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(t, "Model");
            if (cJSON_IsString(m)) cJSON_AddStringToObject(tr, "model", m->valuestring);
            cJSON_AddItemToObject(tr, "damage", run_truth_damage(t, ctx->sc->table.hash_key));
            cJSON_Delete(t);
        }
    }
    long items = 0;
    double rcu = 0, secs = 0;
    if (scan_to_file(ctx, table, rs->id, &items, &rcu, &secs, msg, sizeof msg) == 0) {
        status = "ACTIVE";
        char snap[64];
        snprintf(snap, sizeof snap, "snapshots/%s.jsonl", rs->id);
        cJSON_AddNumberToObject(l, "items", (double)items);
        cJSON_AddNumberToObject(l, "scan_s", secs);
        cJSON_AddNumberToObject(l, "scan_rcu", rcu);
        cJSON_AddStringToObject(l, "snapshot", snap);
        bc_info("restore %s: ACTIVE after %.2f s, %ld items scanned in %.2f s", rs->id,
                (double)(active_ns - requested_ns) / 1e9, items, secs);
    }
    delete_table(ctx, c, table);
done:
    cJSON_AddStringToObject(l, "status", status);
    if (msg[0] && strcmp(status, "ACTIVE") != 0) {
        cJSON_AddStringToObject(l, "error", msg);
        bc_warn("restore %s %s: %s", rs->id, status, msg);
    }
    run_emit_backups_line(ctx, l, 1);
    ddb_client_free(c);
    return NULL;
}

void rs_restore_all(run_ctx *ctx)
{
    int n = ctx->sc->nrestores;
    if (n == 0) return;
    restore_job *jobs = calloc((size_t)n, sizeof *jobs);
    if (!jobs) return;
    for (int i = 0; i < n; i++) {
        jobs[i].ctx = ctx;
        jobs[i].rs = &ctx->sc->restores[i];
        jobs[i].index = i;
        if (pthread_create(&jobs[i].th, NULL, restore_thread, &jobs[i]) != 0) {
            restore_thread(&jobs[i]);
            jobs[i].ctx = NULL;
        }
    }
    for (int i = 0; i < n; i++)
        if (jobs[i].ctx) pthread_join(jobs[i].th, NULL);
    free(jobs);
}

int rs_scan_source(run_ctx *ctx)
{
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "type", "source");
    cJSON_AddStringToObject(l, "id", "source");
    cJSON_AddStringToObject(l, "table", ctx->table);
    if (atomic_load(&ctx->source_deleted)) {
        cJSON_AddStringToObject(l, "status", "SKIPPED");
        cJSON_AddStringToObject(l, "error", "a delete-source fault removed the source table");
        run_emit_backups_line(ctx, l, 1);
        return 0;
    }
    long items = 0;
    double rcu = 0, secs = 0;
    char msg[400];
    ddb_client *c = run_client_new(&ctx->tg.cfg, NULL);
    if (c) {
        cJSON *desc = describe_table(c, ctx->table);
        if (desc) cJSON_AddItemToObject(l, "description", desc);
        ddb_client_free(c);
    }
    int rc = scan_to_file(ctx, ctx->table, "source", &items, &rcu, &secs, msg, sizeof msg);
    if (rc == 0) {
        cJSON_AddStringToObject(l, "status", "ACTIVE");
        cJSON_AddNumberToObject(l, "items", (double)items);
        cJSON_AddNumberToObject(l, "scan_s", secs);
        cJSON_AddNumberToObject(l, "scan_rcu", rcu);
        cJSON_AddStringToObject(l, "snapshot", "snapshots/source.jsonl");
        bc_info("source: %ld items scanned in %.2f s", items, secs);
    } else {
        cJSON_AddStringToObject(l, "status", "FAILED");
        cJSON_AddStringToObject(l, "error", msg);
        bc_warn("source scan failed: %s", msg);
    }
    run_emit_backups_line(ctx, l, 1);
    return rc;
}
