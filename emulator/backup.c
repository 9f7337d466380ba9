/*
 * backup.c - on-demand backups, restores and point-in-time recovery, the background
 * worker that materializes them, and the vendor "truth" operation.
 *
 * CreateBackup returns at once (CREATING) after choosing one cut instant per partition:
 * the request time (exact model) or the request time plus a uniform offset in
 * [-window, +window] per partition (aws-window: no causal consistency, so a transaction
 * whose items sit in partitions cut on either side of its commit is torn, as AWS
 * documents may happen). While the backup is CREATING the table keeps every version
 * (pins). The worker materializes it after backup_delay_ms, and never before the latest
 * cut has passed: each key contributes its newest version with commit_ns <= its
 * partition's cut. Damage fault models are applied then and recorded in the truth.
 *
 * Restores build a NEW table (CREATING, RestoreSummary.RestoreInProgress true), load it in
 * the worker and make it ACTIVE restore_delay_ms later. A point-in-time restore reads the
 * source table as of the requested time (every partition cut at that instant).
 */
#include "emulator/emu_internal.h"
#include "util/clock.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A tear-txn fault only splits transactions committed this close before the cut
 * (unless the fault gives ms=): "split across the cut", not ancient history. */
#define EMU_TEAR_DEFAULT_MS 1000

static cJSON *emu_ns_json(int64_t ns)
{
    /* Decimal strings: a double cannot hold nanoseconds since the epoch, and a JSON
     * reader that parses numbers as doubles (cJSON does) would round them. */
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)ns);
    return cJSON_CreateString(buf);
}

void emu_backup_put(emu_backup *b)
{
    if (!b || atomic_fetch_sub(&b->refs, 1) != 1) return;
    cJSON_Delete(b->source);
    cJSON_Delete(b->features);
    cJSON_Delete(b->schema);
    cJSON_Delete(b->items);
    cJSON_Delete(b->damage);
    free(b->cut_ns);
    free(b);
}

static emu_backup *emu_backup_new(int ncut)
{
    emu_backup *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    atomic_init(&b->refs, 1);
    b->ncut = ncut;
    b->cut_ns = calloc((size_t)(ncut > 0 ? ncut : 1), sizeof *b->cut_ns);
    b->damage = cJSON_CreateArray();
    if (!b->cut_ns || !b->damage) {
        emu_backup_put(b);
        return NULL;
    }
    return b;
}

/* Finds a listed backup by ARN, ref'd. */
static emu_backup *emu_backup_find(emu_server *s, const char *arn)
{
    emu_backup *b = NULL;
    if (!arn) return NULL;
    pthread_mutex_lock(&s->backups_lock);
    for (int i = 0; i < s->nbackups; i++)
        if (strcmp(s->backups[i]->arn, arn) == 0) {
            b = s->backups[i];
            atomic_fetch_add(&b->refs, 1);
            break;
        }
    pthread_mutex_unlock(&s->backups_lock);
    return b;
}

static int emu_list_add(emu_backup ***arr, int *n, int *cap, emu_backup *b)
{
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 16;
        emu_backup **na = realloc(*arr, (size_t)nc * sizeof *na);
        if (!na) return -1;
        *arr = na;
        *cap = nc;
    }
    atomic_fetch_add(&b->refs, 1);
    (*arr)[(*n)++] = b;
    return 0;
}

static void emu_job_push(emu_server *s, emu_job *j)
{
    pthread_mutex_lock(&s->job_lock);
    j->next = s->jobs;
    s->jobs = j;
    pthread_cond_signal(&s->job_cond);
    pthread_mutex_unlock(&s->job_lock);
}

static const char *emu_bstatus_name(emu_bstatus st)
{
    return st == EMU_BS_AVAILABLE ? "AVAILABLE" : st == EMU_BS_DELETED ? "DELETED" : "CREATING";
}

static cJSON *emu_backup_details(emu_server *s, emu_backup *b)
{
    pthread_mutex_lock(&s->backups_lock);
    emu_bstatus st = b->status;
    long long size = b->size_bytes;
    pthread_mutex_unlock(&s->backups_lock);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "BackupArn", b->arn);
    cJSON_AddStringToObject(d, "BackupName", b->name);
    if (st != EMU_BS_CREATING) cJSON_AddNumberToObject(d, "BackupSizeBytes", (double)size);
    cJSON_AddStringToObject(d, "BackupStatus", emu_bstatus_name(st));
    cJSON_AddStringToObject(d, "BackupType", "USER");
    cJSON_AddNumberToObject(d, "BackupCreationDateTime", emu_epoch_s(b->request_ns));
    return d;
}

static cJSON *emu_backup_description(emu_server *s, emu_backup *b)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "BackupDetails", emu_backup_details(s, b));
    cJSON_AddItemToObject(o, "SourceTableDetails", cJSON_Duplicate(b->source, 1));
    cJSON_AddItemToObject(o, "SourceTableFeatureDetails", cJSON_Duplicate(b->features, 1));
    return o;
}

