/*
 * client.c - one DynamoDB JSON-1.0 call over libcurl: signing, sending, the AWS
 * "standard" retry mode, x-amz-crc32 verification, the ok/fail/info outcome of every
 * attempt, consumed capacity.
 *
 * A ddb_client owns one curl easy handle, so consecutive calls reuse one keep-alive
 * connection, and one SigV4 key cache; it is used by one thread at a time. Nothing in
 * this file is shared between clients, so clients in different threads need no locks
 * (curl_global_init, done once by ddb_global_init, is the only library-wide state).
 */
#include "ddb/ddb.h"
#include "ddb/internal.h"
#include "ddb/sigv4.h"
#include "util/clock.h"
#include "util/pcg32.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef DDB_HAVE_ZLIB
#include <zlib.h>
#endif

#define DDB_TARGET_PREFIX "DynamoDB_20120810."
#define DDB_CONTENT_TYPE "application/x-amz-json-1.0"
#define DDB_SERVICE "dynamodb"
#define DDB_USER_AGENT "backcheck/" BACKCHECK_VERSION
/* Header lines every request of a client sends (fixed_headers): Host, Content-Type,
 * User-Agent, and the removal of curl's Expect and Accept. */
#define DDB_FIXED_HEADER_LINES 5

/* Data-plane operations whose request has ReturnConsumedCapacity (the API reference of
 * each); we ask for TOTAL so the harness can cost every call. */
static const char *const CAPACITY_OPS[] = {
    "PutItem",        "UpdateItem",   "DeleteItem",         "GetItem",          "Query", "Scan",
    "BatchWriteItem", "BatchGetItem", "TransactWriteItems", "TransactGetItems",
};
/* Operations whose CapacityUnits are write units (the rest are read units). */
static const char *const WRITE_OPS[] = {
    "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems",
};

static int in_list(const char *const *list, size_t n, const char *op)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], op) == 0) return 1;
    return 0;
}

int ddb_op_accepts_consumed_capacity(const char *operation)
{
    return operation &&
           in_list(CAPACITY_OPS, sizeof(CAPACITY_OPS) / sizeof(CAPACITY_OPS[0]), operation);
}

/* ---- CRC32 (the zlib polynomial, as DynamoDB's x-amz-crc32 uses) ---- */

#ifndef DDB_HAVE_ZLIB
static uint32_t crc32_table_entry(uint32_t c)
{
    for (int k = 0; k < 8; k++)
        c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    return c;
}
#endif

uint32_t ddb_crc32(const void *data, size_t len)
{
#ifdef DDB_HAVE_ZLIB
    return (uint32_t)crc32_z(0L, (const Bytef *)(data ? data : ""), len);
#else
    /* Table built on the stack per call: no shared mutable state, and responses are
     * small next to the network time. */
    uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++)
        table[i] = crc32_table_entry(i);
    const unsigned char *p = data;
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++)
        c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
#endif
}

int64_t ddb_backoff_bound_ns(int retry)
{
    int64_t ms = DDB_BACKOFF_BASE_MS;
    for (int i = 0; i < retry && ms < DDB_BACKOFF_CAP_MS; i++)
        ms *= 2;
    if (ms > DDB_BACKOFF_CAP_MS) ms = DDB_BACKOFF_CAP_MS;
    return ms * BC_NS_PER_MS;
}

/* ---- the client ---- */

struct ddb_client {
    ddb_config cfg;
    CURL *curl;
    CURLU *url; /* the endpoint, parsed once: curl copies it for each request */
    struct curl_slist *connect_to;
    char host_header[600]; /* "host[:port]" exactly as sent and signed */
    char path[512];
    char config_error[384]; /* set when the endpoint or credentials are unusable */
    ddb_sigv4_keycache keys;
    unsigned char secret_fp[32]; /* SHA-256 of cfg.creds.secret_access_key */
    pcg32 rng;
    char curl_err[CURL_ERROR_SIZE];
    /* Response of the attempt in flight. */
    ddb_buf resp;
    /* Header lines of the attempt in flight, NUL-separated, reused across requests so
     * that building the header list costs no allocation per request. The first
     * hdr_fixed bytes are the lines that are the same for every request (hdr_nfixed of
     * them, starting at hdr_off[]), written once by ddb_client_new. */
    ddb_buf hdr;
    size_t hdr_fixed, hdr_nfixed, hdr_off[DDB_FIXED_HEADER_LINES];
    /* The request body, reused across requests. */
    ddb_buf req;
    /* X-Amz-Date of date_s. */
    int64_t date_s;
    char amz_date[32];
    char resp_crc[32];
    char resp_errtype[128];
    ddb_driver drv; /* drv.perform NULL: curl_easy_perform and bc_sleep_ns */
    ddb_trace_fn trace;
    void *trace_ctx;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    ddb_client *c = arg;
    ddb_buf_append(&c->resp, data, size * nmemb);
    return c->resp.oom ? 0 : size * nmemb;
}

