/*
 * test_emu_txn.c - TransactWriteItems ClientRequestToken idempotency in the emulator: a
 * repeated token with the same parameters succeeds without applying again (and reports
 * read units), other parameters are IdempotentParameterMismatchException, a token still
 * running is TransactionInProgressException, a token expires 10 minutes after its request
 * finished, a cancelled transaction leaves its token free, and many threads racing with
 * one token apply it once. Requests go through emu_process, which takes the request time
 * as an argument, so the 10-minute window is tested without waiting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "emulator/emu_internal.h"
#include "test_emu_util.h"
#include "util/clock.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int setup(void **state)
{
    tu_env *env = calloc(1, sizeof *env);
    if (!env || tu_start(env, NULL) != 0) return -1;
    if (tu_create_table(env, "tok", "S", NULL) != 0) return -1;
    *state = env;
    return 0;
}

static int teardown(void **state)
{
    tu_stop(*state);
    free(*state);
    return 0;
}

/* Answers one request at instant now_ns; returns the parsed body (caller frees). */
static cJSON *call_at(emu_server *s, const char *op, int64_t now_ns, const char *body, int *status)
{
    char target[128], *out = NULL;
    snprintf(target, sizeof target, "DynamoDB_20120810.%s", op);
    emu_process(s, target, body, strlen(body), now_ns, status, &out);
    cJSON *j = out ? cJSON_Parse(out) : NULL;
    free(out);
    return j;
}

static const char *err_type(const cJSON *b)
{
    const cJSON *t = cJSON_GetObjectItem(b, "__type");
    if (!cJSON_IsString(t)) return "";
    const char *h = strchr(t->valuestring, '#');
    return h ? h + 1 : t->valuestring;
}

/* ADD n :d on item `key`, with token `tok`; extra JSON members appended verbatim. */
static void add_body(char *buf, size_t n, const char *key, const char *tok, int d,
                     const char *extra)
{
    snprintf(buf, n,
             "{\"TransactItems\":[{\"Update\":{\"TableName\":\"tok\",\"Key\":{\"pk\":{\"S\":"
             "\"%s\"}},\"UpdateExpression\":\"ADD n :d\",\"ExpressionAttributeValues\":{\":d\":"
             "{\"N\":\"%d\"}}}}],\"ClientRequestToken\":\"%s\"%s}",
             key, d, tok, extra);
}

static const char *count_of(emu_server *s, const char *key, char *out, size_t n)
{
    char req[256];
    int status;
    snprintf(req, sizeof req,
             "{\"TableName\":\"tok\",\"Key\":{\"pk\":{\"S\":\"%s\"}},\"ConsistentRead\":true}",
             key);
    cJSON *b = call_at(s, "GetItem", bc_now_ns(), req, &status);
    const cJSON *v =
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "Item"), "n"), "N");
    snprintf(out, n, "%s", cJSON_IsString(v) ? v->valuestring : "(none)");
    cJSON_Delete(b);
    return out;
}

