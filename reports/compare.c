/*
 * compare.c - `backcheck compare RUN_DIR... [--threshold PCT] [--format md|text]`.
 *
 * Puts runs side by side (different targets, backup models, or successive runs of one
 * scenario): verdict, cut width, cut position relative to R, backup (R to AVAILABLE) and
 * restore (request to ACTIVE) durations, cost. The first run is the baseline; a later run
 * regresses when a pass became a fail or inconclusive (it no longer proves what it
 * proved), or when the widest cut or the mean backup or
 * restore duration grew by more than the threshold (default 20%). Exit 1 on a
 * regression, 0 otherwise, 2 on a usage or input error (naming the file).
 */
#include "reports/report.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reports/internal.h"

#define CMP_DEFAULT_THRESHOLD_PCT 20.0
#define CMP_MAX_RUNS 64

typedef struct run_stats {
    const char *path;
    char label[96];
    char target[160];
    const char *verdict;
    int backups, exercised;
    long violations;
    double width_ns;         /* widest cut, -1 when no backup has one */
    double lo_r_ns, hi_r_ns; /* mean lo - R and hi - R over backups with a cut */
    int ncut;
    double backup_ns, restore_ns; /* means, -1 when none */
    double usd;                   /* -1 when absent */
} run_stats;

static void usage(FILE *f)
{
    fprintf(f, "usage: backcheck compare RUN_DIR... [--threshold PCT] [--format md|text]\n"
               "  Compares runs side by side; the first is the baseline. Exit 1 when a later\n"
               "  run regressed (pass -> fail or inconclusive, or cut width / backup / restore\n"
               "  duration grew\n"
               "  by more than PCT percent, default 20), 2 on bad usage or input.\n");
}

static void collect(const rep_run *run, const char *path, run_stats *s)
{
    const cJSON *r = run->results;
    memset(s, 0, sizeof *s);
    s->path = path;
    /* Named after the directory itself: "runs/quick/latest" is labelled with the run it
     * points to, so that two `latest` links (or a link and its target) tell apart. */
    char real[PATH_MAX];
    const char *dir = realpath(run->dir, real) ? real : run->dir;
    const char *base = strrchr(dir, '/');
    snprintf(s->label, sizeof s->label, "%.95s", base && base[1] ? base + 1 : dir);
    const cJSON *t = rep_get(r, "target");
    snprintf(s->target, sizeof s->target, "%s%s%s", rep_str(t, "kind", "?"),
             rep_str(t, "backup_model", NULL) ? "/" : "", rep_str(t, "backup_model", ""));
    s->verdict = rep_str(r, "verdict", "?");
    s->width_ns = -1;
    s->backup_ns = s->restore_ns = -1;
    s->usd = rep_has_num(r, "costs.usd") ? rep_num(r, "costs.usd", 0) : -1;
    double bsum = 0, rsum = 0;
    int nb = 0, nr = 0;
    const cJSON *b, *f;
    cJSON_ArrayForEach(b, rep_get(r, "backups"))
    {
        s->backups++;
        s->exercised += cJSON_IsTrue(rep_get(b, "exercised"));
        cJSON_ArrayForEach(f, rep_get(b, "findings")) s->violations += rep_finding_is_violation(f);
        int64_t R = rep_i64(b, "request_ns", 0);
        if (rep_has_num(b, "cut.width_ns") && rep_num(b, "cut.width_ns", 0) > s->width_ns)
            s->width_ns = rep_num(b, "cut.width_ns", 0);
        if (R && rep_has_num(b, "cut.lo_ns") && rep_has_num(b, "cut.hi_ns")) {
            s->lo_r_ns += (double)(rep_i64(b, "cut.lo_ns", 0) - R);
            s->hi_r_ns += (double)(rep_i64(b, "cut.hi_ns", 0) - R);
            s->ncut++;
        }
        int64_t av = rep_i64(b, "available_ns", 0);
        if (R && av) {
            bsum += (double)(av - R);
            nb++;
        }
        int64_t rq = rep_i64(b, "restore.requested_ns", 0), ra = rep_i64(b, "restore.active_ns", 0);
        if (rq && ra) {
            rsum += (double)(ra - rq);
            nr++;
        }
    }
    if (s->ncut) {
        s->lo_r_ns /= s->ncut;
        s->hi_r_ns /= s->ncut;
    }
    if (nb) s->backup_ns = bsum / nb;
    if (nr) s->restore_ns = rsum / nr;
}

