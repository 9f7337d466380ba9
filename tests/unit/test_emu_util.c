/* test_emu_util.c - helpers for the emulator's unit tests (see test_emu_util.h). */
#include "test_emu_util.h"
#include "util/clock.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tu_fast_config(emu_config *cfg)
{
    emu_config_defaults(cfg);
    cfg->table_create_delay_ms = 5;
    cfg->backup_delay_ms = 20;
    cfg->restore_delay_ms = 20;
    cfg->threads = 4;
    cfg->quiet = 1;
}

int tu_start(tu_env *env, const emu_config *cfg)
{
    memset(env, 0, sizeof *env);
    emu_config def;
    if (!cfg) {
        tu_fast_config(&def);
        cfg = &def;
    }
    char err[256];
    if (emu_start(cfg, &env->srv, err, sizeof err) != 0) {
        fprintf(stderr, "emu_start: %s\n", err);
        return -1;
    }
    ddb_config_defaults(&env->dcfg);
    snprintf(env->dcfg.endpoint, sizeof env->dcfg.endpoint, "%s", emu_endpoint(env->srv));
    snprintf(env->dcfg.region, sizeof env->dcfg.region, "us-east-1");
    snprintf(env->dcfg.creds.access_key_id, sizeof env->dcfg.creds.access_key_id, "%s",
             cfg->access_key_id);
    snprintf(env->dcfg.creds.secret_access_key, sizeof env->dcfg.creds.secret_access_key, "%s",
             cfg->secret_access_key);
    env->dcfg.max_attempts = 1;
    env->c = ddb_client_new(&env->dcfg);
    return env->c ? 0 : -1;
}

void tu_stop(tu_env *env)
{
    ddb_client_free(env->c);
    emu_stop(env->srv);
    memset(env, 0, sizeof *env);
}

static ddb_err tu_vcall(tu_env *env, ddb_result *res, const char *op, const char *fmt, va_list ap)
{
    char *text = NULL;
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    text = malloc((size_t)n + 1);
    vsnprintf(text, (size_t)n + 1, fmt, ap);
    cJSON *req = cJSON_Parse(text);
    if (!req) fprintf(stderr, "bad test JSON: %s\n", text);
    free(text);
    memset(res, 0, sizeof *res);
    ddb_err e = ddb_call(env->c, op, req, res);
    cJSON_Delete(req);
    return e;
}

ddb_err tu_call(tu_env *env, ddb_result *res, const char *op, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ddb_err e = tu_vcall(env, res, op, fmt, ap);
    va_end(ap);
    return e;
}

const cJSON *tu_ok(tu_env *env, ddb_result *res, const char *op, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ddb_err e = tu_vcall(env, res, op, fmt, ap);
    va_end(ap);
    if (e != DDB_OK) {
        fprintf(stderr, "%s failed: %s %s\n", op, res->err_type, res->err_message);
        return NULL;
    }
    return res->body;
}

int tu_wait_active(tu_env *env, const char *table)
{
    for (int i = 0; i < 2000; i++) {
        ddb_result r;
        const cJSON *b = tu_ok(env, &r, "DescribeTable", "{\"TableName\":\"%s\"}", table);
        const cJSON *st =
            b ? cJSON_GetObjectItem(cJSON_GetObjectItem(b, "Table"), "TableStatus") : NULL;
        int active = cJSON_IsString(st) && strcmp(st->valuestring, "ACTIVE") == 0;
        ddb_result_free(&r);
        if (active) return 0;
        bc_sleep_ns(5 * BC_NS_PER_MS);
    }
    return -1;
}

int tu_wait_backup(tu_env *env, const char *arn, const char *want_status)
{
    for (int i = 0; i < 2000; i++) {
        ddb_result r;
        const cJSON *b = tu_ok(env, &r, "DescribeBackup", "{\"BackupArn\":\"%s\"}", arn);
        const cJSON *st = cJSON_GetObjectItem(
            cJSON_GetObjectItem(cJSON_GetObjectItem(b, "BackupDescription"), "BackupDetails"),
            "BackupStatus");
        int done = cJSON_IsString(st) && strcmp(st->valuestring, want_status) == 0;
        ddb_result_free(&r);
        if (done) return 0;
        bc_sleep_ns(5 * BC_NS_PER_MS);
    }
    return -1;
}

int tu_create_table(tu_env *env, const char *name, const char *htype, const char *rtype)
{
    ddb_result r;
    const cJSON *b;
    if (rtype)
        b = tu_ok(env, &r, "CreateTable",
                  "{\"TableName\":\"%s\",\"BillingMode\":\"PAY_PER_REQUEST\","
                  "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"%s\"},"
                  "{\"AttributeName\":\"sk\",\"AttributeType\":\"%s\"}],"
                  "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
                  "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}]}",
                  name, htype, rtype);
    else
        b = tu_ok(env, &r, "CreateTable",
                  "{\"TableName\":\"%s\",\"BillingMode\":\"PAY_PER_REQUEST\","
                  "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"%s\"}],"
                  "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}]}",
                  name, htype);
    ddb_result_free(&r);
    if (!b) return -1;
    return tu_wait_active(env, name);
}

long tu_scan_count(tu_env *env, const char *table)
{
    long n = 0;
    char *start = NULL;
    for (;;) {
        ddb_result r;
        const cJSON *b;
        if (start)
            b = tu_ok(env, &r, "Scan",
                      "{\"TableName\":\"%s\",\"ConsistentRead\":true,\"ExclusiveStartKey\":%s}",
                      table, start);
        else
            b = tu_ok(env, &r, "Scan", "{\"TableName\":\"%s\",\"ConsistentRead\":true}", table);
        free(start);
        start = NULL;
        if (!b) {
            ddb_result_free(&r);
            return -1;
        }
        n += cJSON_GetArraySize(cJSON_GetObjectItem(b, "Items"));
        const cJSON *lek = cJSON_GetObjectItem(b, "LastEvaluatedKey");
        if (lek) start = cJSON_PrintUnformatted(lek);
        ddb_result_free(&r);
        if (!start) return n;
    }
}

typedef struct tu_buf {
    char *p;
    size_t len, cap;
} tu_buf;

static size_t tu_write(char *ptr, size_t size, size_t n, void *arg)
{
    tu_buf *b = arg;
    size_t k = size * n;
    if (b->len + k + 1 <= b->cap) {
        memcpy(b->p + b->len, ptr, k);
        b->len += k;
        b->p[b->len] = 0;
    }
    return k;
}

long tu_raw_post(const char *endpoint, const char *target, const char *body,
                 const char *const *headers, int nheaders, char *out, size_t outlen)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char th[256];
    snprintf(th, sizeof th, "X-Amz-Target: %s", target);
    h = curl_slist_append(h, th);
    h = curl_slist_append(h, "Content-Type: application/x-amz-json-1.0");
    for (int i = 0; i < nheaders; i++)
        h = curl_slist_append(h, headers[i]);
    tu_buf b = {out, 0, outlen};
    out[0] = 0;
    curl_easy_setopt(c, CURLOPT_URL, endpoint);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*"); /* loopback only, whatever the environment */
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tu_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}
