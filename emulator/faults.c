/*
 * faults.c - the emulator's fault models: parsing and validating specs
 * ("kind[:key=value,...]", grammar in emu.h), adding and removing them at run time, and
 * applying them. Server faults (throttle, error, latency) act on requests; backup and
 * restore faults (stall, fail) on the background jobs; damage models (drop, phantom,
 * tear-txn, cut-early, cut-late, resurrect, pitr-ignore-time) on what a backup or a
 * point-in-time restore contains, each recorded in the truth record so that tests can
 * prove the checkers catch it.
 *
 * Randomness comes from one PCG32 seeded with cfg.seed, behind the fault lock, so a run
 * with a fixed seed and a fixed request order injects the same faults.
 */
#include "emulator/emu_internal.h"
#include "util/clock.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One line per fault kind: its name, the parameters it takes, and their defaults. */
typedef struct emu_fault_def {
    emu_fault_kind kind;
    const char *name;
    const char *params; /* ",fraction,count,ms,jitter_ms,after,ops," subset */
    double fraction;
    long count;
    long ms;
} emu_fault_def;

static const emu_fault_def emu_fault_defs[] = {
    {EMU_F_DROP, "drop", ",fraction,", 0.01, 0, 0},
    {EMU_F_PHANTOM, "phantom", ",count,", 0, 3, 0},
    {EMU_F_TEAR_TXN, "tear-txn", ",fraction,ms,", 1, 0, 0},
    {EMU_F_CUT_EARLY, "cut-early", ",ms,", 0, 0, 120000},
    {EMU_F_CUT_LATE, "cut-late", ",ms,", 0, 0, 120000},
    {EMU_F_RESURRECT, "resurrect", ",fraction,", 1, 0, 0},
    {EMU_F_PITR_IGNORE_TIME, "pitr-ignore-time", ",", 0, 0, 0},
    {EMU_F_THROTTLE, "throttle", ",fraction,ops,", 0.1, 0, 0},
    {EMU_F_ERROR, "error", ",fraction,ops,after,", 0.05, 0, 0},
    {EMU_F_LATENCY, "latency", ",ms,jitter_ms,ops,", 0, 0, 50},
    {EMU_F_BACKUP_STALL, "backup-stall", ",ms,", 0, 0, 5000},
    {EMU_F_BACKUP_FAIL, "backup-fail", ",", 0, 0, 0},
    {EMU_F_RESTORE_STALL, "restore-stall", ",ms,", 0, 0, 5000},
    {EMU_F_RESTORE_FAIL, "restore-fail", ",", 0, 0, 0},
};

const char *emu_fault_kind_name(emu_fault_kind k)
{
    for (size_t i = 0; i < sizeof emu_fault_defs / sizeof emu_fault_defs[0]; i++)
        if (emu_fault_defs[i].kind == k) return emu_fault_defs[i].name;
    return "?";
}

static int emu_parse_long(const char *v, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < min || x > max) return -1;
    *out = x;
    return 0;
}