/* Copies the value of header `name` from a raw "Name: value\r\n" line if it matches. */
static void header_value(const char *line, size_t n, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':') return;
    const char *v = line + nl + 1;
    const char *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    size_t len = (size_t)(end - v);
    if (len >= outlen) len = outlen - 1;
    memcpy(out, v, len);
    out[len] = '\0';
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    ddb_client *c = arg;
    size_t n = size * nmemb;
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* A new response (e.g. after 100 Continue): forget the previous headers. */
        c->resp_crc[0] = '\0';
        c->resp_errtype[0] = '\0';
    }
    /* Both headers read start with "x-amz": most lines are skipped at the first byte. */
    if (n > 5 && (data[0] == 'x' || data[0] == 'X')) {
        header_value(data, n, "x-amz-crc32", c->resp_crc, sizeof(c->resp_crc));
        header_value(data, n, "x-amzn-ErrorType", c->resp_errtype, sizeof(c->resp_errtype));
    }
    return n;
}

/* Appends "name: value" and its NUL to c->hdr and records where it starts. */
static void header_line(ddb_client *c, size_t *off, size_t *n, const char *name, const char *value)
{
    off[(*n)++] = c->hdr.len;
    ddb_buf_puts(&c->hdr, name);
    ddb_buf_append(&c->hdr, ": ", value[0] ? 2 : 1); /* "Name:" alone removes a header */
    ddb_buf_puts(&c->hdr, value);
    ddb_buf_putc(&c->hdr, '\0');
}

/* The header lines every request of this client sends, written once. Host is signed
 * (and sent as signed, port included); User-Agent is sent as one of these lines rather
 * than through CURLOPT_USERAGENT, which curl formats anew for every request. */
static void fixed_headers(ddb_client *c)
{
    c->hdr.len = 0;
    c->hdr_nfixed = 0;
    header_line(c, c->hdr_off, &c->hdr_nfixed, "Host", c->host_header);
    header_line(c, c->hdr_off, &c->hdr_nfixed, "Content-Type", DDB_CONTENT_TYPE);
    header_line(c, c->hdr_off, &c->hdr_nfixed, "User-Agent", DDB_USER_AGENT);
    /* No "Expect: 100-continue" round trip for large bodies, and no Accept line, which
     * DynamoDB's JSON protocol does not use. */
    header_line(c, c->hdr_off, &c->hdr_nfixed, "Expect", "");
    header_line(c, c->hdr_off, &c->hdr_nfixed, "Accept", "");
    c->hdr_fixed = c->hdr.len;
}

static int parse_endpoint(ddb_client *c)
{
    CURLU *u = curl_url();
    if (!u) return -1;
    int rc = -1;
    char *host = NULL, *port = NULL, *path = NULL, *scheme = NULL;
    if (curl_url_set(u, CURLUPART_URL, c->cfg.endpoint, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0)) {
        CURLUcode pc = curl_url_get(u, CURLUPART_PORT, &port, 0);
        if (pc == CURLUE_OK)
            snprintf(c->host_header, sizeof(c->host_header), "%s:%s", host, port);
        else
            snprintf(c->host_header, sizeof(c->host_header), "%s", host);
        if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && path && *path)
            snprintf(c->path, sizeof(c->path), "%s", path);
        else
            snprintf(c->path, sizeof(c->path), "/");
        rc = 0;
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    if (rc == 0)
        c->url = u;
    else
        curl_url_cleanup(u);
    return rc;
}

