/*
 * pitr.c - the `pitr` checker: a point-in-time restore at T must hold every write
 * completed before T and none invoked after T. AWS documents PITR at "per second
 * granularity" (AWS-FACTS.md 3.2), so T is taken truncated to the second: writes
 * completed before floor(T) must be present, writes invoked at or after floor(T) + 1 s
 * must be absent, and writes inside that second form the window. The precision used is
 * stated in the result. The classification itself is the capture/keys/txn checkers'.
 */
#include "checkers/chk_internal.h"

#include <stdio.h>

/* "restore to any second within the recovery period" (AWS-FACTS.md 3.2). */
#define CHK_PITR_PRECISION_NS 1000000000LL

static int pitr_bounds(chk_run *run, chk_target *t, char *err, size_t errlen)
{
    (void)run;
    int64_t T = chk_json_i64(t->restore, "pitr_time_ns", 0);
    if (T <= 0) {
        snprintf(err, errlen, "restore %s: no pitr_time_ns", t->id);
        return -1;
    }
    t->precision_ns = CHK_PITR_PRECISION_NS;
    t->r = T - T % CHK_PITR_PRECISION_NS;
    t->a = t->r + CHK_PITR_PRECISION_NS - 1;
    t->before = t->after = 0;
    return 0;
}

static int pitr_check(chk_run *run, chk_target *t, char *err, size_t errlen)
{
    (void)run;
    (void)err;
    (void)errlen;
    cJSON *p = cJSON_AddObjectToObject(t->extra, "pitr");
    chk_json_add_i64(p, "pitr_time_ns", chk_json_i64(t->restore, "pitr_time_ns", 0));
    chk_json_add_i64(p, "truncated_ns", t->r);
    chk_json_add_i64(p, "precision_ns", t->precision_ns);
    cJSON_AddStringToObject(p, "rule",
                            "must be present: completed before truncated_ns; must be absent: "
                            "invoked at or after truncated_ns + precision_ns");
    return 0;
}

const chk_ops chk_pitr_ops = {
    .name = "pitr",
    .help = "point-in-time restores hold exactly the writes before T (1 s precision)",
    .targets = CHK_T_PITR,
    .bounds = pitr_bounds,
    .check = pitr_check,
};
