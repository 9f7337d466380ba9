/*
 * scenario.c - the scenario loader (see scenario.h).
 *
 * One table per JSON object describes its fields. parse_section() walks a table: it
 * rejects unknown members, checks each member's type and constraint, fills defaults
 * for absent members (by parsing the default's JSON text through the same code, so a
 * default can never bypass validation), and records which members were present.
 * emit_section() walks the same table to write the resolved scenario, and
 * sc_print_reference() to document it. Lists and variants (workloads, backups,
 * restores, faults, guarantee, gsi) are parsed by dedicated code that still uses the
 * tables for their members.
 */
#include "harness/scenario.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ddb/attr.h"

/* Numbers above 2^53 do not survive a JSON round trip through doubles. */
#define SC_SEED_LIMIT 9007199254740992.0
/* Worker threads per workload, and operations in flight on each (each in-flight slot is a
 * worker with its own client; workers = threads * inflight, at most WL_MAX_WORKERS). */
#define SC_MAX_THREADS 256
#define SC_MAX_INFLIGHT 256
/* Items must fit DynamoDB's 400 KB item size limit with room for the key and ids. */
#define SC_MAX_ITEM_BYTES (DDB_MAX_ITEM_BYTES - 4096)
/* A burst requests this many backups at most at one instant ("Backups per table:
 * up to 50 concurrent CreateBackup", AWS-FACTS.md). */
#define SC_MAX_BURST 50

#define FLD(st, m) offsetof(st, m)
#define SZ(st, m) sizeof(((st *)0)->m)
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- local structs for list entries that are expanded after parsing ---- */

typedef struct backup_entry {
    double at_s, every_s;
    int count;
    long after_ops;
    int burst;
} backup_entry;

typedef struct restore_entry {
    char from[SC_ID_MAX];
    double pitr_at_s;
} restore_entry;

typedef struct budget_entry {
    double max_usd;
} budget_entry;

/* ---- the tables ---- */

static const sc_field keys_fields[] = {
    {"dist", SC_T_DIST, FLD(wl_keys, dist), 0, "\"uniform\"", "uniform|zipf|hotspot|sequential", 0,
     0, 0, "key distribution over each worker's own key range", NULL},
    {"count", SC_T_LONG, FLD(wl_keys, count), 0, "1000", NULL, SC_F_POSITIVE, 0, 0,
     "keys in the whole key space (split among the workers)", NULL},
    {"theta", SC_T_DOUBLE, FLD(wl_keys, theta), 0, "0.99", NULL, SC_F_RANGE, 0, 0.9999,
     "zipf skew (YCSB's default is 0.99)", NULL},
    {"hot_fraction", SC_T_DOUBLE, FLD(wl_keys, hot_fraction), 0, "0.2", NULL, SC_F_RANGE, 0, 1,
     "hotspot: fraction of the keys that are hot", NULL},
    {"hot_prob", SC_T_DOUBLE, FLD(wl_keys, hot_prob), 0, "0.8", NULL, SC_F_RANGE, 0, 1,
     "hotspot: probability that an operation picks a hot key", NULL},
};
static const sc_section keys_section = {"workloads[].keys", keys_fields, N(keys_fields),
                                        "how a workload picks keys"};

static const sc_field workload_fields[] = {
    {"type", SC_T_STRING, FLD(wl_spec, type), SZ(wl_spec, type), NULL, NULL, 0, 0, 0,
     "workload name (`backcheck scenarios --workloads` lists them)", NULL},
    {"threads", SC_T_INT, FLD(wl_spec, threads), 0, "2", NULL, SC_F_RANGE, 1, SC_MAX_THREADS,
     "worker threads", NULL},
    {"inflight", SC_T_INT, FLD(wl_spec, inflight), 0, "1", NULL, SC_F_RANGE, 1, SC_MAX_INFLIGHT,
     "operations in flight per thread, each its own worker (keys, sequence, connection); a "
     "thread with more than one carries them through an event loop, as wrk does",
     NULL},
    {"rate", SC_T_DOUBLE, FLD(wl_spec, rate), 0, NULL, NULL, SC_F_POSITIVE | SC_F_OPTIONAL, 0, 0,
     "total ops/s over all workers (open loop, latency from the intended start); absent = "
     "closed loop",
     NULL},
    {"keys", SC_T_OBJECT, FLD(wl_spec, keys), 0, "{}", NULL, 0, 0, 0, "key distribution",
     &keys_section},
    {"item_bytes", SC_T_INT, FLD(wl_spec, item_bytes), 0, "100", NULL, SC_F_RANGE, 0,
     SC_MAX_ITEM_BYTES, "payload length of each item", NULL},
    {"txn_min", SC_T_INT, FLD(wl_spec, txn_min), 0, "2", NULL, SC_F_RANGE, 1, WL_TXN_MAX_ITEMS,
     "txn: fewest items per transaction", NULL},
    {"txn_max", SC_T_INT, FLD(wl_spec, txn_max), 0, "10", NULL, SC_F_RANGE, 1, WL_TXN_MAX_ITEMS,
     "txn: most items per transaction", NULL},
    {"batch_items", SC_T_INT, FLD(wl_spec, batch_items), 0, "25", NULL, SC_F_RANGE, 1,
     WL_BATCH_MAX_ITEMS, "batch: items per BatchWriteItem", NULL},
    {"accounts", SC_T_INT, FLD(wl_spec, accounts), 0, "10", NULL, SC_F_RANGE, 2, 100000,
     "bank: accounts per worker", NULL},
    {"initial_balance", SC_T_INT64, FLD(wl_spec, initial_balance), 0, "100", NULL, SC_F_NONNEG, 0,
     0, "bank: starting balance of each account", NULL},
    {"delete_after_s", SC_T_DOUBLE, FLD(wl_spec, delete_after_s), 0, "0.5", NULL, SC_F_NONNEG, 0, 0,
     "delete: seconds between an insert and its delete", NULL},
};
static const sc_section workload_section = {"workloads[]", workload_fields, N(workload_fields),
                                            "one concurrent workload"};

static const sc_field target_fields[] = {
    {"kind", SC_T_ENUM, FLD(sc_target, kind), SZ(sc_target, kind), "\"embedded\"",
     "embedded|endpoint|moto|aws", 0, 0, 0,
     "embedded emulator, an endpoint URL, a moto_server the run starts, or real AWS", NULL},
    {"backup_model", SC_T_ENUM, FLD(sc_target, backup_model), SZ(sc_target, backup_model),
     "\"aws-window\"", "exact|aws-window", 0, 0, 0,
     "embedded: one instant cut, or each partition cut within +-window_ms", NULL},
    {"window_ms", SC_T_INT, FLD(sc_target, window_ms), 0, "200", NULL, SC_F_RANGE, 0, 600000,
     "embedded aws-window: cut spread around the request", NULL},
    {"endpoint", SC_T_STRING, FLD(sc_target, endpoint), SZ(sc_target, endpoint), "\"\"", NULL, 0, 0,
     0, "endpoint URL (kind endpoint); --endpoint overrides", NULL},
    {"region", SC_T_STRING, FLD(sc_target, region), SZ(sc_target, region), "\"\"", NULL, 0, 0, 0,
     "region; \"\" = AWS_REGION / the profile / us-east-1", NULL},
    {"backup_deadline_s", SC_T_DOUBLE, FLD(sc_target, backup_deadline_s), 0, "0", NULL, SC_F_NONNEG,
     0, 0, "how long a backup may stay CREATING; 0 = the target's default (30 s embedded, 4 h AWS)",
     NULL},
    {"restore_deadline_s", SC_T_DOUBLE, FLD(sc_target, restore_deadline_s), 0, "0", NULL,
     SC_F_NONNEG, 0, 0,
     "how long a restore may take; 0 = the target's default (30 s embedded, 4 h AWS)", NULL},
    {"request_timeout_ms", SC_T_LONG, FLD(sc_target, request_timeout_ms), 0, "0", NULL, SC_F_NONNEG,
     0, 0,
     "deadline of each request attempt (a black-holed request ends as indeterminate); 0 = "
     "10000",
     NULL},
};
static const sc_section target_section = {"target", target_fields, N(target_fields),
                                          "where the run sends its requests"};

