/*
 * html.c - report.html: one self-contained file (inline CSS and SVG; no script, font or
 * network request) that shows what each backup held and why the verdict was given.
 *
 * Per backup: a whole-run and a zoomed SVG timeline of writes (stacked per pixel column
 * by class: captured, not captured, indeterminate, violation; see timeline.h), with the
 * markers R (CreateBackup sent), A (its response), C (BackupCreationDateTime) and AV
 * (AVAILABLE), the guarantee band and the inferred cut (an instant interval, or the fuzzy
 * band hatched). Violating writes are marked and linked to their finding, and each
 * finding links back to the timeline. Then throughput and latency (p50/p99/max per time
 * bucket, from rep_hist) with fault windows shaded, the tables of report.md, costs, and
 * the scenario as run. Large histories are bucketed per pixel column, so the file size
 * depends on the number of backups, not of operations.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reports/hist.h"
#include "reports/internal.h"
#include "reports/pricing.h"
#include "reports/timeline.h"

#define SVG_W 960
#define PLOT_X0 60
#define PLOT_W 880
#define COL_PX 2
#define NCOLS (PLOT_W / COL_PX)
#define TL_TOP 22
#define TL_H 100
#define MAX_VIOLATION_MARKS 200 /* per view: beyond that the band is solid red anyway */

static const char *class_colour[REP_W_NCLASS] = {"#2e9e44", "#f0a020", "#9a9a9a", "#d62728"};
static const char *class_name[REP_W_NCLASS] = {"captured", "not captured", "indeterminate",
                                               "violation"};

typedef struct view {
    int64_t x0, x1; /* time range */
    int64_t origin; /* tick labels are relative to this */
} view;

static double xpos(const view *v, int64_t t)
{
    double x = PLOT_X0 + (double)(t - v->x0) * PLOT_W / (double)(v->x1 - v->x0);
    return x < PLOT_X0 ? PLOT_X0 : x > PLOT_X0 + PLOT_W ? PLOT_X0 + PLOT_W : x;
}

static int in_view(const view *v, int64_t t)
{
    return t >= v->x0 && t <= v->x1;
}

static void esc(FILE *out, const char *s)
{
    rep_xml_escape(out, s);
}

/* Ticks at a 1/2/5 x 10^k step giving about 8 labels, relative to v->origin. */
static void axis(FILE *out, const view *v, int y)
{
    double span = (double)(v->x1 - v->x0), raw = span / 8, step = 1;
    while (step * 10 <= raw)
        step *= 10;
    while (step > raw && step > 1)
        step /= 10;
    step = raw >= step * 5 ? step * 5 : raw >= step * 2 ? step * 2 : step;
    double first = ceil((double)(v->x0 - v->origin) / step) * step;
    fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\"/>", PLOT_X0, y,
            PLOT_X0 + PLOT_W, y);
    for (double r = first; r <= (double)(v->x1 - v->origin); r += step) {
        double x = xpos(v, v->origin + (int64_t)r);
        char lab[48];
        if (step >= 1e9)
            snprintf(lab, sizeof lab, "%gs", r / 1e9);
        else if (step >= 1e6)
            snprintf(lab, sizeof lab, "%gms", r / 1e6);
        else
            snprintf(lab, sizeof lab, "%gus", r / 1e3);
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#555\"/>"
                "<text x=\"%.1f\" y=\"%d\" class=\"tick\">%s</text>",
                x, y, x, y + 4, x, y + 15, lab);
    }
}

static void vband(FILE *out, const view *v, int64_t a, int64_t b, int y, int h, const char *cls,
                  const char *fill, const char *title)
{
    if (b < v->x0 || a > v->x1) return;
    double xa = xpos(v, a), xb = xpos(v, b);
    if (xb - xa < 2) /* keep a narrow interval visible */
        xa -= 1, xb += 1;
    fprintf(out, "<rect class=\"%s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">",
            cls, xa, y, xb - xa, h, fill);
    if (title) {
        fputs("<title>", out);
        esc(out, title);
        fputs("</title>", out);
    }
    fputs("</rect>", out);
}

static void marker(FILE *out, const view *v, int64_t t, const char *name, const char *colour,
                   const char *dash, int label_row, const char *title)
{
    if (!t || !in_view(v, t)) return;
    double x = xpos(v, t);
    fprintf(out,
            "<g class=\"marker marker-%s\"><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
            "stroke=\"%s\" stroke-width=\"1.5\"%s%s%s/><text x=\"%.1f\" y=\"%d\" fill=\"%s\" "
            "class=\"mk\">%s</text><title>",
            name, x, TL_TOP - 2, x, TL_TOP + TL_H, colour, dash ? " stroke-dasharray=\"" : "",
            dash ? dash : "", dash ? "\"" : "", x + 2, 9 + 9 * label_row, colour, name);
    esc(out, title);
    fputs("</title></g>", out);
}

typedef struct backup_ctx {
    const rep_run *run;
    const cJSON *b;
    const char *id;
    int index;
    const rep_timeline *tl;
    const uint8_t *cls;
    int64_t R, A, C, AV, lo, hi;
    int64_t T, T0, T1; /* point-in-time restore: requested time, its second [T0, T1) */
    const char *cut_kind;
    int64_t gb, ga;
} backup_ctx;

