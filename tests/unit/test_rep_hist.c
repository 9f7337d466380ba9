/* test_rep_hist.c - the log-linear latency histogram keeps two significant digits over
 * 1 us .. 100 s, merges, and reports exact min/max. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "reports/hist.h"

static void test_empty_histogram_reports_zero(void **state)
{
    (void)state;
    rep_hist h;
    rep_hist_init(&h);
    assert_int_equal(rep_hist_percentile(&h, 50), 0);
    assert_true(rep_hist_mean(&h) == 0);
}

static void test_percentiles_within_five_percent_across_the_range(void **state)
{
    (void)state;
    rep_hist *h;
    assert_int_equal(rep_hist_new(&h), 0);
    /* 1..10000 x 10 us: every percentile's true value is p * 1000 us. */
    for (int i = 1; i <= 10000; i++)
        rep_hist_record(h, (int64_t)i * 10000);
    assert_int_equal(h->count, 10000);
    const double pcts[] = {1, 10, 50, 90, 99, 99.9};
    for (size_t i = 0; i < sizeof pcts / sizeof pcts[0]; i++) {
        double truth = pcts[i] * 100 * 10000;
        double got = (double)rep_hist_percentile(h, pcts[i]);
        assert_true(fabs(got - truth) / truth <= 0.05);
    }
    assert_int_equal(rep_hist_percentile(h, 100), 100000000);
    assert_int_equal(rep_hist_percentile(h, 0), 10000);
    rep_hist_free(h);
}

static void test_each_decade_keeps_two_digits(void **state)
{
    (void)state;
    /* A single value anywhere in 1 us .. 100 s reads back within 5% (min/max clamp
     * would hide the error, so two values are recorded far apart). */
    for (int64_t v = 1000; v < REP_HIST_MAX_NS; v = v * 13 / 10) {
        rep_hist h;
        rep_hist_init(&h);
        rep_hist_record(&h, 1);
        rep_hist_record(&h, v);
        rep_hist_record(&h, REP_HIST_MAX_NS * 2);
        double got = (double)rep_hist_percentile(&h, 50);
        assert_true(fabs(got - (double)v) / (double)v <= 0.05);
    }
}

static void test_out_of_range_values_and_exact_extremes(void **state)
{
    (void)state;
    rep_hist h;
    rep_hist_init(&h);
    rep_hist_record(&h, -5);             /* clock step backwards: counted as 0 */
    rep_hist_record(&h, 300);            /* under 1 us */
    rep_hist_record(&h, 500000000000LL); /* 500 s, over the top */
    assert_int_equal(h.min, 0);
    assert_int_equal(h.max, 500000000000LL);
    assert_int_equal(rep_hist_percentile(&h, 100), 500000000000LL);
    /* The median is the sub-microsecond value: reported within the first bucket. */
    assert_true(rep_hist_percentile(&h, 50) <= 1100);
}

static void test_merge_equals_recording_together(void **state)
{
    (void)state;
    rep_hist a, b, both;
    rep_hist_init(&a);
    rep_hist_init(&b);
    rep_hist_init(&both);
    for (int i = 0; i < 1000; i++) {
        int64_t v = 1000 + (int64_t)i * i * 997;
        rep_hist_record(i % 2 ? &a : &b, v);
        rep_hist_record(&both, v);
    }
    rep_hist_merge(&a, &b);
    assert_int_equal(a.count, both.count);
    assert_int_equal(a.min, both.min);
    assert_int_equal(a.max, both.max);
    for (int p = 1; p < 100; p += 7)
        assert_int_equal(rep_hist_percentile(&a, p), rep_hist_percentile(&both, p));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_histogram_reports_zero),
        cmocka_unit_test(test_percentiles_within_five_percent_across_the_range),
        cmocka_unit_test(test_each_decade_keeps_two_digits),
        cmocka_unit_test(test_out_of_range_values_and_exact_extremes),
        cmocka_unit_test(test_merge_equals_recording_together),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
