/*
 * registry.c - the table of workloads. Adding a workload is one file filling a wl_ops and
 * one line here.
 */
#include "workloads/wl_internal.h"

#include <string.h>

const wl_ops *const wl_registry[] = {
    &wl_insert_ops, &wl_register_ops, &wl_append_ops, &wl_delete_ops, &wl_txn_ops,
    &wl_bank_ops,   &wl_batch_ops,    &wl_large_ops,  NULL,
};

const wl_ops *wl_find(const char *name)
{
    for (const wl_ops *const *o = wl_registry; *o; o++)
        if (strcmp((*o)->name, name) == 0) return *o;
    return NULL;
}
