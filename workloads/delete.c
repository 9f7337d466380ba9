/*
 * delete.c - the "delete" workload: inserts new keys "del/<worker>/<seq>" (as "insert"
 * does) and deletes each one delete_after_s seconds after its insert completed, so that
 * backups see keys both before and after their deletion.
 *
 * Each step does one operation: the DeleteItem of the oldest pending key when its time
 * has come, else a new insert. Pending keys wait in a per-worker FIFO of (key, insert
 * completion instant); keys whose insert definitely failed are not queued (nothing to
 * delete), keys whose insert was indeterminate are (the delete is harmless if the put
 * never applied). DeleteItem is unconditional, so a retried delete is idempotent; the
 * history records it as a write of kind "delete" with the delete's own wid.
 */
#include "workloads/wl_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"

typedef struct del_pending {
    char key[HIST_KEY_MAX];
    int64_t inserted_ns;
} del_pending;

typedef struct del_state {
    del_pending *q; /* ring buffer */
    size_t cap, head, len;
} del_state;

#define DEL_INITIAL_CAP 64

static int delete_setup(wl_worker *w, char *err, size_t errlen)
{
    del_state *st = calloc(1, sizeof *st);
    if (st) st->q = calloc(DEL_INITIAL_CAP, sizeof *st->q);
    if (!st || !st->q) {
        free(st);
        snprintf(err, errlen, "delete: out of memory");
        return -1;
    }
    st->cap = DEL_INITIAL_CAP;
    w->state = st;
    return 0;
}

static int queue_push(del_state *st, const char *key, int64_t at)
{
    if (st->len == st->cap) {
        del_pending *nq = calloc(st->cap * 2, sizeof *nq);
        if (!nq) return -1;
        for (size_t i = 0; i < st->len; i++)
            nq[i] = st->q[(st->head + i) % st->cap];
        free(st->q);
        st->q = nq;
        st->head = 0;
        st->cap *= 2;
    }
    del_pending *p = &st->q[(st->head + st->len) % st->cap];
    snprintf(p->key, sizeof p->key, "%s", key);
    p->inserted_ns = at;
    st->len++;
    return 0;
}

static int delete_one(wl_worker *w, const char *key)
{
    char wid[HIST_WID_MAX];
    uint64_t seq = wl_next_wid(w, wid);
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "TableName", w->table);
    cJSON_AddItemToObject(req, "Key", wl_key_new(w, key));
    ddb_result res = {0};
    wl_call(w, "DeleteItem", req, &res);
    cJSON_Delete(req);

    hist_op op;
    hist_write hw;
    wl_op_init(w, &op, seq, "delete");
    wl_write_init(&hw, key, wid, HIST_DELETE);
    op.nwrites = 1;
    op.writes = &hw;
    int rc = wl_journal(w, &op, &res);
    ddb_result_free(&res);
    return rc;
}

static int delete_step(wl_worker *w, char *err, size_t errlen)
{
    del_state *st = w->state;
    int64_t after_ns = (int64_t)(w->spec->delete_after_s * (double)BC_NS_PER_S);
    int rc;
    if (st->len > 0 && bc_now_ns() - st->q[st->head].inserted_ns >= after_ns) {
        char key[HIST_KEY_MAX];
        memcpy(key, st->q[st->head].key, sizeof key);
        st->head = (st->head + 1) % st->cap;
        st->len--;
        rc = delete_one(w, key);
    } else {
        char key[HIST_KEY_MAX];
        int outcome = DDB_OUTCOME_FAIL;
        int64_t done = 0;
        rc = wl_insert_one(w, "del", "put", key, &outcome, &done);
        if (rc == 0 && outcome != DDB_OUTCOME_FAIL && queue_push(st, key, done) != 0) {
            snprintf(err, errlen, "delete: out of memory for the pending-delete queue");
            return -1;
        }
    }
    if (rc != 0) {
        snprintf(err, errlen, "delete: cannot journal an operation");
        return -1;
    }
    return 0;
}

static void delete_teardown(wl_worker *w)
{
    del_state *st = w->state;
    if (st) {
        free(st->q);
        free(st);
    }
    w->state = NULL;
}

const wl_ops wl_delete_ops = {
    .name = "delete",
    .help = "inserts keys and deletes each delete_after_s seconds later",
    .setup = delete_setup,
    .step = delete_step,
    .teardown = delete_teardown,
};
