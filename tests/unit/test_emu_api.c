/*
 * test_emu_api.c - the emulator's DynamoDB API over real HTTP on 127.0.0.1 through the
 * ddb client: tables, items, conditions, ReturnValues, Query/Scan pagination and parallel
 * scan, batches, transactions, limits and ConsumedCapacity numbers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_emu_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int setup(void **state)
{
    tu_env *env = calloc(1, sizeof *env);
    if (!env || tu_start(env, NULL) != 0) return -1;
    *state = env;
    return 0;
}

static int teardown(void **state)
{
    tu_stop(*state);
    free(*state);
    return 0;
}

static double num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static const char *str_at(const cJSON *o, const char *a, const char *b, const char *c)
{
    const cJSON *v = cJSON_GetObjectItem(o, a);
    if (b) v = cJSON_GetObjectItem(v, b);
    if (c) v = cJSON_GetObjectItem(v, c);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_table_lifecycle(void **state)
{
    tu_env *env = *state;
    ddb_result r;
    const cJSON *b =
        tu_ok(env, &r, "CreateTable",
              "{\"TableName\":\"life\",\"BillingMode\":\"PAY_PER_REQUEST\","
              "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],"
              "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}]}");
    assert_non_null(b);
    assert_string_equal(str_at(b, "TableDescription", "TableStatus", NULL), "CREATING");
    assert_string_equal(str_at(b, "TableDescription", "TableArn", NULL),
                        "arn:aws:dynamodb:us-east-1:000000000000:table/life");
    ddb_result_free(&r);
    /* Data operations on a CREATING table are refused. */
    assert_int_equal(tu_wait_active(env, "life"), 0);
    assert_int_equal(
        tu_call(env, &r, "CreateTable",
                "{\"TableName\":\"life\",\"BillingMode\":\"PAY_PER_REQUEST\","
                "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],"
                "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}]}"),
        DDB_ERR_RESOURCE_IN_USE);
    ddb_result_free(&r);
    assert_int_equal(tu_call(env, &r, "DescribeTable", "{\"TableName\":\"nope\"}"),
                     DDB_ERR_RESOURCE_NOT_FOUND);
    assert_string_equal(r.err_type, "ResourceNotFoundException");
    ddb_result_free(&r);
    assert_int_equal(tu_call(env, &r, "CreateTable", "{\"TableName\":\"x\"}"), DDB_ERR_VALIDATION);
    ddb_result_free(&r);

    assert_int_equal(tu_create_table(env, "life2", "N", NULL), 0);
    b = tu_ok(env, &r, "ListTables", "{\"Limit\":1}");
    assert_non_null(b);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(b, "TableNames")), 1);
    assert_non_null(cJSON_GetObjectItem(b, "LastEvaluatedTableName"));
    ddb_result_free(&r);

    b = tu_ok(env, &r, "DeleteTable", "{\"TableName\":\"life\"}");
    assert_non_null(b);
    assert_string_equal(str_at(b, "TableDescription", "TableStatus", NULL), "DELETING");
    ddb_result_free(&r);
    assert_int_equal(
        tu_call(env, &r, "PutItem", "{\"TableName\":\"life\",\"Item\":{\"pk\":{\"S\":\"a\"}}}"),
        DDB_ERR_RESOURCE_NOT_FOUND);
    ddb_result_free(&r);
}

static void test_tags_and_pitr_settings(void **state)
{
    tu_env *env = *state;
    ddb_result r;
    assert_int_equal(tu_create_table(env, "tagged", "S", NULL), 0);
    const char *arn = "arn:aws:dynamodb:us-east-1:000000000000:table/tagged";
    assert_non_null(tu_ok(env, &r, "TagResource",
                          "{\"ResourceArn\":\"%s\",\"Tags\":[{\"Key\":\"a\",\"Value\":\"1\"},"
                          "{\"Key\":\"b\",\"Value\":\"2\"}]}",
                          arn));
    ddb_result_free(&r);
    assert_non_null(
        tu_ok(env, &r, "UntagResource", "{\"ResourceArn\":\"%s\",\"TagKeys\":[\"a\"]}", arn));
    ddb_result_free(&r);
    const cJSON *b = tu_ok(env, &r, "ListTagsOfResource", "{\"ResourceArn\":\"%s\"}", arn);
    const cJSON *tags = cJSON_GetObjectItem(b, "Tags");
    assert_int_equal(cJSON_GetArraySize(tags), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(tags, 0), "Key")->valuestring, "b");
    ddb_result_free(&r);

    b = tu_ok(env, &r, "DescribeContinuousBackups", "{\"TableName\":\"tagged\"}");
    assert_string_equal(str_at(b, "ContinuousBackupsDescription", "ContinuousBackupsStatus", NULL),
                        "ENABLED");
    assert_string_equal(str_at(b, "ContinuousBackupsDescription", "PointInTimeRecoveryDescription",
                               "PointInTimeRecoveryStatus"),
                        "DISABLED");
    ddb_result_free(&r);
    b = tu_ok(env, &r, "UpdateContinuousBackups",
              "{\"TableName\":\"tagged\",\"PointInTimeRecoverySpecification\":"
              "{\"PointInTimeRecoveryEnabled\":true}}");
    const cJSON *p = cJSON_GetObjectItem(cJSON_GetObjectItem(b, "ContinuousBackupsDescription"),
                                         "PointInTimeRecoveryDescription");
    assert_string_equal(cJSON_GetObjectItem(p, "PointInTimeRecoveryStatus")->valuestring,
                        "ENABLED");
    assert_true(num(p, "EarliestRestorableDateTime") > 1e9);
    assert_true(num(p, "LatestRestorableDateTime") >= num(p, "EarliestRestorableDateTime"));
    assert_int_equal((int)num(p, "RecoveryPeriodInDays"), 35);
    ddb_result_free(&r);
    assert_int_equal(tu_call(env, &r, "DescribeContinuousBackups", "{\"TableName\":\"zzz\"}"),
                     DDB_ERR_TABLE_NOT_FOUND);
    ddb_result_free(&r);
}

