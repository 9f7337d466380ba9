/* test_scenario.c - the scenario loader: defaults, expansion of backup lists, restores,
 * faults, guarantees, the resolved output, and error messages that name the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/scenario.h"

static const char *MINIMAL = "{\"workloads\":[{\"type\":\"insert\"}]}";

static scenario *load_ok(const char *json)
{
    scenario *sc = NULL;
    char err[512] = "";
    int rc = sc_load_string(json, "t.json", NULL, &sc, err, sizeof err);
    if (rc != 0) fprintf(stderr, "unexpected error: %s\n", err);
    assert_int_equal(rc, 0);
    assert_non_null(sc);
    return sc;
}

/* Loads json expecting an error; returns the message. */
static const char *load_err(const char *json, const sc_hooks *hooks)
{
    static char err[512];
    err[0] = '\0';
    scenario *sc = (scenario *)1;
    assert_int_equal(sc_load_string(json, "dir/scenario.json", hooks, &sc, err, sizeof err), -1);
    assert_null(sc);
    return err;
}

static void test_defaults_fill_a_minimal_scenario(void **state)
{
    (void)state;
    scenario *sc = load_ok(MINIMAL);
    assert_string_equal(sc->name, "t");
    assert_int_equal(sc->seed_set, 0);
    assert_true(sc->duration_s == 10);
    assert_string_equal(sc->target.kind, "embedded");
    assert_string_equal(sc->target.backup_model, "aws-window");
    assert_int_equal(sc->target.window_ms, 200);
    assert_string_equal(sc->table.hash_key, "pk");
    assert_string_equal(sc->table.range_key, "");
    assert_string_equal(sc->table.billing, "PAY_PER_REQUEST");
    assert_int_equal(sc->table.pitr, 0);
    assert_int_equal(sc->nworkloads, 1);
    const wl_spec *w = &sc->workloads[0];
    assert_string_equal(w->type, "insert");
    assert_int_equal(w->threads, 2);
    assert_int_equal(w->inflight, 1);
    assert_int_equal(sc_total_workers(sc), 2);
    assert_true(w->rate == 0); /* closed loop */
    assert_int_equal(w->keys.dist, WL_DIST_UNIFORM);
    assert_int_equal(w->keys.count, 1000);
    assert_int_equal(w->item_bytes, 100);
    assert_int_equal(sc->nbackups, 0);
    assert_int_equal(sc->nrestores, 0);
    assert_string_equal(sc->guarantee.profile, "aws-documented");
    assert_true(sc->guarantee.before_s == 60 && sc->guarantee.after_s == 60);
    assert_int_equal(sc->guarantee.atomic_txn, 0);
    assert_true(sc->max_usd == 1.0);
    sc_free(sc);
}

static void test_backup_kinds_expand(void **state)
{
    (void)state;
    scenario *sc =
        load_ok("{\"duration_s\":20,\"workloads\":[{\"type\":\"insert\"}],"
                "\"backups\":[{\"at_s\":1},{\"every_s\":2,\"count\":3},{\"after_ops\":500},"
                "{\"burst\":2,\"at_s\":9},{\"every_s\":1,\"count\":2,\"at_s\":15}]}");
    assert_int_equal(sc->nbackup_entries, 5);
    assert_int_equal(sc->nbackups, 1 + 3 + 1 + 2 + 2);
    assert_string_equal(sc->backups[0].id, "b1");
    assert_true(sc->backups[0].at_s == 1);
    /* every_s without at_s starts one period in. */
    assert_true(sc->backups[1].at_s == 2 && sc->backups[2].at_s == 4 && sc->backups[3].at_s == 6);
    assert_int_equal(sc->backups[4].trigger, SC_AFTER_OPS);
    assert_int_equal(sc->backups[4].after_ops, 500);
    assert_int_equal(sc->backups[5].burst, 1);
    assert_int_equal(sc->backups[6].burst, 1);
    assert_true(sc->backups[6].at_s == 9);
    assert_true(sc->backups[7].at_s == 15 && sc->backups[8].at_s == 16);
    assert_string_equal(sc->backups[8].id, "b9");
    /* Default restores: each backup once. */
    assert_int_equal(sc->nrestores, 9);
    assert_string_equal(sc->restores[4].backup, "b5");
    sc_free(sc);
}

