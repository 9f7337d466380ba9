/* test_rep_render.c - report.md and junit.xml against golden files (byte for byte),
 * junit.xml against the common JUnit schema, escaping of hostile strings, report.html's
 * structure, and the errors a user sees for a bad run directory.
 *
 * BACKCHECK_UPDATE_GOLDEN=1 rewrites tests/golden/ from the current output (review the
 * diff before committing it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reports/report.h"

static const char *src_dir(void)
{
    const char *s = getenv("BACKCHECK_SOURCE_DIR");
    return s ? s : ".";
}

static char *render(const char *run_dir, const char *format, char *err, size_t errlen, int *rc)
{
    /* The stream's buffer and length live on the heap, not in this frame: with them local,
     * GCC's dangling-pointer analysis (Release, -O3) flags every use of the result. */
    struct {
        char *buf;
        size_t len;
    } *m = calloc(1, sizeof *m);
    assert_non_null(m);
    FILE *f = open_memstream(&m->buf, &m->len);
    assert_non_null(f);
    *rc = rep_render(run_dir, format, f, err, errlen);
    fclose(f);
    char *buf = m->buf;
    free(m);
    return buf;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

static void check_golden(const char *run, const char *format, const char *ext)
{
    char dir[1024], golden[1024], err[512] = "";
    snprintf(dir, sizeof dir, "%s/tests/fixtures/results/%s", src_dir(), run);
    snprintf(golden, sizeof golden, "%s/tests/golden/%s.%s", src_dir(), run, ext);
    int rc;
    char *got = render(dir, format, err, sizeof err, &rc);
    if (rc) fail_msg("rendering %s %s: %s", run, format, err);
    const char *upd = getenv("BACKCHECK_UPDATE_GOLDEN");
    if (upd && *upd == '1') {
        FILE *f = fopen(golden, "w");
        assert_non_null(f);
        fputs(got, f);
        fclose(f);
        print_message("updated %s\n", golden);
    }
    char *want = slurp(golden);
    if (!want) fail_msg("%s missing (BACKCHECK_UPDATE_GOLDEN=1 writes it)", golden);
    if (strcmp(got, want) != 0) {
        size_t i = 0;
        while (got[i] && got[i] == want[i])
            i++;
        fail_msg("%s differs from the output at byte %zu: got \"%.60s\" want \"%.60s\"", golden, i,
                 got + i, want + i);
    }
    free(got);
    free(want);
}

static void test_golden_md(void **state)
{
    (void)state;
    check_golden("fail", "md", "md");
    check_golden("pass", "md", "md");
    check_golden("inconclusive", "md", "md");
}

static void test_golden_junit(void **state)
{
    (void)state;
    check_golden("fail", "junit", "junit.xml");
    check_golden("pass", "junit", "junit.xml");
    check_golden("inconclusive", "junit", "junit.xml");
}

static int have_xmllint(void)
{
    return system("command -v xmllint >/dev/null 2>&1") == 0;
}

/* Writes a rendering to a temporary file and returns xmllint's exit status for args. */
static int xmllint_on(const char *content, const char *args)
{
    char path[] = "/tmp/test_rep_xml_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(content, f);
    fclose(f);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "xmllint %s %s >/dev/null 2>/tmp/test_rep_xmllint.err", args, path);
    int rc = system(cmd);
    unlink(path);
    return rc;
}

static void test_junit_validates_against_schema(void **state)
{
    (void)state;
    if (!have_xmllint()) {
        print_message("xmllint not installed (Debian: libxml2-utils): schema check skipped\n");
        skip();
    }
    char args[1200], err[512];
    snprintf(args, sizeof args, "--noout --schema %s/tests/fixtures/junit.xsd", src_dir());
    const char *runs[] = {"fail", "pass", "inconclusive"};
    for (int i = 0; i < 3; i++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/tests/fixtures/results/%s", src_dir(), runs[i]);
        int rc;
        char *x = render(dir, "junit", err, sizeof err, &rc);
        assert_int_equal(rc, 0);
        if (xmllint_on(x, args) != 0)
            fail_msg("junit.xml of %s does not validate (see /tmp/test_rep_xmllint.err)", runs[i]);
        free(x);
    }
}

