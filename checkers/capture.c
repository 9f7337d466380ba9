/*
 * capture.c - the `capture` checker: classifies every acknowledged write of a target
 * (must be present / must be absent / inside the window / indeterminate, DESIGN.md
 * "Classification"), counts them, and locates the cut: lo = the latest invoke of a
 * captured write, hi = the earliest completion of an acknowledged write not captured. If
 * lo < hi one instant in [lo, hi] explains the snapshot; otherwise no single instant does
 * and [hi, lo] is the fuzzy band. A target is "exercised" when acknowledged writes fell in
 * its window (or on both sides of it) and its cut is bounded on both sides: only then
 * did it prove something.
 * Under a single-cut profile (strict) a fuzzy cut is a violation, reported as LOST for
 * the write that completed before a captured write was even sent.
 */
#include "checkers/chk_internal.h"

#include <stdio.h>

/* The cut's lower side as the journal's order would find it: lo is the latest invoke of
 * a captured write, and when several share it, lo_wid is the one a walk in history order
 * keeps. That walk lets an acknowledged write replace an equal instant with a smaller
 * write id but an indeterminate one only a strictly later instant, so lo_wid is the
 * smallest acknowledged write id at lo, or, when an indeterminate write came first in
 * the history, the smaller of its write id and those. The records are read in key
 * order, so each candidate at the running maximum keeps its history position. */
typedef struct lo_track {
    int64_t lo;
    uint64_t ok_wid, info_wid;
    int64_t ok_hist, info_hist; /* earliest history position at lo; INT64_MAX none */
} lo_track;

static void lo_candidate(lo_track *l, int64_t invoke, uint64_t wid, int64_t hist, int info)
{
    if (invoke < l->lo) return;
    if (invoke > l->lo) {
        l->lo = invoke;
        l->ok_wid = l->info_wid = CHK_WID_NONE;
        l->ok_hist = l->info_hist = INT64_MAX;
    }
    if (info) {
        if (hist < l->info_hist) {
            l->info_hist = hist;
            l->info_wid = wid;
        }
    } else {
        if (wid < l->ok_wid) l->ok_wid = wid;
        if (hist < l->ok_hist) l->ok_hist = hist;
    }
}

static int capture_check(chk_run *run, chk_target *t, char *err, size_t errlen)
{
    int64_t absent_after = t->a == CHK_NS_POS_INF ? CHK_NS_POS_INF : t->a + t->after;
    /* The target's starting bound acts as an acknowledged write before the history. */
    lo_track lt = {t->lo, t->lo_wid, CHK_WID_NONE, -1, INT64_MAX};
    for (uint32_t k = 0; k < run->kt.nkeys; k++) {
        const chk_key *ck = &run->kt.keys[k];
        int32_t cap = t->cap[k];
        for (uint32_t i = 0; i < ck->count; i++) {
            size_t p = ck->start + i;
            const chk_write *w = &run->w[p];
            int present = chk_present(t, p);
            if (w->status == CHK_O_INFO) {
                t->indeterminate++;
                /* An indeterminate write named by the item was applied: it bounds the cut. */
                if (present && cap == (int32_t)i && w->invoke_ns >= lt.lo)
                    lo_candidate(&lt, w->invoke_ns, w->wid, run->hist[p], 1);
                continue;
            }
            if (w->status != CHK_O_OK) continue;
            int mp = t->r == CHK_NS_POS_INF || w->complete_ns < t->r - t->before;
            int ma = absent_after != CHK_NS_POS_INF && w->invoke_ns > absent_after;
            if (mp) {
                t->must_present++;
                if (!present) t->lost++;
            } else if (ma) {
                t->must_absent++;
                if (present) t->future++;
            } else {
                t->window++;
                if (present) t->window_captured++;
            }
            if (present) {
                if (w->invoke_ns >= lt.lo) lo_candidate(&lt, w->invoke_ns, w->wid, run->hist[p], 0);
            } else if (w->complete_ns < t->hi || (w->complete_ns == t->hi && w->wid < t->hi_wid)) {
                t->hi = w->complete_ns;
                t->hi_wid = w->wid;
            }
        }
    }
    t->lo = lt.lo;
    t->lo_wid = lt.info_hist < lt.ok_hist && lt.info_wid < lt.ok_wid ? lt.info_wid : lt.ok_wid;
    /* Exercised: the cut is bounded on both sides and writes tested it, either inside
     * the window or on both sides of it. Under strict on a fast target the window [R, A]
     * is shorter than the gap between writes, yet writes that had to be in and writes
     * that had to be out pin the cut down just as well. */
    t->exercised = t->kind != CHK_T_SOURCE && t->lo != CHK_NS_NEG_INF && t->hi != CHK_NS_POS_INF &&
                   (t->window > 0 || (t->must_present > 0 && t->must_absent > 0));
    if (run->profile.single_cut && t->kind != CHK_T_SOURCE && t->lo != CHK_NS_NEG_INF &&
        t->hi != CHK_NS_POS_INF && t->lo >= t->hi) {
        /* Find the key of the uncaptured witness for the evidence. */
        const char *key = NULL;
        uint32_t first = UINT32_MAX;
        for (size_t i = 0; i < run->nw; i++)
            if (run->w[i].wid == t->hi_wid && run->w[i].status == CHK_O_OK && !chk_present(t, i) &&
                run->w[i].complete_ns == t->hi && run->hist[i] < first) {
                first = run->hist[i];
                key = chk_key_name(&run->kt, run->w[i].key);
            }
        uint64_t ids[2] = {t->hi_wid, t->lo_wid};
        char a[32], b[32];
        chk_fmt_wid(t->hi_wid, a);
        chk_fmt_wid(t->lo_wid, b);
        chk_target_add(t, CHK_F_LOST, 1, key, ids, 2, 2, NULL,
                       "no single instant cut: write %s completed %.3f ms before captured "
                       "write %s was invoked, yet it is missing",
                       a, (double)(t->lo - t->hi) / 1e6, b);
    }
    (void)err;
    (void)errlen;
    return 0;
}

const chk_ops chk_capture_ops = {
    .name = "capture",
    .help = "classify every acknowledged write against the window and locate the cut",
    .targets = CHK_T_BACKUP | CHK_T_PITR | CHK_T_SOURCE,
    .check = capture_check,
};
