/*
 * run_internal.h - the run context the parts of `backcheck run` share (run.h lists the
 * files). Ownership: the main thread creates and frees everything; each worker owns its
 * run_worker; each backup thread owns its run_backup until joined; counters other
 * threads read are atomics; backups.jsonl and the fatal message sit behind out_mu.
 */
#ifndef BC_RUN_INTERNAL_H
#define BC_RUN_INTERNAL_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "ddb/ddb.h"
#include "harness/history.h"
#include "harness/run.h"
#include "harness/scenario.h"
#include "harness/target.h"
#include "workloads/workload.h"

#define RUN_PATH_MAX 1024
#define RUN_TABLE_MAX 256

typedef enum run_phase {
    PH_SETUP = 0,
    PH_WORKLOAD,
    PH_BACKUP_WAIT,
    PH_RESTORE,
    PH_SOURCE,
    PH_CLEANUP,
    PH_CHECK,
    PH_DONE
} run_phase;
const char *run_phase_name(run_phase p);

typedef struct run_worker {
    struct run_ctx *ctx;
    wl_worker w;
    const wl_ops *ops;
    pthread_t th;
    int started;
    int rc; /* 0, or -1 with msg (setup or a fatal step error) */
    char msg[256];
    /* Read by the progress and scheduler threads while the worker runs. */
    _Alignas(64) _Atomic uint64_t ops_done;
    _Atomic uint64_t errors;
    _Atomic int finished; /* the thread returned (the run's stop grace watches it) */
    int partitioned;      /* connects through the partition group's proxy port */
    /* Threads: with inflight N > 1, N consecutive workers share one thread (lanes.c). The
     * first of them owns it (group = N); the others have group 0. Alone: group 1. */
    int group;
    struct run_lane *lane; /* the worker's lane when it shares its thread, else NULL */
} run_worker;

typedef struct run_backup {
    const sc_backup *plan;
    char name[RUN_TABLE_MAX];
    char arn[512];
    int64_t request_ns, ack_ns, creation_ns, available_ns;
    long long size_bytes;
    char status[16]; /* CREATING AVAILABLE FAILED TIMEOUT (or "" when never requested) */
    char error[300];
    pthread_t th;
    int started;
    _Atomic int answered; /* CreateBackup returned (the nemesis ends a storm on it) */
} run_backup;

typedef struct run_ctx {
    const run_opts *opts;
    scenario *sc;
    uint64_t seed;
    char run_id[16];
    char dir[RUN_PATH_MAX];
    char table[RUN_TABLE_MAX];
    bc_target tg;
    hist_journal *journal;

    pthread_mutex_t out_mu; /* guards backups_f and fatal_msg */
    FILE *backups_f;
    char fatal_msg[512];
    _Atomic int fatal;       /* the run cannot go on: exit 2 */
    _Atomic int stop;        /* workers and the scheduler stop */
    _Atomic int interrupted; /* SIGINT/SIGTERM seen: waits end early too */
    _Atomic int phase;
    _Atomic int backups_requested, backups_settled;
    _Atomic int timed_backups_launched; /* at_s backups the scheduler has requested */
    _Atomic int source_deleted;         /* a delete-source fault removed the table */
    _Atomic int ready;                  /* workers whose setup finished */

    int64_t start_ns, start_mono, end_mono; /* workload start/end */
    int64_t run_start_mono;

    int nworkers;
    run_worker *workers;
    run_backup backups[SC_MAX_BACKUPS];

    /* The nemesis's view of each fault (nemesis.c): written by the nemesis thread, read
     * by the main thread only after joining it (nm_finish). */
    int nm_state[SC_MAX_FAULTS];
} run_ctx;

/* Adds an instant as a JSON integer: ns since the epoch exceed a double's 53 bits, and
 * docs/formats.md promises integers. */