ddb_client *ddb_client_new(const ddb_config *cfg)
{
    ddb_client *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->cfg = *cfg;
    if (c->cfg.max_attempts <= 0) c->cfg.max_attempts = DDB_DEFAULT_MAX_ATTEMPTS;
    if (c->cfg.max_attempts > DDB_MAX_ATTEMPTS_LIMIT) c->cfg.max_attempts = DDB_MAX_ATTEMPTS_LIMIT;
    uint64_t seed = cfg->jitter_seed ? cfg->jitter_seed
                                     : bc_mix64((uint64_t)bc_now_ns() ^ (uint64_t)(uintptr_t)c);
    pcg32_seed(&c->rng, seed, (uint64_t)(uintptr_t)c | 1u);
    ddb_buf_init(&c->resp);
    ddb_buf_init(&c->hdr);
    ddb_buf_init(&c->req);
    c->curl = curl_easy_init();
    if (!c->curl) {
        free(c);
        return NULL;
    }
    if (!c->cfg.endpoint[0] || parse_endpoint(c) != 0)
        snprintf(c->config_error, sizeof(c->config_error),
                 "bad endpoint URL '%.200s': expected http://host[:port] or https://host",
                 c->cfg.endpoint);
    else if (!c->cfg.region[0])
        snprintf(c->config_error, sizeof(c->config_error),
                 "no region: set AWS_REGION or give one in the configuration");
    else if (!c->cfg.creds.access_key_id[0] || !c->cfg.creds.secret_access_key[0])
        snprintf(c->config_error, sizeof(c->config_error),
                 "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or configure "
                 "a profile (AWS_PROFILE)");

    /* The secret is fixed for the client's life: its fingerprint, which the key cache
     * compares on every request, is hashed once. */
    ddb_sha256(c->cfg.creds.secret_access_key, strlen(c->cfg.creds.secret_access_key),
               c->secret_fp);

    fixed_headers(c);
    if (c->hdr.oom) {
        ddb_client_free(c); /* what was made so far, the credentials wiped */
        return NULL;
    }

    CURL *h = c->curl;
    /* The parsed endpoint rather than its text: curl would parse the text again for
     * every request. */
    if (c->url)
        curl_easy_setopt(h, CURLOPT_CURLU, c->url);
    else
        curl_easy_setopt(h, CURLOPT_URL, c->cfg.endpoint);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for timeouts */
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->curl_err);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->cfg.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->cfg.request_timeout_ms);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->cfg.verify_tls ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->cfg.verify_tls ? 2L : 0L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    /* A loopback target is reached directly, whatever proxy the environment names
     * (http_proxy, ALL_PROXY, ...): a proxy must neither carry a run's traffic off the
     * machine nor break it. Its address never changes either, so its DNS entry is kept
     * for good. Both spare curl work on every request: reading the proxy variables and
     * sweeping the DNS cache for expired entries. */
    if (ddb_url_is_loopback(c->cfg.connect_to[0] ? c->cfg.connect_to : c->cfg.endpoint)) {
        curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(h, CURLOPT_DNS_CACHE_TIMEOUT, -1L);
    }
    if (c->cfg.connect_to[0]) {
        /* "HOST:PORT" -> "::HOST:PORT": every host and port of the URL goes there. */
        char spec[320];
        snprintf(spec, sizeof(spec), "::%s", c->cfg.connect_to);
        c->connect_to = curl_slist_append(NULL, spec);
        if (!c->connect_to) {
            ddb_client_free(c);
            return NULL;
        }
        curl_easy_setopt(h, CURLOPT_CONNECT_TO, c->connect_to);
    }
    return c;
}

void ddb_client_set_trace(ddb_client *c, ddb_trace_fn fn, void *ctx)
{
    if (!c) return;
    c->trace = fn;
    c->trace_ctx = fn ? ctx : NULL;
}

void ddb_client_set_driver(ddb_client *c, const ddb_driver *d)
{
    if (!c) return;
    if (d && d->perform && d->sleep)
        c->drv = *d;
    else
        memset(&c->drv, 0, sizeof c->drv);
}

void ddb_client_free(ddb_client *c)
{
    if (!c) return;
    curl_easy_cleanup(c->curl);
    curl_url_cleanup(c->url);
    curl_slist_free_all(c->connect_to);
    ddb_buf_free(&c->resp);
    /* The header lines hold the session token: wipe them as well. */
    if (c->hdr.data) memset(c->hdr.data, 0, c->hdr.cap);
    ddb_buf_free(&c->hdr);
    ddb_buf_free(&c->req);
    /* The struct holds the secret and the derived key: wipe before freeing. */
    memset(&c->cfg.creds, 0, sizeof(c->cfg.creds));
    memset(c->secret_fp, 0, sizeof(c->secret_fp));
    ddb_sigv4_keycache_clear(&c->keys);
    free(c);
}

