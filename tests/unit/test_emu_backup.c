/*
 * test_emu_backup.c - backups, restores and point-in-time recovery on the emulator:
 * CREATING -> AVAILABLE, restore CREATING (RestoreInProgress) -> ACTIVE with exactly the
 * items at the cut, the documented errors, ListBackups, backups outliving their table,
 * PITR at a chosen time, and the truth record of both cut models.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "util/jsonl.h"

#include "test_emu_util.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An instant from the truth record (decimal strings: exact nanoseconds). */
static long long ns_of(const cJSON *t, const char *name)
{
    long long v = 0;
    assert_int_equal(bc_json_ns(cJSON_GetObjectItem(t, name), &v), 0);
    return v;
}

static const char *sget(const cJSON *o, const char *a, const char *b, const char *c)
{
    const cJSON *v = cJSON_GetObjectItem(o, a);
    if (b) v = cJSON_GetObjectItem(v, b);
    if (c) v = cJSON_GetObjectItem(v, c);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void put(tu_env *env, const char *table, const char *k, int v)
{
    ddb_result r;
    assert_non_null(
        tu_ok(env, &r, "PutItem",
              "{\"TableName\":\"%s\",\"Item\":{\"pk\":{\"S\":\"%s\"},\"v\":{\"N\":\"%d\"}}}", table,
              k, v));
    ddb_result_free(&r);
}

/* v of item k in table, -1 when absent. */
static int get_v(tu_env *env, const char *table, const char *k)
{
    ddb_result r;
    const cJSON *b = tu_ok(
        env, &r, "GetItem",
        "{\"TableName\":\"%s\",\"Key\":{\"pk\":{\"S\":\"%s\"}},\"ConsistentRead\":true}", table, k);
    const char *v = sget(b, "Item", "v", "N");
    int out = v ? atoi(v) : -1;
    ddb_result_free(&r);
    return out;
}

static char *create_backup(tu_env *env, const char *table, const char *name)
{
    ddb_result r;
    const cJSON *b =
        tu_ok(env, &r, "CreateBackup", "{\"TableName\":\"%s\",\"BackupName\":\"%s\"}", table, name);
    assert_non_null(b);
    assert_string_equal(sget(b, "BackupDetails", "BackupStatus", NULL), "CREATING");
    char *arn = strdup(sget(b, "BackupDetails", "BackupArn", NULL));
    ddb_result_free(&r);
    return arn;
}

static void restore(tu_env *env, const char *arn, const char *target)
{
    ddb_result r;
    const cJSON *b = tu_ok(env, &r, "RestoreTableFromBackup",
                           "{\"TargetTableName\":\"%s\",\"BackupArn\":\"%s\"}", target, arn);
    assert_non_null(b);
    const cJSON *td = cJSON_GetObjectItem(b, "TableDescription");
    assert_string_equal(sget(td, "TableStatus", NULL, NULL), "CREATING");
    assert_true(cJSON_IsTrue(
        cJSON_GetObjectItem(cJSON_GetObjectItem(td, "RestoreSummary"), "RestoreInProgress")));
    assert_string_equal(sget(td, "RestoreSummary", "SourceBackupArn", NULL), arn);
    ddb_result_free(&r);
    assert_int_equal(tu_wait_active(env, target), 0);
}

static void test_backup_restore_lifecycle(void **state)
{
    tu_env env;
    assert_int_equal(tu_start(&env, NULL), 0);
    assert_int_equal(tu_create_table(&env, "src", "S", NULL), 0);
    for (int i = 0; i < 20; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        put(&env, "src", k, i);
    }
    int64_t before = bc_now_ns();
    char *arn = create_backup(&env, "src", "first");
    int64_t after = bc_now_ns();
    /* arn:...:table/src/backup/<14-digit ms>-<8 hex> */
    const char *p = strstr(arn, ":table/src/backup/");
    assert_non_null(p);
    p += strlen(":table/src/backup/");
    assert_int_equal(strlen(p), 14 + 1 + 8);
    long long ms = atoll(p);
    assert_true(ms >= before / BC_NS_PER_MS && ms <= after / BC_NS_PER_MS);
    /* Writes after the request are not in an exact-model backup. */
    put(&env, "src", "late", 1);
    put(&env, "src", "k0", 100);
    ddb_result r;
    assert_non_null(
        tu_ok(&env, &r, "DeleteItem", "{\"TableName\":\"src\",\"Key\":{\"pk\":{\"S\":\"k1\"}}}"));
    ddb_result_free(&r);

    assert_int_equal(tu_wait_backup(&env, arn, "AVAILABLE"), 0);
    const cJSON *b = tu_ok(&env, &r, "DescribeBackup", "{\"BackupArn\":\"%s\"}", arn);
    const cJSON *bd = cJSON_GetObjectItem(b, "BackupDescription");
    assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(bd, "BackupDetails"), "BackupSizeBytes")
                    ->valuedouble > 0);
    double created =
        cJSON_GetObjectItem(cJSON_GetObjectItem(bd, "BackupDetails"), "BackupCreationDateTime")
            ->valuedouble;
    assert_true(created * 1e9 >= (double)before - 1e6 && created * 1e9 <= (double)after + 1e6);
    assert_string_equal(sget(bd, "SourceTableDetails", "TableName", NULL), "src");
    assert_non_null(cJSON_GetObjectItem(bd, "SourceTableFeatureDetails"));
    ddb_result_free(&r);

    restore(&env, arn, "restored");
    assert_int_equal(tu_scan_count(&env, "restored"), 20);
    assert_int_equal(get_v(&env, "restored", "k0"), 0);
    assert_int_equal(get_v(&env, "restored", "k1"), 1);
    assert_int_equal(get_v(&env, "restored", "late"), -1);
    /* The source is untouched by the restore. */
    assert_int_equal(get_v(&env, "src", "k0"), 100);
    b = tu_ok(&env, &r, "DescribeTable", "{\"TableName\":\"restored\"}");
    assert_true(cJSON_IsFalse(
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "Table"), "RestoreSummary"),
                            "RestoreInProgress")));
    ddb_result_free(&r);

    /* Errors. */
    assert_int_equal(tu_call(&env, &r, "RestoreTableFromBackup",
                             "{\"TargetTableName\":\"restored\",\"BackupArn\":\"%s\"}", arn),
                     DDB_ERR_TABLE_EXISTS);
    ddb_result_free(&r);
    assert_int_equal(tu_call(&env, &r, "RestoreTableFromBackup",
                             "{\"TargetTableName\":\"other\",\"BackupArn\":\"%s-nope\"}", arn),
                     DDB_ERR_BACKUP_NOT_FOUND);
    ddb_result_free(&r);
    assert_int_equal(
        tu_call(&env, &r, "CreateBackup", "{\"TableName\":\"missing\",\"BackupName\":\"xx1\"}"),
        DDB_ERR_TABLE_NOT_FOUND);
    ddb_result_free(&r);

    /* Backups outlive their table. */
    assert_non_null(tu_ok(&env, &r, "DeleteTable", "{\"TableName\":\"src\"}"));
    ddb_result_free(&r);
    restore(&env, arn, "again");
    assert_int_equal(tu_scan_count(&env, "again"), 20);

    /* ListBackups and DeleteBackup. */
    char *arn2 = create_backup(&env, "restored", "second");
    assert_int_equal(tu_wait_backup(&env, arn2, "AVAILABLE"), 0);
    b = tu_ok(&env, &r, "ListBackups", "{\"Limit\":1}");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(b, "BackupSummaries")), 1);
    const char *last = sget(b, "LastEvaluatedBackupArn", NULL, NULL);
    assert_non_null(last);
    char *lastc = strdup(last);
    ddb_result_free(&r);
    b = tu_ok(&env, &r, "ListBackups", "{\"Limit\":1,\"ExclusiveStartBackupArn\":\"%s\"}", lastc);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(b, "BackupSummaries")), 1);
    assert_string_not_equal(sget(cJSON_GetArrayItem(cJSON_GetObjectItem(b, "BackupSummaries"), 0),
                                 "BackupArn", NULL, NULL),
                            lastc);
    assert_null(cJSON_GetObjectItem(b, "LastEvaluatedBackupArn"));
    ddb_result_free(&r);
    free(lastc);
    b = tu_ok(&env, &r, "ListBackups", "{\"TableName\":\"restored\"}");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(b, "BackupSummaries")), 1);
    ddb_result_free(&r);
    b = tu_ok(&env, &r, "ListBackups", "{\"TimeRangeLowerBound\":%f}",
              (double)bc_now_ns() / 1e9 + 10);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(b, "BackupSummaries")), 0);
    ddb_result_free(&r);
    b = tu_ok(&env, &r, "DeleteBackup", "{\"BackupArn\":\"%s\"}", arn2);
    assert_string_equal(sget(b, "BackupDescription", "BackupDetails", "BackupStatus"), "DELETED");
    ddb_result_free(&r);
    assert_int_equal(tu_call(&env, &r, "DescribeBackup", "{\"BackupArn\":\"%s\"}", arn2),
                     DDB_ERR_BACKUP_NOT_FOUND);
    ddb_result_free(&r);
    free(arn);
    free(arn2);
    tu_stop(&env);
}