static const sc_field gsi_fields[] = {
    {"name", SC_T_STRING, FLD(sc_gsi, name), SZ(sc_gsi, name), NULL, NULL, 0, 0, 0, "index name",
     NULL},
    {"hash_key", SC_T_STRING, FLD(sc_gsi, hash_key), SZ(sc_gsi, hash_key), NULL, NULL, 0, 0, 0,
     "index partition key attribute (type S)", NULL},
    {"range_key", SC_T_NULLSTR, FLD(sc_gsi, range_key), SZ(sc_gsi, range_key), "null", NULL, 0, 0,
     0, "index sort key attribute (type S) or null", NULL},
};
static const sc_section gsi_section = {"table.gsi[]", gsi_fields, N(gsi_fields),
                                       "a global secondary index (projection ALL)"};

static const sc_field table_fields[] = {
    {"hash_key", SC_T_STRING, FLD(sc_table, hash_key), SZ(sc_table, hash_key), "\"pk\"", NULL, 0, 0,
     0, "partition key attribute name (type S)", NULL},
    {"range_key", SC_T_NULLSTR, FLD(sc_table, range_key), SZ(sc_table, range_key), "null", NULL, 0,
     0, 0, "sort key; only null is supported (the workloads write hash-key items)", NULL},
    {"billing", SC_T_ENUM, FLD(sc_table, billing), SZ(sc_table, billing), "\"PAY_PER_REQUEST\"",
     "PAY_PER_REQUEST|PROVISIONED", 0, 0, 0, "billing mode", NULL},
    {"read_capacity", SC_T_LONG, FLD(sc_table, read_capacity), 0, "100", NULL, SC_F_POSITIVE, 0, 0,
     "PROVISIONED: read capacity units", NULL},
    {"write_capacity", SC_T_LONG, FLD(sc_table, write_capacity), 0, "100", NULL, SC_F_POSITIVE, 0,
     0, "PROVISIONED: write capacity units", NULL},
    {"gsi", SC_T_SPECIAL, 0, 0, "[]", NULL, 0, 0, 0, "global secondary indexes", &gsi_section},
    {"pitr", SC_T_BOOL, FLD(sc_table, pitr), 0, "false", NULL, 0, 0, 0,
     "enable point-in-time recovery (on anyway when a restore uses pitr_at_s)", NULL},
};
static const sc_section table_section = {"table", table_fields, N(table_fields),
                                         "the source table the run creates"};

static const sc_field backup_fields[] = {
    {"at_s", SC_T_DOUBLE, FLD(backup_entry, at_s), 0, NULL, NULL, SC_F_NONNEG | SC_F_OPTIONAL, 0, 0,
     "seconds after the workload starts (with every_s: the first one)", NULL},
    {"every_s", SC_T_DOUBLE, FLD(backup_entry, every_s), 0, NULL, NULL,
     SC_F_POSITIVE | SC_F_OPTIONAL, 0, 0, "period, with count", NULL},
    {"count", SC_T_INT, FLD(backup_entry, count), 0, NULL, NULL, SC_F_RANGE | SC_F_OPTIONAL, 1,
     SC_MAX_BACKUPS, "how many periodic backups", NULL},
    {"after_ops", SC_T_LONG, FLD(backup_entry, after_ops), 0, NULL, NULL,
     SC_F_POSITIVE | SC_F_OPTIONAL, 0, 0, "once this many operations completed", NULL},
    {"burst", SC_T_INT, FLD(backup_entry, burst), 0, NULL, NULL, SC_F_RANGE | SC_F_OPTIONAL, 1,
     SC_MAX_BURST, "this many backups requested at once at at_s", NULL},
};
static const sc_section backup_section = {
    "backups[]", backup_fields, N(backup_fields),
    "one of {\"at_s\":N}, {\"every_s\":N,\"count\":K}, {\"after_ops\":N}, "
    "{\"burst\":K,\"at_s\":N}"};

static const sc_field restore_fields[] = {
    {"from", SC_T_STRING, FLD(restore_entry, from), SZ(restore_entry, from), NULL, NULL,
     SC_F_OPTIONAL, 0, 0, "\"each-backup\" or one backup id (\"b2\")", NULL},
    {"pitr_at_s", SC_T_DOUBLE, FLD(restore_entry, pitr_at_s), 0, NULL, NULL,
     SC_F_NONNEG | SC_F_OPTIONAL, 0, 0, "point-in-time restore to this offset", NULL},
};
static const sc_section restore_section = {"restores[]", restore_fields, N(restore_fields),
                                           "one of {\"from\":\"each-backup\"}, "
                                           "{\"from\":\"bN\"}, {\"pitr_at_s\":N}"};

/* The bit of each fault field in sc_fault.present is its index here. */
enum {
    FB_KIND,
    FB_AT,
    FB_FOR,
    FB_FRACTION,
    FB_COUNT,
    FB_MS,
    FB_JITTER,
    FB_OPS,
    FB_AFTER,
    FB_BYTES
};
static const sc_field fault_fields[] = {
    {"kind", SC_T_STRING, FLD(sc_fault, kind), SZ(sc_fault, kind), NULL, NULL, 0, 0, 0,
     "fault kind (`backcheck scenarios --faults` lists them)", NULL},
    {"at_s", SC_T_DOUBLE, FLD(sc_fault, at_s), 0, NULL, NULL, SC_F_NONNEG | SC_F_OPTIONAL, 0, 0,
     "start, seconds after the workload starts; absent = from the start", NULL},
    {"for_s", SC_T_DOUBLE, FLD(sc_fault, for_s), 0, NULL, NULL, SC_F_POSITIVE | SC_F_OPTIONAL, 0, 0,
     "duration; absent = until the end", NULL},
    {"fraction", SC_T_DOUBLE, FLD(sc_fault, fraction), 0, NULL, NULL, SC_F_RANGE | SC_F_OPTIONAL, 0,
     1, "fraction of items, requests, connections (reset) or workers (partition) affected", NULL},
    {"count", SC_T_LONG, FLD(sc_fault, count), 0, NULL, NULL, SC_F_POSITIVE | SC_F_OPTIONAL, 0, 0,
     "phantom: items added; backup-storm: concurrent CreateBackup calls", NULL},
    {"ms", SC_T_LONG, FLD(sc_fault, ms), 0, NULL, NULL, SC_F_NONNEG | SC_F_OPTIONAL, 0, 0,
     "milliseconds (latencies, stalls, cut shifts)", NULL},
    {"jitter_ms", SC_T_LONG, FLD(sc_fault, jitter_ms), 0, NULL, NULL, SC_F_NONNEG | SC_F_OPTIONAL,
     0, 0, "latency: random extra milliseconds", NULL},
    {"ops", SC_T_STRING, FLD(sc_fault, ops), SZ(sc_fault, ops), NULL, NULL, SC_F_OPTIONAL, 0, 0,
     "operations affected (\"PutItem|UpdateItem\")", NULL},
    {"after", SC_T_BOOL, FLD(sc_fault, after), 0, NULL, NULL, SC_F_OPTIONAL, 0, 0,
     "error: fail after applying the write (indeterminate outcome)", NULL},
    {"bytes_per_s", SC_T_LONG, FLD(sc_fault, bytes_per_s), 0, NULL, NULL,
     SC_F_POSITIVE | SC_F_OPTIONAL, 0, 0,
     "bandwidth: bytes per second, per connection and direction", NULL},
};
static const sc_section fault_section = {"faults[]", fault_fields, N(fault_fields),
                                         "a fault injected during the run"};