/* SourceTableDetails and SourceTableFeatureDetails from the table's description. */
static void emu_backup_source(emu_backup *b, emu_table *t)
{
    cJSON *d = emu_table_describe(t);
    cJSON *src = cJSON_CreateObject();
    static const char *const copy[] = {"TableName",      "TableId",   "TableArn",
                                       "TableSizeBytes", "KeySchema", "ItemCount"};
    for (size_t i = 0; i < sizeof copy / sizeof copy[0]; i++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(d, copy[i]);
        if (v) cJSON_AddItemToObject(src, copy[i], cJSON_Duplicate(v, 1));
    }
    cJSON_AddNumberToObject(src, "TableCreationDateTime", emu_epoch_s(t->created_ns));
    cJSON *pt = cJSON_AddObjectToObject(src, "ProvisionedThroughput");
    cJSON_AddNumberToObject(pt, "ReadCapacityUnits", (double)t->rcu);
    cJSON_AddNumberToObject(pt, "WriteCapacityUnits", (double)t->wcu);
    cJSON_AddStringToObject(src, "BillingMode",
                            t->pay_per_request ? "PAY_PER_REQUEST" : "PROVISIONED");
    b->source = src;
    cJSON *f = cJSON_CreateObject();
    static const char *const idx[] = {"LocalSecondaryIndexes", "GlobalSecondaryIndexes"};
    for (int i = 0; i < 2; i++) {
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(d, idx[i]);
        if (!arr) continue;
        cJSON *out = cJSON_AddArrayToObject(f, idx[i]);
        const cJSON *x;
        cJSON_ArrayForEach(x, arr)
        {
            cJSON *e = cJSON_CreateObject();
            static const char *const fields[] = {"IndexName", "KeySchema", "Projection",
                                                 "ProvisionedThroughput"};
            for (size_t k = 0; k < 4; k++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(x, fields[k]);
                if (v) cJSON_AddItemToObject(e, fields[k], cJSON_Duplicate(v, 1));
            }
            cJSON_AddItemToArray(out, e);
        }
    }
    cJSON *ttl = cJSON_AddObjectToObject(f, "TimeToLiveDescription");
    cJSON_AddStringToObject(ttl, "TimeToLiveStatus", "DISABLED");
    b->features = f;
    b->schema = emu_table_schema(t);
    cJSON_Delete(d);
}

/* ---- materialization ---- */

typedef struct emu_txref {
    uint64_t txn;
    int64_t commit_ns;
    int index;   /* position in the items array */
    cJSON *prev; /* the version before the transaction (NULL: absent) */
} emu_txref;

static int emu_txref_cmp(const void *a, const void *b)
{
    const emu_txref *x = a, *y = b;
    if (x->txn != y->txn) return x->txn < y->txn ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static cJSON *emu_damage(cJSON *damage, const char *fault, const cJSON *item, const emu_table *t,
                         const char *detail)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "Fault", fault);
    if (item && t) {
        cJSON *k = cJSON_AddObjectToObject(d, "Key");
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(item, t->hash_name);
        if (h) cJSON_AddItemToObject(k, t->hash_name, cJSON_Duplicate(h, 1));
        if (t->range_name[0]) {
            const cJSON *rg = cJSON_GetObjectItemCaseSensitive(item, t->range_name);
            if (rg) cJSON_AddItemToObject(k, t->range_name, cJSON_Duplicate(rg, 1));
        }
    }
    if (detail) cJSON_AddStringToObject(d, "Detail", detail);
    cJSON_AddItemToArray(damage, d);
    return d;
}

static cJSON *emu_phantom_key(emu_server *s, ddb_attr_type ty)
{
    char hex[17];
    emu_random_hex(s, hex, 16);
    if (ty == DDB_T_N) {
        char num[24];
        snprintf(num, sizeof num, "9%.15s", hex);
        for (char *c = num; *c; c++)
            if (*c > '9') *c = (char)('0' + (*c - 'a'));
        return ddb_attr_n_str(num);
    }
    if (ty == DDB_T_B) return ddb_attr_b(hex, 16);
    char str[32];
    snprintf(str, sizeof str, "phantom-%s", hex);
    return ddb_attr_s(str);
}

/* Entries a backup copies from a partition per hold of its lock. */
#define EMU_MATERIALIZE_SLICE 128

/* Where a partition's copy stopped: the last collection's hash key bytes. */
typedef struct emu_resume {
    char *key;
    size_t len, cap;
} emu_resume;

static int emu_resume_note(emu_resume *r, const emu_coll *c)
{
    if (c->hkey_len > r->cap) {
        char *k = realloc(r->key, c->hkey_len);
        if (!k) return -1;
        r->key = k;
        r->cap = c->hkey_len;
    }
    memcpy(r->key, c->hkey, c->hkey_len);
    r->len = c->hkey_len;
    return 0;
}

/* Reads table t as of cuts[partition] into an array of items, applying the damage fault
 * models active now and recording them in `damage`. */
