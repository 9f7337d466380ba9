/*
 * bench_proxy.c - what the fault proxy costs when no fault is set, and how closely it
 * adds a configured latency: bulk echo throughput and small-message round-trip times,
 * direct to a loopback echo server versus through the proxy.
 *
 * Build and run (from the repository root):
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -I. bench/proxy/bench_proxy.c
 *      harness/proxy.c util/clock.c util/log.c util/pcg32.c -lpthread -lm -o /tmp/bench_proxy
 *   /tmp/bench_proxy [MB] [pings]
 */
#include "harness/proxy.h"
#include "util/clock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BENCH_IO 65536

static void *echo_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[BENCH_IO];
    ssize_t r;
    while ((r = recv(fd, buf, sizeof buf, 0)) > 0)
        for (ssize_t off = 0, w; off < r; off += w)
            if ((w = send(fd, buf + off, (size_t)(r - off), MSG_NOSIGNAL)) <= 0) goto out;
out:
    close(fd);
    return NULL;
}

static void *echo_accept(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) return NULL;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_t t;
        if (pthread_create(&t, NULL, echo_conn, (void *)(intptr_t)fd) == 0)
            pthread_detach(t);
        else
            close(fd);
    }
}

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        perror("connect");
        exit(1);
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* MB/s of a bulk echo (bytes sent one way over elapsed time). */
static double bulk_mbps(int port, size_t size)
{
    static char out[BENCH_IO], in[BENCH_IO];
    memset(out, 'b', sizeof out);
    int fd = dial(port);
    size_t sent = 0, got = 0;
    int64_t t0 = bc_mono_ns();
    while (got < size) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN | (sent < size ? POLLOUT : 0)};
        poll(&pfd, 1, 1000);
        if ((pfd.revents & POLLOUT) && sent < size) {
            size_t n = size - sent < sizeof out ? size - sent : sizeof out;
            ssize_t w = send(fd, out, n, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (w > 0) sent += (size_t)w;
        }
        if (pfd.revents & POLLIN) {
            ssize_t r = recv(fd, in, sizeof in, MSG_DONTWAIT);
            if (r == 0) break;
            if (r > 0) got += (size_t)r;
        }
    }
    double s = (double)(bc_mono_ns() - t0) / 1e9;
    close(fd);
    return (double)size / (1024.0 * 1024.0) / s;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Median and p99 round trip of a 64-byte message, in microseconds. */
static void ping_us(int port, int n, double *p50, double *p99)
{
    int64_t *rtt = malloc((size_t)n * sizeof *rtt);
    char msg[64], buf[64];
    memset(msg, 'p', sizeof msg);
    int fd = dial(port);
    for (int i = 0; i < n; i++) {
        int64_t t0 = bc_mono_ns();
        send(fd, msg, sizeof msg, MSG_NOSIGNAL);
        for (size_t got = 0; got < sizeof buf;) {
            ssize_t r = recv(fd, buf + got, sizeof buf - got, 0);
            if (r <= 0) exit(1);
            got += (size_t)r;
        }
        rtt[i] = bc_mono_ns() - t0;
    }
    close(fd);
    qsort(rtt, (size_t)n, sizeof *rtt, cmp_i64);
    *p50 = (double)rtt[n / 2] / 1e3;
    *p99 = (double)rtt[(n * 99) / 100] / 1e3;
    free(rtt);
}

int main(int argc, char **argv)
{
    size_t mb = argc > 1 ? (size_t)atoi(argv[1]) : 256;
    int pings = argc > 2 ? atoi(argv[2]) : 2000;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 64) < 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &al) < 0) {
        perror("echo server");
        return 1;
    }
    int echo_port = ntohs(a.sin_port);
    pthread_t t;
    pthread_create(&t, NULL, echo_accept, (void *)(intptr_t)lfd);
    pthread_detach(t);

    bc_proxy *p;
    char err[256];
    if (bc_proxy_start("127.0.0.1", echo_port, 1, &p, err, sizeof err) != BC_PROXY_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int pport = bc_proxy_port(p);
    double p50, p99;
    printf("bulk echo %zu MB: direct %.0f MB/s, proxy %.0f MB/s\n", mb,
           bulk_mbps(echo_port, mb << 20), bulk_mbps(pport, mb << 20));
    ping_us(echo_port, pings, &p50, &p99);
    printf("64 B round trip, %d pings: direct p50 %.1f us p99 %.1f us\n", pings, p50, p99);
    ping_us(pport, pings, &p50, &p99);
    printf("64 B round trip, %d pings: proxy  p50 %.1f us p99 %.1f us\n", pings, p50, p99);
    bc_proxy_faults f;
    bc_proxy_faults_none(&f);
    f.latency_ms = 5;
    bc_proxy_set_faults(p, &f);
    ping_us(pport, pings / 20 > 0 ? pings / 20 : 1, &p50, &p99);
    printf("64 B round trip, latency 5 ms each way: p50 %.1f us p99 %.1f us (floor 10000)\n", p50,
           p99);
    bc_proxy_stop(p);
    return 0;
}