static const sc_field guarantee_fields[] = {
    {"before_s", SC_T_DOUBLE, FLD(sc_guarantee, before_s), 0, "60", NULL, SC_F_NONNEG, 0, 0,
     "writes acknowledged this long before the request must be present", NULL},
    {"after_s", SC_T_DOUBLE, FLD(sc_guarantee, after_s), 0, "60", NULL, SC_F_NONNEG, 0, 0,
     "writes started this long after the acknowledgement must be absent", NULL},
    {"atomic_txn", SC_T_BOOL, FLD(sc_guarantee, atomic_txn), 0, "false", NULL, 0, 0, 0,
     "a torn transaction or a broken invariant is a violation", NULL},
};
static const sc_section guarantee_section = {
    "guarantee", guarantee_fields, N(guarantee_fields),
    "\"aws-documented\" (60 s each side, torn transactions observed), \"strict\" (one "
    "instant cut in [R, A], atomic transactions) or this object"};

static const sc_field budget_fields[] = {
    {"max_usd", SC_T_DOUBLE, FLD(budget_entry, max_usd), 0, "1.0", NULL, SC_F_NONNEG, 0, 0,
     "aws: refuse to run when the estimate is above this (--max-usd overrides)", NULL},
};
static const sc_section budget_section = {"budget", budget_fields, N(budget_fields),
                                          "spending limit on real AWS"};

static const sc_field top_fields[] = {
    {"name", SC_T_STRING, FLD(scenario, name), SZ(scenario, name), NULL, NULL, SC_F_OPTIONAL, 0, 0,
     "scenario name (default: the file name without .json)", NULL},
    {"description", SC_T_STRING, FLD(scenario, description), SZ(scenario, description), "\"\"",
     NULL, 0, 0, 0, "what it exercises and the verdict it should reach", NULL},
    {"expect", SC_T_ENUM, FLD(scenario, expect), SZ(scenario, expect), NULL,
     "pass|fail|inconclusive", SC_F_OPTIONAL, 0, 0,
     "documented expected verdict (tests compare the run's)", NULL},
    {"seed", SC_T_SEED, FLD(scenario, seed), 0, NULL, NULL, SC_F_OPTIONAL, 0, 0,
     "random seed; absent = chosen at run time and written to scenario.json", NULL},
    {"duration_s", SC_T_DOUBLE, FLD(scenario, duration_s), 0, "10", NULL, SC_F_POSITIVE, 0, 0,
     "how long the workloads run (--duration overrides)", NULL},
    {"target", SC_T_OBJECT, FLD(scenario, target), 0, "{}", NULL, 0, 0, 0, "target",
     &target_section},
    {"table", SC_T_OBJECT, FLD(scenario, table), 0, "{}", NULL, 0, 0, 0, "source table",
     &table_section},
    {"workloads", SC_T_SPECIAL, 0, 0, NULL, NULL, 0, 0, 0, "list of workloads (at least one)",
     &workload_section},
    {"backups", SC_T_SPECIAL, 0, 0, "[]", NULL, 0, 0, 0, "when to request backups",
     &backup_section},
    {"restores", SC_T_SPECIAL, 0, 0, "[{\"from\":\"each-backup\"}]", NULL, 0, 0, 0,
     "what to restore and scan", &restore_section},
    {"faults", SC_T_SPECIAL, 0, 0, "[]", NULL, 0, 0, 0, "faults to inject", &fault_section},
    {"guarantee", SC_T_SPECIAL, 0, 0, "\"aws-documented\"", NULL, 0, 0, 0,
     "the guarantee profile the check stage holds backups to", &guarantee_section},
    {"budget", SC_T_SPECIAL, 0, 0, "{}", NULL, 0, 0, 0, "spending limit", &budget_section},
};
static const sc_section top_section = {"", top_fields, N(top_fields), "a scenario file"};

const sc_section *const sc_sections[] = {&top_section,       &target_section,   &table_section,
                                         &gsi_section,       &workload_section, &keys_section,
                                         &backup_section,    &restore_section,  &fault_section,
                                         &guarantee_section, &budget_section,   NULL};

const sc_fault_kind sc_fault_kinds[] = {
    /* Damage models: the emulator applies them when it materializes a backup. */
    {"drop", SC_FAULT_TARGET, "fraction", "acknowledged items missing from backups", NULL},
    {"phantom", SC_FAULT_TARGET, "count", "items nobody wrote appear in backups", NULL},
    {"tear-txn", SC_FAULT_TARGET, "fraction",
     "transactions split across the cut (even under the exact model)", NULL},
    {"cut-early", SC_FAULT_TARGET, "ms", "the cut is taken this long before the request", NULL},
    {"cut-late", SC_FAULT_TARGET, "ms", "the cut is taken this long after the request", NULL},
    {"resurrect", SC_FAULT_TARGET, "fraction", "deleted items come back in backups", NULL},
    {"pitr-ignore-time", SC_FAULT_TARGET, "", "point-in-time restores return the latest state",
     NULL},
    /* Server faults: the emulator misbehaves towards every client. */
    {"throttle", SC_FAULT_TARGET, "fraction|ops", "requests throttled", NULL},
    {"error", SC_FAULT_TARGET, "fraction|ops|after", "500 InternalServerError", NULL},
    {"server-latency", SC_FAULT_TARGET, "ms|jitter_ms|ops", "the emulator answers this much later",
     "latency"},
    {"backup-stall", SC_FAULT_TARGET, "ms", "backups stay CREATING this long", NULL},
    {"backup-fail", SC_FAULT_TARGET, "", "backups never become AVAILABLE", NULL},
    {"restore-stall", SC_FAULT_TARGET, "ms", "restored tables stay CREATING this long", NULL},
    {"restore-fail", SC_FAULT_TARGET, "", "restored tables are dropped", NULL},
    /* Network faults: the fault proxy between the workers and any target. */
    {"latency", SC_FAULT_NETWORK, "ms|jitter_ms",
     "the network delays every chunk between the workers and the target", NULL},
    {"bandwidth", SC_FAULT_NETWORK, "bytes_per_s",
     "the workers' connections are limited to this rate", NULL},
    {"reset", SC_FAULT_NETWORK, "fraction",
     "that fraction of the workers' connections and requests is reset (TCP RST)", NULL},
    {"blackhole", SC_FAULT_NETWORK, "",
     "nothing the workers send gets through or is answered: requests time out", NULL},
    {"partition", SC_FAULT_NETWORK, "fraction",
     "that fraction of the workers is cut off from the target (black hole)", NULL},
    /* Control plane: the harness acts on the target. */
    {"delete-source", SC_FAULT_CONTROL, "",
     "the harness deletes the source table at at_s (the source check is skipped)", NULL},
    {"backup-storm", SC_FAULT_CONTROL, "count",
     "count concurrent CreateBackup calls at at_s; each backup made is checked", NULL},
    {"restore-collision", SC_FAULT_RESTORE, "",
     "the first restore targets a table name that exists; the harness retries under a new name",
     NULL},
    {"delete-backup-during-restore", SC_FAULT_RESTORE, "",
     "the first backup restore's backup is deleted while the restore runs", NULL},
    {NULL, 0, NULL, NULL, NULL}};

