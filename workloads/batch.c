/*
 * batch.c - the "batch" workload: BatchWriteItem of batch_items (at most 25, the
 * BatchWriteItem limit) Puts of new keys "bat/<worker>/<seq>", each item with its own wid
 * (consecutive sequence numbers; the op's `s` is the first).
 *
 * BatchWriteItem may leave items in UnprocessedItems. They are sent again within the same
 * logical operation, at most BATCH_MAX_RESUBMITS times with exponential backoff (no
 * jitter, so that the worker's random stream, and with it the sequence of intended
 * operations, does not depend on the server). The op records `resubmits`, its timing
 * spans all the requests, `attempts`/`tries` add up all of them, and each item's own
 * outcome is written as `st` where it differs from the op's:
 *   - items acknowledged by any request are ok;
 *   - items still unprocessed after the last resubmission are fail;
 *   - items in a request that failed definitely are fail, in one that ended
 *     indeterminately are info (and nothing is resubmitted after it).
 * The op's outcome is info if any item is info, fail if every item failed, else ok.
 */
#include "workloads/wl_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb/attr.h"
#include "util/clock.h"

#define BATCH_MAX_RESUBMITS 8
#define BATCH_BACKOFF_BASE_MS 20
#define BATCH_BACKOFF_CAP_MS 1000
#define BATCH_PENDING (-2)

static int batch_setup(wl_worker *w, char *err, size_t errlen)
{
    return 0;
}

/* Marks the items named in UnprocessedItems[table] as still pending (others sent in this
 * request become ok). Returns how many remain pending. */
static int mark_unprocessed(const wl_worker *w, const cJSON *body, hist_write *hw, const int *sent,
                            int *status, int k)
{
    for (int i = 0; i < k; i++)
        if (sent[i]) status[i] = DDB_OUTCOME_OK;
    const cJSON *un = body ? cJSON_GetObjectItemCaseSensitive(body, "UnprocessedItems") : NULL;
    const cJSON *reqs = un ? cJSON_GetObjectItemCaseSensitive(un, w->table) : NULL;
    const cJSON *r;
    int pending = 0;
    cJSON_ArrayForEach(r, reqs)
    {
        const cJSON *put = cJSON_GetObjectItemCaseSensitive(r, "PutRequest");
        const cJSON *item = put ? cJSON_GetObjectItemCaseSensitive(put, "Item") : NULL;
        const char *key = NULL;
        if (!item || ddb_item_get_s(item, w->hash_key, &key) != 0) continue;
        for (int i = 0; i < k; i++) {
            if (sent[i] && status[i] == DDB_OUTCOME_OK && strcmp(hw[i].key, key) == 0) {
                status[i] = BATCH_PENDING;
                pending++;
                break;
            }
        }
    }
    return pending;
}

static int batch_step(wl_worker *w, char *err, size_t errlen)
{
    int k = w->spec->batch_items;
    hist_write hw[WL_BATCH_MAX_ITEMS];
    int status[WL_BATCH_MAX_ITEMS], sent[WL_BATCH_MAX_ITEMS];
    uint64_t seq0 = 0;
    for (int i = 0; i < k; i++) {
        char wid[HIST_WID_MAX], key[HIST_KEY_MAX];
        uint64_t s = wl_next_wid(w, wid);
        if (i == 0) seq0 = s;
        wl_key_name(w, "bat", (long)s, key);
        wl_write_init(&hw[i], key, wid, HIST_PUT);
        hw[i].ver = 1;
        status[i] = BATCH_PENDING;
    }

    hist_op op;
    wl_op_init(w, &op, seq0, "batch");
    char errname[128] = "";
    int64_t mono0 = bc_mono_ns();
    for (int round = 0;; round++) {
        cJSON *req = cJSON_CreateObject();
        cJSON *ri = cJSON_AddObjectToObject(req, "RequestItems");
        cJSON *list = cJSON_AddArrayToObject(ri, w->table);
        for (int i = 0; i < k; i++) {
            sent[i] = status[i] == BATCH_PENDING;
            if (!sent[i]) continue;
            cJSON *wr = cJSON_CreateObject();
            cJSON *put = cJSON_AddObjectToObject(wr, "PutRequest");
            cJSON_AddItemToObject(put, "Item", wl_item_new(w, hw[i].key, hw[i].wid, 1));
            cJSON_AddItemToArray(list, wr);
        }
        ddb_result res = {0};
        wl_call(w, "BatchWriteItem", req, &res);
        cJSON_Delete(req);

        if (round == 0) op.invoke_ns = res.invoke_ns;
        op.complete_ns = res.complete_ns;
        op.wcu += res.wcu;
        op.rcu += res.rcu;
        for (int a = 0; a < res.attempts && a < DDB_MAX_ATTEMPTS_LIMIT; a++) {
            if (op.ntries < HIST_MAX_TRIES) {
                hist_try *t = &op.tries[op.ntries++];
                t->send_ns = res.attempt[a].send_ns;
                t->recv_ns = res.attempt[a].recv_ns;
                t->http_status = res.attempt[a].http_status;
                t->err = wl_err_code_name(res.attempt[a].err);
            }
        }
        op.attempts += res.attempts;
        const char *en = wl_err_name(&res);
        snprintf(errname, sizeof errname, "%s", en ? en : "");

        int pending = 0;
        if (res.outcome == DDB_OUTCOME_OK) {
            pending = mark_unprocessed(w, res.body, hw, sent, status, k);
        } else {
            for (int i = 0; i < k; i++)
                if (sent[i]) status[i] = (int)res.outcome;
        }
        ddb_result_free(&res);
        if (pending == 0) break;
        if (round == BATCH_MAX_RESUBMITS) {
            for (int i = 0; i < k; i++)
                if (status[i] == BATCH_PENDING) status[i] = DDB_OUTCOME_FAIL;
            snprintf(errname, sizeof errname, "UnprocessedItems");
            break;
        }
        int64_t backoff_ms = (int64_t)BATCH_BACKOFF_BASE_MS << round;
        if (backoff_ms > BATCH_BACKOFF_CAP_MS) backoff_ms = BATCH_BACKOFF_CAP_MS;
        bc_sleep_ns(backoff_ms * BC_NS_PER_MS);
        op.resubmits++;
    }
    op.mono_ns = bc_mono_ns() - mono0;
    if (op.attempts <= 1) op.ntries = 0;

    int any_info = 0, all_fail = 1;
    for (int i = 0; i < k; i++) {
        any_info |= status[i] == DDB_OUTCOME_INFO;
        all_fail &= status[i] == DDB_OUTCOME_FAIL;
    }
    op.outcome = any_info ? DDB_OUTCOME_INFO : all_fail ? DDB_OUTCOME_FAIL : DDB_OUTCOME_OK;
    for (int i = 0; i < k; i++)
        if (status[i] != op.outcome) hw[i].status = status[i];
    op.err = errname[0] && op.outcome != DDB_OUTCOME_OK ? errname : NULL;
    if (op.outcome == DDB_OUTCOME_OK && errname[0] && strcmp(errname, "UnprocessedItems") == 0)
        op.err = errname; /* some items were never processed */
    op.nwrites = k;
    op.writes = hw;
    if (wl_journal_op(w, &op) != 0) {
        snprintf(err, errlen, "batch: cannot journal an operation");
        return -1;
    }
    return 0;
}

static void batch_teardown(wl_worker *w) {}

const wl_ops wl_batch_ops = {
    .name = "batch",
    .help = "BatchWriteItem of batch_items new items, resubmitting UnprocessedItems",
    .setup = batch_setup,
    .step = batch_step,
    .teardown = batch_teardown,
};
