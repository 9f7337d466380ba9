/*
 * test_ddb_attr.c - the AttributeValue model: round trips of every type, validation
 * errors with their paths, item size by the documented rules (AWS-FACTS.md 4.3),
 * number canonicalisation, ordering and equality, accessors, base64.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ddb/attr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *parse(const char *s)
{
    cJSON *j = cJSON_Parse(s);
    if (!j) fail_msg("test JSON does not parse: %s", s);
    return j;
}

static void test_roundtrip_every_type(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        ddb_attr_type type;
        const char *name;
    } cases[] = {
        {"{\"S\":\"hello\"}", DDB_T_S, "S"},
        {"{\"S\":\"\"}", DDB_T_S, "S"},
        {"{\"N\":\"-12.5e3\"}", DDB_T_N, "N"},
        {"{\"B\":\"AAEC/w==\"}", DDB_T_B, "B"},
        {"{\"BOOL\":false}", DDB_T_BOOL, "BOOL"},
        {"{\"NULL\":true}", DDB_T_NULL, "NULL"},
        {"{\"M\":{\"a\":{\"S\":\"x\"},\"b\":{\"L\":[{\"N\":\"1\"}]}}}", DDB_T_M, "M"},
        {"{\"L\":[{\"S\":\"x\"},{\"NULL\":true},{\"M\":{}}]}", DDB_T_L, "L"},
        {"{\"SS\":[\"a\",\"b\"]}", DDB_T_SS, "SS"},
        {"{\"NS\":[\"1\",\"2.5\",\"-3\"]}", DDB_T_NS, "NS"},
        {"{\"BS\":[\"YQ==\",\"Yg==\"]}", DDB_T_BS, "BS"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *a = parse(cases[i].json);
        char err[256] = "";
        assert_int_equal(ddb_attr_type_of(a), cases[i].type);
        assert_string_equal(ddb_attr_type_name(cases[i].type), cases[i].name);
        if (ddb_attr_validate(a, "v", err, sizeof(err)) != 0)
            fail_msg("%s: %s", cases[i].json, err);
        assert_non_null(ddb_attr_payload(a));
        char *printed = cJSON_PrintUnformatted(a);
        cJSON *b = parse(printed);
        assert_true(ddb_attr_equal(a, b));
        assert_int_equal(ddb_attr_size(a), ddb_attr_size(b));
        free(printed);
        cJSON_Delete(a);
        cJSON_Delete(b);
    }
}

static void test_builders(void **state)
{
    (void)state;
    cJSON *item = cJSON_CreateObject();
    cJSON_AddItemToObject(item, "s", ddb_attr_s("text"));
    cJSON_AddItemToObject(item, "n", ddb_attr_n_i64(-9223372036854775807LL - 1));
    cJSON_AddItemToObject(item, "d", ddb_attr_n_str("3.25"));
    const unsigned char bytes[] = {0, 1, 2, 255, 0};
    cJSON_AddItemToObject(item, "b", ddb_attr_b(bytes, sizeof(bytes)));
    cJSON_AddItemToObject(item, "t", ddb_attr_bool(7));
    cJSON_AddItemToObject(item, "z", ddb_attr_null());
    char err[256] = "";
    assert_int_equal(ddb_item_validate(item, err, sizeof(err)), 0);

    const char *s;
    int64_t i64;
    double d;
    assert_int_equal(ddb_item_get_s(item, "s", &s), 0);
    assert_string_equal(s, "text");
    assert_int_equal(ddb_item_get_i64(item, "n", &i64), 0);
    assert_true(i64 == INT64_MIN);
    assert_int_equal(ddb_item_get_n_double(item, "d", &d), 0);
    assert_true(d == 3.25);
    assert_int_equal(ddb_item_get_i64(item, "d", &i64), -1); /* not an integer */
    assert_int_equal(ddb_item_get_s(item, "n", &s), -1);     /* wrong type */
    assert_int_equal(ddb_item_get_s(item, "missing", &s), -1);
    assert_true(cJSON_IsTrue(ddb_attr_payload(cJSON_GetObjectItem(item, "t"))));
    assert_string_equal(ddb_attr_payload(cJSON_GetObjectItem(item, "b"))->valuestring, "AAEC/wA=");
    cJSON_Delete(item);

    cJSON *big = parse("{\"a\":{\"N\":\"1e3\"},\"b\":{\"N\":\"9223372036854775808\"},"
                       "\"c\":{\"N\":\"-42\"},\"e\":{\"N\":\"0.0\"}}");
    assert_int_equal(ddb_item_get_i64(big, "a", &i64), 0);
    assert_true(i64 == 1000);
    assert_int_equal(ddb_item_get_i64(big, "b", &i64), -1); /* overflows int64 */
    assert_int_equal(ddb_item_get_i64(big, "c", &i64), 0);
    assert_true(i64 == -42);
    assert_int_equal(ddb_item_get_i64(big, "e", &i64), 0);
    assert_true(i64 == 0);
    cJSON_Delete(big);
}

