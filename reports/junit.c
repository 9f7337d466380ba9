/*
 * junit.c - junit.xml for CI systems (the common JUnit XML shape: testsuites /
 * testsuite / testcase with failure, skipped and system-out; tests/fixtures/junit.xsd).
 *
 * One testsuite per run ("backcheck.<scenario>"). Test cases:
 *   - classname "backcheck.<scenario>.run", name "verdict": the run's verdict;
 *   - classname "backcheck.<scenario>.<backup id>", one per checker the backup was held
 *     to: <failure> listing the violation findings of that checker, <system-out> listing
 *     its observations, <skipped> when the backup was inconclusive (not exercised, never
 *     AVAILABLE) and the checker found no violation;
 *   - classname "backcheck.<scenario>.source", one per checker with source findings.
 * Everything is XML-escaped; nothing here decides a verdict.
 */
#include <stdlib.h>
#include <string.h>

#include "reports/internal.h"

typedef struct junit_counts {
    int tests, failures, skipped;
} junit_counts;

static void attr(FILE *out, const char *name, const char *value)
{
    fprintf(out, " %s=\"", name);
    rep_xml_escape(out, value);
    fputc('"', out);
}

static void finding_line(FILE *out, const cJSON *f)
{
    rep_xml_escape(out, rep_str(f, "kind", "?"));
    if (rep_str(f, "key", NULL)) {
        fputs(" key=", out);
        rep_xml_escape(out, rep_str(f, "key", ""));
    }
    const cJSON *id;
    int first = 1;
    cJSON_ArrayForEach(id, rep_get(f, "op_ids"))
    {
        fputs(first ? " op_ids=" : ",", out);
        first = 0;
        if (cJSON_IsString(id))
            rep_xml_escape(out, id->valuestring);
        else if (cJSON_IsNumber(id))
            fprintf(out, "%.0f", id->valuedouble);
    }
    fputs(": ", out);
    rep_xml_escape(out, rep_str(f, "detail", ""));
    fputc('\n', out);
}

/* One test case for `checker` over `findings`. skip_reason non-NULL: the case is skipped
 * unless it has a violation. */
static void testcase(FILE *out, junit_counts *n, const char *classname, const char *checker,
                     const cJSON *findings, const char *skip_reason)
{
    int viol = 0, obs = 0;
    char kinds[256] = "";
    const cJSON *f;
    cJSON_ArrayForEach(f, findings)
    {
        if (strcmp(rep_finding_checker(f), checker) != 0) continue;
        if (rep_finding_is_violation(f)) {
            const char *k = rep_str(f, "kind", "?");
            if (!strstr(kinds, k) && strlen(kinds) + strlen(k) + 3 < sizeof kinds) {
                if (*kinds) strcat(kinds, ", ");
                strcat(kinds, k);
            }
            viol++;
        } else {
            obs++;
        }
    }
    n->tests++;
    fputs("    <testcase", out);
    attr(out, "classname", classname);
    attr(out, "name", checker);
    if (!viol && !skip_reason && !obs) {
        fputs(" time=\"0\"/>\n", out);
        return;
    }
    fputs(" time=\"0\">\n", out);
    if (viol) {
        n->failures++;
        char msg[400];
        snprintf(msg, sizeof msg, "%d violation%s: %s", viol, viol == 1 ? "" : "s", kinds);
        fputs("      <failure", out);
        attr(out, "message", msg);
        attr(out, "type", kinds);
        fputs(">", out);
        cJSON_ArrayForEach(f, findings)
        {
            if (!strcmp(rep_finding_checker(f), checker) && rep_finding_is_violation(f))
                finding_line(out, f);
        }
        fputs("</failure>\n", out);
    } else if (skip_reason) {
        n->skipped++;
        fputs("      <skipped", out);
        attr(out, "message", skip_reason);
        fputs("/>\n", out);
    }
    if (obs) {
        fprintf(out, "      <system-out>%d observation%s (not violations under this profile):\n",
                obs, obs == 1 ? "" : "s");
        cJSON_ArrayForEach(f, findings)
        {
            if (!strcmp(rep_finding_checker(f), checker) && !rep_finding_is_violation(f))
                finding_line(out, f);
        }
        fputs("</system-out>\n", out);
    }
    fputs("    </testcase>\n", out);
}

/* Why a backup's cases are skipped, or NULL when it was checked. A backup that was checked
 * and failed is not skipped even when it was not exercised: its checkers ran, and those that
 * found nothing held. */
static const char *skip_reason_of(const cJSON *b, char *buf, size_t len)
{
    const char *status = rep_str(b, "status", NULL);
    const char *verdict = rep_str(b, "verdict", "");
    const char *what = rep_target_is_pitr(b) ? "point-in-time restore" : "backup";
    if (status && (!strcmp(status, "FAILED") || !strcmp(status, "TIMEOUT"))) {
        const char *e = rep_str(b, "error", NULL);
        snprintf(buf, len, "inconclusive: %s %s%s%s", what, status, e ? ": " : "", e ? e : "");
        return buf;
    }
    const char *rst = rep_str(b, "restore.status", NULL);
    if (rst && strcmp(rst, "ACTIVE") != 0 && !cJSON_IsObject(rep_get(b, "counts"))) {
        const char *e = rep_str(b, "restore.error", NULL);
        snprintf(buf, len, "inconclusive: restore %s%s%s", rst, e ? ": " : "", e ? e : "");
        return buf;
    }
    if (!strcmp(verdict, "fail")) return NULL;
    if (!strcmp(verdict, "inconclusive") || !cJSON_IsTrue(rep_get(b, "exercised"))) {
        snprintf(buf, len,
                 "inconclusive: %s not exercised (no acknowledged write in its window, or its "
                 "cut is not bounded on both sides)",
                 what);
        return buf;
    }
    return NULL;
}

