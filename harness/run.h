/*
 * run.h - `backcheck run`: one scenario, end to end (workloads + backups + faults,
 * recorded in the history; restores and scans; then the check stage and the reports).
 *
 * The parts live in their own files and share the run context (run_internal.h):
 *   run.c       orchestration: run directory, source table, workers, phases, clean-up
 *   target.c    target start-up: embedded emulator, endpoint URL, moto_server, AWS
 *   backups.c   the backup scheduler and one thread per backup (create, wait, truth)
 *   restore.c   restores (from a backup or to a point in time) and their scans
 *   nemesis.c   faults switched on and off during the run
 *   progress.c  the progress line / log lines
 *   truth.c     the embedded emulator's vendor operation (DescribeBackupTruth)
 */
#ifndef BC_RUN_H
#define BC_RUN_H
#include <stdint.h>

typedef struct run_opts {
    const char *scenario_path;
    const char *out_dir;     /* default "runs" */
    const char *endpoint;    /* --endpoint, or NULL */
    const char *target_kind; /* --target, or NULL */
    const char *profile;     /* --profile for the check stage, or NULL */
    const char *pricing;     /* --pricing FILE (kept as RUN_DIR/pricing.json), or NULL */
    uint64_t seed;
    int seed_set;
    double duration_s; /* > 0 overrides the scenario */
    double max_usd;
    int max_usd_set;
    int keep, allow_aws, quiet, verbose;
    int dry_run; /* resolve and print the scenario (and the AWS estimate), send nothing */
} run_opts;

/* Runs the scenario; returns the process exit code (0 pass, 1 fail, 2 error,
 * 3 inconclusive). */
int run_main(const run_opts *opts);
#endif
