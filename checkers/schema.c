/*
 * schema.c - the `schema` checker: a restored table must have the source's key schema and
 * global secondary indexes (restored from a backup and by PITR, AWS-FACTS.md 1.4, 2.3).
 * The billing mode can be overridden at restore time, so a difference is an observation.
 * What AWS documents as not restored (TTL, stream settings, tags, auto scaling, IAM
 * policies, CloudWatch alarms; PITR settings for a PITR restore) is noted, never a
 * finding.
 *
 * Input: the restore record's "description" in backups.jsonl (DescribeTable's Table
 * object: KeySchema, GlobalSecondaryIndexes, BillingModeSummary). The expected shape is
 * the source record's "description" when the harness recorded one, else the scenario's
 * "table". Without a description the check is skipped with a note.
 */
#include "checkers/chk_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct shape {
    char hash[128], range[128], billing[32];
    char *gsi[32];
    int ngsi;
} shape;

static void shape_free(shape *s)
{
    for (int i = 0; i < s->ngsi; i++)
        free(s->gsi[i]);
    s->ngsi = 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_gsi(shape *s, const char *name)
{
    if (name && s->ngsi < (int)(sizeof s->gsi / sizeof s->gsi[0])) s->gsi[s->ngsi++] = strdup(name);
}

static void from_description(const cJSON *d, shape *s)
{
    memset(s, 0, sizeof *s);
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(d, "KeySchema"))
    {
        const char *n = chk_json_str(e, "AttributeName"), *t = chk_json_str(e, "KeyType");
        if (n && t && strcmp(t, "HASH") == 0) snprintf(s->hash, sizeof s->hash, "%s", n);
        if (n && t && strcmp(t, "RANGE") == 0) snprintf(s->range, sizeof s->range, "%s", n);
    }
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(d, "GlobalSecondaryIndexes"))
        add_gsi(s, chk_json_str(e, "IndexName"));
    const char *b =
        chk_json_str(cJSON_GetObjectItemCaseSensitive(d, "BillingModeSummary"), "BillingMode");
    /* A table without BillingModeSummary is provisioned (DescribeTable's default). */
    snprintf(s->billing, sizeof s->billing, "%s", b ? b : "PROVISIONED");
    qsort(s->gsi, (size_t)s->ngsi, sizeof s->gsi[0], cmp_str);
}

static void from_scenario(const cJSON *t, shape *s)
{
    memset(s, 0, sizeof *s);
    const char *h = chk_json_str(t, "hash_key"), *r = chk_json_str(t, "range_key");
    const char *b = chk_json_str(t, "billing");
    snprintf(s->hash, sizeof s->hash, "%s", h ? h : "pk");
    snprintf(s->range, sizeof s->range, "%s", r ? r : "");
    snprintf(s->billing, sizeof s->billing, "%s", b ? b : "PAY_PER_REQUEST");
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(t, "gsi"))
    {
        if (cJSON_IsString(e))
            add_gsi(s, e->valuestring);
        else if (chk_json_str(e, "name"))
            add_gsi(s, chk_json_str(e, "name"));
        else
            add_gsi(s, chk_json_str(e, "IndexName"));
    }
    qsort(s->gsi, (size_t)s->ngsi, sizeof s->gsi[0], cmp_str);
}

static void gsi_list(const shape *s, char *out, size_t n)
{
    out[0] = '\0';
    size_t used = 0;
    for (int i = 0; i < s->ngsi && used < n; i++)
        used += (size_t)snprintf(out + used, n - used, "%s%s", i ? "," : "", s->gsi[i]);
    if (!s->ngsi) snprintf(out, n, "none");
}

static int schema_check(chk_run *run, chk_target *t, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    const cJSON *d =
        t->restore ? cJSON_GetObjectItemCaseSensitive(t->restore, "description") : NULL;
    if (!cJSON_IsObject(d)) {
        chk_target_note(t, "schema: skipped, the restore record carries no table description");
        return 0;
    }
    shape want, got;
    const cJSON *sd =
        run->source ? cJSON_GetObjectItemCaseSensitive(run->source, "description") : NULL;
    const cJSON *table =
        run->scenario ? cJSON_GetObjectItemCaseSensitive(run->scenario, "table") : NULL;
    if (cJSON_IsObject(sd))
        from_description(sd, &want);
    else
        from_scenario(table, &want);
    from_description(d, &got);
    if (strcmp(want.hash, got.hash) || strcmp(want.range, got.range))
        chk_target_add(t, CHK_F_SCHEMA, 1, NULL, NULL, 0, 0, NULL,
                       "key schema: restored HASH=%s RANGE=%s, source HASH=%s RANGE=%s", got.hash,
                       got.range[0] ? got.range : "none", want.hash,
                       want.range[0] ? want.range : "none");
    int same = want.ngsi == got.ngsi;
    for (int i = 0; same && i < want.ngsi; i++)
        same = strcmp(want.gsi[i], got.gsi[i]) == 0;
    if (!same) {
        char a[512], b[512];
        gsi_list(&got, a, sizeof a);
        gsi_list(&want, b, sizeof b);
        chk_target_add(t, CHK_F_SCHEMA, 1, NULL, NULL, 0, 0, NULL,
                       "global secondary indexes: restored [%s], source [%s]", a, b);
    }
    if (strcmp(want.billing, got.billing))
        chk_target_add(t, CHK_F_SCHEMA, 0, NULL, NULL, 0, 0, NULL,
                       "billing mode: restored %s, source %s (may be overridden at restore)",
                       got.billing, want.billing);
    chk_target_note(t,
                    "schema: TTL, stream settings, tags, auto scaling, IAM policies and "
                    "CloudWatch alarms are not restored by DynamoDB (documented)%s",
                    t->kind == CHK_T_PITR ? "; nor are PITR settings" : "");
    shape_free(&want);
    shape_free(&got);
    return 0;
}

const chk_ops chk_schema_ops = {
    .name = "schema",
    .help = "restored key schema and GSIs match the source; documented omissions are notes",
    .targets = CHK_T_BACKUP | CHK_T_PITR,
    .check = schema_check,
};
