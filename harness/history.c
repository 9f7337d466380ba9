/*
 * history.c - the history journal (see history.h).
 *
 * Hot path: a worker serializes its operation with snprintf into its own scratch buffer
 * and copies the bytes into its own single-producer/single-consumer byte ring. The only
 * shared state it touches is the ring's head/tail atomics; no lock is taken unless the
 * ring is full (then it wakes the journal thread and waits for space).
 *
 * Consumer side: whoever holds `drain_mu` is the ring's single consumer. That is the
 * journal thread (every HIST_DRAIN_MS, or sooner when a ring fills past half), and also
 * hist_journal_append_line, hist_journal_sync and hist_journal_close. Draining every ring
 * before writing a control line is what keeps the file in causal order: an operation
 * whose append returned before a backup event was appended is written before that event,
 * and the `end` line is always the last one.
 */
#include "harness/history.h"

#include "ddb/ddb.h"
#include "util/clock.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Ring bytes per worker: about a thousand typical op lines, so a worker never waits
 * on the journal thread unless the disk stalls for longer than a drain period. */
#define HIST_RING_BYTES (256u * 1024u)
/* The journal thread drains this often; HIST_FLUSH_MS bounds how long a line may sit
 * in the stdio buffer, this bounds how long it may sit in a ring. */
#define HIST_DRAIN_MS 20
/* The file's stdio buffer: what the journal thread writes per drain at a few ten
 * thousand ops a second, so that a drain costs a write or two rather than one per 4 KB
 * (glibc's default). HIST_FLUSH_MS still bounds how long a line may sit in it. */
#define HIST_STDIO_BYTES (64u * 1024u)
/* A producer waiting for ring space sleeps this long between checks. */
#define HIST_FULL_WAIT_NS (200 * 1000)

typedef struct hist_ring {
    /* Producer-owned. */
    char *scratch; /* serialization buffer, grown as needed */
    size_t scratch_cap;
    _Atomic uint64_t ops; /* ops appended (read by stats) */
    /* Shared: head written by the producer, tail by the consumer. Monotonic byte
     * counters; position = counter % HIST_RING_BYTES. Kept on separate cache lines. */
    _Alignas(64) _Atomic uint64_t head;
    _Alignas(64) _Atomic uint64_t tail;
    _Alignas(64) char buf[HIST_RING_BYTES];
} hist_ring;

struct hist_journal {
    FILE *f;
    char *iobuf; /* f's buffer (setvbuf with a NULL buffer ignores the size) */
    int nworkers;
    hist_ring *rings;

    pthread_mutex_t drain_mu; /* held by the single consumer of every ring and the file */
    pthread_mutex_t wake_mu;  /* guards `stop` and the wake-up condition */
    pthread_cond_t wake_cv;
    int stop;
    _Atomic int wake_requested;
    pthread_t thread;
    int thread_started;
    int io_error; /* first write error (under drain_mu) */

    int64_t last_flush_mono;
    _Atomic uint64_t bytes;
    _Atomic uint64_t other_lines;
};

const char *hist_write_kind_name(hist_write_kind k)
{
    static const char *names[] = {"put", "update", "append", "delete", "add"};
    if ((int)k < 0 || (size_t)k >= sizeof names / sizeof names[0]) return "?";
    return names[k];
}

