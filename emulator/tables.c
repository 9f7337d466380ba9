/*
 * tables.c - the emulator's control plane for tables: CreateTable, DescribeTable,
 * DeleteTable, ListTables, tags, Update/DescribeContinuousBackups (PITR) and
 * DescribeEndpoints, plus the table registry (reference counted, so a request holding a
 * table survives its deletion) and key extraction/validation shared by the data plane.
 *
 * Tables are CREATING for cfg.table_create_delay_ms, then ACTIVE; the status is computed
 * when read, so no thread has to flip it.
 */
#include "emulator/emu_internal.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "arn:aws:dynamodb:REGION:ACCT:table/NAME[/...]" or NAME -> NAME. */
static void emu_table_name_of(const char *name_or_arn, char *out, size_t outlen)
{
    const char *p = name_or_arn;
    if (strncmp(p, "arn:", 4) == 0) {
        const char *t = strstr(p, ":table/");
        if (t) {
            p = t + 7;
            size_t n = strcspn(p, "/");
            snprintf(out, outlen, "%.*s", (int)n, p);
            return;
        }
    }
    snprintf(out, outlen, "%s", p);
}

emu_table *emu_table_get(emu_server *s, const char *name_or_arn)
{
    if (!name_or_arn) return NULL;
    char name[EMU_NAME_MAX + 64];
    emu_table_name_of(name_or_arn, name, sizeof name);
    emu_table *t = NULL;
    pthread_mutex_lock(&s->tables_lock);
    for (int i = 0; i < s->ntables; i++)
        if (strcmp(s->tables[i]->name, name) == 0) {
            t = s->tables[i];
            atomic_fetch_add(&t->refs, 1);
            break;
        }
    pthread_mutex_unlock(&s->tables_lock);
    return t;
}

static void emu_table_free(emu_table *t)
{
    for (int i = 0; i < t->nparts; i++)
        emu_part_destroy(&t->parts[i]);
    free(t->parts);
    for (int i = 0; i < t->nidx; i++) {
        cJSON_Delete(t->idx[i].projection);
        cJSON_Delete(t->idx[i].throughput);
    }
    free(t->idx);
    cJSON_Delete(t->attr_defs);
    cJSON_Delete(t->tags);
    pthread_mutex_destroy(&t->meta_lock);
    free(t);
}

void emu_table_put(emu_table *t)
{
    if (t && atomic_fetch_sub(&t->refs, 1) == 1) emu_table_free(t);
}

emu_tstatus emu_table_status(emu_table *t)
{
    pthread_mutex_lock(&t->meta_lock);
    if (t->status == EMU_TS_CREATING && t->active_at_ns && bc_now_ns() >= t->active_at_ns) {
        t->status = EMU_TS_ACTIVE;
        t->restoring = 0;
    }
    emu_tstatus st = t->status;
    pthread_mutex_unlock(&t->meta_lock);
    return st;
}

static ddb_attr_type emu_attr_type_def(const cJSON *defs, const char *name)
{
    const cJSON *d;
    cJSON_ArrayForEach(d, defs)
    {
        const char *n = emu_get_str(d, "AttributeName");
        const char *ty = emu_get_str(d, "AttributeType");
        if (n && ty && strcmp(n, name) == 0) {
            if (strcmp(ty, "S") == 0) return DDB_T_S;
            if (strcmp(ty, "N") == 0) return DDB_T_N;
            if (strcmp(ty, "B") == 0) return DDB_T_B;
        }
    }
    return DDB_T_INVALID;
}