void run_add_ns(cJSON *obj, const char *name, int64_t ns);
/* Sets the fatal message (first one wins) and stops the run. */
void run_fatal(run_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A client for cfg. At debug level (`run --verbose`) it logs each call it makes: every
 * one for the run's own calls (rw NULL: tables, backups, restores and their polls), and
 * for a worker's (rw) only those that were retried or did not succeed. */
ddb_client *run_client_new(const ddb_config *cfg, run_worker *rw);
/* Appends one line to backups.jsonl (flushed; fsync'd when sync). Takes ownership. */
void run_emit_backups_line(run_ctx *ctx, cJSON *line, int sync);
/* Appends a line to the history and fsyncs it (backup and fault events). Takes ownership. */
void run_emit_history_line(run_ctx *ctx, cJSON *line, int sync);
/* Total ops completed so far (all workers). */
uint64_t run_ops_done(run_ctx *ctx);
uint64_t run_errors(run_ctx *ctx);
/* Polls every `cap_s` at most; returns 1 when the run was interrupted. */
int run_sleep_poll(run_ctx *ctx, double *delay_s, double cap_s);
/* Describes an operation's failure in one line ("ResourceNotFoundException: ..."). */
void run_describe_error(const ddb_result *r, char *out, size_t n);

/* run.c: one worker's life: its setup, the wait for the common start, then paced steps
 * to the end of the workload. On its own thread, or in a lane. */
void run_worker_loop(run_worker *rw);
/* lanes.c: the thread of a group of workers sharing it (rw->group of them from rw): each
 * runs run_worker_loop in a fiber, and their requests go through one curl multi handle. */
void *run_lanes_thread(void *arg);
/* Sleeps the lane's worker (the others of its thread go on). */
void run_lane_sleep(struct run_lane *lane, int64_t ns);

/* backups.c */
int bk_scheduler_start(run_ctx *ctx, pthread_t *th);
/* Requests backup i now, on its own thread (the scheduler, and the nemesis for a storm). */
void bk_launch(run_ctx *ctx, int i);
/* Marks backup i as never requested (the run ended first) in backups.jsonl. */
void bk_mark_skipped(run_ctx *ctx, int i, const char *why);
void bk_join_all(run_ctx *ctx);
/* restore.c: every restore of the scenario, then the source scan. */
void rs_restore_all(run_ctx *ctx);
int rs_scan_source(run_ctx *ctx);
/* Polls DescribeTable until ACTIVE; 0 ok, 1 deadline, 2 interrupted, -1 error (msg). */
int rs_wait_table_active(run_ctx *ctx, ddb_client *c, const char *table, double deadline_s,
                         int64_t *active_ns, char *msg, size_t n);
/* nemesis.c */
int nm_start(run_ctx *ctx, pthread_t *th);
/* After the nemesis thread and the workers are joined: ends the network faults. */
void nm_workload_ended(run_ctx *ctx);
/* After the nemesis thread is joined and the backups settled: records the end of every
 * fault still on (the run's end is theirs) so each start line has its end line. */
void nm_finish(run_ctx *ctx);
/* 1 if the scenario has a fault of this side / this kind. */
int nm_has_side(const scenario *sc, sc_fault_side side);
const sc_fault *nm_find_kind(const scenario *sc, const char *kind);
/* Emits a fault line for a fault acted out outside the nemesis (restore phase);
 * `params` (owned, may be NULL) go in the line. */
void nm_fault_line(run_ctx *ctx, const sc_fault *f, const char *phase, int64_t at_ns,
                   cJSON *params);
/* progress.c */
int pg_start(run_ctx *ctx, pthread_t *th);
/* truth.c: the emulator's vendor answer for {"key": value}; NULL with err on failure. */
cJSON *run_truth(const ddb_config *cfg, const char *key, const char *value, char *err,
                 size_t errlen);
/* The truth's "Damage" list in the run directory's shape (docs/formats.md):
 * [{"fault", "key" (the hash key's string, else "key_av"), "detail"}]. */
cJSON *run_truth_damage(const cJSON *truth, const char *hash_key);
#endif
