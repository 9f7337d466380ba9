/* test_util.c - clock, PCG32, payload and JSON Lines reader behaviour. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/jsonl.h"
#include "util/payload.h"
#include "util/pcg32.h"

/* The reference pcg32-demo output for pcg32_srandom(42, 54): the first six values
 * printed by the published pcg32 demo program. */
static void test_pcg32_reference_sequence(void **state)
{
    (void)state;
    pcg32 rng;
    pcg32_seed(&rng, 42u, 54u);
    const uint32_t expect[] = {0xa15c02b7, 0x7b47f409, 0xba1d3330,
                               0x83d2f293, 0xbfa4784b, 0xcbed606e};
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
        assert_int_equal(pcg32_next(&rng), expect[i]);
}

static void test_pcg32_bounded_stays_in_range(void **state)
{
    (void)state;
    pcg32 rng;
    pcg32_seed(&rng, 7, 1);
    int seen[10] = {0};
    for (int i = 0; i < 10000; i++) {
        uint32_t v = pcg32_bounded(&rng, 10);
        assert_true(v < 10);
        seen[v]++;
    }
    for (int i = 0; i < 10; i++)
        assert_true(seen[i] > 800); /* every value drawn, roughly uniformly */
}

static void test_payload_depends_on_key_and_wid(void **state)
{
    (void)state;
    char a[65], b[65], c[65];
    bc_payload(1, "k/0/1", "0.5", 64, a);
    bc_payload(1, "k/0/2", "0.5", 64, b);
    bc_payload(1, "k/0/1", "0.6", 64, c);
    assert_int_equal(strlen(a), 64);
    assert_string_not_equal(a, b);
    assert_string_not_equal(a, c);
    assert_true(bc_payload_matches(1, "k/0/1", "0.5", a, 64));
    assert_false(bc_payload_matches(1, "k/0/1", "0.6", a, 64));
    assert_false(bc_payload_matches(2, "k/0/1", "0.5", a, 64));
    /* Every length, whole blocks of eight and a tail: the payload matches itself, and a
     * change to any one byte (first, last, in a block or in the tail) is seen. */
    for (size_t len = 0; len <= 40; len++) {
        bc_payload(9, "reg/3/77", "3.1234", len, a);
        assert_true(bc_payload_matches(9, "reg/3/77", "3.1234", a, len));
        for (size_t i = 0; i < len; i++) {
            char keep = a[i];
            a[i] = keep == 'A' ? 'B' : 'A';
            assert_false(bc_payload_matches(9, "reg/3/77", "3.1234", a, len));
            a[i] = keep;
        }
    }
}

static int count_lines(const cJSON *line, long lineno, void *arg)
{
    (void)line;
    (void)lineno;
    (*(int *)arg)++;
    return 0;
}

static char *write_tmp(const char *content)
{
    static char path[64];
    strcpy(path, "/tmp/bc_jsonl_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    close(fd);
    return path;
}

static void test_jsonl_skips_torn_last_line(void **state)
{
    (void)state;
    char *p = write_tmp("{\"a\":1}\n{\"a\":2}\n{\"a\":3,\"b\":\"tor");
    int n = 0;
    jsonl_stats st;
    char err[256] = "";
    assert_int_equal(jsonl_read(p, 0, count_lines, &n, &st, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(st.partial_last, 1);
    unlink(p);
}

static void test_jsonl_names_bad_line(void **state)
{
    (void)state;
    char *p = write_tmp("{\"a\":1}\nnot json\n{\"a\":3}\n");
    int n = 0;
    char err[256] = "";
    assert_int_equal(jsonl_read(p, 0, count_lines, &n, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, ":2: not valid JSON"));
    unlink(p);
}

static void test_jsonl_missing_file(void **state)
{
    (void)state;
    char err[256] = "";
    assert_int_equal(
        jsonl_read("/nonexistent/x.jsonl", 0, count_lines, NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/x.jsonl"));
    assert_int_equal(
        jsonl_read("/nonexistent/x.jsonl", 1, count_lines, NULL, NULL, err, sizeof err), 0);
}

static void test_clock_formats(void **state)
{
    (void)state;
    char buf[40];
    assert_string_equal(bc_fmt_iso(1440938160123000000LL, buf, sizeof buf),
                        "2015-08-30T12:36:00.123Z");
    assert_string_equal(bc_fmt_compact(1440938160000000000LL, buf, sizeof buf), "20150830T123600Z");
    assert_true(bc_now_ns() > 1700000000LL * BC_NS_PER_S);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcg32_reference_sequence),
        cmocka_unit_test(test_pcg32_bounded_stays_in_range),
        cmocka_unit_test(test_payload_depends_on_key_and_wid),
        cmocka_unit_test(test_jsonl_skips_torn_last_line),
        cmocka_unit_test(test_jsonl_names_bad_line),
        cmocka_unit_test(test_jsonl_missing_file),
        cmocka_unit_test(test_clock_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
