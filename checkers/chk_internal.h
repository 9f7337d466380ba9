/*
 * chk_internal.h - the check stage's shared model: the run (scenario, history, backups)
 * loaded into compact arrays, the targets checked (restored backups, PITR restores, the
 * source table) and the checker ops table (one file per checker, listed in registry.c,
 * the way fio registers I/O engines).
 *
 * Memory layout is chosen for 10M-op histories (at most ~100 bytes per op): keys are
 * interned to integers and a write is a 40-byte record, the records stored in (key,
 * write id) order, so that a key's writes are contiguous and every pass over them reads
 * memory in sequence. Because every key is owned by one worker (docs/formats.md),
 * sorting a key's writes by write id gives the key's write order. What depends on the
 * history's order (tie-breaks, transactions) goes through `hist` and the transaction
 * lists.
 */
#ifndef BC_CHK_INTERNAL_H
#define BC_CHK_INTERNAL_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "checkers/checker.h"

/* A write id "W.S" packed into 64 bits: worker in the top 24 bits, seq in the low 40. */
#define CHK_WID_SEQ_BITS 40
#define CHK_WID_SEQ_MASK ((1ULL << CHK_WID_SEQ_BITS) - 1)
#define CHK_WID_MAX_WORKER ((1 << 23) - 1)
#define CHK_WID_NONE UINT64_MAX
#define CHK_WID(w, s) (((uint64_t)(w) << CHK_WID_SEQ_BITS) | ((uint64_t)(s)&CHK_WID_SEQ_MASK))
#define CHK_WID_WORKER(x) ((int)((x) >> CHK_WID_SEQ_BITS))
#define CHK_WID_SEQ(x) ((x)&CHK_WID_SEQ_MASK)

/* Time bounds standing for "never" (an unbounded side of a window or a cut). */
#define CHK_NS_NEG_INF INT64_MIN
#define CHK_NS_POS_INF INT64_MAX

/* At most this many op ids are listed per finding, and this many findings per target are
 * written in full; counts stay exact (findings_total). Keeps results.json readable and
 * bounded for 10M-op histories. */
#define CHK_MAX_OP_IDS 16
#define CHK_MAX_FINDINGS_LISTED 1000

typedef enum chk_wkind {
    CHK_W_PUT = 0,
    CHK_W_UPDATE,
    CHK_W_APPEND,
    CHK_W_DELETE,
    CHK_W_ADD
} chk_wkind;
typedef enum chk_outcome { CHK_O_OK = 0, CHK_O_FAIL, CHK_O_INFO } chk_outcome;

/* Eight digit values (0..9, the first in the lowest byte) as their number: three multiplies
 * instead of eight dependent steps (the nanosecond instants are 19 digits each). */
