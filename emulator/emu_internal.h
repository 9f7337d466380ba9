/*
 * emu_internal.h - the emulator's internal structures, shared by its files:
 *   server.c  HTTP (libmicrohttpd), SigV4 verification, routing, error shape
 *   store.c   the MVCC item store (partitions, versions, commit timestamps)
 *   tables.c  control plane: tables, tags, continuous backups
 *   items.c   data plane: item reads/writes, query, scan, batches, transactions
 *   backup.c  backups, restores, PITR, the background worker and the truth record
 *   faults.c  fault models (parsing, server faults, damage applied to backups)
 *   serve.c   `backcheck serve`
 *
 * Locking order (always in this order, never the reverse):
 *   server tables_lock -> table meta_lock -> partition locks (by table id, then index)
 *   server backups_lock, fault_lock and token_lock are leaves (nothing is locked while
 *   holding them).
 */
#ifndef BC_EMU_INTERNAL_H
#define BC_EMU_INTERNAL_H
#include "emulator/emu.h"
#include "ddb/attr.h"
#include "util/pcg32.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define EMU_REGION "us-east-1"
#define EMU_ACCOUNT "000000000000"
/* DynamoDB rejects request bodies above 16 MB (BatchWriteItem's documented total). */
#define EMU_MAX_BODY_BYTES (16 * 1024 * 1024 + 64 * 1024)
/* Query/Scan pages hold at most 1 MB of evaluated data ("Query"/"Scan" API reference). */
#define EMU_PAGE_BYTES (1024 * 1024)
/* BatchWriteItem: at most 25 put/delete requests (BatchWriteItemRequestMap max 25). */
#define EMU_BATCH_WRITE_MAX 25
/* BatchGetItem: at most 100 keys. */
#define EMU_BATCH_GET_MAX 100
/* TransactWriteItems / TransactGetItems: 1..100 actions (TransactWriteItemList max 100). */
#define EMU_TXN_MAX_ACTIONS 100
/* Transactions: aggregate item size at most 4 MB. */
#define EMU_TXN_MAX_BYTES (4 * 1024 * 1024)
/* TransactWriteItems ClientRequestToken: "A client request token is valid for 10 minutes
 * after the first request that uses it is completed" (API reference). */
#define EMU_TOKEN_TTL_NS (10LL * 60 * 1000 * 1000 * 1000)
/* ClientRequestToken: length 1..36 (service model, ClientRequestToken). */
#define EMU_TOKEN_MAX_LEN 36
/* Buckets of the token table (a power of two; chains stay short at thousands of
 * transactions a second over the 10-minute window). */
#define EMU_TOKEN_BUCKETS 65536
/* ListTables / ListBackups page sizes (Limit 1..100). */
#define EMU_LIST_MAX 100
/* Table and index names: 3..255 of [a-zA-Z0-9_.-]. */
#define EMU_NAME_MIN 3
#define EMU_NAME_MAX 255
/* Backups are "CREATING" at least this long beyond their cut so that no write with a
 * commit timestamp at or before the cut can still be in flight. */
#define EMU_CUT_SETTLE_NS (2 * 1000000LL)

typedef enum emu_tstatus {
    EMU_TS_CREATING = 0,
    EMU_TS_ACTIVE,
    EMU_TS_DELETING,
} emu_tstatus;

/* One committed version of a key: an item, or a tombstone (item == NULL). */
typedef struct emu_version {
    int64_t commit_ns;
    uint64_t txn_id; /* 0 unless written by TransactWriteItems */
    cJSON *item;
    size_t size;
} emu_version;

/* One key (hash + range) and its versions, oldest first. */
typedef struct emu_entry {
    cJSON *range_av; /* range key AttributeValue or NULL */
    int nver, cap;
    emu_version *ver;
} emu_entry;

/* All keys sharing one hash key value, sorted by range key. */
typedef struct emu_coll {
    char *hkey; /* canonical bytes of the hash key (type tag + value) */
    size_t hkey_len;
    uint64_t hash;
    int n, cap;
    emu_entry **e;
} emu_coll;