static cJSON *emu_materialize(emu_server *s, emu_table *t, const int64_t *cuts, cJSON *damage,
                              long long *bytes)
{
    emu_fault drop, res, tear, phantom;
    int has_drop = emu_fault_active(s, EMU_F_DROP, &drop);
    int has_res = emu_fault_active(s, EMU_F_RESURRECT, &res);
    int has_tear = emu_fault_active(s, EMU_F_TEAR_TXN, &tear);
    int has_phantom = emu_fault_active(s, EMU_F_PHANTOM, &phantom);
    int64_t tear_ns = (has_tear && tear.ms > 0 ? tear.ms : EMU_TEAR_DEFAULT_MS) * BC_NS_PER_MS;
    cJSON *items = cJSON_CreateArray();
    emu_txref *tx = NULL;
    int ntx = 0, captx = 0, nitems = 0;
    *bytes = 0;
    emu_resume rs = {NULL, 0, 0};
    for (int pi = 0; pi < t->nparts; pi++) {
        emu_part *p = &t->parts[pi];
        int64_t cut = cuts[pi];
        /* A partition is copied a slice at a time, its lock released in between, so that
         * writers wait for a slice, not for the whole partition (AWS documents that a
         * backup does not affect the table's performance). Every write after the cut
         * commits later than it, and the table keeps every version while a backup is
         * CREATING, so a slice copied later sees the same versions at the cut. Keys
         * inserted meanwhile shift the sorted collections: the next slice starts after
         * the last key copied, found again by its bytes. */
        int ci = 0, started = 0, held = 0, more = 1;
        while (more) {
            if (!held) {
                pthread_rwlock_rdlock(&p->lock);
                if (started) ci = emu_part_after(p, rs.key, rs.len);
                held = 1;
            }
            started = 1;
            long visited = 0;
            for (; ci < p->n && visited < EMU_MATERIALIZE_SLICE; ci++) {
                emu_coll *c = p->c[ci];
                visited += c->n;
                for (int ei = 0; ei < c->n; ei++) {
                    emu_entry *e = c->e[ei];
                    const emu_version *v = emu_entry_at(e, cut);
                    if (!v) continue;
                    if (!v->item) {
                        /* Deleted before the cut: a resurrect fault brings it back. */
                        if (!has_res || emu_fault_random(s) >= res.fraction) continue;
                        const emu_version *prev = NULL;
                        for (const emu_version *q = v - 1; q >= e->ver; q--)
                            if (q->item) {
                                prev = q;
                                break;
                            }
                        if (!prev) continue;
                        cJSON_AddItemToArray(items, cJSON_Duplicate(prev->item, 1));
                        *bytes += (long long)prev->size;
                        nitems++;
                        emu_damage(damage, "resurrect", prev->item, t,
                                   "deleted before the cut, present in the backup");
                        continue;
                    }
                    if (has_drop && emu_fault_random(s) < drop.fraction) {
                        emu_damage(damage, "drop", v->item, t,
                                   "present at the cut, missing from the backup");
                        continue;
                    }
                    cJSON_AddItemToArray(items, cJSON_Duplicate(v->item, 1));
                    *bytes += (long long)v->size;
                    if (has_tear && v->txn_id && v->commit_ns > cut - tear_ns) {
                        if (ntx == captx) {
                            captx = captx ? captx * 2 : 64;
                            emu_txref *nt = realloc(tx, (size_t)captx * sizeof *nt);
                            if (!nt)
                                captx = ntx;
                            else
                                tx = nt;
                        }
                        if (ntx < captx) {
                            tx[ntx].txn = v->txn_id;
                            tx[ntx].commit_ns = v->commit_ns;
                            tx[ntx].index = nitems;
                            tx[ntx].prev = v > e->ver && (v - 1)->item
                                               ? cJSON_Duplicate((v - 1)->item, 1)
                                               : NULL;
                            ntx++;
                        }
                    }
                    nitems++;
                }
            }
            more = ci < p->n;
            /* Without memory to note where it stopped, it goes on in this hold. */
            if (!more || emu_resume_note(&rs, p->c[ci - 1]) == 0) {
                pthread_rwlock_unlock(&p->lock);
                held = 0;
            }
        }
    }
    free(rs.key);
    if (ntx) {
        /* Tear: for each chosen transaction, roll the second half of its items back to
         * the version before it, so the backup holds some but not all of its writes. */
        qsort(tx, (size_t)ntx, sizeof *tx, emu_txref_cmp);
        char *remove = calloc((size_t)nitems + 1, 1);
        for (int i = 0; i < ntx && remove;) {
            int j = i;
            while (j < ntx && tx[j].txn == tx[i].txn)
                j++;
            int n = j - i;
            if (n >= 2 && emu_fault_random(s) < tear.fraction) {
                char detail[160];
                snprintf(detail, sizeof detail, "transaction %llu: %d of %d items rolled back",
                         (unsigned long long)tx[i].txn, n - n / 2, n);
                for (int k = i + n / 2; k < j; k++) {
                    cJSON *cur = cJSON_GetArrayItem(items, tx[k].index);
                    cJSON *d = emu_damage(damage, "tear-txn", cur, t, detail);
                    cJSON_AddNumberToObject(d, "Txn", (double)tx[k].txn);
                    *bytes -= (long long)ddb_item_size(cur);
                    if (tx[k].prev) {
                        *bytes += (long long)ddb_item_size(tx[k].prev);
                        cJSON_ReplaceItemInArray(items, tx[k].index, tx[k].prev);
                        tx[k].prev = NULL;
                    } else {
                        remove[tx[k].index] = 1;
                    }
                }
            }
            i = j;
        }
        for (int i = nitems - 1; remove && i >= 0; i--)
            if (remove[i]) cJSON_DeleteItemFromArray(items, i);
        free(remove);
        for (int i = 0; i < ntx; i++)
            cJSON_Delete(tx[i].prev);
    }
    free(tx);
    for (long i = 0; has_phantom && i < phantom.count; i++) {
        cJSON *it = cJSON_CreateObject();
        cJSON_AddItemToObject(it, t->hash_name, emu_phantom_key(s, t->hash_type));
        if (t->range_name[0])
            cJSON_AddItemToObject(it, t->range_name, emu_phantom_key(s, t->range_type));
        cJSON_AddItemToObject(it, "phantom", ddb_attr_bool(1));
        emu_damage(damage, "phantom", it, t, "an item nobody wrote");
        *bytes += (long long)ddb_item_size(it);
        cJSON_AddItemToArray(items, it);
    }
    return items;
}

/* Loads items into a (new, not yet ACTIVE) table with one commit timestamp. */
static void emu_load(emu_server *s, emu_table *t, const cJSON *items)
{
    int64_t ts = emu_commit_ts(s);
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(it, t->hash_name);
        const cJSON *rg =
            t->range_name[0] ? cJSON_GetObjectItemCaseSensitive(it, t->range_name) : NULL;
        char *hk;
        size_t hl;
        if (!h || (t->range_name[0] && !rg) || emu_key_canon(h, &hk, &hl) != 0) continue;
        uint64_t hash = bc_hash_bytes(hk, hl);
        emu_part *p = &t->parts[hash % (uint64_t)t->nparts];
        pthread_rwlock_wrlock(&p->lock);
        emu_entry *e = emu_part_find(p, hk, hl, hash, rg, 1);
        if (e) emu_entry_write(t, p, e, ts, 0, cJSON_Duplicate(it, 1), s->retain_ns);
        pthread_rwlock_unlock(&p->lock);
        free(hk);
    }
}