const sc_fault_kind *sc_fault_kind_find(const char *name)
{
    for (const sc_fault_kind *k = sc_fault_kinds; k->name; k++)
        if (strcmp(k->name, name) == 0) return k;
    return NULL;
}

/* ---- errors ---- */

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* "workloads[0]" + "rate" -> "workloads[0].rate"; top level: just the name. */
static void join_path(char *out, size_t n, const char *path, const char *name)
{
    if (path[0])
        snprintf(out, n, "%s.%s", path, name);
    else
        snprintf(out, n, "%s", name);
}

static const char *json_type_name(const cJSON *v)
{
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsNull(v)) return "null";
    if (cJSON_IsArray(v)) return "a list";
    return "an object";
}

/* "a|b|c" contains s as a whole member. */
static int allowed_index(const char *allowed, const char *s)
{
    size_t n = strlen(s);
    int idx = 0;
    for (const char *p = allowed; *p; idx++) {
        const char *e = strchr(p, '|');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, s, n) == 0) return idx;
        if (!e) break;
        p = e + 1;
    }
    return -1;
}

static void allowed_list(const char *allowed, char *out, size_t n)
{
    size_t o = 0;
    for (const char *p = allowed; *p && o + 4 < n; p++)
        if (*p == '|') {
            out[o++] = ',';
            out[o++] = ' ';
        } else {
            out[o++] = *p;
        }
    out[o] = '\0';
}

/* ---- the generic section parser ---- */

static int parse_section(const cJSON *obj, const sc_section *sec, void *base, const char *path,
                         const char *label, unsigned *present, char *err, size_t errlen);

static int numeric_error(const sc_field *f, const char *fp, int integral, char *err, size_t errlen)
{
    const char *what = integral ? "integer" : "number";
    if (f->flags & SC_F_POSITIVE) return fail(err, errlen, "%s: expected a positive %s", fp, what);
    if (f->flags & SC_F_NONNEG)
        return fail(err, errlen, "%s: expected a non-negative %s", fp, what);
    if (f->flags & SC_F_RANGE)
        return fail(err, errlen, "%s: expected a%s %s in [%g, %g]", fp, integral ? "n" : "", what,
                    f->min, f->max);
    return fail(err, errlen, "%s: expected a%s %s", fp, integral ? "n" : "", what);
}

static int check_number(const sc_field *f, const cJSON *v, const char *fp, int integral,
                        double *out, char *err, size_t errlen)
{
    if (!cJSON_IsNumber(v)) return numeric_error(f, fp, integral, err, errlen);
    double d = v->valuedouble;
    if (!isfinite(d) || (integral && d != floor(d)))
        return numeric_error(f, fp, integral, err, errlen);
    if ((f->flags & SC_F_POSITIVE) && !(d > 0)) return numeric_error(f, fp, integral, err, errlen);
    if ((f->flags & SC_F_NONNEG) && !(d >= 0)) return numeric_error(f, fp, integral, err, errlen);
    if ((f->flags & SC_F_RANGE) && !(d >= f->min && d <= f->max))
        return numeric_error(f, fp, integral, err, errlen);
    if (integral && fabs(d) >= SC_SEED_LIMIT) return fail(err, errlen, "%s: integer too large", fp);
    *out = d;
    return 0;
}

static int set_field(const sc_field *f, const cJSON *v, void *base, const char *fp, char *err,
                     size_t errlen)
{
    char *p = (char *)base + f->offset;
    double d;
    switch (f->type) {
    case SC_T_NULLSTR:
        if (cJSON_IsNull(v)) {
            p[0] = '\0';
            return 0;
        }
        /* fallthrough */
    case SC_T_STRING:
        if (!cJSON_IsString(v))
            return fail(err, errlen, "%s: expected a string%s, not %s", fp,
                        f->type == SC_T_NULLSTR ? " or null" : "", json_type_name(v));
        if (strlen(v->valuestring) >= f->size)
            return fail(err, errlen, "%s: too long (at most %zu characters)", fp, f->size - 1);
        memcpy(p, v->valuestring, strlen(v->valuestring) + 1);
        return 0;
    case SC_T_ENUM:
    case SC_T_DIST: {
        char list[256];
        allowed_list(f->allowed, list, sizeof list);
        int idx = cJSON_IsString(v) ? allowed_index(f->allowed, v->valuestring) : -1;
        if (idx < 0) {
            if (cJSON_IsString(v))
                return fail(err, errlen, "%s: \"%s\" is not one of: %s", fp, v->valuestring, list);
            return fail(err, errlen, "%s: expected one of: %s", fp, list);
        }
        if (f->type == SC_T_DIST)
            *(wl_dist *)(void *)p = (wl_dist)idx;
        else
            snprintf(p, f->size, "%s", v->valuestring);
        return 0;
    }
    case SC_T_INT:
        if (check_number(f, v, fp, 1, &d, err, errlen)) return -1;
        if (fabs(d) > 2147483647.0) return fail(err, errlen, "%s: integer too large", fp);
        *(int *)(void *)p = (int)d;
        return 0;
    case SC_T_LONG:
        if (check_number(f, v, fp, 1, &d, err, errlen)) return -1;
        *(long *)(void *)p = (long)d;
        return 0;
    case SC_T_INT64:
        if (check_number(f, v, fp, 1, &d, err, errlen)) return -1;
        *(int64_t *)(void *)p = (int64_t)d;
        return 0;
    case SC_T_SEED:
        if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble >= SC_SEED_LIMIT ||
            v->valuedouble != floor(v->valuedouble))
            return fail(err, errlen, "%s: expected a non-negative integer below 2^53", fp);
        *(uint64_t *)(void *)p = (uint64_t)v->valuedouble;
        return 0;
    case SC_T_DOUBLE:
        if (check_number(f, v, fp, 0, &d, err, errlen)) return -1;
        *(double *)(void *)p = d;
        return 0;
    case SC_T_BOOL:
        if (!cJSON_IsBool(v)) return fail(err, errlen, "%s: expected true or false", fp);
        *(int *)(void *)p = cJSON_IsTrue(v) ? 1 : 0;
        return 0;
    case SC_T_OBJECT:
        return parse_section(v, f->sub, p, fp, fp, NULL, err, errlen);
    case SC_T_SPECIAL:
        return 0;
    }
    return fail(err, errlen, "%s: unsupported field type", fp);
}

/* Parses obj against sec into base. `label` names the object in "unknown field"
 * messages (the file name at the top level). */
static int parse_section(const cJSON *obj, const sc_section *sec, void *base, const char *path,
                         const char *label, unsigned *present, char *err, size_t errlen)
{
    if (!cJSON_IsObject(obj))
        return fail(err, errlen, "%s: expected an object, not %s", label, json_type_name(obj));
    for (const cJSON *m = obj->child; m; m = m->next) {
        int known = 0;
        for (int i = 0; i < sec->nfields && !known; i++)
            known = strcmp(sec->fields[i].name, m->string) == 0;
        if (!known) return fail(err, errlen, "%s: unknown field \"%s\"", label, m->string);
    }
    if (present) *present = 0;
    for (int i = 0; i < sec->nfields; i++) {
        const sc_field *f = &sec->fields[i];
        char fp[256];
        join_path(fp, sizeof fp, path, f->name);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, f->name);
        if (f->type == SC_T_SPECIAL) continue;
        if (v) {
            if (present) *present |= 1u << i;
            if (set_field(f, v, base, fp, err, errlen)) return -1;
            continue;
        }
        if (f->flags & SC_F_OPTIONAL) continue;
        if (!f->def) return fail(err, errlen, "%s: required", fp);
        cJSON *d = cJSON_Parse(f->def);
        int rc = set_field(f, d, base, fp, err, errlen);
        cJSON_Delete(d);
        if (rc) return -1;
    }
    return 0;
}

