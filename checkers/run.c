/*
 * run.c - chk_run_dir: loads the run, checks every restored backup, every point-in-time
 * restore and the source table with each registered checker, and writes results.json in
 * the shape DESIGN.md "results.json" fixes. The verdict: any violation fails; otherwise a
 * run in which no backup was exercised (or a backup could not be checked) proved nothing
 * and is inconclusive, never a pass. Output is deterministic: the same run directory gives
 * byte-identical results.json except "checked_at".
 */
#include "checkers/checker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkers/chk_internal.h"
#include "util/clock.h"
#include "util/log.h"

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static const cJSON *find_restore_of(const chk_run *run, const char *backup_id)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, run->restores)
    {
        const char *kind = chk_json_str(r, "kind"), *from = chk_json_str(r, "backup");
        const char *id = chk_json_str(r, "id");
        if (kind && strcmp(kind, "pitr") == 0) continue;
        if ((from && strcmp(from, backup_id) == 0) || (!from && id && strcmp(id, backup_id) == 0))
            return r;
    }
    return NULL;
}

static void snapshot_path(const chk_run *run, const cJSON *rec, const char *id, char *out, size_t n)
{
    const char *s = rec ? chk_json_str(rec, "snapshot") : NULL;
    int w;
    if (s && s[0] == '/')
        w = snprintf(out, n, "%s", s);
    else if (s)
        w = snprintf(out, n, "%s/%s", run->dir, s);
    else
        w = snprintf(out, n, "%s/snapshots/%s.jsonl", run->dir, id);
    if (w < 0 || (size_t)w >= n)
        out[0] = '\0'; /* too long to open: reported as a missing snapshot */
}

static void copy_member(cJSON *dst, const cJSON *src, const char *name)
{
    const cJSON *v = src ? cJSON_GetObjectItemCaseSensitive(src, name) : NULL;
    if (v) cJSON_AddItemToObject(dst, name, cJSON_Duplicate(v, 1));
}

