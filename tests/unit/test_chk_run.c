/*
 * test_chk_run.c - the checkers' trust tests: synthetic runs, each built to contain one
 * known anomaly (or none), checked end to end through chk_run_dir; the results.json a
 * user reads must name the anomaly with its key and op ids, and with the right severity
 * under each guarantee profile.
 *
 * The standard run: worker 0 inserts key ins/0/<i> at second i (i = 0..200, each put takes
 * 5 ms); worker 1 overwrites reg/1/0 every 2 s. A backup is requested at 100 s. Under
 * aws-documented (60 s each side) writes completed before 40 s must be present and writes
 * sent after 160 s must be absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkers/checker.h"
#include "checkers/chk_internal.h"
#include "tests/unit/chk_fixture.h"

#define N_INS 200
#define BACKUP_MS 100000.0

static void key_ins(int i, char *out)
{
    sprintf(out, "ins/0/%d", i);
}

/* History of the standard run (no end line: the caller decides). */
static void standard_history(fx *f)
{
    char key[64];
    for (int i = 0; i <= N_INS; i++) {
        key_ins(i, key);
        fx_write(f, 0, (uint64_t)i + 1, "put", key, i * 1000.0, i * 1000.0 + 5, "ok");
    }
    for (int i = 0; i <= N_INS / 2; i++)
        fx_write(f, 1, (uint64_t)i + 1, "put", "reg/1/0", i * 2000.0 + 500, i * 2000.0 + 510, "ok");
}

/* Appends one item to backup id's snapshot. */
static void snap_add(fx *f, const char *id, const char *key, const char *wid)
{
    FILE *s = fx_snap_append(f, id);
    fx_item(s, key, wid);
    fclose(s);
}

/* Snapshot of a cut at cut_ms: every write completed before it. `skip` is an insert index
 * to leave out (-1 none). */
static void standard_snapshot(fx *f, const char *id, double cut_ms, int skip)
{
    FILE *s = fx_snap(f, id);
    char key[64], wid[32];
    for (int i = 0; i <= N_INS; i++) {
        if (i == skip || i * 1000.0 + 5 >= cut_ms) continue;
        key_ins(i, key);
        sprintf(wid, "0.%d", i + 1);
        fx_item(s, key, wid);
    }
    int last = -1;
    for (int i = 0; i <= N_INS / 2; i++)
        if (i * 2000.0 + 510 < cut_ms) last = i;
    if (last >= 0) {
        sprintf(wid, "1.%d", last + 1);
        fx_item(s, "reg/1/0", wid);
    }
    fclose(s);
}

static chk_verdict check(fx *f, const char *profile, cJSON **res)
{
    chk_options o = {.profile = profile, .quiet = 1};
    chk_summary sum;
    char err[512] = "";
    chk_verdict v = chk_run_dir(f->dir, &o, &sum, err, sizeof err);
    if (v == CHK_ERROR) fprintf(stderr, "check error: %s\n", err);
    assert_int_equal(v, sum.verdict);
    *res = fx_results(f);
    assert_non_null(*res);
    return v;
}

static const cJSON *backup0(const cJSON *res)
{
    const cJSON *b = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "backups"), 0);
    assert_non_null(b);
    return b;
}

static double num(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b) x = cJSON_GetObjectItemCaseSensitive(x, b);
    assert_non_null(x);
    return x->valuedouble;
}

static const char *str(const cJSON *o, const char *a)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    assert_true(cJSON_IsString(x));
    return x->valuestring;
}

static int has_op(const cJSON *finding, const char *op)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(finding, "op_ids"))
    {
        if (strcmp(x->valuestring, op) == 0) return 1;
    }
    return 0;
}

static void build_standard(fx *f, const char *name, const char *guarantee, double cut_ms, int skip)
{
    fx_open(f, name, guarantee, NULL);
    standard_history(f);
    fx_end(f, 201000);
    fx_backup(f, "b1", BACKUP_MS, BACKUP_MS + 50);
    fx_close(f);
    standard_snapshot(f, "b1", cut_ms, skip);
}

/* A correct backup with the cut at the request: pass, exercised, no finding, and the
 * inferred cut interval contains the true cut. */
static void test_correct_backup_passes(void **state)
{
    (void)state;
    fx f;
    build_standard(&f, "pass", NULL, BACKUP_MS + 20, -1);
    cJSON *res;
    assert_int_equal(check(&f, NULL, &res), CHK_PASS);
    const cJSON *b = backup0(res);
    assert_string_equal(str(res, "verdict"), "pass");
    assert_string_equal(str(res, "profile"), "aws-documented");
    assert_string_equal(str(b, "verdict"), "pass");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "exercised")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(b, "findings")), 0);
    /* 40 inserts (0..39 s) + 20 overwrites (0.5..38.5 s) completed before R - 60 s. */
    assert_int_equal((int)num(b, "counts", "must_present"), 60);
    assert_int_equal((int)num(b, "counts", "lost"), 0);
    assert_true(num(b, "counts", "window") > 0);
    const cJSON *cut = cJSON_GetObjectItemCaseSensitive(b, "cut");
    assert_string_equal(str(cut, "kind"), "instant");
    int64_t lo = chk_json_i64(cut, "lo_ns", 0), hi = chk_json_i64(cut, "hi_ns", 0);
    assert_true(lo <= FX_NS(BACKUP_MS + 20));
    assert_true(hi >= FX_NS(BACKUP_MS + 20));
    /* Exact: the last captured write was sent at 100 s, the first missing one done at 100.51 s. */
    assert_true(lo == FX_NS(100000));
    assert_true(hi == FX_NS(100510));
    cJSON_Delete(res);
}

/* Many writes to the keys of one bucket: they fill several chunks of write records and end
 * on a partial group of staged records; each key's last write is found where the
 * snapshot holds it, and a key left at its previous version is LOST. */
static void many_writes(fx *f, const char *name, int stale_key)
{
    enum { WRITES = 4501, KEYS = 3 };
    fx_open(f, name, NULL, NULL);
    char key[64], wid[32];
    for (int s = 1; s <= WRITES; s++) {
        snprintf(key, sizeof key, "ins/0/%d", s % KEYS);
        fx_write(f, 0, (uint64_t)s, "put", key, s * 5.0, s * 5.0 + 2, "ok");
    }
    /* One write on each side of the cut, so that the backup is exercised. */
    fx_write(f, 1, 1, "put", "ins/1/0", BACKUP_MS - 1000, BACKUP_MS - 990, "ok");
    fx_write(f, 1, 2, "put", "ins/1/1", BACKUP_MS + 1000, BACKUP_MS + 1010, "ok");
    fx_end(f, 201000);
    fx_backup(f, "b1", BACKUP_MS, BACKUP_MS + 50);
    fx_close(f);
    FILE *snap = fx_snap(f, "b1");
    for (int k = 0; k < KEYS; k++) {
        int last = WRITES - (WRITES - k) % KEYS; /* the last s with s % KEYS == k */
        if (k == stale_key) last -= KEYS;
        snprintf(key, sizeof key, "ins/0/%d", k);
        snprintf(wid, sizeof wid, "0.%d", last);
        fx_item(snap, key, wid);
    }
    fx_item(snap, "ins/1/0", "1.1");
    fclose(snap);
}

