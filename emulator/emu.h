/*
 * emu.h - the embedded DynamoDB-compatible emulator, as a library.
 *
 * `backcheck serve` runs it standalone; the harness starts it in-process on a free
 * loopback port when a scenario's target is "embedded". It speaks DynamoDB JSON-1.0 over
 * HTTP/1.1 (libmicrohttpd), verifies SigV4, keeps an MVCC store whose commit timestamps
 * come from bc_now_ns() (the harness's clock), and makes backups and restores
 * asynchronously. It can misbehave on purpose (fault models) so that tests can prove the
 * checkers catch each kind of damage.
 *
 * Besides the AWS operations it answers one vendor operation, for tests and for the
 * harness's "truth" record on the embedded target:
 *   X-Amz-Target: BackcheckEmulator.DescribeBackupTruth   {"BackupArn": "..."}
 *   -> {"Model":"exact"|"aws-window","RequestNs":"<ns>", "CutNs":["<ns>"...] (per partition),
 *       "CutMinNs":"<ns>", "CutMaxNs":"<ns>",
 * "Damage":[{"Fault":"drop","Key":{...},"Detail":".."}]} Instants are decimal strings of
 * CLOCK_REALTIME ns (exact; read them with bc_json_ns). (and the same for a point-in-time restore
 * target table: {"TableName": "..."}).
 */
#ifndef BC_EMU_H
#define BC_EMU_H
#include <stddef.h>
#include <stdint.h>

typedef enum emu_cut_model { EMU_CUT_EXACT = 0, EMU_CUT_AWS_WINDOW } emu_cut_model;

#define EMU_MAX_FAULTS 32

typedef struct emu_config {
    char host[64];               /* default "127.0.0.1" */
    int port;                    /* 0 = pick a free port */
    char access_key_id[128];     /* credentials it accepts; default "backcheck" */
    char secret_access_key[128]; /* default "backcheck-secret" */
    int no_auth;                 /* accept unsigned requests (load tools); never default */
    emu_cut_model cut_model;
    int window_ms;             /* aws-window: each partition cut within +-window_ms */
    int partitions;            /* store partitions (default 16) */
    int table_create_delay_ms; /* CREATING -> ACTIVE (default 20) */
    int backup_delay_ms;       /* extra CREATING time for a backup (default 50) */
    int restore_delay_ms;      /* extra CREATING time for a restore (default 50) */
    int threads;               /* HTTP worker threads (default 2x cores) */
    uint64_t seed;             /* fault randomness */
    int nfaults;
    char faults[EMU_MAX_FAULTS][256]; /* fault specs, see emu_fault_parse */
    int quiet;
    int log_requests; /* one stderr line a request: client, operation, status, time */
} emu_config;

void emu_config_defaults(emu_config *cfg);
/* Parses "exact" or "aws-window:MS" into cfg. Returns 0 or -1 with a message. */
int emu_parse_cut_model(const char *spec, emu_config *cfg, char *err, size_t errlen);

/* Fault specs ("kind[:key=value,...]"):
 *   damage models (applied when a backup/PITR restore is materialized):
 *     drop:fraction=0.01          acknowledged items missing from backups
 *     phantom:count=3             items nobody wrote appear in backups
 *     tear-txn:fraction=1         transactions split across the cut (even under exact)
 *     cut-early:ms=120000         the cut is taken this long before the request
 *     cut-late:ms=120000          the cut is taken this long after the request
 *     resurrect:fraction=1        deleted items come back in backups
 *     pitr-ignore-time            PITR restores the latest state, not the requested time
 *   server faults:
 *     throttle:fraction=0.1[,ops=PutItem|...]   ThrottlingException / ProvisionedThroughputExceeded
 *     error:fraction=0.05[,ops=...]             500 InternalServerError (after applying
 *                                               the write when after=1, before otherwise)
 *     latency:ms=50[,jitter_ms=10][,ops=...]
 *     backup-stall:ms=5000        backups stay CREATING this long
 *     backup-fail                 backups go CREATING -> DELETED (never AVAILABLE)
 *     restore-stall:ms=5000
 *     restore-fail                restored tables are dropped instead of becoming ACTIVE
 * Returns 0 or -1 with a message naming the bad part. */
int emu_fault_validate(const char *spec, char *err, size_t errlen);

typedef struct emu_server emu_server;

/* Starts the server (listening before it returns). */
int emu_start(const emu_config *cfg, emu_server **out, char *err, size_t errlen);
int emu_port(const emu_server *s);
/* "http://127.0.0.1:PORT" */
const char *emu_endpoint(const emu_server *s);
/* Adds or removes (by kind) a fault while running; thread-safe. */
int emu_fault_add(emu_server *s, const char *spec, char *err, size_t errlen);
int emu_fault_remove(emu_server *s, const char *kind);
void emu_stop(emu_server *s); /* stops, frees everything */

/* `backcheck serve [options]`: parses its own arguments, runs until SIGINT/SIGTERM.
 * Returns the process exit code. */
int emu_serve_main(int argc, char **argv);
#endif
