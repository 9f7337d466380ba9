/*
 * clock.h - the one clock every module uses.
 *
 * History instants are CLOCK_REALTIME nanoseconds so that they compare with the
 * server's BackupCreationDateTime and with the embedded emulator's commit timestamps
 * (which come from this same function). Durations use CLOCK_MONOTONIC.
 */
#ifndef BC_CLOCK_H
#define BC_CLOCK_H
#include <stdint.h>

#define BC_NS_PER_S 1000000000LL
#define BC_NS_PER_MS 1000000LL

int64_t bc_now_ns(void);  /* CLOCK_REALTIME, ns since the epoch */
int64_t bc_mono_ns(void); /* CLOCK_MONOTONIC, ns */
void bc_sleep_ns(int64_t ns);
/* Formats ns since the epoch as "2026-11-25T13:27:05.123Z" into buf (>= 32 bytes). */
char *bc_fmt_iso(int64_t ns, char *buf, int len);
/* Formats as "20261125T132705Z" (run directory names, SigV4 X-Amz-Date). */
char *bc_fmt_compact(int64_t ns, char *buf, int len);
#endif
