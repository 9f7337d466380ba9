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

static int capture_check(chk_run *run, chk_target *t, char *err, size_t errlen)
{
    int64_t absent_after = t->a == CHK_NS_POS_INF ? CHK_NS_POS_INF : t->a + t->after;
    for (size_t i = 0; i < run->nw; i++) {
        const chk_write *w = &run->w[i];
        int present = chk_present(t, i);
        if (w->status == CHK_O_INFO) {
            t->indeterminate++;
            /* An indeterminate write named by the item was applied: it bounds the cut. */
            if (present && t->cap[w->key] == (int32_t)run->pos[i] && w->invoke_ns > t->lo) {
                t->lo = w->invoke_ns;
                t->lo_wid = w->wid;
            }
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
            if (w->invoke_ns > t->lo || (w->invoke_ns == t->lo && w->wid < t->lo_wid)) {
                t->lo = w->invoke_ns;
                t->lo_wid = w->wid;
            }
        } else if (w->complete_ns < t->hi || (w->complete_ns == t->hi && w->wid < t->hi_wid)) {
            t->hi = w->complete_ns;
            t->hi_wid = w->wid;
        }
    }
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
        for (size_t i = 0; i < run->nw && !key; i++)
            if (run->w[i].wid == t->hi_wid && run->w[i].status == CHK_O_OK && !chk_present(t, i) &&
                run->w[i].complete_ns == t->hi)
                key = chk_key_name(&run->kt, run->w[i].key);
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