/* The index of the finding that names wid (for linking a marker to it), or -1. */
static int finding_of(const cJSON *b, const char *wid)
{
    int i = 0;
    const cJSON *f, *id;
    cJSON_ArrayForEach(f, rep_get(b, "findings"))
    {
        cJSON_ArrayForEach(id, rep_get(f, "op_ids")) if (cJSON_IsString(id) &&
                                                         !strcmp(id->valuestring, wid)) return i;
        i++;
    }
    return -1;
}

static void timeline_svg(FILE *out, const backup_ctx *c, const view *v, const char *which)
{
    int height = TL_TOP + TL_H + 22;
    fprintf(out,
            "<svg class=\"timeline %s\" id=\"tl-%s-%s\" xmlns=\"http://www.w3.org/2000/svg\" "
            "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">",
            which, c->id, which, SVG_W, height, SVG_W, height);
    fprintf(out, "<title>backup ");
    esc(out, c->id);
    fprintf(out, ": writes over time (%s)</title>", which);
    fprintf(out,
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" "
            "stroke=\"#ccc\"/>",
            PLOT_X0, TL_TOP, PLOT_W, TL_H);
    /* The guarantee band: writes outside it have a required fate. A point-in-time
     * restore's band is the second its requested time falls in (PITR's granularity). */
    if (c->T0 && c->T1 > c->T0) {
        vband(out, v, c->T0, c->T1, TL_TOP, TL_H, "guarantee", "#fff4c2",
              "guarantee window: the second of the requested restore time");
    } else if (c->R) {
        char t[128];
        snprintf(t, sizeof t, "guarantee window: R - %.3f s .. A + %.3f s", (double)c->gb / 1e9,
                 (double)c->ga / 1e9);
        vband(out, v, c->R - c->gb, (c->A ? c->A : c->R) + c->ga, TL_TOP, TL_H, "guarantee",
              "#fff4c2", t);
    }
    /* The cut: an interval for an instant cut, the hatched band for a fuzzy one. */
    if (c->cut_kind && c->lo && c->hi) {
        char t[160], w[48];
        int fuzzy = !strcmp(c->cut_kind, "fuzzy");
        rep_fmt_ns(fuzzy ? c->lo - c->hi : c->hi - c->lo, 0, w, sizeof w);
        snprintf(t, sizeof t, "%s cut %s [%s], width %s", c->cut_kind, fuzzy ? "band" : "interval",
                 fuzzy ? "hi .. lo" : "lo .. hi", w);
        vband(out, v, fuzzy ? c->hi : c->lo, fuzzy ? c->lo : c->hi, TL_TOP, TL_H,
              fuzzy ? "cut cut-fuzzy" : "cut cut-instant", fuzzy ? "url(#hatch)" : "#6fa8dc", t);
    }
    /* Writes per pixel column, stacked by class. */
    if (c->tl && c->cls) {
        static unsigned counts[NCOLS][REP_W_NCLASS];
        memset(counts, 0, sizeof counts);
        unsigned maxc = 0;
        for (size_t i = 0; i < c->tl->nw; i++) {
            if (c->cls[i] >= REP_W_NCLASS) continue;
            const rep_twrite *w = &c->tl->w[i];
            int64_t t = w->invoke_ns + (w->complete_ns - w->invoke_ns) / 2;
            if (!in_view(v, t)) continue;
            int col = (int)((double)(t - v->x0) * NCOLS / (double)(v->x1 - v->x0));
            if (col >= NCOLS) col = NCOLS - 1;
            counts[col][c->cls[i]]++;
        }
        for (int col = 0; col < NCOLS; col++) {
            unsigned s = 0;
            for (int k = 0; k < REP_W_NCLASS; k++)
                s += counts[col][k];
            if (s > maxc) maxc = s;
        }
        if (maxc) {
            double scale = (double)(TL_H - 4) / maxc;
            int base = TL_TOP + TL_H;
            for (int k = 0; k < REP_W_NCLASS; k++) {
                /* One path per class: a rectangle per non-empty column. */
                int any = 0;
                for (int col = 0; col < NCOLS; col++) {
                    if (!counts[col][k]) continue;
                    unsigned below = 0;
                    for (int j = 0; j < k; j++)
                        below += counts[col][j];
                    double y1 = base - below * scale, h = counts[col][k] * scale;
                    if (h < 1) h = 1;
                    if (!any)
                        fprintf(out, "<path class=\"w-%d\" fill=\"%s\" d=\"", k, class_colour[k]);
                    any = 1;
                    fprintf(out, "M%d %.1fh%dv%.1fh-%dz", PLOT_X0 + col * COL_PX, y1 - h, COL_PX, h,
                            COL_PX);
                }
                if (any) {
                    fprintf(out, "\"><title>%s</title></path>", class_name[k]);
                }
            }
        }
        /* Violating writes: a mark each, linked to the finding that names them. */
        int marks = 0;
        for (size_t i = 0; i < c->tl->nw && marks < MAX_VIOLATION_MARKS; i++) {
            if (c->cls[i] != REP_W_VIOLATION) continue;
            const rep_twrite *w = &c->tl->w[i];
            if (!in_view(v, w->invoke_ns) && !in_view(v, w->complete_ns)) continue;
            double xa = xpos(v, w->invoke_ns), xb = xpos(v, w->complete_ns);
            int fi = finding_of(c->b, rep_twid(c->tl, w));
            fprintf(out, "<a href=\"#find-%s-%d\"><g class=\"violation-mark\">", c->id, fi);
            fprintf(out,
                    "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"4\" fill=\"#d62728\"/>"
                    "<path d=\"M%.1f %dl-5 -8h10z\" fill=\"#d62728\"/><title>violation: write ",
                    xa, TL_TOP + 2, xb - xa < 2 ? 2 : xb - xa, (xa + xb) / 2, TL_TOP + 12);
            esc(out, rep_twid(c->tl, w));
            fputs(" key ", out);
            esc(out, rep_tkey(c->tl, w->key));
            fputs("</title></g></a>", out);
            marks++;
        }
    }
    marker(out, v, c->R, "R", "#1f4e9e", NULL, 0, "R: CreateBackup sent");
    marker(out, v, c->T, "T", "#1f4e9e", NULL, 0, "T: requested restore time");
    marker(out, v, c->A, "A", "#1f4e9e", "4 2", 1, "A: CreateBackup answered");
    marker(out, v, c->C, "C", "#7b3fa0", "1 2", 0, "C: BackupCreationDateTime");
    marker(out, v, c->AV, "AV", "#111111", NULL, 1, "AV: backup AVAILABLE");
    axis(out, v, TL_TOP + TL_H);
    fputs("</svg>\n", out);
}