/* Parses a KeySchema into hash/range names; returns 0 or fails r. */
static int emu_parse_key_schema(emu_req *r, const cJSON *ks, const cJSON *defs, char *hash,
                                char *range, const char *what)
{
    hash[0] = range[0] = 0;
    int n = cJSON_GetArraySize(ks);
    if (!cJSON_IsArray(ks) || n < 1 || n > 2)
        return emu_fail(r, "ValidationException",
                        "1 validation error detected: Value at '%skeySchema' failed to satisfy "
                        "constraint: Member must have length less than or equal to 2",
                        what);
    const cJSON *k;
    cJSON_ArrayForEach(k, ks)
    {
        const char *name = emu_get_str(k, "AttributeName");
        const char *type = emu_get_str(k, "KeyType");
        if (!name || !type || strlen(name) > 255)
            return emu_fail(r, "ValidationException", "Invalid KeySchema: bad element");
        if (emu_attr_type_def(defs, name) == DDB_T_INVALID)
            return emu_fail(r, "ValidationException",
                            "One or more parameter values were invalid: Some index key "
                            "attributes are not defined in AttributeDefinitions. Keys: [%s], "
                            "AttributeDefinitions: [...]",
                            name);
        if (strcmp(type, "HASH") == 0 && !hash[0])
            snprintf(hash, 256, "%s", name);
        else if (strcmp(type, "RANGE") == 0 && !range[0])
            snprintf(range, 256, "%s", name);
        else
            return emu_fail(r, "ValidationException",
                            "Invalid KeySchema: Some index key attribute have no definition or "
                            "the key type is repeated");
    }
    if (!hash[0])
        return emu_fail(r, "ValidationException",
                        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
    return 0;
}

static int emu_parse_indexes(emu_req *r, emu_table *t, const cJSON *list, int global)
{
    if (!list) return 0;
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) < 1)
        return emu_fail(r, "ValidationException",
                        "One or more parameter values were invalid: List of %s is empty",
                        global ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes");
    const cJSON *ix;
    cJSON_ArrayForEach(ix, list)
    {
        emu_index *ni = realloc(t->idx, (size_t)(t->nidx + 1) * sizeof *ni);
        if (!ni) return emu_fail(r, "InternalServerError", "out of memory");
        t->idx = ni;
        emu_index *x = &t->idx[t->nidx];
        memset(x, 0, sizeof *x);
        const char *name = emu_get_str(ix, "IndexName");
        if (!emu_name_valid(name))
            return emu_fail(r, "ValidationException", "Invalid IndexName: '%s'", name ? name : "");
        for (int i = 0; i < t->nidx; i++)
            if (strcmp(t->idx[i].name, name) == 0)
                return emu_fail(r, "ValidationException",
                                "One or more parameter values were invalid: Duplicate index "
                                "name: %s",
                                name);
        snprintf(x->name, sizeof x->name, "%s", name);
        x->global = global;
        if (emu_parse_key_schema(r, cJSON_GetObjectItemCaseSensitive(ix, "KeySchema"), t->attr_defs,
                                 x->hash_name, x->range_name, "index.") != 0)
            return -1;
        if (!global && (strcmp(x->hash_name, t->hash_name) != 0 || !x->range_name[0]))
            return emu_fail(r, "ValidationException",
                            "One or more parameter values were invalid: Table KeySchema does "
                            "not have a range key, or the local secondary index %s does not "
                            "share the table's hash key",
                            name);
        const cJSON *proj = cJSON_GetObjectItemCaseSensitive(ix, "Projection");
        if (!cJSON_IsObject(proj))
            return emu_fail(r, "ValidationException",
                            "One or more parameter values were invalid: Projection is required "
                            "for index %s",
                            name);
        x->projection = cJSON_Duplicate(proj, 1);
        const cJSON *pt = cJSON_GetObjectItemCaseSensitive(ix, "ProvisionedThroughput");
        if (pt) x->throughput = cJSON_Duplicate(pt, 1);
        t->nidx++;
    }
    return 0;
}

static int emu_throughput(emu_req *r, const cJSON *pt, long long *rcu, long long *wcu)
{
    const cJSON *rc = cJSON_GetObjectItemCaseSensitive(pt, "ReadCapacityUnits");
    const cJSON *wc = cJSON_GetObjectItemCaseSensitive(pt, "WriteCapacityUnits");
    if (!cJSON_IsNumber(rc) || !cJSON_IsNumber(wc) || rc->valuedouble < 1 || wc->valuedouble < 1)
        return emu_fail(r, "ValidationException",
                        "One or more parameter values were invalid: ReadCapacityUnits and "
                        "WriteCapacityUnits must both be specified and at least 1");
    *rcu = (long long)rc->valuedouble;
    *wcu = (long long)wc->valuedouble;
    return 0;
}