static void test_junit_counts_failures_and_skips(void **state)
{
    (void)state;
    char dir[1024], err[512];
    int rc;
    snprintf(dir, sizeof dir, "%s/tests/fixtures/results/fail", src_dir());
    char *x = render(dir, "junit", err, sizeof err, &rc);
    assert_int_equal(rc, 0);
    /* Each violated checker fails its case; b2's presence case names both of its kinds. */
    assert_non_null(strstr(x, "classname=\"backcheck.fixture-fail.b1\" name=\"presence\" "
                              "time=\"0\">\n      <failure message=\""));
    assert_non_null(strstr(x, "violations: TORN_TXN\""));
    assert_non_null(strstr(x, "violations: PHANTOM\""));
    assert_non_null(strstr(x, "violation: LOST, RESURRECTED\"") ||
                    strstr(x, "violations: LOST, RESURRECTED\""));
    /* b1 was checked and failed without being exercised: its other checkers held, they
     * are not skipped as inconclusive. */
    assert_non_null(strstr(x, "classname=\"backcheck.fixture-fail.b1\" name=\"phantom\" "
                              "time=\"0\"/>"));
    assert_null(strstr(x, "<skipped"));
    /* The embedded emulator's loopback port says nothing and changes every run. */
    assert_null(strstr(x, "127.0.0.1"));
    free(x);

    snprintf(dir, sizeof dir, "%s/tests/fixtures/results/pass", src_dir());
    x = render(dir, "junit", err, sizeof err, &rc);
    assert_int_equal(rc, 0);
    /* Torn transactions are observations under aws-documented: output, not failures. */
    assert_non_null(strstr(x, "failures=\"0\" errors=\"0\" skipped=\"0\""));
    assert_non_null(strstr(x, "name=\"transactions\" time=\"0\">\n      <system-out>"));
    assert_non_null(strstr(x, "classname=\"backcheck.fixture-pass.p1\""));
    free(x);

    snprintf(dir, sizeof dir, "%s/tests/fixtures/results/inconclusive", src_dir());
    x = render(dir, "junit", err, sizeof err, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(x, "failures=\"0\""));
    assert_non_null(strstr(x, "<skipped message=\"inconclusive: backup TIMEOUT"));
    /* The run's case says why, in the check stage's words. */
    assert_non_null(strstr(x, "<skipped message=\"inconclusive: a backup or restore could not "
                              "be checked\"/>"));
    free(x);
}

static void test_md_reads_like_the_run(void **state)
{
    (void)state;
    char dir[1024], err[512];
    int rc;
    snprintf(dir, sizeof dir, "%s/tests/fixtures/results/inconclusive", src_dir());
    char *md = render(dir, "md", err, sizeof err, &rc);
    assert_int_equal(rc, 0);
    /* Nothing was checked: the report must not claim every write was where it belongs. */
    assert_null(strstr(md, "every acknowledged write was where"));
    assert_non_null(strstr(md, "1 not checked"));
    assert_non_null(strstr(md, "| faults | backup-stall:ms=60000 |"));
    assert_non_null(strstr(md, "| SKIPPED |"));
    /* No operation ran during the (never AVAILABLE) backup: no latency to show. */
    assert_non_null(strstr(md, "| p99\\_ms | - |"));
    free(md);

    snprintf(dir, sizeof dir, "%s/tests/fixtures/results/pass", src_dir());
    md = render(dir, "md", err, sizeof err, &rc);
    assert_int_equal(rc, 0);
    /* The point-in-time restore's cut is placed against its requested time. */
    const char *p1 = strstr(md, "| p1 | pass | yes |");
    assert_non_null(p1);
    assert_null(strstr(p1, "| instant | - | - |"));
    assert_non_null(strstr(md, "1 point-in-time restore"));
    /* A note every target shares is written once. */
    assert_non_null(strstr(md, "- b1, b2: schema:"));
    assert_null(strstr(md, "127.0.0.1"));
    free(md);
}

/* A temporary run directory holding one results.json. */
static void make_run(char *dir, const char *results)
{
    strcpy(dir, "/tmp/test_rep_run_XXXXXX");
    assert_non_null(mkdtemp(dir));
    char path[1100];
    snprintf(path, sizeof path, "%s/results.json", dir);
    FILE *f = fopen(path, "w");
    fputs(results, f);
    fclose(f);
}

