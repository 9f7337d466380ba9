/*
 * fuzz_emu_request.c - libFuzzer target for the emulator's request handling: the first
 * byte picks an operation, the rest is the JSON body, answered by emu_process (routing,
 * validation, expressions, the store) against a server holding two small tables. Any
 * crash, leak or sanitizer report is a bug; error answers are expected.
 */
#include "emulator/emu_internal.h"
#include "util/clock.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const fuzz_targets[] = {
    "DynamoDB_20120810.PutItem",
    "DynamoDB_20120810.GetItem",
    "DynamoDB_20120810.UpdateItem",
    "DynamoDB_20120810.DeleteItem",
    "DynamoDB_20120810.Query",
    "DynamoDB_20120810.Scan",
    "DynamoDB_20120810.BatchWriteItem",
    "DynamoDB_20120810.BatchGetItem",
    "DynamoDB_20120810.TransactWriteItems",
    "DynamoDB_20120810.TransactGetItems",
    "DynamoDB_20120810.CreateTable",
    "DynamoDB_20120810.DescribeTable",
    "DynamoDB_20120810.ListTables",
    "DynamoDB_20120810.CreateBackup",
    "DynamoDB_20120810.ListBackups",
    "DynamoDB_20120810.UpdateContinuousBackups",
    "DynamoDB_20120810.RestoreTableToPointInTime",
    "BackcheckEmulator.DescribeBackupTruth",
};

static emu_server *fuzz_server(void)
{
    static emu_server *s;
    if (s) return s;
    emu_config cfg;
    emu_config_defaults(&cfg);
    cfg.quiet = 1;
    cfg.no_auth = 1;
    cfg.table_create_delay_ms = 0;
    cfg.threads = 1;
    char err[256];
    if (emu_start(&cfg, &s, err, sizeof err) != 0) abort();
    static const char *const tables[] = {
        "{\"TableName\":\"fz\",\"BillingMode\":\"PAY_PER_REQUEST\",\"AttributeDefinitions\":"
        "[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],\"KeySchema\":"
        "[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}]}",
        "{\"TableName\":\"fr\",\"BillingMode\":\"PAY_PER_REQUEST\",\"AttributeDefinitions\":"
        "[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},{\"AttributeName\":\"sk\","
        "\"AttributeType\":\"N\"}],\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
        "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}]}",
    };
    for (size_t i = 0; i < 2; i++) {
        int st;
        char *out;
        emu_process(s, "DynamoDB_20120810.CreateTable", tables[i], strlen(tables[i]), bc_now_ns(),
                    &st, &out);
        free(out);
    }
    bc_sleep_ns(2 * BC_NS_PER_MS);
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    emu_server *s = fuzz_server();
    if (size < 1) return 0;
    const char *target = fuzz_targets[data[0] % (sizeof fuzz_targets / sizeof fuzz_targets[0])];
    int st;
    char *out = NULL;
    emu_process(s, target, (const char *)data + 1, size - 1, bc_now_ns(), &st, &out);
    free(out);
    return 0;
}