/* The value of a SPECIAL member, or its default parsed (caller frees *owned). */
static const cJSON *special_value(const cJSON *obj, const sc_section *sec, const char *name,
                                  cJSON **owned)
{
    *owned = NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (v) return v;
    for (int i = 0; i < sec->nfields; i++)
        if (strcmp(sec->fields[i].name, name) == 0 && sec->fields[i].def) {
            *owned = cJSON_Parse(sec->fields[i].def);
            return *owned;
        }
    return NULL;
}

/* ---- lists and variants ---- */

static int parse_workloads(scenario *sc, const cJSON *list, const sc_hooks *hooks, char *err,
                           size_t errlen)
{
    if (!list) return fail(err, errlen, "workloads: required (a list with at least one workload)");
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0)
        return fail(err, errlen, "workloads: expected a list with at least one workload");
    if (cJSON_GetArraySize(list) > SC_MAX_WORKLOADS)
        return fail(err, errlen, "workloads: at most %d workloads", SC_MAX_WORKLOADS);
    int i = 0;
    for (const cJSON *w = list->child; w; w = w->next, i++) {
        char path[64];
        snprintf(path, sizeof path, "workloads[%d]", i);
        wl_spec *s = &sc->workloads[i];
        memset(s, 0, sizeof *s);
        unsigned present;
        if (parse_section(w, &workload_section, s, path, path, &present, err, errlen)) return -1;
        s->index = i;
        if (hooks && hooks->workload_known && !hooks->workload_known(s->type))
            return fail(err, errlen,
                        "%s.type: unknown workload \"%s\" (`backcheck scenarios --workloads` "
                        "lists them)",
                        path, s->type);
        if (s->txn_min > s->txn_max)
            return fail(err, errlen, "%s.txn_min: %d is above txn_max %d", path, s->txn_min,
                        s->txn_max);
        if (hooks && hooks->workload_prepare) {
            char e[256];
            if (hooks->workload_prepare(s, e, sizeof e))
                return fail(err, errlen, "%s: %s", path, e);
        }
        sc->nworkloads++;
    }
    return 0;
}

static int add_backup(scenario *sc, sc_backup_trigger trig, double at_s, long after_ops, int burst,
                      int entry, const char *path, char *err, size_t errlen)
{
    if (sc->nbackups >= SC_MAX_BACKUPS)
        return fail(err, errlen, "%s: more than %d backups in all", path, SC_MAX_BACKUPS);
    sc_backup *b = &sc->backups[sc->nbackups++];
    snprintf(b->id, sizeof b->id, "b%d", sc->nbackups);
    b->trigger = trig;
    b->at_s = at_s;
    b->after_ops = after_ops;
    b->burst = burst;
    b->entry = entry;
    return 0;
}

#define BIT(i) (1u << (i))

static int parse_backups(scenario *sc, const cJSON *list, char *err, size_t errlen)
{
    if (!cJSON_IsArray(list)) return fail(err, errlen, "backups: expected a list");
    int i = 0, bursts = 0;
    for (const cJSON *e = list->child; e; e = e->next, i++) {
        char path[64];
        snprintf(path, sizeof path, "backups[%d]", i);
        backup_entry be;
        memset(&be, 0, sizeof be);
        unsigned p;
        if (parse_section(e, &backup_section, &be, path, path, &p, err, errlen)) return -1;
        /* Bits follow backup_fields: at_s, every_s, count, after_ops, burst. */
        int rc;
        if (p == BIT(0)) {
            rc = add_backup(sc, SC_AT_TIME, be.at_s, 0, 0, i, path, err, errlen);
        } else if (p == (BIT(1) | BIT(2)) || p == (BIT(0) | BIT(1) | BIT(2))) {
            double start = (p & BIT(0)) ? be.at_s : be.every_s;
            rc = 0;
            for (int k = 0; k < be.count && !rc; k++)
                rc = add_backup(sc, SC_AT_TIME, start + k * be.every_s, 0, 0, i, path, err, errlen);
        } else if (p == BIT(3)) {
            rc = add_backup(sc, SC_AFTER_OPS, 0, be.after_ops, 0, i, path, err, errlen);
        } else if (p == (BIT(0) | BIT(4))) {
            bursts++;
            rc = 0;
            for (int k = 0; k < be.burst && !rc; k++)
                rc = add_backup(sc, SC_AT_TIME, be.at_s, 0, bursts, i, path, err, errlen);
        } else {
            return fail(err, errlen, "%s: expected %s", path, backup_section.help);
        }
        if (rc) return -1;
    }
    sc->nbackup_entries = i;
    return 0;
}

static int parse_restores(scenario *sc, const cJSON *list, char *err, size_t errlen)
{
    if (!cJSON_IsArray(list)) return fail(err, errlen, "restores: expected a list");
    int i = 0, npitr = 0;
    for (const cJSON *e = list->child; e; e = e->next, i++) {
        char path[64];
        snprintf(path, sizeof path, "restores[%d]", i);
        restore_entry re;
        memset(&re, 0, sizeof re);
        unsigned p;
        if (parse_section(e, &restore_section, &re, path, path, &p, err, errlen)) return -1;
        if (p == BIT(0)) {
            int each = strcmp(re.from, "each-backup") == 0;
            int found = 0;
            for (int k = 0; k < sc->nbackups; k++) {
                if (!each && strcmp(sc->backups[k].id, re.from) != 0) continue;
                found = 1;
                int dup = 0;
                for (int r = 0; r < sc->nrestores; r++)
                    dup |= sc->restores[r].kind == SC_RESTORE_BACKUP &&
                           strcmp(sc->restores[r].backup, sc->backups[k].id) == 0;
                if (dup) continue; /* each backup is restored once */
                if (sc->nrestores >= SC_MAX_RESTORES)
                    return fail(err, errlen, "%s: more than %d restores", path, SC_MAX_RESTORES);
                sc_restore *r = &sc->restores[sc->nrestores++];
                r->kind = SC_RESTORE_BACKUP;
                snprintf(r->id, sizeof r->id, "%s", sc->backups[k].id);
                snprintf(r->backup, sizeof r->backup, "%s", sc->backups[k].id);
            }
            if (!each && !found)
                return fail(err, errlen,
                            "%s.from: \"%s\" is neither \"each-backup\" nor a backup id "
                            "(b1..b%d)",
                            path, re.from, sc->nbackups);
        } else if (p == BIT(1)) {
            if (re.pitr_at_s > sc->duration_s)
                return fail(err, errlen, "%s.pitr_at_s: %g is after the end of the run (%g s)",
                            path, re.pitr_at_s, sc->duration_s);
            if (sc->nrestores >= SC_MAX_RESTORES)
                return fail(err, errlen, "%s: more than %d restores", path, SC_MAX_RESTORES);
            sc_restore *r = &sc->restores[sc->nrestores++];
            r->kind = SC_RESTORE_PITR;
            snprintf(r->id, sizeof r->id, "p%d", ++npitr);
            r->pitr_at_s = re.pitr_at_s;
        } else {
            return fail(err, errlen, "%s: expected %s", path, restore_section.help);
        }
    }
    return 0;
}

