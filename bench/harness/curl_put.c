/*
 * curl_put.c - the libcurl floor for bench/harness/drive_rate.sh: THREADS threads, each
 * with one keep-alive easy handle, send the PutItem that putitem.lua sends (a key unique
 * to the round, thread and request; the harness's header lines) closed-loop for SECONDS
 * and print the rate. No signing, no JSON trees, no journal: what any client built on
 * libcurl's easy interface costs before it does anything of its own.
 *
 *   curl_put URL SECONDS THREADS [HANDLES]
 *
 * With HANDLES > 1 each thread keeps HANDLES requests in flight through one multi handle
 * (curl_multi_poll) instead of one easy handle blocking in curl_easy_perform: the event-loop
 * shape of wrk, where one wake-up may serve several responses. Prints the requests, the
 * seconds and the rate.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct worker {
    CURLU *url; /* the worker's own parsed copy */
    int id, handles;
    double seconds;
    long done;
    int failed;
    pthread_t thread;
} worker;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t discard(char *data, size_t size, size_t nmemb, void *arg)
{
    (void)data;
    (void)arg;
    return size * nmemb;
}

/* Keys are KEY_PREFIX/thread/n, KEY_PREFIX being BENCH_RUN and "x" (easy) or "y"
 * (multi), as long as the harness's (ins/<worker>/<n>) while BENCH_RUN is one digit. The
 * rounds of drive_rate.sh share one table, whose store keeps each partition's keys in
 * sorted order: a new key that sorts before many others costs the server a move of them
 * all. So each client's keys sort after every earlier one's: round first, then wrk's "w",
 * then "x", then "y" (putitem.lua), in the order drive_rate.sh runs them. */
static char key_prefix[24];
/* The harness's header lines, with an Authorization line of the real one's length whose
 * signature nobody checks (`backcheck serve --no-auth`): the same bytes on the wire. */
static char date_line[64], authz_line[256];

/* A keep-alive handle sending the bench's PutItem (headers hs, shared). */
static CURL *put_handle(CURLU *url, struct curl_slist *hs)
{
    CURL *h = curl_easy_init();
    if (!h) return NULL;
    curl_easy_setopt(h, CURLOPT_CURLU, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    /* As ddb/client.c for a loopback target: the URL parsed once, no proxy, the DNS
     * entry kept. */
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_DNS_CACHE_TIMEOUT, -1L);
    return h;
}

/* Writes request n of thread id (putitem.lua's PutItem: a key of its own) into
 * body and gives it to h. */
static void put_body(CURL *h, char *body, size_t cap, int id, long n)
{
    static const char pay[] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                              "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    int len =
        snprintf(body, cap,
                 "{\"TableName\":\"bench-drive-rate-wrk\",\"Item\":{\"pk\":{\"S\":\"%s/%d/%ld\"},"
                 "\"wid\":{\"S\":\"%d.%ld\"},\"ver\":{\"N\":\"1\"},\"pay\":{\"S\":\"%s\"}},"
                 "\"ConditionExpression\":\"attribute_not_exists(#h)\","
                 "\"ExpressionAttributeNames\":{\"#h\":\"pk\"},"
                 "\"ReturnConsumedCapacity\":\"TOTAL\"}",
                 key_prefix, id, n, id, n, pay);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
}

static int put_ok(CURL *h, CURLcode rc)
{
    long status = 0;
    return rc == CURLE_OK && curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
           status == 200;
}

/* One easy handle, one request in flight, curl_easy_perform blocking. */
static void run_easy(worker *w, struct curl_slist *hs)
{
    CURL *h = put_handle(w->url, hs);
    if (!h) {
        w->failed = 1;
        return;
    }
    char body[512];
    double end = now_s() + w->seconds;
    while (now_s() < end) {
        long n = w->done + 1;
        put_body(h, body, sizeof body, w->id, n);
        if (!put_ok(h, curl_easy_perform(h))) {
            w->failed = 1;
            break;
        }
        w->done = n;
    }
    curl_easy_cleanup(h);
}

/* w->handles easy handles in one multi handle: each starts its next request as soon as
 * its response is in, until the time is up; the thread sleeps in curl_multi_poll. */