static void test_many_writes_per_key(void **state)
{
    (void)state;
    fx f;
    cJSON *res;
    many_writes(&f, "manywrites", -1);
    assert_int_equal(check(&f, NULL, &res), CHK_PASS);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(backup0(res), "findings")),
                     0);
    cJSON_Delete(res);
    many_writes(&f, "manywrites-stale", 1);
    assert_int_equal(check(&f, NULL, &res), CHK_FAIL);
    const cJSON *b = backup0(res);
    assert_int_equal(fx_count(b, "LOST", "violation"), 1);
    assert_string_equal(str(fx_find(b, "LOST"), "key"), "ins/0/1");
    cJSON_Delete(res);
}

static void test_lost_is_a_violation_with_evidence(void **state)
{
    (void)state;
    fx f;
    build_standard(&f, "lost", NULL, BACKUP_MS, 7); /* ins/0/7 written at 7 s dropped */
    cJSON *res;
    assert_int_equal(check(&f, NULL, &res), CHK_FAIL);
    const cJSON *b = backup0(res);
    assert_int_equal(fx_count(b, "LOST", "violation"), 1);
    const cJSON *l = fx_find(b, "LOST");
    assert_string_equal(str(l, "key"), "ins/0/7");
    assert_true(has_op(l, "0.8"));
    assert_int_equal((int)num(b, "counts", "lost"), 1);
    assert_string_equal(str(b, "verdict"), "fail");
    cJSON_Delete(res);
}

static void test_future_is_a_violation(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, "future", NULL, NULL);
    standard_history(&f);
    fx_end(&f, 201000);
    fx_backup(&f, "b1", BACKUP_MS, BACKUP_MS + 50);
    fx_close(&f);
    /* The cut at the request, plus one write sent at 170 s (after A + 60 s). */
    standard_snapshot(&f, "b1", BACKUP_MS, -1);
    snap_add(&f, "b1", "ins/0/170", "0.171");
    cJSON *res;
    assert_int_equal(check(&f, NULL, &res), CHK_FAIL);
    const cJSON *b = backup0(res);
    assert_int_equal(fx_count(b, "FUTURE", "violation"), 1);
    const cJSON *x = fx_find(b, "FUTURE");
    assert_string_equal(str(x, "key"), "ins/0/170");
    assert_true(has_op(x, "0.171"));
    cJSON_Delete(res);
}

static void test_phantoms(void **state)
{
    (void)state;
    fx f;
    build_standard(&f, "phantom", NULL, BACKUP_MS, -1);
    FILE *s = fx_snap_append(&f, "b1");
    fx_item(s, "ghost/9/9", "9.9");  /* a key never written */
    fx_item(s, "ins/0/150", "0.99"); /* a wid that never wrote it */
    fclose(s);
    /* A corrupted payload on a key that is otherwise right: rewrite ins/0/3. */
    fx g;
    build_standard(&g, "phantom-pay", NULL, BACKUP_MS, 3);
    s = fx_snap_append(&g, "b1");
    fx_item_pay(s, "ins/0/3", "0.4", "AAAAAAAAAAAAAAAAAAAAAAAA");
    fclose(s);

    cJSON *res;
    assert_int_equal(check(&f, NULL, &res), CHK_FAIL);
    const cJSON *b = backup0(res);
    assert_int_equal(fx_count(b, "PHANTOM", "violation"), 2);
    cJSON_Delete(res);
    assert_int_equal(check(&g, NULL, &res), CHK_FAIL);
    b = backup0(res);
    assert_int_equal(fx_count(b, "PHANTOM", "violation"), 1);
    const cJSON *x = fx_find(b, "PHANTOM");
    assert_string_equal(str(x, "key"), "ins/0/3");
    assert_non_null(strstr(str(x, "detail"), "payload"));
    assert_int_equal(fx_count(b, "LOST", NULL), 0); /* the version itself is right */
    cJSON_Delete(res);
}

static void test_phantom_fail(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, "phantom-fail", NULL, NULL);
    standard_history(&f);
    fx_write(&f, 2, 1, "put", "ins/2/0", 1000, 1005, "fail");
    fx_end(&f, 201000);
    fx_backup(&f, "b1", BACKUP_MS, BACKUP_MS + 50);
    fx_close(&f);
    standard_snapshot(&f, "b1", BACKUP_MS, -1);
    snap_add(&f, "b1", "ins/2/0", "2.1");
    cJSON *res;
    assert_int_equal(check(&f, NULL, &res), CHK_FAIL);
    const cJSON *x = fx_find(backup0(res), "PHANTOM_FAIL");
    assert_non_null(x);
    assert_string_equal(str(x, "key"), "ins/2/0");
    assert_true(has_op(x, "2.1"));
    cJSON_Delete(res);
}

static void test_resurrected(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, "resurrect", NULL, NULL);
    standard_history(&f);
    fx_write(&f, 3, 1, "put", "del/3/0", 1000, 1005, "ok");
    fx_write(&f, 3, 2, "delete", "del/3/0", 5000, 5005, "ok");
    fx_end(&f, 201000);
    fx_backup(&f, "b1", BACKUP_MS, BACKUP_MS + 50);
    fx_close(&f);
    standard_snapshot(&f, "b1", BACKUP_MS, -1);
    snap_add(&f, "b1", "del/3/0", "3.1");
    cJSON *res;
    assert_int_equal(check(&f, NULL, &res), CHK_FAIL);
    const cJSON *x = fx_find(backup0(res), "RESURRECTED");
    assert_non_null(x);
    assert_string_equal(str(x, "key"), "del/3/0");
    assert_true(has_op(x, "3.2"));
    assert_int_equal(fx_count(backup0(res), "LOST", NULL), 0);
    cJSON_Delete(res);
}

/* A deleted item correctly absent is no finding. */
static void test_delete_absent_is_fine(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, "delete-ok", NULL, NULL);
    standard_history(&f);
    fx_write(&f, 3, 1, "put", "del/3/0", 1000, 1005, "ok");
    fx_write(&f, 3, 2, "delete", "del/3/0", 5000, 5005, "ok");
    fx_end(&f, 201000);
    fx_backup(&f, "b1", BACKUP_MS, BACKUP_MS + 50);
    fx_close(&f);
    standard_snapshot(&f, "b1", BACKUP_MS, -1);
    cJSON *res;
    assert_int_equal(check(&f, NULL, &res), CHK_PASS);
    cJSON_Delete(res);
}

