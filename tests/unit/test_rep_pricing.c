/* test_rep_pricing.c - the built-in prices, the unit-rounding rules and the dollar
 * arithmetic, against examples computed by hand from AWS-FACTS.md sections 4, 5 and 8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/pricing.h"

static void test_builtin_prices_are_the_dated_fact_sheet_block(void **state)
{
    (void)state;
    rep_pricing p;
    char err[256];
    assert_int_equal(rep_pricing_load(NULL, "us-east-1", &p, err, sizeof err), 0);
    assert_string_equal(p.region, "us-east-1");
    assert_string_equal(p.as_of, "2026-11-25");
    assert_true(p.wru_per_million == 0.625);
    assert_true(p.rru_per_million == 0.125);
    assert_true(p.backup_gb_month == 0.10);
    assert_true(p.restore_gb == 0.15);
    assert_true(p.pitr_gb_month == 0.20);
    assert_true(p.storage_gb_month == 0.25);
    /* NULL region: whatever the file has. */
    assert_int_equal(rep_pricing_load(NULL, NULL, &p, err, sizeof err), 0);
}

static void test_unknown_region_is_an_error_naming_it(void **state)
{
    (void)state;
    rep_pricing p;
    char err[256] = "";
    assert_int_equal(rep_pricing_load(NULL, "eu-west-1", &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "eu-west-1"));
    assert_non_null(strstr(err, "us-east-1"));
}