static void test_put_get_update_delete(void **state)
{
    tu_env *env = *state;
    ddb_result r;
    assert_int_equal(tu_create_table(env, "items", "S", NULL), 0);
    assert_non_null(
        tu_ok(env, &r, "PutItem",
              "{\"TableName\":\"items\",\"Item\":{\"pk\":{\"S\":\"k1\"},\"v\":{\"N\":\"1\"}},"
              "\"ConditionExpression\":\"attribute_not_exists(pk)\"}"));
    ddb_result_free(&r);
    /* The same conditional put again fails and changes nothing. */
    assert_int_equal(
        tu_call(env, &r, "PutItem",
                "{\"TableName\":\"items\",\"Item\":{\"pk\":{\"S\":\"k1\"},\"v\":{\"N\":\"2\"}},"
                "\"ConditionExpression\":\"attribute_not_exists(pk)\","
                "\"ReturnValuesOnConditionCheckFailure\":\"ALL_OLD\"}"),
        DDB_ERR_CONDITIONAL);
    assert_string_equal(r.err_type, "ConditionalCheckFailedException");
    assert_non_null(cJSON_GetObjectItem(r.body, "Item"));
    ddb_result_free(&r);
    const cJSON *b =
        tu_ok(env, &r, "GetItem",
              "{\"TableName\":\"items\",\"Key\":{\"pk\":{\"S\":\"k1\"}},\"ConsistentRead\":true}");
    assert_string_equal(str_at(b, "Item", "v", "N"), "1");
    ddb_result_free(&r);

    b = tu_ok(
        env, &r, "UpdateItem",
        "{\"TableName\":\"items\",\"Key\":{\"pk\":{\"S\":\"k1\"}},"
        "\"UpdateExpression\":\"SET v = v + :one, w = :w\",\"ConditionExpression\":\"v = :prev\","
        "\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"},\":w\":{\"S\":\"x\"},\":prev\":{"
        "\"N\":\"1\"}},"
        "\"ReturnValues\":\"UPDATED_NEW\"}");
    assert_non_null(b);
    assert_string_equal(str_at(b, "Attributes", "v", "N"), "2");
    assert_string_equal(str_at(b, "Attributes", "w", "S"), "x");
    ddb_result_free(&r);
    /* A stale version check fails. */
    assert_int_equal(
        tu_call(env, &r, "UpdateItem",
                "{\"TableName\":\"items\",\"Key\":{\"pk\":{\"S\":\"k1\"}},"
                "\"UpdateExpression\":\"SET v = :n\",\"ConditionExpression\":\"v = :prev\","
                "\"ExpressionAttributeValues\":{\":n\":{\"N\":\"9\"},\":prev\":{\"N\":\"1\"}}}"),
        DDB_ERR_CONDITIONAL);
    ddb_result_free(&r);
    /* Key attributes cannot be updated. */
    assert_int_equal(tu_call(env, &r, "UpdateItem",
                             "{\"TableName\":\"items\",\"Key\":{\"pk\":{\"S\":\"k1\"}},"
                             "\"UpdateExpression\":\"SET pk = :n\","
                             "\"ExpressionAttributeValues\":{\":n\":{\"S\":\"k2\"}}}"),
                     DDB_ERR_VALIDATION);
    ddb_result_free(&r);
    /* Update of a missing item creates it. */
    b = tu_ok(env, &r, "UpdateItem",
              "{\"TableName\":\"items\",\"Key\":{\"pk\":{\"S\":\"new\"}},"
              "\"UpdateExpression\":\"ADD c "
              ":one\",\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"}},"
              "\"ReturnValues\":\"ALL_NEW\"}");
    assert_string_equal(str_at(b, "Attributes", "c", "N"), "1");
    assert_string_equal(str_at(b, "Attributes", "pk", "S"), "new");
    ddb_result_free(&r);

    b = tu_ok(env, &r, "PutItem",
              "{\"TableName\":\"items\",\"Item\":{\"pk\":{\"S\":\"k1\"},\"v\":{\"N\":\"5\"}},"
              "\"ReturnValues\":\"ALL_OLD\"}");
    assert_string_equal(str_at(b, "Attributes", "v", "N"), "2");
    ddb_result_free(&r);
    b = tu_ok(
        env, &r, "GetItem",
        "{\"TableName\":\"items\",\"Key\":{\"pk\":{\"S\":\"k1\"}},\"ProjectionExpression\":\"#v\","
        "\"ExpressionAttributeNames\":{\"#v\":\"v\"}}");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(b, "Item")), 1);
    ddb_result_free(&r);

    assert_int_equal(tu_call(env, &r, "DeleteItem",
                             "{\"TableName\":\"items\",\"Key\":{\"pk\":{\"S\":\"k1\"}},"
                             "\"ConditionExpression\":\"v = "
                             ":x\",\"ExpressionAttributeValues\":{\":x\":{\"N\":\"6\"}}}"),
                     DDB_ERR_CONDITIONAL);
    ddb_result_free(&r);
    b = tu_ok(
        env, &r, "DeleteItem",
        "{\"TableName\":\"items\",\"Key\":{\"pk\":{\"S\":\"k1\"}},\"ReturnValues\":\"ALL_OLD\"}");
    assert_string_equal(str_at(b, "Attributes", "v", "N"), "5");
    ddb_result_free(&r);
    b = tu_ok(env, &r, "GetItem", "{\"TableName\":\"items\",\"Key\":{\"pk\":{\"S\":\"k1\"}}}");
    assert_null(cJSON_GetObjectItem(b, "Item"));
    ddb_result_free(&r);

    /* Key schema errors. */
    assert_int_equal(
        tu_call(env, &r, "GetItem", "{\"TableName\":\"items\",\"Key\":{\"pk\":{\"N\":\"1\"}}}"),
        DDB_ERR_VALIDATION);
    assert_non_null(strstr(r.err_message, "does not match the schema"));
    ddb_result_free(&r);
    assert_int_equal(
        tu_call(env, &r, "PutItem", "{\"TableName\":\"items\",\"Item\":{\"x\":{\"S\":\"1\"}}}"),
        DDB_ERR_VALIDATION);
    ddb_result_free(&r);
    assert_int_equal(
        tu_call(env, &r, "PutItem", "{\"TableName\":\"items\",\"Item\":{\"pk\":{\"S\":\"\"}}}"),
        DDB_ERR_VALIDATION);
    ddb_result_free(&r);
}