/* A key inserted and deleted inside the window but well before the cut is absent because
 * of its delete: the insert must not count as "not captured", which would drag the cut's
 * upper bound back to the insert and report a wide fuzzy band that never happened. */
static void test_delete_in_window_does_not_widen_cut(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, "delete-window", NULL, NULL);
    standard_history(&f);
    fx_write(&f, 3, 1, "put", "del/3/0", BACKUP_MS - 3000, BACKUP_MS - 2995, "ok");
    fx_write(&f, 3, 2, "delete", "del/3/0", BACKUP_MS - 2000, BACKUP_MS - 1995, "ok");
    fx_end(&f, 201000);
    fx_backup(&f, "b1", BACKUP_MS, BACKUP_MS + 50);
    fx_close(&f);
    standard_snapshot(&f, "b1", BACKUP_MS + 20, -1);
    cJSON *res;
    assert_int_equal(check(&f, NULL, &res), CHK_PASS);
    const cJSON *cut = cJSON_GetObjectItemCaseSensitive(backup0(res), "cut");
    assert_string_equal(str(cut, "kind"), "instant");
    assert_true(chk_json_i64(cut, "lo_ns", 0) == FX_NS(100000));
    assert_true(chk_json_i64(cut, "hi_ns", 0) == FX_NS(100510));
    cJSON_Delete(res);
}

static void build_torn(fx *f, const char *name, const char *guarantee)
{
    fx_open(f, name, guarantee, NULL);
    standard_history(f);
    const char *keys[] = {"tx/4/0", "tx/4/1"};
    fx_txn(f, 4, 1, keys, 2, BACKUP_MS - 10, BACKUP_MS - 5, "ok");
    fx_end(f, 201000);
    fx_backup(f, "b1", BACKUP_MS, BACKUP_MS + 50);
    fx_close(f);
    standard_snapshot(f, "b1", BACKUP_MS + 20, -1);
    FILE *s = fx_snap_append(f, "b1");
    fx_item(s, "tx/4/0", "4.1"); /* tx/4/1 missing */
    fclose(s);
}

/* An indeterminate transaction that never applied, one of whose keys a later acknowledged
 * transaction overwrote: the later version says nothing of the first, so the first is not
 * "partly present". Had the snapshot held the first's own write on one key and not the
 * other, it would be torn. */
static void build_info_txn(fx *f, const char *name, int own_write_captured)
{
    fx_open(f, name, NULL, NULL);
    standard_history(f);
    const char *keys[] = {"tx/4/0", "tx/4/1"};
    fx_txn(f, 4, 1, keys, 2, BACKUP_MS - 40, BACKUP_MS - 35, "info");
    const char *later[] = {"tx/4/0", "tx/4/2"};
    fx_txn(f, 4, 2, later, 2, BACKUP_MS - 30, BACKUP_MS - 25, "ok");
    fx_end(f, 201000);
    fx_backup(f, "b1", BACKUP_MS, BACKUP_MS + 50);
    fx_close(f);
    standard_snapshot(f, "b1", BACKUP_MS + 20, -1);
    FILE *s = fx_snap_append(f, "b1");
    if (own_write_captured) {
        fx_item(s, "tx/4/0", "4.1"); /* the info txn's own write; tx/4/1 missing */
    } else {
        fx_item(s, "tx/4/0", "4.2"); /* superseded by the later txn; tx/4/1 absent */
        fx_item(s, "tx/4/2", "4.2");
    }
    fclose(s);
}

static void test_superseded_info_txn_is_not_torn(void **state)
{
    (void)state;
    fx f;
    build_info_txn(&f, "info-txn-superseded", 0);
    cJSON *res;
    assert_int_equal(check(&f, NULL, &res), CHK_PASS);
    assert_int_equal(fx_count(backup0(res), "TORN_TXN", NULL), 0);
    cJSON_Delete(res);

    fx g;
    build_info_txn(&g, "info-txn-own", 1);
    assert_int_equal(check(&g, NULL, &res), CHK_PASS);
    const cJSON *x = fx_find(backup0(res), "TORN_TXN");
    assert_non_null(x);
    assert_true(has_op(x, "4.1"));
    cJSON_Delete(res);
}

static void test_torn_txn_observation_vs_violation(void **state)
{
    (void)state;
    fx f;
    build_torn(&f, "torn-aws", NULL);
    cJSON *res;
    assert_int_equal(check(&f, NULL, &res), CHK_PASS);
    const cJSON *x = fx_find(backup0(res), "TORN_TXN");
    assert_non_null(x);
    assert_string_equal(str(x, "severity"), "observation");
    assert_string_equal(str(x, "key"), "tx/4/1");
    assert_true(has_op(x, "4.1"));
    assert_string_equal(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(x, "missing"), 0)->valuestring,
        "tx/4/1");
    cJSON_Delete(res);

    /* Same run under strict: a violation. The profile override wins over the scenario. */
    assert_int_equal(check(&f, "strict", &res), CHK_FAIL);
    x = fx_find(backup0(res), "TORN_TXN");
    assert_string_equal(str(x, "severity"), "violation");
    assert_string_equal(str(res, "profile"), "strict");
    cJSON_Delete(res);

    /* And under an explicit profile with atomic_txn, from the scenario. */
    fx g;
    build_torn(&g, "torn-explicit", "{\"before_s\":5,\"after_s\":5,\"atomic_txn\":true}");
    assert_int_equal(check(&g, NULL, &res), CHK_FAIL);
    assert_string_equal(str(res, "profile"), "explicit");
    assert_int_equal(fx_count(backup0(res), "TORN_TXN", "violation"), 1);
    cJSON_Delete(res);
}