/* Writes the decimal digits of u ending just before end; returns where they start. */
static char *digits_before(char *end, unsigned long long u)
{
    do {
        *--end = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    return end;
}

/* Writes v's decimal digits, with its sign, ending just before end. */
static char *signed_before(char *end, long long v)
{
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    char *p = digits_before(end, u);
    if (v < 0) *--p = '-';
    return p;
}

void hist_wid(int worker, uint64_t seq, char out[HIST_WID_MAX])
{
    /* "%d.%llu" without printf: one is written for every operation. Truncated as
     * snprintf would (only a negative worker with a 20-digit seq is that long). */
    char tmp[HIST_WID_MAX], *end = tmp + sizeof(tmp), *p;
    p = digits_before(end, (unsigned long long)seq);
    *--p = '.';
    p = signed_before(p, worker);
    size_t n = (size_t)(end - p);
    if (n > HIST_WID_MAX - 1) n = HIST_WID_MAX - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

void hist_key_name(const char *prefix, int worker, long n, char out[HIST_KEY_MAX])
{
    /* "%s/%d/%ld" without printf, truncated as snprintf would. */
    char tmp[48], *end = tmp + sizeof(tmp);
    char *p = signed_before(end, n);
    *--p = '/';
    p = signed_before(p, worker);
    *--p = '/';
    size_t np = strnlen(prefix, HIST_KEY_MAX - 1), ns = (size_t)(end - p);
    memcpy(out, prefix, np);
    if (ns > HIST_KEY_MAX - 1 - np) ns = HIST_KEY_MAX - 1 - np;
    memcpy(out + np, p, ns);
    out[np + ns] = '\0';
}

static const char *outcome_name(int o)
{
    switch (o) {
    case DDB_OUTCOME_OK:
        return "ok";
    case DDB_OUTCOME_FAIL:
        return "fail";
    default:
        return "info";
    }
}

/* ---- serialization (producer side) ---- */

typedef struct sbuf {
    char **buf;
    size_t *cap;
    size_t len;
    int oom;
} sbuf;

static int sbuf_reserve(sbuf *b, size_t more)
{
    if (b->oom) return -1;
    if (b->len + more + 1 <= *b->cap) return 0;
    size_t cap = *b->cap ? *b->cap : 1024;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *nb = realloc(*b->buf, cap);
    if (!nb) {
        b->oom = 1;
        return -1;
    }
    *b->buf = nb;
    *b->cap = cap;
    return 0;
}

/* Appends n bytes (not NUL-terminated: serialize_op ends the line). Inline, so that
 * the literals of a line are copied with their length known at compile time. */
static inline void sbuf_put(sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > *b->cap && sbuf_reserve(b, n) != 0) return;
    memcpy(*b->buf + b->len, s, n);
    b->len += n;
}

/* Appends a string literal (no strlen at run time). */
#define SBUF_LIT(b, lit) sbuf_put((b), "" lit, sizeof(lit) - 1)

static void sbuf_i64(sbuf *b, long long v)
{
    char tmp[24], *p = tmp + sizeof(tmp);
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--p = '-';
    sbuf_put(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* Appends s as a JSON string (quoted, escaped); NULL becomes null. */
static void sbuf_str(sbuf *b, const char *s)
{
    if (!s) {
        SBUF_LIT(b, "null");
        return;
    }
    size_t n = strlen(s);
    if (sbuf_reserve(b, n * 6 + 2) != 0) return;
    char *o = *b->buf + b->len;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c < 0x20) {
            static const char hex[] = "0123456789abcdef";
            *o++ = '\\';
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        } else {
            *o++ = (char)c;
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - *b->buf);
}

/* Capacity units as "%.10g" writes them; NaN/Inf are not JSON. The common values
 * (whole and half units below 10^9) are written directly, with the same text. */
static void sbuf_num(sbuf *b, double v)
{
    if (!isfinite(v)) v = 0;
    double twice = v * 2;
    if (v > -1e9 && v < 1e9 && twice == (double)(long long)twice) {
        long long t = (long long)twice;
        if (t % 2 == 0) {
            sbuf_i64(b, t / 2);
        } else {
            if (t < 0 && t > -2) SBUF_LIT(b, "-"); /* -0.5 */
            sbuf_i64(b, t / 2);
            SBUF_LIT(b, ".5");
        }
        return;
    }
    char tmp[40];
    int n = snprintf(tmp, sizeof(tmp), "%.10g", v);
    if (n > 0) sbuf_put(b, tmp, (size_t)n);
}

static void sbuf_cstr(sbuf *b, const char *s)
{
    sbuf_put(b, s, strlen(s));
}

/* Room for a line without tries or writes; more is reserved as they come. */
#define HIST_LINE_BASE 512

static int serialize_op(const hist_op *op, char **buf, size_t *cap, size_t *len)
{
    sbuf b = {buf, cap, 0, 0};
    sbuf_reserve(&b, HIST_LINE_BASE);
    SBUF_LIT(&b, "{\"type\":\"op\",\"w\":");
    sbuf_i64(&b, op->worker);
    SBUF_LIT(&b, ",\"s\":");
    sbuf_i64(&b, (long long)op->seq);
    SBUF_LIT(&b, ",\"wl\":");
    sbuf_str(&b, op->workload);
    SBUF_LIT(&b, ",\"wi\":");
    sbuf_i64(&b, op->wl_index);
    SBUF_LIT(&b, ",\"f\":");
    sbuf_str(&b, op->f);
    SBUF_LIT(&b, ",\"intended_ns\":");
    sbuf_i64(&b, (long long)op->intended_ns);
    SBUF_LIT(&b, ",\"invoke_ns\":");
    sbuf_i64(&b, (long long)op->invoke_ns);
    SBUF_LIT(&b, ",\"complete_ns\":");
    sbuf_i64(&b, (long long)op->complete_ns);
    SBUF_LIT(&b, ",\"mono_ns\":");
    sbuf_i64(&b, (long long)op->mono_ns);
    SBUF_LIT(&b, ",\"outcome\":\"");
    sbuf_cstr(&b, outcome_name(op->outcome));
    SBUF_LIT(&b, "\",\"err\":");
    sbuf_str(&b, op->err);
    SBUF_LIT(&b, ",\"attempts\":");
    sbuf_i64(&b, op->attempts);
    SBUF_LIT(&b, ",\"wcu\":");
    sbuf_num(&b, op->wcu);
    SBUF_LIT(&b, ",\"rcu\":");
    sbuf_num(&b, op->rcu);
    if (op->txn) SBUF_LIT(&b, ",\"txn\":true");
    if (op->resubmits > 0) {
        SBUF_LIT(&b, ",\"resubmits\":");
        sbuf_i64(&b, op->resubmits);
    }
    if (op->attempts > 1 && op->ntries > 0) {
        int nt = op->ntries < HIST_MAX_TRIES ? op->ntries : HIST_MAX_TRIES;
        SBUF_LIT(&b, ",\"tries\":[");
        for (int i = 0; i < nt; i++) {
            const hist_try *t = &op->tries[i];
            if (i) SBUF_LIT(&b, ",");
            SBUF_LIT(&b, "{\"send_ns\":");
            sbuf_i64(&b, (long long)t->send_ns);
            SBUF_LIT(&b, ",\"recv_ns\":");
            sbuf_i64(&b, (long long)t->recv_ns);
            SBUF_LIT(&b, ",\"status\":");
            sbuf_i64(&b, t->http_status);
            SBUF_LIT(&b, ",\"err\":");
            sbuf_str(&b, t->err);
            SBUF_LIT(&b, "}");
        }
        SBUF_LIT(&b, "]");
    }
    SBUF_LIT(&b, ",\"writes\":[");
    for (int i = 0; i < op->nwrites; i++) {
        const hist_write *w = &op->writes[i];
        if (i) SBUF_LIT(&b, ",");
        SBUF_LIT(&b, "{\"k\":");
        sbuf_str(&b, w->key);
        SBUF_LIT(&b, ",\"wid\":");
        sbuf_str(&b, w->wid);
        SBUF_LIT(&b, ",\"op\":\"");
        sbuf_cstr(&b, hist_write_kind_name(w->kind));
        SBUF_LIT(&b, "\"");
        if (w->ver != 0) {
            SBUF_LIT(&b, ",\"ver\":");
            sbuf_i64(&b, (long long)w->ver);
        }
        if (w->kind == HIST_ADD) {
            SBUF_LIT(&b, ",\"delta\":");
            sbuf_i64(&b, (long long)w->delta);
        }
        if (w->status >= 0) {
            SBUF_LIT(&b, ",\"st\":\"");
            sbuf_cstr(&b, outcome_name(w->status));
            SBUF_LIT(&b, "\"");
        }
        SBUF_LIT(&b, "}");
    }
    SBUF_LIT(&b, "]}\n");
    if (b.oom) return -1;
    (*buf)[b.len] = '\0';
    *len = b.len;
    return 0;
}

/* ---- consumer side (caller holds drain_mu) ---- */

static void write_bytes(hist_journal *j, const char *p, size_t n)
{
    if (n == 0) return;
    if (fwrite(p, 1, n, j->f) != n && !j->io_error) j->io_error = errno ? errno : EIO;
    atomic_fetch_add_explicit(&j->bytes, n, memory_order_relaxed);
}

static void drain_locked(hist_journal *j)
{
    for (int i = 0; i < j->nworkers; i++) {
        hist_ring *r = &j->rings[i];
        uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
        uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
        if (head == tail) continue;
        size_t pos = (size_t)(tail % HIST_RING_BYTES);
        size_t n = (size_t)(head - tail);
        size_t first = n < HIST_RING_BYTES - pos ? n : HIST_RING_BYTES - pos;
        write_bytes(j, r->buf + pos, first);
        write_bytes(j, r->buf, n - first);
        atomic_store_explicit(&r->tail, head, memory_order_release);
    }
}

static void flush_locked(hist_journal *j)
{
    if (fflush(j->f) != 0 && !j->io_error) j->io_error = errno ? errno : EIO;
    j->last_flush_mono = bc_mono_ns();
}

static void *journal_thread(void *arg)
{
    hist_journal *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->wake_mu);
        if (!j->stop && !atomic_load(&j->wake_requested)) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            int64_t ns = (int64_t)ts.tv_nsec + HIST_DRAIN_MS * BC_NS_PER_MS;
            ts.tv_sec += (time_t)(ns / BC_NS_PER_S);
            ts.tv_nsec = (long)(ns % BC_NS_PER_S);
            pthread_cond_timedwait(&j->wake_cv, &j->wake_mu, &ts);
        }
        int stop = j->stop;
        atomic_store(&j->wake_requested, 0);
        pthread_mutex_unlock(&j->wake_mu);
        if (stop) break;
        pthread_mutex_lock(&j->drain_mu);
        drain_locked(j);
        if (bc_mono_ns() - j->last_flush_mono >= (HIST_FLUSH_MS - HIST_DRAIN_MS) * BC_NS_PER_MS)
            flush_locked(j);
        pthread_mutex_unlock(&j->drain_mu);
    }
    return NULL;
}

