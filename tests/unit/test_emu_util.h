/*
 * test_emu_util.h - helpers shared by the emulator's unit tests: start a real emulator on
 * 127.0.0.1 (port 0) and talk to it through the ddb client, with requests written as
 * JSON text.
 */
#ifndef BC_TEST_EMU_UTIL_H
#define BC_TEST_EMU_UTIL_H
#include "ddb/ddb.h"
#include "emulator/emu.h"

#include <cjson/cJSON.h>

typedef struct tu_env {
    emu_server *srv;
    ddb_client *c;
    ddb_config dcfg;
} tu_env;

/* Starts a server with cfg (NULL: defaults with short delays) and a client for it. */
int tu_start(tu_env *env, const emu_config *cfg);
void tu_stop(tu_env *env);
/* Short delays so that life cycles finish quickly in tests. */
void tu_fast_config(emu_config *cfg);

/* Calls op with the JSON request text (printf-style); fills *res (caller frees). */
ddb_err tu_call(tu_env *env, ddb_result *res, const char *op, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Same, and returns the response body (owned by res) or NULL on error. */
const cJSON *tu_ok(tu_env *env, ddb_result *res, const char *op, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* CreateTable (hash key pk of type htype, optional range key sk of type rtype) and wait. */
int tu_create_table(tu_env *env, const char *name, const char *htype, const char *rtype);
int tu_wait_active(tu_env *env, const char *table);
int tu_wait_backup(tu_env *env, const char *arn, const char *want_status);
/* Counts items by scanning (consistent), following LastEvaluatedKey. */
long tu_scan_count(tu_env *env, const char *table);
/* Raw HTTP POST without signing (for auth tests); returns HTTP status, fills body. */
long tu_raw_post(const char *endpoint, const char *target, const char *body,
                 const char *const *headers, int nheaders, char *out, size_t outlen);
#endif