static void body(const rep_run *run, FILE *out, junit_counts *n, const char *scenario)
{
    const cJSON *r = run->results;
    char cls[512], why[512];
    const char *verdict = rep_str(r, "verdict", "?");

    /* The run's verdict, so CI fails even on a failure outside any backup's checkers. */
    snprintf(cls, sizeof cls, "backcheck.%s.run", scenario);
    n->tests++;
    fputs("    <testcase", out);
    attr(out, "classname", cls);
    fputs(" name=\"verdict\"", out);
    fprintf(out, " time=\"%.3f\">\n", rep_num(r, "timings.run_s", 0));
    if (!strcmp(verdict, "fail")) {
        n->failures++;
        fputs("      <failure message=\"the run violated the ", out);
        rep_xml_escape(out, rep_str(r, "profile", "?"));
        fputs(" profile\" type=\"verdict\">", out);
        const char *why = rep_str(r, "verdict_reason", "");
        rep_xml_escape(out, *why ? why : "see the backup test cases");
        fputs("</failure>\n", out);
    } else if (!strcmp(verdict, "inconclusive")) {
        n->skipped++;
        const char *why = rep_str(r, "verdict_reason", "");
        fputs("      <skipped message=\"inconclusive: ", out);
        rep_xml_escape(out, *why ? why : "no backup was exercised");
        fputs("\"/>\n", out);
    } else if (strcmp(verdict, "pass") != 0) {
        n->failures++;
        fputs("      <failure message=\"unknown verdict ", out);
        rep_xml_escape(out, verdict);
        fputs("\" type=\"verdict\"/>\n", out);
    }
    fputs("    </testcase>\n", out);

    const cJSON *b;
    REP_FOR_EACH_TARGET(r, b)
    {
        const char *names[REP_MAX_CHECKERS];
        int nc = rep_backup_checkers(b, names, REP_MAX_CHECKERS);
        snprintf(cls, sizeof cls, "backcheck.%s.%s", scenario, rep_str(b, "id", "?"));
        const char *skip = skip_reason_of(b, why, sizeof why);
        for (int i = 0; i < nc; i++)
            testcase(out, n, cls, names[i], rep_get(b, "findings"), skip);
    }

    const cJSON *src = rep_get(r, "source");
    if (cJSON_IsObject(src)) {
        snprintf(cls, sizeof cls, "backcheck.%s.source", scenario);
        const char *skipped = rep_not_checked_reason(src);
        const char *names[REP_MAX_CHECKERS];
        int nc = rep_backup_checkers(src, names, REP_MAX_CHECKERS);
        if (skipped) snprintf(why, sizeof why, "source not checked: %s", skipped);
        for (int i = 0; i < nc; i++)
            testcase(out, n, cls, names[i], rep_get(src, "findings"), skipped ? why : NULL);
    }
}

int rep_render_junit(const rep_run *run, FILE *out, char *err, size_t errlen)
{
    const cJSON *r = run->results;
    const char *scenario = rep_str(r, "scenario", "run");
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    junit_counts n = {0, 0, 0};
    body(run, mem, &n, scenario);
    fclose(mem);

    double run_s = rep_num(r, "timings.run_s", 0);
    char name[512];
    snprintf(name, sizeof name, "backcheck.%s", scenario);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"backcheck\"", out);
    fprintf(out, " tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"%.3f\">\n",
            n.tests, n.failures, n.skipped, run_s);
    fputs("  <testsuite", out);
    attr(out, "name", name);
    fprintf(out, " tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"%.3f\">\n",
            n.tests, n.failures, n.skipped, run_s);
    fputs("    <properties>\n", out);
    const char *props[] = {"verdict",           "verdict_reason", "profile",
                           "backcheck_version", "target.kind",    "target.backup_model",
                           "target.endpoint",   "target.region"};
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++) {
        const char *v = strcmp(props[i], "target.endpoint") == 0
                            ? rep_target_endpoint(rep_get(r, "target"))
                            : rep_str(r, props[i], NULL);
        if (!v) continue;
        fputs("      <property", out);
        attr(out, "name", props[i]);
        attr(out, "value", v);
        fputs("/>\n", out);
    }
    fprintf(out, "      <property name=\"seed\" value=\"%.0f\"/>\n", rep_num(r, "seed", 0));
    fputs("    </properties>\n", out);
    fwrite(buf, 1, len, out);
    free(buf);
    fputs("  </testsuite>\n</testsuites>\n", out);
    return ferror(out) ? -1 : 0;
}
