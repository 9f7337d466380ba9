/*
 * history.h - the history journal: the only thing that flows from running to checking.
 *
 * Workers hand finished operations to the journal without a global lock: each worker
 * owns a single-producer ring of serialized lines, and one journal thread drains all
 * rings into history.jsonl, flushing at least every HIST_FLUSH_MS and fsync'ing when
 * asked (around backup events). A run killed with SIGKILL loses at most the lines not yet
 * flushed plus a torn last line, which readers skip (util/jsonl.h).
 *
 * Line formats: docs/formats.md.
 */
#ifndef BC_HISTORY_H
#define BC_HISTORY_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define HIST_FORMAT_VERSION 1
#define HIST_FLUSH_MS 100
#define HIST_KEY_MAX 256
#define HIST_WID_MAX 32

typedef enum hist_write_kind {
    HIST_PUT = 0, /* whole-item put (insert/overwrite) */
    HIST_UPDATE,  /* update of a versioned register (ver advanced) */
    HIST_APPEND,  /* list_append of the write id to `ids` */
    HIST_DELETE,  /* item deleted */
    HIST_ADD      /* bank: ADD delta to `bal` */
} hist_write_kind;
const char *hist_write_kind_name(hist_write_kind k); /* "put","update","append","delete","add" */

typedef struct hist_write {
    char key[HIST_KEY_MAX]; /* value of the hash key attribute */
    char wid[HIST_WID_MAX]; /* "W.S": the id stored in the item's `wid` attribute */
    hist_write_kind kind;
    int64_t ver;   /* register version written (0 when not versioned) */
    int64_t delta; /* bank delta */
    int status;    /* -1: same as the op's outcome; else a ddb_outcome for this item
                      (batch items left unprocessed are DDB_OUTCOME_FAIL) */
} hist_write;

typedef struct hist_try {
    int64_t send_ns, recv_ns;
    int http_status;
    const char *err; /* static error name or NULL */
} hist_try;

#define HIST_MAX_TRIES 16

typedef struct hist_op {
    int worker;           /* global worker index */
    uint64_t seq;         /* per-worker sequence number of the request */
    const char *workload; /* "insert" ... (static) */
    int wl_index;         /* index in the scenario's workloads list */
    const char *f;        /* "put","update","append","delete","txn","batch","transfer" */
    int64_t intended_ns;  /* open loop: the scheduled start; closed loop: = invoke_ns */
    int64_t invoke_ns, complete_ns;
    int64_t mono_ns; /* monotonic duration complete - invoke */
    int outcome;     /* ddb_outcome */
    const char *err; /* error type name or NULL */
    int attempts;
    int ntries; /* recorded only when attempts > 1 */
    hist_try tries[HIST_MAX_TRIES];
    double wcu, rcu;
    int txn; /* 1 when the writes are one TransactWriteItems */
    int nwrites;
    hist_write *writes; /* borrowed for the append call */
    int resubmits;      /* batch: times unprocessed items were sent again (0: omitted) */
} hist_op;

typedef struct hist_journal hist_journal;

/* Opens (creating) history.jsonl at path for nworkers producers and starts the journal
 * thread. Writes nothing until the caller appends the meta line. */
int hist_journal_open(const char *path, int nworkers, hist_journal **out, char *err, size_t errlen);
/* Serializes op into worker's ring (blocks only if the ring is full). Thread-safe for
 * distinct workers; one thread per worker index. */
int hist_journal_append_op(hist_journal *j, const hist_op *op);
/* Appends any other line (meta, fault, backup event, end) in order; thread-safe. */
int hist_journal_append_line(hist_journal *j, const cJSON *line);
/* Drains every ring, flushes and fsyncs now. */
int hist_journal_sync(hist_journal *j);
/* Drains, writes nothing more, stops the thread, closes. Safe on NULL. */
int hist_journal_close(hist_journal *j);
/* Bytes written so far and ops appended (for the history-cost benchmark). */
void hist_journal_stats(const hist_journal *j, uint64_t *ops, uint64_t *bytes);

/* "W.S" */
void hist_wid(int worker, uint64_t seq, char out[HIST_WID_MAX]);
/* out = "PREFIX/WORKER/N", as snprintf("%s/%d/%ld") would write it (a key's name). */
void hist_key_name(const char *prefix, int worker, long n, char out[HIST_KEY_MAX]);
#endif
