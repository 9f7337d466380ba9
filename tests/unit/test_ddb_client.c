/*
 * test_ddb_client.c - the client's error mapping, retry decisions, backoff bounds and
 * outcomes, checked both as functions and against a scripted HTTP server
 * (libmicrohttpd on 127.0.0.1, port 0) that answers each request from a script:
 * good and bad x-amz-crc32, 5xx then success, ConditionalCheckFailed, throttling,
 * a server too slow to answer, a closed port. Every request the server receives is
 * checked for a valid SigV4 Authorization header (verified with ddb/sigv4.c) and the
 * DynamoDB X-Amz-Target.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ddb/ddb.h"
#include "ddb/sigv4.h"
#include "util/clock.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define TEST_AKID "AKIDTESTCLIENT"
#define TEST_SECRET "test-secret-not-real"
#define TEST_REGION "us-west-2"
#define MAX_SCRIPT 8
#define MAX_SEEN 16
#define MAX_HDRS 32

typedef enum { CRC_GOOD, CRC_BAD, CRC_NONE } crc_mode;

typedef struct scripted {
    int status;
    const char *body;
    crc_mode crc;
    int delay_ms;
} scripted;

typedef struct seen_request {
    char url[256]; /* the request line's target: "/", or the absolute URL a proxy gets */
    char target[128];
    char body[16384];
    int sig_valid; /* Authorization verified with our own verifier */
    char signed_headers[1024];
    int client_port; /* to observe connection reuse */
    char host[128], content_type[128], user_agent[128], token[128];
    int n_host, n_content_type, n_user_agent, n_expect, n_token, n_headers;
} seen_request;

typedef struct fake_server {
    struct MHD_Daemon *d;
    int port;
    pthread_mutex_t mu;
    scripted script[MAX_SCRIPT];
    int nscript;
    int next;
    seen_request seen[MAX_SEEN];
    int nseen;
    int scan_mode;       /* answer Scan requests by segment and page instead */
    int scan_consistent; /* count of Scan requests that asked ConsistentRead */
    int scan_requests;
} fake_server;

typedef struct conn_state {
    char body[16384];
    size_t len;
} conn_state;

typedef struct hdr_collect {
    ddb_header h[MAX_HDRS];
    size_t n;
} hdr_collect;

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    (void)kind;
    hdr_collect *hc = cls;
    if (hc->n < MAX_HDRS) {
        hc->h[hc->n].name = key;
        hc->h[hc->n].value = value ? value : "";
        hc->n++;
    }
    return MHD_YES;
}

/* Verifies the request's signature as the emulator does: parse Authorization, sign the
 * listed headers with the known secret, compare in constant time. */
static int verify_signature(struct MHD_Connection *conn, const char *body, size_t len,
                            char *signed_out, size_t signed_len)
{
    const char *authz =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *date = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Amz-Date");
    ddb_sigv4_auth a;
    if (!authz || !date || ddb_sigv4_parse_authorization(authz, &a) != 0) return 0;
    snprintf(signed_out, signed_len, "%s", a.signed_headers);
    if (strcmp(a.access_key_id, TEST_AKID) != 0 || strcmp(a.region, TEST_REGION) != 0 ||
        strcmp(a.service, "dynamodb") != 0 || strncmp(date, a.date, 8) != 0)
        return 0;
    hdr_collect hc = {.n = 0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &hc);
    ddb_sigv4_input in = {
        .method = "POST",
        .path = "/",
        .headers = hc.h,
        .nheaders = hc.n,
        .body = body,
        .body_len = len,
        .region = a.region,
        .service = a.service,
        .amz_date = date,
        .access_key_id = a.access_key_id,
        .secret_access_key = TEST_SECRET,
        .normalize_path = 1,
        .signed_headers = a.signed_headers,
    };
    char sig[65];
    if (ddb_sigv4_signature(&in, NULL, sig) != 0) return 0;
    return ddb_consttime_streq(sig, a.signature);
}

#define SCAN_PAGES 3
#define SCAN_ITEMS_PER_PAGE 2

/* Scan: SCAN_PAGES pages of SCAN_ITEMS_PER_PAGE items per segment; the page number
 * travels in the LastEvaluatedKey. */