static void wake_journal(hist_journal *j)
{
    if (atomic_exchange(&j->wake_requested, 1)) return; /* already asked */
    pthread_mutex_lock(&j->wake_mu);
    pthread_cond_signal(&j->wake_cv);
    pthread_mutex_unlock(&j->wake_mu);
}

/* ---- public API ---- */

int hist_journal_open(const char *path, int nworkers, hist_journal **out, char *err, size_t errlen)
{
    *out = NULL;
    if (nworkers < 0) {
        snprintf(err, errlen, "history: bad worker count %d", nworkers);
        return -1;
    }
    hist_journal *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, errlen, "history: out of memory");
        return -1;
    }
    if (nworkers > 0) {
        j->rings = aligned_alloc(64, sizeof(hist_ring) * (size_t)nworkers);
        if (!j->rings) {
            free(j);
            snprintf(err, errlen, "history: out of memory for %d rings", nworkers);
            return -1;
        }
        for (int i = 0; i < nworkers; i++) {
            hist_ring *r = &j->rings[i];
            r->scratch = NULL;
            r->scratch_cap = 0;
            atomic_init(&r->ops, 0);
            atomic_init(&r->head, 0);
            atomic_init(&r->tail, 0);
        }
    }
    j->nworkers = nworkers;
    j->f = fopen(path, "a");
    if (!j->f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        free(j->rings);
        free(j);
        return -1;
    }
    /* Large stdio buffer: the journal thread writes in ring-sized chunks. glibc
     * ignores the size unless it is given the buffer as well. */
    j->iobuf = malloc(HIST_STDIO_BYTES);
    setvbuf(j->f, j->iobuf, _IOFBF, j->iobuf ? HIST_STDIO_BYTES : BUFSIZ);
    pthread_mutex_init(&j->drain_mu, NULL);
    pthread_mutex_init(&j->wake_mu, NULL);
    pthread_cond_init(&j->wake_cv, NULL);
    atomic_init(&j->wake_requested, 0);
    atomic_init(&j->bytes, 0);
    atomic_init(&j->other_lines, 0);
    j->last_flush_mono = bc_mono_ns();
    if (pthread_create(&j->thread, NULL, journal_thread, j) != 0) {
        snprintf(err, errlen, "history: cannot start the journal thread");
        fclose(j->f);
        free(j->iobuf);
        free(j->rings);
        free(j);
        return -1;
    }
    j->thread_started = 1;
    *out = j;
    return 0;
}

