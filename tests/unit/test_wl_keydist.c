/* test_wl_keydist.c - key distributions, write ids, spec validation and the determinism of
 * a worker's intended operations (workloads/common.c), without a server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/wl_internal.h"
#include "workloads/workload.h"

#define SAMPLES 200000

static wl_spec make_spec(const char *type, wl_dist dist, long count, int threads)
{
    wl_spec s;
    memset(&s, 0, sizeof s);
    snprintf(s.type, sizeof s.type, "%s", type);
    s.threads = threads;
    s.keys.dist = dist;
    s.keys.count = count;
    s.item_bytes = 16;
    return s;
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static void test_uniform_in_range_and_covers_all_keys(void **state)
{
    (void)state;
    char err[256];
    wl_spec s = make_spec("register", WL_DIST_UNIFORM, 400, 4); /* 100 keys per worker */
    assert_int_equal(wl_spec_prepare(&s, err, sizeof err), 0);
    assert_int_equal(s.keys_per_worker, 100);
    wl_worker w;
    wl_worker_init(&w, &s, 3, 3, 42);
    long counts[100] = {0};
    for (int i = 0; i < SAMPLES; i++) {
        long k = wl_pick_key(&w);
        assert_true(k >= 0 && k < 100);
        counts[k]++;
    }
    /* each key expects 2000 picks; 5 sigma is about 220 */
    for (int i = 0; i < 100; i++)
        assert_true(counts[i] > 1700 && counts[i] < 2300);
}

static void test_zipf_most_popular_far_above_median(void **state)
{
    (void)state;
    char err[256];
    wl_spec s = make_spec("register", WL_DIST_ZIPF, 1000, 1);
    s.keys.theta = 0.99;
    assert_int_equal(wl_spec_prepare(&s, err, sizeof err), 0);
    assert_true(s.zipf.ready);
    wl_worker w;
    wl_worker_init(&w, &s, 0, 0, 7);
    long *counts = calloc(1000, sizeof *counts);
    for (int i = 0; i < SAMPLES; i++) {
        long k = wl_pick_key(&w);
        assert_true(k >= 0 && k < 1000);
        counts[k]++;
    }
    /* The prepared constants are used: the worker never computed its own. */
    assert_false(w.zipf_own.ready);
    /* P(key 0) = 1 / zeta(1000, 0.99) and P(key 1) = P(key 0) / 2^0.99. */
    double z = 0;
    for (int i = 1; i <= 1000; i++)
        z += 1.0 / pow(i, 0.99);
    double p0 = (double)counts[0] / SAMPLES, p1 = (double)counts[1] / SAMPLES;
    assert_true(fabs(p0 - 1.0 / z) < 0.01);
    assert_true(fabs(p1 - 1.0 / (z * pow(2, 0.99))) < 0.01);
    long sorted[1000];
    memcpy(sorted, counts, sizeof sorted);
    qsort(sorted, 1000, sizeof sorted[0], cmp_long);
    long median = sorted[500];
    assert_true(median > 0);
    assert_true(counts[0] > 50 * median);
    /* popularity decreases with the index on average */
    long head = 0, tail = 0;
    for (int i = 0; i < 100; i++) {
        head += counts[i];
        tail += counts[900 + i];
    }
    assert_true(head > 10 * tail);
    free(counts);
}

static void test_zipf_unprepared_spec_computes_once_per_worker(void **state)
{
    (void)state;
    wl_spec s = make_spec("register", WL_DIST_ZIPF, 50, 1);
    s.keys.theta = 0.99;
    wl_worker w;
    wl_worker_init(&w, &s, 0, 0, 7);
    for (int i = 0; i < 1000; i++) {
        long k = wl_pick_key(&w);
        assert_true(k >= 0 && k < 50);
    }
    assert_true(w.zipf_own.ready);
    assert_int_equal(w.zipf_own.n, 50);
}

static void test_hotspot_fractions(void **state)
{
    (void)state;
    char err[256];
    wl_spec s = make_spec("register", WL_DIST_HOTSPOT, 1000, 1);
    s.keys.hot_fraction = 0.1;
    s.keys.hot_prob = 0.9;
    assert_int_equal(wl_spec_prepare(&s, err, sizeof err), 0);
    wl_worker w;
    wl_worker_init(&w, &s, 0, 0, 99);
    long hot = 0;
    int seen_cold_top = 0;
    for (int i = 0; i < SAMPLES; i++) {
        long k = wl_pick_key(&w);
        assert_true(k >= 0 && k < 1000);
        if (k < 100) hot++;
        if (k == 999) seen_cold_top = 1;
    }
    double frac = (double)hot / SAMPLES;
    assert_true(frac > 0.89 && frac < 0.91);
    assert_true(seen_cold_top);
}