static enum MHD_Result answer_scan(fake_server *fs, struct MHD_Connection *conn, const char *body,
                                   int sig_valid)
{
    cJSON *req = cJSON_Parse(body);
    int seg = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(req, "Segment"));
    if (seg < 0) seg = 0;
    const cJSON *esk = cJSON_GetObjectItem(req, "ExclusiveStartKey");
    const char *pn =
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(esk, "page"), "N"));
    int page = pn ? atoi(pn) + 1 : 0;
    pthread_mutex_lock(&fs->mu);
    fs->scan_requests++;
    if (cJSON_IsTrue(cJSON_GetObjectItem(req, "ConsistentRead")) && sig_valid)
        fs->scan_consistent++;
    pthread_mutex_unlock(&fs->mu);
    cJSON_Delete(req);
    char out[1024];
    int n = snprintf(out, sizeof(out), "{\"Items\":[");
    for (int i = 0; i < SCAN_ITEMS_PER_PAGE; i++)
        n += snprintf(out + n, sizeof(out) - (size_t)n, "%s{\"pk\":{\"S\":\"s%d-p%d-i%d\"}}",
                      i ? "," : "", seg, page, i);
    n += snprintf(out + n, sizeof(out) - (size_t)n,
                  "],\"ConsumedCapacity\":{\"TableName\":\"t\",\"CapacityUnits\":0.5}");
    if (page < SCAN_PAGES - 1)
        n += snprintf(out + n, sizeof(out) - (size_t)n,
                      ",\"LastEvaluatedKey\":{\"page\":{\"N\":\"%d\"}}", page);
    snprintf(out + n, sizeof(out) - (size_t)n, "}");
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(out), out, MHD_RESPMEM_MUST_COPY);
    char v[16];
    snprintf(v, sizeof(v), "%u", (unsigned)ddb_crc32(out, strlen(out)));
    MHD_add_response_header(resp, "x-amz-crc32", v);
    enum MHD_Result r = MHD_queue_response(conn, 200, resp);
    MHD_destroy_response(resp);
    return r;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    (void)version;
    fake_server *fs = cls;
    conn_state *cs = *con_cls;
    if (!cs) {
        cs = calloc(1, sizeof(*cs));
        *con_cls = cs;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        if (cs->len + n < sizeof(cs->body)) {
            memcpy(cs->body + cs->len, upload, n);
            cs->len += n;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    cs->body[cs->len] = '\0';
    seen_request sr;
    memset(&sr, 0, sizeof(sr));
    const char *t = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Amz-Target");
    snprintf(sr.target, sizeof(sr.target), "%s", t ? t : "");
    snprintf(sr.url, sizeof(sr.url), "%s", url);
    snprintf(sr.body, sizeof(sr.body), "%s", cs->body);
    sr.sig_valid =
        strcmp(method, "POST") == 0 &&
        verify_signature(conn, cs->body, cs->len, sr.signed_headers, sizeof(sr.signed_headers));
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        sr.client_port = ntohs(((const struct sockaddr_in *)ci->client_addr)->sin_port);
    hdr_collect hc = {.n = 0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &hc);
    sr.n_headers = (int)hc.n;
    for (size_t i = 0; i < hc.n; i++) {
        const char *k = hc.h[i].name, *v = hc.h[i].value;
        if (strcasecmp(k, "Host") == 0 && ++sr.n_host) snprintf(sr.host, sizeof sr.host, "%s", v);
        if (strcasecmp(k, "Content-Type") == 0 && ++sr.n_content_type)
            snprintf(sr.content_type, sizeof sr.content_type, "%s", v);
        if (strcasecmp(k, "User-Agent") == 0 && ++sr.n_user_agent)
            snprintf(sr.user_agent, sizeof sr.user_agent, "%s", v);
        if (strcasecmp(k, "X-Amz-Security-Token") == 0 && ++sr.n_token)
            snprintf(sr.token, sizeof sr.token, "%s", v);
        if (strcasecmp(k, "Expect") == 0) sr.n_expect++;
    }

    if (fs->scan_mode) return answer_scan(fs, conn, cs->body, sr.sig_valid);

    pthread_mutex_lock(&fs->mu);
    scripted sc = {500, "{\"__type\":\"InternalServerError\",\"message\":\"script exhausted\"}",
                   CRC_GOOD, 0};
    if (fs->next < fs->nscript) sc = fs->script[fs->next++];
    if (fs->nseen < MAX_SEEN) fs->seen[fs->nseen++] = sr;
    pthread_mutex_unlock(&fs->mu);

    if (sc.delay_ms) usleep((useconds_t)sc.delay_ms * 1000);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(sc.body), (void *)sc.body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(resp, "Content-Type", "application/x-amz-json-1.0");
    if (sc.crc != CRC_NONE) {
        uint32_t crc = ddb_crc32(sc.body, strlen(sc.body));
        if (sc.crc == CRC_BAD) crc ^= 0x5a5a5a5au;
        char v[16];
        snprintf(v, sizeof(v), "%u", (unsigned)crc);
        MHD_add_response_header(resp, "x-amz-crc32", v);
    }
    enum MHD_Result r = MHD_queue_response(conn, (unsigned)sc.status, resp);
    MHD_destroy_response(resp);
    return r;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

static fake_server *server_start_mode(const scripted *script, int n, int scan_mode)
{
    fake_server *fs = calloc(1, sizeof(*fs));
    fs->scan_mode = scan_mode;
    pthread_mutex_init(&fs->mu, NULL);
    if (n > 0) memcpy(fs->script, script, (size_t)n * sizeof(*script));
    fs->nscript = n;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    fs->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
                             NULL, NULL, handler, fs, MHD_OPTION_SOCK_ADDR, &sa,
                             MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    assert_non_null(fs->d);
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(fs->d, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(di);
    fs->port = di->port;
    assert_true(fs->port > 0);
    return fs;
}

static fake_server *server_start(const scripted *script, int n)
{
    return server_start_mode(script, n, 0);
}

static void server_stop(fake_server *fs)
{
    MHD_stop_daemon(fs->d);
    pthread_mutex_destroy(&fs->mu);
    free(fs);
}

static ddb_config test_config(int port, int max_attempts)
{
    ddb_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    ddb_config_defaults(&cfg);
    snprintf(cfg.endpoint, sizeof(cfg.endpoint), "http://127.0.0.1:%d", port);
    snprintf(cfg.region, sizeof(cfg.region), TEST_REGION);
    snprintf(cfg.creds.access_key_id, sizeof(cfg.creds.access_key_id), TEST_AKID);
    snprintf(cfg.creds.secret_access_key, sizeof(cfg.creds.secret_access_key), TEST_SECRET);
    snprintf(cfg.creds.source, sizeof(cfg.creds.source), "static");
    cfg.max_attempts = max_attempts;
    cfg.connect_timeout_ms = 1000;
    cfg.request_timeout_ms = 2000;
    cfg.jitter_seed = 42;
    return cfg;
}

static cJSON *put_request(void)
{
    cJSON *r = cJSON_Parse("{\"TableName\":\"t\",\"Item\":{\"pk\":{\"S\":\"k1\"}}}");
    assert_non_null(r);
    return r;
}

/* Runs one PutItem against a scripted server; returns the server for inspection. */
static fake_server *run_put(const scripted *script, int n, int max_attempts,
                            long request_timeout_ms, ddb_result *res)
{
    fake_server *fs = server_start(script, n);
    ddb_config cfg = test_config(fs->port, max_attempts);
    if (request_timeout_ms) cfg.request_timeout_ms = request_timeout_ms;
    ddb_client *c = ddb_client_new(&cfg);
    assert_non_null(c);
    cJSON *req = put_request();
    ddb_call(c, "PutItem", req, res);
    cJSON_Delete(req);
    ddb_client_free(c);
    return fs;
}

static void assert_all_signed(fake_server *fs)
{
    pthread_mutex_lock(&fs->mu);
    assert_true(fs->nseen > 0);
    for (int i = 0; i < fs->nseen; i++) {
        assert_true(fs->seen[i].sig_valid);
        assert_string_equal(fs->seen[i].target, "DynamoDB_20120810.PutItem");
        assert_string_equal(fs->seen[i].signed_headers,
                            "content-type;host;x-amz-date;x-amz-target");
    }
    pthread_mutex_unlock(&fs->mu);
}

static void assert_backoffs_bounded(const ddb_result *r)
{
    for (int i = 0; i < r->attempts; i++) {
        if (i == r->attempts - 1)
            assert_int_equal(r->attempt[i].backoff_ns, 0);
        else {
            assert_true(r->attempt[i].backoff_ns >= 0);
            assert_true(r->attempt[i].backoff_ns < ddb_backoff_bound_ns(i));
        }
        assert_true(r->attempt[i].recv_ns >= r->attempt[i].send_ns);
    }
    assert_int_equal(r->invoke_ns, r->attempt[0].send_ns);
    assert_int_equal(r->complete_ns, r->attempt[r->attempts - 1].recv_ns);
}

static const char *OK_PUT = "{\"ConsumedCapacity\":{\"TableName\":\"t\",\"CapacityUnits\":2.0}}";
static const char *CCF = "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
                         "ConditionalCheckFailedException\",\"message\":\"The conditional request "
                         "failed\"}";
static const char *ISE = "{\"__type\":\"com.amazonaws.dynamodb.v20120810#InternalServerError\","
                         "\"message\":\"Internal server error\"}";
static const char *THROTTLE =
    "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException\","
    "\"message\":\"Rate exceeded\"}";

static void test_ok_with_crc(void **state)
{
    (void)state;
    scripted s[] = {{200, OK_PUT, CRC_GOOD, 0}};
    ddb_result r;
    fake_server *fs = run_put(s, 1, 3, 0, &r);
    assert_int_equal(r.err, DDB_OK);
    assert_int_equal(r.outcome, DDB_OUTCOME_OK);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(r.http_status, 200);
    assert_non_null(r.body);
    assert_true(r.wcu == 2.0);
    assert_true(r.rcu == 0.0);
    assert_all_signed(fs);
    /* ReturnConsumedCapacity=TOTAL was added to the PutItem body. */
    assert_non_null(strstr(fs->seen[0].body, "\"ReturnConsumedCapacity\":\"TOTAL\""));
    assert_non_null(strstr(fs->seen[0].body, "\"TableName\":\"t\""));
    assert_backoffs_bounded(&r);
    ddb_result_free(&r);
    server_stop(fs);
}

static void test_bad_crc_retried_then_info(void **state)
{
    (void)state;
    scripted s[] = {
        {200, OK_PUT, CRC_BAD, 0}, {200, OK_PUT, CRC_BAD, 0}, {200, OK_PUT, CRC_BAD, 0}};
    ddb_result r;
    fake_server *fs = run_put(s, 3, 3, 0, &r);
    assert_int_equal(r.err, DDB_ERR_CRC);
    assert_int_equal(r.outcome, DDB_OUTCOME_INFO);
    assert_int_equal(r.attempts, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(r.attempt[i].err, DDB_ERR_CRC);
    assert_int_equal(fs->nseen, 3);
    assert_all_signed(fs);
    assert_backoffs_bounded(&r);
    ddb_result_free(&r);
    server_stop(fs);
}

static void test_500_then_200(void **state)
{
    (void)state;
    scripted s[] = {{500, ISE, CRC_GOOD, 0}, {200, OK_PUT, CRC_GOOD, 0}};
    ddb_result r;
    fake_server *fs = run_put(s, 2, 3, 0, &r);
    assert_int_equal(r.err, DDB_OK);
    assert_int_equal(r.outcome, DDB_OUTCOME_OK);
    assert_int_equal(r.attempts, 2);
    assert_int_equal(r.attempt[0].http_status, 500);
    assert_int_equal(r.attempt[0].err, DDB_ERR_INTERNAL);
    assert_int_equal(r.attempt[1].http_status, 200);
    assert_int_equal(r.attempt[1].err, DDB_OK);
    assert_all_signed(fs);
    assert_backoffs_bounded(&r);
    /* The same keep-alive connection carried both requests. */
    assert_int_equal(fs->nseen, 2);
    assert_int_equal(fs->seen[0].client_port, fs->seen[1].client_port);
    ddb_result_free(&r);
    server_stop(fs);
}

typedef struct trace_seen {
    int calls, attempts;
    char op[32];
    ddb_outcome outcome;
} trace_seen;

static void on_trace(void *ctx, const char *op, const ddb_result *r)
{
    trace_seen *t = ctx;
    t->calls++;
    t->attempts = r->attempts;
    t->outcome = r->outcome;
    snprintf(t->op, sizeof t->op, "%s", op);
}

/* The trace hook sees each call once, when it has ended, with every attempt; none once
 * it is removed. */
static void test_trace_hook(void **state)
{
    (void)state;
    scripted s[] = {
        {500, ISE, CRC_GOOD, 0}, {200, OK_PUT, CRC_GOOD, 0}, {200, OK_PUT, CRC_GOOD, 0}};
    fake_server *fs = server_start(s, 3);
    ddb_config cfg = test_config(fs->port, 3);
    ddb_client *c = ddb_client_new(&cfg);
    assert_non_null(c);
    trace_seen t = {0};
    ddb_client_set_trace(c, on_trace, &t);
    cJSON *req = put_request();
    ddb_result r;
    ddb_call(c, "PutItem", req, &r);
    ddb_result_free(&r);
    assert_int_equal(t.calls, 1);
    assert_int_equal(t.attempts, 2);
    assert_int_equal(t.outcome, DDB_OUTCOME_OK);
    assert_string_equal(t.op, "PutItem");
    ddb_client_set_trace(c, NULL, &t);
    ddb_call(c, "PutItem", req, &r);
    ddb_result_free(&r);
    assert_int_equal(t.calls, 1);
    cJSON_Delete(req);
    ddb_client_free(c);
    server_stop(fs);
}

static void test_conditional_fail_not_retried(void **state)
{
    (void)state;
    scripted s[] = {{400, CCF, CRC_GOOD, 0}, {200, OK_PUT, CRC_GOOD, 0}};
    ddb_result r;
    fake_server *fs = run_put(s, 2, 3, 0, &r);
    assert_int_equal(r.err, DDB_ERR_CONDITIONAL);
    assert_int_equal(r.outcome, DDB_OUTCOME_FAIL);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(r.http_status, 400);
    assert_string_equal(r.err_type, "ConditionalCheckFailedException");
    assert_string_equal(r.err_message, "The conditional request failed");
    assert_int_equal(fs->nseen, 1);
    assert_all_signed(fs);
    ddb_result_free(&r);
    server_stop(fs);
}

static void test_500_then_conditional_is_info(void **state)
{
    (void)state;
    scripted s[] = {{500, ISE, CRC_GOOD, 0}, {400, CCF, CRC_GOOD, 0}};
    ddb_result r;
    fake_server *fs = run_put(s, 2, 3, 0, &r);
    assert_int_equal(r.err, DDB_ERR_CONDITIONAL);
    /* The first attempt may have written, which is why the retry's check failed. */
    assert_int_equal(r.outcome, DDB_OUTCOME_INFO);
    assert_int_equal(r.attempts, 2);
    assert_all_signed(fs);
    ddb_result_free(&r);
    server_stop(fs);
}

static void test_timeout_is_info(void **state)
{
    (void)state;
    scripted s[] = {{200, OK_PUT, CRC_GOOD, 1200}};
    ddb_result r;
    fake_server *fs = run_put(s, 1, 1, 300, &r);
    assert_int_equal(r.err, DDB_ERR_TIMEOUT);
    assert_int_equal(r.outcome, DDB_OUTCOME_INFO);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(r.http_status, 0);
    assert_true(strlen(r.err_message) > 0);
    assert_all_signed(fs); /* it was received: that is why the outcome is unknown */
    ddb_result_free(&r);
    server_stop(fs);
}

/* A loopback port that was just free: bind, read the port, close. */
static int closed_port(void)
{
    int sock = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t sl = sizeof(sa);
    getsockname(sock, (struct sockaddr *)&sa, &sl);
    close(sock);
    return ntohs(sa.sin_port);
}

static void test_closed_port_is_fail(void **state)
{
    (void)state;
    ddb_config cfg = test_config(closed_port(), 2);
    ddb_client *c = ddb_client_new(&cfg);
    cJSON *req = put_request();
    ddb_result r;
    ddb_call(c, "PutItem", req, &r);
    assert_int_equal(r.err, DDB_ERR_CONNECT);
    assert_int_equal(r.outcome, DDB_OUTCOME_FAIL); /* never sent: definitely not applied */
    assert_int_equal(r.attempts, 2);               /* connection errors are retried */
    assert_int_equal(r.http_status, 0);
    assert_null(r.body);
    assert_backoffs_bounded(&r);
    ddb_result_free(&r);
    cJSON_Delete(req);
    ddb_client_free(c);
}

static void test_throttling_retried(void **state)
{
    (void)state;
    scripted s[] = {
        {400, THROTTLE, CRC_GOOD, 0}, {400, THROTTLE, CRC_GOOD, 0}, {200, OK_PUT, CRC_GOOD, 0}};
    ddb_result r;
    fake_server *fs = run_put(s, 3, 3, 0, &r);
    assert_int_equal(r.err, DDB_OK);
    assert_int_equal(r.outcome, DDB_OUTCOME_OK);
    assert_int_equal(r.attempts, 3);
    assert_int_equal(r.attempt[0].err, DDB_ERR_THROTTLED);
    assert_int_equal(r.attempt[1].err, DDB_ERR_THROTTLED);
    assert_all_signed(fs);
    assert_backoffs_bounded(&r);
    ddb_result_free(&r);
    server_stop(fs);
}

static void test_throttling_exhausted_is_fail(void **state)
{
    (void)state;
    scripted s[] = {{400, THROTTLE, CRC_GOOD, 0}, {400, THROTTLE, CRC_GOOD, 0}};
    ddb_result r;
    fake_server *fs = run_put(s, 2, 2, 0, &r);
    assert_int_equal(r.err, DDB_ERR_THROTTLED);
    /* Throttled requests were refused before being applied. */
    assert_int_equal(r.outcome, DDB_OUTCOME_FAIL);
    assert_int_equal(r.attempts, 2);
    ddb_result_free(&r);
    server_stop(fs);
}

static void test_capacity_list_and_no_rcc_for_control_plane(void **state)
{
    (void)state;
    scripted s[] = {
        {200,
         "{\"Responses\":{},\"ConsumedCapacity\":[{\"TableName\":\"a\",\"CapacityUnits\":1.5},"
         "{\"TableName\":\"b\",\"CapacityUnits\":2.0}]}",
         CRC_NONE, 0},
        {200, "{\"Table\":{\"TableStatus\":\"ACTIVE\"}}", CRC_GOOD, 0},
    };
    fake_server *fs = server_start(s, 2);
    ddb_config cfg = test_config(fs->port, 1);
    ddb_client *c = ddb_client_new(&cfg);
    cJSON *req = cJSON_Parse("{\"RequestItems\":{}}");
    ddb_result r;
    assert_int_equal(ddb_call(c, "BatchGetItem", req, &r), DDB_OK);
    assert_true(r.rcu == 3.5);
    assert_true(r.wcu == 0.0);
    ddb_result_free(&r);
    cJSON_Delete(req);
    int64_t active = 0;
    char err[256];
    assert_int_equal(
        ddb_wait_table_active(c, "t", bc_mono_ns() + 5 * BC_NS_PER_S, &active, err, sizeof(err)),
        DDB_OK);
    assert_true(active > 0);
    pthread_mutex_lock(&fs->mu);
    assert_string_equal(fs->seen[0].target, "DynamoDB_20120810.BatchGetItem");
    assert_non_null(strstr(fs->seen[0].body, "\"ReturnConsumedCapacity\":\"TOTAL\""));
    assert_string_equal(fs->seen[1].target, "DynamoDB_20120810.DescribeTable");
    assert_null(strstr(fs->seen[1].body, "ReturnConsumedCapacity"));
    assert_true(fs->seen[0].sig_valid && fs->seen[1].sig_valid);
    pthread_mutex_unlock(&fs->mu);
    ddb_client_free(c);
    server_stop(fs);
}

typedef struct scan_count {
    pthread_mutex_t mu;
    int items;
    int bad;
} scan_count;

static int count_item(const cJSON *item, void *arg)
{
    scan_count *sc = arg;
    const char *pk =
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(item, "pk"), "S"));
    pthread_mutex_lock(&sc->mu);
    sc->items++;
    if (!pk || pk[0] != 's') sc->bad++;
    pthread_mutex_unlock(&sc->mu);
    return 0;
}

static int stop_at_first(const cJSON *item, void *arg)
{
    (void)item;
    (void)arg;
    return 7;
}

static void test_scan_all_parallel(void **state)
{
    (void)state;
    fake_server *fs = server_start_mode(NULL, 0, 1);
    ddb_config cfg = test_config(fs->port, 1);
    scan_count sc = {.items = 0, .bad = 0};
    pthread_mutex_init(&sc.mu, NULL);
    double rcu = 0;
    long items = 0;
    char err[512] = "";
    const int segments = 4;
    assert_int_equal(
        ddb_scan_all(&cfg, "t", segments, 1, count_item, &sc, &rcu, &items, err, sizeof(err)),
        DDB_OK);
    assert_int_equal(items, segments * SCAN_PAGES * SCAN_ITEMS_PER_PAGE);
    assert_int_equal(sc.items, items);
    assert_int_equal(sc.bad, 0);
    assert_true(rcu == segments * SCAN_PAGES * 0.5);
    pthread_mutex_lock(&fs->mu);
    assert_int_equal(fs->scan_requests, segments * SCAN_PAGES);
    assert_int_equal(fs->scan_consistent, segments * SCAN_PAGES);
    pthread_mutex_unlock(&fs->mu);

    /* A callback that stops the scan is an error that says so. */
    assert_int_not_equal(
        ddb_scan_all(&cfg, "t", 2, 0, stop_at_first, NULL, &rcu, &items, err, sizeof(err)), DDB_OK);
    assert_non_null(strstr(err, "callback"));
    pthread_mutex_destroy(&sc.mu);
    server_stop(fs);
}

/* The body is the request as printed, with ReturnConsumedCapacity spliced in, whatever
 * the size of the previous one (the client reuses its body buffer). */
static void test_request_bodies(void **state)
{
    (void)state;
    scripted s[] = {
        {200, "{}", CRC_GOOD, 0},
        {200, "{}", CRC_GOOD, 0},
        {200, "{}", CRC_GOOD, 0},
        {200, "{}", CRC_GOOD, 0},
    };
    fake_server *fs = server_start(s, 4);
    ddb_config cfg = test_config(fs->port, 1);
    ddb_client *c = ddb_client_new(&cfg);
    char *big = malloc(10001);
    memset(big, 'x', 10000);
    big[10000] = '\0';
    cJSON *reqs[4] = {cJSON_CreateObject(), cJSON_CreateObject(), cJSON_CreateObject(),
                      cJSON_Parse("{\"TableName\":\"t\",\"ReturnConsumedCapacity\":\"NONE\"}")};
    cJSON_AddStringToObject(reqs[1], "TableName", "t");
    cJSON_AddStringToObject(reqs[1], "Pad", big);
    cJSON_AddStringToObject(reqs[2], "TableName", "t");
    const char *want[4] = {"{\"ReturnConsumedCapacity\":\"TOTAL\"}", NULL,
                           "{\"TableName\":\"t\",\"ReturnConsumedCapacity\":\"TOTAL\"}",
                           "{\"TableName\":\"t\",\"ReturnConsumedCapacity\":\"NONE\"}"};
    for (int i = 0; i < 4; i++) {
        ddb_result r;
        assert_int_equal(ddb_call(c, "PutItem", reqs[i], &r), DDB_OK);
        ddb_result_free(&r);
    }
    pthread_mutex_lock(&fs->mu);
    assert_int_equal(fs->nseen, 4);
    for (int i = 0; i < 4; i++) {
        assert_true(fs->seen[i].sig_valid);
        if (want[i]) assert_string_equal(fs->seen[i].body, want[i]);
    }
    cJSON *got = cJSON_Parse(fs->seen[1].body);
    assert_non_null(got);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(got, "Pad")), big);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(got, "ReturnConsumedCapacity")),
                        "TOTAL");
    cJSON_Delete(got);
    pthread_mutex_unlock(&fs->mu);
    for (int i = 0; i < 4; i++)
        cJSON_Delete(reqs[i]);
    free(big);
    ddb_client_free(c);
    server_stop(fs);
}

