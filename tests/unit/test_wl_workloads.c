/* test_wl_workloads.c - each workload against the embedded emulator (exact cut model, no
 * faults unless a test adds them): run setup and steps with two workers, read
 * history.jsonl back, scan the table, and check that the table holds exactly what the
 * history says was acknowledged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ddb/attr.h"
#include "ddb/ddb.h"
#include "emulator/emu.h"
#include "harness/history.h"
#include "util/clock.h"
#include "util/jsonl.h"
#include "util/payload.h"
#include "workloads/wl_internal.h"
#include "workloads/workload.h"

#define SEED 42
#define NWORKERS 2

typedef struct fixture {
    emu_server *emu;
    ddb_config cfg;
    ddb_client *admin;
    char dir[256];
    int tables;
    int threaded; /* run each worker's steps in its own thread, as the harness does */
} fixture;

/* What one run left behind: the history's op lines and the table's items by key. */
typedef struct run_result {
    cJSON *ops;   /* array of op lines in file order */
    cJSON *items; /* object: key -> item */
    wl_worker w[NWORKERS];
} run_result;

static int group_setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    char err[256];
    if (ddb_global_init() != 0) return -1;
    emu_config ec;
    emu_config_defaults(&ec);
    ec.cut_model = EMU_CUT_EXACT;
    ec.quiet = 1;
    if (emu_start(&ec, &fx->emu, err, sizeof err) != 0) {
        fprintf(stderr, "emu_start: %s\n", err);
        return -1;
    }
    ddb_config_defaults(&fx->cfg);
    snprintf(fx->cfg.endpoint, sizeof fx->cfg.endpoint, "%s", emu_endpoint(fx->emu));
    snprintf(fx->cfg.region, sizeof fx->cfg.region, "us-east-1");
    snprintf(fx->cfg.creds.access_key_id, sizeof fx->cfg.creds.access_key_id, "%s",
             ec.access_key_id);
    snprintf(fx->cfg.creds.secret_access_key, sizeof fx->cfg.creds.secret_access_key, "%s",
             ec.secret_access_key);
    snprintf(fx->cfg.creds.source, sizeof fx->cfg.creds.source, "static");
    fx->admin = ddb_client_new(&fx->cfg);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/test_wl_XXXXXX");
    if (!fx->admin || !mkdtemp(fx->dir)) return -1;
    *state = fx;
    return 0;
}

static int group_teardown(void **state)
{
    fixture *fx = *state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", fx->dir);
    ddb_client_free(fx->admin);
    emu_stop(fx->emu);
    ddb_global_cleanup();
    free(fx);
    return 0;
}

static void create_table(fixture *fx, const char *name)
{
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "TableName", name);
    cJSON *ad = cJSON_AddArrayToObject(req, "AttributeDefinitions");
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "AttributeName", "pk");
    cJSON_AddStringToObject(a, "AttributeType", "S");
    cJSON_AddItemToArray(ad, a);
    cJSON *ks = cJSON_AddArrayToObject(req, "KeySchema");
    cJSON *k = cJSON_CreateObject();
    cJSON_AddStringToObject(k, "AttributeName", "pk");
    cJSON_AddStringToObject(k, "KeyType", "HASH");
    cJSON_AddItemToArray(ks, k);
    cJSON_AddStringToObject(req, "BillingMode", "PAY_PER_REQUEST");
    ddb_result res = {0};
    ddb_err e = ddb_call(fx->admin, "CreateTable", req, &res);
    if (e != DDB_OK) fprintf(stderr, "CreateTable: %s %s\n", res.err_type, res.err_message);
    assert_int_equal(e, DDB_OK);
    ddb_result_free(&res);
    cJSON_Delete(req);
    char err[256];
    int64_t active = 0;
    assert_int_equal(ddb_wait_table_active(fx->admin, name, bc_mono_ns() + 10 * BC_NS_PER_S,
                                           &active, err, sizeof err),
                     DDB_OK);
}