static void test_item_size_limit(void **state)
{
    tu_env *env = *state;
    ddb_result r;
    assert_int_equal(tu_create_table(env, "big", "S", NULL), 0);
    /* "pk"+"a" (2) + "v" + value: 409600 bytes total is allowed, one more is not. */
    size_t ok_len = 409600 - 2 - 1 - 1;
    char *v = malloc(ok_len + 2);
    memset(v, 'x', ok_len + 1);
    v[ok_len] = 0;
    assert_non_null(
        tu_ok(env, &r, "PutItem",
              "{\"TableName\":\"big\",\"Item\":{\"pk\":{\"S\":\"a\"},\"v\":{\"S\":\"%s\"}}}", v));
    ddb_result_free(&r);
    v[ok_len] = 'x';
    v[ok_len + 1] = 0;
    assert_int_equal(
        tu_call(env, &r, "PutItem",
                "{\"TableName\":\"big\",\"Item\":{\"pk\":{\"S\":\"b\"},\"v\":{\"S\":\"%s\"}}}", v),
        DDB_ERR_ITEM_TOO_LARGE);
    assert_string_equal(r.err_type, "ValidationException");
    assert_non_null(strstr(r.err_message, "Item size has exceeded the maximum allowed size"));
    ddb_result_free(&r);
    free(v);
    assert_int_equal(tu_scan_count(env, "big"), 1);
}

static void test_query_and_pagination(void **state)
{
    tu_env *env = *state;
    ddb_result r;
    assert_int_equal(tu_create_table(env, "qry", "S", "N"), 0);
    for (int i = 0; i < 30; i++) {
        assert_non_null(
            tu_ok(env, &r, "PutItem",
                  "{\"TableName\":\"qry\",\"Item\":{\"pk\":{\"S\":\"h\"},\"sk\":{\"N\":\"%d\"},"
                  "\"odd\":{\"BOOL\":%s}}}",
                  i, i % 2 ? "true" : "false"));
        ddb_result_free(&r);
    }
    assert_non_null(
        tu_ok(env, &r, "PutItem",
              "{\"TableName\":\"qry\",\"Item\":{\"pk\":{\"S\":\"other\"},\"sk\":{\"N\":\"1\"}}}"));
    ddb_result_free(&r);
    const cJSON *b = tu_ok(
        env, &r, "Query",
        "{\"TableName\":\"qry\",\"KeyConditionExpression\":\"pk = :h AND sk BETWEEN :a AND :b\","
        "\"ExpressionAttributeValues\":{\":h\":{\"S\":\"h\"},\":a\":{\"N\":\"5\"},\":b\":{\"N\":"
        "\"14\"}}}");
    assert_int_equal((int)num(b, "Count"), 10);
    const cJSON *items = cJSON_GetObjectItem(b, "Items");
    assert_string_equal(str_at(cJSON_GetArrayItem(items, 0), "sk", "N", NULL), "5");
    assert_string_equal(str_at(cJSON_GetArrayItem(items, 9), "sk", "N", NULL), "14");
    ddb_result_free(&r);
    /* Descending, with a filter, paginated by Limit: every page continues the last. */
    int seen = 0, pages = 0, last = 100;
    char *start = NULL;
    do {
        if (start)
            b = tu_ok(
                env, &r, "Query",
                "{\"TableName\":\"qry\",\"KeyConditionExpression\":\"pk = "
                ":h\",\"ScanIndexForward\":false,"
                "\"FilterExpression\":\"odd = :t\",\"Limit\":7,\"ExclusiveStartKey\":%s,"
                "\"ExpressionAttributeValues\":{\":h\":{\"S\":\"h\"},\":t\":{\"BOOL\":true}}}",
                start);
        else
            b = tu_ok(
                env, &r, "Query",
                "{\"TableName\":\"qry\",\"KeyConditionExpression\":\"pk = "
                ":h\",\"ScanIndexForward\":false,"
                "\"FilterExpression\":\"odd = :t\",\"Limit\":7,"
                "\"ExpressionAttributeValues\":{\":h\":{\"S\":\"h\"},\":t\":{\"BOOL\":true}}}");
        assert_non_null(b);
        free(start);
        start = NULL;
        const cJSON *it;
        cJSON_ArrayForEach(it, cJSON_GetObjectItem(b, "Items"))
        {
            int sk = atoi(str_at(it, "sk", "N", NULL));
            assert_true(sk < last);
            assert_true(sk % 2 == 1);
            last = sk;
            seen++;
        }
        assert_true(num(b, "ScannedCount") <= 7);
        const cJSON *lek = cJSON_GetObjectItem(b, "LastEvaluatedKey");
        if (lek) start = cJSON_PrintUnformatted(lek);
        ddb_result_free(&r);
        pages++;
    } while (start);
    assert_int_equal(seen, 15);
    assert_true(pages >= 5);
    /* Wrong key names are rejected. */
    assert_int_equal(tu_call(env, &r, "Query",
                             "{\"TableName\":\"qry\",\"KeyConditionExpression\":\"sk = :h\","
                             "\"ExpressionAttributeValues\":{\":h\":{\"N\":\"1\"}}}"),
                     DDB_ERR_VALIDATION);
    ddb_result_free(&r);
    b = tu_ok(env, &r, "Query",
              "{\"TableName\":\"qry\",\"KeyConditionExpression\":\"pk = :h\",\"Select\":\"COUNT\","
              "\"ExpressionAttributeValues\":{\":h\":{\"S\":\"h\"}}}");
    assert_int_equal((int)num(b, "Count"), 30);
    assert_null(cJSON_GetObjectItem(b, "Items"));
    ddb_result_free(&r);
}