/* A request given as text reaches the server as the same bytes as its tree through
 * ddb_call (ReturnConsumedCapacity spliced in the same way), signed, and is retried
 * like any other; text that is not an object is refused before anything is sent. */
static void test_call_json_same_bytes(void **state)
{
    (void)state;
    scripted s[] = {
        {200, OK_PUT, CRC_GOOD, 0}, {500, ISE, CRC_GOOD, 0},  {200, OK_PUT, CRC_GOOD, 0},
        {200, "{}", CRC_GOOD, 0},   {200, "{}", CRC_GOOD, 0},
    };
    fake_server *fs = server_start(s, 5);
    ddb_config cfg = test_config(fs->port, 3);
    ddb_client *c = ddb_client_new(&cfg);
    cJSON *req = put_request();
    char *text = cJSON_PrintUnformatted(req);
    ddb_result r;
    assert_int_equal(ddb_call(c, "PutItem", req, &r), DDB_OK);
    ddb_result_free(&r);
    /* The second: a 500 first, then the retry. */
    assert_int_equal(ddb_call_json(c, "PutItem", text, strlen(text), &r), DDB_OK);
    assert_int_equal(r.attempts, 2);
    assert_int_equal(r.outcome, DDB_OUTCOME_OK);
    assert_true(r.wcu == 2.0);
    ddb_result_free(&r);
    /* An empty object, and an operation that takes no ReturnConsumedCapacity. */
    assert_int_equal(ddb_call_json(c, "PutItem", "{}", 2, &r), DDB_OK);
    ddb_result_free(&r);
    assert_int_equal(ddb_call_json(c, "DescribeTable", "{\"TableName\":\"t\"}", 17, &r), DDB_OK);
    ddb_result_free(&r);
    /* Not an object: refused, nothing sent. */
    assert_int_equal(ddb_call_json(c, "PutItem", "[1]", 3, &r), DDB_ERR_CONFIG);
    assert_int_equal(r.outcome, DDB_OUTCOME_FAIL);
    assert_int_equal(r.attempts, 0);
    ddb_result_free(&r);
    pthread_mutex_lock(&fs->mu);
    assert_int_equal(fs->nseen, 5);
    for (int i = 0; i < 5; i++)
        assert_true(fs->seen[i].sig_valid);
    assert_string_equal(fs->seen[1].body, fs->seen[0].body);
    assert_string_equal(fs->seen[2].body, fs->seen[0].body);
    assert_non_null(strstr(fs->seen[0].body, "\"ReturnConsumedCapacity\":\"TOTAL\""));
    assert_string_equal(fs->seen[3].body, "{\"ReturnConsumedCapacity\":\"TOTAL\"}");
    assert_string_equal(fs->seen[4].body, "{\"TableName\":\"t\"}");
    pthread_mutex_unlock(&fs->mu);
    free(text);
    cJSON_Delete(req);
    ddb_client_free(c);
    server_stop(fs);
}