static double cc_field(const cJSON *b, const char *field)
{
    const cJSON *v = cJSON_GetObjectItem(
        cJSON_GetArrayItem(cJSON_GetObjectItem(b, "ConsumedCapacity"), 0), field);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static void test_repeat_applies_once(void **state)
{
    tu_env *env = *state;
    char req[1024], cnt[64];
    int status;
    int64_t now = bc_now_ns();
    add_body(req, sizeof req, "rep", "tok-repeat-1", 1, ",\"ReturnConsumedCapacity\":\"TOTAL\"");
    cJSON *b = call_at(env->srv, "TransactWriteItems", now, req, &status);
    assert_int_equal(status, 200);
    /* The first call reports the write: 2 units (transactional) for a small item. */
    assert_true(cc_field(b, "WriteCapacityUnits") == 2.0);
    cJSON_Delete(b);
    /* A retry (same token, same parameters) succeeds and changes nothing; it reports the
     * read units of reading the item instead of write units. */
    b = call_at(env->srv, "TransactWriteItems", now + BC_NS_PER_S, req, &status);
    assert_int_equal(status, 200);
    assert_true(cc_field(b, "ReadCapacityUnits") == 1.0);
    assert_true(cc_field(b, "WriteCapacityUnits") == -1);
    cJSON_Delete(b);
    assert_string_equal(count_of(env->srv, "rep", cnt, sizeof cnt), "1");
    /* Member order and ReturnConsumedCapacity do not make a request different. */
    snprintf(req, sizeof req,
             "{\"ClientRequestToken\":\"tok-repeat-1\",\"TransactItems\":[{\"Update\":{"
             "\"ExpressionAttributeValues\":{\":d\":{\"N\":\"1\"}},\"UpdateExpression\":\"ADD n "
             ":d\",\"Key\":{\"pk\":{\"S\":\"rep\"}},\"TableName\":\"tok\"}}]}");
    b = call_at(env->srv, "TransactWriteItems", now + 2 * BC_NS_PER_S, req, &status);
    assert_int_equal(status, 200);
    assert_null(cJSON_GetObjectItem(b, "ConsumedCapacity"));
    cJSON_Delete(b);
    assert_string_equal(count_of(env->srv, "rep", cnt, sizeof cnt), "1");
    /* Another token is another transaction. */
    add_body(req, sizeof req, "rep", "tok-repeat-2", 1, "");
    b = call_at(env->srv, "TransactWriteItems", now + 3 * BC_NS_PER_S, req, &status);
    assert_int_equal(status, 200);
    cJSON_Delete(b);
    assert_string_equal(count_of(env->srv, "rep", cnt, sizeof cnt), "2");
}

static void test_mismatch_and_expiry(void **state)
{
    tu_env *env = *state;
    char req[1024], cnt[64];
    int status;
    int64_t now = bc_now_ns();
    add_body(req, sizeof req, "mis", "tok-mismatch", 1, "");
    cJSON *b = call_at(env->srv, "TransactWriteItems", now, req, &status);
    assert_int_equal(status, 200);
    cJSON_Delete(b);
    /* Same token, other parameters, within 10 minutes: refused, nothing applied. */
    add_body(req, sizeof req, "mis", "tok-mismatch", 5, "");
    b = call_at(env->srv, "TransactWriteItems", now + 9 * 60 * BC_NS_PER_S, req, &status);
    assert_int_equal(status, 400);
    assert_string_equal(err_type(b), "IdempotentParameterMismatchException");
    cJSON_Delete(b);
    assert_string_equal(count_of(env->srv, "mis", cnt, sizeof cnt), "1");
    /* More than 10 minutes after the first request finished the token is new again. */
    long before = emu_token_count(env->srv);
    b = call_at(env->srv, "TransactWriteItems", now + 11 * 60 * BC_NS_PER_S, req, &status);
    assert_int_equal(status, 200);
    cJSON_Delete(b);
    assert_string_equal(count_of(env->srv, "mis", cnt, sizeof cnt), "6");
    /* Expired tokens are dropped from the table, not kept forever. */
    assert_true(emu_token_count(env->srv) <= before);
    b = call_at(env->srv, "TransactWriteItems", now + 30 * 60 * BC_NS_PER_S,
                "{\"TransactItems\":[{\"Put\":{\"TableName\":\"tok\",\"Item\":{\"pk\":{\"S\":"
                "\"late\"}}}}],\"ClientRequestToken\":\"tok-late\"}",
                &status);
    assert_int_equal(status, 200);
    cJSON_Delete(b);
    assert_int_equal(emu_token_count(env->srv), 1);
}

static void test_in_progress_and_validation(void **state)
{
    tu_env *env = *state;
    char req[1024], digest[65], cnt[64];
    int status;
    int64_t now = bc_now_ns();
    add_body(req, sizeof req, "prog", "tok-running", 1, "");
    cJSON *body = cJSON_Parse(req);
    assert_int_equal(emu_tx_digest(body, digest), 0);
    cJSON_Delete(body);
    /* Another request holds the token (registered, not finished). */
    assert_int_equal(emu_token_begin(env->srv, "tok-running", digest, now), EMU_TOKEN_NEW);
    cJSON *b = call_at(env->srv, "TransactWriteItems", now, req, &status);
    assert_int_equal(status, 400);
    assert_string_equal(err_type(b), "TransactionInProgressException");
    cJSON_Delete(b);
    assert_string_equal(count_of(env->srv, "prog", cnt, sizeof cnt), "(none)");
    /* Once it finishes (applied), the same request is a repeat. */
    emu_token_end(env->srv, "tok-running", 1, now);
    b = call_at(env->srv, "TransactWriteItems", now, req, &status);
    assert_int_equal(status, 200);
    cJSON_Delete(b);
    assert_string_equal(count_of(env->srv, "prog", cnt, sizeof cnt), "(none)");
    /* ClientRequestToken: length 1..36. */
    add_body(req, sizeof req, "prog", "0123456789012345678901234567890123456", 1, "");
    b = call_at(env->srv, "TransactWriteItems", now, req, &status);
    assert_int_equal(status, 400);
    assert_string_equal(err_type(b), "ValidationException");
    cJSON_Delete(b);
}

/* A cancelled transaction applied nothing: retrying it with its token runs it again. */
static void test_cancelled_token_runs_again(void **state)
{
    tu_env *env = *state;
    int status;
    int64_t now = bc_now_ns();
    const char *req = "{\"TransactItems\":[{\"Update\":{\"TableName\":\"tok\",\"Key\":{\"pk\":{"
                      "\"S\":\"can\"}},\"UpdateExpression\":\"SET v = :v\",\"ConditionExpression\":"
                      "\"attribute_exists(pk)\",\"ExpressionAttributeValues\":{\":v\":{\"S\":"
                      "\"x\"}}}}],\"ClientRequestToken\":\"tok-cancel\"}";
    cJSON *b = call_at(env->srv, "TransactWriteItems", now, req, &status);
    assert_string_equal(err_type(b), "TransactionCanceledException");
    cJSON_Delete(b);
    b = call_at(env->srv, "PutItem", now,
                "{\"TableName\":\"tok\",\"Item\":{\"pk\":{\"S\":\"can\"}}}", &status);
    assert_int_equal(status, 200);
    cJSON_Delete(b);
    b = call_at(env->srv, "TransactWriteItems", now + BC_NS_PER_S, req, &status);
    assert_int_equal(status, 200);
    cJSON_Delete(b);
    b = call_at(env->srv, "GetItem", now,
                "{\"TableName\":\"tok\",\"Key\":{\"pk\":{\"S\":\"can\"}},\"ConsistentRead\":true}",
                &status);
    const cJSON *v =
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "Item"), "v"), "S");
    assert_true(cJSON_IsString(v) && strcmp(v->valuestring, "x") == 0);
    cJSON_Delete(b);
}