static void add_ns_or_null(cJSON *o, const char *name, int64_t v, int known)
{
    if (known)
        chk_json_add_i64(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

static void add_rel_ms(cJSON *o, const char *name, int64_t x, int64_t ref, int known)
{
    if (known && ref > 0)
        cJSON_AddNumberToObject(o, name, (double)(x - ref) / 1e6);
    else
        cJSON_AddNullToObject(o, name);
}

static cJSON *cut_json(const chk_target *t)
{
    cJSON *c = cJSON_CreateObject();
    int lo_k = t->lo != CHK_NS_NEG_INF, hi_k = t->hi != CHK_NS_POS_INF;
    int fuzzy = lo_k && hi_k && t->lo >= t->hi;
    cJSON_AddStringToObject(c, "kind", fuzzy ? "fuzzy" : "instant");
    cJSON_AddBoolToObject(c, "bounded", lo_k && hi_k);
    add_ns_or_null(c, "lo_ns", t->lo, lo_k);
    add_ns_or_null(c, "hi_ns", t->hi, hi_k);
    if (lo_k && hi_k)
        chk_json_add_i64(c, "width_ns", fuzzy ? t->lo - t->hi : t->hi - t->lo);
    else
        cJSON_AddNullToObject(c, "width_ns");
    char w[32];
    if (t->lo_wid != CHK_WID_NONE) {
        chk_fmt_wid(t->lo_wid, w);
        cJSON_AddStringToObject(c, "lo_op", w);
    }
    if (t->hi_wid != CHK_WID_NONE) {
        chk_fmt_wid(t->hi_wid, w);
        cJSON_AddStringToObject(c, "hi_op", w);
    }
    if (t->kind != CHK_T_SOURCE) {
        int64_t req = chk_json_i64(t->backup, "request_ns", 0);
        int64_t ack = chk_json_i64(t->backup, "ack_ns", 0);
        int64_t ct = chk_json_i64(t->backup, "creation_time_ns", 0);
        if (t->kind == CHK_T_PITR) req = t->r, ack = t->a, ct = 0;
        cJSON *rel = cJSON_AddObjectToObject(c, "relative_ms");
        add_rel_ms(rel, "lo_vs_request", t->lo, req, lo_k);
        add_rel_ms(rel, "hi_vs_request", t->hi, req, hi_k);
        add_rel_ms(rel, "lo_vs_ack", t->lo, ack, lo_k);
        add_rel_ms(rel, "hi_vs_ack", t->hi, ack, hi_k);
        add_rel_ms(rel, "lo_vs_creation_time", t->lo, ct, lo_k);
        add_rel_ms(rel, "hi_vs_creation_time", t->hi, ct, hi_k);
        /* Whether some instant of [lo, hi] lies inside [R, A]. */
        if (!fuzzy && req > 0 && ack > 0)
            cJSON_AddBoolToObject(c, "meets_request_ack",
                                  (!lo_k || t->lo <= ack) && (!hi_k || t->hi >= req));
    }
    return c;
}

static cJSON *counts_json(const chk_target *t)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddNumberToObject(c, "must_present", (double)t->must_present);
    cJSON_AddNumberToObject(c, "lost", (double)t->lost);
    cJSON_AddNumberToObject(c, "must_absent", (double)t->must_absent);
    cJSON_AddNumberToObject(c, "future", (double)t->future);
    cJSON_AddNumberToObject(c, "window", (double)t->window);
    cJSON_AddNumberToObject(c, "window_captured", (double)t->window_captured);
    cJSON_AddNumberToObject(c, "indeterminate", (double)t->indeterminate);
    cJSON_AddNumberToObject(c, "indeterminate_applied", (double)t->indeterminate_applied);
    cJSON_AddNumberToObject(c, "unjournaled_applied", (double)t->unjournaled_applied);
    return c;
}

static long target_violations(const chk_target *t)
{
    long v = 0;
    for (int k = 0; k < CHK_F_NKINDS; k++)
        v += t->by_kind[k][1];
    return v;
}

static long target_observations(const chk_target *t)
{
    long v = 0;
    for (int k = 0; k < CHK_F_NKINDS; k++)
        v += t->by_kind[k][0];
    return v;
}

/* Runs every applicable checker on t (snapshot already chosen, bounds set). */
static int check_target(chk_run *run, chk_target *t, char *err, size_t errlen)
{
    if (chk_target_init(run, t)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; chk_registry[i]; i++)
        if ((chk_registry[i]->targets & t->kind) && chk_registry[i]->bounds &&
            chk_registry[i]->bounds(run, t, err, errlen))
            return -1;
    if (!file_exists(t->snapshot)) {
        snprintf(t->status_note, sizeof t->status_note, "no snapshot at %.200s", t->snapshot);
        return 0;
    }
    if (chk_target_load_snapshot(run, t, err, errlen)) return -1;
    chk_target_resolve(run, t);
    for (int i = 0; chk_registry[i]; i++)
        if ((chk_registry[i]->targets & t->kind) && chk_registry[i]->check &&
            chk_registry[i]->check(run, t, err, errlen))
            return -1;
    t->checked = 1;
    return 0;
}

static const char *target_verdict(const chk_target *t)
{
    if (target_violations(t)) return "fail";
    if (!t->checked || (t->kind != CHK_T_SOURCE && !t->exercised)) return "inconclusive";
    return "pass";
}

static void findings_totals(cJSON *o, const chk_target *t)
{
    cJSON *tot = cJSON_AddObjectToObject(o, "findings_total");
    for (int k = 0; k < CHK_F_NKINDS; k++) {
        if (!t->by_kind[k][0] && !t->by_kind[k][1]) continue;
        cJSON *x = cJSON_AddObjectToObject(tot, chk_fkind_name(k));
        cJSON_AddNumberToObject(x, "violation", (double)t->by_kind[k][1]);
        cJSON_AddNumberToObject(x, "observation", (double)t->by_kind[k][0]);
    }
    if (t->nf > CHK_MAX_FINDINGS_LISTED)
        cJSON_AddNumberToObject(o, "findings_listed", CHK_MAX_FINDINGS_LISTED);
}

/* The result object of a checked target (after the checkers ran). */
static void target_body(cJSON *o, chk_target *t)
{
    if (t->checked) {
        cJSON_AddNumberToObject(o, "items", (double)t->items);
        cJSON_AddItemToObject(o, "counts", counts_json(t));
        cJSON_AddItemToObject(o, "cut", cut_json(t));
    } else {
        cJSON_AddNullToObject(o, "counts");
        cJSON_AddNullToObject(o, "cut");
    }
    if (t->kind != CHK_T_SOURCE) cJSON_AddBoolToObject(o, "exercised", t->exercised);
    cJSON_AddItemToObject(o, "findings", chk_target_findings_json(t));
    findings_totals(o, t);
    cJSON *m;
    cJSON_ArrayForEach(m, t->extra) cJSON_AddItemToObject(o, m->string, cJSON_Duplicate(m, 1));
    if (t->status_note[0]) chk_target_note(t, "not checked: %s", t->status_note);
    cJSON_AddItemToObject(o, "notes", cJSON_Duplicate(t->notes, 1));
    cJSON_AddStringToObject(o, "verdict", target_verdict(t));
}

static cJSON *restore_json(const cJSON *r)
{
    if (!r) return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    static const char *const names[] = {"table", "status", "requested_ns", "active_ns",
                                        "items", "scan_s", "scan_rcu",     "error"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        copy_member(o, r, names[i]);
    int64_t q = chk_json_i64(r, "requested_ns", 0), a = chk_json_i64(r, "active_ns", 0);
    if (q > 0 && a >= q) cJSON_AddNumberToObject(o, "restore_s", (double)(a - q) / 1e9);
    return o;
}

typedef struct tally {
    int backups, exercised, unchecked;
    long violations, observations;
} tally;

static void tally_target(tally *y, const chk_target *t)
{
    y->violations += target_violations(t);
    y->observations += target_observations(t);
    if (t->kind == CHK_T_SOURCE) return;
    y->backups++;
    y->exercised += t->checked && t->exercised;
    y->unchecked += !t->checked;
}

static int check_backups(chk_run *run, cJSON *arr, tally *y, char *err, size_t errlen)
{
    const cJSON *b;
    cJSON_ArrayForEach(b, run->backups)
    {
        const char *id = chk_json_str(b, "id");
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        static const char *const names[] = {
            "id",           "name",       "arn",    "request_ns", "ack_ns", "creation_time_ns",
            "available_ns", "size_bytes", "status", "error"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            copy_member(o, b, names[i]);
        const cJSON *r = find_restore_of(run, id);
        cJSON_AddItemToObject(o, "restore", restore_json(r));
        chk_target t;
        memset(&t, 0, sizeof t);
        t.kind = CHK_T_BACKUP;
        t.id = id;
        t.backup = b;
        t.restore = r;
        t.r = chk_json_i64(b, "request_ns", 0);
        t.a = chk_json_i64(b, "ack_ns", 0);
        if (t.a < t.r) t.a = t.r; /* no acknowledgement recorded: the request instant */
        t.before = run->profile.before_ns;
        t.after = run->profile.after_ns;
        const char *bst = chk_json_str(b, "status");
        const char *rst = r ? chk_json_str(r, "status") : NULL;
        snapshot_path(run, r, id, t.snapshot, sizeof t.snapshot);
        int rc = 0;
        if (t.r <= 0) {
            chk_target_init(run, &t);
            snprintf(t.status_note, sizeof t.status_note, "the backup has no request_ns");
        } else if (bst && (strcmp(bst, "FAILED") == 0 || strcmp(bst, "TIMEOUT") == 0)) {
            chk_target_init(run, &t);
            snprintf(t.status_note, sizeof t.status_note, "the backup ended %s%s%s", bst,
                     chk_json_str(b, "error") ? ": " : "",
                     chk_json_str(b, "error") ? chk_json_str(b, "error") : "");
        } else if (rst && strcmp(rst, "ACTIVE") != 0 && !file_exists(t.snapshot)) {
            chk_target_init(run, &t);
            snprintf(t.status_note, sizeof t.status_note, "its restore ended %s", rst);
        } else {
            rc = check_target(run, &t, err, errlen);
        }
        if (rc) {
            chk_target_free(&t);
            return -1;
        }
        target_body(o, &t);
        tally_target(y, &t);
        chk_target_free(&t);
    }
    return 0;
}

static int check_pitr(chk_run *run, cJSON *arr, tally *y, char *err, size_t errlen)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, run->restores)
    {
        const char *kind = chk_json_str(r, "kind");
        if (!kind || strcmp(kind, "pitr") != 0) continue;
        const char *id = chk_json_str(r, "id");
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        copy_member(o, r, "id");
        copy_member(o, r, "pitr_time_ns");
        cJSON_AddItemToObject(o, "restore", restore_json(r));
        chk_target t;
        memset(&t, 0, sizeof t);
        t.kind = CHK_T_PITR;
        t.id = id;
        t.backup = r;
        t.restore = r;
        snapshot_path(run, r, id, t.snapshot, sizeof t.snapshot);
        const char *rst = chk_json_str(r, "status");
        int rc = 0;
        if (rst && strcmp(rst, "ACTIVE") != 0 && !file_exists(t.snapshot)) {
            chk_target_init(run, &t);
            snprintf(t.status_note, sizeof t.status_note, "the restore ended %s", rst);
        } else {
            rc = check_target(run, &t, err, errlen);
        }
        if (rc) {
            chk_target_free(&t);
            return -1;
        }
        target_body(o, &t);
        tally_target(y, &t);
        chk_target_free(&t);
    }
    return 0;
}

static int check_source(chk_run *run, cJSON *out, tally *y, char *err, size_t errlen)
{
    chk_target t;
    memset(&t, 0, sizeof t);
    t.kind = CHK_T_SOURCE;
    t.id = "source";
    t.restore = run->source;
    snapshot_path(run, run->source, "source", t.snapshot, sizeof t.snapshot);
    const char *why = run->source ? chk_json_str(run->source, "skipped") : NULL;
    if (why || !file_exists(t.snapshot)) {
        cJSON_AddStringToObject(out, "status", "skipped");
        cJSON_AddStringToObject(out, "note",
                                why ? why
                                    : "no snapshots/source.jsonl (the source table was "
                                      "not scanned after the run)");
        cJSON_AddNumberToObject(out, "items", 0);
        cJSON_AddItemToObject(out, "findings", cJSON_CreateArray());
        return 0;
    }
    if (check_target(run, &t, err, errlen)) {
        chk_target_free(&t);
        return -1;
    }
    cJSON_AddStringToObject(out, "status", "checked");
    target_body(out, &t);
    tally_target(y, &t);
    chk_target_free(&t);
    return 0;
}

static cJSON *profile_json(const chk_profile *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", p->name);
    cJSON_AddNumberToObject(o, "before_s", (double)p->before_ns / 1e9);
    cJSON_AddNumberToObject(o, "after_s", (double)p->after_ns / 1e9);
    cJSON_AddBoolToObject(o, "atomic_txn", p->atomic_txn);
    cJSON_AddBoolToObject(o, "single_cut", p->single_cut);
    return o;
}

static int write_results(const char *path, const cJSON *root, char *err, size_t errlen)
{
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    char *s = cJSON_Print(root);
    if (!s) {
        snprintf(err, errlen, "results: out of memory");
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        free(s);
        return -1;
    }
    int bad = fputs(s, f) < 0 || fputc('\n', f) == EOF;
    bad |= fclose(f) != 0;
    free(s);
    if (bad || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot write results", path);
        unlink(tmp);
        return -1;
    }
    return 0;
}

chk_verdict chk_run_dir(const char *run_dir, const chk_options *opts, chk_summary *out, char *err,
                        size_t errlen)
{
    chk_summary sum;
    memset(&sum, 0, sizeof sum);
    sum.verdict = CHK_ERROR;
    chk_run *run = calloc(1, sizeof *run);
    if (!run) {
        snprintf(err, errlen, "out of memory");
        return CHK_ERROR;
    }
    cJSON *root = NULL;
    if (chk_run_load(run, run_dir, opts, err, errlen)) goto done;
    /* Prices: --pricing, else the file the run was made with (RUN_DIR/pricing.json),
     * else the built-in ones. */
    chk_options copts;
    if (opts)
        copts = *opts;
    else
        memset(&copts, 0, sizeof copts);
    char run_pricing[4200];
    snprintf(run_pricing, sizeof run_pricing, "%s/pricing.json", run_dir);
    if (!copts.pricing && access(run_pricing, R_OK) == 0) copts.pricing = run_pricing;

    root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "backcheck_version", BACKCHECK_VERSION);
    cJSON_AddNumberToObject(root, "results_format", 1);
    cJSON_AddStringToObject(root, "scenario", run->scenario_name);
    if (run->have_seed) {
        char sb[32];
        snprintf(sb, sizeof sb, "%llu", (unsigned long long)run->seed);
        cJSON_AddRawToObject(root, "seed", sb);
    } else {
        cJSON_AddNullToObject(root, "seed");
    }
    const cJSON *tg = run->meta ? cJSON_GetObjectItemCaseSensitive(run->meta, "target") : NULL;
    if (!tg && run->scenario) tg = cJSON_GetObjectItemCaseSensitive(run->scenario, "target");
    cJSON_AddItemToObject(root, "target", tg ? cJSON_Duplicate(tg, 1) : cJSON_CreateObject());
    cJSON_AddStringToObject(root, "profile", run->profile.name);
    cJSON_AddItemToObject(root, "guarantee", profile_json(&run->profile));
    cJSON *verdict = cJSON_AddStringToObject(root, "verdict", "inconclusive");
    cJSON *reason = cJSON_AddStringToObject(root, "verdict_reason", "");

    tally y;
    memset(&y, 0, sizeof y);
    cJSON *backups = cJSON_AddArrayToObject(root, "backups");
    if (check_backups(run, backups, &y, err, errlen)) goto fail;
    cJSON *pitr = cJSON_AddArrayToObject(root, "pitr");
    if (check_pitr(run, pitr, &y, err, errlen)) goto fail;
    cJSON *src = cJSON_AddObjectToObject(root, "source");
    if (check_source(run, src, &y, err, errlen)) goto fail;

    cJSON_AddItemToObject(root, "costs", chk_costs_json(run, &copts));
    cJSON_AddItemToObject(root, "timings", chk_timings_json(run));
    cJSON_AddItemToObject(root, "availability", chk_availability_json(run));
    cJSON_AddItemToObject(root, "faults",
                          run->faults ? cJSON_Duplicate(run->faults, 1) : cJSON_CreateArray());

    cJSON *hist = cJSON_AddObjectToObject(root, "history");
    cJSON_AddNumberToObject(hist, "lines", (double)run->lines);
    cJSON_AddNumberToObject(hist, "ops", (double)run->ops);
    cJSON_AddNumberToObject(hist, "writes", (double)run->nw);
    cJSON_AddNumberToObject(hist, "keys", (double)run->kt.nkeys);
    cJSON_AddBoolToObject(hist, "complete", run->ended);
    cJSON_AddBoolToObject(hist, "torn_last_line", run->torn_last);

    const char *v, *why;
    if (y.violations) {
        sum.verdict = CHK_FAIL;
        v = "fail";
        why = "a guarantee was violated";
    } else if (y.backups == 0) {
        sum.verdict = CHK_INCONCLUSIVE;
        v = "inconclusive";
        why = "no backup or restore was recorded";
    } else if (y.unchecked) {
        sum.verdict = CHK_INCONCLUSIVE;
        v = "inconclusive";
        why = "a backup or restore could not be checked";
    } else if (y.exercised == 0) {
        sum.verdict = CHK_INCONCLUSIVE;
        v = "inconclusive";
        why = "no backup was exercised (no acknowledged write fell in a window with the cut "
              "bounded on both sides)";
    } else {
        sum.verdict = CHK_PASS;
        v = "pass";
        why = "every check held";
    }
    cJSON_SetValuestring(verdict, v);
    cJSON_SetValuestring(reason, why);
    cJSON *summary = cJSON_AddObjectToObject(root, "summary");
    cJSON_AddNumberToObject(summary, "backups", y.backups);
    cJSON_AddNumberToObject(summary, "exercised", y.exercised);
    cJSON_AddNumberToObject(summary, "unchecked", y.unchecked);
    cJSON_AddNumberToObject(summary, "violations", (double)y.violations);
    cJSON_AddNumberToObject(summary, "observations", (double)y.observations);
    cJSON_AddItemToObject(root, "notes", cJSON_Duplicate(run->notes, 1));
    char iso[40];
    cJSON_AddStringToObject(root, "checked_at", bc_fmt_iso(bc_now_ns(), iso, sizeof iso));

    char path[4200];
    if (opts && opts->output)
        snprintf(path, sizeof path, "%s", opts->output);
    else
        snprintf(path, sizeof path, "%s/results.json", run_dir);
    if (write_results(path, root, err, errlen)) {
        sum.verdict = CHK_ERROR;
        goto fail;
    }
    sum.backups = y.backups;
    sum.backups_exercised = y.exercised;
    sum.violations = y.violations;
    sum.observations = y.observations;
    if (!opts || !opts->quiet) {
        char line[200];
        chk_summary_text(&sum, line, sizeof line);
        bc_info("check: %s", line);
    }
    goto done;
fail:
    sum.verdict = CHK_ERROR;
done:
    cJSON_Delete(root);
    chk_run_free(run);
    free(run);
    if (out) *out = sum;
    return sum.verdict;
}

const char *chk_verdict_name(chk_verdict v)
{
    static const char *const names[] = {"pass", "fail", "error", "inconclusive"};
    return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "error";
}

static const char *plural(long n)
{
    return n == 1 ? "" : "s";
}

void chk_summary_text(const chk_summary *s, char *out, size_t n)
{
    snprintf(out, n, "%s (%d backup%s, %d exercised, %ld violation%s, %ld observation%s)",
             chk_verdict_name(s->verdict), s->backups, plural(s->backups), s->backups_exercised,
             s->violations, plural(s->violations), s->observations, plural(s->observations));
}