int emu_fault_parse(const char *spec, emu_fault *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!spec || !*spec) {
        snprintf(err, errlen, "empty fault spec");
        return -1;
    }
    char buf[256];
    if (strlen(spec) >= sizeof buf) {
        snprintf(err, errlen, "fault spec too long");
        return -1;
    }
    snprintf(buf, sizeof buf, "%s", spec);
    char *colon = strchr(buf, ':');
    if (colon) *colon = 0;
    const emu_fault_def *def = NULL;
    for (size_t i = 0; i < sizeof emu_fault_defs / sizeof emu_fault_defs[0]; i++)
        if (strcmp(emu_fault_defs[i].name, buf) == 0) def = &emu_fault_defs[i];
    if (!def) {
        snprintf(err, errlen,
                 "unknown fault kind '%s' (drop, phantom, tear-txn, cut-early, cut-late, "
                 "resurrect, pitr-ignore-time, throttle, error, latency, backup-stall, "
                 "backup-fail, restore-stall, restore-fail)",
                 buf);
        return -1;
    }
    out->kind = def->kind;
    out->fraction = def->fraction;
    out->count = def->count;
    out->ms = def->ms;
    if (!colon || !colon[1]) return 0;
    char *save = NULL;
    for (char *kv = strtok_r(colon + 1, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            snprintf(err, errlen, "fault '%s': expected key=value, got '%s'", def->name, kv);
            return -1;
        }
        *eq = 0;
        const char *v = eq + 1;
        char key[48];
        snprintf(key, sizeof key, ",%s,", kv);
        if (!strstr(def->params, key)) {
            snprintf(err, errlen, "fault '%s' takes no parameter '%s'", def->name, kv);
            return -1;
        }
        if (strcmp(kv, "fraction") == 0) {
            char *end;
            errno = 0;
            double f = strtod(v, &end);
            if (errno || end == v || *end || !(f >= 0 && f <= 1)) {
                snprintf(err, errlen, "fault '%s': fraction must be a number in [0, 1]", def->name);
                return -1;
            }
            out->fraction = f;
        } else if (strcmp(kv, "count") == 0) {
            if (emu_parse_long(v, 0, 1000000, &out->count) != 0) {
                snprintf(err, errlen, "fault '%s': count must be 0..1000000", def->name);
                return -1;
            }
        } else if (strcmp(kv, "ms") == 0 || strcmp(kv, "jitter_ms") == 0) {
            long *dst = kv[0] == 'm' ? &out->ms : &out->jitter_ms;
            if (emu_parse_long(v, 0, 86400000, dst) != 0) {
                snprintf(err, errlen, "fault '%s': %s must be 0..86400000", def->name, kv);
                return -1;
            }
        } else if (strcmp(kv, "after") == 0) {
            long a;
            if (emu_parse_long(v, 0, 1, &a) != 0) {
                snprintf(err, errlen, "fault '%s': after must be 0 or 1", def->name);
                return -1;
            }
            out->after = (int)a;
        } else if (strcmp(kv, "ops") == 0) {
            if (!*v || strlen(v) + 3 > sizeof out->ops) {
                snprintf(err, errlen, "fault '%s': ops must be a list like PutItem|GetItem",
                         def->name);
                return -1;
            }
            snprintf(out->ops, sizeof out->ops, "|%s|", v);
        }
    }
    return 0;
}

int emu_fault_validate(const char *spec, char *err, size_t errlen)
{
    emu_fault f;
    return emu_fault_parse(spec, &f, err, errlen);
}

int emu_fault_add(emu_server *s, const char *spec, char *err, size_t errlen)
{
    emu_fault f;
    if (emu_fault_parse(spec, &f, err, errlen) != 0) return -1;
    int rc = 0;
    pthread_mutex_lock(&s->fault_lock);
    int i;
    /* One instance per kind: adding a kind again replaces its parameters. */
    for (i = 0; i < s->nfaults; i++)
        if (s->faults[i].kind == f.kind) break;
    /* A cut moved earlier must still find the versions it needs: widen the horizon
     * within which superseded versions are kept (writes from now on). */
    if (f.kind == EMU_F_CUT_EARLY) {
        long long need = ((long long)f.ms + s->cfg.window_ms + 1000) * BC_NS_PER_MS;
        if (atomic_load(&s->retain_ns) < need) atomic_store(&s->retain_ns, need);
    }
    if (i < s->nfaults)
        s->faults[i] = f;
    else if (s->nfaults < EMU_MAX_FAULTS)
        s->faults[s->nfaults++] = f;
    else {
        snprintf(err, errlen, "too many faults (at most %d)", EMU_MAX_FAULTS);
        rc = -1;
    }
    pthread_mutex_unlock(&s->fault_lock);
    return rc;
}

