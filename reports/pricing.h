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
    char as_of[16];         /* "YYYY-MM-DD" */
    double wru_per_million; /* on-demand write request units */
    double rru_per_million;
    double backup_gb_month; /* on-demand backup storage */
    double restore_gb;      /* per GB restored */
    double pitr_gb_month;
    double storage_gb_month;
} rep_pricing;

typedef struct rep_usage {
    double wru, rru;      /* consumed request units */
    double backup_bytes;  /* summed over backups */
    double backup_days;   /* how long backups are kept before deletion */
    double restore_bytes; /* summed over restores */
    double pitr_bytes;    /* table size while PITR is on */
    double pitr_days;
} rep_usage;

typedef struct rep_cost {
    double writes, reads, backup_storage, restores, pitr, total;
} rep_cost;

/* path NULL = the built-in file. Fills the region's prices. 0 or -1 with a message. */
int rep_pricing_load(const char *path, const char *region, rep_pricing *out, char *err,
                     size_t errlen);
/* Dollars for u at prices p. Sizes are binary: 1 GB = 2^30 bytes (REP_BYTES_PER_GB;
 * "All size measurements in DynamoDB use binary-based units", AWS-FACTS.md 4.3). Storage
 * is priced per GB-month and prorated by days over a month of REP_DAYS_PER_MONTH. */
void rep_cost_estimate(const rep_pricing *p, const rep_usage *u, rep_cost *out);

/* DynamoDB's documented unit sizes (AWS-FACTS.md 5.1): a write unit covers 1 KB, a read
 * unit 4 KB, 1 KB = 1024 bytes; sizes are rounded up to the next unit, minimum one. */
#define REP_BYTES_PER_KB 1024.0
#define REP_WRU_ITEM_BYTES (1 * REP_BYTES_PER_KB)
#define REP_RRU_ITEM_BYTES (4 * REP_BYTES_PER_KB)
#define REP_BYTES_PER_GB 1073741824.0 /* 2^30 */
/* AWS prices monthly storage over 730 hours (the figure behind the hourly/monthly prices
 * in AWS-FACTS.md 4.1): 730 / 24 days. */
#define REP_DAYS_PER_MONTH (730.0 / 24.0)

typedef enum rep_read_kind {
    REP_READ_EVENTUAL = 0, /* 0.5 unit per 4 KB (the default) */
    REP_READ_STRONG,       /* 1 unit per 4 KB */
    REP_READ_TRANSACTIONAL /* 2 units per 4 KB */
} rep_read_kind;

/* Write request units for writing one item of item_bytes (the larger of old and new for
 * puts and updates): ceil(bytes / 1 KB), at least 1; doubled when transactional
 * ("a transactional write request of a 3 KB item requires six write request units"). */
double rep_wru_for_write(double item_bytes, int transactional);
/* Read request units for reading one item of item_bytes: ceil(bytes / 4 KB), at least 1,
 * times 0.5 / 1 / 2 for eventual / strong / transactional reads. */
double rep_rru_for_read(double item_bytes, rep_read_kind kind);
#endif