int emu_table_from_schema(emu_server *s, const cJSON *schema, const char *name, emu_req *r,
                          emu_table **out)
{
    *out = NULL;
    if (!emu_name_valid(name))
        return emu_fail(r, "ValidationException",
                        "1 validation error detected: Value '%s' at 'tableName' failed to "
                        "satisfy constraint: Member must satisfy regular expression pattern: "
                        "[a-zA-Z0-9_.-]+ and have length between 3 and 255",
                        name ? name : "");
    emu_table *t = calloc(1, sizeof *t);
    if (!t) return emu_fail(r, "InternalServerError", "out of memory");
    atomic_init(&t->refs, 1);
    atomic_init(&t->pitr, 0);
    atomic_init(&t->pins, 0);
    atomic_init(&t->restores_in, 0);
    pthread_mutex_init(&t->meta_lock, NULL);
    t->seq = atomic_fetch_add(&s->table_seq, 1);
    snprintf(t->name, sizeof t->name, "%s", name);
    snprintf(t->arn, sizeof t->arn, "arn:aws:dynamodb:%s:%s:table/%s", EMU_REGION, EMU_ACCOUNT,
             name);
    char hex[33];
    emu_random_hex(s, hex, 32);
    snprintf(t->id, sizeof t->id, "%.8s-%.4s-4%.3s-8%.3s-%.12s", hex, hex + 8, hex + 12, hex + 15,
             hex + 18);
    t->tags = cJSON_CreateArray();
    t->created_ns = r->now_ns;
    t->status = EMU_TS_CREATING;

    const cJSON *defs = cJSON_GetObjectItemCaseSensitive(schema, "AttributeDefinitions");
    if (!cJSON_IsArray(defs) || cJSON_GetArraySize(defs) < 1) {
        emu_table_free(t);
        return emu_fail_null(r, "AttributeDefinitions");
    }
    const cJSON *d;
    cJSON_ArrayForEach(d, defs)
    {
        const char *ty = emu_get_str(d, "AttributeType");
        if (!emu_get_str(d, "AttributeName") || !ty ||
            (strcmp(ty, "S") && strcmp(ty, "N") && strcmp(ty, "B"))) {
            emu_table_free(t);
            return emu_fail(r, "ValidationException",
                            "1 validation error detected: Value at 'attributeDefinitions' "
                            "failed to satisfy constraint: AttributeType must be one of S, N, "
                            "B");
        }
    }
    t->attr_defs = cJSON_Duplicate(defs, 1);
    if (emu_parse_key_schema(r, cJSON_GetObjectItemCaseSensitive(schema, "KeySchema"), defs,
                             t->hash_name, t->range_name, "") != 0) {
        emu_table_free(t);
        return -1;
    }
    t->hash_type = emu_attr_type_def(defs, t->hash_name);
    t->range_type = t->range_name[0] ? emu_attr_type_def(defs, t->range_name) : DDB_T_INVALID;

    const char *bm = emu_get_str(schema, "BillingMode");
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(schema, "ProvisionedThroughput");
    if (bm && strcmp(bm, "PAY_PER_REQUEST") != 0 && strcmp(bm, "PROVISIONED") != 0) {
        emu_table_free(t);
        return emu_fail(r, "ValidationException", "Invalid BillingMode: %s", bm);
    }
    t->pay_per_request = bm && strcmp(bm, "PAY_PER_REQUEST") == 0;
    if (t->pay_per_request && pt && !cJSON_IsNull(pt)) {
        emu_table_free(t);
        return emu_fail(r, "ValidationException",
                        "One or more parameter values were invalid: Neither "
                        "ReadCapacityUnits nor WriteCapacityUnits can be specified when "
                        "BillingMode is PAY_PER_REQUEST");
    }
    if (!t->pay_per_request) {
        if (!pt) {
            emu_table_free(t);
            return emu_fail(r, "ValidationException",
                            "One or more parameter values were invalid: ReadCapacityUnits and "
                            "WriteCapacityUnits must both be specified when BillingMode is "
                            "PROVISIONED");
        }
        if (emu_throughput(r, pt, &t->rcu, &t->wcu) != 0) {
            emu_table_free(t);
            return -1;
        }
    }
    if (emu_parse_indexes(r, t, cJSON_GetObjectItemCaseSensitive(schema, "LocalSecondaryIndexes"),
                          0) != 0 ||
        emu_parse_indexes(r, t, cJSON_GetObjectItemCaseSensitive(schema, "GlobalSecondaryIndexes"),
                          1) != 0) {
        emu_table_free(t);
        return -1;
    }
    for (int i = 0; i < t->nidx; i++)
        for (int j = 0; j < t->nidx; j++)
            if (i != j && strcmp(t->idx[i].name, t->idx[j].name) == 0) {
                emu_table_free(t);
                return emu_fail(r, "ValidationException",
                                "One or more parameter values were invalid: Duplicate index "
                                "name: %s",
                                t->idx[i].name);
            }
    t->nparts = s->cfg.partitions;
    t->parts = calloc((size_t)t->nparts, sizeof *t->parts);
    if (!t->parts) {
        emu_table_free(t);
        return emu_fail(r, "InternalServerError", "out of memory");
    }
    for (int i = 0; i < t->nparts; i++)
        emu_part_init(&t->parts[i]);
    *out = t;
    return 0;
}

int emu_table_register(emu_server *s, emu_table *t, emu_req *r)
{
    pthread_mutex_lock(&s->tables_lock);
    for (int i = 0; i < s->ntables; i++)
        if (strcmp(s->tables[i]->name, t->name) == 0) {
            pthread_mutex_unlock(&s->tables_lock);
            return emu_fail(r, "ResourceInUseException", "Table already exists: %s", t->name);
        }
    if (s->ntables == s->captables) {
        int cap = s->captables ? s->captables * 2 : 16;
        emu_table **nt = realloc(s->tables, (size_t)cap * sizeof *nt);
        if (!nt) {
            pthread_mutex_unlock(&s->tables_lock);
            return emu_fail(r, "InternalServerError", "out of memory");
        }
        s->tables = nt;
        s->captables = cap;
    }
    atomic_fetch_add(&t->refs, 1); /* the registry's reference */
    s->tables[s->ntables++] = t;
    pthread_mutex_unlock(&s->tables_lock);
    return 0;
}