/* Every request carries each header once: the per-client ones (Host with the port,
 * Content-Type, User-Agent) as well on the second request as on the first, the session
 * token when there is one, and no Expect. */
static void test_headers_once_per_request(void **state)
{
    (void)state;
    scripted s[] = {
        {200, OK_PUT, CRC_GOOD, 0}, {200, OK_PUT, CRC_GOOD, 0}, {200, OK_PUT, CRC_GOOD, 0}};
    fake_server *fs = server_start(s, 3);
    ddb_config cfg = test_config(fs->port, 1);
    ddb_client *c = ddb_client_new(&cfg);
    snprintf(cfg.creds.session_token, sizeof cfg.creds.session_token, "tok-123");
    ddb_client *ct = ddb_client_new(&cfg);
    cJSON *req = put_request();
    ddb_result r;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(ddb_call(c, "PutItem", req, &r), DDB_OK);
        ddb_result_free(&r);
    }
    assert_int_equal(ddb_call(ct, "PutItem", req, &r), DDB_OK);
    ddb_result_free(&r);
    char host[64];
    snprintf(host, sizeof host, "127.0.0.1:%d", fs->port);
    pthread_mutex_lock(&fs->mu);
    assert_int_equal(fs->nseen, 3);
    for (int i = 0; i < 3; i++) {
        const seen_request *sr = &fs->seen[i];
        assert_true(sr->sig_valid);
        assert_int_equal(sr->n_host, 1);
        assert_string_equal(sr->host, host);
        assert_int_equal(sr->n_content_type, 1);
        assert_string_equal(sr->content_type, "application/x-amz-json-1.0");
        assert_int_equal(sr->n_user_agent, 1);
        assert_true(strncmp(sr->user_agent, "backcheck/", 10) == 0);
        assert_int_equal(sr->n_expect, 0);
        assert_int_equal(sr->n_token, i == 2);
    }
    assert_string_equal(fs->seen[2].token, "tok-123");
    assert_string_equal(fs->seen[2].signed_headers,
                        "content-type;host;x-amz-date;x-amz-security-token;x-amz-target");
    /* The same headers, nothing added or lost, on the second request of a client. */
    assert_int_equal(fs->seen[1].n_headers, fs->seen[0].n_headers);
    assert_int_equal(fs->seen[2].n_headers, fs->seen[0].n_headers + 1);
    pthread_mutex_unlock(&fs->mu);
    cJSON_Delete(req);
    ddb_client_free(c);
    ddb_client_free(ct);
    server_stop(fs);
}