/* Builds "kind:key=value,..." for the emulator from the fault's present params. */
static void fault_spec(sc_fault *f, const sc_fault_kind *k)
{
    size_t n = (size_t)snprintf(f->spec, sizeof f->spec, "%s", k->emu_name ? k->emu_name : f->kind);
    char sep = ':';
#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (n < sizeof f->spec) {                                                                  \
            n += (size_t)snprintf(f->spec + n, sizeof f->spec - n, "%c", sep);                     \
            sep = ',';                                                                             \
        }                                                                                          \
        if (n < sizeof f->spec)                                                                    \
            n += (size_t)snprintf(f->spec + n, sizeof f->spec - n, __VA_ARGS__);                   \
    } while (0)
    if (f->present & BIT(FB_FRACTION)) ADD("fraction=%g", f->fraction);
    if (f->present & BIT(FB_COUNT)) ADD("count=%ld", f->count);
    if (f->present & BIT(FB_MS)) ADD("ms=%ld", f->ms);
    if (f->present & BIT(FB_JITTER)) ADD("jitter_ms=%ld", f->jitter_ms);
    if (f->present & BIT(FB_OPS)) {
        char ops[sizeof f->ops]; /* a copy: spec and ops are members of one struct */
        memcpy(ops, f->ops, sizeof ops);
        ADD("ops=%s", ops);
    }
    if (f->present & BIT(FB_AFTER)) ADD("after=%d", f->after);
    if (f->present & BIT(FB_BYTES)) ADD("bytes_per_s=%ld", f->bytes_per_s);
#undef ADD
}

static int parse_faults(scenario *sc, const cJSON *list, const sc_hooks *hooks, char *err,
                        size_t errlen)
{
    if (!cJSON_IsArray(list)) return fail(err, errlen, "faults: expected a list");
    if (cJSON_GetArraySize(list) > SC_MAX_FAULTS)
        return fail(err, errlen, "faults: at most %d faults", SC_MAX_FAULTS);
    int i = 0;
    for (const cJSON *e = list->child; e; e = e->next, i++) {
        char path[64];
        snprintf(path, sizeof path, "faults[%d]", i);
        sc_fault *f = &sc->faults[i];
        memset(f, 0, sizeof *f);
        f->at_s = -1;
        f->for_s = 0;
        if (parse_section(e, &fault_section, f, path, path, &f->present, err, errlen)) return -1;
        const sc_fault_kind *k = sc_fault_kind_find(f->kind);
        if (!k) {
            char list_s[512];
            size_t o = 0;
            for (const sc_fault_kind *q = sc_fault_kinds; q->name && o < sizeof list_s; q++)
                o += (size_t)snprintf(list_s + o, sizeof list_s - o, "%s%s",
                                      q == sc_fault_kinds ? "" : ", ", q->name);
            return fail(err, errlen, "%s.kind: unknown fault \"%s\" (known: %s)", path, f->kind,
                        list_s);
        }
        f->side = k->side;
        for (int b = FB_FRACTION; b <= FB_BYTES; b++)
            if ((f->present & BIT(b)) && allowed_index(k->params, fault_fields[b].name) < 0)
                return fail(err, errlen, "%s.%s: not a parameter of fault \"%s\"", path,
                            fault_fields[b].name, f->kind);
        if (f->side == SC_FAULT_CONTROL && !(f->present & BIT(FB_AT)))
            return fail(err, errlen, "%s.at_s: required for fault \"%s\"", path, f->kind);
        if (f->side == SC_FAULT_RESTORE && (f->present & (BIT(FB_AT) | BIT(FB_FOR))))
            return fail(err, errlen,
                        "%s.%s: fault \"%s\" acts during the restores, after the workload; it "
                        "takes no %s",
                        path, (f->present & BIT(FB_AT)) ? "at_s" : "for_s", f->kind,
                        (f->present & BIT(FB_AT)) ? "at_s" : "for_s");
        if ((f->present & BIT(FB_AT)) && f->at_s >= sc->duration_s)
            return fail(err, errlen, "%s.at_s: %g is not before the end of the run (%g s)", path,
                        f->at_s, sc->duration_s);
        /* Parameters a kind cannot do without (the proxy has no default to fall back on). */
        const char *need = NULL;
        if (strcmp(f->kind, "bandwidth") == 0 && !(f->present & BIT(FB_BYTES)))
            need = "bytes_per_s";
        else if ((strcmp(f->kind, "reset") == 0 || strcmp(f->kind, "partition") == 0) &&
                 !(f->present & BIT(FB_FRACTION)))
            need = "fraction";
        else if (strcmp(f->kind, "latency") == 0 && !(f->present & BIT(FB_MS)))
            need = "ms";
        else if (strcmp(f->kind, "backup-storm") == 0 && !(f->present & BIT(FB_COUNT)))
            need = "count";
        if (need) return fail(err, errlen, "%s.%s: required for fault \"%s\"", path, need, f->kind);
        if (strcmp(f->kind, "partition") == 0) {
            /* Workers connect through their partition's port from the start, so every
             * partition fault cuts off the same workers. */
            for (int j = 0; j < i; j++)
                if (strcmp(sc->faults[j].kind, "partition") == 0 &&
                    sc->faults[j].fraction != f->fraction)
                    return fail(err, errlen,
                                "%s.fraction: every partition fault cuts off the same workers; "
                                "use faults[%d]'s fraction (%g)",
                                path, j, sc->faults[j].fraction);
        }
        fault_spec(f, k);
        if (f->side == SC_FAULT_TARGET && hooks && hooks->fault_validate) {
            char e2[256];
            if (hooks->fault_validate(f->spec, e2, sizeof e2))
                return fail(err, errlen, "%s: %s", path, e2);
        }
        if (strcmp(f->kind, "backup-storm") == 0) {
            /* The storm's backups are ordinary backups (restored and checked like the
             * others), requested by the nemesis at at_s rather than by the scheduler. */
            for (long c = 0; c < f->count; c++) {
                if (add_backup(sc, SC_BY_FAULT, f->at_s, 0, 0, -1, path, err, errlen)) return -1;
                sc_backup *b = &sc->backups[sc->nbackups - 1];
                b->fault = i;
                if (sc->nrestores >= SC_MAX_RESTORES)
                    return fail(err, errlen, "%s.count: more than %d restores in all", path,
                                SC_MAX_RESTORES);
                sc_restore *r = &sc->restores[sc->nrestores++];
                r->kind = SC_RESTORE_BACKUP;
                memcpy(r->id, b->id, sizeof r->id);
                memcpy(r->backup, b->id, sizeof r->backup);
            }
        }
        sc->nfaults++;
    }
    return 0;
}

static int parse_guarantee(scenario *sc, const cJSON *v, char *err, size_t errlen)
{
    sc_guarantee *g = &sc->guarantee;
    if (cJSON_IsString(v)) {
        if (strcmp(v->valuestring, "aws-documented") == 0) {
            snprintf(g->profile, sizeof g->profile, "aws-documented");
            g->before_s = g->after_s = 60; /* AWS-FACTS.md: "within the last minute" */
            g->atomic_txn = 0;
            return 0;
        }
        if (strcmp(v->valuestring, "strict") == 0) {
            snprintf(g->profile, sizeof g->profile, "strict");
            g->before_s = g->after_s = 0;
            g->atomic_txn = 1;
            return 0;
        }
        return fail(err, errlen,
                    "guarantee: \"%s\" is not one of: aws-documented, strict (or an object "
                    "{\"before_s\",\"after_s\",\"atomic_txn\"})",
                    v->valuestring);
    }
    if (!cJSON_IsObject(v))
        return fail(err, errlen, "guarantee: expected \"aws-documented\", \"strict\" or an object");
    snprintf(g->profile, sizeof g->profile, "explicit");
    return parse_section(v, &guarantee_section, g, "guarantee", "guarantee", NULL, err, errlen);
}

