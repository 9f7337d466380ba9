/*
 * serve.c - `backcheck serve`: runs the emulator standalone until SIGINT/SIGTERM, for the
 * AWS CLI, SDKs, load tools and the compatibility tests.
 */
#include "emulator/emu_internal.h"
#include "util/log.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char emu_serve_usage[] =
    "usage: backcheck serve [options]\n"
    "  Runs the embedded DynamoDB-compatible emulator until SIGINT/SIGTERM.\n"
    "  --host ADDR              IPv4 address to bind (default 127.0.0.1)\n"
    "  --port N                 port (default 8000; 0 picks a free one)\n"
    "  --backup-model M         exact | aws-window:MS (default exact)\n"
    "  --fault SPEC             inject a fault (repeatable), e.g. drop:fraction=0.01\n"
    "  --credentials KEY:SECRET credentials accepted (default backcheck:backcheck-secret)\n"
    "  --no-auth                accept unsigned requests (load tools)\n"
    "  --seed N                 seed of the fault randomness (default 1)\n"
    "  --verbose                a line for every request: client, operation, status,\n"
    "                           error type, time taken\n"
    "  --quiet                  print nothing but errors\n"
    "  --help                   this text\n";

static int emu_serve_bad(const char *msg, const char *arg)
{
    fprintf(stderr, "backcheck serve: %s%s%s (see --help)\n", msg, arg ? ": " : "", arg ? arg : "");
    return 2;
}

int emu_serve_main(int argc, char **argv)
{
    emu_config cfg;
    emu_config_defaults(&cfg);
    cfg.port = 8000;
    char err[512];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(emu_serve_usage, stdout);
            return 0;
        } else if (strcmp(a, "--no-auth") == 0) {
            cfg.no_auth = 1;
        } else if (strcmp(a, "--quiet") == 0) {
            cfg.quiet = 1;
        } else if (strcmp(a, "--verbose") == 0) {
            cfg.log_requests = 1;
        } else if (strcmp(a, "--host") == 0 || strcmp(a, "--port") == 0 ||
                   strcmp(a, "--backup-model") == 0 || strcmp(a, "--fault") == 0 ||
                   strcmp(a, "--credentials") == 0 || strcmp(a, "--seed") == 0) {
            if (!v) return emu_serve_bad("missing value for", a);
            i++;
            if (strcmp(a, "--host") == 0) {
                if (strlen(v) >= sizeof cfg.host) return emu_serve_bad("host too long", v);
                snprintf(cfg.host, sizeof cfg.host, "%s", v);
            } else if (strcmp(a, "--port") == 0) {
                char *end;
                errno = 0;
                long p = strtol(v, &end, 10);
                if (errno || *end || end == v || p < 0 || p > 65535)
                    return emu_serve_bad("port must be 0..65535", v);
                cfg.port = (int)p;
            } else if (strcmp(a, "--backup-model") == 0) {
                if (emu_parse_cut_model(v, &cfg, err, sizeof err) != 0)
                    return emu_serve_bad(err, NULL);
            } else if (strcmp(a, "--fault") == 0) {
                if (emu_fault_validate(v, err, sizeof err) != 0) return emu_serve_bad(err, NULL);
                if (cfg.nfaults >= EMU_MAX_FAULTS) return emu_serve_bad("too many --fault", NULL);
                snprintf(cfg.faults[cfg.nfaults++], sizeof cfg.faults[0], "%s", v);
            } else if (strcmp(a, "--credentials") == 0) {
                const char *colon = strchr(v, ':');
                if (!colon || colon == v || !colon[1] ||
                    (size_t)(colon - v) >= sizeof cfg.access_key_id ||
                    strlen(colon + 1) >= sizeof cfg.secret_access_key)
                    return emu_serve_bad("--credentials expects KEY:SECRET", NULL);
                snprintf(cfg.access_key_id, sizeof cfg.access_key_id, "%.*s", (int)(colon - v), v);
                snprintf(cfg.secret_access_key, sizeof cfg.secret_access_key, "%s", colon + 1);
            } else {
                char *end;
                errno = 0;
                unsigned long long s = strtoull(v, &end, 10);
                if (errno || *end || end == v) return emu_serve_bad("seed must be a number", v);
                cfg.seed = s;
            }
        } else {
            return emu_serve_bad("unknown option", a);
        }
    }

    /* Block the signals in every thread; this one waits for them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    emu_server *s;
    if (emu_start(&cfg, &s, err, sizeof err) != 0) {
        fprintf(stderr, "backcheck serve: %s\n", err);
        return 2;
    }
    if (!cfg.quiet) {
        printf("backcheck emulator listening on %s (backup model %s", emu_endpoint(s),
               cfg.cut_model == EMU_CUT_AWS_WINDOW ? "aws-window" : "exact");
        if (cfg.cut_model == EMU_CUT_AWS_WINDOW) printf(":%d", cfg.window_ms);
        printf(", %s", cfg.no_auth ? "no authentication" : "SigV4 required");
        if (!cfg.no_auth) printf(", access key id %s", cfg.access_key_id);
        printf(", %d fault(s))\n", cfg.nfaults);
        fflush(stdout);
    }
    int sig = 0;
    sigwait(&set, &sig);
    if (!cfg.quiet) printf("backcheck emulator: signal %d, stopping\n", sig);
    emu_stop(s);
    return 0;
}