static void test_bank_invariant(void **state)
{
    (void)state;
    const char *wls = "[{\"index\":0,\"type\":\"insert\",\"threads\":2,\"first_worker\":0,"
                      "\"item_bytes\":24},{\"index\":1,\"type\":\"bank\",\"threads\":1,"
                      "\"first_worker\":5,\"accounts\":2,\"initial_balance\":100,"
                      "\"bank_total\":200}]";
    for (int strict = 0; strict <= 1; strict++) {
        fx f;
        fx_open(&f, strict ? "bank-strict" : "bank", strict ? "\"strict\"" : NULL, wls);
        standard_history(&f);
        /* Account setup and one transfer, all through the bank workload (wi 1). */
        fx_raw_history(&f, "");
        char line[1024];
        for (int a = 0; a < 2; a++) {
            snprintf(
                line, sizeof line,
                "{\"type\":\"op\",\"w\":5,\"s\":%d,\"wl\":\"bank\",\"wi\":1,\"f\":\"put\","
                "\"intended_ns\":%lld,\"invoke_ns\":%lld,\"complete_ns\":%lld,"
                "\"mono_ns\":1,\"outcome\":\"ok\",\"err\":null,\"attempts\":1,\"wcu\":1,"
                "\"rcu\":0,\"writes\":[{\"k\":\"bank/5/%d\",\"wid\":\"5.%d\",\"op\":\"put\"}]}\n",
                a + 1, (long long)FX_NS(100 + a), (long long)FX_NS(100 + a),
                (long long)FX_NS(101 + a), a, a + 1);
            fx_raw_history(&f, line);
        }
        snprintf(line, sizeof line,
                 "{\"type\":\"op\",\"w\":5,\"s\":3,\"wl\":\"bank\",\"wi\":1,\"f\":\"transfer\","
                 "\"intended_ns\":%lld,\"invoke_ns\":%lld,\"complete_ns\":%lld,\"mono_ns\":1,"
                 "\"outcome\":\"ok\",\"err\":null,\"attempts\":1,\"wcu\":4,\"rcu\":0,\"txn\":true,"
                 "\"writes\":[{\"k\":\"bank/5/0\",\"wid\":\"5.3\",\"op\":\"add\",\"delta\":-30},"
                 "{\"k\":\"bank/5/1\",\"wid\":\"5.3\",\"op\":\"add\",\"delta\":30}]}\n",
                 (long long)FX_NS(2000), (long long)FX_NS(2000), (long long)FX_NS(2010));
        fx_raw_history(&f, line);
        fx_end(&f, 201000);
        fx_backup(&f, "b1", BACKUP_MS, BACKUP_MS + 50);
        fx_close(&f);
        standard_snapshot(&f, "b1", BACKUP_MS, -1);
        FILE *s = fx_snap_append(&f, "b1");
        fx_item_bal(s, "bank/5/0", "5.3", 70);
        fx_item_bal(s, "bank/5/1", "5.3", 100); /* should be 130: total 170, not 200 */
        fclose(s);
        cJSON *res;
        chk_verdict v = check(&f, NULL, &res);
        const cJSON *x = fx_find(backup0(res), "INVARIANT");
        assert_non_null(x);
        assert_non_null(strstr(str(x, "detail"), "170"));
        assert_string_equal(str(x, "severity"), strict ? "violation" : "observation");
        if (!strict)
            assert_int_equal(v, CHK_PASS);
        else
            assert_int_equal(v, CHK_FAIL);
        cJSON_Delete(res);
    }
}

static void test_append_order(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, "order", NULL, NULL);
    standard_history(&f);
    for (int i = 1; i <= 4; i++)
        fx_write(&f, 6, (uint64_t)i, "append", "app/6/0", i * 1000.0, i * 1000.0 + 5, "ok");
    fx_end(&f, 201000);
    fx_backup(&f, "b1", BACKUP_MS, BACKUP_MS + 50);
    fx_close(&f);
    standard_snapshot(&f, "b1", BACKUP_MS, -1);
    FILE *s = fx_snap_append(&f, "b1");
    const char *ids[] = {"6.1", "6.3", "6.4"}; /* 6.2 missing from the middle */
    fx_item_ids(s, "app/6/0", "6.4", ids, 3);
    fclose(s);
    cJSON *res;
    assert_int_equal(check(&f, NULL, &res), CHK_FAIL);
    const cJSON *x = fx_find(backup0(res), "ORDER");
    assert_non_null(x);
    assert_string_equal(str(x, "key"), "app/6/0");
    assert_true(has_op(x, "6.2"));
    cJSON_Delete(res);

    /* A correct prefix passes. */
    fx g;
    fx_open(&g, "order-ok", NULL, NULL);
    standard_history(&g);
    for (int i = 1; i <= 4; i++)
        fx_write(&g, 6, (uint64_t)i, "append", "app/6/0", i * 1000.0, i * 1000.0 + 5, "ok");
    fx_end(&g, 201000);
    fx_backup(&g, "b1", BACKUP_MS, BACKUP_MS + 50);
    fx_close(&g);
    standard_snapshot(&g, "b1", BACKUP_MS, -1);
    s = fx_snap_append(&g, "b1");
    const char *all[] = {"6.1", "6.2", "6.3", "6.4"};
    fx_item_ids(s, "app/6/0", "6.4", all, 4);
    fclose(s);
    assert_int_equal(check(&g, NULL, &res), CHK_PASS);
    cJSON_Delete(res);
}

/* A cut 50 s before the request is inside the documented 60 s window (pass), but under
 * strict the cut must lie in [R, A]: the writes that completed in between are LOST. */
static void test_cut_outside_window_under_strict(void **state)
{
    (void)state;
    fx f;
    build_standard(&f, "early-cut", NULL, BACKUP_MS - 50000, -1);
    cJSON *res;
    assert_int_equal(check(&f, NULL, &res), CHK_PASS);
    cJSON_Delete(res);
    assert_int_equal(check(&f, "strict", &res), CHK_FAIL);
    const cJSON *b = backup0(res);
    assert_true(fx_count(b, "LOST", "violation") > 0);
    const cJSON *x = fx_find(b, "LOST");
    assert_string_equal(str(x, "key"), "ins/0/50");
    assert_true(has_op(x, "0.51"));
    cJSON_Delete(res);

    /* Too late: a cut 10 s after the request is FUTURE under strict. */
    fx g;
    build_standard(&g, "late-cut", NULL, BACKUP_MS + 10000, -1);
    assert_int_equal(check(&g, NULL, &res), CHK_PASS);
    cJSON_Delete(res);
    assert_int_equal(check(&g, "strict", &res), CHK_FAIL);
    assert_true(fx_count(backup0(res), "FUTURE", "violation") > 0);
    cJSON_Delete(res);
}

/* Under strict a snapshot no single instant explains (a late write captured, an earlier
 * one missing, both inside [R, A]) is a fuzzy cut and a violation. */
static void test_fuzzy_cut_under_strict(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, "fuzzy", NULL, NULL);
    standard_history(&f);
    fx_write(&f, 7, 1, "put", "fz/7/0", BACKUP_MS + 1, BACKUP_MS + 2, "ok");
    fx_write(&f, 7, 2, "put", "fz/7/1", BACKUP_MS + 10, BACKUP_MS + 11, "ok");
    fx_end(&f, 201000);
    fx_backup(&f, "b1", BACKUP_MS, BACKUP_MS + 50);
    fx_close(&f);
    standard_snapshot(&f, "b1", BACKUP_MS + 20, -1);
    snap_add(&f, "b1", "fz/7/1", "7.2"); /* fz/7/0 (earlier) missing */
    cJSON *res;
    assert_int_equal(check(&f, NULL, &res), CHK_PASS);
    assert_string_equal(str(cJSON_GetObjectItemCaseSensitive(backup0(res), "cut"), "kind"),
                        "fuzzy");
    cJSON_Delete(res);
    assert_int_equal(check(&f, "strict", &res), CHK_FAIL);
    const cJSON *x = fx_find(backup0(res), "LOST");
    assert_non_null(x);
    assert_string_equal(str(x, "key"), "fz/7/0");
    assert_true(has_op(x, "7.1") && has_op(x, "7.2"));
    cJSON_Delete(res);
}