int emu_fault_remove(emu_server *s, const char *kind)
{
    int removed = 0;
    pthread_mutex_lock(&s->fault_lock);
    for (int i = 0; i < s->nfaults;) {
        if (strcmp(emu_fault_kind_name(s->faults[i].kind), kind) == 0) {
            s->faults[i] = s->faults[--s->nfaults];
            removed = 1;
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&s->fault_lock);
    return removed ? 0 : -1;
}

int emu_fault_active(emu_server *s, emu_fault_kind k, emu_fault *out)
{
    int found = 0;
    pthread_mutex_lock(&s->fault_lock);
    for (int i = 0; i < s->nfaults; i++)
        if (s->faults[i].kind == k) {
            *out = s->faults[i];
            found = 1;
            break;
        }
    pthread_mutex_unlock(&s->fault_lock);
    return found;
}

double emu_fault_random(emu_server *s)
{
    pthread_mutex_lock(&s->fault_lock);
    double d = pcg32_double(&s->rng);
    pthread_mutex_unlock(&s->fault_lock);
    return d;
}

static int emu_fault_matches(const emu_fault *f, const char *op)
{
    if (!f->ops[0]) return 1;
    char key[80];
    snprintf(key, sizeof key, "|%s|", op);
    return strstr(f->ops, key) != NULL;
}

double emu_fault_throttle_fraction(emu_server *s, const char *op)
{
    double frac = 0;
    pthread_mutex_lock(&s->fault_lock);
    for (int i = 0; i < s->nfaults; i++)
        if (s->faults[i].kind == EMU_F_THROTTLE && emu_fault_matches(&s->faults[i], op) &&
            s->faults[i].fraction > frac)
            frac = s->faults[i].fraction;
    pthread_mutex_unlock(&s->fault_lock);
    return frac;
}

static int emu_is_data_op(const char *op)
{
    static const char *const data[] = {
        "PutItem", "GetItem",        "UpdateItem",   "DeleteItem",         "Query",
        "Scan",    "BatchWriteItem", "BatchGetItem", "TransactWriteItems", "TransactGetItems"};
    for (size_t i = 0; i < sizeof data / sizeof data[0]; i++)
        if (strcmp(data[i], op) == 0) return 1;
    return 0;
}

int emu_fault_before(emu_server *s, emu_req *r, int *error_after)
{
    *error_after = 0;
    long sleep_ms = 0;
    int throttle = 0, error = 0;
    pthread_mutex_lock(&s->fault_lock);
    for (int i = 0; i < s->nfaults; i++) {
        const emu_fault *f = &s->faults[i];
        if (!emu_fault_matches(f, r->op)) continue;
        if (f->kind == EMU_F_LATENCY) {
            sleep_ms += f->ms;
            if (f->jitter_ms > 0)
                sleep_ms += (long)pcg32_bounded(&s->rng, (uint32_t)f->jitter_ms + 1);
        } else if (f->kind == EMU_F_THROTTLE) {
            /* BatchWriteItem is throttled per request item (UnprocessedItems, items.c). */
            if (strcmp(r->op, "BatchWriteItem") == 0) continue;
            if (pcg32_double(&s->rng) < f->fraction) throttle = 1;
        } else if (f->kind == EMU_F_ERROR) {
            if (pcg32_double(&s->rng) < f->fraction) {
                if (f->after)
                    *error_after = 1;
                else
                    error = 1;
            }
        }
    }
    pthread_mutex_unlock(&s->fault_lock);
    if (sleep_ms > 0) bc_sleep_ns((int64_t)sleep_ms * BC_NS_PER_MS);
    if (throttle) {
        *error_after = 0;
        if (emu_is_data_op(r->op))
            return emu_fail(r, "ProvisionedThroughputExceededException",
                            "The level of configured provisioned throughput for the table was "
                            "exceeded. Consider increasing your provisioning level with the "
                            "UpdateTable API.");
        return emu_fail(r, "ThrottlingException",
                        "Rate of requests exceeds the allowed throughput.");
    }
    if (error) {
        *error_after = 0;
        return emu_fail(r, "InternalServerError", "Internal server error");
    }
    return 0;
}

void emu_fault_backup(emu_server *s, int restore, long *stall_ms, int *fail)
{
    *stall_ms = 0;
    *fail = 0;
    pthread_mutex_lock(&s->fault_lock);
    for (int i = 0; i < s->nfaults; i++) {
        const emu_fault *f = &s->faults[i];
        if (f->kind == (restore ? EMU_F_RESTORE_STALL : EMU_F_BACKUP_STALL)) *stall_ms += f->ms;
        if (f->kind == (restore ? EMU_F_RESTORE_FAIL : EMU_F_BACKUP_FAIL)) *fail = 1;
    }
    pthread_mutex_unlock(&s->fault_lock);
}

int64_t emu_fault_cut_shift(emu_server *s, cJSON *damage)
{
    int64_t shift_ms = 0;
    pthread_mutex_lock(&s->fault_lock);
    for (int i = 0; i < s->nfaults; i++) {
        const emu_fault *f = &s->faults[i];
        if (f->kind == EMU_F_CUT_EARLY) shift_ms -= f->ms;
        if (f->kind == EMU_F_CUT_LATE) shift_ms += f->ms;
    }
    pthread_mutex_unlock(&s->fault_lock);
    if (shift_ms) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "Fault", shift_ms < 0 ? "cut-early" : "cut-late");
        char detail[96];
        snprintf(detail, sizeof detail, "cut moved %+lld ms from the request time",
                 (long long)shift_ms);
        cJSON_AddStringToObject(d, "Detail", detail);
        cJSON_AddNumberToObject(d, "ShiftMs", (double)shift_ms);
        cJSON_AddItemToArray(damage, d);
    }
    return shift_ms * BC_NS_PER_MS;
}
