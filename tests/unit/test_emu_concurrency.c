/*
 * test_emu_concurrency.c - the emulator under concurrent load (run under
 * -DBACKCHECK_SANITIZE=thread too): 4 writer threads doing transfers (transactions that
 * preserve a total) and counter overwrites while a backup, a restore and a point-in-time
 * restore are in flight. With the exact cut model, each backup must hold the bank total
 * (transactions atomic) and, for every writer, a counter value acknowledged before the
 * request at least, and never one invoked after the request was answered.
 *
 * And a backup of a table larger than the slices it is copied in (the emulator releases a
 * partition's lock between slices) while new keys land among the ones being copied: it
 * must hold each item once, every key written before the request, and none after the
 * answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_emu_util.h"
#include "util/clock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { WRITERS = 4, ACCOUNTS = 10, START_BAL = 100, MAX_SEQ = 100000 };

typedef struct writer {
    tu_env *env;
    ddb_client *c;
    int id;
    atomic_int *stop;
    int nseq;
    int64_t *invoke_ns, *complete_ns; /* per counter value (1-based); per insert (0-based) */
    int errors;
} writer;

static void *writer_main(void *p)
{
    writer *w = p;
    unsigned x = 12345u + (unsigned)w->id;
    char buf[1024];
    while (!atomic_load(w->stop) && w->nseq < MAX_SEQ - 1) {
        x = x * 1103515245u + 12345u;
        ddb_result r;
        memset(&r, 0, sizeof r);
        if ((x >> 16) % 2) {
            int from = (int)((x >> 8) % ACCOUNTS),
                to = (from + 1 + (int)((x >> 20) % (ACCOUNTS - 1))) % ACCOUNTS;
            snprintf(buf, sizeof buf,
                     "{\"TransactItems\":[{\"Update\":{\"TableName\":\"bank\",\"Key\":{\"pk\":{"
                     "\"S\":\"a%d\"}},"
                     "\"UpdateExpression\":\"SET bal = bal - :one\",\"ConditionExpression\":\"bal "
                     ">= :one\","
                     "\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"}}}},"
                     "{\"Update\":{\"TableName\":\"bank\",\"Key\":{\"pk\":{\"S\":\"a%d\"}},"
                     "\"UpdateExpression\":\"SET bal = bal + "
                     ":one\",\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"}}}}]}",
                     from, to);
            cJSON *req = cJSON_Parse(buf);
            ddb_err e = ddb_call(w->c, "TransactWriteItems", req, &r);
            if (e != DDB_OK && e != DDB_ERR_TXN_CANCELED) w->errors++;
            cJSON_Delete(req);
        } else {
            int seq = w->nseq + 1;
            snprintf(
                buf, sizeof buf,
                "{\"TableName\":\"bank\",\"Item\":{\"pk\":{\"S\":\"w%d\"},\"c\":{\"N\":\"%d\"}}}",
                w->id, seq);
            cJSON *req = cJSON_Parse(buf);
            w->invoke_ns[seq] = bc_now_ns();
            ddb_err e = ddb_call(w->c, "PutItem", req, &r);
            w->complete_ns[seq] = bc_now_ns();
            if (e != DDB_OK) w->errors++;
            w->nseq = seq;
            cJSON_Delete(req);
        }
        ddb_result_free(&r);
    }
    return NULL;
}

/* Starts n writers running fn, each with its own client, until *stop. */
static void start_writers(writer *ws, pthread_t *th, int n, tu_env *env, atomic_int *stop,
                          void *(*fn)(void *))
{
    for (int i = 0; i < n; i++) {
        memset(&ws[i], 0, sizeof ws[i]);
        ws[i].env = env;
        ws[i].c = ddb_client_new(&env->dcfg);
        ws[i].id = i;
        ws[i].stop = stop;
        ws[i].invoke_ns = calloc(MAX_SEQ, sizeof(int64_t));
        ws[i].complete_ns = calloc(MAX_SEQ, sizeof(int64_t));
        pthread_create(&th[i], NULL, fn, &ws[i]);
    }
}

/* Stops the writers; each must have written, and without an error. */
static void stop_writers(writer *ws, pthread_t *th, int n, atomic_int *stop)
{
    atomic_store(stop, 1);
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(ws[i].errors, 0);
        assert_true(ws[i].nseq > 0);
    }
}

