/*
 * source.c - the `source` checker: the source table, scanned once after the restores
 * (snapshots/source.jsonl), is held to the history like a backup cut after the last
 * write: every acknowledged write present, no phantom. A loss in the live table is then
 * never blamed on a backup, and a restore that touched the source shows (DESIGN.md "The
 * source table and availability").
 */
#include "checkers/chk_internal.h"

static int source_bounds(chk_run *run, chk_target *t, char *err, size_t errlen)
{
    (void)run;
    (void)err;
    (void)errlen;
    t->r = t->a = CHK_NS_POS_INF;
    t->before = t->after = 0;
    return 0;
}

static int source_check(chk_run *run, chk_target *t, char *err, size_t errlen)
{
    (void)run;
    (void)err;
    (void)errlen;
    cJSON_AddStringToObject(t->extra, "rule",
                            "every acknowledged write present (a cut after the last write)");
    return 0;
}

const chk_ops chk_source_ops = {
    .name = "source",
    .help = "the source table keeps every acknowledged write after the backups and restores",
    .targets = CHK_T_SOURCE,
    .bounds = source_bounds,
    .check = source_check,
};
