/* test_hist.c - the history journal: op lines round-trip through the JSON Lines reader
 * with every documented field, control lines keep their order relative to ops, and
 * concurrent producers lose nothing (run under TSan with the "tsan" label). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ddb/ddb.h"
#include "harness/history.h"
#include "util/jsonl.h"

static void tmp_path(char *out, size_t n, const char *name)
{
    const char *dir = getenv("TMPDIR");
    snprintf(out, n, "%s/bc-test-hist-%ld-%s", dir ? dir : "/tmp", (long)getpid(), name);
    unlink(out);
}

typedef struct collected {
    cJSON *lines; /* array of copies */
} collected;

static int collect(const cJSON *line, long lineno, void *arg)
{
    (void)lineno;
    collected *c = arg;
    cJSON_AddItemToArray(c->lines, cJSON_Duplicate(line, 1));
    return 0;
}

static cJSON *read_all(const char *path, jsonl_stats *st)
{
    collected c = {cJSON_CreateArray()};
    char err[256];
    assert_int_equal(jsonl_read(path, 0, collect, &c, st, err, sizeof err), 0);
    return c.lines;
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    assert_non_null(v);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    assert_non_null(v);
    assert_true(cJSON_IsString(v));
    return v->valuestring;
}

static void test_op_line_round_trips(void **state)
{
    (void)state;
    char path[256];
    tmp_path(path, sizeof path, "rt.jsonl");
    hist_journal *j;
    char err[256];
    assert_int_equal(hist_journal_open(path, 4, &j, err, sizeof err), 0);

    cJSON *meta = cJSON_CreateObject();
    cJSON_AddStringToObject(meta, "type", "meta");
    cJSON_AddNumberToObject(meta, "format", HIST_FORMAT_VERSION);
    assert_int_equal(hist_journal_append_line(j, meta), 0);
    cJSON_Delete(meta);

    hist_write w[3];
    memset(w, 0, sizeof w);
    /* A key with characters that need escaping must survive. */
    snprintf(w[0].key, sizeof w[0].key, "reg/3/\"odd\\key\"\t");
    hist_wid(3, 17, w[0].wid);
    w[0].kind = HIST_UPDATE;
    w[0].ver = 5;
    w[0].status = -1;
    snprintf(w[1].key, sizeof w[1].key, "bank/3/1");
    hist_wid(3, 17, w[1].wid);
    w[1].kind = HIST_ADD;
    w[1].delta = -7;
    w[1].status = DDB_OUTCOME_FAIL;
    snprintf(w[2].key, sizeof w[2].key, "ins/3/9");
    hist_wid(3, 17, w[2].wid);
    w[2].kind = HIST_DELETE;
    w[2].status = -1;

    hist_op op;
    memset(&op, 0, sizeof op);
    op.worker = 3;
    op.seq = 17;
    op.workload = "register";
    op.wl_index = 1;
    op.f = "update";
    op.intended_ns = 1700000000000000001LL;
    op.invoke_ns = 1700000000000000002LL;
    op.complete_ns = 1700000000000000903LL;
    op.mono_ns = 901;
    op.outcome = DDB_OUTCOME_INFO;
    op.err = "InternalServerError";
    op.attempts = 2;
    op.ntries = 2;
    op.tries[0] =
        (hist_try){1700000000000000002LL, 1700000000000000100LL, 500, "InternalServerError"};
    op.tries[1] = (hist_try){1700000000000000200LL, 1700000000000000900LL, 0, NULL};
    op.wcu = 1.5;
    op.rcu = 0;
    op.txn = 1;
    op.resubmits = 2;
    op.nwrites = 3;
    op.writes = w;
    assert_int_equal(hist_journal_append_op(j, &op), 0);
    uint64_t ops, bytes;
    hist_journal_stats(j, &ops, &bytes);
    assert_int_equal(ops, 1);
    assert_int_equal(hist_journal_close(j), 0);

    jsonl_stats st;
    cJSON *lines = read_all(path, &st);
    assert_int_equal(cJSON_GetArraySize(lines), 2);
    assert_int_equal(st.partial_last, 0);
    assert_string_equal(str(cJSON_GetArrayItem(lines, 0), "type"), "meta");
    const cJSON *l = cJSON_GetArrayItem(lines, 1);
    assert_string_equal(str(l, "type"), "op");
    assert_int_equal((int)num(l, "w"), 3);
    assert_int_equal((int)num(l, "s"), 17);
    assert_string_equal(str(l, "wl"), "register");
    assert_int_equal((int)num(l, "wi"), 1);
    assert_string_equal(str(l, "f"), "update");
    /* ns instants exceed double precision: check the literal digits in the file. */
    FILE *f = fopen(path, "r");
    char raw[4096] = "";
    size_t nr = fread(raw, 1, sizeof raw - 1, f);
    raw[nr] = '\0';
    fclose(f);
    assert_non_null(strstr(raw, "\"intended_ns\":1700000000000000001,"));
    assert_non_null(strstr(raw, "\"invoke_ns\":1700000000000000002,"));
    assert_non_null(strstr(raw, "\"complete_ns\":1700000000000000903,"));
    assert_int_equal((int)num(l, "mono_ns"), 901);
    assert_string_equal(str(l, "outcome"), "info");
    assert_string_equal(str(l, "err"), "InternalServerError");
    assert_int_equal((int)num(l, "attempts"), 2);
    assert_true(num(l, "wcu") == 1.5);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(l, "txn")));
    assert_int_equal((int)num(l, "resubmits"), 2);
    const cJSON *tries = cJSON_GetObjectItemCaseSensitive(l, "tries");
    assert_int_equal(cJSON_GetArraySize(tries), 2);
    assert_int_equal((int)num(cJSON_GetArrayItem(tries, 0), "status"), 500);
    assert_true(
        cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(tries, 1), "err")));
    const cJSON *ws = cJSON_GetObjectItemCaseSensitive(l, "writes");
    assert_int_equal(cJSON_GetArraySize(ws), 3);
    const cJSON *w0 = cJSON_GetArrayItem(ws, 0);
    assert_string_equal(str(w0, "k"), "reg/3/\"odd\\key\"\t");
    assert_string_equal(str(w0, "wid"), "3.17");
    assert_string_equal(str(w0, "op"), "update");
    assert_int_equal((int)num(w0, "ver"), 5);
    assert_null(cJSON_GetObjectItemCaseSensitive(w0, "st"));
    const cJSON *w1 = cJSON_GetArrayItem(ws, 1);
    assert_string_equal(str(w1, "op"), "add");
    assert_int_equal((int)num(w1, "delta"), -7);
    assert_string_equal(str(w1, "st"), "fail");
    assert_string_equal(str(cJSON_GetArrayItem(ws, 2), "op"), "delete");
    cJSON_Delete(lines);
    unlink(path);
}

