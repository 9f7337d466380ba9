/*
 * test_emu_store.c - the emulator's MVCC store: unique monotonic commit timestamps across
 * threads, reading a key as of a cut, pruning only what no backup or PITR can need, and
 * canonical keys (numbers equal by value).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "emulator/emu_internal.h"
#include "util/clock.h"

#include <stdlib.h>
#include <string.h>

typedef struct fixture {
    emu_server *s;
    emu_table *t;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    emu_config cfg;
    emu_config_defaults(&cfg);
    cfg.quiet = 1;
    cfg.partitions = 4;
    char err[128];
    if (emu_start(&cfg, &f->s, err, sizeof err) != 0) return -1;
    cJSON *schema = cJSON_Parse(
        "{\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"N\"}],"
        "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
        "\"BillingMode\":\"PAY_PER_REQUEST\"}");
    emu_req r;
    memset(&r, 0, sizeof r);
    r.srv = f->s;
    r.now_ns = bc_now_ns();
    int rc = emu_table_from_schema(f->s, schema, "store", &r, &f->t);
    cJSON_Delete(schema);
    *state = f;
    return rc;
}

static int teardown(void **state)
{
    fixture *f = *state;
    emu_table_put(f->t);
    emu_stop(f->s);
    free(f);
    return 0;
}

enum { TS_THREADS = 4, TS_PER_THREAD = 20000 };
typedef struct ts_arg {
    emu_server *s;
    int64_t *out;
} ts_arg;

static void *ts_worker(void *p)
{
    ts_arg *a = p;
    for (int i = 0; i < TS_PER_THREAD; i++)
        a->out[i] = emu_commit_ts(a->s);
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void test_commit_ts_unique_monotonic(void **state)
{
    fixture *f = *state;
    int64_t *all = malloc(sizeof(int64_t) * TS_THREADS * TS_PER_THREAD);
    pthread_t th[TS_THREADS];
    ts_arg args[TS_THREADS];
    int64_t before = bc_now_ns();
    for (int i = 0; i < TS_THREADS; i++) {
        args[i].s = f->s;
        args[i].out = all + i * TS_PER_THREAD;
        pthread_create(&th[i], NULL, ts_worker, &args[i]);
    }
    for (int i = 0; i < TS_THREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < TS_THREADS; i++)
        for (int k = 1; k < TS_PER_THREAD; k++)
            assert_true(args[i].out[k] > args[i].out[k - 1]);
    qsort(all, TS_THREADS * TS_PER_THREAD, sizeof *all, cmp_i64);
    for (int i = 1; i < TS_THREADS * TS_PER_THREAD; i++)
        assert_true(all[i] > all[i - 1]);
    /* They are realtime instants: never before the clock read before the first. */
    assert_true(all[0] >= before);
    free(all);
}

static emu_entry *entry_for(fixture *f, const char *n, emu_part **pp)
{
    cJSON *av = ddb_attr_n_str(n);
    char *k;
    size_t len;
    assert_int_equal(emu_key_canon(av, &k, &len), 0);
    uint64_t h;
    int p = emu_table_part_of(f->t, av, &h);
    *pp = &f->t->parts[p];
    emu_entry *e = emu_part_find(*pp, k, len, h, NULL, 1);
    free(k);
    cJSON_Delete(av);
    return e;
}

static cJSON *item(const char *pk, int v)
{
    cJSON *it = cJSON_CreateObject();
    cJSON_AddItemToObject(it, "pk", ddb_attr_n_str(pk));
    cJSON_AddItemToObject(it, "v", ddb_attr_n_i64(v));
    return it;
}

static int v_of(const emu_version *v)
{
    int64_t x = -1;
    if (v && v->item) ddb_item_get_i64(v->item, "v", &x);
    return (int)x;
}

static void test_versions_and_cuts(void **state)
{
    fixture *f = *state;
    emu_part *p;
    atomic_store(&f->t->pitr, 1); /* keep everything */
    emu_entry *e = entry_for(f, "1", &p);
    emu_entry_write(f->t, p, e, 100, 0, item("1", 1), 0);
    emu_entry_write(f->t, p, e, 200, 7, item("1", 2), 0);
    emu_entry_write(f->t, p, e, 300, 0, NULL, 0);
    assert_int_equal(e->nver, 3);
    assert_null(emu_entry_at(e, 50));
    assert_int_equal(v_of(emu_entry_at(e, 100)), 1);
    assert_int_equal(v_of(emu_entry_at(e, 199)), 1);
    assert_int_equal(v_of(emu_entry_at(e, 250)), 2);
    assert_int_equal(emu_entry_at(e, 250)->txn_id, 7);
    assert_null(emu_entry_at(e, 300)->item);
    assert_null(emu_entry_latest(e)->item);
    assert_int_equal(p->items, 0);
    /* "1.0" and "10E-1" are the same key as "1". */
    emu_part *p2;
    assert_ptr_equal(entry_for(f, "1.0", &p2), e);
    assert_ptr_equal(entry_for(f, "10E-1", &p2), e);
    atomic_store(&f->t->pitr, 0);
}

static void test_pruning(void **state)
{
    fixture *f = *state;
    emu_part *p;
    emu_entry *e = entry_for(f, "2", &p);
    /* A pinned table (backup CREATING) keeps every version. */
    atomic_store(&f->t->pins, 1);
    for (int i = 1; i <= 5; i++)
        emu_entry_write(f->t, p, e, 1000 * i, 0, item("2", i), 0);
    assert_int_equal(e->nver, 5);
    atomic_store(&f->t->pins, 0);
    /* Unpinned, no PITR, zero horizon: only the latest survives. */
    emu_entry_write(f->t, p, e, 6000, 0, item("2", 6), 0);
    assert_int_equal(e->nver, 1);
    assert_int_equal(v_of(emu_entry_latest(e)), 6);
    assert_int_equal(p->items, 1);
    /* A delete keeps the last live version under the tombstone (resurrect needs it). */
    emu_entry_write(f->t, p, e, 7000, 0, NULL, 0);
    assert_int_equal(e->nver, 2);
    assert_int_equal(v_of(&e->ver[0]), 6);
    assert_int_equal(p->items, 0);
    /* Within the retention horizon superseded versions stay. */
    emu_entry_write(f->t, p, e, 8000, 0, item("2", 8), 5000);
    emu_entry_write(f->t, p, e, 9000, 0, item("2", 9), 5000);
    assert_int_equal(v_of(emu_entry_at(e, 8500)), 8);
    assert_int_equal(v_of(emu_entry_at(e, 7500)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_ts_unique_monotonic),
        cmocka_unit_test(test_versions_and_cuts),
        cmocka_unit_test(test_pruning),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