static int collect_op(const cJSON *line, long lineno, void *arg)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(line, "type");
    if (cJSON_IsString(t) && strcmp(t->valuestring, "op") == 0)
        cJSON_AddItemToArray((cJSON *)arg, cJSON_Duplicate(line, 1));
    return 0;
}

static void scan_table(fixture *fx, const char *table, cJSON *items)
{
    cJSON *start = NULL;
    do {
        cJSON *req = cJSON_CreateObject();
        cJSON_AddStringToObject(req, "TableName", table);
        cJSON_AddBoolToObject(req, "ConsistentRead", 1);
        if (start) cJSON_AddItemToObject(req, "ExclusiveStartKey", start);
        ddb_result res = {0};
        assert_int_equal(ddb_call(fx->admin, "Scan", req, &res), DDB_OK);
        cJSON_Delete(req);
        const cJSON *it;
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(res.body, "Items"))
        {
            const char *key = NULL;
            assert_int_equal(ddb_item_get_s(it, "pk", &key), 0);
            assert_null(cJSON_GetObjectItemCaseSensitive(items, key));
            cJSON_AddItemToObject(items, key, cJSON_Duplicate(it, 1));
        }
        const cJSON *lek = cJSON_GetObjectItemCaseSensitive(res.body, "LastEvaluatedKey");
        start = lek ? cJSON_Duplicate(lek, 1) : NULL;
        ddb_result_free(&res);
    } while (start);
}

typedef struct worker_run {
    const wl_ops *ops;
    wl_worker *w;
    int steps, rc;
    char err[256];
} worker_run;

static void *worker_main(void *arg)
{
    worker_run *wr = arg;
    for (int s = 0; wr->rc == 0 && s < wr->steps; s++) {
        wr->w->intended_ns = 0;
        wr->rc = wr->ops->step(wr->w, wr->err, sizeof wr->err);
    }
    return NULL;
}

/* Runs spec with two workers, interleaving their steps, and gathers the results. Returns
 * the setup's status (the error in err). */
static int run_workload(fixture *fx, wl_spec *spec, int steps, uint64_t seed, run_result *out,
                        char *err, size_t errlen)
{
    char table[64], path[400];
    int n = ++fx->tables;
    snprintf(table, sizeof table, "wl-%s-%d", spec->type, n);
    snprintf(path, sizeof path, "%s/history-%d.jsonl", fx->dir, n);
    create_table(fx, table);
    assert_int_equal(wl_spec_prepare(spec, err, errlen), 0);
    const wl_ops *ops = wl_find(spec->type);
    assert_non_null(ops);
    hist_journal *j = NULL;
    assert_int_equal(hist_journal_open(path, NWORKERS, &j, err, errlen), 0);
    memset(out, 0, sizeof *out);
    int rc = 0;
    for (int i = 0; i < NWORKERS; i++) {
        wl_worker *w = &out->w[i];
        wl_worker_init(w, spec, i, i, seed);
        w->db = ddb_client_new(&fx->cfg);
        w->table = table;
        w->hash_key = "pk";
        w->journal = j;
        w->end_ns = bc_now_ns() + 60 * BC_NS_PER_S;
        if (rc == 0) rc = ops->setup(w, err, errlen);
    }
    if (rc == 0 && fx->threaded) {
        /* the same steps per worker as the interleaved run, concurrently */
        pthread_t th[NWORKERS];
        worker_run wr[NWORKERS];
        for (int i = 0; i < NWORKERS; i++) {
            wr[i] = (worker_run){.ops = ops, .w = &out->w[i], .rc = 0};
            wr[i].steps = steps / NWORKERS + (i < steps % NWORKERS);
            assert_int_equal(pthread_create(&th[i], NULL, worker_main, &wr[i]), 0);
        }
        for (int i = 0; i < NWORKERS; i++) {
            pthread_join(th[i], NULL);
            if (wr[i].rc != 0) fail_msg("worker %d: %s", i, wr[i].err);
        }
    }
    for (int s = 0; rc == 0 && !fx->threaded && s < steps; s++) {
        wl_worker *w = &out->w[s % NWORKERS];
        w->intended_ns = 0;
        assert_int_equal(ops->step(w, err, errlen), 0);
    }
    for (int i = 0; i < NWORKERS; i++) {
        if (out->w[i].state || rc == 0) ops->teardown(&out->w[i]);
        ddb_client_free(out->w[i].db);
        out->w[i].db = NULL;
    }
    assert_int_equal(hist_journal_close(j), 0);
    out->ops = cJSON_CreateArray();
    jsonl_stats st;
    char rerr[256];
    assert_int_equal(jsonl_read(path, 0, collect_op, out->ops, &st, rerr, sizeof rerr), 0);
    out->items = cJSON_CreateObject();
    scan_table(fx, table, out->items);
    return rc;
}