static void run_multi(worker *w, struct curl_slist *hs)
{
    CURLM *m = curl_multi_init();
    CURL **h = calloc((size_t)w->handles, sizeof *h);
    char(*body)[512] = calloc((size_t)w->handles, sizeof *body);
    long next = 0;
    if (!m || !h || !body) w->failed = 1;
    for (int i = 0; !w->failed && i < w->handles; i++) {
        if (!(h[i] = put_handle(w->url, hs))) {
            w->failed = 1;
            break;
        }
        curl_easy_setopt(h[i], CURLOPT_PRIVATE, (void *)body[i]);
        put_body(h[i], body[i], sizeof body[i], w->id, ++next);
        curl_multi_add_handle(m, h[i]);
    }
    double end = now_s() + w->seconds;
    int running = w->failed ? 0 : 1;
    while (running && !w->failed) {
        if (curl_multi_perform(m, &running) != CURLM_OK) {
            w->failed = 1;
            break;
        }
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            CURL *e = msg->easy_handle;
            if (!put_ok(e, msg->data.result)) w->failed = 1;
            w->done++;
            curl_multi_remove_handle(m, e);
            if (now_s() < end && !w->failed) {
                char *b;
                curl_easy_getinfo(e, CURLINFO_PRIVATE, &b);
                put_body(e, b, sizeof body[0], w->id, ++next);
                curl_multi_add_handle(m, e);
                running = 1;
            }
        }
        if (running) curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    for (int i = 0; h && i < w->handles; i++)
        if (h[i]) {
            curl_multi_remove_handle(m, h[i]);
            curl_easy_cleanup(h[i]);
        }
    curl_multi_cleanup(m);
    free(h);
    free(body);
}

static void *run(void *arg)
{
    worker *w = arg;
    struct curl_slist *hs = NULL;
    hs = curl_slist_append(hs, "Content-Type: application/x-amz-json-1.0");
    hs = curl_slist_append(hs, "User-Agent: backcheck/0.1.0");
    hs = curl_slist_append(hs, "Expect:");
    hs = curl_slist_append(hs, "Accept:");
    hs = curl_slist_append(hs, date_line);
    hs = curl_slist_append(hs, "X-Amz-Target: DynamoDB_20120810.PutItem");
    hs = curl_slist_append(hs, authz_line);
    if (!hs)
        w->failed = 1;
    else if (w->handles > 1)
        run_multi(w, hs);
    else
        run_easy(w, hs);
    curl_slist_free_all(hs);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: curl_put URL SECONDS THREADS [HANDLES]\n");
        return 2;
    }
    double seconds = atof(argv[2]);
    int threads = atoi(argv[3]), handles = argc == 5 ? atoi(argv[4]) : 1;
    if (seconds <= 0 || threads < 1 || threads > 256 || handles < 1 || handles > 256) {
        fprintf(stderr, "curl_put: SECONDS must be > 0, THREADS and HANDLES 1..256\n");
        return 2;
    }
    const char *bench_run = getenv("BENCH_RUN");
    snprintf(key_prefix, sizeof key_prefix, "%s%c", bench_run ? bench_run : "0",
             handles > 1 ? 'y' : 'x');
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date_line, sizeof date_line, "X-Amz-Date: %Y%m%dT%H%M%SZ", &tm);
    char day[16];
    strftime(day, sizeof day, "%Y%m%d", &tm);
    snprintf(authz_line, sizeof authz_line,
             "Authorization: AWS4-HMAC-SHA256 Credential=backcheck/%s/us-east-1/dynamodb/"
             "aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
             "Signature=%064d",
             day, 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    worker *ws = calloc((size_t)threads, sizeof(*ws));
    if (!ws) return 1;
    double t0 = now_s();
    for (int i = 0; i < threads; i++) {
        ws[i] = (worker){.url = curl_url(), .id = i, .handles = handles, .seconds = seconds};
        if (!ws[i].url || curl_url_set(ws[i].url, CURLUPART_URL, argv[1], 0) != CURLUE_OK) {
            fprintf(stderr, "curl_put: bad URL %s\n", argv[1]);
            return 2;
        }
        pthread_create(&ws[i].thread, NULL, run, &ws[i]);
    }
    long total = 0;
    int failed = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(ws[i].thread, NULL);
        total += ws[i].done;
        failed |= ws[i].failed;
        curl_url_cleanup(ws[i].url);
    }
    double elapsed = now_s() - t0;
    printf("requests %ld seconds %.3f rate %.0f\n", total, elapsed, (double)total / elapsed);
    free(ws);
    curl_global_cleanup();
    if (failed) fprintf(stderr, "curl_put: a request failed (not HTTP 200)\n");
    return failed ? 1 : 0;
}