static void test_connect_to_keeps_host(void **state)
{
    (void)state;
    scripted s[] = {{200, OK_PUT, CRC_GOOD, 0}};
    fake_server *fs = server_start(s, 1);
    ddb_config cfg = test_config(fs->port, 1);
    /* The fault proxy's way in: sign and send for one host, connect to another. */
    snprintf(cfg.endpoint, sizeof(cfg.endpoint), "http://dynamodb.backcheck.invalid:8000");
    snprintf(cfg.connect_to, sizeof(cfg.connect_to), "127.0.0.1:%d", fs->port);
    ddb_client *c = ddb_client_new(&cfg);
    cJSON *req = put_request();
    ddb_result r;
    assert_int_equal(ddb_call(c, "PutItem", req, &r), DDB_OK);
    assert_all_signed(fs); /* signed with the endpoint's Host, which was sent unchanged */
    ddb_result_free(&r);
    cJSON_Delete(req);
    ddb_client_free(c);
    server_stop(fs);
}

/* Sets every proxy variable curl reads to url (NULL: removes them all, and no_proxy). */
static void proxy_env(const char *url)
{
    static const char *const vars[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                                       "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        if (url)
            setenv(vars[i], url, 1);
        else
            unsetenv(vars[i]);
    }
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
}

static void test_loopback_ignores_proxy_env(void **state)
{
    (void)state;
    scripted s[] = {{200, OK_PUT, CRC_GOOD, 0}, {200, OK_PUT, CRC_GOOD, 0}};
    fake_server *fs = server_start(s, 2);
    /* A proxy nobody answers: a request sent through it would fail to connect. */
    char dead[64];
    snprintf(dead, sizeof dead, "http://127.0.0.1:%d", closed_port());
    proxy_env(dead);
    ddb_config cfg = test_config(fs->port, 1);
    ddb_client *c = ddb_client_new(&cfg);
    cJSON *req = put_request();
    ddb_result r1, r2;
    ddb_call(c, "PutItem", req, &r1);
    ddb_client_free(c);
    /* The fault proxy's way in: a remote name, a loopback connection. */
    snprintf(cfg.endpoint, sizeof(cfg.endpoint), "http://dynamodb.backcheck.invalid:8000");
    snprintf(cfg.connect_to, sizeof(cfg.connect_to), "127.0.0.1:%d", fs->port);
    c = ddb_client_new(&cfg);
    ddb_call(c, "PutItem", req, &r2);
    proxy_env(NULL);
    assert_int_equal(r1.err, DDB_OK);
    assert_int_equal(r2.err, DDB_OK);
    assert_int_equal(fs->nseen, 2);
    assert_string_equal(fs->seen[0].url, "/"); /* origin form: no proxy in between */
    assert_string_equal(fs->seen[1].url, "/");
    assert_all_signed(fs);
    ddb_result_free(&r1);
    ddb_result_free(&r2);
    cJSON_Delete(req);
    ddb_client_free(c);
    server_stop(fs);
}

