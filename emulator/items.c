/*
 * items.c - the emulator's data plane: PutItem, GetItem, UpdateItem, DeleteItem, Query,
 * Scan, BatchWriteItem, BatchGetItem, TransactWriteItems and TransactGetItems over the
 * MVCC store, with the expression engine (expr.h) for conditions, updates, filters,
 * projections and key conditions, and ConsumedCapacity by DynamoDB's documented rules
 * (AWS-FACTS.md §5): writes in 1 KB units of max(old, new), reads in 4 KB units (half for
 * eventually consistent reads), transactions twice, Query/Scan summing the evaluated
 * items before rounding.
 *
 * Every write takes its partition's write lock, evaluates its condition against the
 * latest version, takes a commit timestamp and appends the version before unlocking; a
 * transaction locks all of its partitions in (table, partition) order first and commits
 * every item with ONE timestamp.
 */
#include "emulator/emu_internal.h"
#include "emulator/expr.h"
#include "ddb/sigv4.h"
#include "util/clock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Capacity unit sizes ("Read/write capacity units"): 1 KB per write unit, 4 KB per read. */
#define EMU_WRITE_UNIT_BYTES 1024
#define EMU_READ_UNIT_BYTES 4096

typedef enum { EMU_CC_NONE = 0, EMU_CC_TOTAL, EMU_CC_INDEXES } emu_cc_mode;

/* ---- helpers ---- */

static const cJSON *emu_names(const cJSON *o)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, "ExpressionAttributeNames");
    return cJSON_IsObject(n) ? n : NULL;
}

static const cJSON *emu_values(const cJSON *o)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "ExpressionAttributeValues");
    return cJSON_IsObject(v) ? v : NULL;
}

static int emu_legacy(emu_req *r, const cJSON *o)
{
    static const char *const legacy[] = {"Expected",    "AttributeUpdates", "KeyConditions",
                                         "QueryFilter", "ScanFilter",       "ConditionalOperator"};
    for (size_t i = 0; i < sizeof legacy / sizeof legacy[0]; i++)
        if (cJSON_GetObjectItemCaseSensitive(o, legacy[i]))
            return emu_fail(r, "ValidationException",
                            "The legacy parameter %s is not supported by this emulator; use "
                            "the expression parameters instead",
                            legacy[i]);
    return 0;
}

static emu_cc_mode emu_cc(const cJSON *o)
{
    const char *m = emu_get_str(o, "ReturnConsumedCapacity");
    if (!m) return EMU_CC_NONE;
    if (strcmp(m, "TOTAL") == 0) return EMU_CC_TOTAL;
    if (strcmp(m, "INDEXES") == 0) return EMU_CC_INDEXES;
    return EMU_CC_NONE;
}

static double emu_write_units(size_t bytes)
{
    double u = ceil((double)bytes / EMU_WRITE_UNIT_BYTES);
    return u < 1 ? 1 : u;
}

static double emu_read_units(size_t bytes, int consistent)
{
    double u = ceil((double)bytes / EMU_READ_UNIT_BYTES);
    if (u < 1) u = 1;
    return consistent ? u : u / 2;
}

static cJSON *emu_cc_json(const char *table, double read, double write, emu_cc_mode mode)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "TableName", table);
    cJSON_AddNumberToObject(c, "CapacityUnits", read + write);
    if (read > 0) cJSON_AddNumberToObject(c, "ReadCapacityUnits", read);
    if (write > 0) cJSON_AddNumberToObject(c, "WriteCapacityUnits", write);
    if (mode == EMU_CC_INDEXES) {
        cJSON *t = cJSON_AddObjectToObject(c, "Table");
        cJSON_AddNumberToObject(t, "CapacityUnits", read + write);
        if (read > 0) cJSON_AddNumberToObject(t, "ReadCapacityUnits", read);
        if (write > 0) cJSON_AddNumberToObject(t, "WriteCapacityUnits", write);
    }
    return c;
}

static void emu_cc_single(emu_req *r, const char *table, double read, double write)
{
    emu_cc_mode m = emu_cc(r->body);
    if (m != EMU_CC_NONE)
        cJSON_AddItemToObject(r->out, "ConsumedCapacity", emu_cc_json(table, read, write, m));
}

static int emu_consistent(const cJSON *o)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ConsistentRead"));
}

/* A table that can serve data operations (ACTIVE), ref'd; else ResourceNotFound. */
static emu_table *emu_data_table(emu_req *r, const char *name)
{
    if (!name) return emu_fail_null(r, "TableName"), NULL;
    emu_table *t = emu_table_get(r->srv, name);
    if (!t) return emu_fail(r, "ResourceNotFoundException", "Requested resource not found"), NULL;
    if (emu_table_status(t) != EMU_TS_ACTIVE) {
        emu_table_put(t);
        return emu_fail(r, "ResourceNotFoundException", "Requested resource not found"), NULL;
    }
    return t;
}

/* Where a key lives. */
typedef struct emu_loc {
    emu_table *t;
    int part;
    uint64_t hash;
    char *hkey;
    size_t hlen;
    const cJSON *hash_av, *range_av;
} emu_loc;

static int emu_locate(emu_req *r, emu_table *t, const cJSON *obj, int key_only, emu_loc *loc)
{
    memset(loc, 0, sizeof *loc);
    loc->t = t;
    if (emu_item_key(r, t, obj, key_only, &loc->hash_av, &loc->range_av) != 0) return -1;
    if (emu_key_canon(loc->hash_av, &loc->hkey, &loc->hlen) != 0)
        return emu_fail(r, "ValidationException",
                        "One or more parameter values were invalid: bad key value");
    loc->hash = bc_hash_bytes(loc->hkey, loc->hlen);
    loc->part = (int)(loc->hash % (uint64_t)t->nparts);
    return 0;
}

static emu_entry *emu_loc_entry(const emu_loc *l, int create)
{
    return emu_part_find(&l->t->parts[l->part], l->hkey, l->hlen, l->hash, l->range_av, create);
}

/* A copy of just the key attributes of item (for LastEvaluatedKey / Key). */
static cJSON *emu_key_of(const emu_table *t, const emu_index *ix, const cJSON *item)
{
    cJSON *k = cJSON_CreateObject();
    const char *names[4] = {t->hash_name, t->range_name, ix ? ix->hash_name : "",
                            ix ? ix->range_name : ""};
    for (int i = 0; i < 4; i++) {
        if (!names[i][0] || cJSON_GetObjectItemCaseSensitive(k, names[i])) continue;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, names[i]);
        if (v) cJSON_AddItemToObject(k, names[i], cJSON_Duplicate(v, 1));
    }
    return k;
}

static int emu_validate_item(emu_req *r, const cJSON *item, const char *toolarge)
{
    char err[512];
    if (!cJSON_IsObject(item)) return emu_fail_null(r, "Item");
    if (ddb_item_size(item) > DDB_MAX_ITEM_BYTES)
        return emu_fail(r, "ValidationException", "%s", toolarge);
    if (ddb_item_validate(item, err, sizeof err) != 0)
        return emu_fail(r, "ValidationException", "One or more parameter values were invalid: %s",
                        err);
    return 0;
}

/* Longest plain decimal form of a valid number: sign, "0.", 129 zeros below the point
 * (magnitude down to 1E-130) and 38 digits; or 126 integer digits (up to 9.9..E+125). */
#define EMU_NUMBER_TEXT_MAX 200

/* DynamoDB's form of a number (developer guide, data types, Number: "Leading and
 * trailing zeroes are trimmed"; exponents are written out as plain decimals, 1E+2 is
 * returned as 100, and -0 as 0). Returns 0, or -1 for a string that is no number. */
static int emu_number_canon(const char *in, char out[EMU_NUMBER_TEXT_MAX])
{
    int sign, nd, ex;
    char d[40];
    if (ddb_number_parse(in, &sign, d, &nd, &ex) != 0) return -1;
    if (sign == 0 || nd == 0) {
        strcpy(out, "0");
        return 0;
    }
    size_t k = 0;
    if (sign < 0) out[k++] = '-';
    int point = nd + ex; /* digits before the decimal point */
    if (point <= 0) {
        out[k++] = '0';
        out[k++] = '.';
        for (int i = 0; i < -point && k < EMU_NUMBER_TEXT_MAX - 41; i++)
            out[k++] = '0';
        memcpy(out + k, d, (size_t)nd);
        k += (size_t)nd;
    } else if (ex >= 0) {
        memcpy(out + k, d, (size_t)nd);
        k += (size_t)nd;
        for (int i = 0; i < ex && k < EMU_NUMBER_TEXT_MAX - 1; i++)
            out[k++] = '0';
    } else {
        memcpy(out + k, d, (size_t)point);
        k += (size_t)point;
        out[k++] = '.';
        memcpy(out + k, d + point, (size_t)(nd - point));
        k += (size_t)(nd - point);
    }
    out[k] = '\0';
    return 0;
}

/* Rewrites one number string node in place when its form is not DynamoDB's. */
static void emu_number_node(cJSON *str)
{
    char canon[EMU_NUMBER_TEXT_MAX];
    if (!cJSON_IsString(str) || emu_number_canon(str->valuestring, canon) != 0) return;
    if (strcmp(canon, str->valuestring) != 0) cJSON_SetValuestring(str, canon);
}