static void run_free(run_result *r)
{
    cJSON_Delete(r->ops);
    cJSON_Delete(r->items);
}

static const char *op_str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static long long op_num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? (long long)v->valuedouble : -1;
}

static int is_ok(const cJSON *op)
{
    return strcmp(op_str(op, "outcome"), "ok") == 0;
}

/* The op outcome that applies to one write (its "st" or the op's). */
static const char *write_outcome(const cJSON *op, const cJSON *wr)
{
    const char *st = op_str(wr, "st");
    return st ? st : op_str(op, "outcome");
}

static const cJSON *item_of(const run_result *r, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(r->items, key);
}

/* Asserts the item's wid and that its pay is the payload of (seed, key, wid). */
static void assert_item_written_by(const run_result *r, const char *key, const char *wid,
                                   int item_bytes)
{
    const cJSON *item = item_of(r, key);
    if (!item) fail_msg("%s missing from the table", key);
    const char *got = NULL, *pay = NULL;
    assert_int_equal(ddb_item_get_s(item, "wid", &got), 0);
    assert_string_equal(got, wid);
    if (item_bytes > 0) {
        assert_int_equal(ddb_item_get_s(item, "pay", &pay), 0);
        assert_int_equal(strlen(pay), (size_t)item_bytes);
        assert_true(bc_payload_matches(SEED, key, wid, pay, strlen(pay)));
    }
}

static wl_spec make_spec(const char *type, long keys, int item_bytes)
{
    wl_spec s;
    memset(&s, 0, sizeof s);
    snprintf(s.type, sizeof s.type, "%s", type);
    s.threads = NWORKERS;
    s.keys.dist = WL_DIST_UNIFORM;
    s.keys.count = keys;
    s.item_bytes = item_bytes;
    return s;
}

/* Every op line is well formed: worker, unique (w, s), the workload's name, timing. */
static void assert_ops_well_formed(const run_result *r, const char *wl, int expect_ops)
{
    assert_int_equal(cJSON_GetArraySize(r->ops), expect_ops);
    long long last_s[NWORKERS] = {-1, -1};
    const cJSON *op;
    cJSON_ArrayForEach(op, r->ops)
    {
        long long w = op_num(op, "w"), s = op_num(op, "s");
        assert_true(w >= 0 && w < NWORKERS);
        assert_true(s > last_s[w]); /* a worker's ops are journaled in sequence order */
        last_s[w] = s;
        assert_string_equal(op_str(op, "wl"), wl);
        assert_true(op_num(op, "invoke_ns") > 0);
        assert_true(op_num(op, "complete_ns") >= op_num(op, "invoke_ns"));
        assert_true(op_num(op, "intended_ns") > 0);
        assert_true(op_num(op, "attempts") >= 1);
    }
}

