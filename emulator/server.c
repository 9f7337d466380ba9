/*
 * server.c - the emulator's HTTP front: libmicrohttpd with a thread pool and keep-alive,
 * DynamoDB's JSON-1.0 protocol (POST /, X-Amz-Target, x-amz-crc32, x-amzn-RequestId),
 * SigV4 verification of every request, routing to the operation handlers, and errors in
 * DynamoDB's wire shape. Also the server's life cycle (emu_start/emu_stop).
 */
#include "emulator/emu_internal.h"
#include "ddb/sigv4.h"
#include "util/clock.h"
#include "util/log.h"

#include <microhttpd.h>

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EMU_TARGET_PREFIX "DynamoDB_20120810."
#define EMU_VENDOR_PREFIX "BackcheckEmulator."
#define EMU_CONTENT_TYPE "application/x-amz-json-1.0"
/* Idle keep-alive connections are closed after this many seconds. */
#define EMU_CONN_TIMEOUT_S 120

typedef int (*emu_op_fn)(emu_req *r);
typedef struct emu_op {
    const char *name;
    emu_op_fn fn;
} emu_op;

/* The registration table: one line per operation. */
static const emu_op emu_ops[] = {
    {"PutItem", emu_op_put_item},
    {"GetItem", emu_op_get_item},
    {"UpdateItem", emu_op_update_item},
    {"DeleteItem", emu_op_delete_item},
    {"Query", emu_op_query},
    {"Scan", emu_op_scan},
    {"BatchWriteItem", emu_op_batch_write},
    {"BatchGetItem", emu_op_batch_get},
    {"TransactWriteItems", emu_op_transact_write},
    {"TransactGetItems", emu_op_transact_get},
    {"CreateTable", emu_op_create_table},
    {"DescribeTable", emu_op_describe_table},
    {"DeleteTable", emu_op_delete_table},
    {"ListTables", emu_op_list_tables},
    {"TagResource", emu_op_tag_resource},
    {"UntagResource", emu_op_untag_resource},
    {"ListTagsOfResource", emu_op_list_tags},
    {"UpdateContinuousBackups", emu_op_update_continuous_backups},
    {"DescribeContinuousBackups", emu_op_describe_continuous_backups},
    {"DescribeEndpoints", emu_op_describe_endpoints},
    {"CreateBackup", emu_op_create_backup},
    {"DescribeBackup", emu_op_describe_backup},
    {"ListBackups", emu_op_list_backups},
    {"DeleteBackup", emu_op_delete_backup},
    {"RestoreTableFromBackup", emu_op_restore_from_backup},
    {"RestoreTableToPointInTime", emu_op_restore_pitr},
};

/* ---- small shared helpers ---- */

int emu_fail(emu_req *r, const char *type, const char *fmt, ...)
{
    va_list ap;
    snprintf(r->err_type, sizeof r->err_type, "%s", type);
    va_start(ap, fmt);
    vsnprintf(r->err_msg, sizeof r->err_msg, fmt, ap);
    va_end(ap);
    r->status = strcmp(type, "InternalServerError") == 0 ? 500 : 400;
    return -1;
}

/* Commit timestamps: CLOCK_REALTIME, made unique and monotonic across the whole server
 * (max(now, last + 1)), so that a cut at T splits every key's history the same way. */
int64_t emu_commit_ts(emu_server *s)
{
    long long last = atomic_load(&s->last_commit_ns);
    for (;;) {
        long long now = bc_now_ns();
        long long next = now > last ? now : last + 1;
        if (atomic_compare_exchange_weak(&s->last_commit_ns, &last, next)) return next;
    }
}

double emu_epoch_s(int64_t ns)
{
    /* Milliseconds, as DynamoDB's timestamps show them (1489602797.149). */
    return (double)(ns / BC_NS_PER_MS) / 1000.0;
}

int64_t emu_parse_epoch(const cJSON *v)
{
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0) return -1;
    return (int64_t)llround(v->valuedouble * 1e9);
}

