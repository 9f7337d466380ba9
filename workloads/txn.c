/*
 * txn.c - the "txn" workload: TransactWriteItems of txn_min..txn_max Puts (at most 100,
 * the TransactWriteItems limit) on distinct keys "txn/<worker>/<n>" of the worker's own
 * key range. Every item of one transaction carries the transaction's wid, so a backup
 * holding some but not all items of a transaction shows it as torn. The history op has
 * "txn": true, f "txn" and one write of kind "put" per item.
 *
 * The request carries a ClientRequestToken derived from (table, seed, wid): DynamoDB treats a
 * retried request with the same token as the same transaction, so a retry after an
 * attempt that applied does not apply it again.
 */
#include "workloads/wl_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/pcg32.h"

void wl_client_token(const wl_worker *w, const char *wid, char out[WL_TOKEN_MAX])
{
    /* The table name (it carries the run id) keeps two runs with the same seed against the
     * same endpoint within the token's 10 minutes from sharing tokens: DynamoDB would
     * answer the second run's transaction as a repeat of the first's and apply nothing
     * (or refuse it as IdempotentParameterMismatch). */
    uint64_t t = w->table ? bc_hash_bytes(w->table, strlen(w->table)) : 0;
    uint64_t a = bc_mix64(w->seed ^ bc_hash_bytes(wid, strlen(wid)) ^ bc_mix64(t));
    uint64_t b = bc_mix64(a ^ (uint64_t)w->worker);
    snprintf(out, WL_TOKEN_MAX, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}

/* Picks `k` distinct key indexes from the distribution; a repeated pick moves to the next
 * unused index, so skewed distributions still fill the transaction. */
void wl_pick_distinct(wl_worker *w, long *out, int k)
{
    long nkeys = wl_worker_keys(w);
    for (int i = 0; i < k; i++) {
        long v = wl_pick_key(w);
        for (;;) {
            int dup = 0;
            for (int j = 0; j < i && !dup; j++)
                dup = out[j] == v;
            if (!dup) break;
            v = (v + 1) % nkeys;
        }
        out[i] = v;
    }
}

static int txn_setup(wl_worker *w, char *err, size_t errlen)
{
    if (wl_worker_keys(w) < w->spec->txn_max) {
        snprintf(err, errlen, "txn: %ld keys per thread cannot fill %d distinct items",
                 wl_worker_keys(w), w->spec->txn_max);
        return -1;
    }
    return 0;
}

static int txn_step(wl_worker *w, char *err, size_t errlen)
{
    const wl_spec *s = w->spec;
    int k = s->txn_min + (int)pcg32_bounded(&w->rng, (uint32_t)(s->txn_max - s->txn_min + 1));
    long idx[WL_TXN_MAX_ITEMS];
    hist_write hw[WL_TXN_MAX_ITEMS];
    char wid[HIST_WID_MAX], token[WL_TOKEN_MAX];
    uint64_t seq = wl_next_wid(w, wid);
    wl_pick_distinct(w, idx, k);
    wl_client_token(w, wid, token);

    cJSON *req = cJSON_CreateObject();
    cJSON *items = cJSON_AddArrayToObject(req, "TransactItems");
    for (int i = 0; i < k; i++) {
        char key[HIST_KEY_MAX];
        wl_key_name(w, "txn", idx[i], key);
        cJSON *action = cJSON_CreateObject();
        cJSON *put = cJSON_AddObjectToObject(action, "Put");
        cJSON_AddStringToObject(put, "TableName", w->table);
        cJSON_AddItemToObject(put, "Item", wl_item_new(w, key, wid, 1));
        cJSON_AddItemToArray(items, action);
        wl_write_init(&hw[i], key, wid, HIST_PUT);
        hw[i].ver = 1;
    }
    cJSON_AddStringToObject(req, "ClientRequestToken", token);
    ddb_result res = {0};
    wl_call(w, "TransactWriteItems", req, &res);
    cJSON_Delete(req);

    hist_op op;
    wl_op_init(w, &op, seq, "txn");
    op.txn = 1;
    op.nwrites = k;
    op.writes = hw;
    int rc = wl_journal(w, &op, &res);
    ddb_result_free(&res);
    if (rc != 0) {
        snprintf(err, errlen, "txn: cannot journal an operation");
        return -1;
    }
    return 0;
}

static void txn_teardown(wl_worker *w) {}

const wl_ops wl_txn_ops = {
    .name = "txn",
    .help = "TransactWriteItems of txn_min..txn_max puts sharing one wid",
    .setup = txn_setup,
    .step = txn_step,
    .teardown = txn_teardown,
};