static void test_insert(void **state)
{
    fixture *fx = *state;
    wl_spec s = make_spec("insert", 100, 64);
    run_result r;
    char err[256];
    assert_int_equal(run_workload(fx, &s, 40, SEED, &r, err, sizeof err), 0);
    assert_ops_well_formed(&r, "insert", 40);
    const cJSON *op;
    cJSON_ArrayForEach(op, r.ops)
    {
        assert_true(is_ok(op));
        const cJSON *wr = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(op, "writes"), 0);
        char expect_key[HIST_KEY_MAX];
        snprintf(expect_key, sizeof expect_key, "ins/%lld/%lld", op_num(op, "w"), op_num(op, "s"));
        assert_string_equal(op_str(wr, "k"), expect_key);
        assert_item_written_by(&r, op_str(wr, "k"), op_str(wr, "wid"), 64);
        int64_t ver = 0;
        assert_int_equal(ddb_item_get_i64(item_of(&r, op_str(wr, "k")), "ver", &ver), 0);
        assert_int_equal(ver, 1);
    }
    assert_int_equal(cJSON_GetArraySize(r.items), 40);
    assert_int_equal(r.w[0].ops_ok + r.w[1].ops_ok, 40);
    run_free(&r);
}

/* For registers: each key's writes in sequence order carry ver 1, 2, 3...; the item holds
 * the last ok write. */
static void test_register(void **state)
{
    fixture *fx = *state;
    wl_spec s = make_spec("register", 10, 32);
    run_result r;
    char err[256];
    assert_int_equal(run_workload(fx, &s, 80, SEED, &r, err, sizeof err), 0);
    assert_ops_well_formed(&r, "register", 80);
    cJSON *last = cJSON_CreateObject(); /* key -> last ok write */
    const cJSON *op;
    cJSON_ArrayForEach(op, r.ops)
    {
        assert_true(is_ok(op));
        const cJSON *wr = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(op, "writes"), 0);
        const char *key = op_str(wr, "k");
        const cJSON *prev = cJSON_GetObjectItemCaseSensitive(last, key);
        long long expect_ver = prev ? op_num(prev, "ver") + 1 : 1;
        assert_int_equal(op_num(wr, "ver"), expect_ver);
        assert_string_equal(op_str(op, "f"), prev ? "update" : "put");
        if (prev)
            cJSON_ReplaceItemInObjectCaseSensitive(last, key, cJSON_Duplicate(wr, 1));
        else
            cJSON_AddItemToObject(last, key, cJSON_Duplicate(wr, 1));
    }
    assert_int_equal(cJSON_GetArraySize(r.items), cJSON_GetArraySize(last));
    const cJSON *wr;
    cJSON_ArrayForEach(wr, last)
    {
        assert_item_written_by(&r, wr->string, op_str(wr, "wid"), 32);
        int64_t ver = 0;
        assert_int_equal(ddb_item_get_i64(item_of(&r, wr->string), "ver", &ver), 0);
        assert_int_equal(ver, op_num(wr, "ver"));
    }
    cJSON_Delete(last);
    run_free(&r);
}

/* With a server that fails some updates after applying them, the worker's view goes
 * stale; it must re-read (f "read") and keep every write's ver one more than the stored
 * one, so the item still matches the latest write that could have applied. */