static int parse_gsi(scenario *sc, const cJSON *table, char *err, size_t errlen)
{
    cJSON *owned = NULL;
    const cJSON *list = table ? special_value(table, &table_section, "gsi", &owned) : NULL;
    int rc = 0;
    if (!list) return 0;
    if (!cJSON_IsArray(list)) {
        rc = fail(err, errlen, "table.gsi: expected a list");
    } else if (cJSON_GetArraySize(list) > SC_MAX_GSI) {
        rc = fail(err, errlen, "table.gsi: at most %d indexes", SC_MAX_GSI);
    } else {
        int i = 0;
        for (const cJSON *e = list->child; e && !rc; e = e->next, i++) {
            char path[64];
            snprintf(path, sizeof path, "table.gsi[%d]", i);
            rc = parse_section(e, &gsi_section, &sc->table.gsi[i], path, path, NULL, err, errlen);
            if (!rc) sc->table.ngsi++;
        }
    }
    cJSON_Delete(owned);
    return rc;
}

static void label_base(const char *label, char *out, size_t n)
{
    const char *b = strrchr(label, '/');
    b = b ? b + 1 : label;
    snprintf(out, n, "%s", b);
    char *dot = strrchr(out, '.');
    if (dot && strcmp(dot, ".json") == 0) *dot = '\0';
}

int sc_load_string(const char *json, const char *label, const sc_hooks *hooks, scenario **out,
                   char *err, size_t errlen)
{
    *out = NULL;
    const char *lab = label ? label : "scenario";
    const char *shown = strrchr(lab, '/') ? strrchr(lab, '/') + 1 : lab;
    cJSON *root = cJSON_Parse(json);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        int line = 1;
        for (const char *p = json; at && p < at && *p; p++)
            line += *p == '\n';
        return fail(err, errlen, "%s: not valid JSON (near line %d)", shown, line);
    }
    scenario *sc = calloc(1, sizeof *sc);
    if (!sc) {
        cJSON_Delete(root);
        return fail(err, errlen, "out of memory");
    }
    sc->source = root;
    unsigned present = 0;
    int rc = parse_section(root, &top_section, sc, "", shown, &present, err, errlen);
    if (!rc) {
        /* The bits follow top_fields: name is 0, seed is 3. */
        if (!(present & BIT(0))) label_base(lab, sc->name, sizeof sc->name);
        sc->seed_set = (present & BIT(3)) != 0;
        if (!sc->name[0]) rc = fail(err, errlen, "name: must not be empty");
        for (const char *p = sc->name; !rc && *p; p++)
            if (!(*p == '-' || *p == '_' || *p == '.' || (*p >= '0' && *p <= '9') ||
                  (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
                rc = fail(err, errlen,
                          "name: \"%s\" may hold only letters, digits, '-', '_' and '.' (it "
                          "names the run directory)",
                          sc->name);
    }
    if (!rc && sc->table.range_key[0])
        rc = fail(err, errlen,
                  "table.range_key: not supported (the workloads write items keyed by the "
                  "hash key alone); use null");
    if (!rc) rc = parse_gsi(sc, cJSON_GetObjectItemCaseSensitive(root, "table"), err, errlen);
    if (!rc)
        rc = parse_workloads(sc, cJSON_GetObjectItemCaseSensitive(root, "workloads"), hooks, err,
                             errlen);
    cJSON *owned = NULL;
    if (!rc) {
        const cJSON *v = special_value(root, &top_section, "backups", &owned);
        rc = parse_backups(sc, v, err, errlen);
        cJSON_Delete(owned);
    }
    if (!rc) {
        const cJSON *v = special_value(root, &top_section, "restores", &owned);
        rc = parse_restores(sc, v, err, errlen);
        cJSON_Delete(owned);
    }
    if (!rc) {
        const cJSON *v = special_value(root, &top_section, "faults", &owned);
        rc = parse_faults(sc, v, hooks, err, errlen);
        cJSON_Delete(owned);
    }
    if (!rc) {
        const cJSON *v = special_value(root, &top_section, "guarantee", &owned);
        rc = parse_guarantee(sc, v, err, errlen);
        cJSON_Delete(owned);
    }
    if (!rc) {
        const cJSON *v = special_value(root, &top_section, "budget", &owned);
        budget_entry be = {0};
        rc = parse_section(v, &budget_section, &be, "budget", "budget", NULL, err, errlen);
        sc->max_usd = be.max_usd;
        cJSON_Delete(owned);
    }
    if (!rc) {
        for (int i = 0; i < sc->nbackups && !rc; i++)
            if (sc->backups[i].trigger == SC_AT_TIME && sc->backups[i].at_s >= sc->duration_s)
                rc = fail(err, errlen,
                          "backups[%d]: backup %s at %g s is not before the end of the run "
                          "(duration_s %g)",
                          sc->backups[i].entry, sc->backups[i].id, sc->backups[i].at_s,
                          sc->duration_s);
    }
    if (!rc && sc_has_pitr_restore(sc)) sc->table.pitr = 1;
    if (rc) {
        sc_free(sc);
        /* Every message names the file, whichever field it is about. */
        size_t sl = strlen(shown);
        if (err && errlen && !(strncmp(err, shown, sl) == 0 && err[sl] == ':')) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", err);
            snprintf(err, errlen, "%s: %s", shown, msg);
        }
        return -1;
    }
    *out = sc;
    return 0;
}

int sc_load_file(const char *path, const sc_hooks *hooks, scenario **out, char *err, size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return fail(err, errlen, "%s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n < 0 || n > (1 << 24)) {
        fclose(f);
        return fail(err, errlen, "%s: not a scenario file (size)", path);
    }
    char *buf = malloc((size_t)n + 1);
    if (!buf) {
        fclose(f);
        return fail(err, errlen, "out of memory");
    }
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = '\0';
    int rc = sc_load_string(buf, path, hooks, out, err, errlen);
    free(buf);
    return rc;
}

void sc_free(scenario *sc)
{
    if (!sc) return;
    cJSON_Delete(sc->source);
    free(sc);
}

/* ---- output ---- */

static void emit_field(cJSON *obj, const sc_field *f, const void *base)
{
    const char *p = (const char *)base + f->offset;
    switch (f->type) {
    case SC_T_STRING:
    case SC_T_ENUM:
        cJSON_AddStringToObject(obj, f->name, p);
        break;
    case SC_T_NULLSTR:
        if (p[0])
            cJSON_AddStringToObject(obj, f->name, p);
        else
            cJSON_AddNullToObject(obj, f->name);
        break;
    case SC_T_DIST: {
        wl_dist d = *(const wl_dist *)(const void *)p;
        const char *a = f->allowed;
        for (int i = 0; i < (int)d && a; i++) {
            a = strchr(a, '|');
            a = a ? a + 1 : NULL;
        }
        char name[32] = "";
        if (a) {
            const char *e = strchr(a, '|');
            snprintf(name, sizeof name, "%.*s", (int)(e ? (size_t)(e - a) : strlen(a)), a);
        }
        cJSON_AddStringToObject(obj, f->name, name);
        break;
    }
    case SC_T_INT:
        cJSON_AddNumberToObject(obj, f->name, *(const int *)(const void *)p);
        break;
    case SC_T_LONG:
        cJSON_AddNumberToObject(obj, f->name, (double)*(const long *)(const void *)p);
        break;
    case SC_T_INT64:
        cJSON_AddNumberToObject(obj, f->name, (double)*(const int64_t *)(const void *)p);
        break;
    case SC_T_SEED:
        cJSON_AddNumberToObject(obj, f->name, (double)*(const uint64_t *)(const void *)p);
        break;
    case SC_T_DOUBLE:
        cJSON_AddNumberToObject(obj, f->name, *(const double *)(const void *)p);
        break;
    case SC_T_BOOL:
        cJSON_AddBoolToObject(obj, f->name, *(const int *)(const void *)p);
        break;
    case SC_T_OBJECT:
    case SC_T_SPECIAL:
        break;
    }
}

/* Writes every non-special field; optional fields only when their bit is in `present`
 * (all bits when present is NULL). */
static cJSON *emit_section(const sc_section *sec, const void *base, const unsigned *present)
{
    cJSON *obj = cJSON_CreateObject();
    for (int i = 0; i < sec->nfields; i++) {
        const sc_field *f = &sec->fields[i];
        if ((f->flags & SC_F_OPTIONAL) && present && !(*present & (1u << i))) continue;
        if (f->type == SC_T_OBJECT)
            cJSON_AddItemToObject(obj, f->name,
                                  emit_section(f->sub, (const char *)base + f->offset, NULL));
        else
            emit_field(obj, f, base);
    }
    return obj;
}

/* The position of a field in its section: its bit in a `present` mask. */
static int field_index(const sc_section *sec, const char *name)
{
    for (int i = 0; i < sec->nfields; i++)
        if (strcmp(sec->fields[i].name, name) == 0) return i;
    return 31; /* not reached for the names used here */
}

cJSON *sc_to_json(const scenario *sc)
{
    unsigned top = ~0u;
    if (!sc->expect[0]) top &= ~BIT(2);
    cJSON *o = emit_section(&top_section, sc, &top);
    /* The seed is always written: a resolved scenario reproduces the run. */
    cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "table");
    cJSON *gl = cJSON_AddArrayToObject(t, "gsi");
    for (int i = 0; i < sc->table.ngsi; i++)
        cJSON_AddItemToArray(gl, emit_section(&gsi_section, &sc->table.gsi[i], NULL));
    cJSON *wl = cJSON_AddArrayToObject(o, "workloads");
    for (int i = 0; i < sc->nworkloads; i++) {
        const wl_spec *s = &sc->workloads[i];
        unsigned p = s->rate > 0 ? ~0u : ~BIT(field_index(&workload_section, "rate"));
        cJSON *w = emit_section(&workload_section, s, &p);
        if (s->rate <= 0) cJSON_AddStringToObject(w, "loop", "closed");
        cJSON_AddItemToArray(wl, w);
    }
    const cJSON *given = cJSON_GetObjectItemCaseSensitive(sc->source, "backups");
    cJSON_AddItemToObject(o, "backups", given ? cJSON_Duplicate(given, 1) : cJSON_CreateArray());
    /* The expanded plan: one entry per backup the run requests. */
    cJSON *plan = cJSON_AddArrayToObject(o, "backup_plan");
    for (int i = 0; i < sc->nbackups; i++) {
        const sc_backup *b = &sc->backups[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "id", b->id);
        if (b->trigger == SC_AT_TIME)
            cJSON_AddNumberToObject(e, "at_s", b->at_s);
        else if (b->trigger == SC_BY_FAULT) {
            cJSON_AddNumberToObject(e, "at_s", b->at_s);
            cJSON_AddNumberToObject(e, "fault", b->fault);
        } else
            cJSON_AddNumberToObject(e, "after_ops", (double)b->after_ops);
        if (b->burst) cJSON_AddNumberToObject(e, "burst", b->burst);
        cJSON_AddItemToArray(plan, e);
    }
    cJSON *rs = cJSON_AddArrayToObject(o, "restores");
    for (int i = 0; i < sc->nrestores; i++) {
        const sc_restore *r = &sc->restores[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "id", r->id);
        if (r->kind == SC_RESTORE_BACKUP)
            cJSON_AddStringToObject(e, "from", r->backup);
        else
            cJSON_AddNumberToObject(e, "pitr_at_s", r->pitr_at_s);
        cJSON_AddItemToArray(rs, e);
    }
    cJSON *fl = cJSON_AddArrayToObject(o, "faults");
    for (int i = 0; i < sc->nfaults; i++) {
        cJSON *e = emit_section(&fault_section, &sc->faults[i], &sc->faults[i].present);
        cJSON_AddStringToObject(e, "spec", sc->faults[i].spec);
        cJSON_AddItemToArray(fl, e);
    }
    if (strcmp(sc->guarantee.profile, "explicit") == 0)
        cJSON_AddItemToObject(o, "guarantee",
                              emit_section(&guarantee_section, &sc->guarantee, NULL));
    else
        cJSON_AddStringToObject(o, "guarantee", sc->guarantee.profile);
    cJSON *bud = cJSON_AddObjectToObject(o, "budget");
    cJSON_AddNumberToObject(bud, "max_usd", sc->max_usd);
    return o;
}