/* Puts every N, NS member and nested number of an AttributeValue into DynamoDB's form. */
static void emu_av_numbers(cJSON *av)
{
    cJSON *p = av ? av->child : NULL, *x;
    if (!p || !p->string) return;
    if (strcmp(p->string, "N") == 0) {
        emu_number_node(p);
    } else if (strcmp(p->string, "NS") == 0 && cJSON_IsArray(p)) {
        cJSON_ArrayForEach(x, p) emu_number_node(x);
    } else if ((strcmp(p->string, "M") == 0 && cJSON_IsObject(p)) ||
               (strcmp(p->string, "L") == 0 && cJSON_IsArray(p))) {
        cJSON_ArrayForEach(x, p) emu_av_numbers(x);
    }
}

/* Every write stores numbers the way DynamoDB returns them, so reads, ReturnValues,
 * backups and restores all see the trimmed form. */
static void emu_item_numbers(cJSON *item)
{
    cJSON *x;
    cJSON_ArrayForEach(x, item) emu_av_numbers(x);
}

/* Applies ProjectionExpression / AttributesToGet of request object o to a copy of item. */
static int emu_project(emu_req *r, const cJSON *o, cJSON *item, cJSON **out)
{
    *out = item;
    if (!item) return 0;
    const char *pe = emu_get_str(o, "ProjectionExpression");
    const cJSON *atg = cJSON_GetObjectItemCaseSensitive(o, "AttributesToGet");
    char err[512];
    if (pe) {
        cJSON *p;
        if (emu_projection_apply(pe, emu_names(o), item, &p, err, sizeof err) != 0)
            return emu_fail(r, "ValidationException", "%s", err);
        cJSON_Delete(item);
        *out = p;
    } else if (cJSON_IsArray(atg)) {
        cJSON *p = cJSON_CreateObject();
        const cJSON *n;
        cJSON_ArrayForEach(n, atg)
        {
            const cJSON *v =
                cJSON_IsString(n) ? cJSON_GetObjectItemCaseSensitive(item, n->valuestring) : NULL;
            if (v) cJSON_AddItemToObject(p, n->valuestring, cJSON_Duplicate(v, 1));
        }
        cJSON_Delete(item);
        *out = p;
    }
    return 0;
}

/* Compiles the ConditionExpression of o (NULL when none); checks unused placeholders
 * together with `other` (the UpdateExpression). */
static int emu_cond_prepare(emu_req *r, const cJSON *o, const char *field, const char *other,
                            emu_expr **out)
{
    *out = NULL;
    char err[512];
    const char *ce = emu_get_str(o, field);
    const char *pe = emu_get_str(o, "ProjectionExpression");
    const char *exprs[3] = {ce, other, pe};
    if (emu_expr_check_unused(exprs, 3, emu_names(o), emu_values(o), err, sizeof err) != 0)
        return emu_fail(r, "ValidationException", "%s", err);
    if (!ce) return 0;
    int rc = strcmp(field, "FilterExpression") == 0
                 ? emu_filter_compile(ce, emu_names(o), emu_values(o), out, err, sizeof err)
                 : emu_cond_compile(ce, emu_names(o), emu_values(o), out, err, sizeof err);
    if (rc != 0) return emu_fail(r, "ValidationException", "%s", err);
    return 0;
}

/* 1 if the condition holds on item (NULL = missing); -1 on evaluation error. */
static int emu_cond_check(emu_req *r, const emu_expr *e, const cJSON *item)
{
    if (!e) return 1;
    int ok = 0;
    char err[512];
    if (emu_cond_eval(e, item, &ok, err, sizeof err) != 0)
        return emu_fail(r, "ValidationException", "%s", err);
    return ok ? 1 : 0;
}

static int emu_ccf(emu_req *r, const cJSON *o, const cJSON *old)
{
    const char *rv = emu_get_str(o, "ReturnValuesOnConditionCheckFailure");
    if (rv && strcmp(rv, "ALL_OLD") == 0 && old) {
        r->err_extra = cJSON_CreateObject();
        cJSON_AddItemToObject(r->err_extra, "Item", cJSON_Duplicate(old, 1));
    }
    return emu_fail(r, "ConditionalCheckFailedException", "The conditional request failed");
}

static int emu_return_values(emu_req *r, const cJSON *o, int update, const char **rv)
{
    *rv = emu_get_str(o, "ReturnValues");
    if (!*rv) {
        *rv = "NONE";
        return 0;
    }
    if (strcmp(*rv, "NONE") == 0 || strcmp(*rv, "ALL_OLD") == 0) return 0;
    if (update && (strcmp(*rv, "ALL_NEW") == 0 || strcmp(*rv, "UPDATED_OLD") == 0 ||
                   strcmp(*rv, "UPDATED_NEW") == 0))
        return 0;
    return emu_fail(r, "ValidationException",
                    update ? "1 validation error detected: Value '%s' at 'returnValues' failed "
                             "to satisfy constraint: Member must satisfy enum value set: "
                             "[ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]"
                           : "ReturnValues can only be ALL_OLD or NONE (got %s)",
                    *rv);
}

/* Top-level attributes of `a` that differ in (or are missing from) `b`. */
static cJSON *emu_changed(const cJSON *a, const cJSON *b)
{
    cJSON *o = cJSON_CreateObject();
    const cJSON *x;
    cJSON_ArrayForEach(x, a)
    {
        const cJSON *y = b ? cJSON_GetObjectItemCaseSensitive(b, x->string) : NULL;
        if (!y || !ddb_attr_equal(x, y)) cJSON_AddItemToObject(o, x->string, cJSON_Duplicate(x, 1));
    }
    return o;
}

/* ---- single-item operations ---- */

/* A single-item write (PutItem, UpdateItem, DeleteItem) under way: its table (ref'd),
 * where the item lives, its ConditionExpression and ReturnValues, and once the partition
 * is locked, the entry and the latest version that conditions and ReturnValues see. */
typedef struct emu_write {
    const char *rv;
    emu_table *t;
    emu_loc l;
    emu_expr *cond;
    emu_part *p;
    emu_entry *e;
    const cJSON *old;
    size_t old_size;
} emu_write;

/* The checks the three writes make, in this order, after their own: ReturnValues, the
 * table, the key in `obj`, the ConditionExpression (placeholders checked together with
 * `other`). 0, or -1 with r failed; emu_write_end releases w in both cases. */
static int emu_write_begin(emu_req *r, const cJSON *obj, int key_only, int update,
                           const char *other, emu_write *w)
{
    memset(w, 0, sizeof *w);
    if (emu_return_values(r, r->body, update, &w->rv) != 0) return -1;
    w->t = emu_data_table(r, emu_get_str(r->body, "TableName"));
    if (!w->t) return -1;
    if (emu_locate(r, w->t, obj, key_only, &w->l) != 0) return -1;
    return emu_cond_prepare(r, r->body, "ConditionExpression", other, &w->cond);
}

/* Write-locks the item's partition and finds its entry (made when `create`). */
static void emu_write_lock(emu_write *w, int create)
{
    w->p = &w->t->parts[w->l.part];
    pthread_rwlock_wrlock(&w->p->lock);
    w->e = emu_loc_entry(&w->l, create);
    const emu_version *v = emu_entry_latest(w->e);
    w->old = v ? v->item : NULL;
    w->old_size = v ? v->size : 0;
}

/* Unlocks a write that will not happen: its condition failed (ok 0, answered as
 * ConditionalCheckFailed) or r has already failed (ok -1). */
static void emu_write_refuse(emu_req *r, emu_write *w, int ok)
{
    if (ok == 0) emu_ccf(r, r->body, w->old);
    pthread_rwlock_unlock(&w->p->lock);
}

static void emu_write_end(emu_write *w)
{
    emu_expr_free(w->cond);
    free(w->l.hkey);
    if (w->t) emu_table_put(w->t);
}

int emu_op_put_item(emu_req *r)
{
    if (emu_legacy(r, r->body) != 0) return -1;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(r->body, "Item");
    if (emu_validate_item(r, item, "Item size has exceeded the maximum allowed size") != 0)
        return -1;
    emu_write w;
    int rc = -1;
    if (emu_write_begin(r, item, 0, 0, NULL, &w) != 0) goto out;
    cJSON *copy = cJSON_Duplicate(item, 1);
    emu_item_numbers(copy);
    emu_write_lock(&w, 1);
    int ok = w.e ? emu_cond_check(r, w.cond, w.old)
                 : emu_fail(r, "InternalServerError", "out of memory");
    if (ok != 1) {
        emu_write_refuse(r, &w, ok);
        cJSON_Delete(copy);
        /* A failed conditional write still consumes capacity ("ProvisionedThroughput"). */
        goto out;
    }
    cJSON *ret = strcmp(w.rv, "ALL_OLD") == 0 && w.old ? cJSON_Duplicate(w.old, 1) : NULL;
    emu_entry_write(w.t, w.p, w.e, emu_commit_ts(r->srv), 0, copy, r->srv->retain_ns);
    size_t new_size = w.e->ver[w.e->nver - 1].size;
    pthread_rwlock_unlock(&w.p->lock);
    r->out = cJSON_CreateObject();
    if (ret) cJSON_AddItemToObject(r->out, "Attributes", ret);
    emu_cc_single(r, w.t->name, 0, emu_write_units(w.old_size > new_size ? w.old_size : new_size));
    rc = 0;
out:
    emu_write_end(&w);
    return rc;
}