void ddb_result_free(ddb_result *r)
{
    if (!r) return;
    cJSON_Delete(r->body);
    r->body = NULL;
}

/* ---- one attempt ---- */

typedef struct attempt_out {
    ddb_err err;
    int http_status;
    cJSON *body;
    char err_type[128];
    char err_message[512];
} attempt_out;

/* The most header lines one attempt sends: the fixed ones, then X-Amz-Date,
 * X-Amz-Target, X-Amz-Security-Token and Authorization. */
#define DDB_MAX_HEADER_LINES (DDB_FIXED_HEADER_LINES + 4)

static void strip_type(const char *type, char *out, size_t outlen)
{
    const char *name = strrchr(type, '#');
    name = name ? name + 1 : type;
    size_t len = strcspn(name, ":");
    if (len >= outlen) len = outlen - 1;
    memcpy(out, name, len);
    out[len] = '\0';
}

/* Classifies a transport failure. A request curl never finished sending headers for
 * (request size 0) was not received by the service: CONNECT. Anything later may have
 * been applied: TIMEOUT or NETWORK. */
static ddb_err transport_err(CURLcode cc, long request_size)
{
    switch (cc) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return DDB_ERR_CONFIG;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return DDB_ERR_CONNECT;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
        return DDB_ERR_CONFIG; /* not transient: retrying will not fix a certificate */
    case CURLE_OPERATION_TIMEDOUT:
        return request_size > 0 ? DDB_ERR_TIMEOUT : DDB_ERR_CONNECT;
    default:
        return request_size > 0 ? DDB_ERR_NETWORK : DDB_ERR_CONNECT;
    }
}

static int mentions_item_size(const char *msg)
{
    return strstr(msg, "Item size") || strstr(msg, "item size");
}