static void free_writers(writer *ws, int n)
{
    for (int i = 0; i < n; i++) {
        ddb_client_free(ws[i].c);
        free(ws[i].invoke_ns);
        free(ws[i].complete_ns);
    }
}

/* CreateBackup of table: its ARN (caller frees), and the instants just before the request
 * (*req) and just after the answer (*ack). */
static char *backup_now(tu_env *env, const char *table, const char *name, int64_t *req,
                        int64_t *ack)
{
    ddb_result r;
    *req = bc_now_ns();
    const cJSON *b =
        tu_ok(env, &r, "CreateBackup", "{\"TableName\":\"%s\",\"BackupName\":\"%s\"}", table, name);
    *ack = bc_now_ns();
    assert_non_null(b);
    char *arn = strdup(
        cJSON_GetObjectItem(cJSON_GetObjectItem(b, "BackupDetails"), "BackupArn")->valuestring);
    ddb_result_free(&r);
    return arn;
}

/* Scans `table` and checks the bank total and each writer's counter against [R, A]. */
static void check_table(tu_env *env, const char *table, writer *ws, int64_t req_ns, int64_t ack_ns)
{
    long total = 0;
    int counters[WRITERS];
    for (int i = 0; i < WRITERS; i++)
        counters[i] = 0;
    char *start = NULL;
    do {
        ddb_result r;
        const cJSON *b =
            start
                ? tu_ok(env, &r, "Scan",
                        "{\"TableName\":\"%s\",\"Limit\":5,\"ExclusiveStartKey\":%s}", table, start)
                : tu_ok(env, &r, "Scan", "{\"TableName\":\"%s\",\"Limit\":5}", table);
        assert_non_null(b);
        free(start);
        start = NULL;
        const cJSON *it;
        cJSON_ArrayForEach(it, cJSON_GetObjectItem(b, "Items"))
        {
            const char *pk = cJSON_GetObjectItem(cJSON_GetObjectItem(it, "pk"), "S")->valuestring;
            if (pk[0] == 'a')
                total +=
                    atol(cJSON_GetObjectItem(cJSON_GetObjectItem(it, "bal"), "N")->valuestring);
            else
                counters[atoi(pk + 1)] =
                    atoi(cJSON_GetObjectItem(cJSON_GetObjectItem(it, "c"), "N")->valuestring);
        }
        const cJSON *lek = cJSON_GetObjectItem(b, "LastEvaluatedKey");
        if (lek) start = cJSON_PrintUnformatted(lek);
        ddb_result_free(&r);
    } while (start);
    assert_int_equal(total, (long)ACCOUNTS * START_BAL);
    for (int i = 0; i < WRITERS; i++) {
        int must = 0, absent = MAX_SEQ;
        for (int s = 1; s <= ws[i].nseq; s++) {
            if (ws[i].complete_ns[s] < req_ns) must = s;
            if (ws[i].invoke_ns[s] > ack_ns && s < absent) absent = s;
        }
        assert_true(counters[i] >= must);
        assert_true(counters[i] < absent);
    }
}