static void test_register_recovers_after_indeterminate(void **state)
{
    fixture *fx = *state;
    char err[256];
    assert_int_equal(
        emu_fault_add(fx->emu, "error:fraction=0.3,after=1,ops=UpdateItem", err, sizeof err), 0);
    wl_spec s = make_spec("register", 4, 16);
    run_result r;
    int rc = run_workload(fx, &s, 120, SEED, &r, err, sizeof err);
    emu_fault_remove(fx->emu, "error");
    assert_int_equal(rc, 0);
    int reads = 0, infos = 0;
    cJSON *last = cJSON_CreateObject(); /* key -> last write that may have applied */
    const cJSON *op;
    cJSON_ArrayForEach(op, r.ops)
    {
        const char *f = op_str(op, "f");
        if (strcmp(f, "read") == 0) {
            reads++;
            continue;
        }
        const char *outcome = op_str(op, "outcome");
        if (strcmp(outcome, "info") == 0) {
            /* the history shows why: a 500 first, then the retry's refusal */
            const cJSON *tries = cJSON_GetObjectItemCaseSensitive(op, "tries");
            assert_true(op_num(op, "attempts") >= 2);
            assert_int_equal(cJSON_GetArraySize(tries), op_num(op, "attempts"));
            assert_int_equal(op_num(cJSON_GetArrayItem(tries, 0), "status"), 500);
            assert_string_equal(op_str(cJSON_GetArrayItem(tries, 0), "err"), "InternalServerError");
            infos++;
        }
        if (strcmp(outcome, "fail") == 0) continue;
        const cJSON *wr = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(op, "writes"), 0);
        const char *key = op_str(wr, "k");
        const cJSON *prev = cJSON_GetObjectItemCaseSensitive(last, key);
        /* a write is built on the version known or re-read, never on a guess */
        if (prev && strcmp(op_str(prev, "outcome"), "ok") == 0)
            assert_int_equal(op_num(wr, "ver"), op_num(prev, "ver") + 1);
        cJSON *rec = cJSON_Duplicate(wr, 1);
        cJSON_AddStringToObject(rec, "outcome", outcome);
        if (prev)
            cJSON_ReplaceItemInObjectCaseSensitive(last, key, rec);
        else
            cJSON_AddItemToObject(last, key, rec);
    }
    assert_true(infos > 0);
    assert_true(reads > 0);
    /* The stored version belongs to a write of that key: the last ok one, or a later
     * indeterminate one that did apply. */
    const cJSON *item;
    cJSON_ArrayForEach(item, r.items)
    {
        int64_t ver = 0;
        const char *wid = NULL;
        assert_int_equal(ddb_item_get_i64(item, "ver", &ver), 0);
        assert_int_equal(ddb_item_get_s(item, "wid", &wid), 0);
        int found = 0;
        cJSON_ArrayForEach(op, r.ops)
        {
            const cJSON *wr = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(op, "writes"), 0);
            if (wr && strcmp(op_str(wr, "wid"), wid) == 0) {
                assert_string_equal(op_str(wr, "k"), item->string);
                assert_int_equal(op_num(wr, "ver"), ver);
                assert_string_not_equal(op_str(op, "outcome"), "fail");
                found = 1;
            }
        }
        assert_true(found);
        const cJSON *lw = cJSON_GetObjectItemCaseSensitive(last, item->string);
        assert_non_null(lw);
        assert_true(ver <= op_num(lw, "ver"));
        if (strcmp(op_str(lw, "outcome"), "ok") == 0) assert_int_equal(ver, op_num(lw, "ver"));
    }
    cJSON_Delete(last);
    run_free(&r);
}

static void test_append(void **state)
{
    fixture *fx = *state;
    wl_spec s = make_spec("append", 8, 24);
    run_result r;
    char err[256];
    assert_int_equal(run_workload(fx, &s, 60, SEED, &r, err, sizeof err), 0);
    assert_ops_well_formed(&r, "append", 60);
    cJSON *expect = cJSON_CreateObject(); /* key -> array of wids */
    const cJSON *op;
    cJSON_ArrayForEach(op, r.ops)
    {
        assert_true(is_ok(op));
        const cJSON *wr = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(op, "writes"), 0);
        assert_string_equal(op_str(wr, "op"), "append");
        cJSON *list = cJSON_GetObjectItemCaseSensitive(expect, op_str(wr, "k"));
        if (!list) list = cJSON_AddArrayToObject(expect, op_str(wr, "k"));
        cJSON_AddItemToArray(list, cJSON_CreateString(op_str(wr, "wid")));
    }
    assert_int_equal(cJSON_GetArraySize(r.items), cJSON_GetArraySize(expect));
    const cJSON *list;
    cJSON_ArrayForEach(list, expect)
    {
        const cJSON *item = item_of(&r, list->string);
        assert_non_null(item);
        const cJSON *ids = ddb_attr_payload(cJSON_GetObjectItemCaseSensitive(item, "ids"));
        assert_int_equal(cJSON_GetArraySize(ids), cJSON_GetArraySize(list));
        for (int i = 0; i < cJSON_GetArraySize(list); i++) {
            const cJSON *av = cJSON_GetArrayItem(ids, i);
            assert_int_equal(ddb_attr_type_of(av), DDB_T_S);
            assert_string_equal(ddb_attr_payload(av)->valuestring,
                                cJSON_GetArrayItem(list, i)->valuestring);
        }
        const char *lastwid = cJSON_GetArrayItem(list, cJSON_GetArraySize(list) - 1)->valuestring;
        assert_item_written_by(&r, list->string, lastwid, 24);
    }
    cJSON_Delete(expect);
    run_free(&r);
}

