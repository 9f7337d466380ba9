/*
 * test_emu_faults.c - every fault model of the emulator is observable: damage models show
 * in the restored table AND in the truth record (DescribeBackupTruth), server faults in
 * the answers, backup/restore faults in the life cycle; bad specs are refused with a
 * message naming the bad part.
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

static void start(tu_env *env, const char *fault)
{
    emu_config cfg;
    tu_fast_config(&cfg);
    cfg.no_auth = 1; /* lets the test read the truth with a raw request */
    if (fault) snprintf(cfg.faults[cfg.nfaults++], sizeof cfg.faults[0], "%s", fault);
    assert_int_equal(tu_start(env, &cfg), 0);
    assert_int_equal(tu_create_table(env, "src", "S", NULL), 0);
}

static void put(tu_env *env, const char *k, int v)
{
    ddb_result r;
    assert_non_null(tu_ok(
        env, &r, "PutItem",
        "{\"TableName\":\"src\",\"Item\":{\"pk\":{\"S\":\"%s\"},\"v\":{\"N\":\"%d\"}}}", k, v));
    ddb_result_free(&r);
}

static void put_n(tu_env *env, int n)
{
    for (int i = 0; i < n; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        put(env, k, i);
    }
}

static int get_v(tu_env *env, const char *table, const char *k)
{
    ddb_result r;
    const cJSON *b = tu_ok(env, &r, "GetItem",
                           "{\"TableName\":\"%s\",\"Key\":{\"pk\":{\"S\":\"%s\"}}}", table, k);
    const cJSON *v =
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "Item"), "v"), "N");
    int out = cJSON_IsString(v) ? atoi(v->valuestring) : -1;
    ddb_result_free(&r);
    return out;
}

/* Backs up src, restores it into `target`, returns the truth record. */
static cJSON *backup_restore(tu_env *env, const char *target)
{
    ddb_result r;
    const cJSON *b =
        tu_ok(env, &r, "CreateBackup", "{\"TableName\":\"src\",\"BackupName\":\"%s\"}", target);
    assert_non_null(b);
    char *arn = strdup(
        cJSON_GetObjectItem(cJSON_GetObjectItem(b, "BackupDetails"), "BackupArn")->valuestring);
    ddb_result_free(&r);
    assert_int_equal(tu_wait_backup(env, arn, "AVAILABLE"), 0);
    assert_non_null(tu_ok(env, &r, "RestoreTableFromBackup",
                          "{\"TargetTableName\":\"%s\",\"BackupArn\":\"%s\"}", target, arn));
    ddb_result_free(&r);
    assert_int_equal(tu_wait_active(env, target), 0);
    char body[1024], out[1 << 16];
    snprintf(body, sizeof body, "{\"TableName\":\"%s\"}", target);
    assert_int_equal(tu_raw_post(emu_endpoint(env->srv), "BackcheckEmulator.DescribeBackupTruth",
                                 body, NULL, 0, out, sizeof out),
                     200);
    free(arn);
    cJSON *t = cJSON_Parse(out);
    assert_non_null(t);
    return t;
}

static int damage_count(const cJSON *truth, const char *fault)
{
    int n = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItem(truth, "Damage"))
    {
        const cJSON *f = cJSON_GetObjectItem(d, "Fault");
        if (cJSON_IsString(f) && strcmp(f->valuestring, fault) == 0) n++;
    }
    return n;
}

static void test_drop(void **state)
{
    tu_env env;
    start(&env, "drop:fraction=1");
    put_n(&env, 10);
    cJSON *t = backup_restore(&env, "dropped");
    assert_int_equal(tu_scan_count(&env, "dropped"), 0);
    assert_int_equal(damage_count(t, "drop"), 10);
    assert_non_null(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(t, "Damage"), 0), "Key"));
    cJSON_Delete(t);
    /* Removed: the next backup is whole again. */
    assert_int_equal(emu_fault_remove(env.srv, "drop"), 0);
    t = backup_restore(&env, "whole");
    assert_int_equal(tu_scan_count(&env, "whole"), 10);
    assert_int_equal(damage_count(t, "drop"), 0);
    cJSON_Delete(t);
    tu_stop(&env);
}

static void test_phantom(void **state)
{
    tu_env env;
    start(&env, "phantom:count=3");
    put_n(&env, 5);
    cJSON *t = backup_restore(&env, "haunted");
    assert_int_equal(tu_scan_count(&env, "haunted"), 8);
    assert_int_equal(damage_count(t, "phantom"), 3);
    cJSON_Delete(t);
    tu_stop(&env);
}

