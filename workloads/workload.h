/*
 * workload.h - the workload interface: one file per workload fills one wl_ops and is
 * listed in wl_registry (workloads/registry.c), the way fio registers I/O engines.
 *
 * The harness owns threads, pacing and deadlines; a workload only decides what the next
 * operation is, sends it through its worker's ddb_client and journals it. Workloads never
 * decide what is a violation: they record what they sent and what came back.
 *
 * Item conventions every workload follows (checkers rely on them, docs/formats.md):
 *   <hash key> (S)  the key, "<prefix>/<worker>/<n>", owned by exactly one worker, so a
 *                   key's write order is the owner's sequence order
 *   wid  (S)  id "W.S" of the write that produced the current value
 *   ver  (N)  version counter (register: advanced by conditional writes; others 1)
 *   pay  (S)  payload, bc_payload(seed, key, wid, len)
 *   ids  (L)  append workload: the appended write ids, in order
 *   bal  (N)  bank workload: the account balance
 *
 * Bank total: every bank worker creates spec->accounts accounts holding
 * spec->initial_balance each and only moves money between its own accounts, so the total
 * over the whole table is workers * accounts * initial_balance (wl_bank_total), the
 * "bank_total" of the meta line.
 *
 * The harness resolves a spec, calls wl_spec_prepare once (defaults, validation and the
 * key distribution's precomputed constants), then for each thread wl_worker_init followed
 * by the workload's setup, steps and teardown.
 */
#ifndef BC_WORKLOAD_H
#define BC_WORKLOAD_H
#include <stddef.h>
#include <stdint.h>

#include "ddb/ddb.h"
#include "harness/history.h"
#include "util/pcg32.h"

typedef enum wl_dist {
    WL_DIST_UNIFORM = 0,
    WL_DIST_ZIPF,
    WL_DIST_HOTSPOT,
    WL_DIST_SEQUENTIAL
} wl_dist;

/* TransactWriteItems accepts up to 100 actions ("Amazon DynamoDB supports 100 actions per
 * transaction", 2022-09). */
#define WL_TXN_MAX_ITEMS 100
/* BatchWriteItem takes at most 25 put or delete requests. */
#define WL_BATCH_MAX_ITEMS 25
/* Defaults wl_spec_prepare fills in for fields left 0. */
#define WL_DEFAULT_TXN_MIN 2
#define WL_DEFAULT_TXN_MAX 10
#define WL_DEFAULT_BATCH_ITEMS 25
#define WL_DEFAULT_ACCOUNTS 10
#define WL_DEFAULT_INITIAL_BALANCE 100
#define WL_DEFAULT_KEY_COUNT 1000
#define WL_DEFAULT_THETA 0.99
#define WL_DEFAULT_HOT_FRACTION 0.2
#define WL_DEFAULT_HOT_PROB 0.8

/* Zipfian constants (Gray et al., "Quickly generating billion-record synthetic
 * databases", SIGMOD 1994, as YCSB's ZipfianGenerator uses them) for n items. Computing
 * zeta(n) is O(n), so it is done once per spec by wl_spec_prepare, never per op. */
typedef struct wl_zipf {
    long n;
    double theta, alpha, zetan, zeta2, eta;
    int ready;
} wl_zipf;

typedef struct wl_keys {
    wl_dist dist;
    long count;          /* keys in the whole key space (split among the workers) */
    double theta;        /* zipf */
    double hot_fraction; /* hotspot: fraction of keys that are hot */
    double hot_prob;     /* hotspot: probability an op picks a hot key */
} wl_keys;

/* One resolved entry of the scenario's "workloads" list. */
typedef struct wl_spec {
    char type[32]; /* registry name */
    int index;     /* position in the list */
    int threads;
    /* Operations in flight per thread (0 counts as 1). Each in-flight slot is a worker of
     * its own (its keys, sequence, client and history ring: the conventions above hold
     * per slot); the slots of one thread share it through an event loop. A workload has
     * wl_spec_workers() = threads * inflight workers. */
    int inflight;
    double rate; /* total ops/s over all workers; 0 = closed loop */
    wl_keys keys;
    int item_bytes;       /* payload length */
    int txn_min, txn_max; /* txn: items per transaction (2..100) */
    int batch_items;      /* batch: items per BatchWriteItem (1..25) */
    int accounts;         /* bank: accounts per worker */
    int64_t initial_balance;
    double delete_after_s; /* delete: seconds after insert before the delete */
    /* Filled by wl_spec_prepare (extension; zero until then). */
    long keys_per_worker; /* max(1, keys.count / workers) */
    wl_zipf zipf;         /* keys.dist == WL_DIST_ZIPF: constants for keys_per_worker */
} wl_spec;

