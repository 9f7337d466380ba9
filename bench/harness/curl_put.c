/*
 * curl_put.c - the libcurl floor for bench/harness/drive_rate.sh: THREADS threads, each
 * with one keep-alive easy handle, send the PutItem that putitem.lua sends (a key unique
 * to the process, thread and request; unsigned) closed-loop for SECONDS and print the rate. No
 * signing, no JSON trees, no journal: what any client built on libcurl's easy interface costs
 * before it does anything of its own.
 *
 *   curl_put URL SECONDS THREADS
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct worker {
    const char *url;
    int id;
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

static void *run(void *arg)
{
    worker *w = arg;
    CURL *h = curl_easy_init();
    if (!h) {
        w->failed = 1;
        return NULL;
    }
    struct curl_slist *hs = NULL;
    hs = curl_slist_append(hs, "Content-Type: application/x-amz-json-1.0");
    hs = curl_slist_append(hs, "X-Amz-Target: DynamoDB_20120810.PutItem");
    hs = curl_slist_append(hs, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, w->url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    char pay[101];
    memset(pay, 'x', 100);
    pay[100] = '\0';
    char body[512];
    double end = now_s() + w->seconds;
    while (now_s() < end) {
        long n = w->done + 1;
        int len =
            snprintf(body, sizeof(body),
                     "{\"TableName\":\"bench\",\"Item\":{\"pk\":{\"S\":\"curl/%ld/%d/%ld\"},"
                     "\"wid\":{\"S\":\"%d.%ld\"},\"ver\":{\"N\":\"1\"},\"pay\":{\"S\":\"%s\"}},"
                     "\"ConditionExpression\":\"attribute_not_exists(#h)\","
                     "\"ExpressionAttributeNames\":{\"#h\":\"pk\"},"
                     "\"ReturnConsumedCapacity\":\"TOTAL\"}",
                     (long)getpid(), w->id, n, w->id, n, pay);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
        long status = 0;
        if (curl_easy_perform(h) != CURLE_OK ||
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != 200) {
            w->failed = 1;
            break;
        }
        w->done = n;
    }
    curl_slist_free_all(hs);
    curl_easy_cleanup(h);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: curl_put URL SECONDS THREADS\n");
        return 2;
    }
    double seconds = atof(argv[2]);
    int threads = atoi(argv[3]);
    if (seconds <= 0 || threads < 1 || threads > 256) {
        fprintf(stderr, "curl_put: SECONDS must be > 0 and THREADS 1..256\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    worker *ws = calloc((size_t)threads, sizeof(*ws));
    if (!ws) return 1;
    double t0 = now_s();
    for (int i = 0; i < threads; i++) {
        ws[i] = (worker){.url = argv[1], .id = i, .seconds = seconds};
        pthread_create(&ws[i].thread, NULL, run, &ws[i]);
    }
    long total = 0;
    int failed = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(ws[i].thread, NULL);
        total += ws[i].done;
        failed |= ws[i].failed;
    }
    double elapsed = now_s() - t0;
    printf("requests %ld seconds %.3f rate %.0f\n", total, elapsed, (double)total / elapsed);
    free(ws);
    curl_global_cleanup();
    if (failed) fprintf(stderr, "curl_put: a request failed (not HTTP 200)\n");
    return failed ? 1 : 0;
}