static void test_sequential_cycles(void **state)
{
    (void)state;
    char err[256];
    wl_spec s = make_spec("register", WL_DIST_SEQUENTIAL, 14, 2); /* 7 keys per worker */
    assert_int_equal(wl_spec_prepare(&s, err, sizeof err), 0);
    wl_worker w;
    wl_worker_init(&w, &s, 1, 1, 1);
    for (int round = 0; round < 3; round++)
        for (long i = 0; i < 7; i++)
            assert_int_equal(wl_pick_key(&w), i);
}

/* The intended-operation stream: keys from the distribution, transaction sizes and
 * distinct key sets, as the workloads draw them. */
static void record_stream(wl_worker *w, long *out, int n)
{
    for (int i = 0; i < n; i++) {
        long idx[WL_TXN_MAX_ITEMS];
        const wl_spec *s = w->spec;
        int k = s->txn_min + (int)pcg32_bounded(&w->rng, (uint32_t)(s->txn_max - s->txn_min + 1));
        wl_pick_distinct(w, idx, k);
        uint64_t h = (uint64_t)k;
        for (int j = 0; j < k; j++)
            h = h * 1000003u + (uint64_t)idx[j];
        out[i] = (long)((h ^ (uint64_t)wl_pick_key(w)) >> 1);
    }
}

static void test_same_seed_same_sequence(void **state)
{
    (void)state;
    char err[256];
    wl_dist dists[] = {WL_DIST_UNIFORM, WL_DIST_ZIPF, WL_DIST_HOTSPOT, WL_DIST_SEQUENTIAL};
    for (size_t d = 0; d < sizeof dists / sizeof dists[0]; d++) {
        wl_spec s = make_spec("txn", dists[d], 2000, 2);
        assert_int_equal(wl_spec_prepare(&s, err, sizeof err), 0);
        wl_worker a, b, other_worker, other_seed;
        wl_worker_init(&a, &s, 5, 0, 1234);
        wl_worker_init(&b, &s, 5, 0, 1234);
        wl_worker_init(&other_worker, &s, 6, 1, 1234);
        wl_worker_init(&other_seed, &s, 5, 0, 1235);
        long sa[500], sb[500], so[500], ss[500];
        record_stream(&a, sa, 500);
        record_stream(&b, sb, 500);
        record_stream(&other_worker, so, 500);
        record_stream(&other_seed, ss, 500);
        assert_memory_equal(sa, sb, sizeof sa);
        assert_memory_not_equal(sa, so, sizeof sa);
        assert_memory_not_equal(sa, ss, sizeof sa);
    }
}

static void test_pick_distinct_with_skew(void **state)
{
    (void)state;
    char err[256];
    wl_spec s = make_spec("txn", WL_DIST_ZIPF, 100, 1);
    s.txn_min = s.txn_max = 100; /* every key of the worker */
    assert_int_equal(wl_spec_prepare(&s, err, sizeof err), 0);
    wl_worker w;
    wl_worker_init(&w, &s, 0, 0, 3);
    long idx[100];
    wl_pick_distinct(&w, idx, 100);
    int seen[100] = {0};
    for (int i = 0; i < 100; i++) {
        assert_true(idx[i] >= 0 && idx[i] < 100);
        assert_int_equal(seen[idx[i]]++, 0);
    }
}

static void test_wids_and_key_names(void **state)
{
    (void)state;
    wl_spec s = make_spec("insert", WL_DIST_UNIFORM, 10, 1);
    wl_worker w;
    wl_worker_init(&w, &s, 12, 0, 1);
    char wid[HIST_WID_MAX], key[HIST_KEY_MAX];
    assert_int_equal(wl_next_wid(&w, wid), 0);
    assert_string_equal(wid, "12.0");
    assert_int_equal(wl_next_wid(&w, wid), 1);
    assert_string_equal(wid, "12.1");
    wl_key_name(&w, "reg", 7, key);
    assert_string_equal(key, "reg/12/7");
}

