/* test_wl_batch.c - the batch workload's handling of UnprocessedItems, against a small
 * loopback server that answers BatchWriteItem by a script (the emulator always processes
 * every item): resubmission of exactly the unprocessed items, the bounded number of
 * resubmits, and each item's own outcome in the history. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ddb/attr.h"
#include "ddb/ddb.h"
#include "harness/history.h"
#include "util/jsonl.h"
#include "workloads/wl_internal.h"
#include "workloads/workload.h"

#define TABLE "t"
#define MAX_CALLS 16
#define BODY_MAX (1 << 20)

/* What the server does with the n-th BatchWriteItem (0-based). */
typedef struct script_step {
    int status; /* 200, or an error status answered with err_type */
    const char *err_type;
    int unprocessed; /* 200: how many of the sent requests to hand back, from the end */
    int stuck_first; /* 200: always hand back the item of the batch's first key */
} script_step;

typedef struct fake {
    struct MHD_Daemon *d;
    int port;
    pthread_mutex_t mu;
    const script_step *script;
    int nscript, calls;
    int sent[MAX_CALLS]; /* requests per call */
    char first_key[HIST_KEY_MAX];
} fake;

typedef struct conn_body {
    char *buf;
    size_t len;
} conn_body;

static char *answer(fake *f, const char *body, int *status)
{
    cJSON *req = cJSON_Parse(body);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(req, "RequestItems"), TABLE);
    int n = cJSON_GetArraySize(list);
    pthread_mutex_lock(&f->mu);
    int call = f->calls++;
    if (call < MAX_CALLS) f->sent[call] = n;
    script_step st = call < f->nscript ? f->script[call] : f->script[f->nscript - 1];
    if (call == 0) {
        const char *k = NULL;
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(list, 0), "PutRequest"), "Item");
        if (ddb_item_get_s(item, "pk", &k) == 0)
            snprintf(f->first_key, sizeof f->first_key, "%s", k);
    }
    pthread_mutex_unlock(&f->mu);
    char *out;
    if (st.status != 200) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "__type", st.err_type);
        cJSON_AddStringToObject(e, "message", "scripted");
        out = cJSON_PrintUnformatted(e);
        cJSON_Delete(e);
    } else {
        cJSON *resp = cJSON_CreateObject();
        cJSON *un = cJSON_AddObjectToObject(resp, "UnprocessedItems");
        cJSON *back = cJSON_CreateArray();
        for (int i = 0; i < n; i++) {
            const cJSON *r = cJSON_GetArrayItem(list, i);
            const char *k = NULL;
            ddb_item_get_s(cJSON_GetObjectItemCaseSensitive(
                               cJSON_GetObjectItemCaseSensitive(r, "PutRequest"), "Item"),
                           "pk", &k);
            int give_back =
                i >= n - st.unprocessed || (st.stuck_first && k && strcmp(k, f->first_key) == 0);
            if (give_back) cJSON_AddItemToArray(back, cJSON_Duplicate(r, 1));
        }
        if (cJSON_GetArraySize(back) > 0)
            cJSON_AddItemToObject(un, TABLE, back);
        else
            cJSON_Delete(back);
        out = cJSON_PrintUnformatted(resp);
        cJSON_Delete(resp);
    }
    cJSON_Delete(req);
    *status = st.status;
    return out;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    fake *f = cls;
    conn_body *cb = *con_cls;
    if (!cb) {
        cb = calloc(1, sizeof *cb);
        cb->buf = malloc(BODY_MAX);
        *con_cls = cb;
        return MHD_YES;
    }
    if (*upload_size) {
        if (cb->len + *upload_size < BODY_MAX) {
            memcpy(cb->buf + cb->len, upload, *upload_size);
            cb->len += *upload_size;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    cb->buf[cb->len] = '\0';
    int status = 500;
    char *out = answer(f, cb->buf, &status);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(out), out, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", "application/x-amz-json-1.0");
    enum MHD_Result r = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return r;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    conn_body *cb = *con_cls;
    if (cb) free(cb->buf);
    free(cb);
    *con_cls = NULL;
}

static fake *fake_start(const script_step *script, int n)
{
    fake *f = calloc(1, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    f->script = script;
    f->nscript = n;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
                            NULL, NULL, handler, f, MHD_OPTION_SOCK_ADDR, &sa,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    assert_non_null(f->d);
    f->port = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT)->port;
    return f;
}

static void fake_stop(fake *f)
{
    MHD_stop_daemon(f->d);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

static int collect(const cJSON *line, long lineno, void *arg)
{
    *(cJSON **)arg = cJSON_Duplicate(line, 1);
    return 0;
}

/* Runs one batch step of 10 items against the script; returns its history line. */
static cJSON *run_batch(const script_step *script, int n, fake **fout)
{
    fake *f = fake_start(script, n);
    ddb_config cfg;
    memset(&cfg, 0, sizeof cfg); /* defaults set only some fields */
    ddb_config_defaults(&cfg);
    snprintf(cfg.endpoint, sizeof cfg.endpoint, "http://127.0.0.1:%d", f->port);
    snprintf(cfg.region, sizeof cfg.region, "us-east-1");
    snprintf(cfg.creds.access_key_id, sizeof cfg.creds.access_key_id, "test");
    snprintf(cfg.creds.secret_access_key, sizeof cfg.creds.secret_access_key, "test-secret");
    cfg.max_attempts = 1; /* one request per round, so the script counts rounds */

    char dir[] = "/tmp/test_wl_batch_XXXXXX", path[64], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/history.jsonl", dir);
    hist_journal *j = NULL;
    assert_int_equal(hist_journal_open(path, 1, &j, err, sizeof err), 0);

    wl_spec s;
    memset(&s, 0, sizeof s);
    snprintf(s.type, sizeof s.type, "batch");
    s.threads = 1;
    s.keys.count = 100;
    s.item_bytes = 8;
    s.batch_items = 10;
    assert_int_equal(wl_spec_prepare(&s, err, sizeof err), 0);
    wl_worker w;
    wl_worker_init(&w, &s, 0, 0, 9);
    w.db = ddb_client_new(&cfg);
    w.table = TABLE;
    w.hash_key = "pk";
    w.journal = j;
    const wl_ops *ops = wl_find("batch");
    assert_int_equal(ops->setup(&w, err, sizeof err), 0);
    if (ops->step(&w, err, sizeof err) != 0) fail_msg("step: %s", err);
    ops->teardown(&w);
    ddb_client_free(w.db);
    assert_int_equal(hist_journal_close(j), 0);

    cJSON *line = NULL;
    assert_int_equal(jsonl_read(path, 0, collect, &line, NULL, err, sizeof err), 0);
    assert_non_null(line);
    unlink(path);
    rmdir(dir);
    *fout = f;
    return line;
}

static const char *str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valueint : -1;
}

/* Item i's outcome as a checker reads it: its st, else the op's. */
static const char *item_outcome(const cJSON *op, int i)
{
    const cJSON *wr = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(op, "writes"), i);
    return str(wr, "st") ? str(wr, "st") : str(op, "outcome");
}

