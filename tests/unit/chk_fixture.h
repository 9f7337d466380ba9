/*
 * chk_fixture.h - builds small synthetic run directories (scenario.json, history.jsonl,
 * backups.jsonl, snapshots/) for the checker tests, in the exact formats of
 * docs/formats.md. Instants are given in milliseconds after a fixed epoch instant.
 */
#ifndef BC_CHK_FIXTURE_H
#define BC_CHK_FIXTURE_H
#include <stdint.h>
#include <stdio.h>

#define FX_T0 1700000000000000000LL /* 2023-11-14T22:13:20Z */
#define FX_NS(ms) (FX_T0 + (int64_t)((ms)*1000000.0))
#define FX_SEED 42ULL

typedef struct fx {
    char dir[256];
    FILE *hist, *backups;
} fx;

/* Creates a fresh run directory named after `name` in this process's directory under $TMPDIR (or
 * /tmp); guarantee is the JSON of the scenario's "guarantee" ("\"strict\"" ...); workloads_json is
 * the meta line's workloads array (NULL for one insert workload of 8 workers). */
void fx_open(fx *f, const char *name, const char *guarantee, const char *workloads_json);
/* One op with a single write. kind: put/update/append/delete/add; outcome ok/fail/info. */
void fx_write(fx *f, int w, uint64_t s, const char *kind, const char *key, double inv_ms,
              double cmp_ms, const char *outcome);
/* A transaction of n puts (all carrying the txn's wid). */
void fx_txn(fx *f, int w, uint64_t s, const char *const *keys, int n, double inv_ms, double cmp_ms,
            const char *outcome);
/* A bank transfer (txn of two adds). */
void fx_transfer(fx *f, int w, uint64_t s, const char *from, const char *to, long amount,
                 double inv_ms, double cmp_ms);
void fx_raw_history(fx *f, const char *line); /* appended as is (no newline added) */
void fx_end(fx *f, double end_ms);
void fx_close_history(fx *f);
/* A backup requested at req_ms, acknowledged at ack_ms, restored to snapshots/<id>.jsonl. */
void fx_backup(fx *f, const char *id, double req_ms, double ack_ms);
void fx_pitr(fx *f, const char *id, double t_ms);
void fx_backups_raw(fx *f, const char *line);
void fx_close(fx *f);
/* Removes every run directory this process created (a cmocka group teardown), unless
 * BACKCHECK_KEEP_TEST_DIRS is set (non-empty, not "0"): then says where they are. */
int fx_cleanup(void **state);
/* Opens snapshots/<id>.jsonl for writing. */
FILE *fx_snap(fx *f, const char *id);
/* The snapshot of target id opened to add items after those written so far. */
FILE *fx_snap_append(fx *f, const char *id);
/* An item as the workloads write it (correct payload for (seed, key, wid)). */
void fx_item(FILE *s, const char *key, const char *wid);
void fx_item_pay(FILE *s, const char *key, const char *wid, const char *pay);
void fx_item_ids(FILE *s, const char *key, const char *wid, const char *const *ids, int n);
void fx_item_bal(FILE *s, const char *key, const char *wid, long bal);
/* Reads <dir>/results.json (cJSON, caller frees with cJSON_Delete). */
struct cJSON *fx_results(fx *f);
/* Number of findings of `kind` (and severity, or NULL for any) in a target object. */
int fx_count(const struct cJSON *target, const char *kind, const char *severity);
/* The first finding of kind in target, or NULL. */
const struct cJSON *fx_find(const struct cJSON *target, const char *kind);
#endif
