/*
 * md.c - report.md: the run at a glance, short enough for a pull-request comment.
 *
 * Every number comes from results.json; nothing here decides a verdict. Sections:
 * verdict and run facts, per-backup classification and timing tables, findings
 * (violations first, then observations), costs, availability during vs outside backups,
 * the source-table check.
 */
#include <stdlib.h>
#include <string.h>

#include "reports/internal.h"
#include "reports/pricing.h"

/* A PR comment has a size limit (GitHub: 65536 characters); long lists are cut here and
 * the full list is in report.html and results.json. */
#define MD_MAX_FINDINGS 50

static const char *upper_verdict(const char *v)
{
    if (!strcmp(v, "pass")) return "PASS";
    if (!strcmp(v, "fail")) return "FAIL";
    if (!strcmp(v, "inconclusive")) return "INCONCLUSIVE";
    return v;
}

static void target_text(const cJSON *results, char *buf, size_t len)
{
    const cJSON *t = rep_get(results, "target");
    if (cJSON_IsString(t)) {
        snprintf(buf, len, "%s", t->valuestring);
        return;
    }
    const char *kind = rep_str(t, "kind", "unknown");
    size_t o = (size_t)snprintf(buf, len, "%s", kind);
    const char *model = rep_str(t, "backup_model", NULL);
    const char *endpoint = rep_target_endpoint(t);
    const char *region = rep_str(t, "region", NULL);
    if (model && o < len) o += (size_t)snprintf(buf + o, len - o, ", backup model %s", model);
    /* window_ms is the aws-window model's spread; the exact model has none. */
    if (model && !strcmp(model, "aws-window") && rep_has_num(t, "window_ms") && o < len)
        o += (size_t)snprintf(buf + o, len - o, " (window %.0f ms)", rep_num(t, "window_ms", 0));
    if (region && o < len) o += (size_t)snprintf(buf + o, len - o, ", %s", region);
    if (endpoint && o < len) snprintf(buf + o, len - o, ", %s", endpoint);
}

/* A time relative to R, or "-" when the instant is unknown (0). */
static void rel(int64_t t, int64_t r, char *buf, size_t len)
{
    if (t == 0 || r == 0)
        snprintf(buf, len, "-");
    else
        rep_fmt_ns(t - r, 1, buf, len);
}

static void dur(int64_t from, int64_t to, char *buf, size_t len)
{
    if (from == 0 || to == 0)
        snprintf(buf, len, "-");
    else
        rep_fmt_ns(to - from, 0, buf, len);
}

/* The faults the scenario injected, as "drop:fraction=0.02 (0.8 s to 1.4 s)": a reader
 * needs them to tell an expected failure from a surprise. */
static void md_faults(const rep_run *run, FILE *out)
{
    const cJSON *faults = rep_get(run->scenario, "faults"), *f;
    if (cJSON_GetArraySize(faults) == 0) return;
    fprintf(out, "| faults | ");
    int first = 1;
    cJSON_ArrayForEach(f, faults)
    {
        if (!first) fprintf(out, "; ");
        first = 0;
        rep_md_cell(out, rep_str(f, "spec", rep_str(f, "kind", "?")));
        int has_at = rep_has_num(f, "at_s"), has_for = rep_has_num(f, "for_s");
        double at = rep_num(f, "at_s", 0), dur = rep_num(f, "for_s", 0);
        if (has_at && has_for)
            fprintf(out, " (%g s to %g s)", at, at + dur);
        else if (has_at)
            fprintf(out, " (from %g s)", at);
        else if (has_for)
            fprintf(out, " (first %g s)", dur);
    }
    fprintf(out, " |\n");
}