static void test_spec_defaults_and_errors(void **state)
{
    (void)state;
    char err[256];
    wl_spec s = make_spec("txn", WL_DIST_UNIFORM, 1000, 2);
    assert_int_equal(wl_spec_prepare(&s, err, sizeof err), 0);
    assert_int_equal(s.txn_min, WL_DEFAULT_TXN_MIN);
    assert_int_equal(s.txn_max, WL_DEFAULT_TXN_MAX);
    assert_int_equal(s.batch_items, WL_DEFAULT_BATCH_ITEMS);

    s = make_spec("batch", WL_DIST_UNIFORM, 1000, 2);
    s.index = 3;
    s.batch_items = 26;
    assert_int_equal(wl_spec_prepare(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "workloads[3].batch_items"));

    s = make_spec("txn", WL_DIST_UNIFORM, 1000, 2);
    s.txn_min = 2;
    s.txn_max = 101;
    assert_int_equal(wl_spec_prepare(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "txn_max"));

    s = make_spec("register", WL_DIST_ZIPF, 1000, 2);
    s.keys.theta = 1.0;
    assert_int_equal(wl_spec_prepare(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "theta"));

    s = make_spec("bank", WL_DIST_UNIFORM, 1000, 3);
    s.accounts = 1;
    assert_int_equal(wl_spec_prepare(&s, err, sizeof err), -1);
    s.accounts = 5;
    s.initial_balance = 40;
    assert_int_equal(wl_spec_prepare(&s, err, sizeof err), 0);
    assert_int_equal(wl_bank_total(&s), 3 * 5 * 40);
    assert_int_equal(s.inflight, 1); /* 0 means one in flight */

    /* inflight: each in-flight slot is a worker, with its accounts and its keys. */
    s = make_spec("bank", WL_DIST_UNIFORM, 1200, 3);
    s.inflight = 4;
    s.accounts = 5;
    s.initial_balance = 40;
    assert_int_equal(wl_spec_prepare(&s, err, sizeof err), 0);
    assert_int_equal(wl_spec_workers(&s), 12);
    assert_int_equal(wl_bank_total(&s), 12 * 5 * 40);
    assert_int_equal(s.keys_per_worker, 100);
    s = make_spec("insert", WL_DIST_UNIFORM, 1000, 256);
    s.index = 2;
    s.inflight = 5;
    assert_int_equal(wl_spec_prepare(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "workloads[2]: threads * inflight = 1280 workers"));

    s = make_spec("txn", WL_DIST_UNIFORM, 10, 2); /* 5 keys per worker, txn_max 10 */
    assert_int_equal(wl_spec_prepare(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "keys.count"));
}

static void test_registry_and_dist_names(void **state)
{
    (void)state;
    const char *names[] = {"insert", "register", "append", "delete",
                           "txn",    "bank",     "batch",  "large"};
    int n = 0;
    for (const wl_ops *const *o = wl_registry; *o; o++)
        n++;
    assert_int_equal(n, 8);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const wl_ops *o = wl_find(names[i]);
        assert_non_null(o);
        assert_string_equal(o->name, names[i]);
        assert_non_null(o->help);
        assert_non_null(o->setup);
        assert_non_null(o->step);
        assert_non_null(o->teardown);
    }
    assert_null(wl_find("nope"));
    wl_dist d;
    assert_int_equal(wl_dist_parse("zipfian", &d), 0);
    assert_int_equal(d, WL_DIST_ZIPF);
    assert_string_equal(wl_dist_name(WL_DIST_HOTSPOT), "hotspot");
    assert_int_equal(wl_dist_parse("gaussian", &d), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uniform_in_range_and_covers_all_keys),
        cmocka_unit_test(test_zipf_most_popular_far_above_median),
        cmocka_unit_test(test_zipf_unprepared_spec_computes_once_per_worker),
        cmocka_unit_test(test_hotspot_fractions),
        cmocka_unit_test(test_sequential_cycles),
        cmocka_unit_test(test_same_seed_same_sequence),
        cmocka_unit_test(test_pick_distinct_with_skew),
        cmocka_unit_test(test_wids_and_key_names),
        cmocka_unit_test(test_spec_defaults_and_errors),
        cmocka_unit_test(test_registry_and_dist_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