static void test_backup_and_restore_under_load(void **state)
{
    tu_env env;
    assert_int_equal(tu_start(&env, NULL), 0);
    assert_int_equal(tu_create_table(&env, "bank", "S", NULL), 0);
    ddb_result r;
    assert_non_null(tu_ok(&env, &r, "UpdateContinuousBackups",
                          "{\"TableName\":\"bank\",\"PointInTimeRecoverySpecification\":{"
                          "\"PointInTimeRecoveryEnabled\":true}}"));
    ddb_result_free(&r);
    for (int i = 0; i < ACCOUNTS; i++) {
        assert_non_null(tu_ok(
            &env, &r, "PutItem",
            "{\"TableName\":\"bank\",\"Item\":{\"pk\":{\"S\":\"a%d\"},\"bal\":{\"N\":\"%d\"}}}", i,
            START_BAL));
        ddb_result_free(&r);
    }
    atomic_int stop;
    atomic_init(&stop, 0);
    writer ws[WRITERS];
    pthread_t th[WRITERS];
    start_writers(ws, th, WRITERS, &env, &stop, writer_main);
    bc_sleep_ns(100 * BC_NS_PER_MS);
    int64_t req1, ack1;
    char *arn1 = backup_now(&env, "bank", "b-1", &req1, &ack1);
    assert_int_equal(tu_wait_backup(&env, arn1, "AVAILABLE"), 0);
    /* A second backup and two restores while the writers keep going. */
    int64_t req2, ack2;
    char *arn2 = backup_now(&env, "bank", "b-2", &req2, &ack2);
    assert_non_null(tu_ok(&env, &r, "RestoreTableFromBackup",
                          "{\"TargetTableName\":\"r-1\",\"BackupArn\":\"%s\"}", arn1));
    ddb_result_free(&r);
    int64_t req3 = bc_now_ns();
    assert_non_null(tu_ok(&env, &r, "RestoreTableToPointInTime",
                          "{\"SourceTableName\":\"bank\",\"TargetTableName\":\"p-1\","
                          "\"UseLatestRestorableTime\":true}"));
    int64_t ack3 = bc_now_ns();
    ddb_result_free(&r);
    assert_int_equal(tu_wait_backup(&env, arn2, "AVAILABLE"), 0);
    assert_int_equal(tu_wait_active(&env, "r-1"), 0);
    assert_int_equal(tu_wait_active(&env, "p-1"), 0);
    bc_sleep_ns(50 * BC_NS_PER_MS);
    stop_writers(ws, th, WRITERS, &stop);
    assert_non_null(tu_ok(&env, &r, "RestoreTableFromBackup",
                          "{\"TargetTableName\":\"r-2\",\"BackupArn\":\"%s\"}", arn2));
    ddb_result_free(&r);
    assert_int_equal(tu_wait_active(&env, "r-2"), 0);
    check_table(&env, "r-1", ws, req1, ack1);
    check_table(&env, "r-2", ws, req2, ack2);
    check_table(&env, "p-1", ws, req3, ack3);
    check_table(&env, "bank", ws, INT64_MAX, INT64_MAX);
    free_writers(ws, WRITERS);
    free(arn1);
    free(arn2);
    tu_stop(&env);
}

enum { PRELOAD = 4800, INSERTERS = 2 };

/* New keys spread over the sort order ("n<id>-<hash>-<seq>"), so that each lands among
 * the collections a backup is copying. */
static void *inserter_main(void *p)
{
    writer *w = p;
    char buf[256];
    while (!atomic_load(w->stop) && w->nseq < MAX_SEQ) {
        int seq = w->nseq;
        snprintf(buf, sizeof buf,
                 "{\"TableName\":\"big\",\"Item\":{\"pk\":{\"S\":\"n%d-%08x-%d\"}}}", w->id,
                 (unsigned)seq * 2654435761u, seq);
        cJSON *req = cJSON_Parse(buf);
        ddb_result r;
        memset(&r, 0, sizeof r);
        w->invoke_ns[seq] = bc_now_ns();
        if (ddb_call(w->c, "PutItem", req, &r) != DDB_OK) w->errors++;
        w->complete_ns[seq] = bc_now_ns();
        w->nseq = seq + 1;
        cJSON_Delete(req);
        ddb_result_free(&r);
    }
    return NULL;
}