static void test_base64(void **state)
{
    (void)state;
    const unsigned char data[] = {0xde, 0xad, 0x00, 0xbe, 0xef};
    for (size_t n = 0; n <= sizeof(data); n++) {
        char *enc = ddb_base64_encode(data, n);
        assert_non_null(enc);
        assert_int_equal(strlen(enc) % 4, 0);
        size_t len = 99;
        unsigned char *dec = ddb_base64_decode(enc, &len);
        assert_non_null(dec);
        assert_int_equal(len, n);
        assert_memory_equal(dec, data, n);
        free(enc);
        free(dec);
    }
    size_t len;
    assert_null(ddb_base64_decode("abc", &len));      /* not a multiple of 4 */
    assert_null(ddb_base64_decode("ab!d", &len));     /* bad alphabet */
    assert_null(ddb_base64_decode("a=bc", &len));     /* padding inside */
    assert_null(ddb_base64_decode("YQ==YQ==", &len)); /* padding then data */
}

static void expect_invalid(const char *json, const char *want_in_err)
{
    cJSON *a = parse(json);
    char err[256] = "";
    int rc = ddb_attr_validate(a, "attr", err, sizeof(err));
    if (rc == 0) fail_msg("expected %s to be invalid", json);
    if (!strstr(err, want_in_err))
        fail_msg("%s: error \"%s\" does not mention \"%s\"", json, err, want_in_err);
    cJSON_Delete(a);
}

static void test_validation_errors(void **state)
{
    (void)state;
    expect_invalid("{\"SS\":[]}", "attr: an empty set");
    expect_invalid("{\"NS\":[]}", "empty set");
    expect_invalid("{\"BS\":[]}", "empty set");
    expect_invalid("{\"N\":\"1.2.3\"}", "attr: not a valid number");
    expect_invalid("{\"N\":\"abc\"}", "not a valid number");
    expect_invalid("{\"N\":\"\"}", "not a valid number");
    expect_invalid("{\"N\":\"1e\"}", "not a valid number");
    expect_invalid("{\"N\":\"123456789012345678901234567890123456789\"}", "not a valid number");
    expect_invalid("{\"N\":\"1e126\"}", "not a valid number");
    expect_invalid("{\"N\":\"1e-131\"}", "not a valid number");
    expect_invalid("{\"B\":\"abc\"}", "attr: not valid base64");
    expect_invalid("{\"B\":\"ab$=\"}", "not valid base64");
    expect_invalid("{\"SS\":[\"a\",\"b\",\"a\"]}", "duplicate");
    expect_invalid("{\"NS\":[\"1\",\"1.00\"]}", "duplicate"); /* equal numerically */
    expect_invalid("{\"BS\":[\"YQ==\",\"YQ==\"]}", "duplicate");
    expect_invalid("{\"NS\":[\"1\",\"x\"]}", "attr[1]: not a valid number");
    expect_invalid("{\"SS\":[\"a\",1]}", "attr[1]");
    expect_invalid("{\"NULL\":false}", "NULL must be true");
    expect_invalid("{\"X\":\"y\"}", "unknown type");
    expect_invalid("{\"S\":1}", "unknown type or wrong payload");
    expect_invalid("{\"S\":\"a\",\"N\":\"1\"}", "more than one");
    expect_invalid("{}", "exactly one");
    expect_invalid("\"bare\"", "must be an object");
    expect_invalid("{\"M\":{\"in\":{\"L\":[{\"S\":\"ok\"},{\"N\":\"nope\"}]}}}",
                   "attr.in[1]: not a valid number");
    expect_invalid("{\"M\":{\"\":{\"S\":\"x\"}}}", "empty attribute name");

    /* Nesting: 32 levels are allowed, 33 are not. */
    char deep[1024] = "", tail[256] = "";
    for (int depth = 32; depth <= 33; depth++) {
        deep[0] = tail[0] = '\0';
        for (int i = 0; i < depth; i++) {
            strcat(deep, "{\"L\":[");
            strcat(tail, "]}");
        }
        char json[1400];
        snprintf(json, sizeof(json), "%s{\"S\":\"x\"}%s", deep, tail);
        cJSON *a = parse(json);
        char err[256] = "";
        int rc = ddb_attr_validate(a, "d", err, sizeof(err));
        if (depth == 32)
            assert_int_equal(rc, 0);
        else
            assert_non_null(strstr(err, "nesting"));
        cJSON_Delete(a);
    }
}