static void html_head(FILE *out, const rep_run *run)
{
    const char *verdict = rep_str(run->results, "verdict", "?");
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
          "<meta name=\"viewport\" content=\"width=device-width\"/><title>backcheck ",
          out);
    esc(out, verdict);
    fputs(": ", out);
    esc(out, rep_str(run->results, "scenario", "?"));
    fputs("</title>\n<style>\n"
          "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:980px;color:#222}\n"
          "h1{font-size:1.5em}h2{border-bottom:1px solid #ddd;margin-top:1.6em}\n"
          "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:2px "
          "6px;text-align:right}th{background:#f3f3f3}td.l,th.l{text-align:left}\n"
          ".verdict{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff}\n"
          ".v-pass{background:#2e9e44}.v-fail{background:#d62728}.v-inconclusive{background:#"
          "888}\n"
          "svg{display:block;margin:.3em 0}svg .tick{font-size:10px;text-anchor:middle;fill:#555}"
          "svg .mk{font-size:10px;font-weight:bold}\n"
          ".legend span{display:inline-block;margin-right:1em}.sw{display:inline-block;width:"
          "12px;height:12px;vertical-align:middle;margin-right:4px}\n"
          "pre{background:#f6f6f6;padding:.6em;overflow:auto;font-size:12px}\n"
          ".finding.violation{border-left:4px solid #d62728;padding-left:6px}"
          ".finding.observation{border-left:4px solid #f0a020;padding-left:6px}\n"
          ".note{color:#666;font-size:12px}\n"
          "</style></head><body>\n",
          out);
    /* Shared SVG definitions (the hatch of fuzzy bands). */
    fputs("<svg width=\"0\" height=\"0\" style=\"position:absolute\" "
          "xmlns=\"http://www.w3.org/2000/svg\"><defs><pattern id=\"hatch\" width=\"6\" "
          "height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect "
          "width=\"6\" height=\"6\" fill=\"#f7c6c6\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" "
          "stroke=\"#d62728\" stroke-width=\"3\"/></pattern></defs></svg>\n",
          out);
}