static void perform_attempt(ddb_client *c, const char *operation, const char *body, size_t body_len,
                            ddb_attempt *rec, attempt_out *ao)
{
    memset(ao, 0, sizeof(*ao));
    char target[128];
    int64_t now_s = bc_now_ns() / BC_NS_PER_S;
    if (now_s != c->date_s) { /* formatted once a second */
        bc_fmt_compact(now_s * BC_NS_PER_S, c->amz_date, sizeof(c->amz_date));
        c->date_s = now_s;
    }
    const char *amz_date = c->amz_date;
    size_t oplen = strlen(operation);
    if (oplen > sizeof(target) - sizeof(DDB_TARGET_PREFIX))
        oplen = sizeof(target) - sizeof(DDB_TARGET_PREFIX);
    memcpy(target, DDB_TARGET_PREFIX, sizeof(DDB_TARGET_PREFIX) - 1);
    memcpy(target + sizeof(DDB_TARGET_PREFIX) - 1, operation, oplen);
    target[sizeof(DDB_TARGET_PREFIX) - 1 + oplen] = '\0';
    const ddb_creds *cr = &c->cfg.creds;
    ddb_header hs[5] = {
        {"Host", c->host_header},
        {"X-Amz-Date", amz_date},
        {"X-Amz-Target", target},
        {"Content-Type", DDB_CONTENT_TYPE},
        {"X-Amz-Security-Token", cr->session_token},
    };
    size_t nh = cr->session_token[0] ? 5 : 4;
    ddb_sigv4_input in = {
        .method = "POST",
        .path = c->path,
        .query = NULL,
        .headers = hs,
        .nheaders = nh,
        .body = body,
        .body_len = body_len,
        .region = c->cfg.region,
        .service = DDB_SERVICE,
        .amz_date = amz_date,
        .access_key_id = cr->access_key_id,
        .secret_access_key = cr->secret_access_key,
        .normalize_path = 1,
        .secret_fingerprint = c->secret_fp,
    };
    char *authz = NULL;
    /* The header list lives on this stack frame: curl reads it only inside
     * curl_easy_perform and the option is cleared right after. Its strings live in
     * c->hdr, so a request allocates nothing for its headers once the buffer has grown. */
    struct curl_slist nodes[DDB_MAX_HEADER_LINES];
    size_t off[DDB_MAX_HEADER_LINES], nl = 0;
    int hrc = ddb_sigv4_authorization(&in, &c->keys, &authz);
    if (hrc == 0) {
        /* The fixed lines (Host, Content-Type, ...) stay; this request's follow them. */
        c->hdr.len = c->hdr_fixed;
        c->hdr.oom = 0;
        for (size_t i = 0; i < c->hdr_nfixed; i++)
            off[nl++] = c->hdr_off[i];
        header_line(c, off, &nl, "X-Amz-Date", amz_date);
        header_line(c, off, &nl, "X-Amz-Target", target);
        if (cr->session_token[0])
            header_line(c, off, &nl, "X-Amz-Security-Token", cr->session_token);
        header_line(c, off, &nl, "Authorization", authz);
        if (c->hdr.oom) hrc = -1;
    }
    free(authz);
    if (hrc != 0) {
        rec->send_ns = bc_now_ns();
        rec->recv_ns = rec->send_ns;
        ao->err = DDB_ERR_CONFIG;
        snprintf(ao->err_message, sizeof(ao->err_message), "could not sign the request");
        return;
    }
    for (size_t i = 0; i < nl; i++) {
        nodes[i].data = c->hdr.data + off[i];
        nodes[i].next = i + 1 < nl ? &nodes[i + 1] : NULL;
    }
    struct curl_slist *list = nodes;
    c->resp.len = 0;
    if (c->resp.data) c->resp.data[0] = '\0';
    c->resp.oom = 0;
    c->resp_crc[0] = '\0';
    c->resp_errtype[0] = '\0';
    c->curl_err[0] = '\0';
    CURL *h = c->curl;
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);

    rec->send_ns = bc_now_ns();
    CURLcode cc = c->drv.perform ? (CURLcode)c->drv.perform(c->drv.ctx, h) : curl_easy_perform(h);
    rec->recv_ns = bc_now_ns();
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);

    if (cc != CURLE_OK) {
        long request_size = 0;
        curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &request_size);
        ao->err = transport_err(cc, request_size);
        snprintf(ao->err_message, sizeof(ao->err_message), "%s",
                 c->curl_err[0] ? c->curl_err : curl_easy_strerror(cc));
        return;
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    ao->http_status = (int)status;
    const char *rb = c->resp.data ? c->resp.data : "";
    size_t rlen = c->resp.len;
    if (c->resp_crc[0]) {
        char *end = NULL;
        unsigned long long want = strtoull(c->resp_crc, &end, 10);
        uint32_t got = ddb_crc32(rb, rlen);
        if (!end || *end != '\0' || want != (unsigned long long)got) {
            ao->err = DDB_ERR_CRC;
            snprintf(ao->err_message, sizeof(ao->err_message),
                     "x-amz-crc32 mismatch: header says %s, body of %zu bytes has %u", c->resp_crc,
                     rlen, (unsigned)got);
            return;
        }
    }
    ao->body = cJSON_ParseWithLength(rb, rlen);
    if (status >= 200 && status < 300) {
        if (!ao->body) {
            ao->err = DDB_ERR_PROTOCOL;
            snprintf(ao->err_message, sizeof(ao->err_message),
                     "HTTP %ld with a body that is not JSON (%zu bytes)", status, rlen);
        }
        return;
    }
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ao->body, "__type"));
    if (!type && c->resp_errtype[0]) type = c->resp_errtype;
    const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ao->body, "message"));
    if (!msg) msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ao->body, "Message"));
    ao->err = ddb_err_from_type(type, (int)status);
    if (ao->err == DDB_OK) /* a non-2xx status is never success */
        ao->err = DDB_ERR_OTHER;
    if (type) strip_type(type, ao->err_type, sizeof(ao->err_type));
    if (msg)
        snprintf(ao->err_message, sizeof(ao->err_message), "%s", msg);
    else
        snprintf(ao->err_message, sizeof(ao->err_message), "HTTP %ld", status);
    if (ao->err == DDB_ERR_VALIDATION && msg && mentions_item_size(msg))
        ao->err = DDB_ERR_ITEM_TOO_LARGE;
}

/* Outcome of one attempt (ddb.h): a definite 4xx or a request never sent is FAIL;
 * anything after which the service may have applied the operation is INFO. */