static void test_item_validation(void **state)
{
    (void)state;
    char err[256];
    cJSON *bad = parse("{\"pk\":{\"S\":\"k\"},\"tags\":{\"SS\":[]}}");
    assert_int_equal(ddb_item_validate(bad, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "tags: an empty set"));
    cJSON_Delete(bad);

    cJSON *notobj = parse("[1]");
    assert_int_equal(ddb_item_validate(notobj, err, sizeof(err)), -1);
    cJSON_Delete(notobj);

    /* 400 KB, names included: exactly at the limit passes, one byte more fails. */
    size_t vlen = DDB_MAX_ITEM_BYTES - 2; /* name "pk" */
    char *v = malloc(vlen + 2);
    memset(v, 'x', vlen);
    v[vlen] = '\0';
    cJSON *item = cJSON_CreateObject();
    cJSON_AddItemToObject(item, "pk", ddb_attr_s(v));
    assert_int_equal(ddb_item_size(item), DDB_MAX_ITEM_BYTES);
    assert_int_equal(ddb_item_validate(item, err, sizeof(err)), 0);
    cJSON_Delete(item);
    v[vlen] = 'x';
    v[vlen + 1] = '\0';
    item = cJSON_CreateObject();
    cJSON_AddItemToObject(item, "pk", ddb_attr_s(v));
    assert_int_equal(ddb_item_validate(item, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "exceeds"));
    cJSON_Delete(item);
    free(v);
}

static size_t item_size_of(const char *json)
{
    cJSON *j = parse(json);
    size_t n = ddb_item_size(j);
    cJSON_Delete(j);
    return n;
}

static void test_item_size_rules(void **state)
{
    (void)state;
    /* The documented example. */
    assert_int_equal(item_size_of("{\"shirt-color\":{\"S\":\"R\"},\"shirt-size\":{\"S\":\"M\"}}"),
                     23);
    /* Strings are UTF-8 bytes: "é" is 2 bytes. */
    assert_int_equal(item_size_of("{\"a\":{\"S\":\"\xc3\xa9\"}}"), 3);
    /* Numbers: 1 byte per 2 significant digits + 1; zeros trimmed. */
    assert_int_equal(item_size_of("{\"n\":{\"N\":\"123\"}}"), 1 + 2 + 1);
    assert_int_equal(item_size_of("{\"n\":{\"N\":\"1234\"}}"), 1 + 2 + 1);
    assert_int_equal(item_size_of("{\"n\":{\"N\":\"12345\"}}"), 1 + 3 + 1);
    assert_int_equal(item_size_of("{\"n\":{\"N\":\"1000000\"}}"), 1 + 1 + 1);
    assert_int_equal(item_size_of("{\"n\":{\"N\":\"-0.00150\"}}"), 1 + 1 + 1);
    assert_int_equal(item_size_of("{\"n\":{\"N\":\"12345678901234567890123456789012345678\"}}"),
                     1 + 19 + 1);
    /* Binary: raw bytes, not base64 text. */
    assert_int_equal(item_size_of("{\"b\":{\"B\":\"aGVsbG8=\"}}"), 1 + 5);
    /* Null and Boolean: 1 byte. */
    assert_int_equal(item_size_of("{\"t\":{\"BOOL\":true},\"z\":{\"NULL\":true}}"), 2 + 2);
    /* Empty list/map: name + 3. */
    assert_int_equal(item_size_of("{\"m\":{\"M\":{}},\"l\":{\"L\":[]}}"), 4 + 4);
    /* Map: 3 + per element (name + value + 1). */
    assert_int_equal(item_size_of("{\"m\":{\"M\":{\"ab\":{\"S\":\"xyz\"}}}}"), 1 + 3 + 2 + 3 + 1);
    /* List: 3 + per element (value + 1). */
    assert_int_equal(item_size_of("{\"l\":{\"L\":[{\"S\":\"xy\"},{\"BOOL\":false}]}}"),
                     1 + 3 + (2 + 1) + (1 + 1));
    /* Sets: sum of members. */
    assert_int_equal(item_size_of("{\"s\":{\"SS\":[\"ab\",\"c\"]}}"), 1 + 3);
    assert_int_equal(item_size_of("{\"s\":{\"NS\":[\"1\",\"123\"]}}"), 1 + 2 + 3);
    assert_int_equal(item_size_of("{\"s\":{\"BS\":[\"YQ==\",\"YWI=\"]}}"), 1 + 1 + 2);
}