static void test_tear_txn(void **state)
{
    tu_env env;
    start(&env, "tear-txn:fraction=1");
    put(&env, "a", 1);
    put(&env, "b", 1);
    ddb_result r;
    assert_non_null(tu_ok(
        &env, &r, "TransactWriteItems",
        "{\"TransactItems\":[{\"Put\":{\"TableName\":\"src\",\"Item\":{\"pk\":{\"S\":\"a\"},\"v\":{"
        "\"N\":\"2\"}}}},"
        "{\"Put\":{\"TableName\":\"src\",\"Item\":{\"pk\":{\"S\":\"b\"},\"v\":{\"N\":\"2\"}}}}]}"));
    ddb_result_free(&r);
    cJSON *t = backup_restore(&env, "torn");
    /* Exactly one of the two writes of the transaction made it. */
    assert_int_equal(get_v(&env, "torn", "a") + get_v(&env, "torn", "b"), 3);
    assert_int_equal(damage_count(t, "tear-txn"), 1);
    cJSON_Delete(t);
    tu_stop(&env);
}

static void test_cut_early_and_late(void **state)
{
    tu_env env;
    start(&env, "cut-early:ms=300");
    put(&env, "a", 1);
    bc_sleep_ns(500 * BC_NS_PER_MS);
    put(&env, "a", 2); /* acknowledged before the backup request, yet not in it */
    cJSON *t = backup_restore(&env, "early");
    assert_int_equal(get_v(&env, "early", "a"), 1);
    assert_int_equal(damage_count(t, "cut-early"), 1);
    double shift = (double)(ns_of(t, "CutMaxNs") - ns_of(t, "RequestNs"));
    assert_true(shift <= -300e6 + 1e4 && shift >= -300e6 - 1e4);
    cJSON_Delete(t);
    tu_stop(&env);

    start(&env, "cut-late:ms=300");
    put(&env, "a", 1);
    ddb_result r;
    const cJSON *b =
        tu_ok(&env, &r, "CreateBackup", "{\"TableName\":\"src\",\"BackupName\":\"late\"}");
    char *arn = strdup(
        cJSON_GetObjectItem(cJSON_GetObjectItem(b, "BackupDetails"), "BackupArn")->valuestring);
    ddb_result_free(&r);
    put(&env, "a", 2); /* after the request: must not be in a correct backup */
    assert_int_equal(tu_wait_backup(&env, arn, "AVAILABLE"), 0);
    assert_non_null(tu_ok(&env, &r, "RestoreTableFromBackup",
                          "{\"TargetTableName\":\"late\",\"BackupArn\":\"%s\"}", arn));
    ddb_result_free(&r);
    assert_int_equal(tu_wait_active(&env, "late"), 0);
    assert_int_equal(get_v(&env, "late", "a"), 2);
    free(arn);
    tu_stop(&env);
}

static void test_resurrect(void **state)
{
    tu_env env;
    start(&env, "resurrect:fraction=1");
    put(&env, "gone", 7);
    put(&env, "kept", 1);
    ddb_result r;
    assert_non_null(
        tu_ok(&env, &r, "DeleteItem", "{\"TableName\":\"src\",\"Key\":{\"pk\":{\"S\":\"gone\"}}}"));
    ddb_result_free(&r);
    cJSON *t = backup_restore(&env, "zombie");
    assert_int_equal(get_v(&env, "zombie", "gone"), 7);
    assert_int_equal(damage_count(t, "resurrect"), 1);
    cJSON_Delete(t);
    tu_stop(&env);
}

static void test_pitr_ignore_time(void **state)
{
    tu_env env;
    start(&env, "pitr-ignore-time");
    ddb_result r;
    assert_non_null(tu_ok(&env, &r, "UpdateContinuousBackups",
                          "{\"TableName\":\"src\",\"PointInTimeRecoverySpecification\":{"
                          "\"PointInTimeRecoveryEnabled\":true}}"));
    ddb_result_free(&r);
    put(&env, "a", 1);
    bc_sleep_ns(5 * BC_NS_PER_MS);
    int64_t t1 = bc_now_ns();
    bc_sleep_ns(5 * BC_NS_PER_MS);
    put(&env, "a", 2);
    assert_non_null(
        tu_ok(&env, &r, "RestoreTableToPointInTime",
              "{\"SourceTableName\":\"src\",\"TargetTableName\":\"when\",\"RestoreDateTime\":%.6f}",
              (double)t1 / 1e9));
    ddb_result_free(&r);
    assert_int_equal(tu_wait_active(&env, "when"), 0);
    assert_int_equal(get_v(&env, "when", "a"), 2); /* a correct PITR would give 1 */
    char out[1 << 14];
    assert_int_equal(tu_raw_post(emu_endpoint(env.srv), "BackcheckEmulator.DescribeBackupTruth",
                                 "{\"TableName\":\"when\"}", NULL, 0, out, sizeof out),
                     200);
    cJSON *t = cJSON_Parse(out);
    assert_string_equal(cJSON_GetObjectItem(t, "Kind")->valuestring, "pitr");
    assert_int_equal(damage_count(t, "pitr-ignore-time"), 1);
    cJSON_Delete(t);
    tu_stop(&env);
}

