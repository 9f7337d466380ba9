/*
 * test_emu_auth.c - SigV4 verification on the emulator: missing Authorization, unknown
 * access key, wrong secret, tampered body and an X-Amz-Date more than 15 minutes off are
 * each rejected with DynamoDB's error name, and none of them writes anything; --no-auth
 * accepts unsigned requests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ddb/sigv4.h"
#include "test_emu_util.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PUT_BODY "{\"TableName\":\"auth\",\"Item\":{\"pk\":{\"S\":\"x\"}}}"

static int setup(void **state)
{
    tu_env *env = calloc(1, sizeof *env);
    if (!env || tu_start(env, NULL) != 0) return -1;
    if (tu_create_table(env, "auth", "S", NULL) != 0) return -1;
    *state = env;
    return 0;
}

static int teardown(void **state)
{
    tu_stop(*state);
    free(*state);
    return 0;
}

/* Sends PutItem signed with (akid, secret) at date_ns; body_sent may differ from the
 * signed body (tampering). Returns the HTTP status; out gets the response body. */
static long signed_put(tu_env *env, const char *akid, const char *secret, int64_t date_ns,
                       const char *body_signed, const char *body_sent, char *out, size_t outlen)
{
    char host[64], date[32];
    snprintf(host, sizeof host, "127.0.0.1:%d", emu_port(env->srv));
    bc_fmt_compact(date_ns, date, sizeof date);
    ddb_header hs[] = {{"host", host},
                       {"x-amz-date", date},
                       {"x-amz-target", "DynamoDB_20120810.PutItem"},
                       {"content-type", "application/x-amz-json-1.0"}};
    ddb_sigv4_input in;
    memset(&in, 0, sizeof in);
    in.method = "POST";
    in.path = "/";
    in.query = "";
    in.headers = hs;
    in.nheaders = 4;
    in.body = body_signed;
    in.body_len = strlen(body_signed);
    in.region = "us-east-1";
    in.service = "dynamodb";
    in.amz_date = date;
    in.access_key_id = akid;
    in.secret_access_key = secret;
    in.normalize_path = 1;
    char *authz = NULL;
    assert_int_equal(ddb_sigv4_authorization(&in, NULL, &authz), 0);
    char h1[2048], h2[64];
    snprintf(h1, sizeof h1, "Authorization: %s", authz);
    snprintf(h2, sizeof h2, "X-Amz-Date: %s", date);
    free(authz);
    const char *headers[] = {h1, h2};
    return tu_raw_post(emu_endpoint(env->srv), "DynamoDB_20120810.PutItem", body_sent, headers, 2,
                       out, outlen);
}

static void assert_error(const char *body, const char *type)
{
    cJSON *o = cJSON_Parse(body);
    assert_non_null(o);
    const cJSON *t = cJSON_GetObjectItem(o, "__type");
    assert_true(cJSON_IsString(t));
    assert_non_null(strstr(t->valuestring, type));
    assert_true(cJSON_IsString(cJSON_GetObjectItem(o, "message")));
    cJSON_Delete(o);
}

static void test_valid_signature_accepted(void **state)
{
    tu_env *env = *state;
    char out[4096];
    assert_int_equal(signed_put(env, "backcheck", "backcheck-secret", bc_now_ns(), PUT_BODY,
                                PUT_BODY, out, sizeof out),
                     200);
    assert_int_equal(tu_scan_count(env, "auth"), 1);
    ddb_result r;
    assert_non_null(
        tu_ok(env, &r, "DeleteItem", "{\"TableName\":\"auth\",\"Key\":{\"pk\":{\"S\":\"x\"}}}"));
    ddb_result_free(&r);
}

static void test_missing_authorization(void **state)
{
    tu_env *env = *state;
    char out[4096];
    long st = tu_raw_post(emu_endpoint(env->srv), "DynamoDB_20120810.PutItem", PUT_BODY, NULL, 0,
                          out, sizeof out);
    assert_int_equal(st, 400);
    assert_error(out, "MissingAuthenticationTokenException");
    assert_int_equal(tu_scan_count(env, "auth"), 0);
}

static void test_unknown_key(void **state)
{
    tu_env *env = *state;
    char out[4096];
    assert_int_equal(signed_put(env, "someone-else", "backcheck-secret", bc_now_ns(), PUT_BODY,
                                PUT_BODY, out, sizeof out),
                     400);
    assert_error(out, "UnrecognizedClientException");
    assert_int_equal(tu_scan_count(env, "auth"), 0);
}

