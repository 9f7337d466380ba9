/*
 * pricing.c - loads the dated pricing file (reports/pricing.json, the machine-readable
 * block of AWS-FACTS.md section 8, embedded at build time) and turns consumed units and
 * stored bytes into dollars. See pricing.h.
 */
#include "reports/pricing.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/internal.h"

extern const char rep_pricing_builtin[];
extern const size_t rep_pricing_builtin_len;

/* Reads prices.<name>.value; 0 with *missing set when absent or null (e.g. the AWS
 * Backup cold tier, which the fact sheet could not confirm). */
static double price_value(const cJSON *prices, const char *name, int *missing)
{
    const cJSON *v =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(prices, name), "value");
    if (!cJSON_IsNumber(v)) {
        *missing = 1;
        return 0;
    }
    return v->valuedouble;
}

static int pricing_from_json(const cJSON *root, const char *src, const char *region,
                             rep_pricing *out, char *err, size_t errlen)
{
    const cJSON *reg = cJSON_GetObjectItemCaseSensitive(root, "region");
    const cJSON *asof = cJSON_GetObjectItemCaseSensitive(root, "as_of");
    const cJSON *prices = cJSON_GetObjectItemCaseSensitive(root, "prices");
    if (!cJSON_IsString(reg) || !cJSON_IsString(asof) || !cJSON_IsObject(prices)) {
        snprintf(err, errlen, "%s: expected \"region\", \"as_of\" and \"prices\"", src);
        return -1;
    }
    if (region && *region && strcmp(region, reg->valuestring) != 0) {
        snprintf(err, errlen, "%s: has prices for %s only, not %s", src, reg->valuestring, region);
        return -1;
    }
    memset(out, 0, sizeof *out);
    snprintf(out->region, sizeof out->region, "%s", reg->valuestring);
    snprintf(out->as_of, sizeof out->as_of, "%s", asof->valuestring);
    int missing = 0;
    out->wru_per_million =
        price_value(prices, "on_demand_write_request_unit_per_million", &missing);
    out->rru_per_million = price_value(prices, "on_demand_read_request_unit_per_million", &missing);
    out->backup_gb_month = price_value(prices, "on_demand_backup_warm_gb_month", &missing);
    out->restore_gb = price_value(prices, "restore_gb", &missing);
    out->pitr_gb_month = price_value(prices, "pitr_gb_month", &missing);
    out->storage_gb_month = price_value(prices, "storage_gb_month", &missing);
    if (missing) {
        snprintf(err, errlen, "%s: a price used for estimates has no numeric \"value\"", src);
        return -1;
    }
    return 0;
}

int rep_pricing_load(const char *path, const char *region, rep_pricing *out, char *err,
                     size_t errlen)
{
    char *text = NULL;
    const char *src = path ? path : "built-in pricing.json";
    if (path) {
        if (rep_read_file(path, &text, NULL, err, errlen)) return -1;
    }
    cJSON *root = cJSON_Parse(path ? text : rep_pricing_builtin);
    free(text);
    if (!root) {
        snprintf(err, errlen, "%s: not valid JSON", src);
        return -1;
    }
    int rc = pricing_from_json(root, src, region, out, err, errlen);
    cJSON_Delete(root);
    return rc;
}

void rep_cost_estimate(const rep_pricing *p, const rep_usage *u, rep_cost *out)
{
    out->writes = u->wru / 1e6 * p->wru_per_million;
    out->reads = u->rru / 1e6 * p->rru_per_million;
    out->backup_storage = u->backup_bytes / REP_BYTES_PER_GB * p->backup_gb_month *
                          (u->backup_days / REP_DAYS_PER_MONTH);
    out->restores = u->restore_bytes / REP_BYTES_PER_GB * p->restore_gb;
    out->pitr =
        u->pitr_bytes / REP_BYTES_PER_GB * p->pitr_gb_month * (u->pitr_days / REP_DAYS_PER_MONTH);
    out->total = out->writes + out->reads + out->backup_storage + out->restores + out->pitr;
}

/* Units of `unit_bytes`, rounded up, at least one (a zero-byte or missing item still
 * costs one unit: "Delete operations on nonexistent items consume one write capacity
 * unit", and reading a missing item costs a read unit). */
static double units_rounded_up(double bytes, double unit_bytes)
{
    double n = ceil(bytes / unit_bytes);
    return n < 1 ? 1 : n;
}

double rep_wru_for_write(double item_bytes, int transactional)
{
    double n = units_rounded_up(item_bytes, REP_WRU_ITEM_BYTES);
    return transactional ? 2 * n : n;
}

double rep_rru_for_read(double item_bytes, rep_read_kind kind)
{
    double n = units_rounded_up(item_bytes, REP_RRU_ITEM_BYTES);
    switch (kind) {
    case REP_READ_EVENTUAL:
        return 0.5 * n;
    case REP_READ_TRANSACTIONAL:
        return 2 * n;
    case REP_READ_STRONG:
    default:
        return n;
    }
}