/* Killed run: no end line, a torn last line, and an item naming a write whose line never
 * reached the journal: indeterminate, not a phantom. */
static void test_interrupted_history(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, "interrupted", NULL, NULL);
    standard_history(&f);
    fx_raw_history(&f, "{\"type\":\"op\",\"w\":0,\"s\":999,\"wl\":\"ins");
    fx_backup(&f, "b1", BACKUP_MS, BACKUP_MS + 50);
    fx_close(&f);
    standard_snapshot(&f, "b1", BACKUP_MS, -1);
    snap_add(&f, "b1", "ins/0/300", "0.300"); /* beyond worker 0's last journaled seq (201) */
    cJSON *res;
    assert_int_equal(check(&f, NULL, &res), CHK_PASS);
    const cJSON *b = backup0(res);
    assert_int_equal(fx_count(b, "PHANTOM", NULL), 0);
    assert_int_equal((int)num(b, "counts", "unjournaled_applied"), 1);
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(res, "history");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(h, "complete")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "torn_last_line")));
    cJSON_Delete(res);

    /* The same unknown write in a completed run is a phantom. */
    fx g;
    build_standard(&g, "not-interrupted", NULL, BACKUP_MS, -1);
    snap_add(&g, "b1", "ins/0/300", "0.300");
    assert_int_equal(check(&g, NULL, &res), CHK_FAIL);
    assert_int_equal(fx_count(backup0(res), "PHANTOM", "violation"), 1);
    cJSON_Delete(res);
}

/* A history whose last line is an op (no end line) writing a key the index does not hold:
 * that op is still being delayed when the mapped file is read to its end, and is added
 * before the mapping goes, its key name read from it. */
static void test_last_line_op_with_new_key(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, "last-op", NULL, NULL);
    standard_history(&f);
    fx_write(&f, 2, 1, "put", "solo-key", 1000.0, 1005.0, "ok");
    fx_backup(&f, "b1", BACKUP_MS, BACKUP_MS + 50);
    fx_close(&f);
    standard_snapshot(&f, "b1", BACKUP_MS, -1);
    snap_add(&f, "b1", "solo-key", "2.1");
    cJSON *res;
    assert_int_equal(check(&f, NULL, &res), CHK_PASS);
    assert_int_equal(fx_count(backup0(res), "PHANTOM", NULL), 0);
    assert_int_equal(fx_count(backup0(res), "LOST", NULL), 0);
    cJSON_Delete(res);
}

/* Indeterminate writes never violate: one missing although it would be must-present, one
 * present although sent after the window. Present ones count as applied. */
static void test_info_writes_never_violate(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, "info", "\"strict\"", NULL);
    standard_history(&f);
    fx_write(&f, 2, 1, "put", "inf/2/0", 1000, 1005, "info"); /* missing: fine */
    fx_write(&f, 2, 2, "put", "inf/2/1", 2000, 2005, "info"); /* present: applied */
    fx_end(&f, 201000);
    fx_backup(&f, "b1", BACKUP_MS, BACKUP_MS + 50);
    fx_close(&f);
    standard_snapshot(&f, "b1", BACKUP_MS + 20, -1);
    snap_add(&f, "b1", "inf/2/1", "2.2");
    cJSON *res;
    assert_int_equal(check(&f, NULL, &res), CHK_PASS);
    const cJSON *b = backup0(res);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(b, "findings")), 0);
    assert_int_equal((int)num(b, "counts", "indeterminate"), 2);
    assert_int_equal((int)num(b, "counts", "indeterminate_applied"), 1);
    cJSON_Delete(res);
}

/* Writes tied on their invoke instant: the cut's lower bound names the write a walk of
 * the history in journal order keeps. An acknowledged write replaces a tie with a
 * smaller write id, an indeterminate one only a strictly later instant; so which came
 * first in the journal decides lo_op. */
static void build_tie(fx *f, const char *name, int info_first)
{
    fx_open(f, name, NULL, NULL);
    standard_history(f);
    if (info_first) fx_write(f, 5, 9, "put", "tie/5/0", BACKUP_MS + 10, BACKUP_MS + 12, "info");
    fx_write(f, 6, 1, "put", "tie/6/0", BACKUP_MS + 10, BACKUP_MS + 12, "ok");
    if (!info_first) fx_write(f, 5, 9, "put", "tie/5/0", BACKUP_MS + 10, BACKUP_MS + 12, "info");
    fx_end(f, 201000);
    fx_backup(f, "b1", BACKUP_MS, BACKUP_MS + 50);
    fx_close(f);
    standard_snapshot(f, "b1", BACKUP_MS + 20, -1);
    FILE *s = fx_snap_append(f, "b1");
    fx_item(s, "tie/5/0", "5.9");
    fx_item(s, "tie/6/0", "6.1");
    fclose(s);
}

static void test_ties_follow_history_order(void **state)
{
    (void)state;
    for (int info_first = 0; info_first <= 1; info_first++) {
        fx f;
        build_tie(&f, info_first ? "tie-info-first" : "tie-ok-first", info_first);
        cJSON *res;
        assert_int_equal(check(&f, NULL, &res), CHK_PASS);
        const cJSON *cut = cJSON_GetObjectItemCaseSensitive(backup0(res), "cut");
        assert_true(chk_json_i64(cut, "lo_ns", 0) == (int64_t)FX_NS(BACKUP_MS + 10));
        /* 5.9 sorts before 6.1, but counts only when the indeterminate write came first. */
        assert_string_equal(str(cut, "lo_op"), info_first ? "5.9" : "6.1");
        cJSON_Delete(res);
    }
}

/* A key written by two workers, out of write-id order in the journal: its order is taken
 * from the write ids (with a note), so the item holding the later id supersedes the other
 * write instead of leaving it lost; the item holding the earlier id loses the later one. */