static void emu_job_free(emu_job *j)
{
    if (j->backup) emu_backup_put(j->backup);
    if (j->target) emu_table_put(j->target);
    if (j->source) {
        atomic_fetch_sub(&j->source->pins, 1);
        emu_table_put(j->source);
    }
    free(j);
}

/* Makes a restored table ACTIVE (or drops it, restore-fail) after the restore delay. */
static void emu_restore_finish(emu_server *s, emu_table *t, int64_t loaded_ns)
{
    long stall = 0;
    int fail = 0;
    emu_fault_backup(s, 1, &stall, &fail);
    int64_t at = loaded_ns + ((int64_t)s->cfg.restore_delay_ms + stall) * BC_NS_PER_MS;
    if (fail) {
        emu_job *j = calloc(1, sizeof *j);
        if (j) {
            j->kind = EMU_JOB_RESTORE;
            j->due_ns = at;
            j->target = t;
            atomic_fetch_add(&t->refs, 1);
            j->pitr_ns = -1; /* marks "drop the target" */
            emu_job_push(s, j);
        }
        return;
    }
    pthread_mutex_lock(&t->meta_lock);
    t->active_at_ns = at;
    pthread_mutex_unlock(&t->meta_lock);
}

static void emu_run_job(emu_server *s, emu_job *j)
{
    if (j->kind == EMU_JOB_RESTORE && j->pitr_ns == -1) {
        emu_table_unregister(s, j->target); /* restore-fail */
        return;
    }
    if (j->kind == EMU_JOB_BACKUP) {
        emu_backup *b = j->backup;
        long long bytes = 0;
        cJSON *items = NULL;
        if (!b->failed) items = emu_materialize(s, b->table, b->cut_ns, b->damage, &bytes);
        pthread_mutex_lock(&s->backups_lock);
        b->items = items;
        b->size_bytes = bytes;
        b->nitems = items ? cJSON_GetArraySize(items) : 0;
        b->status = b->failed ? EMU_BS_DELETED : EMU_BS_AVAILABLE;
        emu_table *t = b->table;
        b->table = NULL;
        pthread_mutex_unlock(&s->backups_lock);
        if (t) {
            atomic_fetch_sub(&t->pins, 1);
            emu_table_put(t);
        }
        return;
    }
    if (j->kind == EMU_JOB_RESTORE) {
        emu_load(s, j->target, j->backup->items);
        emu_restore_finish(s, j->target, bc_now_ns());
        return;
    }
    /* PITR: the truth record j->backup; cuts already set (or moved by pitr-ignore-time). */
    emu_backup *b = j->backup;
    emu_fault ign;
    if (emu_fault_active(s, EMU_F_PITR_IGNORE_TIME, &ign)) {
        int64_t now = bc_now_ns();
        for (int i = 0; i < b->ncut; i++)
            b->cut_ns[i] = now;
        char detail[160];
        snprintf(detail, sizeof detail, "restored the latest state instead of %lld ns (%+lld ms)",
                 (long long)j->pitr_ns, (long long)((now - j->pitr_ns) / BC_NS_PER_MS));
        emu_damage(b->damage, "pitr-ignore-time", NULL, NULL, detail);
    }
    long long bytes = 0;
    cJSON *items = emu_materialize(s, j->source, b->cut_ns, b->damage, &bytes);
    emu_load(s, j->target, items);
    pthread_mutex_lock(&s->backups_lock);
    b->size_bytes = bytes;
    b->nitems = cJSON_GetArraySize(items);
    b->status = EMU_BS_AVAILABLE;
    pthread_mutex_unlock(&s->backups_lock);
    cJSON_Delete(items);
    emu_restore_finish(s, j->target, bc_now_ns());
}

static void *emu_worker_main(void *arg)
{
    emu_server *s = arg;
    pthread_mutex_lock(&s->job_lock);
    while (!s->stopping) {
        emu_job **best = NULL;
        for (emu_job **pj = &s->jobs; *pj; pj = &(*pj)->next)
            if (!best || (*pj)->due_ns < (*best)->due_ns) best = pj;
        if (!best) {
            pthread_cond_wait(&s->job_cond, &s->job_lock);
            continue;
        }
        int64_t now = bc_now_ns();
        if ((*best)->due_ns > now) {
            struct timespec ts;
            ts.tv_sec = (time_t)((*best)->due_ns / BC_NS_PER_S);
            ts.tv_nsec = (long)((*best)->due_ns % BC_NS_PER_S);
            pthread_cond_timedwait(&s->job_cond, &s->job_lock, &ts);
            continue;
        }
        emu_job *j = *best;
        *best = j->next;
        pthread_mutex_unlock(&s->job_lock);
        emu_run_job(s, j);
        emu_job_free(j);
        pthread_mutex_lock(&s->job_lock);
    }
    pthread_mutex_unlock(&s->job_lock);
    return NULL;
}

int emu_worker_start(emu_server *s)
{
    if (pthread_create(&s->worker, NULL, emu_worker_main, s) != 0) return -1;
    s->worker_started = 1;
    return 0;
}

void emu_worker_stop(emu_server *s)
{
    pthread_mutex_lock(&s->job_lock);
    s->stopping = 1;
    pthread_cond_broadcast(&s->job_cond);
    pthread_mutex_unlock(&s->job_lock);
    if (s->worker_started) pthread_join(s->worker, NULL);
    s->worker_started = 0;
    while (s->jobs) {
        emu_job *j = s->jobs;
        s->jobs = j->next;
        if (j->kind == EMU_JOB_BACKUP && j->backup && j->backup->table) {
            atomic_fetch_sub(&j->backup->table->pins, 1);
            emu_table_put(j->backup->table);
            j->backup->table = NULL;
        }
        emu_job_free(j);
    }
}

