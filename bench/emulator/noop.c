/*
 * noop.c - the ceiling for the emulator benchmark: an HTTP endpoint that reads each POST
 * body and answers 200 "{}" with the headers a DynamoDB PutItem answer carries
 * (Content-Type, x-amz-crc32, x-amzn-RequestId), doing nothing else.
 *
 * It runs libmicrohttpd with the emulator's threading (emulator/server.c): an internal
 * epoll thread pool of 2 x cores threads, MHD_USE_TURBO, the same connection limit. So
 * the gap between it and `backcheck serve --no-auth` is the emulator's own work (JSON,
 * validation, the store), not the HTTP layer.
 *
 * Build: cc -std=c11 -O2 -D_DEFAULT_SOURCE bench/emulator/noop.c \
 *            $(pkg-config --cflags --libs libmicrohttpd) -o noop
 * Run:   noop [PORT]   (0 or nothing picks a free loopback port; prints the URL; runs
 *        until SIGINT/SIGTERM)
 */
#include <microhttpd.h>

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The emulator's settings, copied so that only the work per request differs. */
#define NOOP_CONN_LIMIT 1000
#define NOOP_CONN_TIMEOUT_S 30

static const char noop_body[] = "{}";
/* CRC-32 (IEEE) of "{}", as the emulator would send it. */
static const char noop_crc[] = "2745614147";

/* Per-connection marker so that the first call (headers only) is told from the last. */
static int noop_seen;

static enum MHD_Result noop_answer(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **con_cls)
{
    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)upload_data;
    if (!*con_cls) {
        *con_cls = &noop_seen;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0; /* read and dropped */
        return MHD_YES;
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        sizeof noop_body - 1, (void *)noop_body, MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "application/x-amz-json-1.0");
    MHD_add_response_header(resp, "x-amz-crc32", noop_crc);
    MHD_add_response_header(resp, "x-amzn-RequestId",
                            "NOOP0000000000000000000000000000000000000000000000000");
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}

int main(int argc, char **argv)
{
    long port = 0;
    if (argc > 1) {
        char *end;
        errno = 0;
        port = strtol(argv[1], &end, 10);
        if (errno || *end || port < 0 || port > 65535) {
            fprintf(stderr, "usage: noop [PORT]\n");
            return 2;
        }
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = (unsigned)(cores > 0 ? 2 * cores : 4);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d =
        MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO | MHD_USE_ERROR_LOG,
                         (uint16_t)port, NULL, NULL, noop_answer, NULL, MHD_OPTION_SOCK_ADDR,
                         (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, threads,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)NOOP_CONN_TIMEOUT_S,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)NOOP_CONN_LIMIT, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "noop: cannot listen on 127.0.0.1:%ld\n", port);
        return 1;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("noop listening on http://127.0.0.1:%u (%u threads)\n", di ? di->port : (unsigned)port,
           threads);
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    return 0;
}
