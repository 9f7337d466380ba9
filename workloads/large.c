/*
 * large.c - the "large" workload: "insert" with big items, key "lrg/<worker>/<seq>", up
 * to DynamoDB's 400 KB item size limit (DDB_MAX_ITEM_BYTES, attribute names included).
 *
 * Setup computes the largest payload that fits next to the other attributes (hash key,
 * wid, ver and the name "pay", sized by DynamoDB's rules with the longest key and wid this
 * worker can produce) and rejects a larger item_bytes with an error naming both numbers,
 * rather than letting every put fail with a ValidationException.
 */
#include "workloads/wl_internal.h"

#include <inttypes.h>
#include <stdio.h>

#include "ddb/attr.h"

/* The largest payload for worker w's items: DDB_MAX_ITEM_BYTES minus everything else. */
long wl_large_max_payload(const wl_worker *w)
{
    char key[HIST_KEY_MAX], wid[HIST_WID_MAX];
    snprintf(key, sizeof key, "lrg/%d/%" PRIu64, w->worker, UINT64_MAX);
    snprintf(wid, sizeof wid, "%d.%" PRIu64, w->worker, UINT64_MAX);
    cJSON *probe = wl_key_new(w, key);
    cJSON_AddItemToObject(probe, "wid", ddb_attr_s(wid));
    cJSON_AddItemToObject(probe, "ver", ddb_attr_n_i64(1));
    cJSON_AddItemToObject(probe, "pay", ddb_attr_s(""));
    long other = (long)ddb_item_size(probe);
    cJSON_Delete(probe);
    return (long)DDB_MAX_ITEM_BYTES - other;
}

static int large_setup(wl_worker *w, char *err, size_t errlen)
{
    long max = wl_large_max_payload(w);
    if (w->spec->item_bytes > max) {
        snprintf(err, errlen,
                 "workloads[%d].item_bytes: %d does not fit DynamoDB's 400 KB item limit "
                 "(%d bytes, names included); at most %ld payload bytes fit beside the key, "
                 "wid and ver",
                 w->spec->index, w->spec->item_bytes, DDB_MAX_ITEM_BYTES, max);
        return -1;
    }
    return 0;
}

static int large_step(wl_worker *w, char *err, size_t errlen)
{
    if (wl_insert_one(w, "lrg", "put", NULL, NULL, NULL) != 0) {
        snprintf(err, errlen, "large: cannot journal an operation");
        return -1;
    }
    return 0;
}

static void large_teardown(wl_worker *w) {}

const wl_ops wl_large_ops = {
    .name = "large",
    .help = "conditional PutItem of new items up to the 400 KB item size limit",
    .setup = large_setup,
    .step = large_step,
    .teardown = large_teardown,
};
