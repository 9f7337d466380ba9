/*
 * jsonl.h - reading and writing JSON Lines files (history.jsonl, backups.jsonl,
 * snapshots/<id>.jsonl).
 *
 * A run killed mid-write leaves at most one partial last line; the reader skips it
 * with a warning (reported through jsonl_stats) instead of failing, so that a crashed
 * run can still be checked. A malformed line anywhere else is an error naming the
 * file and line number.
 */
#ifndef BC_JSONL_H
#define BC_JSONL_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdio.h>

typedef struct jsonl_stats {
    long lines;       /* lines parsed and handed to the callback */
    int partial_last; /* 1 if the last line was incomplete and skipped */
} jsonl_stats;

/* Called for each parsed line; `line` is borrowed (freed after the call). Return
 * nonzero to stop reading (jsonl_read then returns that value). */
typedef int (*jsonl_fn)(const cJSON *line, long lineno, void *arg);

/* Reads `path`. Returns 0 on success, -1 on error with a message in err
 * ("history.jsonl:17: not valid JSON"), or the callback's nonzero value. A missing file is
 * an error unless `missing_ok`. */
int jsonl_read(const char *path, int missing_ok, jsonl_fn fn, void *arg, jsonl_stats *stats,
               char *err, size_t errlen);

/* Reads an instant in ns from a JSON value exactly: a decimal string ("1795614712916723675")
 * or a number (a double holds epoch nanoseconds only to about 256 ns, so producers of
 * instants that must compare exactly write strings or raw integers). 0 ok, -1 otherwise. */
int bc_json_ns(const cJSON *v, long long *out);

/* Appends one JSON value as a line (compact) to f. Returns 0 or -1. */
int jsonl_write(FILE *f, const cJSON *value);
#endif