static void test_restores_and_pitr_enable_pitr(void **state)
{
    (void)state;
    scenario *sc =
        load_ok("{\"workloads\":[{\"type\":\"insert\"}],\"backups\":[{\"at_s\":2},{\"at_s\":3}],"
                "\"restores\":[{\"from\":\"b2\"},{\"pitr_at_s\":4},{\"from\":\"each-backup\"}]}");
    assert_int_equal(sc->nrestores, 3);
    assert_string_equal(sc->restores[0].id, "b2");
    assert_int_equal(sc->restores[1].kind, SC_RESTORE_PITR);
    assert_string_equal(sc->restores[1].id, "p1");
    assert_true(sc->restores[1].pitr_at_s == 4);
    /* each-backup adds b1 but not b2 a second time */
    assert_string_equal(sc->restores[2].id, "b1");
    assert_int_equal(sc->table.pitr, 1);
    assert_int_equal(sc_has_pitr_restore(sc), 1);
    sc_free(sc);
}

static void test_guarantee_forms(void **state)
{
    (void)state;
    scenario *sc = load_ok("{\"workloads\":[{\"type\":\"insert\"}],\"guarantee\":\"strict\"}");
    assert_string_equal(sc->guarantee.profile, "strict");
    assert_int_equal(sc->guarantee.atomic_txn, 1);
    sc_free(sc);
    sc = load_ok("{\"workloads\":[{\"type\":\"insert\"}],"
                 "\"guarantee\":{\"before_s\":5,\"atomic_txn\":true}}");
    assert_string_equal(sc->guarantee.profile, "explicit");
    assert_true(sc->guarantee.before_s == 5 && sc->guarantee.after_s == 60);
    assert_int_equal(sc->guarantee.atomic_txn, 1);
    sc_free(sc);
    assert_non_null(strstr(load_err("{\"workloads\":[{\"type\":\"insert\"}],"
                                    "\"guarantee\":\"lax\"}",
                                    NULL),
                           "guarantee: \"lax\""));
    assert_non_null(strstr(load_err("{\"workloads\":[{\"type\":\"insert\"}],"
                                    "\"guarantee\":{\"before\":5}}",
                                    NULL),
                           "guarantee: unknown field \"before\""));
}

static void test_faults_build_emulator_specs(void **state)
{
    (void)state;
    scenario *sc =
        load_ok("{\"workloads\":[{\"type\":\"insert\"}],\"faults\":["
                "{\"kind\":\"latency\",\"at_s\":3,\"for_s\":2,\"ms\":50},"
                "{\"kind\":\"drop\",\"fraction\":0.25},{\"kind\":\"backup-fail\"},"
                "{\"kind\":\"error\",\"fraction\":0.1,\"ops\":\"PutItem\",\"after\":true},"
                "{\"kind\":\"delete-source\",\"at_s\":5}]}");
    assert_int_equal(sc->nfaults, 5);
    assert_string_equal(sc->faults[0].spec, "latency:ms=50");
    assert_true(sc->faults[0].at_s == 3 && sc->faults[0].for_s == 2);
    assert_string_equal(sc->faults[1].spec, "drop:fraction=0.25");
    assert_true(sc->faults[1].at_s < 0); /* whole run */
    assert_string_equal(sc->faults[2].spec, "backup-fail");
    assert_string_equal(sc->faults[3].spec, "error:fraction=0.1,ops=PutItem,after=1");
    assert_int_equal(sc->faults[4].side, SC_FAULT_CONTROL);
    sc_free(sc);
}

static void test_fault_sides_and_emulator_names(void **state)
{
    (void)state;
    scenario *sc = load_ok("{\"workloads\":[{\"type\":\"insert\"}],\"faults\":["
                           "{\"kind\":\"latency\",\"ms\":20,\"jitter_ms\":5},"
                           "{\"kind\":\"server-latency\",\"ms\":30,\"ops\":\"PutItem\"},"
                           "{\"kind\":\"bandwidth\",\"bytes_per_s\":5000,\"at_s\":1},"
                           "{\"kind\":\"reset\",\"fraction\":0.2},{\"kind\":\"blackhole\"},"
                           "{\"kind\":\"partition\",\"fraction\":0.5},"
                           "{\"kind\":\"restore-collision\"},"
                           "{\"kind\":\"delete-backup-during-restore\"}]}");
    assert_int_equal(sc->faults[0].side, SC_FAULT_NETWORK);
    /* The emulator knows its server latency as "latency". */
    assert_int_equal(sc->faults[1].side, SC_FAULT_TARGET);
    assert_string_equal(sc->faults[1].spec, "latency:ms=30,ops=PutItem");
    assert_int_equal(sc->faults[2].bytes_per_s, 5000);
    for (int i = 2; i < 6; i++)
        assert_int_equal(sc->faults[i].side, SC_FAULT_NETWORK);
    assert_int_equal(sc->faults[6].side, SC_FAULT_RESTORE);
    assert_int_equal(sc->faults[7].side, SC_FAULT_RESTORE);
    sc_free(sc);
}