int emu_op_get_item(emu_req *r)
{
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(r->body, "Key");
    emu_table *t = emu_data_table(r, emu_get_str(r->body, "TableName"));
    if (!t) return -1;
    emu_loc l;
    int rc = -1;
    char err[512];
    const char *pe = emu_get_str(r->body, "ProjectionExpression");
    if (emu_locate(r, t, key, 1, &l) != 0) goto out;
    if (emu_expr_check_unused(&pe, 1, emu_names(r->body), NULL, err, sizeof err) != 0) {
        emu_fail(r, "ValidationException", "%s", err);
        goto out;
    }
    emu_part *p = &t->parts[l.part];
    pthread_rwlock_rdlock(&p->lock);
    const emu_version *v = emu_entry_latest(emu_loc_entry(&l, 0));
    cJSON *item = v && v->item ? cJSON_Duplicate(v->item, 1) : NULL;
    size_t size = v ? v->size : 0;
    pthread_rwlock_unlock(&p->lock);
    cJSON *proj;
    if (emu_project(r, r->body, item, &proj) != 0) {
        cJSON_Delete(item);
        goto out;
    }
    r->out = cJSON_CreateObject();
    if (proj) cJSON_AddItemToObject(r->out, "Item", proj);
    emu_cc_single(r, t->name, emu_read_units(size, emu_consistent(r->body)), 0);
    rc = 0;
out:
    free(l.hkey);
    emu_table_put(t);
    return rc;
}

/* Computes the item an UpdateItem produces from old (NULL = new item from the key). */
static int emu_update_build(emu_req *r, emu_table *t, const cJSON *o, const emu_loc *l,
                            const cJSON *old, cJSON **out)
{
    *out = NULL;
    char err[512];
    cJSON *n = old ? cJSON_Duplicate(old, 1) : cJSON_CreateObject();
    if (!old) {
        cJSON_AddItemToObject(n, t->hash_name, cJSON_Duplicate(l->hash_av, 1));
        if (l->range_av) cJSON_AddItemToObject(n, t->range_name, cJSON_Duplicate(l->range_av, 1));
    }
    const char *ue = emu_get_str(o, "UpdateExpression");
    if (ue && emu_update_apply(ue, emu_names(o), emu_values(o), n, err, sizeof err) != 0) {
        cJSON_Delete(n);
        return emu_fail(r, "ValidationException", "%s", err);
    }
    emu_item_numbers(n);
    const cJSON *nh = cJSON_GetObjectItemCaseSensitive(n, t->hash_name);
    const cJSON *nr = t->range_name[0] ? cJSON_GetObjectItemCaseSensitive(n, t->range_name) : NULL;
    int hash_changed = !nh || !ddb_attr_equal(nh, l->hash_av);
    int range_changed = l->range_av && (!nr || !ddb_attr_equal(nr, l->range_av));
    if (hash_changed || range_changed) {
        cJSON_Delete(n);
        return emu_fail(r, "ValidationException",
                        "One or more parameter values were invalid: Cannot update attribute %s. "
                        "This attribute is part of the key",
                        hash_changed ? t->hash_name : t->range_name);
    }
    if (emu_validate_item(r, n, "Item size to update has exceeded the maximum allowed size") != 0) {
        cJSON_Delete(n);
        return -1;
    }
    *out = n;
    return 0;
}

int emu_op_update_item(emu_req *r)
{
    if (emu_legacy(r, r->body) != 0) return -1;
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(r->body, "Key");
    emu_write w;
    int rc = -1;
    if (emu_write_begin(r, key, 1, 1, emu_get_str(r->body, "UpdateExpression"), &w) != 0) goto out;
    emu_write_lock(&w, 1);
    const cJSON *old = w.old;
    int ok =
        w.e ? emu_cond_check(r, w.cond, old) : emu_fail(r, "InternalServerError", "out of memory");
    cJSON *n = NULL;
    if (ok == 1 && emu_update_build(r, w.t, r->body, &w.l, old, &n) != 0) ok = -1;
    if (ok != 1) {
        emu_write_refuse(r, &w, ok);
        goto out;
    }
    cJSON *ret = NULL;
    if (strcmp(w.rv, "ALL_OLD") == 0 && old)
        ret = cJSON_Duplicate(old, 1);
    else if (strcmp(w.rv, "ALL_NEW") == 0)
        ret = cJSON_Duplicate(n, 1);
    else if (strcmp(w.rv, "UPDATED_NEW") == 0)
        ret = emu_changed(n, old);
    else if (strcmp(w.rv, "UPDATED_OLD") == 0 && old)
        ret = emu_changed(old, n);
    emu_entry_write(w.t, w.p, w.e, emu_commit_ts(r->srv), 0, n, r->srv->retain_ns);
    size_t new_size = w.e->ver[w.e->nver - 1].size;
    pthread_rwlock_unlock(&w.p->lock);
    r->out = cJSON_CreateObject();
    if (ret && ret->child)
        cJSON_AddItemToObject(r->out, "Attributes", ret);
    else
        cJSON_Delete(ret);
    emu_cc_single(r, w.t->name, 0, emu_write_units(w.old_size > new_size ? w.old_size : new_size));
    rc = 0;
out:
    emu_write_end(&w);
    return rc;
}

int emu_op_delete_item(emu_req *r)
{
    if (emu_legacy(r, r->body) != 0) return -1;
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(r->body, "Key");
    emu_write w;
    int rc = -1;
    if (emu_write_begin(r, key, 1, 0, NULL, &w) != 0) goto out;
    emu_write_lock(&w, 0);
    int ok = emu_cond_check(r, w.cond, w.old);
    if (ok != 1) {
        emu_write_refuse(r, &w, ok);
        goto out;
    }
    cJSON *ret = strcmp(w.rv, "ALL_OLD") == 0 && w.old ? cJSON_Duplicate(w.old, 1) : NULL;
    if (w.old) emu_entry_write(w.t, w.p, w.e, emu_commit_ts(r->srv), 0, NULL, r->srv->retain_ns);
    pthread_rwlock_unlock(&w.p->lock);
    r->out = cJSON_CreateObject();
    if (ret) cJSON_AddItemToObject(r->out, "Attributes", ret);
    /* Deleting a missing item still costs one write unit. */
    emu_cc_single(r, w.t->name, 0, emu_write_units(w.old_size));
    rc = 0;
out:
    emu_write_end(&w);
    return rc;
}

/* ---- Query and Scan ---- */

typedef struct emu_page {
    const cJSON *o; /* the request */
    emu_table *t;
    const emu_index *ix;
    emu_expr *filter;
    long limit; /* 0 = none */
    int count_only;
    long evaluated;
    long matched;
    size_t bytes;
    cJSON *items;    /* output array (NULL when count_only) */
    cJSON *last_key; /* LastEvaluatedKey */
    int stop;
    int error;
} emu_page;

/* Offers one live item to the page (caller holds the partition lock). */
static void emu_page_offer(emu_req *r, emu_page *pg, const emu_version *v)
{
    pg->evaluated++;
    pg->bytes += v->size;
    int ok = emu_cond_check(r, pg->filter, v->item);
    if (ok < 0) {
        pg->error = 1;
        pg->stop = 1;
        return;
    }
    if (ok) {
        pg->matched++;
        if (pg->items) cJSON_AddItemToArray(pg->items, cJSON_Duplicate(v->item, 1));
    }
    if ((pg->limit && pg->evaluated >= pg->limit) || pg->bytes >= EMU_PAGE_BYTES) {
        pg->last_key = emu_key_of(pg->t, pg->ix, v->item);
        pg->stop = 1;
    }
}

static int emu_index_has_keys(const emu_index *ix, const cJSON *item)
{
    if (!ix) return 1;
    if (!cJSON_GetObjectItemCaseSensitive(item, ix->hash_name)) return 0;
    return !ix->range_name[0] || cJSON_GetObjectItemCaseSensitive(item, ix->range_name);
}

static const emu_index *emu_find_index(emu_req *r, emu_table *t)
{
    const char *name = emu_get_str(r->body, "IndexName");
    if (!name) return NULL;
    for (int i = 0; i < t->nidx; i++)
        if (strcmp(t->idx[i].name, name) == 0) return &t->idx[i];
    emu_fail(r, "ValidationException", "The table does not have the specified index: %s", name);
    return NULL;
}

static int emu_page_setup(emu_req *r, emu_page *pg, emu_table *t)
{
    memset(pg, 0, sizeof *pg);
    pg->o = r->body;
    pg->t = t;
    if (emu_legacy(r, r->body) != 0) return -1;
    if (emu_get_str(r->body, "IndexName")) {
        pg->ix = emu_find_index(r, t);
        if (!pg->ix) return -1;
        /* Query/Scan ConsistentRead: "Strongly consistent reads are not supported on global
         * secondary indexes" (ValidationException); LSIs support them. */
        if (pg->ix->global && emu_consistent(r->body))
            return emu_fail(r, "ValidationException",
                            "Consistent reads are not supported on global secondary indexes");
    }
    const cJSON *lim = cJSON_GetObjectItemCaseSensitive(r->body, "Limit");
    if (lim) {
        if (!cJSON_IsNumber(lim) || lim->valuedouble < 1)
            return emu_fail(r, "ValidationException",
                            "1 validation error detected: Value at 'limit' failed to satisfy "
                            "constraint: Member must have value greater than or equal to 1");
        pg->limit = (long)lim->valuedouble;
    }
    const char *sel = emu_get_str(r->body, "Select");
    pg->count_only = sel && strcmp(sel, "COUNT") == 0;
    if (!pg->count_only) pg->items = cJSON_CreateArray();
    const char *kce = emu_get_str(r->body, "KeyConditionExpression");
    char err[512];
    const char *exprs[3] = {emu_get_str(r->body, "FilterExpression"),
                            emu_get_str(r->body, "ProjectionExpression"), kce};
    if (emu_expr_check_unused(exprs, 3, emu_names(r->body), emu_values(r->body), err, sizeof err) !=
        0)
        return emu_fail(r, "ValidationException", "%s", err);
    if (exprs[0] && emu_filter_compile(exprs[0], emu_names(r->body), emu_values(r->body),
                                       &pg->filter, err, sizeof err) != 0)
        return emu_fail(r, "ValidationException", "%s", err);
    return 0;
}

