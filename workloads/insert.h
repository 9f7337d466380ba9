/*
 * insert.h - the PutItem request of the insert workload (and of "large" and "delete",
 * which share wl_insert_one) written as JSON text: built for every operation, it is
 * written directly rather than as a cJSON tree printed and freed per request.
 */
#ifndef BC_WL_INSERT_H
#define BC_WL_INSERT_H
#include <stddef.h>

#include "workloads/workload.h"

/* Writes the request that puts item {hash key: key, wid, ver, pay (when the spec has
 * item_bytes)} into table w->table unless an item with that key exists: the bytes that
 * cJSON_PrintUnformatted prints for the same request tree, members in the same order.
 * Uses *buf (capacity *cap) when it is large enough, else replaces it with a malloc'd
 * buffer the caller frees (*buf no longer being its own). 0, or -1 out of memory. */
int wl_insert_request_text(const wl_worker *w, const char *key, const char *wid, char **buf,
                           size_t *cap, size_t *len);
#endif