static void test_backup_storm_adds_checked_backups(void **state)
{
    (void)state;
    scenario *sc = load_ok("{\"workloads\":[{\"type\":\"insert\"}],\"backups\":[{\"at_s\":1}],"
                           "\"faults\":[{\"kind\":\"backup-storm\",\"at_s\":2,\"count\":3}]}");
    assert_int_equal(sc->nbackups, 4);
    for (int i = 1; i < 4; i++) {
        assert_int_equal(sc->backups[i].trigger, SC_BY_FAULT);
        assert_int_equal(sc->backups[i].fault, 0);
        assert_true(sc->backups[i].at_s == 2);
    }
    /* Every storm backup is restored, like the scheduled one. */
    assert_int_equal(sc->nrestores, 4);
    assert_string_equal(sc->restores[3].backup, sc->backups[3].id);
    /* The resolved plan names the fault that requests them. */
    cJSON *j = sc_to_json(sc);
    cJSON *plan = cJSON_GetObjectItemCaseSensitive(j, "backup_plan");
    assert_int_equal(cJSON_GetArraySize(plan), 4);
    assert_non_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(plan, 3), "fault"));
    cJSON_Delete(j);
    sc_free(sc);
}

static int reject_all_faults(const char *spec, char *err, size_t errlen)
{
    snprintf(err, errlen, "emulator refuses %s", spec);
    return -1;
}

static int only_insert(const char *type)
{
    return strcmp(type, "insert") == 0;
}

static void test_hooks_validate_workloads_and_faults(void **state)
{
    (void)state;
    sc_hooks h = {only_insert, NULL, reject_all_faults};
    const char *e = load_err("{\"workloads\":[{\"type\":\"insert\"},{\"type\":\"nope\"}]}", &h);
    assert_non_null(strstr(e, "workloads[1].type: unknown workload \"nope\""));
    e = load_err("{\"workloads\":[{\"type\":\"insert\"}],\"faults\":[{\"kind\":\"drop\","
                 "\"fraction\":0.5}]}",
                 &h);
    assert_non_null(strstr(e, "faults[0]: emulator refuses drop:fraction=0.5"));
}