static void test_minimal_op_omits_optional_fields(void **state)
{
    (void)state;
    char path[256];
    tmp_path(path, sizeof path, "min.jsonl");
    hist_journal *j;
    char err[256];
    assert_int_equal(hist_journal_open(path, 1, &j, err, sizeof err), 0);
    hist_write w = {.kind = HIST_PUT, .ver = 1, .status = -1};
    snprintf(w.key, sizeof w.key, "ins/0/1");
    hist_wid(0, 1, w.wid);
    hist_op op = {.worker = 0,
                  .seq = 1,
                  .workload = "insert",
                  .f = "put",
                  .outcome = DDB_OUTCOME_OK,
                  .attempts = 1,
                  .nwrites = 1,
                  .writes = &w};
    assert_int_equal(hist_journal_append_op(j, &op), 0);
    assert_int_equal(hist_journal_close(j), 0);
    cJSON *lines = read_all(path, NULL);
    const cJSON *l = cJSON_GetArrayItem(lines, 0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(l, "err")));
    assert_null(cJSON_GetObjectItemCaseSensitive(l, "txn"));
    assert_null(cJSON_GetObjectItemCaseSensitive(l, "tries"));
    assert_null(cJSON_GetObjectItemCaseSensitive(l, "resubmits"));
    assert_string_equal(str(l, "outcome"), "ok");
    cJSON_Delete(lines);
    unlink(path);
}

/* The line's numbers are written as printf writes them ("%lld", capacity "%.10g"),
 * extremes and fractions included: compared as raw text, not through a parser. */