static void test_multi_worker_key_in_write_id_order(void **state)
{
    (void)state;
    for (int hold_later = 0; hold_later <= 1; hold_later++) {
        fx f;
        fx_open(&f, hold_later ? "multi-later" : "multi-earlier", NULL, NULL);
        standard_history(&f);
        fx_write(&f, 3, 5, "put", "mw/0/0", 1000, 1005, "ok");
        fx_write(&f, 2, 7, "put", "mw/0/0", 2000, 2005, "ok");
        fx_end(&f, 201000);
        fx_backup(&f, "b1", BACKUP_MS, BACKUP_MS + 50);
        fx_close(&f);
        standard_snapshot(&f, "b1", BACKUP_MS + 20, -1);
        FILE *s = fx_snap_append(&f, "b1");
        fx_item(s, "mw/0/0", hold_later ? "3.5" : "2.7");
        fclose(s);
        cJSON *res;
        chk_verdict v = check(&f, NULL, &res);
        int noted = 0;
        const cJSON *n;
        cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(res, "notes"))
        {
            if (cJSON_IsString(n) && strstr(n->valuestring, "1 keys were written by more than one"))
                noted = 1;
        }
        assert_true(noted);
        const cJSON *lost = fx_find(backup0(res), "LOST");
        if (hold_later) {
            assert_int_equal(v, CHK_PASS);
            assert_null(lost);
        } else {
            assert_int_equal(v, CHK_FAIL);
            assert_non_null(lost);
            assert_string_equal(str(lost, "key"), "mw/0/0");
            assert_true(has_op(lost, "3.5"));
        }
        cJSON_Delete(res);
    }
}

/* A backup taken when nothing was being written proves nothing: inconclusive, exit 3. */
static void test_no_exercised_backup_is_inconclusive(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, "idle", NULL, NULL);
    for (int i = 0; i < 10; i++) {
        char key[32];
        key_ins(i, key);
        fx_write(&f, 0, (uint64_t)i + 1, "put", key, i * 100.0, i * 100.0 + 5, "ok");
    }
    fx_end(&f, 400000);
    fx_backup(&f, "b1", 300000, 300050);
    fx_close(&f);
    FILE *s = fx_snap(&f, "b1");
    char key[32], wid[32];
    for (int i = 0; i < 10; i++) {
        key_ins(i, key);
        sprintf(wid, "0.%d", i + 1);
        fx_item(s, key, wid);
    }
    fclose(s);
    cJSON *res;
    assert_int_equal(check(&f, NULL, &res), CHK_INCONCLUSIVE);
    assert_string_equal(str(res, "verdict"), "inconclusive");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(backup0(res), "exercised")));
    cJSON_Delete(res);
}

/* Under strict the window is [R, A]; on a fast target no write may fall in it, yet the
 * writes that had to be in and those that had to be out test the cut: exercised, pass. */
static void test_strict_exercised_without_window_writes(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, "strict-narrow", "\"strict\"", NULL);
    char key[32], wid[32];
    for (int i = 0; i < 20; i++) {
        key_ins(i, key);
        fx_write(&f, 0, (uint64_t)i + 1, "put", key, 1000 + i * 10.0, 1000 + i * 10.0 + 2, "ok");
    }
    fx_end(&f, 5000);
    fx_backup(&f, "b1", 1095, 1096); /* between the write done at 1092 and the one sent at 1100 */
    fx_close(&f);
    FILE *s = fx_snap(&f, "b1");
    for (int i = 0; i < 10; i++) {
        key_ins(i, key);
        sprintf(wid, "0.%d", i + 1);
        fx_item(s, key, wid);
    }
    fclose(s);
    cJSON *res;
    assert_int_equal(check(&f, NULL, &res), CHK_PASS);
    const cJSON *b = backup0(res);
    assert_int_equal((int)num(b, "counts", "window"), 0);
    assert_int_equal((int)num(b, "counts", "must_present"), 10);
    assert_int_equal((int)num(b, "counts", "must_absent"), 10);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "exercised")));
    cJSON_Delete(res);
}

/* Fault windows from the history's fault lines reach results.json: a closed window with
 * both instants, one the history ended before with end_ns null. */
static void test_fault_windows_in_results(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, "faults", NULL, NULL);
    standard_history(&f);
    char line[512];
    snprintf(line, sizeof line,
             "{\"type\":\"fault\",\"kind\":\"reset\",\"phase\":\"start\",\"at_ns\":%lld,"
             "\"side\":\"network\",\"params\":{\"fraction\":0.2}}\n",
             (long long)FX_NS(2000));
    fx_raw_history(&f, line);
    snprintf(line, sizeof line,
             "{\"type\":\"fault\",\"kind\":\"reset\",\"phase\":\"end\",\"at_ns\":%lld,"
             "\"side\":\"network\"}\n",
             (long long)FX_NS(4000));
    fx_raw_history(&f, line);
    snprintf(line, sizeof line,
             "{\"type\":\"fault\",\"kind\":\"latency\",\"phase\":\"start\",\"at_ns\":%lld,"
             "\"side\":\"network\",\"params\":{\"ms\":50}}\n",
             (long long)FX_NS(5000));
    fx_raw_history(&f, line);
    fx_end(&f, 201000);
    fx_backup(&f, "b1", BACKUP_MS, BACKUP_MS + 50);
    fx_close(&f);
    standard_snapshot(&f, "b1", BACKUP_MS + 20, -1);
    cJSON *res;
    assert_int_equal(check(&f, NULL, &res), CHK_PASS);
    const cJSON *faults = cJSON_GetObjectItemCaseSensitive(res, "faults");
    assert_int_equal(cJSON_GetArraySize(faults), 2);
    const cJSON *r = cJSON_GetArrayItem(faults, 0);
    assert_string_equal(str(r, "kind"), "reset");
    assert_string_equal(str(r, "side"), "network");
    assert_true(chk_json_i64(r, "start_ns", 0) == FX_NS(2000));
    assert_true(chk_json_i64(r, "end_ns", 0) == FX_NS(4000));
    const cJSON *l = cJSON_GetArrayItem(faults, 1);
    assert_string_equal(str(l, "kind"), "latency");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(l, "end_ns")));
    cJSON_Delete(res);
}

/* Snapshot `id` holding the first n inserts of the latency and rate tests (insert i: key
 * ins/<i % 8>/<i / 8>, wid <i % 8>.<i / 8 + 1>). */
static void snap_inserts(fx *f, const char *id, int n)
{
    FILE *sn = fx_snap(f, id);
    char key[64], wid[32];
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof key, "ins/%d/%d", i % 8, i / 8);
        snprintf(wid, sizeof wid, "%d.%d", i % 8, i / 8 + 1);
        fx_item(sn, key, wid);
    }
    fclose(sn);
}

/* Latency percentiles (nearest rank, from the intended start) overall and split by
 * whether an operation overlapped a backup or restore: 200 operations outside with
 * latencies 1..200 ms in a scrambled order, 10 during the backup with 1001..1010 ms. */
