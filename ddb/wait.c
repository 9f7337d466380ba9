/*
 * wait.c - polling the control plane until a table is ACTIVE or a backup AVAILABLE.
 *
 * Waits are bounded by a caller's deadline because the same code serves the emulator
 * (seconds) and AWS (restores take minutes to hours, AWS-FACTS.md 2.5). The poll
 * interval backs off from 50 ms to 5 s so a long wait costs few requests.
 */
#include "ddb/ddb.h"
#include "ddb/internal.h"
#include "util/clock.h"

#include <stdio.h>
#include <string.h>

#define DDB_WAIT_FIRST_POLL_NS (50 * BC_NS_PER_MS)
#define DDB_WAIT_MAX_POLL_NS (5 * BC_NS_PER_S)
/* The control plane is eventually consistent: a table or backup just created may be
 * "not found" for a moment. Keep polling through that for this long, then believe it. */
#define DDB_WAIT_NOT_FOUND_GRACE_NS (30 * BC_NS_PER_S)

typedef enum { POLL_DONE, POLL_AGAIN, POLL_FAILED } poll_state;

/* Sleeps the next interval, bounded by the deadline; returns 0 if time is left. */
static int wait_next(int64_t *interval, int64_t deadline)
{
    int64_t now = bc_mono_ns();
    if (now >= deadline) return -1;
    int64_t sleep = *interval;
    if (now + sleep > deadline) sleep = deadline - now;
    bc_sleep_ns(sleep);
    *interval *= 2;
    if (*interval > DDB_WAIT_MAX_POLL_NS) *interval = DDB_WAIT_MAX_POLL_NS;
    return 0;
}

static int is_not_found(ddb_err e)
{
    return e == DDB_ERR_RESOURCE_NOT_FOUND || e == DDB_ERR_TABLE_NOT_FOUND ||
           e == DDB_ERR_BACKUP_NOT_FOUND;
}

ddb_err ddb_wait_table_active(ddb_client *c, const char *table, int64_t deadline_mono_ns,
                              int64_t *active_ns, char *err, size_t errlen)
{
    int64_t interval = DDB_WAIT_FIRST_POLL_NS;
    int64_t started = bc_mono_ns();
    char last[128] = "no answer yet";
    cJSON *req = cJSON_CreateObject();
    if (!req || !cJSON_AddStringToObject(req, "TableName", table ? table : "")) {
        cJSON_Delete(req);
        ddb_set_err(err, errlen, "out of memory");
        return DDB_ERR_OTHER;
    }
    for (;;) {
        ddb_result r;
        ddb_err e = ddb_call(c, "DescribeTable", req, &r);
        if (e == DDB_OK) {
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(r.body, "Table");
            const char *st =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "TableStatus"));
            if (st && strcmp(st, "ACTIVE") == 0) {
                if (active_ns) *active_ns = bc_now_ns();
                ddb_result_free(&r);
                cJSON_Delete(req);
                return DDB_OK;
            }
            snprintf(last, sizeof(last), "status %s", st ? st : "(none)");
        } else if (is_not_found(e) && bc_mono_ns() - started < DDB_WAIT_NOT_FOUND_GRACE_NS) {
            snprintf(last, sizeof(last), "not found yet");
        } else {
            ddb_set_err(err, errlen, "DescribeTable %s: %s%s%s", table,
                        r.err_type[0] ? r.err_type : ddb_strerror(e), r.err_message[0] ? ": " : "",
                        r.err_message);
            ddb_result_free(&r);
            cJSON_Delete(req);
            return e;
        }
        ddb_result_free(&r);
        if (wait_next(&interval, deadline_mono_ns) != 0) break;
    }
    cJSON_Delete(req);
    ddb_set_err(err, errlen, "table %s not ACTIVE after %.1f s (%s)", table,
                (double)(bc_mono_ns() - started) / BC_NS_PER_S, last);
    return DDB_ERR_TIMEOUT;
}

ddb_err ddb_wait_backup_available(ddb_client *c, const char *backup_arn, int64_t deadline_mono_ns,
                                  int64_t *available_ns, long long *size_bytes, char *err,
                                  size_t errlen)
{
    int64_t interval = DDB_WAIT_FIRST_POLL_NS;
    int64_t started = bc_mono_ns();
    char last[128] = "no answer yet";
    cJSON *req = cJSON_CreateObject();
    if (!req || !cJSON_AddStringToObject(req, "BackupArn", backup_arn ? backup_arn : "")) {
        cJSON_Delete(req);
        ddb_set_err(err, errlen, "out of memory");
        return DDB_ERR_OTHER;
    }
    for (;;) {
        ddb_result r;
        ddb_err e = ddb_call(c, "DescribeBackup", req, &r);
        if (e == DDB_OK) {
            const cJSON *d = cJSON_GetObjectItemCaseSensitive(r.body, "BackupDescription");
            const cJSON *det = cJSON_GetObjectItemCaseSensitive(d, "BackupDetails");
            const char *st =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(det, "BackupStatus"));
            if (st && strcmp(st, "AVAILABLE") == 0) {
                if (available_ns) *available_ns = bc_now_ns();
                const cJSON *sz = cJSON_GetObjectItemCaseSensitive(det, "BackupSizeBytes");
                if (size_bytes) *size_bytes = cJSON_IsNumber(sz) ? (long long)sz->valuedouble : 0;
                ddb_result_free(&r);
                cJSON_Delete(req);
                return DDB_OK;
            }
            if (st && strcmp(st, "DELETED") == 0) {
                ddb_set_err(err, errlen, "backup %s was DELETED while waiting for AVAILABLE",
                            backup_arn);
                ddb_result_free(&r);
                cJSON_Delete(req);
                return DDB_ERR_BACKUP_NOT_FOUND;
            }
            snprintf(last, sizeof(last), "status %s", st ? st : "(none)");
        } else if (is_not_found(e) && bc_mono_ns() - started < DDB_WAIT_NOT_FOUND_GRACE_NS) {
            snprintf(last, sizeof(last), "not found yet");
        } else {
            ddb_set_err(err, errlen, "DescribeBackup %s: %s%s%s", backup_arn,
                        r.err_type[0] ? r.err_type : ddb_strerror(e), r.err_message[0] ? ": " : "",
                        r.err_message);
            ddb_result_free(&r);
            cJSON_Delete(req);
            return e;
        }
        ddb_result_free(&r);
        if (wait_next(&interval, deadline_mono_ns) != 0) break;
    }
    cJSON_Delete(req);
    ddb_set_err(err, errlen, "backup %s not AVAILABLE after %.1f s (%s)", backup_arn,
                (double)(bc_mono_ns() - started) / BC_NS_PER_S, last);
    return DDB_ERR_TIMEOUT;
}