static void test_gsi_query(void **state)
{
    tu_env *env = *state;
    ddb_result r;
    assert_non_null(
        tu_ok(env, &r, "CreateTable",
              "{\"TableName\":\"gsi\",\"BillingMode\":\"PAY_PER_REQUEST\","
              "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
              "{\"AttributeName\":\"g\",\"AttributeType\":\"S\"}],"
              "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
              "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"byg\",\"KeySchema\":"
              "[{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"}],\"Projection\":{\"ProjectionType\":"
              "\"ALL\"}}]}"));
    ddb_result_free(&r);
    assert_int_equal(tu_wait_active(env, "gsi"), 0);
    for (int i = 0; i < 10; i++) {
        assert_non_null(
            tu_ok(env, &r, "PutItem",
                  "{\"TableName\":\"gsi\",\"Item\":{\"pk\":{\"S\":\"p%d\"},\"g\":{\"S\":\"%s\"}}}",
                  i, i < 4 ? "red" : "blue"));
        ddb_result_free(&r);
    }
    const cJSON *b =
        tu_ok(env, &r, "Query",
              "{\"TableName\":\"gsi\",\"IndexName\":\"byg\",\"KeyConditionExpression\":\"g = :c\","
              "\"ExpressionAttributeValues\":{\":c\":{\"S\":\"red\"}}}");
    assert_int_equal((int)num(b, "Count"), 4);
    ddb_result_free(&r);
    /* Query/Scan ConsistentRead: strongly consistent reads are not supported on GSIs. */
    assert_int_equal(
        tu_call(
            env, &r, "Query",
            "{\"TableName\":\"gsi\",\"IndexName\":\"byg\",\"KeyConditionExpression\":\"g = :c\","
            "\"ConsistentRead\":true,\"ExpressionAttributeValues\":{\":c\":{\"S\":\"red\"}}}"),
        DDB_ERR_VALIDATION);
    assert_non_null(strstr(r.err_message, "Consistent reads are not supported on global"));
    ddb_result_free(&r);
    assert_int_equal(
        tu_call(env, &r, "Scan",
                "{\"TableName\":\"gsi\",\"IndexName\":\"byg\",\"ConsistentRead\":true}"),
        DDB_ERR_VALIDATION);
    assert_non_null(strstr(r.err_message, "Consistent reads are not supported on global"));
    ddb_result_free(&r);
    /* ConsistentRead=false on the index and true on the table itself are fine. */
    b = tu_ok(env, &r, "Scan",
              "{\"TableName\":\"gsi\",\"IndexName\":\"byg\",\"ConsistentRead\":false}");
    assert_int_equal((int)num(b, "Count"), 10);
    ddb_result_free(&r);
    b = tu_ok(env, &r, "Scan", "{\"TableName\":\"gsi\",\"ConsistentRead\":true}");
    assert_int_equal((int)num(b, "Count"), 10);
    ddb_result_free(&r);
    b = tu_ok(env, &r, "DescribeTable", "{\"TableName\":\"gsi\"}");
    assert_string_equal(
        cJSON_GetObjectItem(
            cJSON_GetArrayItem(
                cJSON_GetObjectItem(cJSON_GetObjectItem(b, "Table"), "GlobalSecondaryIndexes"), 0),
            "IndexName")
            ->valuestring,
        "byg");
    ddb_result_free(&r);
}

