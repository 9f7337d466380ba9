/*
 * scenario.h - the scenario loader: a scenario file (JSON) resolved into a struct with
 * every default filled in (DESIGN.md "Scenario (JSON)").
 *
 * Fields are declared once, in tables (scenario.c): name, type, default, allowed values
 * and help text. The same tables drive parsing, defaults, error messages, the resolved
 * scenario.json a run writes and the field reference (`backcheck scenarios --fields`),
 * the way fio's options table drives its parser and its --help.
 *
 * Errors name the field path: `workloads[0].rate: expected a positive number`,
 * `quick.json: unknown field "foo"`.
 */
#ifndef BC_SCENARIO_H
#define BC_SCENARIO_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "workloads/workload.h"

#define SC_MAX_WORKLOADS 16
#define SC_MAX_BACKUPS 64 /* after expanding every_s/count and bursts */
#define SC_MAX_RESTORES 64
#define SC_MAX_FAULTS 32
#define SC_MAX_GSI 20 /* "Global secondary indexes per table: 20" (default quota) */
#define SC_NAME_MAX 128
#define SC_ID_MAX 16

/* ---- the field tables (exposed for docs and tests) ---- */

typedef enum sc_type {
    SC_T_STRING = 0, /* char[size] */
    SC_T_NULLSTR,    /* char[size]; JSON null or a string ("" stands for null) */
    SC_T_ENUM,       /* char[size]; one of `allowed` ("a|b|c") */
    SC_T_DIST,       /* wl_dist; one of `allowed` in enum order */
    SC_T_INT,        /* int */
    SC_T_LONG,       /* long */
    SC_T_INT64,      /* int64_t */
    SC_T_SEED,       /* uint64_t, integer in [0, 2^53) */
    SC_T_DOUBLE,     /* double */
    SC_T_BOOL,       /* int 0/1 */
    SC_T_OBJECT,     /* nested object: `sub` describes it, offset is where it lives */
    SC_T_SPECIAL     /* parsed by dedicated code (lists, variants); listed for docs */
} sc_type;

/* Numeric constraints. */
#define SC_F_POSITIVE 0x1 /* > 0 */
#define SC_F_NONNEG 0x2   /* >= 0 */
#define SC_F_RANGE 0x4    /* in [min, max] */
#define SC_F_OPTIONAL 0x8 /* no default: absent stays absent (not written back) */

typedef struct sc_section sc_section;

typedef struct sc_field {
    const char *name;
    sc_type type;
    size_t offset;
    size_t size;         /* string capacity */
    const char *def;     /* default as JSON text; NULL with SC_F_OPTIONAL or when required */
    const char *allowed; /* SC_T_ENUM/SC_T_DIST: "a|b|c" */
    int flags;
    double min, max; /* SC_F_RANGE */
    const char *help;
    const sc_section *sub; /* SC_T_OBJECT, and SC_T_SPECIAL lists of objects */
} sc_field;

struct sc_section {
    const char *path; /* "" (top), "target", "workloads[]", "workloads[].keys", ... */
    const sc_field *fields;
    int nfields;
    const char *help;
};

/* Every section, top first; NULL-terminated. */
extern const sc_section *const sc_sections[];
/* Writes the field reference (markdown: one table per section) to f. */
void sc_print_reference(FILE *f);

/* ---- fault kinds ---- */

typedef enum sc_fault_side {
    SC_FAULT_TARGET = 0, /* applied by the embedded emulator (emu_fault_validate) */
    SC_FAULT_CONTROL,    /* the harness acts on the target at at_s (deletes the source,
                            requests a storm of backups) */
    SC_FAULT_NETWORK,    /* the fault proxy between the workers and any target */
    SC_FAULT_RESTORE     /* the harness acts during the restores (no at_s: they follow
                            the workload) */
} sc_fault_side;

typedef struct sc_fault_kind {
    const char *name;
    sc_fault_side side;
    const char *params; /* "fraction|count|ms|jitter_ms|ops|after|bytes_per_s" accepted */
    const char *help;
    const char *emu_name; /* the emulator's name for it when it differs (NULL: name) */
} sc_fault_kind;

extern const sc_fault_kind sc_fault_kinds[]; /* terminated by {NULL} */
const sc_fault_kind *sc_fault_kind_find(const char *name);

/* ---- the resolved scenario ---- */

typedef struct sc_target {
    char kind[16];         /* embedded | endpoint | moto | aws */
    char backup_model[16]; /* exact | aws-window (embedded) */
    int window_ms;
    char endpoint[512];
    char region[64];           /* "" = from the environment */
    double backup_deadline_s;  /* 0 = the target's default */
    double restore_deadline_s; /* 0 = the target's default */
    long request_timeout_ms;   /* every request's deadline; 0 = the client's default */
} sc_target;