static void test_delete(void **state)
{
    fixture *fx = *state;
    wl_spec s = make_spec("delete", 100, 16);
    s.delete_after_s = 0; /* each insert is deleted by its worker's next step */
    run_result r;
    char err[256];
    assert_int_equal(run_workload(fx, &s, 41, SEED, &r, err, sizeof err), 0);
    assert_ops_well_formed(&r, "delete", 41);
    cJSON *live = cJSON_CreateObject();
    int deletes = 0;
    const cJSON *op;
    cJSON_ArrayForEach(op, r.ops)
    {
        assert_true(is_ok(op));
        const cJSON *wr = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(op, "writes"), 0);
        const char *key = op_str(wr, "k");
        if (strcmp(op_str(wr, "op"), "delete") == 0) {
            assert_non_null(cJSON_GetObjectItemCaseSensitive(live, key));
            cJSON_DeleteItemFromObjectCaseSensitive(live, key);
            deletes++;
        } else {
            assert_string_equal(op_str(wr, "op"), "put");
            cJSON_AddStringToObject(live, key, op_str(wr, "wid"));
        }
    }
    assert_int_equal(deletes, 20); /* 21 inserts and 20 deletes alternate over 2 workers */
    assert_int_equal(cJSON_GetArraySize(r.items), cJSON_GetArraySize(live));
    const cJSON *l;
    cJSON_ArrayForEach(l, live) assert_item_written_by(&r, l->string, l->valuestring, 16);
    cJSON_Delete(live);
    run_free(&r);
}

static void test_txn(void **state)
{
    fixture *fx = *state;
    wl_spec s = make_spec("txn", 40, 20);
    s.txn_min = 2;
    s.txn_max = 6;
    run_result r;
    char err[256];
    assert_int_equal(run_workload(fx, &s, 20, SEED, &r, err, sizeof err), 0);
    assert_ops_well_formed(&r, "txn", 20);
    cJSON *last = cJSON_CreateObject(); /* key -> wid of the last ok txn */
    const cJSON *op;
    cJSON_ArrayForEach(op, r.ops)
    {
        assert_true(is_ok(op));
        assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(op, "txn")));
        const cJSON *writes = cJSON_GetObjectItemCaseSensitive(op, "writes");
        int n = cJSON_GetArraySize(writes);
        assert_true(n >= 2 && n <= 6);
        char wid[HIST_WID_MAX];
        hist_wid((int)op_num(op, "w"), (uint64_t)op_num(op, "s"), wid);
        const cJSON *wr;
        cJSON_ArrayForEach(wr, writes)
        {
            assert_string_equal(op_str(wr, "wid"), wid);
            cJSON_DeleteItemFromObjectCaseSensitive(last, op_str(wr, "k"));
            cJSON_AddStringToObject(last, op_str(wr, "k"), wid);
        }
    }
    assert_int_equal(cJSON_GetArraySize(r.items), cJSON_GetArraySize(last));
    const cJSON *l;
    cJSON_ArrayForEach(l, last) assert_item_written_by(&r, l->string, l->valuestring, 20);
    cJSON_Delete(last);
    run_free(&r);
}

