/*
 * registry.c - the checkers, in the order they run on each target. Adding a checker is
 * one file filling a chk_ops and one line here.
 */
#include "checkers/chk_internal.h"

#include <string.h>

const chk_ops *const chk_registry[] = {
    &chk_pitr_ops,    /* bounds for PITR targets */
    &chk_source_ops,  /* bounds for the source table */
    &chk_capture_ops, /* classification, counts and the cut */
    &chk_keys_ops,    &chk_txn_ops, &chk_schema_ops, NULL,
};

const chk_ops *chk_find(const char *name)
{
    for (int i = 0; chk_registry[i]; i++)
        if (strcmp(chk_registry[i]->name, name) == 0) return chk_registry[i];
    return NULL;
}