static inline uint64_t chk_swar8_value(uint64_t v)
{
    v = (v * 10) + (v >> 8);
    return (((v & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
            (((v >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >>
           32;
}

typedef struct chk_write {
    int64_t invoke_ns, complete_ns;
    uint64_t wid;
    int64_t val;    /* ver for update, delta for add */
    uint32_t key;   /* interned key id */
    uint8_t kind;   /* chk_wkind */
    uint8_t status; /* chk_outcome of this item */
    uint8_t pad[2];
} chk_write;

typedef struct chk_key {
    uint32_t str; /* offset of the NUL-terminated name in the arena */
    uint32_t len;
    uint32_t start; /* its first record in chk_run.w */
    uint32_t count; /* writes to this key */
    int16_t wl;     /* workload index of its writes (-1 unknown) */
    uint8_t multi;  /* written by more than one worker (order then by write id) */
    uint8_t pad;
} chk_key;

/* Keys shaped "<prefix>/<worker>/<n>" (every workload's keys, docs/formats.md) are also
 * found through a direct index per (prefix, worker) indexed by n: one 4-byte load in a
 * table about 4 bytes per key, where hashing the name and probing a table of 8-byte slots
 * and the name itself costs two cache misses once the keys outgrow the cache. A key is
 * held by the index or by the hash table: the table takes the keys the index cannot
 * (another shape, an n far beyond its lane, the index at its size limit), and an empty
 * index entry proves a key unknown only while no key of its lane went to the table. */
#define CHK_KIDX_MAX_PREFIXES 16      /* distinct prefixes indexed; others use the hash */
#define CHK_KIDX_PREFIX_MAX 32        /* longest prefix indexed */
#define CHK_KIDX_MAX_WORKER 65535     /* highest worker number indexed */
#define CHK_KIDX_N_SLACK 1024         /* a lane grows to n only while n < 2 * its keys + this */
#define CHK_KIDX_RESOLVED 0x80000000u /* entry flag: the key's workload is known */
/* The index may also take up to 1/64 of the history's size (about 5 bytes per op of a
 * 300-byte op line), within which a lane covers keys met in a scattered order at once. */
#define CHK_KIDX_ALLOW_DIV 64

typedef struct chk_kidx_lane {
    uint32_t *ids; /* ids[n] = key id + 1 (| CHK_KIDX_RESOLVED), 0 = not cached */
    uint32_t cap, n;
    uint32_t hashed; /* keys of this lane held by the hash table only */
} chk_kidx_lane;

typedef struct chk_kidx_prefix {
    char name[CHK_KIDX_PREFIX_MAX];
    uint32_t len;
    chk_kidx_lane *lanes; /* by worker */
    uint32_t nlanes;
    uint32_t orphans; /* keys held by the hash table only, met before their lane existed */
} chk_kidx_prefix;

typedef struct chk_keytab {
    chk_key *keys;
    uint32_t nkeys, capkeys;
    uint64_t *slots; /* open addressing: hash tag << 32 | arena offset, 0 = empty */
    uint32_t nslots; /* power of two */
    char *arena;
    size_t arena_len, arena_cap;
    chk_kidx_prefix kidx[CHK_KIDX_MAX_PREFIXES];
    int nkidx;
    size_t kidx_bytes; /* lanes and lane tables, bounded by 16 bytes per key + 1 MiB */
    size_t kidx_allow; /* or by this (set from the history's size): sparse lanes may grow */
    uint32_t nhashed;  /* keys in the hash table */
} chk_keytab;

typedef struct chk_workload {
    char type[32];
    int index, workers, first_worker, item_bytes; /* workers = threads * inflight */
    int accounts;
    int64_t initial_balance, bank_total;
    int has_bank_total;
} chk_workload;

typedef struct chk_profile {
    char name[32]; /* "aws-documented", "strict", "explicit" */
    int64_t before_ns, after_ns;
    int atomic_txn; /* torn txns and broken invariants are violations */
    int single_cut; /* a fuzzy cut is a violation */
} chk_profile;

/* A span of time during which a backup or restore was in flight (availability). */
typedef struct chk_span {
    int64_t lo, hi;
} chk_span;

typedef struct chk_latency {
    uint64_t *v; /* latency_ns << 1 | during-a-backup-or-restore */
    size_t n, cap;
    long errors[2], throttles[2]; /* [0] outside, [1] during */
} chk_latency;

typedef struct chk_run {
    char dir[4096];
    cJSON *scenario; /* scenario.json (may be NULL) */
    cJSON *meta;     /* history meta line (owned copy, may be NULL) */
    cJSON *backups;  /* array of merged backup objects, in first-seen order */
    cJSON *restores; /* array of merged restore objects */
    cJSON *source;   /* merged source object or NULL */
    cJSON *notes;    /* array of strings for results.json */
    cJSON *faults;   /* fault windows from the history's fault lines (results "faults") */
    uint64_t seed;
    int have_seed;
    char scenario_name[128];
    char hash_key[128];
    chk_profile profile;
    chk_workload *wls;
    int nwls;

    chk_keytab kt;
    chk_write *w;   /* nw records in (key, write id) order; key k's are w[start, start+count) */
    uint32_t *hist; /* hist[p] = the history position (0-based, in journal order) of w[p] */
    size_t nw;
    size_t w_mapped;       /* bytes of w's mapping */
    struct chk_wstore *ws; /* while the history is read: the records, bucketed by key */
    /* Transactions of more than one write, in history order: transaction g's writes are
     * w[txn_w[txn_at[g]]] .. w[txn_w[txn_at[g + 1] - 1]], in the order the op listed them. */
    uint32_t *txn_at, *txn_w;
    size_t ntxn, ntxn_w;
    uint64_t *max_seq; /* per worker: highest journaled seq (+1; 0 = none) */
    int nworkers;

    int ended;     /* history has an `end` line */
    int torn_last; /* a torn last line was skipped */
    long lines, ops, ops_fast, ops_slow;
    int64_t start_ns, end_ns, first_invoke, last_complete;
    double wcu, rcu;
    chk_latency lat;
    chk_span *spans;
    int nspans;
} chk_run;

typedef enum chk_target_kind { CHK_T_BACKUP = 1, CHK_T_PITR = 2, CHK_T_SOURCE = 4 } chk_target_kind;

typedef struct chk_finding {
    int kind;      /* chk_fkind */
    int violation; /* 1 violation, 0 observation */
    char *key;     /* owned, may be NULL */
    uint64_t ids[CHK_MAX_OP_IDS];
    int nids;
    long total_ids; /* op ids the finding covers (may exceed nids) */
    char *detail;   /* owned */
    cJSON *extra;   /* owned, optional object merged into the finding */
} chk_finding;

typedef enum chk_fkind {
    CHK_F_LOST = 0,
    CHK_F_FUTURE,
    CHK_F_PHANTOM,
    CHK_F_PHANTOM_FAIL,
    CHK_F_RESURRECTED,
    CHK_F_TORN_TXN,
    CHK_F_INVARIANT,
    CHK_F_ORDER,
    CHK_F_SCHEMA,
    CHK_F_NKINDS
} chk_fkind;
const char *chk_fkind_name(int kind);

/* Per-key state of one target after its snapshot is read. */
#define CHK_CAP_ABSENT (-1)
typedef struct chk_target {
    chk_target_kind kind;
    const char *id;
    const cJSON *backup;   /* merged backup object (backup targets) */
    const cJSON *restore;  /* merged restore/source object, may be NULL */
    char snapshot[4096];   /* path, "" when none */
    int checked;           /* snapshot read and checked */
    char status_note[256]; /* why not checked */

    /* Bounds: must-present if complete < r - before; must-absent if invoke > a + after. */
    int64_t r, a, before, after;
    int64_t precision_ns; /* PITR: restore granularity (1 s) */

    int32_t *cap;     /* per key: captured position, CHK_CAP_ABSENT when absent */
    uint8_t *kflags;  /* per key: CHK_KF_* */
    uint8_t *present; /* per record of run->w: bitmap of writes whose effect is in the snapshot */
    long items, item_phantoms;
    /* classification */
    long must_present, lost, must_absent, future, window, window_captured;
    long indeterminate, indeterminate_applied, unjournaled_applied;
    int64_t lo, hi; /* cut; CHK_NS_NEG_INF / CHK_NS_POS_INF when unbounded */
    uint64_t lo_wid, hi_wid;
    int exercised;
    /* bank sums per workload */
    int64_t *bank_sum;
    long *bank_items;

    chk_finding *f;
    size_t nf, capf;
    long by_kind[CHK_F_NKINDS][2]; /* [kind][violation] */
    cJSON *notes;                  /* array of strings */
    cJSON *extra;                  /* object: fields checkers add to the target's result */
} chk_target;

/* Key flags for a target. */
#define CHK_KF_IN_SNAPSHOT 1u
#define CHK_KF_BEYOND 2u  /* captured a write beyond the journal (interrupted run) */
#define CHK_KF_PHANTOM 4u /* the captured value is no known write */

typedef struct chk_ops {
    const char *name;
    const char *help;
    unsigned targets; /* CHK_T_* this checker runs on */
    /* Optional: sets the target's bounds (pitr, source) before anything reads them. */
    int (*bounds)(chk_run *run, chk_target *t, char *err, size_t errlen);
    /* Checks the loaded target, adding findings and fields. 0 ok, -1 with err. */
    int (*check)(chk_run *run, chk_target *t, char *err, size_t errlen);
} chk_ops;

extern const chk_ops *const chk_registry[]; /* NULL-terminated, in run order */
const chk_ops *chk_find(const char *name);

extern const chk_ops chk_capture_ops, chk_keys_ops, chk_txn_ops, chk_pitr_ops, chk_schema_ops,
    chk_source_ops;

/* ---- keys.c helpers shared by the model ---- */
int chk_keytab_init(chk_keytab *kt);
void chk_keytab_free(chk_keytab *kt);
/* Interns (adds when absent) s[0..len). Returns the id or -1 when out of memory. */
int64_t chk_key_intern(chk_keytab *kt, const char *s, size_t len);
/* chk_key_intern for a write of workload wl: also records wl as the key's workload when
 * it has none yet (chk_key.wl). */
int64_t chk_key_intern_wl(chk_keytab *kt, const char *s, size_t len, int wl);
/* Where a key name sits in the (prefix, worker, n) index, found once when its line is
 * scanned: px is the prefix's slot, or -1 when unknown (the lookup then parses the name). */
typedef struct chk_kloc {
    int32_t px;
    uint32_t w, n;
} chk_kloc;
/* Starts loading the index entry of s into the cache (a hint; no effect on results) and
 * records where it lies in *loc. */
void chk_key_prefetch(const chk_keytab *kt, const char *s, size_t len, chk_kloc *loc);
/* chk_key_intern_wl for a name located by chk_key_prefetch. */
int64_t chk_key_intern_wl_at(chk_keytab *kt, const char *s, size_t len, int wl,
                             const chk_kloc *loc);
/* Looks s up; -1 when absent. */
int64_t chk_key_lookup(const chk_keytab *kt, const char *s, size_t len);
static inline const char *chk_key_name(const chk_keytab *kt, uint32_t k)
{
    return kt->arena + kt->keys[k].str;
}

/* ---- scan.c: history and item lines ---- */
typedef struct chk_scan_write {
    const char *k;
    size_t klen;
    chk_kloc kloc; /* px -1 until chk_key_prefetch locates k */
    uint64_t wid;
    int kind, status; /* status -1 = the op's outcome */
    int64_t ver, delta;
} chk_scan_write;

typedef struct chk_scan_op {
    int is_op; /* 0: another line type (type in `type`) */
    char type[24];
    int worker;
    uint64_t seq;
    int wl; /* "wi" */
    int64_t intended_ns, invoke_ns, complete_ns;
    int outcome;
    int attempts;
    int throttled; /* err or a try's err names throttling */
    int has_err;
    double wcu, rcu;
    int txn;
    chk_scan_write *writes;
    int nwrites, capwrites;
} chk_scan_op;

/* Fast path: a purpose-built scanner for op lines as the journal writes them. Returns 1 if
 * the line was handled, 0 when it must go to the general path (escapes, other shapes),
 * -1 on malformed input. line need not be NUL-terminated. */
int chk_scan_op_fast(const char *line, size_t len, chk_scan_op *op);
/* The two halves of chk_scan_op_fast: lines in the journal's exact member order and
 * spelling (1 handled, 0 anything else), and any member order (answers as
 * chk_scan_op_fast). Exposed so that tests can hold them to the same results. */
int chk_scan_op_journal(const char *line, size_t len, chk_scan_op *op);
/* chk_scan_op_journal on a line that starts at s and ends at its newline, somewhere
 * before end (the reader has not looked for it): the bytes read, newline included, when
 * the line is in the journal's exact shape and that newline follows its last brace; 0
 * otherwise (the caller then finds the line's end and reads it as usual). No string of an
 * accepted line holds a newline, so the scan never runs into the next line. */
size_t chk_scan_op_journal_line(const char *s, const char *end, chk_scan_op *op);
int chk_scan_op_members(const char *line, size_t len, chk_scan_op *op);
/* General path: any valid JSON line. 0 ok (op->is_op says if it was an op), -1 malformed. */
int chk_scan_op_json(const cJSON *v, chk_scan_op *op, char *err, size_t errlen);
void chk_scan_op_free(chk_scan_op *op);

/* A JSON parser producing cJSON trees in which integers too large for a double to hold
 * exactly (instants in ns) are kept exactly as cJSON raw items; chk_json_i64 reads both.
 * Returns NULL on malformed input. */
cJSON *chk_json_parse(const char *s, size_t len);

/* Parses "W.S" into a packed wid. 0 ok, -1 malformed. */
int chk_parse_wid(const char *s, size_t len, uint64_t *out);
void chk_fmt_wid(uint64_t wid, char out[32]);
int chk_wkind_parse(const char *s, size_t len);
int chk_outcome_parse(const char *s, size_t len);
int chk_is_throttle_name(const char *s, size_t len);

/* A snapshot item, reduced to what the checkers need. Strings point into the line or into
 * the scratch of the item (cJSON path). */
#define CHK_ITEM_MAX_IDS_INLINE 64
typedef struct chk_item {
    const char *key;
    size_t keylen;
    const char *wid;
    size_t widlen;
    const char *pay;
    size_t paylen;
    int has_ver, has_bal, has_ids;
    int64_t ver, bal;
    /* ids: offsets/lengths into the line */
    const char **ids;
    size_t *idlens;
    int nids, capids;
} chk_item;
/* 1 handled, 0 needs the general path, -1 malformed. */
int chk_scan_item_fast(const char *line, size_t len, const char *hash_key, chk_item *it);
/* 0 ok, -1 with err. */
int chk_scan_item_json(const cJSON *v, const char *hash_key, chk_item *it, char *err,
                       size_t errlen);
void chk_item_free(chk_item *it);

/* Reads a file line by line: a regular file through a mapping whose pages are released as
 * the scan advances, anything else with a fixed buffer; either way peak memory does not
 * grow with the file. The callback gets each non-empty line without its newline (nor a
 * CR before it), not NUL-terminated; `last_unterminated` is set on the final call for a
 * last line with no newline. */
typedef int (*chk_line_fn)(const char *line, size_t len, long lineno, int last_unterminated,
                           void *arg);
int chk_read_lines(const char *path, chk_line_fn fn, void *arg, char *err, size_t errlen);
/* chk_read_lines for a reader that keeps lines or reads them itself. `stable` (if not
 * NULL) is set before the first line: 1 when every line stays readable until the read
 * returns (a mapped file; the reader may keep pointers into it instead of copies), 0 when
 * a line is valid only during its call. `fast` (if not NULL; mapped files only) is offered
 * each line first, with its start and the end of the file: it returns the bytes of the
 * line it has read, newline included, or 0 to have the line's end found and the line
 * given to fn as usual; to stop the read it sets *rc to what chk_read_lines_ex is to
 * return (as fn's nonzero return does). Line numbers count the lines `fast` took. After
 * the last line `fast` is called once more with s == end, while the lines are still
 * readable (unless the read stopped on an error). */
typedef size_t (*chk_line_fast_fn)(const char *s, const char *end, void *arg, int *rc);
int chk_read_lines_ex(const char *path, chk_line_fn fn, chk_line_fast_fn fast, void *arg,
                      int *stable, char *err, size_t errlen);

/* ---- model.c ---- */
int chk_run_load(chk_run *run, const char *run_dir, const chk_options *opts, char *err,
                 size_t errlen);
void chk_run_free(chk_run *run);
int chk_history_load(chk_run *run, const char *path, char *err, size_t errlen);
int chk_profile_parse(const cJSON *g, chk_profile *out, char *err, size_t errlen);
/* Index of the write with this wid in key k's order, or -1. */
int64_t chk_key_find_wid(const chk_run *run, uint32_t k, uint64_t wid);
static inline const chk_write *chk_key_write(const chk_run *run, uint32_t k, uint32_t i)
{
    return &run->w[run->kt.keys[k].start + i];
}
int chk_worker_workload(const chk_run *run, int worker);
/* 1 when the wid lies beyond what the journal recorded for its worker (interrupted run). */
int chk_wid_beyond_journal(const chk_run *run, uint64_t wid);

/* ---- target.c ---- */
int chk_target_init(chk_run *run, chk_target *t);
void chk_target_free(chk_target *t);
int chk_target_load_snapshot(chk_run *run, chk_target *t, char *err, size_t errlen);
/* Resolves the captured position of absent keys and fills the present bitmap. */
void chk_target_resolve(chk_run *run, chk_target *t);
static inline int chk_present(const chk_target *t, size_t wi)
{
    return (t->present[wi >> 3] >> (wi & 7)) & 1;
}
int chk_target_add(chk_target *t, int kind, int violation, const char *key, const uint64_t *ids,
                   int nids, long total_ids, cJSON *extra, const char *fmt, ...)
    __attribute__((format(printf, 9, 10)));
void chk_target_note(chk_target *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void chk_run_note(chk_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sorts findings deterministically and renders them. */
cJSON *chk_target_findings_json(chk_target *t);

/* ---- stats.c ---- */
cJSON *chk_timings_json(chk_run *run);
cJSON *chk_availability_json(chk_run *run);
cJSON *chk_costs_json(chk_run *run, const chk_options *opts);

/* JSON helpers */
int64_t chk_json_i64(const cJSON *o, const char *name, int64_t dflt);
double chk_json_num(const cJSON *o, const char *name, double dflt);
const char *chk_json_str(const cJSON *o, const char *name);
cJSON *chk_json_add_i64(cJSON *o, const char *name, int64_t v);
#endif