static void test_errors_name_the_file_and_field(void **state)
{
    (void)state;
    struct {
        const char *json, *msg;
    } cases[] = {
        {"{\"workloads\":[{\"type\":\"insert\",\"rate\":-5}]}",
         "workloads[0].rate: expected a positive number"},
        {"{\"workloads\":[{\"type\":\"insert\",\"rate\":\"fast\"}]}",
         "workloads[0].rate: expected a positive number"},
        {"{\"foo\":1,\"workloads\":[{\"type\":\"insert\"}]}",
         "scenario.json: unknown field \"foo\""},
        {"{\"workloads\":[{\"type\":\"insert\",\"threads\":0}]}",
         "workloads[0].threads: expected an integer in [1, 256]"},
        {"{\"workloads\":[{\"type\":\"insert\",\"threads\":1.5}]}",
         "workloads[0].threads: expected an integer"},
        {"{\"workloads\":[{\"type\":\"insert\",\"inflight\":0}]}",
         "workloads[0].inflight: expected an integer in [1, 256]"},
        {"{\"workloads\":[{\"type\":\"insert\",\"keys\":{\"dist\":\"pareto\"}}]}",
         "workloads[0].keys.dist: \"pareto\" is not one of: uniform, zipf, hotspot, sequential"},
        {"{\"workloads\":[{\"type\":\"insert\",\"keys\":{\"n\":3}}]}",
         "workloads[0].keys: unknown field \"n\""},
        {"{\"workloads\":[{\"threads\":2}]}", "workloads[0].type: required"},
        {"{}", "workloads: required"},
        {"{\"workloads\":[]}", "workloads: expected a list with at least one workload"},
        {"{\"duration_s\":0,\"workloads\":[{\"type\":\"insert\"}]}",
         "duration_s: expected a positive number"},
        {"{\"seed\":-1,\"workloads\":[{\"type\":\"insert\"}]}",
         "seed: expected a non-negative integer below 2^53"},
        {"{\"target\":{\"kind\":\"cloud\"},\"workloads\":[{\"type\":\"insert\"}]}",
         "target.kind: \"cloud\" is not one of: embedded, endpoint, moto, aws"},
        {"{\"table\":{\"pitr\":\"yes\"},\"workloads\":[{\"type\":\"insert\"}]}",
         "table.pitr: expected true or false"},
        {"{\"table\":{\"range_key\":\"sk\"},\"workloads\":[{\"type\":\"insert\"}]}",
         "table.range_key: not supported"},
        {"{\"table\":{\"gsi\":[{\"name\":\"g\"}]},\"workloads\":[{\"type\":\"insert\"}]}",
         "table.gsi[0].hash_key: required"},
        {"{\"workloads\":[{\"type\":\"insert\"}],\"backups\":[{\"every_s\":2}]}",
         "backups[0]: expected one of"},
        {"{\"workloads\":[{\"type\":\"insert\"}],\"backups\":[{\"at_s\":12}]}",
         "backups[0]: backup b1 at 12 s is not before the end of the run"},
        {"{\"workloads\":[{\"type\":\"insert\"}],\"restores\":[{\"from\":\"b7\"}]}",
         "restores[0].from: \"b7\" is neither"},
        {"{\"workloads\":[{\"type\":\"insert\"}],\"restores\":[{\"pitr_at_s\":1,"
         "\"from\":\"each-backup\"}]}",
         "restores[0]: expected one of"},
        {"{\"workloads\":[{\"type\":\"insert\"}],\"faults\":[{\"kind\":\"meteor\"}]}",
         "faults[0].kind: unknown fault \"meteor\""},
        {"{\"workloads\":[{\"type\":\"insert\"}],\"faults\":[{\"kind\":\"drop\",\"ms\":5}]}",
         "faults[0].ms: not a parameter of fault \"drop\""},
        {"{\"workloads\":[{\"type\":\"insert\"}],\"faults\":[{\"kind\":\"delete-source\"}]}",
         "faults[0].at_s: required for fault \"delete-source\""},
        {"{\"workloads\":[{\"type\":\"insert\"}],\"faults\":[{\"kind\":\"latency\",\"ms\":5,"
         "\"ops\":\"PutItem\"}]}",
         "faults[0].ops: not a parameter of fault \"latency\""},
        {"{\"workloads\":[{\"type\":\"insert\"}],\"faults\":[{\"kind\":\"bandwidth\"}]}",
         "faults[0].bytes_per_s: required for fault \"bandwidth\""},
        {"{\"workloads\":[{\"type\":\"insert\"}],\"faults\":[{\"kind\":\"reset\"}]}",
         "faults[0].fraction: required for fault \"reset\""},
        {"{\"workloads\":[{\"type\":\"insert\"}],\"faults\":[{\"kind\":\"backup-storm\","
         "\"at_s\":1}]}",
         "faults[0].count: required for fault \"backup-storm\""},
        {"{\"workloads\":[{\"type\":\"insert\"}],\"faults\":[{\"kind\":\"restore-collision\","
         "\"at_s\":1}]}",
         "faults[0].at_s: fault \"restore-collision\" acts during the restores"},
        {"{\"workloads\":[{\"type\":\"insert\"}],\"faults\":[{\"kind\":\"partition\","
         "\"fraction\":0.5},{\"kind\":\"partition\",\"fraction\":0.25,\"at_s\":2}]}",
         "faults[1].fraction: every partition fault cuts off the same workers"},
        {"{\"workloads\":[{\"type\":\"insert\"}],\"faults\":[{\"kind\":\"backup-storm\","
         "\"at_s\":1,\"count\":70}]}",
         "more than 64 backups in all"},
        {"{\"workloads\":[{\"type\":\"insert\",\"txn_min\":5,\"txn_max\":3}]}",
         "workloads[0].txn_min: 5 is above txn_max 3"},
        {"{\"name\":\"a b\",\"workloads\":[{\"type\":\"insert\"}]}", "name: \"a b\" may hold"},
        {"{\"workloads\":[{\"type\":\"insert\"}],", "scenario.json: not valid JSON"},
        {"[1]", "scenario.json: expected an object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *e = load_err(cases[i].json, NULL);
        /* ... and every message names the file, once. */
        if (!strstr(e, cases[i].msg) || strncmp(e, "scenario.json: ", 15) != 0 ||
            strstr(e + 15, "scenario.json: ")) {
            fprintf(stderr, "case %zu: got \"%s\", want \"%s\"\n", i, e, cases[i].msg);
            fail();
        }
    }
}

static void test_resolved_output_reloads_identically(void **state)
{
    (void)state;
    scenario *sc =
        load_ok("{\"name\":\"rt\",\"seed\":42,\"expect\":\"pass\",\"duration_s\":8,"
                "\"workloads\":[{\"type\":\"insert\",\"rate\":100,\"keys\":{\"dist\":\"zipf\"}},"
                "{\"type\":\"register\",\"threads\":3,\"inflight\":4}],"
                "\"backups\":[{\"at_s\":2},{\"every_s\":2,\"count\":2}],"
                "\"restores\":[{\"from\":\"each-backup\"},{\"pitr_at_s\":3}],"
                "\"faults\":[{\"kind\":\"latency\",\"ms\":5}],"
                "\"guarantee\":{\"before_s\":1,\"after_s\":2,\"atomic_txn\":true}}");
    cJSON *j = sc_to_json(sc);
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(j, "seed");
    assert_true(cJSON_IsNumber(seed) && seed->valuedouble == 42);
    cJSON *w1 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "workloads"), 1);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(w1, "threads")->valueint, 3);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(w1, "inflight")->valueint, 4);
    assert_int_equal(sc_total_workers(sc), 2 + 12);
    assert_null(cJSON_GetObjectItemCaseSensitive(w1, "rate"));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "backup_plan")), 3);
    /* The resolved form is not itself a scenario (it has derived members), but every
     * user-settable value in it round-trips: strip the derived ones and reload. */
    cJSON_DeleteItemFromObject(j, "backup_plan");
    cJSON_DeleteItemFromObject(w1, "loop");
    cJSON_DeleteItemFromObject(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "workloads"), 0), "loop");
    cJSON *rl = cJSON_GetObjectItemCaseSensitive(j, "restores");
    for (cJSON *r = rl->child; r; r = r->next)
        cJSON_DeleteItemFromObject(r, "id");
    cJSON *fl = cJSON_GetObjectItemCaseSensitive(j, "faults");
    for (cJSON *f = fl->child; f; f = f->next)
        cJSON_DeleteItemFromObject(f, "spec");
    char *txt = cJSON_Print(j);
    scenario *again = load_ok(txt);
    assert_int_equal(again->nbackups, sc->nbackups);
    assert_int_equal(again->nrestores, sc->nrestores);
    assert_int_equal(again->seed, 42);
    assert_string_equal(again->expect, "pass");
    assert_int_equal(again->workloads[0].keys.dist, WL_DIST_ZIPF);
    assert_true(again->workloads[0].rate == 100);
    assert_string_equal(again->faults[0].spec, sc->faults[0].spec);
    assert_true(again->guarantee.after_s == 2);
    free(txt);
    cJSON_Delete(j);
    sc_free(again);
    sc_free(sc);
}