static void remove_run(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* The run's rate is over its workload, which the run outlasts (restores, scans): the
 * reports say so when results.json has workload_s (older results do not). */
static void test_rate_over_the_workload(void **state)
{
    (void)state;
    char dir[64], err[512];
    int rc;
    make_run(dir, "{\"scenario\":\"s\",\"verdict\":\"pass\",\"profile\":\"aws-documented\","
                  "\"seed\":1,\"timings\":{\"run_s\":46.335,\"workload_s\":29.998,"
                  "\"ops\":1302574,\"ops_per_s\":43422.695,"
                  "\"latency_ms\":{\"p50\":0.136,\"p99\":0.82}},\"backups\":[]}");
    char *md = render(dir, "md", err, sizeof err, &rc);
    if (rc) fail_msg("md: %s", err);
    assert_non_null(strstr(md, "| run | 46.3 s, 1,302,574 ops (43423 ops/s over the 30.0 s "
                               "workload), latency p50 0.136 ms, p99 0.820 ms |"));
    free(md);
    char *h = render(dir, "html", err, sizeof err, &rc);
    if (rc) fail_msg("html: %s", err);
    assert_non_null(strstr(h, "46.3 s, 1302574 ops, 43423 ops/s over the 30.0 s workload, "));
    free(h);
    remove_run(dir);

    char fixture[1024];
    snprintf(fixture, sizeof fixture, "%s/tests/fixtures/results/pass", src_dir());
    md = render(fixture, "md", err, sizeof err, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(md, "| run | "));
    assert_null(strstr(md, "workload)"));
    free(md);
}

static const char *hostile =
    "{\"scenario\":\"s<&>\",\"verdict\":\"fail\",\"profile\":\"strict\",\"seed\":1,"
    "\"backups\":[{\"id\":\"b\\\"1'\",\"exercised\":true,\"verdict\":\"fail\","
    "\"request_ns\":1000,\"findings\":[{\"kind\":\"PHANTOM\",\"severity\":\"violation\","
    "\"key\":\"k]]></x>|`*_\\u0001\",\"op_ids\":[\"0.1\",7],"
    "\"detail\":\"<script>alert('x')</script> & \\\"q\\\" | pipe\\nline\"}]}]}";

static void test_hostile_strings_are_escaped(void **state)
{
    (void)state;
    char dir[64], err[512];
    make_run(dir, hostile);
    int rc;
    char *x = render(dir, "junit", err, sizeof err, &rc);
    assert_int_equal(rc, 0);
    assert_null(strstr(x, "<script>"));
    assert_null(strstr(x, "]]></x>"));
    assert_non_null(strstr(x, "&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp;"));
    if (have_xmllint()) assert_int_equal(xmllint_on(x, "--noout"), 0);
    free(x);

    char *md = render(dir, "md", err, sizeof err, &rc);
    assert_int_equal(rc, 0);
    assert_null(strstr(md, "<script>"));
    /* A pipe or a newline inside a cell would break the table row. */
    assert_non_null(strstr(md, "\\| pipe line |"));
    free(md);

    char *html = render(dir, "html", err, sizeof err, &rc);
    assert_int_equal(rc, 0);
    assert_null(strstr(html, "<script>"));
    assert_non_null(strstr(html, "&lt;script&gt;"));
    free(html);
    remove_run(dir);
}

static void test_bad_run_directories_name_the_file(void **state)
{
    (void)state;
    char err[512] = "";
    int rc;
    char *x = render("/nonexistent/run", "md", err, sizeof err, &rc);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "/nonexistent/run/results.json"));
    free(x);

    char dir[64];
    make_run(dir, "{\"verdict\": \"pass\",\n \"backups\": [}\n");
    x = render(dir, "md", err, sizeof err, &rc);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "results.json:2: not valid JSON"));
    free(x);
    x = render(dir, "pdf", err, sizeof err, &rc);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "pdf"));
    free(x);
    remove_run(dir);
}

