/*
 * payload.h - payload bytes derived from (seed, key, write id), as YCSB's
 * data-integrity mode does: a checker recomputes the expected payload of any captured
 * item, so a corrupted value or another key's value under this key is caught without
 * storing payloads in the history.
 */
#ifndef BC_PAYLOAD_H
#define BC_PAYLOAD_H
#include <stddef.h>
#include <stdint.h>

/* Writes `len` printable characters ([A-Za-z0-9]) and a NUL into out (len + 1 bytes). */
void bc_payload(uint64_t seed, const char *key, const char *wid, size_t len, char *out);
/* 1 if `s` (length len) is exactly the payload for (seed, key, wid). */
int bc_payload_matches(uint64_t seed, const char *key, const char *wid, const char *s, size_t len);
#endif