/* Scan with small pages and several segments sees every item exactly once. */
static void test_scan_segments_cover_once(void **state)
{
    tu_env *env = *state;
    ddb_result r;
    enum { N = 300, SEGS = 4 };
    assert_int_equal(tu_create_table(env, "scan", "S", "N"), 0);
    for (int i = 0; i < N; i += 3) {
        char req[2048];
        int len = snprintf(req, sizeof req, "{\"RequestItems\":{\"scan\":[");
        for (int k = 0; k < 3; k++)
            len += snprintf(
                req + len, sizeof req - (size_t)len,
                "%s{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"k%d\"},\"sk\":{\"N\":\"%d\"}}}}",
                k ? "," : "", (i + k) / 2, i + k);
        snprintf(req + len, sizeof req - (size_t)len, "]}}");
        assert_non_null(tu_ok(env, &r, "BatchWriteItem", "%s", req));
        ddb_result_free(&r);
    }
    char *seen = calloc(N, 1);
    for (int s = 0; s < SEGS; s++) {
        char *start = NULL;
        do {
            const cJSON *b;
            if (start)
                b = tu_ok(
                    env, &r, "Scan",
                    "{\"TableName\":\"scan\",\"Segment\":%d,\"TotalSegments\":%d,\"Limit\":13,"
                    "\"ExclusiveStartKey\":%s}",
                    s, SEGS, start);
            else
                b = tu_ok(
                    env, &r, "Scan",
                    "{\"TableName\":\"scan\",\"Segment\":%d,\"TotalSegments\":%d,\"Limit\":13}", s,
                    SEGS);
            assert_non_null(b);
            free(start);
            start = NULL;
            const cJSON *it;
            cJSON_ArrayForEach(it, cJSON_GetObjectItem(b, "Items"))
            {
                int sk = atoi(str_at(it, "sk", "N", NULL));
                assert_true(sk >= 0 && sk < N);
                assert_int_equal(seen[sk], 0);
                seen[sk] = 1;
            }
            const cJSON *lek = cJSON_GetObjectItem(b, "LastEvaluatedKey");
            if (lek) start = cJSON_PrintUnformatted(lek);
            ddb_result_free(&r);
        } while (start);
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(seen[i], 1);
    free(seen);
    assert_int_equal(
        tu_call(env, &r, "Scan", "{\"TableName\":\"scan\",\"Segment\":4,\"TotalSegments\":4}"),
        DDB_ERR_VALIDATION);
    ddb_result_free(&r);
}

static void test_batches(void **state)
{
    tu_env *env = *state;
    ddb_result r;
    assert_int_equal(tu_create_table(env, "batch", "S", NULL), 0);
    char req[8192];
    int len = snprintf(req, sizeof req, "{\"RequestItems\":{\"batch\":[");
    for (int i = 0; i < 26; i++)
        len += snprintf(req + len, sizeof req - (size_t)len,
                        "%s{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"b%d\"}}}}", i ? "," : "", i);
    snprintf(req + len, sizeof req - (size_t)len, "]}}");
    /* 26 requests: the whole batch is rejected and nothing is written. */
    assert_int_equal(tu_call(env, &r, "BatchWriteItem", "%s", req), DDB_ERR_VALIDATION);
    ddb_result_free(&r);
    assert_int_equal(tu_scan_count(env, "batch"), 0);
    assert_int_equal(
        tu_call(env, &r, "BatchWriteItem",
                "{\"RequestItems\":{\"batch\":[{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"d\"}}}},"
                "{\"DeleteRequest\":{\"Key\":{\"pk\":{\"S\":\"d\"}}}}]}}"),
        DDB_ERR_VALIDATION);
    assert_non_null(strstr(r.err_message, "duplicates"));
    ddb_result_free(&r);
    const cJSON *b =
        tu_ok(env, &r, "BatchWriteItem",
              "{\"RequestItems\":{\"batch\":[{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"a\"},\"v\":"
              "{\"S\":\"%0500d\"}}}},"
              "{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"b\"},\"v\":{\"S\":\"%03500d\"}}}},"
              "{\"DeleteRequest\":{\"Key\":{\"pk\":{\"S\":\"missing\"}}}}]},"
              "\"ReturnConsumedCapacity\":\"TOTAL\"}",
              0, 0);
    assert_non_null(b);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(b, "UnprocessedItems")), 0);
    /* a: 1+1+500 = 502 B -> 1; b: 1+1+3500 -> 4 (3502 B); missing delete -> 1: total 6. */
    const cJSON *cc = cJSON_GetArrayItem(cJSON_GetObjectItem(b, "ConsumedCapacity"), 0);
    assert_true(num(cc, "CapacityUnits") == 6.0);
    ddb_result_free(&r);
    b = tu_ok(
        env, &r, "BatchGetItem",
        "{\"RequestItems\":{\"batch\":{\"Keys\":[{\"pk\":{\"S\":\"a\"}},{\"pk\":{\"S\":\"b\"}},"
        "{\"pk\":{\"S\":\"zz\"}}],\"ConsistentRead\":true}},\"ReturnConsumedCapacity\":\"TOTAL\"}");
    assert_int_equal(
        cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "Responses"), "batch")), 2);
    /* Each item rounded up to 4 KB separately: 1 + 1 + 1 (missing). */
    cc = cJSON_GetArrayItem(cJSON_GetObjectItem(b, "ConsumedCapacity"), 0);
    assert_true(num(cc, "CapacityUnits") == 3.0);
    ddb_result_free(&r);
}

/* Numbers come back in DynamoDB's form (leading/trailing zeros trimmed, exponents written
 * out) from every write path: Put, Update (SET and ADD arithmetic), batch and txn. */