static void fmt_dur(double ns, char *buf, size_t len)
{
    if (ns < 0)
        snprintf(buf, len, "-");
    else
        rep_fmt_ns((int64_t)llround(ns), 0, buf, len);
}

/* 1 when cur grew more than pct percent over base (both known, base > 0). */
static int grew(double base, double cur, double pct)
{
    return base > 0 && cur >= 0 && cur > base * (1 + pct / 100.0);
}

typedef struct row {
    const char *name;
    char cells[CMP_MAX_RUNS][96];
} row;

static void print_table(FILE *out, int md, row *rows, int nrows, int nruns)
{
    size_t w0 = 0, w[CMP_MAX_RUNS] = {0};
    for (int i = 0; i < nrows; i++) {
        if (strlen(rows[i].name) > w0) w0 = strlen(rows[i].name);
        for (int j = 0; j < nruns; j++)
            if (strlen(rows[i].cells[j]) > w[j]) w[j] = strlen(rows[i].cells[j]);
    }
    for (int i = 0; i < nrows; i++) {
        if (md) {
            fputs("| ", out);
            rep_md_cell(out, rows[i].name);
            for (int j = 0; j < nruns; j++) {
                fputs(" | ", out);
                rep_md_cell(out, rows[i].cells[j]);
            }
            fputs(" |\n", out);
            if (i == 0) {
                fputs("|---", out);
                for (int j = 0; j < nruns; j++)
                    fputs("|--:", out);
                fputs("|\n", out);
            }
        } else {
            fprintf(out, "%-*s", (int)w0, rows[i].name);
            for (int j = 0; j < nruns; j++)
                fprintf(out, "  %*s", (int)w[j], rows[i].cells[j]);
            fputc('\n', out);
        }
    }
}

