/* test_proxy.c - the network fault proxy: intact relaying, latency, bandwidth, resets,
 * black holes, partitions by group port, upstream failures, HTTP, and stop with live
 * connections. Everything runs on 127.0.0.1 against a small echo (or HTTP) server
 * thread. Timings are asserted only as lower bounds; every blocking call has a timeout
 * and alarm() bounds the whole file, so a broken proxy fails instead of hanging. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness/proxy.h"
#include "util/clock.h"
#include "util/pcg32.h"

#define SRV_MAX_CONNS 128
#define CLIENT_GUARD_MS 10000  /* no client call may block longer than this */
#define SILENCE_MS 300         /* how long a black-holed client waits for nothing */
#define TRANSFER_DEADLINE_S 30 /* a whole echo transfer, even under sanitizers */
#define FILE_ALARM_S 300       /* the whole file */

/* ---- upstream: echo or tiny HTTP responder, one thread per connection ---- */

typedef enum { SRV_ECHO, SRV_HTTP } srv_mode;

typedef struct test_server {
    int lfd, port;
    srv_mode mode;
    pthread_t acceptor;
    atomic_int stop;
    atomic_int accepted;
    pthread_mutex_t mu; /* guards n, fds, thr */
    int n;
    int fds[SRV_MAX_CONNS];
    pthread_t thr[SRV_MAX_CONNS];
} test_server;

typedef struct srv_conn {
    test_server *s;
    int fd;
} srv_conn;

static int send_all(int fd, const void *buf, size_t len)
{
    const char *b = buf;
    while (len > 0) {
        ssize_t w = send(fd, b, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        b += w;
        len -= (size_t)w;
    }
    return 0;
}

static void *srv_conn_main(void *arg)
{
    srv_conn *sc = arg;
    int fd = sc->fd;
    srv_mode mode = sc->s->mode;
    free(sc);
    char buf[65536];
    if (mode == SRV_ECHO) {
        for (;;) {
            ssize_t r = recv(fd, buf, sizeof buf, 0);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0 || send_all(fd, buf, (size_t)r) < 0) break;
        }
        shutdown(fd, SHUT_WR);
        return NULL;
    }
    size_t got = 0;
    while (got < sizeof buf - 1) {
        ssize_t r = recv(fd, buf + got, sizeof buf - 1 - got, 0);
        if (r <= 0) return NULL;
        got += (size_t)r;
        buf[got] = 0;
        if (strstr(buf, "\r\n\r\n")) break;
    }
    static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                               "Content-Length: 5\r\nConnection: close\r\n\r\nhello";
    send_all(fd, resp, sizeof resp - 1);
    shutdown(fd, SHUT_WR);
    while (recv(fd, buf, sizeof buf, 0) > 0) {
    }
    return NULL;
}

static void *srv_accept_main(void *arg)
{
    test_server *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd pfd = {.fd = s->lfd, .events = POLLIN};
        if (poll(&pfd, 1, 20) <= 0) continue;
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0) continue;
        atomic_fetch_add(&s->accepted, 1);
        srv_conn *sc = malloc(sizeof *sc);
        pthread_mutex_lock(&s->mu);
        if (!sc || s->n == SRV_MAX_CONNS) {
            pthread_mutex_unlock(&s->mu);
            free(sc);
            close(fd);
            continue;
        }
        sc->s = s;
        sc->fd = fd;
        s->fds[s->n] = fd;
        if (pthread_create(&s->thr[s->n], NULL, srv_conn_main, sc) == 0)
            s->n++;
        else {
            free(sc);
            close(fd);
        }
        pthread_mutex_unlock(&s->mu);
    }
    return NULL;
}

static int listen_any(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 128) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) < 0)
        return -1;
    *port = ntohs(a.sin_port);
    return fd;
}

