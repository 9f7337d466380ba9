/*
 * scan.c - reading a whole table with a parallel Scan: one thread and one client per
 * segment (Segment/TotalSegments), each following LastEvaluatedKey to the end.
 *
 * Threads share only the stop flag (an atomic) and read-only inputs; each writes its
 * own totals, summed after the joins.
 */
#include "ddb/ddb.h"
#include "ddb/internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Scan's TotalSegments is 1..1000000 (API reference); threads are the real limit. */
#define DDB_SCAN_MAX_SEGMENTS 1024

typedef struct scan_shared {
    const ddb_config *cfg;
    const char *table;
    int segments;
    int consistent;
    ddb_item_fn fn;
    void *arg;
    atomic_int stop;
} scan_shared;

typedef struct scan_seg {
    scan_shared *sh;
    ddb_client *client;
    int segment;
    ddb_err err;
    char errmsg[512];
    double rcu;
    long items;
} scan_seg;

static void *scan_segment(void *p)
{
    scan_seg *s = p;
    scan_shared *sh = s->sh;
    cJSON *start_key = NULL;
    for (;;) {
        if (atomic_load(&sh->stop)) break;
        cJSON *req = cJSON_CreateObject();
        if (!req) {
            s->err = DDB_ERR_OTHER;
            snprintf(s->errmsg, sizeof(s->errmsg), "out of memory");
            break;
        }
        cJSON_AddStringToObject(req, "TableName", sh->table);
        if (sh->segments > 1) {
            cJSON_AddNumberToObject(req, "Segment", s->segment);
            cJSON_AddNumberToObject(req, "TotalSegments", sh->segments);
        }
        if (sh->consistent) cJSON_AddTrueToObject(req, "ConsistentRead");
        if (start_key) {
            cJSON_AddItemToObject(req, "ExclusiveStartKey", start_key);
            start_key = NULL;
        }
        ddb_result r;
        ddb_err e = ddb_call(s->client, "Scan", req, &r);
        cJSON_Delete(req);
        if (e != DDB_OK) {
            s->err = e;
            ddb_set_err(s->errmsg, sizeof(s->errmsg), "Scan of %s segment %d: %s%s%s", sh->table,
                        s->segment, r.err_type[0] ? r.err_type : ddb_strerror(e),
                        r.err_message[0] ? ": " : "", r.err_message);
            ddb_result_free(&r);
            break;
        }
        s->rcu += r.rcu;
        const cJSON *items = cJSON_GetObjectItemCaseSensitive(r.body, "Items");
        const cJSON *item;
        int stopped = 0;
        cJSON_ArrayForEach(item, items)
        {
            int rc = sh->fn ? sh->fn(item, sh->arg) : 0;
            if (rc != 0) {
                s->err = DDB_ERR_OTHER;
                snprintf(s->errmsg, sizeof(s->errmsg),
                         "Scan of %s: the item callback stopped the scan (%d)", sh->table, rc);
                stopped = 1;
                break;
            }
            s->items++;
        }
        const cJSON *lek = cJSON_GetObjectItemCaseSensitive(r.body, "LastEvaluatedKey");
        if (!stopped && cJSON_IsObject(lek) && lek->child) start_key = cJSON_Duplicate(lek, 1);
        ddb_result_free(&r);
        if (stopped || !start_key) break;
    }
    cJSON_Delete(start_key);
    if (s->err != DDB_OK) atomic_store(&sh->stop, 1);
    return NULL;
}

ddb_err ddb_scan_all(const ddb_config *cfg, const char *table, int segments, int consistent,
                     ddb_item_fn fn, void *arg, double *rcu, long *items, char *err, size_t errlen)
{
    if (rcu) *rcu = 0;
    if (items) *items = 0;
    if (!cfg || !table || segments < 1 || segments > DDB_SCAN_MAX_SEGMENTS) {
        ddb_set_err(err, errlen, "scan: need a table and 1..%d segments", DDB_SCAN_MAX_SEGMENTS);
        return DDB_ERR_CONFIG;
    }
    scan_shared sh = {.cfg = cfg,
                      .table = table,
                      .segments = segments,
                      .consistent = consistent,
                      .fn = fn,
                      .arg = arg};
    atomic_init(&sh.stop, 0);
    scan_seg *segs = calloc((size_t)segments, sizeof(*segs));
    pthread_t *tids = calloc((size_t)segments, sizeof(*tids));
    int *started = calloc((size_t)segments, sizeof(*started));
    ddb_err result = DDB_OK;
    if (!segs || !tids || !started) {
        ddb_set_err(err, errlen, "scan: out of memory");
        result = DDB_ERR_OTHER;
        goto done;
    }
    /* Clients are made here, in one thread: curl handle creation is not the hot path
     * and this keeps any lazy library initialisation out of the workers. */
    for (int i = 0; i < segments; i++) {
        segs[i].sh = &sh;
        segs[i].segment = i;
        segs[i].client = ddb_client_new(cfg);
        if (!segs[i].client) {
            ddb_set_err(err, errlen, "scan: could not create a client");
            result = DDB_ERR_OTHER;
            goto done;
        }
    }
    for (int i = 0; i < segments; i++) {
        if (pthread_create(&tids[i], NULL, scan_segment, &segs[i]) != 0) {
            atomic_store(&sh.stop, 1);
            ddb_set_err(err, errlen, "scan: could not start thread %d", i);
            result = DDB_ERR_OTHER;
            break;
        }
        started[i] = 1;
    }
    for (int i = 0; i < segments; i++)
        if (started[i]) pthread_join(tids[i], NULL);
    for (int i = 0; i < segments; i++) {
        if (rcu) *rcu += segs[i].rcu;
        if (items) *items += segs[i].items;
        if (result == DDB_OK && segs[i].err != DDB_OK) {
            result = segs[i].err;
            ddb_set_err(err, errlen, "%s", segs[i].errmsg);
        }
    }
done:
    for (int i = 0; segs && i < segments; i++)
        ddb_client_free(segs[i].client);
    free(segs);
    free(tids);
    free(started);
    return result;
}
