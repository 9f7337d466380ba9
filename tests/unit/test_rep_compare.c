/* test_rep_compare.c - `backcheck compare` flags what a user would call a regression
 * (pass -> fail, a cut or a duration grown beyond the threshold) with exit 1, passes
 * identical runs with 0, and answers bad usage or input with 2 naming the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/report.h"

/* A run directory whose results.json has one backup with the given verdict, cut width,
 * R-to-AVAILABLE and restore durations (ms). */
static void make_run(char *dir, const char *verdict, double width_ms, double avail_ms,
                     double restore_ms)
{
    strcpy(dir, "/tmp/test_rep_cmp_XXXXXX");
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/results.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    const double R = 1764077225000000000.0, ms = 1e6;
    fprintf(f,
            "{\"scenario\":\"quick\",\"verdict\":\"%s\",\"target\":{\"kind\":\"embedded\"},"
            "\"backups\":[{\"id\":\"b1\",\"exercised\":true,\"request_ns\":%.0f,"
            "\"available_ns\":%.0f,\"restore\":{\"requested_ns\":%.0f,\"active_ns\":%.0f},"
            "\"cut\":{\"kind\":\"instant\",\"lo_ns\":%.0f,\"hi_ns\":%.0f,\"width_ns\":%.0f},"
            "\"findings\":[%s]}],\"costs\":{\"usd\":0.01}}",
            verdict, R, R + avail_ms * ms, R + 2000 * ms, R + (2000 + restore_ms) * ms, R + 1 * ms,
            R + (1 + width_ms) * ms, width_ms * ms,
            strcmp(verdict, "fail") == 0
                ? "{\"kind\":\"LOST\",\"severity\":\"violation\",\"key\":\"k\",\"op_ids\":[]}"
                : "");
    fclose(f);
}

static void rm_run(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static int compare(int n, const char **args)
{
    char *argv[16];
    for (int i = 0; i < n; i++)
        argv[i] = (char *)args[i];
    fflush(stdout);
    return rep_compare_main(n, argv);
}

static void test_identical_runs_are_no_regression(void **state)
{
    (void)state;
    char a[64], b[64];
    make_run(a, "pass", 10, 1000, 800);
    make_run(b, "pass", 10, 1000, 800);
    const char *args[] = {a, b};
    assert_int_equal(compare(2, args), 0);
    rm_run(a);
    rm_run(b);
}

static void test_pass_to_fail_is_a_regression(void **state)
{
    (void)state;
    char a[64], b[64];
    make_run(a, "pass", 10, 1000, 800);
    make_run(b, "fail", 10, 1000, 800);
    const char *args[] = {a, b};
    assert_int_equal(compare(2, args), 1);
    /* fail -> pass is an improvement, not a regression. */
    const char *back[] = {b, a};
    assert_int_equal(compare(2, back), 0);
    rm_run(a);
    rm_run(b);
}

static void test_pass_to_inconclusive_is_a_regression(void **state)
{
    (void)state;
    char a[64], b[64];
    make_run(a, "pass", 10, 1000, 800);
    make_run(b, "inconclusive", 10, 1000, 800);
    const char *args[] = {a, b};
    assert_int_equal(compare(2, args), 1);
    const char *back[] = {b, a};
    assert_int_equal(compare(2, back), 0);
    rm_run(a);
    rm_run(b);
}

static void test_growth_beyond_threshold(void **state)
{
    (void)state;
    char a[64], b[64], c[64], d[64];
    make_run(a, "pass", 10, 1000, 800);
    make_run(b, "pass", 15, 1000, 800);  /* width +50% */
    make_run(c, "pass", 11, 1100, 880);  /* +10% everywhere */
    make_run(d, "pass", 10, 1000, 1600); /* restore twice as long */
    const char *wide[] = {a, b, "--threshold", "20"};
    assert_int_equal(compare(4, wide), 1);
    const char *wide_lenient[] = {"--threshold=60", a, b};
    assert_int_equal(compare(3, wide_lenient), 0);
    const char *small[] = {a, c, "--format", "md"};
    assert_int_equal(compare(4, small), 0);
    const char *slow[] = {a, d};
    assert_int_equal(compare(2, slow), 1);
    /* Narrower and faster than the baseline is fine. */
    const char *better[] = {b, a};
    assert_int_equal(compare(2, better), 0);
    rm_run(a);
    rm_run(b);
    rm_run(c);
    rm_run(d);
}

/* compare's output on fdno (1: stdout, 2: stderr) for args, in out. */
static int compare_captured(int fdno, int n, const char **args, char *out, size_t len)
{
    char path[] = "/tmp/test_rep_cmp_out_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stdout);
    fflush(stderr);
    int saved = dup(fdno);
    dup2(fd, fdno);
    int rc = compare(n, args);
    fflush(stdout);
    fflush(stderr);
    dup2(saved, fdno);
    close(saved);
    FILE *f = fdopen(fd, "r");
    rewind(f);
    size_t got = fread(out, 1, len - 1, f);
    out[got] = '\0';
    fclose(f);
    unlink(path);
    return rc;
}

/* Runs are labelled with their own directory's name, a `latest` link with the run it
 * points to. */
static void test_labels_resolve_links(void **state)
{
    (void)state;
    char a[64], b[64], link[80];
    make_run(a, "pass", 10, 1000, 800);
    make_run(b, "pass", 10, 1000, 800);
    snprintf(link, sizeof link, "%s/latest", a);
    assert_int_equal(symlink(b, link), 0);
    const char *args[] = {a, link};
    char out[8192];
    assert_int_equal(compare_captured(1, 2, args, out, sizeof out), 0);
    const char *run_line = strstr(out, "run ");
    assert_non_null(run_line);
    assert_non_null(strstr(run_line, strrchr(a, '/') + 1));
    assert_non_null(strstr(run_line, strrchr(b, '/') + 1));
    assert_null(strstr(out, "latest"));
    unlink(link);
    rm_run(a);
    rm_run(b);
}

static void test_usage_and_input_errors_exit_2(void **state)
{
    (void)state;
    char a[64];
    make_run(a, "pass", 10, 1000, 800);
    assert_int_equal(compare(0, NULL), 2);
    const char *missing[] = {a, "/nonexistent/run"};
    assert_int_equal(compare(2, missing), 2);
    const char *bad_thr[] = {a, a, "--threshold", "lots"};
    assert_int_equal(compare(4, bad_thr), 2);
    const char *bad_fmt[] = {a, "--format", "pdf"};
    assert_int_equal(compare(3, bad_fmt), 2);
    const char *bad_opt[] = {a, "--frobnicate"};
    assert_int_equal(compare(2, bad_opt), 2);
    /* A results.json that is not JSON: exit 2, and the message names the file. */
    char path[128];
    snprintf(path, sizeof path, "%s/results.json", a);
    FILE *f = fopen(path, "w");
    fputs("{\"verdict\":", f);
    fclose(f);
    const char *bad_json[] = {a};
    char msg[512];
    assert_int_equal(compare_captured(2, 1, bad_json, msg, sizeof msg), 2);
    assert_non_null(strstr(msg, path));
    rm_run(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical_runs_are_no_regression),
        cmocka_unit_test(test_pass_to_fail_is_a_regression),
        cmocka_unit_test(test_pass_to_inconclusive_is_a_regression),
        cmocka_unit_test(test_growth_beyond_threshold),
        cmocka_unit_test(test_labels_resolve_links),
        cmocka_unit_test(test_usage_and_input_errors_exit_2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