static void test_backup_in_use(void **state)
{
    tu_env env;
    assert_int_equal(tu_start(&env, NULL), 0);
    assert_int_equal(tu_create_table(&env, "busy", "S", NULL), 0);
    put(&env, "busy", "a", 1);
    char err[128];
    assert_int_equal(emu_fault_add(env.srv, "backup-stall:ms=60000", err, sizeof err), 0);
    char *arn = create_backup(&env, "busy", "stalled");
    ddb_result r;
    assert_int_equal(tu_call(&env, &r, "RestoreTableFromBackup",
                             "{\"TargetTableName\":\"busy2\",\"BackupArn\":\"%s\"}", arn),
                     DDB_ERR_BACKUP_IN_USE);
    ddb_result_free(&r);
    assert_int_equal(tu_call(&env, &r, "DeleteBackup", "{\"BackupArn\":\"%s\"}", arn),
                     DDB_ERR_BACKUP_IN_USE);
    ddb_result_free(&r);
    /* The table cannot be deleted while its backup is in progress. */
    assert_int_equal(tu_call(&env, &r, "DeleteTable", "{\"TableName\":\"busy\"}"),
                     DDB_ERR_RESOURCE_IN_USE);
    ddb_result_free(&r);
    const cJSON *b = tu_ok(&env, &r, "ListBackups", "{}");
    assert_string_equal(sget(cJSON_GetArrayItem(cJSON_GetObjectItem(b, "BackupSummaries"), 0),
                             "BackupStatus", NULL, NULL),
                        "CREATING");
    ddb_result_free(&r);
    free(arn);
    tu_stop(&env); /* stopping with a backup in flight frees everything */
}