#define RACE_THREADS 8
#define RACE_ROUNDS 20

typedef struct race_arg {
    emu_server *srv;
    int round;
    int ok, in_progress, other;
} race_arg;

static void *race_thread(void *p)
{
    race_arg *a = p;
    char req[1024], tok[40];
    snprintf(tok, sizeof tok, "tok-race-%d", a->round);
    add_body(req, sizeof req, "race", tok, 1, "");
    int status;
    cJSON *b = call_at(a->srv, "TransactWriteItems", bc_now_ns(), req, &status);
    if (status == 200)
        a->ok++;
    else if (strcmp(err_type(b), "TransactionInProgressException") == 0)
        a->in_progress++;
    else
        a->other++;
    cJSON_Delete(b);
    return NULL;
}

/* Threads racing with one token: exactly one application per token, every answer is a
 * success or TransactionInProgressException. */
static void test_racing_token_applies_once(void **state)
{
    tu_env *env = *state;
    char cnt[64];
    for (int round = 0; round < RACE_ROUNDS; round++) {
        pthread_t th[RACE_THREADS];
        race_arg args[RACE_THREADS];
        for (int i = 0; i < RACE_THREADS; i++) {
            memset(&args[i], 0, sizeof args[i]);
            args[i].srv = env->srv;
            args[i].round = round;
            assert_int_equal(pthread_create(&th[i], NULL, race_thread, &args[i]), 0);
        }
        int ok = 0, other = 0;
        for (int i = 0; i < RACE_THREADS; i++) {
            pthread_join(th[i], NULL);
            ok += args[i].ok;
            other += args[i].other;
        }
        assert_int_equal(other, 0);
        assert_true(ok >= 1);
        char want[16];
        snprintf(want, sizeof want, "%d", round + 1);
        assert_string_equal(count_of(env->srv, "race", cnt, sizeof cnt), want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_repeat_applies_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mismatch_and_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_progress_and_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancelled_token_runs_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_racing_token_applies_once, setup, teardown),
    };
    ddb_global_init();
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ddb_global_cleanup();
    return rc;
}