static void test_numbers_normalized(void **state)
{
    tu_env *env = *state;
    ddb_result r;
    assert_int_equal(tu_create_table(env, "nums", "N", NULL), 0);
    assert_non_null(
        tu_ok(env, &r, "PutItem",
              "{\"TableName\":\"nums\",\"Item\":{\"pk\":{\"N\":\"007\"},\"a\":{\"N\":\"2.500\"},"
              "\"b\":{\"N\":\"-0.000100\"},\"c\":{\"N\":\"0.0\"},\"d\":{\"N\":\"-0\"},"
              "\"e\":{\"N\":\"1E+2\"},\"f\":{\"N\":\"-1.25e-3\"},\"g\":{\"N\":\"+12.0E1\"},"
              "\"s\":{\"NS\":[\"1.50\",\"3E0\"]},"
              "\"m\":{\"M\":{\"x\":{\"N\":\"10.10\"},\"l\":{\"L\":[{\"N\":\"0010\"},{\"S\":"
              "\"0010\"}]}}}}}"));
    ddb_result_free(&r);
    /* The key is found under any spelling of its value, and comes back trimmed. */
    const cJSON *b = tu_ok(env, &r, "GetItem",
                           "{\"TableName\":\"nums\",\"Key\":{\"pk\":{\"N\":\"7.0\"}},"
                           "\"ConsistentRead\":true}");
    const cJSON *it = cJSON_GetObjectItem(b, "Item");
    assert_string_equal(str_at(it, "pk", "N", NULL), "7");
    assert_string_equal(str_at(it, "a", "N", NULL), "2.5");
    assert_string_equal(str_at(it, "b", "N", NULL), "-0.0001");
    assert_string_equal(str_at(it, "c", "N", NULL), "0");
    assert_string_equal(str_at(it, "d", "N", NULL), "0");
    assert_string_equal(str_at(it, "e", "N", NULL), "100");
    assert_string_equal(str_at(it, "f", "N", NULL), "-0.00125");
    assert_string_equal(str_at(it, "g", "N", NULL), "120");
    const cJSON *ns = cJSON_GetObjectItem(cJSON_GetObjectItem(it, "s"), "NS");
    assert_string_equal(cJSON_GetArrayItem(ns, 0)->valuestring, "1.5");
    assert_string_equal(cJSON_GetArrayItem(ns, 1)->valuestring, "3");
    const cJSON *m = cJSON_GetObjectItem(cJSON_GetObjectItem(it, "m"), "M");
    assert_string_equal(str_at(m, "x", "N", NULL), "10.1");
    const cJSON *l = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "l"), "L");
    assert_string_equal(str_at(cJSON_GetArrayItem(l, 0), "N", NULL, NULL), "10");
    assert_string_equal(str_at(cJSON_GetArrayItem(l, 1), "S", NULL, NULL), "0010");
    ddb_result_free(&r);
    /* UpdateItem: SET of a value, ADD arithmetic, ADD to a number set; ALL_NEW shows it. */
    b = tu_ok(env, &r, "UpdateItem",
              "{\"TableName\":\"nums\",\"Key\":{\"pk\":{\"N\":\"7\"}},"
              "\"UpdateExpression\":\"SET h = :h, a = a + :half ADD s :more\","
              "\"ExpressionAttributeValues\":{\":h\":{\"N\":\"5.000E-1\"},\":half\":{\"N\":"
              "\"0.50\"},\":more\":{\"NS\":[\"4.0\"]}},\"ReturnValues\":\"ALL_NEW\"}");
    const cJSON *at = cJSON_GetObjectItem(b, "Attributes");
    assert_string_equal(str_at(at, "h", "N", NULL), "0.5");
    assert_string_equal(str_at(at, "a", "N", NULL), "3");
    ns = cJSON_GetObjectItem(cJSON_GetObjectItem(at, "s"), "NS");
    assert_int_equal(cJSON_GetArraySize(ns), 3);
    int found4 = 0;
    for (int i = 0; i < 3; i++)
        found4 |= strcmp(cJSON_GetArrayItem(ns, i)->valuestring, "4") == 0;
    assert_true(found4);
    ddb_result_free(&r);
    /* BatchWriteItem and TransactWriteItems store the same form. */
    assert_non_null(tu_ok(env, &r, "BatchWriteItem",
                          "{\"RequestItems\":{\"nums\":[{\"PutRequest\":{\"Item\":{\"pk\":{\"N\":"
                          "\"8.00\"},\"v\":{\"N\":\"0.1230\"}}}}]}}"));
    ddb_result_free(&r);
    assert_non_null(tu_ok(env, &r, "TransactWriteItems",
                          "{\"TransactItems\":[{\"Put\":{\"TableName\":\"nums\",\"Item\":{\"pk\":{"
                          "\"N\":\"9E0\"},\"v\":{\"N\":\"-05.50\"}}}}]}"));
    ddb_result_free(&r);
    b = tu_ok(
        env, &r, "BatchGetItem",
        "{\"RequestItems\":{\"nums\":{\"Keys\":[{\"pk\":{\"N\":\"8\"}},{\"pk\":{\"N\":\"9\"}}],"
        "\"ConsistentRead\":true}}}");
    const cJSON *items = cJSON_GetObjectItem(cJSON_GetObjectItem(b, "Responses"), "nums");
    assert_int_equal(cJSON_GetArraySize(items), 2);
    for (int i = 0; i < 2; i++) {
        const cJSON *x = cJSON_GetArrayItem(items, i);
        const char *pk = str_at(x, "pk", "N", NULL);
        assert_non_null(pk);
        assert_string_equal(str_at(x, "v", "N", NULL), strcmp(pk, "8") == 0 ? "0.123" : "-5.5");
        assert_true(strcmp(pk, "8") == 0 || strcmp(pk, "9") == 0);
    }
    ddb_result_free(&r);
}

/* BatchWriteItem under a throttle fault leaves some requests in UnprocessedItems (as sent)
 * instead of failing the call; resubmitting them completes the batch, and when nothing at
 * all can be processed the call is ProvisionedThroughputExceededException. */
static void test_batch_unprocessed_items(void **state)
{
    tu_env *env = *state;
    ddb_result r;
    char err[256];
    assert_int_equal(tu_create_table(env, "unp", "S", NULL), 0);
    assert_int_equal(
        emu_fault_add(env->srv, "throttle:fraction=1,ops=BatchWriteItem", err, sizeof err), 0);
    assert_int_equal(tu_call(env, &r, "BatchWriteItem",
                             "{\"RequestItems\":{\"unp\":[{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":"
                             "\"none\"}}}}]}}"),
                     DDB_ERR_THROTTLED);
    ddb_result_free(&r);
    assert_int_equal(emu_fault_remove(env->srv, "throttle"), 0);
    assert_int_equal(
        emu_fault_add(env->srv, "throttle:fraction=0.5,ops=BatchWriteItem", err, sizeof err), 0);
    char *req = malloc(8192);
    int len = snprintf(req, 8192, "{\"RequestItems\":{\"unp\":[");
    for (int i = 0; i < 25; i++)
        len +=
            snprintf(req + len, 8192 - (size_t)len,
                     "%s{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"u%02d\"}}}}", i ? "," : "", i);
    snprintf(req + len, 8192 - (size_t)len, "]}}");
    int rounds = 0, partial = 0;
    while (req) {
        ddb_err e = tu_call(env, &r, "BatchWriteItem", "%s", req);
        assert_true(rounds++ < 200);
        if (e == DDB_ERR_THROTTLED) { /* nothing processed this time: send it all again */
            ddb_result_free(&r);
            continue;
        }
        free(req);
        req = NULL;
        assert_int_equal(e, DDB_OK);
        const cJSON *un = cJSON_GetObjectItem(r.body, "UnprocessedItems");
        assert_true(cJSON_IsObject(un));
        const cJSON *left = cJSON_GetObjectItem(un, "unp");
        if (left) {
            partial++;
            assert_true(cJSON_GetArraySize(left) >= 1);
            assert_non_null(cJSON_GetObjectItem(cJSON_GetArrayItem(left, 0), "PutRequest"));
            cJSON *again = cJSON_CreateObject();
            cJSON_AddItemToObject(again, "RequestItems", cJSON_Duplicate(un, 1));
            req = cJSON_PrintUnformatted(again);
            cJSON_Delete(again);
        }
        ddb_result_free(&r);
    }
    assert_int_equal(emu_fault_remove(env->srv, "throttle"), 0);
    assert_true(partial >= 1);
    assert_int_equal(tu_scan_count(env, "unp"), 25);
}