static void test_throttle_and_errors(void **state)
{
    tu_env env;
    start(&env, "throttle:fraction=1,ops=PutItem");
    ddb_result r;
    assert_int_equal(
        tu_call(&env, &r, "PutItem", "{\"TableName\":\"src\",\"Item\":{\"pk\":{\"S\":\"a\"}}}"),
        DDB_ERR_THROTTLED);
    assert_string_equal(r.err_type, "ProvisionedThroughputExceededException");
    ddb_result_free(&r);
    assert_int_equal(tu_scan_count(&env, "src"), 0); /* Scan is not throttled */
    assert_int_equal(emu_fault_remove(env.srv, "throttle"), 0);
    char err[128];
    /* A 500 before applying: nothing written. */
    assert_int_equal(emu_fault_add(env.srv, "error:fraction=1,ops=PutItem", err, sizeof err), 0);
    assert_int_equal(
        tu_call(&env, &r, "PutItem", "{\"TableName\":\"src\",\"Item\":{\"pk\":{\"S\":\"a\"}}}"),
        DDB_ERR_INTERNAL);
    assert_int_equal(r.http_status, 500);
    assert_int_equal(r.outcome, DDB_OUTCOME_INFO);
    ddb_result_free(&r);
    assert_int_equal(tu_scan_count(&env, "src"), 0);
    /* after=1: the write is applied, the answer is still a 500. */
    assert_int_equal(
        emu_fault_add(env.srv, "error:fraction=1,after=1,ops=PutItem", err, sizeof err), 0);
    assert_int_equal(
        tu_call(&env, &r, "PutItem", "{\"TableName\":\"src\",\"Item\":{\"pk\":{\"S\":\"a\"}}}"),
        DDB_ERR_INTERNAL);
    ddb_result_free(&r);
    assert_int_equal(tu_scan_count(&env, "src"), 1);
    assert_int_equal(emu_fault_remove(env.srv, "error"), 0);
    assert_int_equal(emu_fault_remove(env.srv, "error"), -1);
    /* Latency: the answer takes at least the injected delay. */
    assert_int_equal(emu_fault_add(env.srv, "latency:ms=40,ops=GetItem", err, sizeof err), 0);
    int64_t t0 = bc_mono_ns();
    assert_non_null(
        tu_ok(&env, &r, "GetItem", "{\"TableName\":\"src\",\"Key\":{\"pk\":{\"S\":\"a\"}}}"));
    ddb_result_free(&r);
    assert_true(bc_mono_ns() - t0 >= 40 * BC_NS_PER_MS);
    tu_stop(&env);
}

