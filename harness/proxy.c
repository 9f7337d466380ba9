/*
 * proxy.c - the network fault proxy (see proxy.h).
 *
 * One thread runs an epoll loop over the listeners, a wake-up eventfd and two
 * non-blocking sockets per relayed connection. A connection has two directions (up:
 * client -> upstream, down: upstream -> client). A direction is a FIFO of chunks, each
 * one socket read stamped with the monotonic time it may leave (read time + latency +
 * jitter). Only the head may leave, so a chunk drawn a long jitter holds back those
 * behind it, as a delayed segment does on a TCP stream. A direction whose head chunk is not
 * due yet, or whose token bucket is short of bytes, sits in a min-heap keyed by the time
 * it can next make progress, and the loop sleeps in epoll_wait until the earliest of
 * those times: no sleep per chunk, no thread per connection.
 *
 * Threads: every connection belongs to the loop thread, so the data path takes no lock.
 * Other threads touch only (a) the fault settings, behind `lock` plus a generation
 * counter that the loop reads with one atomic load per wake-up and copies when it moved,
 * (b) the list of listeners (behind `lock`; the loop registers new ones when woken), and
 * (c) the statistics, which are atomics.
 */
#include "harness/proxy.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/pcg32.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* Largest single read; a chunk is what one read returned, so latency applies per read. */
#define PROXY_CHUNK_MAX 65536
/* Bytes queued per direction before the proxy stops reading from the sender. This is
 * the relay's window: with latency L a connection moves at most this much per L. */
#define PROXY_QUEUE_MAX (512 * 1024)
/* The token bucket holds 1/PROXY_BURST_DIV of a second of traffic (20 ms) ... */
#define PROXY_BURST_DIV 50
/* ... but at least one Ethernet TCP segment, so slow links still send whole segments. */
#define PROXY_BURST_MIN 1460
#define PROXY_EVENTS 64
/* Seeds the reset/jitter generator's stream, so it differs from the workers' streams
 * even when the harness passes the run seed. ("proxy" in ASCII.) */
#define PROXY_RNG_STREAM 0x70726f7879ULL

enum ep_kind { EP_WAKE, EP_LISTENER, EP_CLIENT, EP_UPSTREAM };
enum close_how { CLOSE_FIN, CLOSE_RESET };

struct proxy_conn;

/* Anything registered with epoll; epoll_event.data.ptr points at one of these. */
typedef struct proxy_ep {
    enum ep_kind kind;
    int fd;
    uint32_t registered; /* events registered with epoll; 0 = not registered */
    struct proxy_conn *conn;
} proxy_ep;

typedef struct proxy_listener {
    proxy_ep ep; /* first member: the epoll pointer is also the listener's */
    int group;   /* BC_PROXY_NO_GROUP for the main port */
    int port;
    struct proxy_listener *next;
} proxy_listener;

typedef struct proxy_chunk {
    struct proxy_chunk *next;
    int64_t due_ns; /* CLOCK_MONOTONIC time before which no byte of it may leave */
    size_t len;
    unsigned char data[];
} proxy_chunk;

typedef struct proxy_dir {
    struct proxy_conn *conn;
    proxy_ep *src, *dst;
    int is_up;
    proxy_chunk *head, *tail;
    size_t head_off; /* bytes of head already sent */
    size_t queued;   /* bytes not yet sent, over all chunks */
    int eof_read;    /* src sent FIN */
    int shut_sent;   /* that FIN was passed on to dst */
    int blocked;     /* dst said EAGAIN: waiting for EPOLLOUT */
    long rate;       /* bucket rate in force, bytes/s; 0 = unlimited */
    double tokens;
    int64_t bucket_ns; /* when tokens were last refilled */
    int64_t wake_ns;
    int heap_idx; /* index in the timer heap, -1 when absent */
} proxy_dir;

typedef struct proxy_conn {
    proxy_ep client, upstream;
    proxy_dir up, down;
    int group;
    int connecting; /* upstream connect() still in progress */
    int dead;       /* closed; freed after the current batch of events */
    struct proxy_conn *prev, *next;
} proxy_conn;

struct bc_proxy {
    /* Immutable once the loop runs. */
    struct sockaddr_storage up_addr;
    socklen_t up_addrlen;
    int port;
    int epfd;
    proxy_ep wake;
    pthread_t thread;
    int thread_started;