static void md_header(const rep_run *run, FILE *out)
{
    const cJSON *r = run->results;
    const char *verdict = rep_str(r, "verdict", "?");
    char target[512], buf[64], b2[64];
    target_text(r, target, sizeof target);
    fprintf(out, "# backcheck: %s, scenario ", upper_verdict(verdict));
    rep_md_cell(out, rep_str(r, "scenario", "?"));
    fprintf(out, "\n\n| | |\n|---|---|\n");
    fprintf(out, "| verdict | **%s** (exit %d) |\n", upper_verdict(verdict),
            rep_verdict_exit(verdict));
    fprintf(out, "| profile | ");
    rep_md_cell(out, rep_str(r, "profile", "?"));
    int64_t gb, ga;
    rep_guarantee_ns(r, &gb, &ga);
    rep_fmt_ns(gb, 0, buf, sizeof buf);
    rep_fmt_ns(ga, 0, b2, sizeof b2);
    fprintf(out, " (window %s before R, %s after A", buf, b2);
    const cJSON *g = rep_get(r, "guarantee");
    if (cJSON_IsObject(g)) {
        fprintf(out, "; transactions %s",
                cJSON_IsTrue(rep_get(g, "atomic_txn")) ? "atomic" : "may be torn");
        if (cJSON_IsTrue(rep_get(g, "single_cut"))) fprintf(out, "; one instant cut");
    }
    fprintf(out, ") |\n");
    fprintf(out, "| target | ");
    rep_md_cell(out, target);
    fprintf(out, " |\n| seed | %.0f |\n", rep_num(r, "seed", 0));
    fprintf(out, "| scenario | ");
    rep_md_cell(out, rep_str(r, "scenario", "?"));
    fprintf(out, " |\n");
    if (rep_has_num(r, "timings.run_s")) {
        rep_fmt_count(rep_num(r, "timings.ops", 0), buf, sizeof buf);
        char over[64];
        rep_fmt_rate_span(r, over, sizeof over);
        fprintf(out, "| run | %.1f s, %s ops (%.0f ops/s%s), latency p50 %.3f ms, p99 %.3f ms |\n",
                rep_num(r, "timings.run_s", 0), buf, rep_num(r, "timings.ops_per_s", 0), over,
                rep_num(r, "timings.latency_ms.p50", 0), rep_num(r, "timings.latency_ms.p99", 0));
    }
    rep_summary sum;
    rep_summary_of(r, &sum);
    fprintf(out, "| backups | %d backup%s", sum.backups, sum.backups == 1 ? "" : "s");
    if (sum.pitr)
        fprintf(out, " and %d point-in-time restore%s", sum.pitr, sum.pitr == 1 ? "" : "s");
    fprintf(out, ": %d exercised", sum.exercised);
    if (sum.unchecked) fprintf(out, ", %d not checked", sum.unchecked);
    fprintf(out, "; %ld violation%s, %ld observation%s |\n", sum.violations,
            sum.violations == 1 ? "" : "s", sum.observations, sum.observations == 1 ? "" : "s");
    md_faults(run, out);
    const char *reason = rep_str(r, "verdict_reason", NULL);
    if (reason && *reason) {
        fprintf(out, "| why | ");
        rep_md_cell(out, reason);
        fprintf(out, " |\n");
    }
    fprintf(out, "| backcheck | ");
    rep_md_cell(out, rep_str(r, "backcheck_version", "?"));
    fprintf(out, " |\n\n");
    const char *expect = rep_str(run->scenario, "expect", NULL);
    if (expect && strcmp(expect, verdict) != 0) {
        fprintf(out, "> The scenario expects **%s**: this run ended otherwise.\n\n",
                upper_verdict(expect));
    }
    if (!strcmp(verdict, "inconclusive")) {
        if (sum.unchecked)
            fprintf(out,
                    "> The run proved nothing either way: %d of %d backups and restores "
                    "could not be checked (see the notes below) and none was exercised.\n\n",
                    sum.unchecked, sum.backups + sum.pitr);
        else
            fprintf(out, "> No backup was exercised (its cut bounded on both sides by "
                         "acknowledged writes), so the run proved nothing either way.\n\n");
    }
}

static int has_note(const cJSON *target, const char *text)
{
    const cJSON *n;
    cJSON_ArrayForEach(n, rep_get(target, "notes")) if (cJSON_IsString(n) &&
                                                        !strcmp(n->valuestring, text)) return 1;
    return 0;
}

/* 1 when a target listed before the index-th one carries the same note. */
static int md_note_seen_before(const cJSON *results, int index, const char *text)
{
    const cJSON *b;
    int i = 0, seen = 0;
    REP_FOR_EACH_TARGET(results, b)
    {
        if (i++ < index) seen |= has_note(b, text);
    }
    return seen;
}

