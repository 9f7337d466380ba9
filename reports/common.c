/* common.c - loading a run's results and the small formatting helpers every report
 * format shares (see internal.h). */
#include "reports/internal.h"
#include "reports/pricing.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int rep_read_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        snprintf(err, errlen, "%s: read error", path);
        return -1;
    }
    buf[n] = '\0';
    *out = buf;
    if (len) *len = n;
    return 0;
}

static cJSON *parse_file(const char *path, int missing_ok, char *err, size_t errlen, int *rc)
{
    *rc = 0;
    struct stat st;
    if (missing_ok && stat(path, &st) != 0 && errno == ENOENT) return NULL;
    char *text;
    if (rep_read_file(path, &text, NULL, err, errlen)) {
        *rc = -1;
        return NULL;
    }
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithOpts(text, &end, 0);
    if (!v) {
        long line = 1;
        for (const char *p = text; end && p < end; p++)
            line += *p == '\n';
        snprintf(err, errlen, "%s:%ld: not valid JSON", path, line);
        *rc = -1;
    }
    free(text);
    return v;
}

int rep_run_load(const char *run_dir, rep_run *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char path[REP_PATH_MAX + 32];
    struct stat st;
    if (stat(run_dir, &st) == 0 && S_ISREG(st.st_mode)) {
        /* A results.json named directly: its folder is the run directory. */
        snprintf(path, sizeof path, "%s", run_dir);
        snprintf(out->dir, sizeof out->dir, "%s", run_dir);
        char *slash = strrchr(out->dir, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(out->dir, sizeof out->dir, ".");
    } else {
        snprintf(out->dir, sizeof out->dir, "%s", run_dir);
        snprintf(path, sizeof path, "%s/results.json", run_dir);
    }
    int rc;
    out->results = parse_file(path, 0, err, errlen, &rc);
    if (rc) return -1;
    if (!cJSON_IsObject(out->results) || !cJSON_IsString(rep_get(out->results, "verdict"))) {
        snprintf(err, errlen, "%s: expected an object with a \"verdict\" string", path);
        rep_run_free(out);
        return -1;
    }
    snprintf(path, sizeof path, "%s/scenario.json", out->dir);
    out->scenario = parse_file(path, 1, err, errlen, &rc);
    if (rc) {
        rep_run_free(out);
        return -1;
    }
    return 0;
}

void rep_run_free(rep_run *run)
{
    if (!run) return;
    cJSON_Delete(run->results);
    cJSON_Delete(run->scenario);
    run->results = run->scenario = NULL;
}

const cJSON *rep_get(const cJSON *o, const char *path)
{
    char part[128];
    while (o && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof part) return NULL;
        memcpy(part, path, n);
        part[n] = '\0';
        o = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, part) : NULL;
        path += n + (dot ? 1 : 0);
    }
    return o;
}

double rep_num(const cJSON *o, const char *path, double dflt)
{
    const cJSON *v = rep_get(o, path);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

int64_t rep_i64(const cJSON *o, const char *path, int64_t dflt)
{
    const cJSON *v = rep_get(o, path);
    /* cJSON keeps numbers as doubles: epoch nanoseconds (~1.8e18) exceed 2^53, so they
     * come back to within 256 ns. Differences of instants are rounded to the microsecond
     * for display (rep_fmt_ns) so that this never shows as "999.9 us". */
    return cJSON_IsNumber(v) ? (int64_t)llround(v->valuedouble) : dflt;
}

const char *rep_str(const cJSON *o, const char *path, const char *dflt)
{
    const cJSON *v = rep_get(o, path);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

int rep_has_num(const cJSON *o, const char *path)
{
    return cJSON_IsNumber(rep_get(o, path));
}

void rep_xml_escape(FILE *f, const char *s)
{
    if (!s) return;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&apos;", f);
            break;
        default:
            if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
                fputs("\xef\xbf\xbd", f); /* XML 1.0 forbids these even as references */
            else
                fputc(*p, f);
        }
    }
}

void rep_md_cell(FILE *f, const char *s)
{
    if (!s) return;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '|' || *p == '`' || *p == '*' || *p == '_' || *p == '<' || *p == '>' ||
            *p == '[' || *p == ']' || *p == '\\')
            fputc('\\', f), fputc(*p, f);
        else if (*p == '\n' || *p == '\r')
            fputc(' ', f);
        else if (*p < 0x20)
            fputc('?', f);
        else
            fputc(*p, f);
    }
}