int sc_write_resolved(const scenario *sc, const char *path, char *err, size_t errlen)
{
    cJSON *o = sc_to_json(sc);
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    if (!s) return fail(err, errlen, "out of memory");
    FILE *f = fopen(path, "w");
    if (!f) {
        free(s);
        return fail(err, errlen, "%s: %s", path, strerror(errno));
    }
    int rc = fputs(s, f) < 0 || fputc('\n', f) == EOF;
    rc |= fclose(f) != 0;
    free(s);
    return rc ? fail(err, errlen, "%s: write failed", path) : 0;
}

int sc_has_pitr_restore(const scenario *sc)
{
    for (int i = 0; i < sc->nrestores; i++)
        if (sc->restores[i].kind == SC_RESTORE_PITR) return 1;
    return 0;
}

int sc_total_workers(const scenario *sc)
{
    int n = 0;
    for (int i = 0; i < sc->nworkloads; i++)
        n += wl_spec_workers(&sc->workloads[i]);
    return n;
}

/* ---- reference ---- */

static const char *type_name(const sc_field *f)
{
    switch (f->type) {
    case SC_T_STRING:
        return "string";
    case SC_T_NULLSTR:
        return "string or null";
    case SC_T_ENUM:
    case SC_T_DIST:
        return "one of";
    case SC_T_INT:
    case SC_T_LONG:
    case SC_T_INT64:
    case SC_T_SEED:
        return "integer";
    case SC_T_DOUBLE:
        return "number";
    case SC_T_BOOL:
        return "boolean";
    case SC_T_OBJECT:
        return "object";
    case SC_T_SPECIAL:
        return "list/variant";
    }
    return "?";
}

void sc_print_reference(FILE *f)
{
    for (const sc_section *const *s = sc_sections; *s; s++) {
        const sc_section *sec = *s;
        fprintf(f, "### %s\n\n%s\n\n", sec->path[0] ? sec->path : "(top level)", sec->help);
        fprintf(f, "| field | type | default | help |\n|---|---|---|---|\n");
        for (int i = 0; i < sec->nfields; i++) {
            const sc_field *fl = &sec->fields[i];
            char type[300];
            if (fl->allowed) {
                char list[256];
                allowed_list(fl->allowed, list, sizeof list);
                snprintf(type, sizeof type, "one of: %s", list);
            } else if (fl->flags & SC_F_RANGE) {
                snprintf(type, sizeof type, "%s in [%g, %g]", type_name(fl), fl->min, fl->max);
            } else {
                snprintf(type, sizeof type, "%s%s", fl->flags & SC_F_POSITIVE ? "positive " : "",
                         type_name(fl));
            }
            const char *def =
                fl->def ? fl->def : (fl->flags & SC_F_OPTIONAL ? "(absent)" : "(required)");
            fprintf(f, "| `%s` | %s | `%s` | %s |\n", fl->name, type, def, fl->help);
        }
        fputc('\n', f);
    }
    fprintf(f, "### fault kinds\n\n| kind | parameters | effect |\n|---|---|---|\n");
    for (const sc_fault_kind *k = sc_fault_kinds; k->name; k++) {
        char params[128];
        allowed_list(k->params, params, sizeof params);
        fprintf(f, "| `%s` | %s | %s |\n", k->name, params[0] ? params : "-", k->help);
    }
}