int hist_journal_append_op(hist_journal *j, const hist_op *op)
{
    if (!j || !op || op->worker < 0 || op->worker >= j->nworkers) return -1;
    hist_ring *r = &j->rings[op->worker];
    size_t len;
    if (serialize_op(op, &r->scratch, &r->scratch_cap, &len) != 0) return -1;
    atomic_fetch_add_explicit(&r->ops, 1, memory_order_relaxed);
    if (len > HIST_RING_BYTES / 2) {
        /* A huge line (a 100-item transaction with long keys): write it directly, in
         * order after everything this worker queued before it. */
        pthread_mutex_lock(&j->drain_mu);
        drain_locked(j);
        write_bytes(j, r->scratch, len);
        pthread_mutex_unlock(&j->drain_mu);
        return 0;
    }
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    for (;;) {
        uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (HIST_RING_BYTES - (head - tail) >= len) break;
        wake_journal(j);
        bc_sleep_ns(HIST_FULL_WAIT_NS);
    }
    size_t pos = (size_t)(head % HIST_RING_BYTES);
    size_t first = len < HIST_RING_BYTES - pos ? len : HIST_RING_BYTES - pos;
    memcpy(r->buf + pos, r->scratch, first);
    memcpy(r->buf, r->scratch + first, len - first);
    atomic_store_explicit(&r->head, head + len, memory_order_release);
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (head + len - tail > HIST_RING_BYTES / 2) wake_journal(j);
    return 0;
}