static void test_latency_percentiles(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, "latency", NULL, NULL);
    char key[64];
    for (int i = 0; i < 200; i++) {
        int lat = 1 + (i * 73) % 200; /* 73 is prime to 200: a permutation of 1..200 */
        snprintf(key, sizeof key, "ins/%d/%d", i % 8, i / 8);
        fx_write(&f, i % 8, (uint64_t)(i / 8 + 1), "put", key, 1000.0 * i, 1000.0 * i + lat, "ok");
    }
    for (int i = 0; i < 10; i++) {
        int lat = 1001 + (i * 7) % 10;
        snprintf(key, sizeof key, "ins/%d/%d", i % 8, 100 + i);
        fx_write(&f, i % 8, (uint64_t)(100 + i), "put", key, 500010.0 + i, 500010.0 + i + lat,
                 "ok");
    }
    fx_end(&f, 600000);
    fx_backup(&f, "b1", 500000, 500050);
    fx_close(&f);
    snap_inserts(&f, "b1", 200);
    cJSON *res;
    check(&f, NULL, &res);
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(res, "timings"), "latency_ms");
    /* 210 latencies: rank 105 is 105 ms; rank 208 is the 8th of 1001..1010. */
    assert_true(num(lat, "p50", NULL) == 105);
    assert_true(num(lat, "p99", NULL) == 1008);
    assert_true(num(lat, "max", NULL) == 1010);
    const cJSON *av = cJSON_GetObjectItemCaseSensitive(res, "availability");
    assert_true(num(av, "outside", "ops") == 200);
    assert_true(num(av, "outside", "p50_ms") == 100);
    assert_true(num(av, "outside", "p99_ms") == 198);
    assert_true(num(av, "outside", "max_ms") == 200);
    assert_true(num(av, "during_backup", "ops") == 10);
    assert_true(num(av, "during_backup", "p50_ms") == 1005);
    assert_true(num(av, "during_backup", "p99_ms") == 1010);
    assert_true(num(av, "during_backup", "max_ms") == 1010);
    cJSON_Delete(res);
}

/* Rates are over the time the workload ran, not the whole run: 100 operations of 1 ms
 * every 100 ms (0 .. 9.901 s), then restores and scans until the history ends at 60 s. A
 * backup in flight 5.000-5.510 s and its restore 5.610-5.910 s overlap 9 of them. */
static void test_rates_over_the_workload(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, "rates", NULL, NULL);
    char key[64];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "ins/%d/%d", i % 8, i / 8);
        fx_write(&f, i % 8, (uint64_t)(i / 8 + 1), "put", key, 100.0 * i, 100.0 * i + 1, "ok");
    }
    fx_end(&f, 60000);
    fx_backup(&f, "b1", 5000, 5010);
    fx_close(&f);
    snap_inserts(&f, "b1", 50);
    cJSON *res;
    check(&f, NULL, &res);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(res, "timings");
    assert_true(num(t, "run_s", NULL) == 60);
    assert_true(num(t, "workload_s", NULL) == 9.901);
    assert_true(num(t, "ops_per_s", NULL) == 10.1); /* 100 / 9.901, to the thousandth */
    const cJSON *av = cJSON_GetObjectItemCaseSensitive(res, "availability");
    assert_true(num(av, "during_backup", "ops") == 9);
    assert_true(num(av, "during_backup", "seconds") == 0.81);
    assert_true(num(av, "during_backup", "ops_per_s") == 11.111);
    assert_true(num(av, "outside", "ops") == 91);
    assert_true(num(av, "outside", "seconds") == 9.091);
    assert_true(num(av, "outside", "ops_per_s") == 10.01);
    cJSON_Delete(res);
}

static char *slurp_without_checked_at(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char line[8192];
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, "\"checked_at\"")) continue;
        size_t n = strlen(line);
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            out = realloc(out, cap);
        }
        memcpy(out + len, line, n);
        len += n;
    }
    out[len] = '\0';
    fclose(f);
    return out;
}

static void test_recheck_is_byte_identical(void **state)
{
    (void)state;
    fx f;
    build_torn(&f, "recheck", NULL);
    FILE *s = fx_snap_append(&f, "b1");
    fx_item(s, "ghost/1/1", "1.999");
    fx_item(s, "ghost/1/2", "1.998");
    fclose(s);
    cJSON *res;
    char p[400];
    snprintf(p, sizeof p, "%s/results.json", f.dir);
    check(&f, NULL, &res);
    cJSON_Delete(res);
    char *a = slurp_without_checked_at(p);
    check(&f, NULL, &res);
    cJSON_Delete(res);
    char *b = slurp_without_checked_at(p);
    assert_true(strlen(a) > 1000);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

/* PITR at T: writes completed before floor(T) present, none sent from floor(T) + 1 s. */
static void test_pitr(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, "pitr", NULL, NULL);
    standard_history(&f);
    fx_end(&f, 201000);
    fx_pitr(&f, "p1", 120400); /* T = 120.4 s: precision window [120 s, 121 s) */
    fx_close(&f);
    standard_snapshot(&f, "p1", 120200, -1);
    cJSON *res;
    assert_int_equal(check(&f, NULL, &res), CHK_PASS);
    const cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "pitr"), 0);
    assert_non_null(p);
    assert_string_equal(str(p, "verdict"), "pass");
    const cJSON *pi = cJSON_GetObjectItemCaseSensitive(p, "pitr");
    assert_true(chk_json_i64(pi, "precision_ns", 0) == 1000000000LL);
    assert_true(chk_json_i64(pi, "truncated_ns", 0) == FX_NS(120000));
    cJSON_Delete(res);

    /* A PITR that ignores T (restores the latest state) is FUTURE. */
    fx g;
    fx_open(&g, "pitr-bad", NULL, NULL);
    standard_history(&g);
    fx_end(&g, 201000);
    fx_pitr(&g, "p1", 120400);
    fx_close(&g);
    standard_snapshot(&g, "p1", 250000, -1);
    assert_int_equal(check(&g, NULL, &res), CHK_FAIL);
    p = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "pitr"), 0);
    assert_true(fx_count(p, "FUTURE", "violation") > 0);
    cJSON_Delete(res);
}

/* The source table must hold every acknowledged write. */
static void test_source_table(void **state)
{
    (void)state;
    fx f;
    build_standard(&f, "source", NULL, BACKUP_MS, -1);
    standard_snapshot(&f, "source", 1e9, 42);
    cJSON *res;
    assert_int_equal(check(&f, NULL, &res), CHK_FAIL);
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(res, "source");
    assert_string_equal(str(src, "status"), "checked");
    const cJSON *x = fx_find(src, "LOST");
    assert_non_null(x);
    assert_string_equal(str(x, "key"), "ins/0/42");
    /* The backup itself was fine. */
    assert_string_equal(str(backup0(res), "verdict"), "pass");
    cJSON_Delete(res);
}