/* Per-thread state, owned by that thread. */
typedef struct wl_worker {
    const wl_spec *spec;
    int worker; /* global worker index (unique across workloads) */
    int local;  /* 0..wl_spec_workers()-1 within this workload */
    ddb_client *db;
    const char *table;
    const char *hash_key; /* hash key attribute name */
    uint64_t seed;        /* run seed */
    pcg32 rng;            /* stream seeded from (seed, worker) */
    uint64_t seq;         /* next sequence number; workloads take ids with wl_next_wid */
    hist_journal *journal;
    int64_t intended_ns; /* set by the runner before each step (open loop) */
    int64_t end_ns;      /* realtime end of the run (workloads may stop early) */
    void *state;         /* the workload's own */
    /* counters the runner reports */
    uint64_t ops_ok, ops_fail, ops_info;
    /* Extension, managed by workloads/common.c. */
    long seq_next;        /* sequential distribution: next key */
    wl_zipf zipf_own;     /* zipf constants when the spec was not prepared */
    int64_t call_mono_ns; /* monotonic duration of the last wl_call */
} wl_worker;

typedef struct wl_ops {
    const char *name;
    const char *help; /* one line for `backcheck scenarios --workloads` and docs */
    /* Initialise w->state; may write setup data (bank accounts). 0 ok, else -1 with err. */
    int (*setup)(wl_worker *w, char *err, size_t errlen);
    /* One operation: pick keys, send, journal. Returns 0 whatever the op's outcome;
     * -1 only for a fatal harness error (message in err), 1 when the workload is done. */
    int (*step)(wl_worker *w, char *err, size_t errlen);
    void (*teardown)(wl_worker *w);
} wl_ops;

extern const wl_ops *const wl_registry[]; /* NULL-terminated */
const wl_ops *wl_find(const char *name);

/* Shared helpers for workload files (workloads/common.c). */
/* Takes the next sequence number and formats its write id. */
uint64_t wl_next_wid(wl_worker *w, char wid[HIST_WID_MAX]);
/* Key index in [0, per-worker key count) per the spec's distribution. */
long wl_pick_key(wl_worker *w);
/* "<prefix>/<worker>/<n>" */
void wl_key_name(const wl_worker *w, const char *prefix, long n, char out[HIST_KEY_MAX]);
/* Fills op's timing/outcome/attempt fields from a ddb_result and journals it. */
int wl_journal(wl_worker *w, hist_op *op, const ddb_result *res);

/* Extensions. */
/* Fills defaults for fields left 0, validates the spec for its type and precomputes the
 * key distribution. Call once per spec before any worker starts. 0 ok, -1 with err. */
int wl_spec_prepare(wl_spec *spec, char *err, size_t errlen);
/* Zeroes w, sets its identity and seeds its PCG32 stream from (seed, worker), so the same
 * seed always gives the same sequence of intended operations. The caller then sets db,
 * table, hash_key, journal and end_ns. */
void wl_worker_init(wl_worker *w, const wl_spec *spec, int worker, int local, uint64_t seed);
/* Keys owned by one worker (spec->keys_per_worker, or computed when unprepared). */
long wl_worker_keys(const wl_worker *w);
/* ddb_call that also measures the call's monotonic duration (w->call_mono_ns), which
 * wl_journal records as mono_ns. */
ddb_err wl_call(wl_worker *w, const char *operation, const cJSON *request, ddb_result *res);
/* wl_call for a request already written as JSON text (ddb_call_json). */
ddb_err wl_call_json(wl_worker *w, const char *operation, const char *json, size_t len,
                     ddb_result *res);
/* Operations in flight per thread (a spec left at 0 has one). */
static inline int wl_spec_inflight(const wl_spec *spec)
{
    return spec->inflight > 1 ? spec->inflight : 1;
}
/* Workers of a spec: threads * inflight. */
static inline int wl_spec_workers(const wl_spec *spec)
{
    return spec->threads * wl_spec_inflight(spec);
}
/* Most workers one workload may have (each holds a client and a history ring). */
#define WL_MAX_WORKERS 1024
/* Bank workload invariant: workers * accounts * initial_balance. */
int64_t wl_bank_total(const wl_spec *spec);
/* Parses "uniform" | "zipf" | "zipfian" | "hotspot" | "sequential". 0 ok, -1 unknown. */
int wl_dist_parse(const char *name, wl_dist *out);
const char *wl_dist_name(wl_dist d);
#endif