static int emu_page_finish(emu_req *r, emu_page *pg, int consistent)
{
    r->out = cJSON_CreateObject();
    if (pg->items) {
        cJSON *projected = cJSON_CreateArray();
        cJSON *it;
        while ((it = pg->items->child)) {
            cJSON_DetachItemViaPointer(pg->items, it);
            cJSON *p;
            if (emu_project(r, r->body, it, &p) != 0) {
                cJSON_Delete(it);
                cJSON_Delete(projected);
                return -1;
            }
            cJSON_AddItemToArray(projected, p);
        }
        cJSON_AddItemToObject(r->out, "Items", projected);
    }
    cJSON_AddNumberToObject(r->out, "Count", (double)pg->matched);
    cJSON_AddNumberToObject(r->out, "ScannedCount", (double)pg->evaluated);
    if (pg->last_key) {
        cJSON_AddItemToObject(r->out, "LastEvaluatedKey", pg->last_key);
        pg->last_key = NULL;
    }
    /* Query and Scan sum the evaluated items' sizes, then round up to 4 KB once. */
    emu_cc_single(r, pg->t->name, emu_read_units(pg->bytes, consistent), 0);
    return 0;
}

static void emu_page_free(emu_page *pg)
{
    emu_expr_free(pg->filter);
    cJSON_Delete(pg->items);
    cJSON_Delete(pg->last_key);
}

/* Validates an ExclusiveStartKey and locates its table key (the location owns copies of
 * the key values; emu_start_free releases them). */
static int emu_start_key(emu_req *r, emu_table *t, const cJSON *esk, emu_loc *l)
{
    cJSON *k = cJSON_CreateObject();
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(esk, t->hash_name);
    if (v) cJSON_AddItemToObject(k, t->hash_name, cJSON_Duplicate(v, 1));
    if (t->range_name[0] && (v = cJSON_GetObjectItemCaseSensitive(esk, t->range_name)))
        cJSON_AddItemToObject(k, t->range_name, cJSON_Duplicate(v, 1));
    if (emu_locate(r, t, k, 1, l) != 0) {
        char why[sizeof r->err_msg];
        snprintf(why, sizeof why, "%s", r->err_msg);
        cJSON_Delete(k);
        free(l->hkey);
        l->hkey = NULL;
        return emu_fail(r, "ValidationException", "The provided starting key is invalid: %s", why);
    }
    l->hash_av = cJSON_Duplicate(l->hash_av, 1);
    l->range_av = l->range_av ? cJSON_Duplicate(l->range_av, 1) : NULL;
    cJSON_Delete(k);
    return 0;
}

static void emu_start_free(emu_loc *l)
{
    cJSON_Delete((cJSON *)l->hash_av);
    cJSON_Delete((cJSON *)l->range_av);
    free(l->hkey);
}

int emu_op_scan(emu_req *r)
{
    emu_table *t = emu_data_table(r, emu_get_str(r->body, "TableName"));
    if (!t) return -1;
    emu_page pg;
    emu_loc start;
    memset(&start, 0, sizeof start);
    int have_start = 0, rc = -1;
    if (emu_page_setup(r, &pg, t) != 0) goto out;
    const cJSON *seg = cJSON_GetObjectItemCaseSensitive(r->body, "Segment");
    const cJSON *tot = cJSON_GetObjectItemCaseSensitive(r->body, "TotalSegments");
    long segment = 0, total = 1;
    if (seg || tot) {
        /* TotalSegments: 1..1000000; Segment: 0..TotalSegments-1 (Scan). */
        if (!cJSON_IsNumber(seg) || !cJSON_IsNumber(tot) || tot->valuedouble < 1 ||
            tot->valuedouble > 1000000 || seg->valuedouble < 0 ||
            seg->valuedouble >= tot->valuedouble) {
            emu_fail(r, "ValidationException",
                     "The Segment parameter is zero-based and must be less than parameter "
                     "TotalSegments, and both must be given together");
            goto out;
        }
        segment = (long)seg->valuedouble;
        total = (long)tot->valuedouble;
    }
    const cJSON *esk = cJSON_GetObjectItemCaseSensitive(r->body, "ExclusiveStartKey");
    if (esk) {
        if (emu_start_key(r, t, esk, &start) != 0) goto out;
        have_start = 1;
        if ((long)((start.hash >> 32) % (uint64_t)total) != segment) {
            emu_fail(r, "ValidationException",
                     "The provided Exclusive start key does not map to the provided segment");
            goto out;
        }
    }
    for (int pi = have_start ? start.part : 0; pi < t->nparts && !pg.stop; pi++) {
        emu_part *p = &t->parts[pi];
        pthread_rwlock_rdlock(&p->lock);
        for (int ci = 0; ci < p->n && !pg.stop; ci++) {
            emu_coll *c = p->c[ci];
            if ((long)((c->hash >> 32) % (uint64_t)total) != segment) continue;
            int ei = 0;
            if (have_start && pi == start.part) {
                int cmp = memcmp(c->hkey, start.hkey,
                                 c->hkey_len < start.hlen ? c->hkey_len : start.hlen);
                if (cmp == 0) cmp = c->hkey_len < start.hlen ? -1 : c->hkey_len > start.hlen;
                if (cmp < 0) continue;
                if (cmp == 0) {
                    if (!start.range_av) continue;
                    while (ei < c->n && ddb_attr_compare(c->e[ei]->range_av, start.range_av) <= 0)
                        ei++;
                }
            }
            for (; ei < c->n && !pg.stop; ei++) {
                const emu_version *v = emu_entry_latest(c->e[ei]);
                if (!v || !v->item || !emu_index_has_keys(pg.ix, v->item)) continue;
                emu_page_offer(r, &pg, v);
            }
        }
        pthread_rwlock_unlock(&p->lock);
    }
    if (pg.error) goto out;
    rc = emu_page_finish(r, &pg, emu_consistent(r->body));
out:
    if (have_start) emu_start_free(&start);
    emu_page_free(&pg);
    emu_table_put(t);
    return rc;
}

/* Query over an index: the matching items of every partition, sorted by the index's
 * range key, then by the table key. */
typedef struct emu_qitem {
    const emu_version *v;
    const cJSON *irange;
    const char *hkey;
    size_t hlen;
    const cJSON *trange;
} emu_qitem;

static int emu_qitem_cmp(const emu_qitem *a, const emu_qitem *b)
{
    int c = 0;
    if (a->irange && b->irange) c = ddb_attr_compare(a->irange, b->irange);
    if (c) return c;
    c = memcmp(a->hkey, b->hkey, a->hlen < b->hlen ? a->hlen : b->hlen);
    if (c) return c;
    if (a->hlen != b->hlen) return a->hlen < b->hlen ? -1 : 1;
    if (a->trange && b->trange) return ddb_attr_compare(a->trange, b->trange);
    return 0;
}

static int emu_qitem_qsort(const void *a, const void *b)
{
    return emu_qitem_cmp(a, b);
}