void emu_backups_free_all(emu_server *s)
{
    for (int i = 0; i < s->nbackups; i++)
        emu_backup_put(s->backups[i]);
    for (int i = 0; i < s->ntruths; i++)
        emu_backup_put(s->truths[i]);
    free(s->backups);
    free(s->truths);
    s->backups = s->truths = NULL;
    s->nbackups = s->ntruths = 0;
}

int emu_backup_in_progress(emu_server *s, const char *table_name)
{
    int busy = 0;
    pthread_mutex_lock(&s->backups_lock);
    for (int i = 0; i < s->nbackups; i++)
        if (s->backups[i]->status == EMU_BS_CREATING &&
            strcmp(s->backups[i]->table_name, table_name) == 0)
            busy = 1;
    pthread_mutex_unlock(&s->backups_lock);
    return busy;
}

/* ---- operations ---- */

int emu_op_create_backup(emu_req *r)
{
    emu_server *s = r->srv;
    const char *tname = emu_get_str(r->body, "TableName");
    const char *bname = emu_get_str(r->body, "BackupName");
    if (!tname || !bname) return emu_fail_null(r, tname ? "BackupName" : "TableName");
    if (!emu_name_valid(bname))
        return emu_fail(r, "ValidationException",
                        "1 validation error detected: Value '%s' at 'backupName' failed to "
                        "satisfy constraint: Member must satisfy regular expression pattern: "
                        "[a-zA-Z0-9_.-]+",
                        bname);
    emu_table *t = emu_table_get(s, tname);
    if (!t) return emu_fail(r, "TableNotFoundException", "Table not found: %s", tname);
    if (emu_table_status(t) != EMU_TS_ACTIVE) {
        emu_table_put(t);
        return emu_fail(r, "TableInUseException", "Table is not in ACTIVE state: %s", tname);
    }
    emu_backup *b = emu_backup_new(t->nparts);
    if (!b) {
        emu_table_put(t);
        return emu_fail(r, "InternalServerError", "out of memory");
    }
    b->request_ns = r->now_ns;
    b->model = s->cfg.cut_model;
    snprintf(b->name, sizeof b->name, "%s", bname);
    snprintf(b->table_name, sizeof b->table_name, "%s", t->name);
    snprintf(b->table_arn, sizeof b->table_arn, "%s", t->arn);
    snprintf(b->table_id, sizeof b->table_id, "%s", t->id);
    char hex[9];
    emu_random_hex(s, hex, 8);
    /* The 14-digit field is the creation time in epoch milliseconds (AWS examples). */
    snprintf(b->arn, sizeof b->arn, "%s/backup/%014lld-%s", t->arn,
             (long long)(r->now_ns / BC_NS_PER_MS), hex);
    emu_backup_source(b, t);

    int64_t shift = emu_fault_cut_shift(s, b->damage);
    int64_t maxcut = 0;
    int64_t wnd = (int64_t)s->cfg.window_ms * BC_NS_PER_MS;
    for (int i = 0; i < b->ncut; i++) {
        int64_t off = 0;
        if (b->model == EMU_CUT_AWS_WINDOW && wnd > 0)
            off = (int64_t)(emu_fault_random(s) * (double)(2 * wnd + 1)) - wnd;
        b->cut_ns[i] = r->now_ns + off + shift;
        if (b->cut_ns[i] > maxcut) maxcut = b->cut_ns[i];
    }
    long stall = 0;
    emu_fault_backup(s, 0, &stall, &b->failed);
    if (b->failed) emu_damage(b->damage, "backup-fail", NULL, NULL, "backup never AVAILABLE");
    b->due_ns = r->now_ns + ((int64_t)s->cfg.backup_delay_ms + stall) * BC_NS_PER_MS;
    if (b->due_ns < maxcut + EMU_CUT_SETTLE_NS) b->due_ns = maxcut + EMU_CUT_SETTLE_NS;

    atomic_fetch_add(&t->pins, 1);
    b->table = t; /* our reference passes to the backup */
    emu_job *j = calloc(1, sizeof *j);
    pthread_mutex_lock(&s->backups_lock);
    int added = j ? emu_list_add(&s->backups, &s->nbackups, &s->capbackups, b) : -1;
    if (added == 0) b->listed = 1;
    pthread_mutex_unlock(&s->backups_lock);
    if (added != 0) {
        free(j);
        atomic_fetch_sub(&t->pins, 1);
        emu_table_put(t);
        b->table = NULL;
        emu_backup_put(b);
        return emu_fail(r, "InternalServerError", "out of memory");
    }
    r->out = cJSON_CreateObject();
    cJSON_AddItemToObject(r->out, "BackupDetails", emu_backup_details(s, b));
    j->kind = EMU_JOB_BACKUP;
    j->due_ns = b->due_ns;
    j->backup = b; /* our reference passes to the job */
    emu_job_push(s, j);
    return 0;
}

static emu_backup *emu_need_backup(emu_req *r)
{
    const char *arn = emu_need_str(r, "BackupArn");
    if (!arn) return NULL;
    emu_backup *b = emu_backup_find(r->srv, arn);
    if (!b) emu_fail(r, "BackupNotFoundException", "Backup not found: %s", arn);
    return b;
}

int emu_op_describe_backup(emu_req *r)
{
    emu_backup *b = emu_need_backup(r);
    if (!b) return -1;
    r->out = cJSON_CreateObject();
    cJSON_AddItemToObject(r->out, "BackupDescription", emu_backup_description(r->srv, b));
    emu_backup_put(b);
    return 0;
}

