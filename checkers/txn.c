/*
 * txn.c - the `txn` checker: every transaction all-or-nothing in each target (TORN_TXN,
 * listing the items present and missing), and each bank workload's total preserved
 * (INVARIANT, with the observed sum). AWS documents that a restore taken while a
 * transaction propagates "might contain some but not all of the changes" (AWS-FACTS.md
 * 0.1), so under aws-documented both are observations; under strict or atomic_txn they
 * are violations. A missing part of a transaction that completed before the window is
 * still LOST item by item (keys.c).
 */
#include "checkers/chk_internal.h"

#include <stdio.h>
#include <string.h>

#define CHK_TXN_KEYS_LISTED 20 /* keys listed per side of a torn transaction */

/* What the snapshot says of the transaction's write w[p]: 1 in, 0 out, -1 unknown. A later
 * version of the key shows an acknowledged write was applied before it (superseded, not
 * lost), but says nothing of an indeterminate one, which may never have happened: for
 * those only the item holding exactly that write counts as in. */
static int txn_item_state(const chk_run *run, const chk_target *t, uint32_t p)
{
    const chk_write *w = &run->w[p];
    if (!chk_present(t, p)) return 0;
    if (w->status == CHK_O_OK) return 1;
    return t->cap[w->key] == (int32_t)(p - run->kt.keys[w->key].start) ? 1 : -1;
}

/* Transaction g's writes: run->w[tw[0]] .. run->w[tw[n - 1]], in the op's order. */
static void torn(chk_run *run, chk_target *t, const uint32_t *tw, size_t n)
{
    const chk_write *first = &run->w[tw[0]];
    cJSON *extra = cJSON_CreateObject();
    cJSON *pres = cJSON_AddArrayToObject(extra, "present");
    cJSON *miss = cJSON_AddArrayToObject(extra, "missing");
    const char *firstmiss = NULL;
    long np = 0, nm = 0;
    for (size_t i = 0; i < n; i++) {
        const char *key = chk_key_name(&run->kt, run->w[tw[i]].key);
        int st = txn_item_state(run, t, tw[i]);
        if (st < 0) continue;
        if (st) {
            if (np++ < CHK_TXN_KEYS_LISTED) cJSON_AddItemToArray(pres, cJSON_CreateString(key));
        } else {
            if (!firstmiss) firstmiss = key;
            if (nm++ < CHK_TXN_KEYS_LISTED) cJSON_AddItemToArray(miss, cJSON_CreateString(key));
        }
    }
    int violation = run->profile.atomic_txn && first->status == CHK_O_OK;
    char a[32];
    chk_fmt_wid(first->wid, a);
    chk_target_add(t, CHK_F_TORN_TXN, violation, firstmiss, &first->wid, 1, 1, extra,
                   "transaction %s (%s) is partly in the snapshot: %ld of %ld items present%s", a,
                   first->status == CHK_O_OK ? "acknowledged" : "indeterminate", np, np + nm,
                   np + nm < (long)n ? " (superseded items not counted)" : "");
}

/* Transactions' records lie anywhere in the key-ordered array: the one this many writes
 * ahead in the list is requested early so that the reads overlap. */
#define TXN_PREFETCH_AHEAD 16

static int txn_check(chk_run *run, chk_target *t, char *err, size_t errlen)
{
    long txns = 0, torn_n = 0;
    for (size_t g = 0; g < run->ntxn; g++) {
        const uint32_t *tw = run->txn_w + run->txn_at[g];
        size_t n = run->txn_at[g + 1] - run->txn_at[g];
        for (size_t x = 0; x < n; x++)
            if (run->txn_at[g] + x + TXN_PREFETCH_AHEAD < run->ntxn_w)
                __builtin_prefetch(&run->w[tw[x + TXN_PREFETCH_AHEAD]]);
        if (run->w[tw[0]].status == CHK_O_FAIL) continue;
        txns++;
        size_t np = 0, nm = 0;
        for (size_t x = 0; x < n; x++) {
            int st = txn_item_state(run, t, tw[x]);
            np += st == 1;
            nm += st == 0;
        }
        if (np && nm) {
            torn(run, t, tw, n);
            torn_n++;
        }
    }
    cJSON *tx = cJSON_AddObjectToObject(t->extra, "transactions");
    cJSON_AddNumberToObject(tx, "checked", (double)txns);
    cJSON_AddNumberToObject(tx, "torn", (double)torn_n);

    /* Bank totals: only meaningful when every account of the workload is in the snapshot
     * (a missing account is itself reported by the keys checker). */
    for (int wl = 0; wl < run->nwls; wl++) {
        const chk_workload *b = &run->wls[wl];
        if (strcmp(b->type, "bank") != 0 || !b->has_bank_total) continue;
        long accounts = 0;
        for (uint32_t k = 0; k < run->kt.nkeys; k++)
            if (run->kt.keys[k].wl == b->index) accounts++;
        cJSON *inv = cJSON_CreateObject();
        cJSON_AddNumberToObject(inv, "workload", b->index);
        chk_json_add_i64(inv, "expected", b->bank_total);
        chk_json_add_i64(inv, "observed", t->bank_sum[wl]);
        cJSON_AddNumberToObject(inv, "accounts", (double)accounts);
        cJSON_AddNumberToObject(inv, "accounts_in_snapshot", (double)t->bank_items[wl]);
        if (!cJSON_GetObjectItemCaseSensitive(t->extra, "bank"))
            cJSON_AddArrayToObject(t->extra, "bank");
        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(t->extra, "bank"), inv);
        if (accounts == 0 || t->bank_items[wl] < accounts) {
            chk_target_note(t,
                            "bank workload %d: %ld of %ld accounts in the snapshot; the "
                            "total was not evaluated",
                            b->index, t->bank_items[wl], accounts);
            continue;
        }
        if (t->bank_sum[wl] != b->bank_total)
            chk_target_add(t, CHK_F_INVARIANT, run->profile.atomic_txn, NULL, NULL, 0, 0, NULL,
                           "bank workload %d: balances sum to %lld, expected %lld", b->index,
                           (long long)t->bank_sum[wl], (long long)b->bank_total);
    }
    (void)err;
    (void)errlen;
    return 0;
}

const chk_ops chk_txn_ops = {
    .name = "txn",
    .help = "transactions all-or-nothing; bank totals preserved (severity per profile)",
    .targets = CHK_T_BACKUP | CHK_T_PITR | CHK_T_SOURCE,
    .check = txn_check,
};