static void test_numbers_as_printf_writes_them(void **state)
{
    (void)state;
    static const double caps[] = {
        0,    0.5,  1,       1.5,         2,   12.5, -0.5,           -3,
        0.25, 1e-7, 999.125, 999999999.5, 1e9, 1e10, 123456789012.0, 1.0 / 3};
    static const long long ints[] = {0, 1, -1, 9, 10, 1763999999999999999LL, INT64_MIN, INT64_MAX};
    size_t ncaps = sizeof caps / sizeof caps[0], nints = sizeof ints / sizeof ints[0];
    char path[256];
    tmp_path(path, sizeof path, "nums.jsonl");
    hist_journal *j;
    char err[256];
    assert_int_equal(hist_journal_open(path, 1, &j, err, sizeof err), 0);
    for (size_t i = 0; i < ncaps; i++) {
        hist_op op = {.worker = 0,
                      .seq = i,
                      .workload = "insert",
                      .f = "put",
                      .outcome = DDB_OUTCOME_OK,
                      .attempts = 1,
                      .wcu = caps[i],
                      .rcu = caps[ncaps - 1 - i],
                      .invoke_ns = ints[i % nints],
                      .complete_ns = ints[(i + 3) % nints]};
        assert_int_equal(hist_journal_append_op(j, &op), 0);
    }
    assert_int_equal(hist_journal_close(j), 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[2048], want[256];
    for (size_t i = 0; i < ncaps; i++) {
        assert_non_null(fgets(line, sizeof line, f));
        snprintf(want, sizeof want, ",\"wcu\":%.10g,\"rcu\":%.10g,", caps[i], caps[ncaps - 1 - i]);
        if (!strstr(line, want)) fail_msg("line %zu: want %s in %s", i, want, line);
        snprintf(want, sizeof want, "\"s\":%zu,", i);
        assert_non_null(strstr(line, want));
        snprintf(want, sizeof want, "\"invoke_ns\":%lld,\"complete_ns\":%lld,", ints[i % nints],
                 ints[(i + 3) % nints]);
        if (!strstr(line, want)) fail_msg("line %zu: want %s in %s", i, want, line);
    }
    fclose(f);
    unlink(path);
}

static void test_rejects_bad_worker_index(void **state)
{
    (void)state;
    char path[256];
    tmp_path(path, sizeof path, "bad.jsonl");
    hist_journal *j;
    char err[256];
    assert_int_equal(hist_journal_open(path, 2, &j, err, sizeof err), 0);
    hist_op op = {.worker = 2, .workload = "insert", .f = "put"};
    assert_int_not_equal(hist_journal_append_op(j, &op), 0);
    op.worker = -1;
    assert_int_not_equal(hist_journal_append_op(j, &op), 0);
    assert_int_equal(hist_journal_close(j), 0);
    unlink(path);
}

static void test_open_fails_on_missing_directory(void **state)
{
    (void)state;
    hist_journal *j = (hist_journal *)1;
    char err[256] = "";
    assert_int_not_equal(
        hist_journal_open("/nonexistent-dir-bc/history.jsonl", 1, &j, err, sizeof err), 0);
    assert_null(j);
    assert_non_null(strstr(err, "nonexistent-dir-bc"));
    assert_int_equal(hist_journal_close(NULL), 0);
}

/* ---- concurrency ---- */

#define NPRODUCERS 4
#define OPS_PER_PRODUCER 20000

typedef struct producer_arg {
    hist_journal *j;
    int worker;
} producer_arg;

static void *producer(void *p)
{
    producer_arg *a = p;
    for (uint64_t s = 1; s <= OPS_PER_PRODUCER; s++) {
        hist_write w = {.kind = HIST_PUT, .ver = 1, .status = -1};
        snprintf(w.key, sizeof w.key, "ins/%d/%llu", a->worker, (unsigned long long)s);
        hist_wid(a->worker, s, w.wid);
        hist_op op = {.worker = a->worker,
                      .seq = s,
                      .workload = "insert",
                      .f = "put",
                      .invoke_ns = (int64_t)s,
                      .complete_ns = (int64_t)s + 1,
                      .outcome = DDB_OUTCOME_OK,
                      .attempts = 1,
                      .nwrites = 1,
                      .writes = &w};
        if (hist_journal_append_op(a->j, &op) != 0) return (void *)1;
    }
    return NULL;
}

typedef struct check_state {
    uint64_t next_seq[NPRODUCERS];
    long ops;
    int saw_backup;
    long ops_after_marker;
    int end_last;
    int bad;
} check_state;

static int check_line(const cJSON *line, long lineno, void *arg)
{
    (void)lineno;
    check_state *c = arg;
    const char *type = cJSON_GetObjectItemCaseSensitive(line, "type")->valuestring;
    c->end_last = 0;
    if (strcmp(type, "op") == 0) {
        int w = cJSON_GetObjectItemCaseSensitive(line, "w")->valueint;
        uint64_t s = (uint64_t)cJSON_GetObjectItemCaseSensitive(line, "s")->valuedouble;
        /* Each producer's lines appear in its own order, none missing or repeated. */
        if (w < 0 || w >= NPRODUCERS || s != c->next_seq[w] + 1)
            c->bad = 1;
        else
            c->next_seq[w] = s;
        c->ops++;
    } else if (strcmp(type, "end") == 0) {
        c->end_last = 1;
    }
    return 0;
}

static void test_concurrent_producers_lose_nothing(void **state)
{
    (void)state;
    char path[256];
    tmp_path(path, sizeof path, "conc.jsonl");
    hist_journal *j;
    char err[256];
    assert_int_equal(hist_journal_open(path, NPRODUCERS, &j, err, sizeof err), 0);
    pthread_t t[NPRODUCERS];
    producer_arg a[NPRODUCERS];
    for (int i = 0; i < NPRODUCERS; i++) {
        a[i] = (producer_arg){j, i};
        assert_int_equal(pthread_create(&t[i], NULL, producer, &a[i]), 0);
    }
    /* Control lines and syncs interleave with producers, as backup events do. */
    for (int k = 0; k < 20; k++) {
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "type", "backup");
        cJSON_AddNumberToObject(b, "n", k);
        assert_int_equal(hist_journal_append_line(j, b), 0);
        cJSON_Delete(b);
        assert_int_equal(hist_journal_sync(j), 0);
        usleep(1000);
    }
    for (int i = 0; i < NPRODUCERS; i++) {
        void *rv;
        pthread_join(t[i], &rv);
        assert_null(rv);
    }
    cJSON *end = cJSON_CreateObject();
    cJSON_AddStringToObject(end, "type", "end");
    assert_int_equal(hist_journal_append_line(j, end), 0);
    cJSON_Delete(end);
    uint64_t ops, bytes;
    hist_journal_stats(j, &ops, &bytes);
    assert_int_equal(ops, (uint64_t)NPRODUCERS * OPS_PER_PRODUCER);
    assert_int_equal(hist_journal_close(j), 0);

    check_state c;
    memset(&c, 0, sizeof c);
    jsonl_stats st;
    assert_int_equal(jsonl_read(path, 0, check_line, &c, &st, err, sizeof err), 0);
    assert_int_equal(c.bad, 0);
    assert_int_equal(c.ops, (long)NPRODUCERS * OPS_PER_PRODUCER);
    for (int i = 0; i < NPRODUCERS; i++)
        assert_int_equal(c.next_seq[i], OPS_PER_PRODUCER);
    /* The end line, appended after every producer returned, is the last line. */
    assert_int_equal(c.end_last, 1);
    FILE *f = fopen(path, "r");
    fseek(f, 0, SEEK_END);
    assert_int_equal((uint64_t)ftell(f), bytes);
    fclose(f);
    unlink(path);
}