static void test_reference_lists_every_field(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    sc_print_reference(f);
    fclose(f);
    int fields = 0;
    for (const sc_section *const *s = sc_sections; *s; s++)
        for (int i = 0; i < (*s)->nfields; i++) {
            char needle[80];
            snprintf(needle, sizeof needle, "| `%s` |", (*s)->fields[i].name);
            assert_non_null(strstr(buf, needle));
            fields++;
        }
    assert_true(fields > 40);
    assert_non_null(strstr(buf, "### workloads[].keys"));
    assert_non_null(strstr(buf, "`tear-txn`"));
    free(buf);
}

static void test_load_file_reports_missing_file(void **state)
{
    (void)state;
    scenario *sc;
    char err[256];
    assert_int_equal(sc_load_file("/nonexistent/q.json", NULL, &sc, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/q.json"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_fill_a_minimal_scenario),
        cmocka_unit_test(test_backup_kinds_expand),
        cmocka_unit_test(test_restores_and_pitr_enable_pitr),
        cmocka_unit_test(test_guarantee_forms),
        cmocka_unit_test(test_faults_build_emulator_specs),
        cmocka_unit_test(test_fault_sides_and_emulator_names),
        cmocka_unit_test(test_backup_storm_adds_checked_backups),
        cmocka_unit_test(test_hooks_validate_workloads_and_faults),
        cmocka_unit_test(test_errors_name_the_file_and_field),
        cmocka_unit_test(test_resolved_output_reloads_identically),
        cmocka_unit_test(test_reference_lists_every_field),
        cmocka_unit_test(test_load_file_reports_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