static void test_backup_of_a_growing_table(void **state)
{
    (void)state;
    tu_env env;
    assert_int_equal(tu_start(&env, NULL), 0);
    assert_int_equal(tu_create_table(&env, "big", "S", NULL), 0);
    ddb_result r;
    char *batch = malloc(25 * 64 + 128);
    for (int i = 0; i < PRELOAD; i += 25) {
        size_t n = (size_t)sprintf(batch, "{\"RequestItems\":{\"big\":[");
        for (int j = i; j < i + 25; j++)
            n += (size_t)sprintf(batch + n,
                                 "%s{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"p%05d\"}}}}",
                                 j > i ? "," : "", j);
        sprintf(batch + n, "]}}");
        const cJSON *b = tu_ok(&env, &r, "BatchWriteItem", "%s", batch);
        assert_non_null(b);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(b, "UnprocessedItems")), 0);
        ddb_result_free(&r);
    }
    free(batch);
    atomic_int stop;
    atomic_init(&stop, 0);
    writer ws[INSERTERS];
    pthread_t th[INSERTERS];
    start_writers(ws, th, INSERTERS, &env, &stop, inserter_main);
    bc_sleep_ns(30 * BC_NS_PER_MS);
    int64_t req, ack;
    char *arn = backup_now(&env, "big", "grow-1", &req, &ack);
    assert_int_equal(tu_wait_backup(&env, arn, "AVAILABLE"), 0);
    bc_sleep_ns(20 * BC_NS_PER_MS);
    stop_writers(ws, th, INSERTERS, &stop);
    const cJSON *d = tu_ok(&env, &r, "DescribeBackup", "{\"BackupArn\":\"%s\"}", arn);
    assert_non_null(d);
    double backup_bytes =
        cJSON_GetObjectItem(
            cJSON_GetObjectItem(cJSON_GetObjectItem(d, "BackupDescription"), "BackupDetails"),
            "BackupSizeBytes")
            ->valuedouble;
    ddb_result_free(&r);
    assert_non_null(tu_ok(&env, &r, "RestoreTableFromBackup",
                          "{\"TargetTableName\":\"big-r\",\"BackupArn\":\"%s\"}", arn));
    ddb_result_free(&r);
    assert_int_equal(tu_wait_active(&env, "big-r"), 0);

    unsigned char *pre = calloc(PRELOAD, 1), *got[INSERTERS];
    for (int i = 0; i < INSERTERS; i++)
        got[i] = calloc(MAX_SEQ, 1);
    long scanned = 0;
    char *start = NULL;
    do {
        const cJSON *page = start
                                ? tu_ok(&env, &r, "Scan",
                                        "{\"TableName\":\"big-r\",\"ExclusiveStartKey\":%s}", start)
                                : tu_ok(&env, &r, "Scan", "{\"TableName\":\"big-r\"}");
        assert_non_null(page);
        free(start);
        start = NULL;
        const cJSON *it;
        cJSON_ArrayForEach(it, cJSON_GetObjectItem(page, "Items"))
        {
            const char *pk = cJSON_GetObjectItem(cJSON_GetObjectItem(it, "pk"), "S")->valuestring;
            int id, seq;
            unsigned h;
            if (pk[0] == 'p')
                pre[atoi(pk + 1)]++;
            else if (sscanf(pk, "n%d-%x-%d", &id, &h, &seq) == 3 && id >= 0 && id < INSERTERS &&
                     seq >= 0 && seq < MAX_SEQ)
                got[id][seq]++;
            else
                fail_msg("unexpected key %s in the restored table", pk);
            scanned++;
        }
        const cJSON *lek = cJSON_GetObjectItem(page, "LastEvaluatedKey");
        if (lek) start = cJSON_PrintUnformatted(lek);
        ddb_result_free(&r);
    } while (start);
    /* Each item once: a key copied twice would count twice in the backup's size, once in
     * the restored table's. */
    d = tu_ok(&env, &r, "DescribeTable", "{\"TableName\":\"big-r\"}");
    assert_non_null(d);
    double table_bytes =
        cJSON_GetObjectItem(cJSON_GetObjectItem(d, "Table"), "TableSizeBytes")->valuedouble;
    ddb_result_free(&r);
    if (backup_bytes != table_bytes)
        fail_msg("the backup holds %.0f bytes, its restore %.0f (%ld keys)", backup_bytes,
                 table_bytes, scanned);
    for (int i = 0; i < PRELOAD; i++)
        if (pre[i] != 1) fail_msg("preloaded key p%05d: %d copies in the backup", i, pre[i]);
    long before = 0, during = 0;
    for (int i = 0; i < INSERTERS; i++)
        for (int q = 0; q < ws[i].nseq; q++) {
            if (ws[i].complete_ns[q] < req && got[i][q] != 1)
                fail_msg("n%d seq %d, acknowledged before the backup request, is missing", i, q);
            if (ws[i].invoke_ns[q] > ack && got[i][q])
                fail_msg("n%d seq %d, sent after the backup was answered, is in it", i, q);
            before += ws[i].complete_ns[q] < req;
            during += ws[i].invoke_ns[q] > ack;
        }
    /* The test means something only if keys were inserted on both sides of the backup. */
    assert_true(before > 0 && during > 0);
    for (int i = 0; i < INSERTERS; i++)
        free(got[i]);
    free_writers(ws, INSERTERS);
    free(pre);
    free(arn);
    tu_stop(&env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backup_and_restore_under_load),
        cmocka_unit_test(test_backup_of_a_growing_table),
    };
    ddb_global_init();
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ddb_global_cleanup();
    return rc;
}