/* An op appended before a control line is in the file before it (the backup event
 * ordering the checkers rely on when they read an interrupted run). */
static void test_control_line_follows_earlier_ops(void **state)
{
    (void)state;
    char path[256];
    tmp_path(path, sizeof path, "order.jsonl");
    hist_journal *j;
    char err[256];
    assert_int_equal(hist_journal_open(path, 1, &j, err, sizeof err), 0);
    for (int i = 1; i <= 5; i++) {
        hist_op op = {.worker = 0,
                      .seq = (uint64_t)i,
                      .workload = "insert",
                      .f = "put",
                      .outcome = DDB_OUTCOME_OK,
                      .attempts = 1};
        assert_int_equal(hist_journal_append_op(j, &op), 0);
    }
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "type", "backup");
    assert_int_equal(hist_journal_append_line(j, b), 0);
    cJSON_Delete(b);
    /* After sync the bytes are on disk without closing. */
    assert_int_equal(hist_journal_sync(j), 0);
    cJSON *lines = read_all(path, NULL);
    assert_int_equal(cJSON_GetArraySize(lines), 6);
    assert_string_equal(str(cJSON_GetArrayItem(lines, 5), "type"), "backup");
    cJSON_Delete(lines);
    assert_int_equal(hist_journal_close(j), 0);
    unlink(path);
}