static void test_write_all_writes_the_three_reports(void **state)
{
    (void)state;
    char dir[64], err[512], cmd[1400];
    make_run(dir, "{\"verdict\":\"pass\",\"scenario\":\"w\",\"backups\":[]}");
    assert_int_equal(rep_write_all(dir, err, sizeof err), 0);
    const char *files[] = {"report.html", "report.md", "junit.xml"};
    for (int i = 0; i < 3; i++) {
        struct stat st;
        snprintf(cmd, sizeof cmd, "%s/%s", dir, files[i]);
        assert_int_equal(stat(cmd, &st), 0);
        assert_true(st.st_size > 100);
    }
    remove_run(dir);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_html_structure(void **state)
{
    (void)state;
    char dir[1024], err[512];
    int rc;
    snprintf(dir, sizeof dir, "%s/tests/fixtures/results/fail", src_dir());
    char *h = render(dir, "html", err, sizeof err, &rc);
    if (rc) fail_msg("html: %s", err);
    /* Self-contained: no script, no external reference. */
    assert_null(strstr(h, "<script"));
    assert_null(strstr(h, "src=\""));
    assert_null(strstr(h, "<link"));
    assert_null(strstr(h, "@import"));
    /* Each backup: a zoomed and a whole-run timeline with R and A markers and its cut
     * (both fuzzy: a dropped write and a resurrected delete leave no single instant). */
    const char *ids[] = {"b1", "b2"};
    for (int i = 0; i < 2; i++) {
        char open[64];
        snprintf(open, sizeof open, "id=\"tl-%s-zoom\"", ids[i]);
        const char *z = strstr(h, open);
        assert_non_null(z);
        const char *end = strstr(z, "</svg>");
        assert_non_null(end);
        size_t n = (size_t)(end - z);
        char *svg = strndup(z, n);
        assert_non_null(strstr(svg, "marker marker-R"));
        assert_non_null(strstr(svg, "marker marker-A"));
        assert_non_null(strstr(svg, "marker marker-C"));
        assert_non_null(strstr(svg, "cut cut-fuzzy"));
        assert_non_null(strstr(svg, "class=\"guarantee\""));
        free(svg);
        snprintf(open, sizeof open, "id=\"tl-%s-whole\"", ids[i]);
        assert_non_null(strstr(h, open));
    }
    /* Two timelines per backup, throughput and latency, and the hidden defs. */
    assert_int_equal(count(h, "<svg"), 2 * 2 + 2 + 1);
    /* The lost write is marked and linked to its finding, which links back. */
    assert_non_null(strstr(h, "<a href=\"#find-b1-0\"><g class=\"violation-mark\">"));
    assert_non_null(strstr(h, "id=\"find-b1-0\""));
    assert_non_null(strstr(h, "href=\"#tl-b1-zoom\""));
    /* Every class of write appears in b1's whole-run view (the fixture has all four: the
     * error fault makes indeterminate writes). */
    const char *whole = strstr(h, "id=\"tl-b1-whole\"");
    for (int k = 0; k < 4; k++) {
        char cls[32];
        snprintf(cls, sizeof cls, "class=\"w-%d\"", k);
        const char *p = strstr(whole, cls);
        assert_true(p && p < strstr(whole, "</svg>"));
    }
    /* The latency fault window is shaded; the pricing date is shown; the scenario too. */
    assert_non_null(strstr(h, "fault: latency"));
    assert_non_null(strstr(h, "2026-11-25"));
    assert_non_null(strstr(h, "Scenario as run"));
    if (have_xmllint()) {
        /* Well-formed as XML, and the HTML parser finds nothing worse than SVG tags it
         * does not know (HTML4's DTD predates inline SVG). */
        if (xmllint_on(h, "--noout") != 0)
            fail_msg("report.html is not well-formed (see /tmp/test_rep_xmllint.err)");
        xmllint_on(h, "--html --noout");
        char *e = slurp("/tmp/test_rep_xmllint.err");
        for (char *line = strtok(e, "\n"); line; line = strtok(NULL, "\n"))
            if (strstr(line, "parser error") && !strstr(line, "invalid"))
                fail_msg("xmllint --html: %s", line);
        free(e);
    }
    assert_null(strstr(h, "127.0.0.1"));
    /* Small: the fixture's operations draw in well under 100 KB. */
    assert_true(strlen(h) < 100000);
    free(h);

    /* A point-in-time restore: its timeline marks the requested time T and its second. */
    snprintf(dir, sizeof dir, "%s/tests/fixtures/results/pass", src_dir());
    h = render(dir, "html", err, sizeof err, &rc);
    assert_int_equal(rc, 0);
    const char *p1 = strstr(h, "id=\"tl-p1-zoom\"");
    assert_non_null(p1);
    char *svg = strndup(p1, (size_t)(strstr(p1, "</svg>") - p1));
    assert_non_null(strstr(svg, "marker marker-T"));
    assert_non_null(strstr(svg, "cut cut-instant"));
    assert_non_null(strstr(svg, "the second of the requested restore time"));
    free(svg);
    assert_non_null(strstr(h, "Point-in-time restore p1"));
    free(h);

    /* Without history.jsonl the timelines still show the markers and the cut. */
    char *results = NULL;
    snprintf(dir, sizeof dir, "%s/tests/fixtures/results/pass/results.json", src_dir());
    results = slurp(dir);
    assert_non_null(results);
    char tmp[64];
    make_run(tmp, results);
    free(results);
    h = render(tmp, "html", err, sizeof err, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(h, "id=\"tl-b1-zoom\""));
    assert_non_null(strstr(h, "marker marker-R"));
    assert_non_null(strstr(h, "cut cut-instant"));
    assert_non_null(strstr(h, "history.jsonl not found"));
    free(h);
    remove_run(tmp);
}

/* Copies src to dst with every occurrence of from replaced by to. */
static void copy_replacing(const char *src, const char *dst, const char *from, const char *to)
{
    char *s = slurp(src);
    if (!s) fail_msg("cannot read %s", src);
    FILE *f = fopen(dst, "w");
    assert_non_null(f);
    size_t n = strlen(from);
    for (const char *p = s, *q; *p; p = q + n) {
        q = strstr(p, from);
        if (!q) {
            fputs(p, f);
            break;
        }
        fwrite(p, 1, (size_t)(q - p), f);
        fputs(to, f);
    }
    fclose(f);
    free(s);
}

/* The timeline keeps write ids whole in its text, whatever their length: one longer than
 * the 31 bytes it once kept in each write (backcheck's own "W.S" ids fit in 30) is still
 * matched with the finding that names it, marked, and shown whole. */
static void test_html_long_write_ids(void **state)
{
    (void)state;
    char src[1024], dir[64], from[1100], to[1100], err[512];
    snprintf(src, sizeof src, "%s/tests/fixtures/results/fail", src_dir());
    strcpy(dir, "/tmp/test_rep_run_XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(to, sizeof to, "%s/snapshots", dir);
    assert_int_equal(mkdir(to, 0755), 0);
    const char *files[] = {"history.jsonl",         "results.json",       "scenario.json",
                           "backups.jsonl",         "snapshots/b1.jsonl", "snapshots/b2.jsonl",
                           "snapshots/source.jsonl"};
    const char *wid = "2.10/a-write-id-of-more-than-thirty-two-bytes";
    char quoted[128];
    snprintf(quoted, sizeof quoted, "\"%s\"", wid);
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(from, sizeof from, "%s/%s", src, files[i]);
        snprintf(to, sizeof to, "%s/%s", dir, files[i]);
        copy_replacing(from, to, "\"2.10\"", quoted);
    }
    int rc;
    char *h = render(dir, "html", err, sizeof err, &rc);
    if (rc) fail_msg("html: %s", err);
    char want[256];
    snprintf(want, sizeof want, "<title>violation: write %s key txn/2/33</title>", wid);
    if (!strstr(h, want)) fail_msg("no mark \"%s\" in the report", want);
    free(h);
    remove_run(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_md),
        cmocka_unit_test(test_golden_junit),
        cmocka_unit_test(test_junit_validates_against_schema),
        cmocka_unit_test(test_junit_counts_failures_and_skips),
        cmocka_unit_test(test_md_reads_like_the_run),
        cmocka_unit_test(test_rate_over_the_workload),
        cmocka_unit_test(test_hostile_strings_are_escaped),
        cmocka_unit_test(test_bad_run_directories_name_the_file),
        cmocka_unit_test(test_write_all_writes_the_three_reports),
        cmocka_unit_test(test_html_structure),
        cmocka_unit_test(test_html_long_write_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
