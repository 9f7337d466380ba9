/*
 * wl_internal.h - helpers the workload files share (workloads/common.c); not part of the
 * interface the harness sees (workload.h).
 */
#ifndef BC_WL_INTERNAL_H
#define BC_WL_INTERNAL_H
#include <cjson/cJSON.h>

#include "workloads/workload.h"

/* A history write with the conventions every workload follows: status -1 (the op's own
 * outcome) unless a caller overrides it for one item. */
void wl_write_init(hist_write *hw, const char *key, const char *wid, hist_write_kind kind);

/* A new item {<hash>: key, wid, ver, pay (spec->item_bytes long; omitted when 0)}. */
cJSON *wl_item_new(const wl_worker *w, const char *key, const char *wid, int64_t ver);
/* {"<hash>": {"S": key}} for Get/Update/Delete. */
cJSON *wl_key_new(const wl_worker *w, const char *key);
/* The payload string for (key, wid), malloc'd (caller frees); "" when item_bytes is 0. */
char *wl_payload_new(const wl_worker *w, const char *key, const char *wid);
/* Adds {"S": s} under name to an ExpressionAttributeValues object. */
void wl_values_add_s(cJSON *values, const char *name, const char *s);
void wl_values_add_n(cJSON *values, const char *name, int64_t v);
/* An op with the worker's identity, its sequence number and the workload's name. */
void wl_op_init(const wl_worker *w, hist_op *op, uint64_t seq, const char *f);
/* Journals a filled op (when the worker has a journal) and counts its outcome; what
 * wl_journal does after copying a ddb_result's fields. */
int wl_journal_op(wl_worker *w, hist_op *op);
/* The error name the history records for a result: the service's __type, else the
 * client's text for a transport error, else NULL. */
const char *wl_err_name(const ddb_result *res);
/* The history's name for an error class ("InternalServerError", "Timeout"); NULL for ok. */
const char *wl_err_code_name(ddb_err err);
/* insert.c: one conditional PutItem of a new key "<prefix>/<worker>/<seq>", journaled
 * with f. Returns the journal's result; key, outcome and completion instant go to the
 * out-parameters that are not NULL. */
int wl_insert_one(wl_worker *w, const char *prefix, const char *f, char key_out[HIST_KEY_MAX],
                  int *outcome, int64_t *complete_ns);

/* txn.c: a TransactWriteItems ClientRequestToken derived from (table, seed, worker, wid);
 * 32 hex digits (the parameter allows 1..36 characters). */
#define WL_TOKEN_MAX 40
void wl_client_token(const wl_worker *w, const char *wid, char out[WL_TOKEN_MAX]);
/* txn.c: k distinct key indexes from the worker's distribution (k <= its key count). */
void wl_pick_distinct(wl_worker *w, long *out, int k);

/* large.c: the largest item_bytes whose items fit DDB_MAX_ITEM_BYTES for this worker. */
long wl_large_max_payload(const wl_worker *w);

extern const wl_ops wl_insert_ops, wl_register_ops, wl_append_ops, wl_delete_ops, wl_txn_ops,
    wl_bank_ops, wl_batch_ops, wl_large_ops;
#endif
