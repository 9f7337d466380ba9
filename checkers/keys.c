/*
 * keys.c - the `keys` checker: per key, the captured version must be one that was written
 * (PHANTOM, PHANTOM_FAIL and ORDER are found while the snapshot is read, target.c), must
 * not be older than a must-present write (LOST) nor hold a write sent after the window
 * (FUTURE), and a deleted item must not come back (RESURRECTED: the item is present although
 * its last must-present write deleted it). Indeterminate writes never make a finding.
 */
#include "checkers/chk_internal.h"

#include <stdio.h>

static int keys_check(chk_run *run, chk_target *t, char *err, size_t errlen)
{
    int64_t absent_after = t->a == CHK_NS_POS_INF ? CHK_NS_POS_INF : t->a + t->after;
    for (uint32_t k = 0; k < run->kt.nkeys; k++) {
        const chk_key *ck = &run->kt.keys[k];
        const chk_write *o = run->w + ck->start;
        uint64_t lost[CHK_MAX_OP_IDS], fut[CHK_MAX_OP_IDS];
        int nl = 0, nf = 0;
        long tl = 0, tf = 0;
        int64_t lmp = -1;
        for (uint32_t i = 0; i < ck->count; i++) {
            const chk_write *w = &o[i];
            if (w->status != CHK_O_OK) continue;
            int present = chk_present(t, ck->start + i);
            if (t->r == CHK_NS_POS_INF || w->complete_ns < t->r - t->before) {
                lmp = i;
                if (!present) {
                    if (nl < CHK_MAX_OP_IDS) lost[nl++] = w->wid;
                    tl++;
                }
            } else if (absent_after != CHK_NS_POS_INF && w->invoke_ns > absent_after && present) {
                if (nf < CHK_MAX_OP_IDS) fut[nf++] = w->wid;
                tf++;
            }
        }
        const char *key = chk_key_name(&run->kt, k);
        if (tl) {
            const chk_write *last = &o[lmp];
            if ((t->kflags[k] & CHK_KF_IN_SNAPSHOT) && last->kind == CHK_W_DELETE &&
                !chk_present(t, ck->start + (size_t)lmp)) {
                char a[32];
                chk_fmt_wid(last->wid, a);
                chk_target_add(
                    t, CHK_F_RESURRECTED, 1, key, &last->wid, 1, 1, NULL,
                    "the item is present although delete %s completed %.3f s "
                    "before the backup request",
                    a, t->r == CHK_NS_POS_INF ? 0.0 : (double)(t->r - last->complete_ns) / 1e9);
            } else {
                char a[32];
                chk_fmt_wid(lost[nl - 1], a);
                int32_t cap = t->cap[k];
                char capw[32] = "none";
                if (cap >= 0) chk_fmt_wid(o[cap].wid, capw);
                chk_target_add(t, CHK_F_LOST, 1, key, lost, nl, tl, NULL,
                               "%ld acknowledged write(s) that must be present "
                               "are missing (the snapshot holds %s%s)",
                               tl, (t->kflags[k] & CHK_KF_IN_SNAPSHOT) ? "write " : "",
                               (t->kflags[k] & CHK_KF_IN_SNAPSHOT) ? capw : "no item");
            }
        }
        if (tf)
            chk_target_add(t, CHK_F_FUTURE, 1, key, fut, nf, tf, NULL,
                           "%ld write(s) invoked after the window closed are present", tf);
    }
    (void)err;
    (void)errlen;
    return 0;
}

const chk_ops chk_keys_ops = {
    .name = "keys",
    .help = "per key: no lost, future, phantom or resurrected version; appends are prefixes",
    .targets = CHK_T_BACKUP | CHK_T_PITR | CHK_T_SOURCE,
    .check = keys_check,
};