int emu_op_query(emu_req *r)
{
    emu_table *t = emu_data_table(r, emu_get_str(r->body, "TableName"));
    if (!t) return -1;
    emu_page pg;
    emu_loc start;
    memset(&start, 0, sizeof start);
    int have_start = 0, rc = -1;
    char *hk = NULL;
    if (emu_page_setup(r, &pg, t) != 0) goto out;
    const char *kce = emu_get_str(r->body, "KeyConditionExpression");
    if (!kce) {
        emu_fail(r, "ValidationException",
                 "Either the KeyConditions or KeyConditionExpression parameter must be specified "
                 "in the request.");
        goto out;
    }
    emu_keycond kc;
    char err[512];
    if (emu_keycond_parse(kce, emu_names(r->body), emu_values(r->body), &kc, err, sizeof err) !=
        0) {
        emu_fail(r, "ValidationException", "%s", err);
        goto out;
    }
    const char *want_hash = pg.ix ? pg.ix->hash_name : t->hash_name;
    const char *want_range = pg.ix ? pg.ix->range_name : t->range_name;
    if (strcmp(kc.hash_name, want_hash) != 0 && kc.range_op == EMU_KC_EQ &&
        strcmp(kc.range_name, want_hash) == 0) {
        /* Two equalities written range-first: swap them. */
        emu_keycond k2 = kc;
        snprintf(k2.hash_name, sizeof k2.hash_name, "%s", kc.range_name);
        snprintf(k2.range_name, sizeof k2.range_name, "%s", kc.hash_name);
        k2.hash_value = kc.range_v1;
        k2.range_v1 = kc.hash_value;
        kc = k2;
    }
    if (strcmp(kc.hash_name, want_hash) != 0) {
        emu_fail(r, "ValidationException", "Query condition missed key schema element: %s",
                 want_hash);
        goto out;
    }
    if (kc.range_op != EMU_KC_NONE && strcmp(kc.range_name, want_range) != 0) {
        emu_fail(r, "ValidationException", "Query condition missed key schema element: %s",
                 want_range[0] ? want_range : kc.range_name);
        goto out;
    }
    const cJSON *sif = cJSON_GetObjectItemCaseSensitive(r->body, "ScanIndexForward");
    int forward = !cJSON_IsFalse(sif);
    const cJSON *esk = cJSON_GetObjectItemCaseSensitive(r->body, "ExclusiveStartKey");

    if (!pg.ix) {
        emu_loc l;
        cJSON *hobj = cJSON_CreateObject();
        cJSON_AddItemToObject(hobj, t->hash_name, cJSON_Duplicate(kc.hash_value, 1));
        if (ddb_attr_type_of(kc.hash_value) != t->hash_type ||
            emu_key_canon(kc.hash_value, &hk, &l.hlen) != 0) {
            cJSON_Delete(hobj);
            emu_fail(r, "ValidationException",
                     "One or more parameter values were invalid: Condition parameter type does "
                     "not match schema type");
            goto out;
        }
        cJSON_Delete(hobj);
        uint64_t hash = bc_hash_bytes(hk, l.hlen);
        const cJSON *srange = NULL;
        if (esk) {
            if (emu_start_key(r, t, esk, &start) != 0) goto out;
            have_start = 1;
            srange = start.range_av;
        }
        emu_part *p = &t->parts[hash % (uint64_t)t->nparts];
        pthread_rwlock_rdlock(&p->lock);
        /* Find the collection without creating it. */
        emu_coll *c = NULL;
        for (int lo = 0, hi = p->n; lo < hi;) {
            int mid = (lo + hi) / 2;
            emu_coll *m = p->c[mid];
            int cmp = memcmp(m->hkey, hk, m->hkey_len < l.hlen ? m->hkey_len : l.hlen);
            if (cmp == 0) cmp = m->hkey_len < l.hlen ? -1 : m->hkey_len > l.hlen;
            if (cmp == 0) {
                c = m;
                break;
            }
            if (cmp < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (int k = 0; c && k < c->n && !pg.stop; k++) {
            int ei = forward ? k : c->n - 1 - k;
            emu_entry *e = c->e[ei];
            if (srange) {
                int cmp = ddb_attr_compare(e->range_av, srange);
                if (forward ? cmp <= 0 : cmp >= 0) continue;
            }
            if (kc.range_op != EMU_KC_NONE && !emu_keycond_match_range(&kc, e->range_av)) continue;
            const emu_version *v = emu_entry_latest(e);
            if (!v || !v->item) continue;
            emu_page_offer(r, &pg, v);
        }
        pthread_rwlock_unlock(&p->lock);
    } else {
        /* Index query: hold every partition's read lock while collecting (in order). */
        for (int i = 0; i < t->nparts; i++)
            pthread_rwlock_rdlock(&t->parts[i].lock);
        size_t n = 0, cap = 64;
        emu_qitem *qs = malloc(cap * sizeof *qs);
        for (int i = 0; qs && i < t->nparts; i++) {
            emu_part *p = &t->parts[i];
            for (int ci = 0; ci < p->n; ci++)
                for (int ei = 0; ei < p->c[ci]->n; ei++) {
                    emu_entry *e = p->c[ci]->e[ei];
                    const emu_version *v = emu_entry_latest(e);
                    if (!v || !v->item || !emu_index_has_keys(pg.ix, v->item)) continue;
                    const cJSON *hv = cJSON_GetObjectItemCaseSensitive(v->item, pg.ix->hash_name);
                    if (!ddb_attr_equal(hv, kc.hash_value)) continue;
                    const cJSON *rv =
                        pg.ix->range_name[0]
                            ? cJSON_GetObjectItemCaseSensitive(v->item, pg.ix->range_name)
                            : NULL;
                    if (kc.range_op != EMU_KC_NONE && !emu_keycond_match_range(&kc, rv)) continue;
                    if (n == cap) {
                        cap *= 2;
                        emu_qitem *nq = realloc(qs, cap * sizeof *nq);
                        if (!nq) break;
                        qs = nq;
                    }
                    qs[n].v = v;
                    qs[n].irange = rv;
                    qs[n].hkey = p->c[ci]->hkey;
                    qs[n].hlen = p->c[ci]->hkey_len;
                    qs[n].trange = e->range_av;
                    n++;
                }
        }
        if (qs) qsort(qs, n, sizeof *qs, emu_qitem_qsort);
        emu_qitem sq;
        memset(&sq, 0, sizeof sq);
        if (esk && qs) {
            if (emu_start_key(r, t, esk, &start) != 0) {
                for (int i = t->nparts - 1; i >= 0; i--)
                    pthread_rwlock_unlock(&t->parts[i].lock);
                free(qs);
                goto out;
            }
            have_start = 1;
            sq.irange = pg.ix->range_name[0]
                            ? cJSON_GetObjectItemCaseSensitive(esk, pg.ix->range_name)
                            : NULL;
            sq.hkey = start.hkey;
            sq.hlen = start.hlen;
            sq.trange = start.range_av;
        }
        for (size_t k = 0; qs && k < n && !pg.stop; k++) {
            emu_qitem *q = &qs[forward ? k : n - 1 - k];
            if (have_start) {
                int cmp = emu_qitem_cmp(q, &sq);
                if (forward ? cmp <= 0 : cmp >= 0) continue;
            }
            emu_page_offer(r, &pg, q->v);
        }
        for (int i = t->nparts - 1; i >= 0; i--)
            pthread_rwlock_unlock(&t->parts[i].lock);
        free(qs);
    }
    if (pg.error) goto out;
    rc = emu_page_finish(r, &pg, emu_consistent(r->body));
out:
    free(hk);
    if (have_start) emu_start_free(&start);
    emu_page_free(&pg);
    emu_table_put(t);
    return rc;
}

/* ---- batches ---- */

/* Per-table capacity totals for the operations that answer a list. */
typedef struct emu_cc_acc {
    char table[EMU_NAME_MAX + 1];
    double read, write;
} emu_cc_acc;

static void emu_cc_acc_add(emu_cc_acc *acc, int *n, const char *table, double read, double write)
{
    for (int i = 0; i < *n; i++)
        if (strcmp(acc[i].table, table) == 0) {
            acc[i].read += read;
            acc[i].write += write;
            return;
        }
    snprintf(acc[*n].table, sizeof acc[*n].table, "%s", table);
    acc[*n].read = read;
    acc[*n].write = write;
    (*n)++;
}

static void emu_cc_acc_out(emu_req *r, const emu_cc_acc *acc, int n)
{
    emu_cc_mode m = emu_cc(r->body);
    if (m == EMU_CC_NONE) return;
    cJSON *arr = cJSON_AddArrayToObject(r->out, "ConsumedCapacity");
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, emu_cc_json(acc[i].table, acc[i].read, acc[i].write, m));
}

static int emu_same_key(const emu_loc *a, const emu_loc *b)
{
    if (a->t != b->t || a->hlen != b->hlen || memcmp(a->hkey, b->hkey, a->hlen) != 0) return 0;
    if (!a->range_av || !b->range_av) return 1;
    return ddb_attr_compare(a->range_av, b->range_av) == 0;
}

typedef struct emu_bw {
    emu_loc l;
    const cJSON *item; /* Put: the item; Delete: NULL */
    const cJSON *req;  /* the request as sent (for UnprocessedItems) */
    const char *table; /* its RequestItems key */
} emu_bw;

/* The RequestItems map of BatchWriteItem and BatchGetItem, or NULL (r failed) when it is
 * missing or names no table. */
static const cJSON *emu_request_items(emu_req *r)
{
    const cJSON *ri = cJSON_GetObjectItemCaseSensitive(r->body, "RequestItems");
    if (!cJSON_IsObject(ri) || !ri->child)
        return emu_fail(r, "ValidationException",
                        "1 validation error detected: Value at 'requestItems' failed to satisfy "
                        "constraint: Member must have length greater than or equal to 1"),
               NULL;
    return ri;
}

int emu_op_batch_write(emu_req *r)
{
    const cJSON *ri = emu_request_items(r);
    if (!ri) return -1;
    int total = 0;
    const cJSON *tb, *w;
    cJSON_ArrayForEach(tb, ri)
    {
        if (!cJSON_IsArray(tb) || cJSON_GetArraySize(tb) < 1)
            return emu_fail(r, "ValidationException",
                            "1 validation error detected: Value at 'requestItems' failed to "
                            "satisfy constraint: Map value must satisfy constraint: [Member must "
                            "have length greater than or equal to 1]");
        total += cJSON_GetArraySize(tb);
    }
    if (total > EMU_BATCH_WRITE_MAX)
        return emu_fail(r, "ValidationException",
                        "1 validation error detected: Value at 'requestItems' failed to satisfy "
                        "constraint: Map value must satisfy constraint: [Member must have length "
                        "less than or equal to 25, Member must have length greater than or "
                        "equal to 1]");
    emu_bw ws[EMU_BATCH_WRITE_MAX];
    emu_table *tabs[EMU_BATCH_WRITE_MAX];
    int nw = 0, nt = 0, rc = -1;
    memset(ws, 0, sizeof ws);
    cJSON_ArrayForEach(tb, ri)
    {
        emu_table *t = emu_data_table(r, tb->string);
        if (!t) goto out;
        tabs[nt++] = t;
        cJSON_ArrayForEach(w, tb)
        {
            const cJSON *put = cJSON_GetObjectItemCaseSensitive(w, "PutRequest");
            const cJSON *del = cJSON_GetObjectItemCaseSensitive(w, "DeleteRequest");
            if ((put != NULL) == (del != NULL)) {
                emu_fail(r, "ValidationException",
                         "Supplied AttributeValue has more than one datatypes set, must contain "
                         "exactly one of the supported datatypes (PutRequest or DeleteRequest)");
                goto out;
            }
            emu_bw *b = &ws[nw];
            b->req = w;
            b->table = tb->string;
            if (put) {
                b->item = cJSON_GetObjectItemCaseSensitive(put, "Item");
                if (emu_validate_item(r, b->item,
                                      "Item size has exceeded the maximum allowed "
                                      "size") != 0)
                    goto out;
                if (emu_locate(r, t, b->item, 0, &b->l) != 0) goto out;
            } else {
                if (emu_locate(r, t, cJSON_GetObjectItemCaseSensitive(del, "Key"), 1, &b->l) != 0)
                    goto out;
            }
            nw++;
            for (int i = 0; i < nw - 1; i++)
                if (emu_same_key(&ws[i].l, &b->l)) {
                    emu_fail(r, "ValidationException",
                             "Provided list of item keys contains duplicates");
                    goto out;
                }
        }
    }
    /* Under a throttle fault each request is left unprocessed with its probability, as
     * DynamoDB does when a table's throughput runs out part way; when none can be
     * processed the whole call is ProvisionedThroughputExceededException (BatchWriteItem). */
    double throttle = emu_fault_throttle_fraction(r->srv, "BatchWriteItem");
    int skip[EMU_BATCH_WRITE_MAX] = {0}, nskip = 0;
    for (int i = 0; throttle > 0 && i < nw; i++)
        if (emu_fault_random(r->srv) < throttle) {
            skip[i] = 1;
            nskip++;
        }
    if (nw > 0 && nskip == nw) {
        emu_fail(r, "ProvisionedThroughputExceededException",
                 "The level of configured provisioned throughput for the table was exceeded. "
                 "Consider increasing your provisioning level with the UpdateTable API.");
        goto out;
    }
    r->out = cJSON_CreateObject();
    cJSON *unprocessed = cJSON_AddObjectToObject(r->out, "UnprocessedItems");
    /* Each put/delete is atomic on its own; the batch as a whole is not. */
    emu_cc_acc acc[EMU_BATCH_WRITE_MAX];
    int nacc = 0;
    for (int i = 0; i < nw; i++) {
        emu_bw *b = &ws[i];
        if (skip[i]) {
            cJSON *arr = cJSON_GetObjectItemCaseSensitive(unprocessed, b->table);
            if (!arr) arr = cJSON_AddArrayToObject(unprocessed, b->table);
            cJSON_AddItemToArray(arr, cJSON_Duplicate(b->req, 1));
            continue;
        }
        emu_table *t = b->l.t;
        emu_part *p = &t->parts[b->l.part];
        cJSON *copy = b->item ? cJSON_Duplicate(b->item, 1) : NULL;
        emu_item_numbers(copy);
        pthread_rwlock_wrlock(&p->lock);
        emu_entry *e = emu_loc_entry(&b->l, b->item != NULL);
        const emu_version *v = emu_entry_latest(e);
        size_t old_size = v ? v->size : 0, new_size = 0;
        if (e && (copy || (v && v->item))) {
            emu_entry_write(t, p, e, emu_commit_ts(r->srv), 0, copy, r->srv->retain_ns);
            new_size = e->ver[e->nver - 1].size;
        } else {
            cJSON_Delete(copy);
        }
        pthread_rwlock_unlock(&p->lock);
        emu_cc_acc_add(acc, &nacc, t->name, 0,
                       emu_write_units(old_size > new_size ? old_size : new_size));
    }
    emu_cc_acc_out(r, acc, nacc);
    rc = 0;
out:
    for (int i = 0; i < EMU_BATCH_WRITE_MAX; i++)
        free(ws[i].l.hkey);
    for (int i = 0; i < nt; i++)
        emu_table_put(tabs[i]);
    return rc;
}

int emu_op_batch_get(emu_req *r)
{
    const cJSON *ri = emu_request_items(r);
    if (!ri) return -1;
    int total = 0;
    const cJSON *tb, *k;
    cJSON_ArrayForEach(tb, ri)
    {
        const cJSON *keys = cJSON_GetObjectItemCaseSensitive(tb, "Keys");
        if (!cJSON_IsArray(keys) || cJSON_GetArraySize(keys) < 1)
            return emu_fail(r, "ValidationException",
                            "1 validation error detected: Value at 'requestItems.%s.member.keys' "
                            "failed to satisfy constraint: Member must have length greater than "
                            "or equal to 1",
                            tb->string);
        total += cJSON_GetArraySize(keys);
    }
    if (total > EMU_BATCH_GET_MAX)
        return emu_fail(r, "ValidationException",
                        "Too many items requested for the BatchGetItem call");
    emu_loc ls[EMU_BATCH_GET_MAX];
    emu_table *tabs[EMU_BATCH_GET_MAX];
    memset(ls, 0, sizeof ls);
    int nl = 0, nt = 0, rc = -1;
    r->out = cJSON_CreateObject();
    cJSON *resp = cJSON_AddObjectToObject(r->out, "Responses");
    emu_cc_acc acc[EMU_BATCH_GET_MAX];
    int nacc = 0;
    cJSON_ArrayForEach(tb, ri)
    {
        emu_table *t = emu_data_table(r, tb->string);
        if (!t) goto out;
        tabs[nt++] = t;
        char err[512];
        const char *pe = emu_get_str(tb, "ProjectionExpression");
        if (emu_expr_check_unused(&pe, 1, emu_names(tb), NULL, err, sizeof err) != 0) {
            emu_fail(r, "ValidationException", "%s", err);
            goto out;
        }
        int first = nl;
        cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(tb, "Keys"))
        {
            if (emu_locate(r, t, k, 1, &ls[nl]) != 0) goto out;
            nl++;
            for (int i = first; i < nl - 1; i++)
                if (emu_same_key(&ls[i], &ls[nl - 1])) {
                    emu_fail(r, "ValidationException",
                             "Provided list of item keys contains duplicates");
                    goto out;
                }
        }
        int consistent = emu_consistent(tb);
        cJSON *arr = cJSON_AddArrayToObject(resp, t->name);
        for (int i = first; i < nl; i++) {
            emu_part *p = &t->parts[ls[i].part];
            pthread_rwlock_rdlock(&p->lock);
            const emu_version *v = emu_entry_latest(emu_loc_entry(&ls[i], 0));
            cJSON *item = v && v->item ? cJSON_Duplicate(v->item, 1) : NULL;
            size_t size = v ? v->size : 0;
            pthread_rwlock_unlock(&p->lock);
            emu_cc_acc_add(acc, &nacc, t->name, emu_read_units(size, consistent), 0);
            cJSON *proj;
            if (emu_project(r, tb, item, &proj) != 0) {
                cJSON_Delete(item);
                goto out;
            }
            if (proj) cJSON_AddItemToArray(arr, proj);
        }
    }
    cJSON_AddObjectToObject(r->out, "UnprocessedKeys");
    emu_cc_acc_out(r, acc, nacc);
    rc = 0;
out:
    for (int i = 0; i < nl; i++)
        free(ls[i].hkey);
    for (int i = 0; i < nt; i++)
        emu_table_put(tabs[i]);
    return rc;
}