    /* Shared with callers. */
    pthread_mutex_t lock; /* guards faults_shared and listeners */
    bc_proxy_faults faults_shared;
    proxy_listener *listeners; /* every listener; the loop registers new ones */
    atomic_uint faults_gen;    /* bumped (under lock) by every set_faults */
    atomic_int stopping;
    atomic_uint_fast64_t n_conns, n_bytes_up, n_bytes_down, n_resets;

    /* Loop thread only. */
    bc_proxy_faults faults; /* the loop's copy of faults_shared */
    unsigned faults_seen;
    pcg32 rng;
    proxy_conn *conns;
    proxy_conn *zombies;
    proxy_dir **heap;
    int heap_n, heap_cap;
    unsigned char rbuf[PROXY_CHUNK_MAX];
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void wake_loop(bc_proxy *p)
{
    uint64_t one = 1;
    ssize_t r = write(p->wake.fd, &one, sizeof one);
    (void)r; /* EAGAIN means the counter is already non-zero: the loop will wake anyway */
}

static int set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* Small chunks must not wait for Nagle: latency is the proxy's to add, not the kernel's. */
static void set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Closing with SO_LINGER {1, 0} makes the kernel send RST instead of FIN. */
static void close_with_reset(int fd)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

/* ---- timer heap: directions keyed by the time they can next make progress ---- */

static void heap_swap(bc_proxy *p, int i, int j)
{
    proxy_dir *t = p->heap[i];
    p->heap[i] = p->heap[j];
    p->heap[j] = t;
    p->heap[i]->heap_idx = i;
    p->heap[j]->heap_idx = j;
}

static void heap_up(bc_proxy *p, int i)
{
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (p->heap[parent]->wake_ns <= p->heap[i]->wake_ns) break;
        heap_swap(p, i, parent);
        i = parent;
    }
}

static void heap_down(bc_proxy *p, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < p->heap_n && p->heap[l]->wake_ns < p->heap[m]->wake_ns) m = l;
        if (r < p->heap_n && p->heap[r]->wake_ns < p->heap[m]->wake_ns) m = r;
        if (m == i) return;
        heap_swap(p, i, m);
        i = m;
    }
}

static void heap_del(bc_proxy *p, proxy_dir *d)
{
    int i = d->heap_idx;
    if (i < 0) return;
    d->heap_idx = -1;
    p->heap_n--;
    if (i == p->heap_n) return;
    p->heap[i] = p->heap[p->heap_n];
    p->heap[i]->heap_idx = i;
    heap_down(p, i);
    heap_up(p, i);
}

/* Returns -1 only when out of memory. */
static int heap_set(bc_proxy *p, proxy_dir *d, int64_t wake_ns)
{
    if (d->heap_idx >= 0) {
        d->wake_ns = wake_ns;
        heap_down(p, d->heap_idx);
        heap_up(p, d->heap_idx);
        return 0;
    }
    if (p->heap_n == p->heap_cap) {
        int cap = p->heap_cap ? 2 * p->heap_cap : 64;
        proxy_dir **h = realloc(p->heap, (size_t)cap * sizeof *h);
        if (!h) return -1;
        p->heap = h;
        p->heap_cap = cap;
    }
    d->wake_ns = wake_ns;
    d->heap_idx = p->heap_n;
    p->heap[p->heap_n++] = d;
    heap_up(p, d->heap_idx);
    return 0;
}

/* ---- connections ---- */

static int conn_blackholed(const bc_proxy *p, const proxy_conn *c)
{
    return p->faults.blackhole ||
           (c->group != BC_PROXY_NO_GROUP && c->group == p->faults.partition_group);
}

static void dir_drop_queue(bc_proxy *p, proxy_dir *d)
{
    while (d->head) {
        proxy_chunk *ch = d->head;
        d->head = ch->next;
        free(ch);
    }
    d->tail = NULL;
    d->head_off = 0;
    d->queued = 0;
    d->blocked = 0;
    heap_del(p, d);
}

