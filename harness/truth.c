/*
 * truth.c - the embedded emulator's vendor operation BackcheckEmulator.DescribeBackupTruth
 * (emulator/emu.h): what the emulator really cut, so that tests can compare it with the
 * checkers' inferred cut. ddb_call always sends DynamoDB's own X-Amz-Target prefix, so
 * this one request is signed and sent here with the same SigV4 code and libcurl.
 */
#include "harness/run_internal.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "ddb/sigv4.h"
#include "util/clock.h"

typedef struct grow {
    char *p;
    size_t n;
} grow;

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    grow *g = arg;
    size_t add = size * nmemb;
    char *np = realloc(g->p, g->n + add + 1);
    if (!np) return 0;
    memcpy(np + g->n, data, add);
    g->n += add;
    np[g->n] = '\0';
    g->p = np;
    return add;
}

cJSON *run_truth(const ddb_config *cfg, const char *key, const char *value, char *err,
                 size_t errlen)
{
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, key, value);
    char *body = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    if (!body) return NULL;
    const char *h = strstr(cfg->endpoint, "://");
    h = h ? h + 3 : cfg->endpoint;
    char host[256];
    snprintf(host, sizeof host, "%.*s", (int)strcspn(h, "/"), h);
    char amz_date[32];
    bc_fmt_compact(bc_now_ns(), amz_date, sizeof amz_date);
    const char *target = "BackcheckEmulator.DescribeBackupTruth";
    ddb_header hs[] = {{"Host", host},
                       {"X-Amz-Date", amz_date},
                       {"X-Amz-Target", target},
                       {"Content-Type", "application/x-amz-json-1.0"}};
    ddb_sigv4_input in = {.method = "POST",
                          .path = "/",
                          .query = "",
                          .headers = hs,
                          .nheaders = 4,
                          .body = body,
                          .body_len = strlen(body),
                          .region = cfg->region,
                          .service = "dynamodb",
                          .amz_date = amz_date,
                          .access_key_id = cfg->creds.access_key_id,
                          .secret_access_key = cfg->creds.secret_access_key,
                          .normalize_path = 1,
                          .signed_headers = NULL};
    char *auth = NULL;
    if (ddb_sigv4_authorization(&in, NULL, &auth) != 0) {
        free(body);
        snprintf(err, errlen, "DescribeBackupTruth: cannot sign");
        return NULL;
    }
    CURL *c = curl_easy_init();
    struct curl_slist *hl = NULL;
    char line[2300];
    snprintf(line, sizeof line, "X-Amz-Date: %s", amz_date);
    hl = curl_slist_append(hl, line);
    snprintf(line, sizeof line, "X-Amz-Target: %s", target);
    hl = curl_slist_append(hl, line);
    hl = curl_slist_append(hl, "Content-Type: application/x-amz-json-1.0");
    snprintf(line, sizeof line, "Authorization: %s", auth);
    hl = curl_slist_append(hl, line);
    hl = curl_slist_append(hl, "Expect:");
    grow g = {NULL, 0};
    curl_easy_setopt(c, CURLOPT_URL, cfg->endpoint);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &g);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (ddb_url_is_loopback(cfg->endpoint)) curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    free(auth);
    free(body);
    cJSON *resp = NULL;
    if (cc != CURLE_OK)
        snprintf(err, errlen, "DescribeBackupTruth: %s", curl_easy_strerror(cc));
    else if (status != 200)
        snprintf(err, errlen, "DescribeBackupTruth: HTTP %ld: %.200s", status, g.p ? g.p : "");
    else if (!(resp = cJSON_Parse(g.p ? g.p : "")))
        snprintf(err, errlen, "DescribeBackupTruth: unparsable answer");
    free(g.p);
    return resp;
}

cJSON *run_truth_damage(const cJSON *truth, const char *hash_key)
{
    cJSON *dmg = cJSON_CreateArray();
    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(truth, "Damage"))
    {
        cJSON *e = cJSON_CreateObject();
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(d, "Fault");
        cJSON_AddStringToObject(e, "fault", cJSON_IsString(f) ? f->valuestring : "");
        /* The key is an AttributeValue map; the history names keys by the hash key's
         * string, so record that when it is one. */
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(d, "Key");
        const cJSON *hk = cJSON_GetObjectItemCaseSensitive(k, hash_key);
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(hk, "S");
        if (cJSON_IsString(s))
            cJSON_AddStringToObject(e, "key", s->valuestring);
        else if (k)
            cJSON_AddItemToObject(e, "key_av", cJSON_Duplicate(k, 1));
        const cJSON *det = cJSON_GetObjectItemCaseSensitive(d, "Detail");
        if (cJSON_IsString(det)) cJSON_AddStringToObject(e, "detail", det->valuestring);
        cJSON_AddItemToArray(dmg, e);
    }
    return dmg;
}