typedef struct sc_gsi {
    char name[SC_NAME_MAX];
    char hash_key[64];
    char range_key[64]; /* "" = none */
} sc_gsi;

typedef struct sc_table {
    char hash_key[64];
    char range_key[64]; /* "" = none */
    char billing[32];   /* PAY_PER_REQUEST | PROVISIONED */
    long read_capacity, write_capacity;
    int ngsi;
    sc_gsi gsi[SC_MAX_GSI];
    int pitr;
} sc_table;

typedef enum sc_backup_trigger {
    SC_AT_TIME = 0,
    SC_AFTER_OPS,
    SC_BY_FAULT /* requested by a backup-storm fault (the nemesis), at the fault's at_s */
} sc_backup_trigger;

/* One backup to take (lists are expanded: {"every_s":2,"count":3} gives three). */
typedef struct sc_backup {
    char id[SC_ID_MAX]; /* "b1", "b2", ... */
    sc_backup_trigger trigger;
    double at_s;    /* SC_AT_TIME: offset from the workload start */
    long after_ops; /* SC_AFTER_OPS: once this many ops completed */
    int burst;      /* >0: member of burst group N (requested concurrently) */
    int entry;      /* index in the scenario's "backups" list (-1: a storm backup) */
    int fault;      /* SC_BY_FAULT: index of the backup-storm fault in "faults" */
} sc_backup;

typedef enum sc_restore_kind { SC_RESTORE_BACKUP = 0, SC_RESTORE_PITR } sc_restore_kind;

typedef struct sc_restore {
    char id[SC_ID_MAX]; /* the backup's id, or "p1", "p2", ... */
    sc_restore_kind kind;
    char backup[SC_ID_MAX]; /* SC_RESTORE_BACKUP */
    double pitr_at_s;       /* SC_RESTORE_PITR: offset from the workload start */
} sc_restore;

typedef struct sc_fault {
    char kind[32];
    sc_fault_side side;
    double at_s;  /* < 0: from the start */
    double for_s; /* <= 0: until the end */
    /* params (present when the matching bit of `present` is set) */
    double fraction;
    long count, ms, jitter_ms, bytes_per_s;
    char ops[128];
    int after;
    unsigned present; /* bit per fault field index (internal) */
    char spec[256];   /* emulator spec "kind:key=value,..." (the emulator's kind name) */
} sc_fault;

typedef struct sc_guarantee {
    char profile[32]; /* aws-documented | strict | explicit */
    double before_s, after_s;
    int atomic_txn;
} sc_guarantee;

typedef struct scenario {
    char name[SC_NAME_MAX];
    char description[1024];
    char expect[16]; /* documented expected verdict, "" when not stated */
    uint64_t seed;
    int seed_set; /* 0: the run picks one (and writes it to scenario.json) */
    double duration_s;
    sc_target target;
    sc_table table;
    int nworkloads;
    wl_spec workloads[SC_MAX_WORKLOADS];
    int nbackup_entries; /* entries in the "backups" list (before expansion) */
    int nbackups;
    sc_backup backups[SC_MAX_BACKUPS];
    int nrestores;
    sc_restore restores[SC_MAX_RESTORES];
    int nfaults;
    sc_fault faults[SC_MAX_FAULTS];
    sc_guarantee guarantee;
    double max_usd;
    cJSON *source; /* the scenario as given (owned), for the resolved output */
} scenario;

/* Checks the loader cannot do alone (kept out so the loader needs no other library):
 * the workload registry and the emulator's fault grammar. NULL members skip the check. */
typedef struct sc_hooks {
    int (*workload_known)(const char *type);
    int (*workload_prepare)(wl_spec *spec, char *err, size_t errlen);
    int (*fault_validate)(const char *spec, char *err, size_t errlen);
} sc_hooks;

/* Loads and resolves. `label` names the file in messages (its basename). 0 or -1 with
 * a message naming the field. */
int sc_load_string(const char *json, const char *label, const sc_hooks *hooks, scenario **out,
                   char *err, size_t errlen);
int sc_load_file(const char *path, const sc_hooks *hooks, scenario **out, char *err, size_t errlen);
void sc_free(scenario *sc);

/* The resolved scenario as JSON (every default filled in, the seed). Caller frees. */
cJSON *sc_to_json(const scenario *sc);
int sc_write_resolved(const scenario *sc, const char *path, char *err, size_t errlen);

/* Facts the runner needs. */
int sc_has_pitr_restore(const scenario *sc);
/* Workers of every workload (threads * inflight each). */
int sc_total_workers(const scenario *sc);
#endif