void emu_table_unregister(emu_server *s, emu_table *t)
{
    int found = 0;
    pthread_mutex_lock(&s->tables_lock);
    for (int i = 0; i < s->ntables; i++)
        if (s->tables[i] == t) {
            memmove(s->tables + i, s->tables + i + 1,
                    (size_t)(s->ntables - i - 1) * sizeof *s->tables);
            s->ntables--;
            found = 1;
            break;
        }
    pthread_mutex_unlock(&s->tables_lock);
    if (found) emu_table_put(t);
}

void emu_tables_free_all(emu_server *s)
{
    for (int i = 0; i < s->ntables; i++)
        emu_table_put(s->tables[i]);
    free(s->tables);
    s->tables = NULL;
    s->ntables = 0;
}

static const char *emu_type_letter(ddb_attr_type t)
{
    return t == DDB_T_N ? "N" : t == DDB_T_B ? "B" : "S";
}

static cJSON *emu_key_schema_json(const char *hash, const char *range)
{
    cJSON *ks = cJSON_CreateArray();
    cJSON *h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "AttributeName", hash);
    cJSON_AddStringToObject(h, "KeyType", "HASH");
    cJSON_AddItemToArray(ks, h);
    if (range && range[0]) {
        cJSON *rr = cJSON_CreateObject();
        cJSON_AddStringToObject(rr, "AttributeName", range);
        cJSON_AddStringToObject(rr, "KeyType", "RANGE");
        cJSON_AddItemToArray(ks, rr);
    }
    return ks;
}

static cJSON *emu_throughput_json(long long rcu, long long wcu)
{
    cJSON *pt = cJSON_CreateObject();
    cJSON_AddNumberToObject(pt, "NumberOfDecreasesToday", 0);
    cJSON_AddNumberToObject(pt, "ReadCapacityUnits", (double)rcu);
    cJSON_AddNumberToObject(pt, "WriteCapacityUnits", (double)wcu);
    return pt;
}

cJSON *emu_table_schema(emu_table *t)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "AttributeDefinitions", cJSON_Duplicate(t->attr_defs, 1));
    cJSON_AddItemToObject(o, "KeySchema", emu_key_schema_json(t->hash_name, t->range_name));
    cJSON_AddStringToObject(o, "BillingMode",
                            t->pay_per_request ? "PAY_PER_REQUEST" : "PROVISIONED");
    if (!t->pay_per_request) {
        cJSON *pt = cJSON_CreateObject();
        cJSON_AddNumberToObject(pt, "ReadCapacityUnits", (double)t->rcu);
        cJSON_AddNumberToObject(pt, "WriteCapacityUnits", (double)t->wcu);
        cJSON_AddItemToObject(o, "ProvisionedThroughput", pt);
    }
    for (int g = 0; g < 2; g++) {
        cJSON *arr = NULL;
        for (int i = 0; i < t->nidx; i++) {
            if (t->idx[i].global != g) continue;
            if (!arr) arr = cJSON_CreateArray();
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "IndexName", t->idx[i].name);
            cJSON_AddItemToObject(x, "KeySchema",
                                  emu_key_schema_json(t->idx[i].hash_name, t->idx[i].range_name));
            cJSON_AddItemToObject(x, "Projection", cJSON_Duplicate(t->idx[i].projection, 1));
            if (t->idx[i].throughput)
                cJSON_AddItemToObject(x, "ProvisionedThroughput",
                                      cJSON_Duplicate(t->idx[i].throughput, 1));
            cJSON_AddItemToArray(arr, x);
        }
        if (arr)
            cJSON_AddItemToObject(o, g ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes", arr);
    }
    return o;
}

static void emu_table_counts(emu_table *t, long *items, long long *bytes)
{
    *items = 0;
    *bytes = 0;
    for (int i = 0; i < t->nparts; i++) {
        pthread_rwlock_rdlock(&t->parts[i].lock);
        *items += t->parts[i].items;
        *bytes += t->parts[i].bytes;
        pthread_rwlock_unlock(&t->parts[i].lock);
    }
}