static void test_wrong_secret_and_tampering(void **state)
{
    tu_env *env = *state;
    char out[4096];
    assert_int_equal(signed_put(env, "backcheck", "not-the-secret", bc_now_ns(), PUT_BODY, PUT_BODY,
                                out, sizeof out),
                     400);
    assert_error(out, "InvalidSignatureException");
    const char *tampered = "{\"TableName\":\"auth\",\"Item\":{\"pk\":{\"S\":\"y\"}}}";
    assert_int_equal(signed_put(env, "backcheck", "backcheck-secret", bc_now_ns(), PUT_BODY,
                                tampered, out, sizeof out),
                     400);
    assert_error(out, "InvalidSignatureException");
    assert_int_equal(tu_scan_count(env, "auth"), 0);
}

static void test_expired_and_future_dates(void **state)
{
    tu_env *env = *state;
    char out[4096];
    int64_t skew = 16 * 60 * BC_NS_PER_S;
    assert_int_equal(signed_put(env, "backcheck", "backcheck-secret", bc_now_ns() - skew, PUT_BODY,
                                PUT_BODY, out, sizeof out),
                     400);
    assert_error(out, "InvalidSignatureException");
    assert_non_null(strstr(out, "Signature expired"));
    assert_int_equal(signed_put(env, "backcheck", "backcheck-secret", bc_now_ns() + skew, PUT_BODY,
                                PUT_BODY, out, sizeof out),
                     400);
    assert_error(out, "InvalidSignatureException");
    /* 10 minutes off is still inside the 15-minute allowance. */
    assert_int_equal(signed_put(env, "backcheck", "backcheck-secret",
                                bc_now_ns() - 10 * 60 * BC_NS_PER_S, PUT_BODY, PUT_BODY, out,
                                sizeof out),
                     200);
    assert_int_equal(tu_scan_count(env, "auth"), 1);
    ddb_result r;
    assert_non_null(
        tu_ok(env, &r, "DeleteItem", "{\"TableName\":\"auth\",\"Key\":{\"pk\":{\"S\":\"x\"}}}"));
    ddb_result_free(&r);
}

static void test_client_with_wrong_credentials(void **state)
{
    tu_env *env = *state;
    ddb_config cfg = env->dcfg;
    snprintf(cfg.creds.secret_access_key, sizeof cfg.creds.secret_access_key, "wrong");
    ddb_client *c = ddb_client_new(&cfg);
    cJSON *req = cJSON_Parse(PUT_BODY);
    ddb_result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(ddb_call(c, "PutItem", req, &r), DDB_ERR_AUTH);
    assert_int_equal(r.outcome, DDB_OUTCOME_FAIL);
    ddb_result_free(&r);
    cJSON_Delete(req);
    ddb_client_free(c);
    assert_int_equal(tu_scan_count(env, "auth"), 0);
}

static void test_no_auth_mode(void **state)
{
    emu_config cfg;
    tu_fast_config(&cfg);
    cfg.no_auth = 1;
    tu_env env;
    assert_int_equal(tu_start(&env, &cfg), 0);
    assert_int_equal(tu_create_table(&env, "auth", "S", NULL), 0);
    char out[4096];
    assert_int_equal(tu_raw_post(emu_endpoint(env.srv), "DynamoDB_20120810.PutItem", PUT_BODY, NULL,
                                 0, out, sizeof out),
                     200);
    assert_int_equal(tu_scan_count(&env, "auth"), 1);
    /* Unknown targets and bad JSON still get DynamoDB's error shape. */
    assert_int_equal(tu_raw_post(emu_endpoint(env.srv), "DynamoDB_20120810.Nope", "{}", NULL, 0,
                                 out, sizeof out),
                     400);
    assert_error(out, "UnknownOperationException");
    assert_int_equal(tu_raw_post(emu_endpoint(env.srv), "DynamoDB_20120810.PutItem", "{nope", NULL,
                                 0, out, sizeof out),
                     400);
    assert_error(out, "SerializationException");
    tu_stop(&env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_signature_accepted),
        cmocka_unit_test(test_missing_authorization),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_wrong_secret_and_tampering),
        cmocka_unit_test(test_expired_and_future_dates),
        cmocka_unit_test(test_client_with_wrong_credentials),
        cmocka_unit_test(test_no_auth_mode),
    };
    ddb_global_init();
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    ddb_global_cleanup();
    return rc;
}