static ddb_outcome attempt_outcome(ddb_err err, int http_status)
{
    if (err == DDB_OK) return DDB_OUTCOME_OK;
    if (http_status >= 500) return DDB_OUTCOME_INFO;
    switch (err) {
    case DDB_ERR_TIMEOUT:
    case DDB_ERR_NETWORK:
    case DDB_ERR_CRC:
    case DDB_ERR_PROTOCOL:
    case DDB_ERR_INTERNAL:
        return DDB_OUTCOME_INFO;
    default:
        return DDB_OUTCOME_FAIL;
    }
}

static double num_or_zero(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

static void add_capacity(const cJSON *cc, int write_op, double *wcu, double *rcu)
{
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(cc, "ReadCapacityUnits");
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(cc, "WriteCapacityUnits");
    if (cJSON_IsNumber(r) || cJSON_IsNumber(w)) {
        *rcu += num_or_zero(cc, "ReadCapacityUnits");
        *wcu += num_or_zero(cc, "WriteCapacityUnits");
        return;
    }
    double units = num_or_zero(cc, "CapacityUnits");
    if (write_op)
        *wcu += units;
    else
        *rcu += units;
}

static void sum_capacity(const char *operation, const cJSON *body, double *wcu, double *rcu)
{
    *wcu = *rcu = 0;
    const cJSON *cc = cJSON_GetObjectItemCaseSensitive(body, "ConsumedCapacity");
    if (!cc) return;
    int write_op = in_list(WRITE_OPS, sizeof(WRITE_OPS) / sizeof(WRITE_OPS[0]), operation);
    if (cJSON_IsArray(cc)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, cc) add_capacity(e, write_op, wcu, rcu);
    } else if (cJSON_IsObject(cc)) {
        add_capacity(cc, write_op, wcu, rcu);
    }
}

#define RCC_MEMBER "\"ReturnConsumedCapacity\":\"TOTAL\""

/* Prints the request into c->req (kept across calls, so a request allocates nothing once
 * it has grown), adding ReturnConsumedCapacity=TOTAL where the operation takes it and
 * the caller did not set it: spliced in before the closing brace rather than added to a
 * copy of the request tree. */
static int build_body(ddb_client *c, const char *operation, const cJSON *request)
{
    int add_rcc = ddb_op_accepts_consumed_capacity(operation) &&
                  !cJSON_GetObjectItemCaseSensitive(request, "ReturnConsumedCapacity");
    ddb_buf *b = &c->req;
    b->len = 0;
    b->oom = 0;
    if (!request) {
        ddb_buf_puts(b, add_rcc ? "{" RCC_MEMBER "}" : "{}");
        return b->oom ? -1 : 0;
    }
    if (add_rcc && !cJSON_IsObject(request)) return -1;
    /* cJSON_PrintPreallocated wants a few bytes more than the text; grow until it fits. */
    size_t room = b->cap > 4096 ? b->cap - 1 : 4096; /* what c->req already has */
    for (;;) {
        ddb_buf_reserve(b, room);
        if (b->oom) return -1;
        if (cJSON_PrintPreallocated((cJSON *)request, b->data, (int)(b->cap - sizeof(RCC_MEMBER)),
                                    0))
            break;
        if (room > (size_t)1 << 30) return -1;
        room *= 2;
    }
    b->len = strlen(b->data);
    if (add_rcc) {
        /* b->data is "{...}": insert before the final '}' (with a comma unless empty). */
        b->len--;
        if (b->len > 1) b->data[b->len++] = ',';
        memcpy(b->data + b->len, RCC_MEMBER "}", sizeof(RCC_MEMBER "}"));
        b->len += sizeof(RCC_MEMBER "}") - 1;
    }
    return 0;
}

/* The text of a JSON object into c->req, ReturnConsumedCapacity spliced in as
 * build_body splices it into a printed tree. */
static int build_body_text(ddb_client *c, const char *operation, const char *json, size_t len)
{
    ddb_buf *b = &c->req;
    b->len = 0;
    b->oom = 0;
    if (len < 2 || json[0] != '{' || json[len - 1] != '}') return -1;
    if (!ddb_op_accepts_consumed_capacity(operation)) {
        ddb_buf_append(b, json, len);
        return b->oom ? -1 : 0;
    }
    ddb_buf_reserve(b, len + sizeof(RCC_MEMBER) + 1);
    ddb_buf_append(b, json, len - 1);
    if (b->oom) return -1;
    /* "{}" takes no comma; any other object has a member before ours. */
    if (len > 2) ddb_buf_putc(b, ',');
    ddb_buf_append(b, RCC_MEMBER "}", sizeof(RCC_MEMBER "}") - 1);
    return b->oom ? -1 : 0;
}