static void test_number_parse(void **state)
{
    (void)state;
    int sign, nd, exp;
    char d[40];
    assert_int_equal(ddb_number_parse("0.00120e3", &sign, d, &nd, &exp), 0);
    assert_int_equal(sign, 1);
    assert_string_equal(d, "12");
    assert_int_equal(nd, 2);
    assert_int_equal(exp, -1); /* 12 * 10^-1 = 1.2 */
    assert_int_equal(ddb_number_parse("-1500", &sign, d, &nd, &exp), 0);
    assert_int_equal(sign, -1);
    assert_string_equal(d, "15");
    assert_int_equal(exp, 2);
    assert_int_equal(ddb_number_parse("-0.000", &sign, d, &nd, &exp), 0);
    assert_int_equal(sign, 0);
    assert_int_equal(nd, 0);
    /* Trailing zeros past 38 digits are not significant. */
    assert_int_equal(
        ddb_number_parse("1000000000000000000000000000000000000000000000000", &sign, d, &nd, &exp),
        0);
    assert_string_equal(d, "1");
    assert_int_equal(exp, 48);
    assert_int_equal(
        ddb_number_parse("9.9999999999999999999999999999999999999E+125", &sign, d, &nd, &exp), 0);
    assert_int_equal(nd, 38);
    assert_int_equal(ddb_number_parse("1E-130", &sign, d, &nd, &exp), 0);
    assert_int_equal(ddb_number_parse(".5", &sign, d, &nd, &exp), 0);
    assert_int_equal(ddb_number_parse("5.", &sign, d, &nd, &exp), 0);
    assert_int_equal(ddb_number_parse(".", &sign, d, &nd, &exp), -1);
    assert_int_equal(ddb_number_parse("1e5x", &sign, d, &nd, &exp), -1);
    assert_int_equal(ddb_number_parse(" 1", &sign, d, &nd, &exp), -1);
    assert_int_equal(ddb_number_parse("NaN", &sign, d, &nd, &exp), -1);
}

static int cmp_json(const char *a, const char *b)
{
    cJSON *x = parse(a), *y = parse(b);
    int c = ddb_attr_compare(x, y);
    cJSON_Delete(x);
    cJSON_Delete(y);
    return c;
}

static int eq_json(const char *a, const char *b)
{
    cJSON *x = parse(a), *y = parse(b);
    int e = ddb_attr_equal(x, y);
    cJSON_Delete(x);
    cJSON_Delete(y);
    return e;
}

static void test_compare(void **state)
{
    (void)state;
    /* Numbers compare numerically, not as text. */
    assert_true(cmp_json("{\"N\":\"10\"}", "{\"N\":\"9\"}") > 0);
    assert_true(cmp_json("{\"N\":\"-1\"}", "{\"N\":\"0.5\"}") < 0);
    assert_true(cmp_json("{\"N\":\"-10\"}", "{\"N\":\"-9\"}") < 0);
    assert_true(cmp_json("{\"N\":\"1e2\"}", "{\"N\":\"100.00\"}") == 0);
    assert_true(cmp_json("{\"N\":\"0\"}", "{\"N\":\"-0.0\"}") == 0);
    assert_true(cmp_json("{\"N\":\"0.001\"}", "{\"N\":\"0\"}") > 0);
    assert_true(cmp_json("{\"N\":\"1.25\"}", "{\"N\":\"1.3\"}") < 0);
    /* Strings are bytewise UTF-8: upper case before lower, multibyte after ASCII. */
    assert_true(cmp_json("{\"S\":\"a\"}", "{\"S\":\"b\"}") < 0);
    assert_true(cmp_json("{\"S\":\"B\"}", "{\"S\":\"a\"}") < 0);
    assert_true(cmp_json("{\"S\":\"ab\"}", "{\"S\":\"a\"}") > 0);
    assert_true(cmp_json("{\"S\":\"\xc3\xa9\"}", "{\"S\":\"z\"}") > 0);
    /* Binary compares decoded bytes as unsigned: 0x80 > 0x7f. */
    assert_true(cmp_json("{\"B\":\"gA==\"}", "{\"B\":\"fw==\"}") > 0);
    assert_true(cmp_json("{\"B\":\"AA==\"}", "{\"B\":\"AAA=\"}") < 0);
    /* Different types order by type and are never equal. */
    assert_true(cmp_json("{\"S\":\"1\"}", "{\"N\":\"1\"}") != 0);
    assert_int_equal(cmp_json("{\"S\":\"1\"}", "{\"N\":\"1\"}"),
                     -cmp_json("{\"N\":\"1\"}", "{\"S\":\"1\"}"));
}