static void header(FILE *out, const rep_run *run)
{
    const cJSON *r = run->results;
    const char *verdict = rep_str(r, "verdict", "?");
    fputs("<h1>backcheck <span class=\"verdict v-", out);
    esc(out, verdict);
    fputs("\">", out);
    esc(out, verdict);
    fprintf(out, "</span> <small>exit %d</small></h1>\n<table>", rep_verdict_exit(verdict));
    const char *rows[][2] = {{"scenario", "scenario"},    {"profile", "profile"},
                             {"target", "target.kind"},   {"backup model", "target.backup_model"},
                             {"region", "target.region"}, {"backcheck", "backcheck_version"}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *v = rep_str(r, rows[i][1], NULL);
        if (!v) continue;
        fprintf(out, "<tr><th class=\"l\">%s</th><td class=\"l\">", rows[i][0]);
        esc(out, v);
        fputs("</td></tr>", out);
    }
    if (rep_target_endpoint(rep_get(r, "target"))) {
        fputs("<tr><th class=\"l\">endpoint</th><td class=\"l\">", out);
        esc(out, rep_target_endpoint(rep_get(r, "target")));
        fputs("</td></tr>", out);
    }
    fprintf(out, "<tr><th class=\"l\">seed</th><td class=\"l\">%.0f</td></tr>",
            rep_num(r, "seed", 0));
    int64_t gb, ga;
    rep_guarantee_ns(r, &gb, &ga);
    fprintf(out,
            "<tr><th class=\"l\">guarantee window</th><td class=\"l\">%.3f s before R, "
            "%.3f s after A",
            (double)gb / 1e9, (double)ga / 1e9);
    if (cJSON_IsObject(rep_get(r, "guarantee")))
        fprintf(out, "; transactions %s%s",
                cJSON_IsTrue(rep_get(r, "guarantee.atomic_txn")) ? "atomic" : "may be torn",
                cJSON_IsTrue(rep_get(r, "guarantee.single_cut")) ? "; one instant cut" : "");
    fputs("</td></tr>", out);
    rep_summary sum;
    rep_summary_of(r, &sum);
    fprintf(out,
            "<tr><th class=\"l\">checked</th><td class=\"l\">%d backup%s, %d point-in-time "
            "restore%s: %d exercised, %d not checked; %ld violation%s, %ld observation%s</td></tr>",
            sum.backups, sum.backups == 1 ? "" : "s", sum.pitr, sum.pitr == 1 ? "" : "s",
            sum.exercised, sum.unchecked, sum.violations, sum.violations == 1 ? "" : "s",
            sum.observations, sum.observations == 1 ? "" : "s");
    const cJSON *f;
    cJSON_ArrayForEach(f, rep_get(run->scenario, "faults"))
    {
        fputs("<tr><th class=\"l\">fault</th><td class=\"l\">", out);
        esc(out, rep_str(f, "spec", rep_str(f, "kind", "?")));
        if (rep_has_num(f, "at_s")) fprintf(out, " from %g s", rep_num(f, "at_s", 0));
        if (rep_has_num(f, "for_s")) fprintf(out, " for %g s", rep_num(f, "for_s", 0));
        fputs("</td></tr>", out);
    }
    if (rep_has_num(r, "timings.run_s")) {
        char over[64];
        rep_fmt_rate_span(r, over, sizeof over);
        fprintf(out,
                "<tr><th class=\"l\">run</th><td class=\"l\">%.1f s, %.0f ops, %.0f ops/s%s, "
                "p50 %.3f ms, p99 %.3f ms</td></tr>",
                rep_num(r, "timings.run_s", 0), rep_num(r, "timings.ops", 0),
                rep_num(r, "timings.ops_per_s", 0), over, rep_num(r, "timings.latency_ms.p50", 0),
                rep_num(r, "timings.latency_ms.p99", 0));
    }
    const char *why = rep_str(r, "verdict_reason", NULL);
    if (why && *why) {
        fputs("<tr><th class=\"l\">why</th><td class=\"l\">", out);
        esc(out, why);
        fputs("</td></tr>", out);
    }
    fputs("</table>\n", out);
    if (!strcmp(verdict, "inconclusive") && sum.unchecked)
        fprintf(out,
                "<p>The run proved nothing either way: %d of %d backups and restores could "
                "not be checked (see their notes) and none was exercised.</p>\n",
                sum.unchecked, sum.backups + sum.pitr);
    else if (!strcmp(verdict, "inconclusive"))
        fputs("<p>No backup was exercised (its cut bounded on both sides by acknowledged "
              "writes): the run proved nothing either way.</p>\n",
              out);
    fputs("<p class=\"legend\">", out);
    for (int k = 0; k < REP_W_NCLASS; k++)
        fprintf(out, "<span><i class=\"sw\" style=\"background:%s\"></i>%s</span>", class_colour[k],
                class_name[k]);
    fputs("<span><i class=\"sw\" style=\"background:#fff4c2\"></i>guarantee window</span>"
          "<span><i class=\"sw\" style=\"background:#6fa8dc\"></i>instant cut interval</span>"
          "<span><i class=\"sw\" style=\"background:#d62728;opacity:.5\"></i>fuzzy cut "
          "band</span><br/>R = CreateBackup sent, A = answered, C = BackupCreationDateTime, "
          "AV = AVAILABLE. Writes are drawn at the middle of [invoke, complete].</p>\n",
          out);
}

static void cell_ns(FILE *out, int64_t d, int have, int sign)
{
    char buf[48];
    if (!have) {
        fputs("<td>-</td>", out);
        return;
    }
    rep_fmt_ns(d, sign, buf, sizeof buf);
    fprintf(out, "<td>%s</td>", buf);
}