/* Fails *out before anything is sent: no client, no operation or a bad configuration.
 * 1 when it did. */
static int call_precheck(ddb_client *c, const char *operation, ddb_result *out)
{
    memset(out, 0, sizeof(*out));
    if (!c || !operation || !*operation) {
        out->err = DDB_ERR_CONFIG;
        out->outcome = DDB_OUTCOME_FAIL;
        snprintf(out->err_message, sizeof(out->err_message), "no client or operation");
        return 1;
    }
    if (c->config_error[0]) {
        out->err = DDB_ERR_CONFIG;
        out->outcome = DDB_OUTCOME_FAIL;
        snprintf(out->err_message, sizeof(out->err_message), "%s", c->config_error);
        out->invoke_ns = out->complete_ns = bc_now_ns();
        return 1;
    }
    return 0;
}

static ddb_err body_error(const char *operation, ddb_result *out)
{
    out->err = DDB_ERR_CONFIG;
    out->outcome = DDB_OUTCOME_FAIL;
    snprintf(out->err_message, sizeof(out->err_message),
             "cannot build the %s request body (not a JSON object, or out of memory)", operation);
    return out->err;
}

static ddb_err call_with_body(ddb_client *c, const char *operation, ddb_result *out);

ddb_err ddb_call(ddb_client *c, const char *operation, const cJSON *request, ddb_result *out)
{
    if (call_precheck(c, operation, out)) return out->err;
    /* The body: the request, plus ReturnConsumedCapacity=TOTAL where it applies. */
    if (build_body(c, operation, request) != 0) return body_error(operation, out);
    return call_with_body(c, operation, out);
}

ddb_err ddb_call_json(ddb_client *c, const char *operation, const char *json, size_t len,
                      ddb_result *out)
{
    if (call_precheck(c, operation, out)) return out->err;
    if (!json || build_body_text(c, operation, json, len) != 0) return body_error(operation, out);
    return call_with_body(c, operation, out);
}

/* Sends c->req: the attempts, their outcomes and the result. */
static ddb_err call_with_body(ddb_client *c, const char *operation, ddb_result *out)
{
    const char *body = c->req.data;
    size_t body_len = c->req.len;

    int any_info = 0;
    attempt_out ao;
    memset(&ao, 0, sizeof(ao));
    for (int i = 0; i < c->cfg.max_attempts; i++) {
        ddb_attempt *rec = &out->attempt[i];
        cJSON_Delete(ao.body);
        perform_attempt(c, operation, body, body_len, rec, &ao);
        rec->http_status = ao.http_status;
        rec->err = ao.err;
        out->attempts = i + 1;
        if (attempt_outcome(ao.err, ao.http_status) == DDB_OUTCOME_INFO) any_info = 1;
        if (ao.err == DDB_OK || !ddb_err_retryable(ao.err) || i + 1 == c->cfg.max_attempts) break;
        /* Full jitter: uniform in [0, min(cap, base * 2^i)). */
        int64_t bound = ddb_backoff_bound_ns(i);
        rec->backoff_ns = (int64_t)(pcg32_double(&c->rng) * (double)bound);
        if (c->drv.sleep)
            c->drv.sleep(c->drv.ctx, rec->backoff_ns);
        else
            bc_sleep_ns(rec->backoff_ns);
    }

    out->err = ao.err;
    out->http_status = ao.http_status;
    out->body = ao.body;
    memcpy(out->err_type, ao.err_type, sizeof(out->err_type));
    memcpy(out->err_message, ao.err_message, sizeof(out->err_message));
    out->outcome = attempt_outcome(ao.err, ao.http_status);
    /* An earlier attempt may have been applied: a later definite refusal (say the
     * conditional check of the retry failing because the first attempt wrote) does
     * not prove the operation did not happen. */
    if (out->outcome == DDB_OUTCOME_FAIL && any_info) out->outcome = DDB_OUTCOME_INFO;
    out->invoke_ns = out->attempt[0].send_ns;
    out->complete_ns = out->attempt[out->attempts - 1].recv_ns;
    sum_capacity(operation, out->body, &out->wcu, &out->rcu);
    if (c->trace) c->trace(c->trace_ctx, operation, out);
    return out->err;
}

int ddb_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void ddb_global_cleanup(void)
{
    curl_global_cleanup();
}