cJSON *emu_table_describe(emu_table *t)
{
    emu_tstatus st = emu_table_status(t);
    long items;
    long long bytes;
    emu_table_counts(t, &items, &bytes);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "AttributeDefinitions", cJSON_Duplicate(t->attr_defs, 1));
    cJSON_AddStringToObject(o, "TableName", t->name);
    cJSON_AddItemToObject(o, "KeySchema", emu_key_schema_json(t->hash_name, t->range_name));
    cJSON_AddStringToObject(o, "TableStatus",
                            st == EMU_TS_ACTIVE     ? "ACTIVE"
                            : st == EMU_TS_DELETING ? "DELETING"
                                                    : "CREATING");
    cJSON_AddNumberToObject(o, "CreationDateTime", emu_epoch_s(t->created_ns));
    cJSON_AddItemToObject(o, "ProvisionedThroughput", emu_throughput_json(t->rcu, t->wcu));
    cJSON_AddNumberToObject(o, "TableSizeBytes", (double)bytes);
    cJSON_AddNumberToObject(o, "ItemCount", (double)items);
    cJSON_AddStringToObject(o, "TableArn", t->arn);
    cJSON_AddStringToObject(o, "TableId", t->id);
    cJSON *bms = cJSON_CreateObject();
    cJSON_AddStringToObject(bms, "BillingMode",
                            t->pay_per_request ? "PAY_PER_REQUEST" : "PROVISIONED");
    if (t->pay_per_request)
        cJSON_AddNumberToObject(bms, "LastUpdateToPayPerRequestDateTime",
                                emu_epoch_s(t->created_ns));
    cJSON_AddItemToObject(o, "BillingModeSummary", bms);
    for (int g = 0; g < 2; g++) {
        cJSON *arr = NULL;
        for (int i = 0; i < t->nidx; i++) {
            emu_index *x = &t->idx[i];
            if (x->global != g) continue;
            if (!arr) arr = cJSON_CreateArray();
            cJSON *d = cJSON_CreateObject();
            cJSON_AddStringToObject(d, "IndexName", x->name);
            cJSON_AddItemToObject(d, "KeySchema", emu_key_schema_json(x->hash_name, x->range_name));
            cJSON_AddItemToObject(d, "Projection", cJSON_Duplicate(x->projection, 1));
            if (g) {
                cJSON_AddStringToObject(d, "IndexStatus",
                                        st == EMU_TS_ACTIVE ? "ACTIVE" : "CREATING");
                long long rc = 0, wc = 0;
                if (x->throughput) {
                    const cJSON *a =
                        cJSON_GetObjectItemCaseSensitive(x->throughput, "ReadCapacityUnits");
                    const cJSON *b =
                        cJSON_GetObjectItemCaseSensitive(x->throughput, "WriteCapacityUnits");
                    rc = cJSON_IsNumber(a) ? (long long)a->valuedouble : 0;
                    wc = cJSON_IsNumber(b) ? (long long)b->valuedouble : 0;
                }
                cJSON_AddItemToObject(d, "ProvisionedThroughput", emu_throughput_json(rc, wc));
            }
            cJSON_AddNumberToObject(d, "IndexSizeBytes", (double)bytes);
            cJSON_AddNumberToObject(d, "ItemCount", (double)items);
            char arn[700];
            snprintf(arn, sizeof arn, "%s/index/%s", t->arn, x->name);
            cJSON_AddStringToObject(d, "IndexArn", arn);
            cJSON_AddItemToArray(arr, d);
        }
        if (arr)
            cJSON_AddItemToObject(o, g ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes", arr);
    }
    pthread_mutex_lock(&t->meta_lock);
    if (t->restore_time_ns) {
        cJSON *rs = cJSON_CreateObject();
        if (t->restore_backup_arn[0])
            cJSON_AddStringToObject(rs, "SourceBackupArn", t->restore_backup_arn);
        if (t->restore_table_arn[0])
            cJSON_AddStringToObject(rs, "SourceTableArn", t->restore_table_arn);
        cJSON_AddNumberToObject(rs, "RestoreDateTime", emu_epoch_s(t->restore_time_ns));
        cJSON_AddBoolToObject(rs, "RestoreInProgress", t->restoring);
        cJSON_AddItemToObject(o, "RestoreSummary", rs);
    }
    pthread_mutex_unlock(&t->meta_lock);
    cJSON_AddBoolToObject(o, "DeletionProtectionEnabled", 0);
    return o;
}

/* ---- key extraction ---- */

