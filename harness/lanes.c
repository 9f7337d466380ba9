/*
 * lanes.c - several operations in flight on one worker thread (a workload's "inflight").
 *
 * Each in-flight slot is a worker of its own - its keys, sequence, client and history
 * ring, so workload.h's conventions hold per slot - running the ordinary worker loop
 * (run_worker_loop) in a fiber: a lane. A lane's client hands each request to the
 * thread's curl multi handle and yields; the thread's event loop drives the transfers
 * and resumes the lane whose response came back, or whose sleep (pacing, a retry's
 * backoff) is over. This is wrk's shape - one thread, many connections, one wake-up for
 * whatever is ready - with the workloads unchanged: they still call, wait and journal
 * in order, each within its lane.
 *
 * Fibers of one thread never run at once, so a lane's code needs no more care than on a
 * thread of its own; what other threads read (counters, `finished`) stays atomic.
 */
#include <curl/curl.h>
#include <stdint.h>
#include <stdlib.h>

#include "harness/run_internal.h"
#include "util/clock.h"
#include "util/fiber.h"

typedef enum lane_state { LANE_RUN = 0, LANE_IO, LANE_SLEEP, LANE_DONE } lane_state;

struct run_lane {
    run_worker *rw;
    CURLM *multi; /* the thread's */
    bc_fiber *fiber;
    lane_state state;
    int64_t wake_mono; /* LANE_SLEEP: when to run again */
    CURLcode cc;       /* LANE_IO: the transfer's result, once done */
};

/* Below a millisecond, the wait for a sleeping lane polls in steps this long: the poll's
 * timeout is in whole milliseconds, and rounding up would make paced sends late. */
#define LANE_FINE_WAIT_NS (50 * 1000)
/* The longest single wait when only transfers are pending (curl shortens it to its own
 * timeouts). */
#define LANE_MAX_WAIT_MS 1000

static int lane_perform(void *ctx, void *easy)
{
    struct run_lane *l = ctx;
    curl_easy_setopt(easy, CURLOPT_PRIVATE, (void *)l);
    if (curl_multi_add_handle(l->multi, easy) != CURLM_OK) return CURLE_FAILED_INIT;
    l->state = LANE_IO;
    bc_fiber_yield();
    return l->cc;
}

void run_lane_sleep(struct run_lane *l, int64_t ns)
{
    if (ns <= 0) return;
    l->state = LANE_SLEEP;
    l->wake_mono = bc_mono_ns() + ns;
    bc_fiber_yield();
}

static void lane_sleep_cb(void *ctx, int64_t ns)
{
    run_lane_sleep(ctx, ns);
}

static void lane_main(void *arg)
{
    struct run_lane *l = arg;
    run_worker_loop(l->rw);
}

/* Hands every finished transfer back to its lane. */
static void collect_done(CURLM *multi)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        CURL *easy = m->easy_handle;
        CURLcode cc = m->data.result; /* m does not survive the removal */
        struct run_lane *l = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&l);
        curl_multi_remove_handle(multi, easy);
        if (l && l->state == LANE_IO) {
            l->cc = cc;
            l->state = LANE_RUN;
        }
    }
}

/* Runs the lanes until every one has finished: resume whoever can go on, drive the
 * transfers, then wait for the first of a response, a sleeper's time, or curl's own
 * timeouts. */
static void event_loop(CURLM *multi, struct run_lane *lanes, int n)
{
    for (;;) {
        int live = 0, io = 0;
        for (int i = 0; i < n; i++) {
            struct run_lane *l = &lanes[i];
            if (l->state == LANE_RUN && bc_fiber_resume(l->fiber) != 0) l->state = LANE_DONE;
            live += l->state != LANE_DONE;
            io += l->state == LANE_IO;
        }
        if (!live) return;
        if (io) {
            int running = 0;
            curl_multi_perform(multi, &running);
            collect_done(multi);
        }
        int64_t now = bc_mono_ns(), wake = INT64_MAX;
        int runnable = 0;
        io = 0;
        for (int i = 0; i < n; i++) {
            struct run_lane *l = &lanes[i];
            if (l->state == LANE_SLEEP && l->wake_mono <= now) l->state = LANE_RUN;
            runnable += l->state == LANE_RUN;
            io += l->state == LANE_IO;
            if (l->state == LANE_SLEEP && l->wake_mono < wake) wake = l->wake_mono;
        }
        if (runnable) continue;
        if (!io) { /* only sleepers: sleep to the first */
            bc_sleep_ns(wake - now);
            continue;
        }
        int timeout_ms = LANE_MAX_WAIT_MS;
        if (wake != INT64_MAX && (wake - now) / BC_NS_PER_MS < LANE_MAX_WAIT_MS)
            timeout_ms = (int)((wake - now) / BC_NS_PER_MS);
        int ready = 0;
        curl_multi_poll(multi, NULL, 0, timeout_ms, &ready);
        if (timeout_ms == 0 && ready == 0) {
            int64_t d = wake - bc_mono_ns();
            if (d > 0) bc_sleep_ns(d < LANE_FINE_WAIT_NS ? d : LANE_FINE_WAIT_NS);
        }
    }
}

void *run_lanes_thread(void *arg)
{
    run_worker *lead = arg;
    int n = lead->group;
    CURLM *multi = curl_multi_init();
    struct run_lane *lanes = calloc((size_t)n, sizeof *lanes);
    int ok = multi && lanes;
    for (int i = 0; ok && i < n; i++) {
        struct run_lane *l = &lanes[i];
        l->rw = &lead[i];
        l->multi = multi;
        l->fiber = bc_fiber_new(lane_main, l, 0);
        if (!l->fiber) {
            ok = 0;
            break;
        }
        ddb_driver d = {lane_perform, lane_sleep_cb, l};
        ddb_client_set_driver(l->rw->w.db, &d);
        l->rw->lane = l;
    }
    if (ok) {
        event_loop(multi, lanes, n);
    } else {
        run_fatal(lead->ctx, "cannot start the %d in-flight lanes of worker %d: out of memory", n,
                  lead->w.worker);
        for (int i = 0; i < n; i++)
            atomic_store(&lead[i].finished, 1);
    }
    for (int i = 0; lanes && i < n; i++) {
        ddb_client_set_driver(lead[i].w.db, NULL);
        lead[i].lane = NULL;
        bc_fiber_free(lanes[i].fiber);
    }
    free(lanes);
    if (multi) curl_multi_cleanup(multi);
    return NULL;
}