void rep_fmt_ns(int64_t ns, int sign, char *buf, size_t len)
{
    /* Rounded to the microsecond: see rep_i64 on the precision of epoch instants. */
    int64_t us = ns >= 0 ? (ns + 500) / 1000 : -((-ns + 500) / 1000);
    if (us == 0) {
        snprintf(buf, len, "0");
        return;
    }
    const char *sg = us < 0 ? "-" : (sign ? "+" : "");
    double a = fabs((double)us) * 1000.0;
    if (a < 1e6)
        snprintf(buf, len, "%s%.0f us", sg, a / 1e3);
    else if (a < 1e9)
        snprintf(buf, len, "%s%.3f ms", sg, a / 1e6);
    else
        snprintf(buf, len, "%s%.3f s", sg, a / 1e9);
}

void rep_fmt_bytes(double b, char *buf, size_t len)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (b >= 1024 && u < 4)
        b /= 1024, u++;
    if (u == 0)
        snprintf(buf, len, "%.0f B", b);
    else
        snprintf(buf, len, "%.1f %s", b, units[u]);
}

void rep_fmt_count(double n, char *buf, size_t len)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.0f", n);
    const char *digits = tmp[0] == '-' ? tmp + 1 : tmp;
    size_t nd = strlen(digits), o = 0;
    if (tmp[0] == '-' && o + 1 < len) buf[o++] = '-';
    for (size_t i = 0; i < nd && o + 2 < len; i++) {
        if (i > 0 && (nd - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
}

void rep_fmt_rate_span(const cJSON *results, char *buf, size_t len)
{
    buf[0] = '\0';
    if (rep_has_num(results, "timings.workload_s"))
        snprintf(buf, len, " over the %.1f s workload", rep_num(results, "timings.workload_s", 0));
}

int rep_verdict_exit(const char *v)
{
    if (!v) return 2;
    if (!strcmp(v, "pass")) return 0;
    if (!strcmp(v, "fail")) return 1;
    if (!strcmp(v, "inconclusive")) return 3;
    return 2;
}

static const struct {
    const char *checker;
    const char *kinds[4];
} kind_checkers[] = {
    {"presence", {"LOST", "FUTURE", "RESURRECTED", NULL}},
    {"phantom", {"PHANTOM", "PHANTOM_FAIL", NULL}},
    {"order", {"ORDER", NULL}},
    {"transactions", {"TORN_TXN", NULL}},
    {"invariant", {"INVARIANT", NULL}},
    {"schema", {"SCHEMA", NULL}},
};
#define N_KIND_CHECKERS (sizeof kind_checkers / sizeof kind_checkers[0])

const char *rep_finding_checker(const cJSON *finding)
{
    const char *c = rep_str(finding, "checker", NULL);
    if (c) return c;
    const char *kind = rep_str(finding, "kind", "");
    for (size_t i = 0; i < N_KIND_CHECKERS; i++)
        for (int k = 0; kind_checkers[i].kinds[k]; k++)
            if (!strcmp(kind, kind_checkers[i].kinds[k])) return kind_checkers[i].checker;
    return "other";
}

int rep_backup_checkers(const cJSON *backup, const char **names, int max)
{
    int n = 0;
    const cJSON *list = rep_get(backup, "checkers");
    const cJSON *c;
    if (cJSON_IsArray(list) && cJSON_GetArraySize(list) > 0) {
        cJSON_ArrayForEach(c, list)
        {
            const char *name = cJSON_IsString(c) ? c->valuestring : rep_str(c, "name", NULL);
            if (name && n < max) names[n++] = name;
        }
    } else {
        for (size_t i = 0; i < N_KIND_CHECKERS && n < max; i++)
            names[n++] = kind_checkers[i].checker;
    }
    /* A finding from a checker missing from the list still gets a test case. */
    const cJSON *f;
    cJSON_ArrayForEach(f, rep_get(backup, "findings"))
    {
        const char *name = rep_finding_checker(f);
        int seen = 0;
        for (int i = 0; i < n; i++)
            seen |= !strcmp(names[i], name);
        if (!seen && n < max) names[n++] = name;
    }
    return n;
}

int rep_finding_is_violation(const cJSON *finding)
{
    return strcmp(rep_str(finding, "severity", "violation"), "observation") != 0;
}

void rep_guarantee_ns(const cJSON *results, int64_t *before, int64_t *after)
{
    /* aws-documented: "within 60 seconds" either side of the request (AWS-FACTS.md 1.1). */
    const int64_t aws_window_ns = 60LL * 1000000000LL;
    const char *profile = rep_str(results, "profile", "aws-documented");
    int64_t dflt = strcmp(profile, "strict") == 0 ? 0 : aws_window_ns;
    *before = (int64_t)(rep_num(results, "guarantee.before_s", (double)dflt / 1e9) * 1e9);
    *after = (int64_t)(rep_num(results, "guarantee.after_s", (double)dflt / 1e9) * 1e9);
}

int rep_costs_of(const cJSON *results, rep_cost *out, int *recomputed)
{
    const cJSON *c = rep_get(results, "costs");
    *recomputed = 0;
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(c)) return -1;
    /* The check stage writes "usd_breakdown"; "breakdown" is accepted as well. */
    const cJSON *br = rep_get(c, "usd_breakdown");
    if (!cJSON_IsObject(br)) br = rep_get(c, "breakdown");
    if (cJSON_IsObject(br)) {
        out->writes = rep_num(br, "writes", 0);
        out->reads = rep_num(br, "reads", 0);
        out->backup_storage = rep_num(br, "backup_storage", 0);
        out->restores = rep_num(br, "restores", 0);
        out->pitr = rep_num(br, "pitr", 0);
    } else {
        /* Split the check stage's total with the built-in prices, but only when they are
         * the very prices it used (same region and date). */
        rep_pricing p;
        char err[256];
        if (rep_pricing_load(NULL, rep_str(c, "pricing.region", ""), &p, err, sizeof err) ||
            strcmp(p.as_of, rep_str(c, "pricing.as_of", "")) != 0)
            return -1;
        rep_usage u = {0};
        u.wru = rep_num(c, "wru", 0);
        u.rru = rep_num(c, "rru", 0);
        u.backup_bytes = rep_num(c, "backup_bytes", 0);
        /* Backups are deleted when the run ends unless kept: stored for the run's length. */
        u.backup_days = rep_num(c, "backup_days", rep_num(results, "timings.run_s", 0) / 86400.0);
        u.restore_bytes = rep_num(c, "restore_bytes", 0);
        u.pitr_bytes = rep_num(c, "pitr_bytes", 0);
        u.pitr_days = rep_num(c, "pitr_days", 0);
        rep_cost_estimate(&p, &u, out);
        *recomputed = 1;
    }
    out->total = rep_num(
        c, "usd", out->writes + out->reads + out->backup_storage + out->restores + out->pitr);
    return 0;
}

const char *rep_not_checked_reason(const cJSON *t)
{
    const char *skipped = rep_str(t, "skipped", NULL);
    if (skipped) return skipped;
    const char *status = rep_str(t, "status", NULL);
    if (status &&
        (!strcmp(status, "skipped") || !strcmp(status, "FAILED") || !strcmp(status, "TIMEOUT")))
        return rep_str(t, "note", rep_str(t, "error", status));
    return NULL;
}

void rep_summary_of(const cJSON *results, rep_summary *out)
{
    memset(out, 0, sizeof *out);
    out->backups = cJSON_GetArraySize(rep_get(results, "backups"));
    out->pitr = cJSON_GetArraySize(rep_get(results, "pitr"));
    const cJSON *t, *f;
    REP_FOR_EACH_TARGET(results, t)
    {
        int checked = cJSON_IsObject(rep_get(t, "counts"));
        out->checked += checked;
        out->exercised += cJSON_IsTrue(rep_get(t, "exercised"));
        out->unchecked += !checked && rep_get(t, "counts") != NULL;
        cJSON_ArrayForEach(f, rep_get(t, "findings"))
        {
            if (rep_finding_is_violation(f))
                out->violations++;
            else
                out->observations++;
        }
    }
    cJSON_ArrayForEach(f, rep_get(results, "source.findings"))
    {
        if (rep_finding_is_violation(f))
            out->violations++;
        else
            out->observations++;
    }
    const cJSON *s = rep_get(results, "summary");
    if (cJSON_IsObject(s)) {
        out->exercised = (int)rep_num(s, "exercised", out->exercised);
        out->unchecked = (int)rep_num(s, "unchecked", out->unchecked);
        out->violations = (long)rep_num(s, "violations", (double)out->violations);
        out->observations = (long)rep_num(s, "observations", (double)out->observations);
    }
}

const char *rep_target_endpoint(const cJSON *target)
{
    const char *e = rep_str(target, "endpoint", NULL);
    if (!e || !*e || !strcmp(rep_str(target, "kind", ""), "embedded")) return NULL;
    return e;
}

int rep_target_is_pitr(const cJSON *target)
{
    return rep_has_num(target, "pitr_time_ns") || cJSON_IsObject(rep_get(target, "pitr"));
}

int64_t rep_target_ref_ns(const cJSON *target)
{
    if (rep_has_num(target, "request_ns")) return rep_i64(target, "request_ns", 0);
    return rep_i64(target, "pitr_time_ns", rep_i64(target, "pitr.pitr_time_ns", 0));
}