static void test_bank(void **state)
{
    fixture *fx = *state;
    wl_spec s = make_spec("bank", 100, 8);
    s.accounts = 5;
    s.initial_balance = 100;
    run_result r;
    char err[256];
    assert_int_equal(run_workload(fx, &s, 60, SEED, &r, err, sizeof err), 0);
    assert_ops_well_formed(&r, "bank", 10 + 60);
    cJSON *bal = cJSON_CreateObject(); /* key -> expected balance */
    cJSON *lastwid = cJSON_CreateObject();
    int transfers = 0;
    const cJSON *op;
    cJSON_ArrayForEach(op, r.ops)
    {
        const cJSON *wr;
        if (strcmp(op_str(op, "f"), "put") == 0) {
            assert_true(is_ok(op));
            wr = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(op, "writes"), 0);
            cJSON_AddNumberToObject(bal, op_str(wr, "k"), 100);
            cJSON_AddStringToObject(lastwid, op_str(wr, "k"), op_str(wr, "wid"));
            continue;
        }
        assert_string_equal(op_str(op, "f"), "transfer");
        assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(op, "txn")));
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(op, "writes")), 2);
        if (!is_ok(op)) continue;
        transfers++;
        long long sum = 0;
        cJSON_ArrayForEach(wr, cJSON_GetObjectItemCaseSensitive(op, "writes"))
        {
            assert_string_equal(op_str(wr, "op"), "add");
            cJSON *b = cJSON_GetObjectItemCaseSensitive(bal, op_str(wr, "k"));
            assert_non_null(b);
            cJSON_SetNumberValue(b, b->valuedouble + (double)op_num(wr, "delta"));
            assert_true(b->valuedouble >= 0);
            sum += op_num(wr, "delta");
            cJSON_ReplaceItemInObjectCaseSensitive(lastwid, op_str(wr, "k"),
                                                   cJSON_CreateString(op_str(wr, "wid")));
        }
        assert_int_equal(sum, 0);
    }
    assert_true(transfers > 40);
    assert_int_equal(cJSON_GetArraySize(r.items), 10);
    int64_t total = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, r.items)
    {
        int64_t b = 0;
        assert_int_equal(ddb_item_get_i64(item, "bal", &b), 0);
        total += b;
        assert_int_equal(b,
                         (int64_t)cJSON_GetObjectItemCaseSensitive(bal, item->string)->valuedouble);
        assert_item_written_by(&r, item->string,
                               cJSON_GetObjectItemCaseSensitive(lastwid, item->string)->valuestring,
                               8);
    }
    assert_int_equal(total, wl_bank_total(&s));
    assert_int_equal(total, 1000);
    cJSON_Delete(bal);
    cJSON_Delete(lastwid);
    run_free(&r);
}

static void test_batch(void **state)
{
    fixture *fx = *state;
    wl_spec s = make_spec("batch", 100, 40);
    s.batch_items = 10;
    run_result r;
    char err[256];
    assert_int_equal(run_workload(fx, &s, 6, SEED, &r, err, sizeof err), 0);
    assert_ops_well_formed(&r, "batch", 6);
    int items = 0;
    const cJSON *op;
    cJSON_ArrayForEach(op, r.ops)
    {
        assert_string_equal(op_str(op, "f"), "batch");
        const cJSON *writes = cJSON_GetObjectItemCaseSensitive(op, "writes");
        assert_int_equal(cJSON_GetArraySize(writes), 10);
        long long s0 = op_num(op, "s"), i = 0;
        const cJSON *wr;
        cJSON_ArrayForEach(wr, writes)
        {
            char wid[HIST_WID_MAX];
            hist_wid((int)op_num(op, "w"), (uint64_t)(s0 + i++), wid);
            assert_string_equal(op_str(wr, "wid"), wid); /* each item its own wid */
            if (strcmp(write_outcome(op, wr), "ok") == 0) {
                assert_item_written_by(&r, op_str(wr, "k"), wid, 40);
                items++;
            } else {
                assert_null(item_of(&r, op_str(wr, "k")));
            }
        }
    }
    assert_int_equal(items, 60);
    assert_int_equal(cJSON_GetArraySize(r.items), 60);
    run_free(&r);
}