int emu_op_list_backups(emu_req *r)
{
    emu_server *s = r->srv;
    const cJSON *lim = cJSON_GetObjectItemCaseSensitive(r->body, "Limit");
    int limit = EMU_LIST_MAX;
    if (lim) {
        if (!cJSON_IsNumber(lim) || lim->valuedouble < 1 || lim->valuedouble > EMU_LIST_MAX)
            return emu_fail(r, "ValidationException",
                            "1 validation error detected: Value at 'limit' failed to satisfy "
                            "constraint: Member must have value between 1 and 100");
        limit = (int)lim->valuedouble;
    }
    const char *tname = emu_get_str(r->body, "TableName");
    const char *type = emu_get_str(r->body, "BackupType");
    if (type && strcmp(type, "USER") && strcmp(type, "SYSTEM") && strcmp(type, "AWS_BACKUP") &&
        strcmp(type, "ALL"))
        return emu_fail(r, "ValidationException",
                        "1 validation error detected: Value '%s' at 'backupType' failed to "
                        "satisfy constraint: Member must satisfy enum value set: [USER, SYSTEM, "
                        "AWS_BACKUP, ALL]",
                        type);
    int user = !type || strcmp(type, "USER") == 0 || strcmp(type, "ALL") == 0;
    const cJSON *lo = cJSON_GetObjectItemCaseSensitive(r->body, "TimeRangeLowerBound");
    const cJSON *hi = cJSON_GetObjectItemCaseSensitive(r->body, "TimeRangeUpperBound");
    int64_t lo_ns = lo ? emu_parse_epoch(lo) : -1, hi_ns = hi ? emu_parse_epoch(hi) : -1;
    const char *start = emu_get_str(r->body, "ExclusiveStartBackupArn");
    r->out = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(r->out, "BackupSummaries");
    pthread_mutex_lock(&s->backups_lock);
    int begin = 0;
    if (start) {
        for (int i = 0; i < s->nbackups; i++)
            if (strcmp(s->backups[i]->arn, start) == 0) begin = i + 1;
    }
    int count = 0;
    const char *last = NULL;
    for (int i = begin; user && i < s->nbackups; i++) {
        emu_backup *b = s->backups[i];
        /* ListBackups lists backups that are CREATING or AVAILABLE. */
        if (b->status == EMU_BS_DELETED) continue;
        if (tname && strcmp(b->table_name, tname) != 0) continue;
        /* The lower bound is inclusive, the upper exclusive (ListBackups). */
        if (lo && b->request_ns < lo_ns) continue;
        if (hi && b->request_ns >= hi_ns) continue;
        if (count == limit) {
            if (last) cJSON_AddStringToObject(r->out, "LastEvaluatedBackupArn", last);
            break;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "TableName", b->table_name);
        cJSON_AddStringToObject(o, "TableId", b->table_id);
        cJSON_AddStringToObject(o, "TableArn", b->table_arn);
        cJSON_AddStringToObject(o, "BackupArn", b->arn);
        cJSON_AddStringToObject(o, "BackupName", b->name);
        cJSON_AddNumberToObject(o, "BackupCreationDateTime", emu_epoch_s(b->request_ns));
        cJSON_AddStringToObject(o, "BackupStatus", emu_bstatus_name(b->status));
        cJSON_AddStringToObject(o, "BackupType", "USER");
        cJSON_AddNumberToObject(o, "BackupSizeBytes", (double)b->size_bytes);
        cJSON_AddItemToArray(arr, o);
        last = b->arn;
        count++;
    }
    pthread_mutex_unlock(&s->backups_lock);
    return 0;
}

int emu_op_delete_backup(emu_req *r)
{
    emu_server *s = r->srv;
    emu_backup *b = emu_need_backup(r);
    if (!b) return -1;
    pthread_mutex_lock(&s->backups_lock);
    /* Our reference + the list's + the job's while CREATING; more while restoring. */
    int busy = b->status == EMU_BS_CREATING || atomic_load(&b->refs) > 2;
    if (!busy) {
        for (int i = 0; i < s->nbackups; i++)
            if (s->backups[i] == b) {
                memmove(s->backups + i, s->backups + i + 1,
                        (size_t)(s->nbackups - i - 1) * sizeof *s->backups);
                s->nbackups--;
                b->listed = 0;
                atomic_fetch_sub(&b->refs, 1);
                break;
            }
    }
    pthread_mutex_unlock(&s->backups_lock);
    if (busy) {
        emu_backup_put(b);
        return emu_fail(r, "BackupInUseException", "Backup is being created or restored: %s",
                        b->arn);
    }
    r->out = cJSON_CreateObject();
    cJSON *d = emu_backup_description(s, b);
    cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(d, "BackupDetails"),
                                           "BackupStatus", cJSON_CreateString("DELETED"));
    cJSON_AddItemToObject(r->out, "BackupDescription", d);
    emu_backup_put(b);
    return 0;
}

/* Applies the restore overrides of the request to a copy of the source schema. */
static cJSON *emu_restore_schema(const cJSON *schema, const cJSON *req)
{
    cJSON *sc = cJSON_Duplicate(schema, 1);
    const char *bm = emu_get_str(req, "BillingModeOverride");
    if (bm) {
        cJSON_DeleteItemFromObjectCaseSensitive(sc, "BillingMode");
        cJSON_AddStringToObject(sc, "BillingMode", bm);
        if (strcmp(bm, "PAY_PER_REQUEST") == 0)
            cJSON_DeleteItemFromObjectCaseSensitive(sc, "ProvisionedThroughput");
    }
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(req, "ProvisionedThroughputOverride");
    if (pt) {
        cJSON_DeleteItemFromObjectCaseSensitive(sc, "ProvisionedThroughput");
        cJSON_AddItemToObject(sc, "ProvisionedThroughput", cJSON_Duplicate(pt, 1));
    }
    static const char *const ov[2][2] = {{"GlobalSecondaryIndexOverride", "GlobalSecondaryIndexes"},
                                         {"LocalSecondaryIndexOverride", "LocalSecondaryIndexes"}};
    for (int i = 0; i < 2; i++) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(req, ov[i][0]);
        if (!cJSON_IsArray(o)) continue;
        cJSON_DeleteItemFromObjectCaseSensitive(sc, ov[i][1]);
        /* "--global-secondary-index-override '[]'" drops them all. */
        if (cJSON_GetArraySize(o) > 0) cJSON_AddItemToObject(sc, ov[i][1], cJSON_Duplicate(o, 1));
    }
    return sc;
}