static void test_remote_endpoint_uses_proxy_env(void **state)
{
    (void)state;
    /* The scripted server stands in for the proxy (on loopback: the request goes no
     * further). An endpoint that is not loopback, as AWS's, goes through the proxy the
     * environment names: it gets the absolute URL, and the name is never resolved. */
    scripted s[] = {{200, OK_PUT, CRC_GOOD, 0}};
    fake_server *fs = server_start(s, 1);
    char proxy[64];
    snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", fs->port);
    proxy_env(proxy);
    ddb_config cfg = test_config(fs->port, 1);
    snprintf(cfg.endpoint, sizeof(cfg.endpoint), "http://dynamodb.backcheck.invalid:8000");
    ddb_client *c = ddb_client_new(&cfg);
    cJSON *req = put_request();
    ddb_result r;
    ddb_call(c, "PutItem", req, &r);
    proxy_env(NULL);
    assert_int_equal(r.err, DDB_OK);
    assert_int_equal(fs->nseen, 1);
    assert_string_equal(fs->seen[0].url, "http://dynamodb.backcheck.invalid:8000/");
    assert_string_equal(fs->seen[0].host, "dynamodb.backcheck.invalid:8000");
    assert_all_signed(fs);
    ddb_result_free(&r);
    cJSON_Delete(req);
    ddb_client_free(c);
    server_stop(fs);
}

