/*
 * bank.c - the "bank" workload: transfers between accounts that preserve a total.
 *
 * Setup creates spec->accounts accounts "bank/<worker>/<i>" per worker, each a
 * conditional PutItem {pk, wid, ver=1, bal=initial_balance, pay}, journaled as puts; a
 * setup put that is not ok fails the setup (the total would be unknown). Each step is one
 * TransactWriteItems moving a random amount between two distinct accounts of the worker:
 *
 *   from: SET bal = bal - :amt, wid = :w, pay = :p   IF bal >= :amt AND wid <> :w
 *   to:   SET wid = :w, pay = :p ADD bal :amt        IF wid <> :w
 *
 * Both items carry the transfer's wid; the history op has f "transfer", "txn": true and
 * two writes of kind "add" with delta -amt and +amt. Since a worker only moves money
 * between its own accounts, the table's total is always threads * accounts *
 * initial_balance (wl_bank_total). The `wid <> :w` conditions and the ClientRequestToken
 * make a retried transfer that already applied fail instead of moving the money twice.
 */
#include "workloads/wl_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "ddb/attr.h"
#include "util/pcg32.h"

/* Amounts are 1..initial_balance/BANK_AMOUNT_DIVISOR, small enough that most transfers
 * find the money. */
#define BANK_AMOUNT_DIVISOR 10

static int bank_setup(wl_worker *w, char *err, size_t errlen)
{
    for (int i = 0; i < w->spec->accounts; i++) {
        char wid[HIST_WID_MAX], key[HIST_KEY_MAX];
        uint64_t seq = wl_next_wid(w, wid);
        wl_key_name(w, "bank", i, key);
        cJSON *req = cJSON_CreateObject();
        cJSON_AddStringToObject(req, "TableName", w->table);
        cJSON *item = wl_item_new(w, key, wid, 1);
        cJSON_AddItemToObject(item, "bal", ddb_attr_n_i64(w->spec->initial_balance));
        cJSON_AddItemToObject(req, "Item", item);
        cJSON_AddStringToObject(req, "ConditionExpression", "attribute_not_exists(#h)");
        cJSON *names = cJSON_AddObjectToObject(req, "ExpressionAttributeNames");
        cJSON_AddStringToObject(names, "#h", w->hash_key);
        ddb_result res = {0};
        wl_call(w, "PutItem", req, &res);
        cJSON_Delete(req);

        hist_op op;
        hist_write hw;
        wl_op_init(w, &op, seq, "put");
        wl_write_init(&hw, key, wid, HIST_PUT);
        hw.ver = 1;
        op.nwrites = 1;
        op.writes = &hw;
        int rc = wl_journal(w, &op, &res);
        if (rc == 0 && res.outcome != DDB_OUTCOME_OK)
            snprintf(err, errlen, "bank: creating account %s: %s%s%s", key,
                     wl_err_name(&res) ? wl_err_name(&res) : "error",
                     res.err_message[0] ? ": " : "", res.err_message);
        else if (rc != 0)
            snprintf(err, errlen, "bank: cannot journal an operation");
        int ok = rc == 0 && res.outcome == DDB_OUTCOME_OK;
        ddb_result_free(&res);
        if (!ok) return -1;
    }
    return 0;
}

static cJSON *transfer_action(const wl_worker *w, const char *key, const char *wid, int64_t amt,
                              int is_from)
{
    int with_pay = w->spec->item_bytes > 0;
    cJSON *action = cJSON_CreateObject();
    cJSON *up = cJSON_AddObjectToObject(action, "Update");
    cJSON_AddStringToObject(up, "TableName", w->table);
    cJSON_AddItemToObject(up, "Key", wl_key_new(w, key));
    if (is_from) {
        cJSON_AddStringToObject(up, "UpdateExpression",
                                with_pay ? "SET bal = bal - :amt, wid = :w, pay = :p"
                                         : "SET bal = bal - :amt, wid = :w");
        cJSON_AddStringToObject(up, "ConditionExpression", "bal >= :amt AND wid <> :w");
    } else {
        cJSON_AddStringToObject(up, "UpdateExpression",
                                with_pay ? "SET wid = :w, pay = :p ADD bal :amt"
                                         : "SET wid = :w ADD bal :amt");
        cJSON_AddStringToObject(up, "ConditionExpression", "wid <> :w");
    }
    cJSON *values = cJSON_AddObjectToObject(up, "ExpressionAttributeValues");
    wl_values_add_n(values, ":amt", amt);
    wl_values_add_s(values, ":w", wid);
    if (with_pay) {
        char *pay = wl_payload_new(w, key, wid);
        wl_values_add_s(values, ":p", pay ? pay : "");
        free(pay);
    }
    return action;
}

static int bank_step(wl_worker *w, char *err, size_t errlen)
{
    const wl_spec *s = w->spec;
    uint32_t accounts = (uint32_t)s->accounts;
    long from = (long)pcg32_bounded(&w->rng, accounts);
    long to = (long)pcg32_bounded(&w->rng, accounts - 1);
    if (to >= from) to++;
    int64_t max_amt = s->initial_balance / BANK_AMOUNT_DIVISOR;
    if (max_amt < 1) max_amt = 1;
    int64_t amt = 1 + (int64_t)pcg32_bounded(
                          &w->rng, (uint32_t)(max_amt > UINT32_MAX ? UINT32_MAX : max_amt));
    char wid[HIST_WID_MAX], token[WL_TOKEN_MAX], kfrom[HIST_KEY_MAX], kto[HIST_KEY_MAX];
    uint64_t seq = wl_next_wid(w, wid);
    wl_key_name(w, "bank", from, kfrom);
    wl_key_name(w, "bank", to, kto);
    wl_client_token(w, wid, token);

    cJSON *req = cJSON_CreateObject();
    cJSON *items = cJSON_AddArrayToObject(req, "TransactItems");
    cJSON_AddItemToArray(items, transfer_action(w, kfrom, wid, amt, 1));
    cJSON_AddItemToArray(items, transfer_action(w, kto, wid, amt, 0));
    cJSON_AddStringToObject(req, "ClientRequestToken", token);
    ddb_result res = {0};
    wl_call(w, "TransactWriteItems", req, &res);
    cJSON_Delete(req);

    hist_op op;
    hist_write hw[2];
    wl_op_init(w, &op, seq, "transfer");
    wl_write_init(&hw[0], kfrom, wid, HIST_ADD);
    hw[0].delta = -amt;
    wl_write_init(&hw[1], kto, wid, HIST_ADD);
    hw[1].delta = amt;
    op.txn = 1;
    op.nwrites = 2;
    op.writes = hw;
    int rc = wl_journal(w, &op, &res);
    ddb_result_free(&res);
    if (rc != 0) {
        snprintf(err, errlen, "bank: cannot journal an operation");
        return -1;
    }
    return 0;
}

static void bank_teardown(wl_worker *w) {}

const wl_ops wl_bank_ops = {
    .name = "bank",
    .help = "transactional transfers between owned accounts; the total is invariant",
    .setup = bank_setup,
    .step = bank_step,
    .teardown = bank_teardown,
};