static void backup_tables(FILE *out, const backup_ctx *c)
{
    const cJSON *b = c->b;
    fputs("<table><tr><th>verdict</th><th>exercised</th><th>must present</th><th>lost</th>"
          "<th>must absent</th><th>future</th><th>window</th><th>window captured</th>"
          "<th>indeterminate</th></tr><tr>",
          out);
    fputs("<td>", out);
    esc(out, rep_str(b, "verdict", "?"));
    fprintf(out, "</td><td>%s</td>", cJSON_IsTrue(rep_get(b, "exercised")) ? "yes" : "no");
    const char *cn[] = {"must_present",    "lost",         "must_absent", "future", "window",
                        "window_captured", "indeterminate"};
    for (size_t i = 0; i < sizeof cn / sizeof cn[0]; i++) {
        char f[64];
        snprintf(f, sizeof f, "counts.%s", cn[i]);
        fprintf(out, "<td>%.0f</td>", rep_num(b, f, 0));
    }
    fputs("</tr></table>\n<table><tr><th class=\"l\">cut</th><th>lo - R</th><th>hi - R</th>"
          "<th>width</th><th>lo - A</th><th>hi - A</th><th>lo - C</th><th>hi - C</th></tr><tr>",
          out);
    fputs("<td class=\"l\">", out);
    esc(out, c->cut_kind ? c->cut_kind : "none");
    fputs("</td>", out);
    int hc = c->cut_kind && c->lo && c->hi;
    int64_t ref = c->R ? c->R : c->T; /* a point-in-time restore: its requested time */
    cell_ns(out, c->lo - ref, hc && ref, 1);
    cell_ns(out, c->hi - ref, hc && ref, 1);
    cell_ns(out, rep_i64(b, "cut.width_ns", 0), hc && rep_has_num(b, "cut.width_ns"), 0);
    cell_ns(out, c->lo - c->A, hc && c->A, 1);
    cell_ns(out, c->hi - c->A, hc && c->A, 1);
    cell_ns(out, c->lo - c->C, hc && c->C, 1);
    cell_ns(out, c->hi - c->C, hc && c->C, 1);
    fputs("</tr></table>\n<table><tr><th class=\"l\">status</th><th>R to A</th><th>R to C</th>"
          "<th>R to AVAILABLE</th><th>restore to ACTIVE</th><th>items</th><th>scan</th>"
          "<th>scan rate</th><th>size</th></tr><tr><td class=\"l\">",
          out);
    if (c->T)
        fputs("point-in-time restore", out);
    else
        esc(out, rep_str(b, "status", c->AV ? "AVAILABLE" : "-"));
    if (rep_str(b, "error", NULL)) {
        fputs(": ", out);
        esc(out, rep_str(b, "error", NULL));
    }
    fputs("</td>", out);
    cell_ns(out, c->A - c->R, c->A && c->R, 0);
    cell_ns(out, c->C - c->R, c->C && c->R, 1);
    cell_ns(out, c->AV - c->R, c->AV && c->R, 0);
    int64_t rq = rep_i64(b, "restore.requested_ns", 0), ra = rep_i64(b, "restore.active_ns", 0);
    const char *rst = rep_str(b, "restore.status", NULL);
    if (rst && strcmp(rst, "ACTIVE") != 0) {
        /* A restore that did not end ACTIVE says so instead of a duration. */
        fputs("<td>", out);
        esc(out, rst);
        fputs("</td>", out);
    } else {
        cell_ns(out, ra - rq, rq && ra, 0);
    }
    double items = rep_num(b, "restore.items", -1), scan = rep_num(b, "restore.scan_s", -1);
    char buf[64];
    if (items >= 0)
        fprintf(out, "<td>%.0f</td>", items);
    else
        fputs("<td>-</td>", out);
    if (scan >= 0)
        fprintf(out, "<td>%.3f s</td>", scan);
    else
        fputs("<td>-</td>", out);
    if (scan > 0 && items >= 0)
        fprintf(out, "<td>%.0f items/s</td>", items / scan);
    else
        fputs("<td>-</td>", out);
    if (rep_has_num(b, "size_bytes")) {
        rep_fmt_bytes(rep_num(b, "size_bytes", 0), buf, sizeof buf);
        fprintf(out, "<td>%s</td>", buf);
    } else {
        fputs("<td>-</td>", out);
    }
    fputs("</tr></table>\n", out);
}

static void findings_list(FILE *out, const cJSON *findings, const char *id, int has_timeline)
{
    int n = cJSON_GetArraySize(findings);
    if (!n) {
        fputs("<p>No findings.</p>\n", out);
        return;
    }
    /* Violations first, then observations; anchors keep the finding's index. */
    for (int pass = 1; pass >= 0; pass--) {
        int i = 0;
        const cJSON *f, *op;
        cJSON_ArrayForEach(f, findings)
        {
            int v = rep_finding_is_violation(f);
            if (v == pass) {
                fprintf(out, "<div class=\"finding %s\" id=\"find-",
                        v ? "violation" : "observation");
                esc(out, id);
                fprintf(out, "-%d\"><b>%s</b> ", i, v ? "violation" : "observation");
                esc(out, rep_str(f, "kind", "?"));
                fputs(" &#183; key <code>", out);
                esc(out, rep_str(f, "key", ""));
                fputs("</code> &#183; ops", out);
                cJSON_ArrayForEach(op, rep_get(f, "op_ids"))
                {
                    fputs(" <code>", out);
                    if (cJSON_IsString(op))
                        esc(out, op->valuestring);
                    else if (cJSON_IsNumber(op))
                        fprintf(out, "%.0f", op->valuedouble);
                    fputs("</code>", out);
                }
                if (has_timeline) {
                    fputs(" &#183; <a href=\"#tl-", out);
                    esc(out, id);
                    fputs("-zoom\">timeline</a>", out);
                }
                fputs("<br/>", out);
                esc(out, rep_str(f, "detail", ""));
                fputs("</div>\n", out);
            }
            i++;
        }
    }
}

