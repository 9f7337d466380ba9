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

/* One wait: which Describe operation to poll for which resource, and how to read a
 * successful answer. The timeout and error messages are built from these names, so
 * every wait words them the same way. */
typedef struct wait_spec {
    const char *op;   /* "DescribeTable" */
    const char *key;  /* request member naming the resource: "TableName" */
    const char *what; /* "table", in "table t not ACTIVE after ..." */
    const char *goal; /* "ACTIVE" */
    /* Classifies a successful answer: POLL_DONE (outputs filled), POLL_AGAIN (*status
     * names the status seen, or NULL), POLL_FAILED (err set, *rc the code to return). */
    poll_state (*classify)(const cJSON *body, void *arg, const char **status, ddb_err *rc,
                           char *err, size_t errlen);
    void *arg;
} wait_spec;

/* Polls spec->op for `name` until classify says done or failed, an error other than a
 * fresh "not found" comes back, or the deadline passes (DDB_ERR_TIMEOUT). */
static ddb_err wait_poll(ddb_client *c, const wait_spec *spec, const char *name,
                         int64_t deadline_mono_ns, char *err, size_t errlen)
{
    int64_t interval = DDB_WAIT_FIRST_POLL_NS;
    int64_t started = bc_mono_ns();
    char last[128] = "no answer yet";
    cJSON *req = cJSON_CreateObject();
    if (!req || !cJSON_AddStringToObject(req, spec->key, name ? name : "")) {
        cJSON_Delete(req);
        ddb_set_err(err, errlen, "out of memory");
        return DDB_ERR_OTHER;
    }
    for (;;) {
        ddb_result r;
        ddb_err e = ddb_call(c, spec->op, req, &r);
        if (e == DDB_OK) {
            const char *st = NULL;
            ddb_err rc = DDB_OK;
            poll_state ps = spec->classify(r.body, spec->arg, &st, &rc, err, errlen);
            if (ps != POLL_AGAIN) {
                ddb_result_free(&r);
                cJSON_Delete(req);
                return ps == POLL_DONE ? DDB_OK : rc;
            }
            snprintf(last, sizeof(last), "status %s", st ? st : "(none)");
        } else if (is_not_found(e) && bc_mono_ns() - started < DDB_WAIT_NOT_FOUND_GRACE_NS) {
            snprintf(last, sizeof(last), "not found yet");
        } else {
            ddb_set_err(err, errlen, "%s %s: %s%s%s", spec->op, name,
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
    ddb_set_err(err, errlen, "%s %s not %s after %.1f s (%s)", spec->what, name, spec->goal,
                (double)(bc_mono_ns() - started) / BC_NS_PER_S, last);
    return DDB_ERR_TIMEOUT;
}

static poll_state table_classify(const cJSON *body, void *arg, const char **status, ddb_err *rc,
                                 char *err, size_t errlen)
{
    int64_t *active_ns = arg;
    (void)rc;
    (void)err;
    (void)errlen;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(body, "Table");
    *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "TableStatus"));
    if (*status && strcmp(*status, "ACTIVE") == 0) {
        if (active_ns) *active_ns = bc_now_ns();
        return POLL_DONE;
    }
    return POLL_AGAIN;
}

ddb_err ddb_wait_table_active(ddb_client *c, const char *table, int64_t deadline_mono_ns,
                              int64_t *active_ns, char *err, size_t errlen)
{
    wait_spec spec = {"DescribeTable", "TableName", "table", "ACTIVE", table_classify, active_ns};
    return wait_poll(c, &spec, table, deadline_mono_ns, err, errlen);
}

typedef struct backup_wait {
    const char *arn;
    int64_t *available_ns;
    long long *size_bytes;
} backup_wait;

static poll_state backup_classify(const cJSON *body, void *arg, const char **status, ddb_err *rc,
                                  char *err, size_t errlen)
{
    const backup_wait *bw = arg;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(body, "BackupDescription");
    const cJSON *det = cJSON_GetObjectItemCaseSensitive(d, "BackupDetails");
    *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(det, "BackupStatus"));
    if (*status && strcmp(*status, "AVAILABLE") == 0) {
        if (bw->available_ns) *bw->available_ns = bc_now_ns();
        const cJSON *sz = cJSON_GetObjectItemCaseSensitive(det, "BackupSizeBytes");
        if (bw->size_bytes) *bw->size_bytes = cJSON_IsNumber(sz) ? (long long)sz->valuedouble : 0;
        return POLL_DONE;
    }
    if (*status && strcmp(*status, "DELETED") == 0) {
        ddb_set_err(err, errlen, "backup %s was DELETED while waiting for AVAILABLE", bw->arn);
        *rc = DDB_ERR_BACKUP_NOT_FOUND;
        return POLL_FAILED;
    }
    return POLL_AGAIN;
}

ddb_err ddb_wait_backup_available(ddb_client *c, const char *backup_arn, int64_t deadline_mono_ns,
                                  int64_t *available_ns, long long *size_bytes, char *err,
                                  size_t errlen)
{
    backup_wait bw = {backup_arn, available_ns, size_bytes};
    wait_spec spec = {"DescribeBackup", "BackupArn", "backup", "AVAILABLE", backup_classify, &bw};
    return wait_poll(c, &spec, backup_arn, deadline_mono_ns, err, errlen);
}
