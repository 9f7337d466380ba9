/*
 * fuzz_ddb_decode.c - libFuzzer entry for everything the client does with bytes a
 * server sent: parse them as a DynamoDB JSON response, validate and size every item
 * it holds (Item, Items, Attributes, Responses, keys), compare them, map its error
 * type, and parse it as an Authorization header as the emulator would.
 *
 * Build: cmake -DBACKCHECK_FUZZ=ON -DCMAKE_C_COMPILER=clang (add
 * -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link to instrument the library too), then
 * ./fuzz_ddb_decode -max_total_time=30
 */
#include "ddb/attr.h"
#include "ddb/ddb.h"
#include "ddb/sigv4.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_item(const cJSON *item, const cJSON **prev)
{
    char err[256];
    int rc = ddb_item_validate(item, err, sizeof(err));
    size_t sz = ddb_item_size(item);
    /* An item that validates is within the documented limit. */
    if (rc == 0 && sz > DDB_MAX_ITEM_BYTES) abort();
    const cJSON *av;
    cJSON_ArrayForEach(av, item)
    {
        ddb_attr_validate(av, av->string ? av->string : "", err, sizeof(err));
        ddb_attr_size(av);
        ddb_attr_payload(av);
        /* Equality is reflexive for valid values; comparison is antisymmetric. */
        if (ddb_attr_validate(av, "x", err, sizeof(err)) == 0 && !ddb_attr_equal(av, av)) abort();
        if (*prev) {
            int ab = ddb_attr_compare(av, *prev), ba = ddb_attr_compare(*prev, av);
            if ((ab < 0 && ba <= 0) || (ab > 0 && ba >= 0) || (ab == 0 && ba != 0)) abort();
            ddb_attr_equal(av, *prev);
        }
        *prev = av;
        const cJSON *p = ddb_attr_payload(av);
        if (cJSON_IsString(p)) {
            int sign, nd, exp;
            char digits[40];
            ddb_number_parse(p->valuestring, &sign, digits, &nd, &exp);
            size_t len;
            free(ddb_base64_decode(p->valuestring, &len));
        }
    }
    int64_t i64;
    double d;
    const char *s;
    if (item->child && item->child->string) {
        ddb_item_get_i64(item, item->child->string, &i64);
        ddb_item_get_n_double(item, item->child->string, &d);
        ddb_item_get_s(item, item->child->string, &s);
    }
}

static void check_items(const cJSON *arr, const cJSON **prev)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (cJSON_IsObject(it)) check_item(it, prev);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *body = cJSON_ParseWithLength((const char *)data, size);
    const cJSON *prev = NULL;
    if (body) {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "__type"));
        ddb_err e = ddb_err_from_type(type, 400);
        ddb_strerror(e);
        ddb_err_retryable(e);
        ddb_err_from_type(type, 500);
        if (cJSON_IsObject(body)) check_item(body, &prev);
        static const char *const single[] = {"Item", "Attributes", "LastEvaluatedKey"};
        for (size_t i = 0; i < sizeof(single) / sizeof(single[0]); i++) {
            const cJSON *it = cJSON_GetObjectItemCaseSensitive(body, single[i]);
            if (cJSON_IsObject(it)) check_item(it, &prev);
        }
        check_items(cJSON_GetObjectItemCaseSensitive(body, "Items"), &prev);
        const cJSON *tables = cJSON_GetObjectItemCaseSensitive(body, "Responses");
        const cJSON *t;
        cJSON_ArrayForEach(t, tables)
        {
            check_items(t, &prev); /* BatchGetItem: table -> [items] */
            check_item(t, &prev);  /* TransactGetItems: [{"Item": ...}] shapes */
        }
        cJSON_Delete(body);
    }
    /* The same bytes as an Authorization header and as base64 text. */
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    ddb_sigv4_auth a;
    ddb_sigv4_parse_authorization(text, &a);
    size_t len;
    free(ddb_base64_decode(text, &len));
    ddb_crc32(data, size);
    free(text);
    return 0;
}