static void backup_section(FILE *out, const rep_run *run, const rep_timeline *tl, const cJSON *b,
                           int index, char *err, size_t errlen)
{
    backup_ctx c = {0};
    c.run = run;
    c.b = b;
    c.id = rep_str(b, "id", "?");
    c.index = index;
    c.tl = tl;
    c.R = rep_i64(b, "request_ns", 0);
    if (rep_target_is_pitr(b)) {
        c.T = rep_target_ref_ns(b);
        c.T0 = rep_i64(b, "pitr.truncated_ns", 0);
        c.T1 = c.T0 + rep_i64(b, "pitr.precision_ns", 0);
    }
    c.A = rep_i64(b, "ack_ns", 0);
    c.C = rep_i64(b, "creation_time_ns", 0);
    c.AV = rep_i64(b, "available_ns", 0);
    c.cut_kind = rep_str(b, "cut.kind", NULL);
    c.lo = rep_i64(b, "cut.lo_ns", 0);
    c.hi = rep_i64(b, "cut.hi_ns", 0);
    rep_guarantee_ns(run->results, &c.gb, &c.ga);

    fputs("<h2 id=\"backup-", out);
    esc(out, c.id);
    fputs(c.T ? "\">Point-in-time restore " : "\">Backup ", out);
    esc(out, c.id);
    fputs(" <span class=\"verdict v-", out);
    esc(out, rep_str(b, "verdict", "?"));
    fputs("\">", out);
    esc(out, rep_str(b, "verdict", "?"));
    fputs("</span></h2>\n", out);
    if (rep_str(b, "arn", NULL)) {
        fputs("<p class=\"note\">", out);
        esc(out, rep_str(b, "arn", NULL));
        fputs("</p>\n", out);
    }

    uint8_t *cls = NULL;
    if (tl && tl->nw) {
        cls = malloc(tl->nw);
        char snap[REP_PATH_MAX + 300];
        const char *rel = rep_str(b, "restore.snapshot", NULL);
        if (rel)
            snprintf(snap, sizeof snap, "%s/%s", run->dir, rel);
        else
            snprintf(snap, sizeof snap, "%s/snapshots/%s.jsonl", run->dir, c.id);
        if (cls && rep_timeline_classify(tl, snap, rep_get(b, "findings"), cls, err, errlen)) {
            fputs("<p class=\"note\">Timeline classes unavailable: ", out);
            esc(out, err);
            fputs("</p>\n", out);
            free(cls);
            cls = NULL;
            err[0] = '\0';
        }
    }
    c.cls = cls;

    /* Zoom: around R, A, C and the cut, padded by half the span (at least 20 ms). */
    int64_t zlo = c.R, zhi = c.A ? c.A : c.R;
    int64_t pts[] = {c.C, c.lo, c.hi, c.T};
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        if (!pts[i]) continue;
        if (!zlo || pts[i] < zlo) zlo = pts[i];
        if (pts[i] > zhi) zhi = pts[i];
    }
    if (zlo) {
        int64_t pad = (zhi - zlo) / 2;
        if (pad < 20 * 1000000LL) pad = 20 * 1000000LL;
        view zoom = {zlo - pad, zhi + pad, c.R ? c.R : c.T ? c.T : zlo};
        fprintf(out,
                "<h3>Around the cut <small class=\"note\">(time relative to %s)</small></h3>\n",
                c.R   ? "R"
                : c.T ? "T, the requested restore time"
                      : "the earliest instant shown");
        timeline_svg(out, &c, &zoom, "zoom");
    }
    int64_t s = tl ? tl->start_ns : 0, e = tl ? tl->end_ns : 0;
    int64_t ext[] = {c.R, c.A, c.C, c.AV, c.T};
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        if (!ext[i]) continue;
        if (!s || ext[i] < s) s = ext[i];
        if (ext[i] > e) e = ext[i];
    }
    if (s && e > s) {
        view whole = {s, e + (e - s) / 100, tl ? tl->start_ns : s};
        fputs("<h3>Whole run <small class=\"note\">(time since the run started)</small></h3>\n",
              out);
        timeline_svg(out, &c, &whole, "whole");
    }
    if (!tl)
        fputs("<p class=\"note\">history.jsonl not found: the timeline shows the markers "
              "only.</p>\n",
              out);
    backup_tables(out, &c);
    const cJSON *note;
    cJSON_ArrayForEach(note, rep_get(b, "notes"))
    {
        if (!cJSON_IsString(note)) continue;
        fputs("<p class=\"note\">", out);
        esc(out, note->valuestring);
        fputs("</p>\n", out);
    }
    fputs("<h3>Findings</h3>\n", out);
    findings_list(out, rep_get(b, "findings"), c.id, zlo != 0);
    free(cls);
}