int emu_item_key(emu_req *r, emu_table *t, const cJSON *item, int key_only, const cJSON **hash_av,
                 const cJSON **range_av)
{
    *hash_av = *range_av = NULL;
    if (!cJSON_IsObject(item))
        return emu_fail(r, "ValidationException",
                        "The provided key element does not match the schema");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(item, t->hash_name);
    const cJSON *rg =
        t->range_name[0] ? cJSON_GetObjectItemCaseSensitive(item, t->range_name) : NULL;
    int want = t->range_name[0] ? 2 : 1;
    if (!h || (t->range_name[0] && !rg) || (key_only && cJSON_GetArraySize(item) != want)) {
        if (key_only)
            return emu_fail(r, "ValidationException",
                            "The provided key element does not match the schema");
        return emu_fail(r, "ValidationException",
                        "One or more parameter values were invalid: Missing the key %s in the "
                        "item",
                        !h ? t->hash_name : t->range_name);
    }
    const cJSON *keys[2] = {h, rg};
    ddb_attr_type types[2] = {t->hash_type, t->range_type};
    const char *names[2] = {t->hash_name, t->range_name};
    size_t limits[2] = {DDB_MAX_HASH_KEY_BYTES, DDB_MAX_RANGE_KEY_BYTES};
    for (int i = 0; i < want; i++) {
        ddb_attr_type ty = ddb_attr_type_of(keys[i]);
        if (ty != types[i]) {
            if (key_only)
                return emu_fail(r, "ValidationException",
                                "The provided key element does not match the schema");
            return emu_fail(r, "ValidationException",
                            "One or more parameter values were invalid: Type mismatch for key "
                            "%s expected: %s actual: %s",
                            names[i], emu_type_letter(types[i]),
                            ty == DDB_T_INVALID ? "?" : ddb_attr_type_name(ty));
        }
        char err[256];
        if (ddb_attr_validate(keys[i], names[i], err, sizeof err) != 0)
            return emu_fail(r, "ValidationException",
                            "One or more parameter values were invalid: %s", err);
        const cJSON *pl = ddb_attr_payload(keys[i]);
        if (ty != DDB_T_N && cJSON_IsString(pl) && pl->valuestring[0] == 0)
            return emu_fail(r, "ValidationException",
                            "One or more parameter values are not valid. The AttributeValue "
                            "for a key attribute cannot contain an empty %s value. Key: %s",
                            ty == DDB_T_S ? "string" : "binary", names[i]);
        size_t sz = ddb_attr_size(keys[i]);
        if (sz > limits[i])
            return emu_fail(r, "ValidationException",
                            i == 0 ? "One or more parameter values were invalid: Size of "
                                     "hashkey has exceeded the maximum size limit of 2048 bytes"
                                   : "One or more parameter values were invalid: Aggregated "
                                     "size of all range keys has exceeded the size limit of "
                                     "1024 bytes");
    }
    *hash_av = h;
    *range_av = rg;
    return 0;
}

/* ---- operations ---- */

static emu_table *emu_need_table(emu_req *r, const char *field)
{
    const char *name = emu_need_str(r, field);
    if (!name) return NULL;
    emu_table *t = emu_table_get(r->srv, name);
    if (!t)
        emu_fail(r, "ResourceNotFoundException",
                 "Requested resource not found: Table: %s "
                 "not found",
                 name);
    return t;
}

int emu_op_create_table(emu_req *r)
{
    const char *name = emu_get_str(r->body, "TableName");
    emu_table *t;
    if (emu_table_from_schema(r->srv, r->body, name, r, &t) != 0) return -1;
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(r->body, "Tags");
    if (cJSON_IsArray(tags)) {
        cJSON_Delete(t->tags);
        t->tags = cJSON_Duplicate(tags, 1);
    }
    t->active_at_ns = r->now_ns + (int64_t)r->srv->cfg.table_create_delay_ms * BC_NS_PER_MS;
    if (emu_table_register(r->srv, t, r) != 0) {
        emu_table_put(t);
        return -1;
    }
    r->out = cJSON_CreateObject();
    cJSON_AddItemToObject(r->out, "TableDescription", emu_table_describe(t));
    emu_table_put(t);
    return 0;
}

int emu_op_describe_table(emu_req *r)
{
    emu_table *t = emu_need_table(r, "TableName");
    if (!t) return -1;
    r->out = cJSON_CreateObject();
    cJSON_AddItemToObject(r->out, "Table", emu_table_describe(t));
    emu_table_put(t);
    return 0;
}

int emu_op_delete_table(emu_req *r)
{
    emu_table *t = emu_need_table(r, "TableName");
    if (!t) return -1;
    if (emu_table_status(t) != EMU_TS_ACTIVE) {
        emu_fail(r, "ResourceInUseException",
                 "Attempt to change a resource which is still in use: Table is being created: "
                 "%s",
                 t->name);
        emu_table_put(t);
        return -1;
    }
    /* "While a backup is in progress you can't delete the source table" (DG-CB). */
    if (atomic_load(&t->pins) > 0) {
        emu_fail(r, "ResourceInUseException",
                 "Attempt to change a resource which is still in use: Table is being backed "
                 "up: %s",
                 t->name);
        emu_table_put(t);
        return -1;
    }
    cJSON *d = emu_table_describe(t);
    cJSON_ReplaceItemInObjectCaseSensitive(d, "TableStatus", cJSON_CreateString("DELETING"));
    pthread_mutex_lock(&t->meta_lock);
    t->status = EMU_TS_DELETING;
    pthread_mutex_unlock(&t->meta_lock);
    emu_table_unregister(r->srv, t);
    emu_table_put(t);
    r->out = cJSON_CreateObject();
    cJSON_AddItemToObject(r->out, "TableDescription", d);
    return 0;
}