static void test_pitr_at_time(void **state)
{
    tu_env env;
    assert_int_equal(tu_start(&env, NULL), 0);
    assert_int_equal(tu_create_table(&env, "pitr", "S", NULL), 0);
    ddb_result r;
    assert_int_equal(tu_call(&env, &r, "RestoreTableToPointInTime",
                             "{\"SourceTableName\":\"pitr\",\"TargetTableName\":\"p1\","
                             "\"UseLatestRestorableTime\":true}"),
                     DDB_ERR_PITR_UNAVAILABLE);
    ddb_result_free(&r);
    assert_non_null(tu_ok(&env, &r, "UpdateContinuousBackups",
                          "{\"TableName\":\"pitr\",\"PointInTimeRecoverySpecification\":{"
                          "\"PointInTimeRecoveryEnabled\":true}}"));
    ddb_result_free(&r);
    for (int i = 0; i < 10; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        put(&env, "pitr", k, 1);
    }
    bc_sleep_ns(5 * BC_NS_PER_MS);
    int64_t t1 = bc_now_ns();
    bc_sleep_ns(5 * BC_NS_PER_MS);
    for (int i = 0; i < 10; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        put(&env, "pitr", k, 2);
    }
    assert_non_null(
        tu_ok(&env, &r, "DeleteItem", "{\"TableName\":\"pitr\",\"Key\":{\"pk\":{\"S\":\"k3\"}}}"));
    ddb_result_free(&r);
    put(&env, "pitr", "new", 2);

    const cJSON *b = tu_ok(
        &env, &r, "RestoreTableToPointInTime",
        "{\"SourceTableName\":\"pitr\",\"TargetTableName\":\"at-t1\",\"RestoreDateTime\":%.6f}",
        (double)t1 / 1e9);
    assert_non_null(b);
    assert_string_equal(sget(b, "TableDescription", "TableStatus", NULL), "CREATING");
    ddb_result_free(&r);
    assert_int_equal(tu_wait_active(&env, "at-t1"), 0);
    assert_int_equal(tu_scan_count(&env, "at-t1"), 10);
    assert_int_equal(get_v(&env, "at-t1", "k3"), 1);
    assert_int_equal(get_v(&env, "at-t1", "k7"), 1);
    assert_int_equal(get_v(&env, "at-t1", "new"), -1);

    assert_non_null(tu_ok(&env, &r, "RestoreTableToPointInTime",
                          "{\"SourceTableName\":\"pitr\",\"TargetTableName\":\"latest\","
                          "\"UseLatestRestorableTime\":true}"));
    ddb_result_free(&r);
    assert_int_equal(tu_wait_active(&env, "latest"), 0);
    assert_int_equal(tu_scan_count(&env, "latest"), 10);
    assert_int_equal(get_v(&env, "latest", "k3"), -1);
    assert_int_equal(get_v(&env, "latest", "k7"), 2);

    /* Outside [Earliest, Latest]. */
    assert_int_equal(
        tu_call(
            &env, &r, "RestoreTableToPointInTime",
            "{\"SourceTableName\":\"pitr\",\"TargetTableName\":\"old\",\"RestoreDateTime\":1000}"),
        DDB_ERR_INVALID_RESTORE_TIME);
    ddb_result_free(&r);
    assert_int_equal(tu_call(&env, &r, "RestoreTableToPointInTime",
                             "{\"SourceTableName\":\"pitr\",\"TargetTableName\":\"future\","
                             "\"RestoreDateTime\":%.3f}",
                             (double)bc_now_ns() / 1e9 + 3600),
                     DDB_ERR_INVALID_RESTORE_TIME);
    ddb_result_free(&r);
    assert_int_equal(tu_call(&env, &r, "RestoreTableToPointInTime",
                             "{\"SourceTableName\":\"pitr\",\"TargetTableName\":\"latest\","
                             "\"UseLatestRestorableTime\":true}"),
                     DDB_ERR_TABLE_EXISTS);
    ddb_result_free(&r);
    assert_int_equal(tu_call(&env, &r, "RestoreTableToPointInTime",
                             "{\"SourceTableName\":\"nope\",\"TargetTableName\":\"x12\","
                             "\"UseLatestRestorableTime\":true}"),
                     DDB_ERR_TABLE_NOT_FOUND);
    ddb_result_free(&r);
    tu_stop(&env);
}