const char *emu_get_str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

void emu_random_hex(emu_server *s, char *out, int n)
{
    static const char hex[] = "0123456789abcdef";
    pthread_mutex_lock(&s->fault_lock);
    for (int i = 0; i < n; i++)
        out[i] = hex[pcg32_bounded(&s->rng, 16)];
    pthread_mutex_unlock(&s->fault_lock);
    out[n] = 0;
}

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320), for the x-amz-crc32 response header. */
static uint32_t emu_crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

/* The namespace DynamoDB puts in front of each error name. */
static const char *emu_err_namespace(const char *type)
{
    if (strcmp(type, "ValidationException") == 0) return "com.amazon.coral.validate#";
    if (strcmp(type, "ThrottlingException") == 0) return "com.amazon.coral.availability#";
    if (strcmp(type, "UnknownOperationException") == 0 ||
        strcmp(type, "SerializationException") == 0 ||
        strcmp(type, "UnrecognizedClientException") == 0 ||
        strcmp(type, "InvalidSignatureException") == 0 ||
        strcmp(type, "IncompleteSignatureException") == 0 ||
        strcmp(type, "MissingAuthenticationTokenException") == 0)
        return "com.amazon.coral.service#";
    return "com.amazonaws.dynamodb.v20120810#";
}

/* ---- SigV4 verification ---- */

typedef struct emu_hdrs {
    ddb_header h[64];
    int n;
} emu_hdrs;

static enum MHD_Result emu_collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                          const char *value)
{
    emu_hdrs *hs = cls;
    if (hs->n < (int)(sizeof hs->h / sizeof hs->h[0])) {
        hs->h[hs->n].name = key;
        hs->h[hs->n].value = value ? value : "";
        hs->n++;
    }
    return MHD_YES;
}

static int64_t emu_parse_amz_date(const char *d)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!d || strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z') return -1;
    if (sscanf(d, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm);
}

typedef struct emu_conn {
    char *buf;
    size_t len, cap;
    int too_large;
    int64_t start_ns; /* the request read, its processing begun (serve --verbose) */
} emu_conn;

