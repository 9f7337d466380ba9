/*
 * insert.c - the "insert" workload: every operation creates a new item that no other
 * write touches, key "ins/<worker>/<seq>", item {pk, wid, ver=1, pay}.
 *
 * PutItem carries ConditionExpression attribute_not_exists(<hash key>), which makes a
 * retried put that already applied fail instead of writing twice (ddb reports the op as
 * info, since an earlier attempt was indeterminate). "large" shares this code with a
 * bigger payload.
 */
#include "workloads/wl_internal.h"

#include <stdio.h>

static int insert_setup(wl_worker *w, char *err, size_t errlen)
{
    return 0;
}

/* Sends one conditional PutItem of a fresh key under `prefix` and journals it. */
int wl_insert_one(wl_worker *w, const char *prefix, const char *f, char key_out[HIST_KEY_MAX],
                  int *outcome, int64_t *complete_ns)
{
    char wid[HIST_WID_MAX], key[HIST_KEY_MAX];
    uint64_t seq = wl_next_wid(w, wid);
    wl_key_name(w, prefix, (long)seq, key);

    /* Literal keys and strings that outlive the request are attached, not copied
     * (the CS and reference forms): a request is built for every operation. */
    cJSON *req = cJSON_CreateObject();
    cJSON_AddItemToObjectCS(req, "TableName", cJSON_CreateStringReference(w->table));
    cJSON_AddItemToObjectCS(req, "Item", wl_item_new(w, key, wid, 1));
    cJSON_AddItemToObjectCS(req, "ConditionExpression",
                            cJSON_CreateStringReference("attribute_not_exists(#h)"));
    cJSON *names = cJSON_CreateObject();
    cJSON_AddItemToObjectCS(req, "ExpressionAttributeNames", names);
    cJSON_AddItemToObjectCS(names, "#h", cJSON_CreateStringReference(w->hash_key));

    ddb_result res = {0};
    wl_call(w, "PutItem", req, &res);
    cJSON_Delete(req);

    hist_op op;
    hist_write hw;
    wl_op_init(w, &op, seq, f);
    wl_write_init(&hw, key, wid, HIST_PUT);
    hw.ver = 1;
    op.nwrites = 1;
    op.writes = &hw;
    int rc = wl_journal(w, &op, &res);
    ddb_result_free(&res);
    if (key_out) snprintf(key_out, HIST_KEY_MAX, "%s", key);
    if (outcome) *outcome = op.outcome;
    if (complete_ns) *complete_ns = op.complete_ns;
    return rc;
}

static int insert_step(wl_worker *w, char *err, size_t errlen)
{
    if (wl_insert_one(w, "ins", "put", NULL, NULL, NULL) != 0) {
        snprintf(err, errlen, "insert: cannot journal an operation");
        return -1;
    }
    return 0;
}

static void insert_teardown(wl_worker *w) {}

const wl_ops wl_insert_ops = {
    .name = "insert",
    .help = "conditional PutItem of new unique items (ins/<worker>/<seq>)",
    .setup = insert_setup,
    .step = insert_step,
    .teardown = insert_teardown,
};