/* A hash partition: collections sorted by canonical hash key bytes. */
typedef struct emu_part {
    pthread_rwlock_t lock;
    int n, cap;
    emu_coll **c;
    long items;      /* live items */
    long long bytes; /* their sizes */
} emu_part;

typedef struct emu_index {
    char name[EMU_NAME_MAX + 1];
    int global;
    char hash_name[256];
    char range_name[256]; /* "" when none */
    cJSON *projection;    /* Projection object as given */
    cJSON *throughput;    /* ProvisionedThroughput as given, or NULL */
} emu_index;

typedef struct emu_table {
    atomic_int refs;
    uint64_t seq; /* creation order, for the partition lock order */
    char name[EMU_NAME_MAX + 1];
    char arn[400];
    char id[40];
    char hash_name[256];
    ddb_attr_type hash_type;
    char range_name[256]; /* "" when none */
    ddb_attr_type range_type;
    cJSON *attr_defs; /* AttributeDefinitions as given */
    int pay_per_request;
    long long rcu, wcu;
    int nidx;
    emu_index *idx;
    int64_t created_ns;

    pthread_mutex_t meta_lock; /* status, tags, PITR, restore summary */
    emu_tstatus status;
    int64_t active_at_ns; /* CREATING -> ACTIVE at this instant (0: not yet scheduled) */
    cJSON *tags;          /* array of {Key,Value} */
    int restoring;
    int64_t restore_time_ns;
    char restore_backup_arn[512];
    char restore_table_arn[400];
    atomic_int pitr;       /* point-in-time recovery enabled */
    int64_t pitr_since_ns; /* EarliestRestorableDateTime */
    int recovery_days;
    atomic_int pins;        /* backups of this table still CREATING: keep all versions */
    atomic_int restores_in; /* restores loading into this table */

    int nparts;
    emu_part *parts;
} emu_table;

/* A fault model instance (faults.c). */
typedef enum emu_fault_kind {
    EMU_F_DROP = 0,
    EMU_F_PHANTOM,
    EMU_F_TEAR_TXN,
    EMU_F_CUT_EARLY,
    EMU_F_CUT_LATE,
    EMU_F_RESURRECT,
    EMU_F_PITR_IGNORE_TIME,
    EMU_F_THROTTLE,
    EMU_F_ERROR,
    EMU_F_LATENCY,
    EMU_F_BACKUP_STALL,
    EMU_F_BACKUP_FAIL,
    EMU_F_RESTORE_STALL,
    EMU_F_RESTORE_FAIL,
    EMU_F__COUNT
} emu_fault_kind;

typedef struct emu_fault {
    emu_fault_kind kind;
    double fraction;
    long count;
    long ms;
    long jitter_ms;
    int after;
    char ops[200]; /* "|PutItem|UpdateItem|" or "" for all */
} emu_fault;

typedef enum emu_bstatus { EMU_BS_CREATING = 0, EMU_BS_AVAILABLE, EMU_BS_DELETED } emu_bstatus;

/* A backup (on-demand) or the truth of a point-in-time restore. */
typedef struct emu_backup {
    atomic_int refs;
    int listed; /* in the server's backup list (0 once deleted) */
    char arn[512];
    char name[EMU_NAME_MAX + 1];
    char table_name[EMU_NAME_MAX + 1];
    char table_arn[400];
    char table_id[40];
    emu_bstatus status; /* guarded by the server's backups_lock */
    int64_t request_ns;
    int64_t due_ns;   /* materialize at (realtime) */
    cJSON *source;    /* SourceTableDetails */
    cJSON *features;  /* SourceTableFeatureDetails */
    cJSON *schema;    /* the source table's schema, for restores */
    emu_table *table; /* source table (ref held while CREATING) */
    int ncut;
    int64_t *cut_ns;
    long long size_bytes;
    long nitems;
    cJSON *items;  /* array, once AVAILABLE */
    cJSON *damage; /* array of damage records */
    int failed;
    emu_cut_model model;
} emu_backup;

