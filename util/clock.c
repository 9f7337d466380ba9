/* clock.c - realtime/monotonic clocks and timestamp formatting (see clock.h). */
#include "util/clock.h"

#include <stdio.h>
#include <time.h>

int64_t bc_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * BC_NS_PER_S + ts.tv_nsec;
}

int64_t bc_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * BC_NS_PER_S + ts.tv_nsec;
}

void bc_sleep_ns(int64_t ns)
{
    if (ns <= 0) return;
    struct timespec ts = {.tv_sec = ns / BC_NS_PER_S, .tv_nsec = ns % BC_NS_PER_S};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

char *bc_fmt_iso(int64_t ns, char *buf, int len)
{
    time_t s = (time_t)(ns / BC_NS_PER_S);
    struct tm tm;
    gmtime_r(&s, &tm);
    snprintf(buf, (size_t)len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)((ns % BC_NS_PER_S) / BC_NS_PER_MS));
    return buf;
}

char *bc_fmt_compact(int64_t ns, char *buf, int len)
{
    time_t s = (time_t)(ns / BC_NS_PER_S);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, (size_t)len, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}
