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
 */
#ifndef BC_WORKLOAD_H
#define BC_WORKLOAD_H
#include <stddef.h>
#include <stdint.h>

#include "ddb/ddb.h"
#include "harness/history.h"
#include "util/pcg32.h"

typedef enum wl_dist { WL_DIST_UNIFORM = 0, WL_DIST_ZIPF, WL_DIST_HOTSPOT, WL_DIST_SEQUENTIAL } wl_dist;

typedef struct wl_keys {
    wl_dist dist;
    long count;          /* keys in the whole key space (split among the threads) */
    double theta;        /* zipf */
    double hot_fraction; /* hotspot: fraction of keys that are hot */
    double hot_prob;     /* hotspot: probability an op picks a hot key */
} wl_keys;

/* One resolved entry of the scenario's "workloads" list. */
typedef struct wl_spec {
    char type[32];       /* registry name */
    int index;           /* position in the list */
    int threads;
    double rate;         /* total ops/s over all threads; 0 = closed loop */
    wl_keys keys;
    int item_bytes;      /* payload length */
    int txn_min, txn_max;/* txn: items per transaction (2..100) */
    int batch_items;     /* batch: items per BatchWriteItem (1..25) */
    int accounts;        /* bank: accounts per worker */
    int64_t initial_balance;
    double delete_after_s; /* delete: seconds after insert before the delete */
} wl_spec;

/* Per-thread state, owned by that thread. */
typedef struct wl_worker {
    const wl_spec *spec;
    int worker;          /* global worker index (unique across workloads) */
    int local;           /* 0..threads-1 within this workload */
    ddb_client *db;
    const char *table;
    const char *hash_key;/* hash key attribute name */
    uint64_t seed;       /* run seed */
    pcg32 rng;           /* stream seeded from (seed, worker) */
    uint64_t seq;        /* next sequence number; workloads take ids with wl_next_wid */
    hist_journal *journal;
    int64_t intended_ns; /* set by the runner before each step (open loop) */
    int64_t end_ns;      /* realtime end of the run (workloads may stop early) */
    void *state;         /* the workload's own */
    /* counters the runner reports */
    uint64_t ops_ok, ops_fail, ops_info;
} wl_worker;

typedef struct wl_ops {
    const char *name;
    const char *help;    /* one line for `backcheck scenarios --workloads` and docs */
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
#endif