static void conn_close(bc_proxy *p, proxy_conn *c, enum close_how how)
{
    if (c->dead) return;
    c->dead = 1;
    dir_drop_queue(p, &c->up);
    dir_drop_queue(p, &c->down);
    /* close() also removes the fds from the epoll set (they are never dup'ed). */
    int fds[2] = {c->client.fd, c->upstream.fd};
    for (int i = 0; i < 2; i++) {
        if (fds[i] < 0) continue;
        if (how == CLOSE_RESET)
            close_with_reset(fds[i]);
        else
            close(fds[i]);
    }
    c->client.fd = c->upstream.fd = -1;
    if (c->prev)
        c->prev->next = c->next;
    else
        p->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    /* Events for this connection may still sit later in the current epoll batch: keep
     * the memory until the batch is done. */
    c->next = p->zombies;
    c->prev = NULL;
    p->zombies = c;
}

static void ep_set(bc_proxy *p, proxy_ep *ep, uint32_t events)
{
    if (ep->fd < 0 || ep->registered == events) return;
    struct epoll_event ev = {.events = events, .data.ptr = ep};
    int op = events == 0 ? EPOLL_CTL_DEL : ep->registered == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (epoll_ctl(p->epfd, op, ep->fd, &ev) < 0) {
        bc_warn("proxy: epoll_ctl: %s", strerror(errno));
        return;
    }
    ep->registered = events;
}

static int dir_wants_read(const proxy_dir *d, int blackholed)
{
    return !d->eof_read && (blackholed || d->queued < PROXY_QUEUE_MAX);
}

/* Registers exactly the events the connection can act on. An fd with nothing to wait
 * for is removed from the set, since EPOLLHUP would otherwise be reported forever. */
static void conn_update_events(bc_proxy *p, proxy_conn *c)
{
    int bh = conn_blackholed(p, c);
    uint32_t cm = 0, um = 0;
    if (dir_wants_read(&c->up, bh)) cm |= EPOLLIN;
    if (c->down.blocked) cm |= EPOLLOUT;
    if (c->connecting) {
        um = EPOLLOUT;
    } else {
        if (dir_wants_read(&c->down, bh)) um |= EPOLLIN;
        if (c->up.blocked) um |= EPOLLOUT;
    }
    ep_set(p, &c->client, cm);
    ep_set(p, &c->upstream, um);
}

static double bucket_size(long rate)
{
    double b = (double)rate / PROXY_BURST_DIV;
    return b < PROXY_BURST_MIN ? PROXY_BURST_MIN : b;
}

static void bucket_refill(proxy_dir *d, long rate, int64_t now)
{
    if (d->rate != rate) {
        /* A new limit starts with an empty bucket, so no transfer beats bytes/rate. */
        d->rate = rate;
        d->tokens = 0;
        d->bucket_ns = now;
        return;
    }
    if (now <= d->bucket_ns) return;
    d->tokens += (double)(now - d->bucket_ns) * (double)rate / (double)BC_NS_PER_S;
    double cap = bucket_size(rate);
    if (d->tokens > cap) d->tokens = cap;
    d->bucket_ns = now;
}

/* Sends what is due and allowed; returns -1 when the connection was closed. */
static int dir_flush(bc_proxy *p, proxy_dir *d, int64_t now)
{
    long rate = p->faults.bandwidth_bps;
    if (rate <= 0) d->rate = 0;
    while (d->head) {
        proxy_chunk *ch = d->head;
        if (ch->due_ns > now) return heap_set(p, d, ch->due_ns) < 0 ? -1 : 0;
        size_t left = ch->len - d->head_off, allow = left;
        if (rate > 0) {
            bucket_refill(d, rate, now);
            double need = bucket_size(rate) < (double)left ? bucket_size(rate) : (double)left;
            if (d->tokens < need) {
                double wait = ceil((need - d->tokens) * (double)BC_NS_PER_S / (double)rate);
                return heap_set(p, d, now + (int64_t)wait + 1) < 0 ? -1 : 0;
            }
            if ((double)allow > d->tokens) allow = (size_t)d->tokens;
        }
        ssize_t w = send(d->dst->fd, ch->data + d->head_off, allow, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                d->blocked = 1;
                heap_del(p, d);
                return 0;
            }
            /* The receiver is gone: pass the abort on to the sender. */
            conn_close(p, d->conn, CLOSE_RESET);
            return -1;
        }
        atomic_fetch_add_explicit(d->is_up ? &p->n_bytes_up : &p->n_bytes_down, (uint_fast64_t)w,
                                  memory_order_relaxed);
        if (rate > 0) d->tokens -= (double)w;
        d->head_off += (size_t)w;
        d->queued -= (size_t)w;
        if (d->head_off == ch->len) {
            d->head = ch->next;
            if (!d->head) d->tail = NULL;
            d->head_off = 0;
            free(ch);
        }
    }
    d->blocked = 0;
    heap_del(p, d);
    if (d->eof_read && !d->shut_sent) {
        shutdown(d->dst->fd, SHUT_WR);
        d->shut_sent = 1;
    }
    return 0;
}