static void test_large(void **state)
{
    fixture *fx = *state;
    wl_spec s = make_spec("large", 100, 0);
    wl_worker probe;
    wl_worker_init(&probe, &s, 1, 1, SEED);
    probe.hash_key = "pk";
    s.item_bytes = (int)wl_large_max_payload(&probe);
    assert_true(s.item_bytes > 400000);
    run_result r;
    char err[256];
    assert_int_equal(run_workload(fx, &s, 4, SEED, &r, err, sizeof err), 0);
    assert_ops_well_formed(&r, "large", 4);
    const cJSON *op;
    cJSON_ArrayForEach(op, r.ops)
    {
        assert_true(is_ok(op));
        const cJSON *wr = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(op, "writes"), 0);
        assert_item_written_by(&r, op_str(wr, "k"), op_str(wr, "wid"), s.item_bytes);
        assert_true(ddb_item_size(item_of(&r, op_str(wr, "k"))) <= DDB_MAX_ITEM_BYTES);
    }
    assert_int_equal(cJSON_GetArraySize(r.items), 4);
    run_free(&r);

    /* One byte more cannot fit: setup refuses with the numbers. */
    s.item_bytes++;
    assert_int_not_equal(run_workload(fx, &s, 4, SEED, &r, err, sizeof err), 0);
    assert_non_null(strstr(err, "400 KB"));
    assert_int_equal(cJSON_GetArraySize(r.ops), 0);
    run_free(&r);
}

/* Ops of `a` that `b` lacks or holds differently, matched by (w, s): the journal
 * interleaves workers as it drains them, so only each worker's own order is fixed. */
static int count_differing_ops(const cJSON *a, const cJSON *b)
{
    int differ = 0;
    const cJSON *a_op;
    cJSON_ArrayForEach(a_op, a)
    {
        const cJSON *b_op = NULL, *c;
        cJSON_ArrayForEach(c, b)
        {
            if (op_num(c, "w") == op_num(a_op, "w") && op_num(c, "s") == op_num(a_op, "s"))
                b_op = c;
        }
        char *x = cJSON_PrintUnformatted(a_op);
        char *y = b_op ? cJSON_PrintUnformatted(b_op) : NULL;
        differ += !y || strcmp(x, y) != 0;
        free(x);
        free(y);
    }
    return differ;
}

/* The same seed gives the same operations (keys, kinds, versions) on a fresh table. */
static void test_same_seed_same_history(void **state)
{
    fixture *fx = *state;
    char err[256];
    cJSON *runs[3];
    for (int run = 0; run < 3; run++) {
        wl_spec s = make_spec("txn", 30, 8);
        s.keys.dist = WL_DIST_ZIPF;
        s.txn_max = 5;
        run_result r;
        assert_int_equal(run_workload(fx, &s, 30, run < 2 ? 777 : 778, &r, err, sizeof err), 0);
        /* keep only what was intended: drop timing, outcome and capacity */
        cJSON *op;
        cJSON_ArrayForEach(op, r.ops)
        {
            const char *drop[] = {"intended_ns", "invoke_ns", "complete_ns", "mono_ns", "outcome",
                                  "err",         "attempts",  "wcu",         "rcu",     "tries"};
            for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
                cJSON_DeleteItemFromObjectCaseSensitive(op, drop[i]);
        }
        runs[run] = r.ops;
        r.ops = NULL;
        run_free(&r);
    }
    assert_int_equal(cJSON_GetArraySize(runs[0]), 30);
    assert_int_equal(cJSON_GetArraySize(runs[1]), 30);
    assert_int_equal(count_differing_ops(runs[0], runs[1]), 0);
    /* and another seed gives another history */
    assert_true(count_differing_ops(runs[0], runs[2]) > 0);
    for (int i = 0; i < 3; i++)
        cJSON_Delete(runs[i]);
}

/* The same workloads with each worker in its own thread (run under -fsanitize=thread by
 * the tsan label): workers share only the spec, read-only. */
static void test_threaded_workers(void **state)
{
    fixture *fx = *state;
    fx->threaded = 1;
    test_register(state);
    test_append(state);
    test_bank(state);
    test_delete(state);
    fx->threaded = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert),
        cmocka_unit_test(test_register),
        cmocka_unit_test(test_register_recovers_after_indeterminate),
        cmocka_unit_test(test_append),
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_txn),
        cmocka_unit_test(test_bank),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_large),
        cmocka_unit_test(test_same_seed_same_history),
        cmocka_unit_test(test_threaded_workers),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
