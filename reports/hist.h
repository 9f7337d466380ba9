/*
 * hist.h - a log-linear latency histogram (in the spirit of HdrHistogram): values from
 * REP_HIST_MIN_NS (1 us) to REP_HIST_MAX_NS (100 s) are kept to two significant decimal
 * digits, in a fixed array of counters, so recording is O(1), merging is adding arrays
 * and any percentile can be read afterwards.
 *
 * Layout: each decade [10^d, 10^(d+1)) ns for d = 3 .. 10 is split into 90 linear
 * buckets of width 10^(d-1) (values 10..99 x 10^(d-1)), so a bucket's width is at most
 * 10% of its lower bound and a reported percentile (the bucket's midpoint) is within 5%
 * of the true value. Values under 1 us count in the first bucket, values over 100 s in
 * an overflow bucket; min, max, count and sum are kept exactly. 721 counters (~5.8 KB).
 *
 * Not thread-safe: one histogram per thread (or per time bucket), merged afterwards.
 * Used for the per-second latency percentiles of report.html; usable by anyone who needs
 * p50/p99 of nanosecond durations.
 */
#ifndef BC_REP_HIST_H
#define BC_REP_HIST_H
#include <stdint.h>

#define REP_HIST_MIN_NS 1000LL         /* 1 us: smallest value kept exactly to 2 digits */
#define REP_HIST_MAX_NS 100000000000LL /* 100 s: larger values count as overflow */
#define REP_HIST_DECADES 8             /* 1e3 .. 1e11 ns */
#define REP_HIST_PER_DECADE 90         /* mantissas 10 .. 99 */
#define REP_HIST_BUCKETS (REP_HIST_DECADES * REP_HIST_PER_DECADE + 1) /* + overflow */

typedef struct rep_hist {
    uint64_t counts[REP_HIST_BUCKETS];
    uint64_t count;
    int64_t min, max; /* exact; valid when count > 0 */
    double sum;
} rep_hist;

/* Heap allocation and release of an empty histogram (rep_hist_init for one you own). */
int rep_hist_new(rep_hist **out);
void rep_hist_free(rep_hist *h);
void rep_hist_init(rep_hist *h);

/* Records one value in nanoseconds (negative values count as 0). */
void rep_hist_record(rep_hist *h, int64_t ns);
/* Adds src's counts into dst. */
void rep_hist_merge(rep_hist *dst, const rep_hist *src);
/* The value at percentile pct (0..100): the midpoint of the bucket holding that rank,
 * clamped to [min, max]; 100 gives max exactly. 0 for an empty histogram. */
int64_t rep_hist_percentile(const rep_hist *h, double pct);
double rep_hist_mean(const rep_hist *h);
#endif
