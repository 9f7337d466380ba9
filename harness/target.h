/*
 * target.h - where a run sends its requests, and how that place is started and stopped:
 *   embedded  the emulator in-process on 127.0.0.1 (port 0), credentials fixed and
 *             known to both sides, the scenario's backup model and whole-run faults
 *   endpoint  any URL (credentials from the environment chain; dummy ones only for a
 *             loopback endpoint that needs none)
 *   moto      `moto_server` started on a free loopback port, stopped at the end
 *   aws       real AWS (the caller has already applied the --allow-aws and budget guards)
 *
 * When the scenario has network faults, a fault proxy (proxy.h) relays the WORKERS'
 * connections to the target: their clients connect to the proxy's loopback port
 * (CURLOPT_CONNECT_TO keeps the target's host name for TLS and signing), while the
 * control plane (backups, restores, scans) goes direct.
 */
#ifndef BC_TARGET_H
#define BC_TARGET_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ddb/ddb.h"
#include "emulator/emu.h"
#include "harness/proxy.h"
#include "harness/scenario.h"

/* Default waits per target kind ("Real AWS differs in time and size", DESIGN.md). */
#define TGT_EMBEDDED_DEADLINE_S 30.0
#define TGT_ENDPOINT_DEADLINE_S 120.0
#define TGT_AWS_DEADLINE_S (4 * 3600.0) /* PITR restores take 20 min to hours */
/* How long moto_server gets to answer after it is started. */
#define TGT_MOTO_START_S 30.0
/* How long `moto_server -h` gets to show that the program runs (a Python import of moto
 * takes a second or two on a busy machine), and how much of its output is kept. */
#define TGT_MOTO_PROBE_S 20.0
#define TGT_MOTO_PROBE_OUT 8192
/* Starts of moto_server tried on fresh ports when one exits at once: the free port is
 * found by binding port 0 and closing, so another process can take it before moto binds. */
#define TGT_MOTO_START_TRIES 3

/* Credentials the embedded emulator and the harness share (not secrets: loopback only). */
#define TGT_EMBEDDED_KEY_ID "backcheck"
#define TGT_EMBEDDED_SECRET "backcheck-secret"

typedef struct bc_target {
    char kind[16];
    ddb_config cfg;
    emu_server *emu;
    pid_t moto_pid;
    char endpoint[512];
    int loopback;
    double backup_deadline_s, restore_deadline_s;
    double poll_cap_s;  /* longest sleep between status polls */
    bc_proxy *proxy;    /* the network fault proxy, or NULL (no network fault) */
    int proxy_port;     /* where the workers connect */
    int partition_port; /* where partitioned workers connect (0: no partition fault) */
} bc_target;

/* Starts (or resolves) the target. `faults_at_start` are emulator specs active for the
 * whole run (embedded only). log_dir receives moto.log. 0 or -1 with a message. */
int tgt_start(bc_target *t, const scenario *sc, const char *kind, const char *endpoint,
              const char *log_dir, char *err, size_t errlen);
void tgt_stop(bc_target *t);
/* Starts the fault proxy in front of the target's endpoint (host and port from the URL;
 * 80/443 by default); `partition` also opens the partition group's port. Faults start
 * switched off. 0 or -1 with a message. */
int tgt_proxy_start(bc_target *t, uint64_t seed, int partition, char *err, size_t errlen);
/* The group partition faults black-hole (partitioned workers connect on its port). */
#define TGT_PARTITION_GROUP 0
/* A worker's client configuration: the target's, through the proxy when there is one. */
void tgt_worker_config(const bc_target *t, int partitioned, ddb_config *out);
#endif
