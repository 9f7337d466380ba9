/* hist.c - log-linear latency histogram, two significant digits (see hist.h). */
#include "reports/hist.h"

#include <stdlib.h>
#include <string.h>

/* 10^(d-1) for decade d = 3 .. 10: the bucket width in that decade. */
static const int64_t bucket_width[REP_HIST_DECADES] = {
    100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL, 1000000000LL};

int rep_hist_new(rep_hist **out)
{
    *out = malloc(sizeof **out);
    if (!*out) return -1;
    rep_hist_init(*out);
    return 0;
}

void rep_hist_free(rep_hist *h)
{
    free(h);
}

void rep_hist_init(rep_hist *h)
{
    memset(h, 0, sizeof *h);
}

static int bucket_of(int64_t v)
{
    if (v < REP_HIST_MIN_NS) return 0;
    if (v >= REP_HIST_MAX_NS) return REP_HIST_BUCKETS - 1;
    int d = 0;
    while (d + 1 < REP_HIST_DECADES && v >= bucket_width[d + 1] * 10)
        d++;
    int mant = (int)(v / bucket_width[d]); /* 10 .. 99 */
    return d * REP_HIST_PER_DECADE + (mant - 10);
}

/* Midpoint of bucket i (the overflow bucket reports REP_HIST_MAX_NS). */
static int64_t bucket_mid(int i)
{
    if (i >= REP_HIST_BUCKETS - 1) return REP_HIST_MAX_NS;
    int d = i / REP_HIST_PER_DECADE, mant = 10 + i % REP_HIST_PER_DECADE;
    return mant * bucket_width[d] + bucket_width[d] / 2;
}

void rep_hist_record(rep_hist *h, int64_t ns)
{
    if (ns < 0) ns = 0;
    h->counts[bucket_of(ns)]++;
    if (h->count == 0 || ns < h->min) h->min = ns;
    if (h->count == 0 || ns > h->max) h->max = ns;
    h->count++;
    h->sum += (double)ns;
}

void rep_hist_merge(rep_hist *dst, const rep_hist *src)
{
    if (src->count == 0) return;
    for (int i = 0; i < REP_HIST_BUCKETS; i++)
        dst->counts[i] += src->counts[i];
    if (dst->count == 0 || src->min < dst->min) dst->min = src->min;
    if (dst->count == 0 || src->max > dst->max) dst->max = src->max;
    dst->count += src->count;
    dst->sum += src->sum;
}

int64_t rep_hist_percentile(const rep_hist *h, double pct)
{
    if (h->count == 0) return 0;
    if (pct >= 100) return h->max;
    if (pct <= 0) return h->min;
    /* The rank of the percentile, 1-based, rounded up (nearest-rank method). */
    uint64_t rank = (uint64_t)(pct / 100.0 * (double)h->count);
    if ((double)rank < pct / 100.0 * (double)h->count) rank++;
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (int i = 0; i < REP_HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            int64_t v = bucket_mid(i);
            return v < h->min ? h->min : v > h->max ? h->max : v;
        }
    }
    return h->max;
}

double rep_hist_mean(const rep_hist *h)
{
    return h->count ? h->sum / (double)h->count : 0;
}