/* ---- transactions ---- */

typedef enum { EMU_TX_PUT = 0, EMU_TX_UPDATE, EMU_TX_DELETE, EMU_TX_CHECK, EMU_TX_GET } emu_tx_kind;

typedef struct emu_txa {
    emu_tx_kind kind;
    const cJSON *o;
    emu_loc l;
    emu_expr *cond;
    emu_entry *e;
    cJSON *newitem;
    size_t old_size, new_size;
} emu_txa;

typedef struct emu_lockref {
    uint64_t seq;
    int part;
    emu_part *p;
} emu_lockref;

static int emu_lockref_cmp(const void *a, const void *b)
{
    const emu_lockref *x = a, *y = b;
    if (x->seq != y->seq) return x->seq < y->seq ? -1 : 1;
    return (x->part > y->part) - (x->part < y->part);
}

/* Sorted, de-duplicated partition set of the actions; locks it (write or read). */
static int emu_lock_all(emu_txa *a, int n, emu_lockref *locks, int write)
{
    int nl = 0;
    for (int i = 0; i < n; i++) {
        locks[nl].seq = a[i].l.t->seq;
        locks[nl].part = a[i].l.part;
        locks[nl].p = &a[i].l.t->parts[a[i].l.part];
        nl++;
    }
    qsort(locks, (size_t)nl, sizeof *locks, emu_lockref_cmp);
    int m = 0;
    for (int i = 0; i < nl; i++)
        if (m == 0 || locks[m - 1].p != locks[i].p) locks[m++] = locks[i];
    for (int i = 0; i < m; i++) {
        if (write)
            pthread_rwlock_wrlock(&locks[i].p->lock);
        else
            pthread_rwlock_rdlock(&locks[i].p->lock);
    }
    return m;
}

static void emu_unlock_all(emu_lockref *locks, int m)
{
    for (int i = m - 1; i >= 0; i--)
        pthread_rwlock_unlock(&locks[i].p->lock);
}

static void emu_txa_free(emu_txa *a, int n)
{
    for (int i = 0; i < n; i++) {
        emu_expr_free(a[i].cond);
        cJSON_Delete(a[i].newitem);
        free(a[i].l.hkey);
        if (a[i].l.t) emu_table_put(a[i].l.t);
    }
    free(a);
}

static const char *const emu_tx_names[] = {"Put", "Update", "Delete", "ConditionCheck", "Get"};

/* Array length for n transaction actions: emu_tx_parse rejects n outside
 * 1..EMU_TXN_MAX_ACTIONS, and the clamp states that bound where the compiler (and the
 * reader) can see it, so no allocation below can be asked for more than 100 slots. */
static size_t emu_tx_slots(int n)
{
    if (n < 1) return 1;
    return (size_t)n > EMU_TXN_MAX_ACTIONS ? (size_t)EMU_TXN_MAX_ACTIONS : (size_t)n;
}