static void test_equal(void **state)
{
    (void)state;
    assert_true(eq_json("{\"N\":\"1.0\"}", "{\"N\":\"1\"}"));
    assert_false(eq_json("{\"N\":\"1.01\"}", "{\"N\":\"1\"}"));
    assert_true(eq_json("{\"SS\":[\"a\",\"b\"]}", "{\"SS\":[\"b\",\"a\"]}"));
    assert_false(eq_json("{\"SS\":[\"a\",\"b\"]}", "{\"SS\":[\"a\"]}"));
    assert_true(eq_json("{\"NS\":[\"1\",\"2\"]}", "{\"NS\":[\"2.0\",\"1\"]}"));
    assert_true(eq_json("{\"BS\":[\"YQ==\",\"Yg==\"]}", "{\"BS\":[\"Yg==\",\"YQ==\"]}"));
    assert_true(eq_json("{\"M\":{\"a\":{\"N\":\"1\"},\"b\":{\"S\":\"x\"}}}",
                        "{\"M\":{\"b\":{\"S\":\"x\"},\"a\":{\"N\":\"1.0\"}}}"));
    assert_false(eq_json("{\"M\":{\"a\":{\"N\":\"1\"}}}", "{\"M\":{\"a\":{\"S\":\"1\"}}}"));
    assert_false(eq_json("{\"M\":{\"a\":{\"N\":\"1\"}}}",
                         "{\"M\":{\"a\":{\"N\":\"1\"},\"b\":{\"NULL\":true}}}"));
    assert_true(
        eq_json("{\"L\":[{\"S\":\"a\"},{\"N\":\"2\"}]}", "{\"L\":[{\"S\":\"a\"},{\"N\":\"2\"}]}"));
    assert_false(eq_json("{\"L\":[{\"S\":\"a\"},{\"N\":\"2\"}]}",
                         "{\"L\":[{\"N\":\"2\"},{\"S\":\"a\"}]}")); /* lists are ordered */
    assert_false(eq_json("{\"L\":[{\"S\":\"a\"}]}", "{\"L\":[{\"S\":\"a\"},{\"S\":\"a\"}]}"));
    assert_false(eq_json("{\"BOOL\":true}", "{\"BOOL\":false}"));
    assert_true(eq_json("{\"NULL\":true}", "{\"NULL\":true}"));
    assert_false(eq_json("{\"X\":1}", "{\"X\":1}")); /* invalid values are never equal */
}

/* ddb_json_quote writes what cJSON prints for the same string: every byte value
 * alone and in context, UTF-8 and an empty string. */
static void test_json_quote_as_cjson(void **state)
{
    (void)state;
    char in[64], out[DDB_JSON_QUOTED_MAX(64)];
    for (int c = 1; c < 256; c++) {
        int n = snprintf(in, sizeof(in), "a%cb", c);
        assert_int_equal(n, 3);
        cJSON *str = cJSON_CreateString(in);
        char *want = cJSON_PrintUnformatted(str);
        size_t len = ddb_json_quote(out, in, 3);
        assert_int_equal(len, strlen(want));
        assert_memory_equal(out, want, len);
        cJSON_free(want);
        cJSON_Delete(str);
    }
    const char *cases[] = {"", "plain", "ins/0/12", "caf\xc3\xa9 \"q\" \\ /x\x7f", "\x01\x1f\n\t"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *str = cJSON_CreateString(cases[i]);
        char *want = cJSON_PrintUnformatted(str);
        size_t len = ddb_json_quote(out, cases[i], strlen(cases[i]));
        assert_int_equal(len, strlen(want));
        assert_memory_equal(out, want, len);
        cJSON_free(want);
        cJSON_Delete(str);
    }
    /* The bound holds for the worst case. */
    memset(in, 1, sizeof(in));
    assert_int_equal(ddb_json_quote(out, in, sizeof(in)), DDB_JSON_QUOTED_MAX(sizeof(in)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_every_type),
        cmocka_unit_test(test_builders),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_validation_errors),
        cmocka_unit_test(test_item_validation),
        cmocka_unit_test(test_item_size_rules),
        cmocka_unit_test(test_number_parse),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_json_quote_as_cjson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