/* Returns 0 when the request is authentic; else fills r with the error AWS gives. */
static int emu_verify(emu_server *s, struct MHD_Connection *conn, const char *method,
                      const char *url, const emu_conn *c, emu_req *r)
{
    const char *authz = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (!authz || !*authz)
        return emu_fail(r, "MissingAuthenticationTokenException",
                        "Request is missing Authentication Token");
    ddb_sigv4_auth a;
    if (ddb_sigv4_parse_authorization(authz, &a) != 0)
        return emu_fail(r, "IncompleteSignatureException",
                        "Authorization header requires 'Credential', 'Signature' and "
                        "'SignedHeaders' parameters");
    if (strcmp(a.access_key_id, s->cfg.access_key_id) != 0)
        return emu_fail(r, "UnrecognizedClientException",
                        "The security token included in the request is invalid.");
    const char *amz_date = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Amz-Date");
    int64_t when = emu_parse_amz_date(amz_date);
    if (when < 0)
        return emu_fail(r, "IncompleteSignatureException",
                        "Authorization header requires existence of either a 'X-Amz-Date' "
                        "or a 'Date' header");
    int64_t now_s = r->now_ns / BC_NS_PER_S;
    char nowbuf[32], edge[32];
    if (when < now_s - DDB_SIGV4_MAX_SKEW_S) {
        bc_fmt_compact(r->now_ns, nowbuf, sizeof nowbuf);
        bc_fmt_compact((now_s - DDB_SIGV4_MAX_SKEW_S) * BC_NS_PER_S, edge, sizeof edge);
        return emu_fail(r, "InvalidSignatureException",
                        "Signature expired: %s is now earlier than %s (%s - 15 min.)", amz_date,
                        edge, nowbuf);
    }
    if (when > now_s + DDB_SIGV4_MAX_SKEW_S) {
        bc_fmt_compact(r->now_ns, nowbuf, sizeof nowbuf);
        bc_fmt_compact((now_s + DDB_SIGV4_MAX_SKEW_S) * BC_NS_PER_S, edge, sizeof edge);
        return emu_fail(r, "InvalidSignatureException",
                        "Signature not yet current: %s is still later than %s (%s + 15 min.)",
                        amz_date, edge, nowbuf);
    }
    if (strncmp(a.date, amz_date, 8) != 0 || strcmp(a.service, "dynamodb") != 0)
        return emu_fail(r, "InvalidSignatureException",
                        "Credential should be scoped to a valid date and to service "
                        "'dynamodb'.");

    emu_hdrs hs;
    hs.n = 0;
    MHD_get_connection_values(conn, MHD_HEADER_KIND, emu_collect_header, &hs);
    const char *q = strchr(url, '?');
    ddb_sigv4_input in;
    memset(&in, 0, sizeof in);
    in.method = method;
    in.path = url;
    in.query = q ? q + 1 : "";
    in.headers = hs.h;
    in.nheaders = (size_t)hs.n;
    in.body = c->buf ? c->buf : "";
    in.body_len = c->len;
    in.region = a.region;
    in.service = a.service;
    in.amz_date = amz_date;
    in.access_key_id = a.access_key_id;
    in.secret_access_key = s->cfg.secret_access_key;
    in.normalize_path = 1;
    in.signed_headers = a.signed_headers;
    char path[1024];
    if (q) {
        snprintf(path, sizeof path, "%.*s", (int)(q - url), url);
        in.path = path;
    }
    char sig[65];
    if (ddb_sigv4_signature(&in, NULL, sig) != 0 || strlen(a.signature) != 64 ||
        !ddb_consttime_streq(sig, a.signature))
        return emu_fail(r, "InvalidSignatureException",
                        "The request signature we calculated does not match the signature "
                        "you provided. Check your AWS Secret Access Key and signing method. "
                        "Consult the service documentation for details.");
    return 0;
}

/* ---- dispatch ---- */

static void emu_request_id(emu_server *s, char out[53])
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    uint64_t x = bc_mix64(atomic_fetch_add(&s->req_seq, 1) ^ (uint64_t)bc_now_ns());
    for (int i = 0; i < 52; i++) {
        if (i % 12 == 0) x = bc_mix64(x + (uint64_t)i);
        out[i] = al[x % 36];
        x /= 36;
    }
    out[52] = 0;
}

/* serve --verbose: "127.0.0.1:41234 PutItem 400 ConditionalCheckFailedException 0.084 ms". */
static void emu_log_request(struct MHD_Connection *conn, const emu_conn *c, int status,
                            const char *body, size_t len)
{
    char peer[INET6_ADDRSTRLEN + 8] = "?";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ci->client_addr;
        char ip[INET_ADDRSTRLEN];
        if (inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip))
            snprintf(peer, sizeof peer, "%s:%u", ip, (unsigned)ntohs(in->sin_port));
    }
    const char *target = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Amz-Target");
    const char *dot = target ? strrchr(target, '.') : NULL;
    const char *op = dot ? dot + 1 : target ? target : "-";
    /* An error's type, from its body's "__type":"namespace#Name". */
    char type[128] = "";
    const char *t = status != 200 && body ? strstr(body, "\"__type\":\"") : NULL;
    if (t) {
        t += 10;
        const char *hash = memchr(t, '#', len - (size_t)(t - body));
        const char *end = memchr(t, '"', len - (size_t)(t - body));
        if (hash && end && hash < end) t = hash + 1;
        if (end) snprintf(type, sizeof type, " %.*s", (int)(end - t), t);
    }
    double ms = c ? (double)(bc_now_ns() - c->start_ns) / 1e6 : 0;
    fprintf(stderr, "%s %s %d%s %.3f ms\n", peer, op, status, type, ms);
}