/* Brings a connection in line with the current faults: drops and discards under a
 * black hole, otherwise sends whatever is due; then closes it if both directions are
 * finished, or re-registers its events. */
static void conn_pump(bc_proxy *p, proxy_conn *c, int64_t now)
{
    if (c->dead) return;
    if (conn_blackholed(p, c)) {
        dir_drop_queue(p, &c->up);
        dir_drop_queue(p, &c->down);
        /* The client gave up (closed): nothing is left to time out, so free the
         * descriptors rather than hold them until the partition heals. */
        if (c->up.eof_read) {
            conn_close(p, c, CLOSE_FIN);
            return;
        }
    } else {
        if (!c->connecting && dir_flush(p, &c->up, now) < 0) return;
        if (dir_flush(p, &c->down, now) < 0) return;
        if (c->up.shut_sent && c->down.shut_sent) {
            conn_close(p, c, CLOSE_FIN);
            return;
        }
    }
    conn_update_events(p, c);
}

static int64_t chunk_delay_ns(bc_proxy *p)
{
    int64_t ns = (int64_t)p->faults.latency_ms * BC_NS_PER_MS;
    if (p->faults.jitter_ms > 0) {
        uint32_t us = pcg32_bounded(&p->rng, (uint32_t)p->faults.jitter_ms * 1000u + 1u);
        ns += (int64_t)us * 1000;
    }
    return ns;
}

static int roll_reset(bc_proxy *p)
{
    double f = p->faults.reset_fraction;
    return f > 0 && pcg32_double(&p->rng) < f;
}

/* Reads everything available from d->src; returns -1 when the connection was closed. */
static int dir_read(bc_proxy *p, proxy_dir *d)
{
    proxy_conn *c = d->conn;
    int bh = conn_blackholed(p, c);
    while (!d->eof_read && (bh || d->queued < PROXY_QUEUE_MAX)) {
        ssize_t r = recv(d->src->fd, p->rbuf, sizeof p->rbuf, 0);
        if (r == 0) {
            d->eof_read = 1;
            break;
        }
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            conn_close(p, c, CLOSE_RESET); /* the sender aborted: abort the other side */
            return -1;
        }
        if (bh) continue; /* black hole: read and discard */
        if (d->is_up && roll_reset(p)) {
            atomic_fetch_add_explicit(&p->n_resets, 1, memory_order_relaxed);
            conn_close(p, c, CLOSE_RESET);
            return -1;
        }
        proxy_chunk *ch = malloc(sizeof *ch + (size_t)r);
        if (!ch) {
            conn_close(p, c, CLOSE_RESET);
            return -1;
        }
        /* Stamp with the clock read now, not at the wake-up, so that the added delay is
         * never shorter than asked for. */
        ch->next = NULL;
        ch->due_ns = bc_mono_ns() + chunk_delay_ns(p);
        ch->len = (size_t)r;
        memcpy(ch->data, p->rbuf, (size_t)r);
        if (d->tail)
            d->tail->next = ch;
        else
            d->head = ch;
        d->tail = ch;
        d->queued += (size_t)r;
    }
    return 0;
}

static void conn_event(bc_proxy *p, proxy_ep *ep, uint32_t events, int64_t now)
{
    proxy_conn *c = ep->conn;
    if (ep->kind == EP_UPSTREAM && c->connecting) {
        int e = 0;
        socklen_t el = sizeof e;
        if (getsockopt(ep->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0) e = errno;
        if (e != 0) {
            bc_debug("proxy: upstream connect failed: %s", strerror(e));
            conn_close(p, c, CLOSE_FIN); /* the client sees its connection closed */
            return;
        }
        if (!(events & EPOLLOUT)) return;
        c->connecting = 0;
    } else {
        proxy_dir *rd = ep->kind == EP_CLIENT ? &c->up : &c->down; /* reads from ep */
        proxy_dir *wd = ep->kind == EP_CLIENT ? &c->down : &c->up; /* writes to ep */
        if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && (ep->registered & EPOLLIN) &&
            dir_read(p, rd) < 0)
            return;
        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) wd->blocked = 0;
    }
    conn_pump(p, c, now);
}

