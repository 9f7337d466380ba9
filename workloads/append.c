/*
 * append.c - the "append" workload: each operation appends its write id to the `ids` list
 * of one of the worker's own keys "app/<worker>/<n>" (n from the key distribution):
 *
 *   UpdateItem  SET ids = list_append(if_not_exists(ids, :empty), :new),
 *                   wid = :w, ver = :one, pay = :p
 *               ConditionExpression NOT contains(ids, :w)
 *
 * so the item's `ids` is the sequence of applied appends in the owner's order, and `wid`
 * and `pay` belong to the last one. The condition makes an append idempotent: a retry of
 * an attempt that did apply fails its condition instead of appending the id twice (ddb
 * reports the op as info because an earlier attempt was indeterminate). A list grows by
 * about 12 bytes per append, so a key hit some tens of thousands of times reaches the
 * 400 KB item limit and further appends to it fail with a ValidationException (journaled
 * as fail, as they are).
 */
#include "workloads/wl_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "ddb/attr.h"

static int append_setup(wl_worker *w, char *err, size_t errlen)
{
    return 0;
}

static int append_step(wl_worker *w, char *err, size_t errlen)
{
    char wid[HIST_WID_MAX], key[HIST_KEY_MAX];
    long n = wl_pick_key(w);
    uint64_t seq = wl_next_wid(w, wid);
    wl_key_name(w, "app", n, key);
    int with_pay = w->spec->item_bytes > 0;

    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "TableName", w->table);
    cJSON_AddItemToObject(req, "Key", wl_key_new(w, key));
    cJSON_AddStringToObject(req, "UpdateExpression",
                            with_pay ? "SET ids = list_append(if_not_exists(ids, :empty), :new), "
                                       "wid = :w, ver = :one, pay = :p"
                                     : "SET ids = list_append(if_not_exists(ids, :empty), :new), "
                                       "wid = :w, ver = :one");
    cJSON_AddStringToObject(req, "ConditionExpression", "NOT contains(ids, :w)");
    cJSON *values = cJSON_AddObjectToObject(req, "ExpressionAttributeValues");
    cJSON *empty = cJSON_CreateObject();
    cJSON_AddItemToObject(empty, "L", cJSON_CreateArray());
    cJSON_AddItemToObject(values, ":empty", empty);
    cJSON *one = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(one, "L");
    cJSON_AddItemToArray(list, ddb_attr_s(wid));
    cJSON_AddItemToObject(values, ":new", one);
    wl_values_add_s(values, ":w", wid);
    wl_values_add_n(values, ":one", 1);
    if (with_pay) {
        char *pay = wl_payload_new(w, key, wid);
        wl_values_add_s(values, ":p", pay ? pay : "");
        free(pay);
    }
    ddb_result res = {0};
    wl_call(w, "UpdateItem", req, &res);
    cJSON_Delete(req);

    hist_op op;
    hist_write hw;
    wl_op_init(w, &op, seq, "append");
    wl_write_init(&hw, key, wid, HIST_APPEND);
    hw.ver = 1;
    op.nwrites = 1;
    op.writes = &hw;
    int rc = wl_journal(w, &op, &res);
    ddb_result_free(&res);
    if (rc != 0) {
        snprintf(err, errlen, "append: cannot journal an operation");
        return -1;
    }
    return 0;
}

static void append_teardown(wl_worker *w) {}

const wl_ops wl_append_ops = {
    .name = "append",
    .help = "list_append of the write id to the ids list of owned keys",
    .setup = append_setup,
    .step = append_step,
    .teardown = append_teardown,
};
