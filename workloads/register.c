/*
 * register.c - the "register" workload: versioned overwrites of the worker's own keys
 * "reg/<worker>/<n>" (n from the key distribution).
 *
 * Each key's first write is a PutItem with attribute_not_exists(<hash key>) and ver = 1;
 * later writes are UpdateItem `SET ver = :v, wid = :w, pay = :p` with condition
 * `ver = :prev`, so the item's version counter orders a key's writes and a retried update
 * that already applied cannot apply twice.
 *
 * The worker remembers each key's version. It is definite after an ok write (the new
 * version) and after a definite failure other than a failed condition (unchanged). After
 * an indeterminate outcome (info), or a failed condition (which means what we believed
 * was wrong), the version is unknown: the next operation the distribution picks for that
 * key is then a GetItem with ConsistentRead, journaled as an op with f "read" and no
 * writes, whose answer (absent, or the stored ver) becomes the known version. A read that
 * is itself not ok leaves the key unknown, so it is read again next time. This is the
 * simplest rule that never sends a write built on a guess: every write's `ver` is
 * exactly one more than the version it is conditioned on.
 */
#include "workloads/wl_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb/attr.h"

#define REG_UNKNOWN (-1) /* version must be re-read */
#define REG_ABSENT 0     /* no item yet: the next write is the creating put */

typedef struct reg_state {
    long nkeys;
    int64_t *ver; /* known version per key index */
} reg_state;

static int register_setup(wl_worker *w, char *err, size_t errlen)
{
    reg_state *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "register: out of memory");
        return -1;
    }
    st->nkeys = wl_worker_keys(w);
    st->ver = calloc((size_t)st->nkeys, sizeof *st->ver); /* all REG_ABSENT */
    if (!st->ver) {
        snprintf(err, errlen, "register: out of memory for %ld keys", st->nkeys);
        free(st);
        return -1;
    }
    w->state = st;
    return 0;
}

/* Re-learns the version of `key` with a consistent read. */
static int register_read(wl_worker *w, reg_state *st, long n, const char *key)
{
    char wid[HIST_WID_MAX];
    uint64_t seq = wl_next_wid(w, wid);
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "TableName", w->table);
    cJSON_AddItemToObject(req, "Key", wl_key_new(w, key));
    cJSON_AddBoolToObject(req, "ConsistentRead", 1);
    ddb_result res = {0};
    wl_call(w, "GetItem", req, &res);
    cJSON_Delete(req);

    if (res.outcome == DDB_OUTCOME_OK) {
        const cJSON *item = res.body ? cJSON_GetObjectItemCaseSensitive(res.body, "Item") : NULL;
        int64_t v = 0;
        if (!item)
            st->ver[n] = REG_ABSENT;
        else if (ddb_item_get_i64(item, "ver", &v) == 0 && v > 0)
            st->ver[n] = v;
        /* an item without a readable ver stays unknown: never write on a guess */
    }
    hist_op op;
    wl_op_init(w, &op, seq, "read");
    int rc = wl_journal(w, &op, &res);
    ddb_result_free(&res);
    return rc;
}

static int register_write(wl_worker *w, reg_state *st, long n, const char *key)
{
    char wid[HIST_WID_MAX];
    uint64_t seq = wl_next_wid(w, wid);
    int64_t prev = st->ver[n], next = prev + 1;
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "TableName", w->table);
    const char *operation;
    if (prev == REG_ABSENT) {
        operation = "PutItem";
        cJSON_AddItemToObject(req, "Item", wl_item_new(w, key, wid, next));
        cJSON_AddStringToObject(req, "ConditionExpression", "attribute_not_exists(#h)");
        cJSON *names = cJSON_AddObjectToObject(req, "ExpressionAttributeNames");
        cJSON_AddStringToObject(names, "#h", w->hash_key);
    } else {
        operation = "UpdateItem";
        cJSON_AddItemToObject(req, "Key", wl_key_new(w, key));
        int with_pay = w->spec->item_bytes > 0;
        cJSON_AddStringToObject(req, "UpdateExpression",
                                with_pay ? "SET ver = :v, wid = :w, pay = :p"
                                         : "SET ver = :v, wid = :w");
        cJSON_AddStringToObject(req, "ConditionExpression", "ver = :prev");
        cJSON *values = cJSON_AddObjectToObject(req, "ExpressionAttributeValues");
        wl_values_add_n(values, ":v", next);
        wl_values_add_s(values, ":w", wid);
        if (with_pay) {
            char *pay = wl_payload_new(w, key, wid);
            wl_values_add_s(values, ":p", pay ? pay : "");
            free(pay);
        }
        wl_values_add_n(values, ":prev", prev);
    }
    ddb_result res = {0};
    wl_call(w, operation, req, &res);
    cJSON_Delete(req);

    if (res.outcome == DDB_OUTCOME_OK)
        st->ver[n] = next;
    else if (res.outcome == DDB_OUTCOME_INFO || res.err == DDB_ERR_CONDITIONAL)
        st->ver[n] = REG_UNKNOWN;

    hist_op op;
    hist_write hw;
    wl_op_init(w, &op, seq, prev == REG_ABSENT ? "put" : "update");
    wl_write_init(&hw, key, wid, prev == REG_ABSENT ? HIST_PUT : HIST_UPDATE);
    hw.ver = next;
    op.nwrites = 1;
    op.writes = &hw;
    int rc = wl_journal(w, &op, &res);
    ddb_result_free(&res);
    return rc;
}

static int register_step(wl_worker *w, char *err, size_t errlen)
{
    reg_state *st = w->state;
    long n = wl_pick_key(w);
    char key[HIST_KEY_MAX];
    wl_key_name(w, "reg", n, key);
    int rc =
        st->ver[n] == REG_UNKNOWN ? register_read(w, st, n, key) : register_write(w, st, n, key);
    if (rc != 0) {
        snprintf(err, errlen, "register: cannot journal an operation");
        return -1;
    }
    return 0;
}

static void register_teardown(wl_worker *w)
{
    reg_state *st = w->state;
    if (st) {
        free(st->ver);
        free(st);
    }
    w->state = NULL;
}

const wl_ops wl_register_ops = {
    .name = "register",
    .help = "versioned overwrites of owned keys (conditional on ver = :prev)",
    .setup = register_setup,
    .step = register_step,
    .teardown = register_teardown,
};