static int emu_strcmp_p(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int emu_op_list_tables(emu_req *r)
{
    const cJSON *lim = cJSON_GetObjectItemCaseSensitive(r->body, "Limit");
    int limit = EMU_LIST_MAX;
    if (lim) {
        if (!cJSON_IsNumber(lim) || lim->valuedouble < 1 || lim->valuedouble > EMU_LIST_MAX)
            return emu_fail(r, "ValidationException",
                            "1 validation error detected: Value at 'limit' failed to satisfy "
                            "constraint: Member must have value between 1 and 100");
        limit = (int)lim->valuedouble;
    }
    const char *start = emu_get_str(r->body, "ExclusiveStartTableName");
    emu_server *s = r->srv;
    pthread_mutex_lock(&s->tables_lock);
    int n = s->ntables;
    char **names = calloc((size_t)n + 1, sizeof *names);
    for (int i = 0; names && i < n; i++)
        names[i] = strdup(s->tables[i]->name);
    pthread_mutex_unlock(&s->tables_lock);
    if (!names) return emu_fail(r, "InternalServerError", "out of memory");
    qsort(names, (size_t)n, sizeof *names, emu_strcmp_p);
    r->out = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(r->out, "TableNames");
    int count = 0;
    const char *last = NULL;
    int more = 0;
    for (int i = 0; i < n; i++) {
        if (!names[i] || (start && strcmp(names[i], start) <= 0)) continue;
        if (count == limit) {
            more = 1;
            break;
        }
        cJSON_AddItemToArray(arr, cJSON_CreateString(names[i]));
        last = names[i];
        count++;
    }
    if (more && last) cJSON_AddStringToObject(r->out, "LastEvaluatedTableName", last);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return 0;
}

static emu_table *emu_table_by_arn(emu_req *r)
{
    const char *arn = emu_need_str(r, "ResourceArn");
    if (!arn) return NULL;
    emu_table *t = strncmp(arn, "arn:", 4) == 0 ? emu_table_get(r->srv, arn) : NULL;
    if (t && strcmp(t->arn, arn) != 0) {
        emu_table_put(t);
        t = NULL;
    }
    if (!t)
        emu_fail(r, "ResourceNotFoundException",
                 "Requested resource not found: ResourcArn: %s "
                 "not found",
                 arn);
    return t;
}

int emu_op_tag_resource(emu_req *r)
{
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(r->body, "Tags");
    if (!cJSON_IsArray(tags)) return emu_fail_null(r, "Tags");
    emu_table *t = emu_table_by_arn(r);
    if (!t) return -1;
    pthread_mutex_lock(&t->meta_lock);
    const cJSON *tag;
    cJSON_ArrayForEach(tag, tags)
    {
        const char *k = emu_get_str(tag, "Key"), *v = emu_get_str(tag, "Value");
        if (!k || !v) continue;
        cJSON *old;
        int i = 0, found = -1;
        cJSON_ArrayForEach(old, t->tags)
        {
            const char *ok = emu_get_str(old, "Key");
            if (ok && strcmp(ok, k) == 0) found = i;
            i++;
        }
        cJSON *nt = cJSON_CreateObject();
        cJSON_AddStringToObject(nt, "Key", k);
        cJSON_AddStringToObject(nt, "Value", v);
        if (found >= 0)
            cJSON_ReplaceItemInArray(t->tags, found, nt);
        else
            cJSON_AddItemToArray(t->tags, nt);
    }
    pthread_mutex_unlock(&t->meta_lock);
    emu_table_put(t);
    r->out = cJSON_CreateObject();
    return 0;
}

int emu_op_untag_resource(emu_req *r)
{
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(r->body, "TagKeys");
    if (!cJSON_IsArray(keys)) return emu_fail_null(r, "TagKeys");
    emu_table *t = emu_table_by_arn(r);
    if (!t) return -1;
    pthread_mutex_lock(&t->meta_lock);
    const cJSON *k;
    cJSON_ArrayForEach(k, keys)
    {
        if (!cJSON_IsString(k)) continue;
        for (int i = cJSON_GetArraySize(t->tags) - 1; i >= 0; i--) {
            const char *ok = emu_get_str(cJSON_GetArrayItem(t->tags, i), "Key");
            if (ok && strcmp(ok, k->valuestring) == 0) cJSON_DeleteItemFromArray(t->tags, i);
        }
    }
    pthread_mutex_unlock(&t->meta_lock);
    emu_table_put(t);
    r->out = cJSON_CreateObject();
    return 0;
}

int emu_op_list_tags(emu_req *r)
{
    emu_table *t = emu_table_by_arn(r);
    if (!t) return -1;
    r->out = cJSON_CreateObject();
    pthread_mutex_lock(&t->meta_lock);
    cJSON_AddItemToObject(r->out, "Tags", cJSON_Duplicate(t->tags, 1));
    pthread_mutex_unlock(&t->meta_lock);
    emu_table_put(t);
    return 0;
}

static cJSON *emu_continuous_json(emu_table *t)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "ContinuousBackupsStatus", "ENABLED");
    cJSON *p = cJSON_AddObjectToObject(d, "PointInTimeRecoveryDescription");
    pthread_mutex_lock(&t->meta_lock);
    if (atomic_load(&t->pitr)) {
        cJSON_AddStringToObject(p, "PointInTimeRecoveryStatus", "ENABLED");
        cJSON_AddNumberToObject(p, "RecoveryPeriodInDays", t->recovery_days);
        cJSON_AddNumberToObject(p, "EarliestRestorableDateTime", emu_epoch_s(t->pitr_since_ns));
        /* AWS documents LatestRestorableDateTime as "typically 5 minutes before the current
         * time"; the emulator can restore to any committed instant, so it reports now. */
        cJSON_AddNumberToObject(p, "LatestRestorableDateTime", emu_epoch_s(bc_now_ns()));
    } else {
        cJSON_AddStringToObject(p, "PointInTimeRecoveryStatus", "DISABLED");
    }
    pthread_mutex_unlock(&t->meta_lock);
    return d;
}