/* One ClientRequestToken seen by TransactWriteItems (items.c). */
typedef struct emu_token {
    char token[EMU_TOKEN_MAX_LEN + 1];
    char digest[65];         /* SHA-256 (hex) of the request without its token and Return* */
    int in_progress;         /* the first request with this token has not finished yet */
    int64_t done_ns;         /* when it finished (in the requests' clock) */
    struct emu_token *chain; /* next in the bucket */
    struct emu_token *older, *newer; /* finished tokens, oldest first (for pruning) */
} emu_token;

/* Outcome of looking a token up before a transaction runs. */
typedef enum emu_token_state {
    EMU_TOKEN_NEW = 0,     /* registered as in progress: run the transaction */
    EMU_TOKEN_REPEAT,      /* finished with the same parameters: answer without applying */
    EMU_TOKEN_MISMATCH,    /* same token, other parameters: IdempotentParameterMismatch */
    EMU_TOKEN_IN_PROGRESS, /* same token still running: TransactionInProgress */
    EMU_TOKEN_NOMEM,       /* out of memory */
} emu_token_state;

/* Background jobs (backup.c). */
typedef enum emu_job_kind { EMU_JOB_BACKUP = 0, EMU_JOB_RESTORE, EMU_JOB_PITR } emu_job_kind;
typedef struct emu_job {
    emu_job_kind kind;
    int64_t due_ns;
    emu_backup *backup; /* BACKUP/RESTORE: the backup; PITR: its truth record */
    emu_table *target;  /* RESTORE/PITR: the new table */
    emu_table *source;  /* PITR: the source table */
    int64_t pitr_ns;    /* PITR: the requested time */
    struct emu_job *next;
} emu_job;

struct emu_server {
    emu_config cfg;
    char endpoint[128];
    int port;
    struct MHD_Daemon *mhd;
    atomic_llong retain_ns; /* versions superseded within this horizon are kept (cut windows) */

    atomic_llong last_commit_ns;
    atomic_ullong next_txn;
    atomic_ullong table_seq;
    atomic_ullong req_seq;

    pthread_mutex_t tables_lock;
    int ntables, captables;
    emu_table **tables;

    pthread_mutex_t backups_lock;
    int nbackups, capbackups;
    emu_backup **backups; /* listed backups, in creation order */
    int ntruths, captruths;
    emu_backup **truths; /* truth records of PITR restores (keyed by table_name) */

    pthread_mutex_t job_lock;
    pthread_cond_t job_cond;
    emu_job *jobs;
    int stopping;
    pthread_t worker;
    int worker_started;

    /* TransactWriteItems idempotency tokens: hash buckets, and the finished ones in
     * completion order so that expired tokens are dropped from the old end. */
    pthread_mutex_t token_lock;
    emu_token **token_buckets; /* EMU_TOKEN_BUCKETS chains */
    emu_token *token_oldest, *token_newest;
    long ntokens;

    pthread_mutex_t fault_lock;
    int nfaults;
    emu_fault faults[EMU_MAX_FAULTS];
    pcg32 rng;
};

/* One request being answered. */
typedef struct emu_req {
    emu_server *srv;
    const char *op;
    cJSON *body;
    cJSON *out; /* success response (handlers create it) */
    int status; /* HTTP status on error */
    char err_type[96];
    char err_msg[1024];
    cJSON *err_extra; /* extra members in the error body (CancellationReasons, Item) */
    int64_t now_ns;   /* when the request arrived */
} emu_req;

/* server.c */
/* Answers one request (X-Amz-Target and JSON body) without HTTP or authentication: the
 * HTTP front and the fuzz target both call it. *out is the malloc'd response body and
 * *status its HTTP status. Returns 0 on success, -1 when the body is an error. */