static void test_capacity_numbers(void **state)
{
    tu_env *env = *state;
    ddb_result r;
    assert_int_equal(tu_create_table(env, "cap", "S", NULL), 0);
    /* 2 ("pk") + 1 ("a") + 1 ("v") + 2000 = 2004 B: 2 write units. */
    const cJSON *b =
        tu_ok(env, &r, "PutItem",
              "{\"TableName\":\"cap\",\"Item\":{\"pk\":{\"S\":\"a\"},\"v\":{\"S\":\"%02000d\"}},"
              "\"ReturnConsumedCapacity\":\"TOTAL\"}",
              0);
    assert_true(num(cJSON_GetObjectItem(b, "ConsumedCapacity"), "CapacityUnits") == 2.0);
    assert_string_equal(str_at(b, "ConsumedCapacity", "TableName", NULL), "cap");
    ddb_result_free(&r);
    /* Overwriting with a small item costs the larger of old and new: still 2. */
    b = tu_ok(env, &r, "PutItem",
              "{\"TableName\":\"cap\",\"Item\":{\"pk\":{\"S\":\"a\"}},\"ReturnConsumedCapacity\":"
              "\"TOTAL\"}");
    assert_true(num(cJSON_GetObjectItem(b, "ConsumedCapacity"), "CapacityUnits") == 2.0);
    ddb_result_free(&r);
    /* 2 + 1 + 1 + 5000 = 5004 B: 2 read units strongly consistent, 1 eventually. */
    assert_non_null(tu_ok(
        env, &r, "PutItem",
        "{\"TableName\":\"cap\",\"Item\":{\"pk\":{\"S\":\"b\"},\"v\":{\"S\":\"%05000d\"}}}", 0));
    ddb_result_free(&r);
    b = tu_ok(env, &r, "GetItem",
              "{\"TableName\":\"cap\",\"Key\":{\"pk\":{\"S\":\"b\"}},\"ConsistentRead\":true,"
              "\"ReturnConsumedCapacity\":\"TOTAL\"}");
    assert_true(num(cJSON_GetObjectItem(b, "ConsumedCapacity"), "CapacityUnits") == 2.0);
    ddb_result_free(&r);
    b = tu_ok(env, &r, "GetItem",
              "{\"TableName\":\"cap\",\"Key\":{\"pk\":{\"S\":\"b\"}},\"ReturnConsumedCapacity\":"
              "\"TOTAL\"}");
    assert_true(num(cJSON_GetObjectItem(b, "ConsumedCapacity"), "CapacityUnits") == 1.0);
    ddb_result_free(&r);
    /* Scan sums evaluated items (3 + 5004 B) then rounds: 2 units, 1 eventually consistent. */
    b = tu_ok(env, &r, "Scan", "{\"TableName\":\"cap\",\"ReturnConsumedCapacity\":\"TOTAL\"}");
    assert_true(num(cJSON_GetObjectItem(b, "ConsumedCapacity"), "CapacityUnits") == 1.0);
    ddb_result_free(&r);
    /* Transactions cost twice: 2 * 5 units for a 5004 B item. */
    b = tu_ok(env, &r, "TransactWriteItems",
              "{\"TransactItems\":[{\"Put\":{\"TableName\":\"cap\",\"Item\":{\"pk\":{\"S\":\"c\"},"
              "\"v\":{\"S\":\"%05000d\"}}}}],\"ReturnConsumedCapacity\":\"TOTAL\"}",
              0);
    assert_true(num(cJSON_GetArrayItem(cJSON_GetObjectItem(b, "ConsumedCapacity"), 0),
                    "CapacityUnits") == 10.0);
    ddb_result_free(&r);
}