static void test_resubmits_only_unprocessed_until_done(void **state)
{
    const script_step script[] = {{200, NULL, 3, 0}, {200, NULL, 1, 0}, {200, NULL, 0, 0}};
    fake *f;
    cJSON *op = run_batch(script, 3, &f);
    assert_int_equal(f->calls, 3);
    assert_int_equal(f->sent[0], 10);
    assert_int_equal(f->sent[1], 3); /* only what came back */
    assert_int_equal(f->sent[2], 1);
    assert_string_equal(str(op, "outcome"), "ok");
    assert_int_equal(num(op, "resubmits"), 2);
    assert_int_equal(num(op, "attempts"), 3);
    for (int i = 0; i < 10; i++)
        assert_string_equal(item_outcome(op, i), "ok");
    cJSON_Delete(op);
    fake_stop(f);
}

static void test_item_never_processed_is_fail(void **state)
{
    const script_step script[] = {{200, NULL, 0, 1}};
    fake *f;
    cJSON *op = run_batch(script, 1, &f);
    assert_int_equal(f->calls, 9); /* the first request and 8 resubmissions */
    assert_int_equal(num(op, "resubmits"), 8);
    assert_string_equal(str(op, "outcome"), "ok");
    assert_string_equal(item_outcome(op, 0), "fail");
    for (int i = 1; i < 10; i++)
        assert_string_equal(item_outcome(op, i), "ok");
    assert_string_equal(str(op, "err"), "UnprocessedItems");
    cJSON_Delete(op);
    fake_stop(f);
}

static void test_indeterminate_resubmission(void **state)
{
    const script_step script[] = {{200, NULL, 4, 0}, {500, "InternalServerError", 0, 0}};
    fake *f;
    cJSON *op = run_batch(script, 2, &f);
    assert_int_equal(f->calls, 2); /* nothing is sent after an indeterminate answer */
    assert_string_equal(str(op, "outcome"), "info");
    for (int i = 0; i < 6; i++)
        assert_string_equal(item_outcome(op, i), "ok");
    for (int i = 6; i < 10; i++)
        assert_string_equal(item_outcome(op, i), "info");
    assert_string_equal(str(op, "err"), "InternalServerError");
    const cJSON *tries = cJSON_GetObjectItemCaseSensitive(op, "tries");
    assert_int_equal(cJSON_GetArraySize(tries), 2);
    assert_int_equal(num(cJSON_GetArrayItem(tries, 1), "status"), 500);
    cJSON_Delete(op);
    fake_stop(f);
}

static void test_definite_failures(void **state)
{
    /* A rejected first request fails every item; a rejected resubmission fails only the
     * items it carried. */
    const script_step first[] = {{400, "ValidationException", 0, 0}};
    fake *f;
    cJSON *op = run_batch(first, 1, &f);
    assert_string_equal(str(op, "outcome"), "fail");
    assert_string_equal(str(op, "err"), "ValidationException");
    for (int i = 0; i < 10; i++)
        assert_string_equal(item_outcome(op, i), "fail");
    cJSON_Delete(op);
    fake_stop(f);

    const script_step second[] = {{200, NULL, 2, 0}, {400, "ValidationException", 0, 0}};
    op = run_batch(second, 2, &f);
    assert_string_equal(str(op, "outcome"), "ok");
    for (int i = 0; i < 8; i++)
        assert_string_equal(item_outcome(op, i), "ok");
    for (int i = 8; i < 10; i++)
        assert_string_equal(item_outcome(op, i), "fail");
    cJSON_Delete(op);
    fake_stop(f);
}

int main(void)
{
    ddb_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resubmits_only_unprocessed_until_done),
        cmocka_unit_test(test_item_never_processed_is_fail),
        cmocka_unit_test(test_indeterminate_resubmission),
        cmocka_unit_test(test_definite_failures),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ddb_global_cleanup();
    return rc;
}
