/*
 * checker.h - the check stage: reads a run directory (scenario.json, history.jsonl,
 * backups.jsonl, snapshots/), runs every registered checker on every restored backup
 * and on the source table, and writes results.json (format: DESIGN.md "results.json",
 * docs/formats.md). Checkers never touch the network.
 */
#ifndef BC_CHECKER_H
#define BC_CHECKER_H
#include <stddef.h>

typedef enum chk_verdict {
    CHK_PASS = 0,
    CHK_FAIL = 1,
    CHK_ERROR = 2, /* could not check (bad/missing files) */
    CHK_INCONCLUSIVE = 3
} chk_verdict; /* values are the process exit codes */

typedef struct chk_options {
    const char *profile; /* override the scenario's guarantee ("strict", ...), or NULL */
    const char *output;  /* results path; NULL = RUN_DIR/results.json */
    const char *pricing; /* pricing file override, or NULL for the built-in one */
    int quiet;
} chk_options;

typedef struct chk_summary {
    chk_verdict verdict;
    int backups, backups_exercised;
    long violations, observations;
} chk_summary;

/* "pass", "fail", "error" or "inconclusive". */
const char *chk_verdict_name(chk_verdict v);
/* The one-line summary the commands print: "pass (3 backups, 3 exercised, 0 violations,
 * 1 observation)", into out (always terminated). */
void chk_summary_text(const chk_summary *s, char *out, size_t n);

/* Checks run_dir, writes results.json. Returns the verdict (CHK_ERROR with a message
 * naming the file/field on bad input). */
chk_verdict chk_run_dir(const char *run_dir, const chk_options *opts, chk_summary *out, char *err,
                        size_t errlen);
#endif