static enum MHD_Result emu_send(struct MHD_Connection *conn, emu_server *s, const emu_conn *c,
                                int status, char *body, size_t len)
{
    if (s->cfg.log_requests) emu_log_request(conn, c, status, body, len);
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    char crc[16], rid[53];
    snprintf(crc, sizeof crc, "%u", emu_crc32((const unsigned char *)body, len));
    emu_request_id(s, rid);
    MHD_add_response_header(resp, "Content-Type", EMU_CONTENT_TYPE);
    MHD_add_response_header(resp, "x-amz-crc32", crc);
    MHD_add_response_header(resp, "x-amzn-RequestId", rid);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* DynamoDB's error body: {"__type":"<namespace>#<Name>","message":"..."} + extras. */
static char *emu_error_body(emu_req *r)
{
    char type[160];
    snprintf(type, sizeof type, "%s%s", emu_err_namespace(r->err_type), r->err_type);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "__type", type);
    cJSON_AddStringToObject(o, "message", r->err_msg);
    if (r->err_extra) {
        cJSON *it;
        while ((it = r->err_extra->child)) {
            cJSON_DetachItemViaPointer(r->err_extra, it);
            cJSON_AddItemToObject(o, it->string, it); /* cJSON copies the key first */
        }
        cJSON_Delete(r->err_extra);
        r->err_extra = NULL;
    }
    char *body = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return body;
}

static enum MHD_Result emu_send_error(struct MHD_Connection *conn, emu_server *s, const emu_conn *c,
                                      emu_req *r)
{
    char *body = emu_error_body(r);
    if (!body) return MHD_NO;
    return emu_send(conn, s, c, r->status ? r->status : 400, body, strlen(body));
}

static const emu_op *emu_find_op(const char *target, int *vendor)
{
    *vendor = 0;
    if (!target) return NULL;
    if (strncmp(target, EMU_VENDOR_PREFIX, strlen(EMU_VENDOR_PREFIX)) == 0) {
        static const emu_op truth = {"DescribeBackupTruth", emu_op_describe_backup_truth};
        *vendor = 1;
        return strcmp(target + strlen(EMU_VENDOR_PREFIX), truth.name) == 0 ? &truth : NULL;
    }
    if (strncmp(target, EMU_TARGET_PREFIX, strlen(EMU_TARGET_PREFIX)) != 0) return NULL;
    const char *name = target + strlen(EMU_TARGET_PREFIX);
    for (size_t i = 0; i < sizeof emu_ops / sizeof emu_ops[0]; i++)
        if (strcmp(emu_ops[i].name, name) == 0) return &emu_ops[i];
    return NULL;
}

static enum MHD_Result emu_answer(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    emu_server *s = cls;
    emu_conn *c = *con_cls;
    if (!c) {
        c = calloc(1, sizeof *c);
        if (!c) return MHD_NO;
        *con_cls = c;
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (c->too_large || c->len + n > EMU_MAX_BODY_BYTES) {
            c->too_large = 1;
            return MHD_YES;
        }
        if (c->len + n + 1 > c->cap) {
            size_t cap = c->cap ? c->cap : 4096;
            while (cap < c->len + n + 1)
                cap *= 2;
            char *nb = realloc(c->buf, cap);
            if (!nb) return MHD_NO;
            c->buf = nb;
            c->cap = cap;
        }
        memcpy(c->buf + c->len, upload_data, n);
        c->len += n;
        c->buf[c->len] = 0;
        return MHD_YES;
    }

    emu_req r;
    memset(&r, 0, sizeof r);
    r.srv = s;
    r.now_ns = bc_now_ns();
    c->start_ns = r.now_ns;
    if (strcmp(method, "GET") == 0) {
        /* DynamoDB answers health probes on GET / like this. */
        char *b = strdup("healthy: dynamodb." EMU_REGION ".amazonaws.com ");
        if (!b) return MHD_NO;
        return emu_send(conn, s, c, 200, b, strlen(b));
    }
    if (strcmp(method, "POST") != 0) {
        emu_fail(&r, "UnknownOperationException", "Only POST is supported");
        return emu_send_error(conn, s, c, &r);
    }
    if (c->too_large) {
        emu_fail(&r, "ValidationException", "Request body exceeds the maximum of %d bytes",
                 EMU_MAX_BODY_BYTES);
        r.status = 413;
        return emu_send_error(conn, s, c, &r);
    }
    if (!s->cfg.no_auth && emu_verify(s, conn, method, url, c, &r) != 0)
        return emu_send_error(conn, s, c, &r);

    const char *target = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Amz-Target");
    int status = 0;
    char *body = NULL;
    emu_process(s, target, c->buf, c->len, r.now_ns, &status, &body);
    if (!body) return MHD_NO;
    return emu_send(conn, s, c, status, body, strlen(body));
}