static void test_schema(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, "schema", NULL, NULL);
    standard_history(&f);
    fx_end(&f, 201000);
    fx_backup(&f, "b1", BACKUP_MS, BACKUP_MS + 50);
    fx_backups_raw(&f, "{\"type\":\"restore\",\"id\":\"b1\",\"description\":{\"KeySchema\":"
                       "[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}],"
                       "\"BillingModeSummary\":{\"BillingMode\":\"PAY_PER_REQUEST\"}}}\n");
    fx_close(&f);
    standard_snapshot(&f, "b1", BACKUP_MS, -1);
    cJSON *res;
    assert_int_equal(check(&f, NULL, &res), CHK_FAIL);
    const cJSON *x = fx_find(backup0(res), "SCHEMA");
    assert_non_null(x);
    assert_non_null(strstr(str(x, "detail"), "HASH=id"));
    cJSON_Delete(res);
}

static void test_missing_history_is_an_error(void **state)
{
    (void)state;
    chk_options o = {.quiet = 1};
    char err[512] = "";
    assert_int_equal(chk_run_dir("/tmp/backcheck-no-such-run-dir", &o, NULL, err, sizeof err),
                     CHK_ERROR);
    assert_non_null(strstr(err, "history.jsonl"));
}

/* A pricing file with every price an estimate uses, writes at wru_price a million. */
static void write_pricing(const char *path, const char *region, double wru_price)
{
    FILE *p = fopen(path, "w");
    assert_non_null(p);
    fprintf(p,
            "{\"region\":\"%s\",\"as_of\":\"2026-11-26\",\"prices\":{"
            "\"on_demand_write_request_unit_per_million\":{\"value\":%g},"
            "\"on_demand_read_request_unit_per_million\":{\"value\":0.125},"
            "\"on_demand_backup_warm_gb_month\":{\"value\":0.1},"
            "\"restore_gb\":{\"value\":0.15},\"pitr_gb_month\":{\"value\":0.2},"
            "\"storage_gb_month\":{\"value\":0.25}}}\n",
            region, wru_price);
    fclose(p);
}

/* costs.usd_breakdown.writes, less the consumed units at price (dollars a million):
 * within the rounding to the millionth of a dollar when the price is the one used. */
static double writes_usd_off(const cJSON *res, double price)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(res, "costs");
    double wru = cJSON_GetObjectItemCaseSensitive(c, "wru")->valuedouble;
    assert_true(wru > 0);
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "usd_breakdown"),
                                            "writes")
               ->valuedouble -
           wru * price / 1e6;
}

static const char *pricing_str(const cJSON *res, const char *field)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(res, "costs");
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "pricing"), field)
        ->valuestring;
}

/* Checks f (with --pricing pricing, or none) and expects its costs from source, in
 * region, writes at price dollars a million. */
static void expect_costs(fx *f, const char *pricing, const char *source, const char *region,
                         double price)
{
    chk_options o = {.pricing = pricing, .quiet = 1};
    chk_summary sum;
    char err[512] = "";
    assert_int_equal(chk_run_dir(f->dir, &o, &sum, err, sizeof err), CHK_PASS);
    cJSON *res = fx_results(f);
    assert_non_null(res);
    assert_string_equal(pricing_str(res, "source"), source);
    assert_string_equal(pricing_str(res, "region"), region);
    assert_float_equal(writes_usd_off(res, price), 0, 1e-6);
    cJSON_Delete(res);
}

/* Costs are at the built-in prices, else at those of the run directory's pricing.json (a
 * run keeps the file given with --pricing there), else at those of the check's own
 * --pricing; results say which. */
static void test_pricing_file(void **state)
{
    (void)state;
    fx f;
    build_standard(&f, "pricing", NULL, BACKUP_MS + 20, -1);
    expect_costs(&f, NULL, "built-in", "us-east-1", 0.625);
    char path[400];
    snprintf(path, sizeof path, "%s/pricing.json", f.dir);
    write_pricing(path, "eu-west-1", 6.25);
    expect_costs(&f, NULL, "pricing.json", "eu-west-1", 6.25);
    snprintf(path, sizeof path, "%s/snapshots/other-prices.json", f.dir);
    write_pricing(path, "eu-west-1", 1.25);
    expect_costs(&f, path, "other-prices.json", "eu-west-1", 1.25);
}

/* The line `run` and `check` print: one of each is singular. */
static void test_summary_text(void **state)
{
    (void)state;
    char line[200];
    chk_summary one = {CHK_FAIL, 1, 1, 1, 1};
    chk_summary_text(&one, line, sizeof line);
    assert_string_equal(line, "fail (1 backup, 1 exercised, 1 violation, 1 observation)");
    chk_summary many = {CHK_INCONCLUSIVE, 3, 0, 0, 2};
    chk_summary_text(&many, line, sizeof line);
    assert_string_equal(line,
                        "inconclusive (3 backups, 0 exercised, 0 violations, 2 observations)");
    assert_string_equal(chk_verdict_name(CHK_PASS), "pass");
    assert_string_equal(chk_verdict_name(CHK_ERROR), "error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_correct_backup_passes),
        cmocka_unit_test(test_many_writes_per_key),
        cmocka_unit_test(test_lost_is_a_violation_with_evidence),
        cmocka_unit_test(test_future_is_a_violation),
        cmocka_unit_test(test_phantoms),
        cmocka_unit_test(test_phantom_fail),
        cmocka_unit_test(test_resurrected),
        cmocka_unit_test(test_delete_absent_is_fine),
        cmocka_unit_test(test_delete_in_window_does_not_widen_cut),
        cmocka_unit_test(test_torn_txn_observation_vs_violation),
        cmocka_unit_test(test_superseded_info_txn_is_not_torn),
        cmocka_unit_test(test_bank_invariant),
        cmocka_unit_test(test_append_order),
        cmocka_unit_test(test_cut_outside_window_under_strict),
        cmocka_unit_test(test_fuzzy_cut_under_strict),
        cmocka_unit_test(test_interrupted_history),
        cmocka_unit_test(test_last_line_op_with_new_key),
        cmocka_unit_test(test_info_writes_never_violate),
        cmocka_unit_test(test_ties_follow_history_order),
        cmocka_unit_test(test_multi_worker_key_in_write_id_order),
        cmocka_unit_test(test_no_exercised_backup_is_inconclusive),
        cmocka_unit_test(test_strict_exercised_without_window_writes),
        cmocka_unit_test(test_fault_windows_in_results),
        cmocka_unit_test(test_latency_percentiles),
        cmocka_unit_test(test_rates_over_the_workload),
        cmocka_unit_test(test_recheck_is_byte_identical),
        cmocka_unit_test(test_pitr),
        cmocka_unit_test(test_source_table),
        cmocka_unit_test(test_schema),
        cmocka_unit_test(test_missing_history_is_an_error),
        cmocka_unit_test(test_summary_text),
        cmocka_unit_test(test_pricing_file),
    };
    return cmocka_run_group_tests(tests, NULL, fx_cleanup);
}
