/*
 * insert.c - the "insert" workload: every operation creates a new item that no other
 * write touches, key "ins/<worker>/<seq>", item {pk, wid, ver=1, pay}.
 *
 * PutItem carries ConditionExpression attribute_not_exists(<hash key>), which makes a
 * retried put that already applied fail instead of writing twice (ddb reports the op as
 * info, since an earlier attempt was indeterminate). "large" shares this code with a
 * bigger payload.
 */
#include "workloads/insert.h"
#include "workloads/wl_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb/attr.h"
#include "util/payload.h"

static int insert_setup(wl_worker *w, char *err, size_t errlen)
{
    return 0;
}

/* Appends a string literal. */
#define PUT_LIT(o, lit) (memcpy((o), "" lit, sizeof(lit) - 1), (o) += sizeof(lit) - 1)

static char *put_quoted(char *o, const char *s)
{
    return o + ddb_json_quote(o, s, strlen(s));
}

/* {"<name>":{"S":"<value>"}} members are written as  "<name>":{"S":<quoted value>} */
static char *put_s_attr(char *o, const char *name, const char *value)
{
    o = put_quoted(o, name);
    PUT_LIT(o, ":{\"S\":");
    o = put_quoted(o, value);
    PUT_LIT(o, "}");
    return o;
}

int wl_insert_request_text(const wl_worker *w, const char *key, const char *wid, char **buf,
                           size_t *cap, size_t *len)
{
    size_t pay = w->spec->item_bytes > 0 ? (size_t)w->spec->item_bytes : 0;
    size_t tl = strlen(w->table), hl = strlen(w->hash_key), kl = strlen(key), wl = strlen(wid);
    /* The literals below come to under 200 bytes; each string at its escaped maximum. */
    size_t need = 256 + DDB_JSON_QUOTED_MAX(tl) + 2 * DDB_JSON_QUOTED_MAX(hl) +
                  DDB_JSON_QUOTED_MAX(kl) + DDB_JSON_QUOTED_MAX(wl) + pay;
    if (need > *cap) {
        char *nb = malloc(need);
        if (!nb) return -1;
        *buf = nb;
        *cap = need;
    }
    char *o = *buf;
    PUT_LIT(o, "{\"TableName\":");
    o = put_quoted(o, w->table);
    PUT_LIT(o, ",\"Item\":{");
    o = put_s_attr(o, w->hash_key, key);
    PUT_LIT(o, ",");
    o = put_s_attr(o, "wid", wid);
    PUT_LIT(o, ",\"ver\":{\"N\":\"1\"}");
    if (pay > 0) {
        /* The payload is [A-Za-z0-9] only (util/payload.h): its JSON string is itself
         * between quotes, so it is generated in place. */
        PUT_LIT(o, ",\"pay\":{\"S\":\"");
        bc_payload(w->seed, key, wid, pay, o);
        o += pay;
        PUT_LIT(o, "\"}");
    }
    PUT_LIT(o, "},\"ConditionExpression\":\"attribute_not_exists(#h)\","
               "\"ExpressionAttributeNames\":{\"#h\":");
    o = put_quoted(o, w->hash_key);
    PUT_LIT(o, "}}");
    *len = (size_t)(o - *buf);
    return 0;
}

/* Room on the stack for the request of an insert with a payload of about a kilobyte;
 * bigger ones ("large") take an allocation, small next to their own size. */
#define INSERT_STACK_BODY 2048

/* Sends one conditional PutItem of a fresh key under `prefix` and journals it. */
int wl_insert_one(wl_worker *w, const char *prefix, const char *f, char key_out[HIST_KEY_MAX],
                  int *outcome, int64_t *complete_ns)
{
    char wid[HIST_WID_MAX], key[HIST_KEY_MAX];
    uint64_t seq = wl_next_wid(w, wid);
    wl_key_name(w, prefix, (long)seq, key);

    char stack[INSERT_STACK_BODY], *body = stack;
    size_t cap = sizeof stack, len = 0;
    ddb_result res = {0};
    int built = wl_insert_request_text(w, key, wid, &body, &cap, &len) == 0;
    /* A request that could not be written is refused by ddb_call_json like an
     * unprintable tree. */
    wl_call_json(w, "PutItem", built ? body : NULL, len, &res);
    if (body != stack) free(body);

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