static void dir_init(proxy_dir *d, proxy_conn *c, proxy_ep *src, proxy_ep *dst, int is_up)
{
    d->conn = c;
    d->src = src;
    d->dst = dst;
    d->is_up = is_up;
    d->heap_idx = -1;
}

static void accept_one(bc_proxy *p, proxy_listener *l, int fd, int64_t now)
{
    atomic_fetch_add_explicit(&p->n_conns, 1, memory_order_relaxed);
    int bh = p->faults.blackhole ||
             (l->group != BC_PROXY_NO_GROUP && l->group == p->faults.partition_group);
    if (set_nonblocking(fd) < 0) {
        close(fd);
        return;
    }
    if (!bh && roll_reset(p)) {
        atomic_fetch_add_explicit(&p->n_resets, 1, memory_order_relaxed);
        close_with_reset(fd);
        return;
    }
    set_nodelay(fd);
    proxy_conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    c->client = (proxy_ep){.kind = EP_CLIENT, .fd = fd, .conn = c};
    c->upstream = (proxy_ep){.kind = EP_UPSTREAM, .fd = -1, .conn = c};
    dir_init(&c->up, c, &c->client, &c->upstream, 1);
    dir_init(&c->down, c, &c->upstream, &c->client, 0);
    c->group = l->group;
    c->next = p->conns;
    if (p->conns) p->conns->prev = c;
    p->conns = c;

    int ufd = socket(p->up_addr.ss_family, SOCK_STREAM, 0);
    if (ufd < 0 || set_nonblocking(ufd) < 0) {
        bc_warn("proxy: upstream socket: %s", strerror(errno));
        if (ufd >= 0) close(ufd);
        conn_close(p, c, CLOSE_FIN);
        return;
    }
    c->upstream.fd = ufd;
    set_nodelay(ufd);
    if (connect(ufd, (const struct sockaddr *)&p->up_addr, p->up_addrlen) < 0) {
        if (errno != EINPROGRESS) {
            bc_debug("proxy: upstream connect failed: %s", strerror(errno));
            conn_close(p, c, CLOSE_FIN);
            return;
        }
        c->connecting = 1;
    }
    conn_pump(p, c, now);
}