/* Throughput and latency per time bucket, with fault windows and backups shaded. */
static void load_charts(FILE *out, const rep_run *run, const rep_timeline *tl)
{
    if (!tl || tl->nops == 0 || tl->end_ns <= tl->start_ns) return;
    int64_t span = tl->end_ns - tl->start_ns;
    /* One bucket per second, or more seconds per bucket so there are at most NCOLS/2. */
    int64_t bucket = 1000000000LL;
    while (span / bucket > NCOLS / 2)
        bucket *= 2;
    int nb = (int)(span / bucket) + 1;
    rep_hist *h = calloc((size_t)nb, sizeof *h);
    long *errs = calloc((size_t)nb, sizeof *errs);
    if (!h || !errs) {
        free(h);
        free(errs);
        return;
    }
    for (size_t i = 0; i < tl->nops; i++) {
        int64_t t = tl->op_t[i] - tl->start_ns;
        if (t < 0 || t > span) continue;
        int k = (int)(t / bucket);
        rep_hist_record(&h[k], tl->op_lat[i]);
        errs[k] += tl->op_err[i];
    }
    view v = {tl->start_ns, tl->start_ns + (int64_t)nb * bucket, tl->start_ns};
    double maxrate = 1, minlat = 1e18, maxlat = 1;
    for (int k = 0; k < nb; k++) {
        double rate = (double)h[k].count * 1e9 / (double)bucket;
        if (rate > maxrate) maxrate = rate;
        if (h[k].count) {
            double lo = (double)rep_hist_percentile(&h[k], 50);
            if (lo < minlat) minlat = lo;
            if ((double)h[k].max > maxlat) maxlat = (double)h[k].max;
        }
    }
    if (minlat > maxlat) minlat = maxlat / 10;
    double lmin = floor(log10(minlat > 1000 ? minlat : 1000)), lmax = ceil(log10(maxlat));
    if (lmax <= lmin) lmax = lmin + 1;
    const int H = 120, top = 10;
    for (int chart = 0; chart < 2; chart++) {
        fprintf(out,
                "<svg class=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">",
                chart ? "latency" : "throughput", SVG_W, top + H + 22, SVG_W, top + H + 22);
        fprintf(out, "<title>%s</title>",
                chart ? "latency p50/p99/max per bucket (log scale)" : "operations per second");
        fprintf(out,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" "
                "stroke=\"#ccc\"/>",
                PLOT_X0, top, PLOT_W, H);
        const cJSON *b;
        cJSON_ArrayForEach(b, rep_get(run->results, "backups"))
        {
            int64_t r = rep_i64(b, "request_ns", 0), av = rep_i64(b, "available_ns", 0);
            int64_t ra = rep_i64(b, "restore.active_ns", 0);
            char t[96];
            snprintf(t, sizeof t, "backup %s in flight", rep_str(b, "id", "?"));
            if (r) vband(out, &v, r, ra ? ra : av ? av : r, top, H, "inflight", "#dde8f7", t);
        }
        for (int i = 0; i < tl->nfaults; i++) {
            char t[96];
            snprintf(t, sizeof t, "fault: %s", tl->faults[i].kind);
            vband(out, &v, tl->faults[i].start_ns, tl->faults[i].end_ns, top, H, "fault", "#f4cccc",
                  t);
            if (in_view(&v, tl->faults[i].start_ns)) {
                fprintf(out, "<text x=\"%.1f\" y=\"%d\" class=\"mk\" fill=\"#a33\">",
                        xpos(&v, tl->faults[i].start_ns) + 2, top + 10);
                esc(out, tl->faults[i].kind);
                fputs("</text>", out);
            }
        }
        double bw = (double)PLOT_W / nb;
        if (chart == 0) {
            fputs("<path fill=\"#4a78b5\" d=\"", out);
            for (int k = 0; k < nb; k++) {
                double y = (double)h[k].count * 1e9 / (double)bucket * H / maxrate;
                if (y > 0)
                    fprintf(out, "M%.1f %.1fh%.1fv%.1fh%.1fz", PLOT_X0 + k * bw, top + H - y, bw, y,
                            -bw);
            }
            fputs("\"><title>ops/s</title></path><path fill=\"#d62728\" d=\"", out);
            for (int k = 0; k < nb; k++) {
                double y = (double)errs[k] * 1e9 / (double)bucket * H / maxrate;
                if (y > 0)
                    fprintf(out, "M%.1f %.1fh%.1fv%.1fh%.1fz", PLOT_X0 + k * bw, top + H - y, bw,
                            y < 1 ? 1 : y, -bw);
            }
            fprintf(out,
                    "\"><title>errors/s</title></path><text x=\"4\" y=\"%d\" "
                    "class=\"tick\" style=\"text-anchor:start\">%.0f/s</text>",
                    top + 8, maxrate);
        } else {
            const double pcts[] = {50, 99, 100};
            const char *colours[] = {"#2e6db4", "#f08a00", "#d62728"};
            for (int p = 0; p < 3; p++) {
                fprintf(out,
                        "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" "
                        "points=\"",
                        colours[p]);
                for (int k = 0; k < nb; k++) {
                    if (!h[k].count) continue;
                    double val = (double)rep_hist_percentile(&h[k], pcts[p]);
                    double l = log10(val > 1 ? val : 1);
                    double y = top + H - (l - lmin) / (lmax - lmin) * H;
                    if (y > top + H) y = top + H;
                    fprintf(out, "%.1f,%.1f ", PLOT_X0 + (k + 0.5) * bw, y);
                }
                fprintf(out, "\"><title>%s</title></polyline>",
                        p == 0   ? "p50"
                        : p == 1 ? "p99"
                                 : "max");
            }
            for (double l = lmin; l <= lmax; l++) {
                char lab[32];
                rep_fmt_ns((int64_t)pow(10, l), 0, lab, sizeof lab);
                double y = top + H - (l - lmin) / (lmax - lmin) * H;
                fprintf(out,
                        "<text x=\"4\" y=\"%.1f\" class=\"tick\" "
                        "style=\"text-anchor:start\">%s</text>",
                        y + 3, lab);
            }
        }
        axis(out, &v, top + H);
        fputs("</svg>\n", out);
    }
    fprintf(out,
            "<p class=\"note\">Buckets of %.0f s. Latency from the intended start "
            "(open-loop workloads) to the response; lines: <span style=\"color:#2e6db4\">"
            "p50</span>, <span style=\"color:#f08a00\">p99</span>, <span "
            "style=\"color:#d62728\">max</span>. Shaded: backups in flight (blue) and "
            "fault windows (red).</p>\n",
            (double)bucket / 1e9);
    free(h);
    free(errs);
}