/* Creates and registers the restore target (CREATING, RestoreInProgress). */
static emu_table *emu_restore_target(emu_req *r, const cJSON *schema, const char *name,
                                     int64_t restore_time, const char *backup_arn,
                                     const char *table_arn)
{
    emu_table *old = emu_table_get(r->srv, name);
    if (old) {
        int creating = emu_table_status(old) != EMU_TS_ACTIVE;
        emu_table_put(old);
        if (creating)
            return emu_fail(r, "TableInUseException", "Table is being created: %s", name), NULL;
        return emu_fail(r, "TableAlreadyExistsException", "Table already exists: %s", name), NULL;
    }
    cJSON *sc = emu_restore_schema(schema, r->body);
    emu_table *t;
    int rc = emu_table_from_schema(r->srv, sc, name, r, &t);
    cJSON_Delete(sc);
    if (rc != 0) return NULL;
    t->restoring = 1;
    t->restore_time_ns = restore_time;
    snprintf(t->restore_backup_arn, sizeof t->restore_backup_arn, "%s",
             backup_arn ? backup_arn : "");
    snprintf(t->restore_table_arn, sizeof t->restore_table_arn, "%s", table_arn ? table_arn : "");
    if (emu_table_register(r->srv, t, r) != 0) {
        emu_table_put(t);
        emu_fail(r, "TableAlreadyExistsException", "Table already exists: %s", name);
        return NULL;
    }
    return t;
}

int emu_op_restore_from_backup(emu_req *r)
{
    emu_server *s = r->srv;
    const char *target = emu_need_str(r, "TargetTableName");
    if (!target) return -1;
    emu_backup *b = emu_need_backup(r);
    if (!b) return -1;
    pthread_mutex_lock(&s->backups_lock);
    emu_bstatus st = b->status;
    pthread_mutex_unlock(&s->backups_lock);
    if (st == EMU_BS_CREATING) {
        emu_backup_put(b);
        return emu_fail(r, "BackupInUseException", "Backup is being created: %s",
                        emu_get_str(r->body, "BackupArn"));
    }
    if (st == EMU_BS_DELETED) {
        emu_backup_put(b);
        return emu_fail(r, "BackupNotFoundException", "Backup not found: %s",
                        emu_get_str(r->body, "BackupArn"));
    }
    emu_table *t = emu_restore_target(r, b->schema, target, b->request_ns, b->arn, b->table_arn);
    if (!t) {
        emu_backup_put(b);
        return -1;
    }
    r->out = cJSON_CreateObject();
    cJSON_AddItemToObject(r->out, "TableDescription", emu_table_describe(t));
    emu_job *j = calloc(1, sizeof *j);
    if (!j) {
        emu_table_unregister(s, t);
        emu_table_put(t);
        emu_backup_put(b);
        return emu_fail(r, "InternalServerError", "out of memory");
    }
    j->kind = EMU_JOB_RESTORE;
    j->due_ns = r->now_ns;
    j->backup = b;
    j->target = t;
    emu_job_push(s, j);
    return 0;
}

int emu_op_restore_pitr(emu_req *r)
{
    emu_server *s = r->srv;
    const char *target = emu_get_str(r->body, "TargetTableName");
    const char *src = emu_get_str(r->body, "SourceTableName");
    if (!src) src = emu_get_str(r->body, "SourceTableArn");
    if (!target || !src) return emu_fail_null(r, target ? "SourceTableName" : "TargetTableName");
    const cJSON *latest = cJSON_GetObjectItemCaseSensitive(r->body, "UseLatestRestorableTime");
    const cJSON *when = cJSON_GetObjectItemCaseSensitive(r->body, "RestoreDateTime");
    if (cJSON_IsTrue(latest) && when)
        return emu_fail(r, "ValidationException",
                        "Only one of RestoreDateTime or UseLatestRestorableTime can be given");
    if (!cJSON_IsTrue(latest) && !when)
        return emu_fail(r, "ValidationException",
                        "Either RestoreDateTime or UseLatestRestorableTime must be given");
    emu_table *t = emu_table_get(s, src);
    if (!t) return emu_fail(r, "TableNotFoundException", "Table not found: %s", src);
    int64_t at = r->now_ns;
    pthread_mutex_lock(&t->meta_lock);
    int pitr = atomic_load(&t->pitr);
    int64_t earliest = t->pitr_since_ns / BC_NS_PER_MS * BC_NS_PER_MS;
    pthread_mutex_unlock(&t->meta_lock);
    if (!pitr) {
        emu_table_put(t);
        return emu_fail(r, "PointInTimeRecoveryUnavailableException",
                        "Point in time recovery is not enabled for table '%s'", src);
    }
    if (when) {
        at = emu_parse_epoch(when);
        /* The restorable range is [EarliestRestorableDateTime, LatestRestorableDateTime];
         * on the emulator the latest is now (AWS: typically 5 minutes before now). */
        if (at < earliest || at > r->now_ns) {
            emu_table_put(t);
            return emu_fail(r, "InvalidRestoreTimeException",
                            "RestoreDateTime must be between EarliestRestorableDateTime and "
                            "LatestRestorableDateTime.");
        }
    }
    emu_backup *truth = emu_backup_new(t->nparts);
    cJSON *schema = emu_table_schema(t);
    emu_table *nt =
        truth && schema ? emu_restore_target(r, schema, target, at, NULL, t->arn) : NULL;
    cJSON_Delete(schema);
    emu_job *j = nt ? calloc(1, sizeof *j) : NULL;
    if (!j) {
        if (nt) {
            emu_table_unregister(s, nt);
            emu_table_put(nt);
        }
        emu_backup_put(truth);
        emu_table_put(t);
        if (!r->err_type[0]) emu_fail(r, "InternalServerError", "out of memory");
        return -1;
    }
    truth->request_ns = at;
    truth->model = EMU_CUT_EXACT;
    truth->status = EMU_BS_CREATING;
    snprintf(truth->name, sizeof truth->name, "%s", target);
    snprintf(truth->table_name, sizeof truth->table_name, "%s", t->name);
    snprintf(truth->table_arn, sizeof truth->table_arn, "%s", t->arn);
    for (int i = 0; i < truth->ncut; i++)
        truth->cut_ns[i] = at;
    pthread_mutex_lock(&s->backups_lock);
    /* A later restore into a re-created table of the same name replaces the old truth. */
    for (int i = 0; i < s->ntruths; i++)
        if (strcmp(s->truths[i]->name, target) == 0) {
            emu_backup_put(s->truths[i]);
            s->truths[i] = s->truths[--s->ntruths];
            break;
        }
    emu_list_add(&s->truths, &s->ntruths, &s->captruths, truth);
    pthread_mutex_unlock(&s->backups_lock);
    r->out = cJSON_CreateObject();
    cJSON_AddItemToObject(r->out, "TableDescription", emu_table_describe(nt));
    atomic_fetch_add(&t->pins, 1);
    j->kind = EMU_JOB_PITR;
    j->due_ns = r->now_ns > at ? r->now_ns : at;
    j->backup = truth;
    j->target = nt;
    j->source = t;
    j->pitr_ns = at;
    emu_job_push(s, j);
    return 0;
}