static void test_backup_and_restore_faults(void **state)
{
    tu_env env;
    start(&env, "backup-fail");
    put(&env, "a", 1);
    ddb_result r;
    const cJSON *b =
        tu_ok(&env, &r, "CreateBackup", "{\"TableName\":\"src\",\"BackupName\":\"never\"}");
    char *arn = strdup(
        cJSON_GetObjectItem(cJSON_GetObjectItem(b, "BackupDetails"), "BackupArn")->valuestring);
    ddb_result_free(&r);
    assert_int_equal(tu_wait_backup(&env, arn, "DELETED"), 0);
    b = tu_ok(&env, &r, "ListBackups", "{}");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(b, "BackupSummaries")), 0);
    ddb_result_free(&r);
    free(arn);
    assert_int_equal(emu_fault_remove(env.srv, "backup-fail"), 0);

    char err[128];
    assert_int_equal(emu_fault_add(env.srv, "restore-fail", err, sizeof err), 0);
    b = tu_ok(&env, &r, "CreateBackup", "{\"TableName\":\"src\",\"BackupName\":\"fine\"}");
    arn = strdup(
        cJSON_GetObjectItem(cJSON_GetObjectItem(b, "BackupDetails"), "BackupArn")->valuestring);
    ddb_result_free(&r);
    assert_int_equal(tu_wait_backup(&env, arn, "AVAILABLE"), 0);
    assert_non_null(tu_ok(&env, &r, "RestoreTableFromBackup",
                          "{\"TargetTableName\":\"lost\",\"BackupArn\":\"%s\"}", arn));
    ddb_result_free(&r);
    /* The restored table is dropped instead of becoming ACTIVE. */
    int gone = 0;
    for (int i = 0; i < 400 && !gone; i++) {
        ddb_err e = tu_call(&env, &r, "DescribeTable", "{\"TableName\":\"lost\"}");
        if (e == DDB_OK) {
            const char *st =
                cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "Table"), "TableStatus")
                    ->valuestring;
            assert_string_equal(st, "CREATING");
        }
        gone = e == DDB_ERR_RESOURCE_NOT_FOUND;
        ddb_result_free(&r);
        bc_sleep_ns(5 * BC_NS_PER_MS);
    }
    assert_true(gone);
    assert_int_equal(emu_fault_remove(env.srv, "restore-fail"), 0);

    /* Stalls keep them CREATING at least that long. */
    assert_int_equal(emu_fault_add(env.srv, "backup-stall:ms=300", err, sizeof err), 0);
    assert_int_equal(emu_fault_add(env.srv, "restore-stall:ms=300", err, sizeof err), 0);
    int64_t t0 = bc_mono_ns();
    b = tu_ok(&env, &r, "CreateBackup", "{\"TableName\":\"src\",\"BackupName\":\"slow\"}");
    char *arn2 = strdup(
        cJSON_GetObjectItem(cJSON_GetObjectItem(b, "BackupDetails"), "BackupArn")->valuestring);
    ddb_result_free(&r);
    assert_int_equal(tu_wait_backup(&env, arn2, "AVAILABLE"), 0);
    assert_true(bc_mono_ns() - t0 >= 300 * BC_NS_PER_MS);
    t0 = bc_mono_ns();
    assert_non_null(tu_ok(&env, &r, "RestoreTableFromBackup",
                          "{\"TargetTableName\":\"slow\",\"BackupArn\":\"%s\"}", arn2));
    ddb_result_free(&r);
    assert_int_equal(tu_wait_active(&env, "slow"), 0);
    assert_true(bc_mono_ns() - t0 >= 300 * BC_NS_PER_MS);
    assert_int_equal(tu_scan_count(&env, "slow"), 1);
    free(arn);
    free(arn2);
    tu_stop(&env);
}

static void test_spec_validation(void **state)
{
    char err[256];
    const char *good[] = {"drop",
                          "drop:fraction=0.5",
                          "phantom:count=0",
                          "tear-txn:fraction=1,ms=500",
                          "cut-early:ms=1",
                          "throttle:fraction=0.1,ops=PutItem|GetItem",
                          "error:fraction=1,after=1",
                          "latency:ms=5,jitter_ms=2",
                          "restore-fail"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal(emu_fault_validate(good[i], err, sizeof err), 0);
    assert_int_equal(emu_fault_validate("explode", err, sizeof err), -1);
    assert_non_null(strstr(err, "explode"));
    assert_int_equal(emu_fault_validate("drop:fraction=2", err, sizeof err), -1);
    assert_non_null(strstr(err, "fraction"));
    assert_int_equal(emu_fault_validate("drop:count=2", err, sizeof err), -1);
    assert_non_null(strstr(err, "count"));
    assert_int_equal(emu_fault_validate("latency:ms", err, sizeof err), -1);
    assert_int_equal(emu_fault_validate("error:after=2", err, sizeof err), -1);
    emu_config cfg;
    emu_config_defaults(&cfg);
    assert_int_equal(emu_parse_cut_model("aws-window:250", &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.cut_model, EMU_CUT_AWS_WINDOW);
    assert_int_equal(cfg.window_ms, 250);
    assert_int_equal(emu_parse_cut_model("aws-window:x", &cfg, err, sizeof err), -1);
    assert_int_equal(emu_parse_cut_model("fuzzy", &cfg, err, sizeof err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drop),
        cmocka_unit_test(test_phantom),
        cmocka_unit_test(test_tear_txn),
        cmocka_unit_test(test_cut_early_and_late),
        cmocka_unit_test(test_resurrect),
        cmocka_unit_test(test_pitr_ignore_time),
        cmocka_unit_test(test_throttle_and_errors),
        cmocka_unit_test(test_backup_and_restore_faults),
        cmocka_unit_test(test_spec_validation),
    };
    ddb_global_init();
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ddb_global_cleanup();
    return rc;
}