static void costs_table(FILE *out, const rep_run *run)
{
    const cJSON *c = rep_get(run->results, "costs");
    if (!cJSON_IsObject(c)) return;
    rep_cost cost;
    int recomputed;
    int have = rep_costs_of(run->results, &cost, &recomputed) == 0;
    fputs("<h2 id=\"costs\">Costs (estimate)</h2>\n<p>Prices for ", out);
    esc(out, rep_str(c, "pricing.region", "?"));
    fputs(" as of ", out);
    esc(out, rep_str(c, "pricing.as_of", "?"));
    fputs(" (on-demand; binary units, 1 GB = 2<sup>30</sup> bytes).</p>\n<table><tr><th "
          "class=\"l\">item</th><th>quantity</th><th>USD</th></tr>",
          out);
    char q[64];
    rep_fmt_count(rep_num(c, "wru", 0), q, sizeof q);
    fprintf(out, "<tr><td class=\"l\">writes</td><td>%s WRU</td><td>%.6f</td></tr>", q,
            have ? cost.writes : 0);
    rep_fmt_count(rep_num(c, "rru", 0), q, sizeof q);
    fprintf(out, "<tr><td class=\"l\">reads</td><td>%s RRU</td><td>%.6f</td></tr>", q,
            have ? cost.reads : 0);
    rep_fmt_bytes(rep_num(c, "backup_bytes", 0), q, sizeof q);
    fprintf(out, "<tr><td class=\"l\">backup storage</td><td>%s</td><td>%.6f</td></tr>", q,
            have ? cost.backup_storage : 0);
    rep_fmt_bytes(rep_num(c, "restore_bytes", 0), q, sizeof q);
    fprintf(out, "<tr><td class=\"l\">restores</td><td>%s</td><td>%.6f</td></tr>", q,
            have ? cost.restores : 0);
    if (rep_has_num(c, "usd"))
        fprintf(out, "<tr><th class=\"l\">total</th><td></td><th>%.6f</th></tr></table>\n",
                rep_num(c, "usd", 0));
    else
        fputs("<tr><th class=\"l\">total</th><td></td><th>-</th></tr></table>\n", out);
    if (rep_str(c, "note", NULL)) {
        fputs("<p class=\"note\">", out);
        esc(out, rep_str(c, "note", NULL));
        fputs("</p>\n", out);
    }
}

static void availability_table(FILE *out, const rep_run *run)
{
    const cJSON *a = rep_get(run->results, "availability");
    if (!cJSON_IsObject(a)) return;
    const cJSON *sides[2] = {rep_get(a, "during_backup"), rep_get(a, "outside")};
    fputs("<h2 id=\"availability\">Availability during backups</h2>\n<table><tr><th "
          "class=\"l\"></th><th>during backups</th><th>outside</th></tr>",
          out);
    for (int s = 0; s < 2; s++) {
        const cJSON *m;
        cJSON_ArrayForEach(m, sides[s])
        {
            if (!cJSON_IsNumber(m) ||
                (s == 1 && cJSON_GetObjectItemCaseSensitive(sides[0], m->string)))
                continue;
            fputs("<tr><td class=\"l\">", out);
            esc(out, m->string);
            fputs("</td>", out);
            for (int k = 0; k < 2; k++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(sides[k], m->string);
                /* A side with no operation has no latency: its 0 would read as fast. */
                int no_ops = rep_num(sides[k], "ops", 1) == 0 && strstr(m->string, "_ms");
                if (cJSON_IsNumber(v) && !no_ops)
                    fprintf(out, "<td>%.10g</td>", v->valuedouble);
                else
                    fputs("<td>-</td>", out);
            }
            fputs("</tr>", out);
        }
    }
    fputs("</table>\n", out);
    if (rep_str(a, "during_means", NULL)) {
        fputs("<p class=\"note\">During: ", out);
        esc(out, rep_str(a, "during_means", NULL));
        fputs(".</p>\n", out);
    }
}

static void source_section(FILE *out, const rep_run *run)
{
    const cJSON *s = rep_get(run->results, "source");
    if (!cJSON_IsObject(s)) return;
    fputs("<h2 id=\"source\">Source table</h2>\n", out);
    if (rep_not_checked_reason(s)) {
        fputs("<p>Not checked: ", out);
        esc(out, rep_not_checked_reason(s));
        fputs("</p>\n", out);
        return;
    }
    fprintf(out, "<p>Scanned after the restores: %.0f items", rep_num(s, "items", 0));
    if (rep_str(s, "verdict", NULL)) {
        fputs(", verdict ", out);
        esc(out, rep_str(s, "verdict", NULL));
    }
    if (rep_str(s, "rule", NULL)) {
        fputs(" (rule: ", out);
        esc(out, rep_str(s, "rule", NULL));
        fputs(")", out);
    }
    fputs(".</p>\n", out);
    findings_list(out, rep_get(s, "findings"), "source", 0);
}

int rep_render_html(const rep_run *run, FILE *out, char *err, size_t errlen)
{
    rep_timeline *tl = NULL;
    if (rep_timeline_load(run->dir, &tl, err, errlen)) return -1;
    html_head(out, run);
    header(out, run);
    const cJSON *b;
    int i = 0;
    REP_FOR_EACH_TARGET(run->results, b)
    {
        backup_section(out, run, tl, b, i++, err, errlen);
    }
    if (i == 0) fputs("<p>No backup in this run.</p>\n", out);
    if (tl && tl->nops) {
        fputs("<h2 id=\"load\">Throughput and latency</h2>\n", out);
        load_charts(out, run, tl);
    }
    costs_table(out, run);
    availability_table(out, run);
    source_section(out, run);
    if (run->scenario) {
        char *s = cJSON_Print(run->scenario);
        if (s) {
            fputs("<h2 id=\"scenario\">Scenario as run</h2>\n<pre>", out);
            esc(out, s);
            fputs("</pre>\n", out);
            free(s);
        }
    }
    fputs("<p class=\"note\">Rendered from results.json by backcheck ", out);
    esc(out, rep_str(run->results, "backcheck_version", "?"));
    fputs("; reports never recompute a verdict. The per-write classes in the timelines "
          "are drawn from history.jsonl and the restored snapshots.</p>\n</body></html>\n",
          out);
    rep_timeline_free(tl);
    return ferror(out) ? -1 : 0;
}