static void test_wait_backup_available(void **state)
{
    (void)state;
    scripted s[] = {
        {200, "{\"BackupDescription\":{\"BackupDetails\":{\"BackupStatus\":\"CREATING\"}}}",
         CRC_GOOD, 0},
        {200,
         "{\"BackupDescription\":{\"BackupDetails\":{\"BackupStatus\":\"AVAILABLE\","
         "\"BackupSizeBytes\":1234}}}",
         CRC_GOOD, 0},
        {200, "{\"BackupDescription\":{\"BackupDetails\":{\"BackupStatus\":\"DELETED\"}}}",
         CRC_GOOD, 0},
    };
    fake_server *fs = server_start(s, 3);
    ddb_config cfg = test_config(fs->port, 1);
    ddb_client *c = ddb_client_new(&cfg);
    int64_t at = 0;
    long long size = 0;
    char err[512] = "";
    assert_int_equal(ddb_wait_backup_available(c, "arn:b1", bc_mono_ns() + 5 * BC_NS_PER_S, &at,
                                               &size, err, sizeof(err)),
                     DDB_OK);
    assert_true(at > 0);
    assert_int_equal(size, 1234);
    /* A backup that disappears is an error naming it, not a wait until the deadline. */
    assert_int_equal(ddb_wait_backup_available(c, "arn:b2", bc_mono_ns() + 5 * BC_NS_PER_S, &at,
                                               &size, err, sizeof(err)),
                     DDB_ERR_BACKUP_NOT_FOUND);
    assert_non_null(strstr(err, "arn:b2"));
    pthread_mutex_lock(&fs->mu);
    assert_int_equal(fs->nseen, 3);
    assert_string_equal(fs->seen[0].target, "DynamoDB_20120810.DescribeBackup");
    pthread_mutex_unlock(&fs->mu);
    ddb_client_free(c);
    server_stop(fs);
}

static void test_missing_credentials_is_config(void **state)
{
    (void)state;
    ddb_config cfg = test_config(1, 1);
    cfg.creds.secret_access_key[0] = '\0';
    ddb_client *c = ddb_client_new(&cfg);
    ddb_result r;
    assert_int_equal(ddb_call(c, "GetItem", NULL, &r), DDB_ERR_CONFIG);
    assert_int_equal(r.outcome, DDB_OUTCOME_FAIL);
    assert_non_null(strstr(r.err_message, "no credentials"));
    ddb_result_free(&r);
    ddb_client_free(c);
}

/* ---- pure functions ---- */

static void test_err_from_type(void **state)
{
    (void)state;
    assert_int_equal(ddb_err_from_type("ConditionalCheckFailedException", 400),
                     DDB_ERR_CONDITIONAL);
    assert_int_equal(
        ddb_err_from_type("com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", 400),
        DDB_ERR_CONDITIONAL);
    assert_int_equal(
        ddb_err_from_type("com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", 400),
        DDB_ERR_RESOURCE_NOT_FOUND);
    assert_int_equal(ddb_err_from_type("ProvisionedThroughputExceededException", 400),
                     DDB_ERR_THROTTLED);
    assert_int_equal(ddb_err_from_type("com.amazonaws.dynamodb.v20120810#ThrottlingException", 400),
                     DDB_ERR_THROTTLED);
    assert_int_equal(ddb_err_from_type("RequestLimitExceeded", 400), DDB_ERR_THROTTLED);
    assert_int_equal(ddb_err_from_type("TransactionCanceledException", 400), DDB_ERR_TXN_CANCELED);
    assert_int_equal(ddb_err_from_type("TransactionConflictException", 400), DDB_ERR_TXN_CONFLICT);
    assert_int_equal(ddb_err_from_type("TransactionInProgressException", 400),
                     DDB_ERR_TXN_CONFLICT);
    assert_int_equal(ddb_err_from_type("com.amazon.coral.validate#ValidationException", 400),
                     DDB_ERR_VALIDATION);
    assert_int_equal(ddb_err_from_type("com.amazon.coral.service#SerializationException", 400),
                     DDB_ERR_VALIDATION);
    assert_int_equal(ddb_err_from_type("com.amazon.coral.service#UnrecognizedClientException", 400),
                     DDB_ERR_AUTH);
    assert_int_equal(ddb_err_from_type("InvalidSignatureException", 400), DDB_ERR_AUTH);
    assert_int_equal(ddb_err_from_type("MissingAuthenticationTokenException", 403), DDB_ERR_AUTH);
    assert_int_equal(ddb_err_from_type("AccessDeniedException", 400), DDB_ERR_AUTH);
    assert_int_equal(ddb_err_from_type("TableNotFoundException", 400), DDB_ERR_TABLE_NOT_FOUND);
    assert_int_equal(ddb_err_from_type("TableAlreadyExistsException", 400), DDB_ERR_TABLE_EXISTS);
    assert_int_equal(ddb_err_from_type("TableInUseException", 400), DDB_ERR_TABLE_IN_USE);
    assert_int_equal(ddb_err_from_type("BackupNotFoundException", 400), DDB_ERR_BACKUP_NOT_FOUND);
    assert_int_equal(ddb_err_from_type("BackupInUseException", 400), DDB_ERR_BACKUP_IN_USE);
    assert_int_equal(ddb_err_from_type("ContinuousBackupsUnavailableException", 400),
                     DDB_ERR_CONTINUOUS_BACKUPS_UNAVAILABLE);
    assert_int_equal(ddb_err_from_type("PointInTimeRecoveryUnavailableException", 400),
                     DDB_ERR_PITR_UNAVAILABLE);
    assert_int_equal(ddb_err_from_type("InvalidRestoreTimeException", 400),
                     DDB_ERR_INVALID_RESTORE_TIME);
    assert_int_equal(ddb_err_from_type("LimitExceededException", 400), DDB_ERR_LIMIT_EXCEEDED);
    assert_int_equal(ddb_err_from_type("ResourceInUseException", 400), DDB_ERR_RESOURCE_IN_USE);
    assert_int_equal(ddb_err_from_type("UnknownOperationException", 400),
                     DDB_ERR_UNKNOWN_OPERATION);
    assert_int_equal(ddb_err_from_type("InternalServerError", 500), DDB_ERR_INTERNAL);
    /* x-amzn-ErrorType form with a trailing ":http://..." */
    assert_int_equal(
        ddb_err_from_type("ResourceNotFoundException:http://internal.amazon.com/", 400),
        DDB_ERR_RESOURCE_NOT_FOUND);
    /* Unknown or missing types fall back on the status. */
    assert_int_equal(ddb_err_from_type(NULL, 503), DDB_ERR_INTERNAL);
    assert_int_equal(ddb_err_from_type("", 502), DDB_ERR_INTERNAL);
    assert_int_equal(ddb_err_from_type("SomethingNewException", 400), DDB_ERR_OTHER);
    assert_int_equal(ddb_err_from_type(NULL, 429), DDB_ERR_THROTTLED);
    assert_int_equal(ddb_err_from_type(NULL, 200), DDB_OK);
    /* A prefix alone must not match by accident. */
    assert_int_equal(ddb_err_from_type("Conditional", 400), DDB_ERR_OTHER);
}

