/* test_wl_insert.c - the insert workload's PutItem written as text (workloads/insert.c)
 * is byte for byte what the request tree it replaced prints, for plain and awkward table,
 * key and attribute names, with and without a payload, in a buffer too small for it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/insert.h"
#include "workloads/wl_internal.h"

/* The request as the workload built it before: a cJSON tree, printed unformatted. */
static char *tree_text(const wl_worker *w, const char *key, const char *wid)
{
    cJSON *req = cJSON_CreateObject();
    cJSON_AddItemToObjectCS(req, "TableName", cJSON_CreateStringReference(w->table));
    cJSON_AddItemToObjectCS(req, "Item", wl_item_new(w, key, wid, 1));
    cJSON_AddItemToObjectCS(req, "ConditionExpression",
                            cJSON_CreateStringReference("attribute_not_exists(#h)"));
    cJSON *names = cJSON_CreateObject();
    cJSON_AddItemToObjectCS(req, "ExpressionAttributeNames", names);
    cJSON_AddItemToObjectCS(names, "#h", cJSON_CreateStringReference(w->hash_key));
    char *s = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    return s;
}

static void check(const char *table, const char *hash_key, const char *key, int item_bytes,
                  size_t start_cap)
{
    wl_spec s;
    memset(&s, 0, sizeof s);
    snprintf(s.type, sizeof s.type, "insert");
    s.threads = 1;
    s.item_bytes = item_bytes;
    wl_worker w;
    wl_worker_init(&w, &s, 3, 0, 42);
    w.table = table;
    w.hash_key = hash_key;
    char wid[HIST_WID_MAX];
    hist_wid(3, 17, wid);
    char *want = tree_text(&w, key, wid);
    assert_non_null(want);
    char *own = malloc(start_cap ? start_cap : 1);
    char *buf = own;
    size_t cap = start_cap, len = 0;
    assert_int_equal(wl_insert_request_text(&w, key, wid, &buf, &cap, &len), 0);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(buf, want, len);
    assert_true(cap >= len);
    if (buf != own) free(buf);
    free(own);
    cJSON_free(want);
}

static void test_same_bytes_as_tree(void **state)
{
    (void)state;
    check("backcheck-1a2b3c-src", "pk", "ins/3/17", 100, 4096);
    check("backcheck-1a2b3c-src", "pk", "ins/3/17", 0, 4096); /* no pay attribute */
    check("t", "id", "lrg/3/17", 50000, 4096);                /* grows past the buffer */
    check("t", "id", "ins/3/17", 100, 0);
    /* Names that need escaping, UTF-8 passed through. */
    check("we\"ird\\table", "h\tk\x01", "k\"ey/\n/caf\xc3\xa9", 10, 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bytes_as_tree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