int hist_journal_append_line(hist_journal *j, const cJSON *line)
{
    if (!j || !line) return -1;
    char *s = cJSON_PrintUnformatted(line);
    if (!s) return -1;
    pthread_mutex_lock(&j->drain_mu);
    drain_locked(j);
    write_bytes(j, s, strlen(s));
    write_bytes(j, "\n", 1);
    int rc = j->io_error ? -1 : 0;
    pthread_mutex_unlock(&j->drain_mu);
    atomic_fetch_add_explicit(&j->other_lines, 1, memory_order_relaxed);
    free(s);
    return rc;
}

int hist_journal_sync(hist_journal *j)
{
    if (!j) return -1;
    pthread_mutex_lock(&j->drain_mu);
    drain_locked(j);
    flush_locked(j);
    if (fsync(fileno(j->f)) != 0 && errno != EINVAL && !j->io_error) j->io_error = errno;
    int rc = j->io_error ? -1 : 0;
    pthread_mutex_unlock(&j->drain_mu);
    return rc;
}

int hist_journal_close(hist_journal *j)
{
    if (!j) return 0;
    if (j->thread_started) {
        pthread_mutex_lock(&j->wake_mu);
        j->stop = 1;
        pthread_cond_signal(&j->wake_cv);
        pthread_mutex_unlock(&j->wake_mu);
        pthread_join(j->thread, NULL);
    }
    pthread_mutex_lock(&j->drain_mu);
    drain_locked(j);
    flush_locked(j);
    if (fsync(fileno(j->f)) != 0 && errno != EINVAL && !j->io_error) j->io_error = errno;
    int rc = j->io_error ? -1 : 0;
    pthread_mutex_unlock(&j->drain_mu);
    if (fclose(j->f) != 0) rc = -1;
    free(j->iobuf);
    for (int i = 0; i < j->nworkers; i++)
        free(j->rings[i].scratch);
    free(j->rings);
    pthread_mutex_destroy(&j->drain_mu);
    pthread_mutex_destroy(&j->wake_mu);
    pthread_cond_destroy(&j->wake_cv);
    free(j);
    return rc;
}

void hist_journal_stats(const hist_journal *j, uint64_t *ops, uint64_t *bytes)
{
    uint64_t n = 0;
    if (j) {
        for (int i = 0; i < j->nworkers; i++)
            n += atomic_load_explicit(&j->rings[i].ops, memory_order_relaxed);
    }
    if (ops) *ops = n;
    if (bytes)
        *bytes = j ? atomic_load_explicit(&((hist_journal *)j)->bytes, memory_order_relaxed) : 0;
}