/* Parses TransactItems into actions (tables ref'd, keys located, conditions compiled). */
static int emu_tx_parse(emu_req *r, int get, emu_txa **out, int *nout)
{
    *out = NULL;
    *nout = 0;
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(r->body, "TransactItems");
    int n = cJSON_GetArraySize(items);
    if (!cJSON_IsArray(items) || n < 1 || n > EMU_TXN_MAX_ACTIONS)
        return emu_fail(r, "ValidationException",
                        "1 validation error detected: Value at 'transactItems' failed to "
                        "satisfy constraint: Member must have length less than or equal to 100, "
                        "Member must have length greater than or equal to 1");
    emu_txa *a = calloc(emu_tx_slots(n), sizeof *a);
    if (!a) return emu_fail(r, "InternalServerError", "out of memory");
    int k = 0;
    size_t bytes = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        emu_txa *x = &a[k];
        int found = 0;
        for (int kind = get ? EMU_TX_GET : EMU_TX_PUT; kind <= (get ? EMU_TX_GET : EMU_TX_CHECK);
             kind++) {
            const cJSON *o = cJSON_GetObjectItemCaseSensitive(it, emu_tx_names[kind]);
            if (o) {
                found++;
                x->kind = (emu_tx_kind)kind;
                x->o = o;
            }
        }
        if (found != 1) {
            emu_fail(r, "ValidationException", "TransactItems can only contain one of %s",
                     get ? "Get" : "Check, Put, Update or Delete");
            goto fail;
        }
        if (emu_legacy(r, x->o) != 0) goto fail;
        emu_table *t = emu_data_table(r, emu_get_str(x->o, "TableName"));
        if (!t) goto fail;
        k++;
        x->l.t = t;
        const cJSON *src = x->kind == EMU_TX_PUT ? cJSON_GetObjectItemCaseSensitive(x->o, "Item")
                                                 : cJSON_GetObjectItemCaseSensitive(x->o, "Key");
        if (x->kind == EMU_TX_PUT) {
            if (emu_validate_item(r, src, "Item size has exceeded the maximum allowed size") != 0)
                goto fail;
            bytes += ddb_item_size(src);
        }
        if (emu_locate(r, t, src, x->kind != EMU_TX_PUT, &x->l) != 0) goto fail;
        x->l.t = t;
        for (int i = 0; i < k - 1; i++)
            if (emu_same_key(&a[i].l, &x->l)) {
                emu_fail(r, "ValidationException",
                         "Transaction request cannot include multiple operations on one item");
                goto fail;
            }
        if (x->kind == EMU_TX_GET) {
            char err[512];
            const char *pe = emu_get_str(x->o, "ProjectionExpression");
            if (emu_expr_check_unused(&pe, 1, emu_names(x->o), NULL, err, sizeof err) != 0) {
                emu_fail(r, "ValidationException", "%s", err);
                goto fail;
            }
            continue;
        }
        if (x->kind == EMU_TX_CHECK && !emu_get_str(x->o, "ConditionExpression")) {
            emu_fail(r, "ValidationException",
                     "The ConditionCheck action requires a ConditionExpression");
            goto fail;
        }
        if (emu_cond_prepare(r, x->o, "ConditionExpression",
                             x->kind == EMU_TX_UPDATE ? emu_get_str(x->o, "UpdateExpression")
                                                      : NULL,
                             &x->cond) != 0)
            goto fail;
    }
    if (bytes > EMU_TXN_MAX_BYTES) {
        emu_fail(r, "ValidationException",
                 "Transaction request exceeds the maximum aggregate item size of 4 MB");
        goto fail;
    }
    *out = a;
    *nout = k;
    return 0;
fail:
    emu_txa_free(a, k);
    return -1;
}

/* Runs parsed write actions a[0..n) as one transaction (the caller frees a). */
static int emu_tx_write_run(emu_req *r, emu_txa *a, int n)
{
    emu_lockref *locks = calloc(emu_tx_slots(n), sizeof *locks);
    cJSON *reasons = cJSON_CreateArray();
    if (!locks || !reasons) {
        free(locks);
        cJSON_Delete(reasons);
        return emu_fail(r, "InternalServerError", "out of memory");
    }
    int m = emu_lock_all(a, n, locks, 1);
    int failed = 0;
    char summary[2048] = "";
    for (int i = 0; i < n; i++) {
        emu_txa *x = &a[i];
        x->e = emu_loc_entry(&x->l, x->kind == EMU_TX_PUT || x->kind == EMU_TX_UPDATE);
        const emu_version *v = emu_entry_latest(x->e);
        const cJSON *old = v ? v->item : NULL;
        x->old_size = v ? v->size : 0;
        cJSON *reason = cJSON_CreateObject();
        int ok = emu_cond_check(r, x->cond, old);
        if (ok == 1 && x->kind == EMU_TX_PUT) {
            x->newitem = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(x->o, "Item"), 1);
            emu_item_numbers(x->newitem);
        }
        if (ok == 1 && x->kind == EMU_TX_UPDATE &&
            emu_update_build(r, x->l.t, x->o, &x->l, old, &x->newitem) != 0)
            ok = -1;
        if (ok == 1) {
            cJSON_AddStringToObject(reason, "Code", "None");
        } else if (ok == 0) {
            failed = 1;
            cJSON_AddStringToObject(reason, "Code", "ConditionalCheckFailed");
            cJSON_AddStringToObject(reason, "Message", "The conditional request failed");
            const char *rv = emu_get_str(x->o, "ReturnValuesOnConditionCheckFailure");
            if (rv && strcmp(rv, "ALL_OLD") == 0 && old)
                cJSON_AddItemToObject(reason, "Item", cJSON_Duplicate(old, 1));
        } else {
            failed = 1;
            cJSON_AddStringToObject(reason, "Code", "ValidationError");
            cJSON_AddStringToObject(reason, "Message", r->err_msg);
        }
        cJSON_AddItemToArray(reasons, reason);
        size_t len = strlen(summary);
        snprintf(summary + len, sizeof summary - len, "%s%s", i ? ", " : "",
                 emu_get_str(reason, "Code"));
    }
    emu_cc_acc *acc = calloc(emu_tx_slots(n), sizeof *acc);
    int nacc = 0;
    if (!failed) {
        /* ONE commit timestamp for every item of the transaction. */
        int64_t ts = emu_commit_ts(r->srv);
        uint64_t txn = atomic_fetch_add(&r->srv->next_txn, 1);
        for (int i = 0; i < n; i++) {
            emu_txa *x = &a[i];
            emu_part *p = &x->l.t->parts[x->l.part];
            if (x->kind == EMU_TX_PUT || x->kind == EMU_TX_UPDATE) {
                emu_entry_write(x->l.t, p, x->e, ts, txn, x->newitem, r->srv->retain_ns);
                x->newitem = NULL;
                x->new_size = x->e->ver[x->e->nver - 1].size;
            } else if (x->kind == EMU_TX_DELETE && x->e && emu_entry_latest(x->e) &&
                       emu_entry_latest(x->e)->item) {
                emu_entry_write(x->l.t, p, x->e, ts, txn, NULL, r->srv->retain_ns);
            }
            /* Transactional writes cost two units per KB (prepare + commit). */
            size_t sz = x->old_size > x->new_size ? x->old_size : x->new_size;
            if (acc) {
                if (x->kind == EMU_TX_CHECK)
                    emu_cc_acc_add(acc, &nacc, x->l.t->name, 2 * emu_read_units(sz, 1), 0);
                else
                    emu_cc_acc_add(acc, &nacc, x->l.t->name, 0, 2 * emu_write_units(sz));
            }
        }
    }
    emu_unlock_all(locks, m);
    free(locks);
    int rc = 0;
    if (failed) {
        r->err_extra = cJSON_CreateObject();
        cJSON_AddItemToObject(r->err_extra, "CancellationReasons", reasons);
        rc = emu_fail(r, "TransactionCanceledException",
                      "Transaction cancelled, please refer cancellation reasons for specific "
                      "reasons [%s]",
                      summary);
    } else {
        cJSON_Delete(reasons);
        r->out = cJSON_CreateObject();
        if (acc) emu_cc_acc_out(r, acc, nacc);
    }
    free(acc);
    return rc;
}

/* ---- ClientRequestToken idempotency ---- */

static emu_token **emu_token_slot(emu_server *s, const char *token)
{
    uint64_t h = bc_hash_bytes(token, strlen(token));
    emu_token **pp = &s->token_buckets[h & (EMU_TOKEN_BUCKETS - 1)];
    while (*pp && strcmp((*pp)->token, token) != 0)
        pp = &(*pp)->chain;
    return pp;
}

/* Removes t (found at *pp) from its bucket and, when finished, from the age list. */
static void emu_token_drop(emu_server *s, emu_token **pp, emu_token *t)
{
    *pp = t->chain;
    if (!t->in_progress) {
        if (t->older)
            t->older->newer = t->newer;
        else
            s->token_oldest = t->newer;
        if (t->newer)
            t->newer->older = t->older;
        else
            s->token_newest = t->older;
    }
    free(t);
    s->ntokens--;
}

static int emu_token_expired(const emu_token *t, int64_t now_ns)
{
    return !t->in_progress && now_ns - t->done_ns > EMU_TOKEN_TTL_NS;
}

