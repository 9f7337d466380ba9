/*
 * progress.c - what a person watching a run sees. On a terminal (and not under CI): one
 * line rewritten in place every PG_TTY_MS (phase, elapsed, ops/s, backups, errors, the
 * current wait's deadline). Otherwise, or under CI: a plain log line every PG_LOG_S.
 * --quiet shows nothing; every line also goes to the run's log.txt through bc_log.
 */
#include "harness/run_internal.h"

#include <stdlib.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/log.h"

#define PG_TTY_MS 250
#define PG_LOG_S 5

const char *run_phase_name(run_phase p)
{
    static const char *names[] = {"setup",  "workload", "backups", "restores",
                                  "source", "cleanup",  "check",   "done"};
    return (unsigned)p < sizeof names / sizeof names[0] ? names[p] : "?";
}

static void *progress_thread(void *arg)
{
    run_ctx *ctx = arg;
    int tty = isatty(2) && !getenv("CI");
    int64_t period = tty ? PG_TTY_MS * BC_NS_PER_MS : PG_LOG_S * BC_NS_PER_S;
    uint64_t last_ops = 0;
    int64_t last_t = bc_mono_ns();
    int64_t next = last_t + period;
    while (atomic_load(&ctx->phase) < PH_CHECK) {
        bc_sleep_ns(20 * BC_NS_PER_MS);
        int64_t now = bc_mono_ns();
        if (now < next) continue;
        next = now + period;
        uint64_t ops = run_ops_done(ctx);
        double rate = (double)(ops - last_ops) / ((double)(now - last_t) / 1e9);
        last_ops = ops;
        last_t = now;
        run_phase ph = (run_phase)atomic_load(&ctx->phase);
        double elapsed = (double)(now - ctx->run_start_mono) / 1e9;
        char wait[64] = "";
        if (ph == PH_BACKUP_WAIT)
            snprintf(wait, sizeof wait, "  deadline %gs", ctx->tg.backup_deadline_s);
        else if (ph == PH_RESTORE)
            snprintf(wait, sizeof wait, "  deadline %gs", ctx->tg.restore_deadline_s);
        char line[256];
        snprintf(line, sizeof line,
                 "[%-8s] %6.1fs  %8.0f ops/s  %llu ops  backups %d/%d  errors %llu%s",
                 run_phase_name(ph), elapsed, ph == PH_WORKLOAD ? rate : 0.0,
                 (unsigned long long)ops, atomic_load(&ctx->backups_settled), ctx->sc->nbackups,
                 (unsigned long long)run_errors(ctx), wait);
        if (ctx->opts->quiet) continue;
        if (tty && bc_log_get_level() < BC_LOG_DEBUG) {
            /* Through the log, which keeps its own lines off the status line. */
            bc_log_status(line);
        } else {
            bc_info("%s", line);
        }
    }
    if (tty && !ctx->opts->quiet) bc_log_status(NULL);
    return NULL;
}

int pg_start(run_ctx *ctx, pthread_t *th)
{
    return pthread_create(th, NULL, progress_thread, ctx) == 0 ? 0 : -1;
}