/* The truth record, read with a raw unsigned request on a no-auth server. */
static cJSON *truth(tu_env *env, const char *field, const char *value)
{
    char body[1024], out[65536];
    snprintf(body, sizeof body, "{\"%s\":\"%s\"}", field, value);
    long st = tu_raw_post(emu_endpoint(env->srv), "BackcheckEmulator.DescribeBackupTruth", body,
                          NULL, 0, out, sizeof out);
    assert_int_equal(st, 200);
    return cJSON_Parse(out);
}

static void test_cut_models_truth(void **state)
{
    for (int model = 0; model < 2; model++) {
        emu_config cfg;
        tu_fast_config(&cfg);
        cfg.no_auth = 1;
        char err[128];
        if (model)
            assert_int_equal(emu_parse_cut_model("aws-window:200", &cfg, err, sizeof err), 0);
        tu_env env;
        assert_int_equal(tu_start(&env, &cfg), 0);
        assert_int_equal(tu_create_table(&env, "cuts", "S", NULL), 0);
        put(&env, "cuts", "a", 1);
        /* Older than any aws-window cut can reach back. */
        bc_sleep_ns(250 * BC_NS_PER_MS);
        char *arn = create_backup(&env, "cuts", "bk1");
        assert_int_equal(tu_wait_backup(&env, arn, "AVAILABLE"), 0);
        cJSON *t = truth(&env, "BackupArn", arn);
        assert_non_null(t);
        assert_string_equal(cJSON_GetObjectItem(t, "Model")->valuestring,
                            model ? "aws-window" : "exact");
        long long req = ns_of(t, "RequestNs");
        const cJSON *cuts = cJSON_GetObjectItem(t, "CutNs");
        assert_int_equal(cJSON_GetArraySize(cuts), cfg.partitions);
        int differ = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, cuts)
        {
            long long cv = 0;
            assert_int_equal(bc_json_ns(c, &cv), 0);
            double d = (double)(cv - req);
            if (!model) assert_true(d == 0);
            assert_true(d >= -200e6 - 1e3 && d <= 200e6 + 1e3);
            if (d != 0) differ++;
        }
        if (model) assert_true(differ > 0);
        assert_true(ns_of(t, "CutMinNs") <= ns_of(t, "CutMaxNs"));
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(t, "Damage")), 0);
        assert_int_equal((int)cJSON_GetObjectItem(t, "Items")->valuedouble, 1);
        cJSON_Delete(t);
        free(arn);
        tu_stop(&env);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backup_restore_lifecycle),
        cmocka_unit_test(test_backup_in_use),
        cmocka_unit_test(test_pitr_at_time),
        cmocka_unit_test(test_cut_models_truth),
    };
    ddb_global_init();
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ddb_global_cleanup();
    return rc;
}