emu_token_state emu_token_begin(emu_server *s, const char *token, const char *digest,
                                int64_t now_ns)
{
    emu_token_state st = EMU_TOKEN_NEW;
    pthread_mutex_lock(&s->token_lock);
    if (!s->token_buckets) s->token_buckets = calloc(EMU_TOKEN_BUCKETS, sizeof *s->token_buckets);
    if (!s->token_buckets) {
        pthread_mutex_unlock(&s->token_lock);
        return EMU_TOKEN_NOMEM;
    }
    /* Tokens finish in (nearly) time order: drop the expired ones from the old end. */
    while (s->token_oldest && emu_token_expired(s->token_oldest, now_ns))
        emu_token_drop(s, emu_token_slot(s, s->token_oldest->token), s->token_oldest);
    emu_token **pp = emu_token_slot(s, token);
    emu_token *t = *pp;
    if (t && emu_token_expired(t, now_ns)) {
        /* "After 10 minutes, any request with the same client token is treated as a new
         * request." */
        emu_token_drop(s, pp, t);
        t = NULL;
    }
    if (t) {
        if (strcmp(t->digest, digest) != 0)
            st = EMU_TOKEN_MISMATCH;
        else
            st = t->in_progress ? EMU_TOKEN_IN_PROGRESS : EMU_TOKEN_REPEAT;
    } else if (!(t = calloc(1, sizeof *t))) {
        st = EMU_TOKEN_NOMEM;
    } else {
        snprintf(t->token, sizeof t->token, "%s", token);
        snprintf(t->digest, sizeof t->digest, "%s", digest);
        t->in_progress = 1;
        t->chain = *pp;
        *pp = t;
        s->ntokens++;
    }
    pthread_mutex_unlock(&s->token_lock);
    return st;
}

void emu_token_end(emu_server *s, const char *token, int applied, int64_t done_ns)
{
    pthread_mutex_lock(&s->token_lock);
    emu_token **pp = s->token_buckets ? emu_token_slot(s, token) : NULL;
    emu_token *t = pp ? *pp : NULL;
    if (t && t->in_progress) {
        if (!applied) {
            emu_token_drop(s, pp, t);
        } else {
            t->in_progress = 0;
            t->done_ns = done_ns;
            t->older = s->token_newest;
            t->newer = NULL;
            if (s->token_newest)
                s->token_newest->newer = t;
            else
                s->token_oldest = t;
            s->token_newest = t;
        }
    }
    pthread_mutex_unlock(&s->token_lock);
}

long emu_token_count(emu_server *s)
{
    pthread_mutex_lock(&s->token_lock);
    long n = s->ntokens;
    pthread_mutex_unlock(&s->token_lock);
    return n;
}

void emu_tokens_free_all(emu_server *s)
{
    for (long i = 0; s->token_buckets && i < EMU_TOKEN_BUCKETS; i++)
        while (s->token_buckets[i]) {
            emu_token *t = s->token_buckets[i];
            s->token_buckets[i] = t->chain;
            free(t);
        }
    free(s->token_buckets);
    s->token_buckets = NULL;
    s->token_oldest = s->token_newest = NULL;
    s->ntokens = 0;
}

static int emu_member_name_cmp(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string, y->string);
}

/* Sorts the members of every object under o by name, so that two encodings of the same
 * request (members in another order) give the same text. Returns 0 or -1 (memory). */
static int emu_sort_members(cJSON *o)
{
    cJSON *x;
    cJSON_ArrayForEach(x, o) if (emu_sort_members(x) != 0) return -1;
    if (!cJSON_IsObject(o) || !o->child) return 0;
    size_t n = 0;
    cJSON_ArrayForEach(x, o) n++;
    cJSON **v = malloc(n * sizeof *v);
    if (!v) return -1;
    n = 0;
    cJSON_ArrayForEach(x, o) v[n++] = x;
    qsort(v, n, sizeof *v, emu_member_name_cmp);
    /* cJSON's list: next runs forward to NULL; the head's prev points at the tail. */
    for (size_t i = 0; i < n; i++) {
        v[i]->next = i + 1 < n ? v[i + 1] : NULL;
        v[i]->prev = i ? v[i - 1] : v[n - 1];
    }
    o->child = v[0];
    free(v);
    return 0;
}

/* SHA-256 of the request as the token compares it: every parameter except the token
 * itself and what only shapes the answer (ReturnConsumedCapacity,
 * ReturnItemCollectionMetrics). */
int emu_tx_digest(const cJSON *body, char out[65])
{
    cJSON *c = cJSON_Duplicate(body, 1);
    if (!c) return -1;
    cJSON_DeleteItemFromObjectCaseSensitive(c, "ClientRequestToken");
    cJSON_DeleteItemFromObjectCaseSensitive(c, "ReturnConsumedCapacity");
    cJSON_DeleteItemFromObjectCaseSensitive(c, "ReturnItemCollectionMetrics");
    char *txt = emu_sort_members(c) == 0 ? cJSON_PrintUnformatted(c) : NULL;
    cJSON_Delete(c);
    if (!txt) return -1;
    ddb_sha256_hex(txt, strlen(txt), out);
    free(txt);
    return 0;
}

/* The answer to a repeat of a finished token: success, nothing applied. "Subsequent
 * TransactWriteItems calls with the same client token return the number of read capacity
 * units consumed in reading the item": one strongly consistent read of each item. */
static int emu_tx_repeat(emu_req *r, emu_txa *a, int n)
{
    emu_lockref *locks = calloc(emu_tx_slots(n), sizeof *locks);
    emu_cc_acc *acc = calloc(emu_tx_slots(n), sizeof *acc);
    if (!locks || !acc) {
        free(locks);
        free(acc);
        return emu_fail(r, "InternalServerError", "out of memory");
    }
    int nacc = 0;
    int m = emu_lock_all(a, n, locks, 0);
    for (int i = 0; i < n; i++) {
        const emu_version *v = emu_entry_latest(emu_loc_entry(&a[i].l, 0));
        emu_cc_acc_add(acc, &nacc, a[i].l.t->name, emu_read_units(v ? v->size : 0, 1), 0);
    }
    emu_unlock_all(locks, m);
    r->out = cJSON_CreateObject();
    emu_cc_acc_out(r, acc, nacc);
    free(locks);
    free(acc);
    return 0;
}

int emu_op_transact_write(emu_req *r)
{
    emu_txa *a;
    int n;
    if (emu_tx_parse(r, 0, &a, &n) != 0) return -1;
    const cJSON *tok = cJSON_GetObjectItemCaseSensitive(r->body, "ClientRequestToken");
    if (!tok) {
        int rc = emu_tx_write_run(r, a, n);
        emu_txa_free(a, n);
        return rc;
    }
    size_t len = cJSON_IsString(tok) ? strlen(tok->valuestring) : 0;
    char digest[65];
    int rc = -1;
    if (len < 1 || len > EMU_TOKEN_MAX_LEN) {
        emu_fail(r, "ValidationException",
                 "1 validation error detected: Value at 'clientRequestToken' failed to satisfy "
                 "constraint: Member must have length less than or equal to 36, Member must "
                 "have length greater than or equal to 1");
        goto out;
    }
    if (emu_tx_digest(r->body, digest) != 0) {
        emu_fail(r, "InternalServerError", "out of memory");
        goto out;
    }
    int64_t t0 = bc_mono_ns();
    switch (emu_token_begin(r->srv, tok->valuestring, digest, r->now_ns)) {
    case EMU_TOKEN_NEW:
        rc = emu_tx_write_run(r, a, n);
        /* The token's 10 minutes start when this request finishes. */
        emu_token_end(r->srv, tok->valuestring, rc == 0, r->now_ns + (bc_mono_ns() - t0));
        break;
    case EMU_TOKEN_REPEAT:
        rc = emu_tx_repeat(r, a, n);
        break;
    case EMU_TOKEN_MISMATCH:
        emu_fail(r, "IdempotentParameterMismatchException",
                 "The request uses the same client token as a previous, but non-identical "
                 "request. Do not reuse a client token with different requests, unless the "
                 "requests are identical.");
        break;
    case EMU_TOKEN_IN_PROGRESS:
        emu_fail(r, "TransactionInProgressException",
                 "The transaction with the given request token is already in progress.");
        break;
    case EMU_TOKEN_NOMEM:
        emu_fail(r, "InternalServerError", "out of memory");
        break;
    }
out:
    emu_txa_free(a, n);
    return rc;
}

int emu_op_transact_get(emu_req *r)
{
    emu_txa *a;
    int n;
    if (emu_tx_parse(r, 1, &a, &n) != 0) return -1;
    emu_lockref *locks = calloc(emu_tx_slots(n), sizeof *locks);
    cJSON **items = calloc(emu_tx_slots(n), sizeof *items);
    emu_cc_acc *acc = calloc(emu_tx_slots(n), sizeof *acc);
    int nacc = 0, rc = -1;
    if (!locks || !items || !acc) {
        emu_fail(r, "InternalServerError", "out of memory");
        goto out;
    }
    int m = emu_lock_all(a, n, locks, 0);
    for (int i = 0; i < n; i++) {
        const emu_version *v = emu_entry_latest(emu_loc_entry(&a[i].l, 0));
        items[i] = v && v->item ? cJSON_Duplicate(v->item, 1) : NULL;
        emu_cc_acc_add(acc, &nacc, a[i].l.t->name, 2 * emu_read_units(v ? v->size : 0, 1), 0);
    }
    emu_unlock_all(locks, m);
    r->out = cJSON_CreateObject();
    cJSON *resp = cJSON_AddArrayToObject(r->out, "Responses");
    for (int i = 0; i < n; i++) {
        cJSON *p;
        if (emu_project(r, a[i].o, items[i], &p) != 0) goto out;
        items[i] = NULL;
        cJSON *o = cJSON_CreateObject();
        if (p) cJSON_AddItemToObject(o, "Item", p);
        cJSON_AddItemToArray(resp, o);
    }
    emu_cc_acc_out(r, acc, nacc);
    rc = 0;
out:
    for (int i = 0; items && i < n; i++)
        cJSON_Delete(items[i]);
    free(items);
    free(locks);
    free(acc);
    emu_txa_free(a, n);
    return rc;
}