static void server_start(test_server *s, srv_mode mode)
{
    memset(s, 0, sizeof *s);
    s->mode = mode;
    pthread_mutex_init(&s->mu, NULL);
    s->lfd = listen_any(&s->port);
    assert_true(s->lfd >= 0);
    assert_int_equal(pthread_create(&s->acceptor, NULL, srv_accept_main, s), 0);
}

static void server_stop(test_server *s)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->acceptor, NULL);
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->n; i++)
        shutdown(s->fds[i], SHUT_RDWR);
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < s->n; i++) {
        pthread_join(s->thr[i], NULL);
        close(s->fds[i]);
    }
    close(s->lfd);
    pthread_mutex_destroy(&s->mu);
}

/* ---- client helpers ---- */

static void set_rcvtimeo(int fd, int ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

static int client_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    set_rcvtimeo(fd, CLIENT_GUARD_MS);
    struct timeval tv = {.tv_sec = CLIENT_GUARD_MS / 1000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
}

/* Reads exactly len bytes; returns len, or what recv returned on failure. */
static ssize_t recv_exact(int fd, char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = recv(fd, buf + got, len - got, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return r;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* Sends msg and expects the same bytes back. */
static void expect_echo(int fd, const char *msg)
{
    char buf[256];
    size_t n = strlen(msg);
    assert_true(n < sizeof buf);
    assert_int_equal(send_all(fd, msg, n), 0);
    assert_int_equal(recv_exact(fd, buf, n), (ssize_t)n);
    assert_memory_equal(buf, msg, n);
}

/* Sends msg and expects nothing back within SILENCE_MS (a timeout, not EOF or reset). */
static void expect_silence(int fd, const char *msg)
{
    char buf[256];
    assert_int_equal(send_all(fd, msg, strlen(msg)), 0);
    set_rcvtimeo(fd, SILENCE_MS);
    errno = 0;
    ssize_t r = recv(fd, buf, sizeof buf, 0);
    int e = errno;
    assert_int_equal(r, -1);
    assert_true(e == EAGAIN || e == EWOULDBLOCK);
    set_rcvtimeo(fd, CLIENT_GUARD_MS);
}

/* Expects the connection to end (EOF or RST) rather than time out. */
static void expect_closed(int fd)
{
    char buf[256];
    errno = 0;
    ssize_t r;
    do
        r = recv(fd, buf, sizeof buf, 0);
    while (r > 0);
    int e = errno;
    assert_true(r == 0 || (r < 0 && (e == ECONNRESET || e == EPIPE)));
}

/* Streams size pseudo-random bytes through port while reading the echo, half-closes,
 * and checks every byte came back, in order, followed by EOF. Returns 0 and the elapsed
 * ns, or -1 after printing why. Safe to call from any thread (it never asserts). */
static int echo_transfer(int port, size_t size, uint64_t seed, int64_t *elapsed)
{
    int rc = -1;
    unsigned char *out = malloc(size), *in = malloc(size + 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int64_t t0 = bc_mono_ns(), deadline = t0 + TRANSFER_DEADLINE_S * BC_NS_PER_S;
    if (!out || !in || fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        print_error("echo_transfer: setup failed: %s\n", strerror(errno));
        goto done;
    }
    pcg32 rng;
    pcg32_seed(&rng, seed, 7);
    for (size_t i = 0; i < size; i++)
        out[i] = (unsigned char)pcg32_next(&rng);
    size_t sent = 0, got = 0;
    int shut = 0;
    for (;;) {
        if (bc_mono_ns() > deadline) {
            print_error("echo_transfer: deadline: sent %zu, got %zu of %zu\n", sent, got, size);
            goto done;
        }
        if (sent == size && !shut) {
            shutdown(fd, SHUT_WR);
            shut = 1;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLIN | (shut ? 0 : POLLOUT)};
        if (poll(&pfd, 1, 100) <= 0) continue;
        if (pfd.revents & POLLOUT) {
            size_t n = size - sent > 65536 ? 65536 : size - sent;
            ssize_t w = send(fd, out + sent, n, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (w > 0) sent += (size_t)w;
        }
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            size_t room = size + 1 - got; /* one spare byte to notice extra data */
            ssize_t r = recv(fd, in + got, room > 65536 ? 65536 : room, MSG_DONTWAIT);
            if (r == 0) break;
            if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                print_error("echo_transfer: recv: %s\n", strerror(errno));
                goto done;
            }
            if (r > 0) got += (size_t)r;
            if (got > size) {
                print_error("echo_transfer: more bytes came back than were sent\n");
                goto done;
            }
        }
    }
    *elapsed = bc_mono_ns() - t0;
    if (got != size || memcmp(in, out, size) != 0) {
        print_error("echo_transfer: got %zu of %zu bytes, or different bytes\n", got, size);
        goto done;
    }
    rc = 0;
done:
    if (fd >= 0) close(fd);
    free(out);
    free(in);
    return rc;
}

/* ---- fixtures ---- */

typedef struct fixture {
    test_server srv;
    bc_proxy *proxy;
} fixture;

static int setup_mode(void **state, srv_mode mode)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    server_start(&f->srv, mode);
    char err[256] = "";
    int rc = bc_proxy_start("127.0.0.1", f->srv.port, 42, &f->proxy, err, sizeof err);
    if (rc != BC_PROXY_OK) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, BC_PROXY_OK);
    assert_true(bc_proxy_port(f->proxy) > 0);
    *state = f;
    return 0;
}

static int setup_echo(void **state)
{
    return setup_mode(state, SRV_ECHO);
}

static int setup_http(void **state)
{
    return setup_mode(state, SRV_HTTP);
}

static int teardown(void **state)
{
    fixture *f = *state;
    bc_proxy_stop(f->proxy);
    server_stop(&f->srv);
    free(f);
    return 0;
}

/* ---- tests ---- */

#define CONCURRENT_CLIENTS 4
#define MB (1024 * 1024)

typedef struct xfer_arg {
    int port;
    uint64_t seed;
    int rc;
} xfer_arg;

static void *xfer_main(void *arg)
{
    xfer_arg *a = arg;
    int64_t elapsed;
    a->rc = echo_transfer(a->port, MB, a->seed, &elapsed);
    return NULL;
}

static void test_relays_1mb_intact_on_concurrent_connections(void **state)
{
    fixture *f = *state;
    pthread_t t[CONCURRENT_CLIENTS];
    xfer_arg a[CONCURRENT_CLIENTS];
    for (int i = 0; i < CONCURRENT_CLIENTS; i++) {
        a[i] = (xfer_arg){.port = bc_proxy_port(f->proxy), .seed = 100u + (uint64_t)i};
        assert_int_equal(pthread_create(&t[i], NULL, xfer_main, &a[i]), 0);
    }
    for (int i = 0; i < CONCURRENT_CLIENTS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < CONCURRENT_CLIENTS; i++)
        assert_int_equal(a[i].rc, 0);
    uint64_t conns, up, down, resets;
    bc_proxy_stats(f->proxy, &conns, &up, &down, &resets);
    assert_int_equal(conns, CONCURRENT_CLIENTS);
    assert_int_equal(up, (uint64_t)CONCURRENT_CLIENTS * MB);
    assert_int_equal(down, (uint64_t)CONCURRENT_CLIENTS * MB);
    assert_int_equal(resets, 0);
}

static void test_latency_delays_each_direction(void **state)
{
    fixture *f = *state;
    bc_proxy_faults fl;
    bc_proxy_faults_none(&fl);
    fl.latency_ms = 100;
    fl.jitter_ms = 20;
    bc_proxy_set_faults(f->proxy, &fl);
    int fd = client_connect(bc_proxy_port(f->proxy));
    for (int i = 0; i < 3; i++) {
        int64_t t0 = bc_mono_ns();
        expect_echo(fd, "ping");
        /* the request waits >= 100 ms on its way up, the echo >= 100 ms on its way down */
        assert_true(bc_mono_ns() - t0 >= 200 * BC_NS_PER_MS);
    }
    close(fd);
}

static void test_latency_applies_to_a_live_connection(void **state)
{
    fixture *f = *state;
    int fd = client_connect(bc_proxy_port(f->proxy));
    expect_echo(fd, "before");
    bc_proxy_faults fl;
    bc_proxy_faults_none(&fl);
    fl.latency_ms = 150;
    bc_proxy_set_faults(f->proxy, &fl);
    int64_t t0 = bc_mono_ns();
    expect_echo(fd, "after");
    assert_true(bc_mono_ns() - t0 >= 300 * BC_NS_PER_MS);
    close(fd);
}

static void test_jitter_never_reorders_bytes(void **state)
{
    fixture *f = *state;
    bc_proxy_faults fl;
    bc_proxy_faults_none(&fl);
    fl.latency_ms = 1;
    fl.jitter_ms = 40; /* much larger than the gap between chunks: would reorder them */
    bc_proxy_set_faults(f->proxy, &fl);
    int64_t elapsed = 0;
    assert_int_equal(echo_transfer(bc_proxy_port(f->proxy), 256 * 1024, 5, &elapsed), 0);
}

static void test_bandwidth_limit_bounds_transfer_time(void **state)
{
    fixture *f = *state;
    const long bps = 256 * 1024;
    const size_t size = 128 * 1024;
    bc_proxy_faults fl;
    bc_proxy_faults_none(&fl);
    fl.bandwidth_bps = bps;
    bc_proxy_set_faults(f->proxy, &fl);
    int64_t elapsed = 0;
    assert_int_equal(echo_transfer(bc_proxy_port(f->proxy), size, 9, &elapsed), 0);
    assert_true(elapsed >= (int64_t)size * BC_NS_PER_S / bps);
}

static void test_reset_fraction_one_resets_new_connections(void **state)
{
    fixture *f = *state;
    bc_proxy_faults fl;
    bc_proxy_faults_none(&fl);
    fl.reset_fraction = 1.0;
    bc_proxy_set_faults(f->proxy, &fl);
    for (int i = 0; i < 3; i++) {
        int fd = client_connect(bc_proxy_port(f->proxy));
        send(fd, "x", 1, MSG_NOSIGNAL); /* may already fail: the RST can beat it */
        expect_closed(fd);
        close(fd);
    }
    uint64_t resets;
    bc_proxy_stats(f->proxy, NULL, NULL, NULL, &resets);
    assert_int_equal(resets, 3);
    /* reset at accept: the upstream never saw a connection */
    assert_int_equal(atomic_load(&f->srv.accepted), 0);
}

static void test_reset_fraction_resets_live_connection(void **state)
{
    fixture *f = *state;
    int fd = client_connect(bc_proxy_port(f->proxy));
    expect_echo(fd, "hello");
    bc_proxy_faults fl;
    bc_proxy_faults_none(&fl);
    fl.reset_fraction = 1.0;
    bc_proxy_set_faults(f->proxy, &fl);
    assert_int_equal(send_all(fd, "next request", 12), 0);
    expect_closed(fd);
    close(fd);
    uint64_t resets;
    bc_proxy_stats(f->proxy, NULL, NULL, NULL, &resets);
    assert_int_equal(resets, 1);
}

static void test_reset_fraction_half_resets_some_not_all(void **state)
{
    fixture *f = *state;
    bc_proxy_faults fl;
    bc_proxy_faults_none(&fl);
    fl.reset_fraction = 0.5;
    bc_proxy_set_faults(f->proxy, &fl);
    int ok = 0;
    const int tries = 40;
    for (int i = 0; i < tries; i++) {
        int fd = client_connect(bc_proxy_port(f->proxy));
        char buf[4];
        if (send_all(fd, "ping", 4) == 0 && recv_exact(fd, buf, 4) == 4) ok++;
        close(fd);
    }
    uint64_t resets;
    bc_proxy_stats(f->proxy, NULL, NULL, NULL, &resets);
    assert_true(ok > 0);
    assert_true(ok < tries);
    assert_int_equal(resets, (uint64_t)(tries - ok));
}

static void test_blackhole_silences_then_clearing_restores(void **state)
{
    fixture *f = *state;
    int live = client_connect(bc_proxy_port(f->proxy));
    expect_echo(live, "before");
    bc_proxy_faults fl;
    bc_proxy_faults_none(&fl);
    fl.blackhole = 1;
    bc_proxy_set_faults(f->proxy, &fl);
    /* new connections are accepted but never answered ... */
    int fresh = client_connect(bc_proxy_port(f->proxy));
    expect_silence(fresh, "ping");
    /* ... and live ones go silent at once */
    expect_silence(live, "lost");
    bc_proxy_clear_faults(f->proxy);
    int after = client_connect(bc_proxy_port(f->proxy));
    expect_echo(after, "works again");
    /* live connections forward new data again; what was sent into the hole is gone */
    expect_echo(live, "resumed");
    expect_echo(fresh, "resumed too");
    close(live);
    close(fresh);
    close(after);
}

static void test_partition_group_blackholes_only_its_port(void **state)
{
    fixture *f = *state;
    char err[256] = "";
    int g1 = 0, g1again = 0, g2 = 0;
    assert_int_equal(bc_proxy_group_port(f->proxy, 1, &g1, err, sizeof err), BC_PROXY_OK);
    assert_int_equal(bc_proxy_group_port(f->proxy, 1, &g1again, err, sizeof err), BC_PROXY_OK);
    assert_int_equal(bc_proxy_group_port(f->proxy, 2, &g2, err, sizeof err), BC_PROXY_OK);
    assert_int_equal(g1, g1again);
    assert_int_not_equal(g1, g2);
    assert_int_not_equal(g1, bc_proxy_port(f->proxy));
    assert_int_equal(bc_proxy_group_port(f->proxy, -1, &g2, err, sizeof err), BC_PROXY_EINVAL);

    int c1 = client_connect(g1);
    expect_echo(c1, "group 1 before");
    bc_proxy_faults fl;
    bc_proxy_faults_none(&fl);
    fl.partition_group = 1;
    bc_proxy_set_faults(f->proxy, &fl);
    expect_silence(c1, "cut off");
    int c1new = client_connect(g1);
    expect_silence(c1new, "cut off too");
    int cmain = client_connect(bc_proxy_port(f->proxy));
    expect_echo(cmain, "main port works");
    int c2 = client_connect(g2);
    expect_echo(c2, "group 2 works");
    bc_proxy_clear_faults(f->proxy);
    expect_echo(c1, "healed");
    close(c1);
    close(c1new);
    close(cmain);
    close(c2);
}

static int count_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static void test_upstream_refused_closes_client(void **state)
{
    (void)state;
    int fds_before = count_open_fds();
    int port;
    int fd = listen_any(&port); /* a port that was free a moment ago, now closed */
    assert_true(fd >= 0);
    close(fd);
    bc_proxy *p = NULL;
    char err[256] = "";
    assert_int_equal(bc_proxy_start("127.0.0.1", port, 1, &p, err, sizeof err), BC_PROXY_OK);
    int c = client_connect(bc_proxy_port(p));
    send(c, "x", 1, MSG_NOSIGNAL);
    expect_closed(c);
    close(c);
    bc_proxy_stop(p);
    assert_int_equal(count_open_fds(), fds_before); /* listener, epoll, eventfd, sockets */
}

static void test_start_rejects_bad_arguments(void **state)
{
    (void)state;
    bc_proxy *p = (bc_proxy *)&p;
    char err[256] = "";
    assert_int_equal(bc_proxy_start("127.0.0.1", 0, 1, &p, err, sizeof err), BC_PROXY_EINVAL);
    assert_null(p);
    assert_true(strlen(err) > 0);
    assert_int_equal(bc_proxy_start("127.0.0.1", 70000, 1, &p, err, sizeof err), BC_PROXY_EINVAL);
    assert_int_equal(bc_proxy_start("", 80, 1, &p, err, sizeof err), BC_PROXY_EINVAL);
    bc_proxy_stop(NULL); /* a no-op, like free(NULL) */
}

static void test_http_request_through_proxy(void **state)
{
    fixture *f = *state;
    bc_proxy_faults fl;
    bc_proxy_faults_none(&fl);
    fl.latency_ms = 20;
    bc_proxy_set_faults(f->proxy, &fl);
    int fd = client_connect(bc_proxy_port(f->proxy));
    static const char req[] = "GET / HTTP/1.1\r\nHost: dynamodb.us-east-1.amazonaws.com\r\n"
                              "Connection: close\r\n\r\n";
    assert_int_equal(send_all(fd, req, sizeof req - 1), 0);
    char buf[1024];
    size_t got = 0;
    for (;;) {
        ssize_t r = recv(fd, buf + got, sizeof buf - 1 - got, 0);
        assert_true(r >= 0);
        if (r == 0) break;
        got += (size_t)r;
    }
    buf[got] = 0;
    close(fd);
    assert_true(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_non_null(strstr(buf, "\r\n\r\nhello"));
    assert_int_equal(strlen(strstr(buf, "\r\n\r\n") + 4), 5);
}

static void test_stop_with_live_connections(void **state)
{
    fixture *f = *state;
    char err[256] = "";
    int gport;
    assert_int_equal(bc_proxy_group_port(f->proxy, 0, &gport, err, sizeof err), BC_PROXY_OK);
    int idle = client_connect(bc_proxy_port(f->proxy));
    expect_echo(idle, "idle");
    bc_proxy_faults fl;
    bc_proxy_faults_none(&fl);
    fl.latency_ms = 5000; /* data queued inside the proxy when it stops */
    fl.partition_group = 0;
    bc_proxy_set_faults(f->proxy, &fl);
    int busy = client_connect(bc_proxy_port(f->proxy));
    char blob[64 * 1024];
    memset(blob, 'z', sizeof blob);
    assert_int_equal(send_all(busy, blob, sizeof blob), 0);
    int cut = client_connect(gport);
    assert_int_equal(send_all(cut, "into the hole", 13), 0);
    bc_proxy_stop(f->proxy);
    f->proxy = NULL;
    /* every client learns its connection ended instead of waiting forever */
    expect_closed(idle);
    expect_closed(busy);
    expect_closed(cut);
    close(idle);
    close(busy);
    close(cut);
}

int main(void)
{
    alarm(FILE_ALARM_S);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_relays_1mb_intact_on_concurrent_connections,
                                        setup_echo, teardown),
        cmocka_unit_test_setup_teardown(test_latency_delays_each_direction, setup_echo, teardown),
        cmocka_unit_test_setup_teardown(test_latency_applies_to_a_live_connection, setup_echo,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_jitter_never_reorders_bytes, setup_echo, teardown),
        cmocka_unit_test_setup_teardown(test_bandwidth_limit_bounds_transfer_time, setup_echo,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reset_fraction_one_resets_new_connections, setup_echo,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reset_fraction_resets_live_connection, setup_echo,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reset_fraction_half_resets_some_not_all, setup_echo,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_blackhole_silences_then_clearing_restores, setup_echo,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_partition_group_blackholes_only_its_port, setup_echo,
                                        teardown),
        cmocka_unit_test(test_upstream_refused_closes_client),
        cmocka_unit_test(test_start_rejects_bad_arguments),
        cmocka_unit_test_setup_teardown(test_http_request_through_proxy, setup_http, teardown),
        cmocka_unit_test_setup_teardown(test_stop_with_live_connections, setup_echo, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
