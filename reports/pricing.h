/*
 * pricing.h - dollar estimates from a dated pricing file (reports/pricing.json, built
 * into the binary; each price carries its sources and the date it was read). Used by the
 * check stage (costs in results.json) and by the AWS budget guard (pre-run estimate).
 */
#ifndef BC_PRICING_H
#define BC_PRICING_H
#include <stddef.h>

typedef struct rep_pricing {
    char region[32];
    char as_of[16];           /* "YYYY-MM-DD" */
    double wru_per_million;   /* on-demand write request units */
    double rru_per_million;
    double backup_gb_month;   /* on-demand backup storage */
    double restore_gb;        /* per GB restored */
    double pitr_gb_month;
    double storage_gb_month;
} rep_pricing;

typedef struct rep_usage {
    double wru, rru;          /* consumed request units */
    double backup_bytes;      /* summed over backups */
    double backup_days;       /* how long backups are kept before deletion */
    double restore_bytes;     /* summed over restores */
    double pitr_bytes;        /* table size while PITR is on */
    double pitr_days;
} rep_usage;

typedef struct rep_cost {
    double writes, reads, backup_storage, restores, pitr, total;
} rep_cost;

/* path NULL = the built-in file. Fills the region's prices. 0 or -1 with a message. */
int rep_pricing_load(const char *path, const char *region, rep_pricing *out, char *err,
                     size_t errlen);
void rep_cost_estimate(const rep_pricing *p, const rep_usage *u, rep_cost *out);
#endif