static void test_retryable(void **state)
{
    (void)state;
    const ddb_err yes[] = {DDB_ERR_THROTTLED, DDB_ERR_INTERNAL, DDB_ERR_TIMEOUT,
                           DDB_ERR_NETWORK,   DDB_ERR_CRC,      DDB_ERR_TXN_CONFLICT,
                           DDB_ERR_CONNECT};
    const ddb_err no[] = {DDB_OK,
                          DDB_ERR_CONDITIONAL,
                          DDB_ERR_TXN_CANCELED,
                          DDB_ERR_VALIDATION,
                          DDB_ERR_ITEM_TOO_LARGE,
                          DDB_ERR_RESOURCE_NOT_FOUND,
                          DDB_ERR_AUTH,
                          DDB_ERR_CONFIG,
                          DDB_ERR_PROTOCOL,
                          DDB_ERR_OTHER,
                          DDB_ERR_BACKUP_IN_USE};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        assert_int_equal(ddb_err_retryable(yes[i]), 1);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_int_equal(ddb_err_retryable(no[i]), 0);
}

static void test_backoff_bounds(void **state)
{
    (void)state;
    assert_int_equal(ddb_backoff_bound_ns(0), 100 * BC_NS_PER_MS);
    assert_int_equal(ddb_backoff_bound_ns(1), 200 * BC_NS_PER_MS);
    assert_int_equal(ddb_backoff_bound_ns(3), 800 * BC_NS_PER_MS);
    assert_int_equal(ddb_backoff_bound_ns(8), (int64_t)DDB_BACKOFF_CAP_MS * BC_NS_PER_MS);
    assert_int_equal(ddb_backoff_bound_ns(60), (int64_t)DDB_BACKOFF_CAP_MS * BC_NS_PER_MS);
    for (int i = 1; i < 20; i++)
        assert_true(ddb_backoff_bound_ns(i) >= ddb_backoff_bound_ns(i - 1));
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(ddb_outcome_name(DDB_OUTCOME_OK), "ok");
    assert_string_equal(ddb_outcome_name(DDB_OUTCOME_FAIL), "fail");
    assert_string_equal(ddb_outcome_name(DDB_OUTCOME_INFO), "info");
    for (int e = 0; e < DDB_ERR__COUNT; e++) {
        const char *s = ddb_strerror((ddb_err)e);
        assert_non_null(s);
        assert_string_not_equal(s, "unknown error");
        for (int f = 0; f < e; f++)
            assert_string_not_equal(s, ddb_strerror((ddb_err)f));
    }
    assert_string_equal(ddb_strerror(DDB_ERR_CONDITIONAL), "conditional check failed");
    assert_true(ddb_op_accepts_consumed_capacity("TransactWriteItems"));
    assert_false(ddb_op_accepts_consumed_capacity("CreateBackup"));
    /* zlib's check value for "123456789" */
    assert_int_equal(ddb_crc32("123456789", 9), 0xCBF43926u);
}

int main(void)
{
    ddb_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_from_type),
        cmocka_unit_test(test_retryable),
        cmocka_unit_test(test_backoff_bounds),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_ok_with_crc),
        cmocka_unit_test(test_bad_crc_retried_then_info),
        cmocka_unit_test(test_500_then_200),
        cmocka_unit_test(test_trace_hook),
        cmocka_unit_test(test_conditional_fail_not_retried),
        cmocka_unit_test(test_500_then_conditional_is_info),
        cmocka_unit_test(test_timeout_is_info),
        cmocka_unit_test(test_closed_port_is_fail),
        cmocka_unit_test(test_throttling_retried),
        cmocka_unit_test(test_throttling_exhausted_is_fail),
        cmocka_unit_test(test_capacity_list_and_no_rcc_for_control_plane),
        cmocka_unit_test(test_missing_credentials_is_config),
        cmocka_unit_test(test_scan_all_parallel),
        cmocka_unit_test(test_request_bodies),
        cmocka_unit_test(test_call_json_same_bytes),
        cmocka_unit_test(test_headers_once_per_request),
        cmocka_unit_test(test_connect_to_keeps_host),
        cmocka_unit_test(test_loopback_ignores_proxy_env),
        cmocka_unit_test(test_remote_endpoint_uses_proxy_env),
        cmocka_unit_test(test_wait_backup_available),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ddb_global_cleanup();
    return rc;
}