int emu_process(emu_server *s, const char *target, const char *body, size_t len, int64_t now_ns,
                int *status, char **out);
int emu_fail(emu_req *r, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int64_t emu_commit_ts(emu_server *s);
double emu_epoch_s(int64_t ns);
int64_t emu_parse_epoch(const cJSON *v); /* JSON number of seconds -> ns; -1 if not */
const char *emu_get_str(const cJSON *obj, const char *name);
/* Fails r as DynamoDB does for a missing required member: "1 validation error detected:
 * Value null at 'member' failed to satisfy constraint: Member must not be null", with the
 * member's first letter in lower case as DynamoDB writes it (TableName -> tableName).
 * Returns -1. */
static inline int emu_fail_null(emu_req *r, const char *member)
{
    char first = member[0] >= 'A' && member[0] <= 'Z' ? (char)(member[0] - 'A' + 'a') : member[0];
    return emu_fail(r, "ValidationException",
                    "1 validation error detected: Value null at '%c%s' failed to satisfy "
                    "constraint: Member must not be null",
                    first, member + 1);
}
/* The string member of the request body, or NULL after emu_fail_null when it is missing. */
static inline const char *emu_need_str(emu_req *r, const char *member)
{
    const char *v = emu_get_str(r->body, member);
    if (!v) emu_fail_null(r, member);
    return v;
}
/* 1 if n is a valid table or backup name: EMU_NAME_MIN..EMU_NAME_MAX of [a-zA-Z0-9_.-]. */
static inline int emu_name_valid(const char *n)
{
    size_t l = n ? strlen(n) : 0;
    if (l < EMU_NAME_MIN || l > EMU_NAME_MAX) return 0;
    for (size_t i = 0; i < l; i++) {
        char c = n[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return 0;
    }
    return 1;
}
void emu_random_hex(emu_server *s, char *out, int n);

/* store.c */
int emu_part_init(emu_part *p);
void emu_part_destroy(emu_part *p);
/* Canonical bytes of a key AttributeValue (malloc'd) and their length. */
int emu_key_canon(const cJSON *av, char **out, size_t *len);
int emu_table_part_of(const emu_table *t, const cJSON *hash_av, uint64_t *hash);
/* Index of the first collection of p whose hash key sorts after hkey[0..hlen) (caller
 * holds the partition's lock). */
int emu_part_after(const emu_part *p, const char *hkey, size_t hlen);
/* Finds the entry of (hash, range) in partition p (locked by the caller); NULL if none.
 * With create, makes it. */
emu_entry *emu_part_find(emu_part *p, const char *hkey, size_t hlen, uint64_t hash,
                         const cJSON *range_av, int create);
/* Latest version (NULL item if deleted or never written). */
const emu_version *emu_entry_latest(const emu_entry *e);
/* Newest version with commit_ns <= at; NULL if none. */
const emu_version *emu_entry_at(const emu_entry *e, int64_t at);
/* Appends a version (item owned by the store afterwards; NULL = delete) and prunes what no
 * backup or PITR can need any more. Keeps the partition's live counters. */
void emu_entry_write(emu_table *t, emu_part *p, emu_entry *e, int64_t commit_ns, uint64_t txn_id,
                     cJSON *item, int64_t retain_ns);

/* tables.c */
emu_table *emu_table_get(emu_server *s, const char *name_or_arn); /* ref'd, or NULL */
void emu_table_put(emu_table *t);
emu_tstatus emu_table_status(emu_table *t);
cJSON *emu_table_describe(emu_table *t);
cJSON *emu_table_schema(emu_table *t); /* CreateTable-like request body */
int emu_table_from_schema(emu_server *s, const cJSON *schema, const char *name, emu_req *r,
                          emu_table **out);
int emu_table_register(emu_server *s, emu_table *t, emu_req *r);
void emu_table_unregister(emu_server *s, emu_table *t);
void emu_tables_free_all(emu_server *s);
/* Extracts the key of `item` (or a Key object); validates types and sizes. */
int emu_item_key(emu_req *r, emu_table *t, const cJSON *item, int key_only, const cJSON **hash_av,
                 const cJSON **range_av);

/* items.c */
int emu_op_put_item(emu_req *r);
int emu_op_get_item(emu_req *r);
int emu_op_update_item(emu_req *r);
int emu_op_delete_item(emu_req *r);
int emu_op_query(emu_req *r);
int emu_op_scan(emu_req *r);
int emu_op_batch_write(emu_req *r);
int emu_op_batch_get(emu_req *r);
int emu_op_transact_write(emu_req *r);
int emu_op_transact_get(emu_req *r);
/* Token table (items.c): looks `token` up at now_ns (dropping tokens expired by then) and
 * registers it as in progress when it is new. emu_token_end finishes a registered token:
 * kept (done at done_ns) when the transaction was applied, forgotten otherwise so that a
 * retry runs again. emu_tokens_free_all releases the table. */
emu_token_state emu_token_begin(emu_server *s, const char *token, const char *digest,
                                int64_t now_ns);
void emu_token_end(emu_server *s, const char *token, int applied, int64_t done_ns);
long emu_token_count(emu_server *s);
/* The digest a TransactWriteItems body is compared by: SHA-256 (hex) of the body with its
 * members sorted, without ClientRequestToken, ReturnConsumedCapacity and
 * ReturnItemCollectionMetrics. Returns 0 or -1 (memory). */
int emu_tx_digest(const cJSON *body, char out[65]);
void emu_tokens_free_all(emu_server *s);

/* tables.c ops */
int emu_op_create_table(emu_req *r);
int emu_op_describe_table(emu_req *r);
int emu_op_delete_table(emu_req *r);
int emu_op_list_tables(emu_req *r);
int emu_op_tag_resource(emu_req *r);
int emu_op_untag_resource(emu_req *r);
int emu_op_list_tags(emu_req *r);
int emu_op_update_continuous_backups(emu_req *r);
int emu_op_describe_continuous_backups(emu_req *r);
int emu_op_describe_endpoints(emu_req *r);

/* backup.c */
int emu_op_create_backup(emu_req *r);
int emu_op_describe_backup(emu_req *r);
int emu_op_list_backups(emu_req *r);
int emu_op_delete_backup(emu_req *r);
int emu_op_restore_from_backup(emu_req *r);
int emu_op_restore_pitr(emu_req *r);
int emu_op_describe_backup_truth(emu_req *r);
int emu_worker_start(emu_server *s);
void emu_worker_stop(emu_server *s);
void emu_backups_free_all(emu_server *s);
void emu_backup_put(emu_backup *b);
/* 1 if a backup of table `name` is CREATING (DeleteTable refuses then). */
int emu_backup_in_progress(emu_server *s, const char *table_name);

/* faults.c */
int emu_fault_parse(const char *spec, emu_fault *out, char *err, size_t errlen);
const char *emu_fault_kind_name(emu_fault_kind k);
/* Server faults for one request: sleeps for latency; returns 1 and fills r when the
 * request must be throttled or failed before it runs; *error_after set when a 500 must
 * replace the answer after the write was applied. */
int emu_fault_before(emu_server *s, emu_req *r, int *error_after);
/* Extra ms a backup/restore stays CREATING; 1 in *fail if it must fail. */
void emu_fault_backup(emu_server *s, int restore, long *stall_ms, int *fail);
/* Cut shift in ns (cut-early negative, cut-late positive), with a damage record. */
int64_t emu_fault_cut_shift(emu_server *s, cJSON *damage);
int emu_fault_active(emu_server *s, emu_fault_kind k, emu_fault *out);
double emu_fault_random(emu_server *s);
/* The largest fraction of the throttle faults that apply to op (0 when none). */
double emu_fault_throttle_fraction(emu_server *s, const char *op);
#endif