static void test_journal_thread_flushes_without_sync(void **state)
{
    (void)state;
    char path[256];
    tmp_path(path, sizeof path, "flush.jsonl");
    hist_journal *j;
    char err[256];
    assert_int_equal(hist_journal_open(path, 1, &j, err, sizeof err), 0);
    hist_op op = {.worker = 0,
                  .seq = 1,
                  .workload = "insert",
                  .f = "put",
                  .outcome = DDB_OUTCOME_OK,
                  .attempts = 1};
    assert_int_equal(hist_journal_append_op(j, &op), 0);
    /* Poll (no timing assertion): the line reaches the file while the journal is open. */
    long n = 0;
    for (int i = 0; i < 500 && n == 0; i++) {
        usleep(10000);
        cJSON *lines = read_all(path, NULL);
        n = cJSON_GetArraySize(lines);
        cJSON_Delete(lines);
    }
    assert_int_equal(n, 1);
    assert_int_equal(hist_journal_close(j), 0);
    unlink(path);
}

static void test_wid_format(void **state)
{
    (void)state;
    char wid[HIST_WID_MAX];
    hist_wid(12, 345678901234ULL, wid);
    assert_string_equal(wid, "12.345678901234");
    /* As "%d.%llu" writes it, truncated as snprintf truncates. */
    const struct {
        int w;
        unsigned long long s;
    } cases[] = {{0, 0}, {7, 10}, {INT_MAX, UINT64_MAX}, {-1, 5}, {INT_MIN, UINT64_MAX}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char want[HIST_WID_MAX];
        snprintf(want, sizeof want, "%d.%llu", cases[i].w, cases[i].s);
        hist_wid(cases[i].w, cases[i].s, wid);
        assert_string_equal(wid, want);
    }
    assert_string_equal(hist_write_kind_name(HIST_APPEND), "append");
}

static void test_key_name_format(void **state)
{
    (void)state;
    /* As "%s/%d/%ld" writes it, truncated as snprintf truncates: prefixes of every
     * length up to past the limit, so the cut falls on every part of the name. */
    size_t cap = HIST_KEY_MAX + 8;
    char *prefix = malloc(cap);
    assert_non_null(prefix);
    const struct {
        int w;
        long n;
    } cases[] = {{0, 0}, {12, 7}, {INT_MAX, LONG_MAX}, {-1, -5}, {INT_MIN, LONG_MIN}, {3, 1000}};
    for (size_t len = 0; len < cap; len++) {
        memset(prefix, 'a' + (int)(len % 26), len);
        prefix[len] = '\0';
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            char want[HIST_KEY_MAX], got[HIST_KEY_MAX];
            snprintf(want, sizeof want, "%s/%d/%ld", prefix, cases[i].w, cases[i].n);
            hist_key_name(prefix, cases[i].w, cases[i].n, got);
            assert_string_equal(got, want);
        }
    }
    free(prefix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_op_line_round_trips),
        cmocka_unit_test(test_minimal_op_omits_optional_fields),
        cmocka_unit_test(test_numbers_as_printf_writes_them),
        cmocka_unit_test(test_rejects_bad_worker_index),
        cmocka_unit_test(test_open_fails_on_missing_directory),
        cmocka_unit_test(test_concurrent_producers_lose_nothing),
        cmocka_unit_test(test_control_line_follows_earlier_ops),
        cmocka_unit_test(test_journal_thread_flushes_without_sync),
        cmocka_unit_test(test_wid_format),
        cmocka_unit_test(test_key_name_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