static void test_pricing_file_override_and_errors(void **state)
{
    (void)state;
    char path[] = "/tmp/test_rep_pricing_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("{\"region\":\"eu-west-1\",\"as_of\":\"2030-01-02\",\"prices\":{"
          "\"on_demand_write_request_unit_per_million\":{\"value\":1.0},"
          "\"on_demand_read_request_unit_per_million\":{\"value\":0.5},"
          "\"on_demand_backup_warm_gb_month\":{\"value\":0.3},\"restore_gb\":{\"value\":0.4},"
          "\"pitr_gb_month\":{\"value\":0.6},\"storage_gb_month\":{\"value\":0.7}}}",
          f);
    fclose(f);
    rep_pricing p;
    char err[256];
    assert_int_equal(rep_pricing_load(path, "eu-west-1", &p, err, sizeof err), 0);
    assert_string_equal(p.as_of, "2030-01-02");
    assert_true(p.wru_per_million == 1.0 && p.restore_gb == 0.4);

    /* A price without a numeric value is refused, not read as free. */
    f = fopen(path, "w");
    fputs("{\"region\":\"eu-west-1\",\"as_of\":\"2030-01-02\",\"prices\":{"
          "\"on_demand_write_request_unit_per_million\":{\"value\":null}}}",
          f);
    fclose(f);
    assert_int_equal(rep_pricing_load(path, NULL, &p, err, sizeof err), -1);
    f = fopen(path, "w");
    fputs("{not json", f);
    fclose(f);
    assert_int_equal(rep_pricing_load(path, NULL, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
    unlink(path);
    assert_int_equal(rep_pricing_load(path, NULL, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
}

/* Write units: 1 KB (1024 bytes) each, rounded up, doubled for transactions. */
static void test_write_units_round_up_per_kb(void **state)
{
    (void)state;
    assert_true(rep_wru_for_write(0, 0) == 1); /* a delete of a missing item */
    assert_true(rep_wru_for_write(100, 0) == 1);
    assert_true(rep_wru_for_write(1024, 0) == 1);
    assert_true(rep_wru_for_write(1025, 0) == 2);
    assert_true(rep_wru_for_write(3 * 1024, 0) == 3);
    /* "a transactional write request of a 3 KB item requires six write request units" */
    assert_true(rep_wru_for_write(3 * 1024, 1) == 6);
    assert_true(rep_wru_for_write(2500, 1) == 6);
}

/* Read units: 4 KB each, rounded up; eventual 0.5, strong 1, transactional 2. */
static void test_read_units_round_up_per_4kb(void **state)
{
    (void)state;
    /* "reading a 3,500-byte item consumes the same throughput as reading a 4 KB item" */
    assert_true(rep_rru_for_read(3500, REP_READ_STRONG) == 1);
    assert_true(rep_rru_for_read(4096, REP_READ_STRONG) == 1);
    assert_true(rep_rru_for_read(4097, REP_READ_STRONG) == 2);
    assert_true(rep_rru_for_read(9000, REP_READ_EVENTUAL) == 1.5);
    assert_true(rep_rru_for_read(0, REP_READ_EVENTUAL) == 0.5);
    assert_true(rep_rru_for_read(5000, REP_READ_TRANSACTIONAL) == 4);
    /* BatchGetItem rounds each item: 1.5 KB + 6.5 KB = 1 + 2 units (12 KB). */
    assert_true(rep_rru_for_read(1536, REP_READ_STRONG) + rep_rru_for_read(6656, REP_READ_STRONG) ==
                3);
}

static void test_cost_of_a_3kb_transactional_write(void **state)
{
    (void)state;
    rep_pricing p;
    char err[256];
    assert_int_equal(rep_pricing_load(NULL, "us-east-1", &p, err, sizeof err), 0);
    rep_usage u = {0};
    u.wru = rep_wru_for_write(3 * 1024, 1); /* 6 WRU at $0.625 per million */
    rep_cost c;
    rep_cost_estimate(&p, &u, &c);
    assert_float_equal(c.writes, 6 * 0.625 / 1e6, 1e-15);
    assert_float_equal(c.total, 0.00000375, 1e-15);
}

static void test_cost_of_a_run_by_hand(void **state)
{
    (void)state;
    rep_pricing p;
    char err[256];
    assert_int_equal(rep_pricing_load(NULL, "us-east-1", &p, err, sizeof err), 0);
    rep_usage u = {0};
    u.wru = 3000000;                     /* $1.875 */
    u.rru = 8000000;                     /* $1.00 */
    u.backup_bytes = 2.0 * 1073741824.0; /* 2 GiB kept for a whole 730-hour month: $0.20 */
    u.backup_days = 730.0 / 24.0;
    u.restore_bytes = 10.0 * 1073741824.0; /* $1.50 */
    u.pitr_bytes = 4.0 * 1073741824.0;     /* 4 GiB for half a month: $0.40 */
    u.pitr_days = 730.0 / 48.0;
    rep_cost c;
    rep_cost_estimate(&p, &u, &c);
    assert_float_equal(c.writes, 1.875, 1e-12);
    assert_float_equal(c.reads, 1.0, 1e-12);
    assert_float_equal(c.backup_storage, 0.20, 1e-12);
    assert_float_equal(c.restores, 1.50, 1e-12);
    assert_float_equal(c.pitr, 0.40, 1e-12);
    assert_float_equal(c.total, 4.975, 1e-12);

    /* One day of a 1 GiB backup: 0.10 / (730/24) dollars; 10^9 bytes is less than 1 GB. */
    rep_usage d = {0};
    d.backup_bytes = 1073741824.0;
    d.backup_days = 1;
    rep_cost_estimate(&p, &d, &c);
    assert_float_equal(c.backup_storage, 0.10 * 24.0 / 730.0, 1e-15);
    d.backup_bytes = 1e9;
    rep_cost_estimate(&p, &d, &c);
    assert_true(c.backup_storage < 0.10 * 24.0 / 730.0 * 0.94);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_prices_are_the_dated_fact_sheet_block),
        cmocka_unit_test(test_unknown_region_is_an_error_naming_it),
        cmocka_unit_test(test_pricing_file_override_and_errors),
        cmocka_unit_test(test_write_units_round_up_per_kb),
        cmocka_unit_test(test_read_units_round_up_per_4kb),
        cmocka_unit_test(test_cost_of_a_3kb_transactional_write),
        cmocka_unit_test(test_cost_of_a_run_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