int rep_compare_main(int argc, char **argv)
{
    double threshold = CMP_DEFAULT_THRESHOLD_PCT;
    int md = 0;
    const char *paths[CMP_MAX_RUNS];
    int n = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--threshold") || !strncmp(a, "--threshold=", 12)) {
            const char *v = a[11] == '=' ? a + 12 : (i + 1 < argc ? argv[++i] : NULL);
            char *end = NULL;
            threshold = v ? strtod(v, &end) : -1;
            if (!v || end == v || *end || threshold < 0 || !isfinite(threshold)) {
                fprintf(stderr,
                        "backcheck compare: --threshold: expected a percentage >= 0, "
                        "got '%s'\n",
                        v ? v : "");
                return 2;
            }
        } else if (!strcmp(a, "--format") || !strncmp(a, "--format=", 9)) {
            const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (v && !strcmp(v, "md"))
                md = 1;
            else if (v && !strcmp(v, "text"))
                md = 0;
            else {
                fprintf(stderr, "backcheck compare: --format: expected md or text, got '%s'\n",
                        v ? v : "");
                return 2;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "backcheck compare: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        } else if (n >= CMP_MAX_RUNS) {
            fprintf(stderr, "backcheck compare: at most %d runs\n", CMP_MAX_RUNS);
            return 2;
        } else {
            paths[n++] = a;
        }
    }
    if (n == 0) {
        usage(stderr);
        return 2;
    }
    static run_stats st[CMP_MAX_RUNS];
    for (int i = 0; i < n; i++) {
        rep_run run;
        char err[512] = "";
        if (rep_run_load(paths[i], &run, err, sizeof err)) {
            fprintf(stderr, "backcheck compare: %s\n", err);
            return 2;
        }
        collect(&run, paths[i], &st[i]);
        /* verdict points into the results: keep a stable copy */
        static char verdicts[CMP_MAX_RUNS][24];
        snprintf(verdicts[i], sizeof verdicts[i], "%s", st[i].verdict);
        st[i].verdict = verdicts[i];
        rep_run_free(&run);
    }

    enum {
        R_RUN,
        R_TARGET,
        R_VERDICT,
        R_BACKUPS,
        R_VIOL,
        R_WIDTH,
        R_POS,
        R_BACKUP,
        R_RESTORE,
        R_USD,
        NROWS
    };
    static row rows[NROWS];
    const char *names[NROWS] = {"run",
                                "target",
                                "verdict",
                                "backups (exercised)",
                                "violations",
                                "widest cut",
                                "cut vs R (mean lo..hi)",
                                "backup R to AVAILABLE",
                                "restore to ACTIVE",
                                "cost USD"};
    for (int k = 0; k < NROWS; k++)
        rows[k].name = names[k];
    for (int i = 0; i < n; i++) {
        run_stats *s = &st[i];
        char a[48], b[48];
        snprintf(rows[R_RUN].cells[i], 96, "%.80s%s", s->label, i == 0 ? " (baseline)" : "");
        snprintf(rows[R_TARGET].cells[i], 96, "%.95s", s->target);
        snprintf(rows[R_VERDICT].cells[i], 96, "%s", s->verdict);
        snprintf(rows[R_BACKUPS].cells[i], 96, "%d (%d)", s->backups, s->exercised);
        snprintf(rows[R_VIOL].cells[i], 96, "%ld", s->violations);
        fmt_dur(s->width_ns, rows[R_WIDTH].cells[i], 96);
        if (s->ncut) {
            rep_fmt_ns((int64_t)llround(s->lo_r_ns), 1, a, sizeof a);
            rep_fmt_ns((int64_t)llround(s->hi_r_ns), 1, b, sizeof b);
            snprintf(rows[R_POS].cells[i], 96, "%.40s..%.40s", a, b);
        } else {
            snprintf(rows[R_POS].cells[i], 96, "-");
        }
        fmt_dur(s->backup_ns, rows[R_BACKUP].cells[i], 96);
        fmt_dur(s->restore_ns, rows[R_RESTORE].cells[i], 96);
        if (s->usd >= 0)
            snprintf(rows[R_USD].cells[i], 96, "%.6f", s->usd);
        else
            snprintf(rows[R_USD].cells[i], 96, "-");
    }
    FILE *out = stdout;
    if (md) fprintf(out, "## backcheck compare (threshold %g%%)\n\n", threshold);
    print_table(out, md, rows, NROWS, n);

    int regressions = 0;
    const run_stats *base = &st[0];
    fputc('\n', out);
    for (int i = 1; i < n; i++) {
        const run_stats *s = &st[i];
        char a[48], b[48];
        if (!strcmp(base->verdict, "pass") && !strcmp(s->verdict, "fail")) {
            fprintf(out, "%sREGRESSION %s: verdict pass -> fail (%ld violation%s)\n",
                    md ? "- " : "", s->path, s->violations, s->violations == 1 ? "" : "s");
            regressions++;
        } else if (!strcmp(base->verdict, "pass") && strcmp(s->verdict, "pass")) {
            /* Inconclusive proves nothing: a check that used to hold is no longer shown. */
            fprintf(out,
                    "%sREGRESSION %s: verdict pass -> %s (no longer proves what the "
                    "baseline did)\n",
                    md ? "- " : "", s->path, s->verdict);
            regressions++;
        }
        struct {
            const char *what;
            double base, cur;
        } m[] = {{"widest cut", base->width_ns, s->width_ns},
                 {"backup R to AVAILABLE", base->backup_ns, s->backup_ns},
                 {"restore to ACTIVE", base->restore_ns, s->restore_ns}};
        for (size_t k = 0; k < sizeof m / sizeof m[0]; k++) {
            if (!grew(m[k].base, m[k].cur, threshold)) continue;
            fmt_dur(m[k].base, a, sizeof a);
            fmt_dur(m[k].cur, b, sizeof b);
            fprintf(out, "%sREGRESSION %s: %s grew %s -> %s (+%.0f%%, threshold %g%%)\n",
                    md ? "- " : "", s->path, m[k].what, a, b, (m[k].cur / m[k].base - 1) * 100,
                    threshold);
            regressions++;
        }
    }
    if (!regressions) fprintf(out, "No regression against the baseline (%s).\n", base->path);
    return regressions ? 1 : 0;
}