static void test_transactions(void **state)
{
    tu_env *env = *state;
    ddb_result r;
    assert_int_equal(tu_create_table(env, "txn", "S", NULL), 0);
    assert_non_null(tu_ok(env, &r, "TransactWriteItems",
                          "{\"TransactItems\":[{\"Put\":{\"TableName\":\"txn\",\"Item\":{\"pk\":{"
                          "\"S\":\"a\"},\"bal\":{\"N\":\"100\"}}}},"
                          "{\"Put\":{\"TableName\":\"txn\",\"Item\":{\"pk\":{\"S\":\"b\"},\"bal\":{"
                          "\"N\":\"0\"}}}}]}"));
    ddb_result_free(&r);
    /* A transfer whose condition fails leaves both items untouched. */
    assert_int_equal(tu_call(env, &r, "TransactWriteItems",
                             "{\"TransactItems\":["
                             "{\"Update\":{\"TableName\":\"txn\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
                             "\"UpdateExpression\":\"SET bal = bal - :x\","
                             "\"ConditionExpression\":\"bal >= "
                             ":x\",\"ExpressionAttributeValues\":{\":x\":{\"N\":\"500\"}}}},"
                             "{\"Update\":{\"TableName\":\"txn\",\"Key\":{\"pk\":{\"S\":\"b\"}},"
                             "\"UpdateExpression\":\"SET bal = bal + :x\","
                             "\"ExpressionAttributeValues\":{\":x\":{\"N\":\"500\"}}}}]}"),
                     DDB_ERR_TXN_CANCELED);
    assert_string_equal(r.err_type, "TransactionCanceledException");
    const cJSON *reasons = cJSON_GetObjectItem(r.body, "CancellationReasons");
    assert_int_equal(cJSON_GetArraySize(reasons), 2);
    assert_string_equal(str_at(cJSON_GetArrayItem(reasons, 0), "Code", NULL, NULL),
                        "ConditionalCheckFailed");
    assert_string_equal(str_at(cJSON_GetArrayItem(reasons, 1), "Code", NULL, NULL), "None");
    assert_non_null(strstr(r.err_message, "[ConditionalCheckFailed, None]"));
    ddb_result_free(&r);
    const cJSON *b = tu_ok(
        env, &r, "TransactGetItems",
        "{\"TransactItems\":[{\"Get\":{\"TableName\":\"txn\",\"Key\":{\"pk\":{\"S\":\"a\"}}}},"
        "{\"Get\":{\"TableName\":\"txn\",\"Key\":{\"pk\":{\"S\":\"b\"}}}},"
        "{\"Get\":{\"TableName\":\"txn\",\"Key\":{\"pk\":{\"S\":\"none\"}}}}]}");
    const cJSON *resp = cJSON_GetObjectItem(b, "Responses");
    assert_int_equal(cJSON_GetArraySize(resp), 3);
    assert_string_equal(str_at(cJSON_GetArrayItem(resp, 0), "Item", "bal", "N"), "100");
    assert_string_equal(str_at(cJSON_GetArrayItem(resp, 1), "Item", "bal", "N"), "0");
    assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(resp, 2), "Item"));
    ddb_result_free(&r);
    /* Two actions on one item are refused. */
    assert_int_equal(
        tu_call(
            env, &r, "TransactWriteItems",
            "{\"TransactItems\":[{\"Put\":{\"TableName\":\"txn\",\"Item\":{\"pk\":{\"S\":\"a\"}}}},"
            "{\"Delete\":{\"TableName\":\"txn\",\"Key\":{\"pk\":{\"S\":\"a\"}}}}]}"),
        DDB_ERR_VALIDATION);
    ddb_result_free(&r);
    /* 101 actions are refused. */
    char *req = malloc(20000);
    int len = snprintf(req, 20000, "{\"TransactItems\":[");
    for (int i = 0; i < 101; i++)
        len += snprintf(req + len, 20000 - (size_t)len,
                        "%s{\"Put\":{\"TableName\":\"txn\",\"Item\":{\"pk\":{\"S\":\"t%d\"}}}}",
                        i ? "," : "", i);
    snprintf(req + len, 20000 - (size_t)len, "]}");
    assert_int_equal(tu_call(env, &r, "TransactWriteItems", "%s", req), DDB_ERR_VALIDATION);
    ddb_result_free(&r);
    free(req);
    /* A successful transfer and a ConditionCheck. */
    assert_non_null(
        tu_ok(env, &r, "TransactWriteItems",
              "{\"TransactItems\":["
              "{\"Update\":{\"TableName\":\"txn\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
              "\"UpdateExpression\":\"SET bal = bal - :x\","
              "\"ConditionExpression\":\"bal >= "
              ":x\",\"ExpressionAttributeValues\":{\":x\":{\"N\":\"30\"}}}},"
              "{\"Update\":{\"TableName\":\"txn\",\"Key\":{\"pk\":{\"S\":\"b\"}},"
              "\"UpdateExpression\":\"SET bal = bal + :x\","
              "\"ExpressionAttributeValues\":{\":x\":{\"N\":\"30\"}}}},"
              "{\"ConditionCheck\":{\"TableName\":\"txn\",\"Key\":{\"pk\":{\"S\":\"none\"}},"
              "\"ConditionExpression\":\"attribute_not_exists(pk)\"}}]}"));
    ddb_result_free(&r);
    b = tu_ok(env, &r, "GetItem", "{\"TableName\":\"txn\",\"Key\":{\"pk\":{\"S\":\"b\"}}}");
    assert_string_equal(str_at(b, "Item", "bal", "N"), "30");
    ddb_result_free(&r);
}

static void test_protocol_errors(void **state)
{
    tu_env *env = *state;
    ddb_result r;
    assert_int_equal(tu_call(env, &r, "NoSuchOperation", "{}"), DDB_ERR_UNKNOWN_OPERATION);
    ddb_result_free(&r);
    const cJSON *b = tu_ok(env, &r, "DescribeEndpoints", "{}");
    assert_non_null(cJSON_GetArrayItem(cJSON_GetObjectItem(b, "Endpoints"), 0));
    ddb_result_free(&r);
    /* Legacy parameters are refused loudly instead of being ignored. */
    assert_int_equal(tu_create_table(env, "legacy", "S", NULL), 0);
    assert_int_equal(tu_call(env, &r, "PutItem",
                             "{\"TableName\":\"legacy\",\"Item\":{\"pk\":{\"S\":\"a\"}},"
                             "\"Expected\":{\"pk\":{\"Exists\":false}}}"),
                     DDB_ERR_VALIDATION);
    ddb_result_free(&r);
    assert_int_equal(tu_scan_count(env, "legacy"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_lifecycle),
        cmocka_unit_test(test_tags_and_pitr_settings),
        cmocka_unit_test(test_put_get_update_delete),
        cmocka_unit_test(test_item_size_limit),
        cmocka_unit_test(test_query_and_pagination),
        cmocka_unit_test(test_gsi_query),
        cmocka_unit_test(test_scan_segments_cover_once),
        cmocka_unit_test(test_batches),
        cmocka_unit_test(test_numbers_normalized),
        cmocka_unit_test(test_batch_unprocessed_items),
        cmocka_unit_test(test_capacity_numbers),
        cmocka_unit_test(test_transactions),
        cmocka_unit_test(test_protocol_errors),
    };
    ddb_global_init();
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    ddb_global_cleanup();
    return rc;
}