static cJSON *emu_truth_json(emu_server *s, emu_backup *b, const char *kind)
{
    cJSON *o = cJSON_CreateObject();
    pthread_mutex_lock(&s->backups_lock);
    cJSON_AddStringToObject(o, "Kind", kind);
    cJSON_AddStringToObject(o, "Model", b->model == EMU_CUT_AWS_WINDOW ? "aws-window" : "exact");
    cJSON_AddNumberToObject(o, "WindowMs", b->model == EMU_CUT_AWS_WINDOW ? s->cfg.window_ms : 0);
    cJSON_AddStringToObject(o, "Status", emu_bstatus_name(b->status));
    cJSON_AddItemToObject(o, "RequestNs", emu_ns_json(b->request_ns));
    cJSON *cuts = cJSON_AddArrayToObject(o, "CutNs");
    int64_t mn = 0, mx = 0;
    for (int i = 0; i < b->ncut; i++) {
        cJSON_AddItemToArray(cuts, emu_ns_json(b->cut_ns[i]));
        if (i == 0 || b->cut_ns[i] < mn) mn = b->cut_ns[i];
        if (i == 0 || b->cut_ns[i] > mx) mx = b->cut_ns[i];
    }
    cJSON_AddItemToObject(o, "CutMinNs", emu_ns_json(mn));
    cJSON_AddItemToObject(o, "CutMaxNs", emu_ns_json(mx));
    cJSON_AddNumberToObject(o, "Items", (double)b->nitems);
    cJSON_AddNumberToObject(o, "SizeBytes", (double)b->size_bytes);
    cJSON_AddItemToObject(o, "Damage", cJSON_Duplicate(b->damage, 1));
    pthread_mutex_unlock(&s->backups_lock);
    return o;
}

int emu_op_describe_backup_truth(emu_req *r)
{
    emu_server *s = r->srv;
    const char *arn = emu_get_str(r->body, "BackupArn");
    const char *table = emu_get_str(r->body, "TableName");
    if (arn) {
        emu_backup *b = emu_backup_find(s, arn);
        if (!b) return emu_fail(r, "BackupNotFoundException", "Backup not found: %s", arn);
        r->out = emu_truth_json(s, b, "backup");
        cJSON_AddStringToObject(r->out, "BackupArn", b->arn);
        emu_backup_put(b);
        return 0;
    }
    if (!table)
        return emu_fail(r, "ValidationException", "Either BackupArn or TableName is required");
    emu_backup *b = NULL;
    pthread_mutex_lock(&s->backups_lock);
    for (int i = 0; i < s->ntruths; i++)
        if (strcmp(s->truths[i]->name, table) == 0) {
            b = s->truths[i];
            atomic_fetch_add(&b->refs, 1);
        }
    pthread_mutex_unlock(&s->backups_lock);
    if (b) {
        r->out = emu_truth_json(s, b, "pitr");
        cJSON_AddStringToObject(r->out, "TableName", table);
        emu_backup_put(b);
        return 0;
    }
    /* A table restored from a backup: that backup's truth. */
    emu_table *t = emu_table_get(s, table);
    char barn[512] = "";
    if (t) {
        pthread_mutex_lock(&t->meta_lock);
        snprintf(barn, sizeof barn, "%s", t->restore_backup_arn);
        pthread_mutex_unlock(&t->meta_lock);
        emu_table_put(t);
    }
    b = barn[0] ? emu_backup_find(s, barn) : NULL;
    if (!b)
        return emu_fail(r, "ResourceNotFoundException", "No restore truth is known for table: %s",
                        table);
    r->out = emu_truth_json(s, b, "backup");
    cJSON_AddStringToObject(r->out, "BackupArn", b->arn);
    cJSON_AddStringToObject(r->out, "TableName", table);
    emu_backup_put(b);
    return 0;
}