static void accept_all(bc_proxy *p, proxy_listener *l, int64_t now)
{
    for (;;) {
        int fd = accept(l->ep.fd, NULL, NULL);
        if (fd >= 0) {
            accept_one(p, l, fd, now);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            bc_warn("proxy: accept on port %d: %s", l->port, strerror(errno));
        return;
    }
}

static void register_listeners(bc_proxy *p)
{
    pthread_mutex_lock(&p->lock);
    for (proxy_listener *l = p->listeners; l; l = l->next)
        if (!l->ep.registered) ep_set(p, &l->ep, EPOLLIN);
    pthread_mutex_unlock(&p->lock);
}

static void refresh_faults(bc_proxy *p, int64_t now)
{
    unsigned gen = atomic_load_explicit(&p->faults_gen, memory_order_acquire);
    if (gen == p->faults_seen) return;
    pthread_mutex_lock(&p->lock);
    p->faults = p->faults_shared;
    p->faults_seen = atomic_load_explicit(&p->faults_gen, memory_order_relaxed);
    pthread_mutex_unlock(&p->lock);
    /* Faults apply to live connections at once: start or stop black holes, and let
     * held data go. */
    for (proxy_conn *c = p->conns, *next; c; c = next) {
        next = c->next;
        conn_pump(p, c, now);
    }
}

static int next_timeout_ms(const bc_proxy *p, int64_t now)
{
    if (p->heap_n == 0) return -1;
    int64_t d = p->heap[0]->wake_ns - now;
    if (d <= 0) return 0;
    int64_t ms = (d + BC_NS_PER_MS - 1) / BC_NS_PER_MS; /* round up: never wake early */
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

static void run_timers(bc_proxy *p, int64_t now)
{
    while (p->heap_n > 0 && p->heap[0]->wake_ns <= now) {
        proxy_dir *d = p->heap[0];
        heap_del(p, d);
        conn_pump(p, d->conn, now);
    }
}

static void free_zombies(bc_proxy *p)
{
    while (p->zombies) {
        proxy_conn *c = p->zombies;
        p->zombies = c->next;
        free(c);
    }
}

static void *proxy_loop(void *arg)
{
    bc_proxy *p = arg;
    struct epoll_event evs[PROXY_EVENTS];
    register_listeners(p);
    while (!atomic_load(&p->stopping)) {
        int n = epoll_wait(p->epfd, evs, PROXY_EVENTS, next_timeout_ms(p, bc_mono_ns()));
        if (n < 0) {
            if (errno == EINTR) continue;
            bc_error("proxy: epoll_wait: %s", strerror(errno));
            break;
        }
        if (atomic_load(&p->stopping)) break;
        int64_t now = bc_mono_ns();
        refresh_faults(p, now);
        for (int i = 0; i < n; i++) {
            proxy_ep *ep = evs[i].data.ptr;
            if (ep->kind == EP_WAKE) {
                uint64_t v;
                ssize_t r = read(ep->fd, &v, sizeof v);
                (void)r;
                register_listeners(p);
            } else if (ep->kind == EP_LISTENER) {
                accept_all(p, (proxy_listener *)ep, now);
            } else if (!ep->conn->dead) {
                conn_event(p, ep, evs[i].events, now);
            }
        }
        run_timers(p, bc_mono_ns());
        free_zombies(p);
    }
    return NULL;
}

/* ---- public API ---- */

void bc_proxy_faults_none(bc_proxy_faults *f)
{
    memset(f, 0, sizeof *f);
    f->partition_group = BC_PROXY_NO_GROUP;
}

static int listen_loopback(int *fd_out, int *port_out, char *err, size_t errlen)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        set_err(err, errlen, "proxy: socket: %s", strerror(errno));
        return BC_PROXY_ESOCKET;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (set_nonblocking(fd) < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        listen(fd, SOMAXCONN) < 0 || getsockname(fd, (struct sockaddr *)&a, &al) < 0) {
        set_err(err, errlen, "proxy: listening on 127.0.0.1: %s", strerror(errno));
        close(fd);
        return BC_PROXY_ESOCKET;
    }
    *fd_out = fd;
    *port_out = ntohs(a.sin_port);
    return BC_PROXY_OK;
}

/* Creates a listener and links it into p->listeners; the caller holds p->lock or the
 * loop is not running yet. */
static int add_listener(bc_proxy *p, int group, int *port, char *err, size_t errlen)
{
    proxy_listener *l = calloc(1, sizeof *l);
    if (!l) {
        set_err(err, errlen, "proxy: out of memory");
        return BC_PROXY_ENOMEM;
    }
    int rc = listen_loopback(&l->ep.fd, &l->port, err, errlen);
    if (rc != BC_PROXY_OK) {
        free(l);
        return rc;
    }
    l->ep.kind = EP_LISTENER;
    l->group = group;
    l->next = p->listeners;
    p->listeners = l;
    *port = l->port;
    return BC_PROXY_OK;
}

static void proxy_free(bc_proxy *p)
{
    while (p->conns) {
        proxy_conn *c = p->conns;
        conn_close(p, c, CLOSE_FIN); /* moves it to the zombie list */
    }
    free_zombies(p);
    while (p->listeners) {
        proxy_listener *l = p->listeners;
        p->listeners = l->next;
        close(l->ep.fd);
        free(l);
    }
    if (p->wake.fd >= 0) close(p->wake.fd);
    if (p->epfd >= 0) close(p->epfd);
    free(p->heap);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

int bc_proxy_start(const char *upstream_host, int upstream_port, uint64_t seed, bc_proxy **out,
                   char *err, size_t errlen)
{
    *out = NULL;
    if (!upstream_host || !*upstream_host || upstream_port <= 0 || upstream_port > 65535) {
        set_err(err, errlen, "proxy: bad upstream %s:%d", upstream_host ? upstream_host : "",
                upstream_port);
        return BC_PROXY_EINVAL;
    }
    bc_proxy *p = calloc(1, sizeof *p);
    if (!p) {
        set_err(err, errlen, "proxy: out of memory");
        return BC_PROXY_ENOMEM;
    }
    p->epfd = -1;
    p->wake = (proxy_ep){.kind = EP_WAKE, .fd = -1};
    pthread_mutex_init(&p->lock, NULL);
    bc_proxy_faults_none(&p->faults_shared);
    p->faults = p->faults_shared;
    pcg32_seed(&p->rng, seed, PROXY_RNG_STREAM);

    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", upstream_port);
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(upstream_host, portstr, &hints, &res);
    if (gai != 0 || !res) {
        set_err(err, errlen, "proxy: cannot resolve %s: %s", upstream_host, gai_strerror(gai));
        proxy_free(p);
        return BC_PROXY_ERESOLVE;
    }
    memcpy(&p->up_addr, res->ai_addr, res->ai_addrlen);
    p->up_addrlen = res->ai_addrlen;
    freeaddrinfo(res);

    p->epfd = epoll_create1(EPOLL_CLOEXEC);
    p->wake.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (p->epfd < 0 || p->wake.fd < 0) {
        set_err(err, errlen, "proxy: epoll/eventfd: %s", strerror(errno));
        proxy_free(p);
        return BC_PROXY_ESOCKET;
    }
    ep_set(p, &p->wake, EPOLLIN);
    int rc = add_listener(p, BC_PROXY_NO_GROUP, &p->port, err, errlen);
    if (rc != BC_PROXY_OK) {
        proxy_free(p);
        return rc;
    }
    if (pthread_create(&p->thread, NULL, proxy_loop, p) != 0) {
        set_err(err, errlen, "proxy: cannot start the event loop thread");
        proxy_free(p);
        return BC_PROXY_ETHREAD;
    }
    p->thread_started = 1;
    *out = p;
    return BC_PROXY_OK;
}

int bc_proxy_port(const bc_proxy *p)
{
    return p->port;
}

int bc_proxy_group_port(bc_proxy *p, int group, int *port, char *err, size_t errlen)
{
    if (group < 0) {
        set_err(err, errlen, "proxy: group must be >= 0, got %d", group);
        return BC_PROXY_EINVAL;
    }
    int rc = BC_PROXY_OK;
    pthread_mutex_lock(&p->lock);
    proxy_listener *l = p->listeners;
    while (l && l->group != group)
        l = l->next;
    if (l)
        *port = l->port;
    else
        rc = add_listener(p, group, port, err, errlen);
    pthread_mutex_unlock(&p->lock);
    if (rc == BC_PROXY_OK && !l) wake_loop(p);
    return rc;
}

void bc_proxy_set_faults(bc_proxy *p, const bc_proxy_faults *f)
{
    bc_proxy_faults s = *f;
    if (s.latency_ms < 0) s.latency_ms = 0;
    if (s.jitter_ms < 0) s.jitter_ms = 0;
    if (s.bandwidth_bps < 0) s.bandwidth_bps = 0;
    if (!(s.reset_fraction > 0)) s.reset_fraction = 0; /* also NaN */
    if (s.reset_fraction > 1) s.reset_fraction = 1;
    if (s.partition_group < 0) s.partition_group = BC_PROXY_NO_GROUP;
    pthread_mutex_lock(&p->lock);
    p->faults_shared = s;
    atomic_fetch_add_explicit(&p->faults_gen, 1, memory_order_release);
    pthread_mutex_unlock(&p->lock);
    wake_loop(p);
}

void bc_proxy_clear_faults(bc_proxy *p)
{
    bc_proxy_faults none;
    bc_proxy_faults_none(&none);
    bc_proxy_set_faults(p, &none);
}

void bc_proxy_get_faults(bc_proxy *p, bc_proxy_faults *f)
{
    pthread_mutex_lock(&p->lock);
    *f = p->faults_shared;
    pthread_mutex_unlock(&p->lock);
}

void bc_proxy_stats(const bc_proxy *p, uint64_t *conns, uint64_t *bytes_up, uint64_t *bytes_down,
                    uint64_t *resets)
{
    if (conns) *conns = atomic_load_explicit(&p->n_conns, memory_order_relaxed);
    if (bytes_up) *bytes_up = atomic_load_explicit(&p->n_bytes_up, memory_order_relaxed);
    if (bytes_down) *bytes_down = atomic_load_explicit(&p->n_bytes_down, memory_order_relaxed);
    if (resets) *resets = atomic_load_explicit(&p->n_resets, memory_order_relaxed);
}

void bc_proxy_stop(bc_proxy *p)
{
    if (!p) return;
    atomic_store(&p->stopping, 1);
    wake_loop(p);
    if (p->thread_started) pthread_join(p->thread, NULL);
    proxy_free(p); /* closes every connection: clients see EOF */
}