int emu_process(emu_server *s, const char *target, const char *body, size_t len, int64_t now_ns,
                int *status, char **out)
{
    emu_req r;
    memset(&r, 0, sizeof r);
    r.srv = s;
    r.now_ns = now_ns;
    *out = NULL;
    int vendor;
    const emu_op *op = emu_find_op(target, &vendor);
    int rc;
    if (!op) {
        rc = emu_fail(&r, "UnknownOperationException", "%s", "");
        goto answer;
    }
    r.op = op->name;
    r.body = len ? cJSON_ParseWithLength(body, len) : cJSON_CreateObject();
    if (!r.body || !cJSON_IsObject(r.body)) {
        rc = emu_fail(&r, "SerializationException",
                      "Start of structure or map found where not expected.");
        goto answer;
    }
    int error_after = 0;
    rc = vendor ? 0 : emu_fault_before(s, &r, &error_after);
    if (rc == 0) rc = op->fn(&r);
    if (rc == 0 && error_after) rc = emu_fail(&r, "InternalServerError", "Internal server error");
answer:
    cJSON_Delete(r.body);
    if (rc != 0) {
        cJSON_Delete(r.out);
        *status = r.status ? r.status : 400;
        *out = emu_error_body(&r);
        return -1;
    }
    cJSON_Delete(r.err_extra);
    *out = r.out ? cJSON_PrintUnformatted(r.out) : strdup("{}");
    cJSON_Delete(r.out);
    *status = 200;
    return 0;
}

static void emu_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                          enum MHD_RequestTerminationCode toe)
{
    emu_conn *c = *con_cls;
    if (c) {
        free(c->buf);
        free(c);
        *con_cls = NULL;
    }
}

/* ---- configuration and life cycle ---- */

void emu_config_defaults(emu_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->host, sizeof cfg->host, "127.0.0.1");
    cfg->port = 0;
    snprintf(cfg->access_key_id, sizeof cfg->access_key_id, "backcheck");
    snprintf(cfg->secret_access_key, sizeof cfg->secret_access_key, "backcheck-secret");
    cfg->cut_model = EMU_CUT_EXACT;
    cfg->window_ms = 0;
    cfg->partitions = 16;
    cfg->table_create_delay_ms = 20;
    cfg->backup_delay_ms = 50;
    cfg->restore_delay_ms = 50;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->threads = (int)(cores > 0 ? 2 * cores : 4);
    cfg->seed = 1;
}