/* "b1, b2": the targets that carry a note. */
static void md_note_owners(const cJSON *results, FILE *out, const char *text)
{
    const cJSON *b;
    int first = 1;
    REP_FOR_EACH_TARGET(results, b)
    {
        if (!has_note(b, text)) continue;
        if (!first) fprintf(out, ", ");
        first = 0;
        rep_md_cell(out, rep_str(b, "id", "?"));
    }
}

static void md_backups(const rep_run *run, FILE *out)
{
    const cJSON *results = run->results;
    if (cJSON_GetArraySize(rep_get(results, "backups")) +
            cJSON_GetArraySize(rep_get(results, "pitr")) ==
        0) {
        fprintf(out, "## Backups\n\nNo backup in this run.\n\n");
        return;
    }
    fprintf(out, "## Backups: what each one held\n\n");
    fprintf(out, "| backup | verdict | exercised | must present | lost | must absent | future | "
                 "window (captured) | indeterminate | cut | lo - R | hi - R | width |\n");
    fprintf(out, "|---|---|---|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|\n");
    const cJSON *b;
    char lo[48], hi[48], w[48];
    int any_pitr = 0;
    REP_FOR_EACH_TARGET(results, b)
    {
        int64_t R = rep_target_ref_ns(b);
        any_pitr |= rep_target_is_pitr(b);
        fprintf(out, "| ");
        rep_md_cell(out, rep_str(b, "id", "?"));
        fprintf(out, " | %s | %s | %.0f | %.0f | %.0f | %.0f | %.0f (%.0f) | %.0f | ",
                rep_str(b, "verdict", "?"), cJSON_IsTrue(rep_get(b, "exercised")) ? "yes" : "no",
                rep_num(b, "counts.must_present", 0), rep_num(b, "counts.lost", 0),
                rep_num(b, "counts.must_absent", 0), rep_num(b, "counts.future", 0),
                rep_num(b, "counts.window", 0), rep_num(b, "counts.window_captured", 0),
                rep_num(b, "counts.indeterminate", 0));
        const char *kind = rep_str(b, "cut.kind", NULL);
        if (kind) {
            rel(rep_i64(b, "cut.lo_ns", 0), R, lo, sizeof lo);
            rel(rep_i64(b, "cut.hi_ns", 0), R, hi, sizeof hi);
            if (rep_has_num(b, "cut.width_ns"))
                rep_fmt_ns(rep_i64(b, "cut.width_ns", 0), 0, w, sizeof w);
            else
                snprintf(w, sizeof w, "-");
            fprintf(out, "%s | %s | %s | %s |\n", kind, lo, hi, w);
        } else {
            fprintf(out, "none | - | - | - |\n");
        }
    }
    fprintf(out, "\nR = CreateBackup sent, A = its response. An instant cut lies somewhere in "
                 "[lo, hi]; a fuzzy one spans [hi, lo] (no single instant explains it).");
    if (any_pitr)
        fprintf(out, " For a point-in-time restore, R is the requested restore time (PITR keeps "
                     "second granularity: writes completed before that second must be present, "
                     "writes sent after it ends must be absent).");
    fprintf(out, "\n\n");

    fprintf(out, "## Backups: timing\n\n");
    fprintf(out, "| backup | status | R to A | R to CreationDateTime | R to AVAILABLE | restore "
                 "request to ACTIVE | items | scan | scan rate | size |\n");
    fprintf(out, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    REP_FOR_EACH_TARGET(results, b)
    {
        int64_t R = rep_i64(b, "request_ns", 0);
        char ra[48], rc[48], rav[48], rest[48], items[48], scan[48], rate[48], size[48];
        dur(R, rep_i64(b, "ack_ns", 0), ra, sizeof ra);
        rel(rep_i64(b, "creation_time_ns", 0), R, rc, sizeof rc);
        dur(R, rep_i64(b, "available_ns", 0), rav, sizeof rav);
        dur(rep_i64(b, "restore.requested_ns", 0), rep_i64(b, "restore.active_ns", 0), rest,
            sizeof rest);
        double nitems = rep_num(b, "restore.items", -1), scan_s = rep_num(b, "restore.scan_s", -1);
        if (nitems >= 0)
            rep_fmt_count(nitems, items, sizeof items);
        else
            snprintf(items, sizeof items, "-");
        if (scan_s >= 0)
            snprintf(scan, sizeof scan, "%.3f s", scan_s);
        else
            snprintf(scan, sizeof scan, "-");
        if (scan_s > 0 && nitems >= 0)
            snprintf(rate, sizeof rate, "%.0f items/s", nitems / scan_s);
        else
            snprintf(rate, sizeof rate, "-");
        if (rep_has_num(b, "size_bytes"))
            rep_fmt_bytes(rep_num(b, "size_bytes", 0), size, sizeof size);
        else
            snprintf(size, sizeof size, "-");
        /* A restore that did not end ACTIVE says so instead of a duration. */
        const char *rst = rep_str(b, "restore.status", NULL);
        if (rst && strcmp(rst, "ACTIVE") != 0) snprintf(rest, sizeof rest, "%s", rst);
        fprintf(out, "| ");
        rep_md_cell(out, rep_str(b, "id", "?"));
        fprintf(out, " | ");
        if (rep_target_is_pitr(b))
            fprintf(out, "point-in-time restore");
        else
            rep_md_cell(out,
                        rep_str(b, "status", rep_has_num(b, "available_ns") ? "AVAILABLE" : "-"));
        if (rep_str(b, "error", NULL)) {
            fprintf(out, ": ");
            rep_md_cell(out, rep_str(b, "error", NULL));
        }
        fprintf(out, " | %s | %s | %s | %s | %s | %s | %s | %s |\n", ra, rc, rav, rest, items, scan,
                rate, size);
    }
    /* Why a target was not checked, and the check stage's notes: a note that several
     * targets share is written once, naming them all. */
    int any = 0, ti = 0;
    REP_FOR_EACH_TARGET(results, b)
    {
        const cJSON *note;
        cJSON_ArrayForEach(note, rep_get(b, "notes"))
        {
            if (!cJSON_IsString(note) || md_note_seen_before(results, ti, note->valuestring))
                continue;
            if (!any) fprintf(out, "\nNotes:\n\n");
            any = 1;
            fprintf(out, "- ");
            md_note_owners(results, out, note->valuestring);
            fprintf(out, ": ");
            rep_md_cell(out, note->valuestring);
            fprintf(out, "\n");
        }
        ti++;
    }
    const cJSON *note;
    cJSON_ArrayForEach(note, rep_get(results, "notes"))
    {
        if (!cJSON_IsString(note)) continue;
        if (!any) fprintf(out, "\nNotes:\n\n");
        any = 1;
        fprintf(out, "- run: ");
        rep_md_cell(out, note->valuestring);
        fprintf(out, "\n");
    }
    fprintf(out, "\n");
}

static void md_finding_row(FILE *out, const char *where, const cJSON *f)
{
    fprintf(out, "| ");
    rep_md_cell(out, where);
    fprintf(out, " | %s | ", rep_finding_is_violation(f) ? "violation" : "observation");
    rep_md_cell(out, rep_str(f, "kind", "?"));
    fprintf(out, " | ");
    rep_md_cell(out, rep_str(f, "key", ""));
    fprintf(out, " | ");
    const cJSON *id;
    int first = 1;
    cJSON_ArrayForEach(id, rep_get(f, "op_ids"))
    {
        if (!first) fprintf(out, ", ");
        first = 0;
        if (cJSON_IsString(id))
            rep_md_cell(out, id->valuestring);
        else if (cJSON_IsNumber(id))
            fprintf(out, "%.0f", id->valuedouble);
    }
    int listed = cJSON_GetArraySize(rep_get(f, "op_ids"));
    if (rep_num(f, "op_ids_total", 0) > listed)
        fprintf(out, " (%.0f in all)", rep_num(f, "op_ids_total", 0));
    fprintf(out, " | ");
    rep_md_cell(out, rep_str(f, "detail", ""));
    fprintf(out, " |\n");
}

/* Lists findings of one severity from every backup and the source; returns how many. */
static long md_findings_of(const rep_run *run, FILE *out, int violations, long *shown)
{
    long n = 0;
    const cJSON *b, *f;
    REP_FOR_EACH_TARGET(run->results, b)
    {
        cJSON_ArrayForEach(f, rep_get(b, "findings"))
        {
            if (rep_finding_is_violation(f) != violations) continue;
            if (n == 0)
                fprintf(out,
                        "\n### %s\n\n| where | severity | kind | key | op ids | detail |\n"
                        "|---|---|---|---|---|---|\n",
                        violations ? "Violations" : "Observations");
            n++;
            if (*shown < MD_MAX_FINDINGS) {
                md_finding_row(out, rep_str(b, "id", "?"), f);
                (*shown)++;
            }
        }
    }
    cJSON_ArrayForEach(f, rep_get(run->results, "source.findings"))
    {
        if (rep_finding_is_violation(f) != violations) continue;
        if (n == 0)
            fprintf(out,
                    "\n### %s\n\n| where | severity | kind | key | op ids | detail |\n"
                    "|---|---|---|---|---|---|\n",
                    violations ? "Violations" : "Observations");
        n++;
        if (*shown < MD_MAX_FINDINGS) {
            md_finding_row(out, "source", f);
            (*shown)++;
        }
    }
    return n;
}

static void md_findings(const rep_run *run, FILE *out)
{
    fprintf(out, "## Findings\n");
    long shown = 0;
    long v = md_findings_of(run, out, 1, &shown);
    long o = md_findings_of(run, out, 0, &shown);
    rep_summary sum;
    rep_summary_of(run->results, &sum);
    if (v + o == 0 && sum.checked == 0 && sum.backups + sum.pitr > 0)
        fprintf(out, "\nNone, but no backup or restore could be checked: there was nothing to "
                     "find them in.\n");
    else if (v + o == 0 && sum.unchecked)
        fprintf(out,
                "\nNone in what could be checked: every acknowledged write was where the "
                "profile requires (%d backup%s or restore%s not checked).\n",
                sum.unchecked, sum.unchecked == 1 ? "" : "s", sum.unchecked == 1 ? "" : "s");
    else if (v + o == 0)
        fprintf(out, "\nNone: every acknowledged write was where the profile requires.\n");
    else if (v + o > shown)
        fprintf(out, "\n%ld more not shown here: see report.html or results.json.\n",
                v + o - shown);
    fprintf(out, "\n");
}

static void md_costs(const rep_run *run, FILE *out)
{
    const cJSON *c = rep_get(run->results, "costs");
    if (!cJSON_IsObject(c)) return;
    rep_cost cost;
    int recomputed = 0;
    int have = rep_costs_of(run->results, &cost, &recomputed) == 0;
    char q[64];
    fprintf(out, "## Costs (estimate)\n\n");
    fprintf(out, "Prices for ");
    rep_md_cell(out, rep_str(c, "pricing.region", "?"));
    fprintf(out, " as of ");
    rep_md_cell(out, rep_str(c, "pricing.as_of", "?"));
    fprintf(out, " (on-demand; sizes in binary units, 1 GB = 2^30 bytes). On the embedded "
                 "emulator nothing is billed: this is what the same run would cost on AWS.\n\n");
    fprintf(out, "| item | quantity | USD |\n|---|--:|--:|\n");
    struct {
        const char *name, *field;
        int bytes;
        double usd;
    } rows[] = {{"writes", "wru", 0, cost.writes},
                {"reads (scans of restored tables included)", "rru", 0, cost.reads},
                {"backup storage", "backup_bytes", 1, cost.backup_storage},
                {"restores", "restore_bytes", 1, cost.restores}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (rows[i].bytes)
            rep_fmt_bytes(rep_num(c, rows[i].field, 0), q, sizeof q);
        else
            rep_fmt_count(rep_num(c, rows[i].field, 0), q, sizeof q);
        fprintf(out, "| %s | %s%s | ", rows[i].name, q,
                rows[i].bytes ? "" : (i == 0 ? " WRU" : " RRU"));
        if (have)
            fprintf(out, "%.6f |\n", rows[i].usd);
        else
            fprintf(out, "- |\n");
    }
    if (have && cost.pitr > 0) fprintf(out, "| point-in-time recovery | | %.6f |\n", cost.pitr);
    if (rep_has_num(c, "usd"))
        fprintf(out, "| **total** | | **%.6f** |\n\n", rep_num(c, "usd", 0));
    else
        fprintf(out, "| **total** | | - |\n\n");
    if (rep_str(c, "note", NULL)) {
        rep_md_cell(out, rep_str(c, "note", NULL));
        fprintf(out, "\n\n");
    }
    if (recomputed)
        fprintf(out, "Lines split with the built-in prices; backup storage prorated over the "
                     "time the backups were kept.\n\n");
}

static void md_availability(const rep_run *run, FILE *out)
{
    const cJSON *a = rep_get(run->results, "availability");
    if (!cJSON_IsObject(a)) return;
    const cJSON *during = rep_get(a, "during_backup"), *outside = rep_get(a, "outside");
    fprintf(out, "## Availability during backups\n\n");
    const char *means = rep_str(a, "during_means", NULL);
    if (means) {
        fprintf(out, "During = ");
        rep_md_cell(out, means);
        fprintf(out, "; outside = every other operation.");
    } else {
        fprintf(out, "Operations while a backup or restore was in flight, against the rest of "
                     "the run.");
    }
    fprintf(out, " Latencies of a side without operations are shown as -.\n\n"
                 "| | during backups | outside |\n|---|--:|--:|\n");
    /* Every numeric field either side has, in the order the results list them. */
    const cJSON *m;
    const cJSON *sides[2] = {during, outside};
    for (int s = 0; s < 2; s++) {
        cJSON_ArrayForEach(m, sides[s])
        {
            if (!cJSON_IsNumber(m)) continue;
            if (s == 1 && cJSON_GetObjectItemCaseSensitive(during, m->string))
                continue; /* already listed */
            fprintf(out, "| ");
            rep_md_cell(out, m->string);
            for (int k = 0; k < 2; k++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(sides[k], m->string);
                /* A side with no operation has no latency: its 0 would read as fast. */
                int no_ops = rep_num(sides[k], "ops", 1) == 0 && strstr(m->string, "_ms");
                if (cJSON_IsNumber(v) && !no_ops)
                    fprintf(out, " | %.10g", v->valuedouble);
                else
                    fprintf(out, " | -");
            }
            fprintf(out, " |\n");
        }
    }
    fprintf(out, "\n");
}

static void md_source(const rep_run *run, FILE *out)
{
    const cJSON *s = rep_get(run->results, "source");
    if (!cJSON_IsObject(s)) return;
    fprintf(out, "## Source table\n\n");
    const char *skipped = rep_not_checked_reason(s);
    if (skipped) {
        fprintf(out, "Not checked: ");
        rep_md_cell(out, skipped);
        fprintf(out, "\n\n");
        return;
    }
    char items[48];
    rep_fmt_count(rep_num(s, "items", 0), items, sizeof items);
    int nf = cJSON_GetArraySize(rep_get(s, "findings"));
    const char *verdict = rep_str(s, "verdict", NULL);
    fprintf(out, "Scanned after the restores: %s items", items);
    if (verdict) fprintf(out, ", verdict **%s**", verdict);
    if (rep_str(s, "rule", NULL)) {
        fprintf(out, " (rule: ");
        rep_md_cell(out, rep_str(s, "rule", NULL));
        fprintf(out, ")");
    }
    if (nf == 0 && (!verdict || !strcmp(verdict, "pass")))
        fprintf(out, "; no finding: the table kept every acknowledged write and the restores "
                     "left it untouched.\n\n");
    else
        fprintf(out, "; %d finding%s (listed above, where = source).\n\n", nf, nf == 1 ? "" : "s");
}

int rep_render_md(const rep_run *run, FILE *out, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    md_header(run, out);
    md_backups(run, out);
    md_findings(run, out);
    md_costs(run, out);
    md_availability(run, out);
    md_source(run, out);
    fprintf(out, "<sub>Rendered from results.json by backcheck ");
    rep_md_cell(out, rep_str(run->results, "backcheck_version", "?"));
    fprintf(out, "; reports never recompute a verdict.</sub>\n");
    return ferror(out) ? -1 : 0;
}