static emu_table *emu_need_table_tnf(emu_req *r)
{
    const char *name = emu_need_str(r, "TableName");
    if (!name) return NULL;
    emu_table *t = emu_table_get(r->srv, name);
    if (!t) emu_fail(r, "TableNotFoundException", "Table not found: %s", name);
    return t;
}

int emu_op_update_continuous_backups(emu_req *r)
{
    const cJSON *spec =
        cJSON_GetObjectItemCaseSensitive(r->body, "PointInTimeRecoverySpecification");
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(spec, "PointInTimeRecoveryEnabled");
    if (!cJSON_IsBool(en))
        return emu_fail_null(r, "pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled");
    const cJSON *days = cJSON_GetObjectItemCaseSensitive(spec, "RecoveryPeriodInDays");
    /* RecoveryPeriodInDays: 1..35, default 35 (UpdateContinuousBackups). */
    int rd = 35;
    if (days) {
        if (!cJSON_IsNumber(days) || days->valuedouble < 1 || days->valuedouble > 35)
            return emu_fail(r, "ValidationException",
                            "1 validation error detected: Value at "
                            "'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to "
                            "satisfy constraint: Member must have value between 1 and 35");
        rd = (int)days->valuedouble;
    }
    emu_table *t = emu_need_table_tnf(r);
    if (!t) return -1;
    if (emu_table_status(t) != EMU_TS_ACTIVE) {
        emu_table_put(t);
        return emu_fail(r, "ContinuousBackupsUnavailableException",
                        "Backups are being enabled for the table: %s. Please retry later",
                        emu_get_str(r->body, "TableName"));
    }
    pthread_mutex_lock(&t->meta_lock);
    if (cJSON_IsTrue(en)) {
        if (!atomic_load(&t->pitr)) t->pitr_since_ns = r->now_ns;
        t->recovery_days = rd;
        atomic_store(&t->pitr, 1);
    } else {
        atomic_store(&t->pitr, 0);
    }
    pthread_mutex_unlock(&t->meta_lock);
    r->out = cJSON_CreateObject();
    cJSON_AddItemToObject(r->out, "ContinuousBackupsDescription", emu_continuous_json(t));
    emu_table_put(t);
    return 0;
}

int emu_op_describe_continuous_backups(emu_req *r)
{
    emu_table *t = emu_need_table_tnf(r);
    if (!t) return -1;
    r->out = cJSON_CreateObject();
    cJSON_AddItemToObject(r->out, "ContinuousBackupsDescription", emu_continuous_json(t));
    emu_table_put(t);
    return 0;
}

int emu_op_describe_endpoints(emu_req *r)
{
    char addr[96];
    snprintf(addr, sizeof addr, "%s:%d", r->srv->cfg.host, r->srv->port);
    r->out = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(r->out, "Endpoints");
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "Address", addr);
    cJSON_AddNumberToObject(e, "CachePeriodInMinutes", 1440);
    cJSON_AddItemToArray(arr, e);
    return 0;
}