int emu_parse_cut_model(const char *spec, emu_config *cfg, char *err, size_t errlen)
{
    if (strcmp(spec, "exact") == 0) {
        cfg->cut_model = EMU_CUT_EXACT;
        cfg->window_ms = 0;
        return 0;
    }
    const char *p = "aws-window";
    if (strncmp(spec, p, strlen(p)) == 0) {
        const char *rest = spec + strlen(p);
        long ms = 1000;
        if (*rest == ':') {
            char *end;
            errno = 0;
            ms = strtol(rest + 1, &end, 10);
            if (errno || end == rest + 1 || *end || ms < 0 || ms > 3600000) {
                snprintf(err, errlen, "backup model '%s': window must be 0..3600000 ms", spec);
                return -1;
            }
        } else if (*rest) {
            snprintf(err, errlen, "unknown backup model '%s' (exact | aws-window:MS)", spec);
            return -1;
        }
        cfg->cut_model = EMU_CUT_AWS_WINDOW;
        cfg->window_ms = (int)ms;
        return 0;
    }
    snprintf(err, errlen, "unknown backup model '%s' (exact | aws-window:MS)", spec);
    return -1;
}

int emu_port(const emu_server *s)
{
    return s->port;
}

const char *emu_endpoint(const emu_server *s)
{
    return s->endpoint;
}

static void emu_free(emu_server *s)
{
    emu_worker_stop(s);
    emu_tables_free_all(s);
    emu_backups_free_all(s);
    emu_tokens_free_all(s);
    pthread_mutex_destroy(&s->token_lock);
    pthread_mutex_destroy(&s->tables_lock);
    pthread_mutex_destroy(&s->backups_lock);
    pthread_mutex_destroy(&s->job_lock);
    pthread_cond_destroy(&s->job_cond);
    pthread_mutex_destroy(&s->fault_lock);
    free(s);
}

int emu_start(const emu_config *cfg, emu_server **out, char *err, size_t errlen)
{
    *out = NULL;
    emu_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->cfg = *cfg;
    if (s->cfg.partitions <= 0) s->cfg.partitions = 16;
    if (s->cfg.threads <= 0) s->cfg.threads = 4;
    pthread_mutex_init(&s->tables_lock, NULL);
    pthread_mutex_init(&s->backups_lock, NULL);
    pthread_mutex_init(&s->job_lock, NULL);
    pthread_cond_init(&s->job_cond, NULL);
    pthread_mutex_init(&s->fault_lock, NULL);
    pthread_mutex_init(&s->token_lock, NULL);
    pcg32_seed(&s->rng, cfg->seed, 0x656d75);
    atomic_init(&s->last_commit_ns, 0);
    atomic_init(&s->next_txn, 1);
    atomic_init(&s->table_seq, 1);
    atomic_init(&s->req_seq, 1);
    /* Keep superseded versions long enough for any cut the window can choose. */
    atomic_init(&s->retain_ns, ((int64_t)s->cfg.window_ms + 1000) * BC_NS_PER_MS);
    for (int i = 0; i < cfg->nfaults; i++) {
        if (emu_fault_add(s, cfg->faults[i], err, errlen) != 0) {
            emu_free(s);
            return -1;
        }
    }
    if (emu_worker_start(s) != 0) {
        snprintf(err, errlen, "cannot start the backup worker thread");
        emu_free(s);
        return -1;
    }

    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)cfg->port);
    if (inet_pton(AF_INET, cfg->host, &sa.sin_addr) != 1) {
        snprintf(err, errlen, "bad host '%s' (an IPv4 address is expected)", cfg->host);
        emu_free(s);
        return -1;
    }
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO;
    if (!cfg->quiet) flags |= MHD_USE_ERROR_LOG;
    s->mhd = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, emu_answer, s, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->cfg.threads,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)EMU_CONN_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)1000, MHD_OPTION_NOTIFY_COMPLETED, emu_completed, s, MHD_OPTION_END);
    if (!s->mhd) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", cfg->host, cfg->port,
                 errno ? strerror(errno) : "libmicrohttpd failed to start");
        emu_free(s);
        return -1;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : cfg->port;
    snprintf(s->endpoint, sizeof s->endpoint, "http://%s:%d", cfg->host, s->port);
    *out = s;
    return 0;
}

void emu_stop(emu_server *s)
{
    if (!s) return;
    if (s->mhd) MHD_stop_daemon(s->mhd);
    emu_free(s);
}
