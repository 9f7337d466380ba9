/*
 * internal.h - helpers shared by the report renderers (not part of the module's API).
 *
 * A rep_run is a run directory as the reports see it: results.json (required; the
 * verdict and every number come from it) and scenario.json (optional, shown as run).
 * history.jsonl and the snapshots are read only by timeline.c, for pictures.
 */
#ifndef BC_REP_INTERNAL_H
#define BC_REP_INTERNAL_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define REP_PATH_MAX 4096

typedef struct rep_run {
    char dir[REP_PATH_MAX];
    cJSON *results;  /* owned; an object */
    cJSON *scenario; /* owned; NULL when scenario.json is absent */
} rep_run;

/* Loads run_dir/results.json (or run_dir itself when it names a file). 0 or -1 with a
 * message naming the file. */
int rep_run_load(const char *run_dir, rep_run *out, char *err, size_t errlen);
void rep_run_free(rep_run *run);

/* Reads a whole file (NUL-terminated). 0 or -1 with a message naming it. */
int rep_read_file(const char *path, char **out, size_t *len, char *err, size_t errlen);

/* Dotted-path getters ("restore.active_ns"): the default when absent or of another type. */
const cJSON *rep_get(const cJSON *o, const char *path);
double rep_num(const cJSON *o, const char *path, double dflt);
int64_t rep_i64(const cJSON *o, const char *path, int64_t dflt);
const char *rep_str(const cJSON *o, const char *path, const char *dflt);
int rep_has_num(const cJSON *o, const char *path);

/* Escapes for XML/HTML text and attributes (& < > " '; control characters that XML 1.0
 * forbids become U+FFFD) and for Markdown table cells (| and newlines, backticks). */
void rep_xml_escape(FILE *f, const char *s);
void rep_md_cell(FILE *f, const char *s);

/* "12.345 ms", "+1.250 s", "850.0 us": a duration in the unit that reads best. With
 * sign = 1, positive values get a '+'. */
void rep_fmt_ns(int64_t ns, int sign, char *buf, size_t len);
/* "1.5 MiB" (binary units, as DynamoDB counts sizes). */
void rep_fmt_bytes(double bytes, char *buf, size_t len);
/* "12,345" */
void rep_fmt_count(double n, char *buf, size_t len);
/* " over the 30.0 s workload" when results has timings.workload_s (the rate is over the
 * workload, which the run outlasts), else "" (results written before it). */
void rep_fmt_rate_span(const cJSON *results, char *buf, size_t len);

/* The process exit code that goes with a verdict string (DESIGN.md "Exit codes"). */
int rep_verdict_exit(const char *verdict);

/* Which checker a finding belongs to: its "checker" field when the check stage wrote one,
 * else by kind (presence: LOST FUTURE RESURRECTED; phantom: PHANTOM PHANTOM_FAIL;
 * order: ORDER; transactions: TORN_TXN; invariant: INVARIANT; schema: SCHEMA). */
const char *rep_finding_checker(const cJSON *finding);
/* The checkers a backup was held to: backups[].checkers (array of names, or of objects
 * with "name") when present, else the default list above. Returns the count; names are
 * borrowed from the results or static. */
int rep_backup_checkers(const cJSON *backup, const char **names, int max);
#define REP_MAX_CHECKERS 16

/* Every checked target of a run in order: backups[], then pitr[] (point-in-time
 * restores, same shape). A nested loop: do not `break` out of it. */
#define REP_FOR_EACH_TARGET(results, t)                                                            \
    for (int rep_arr_ = 0; rep_arr_ < 2; rep_arr_++)                                               \
    cJSON_ArrayForEach(t, rep_get(results, rep_arr_ ? "pitr" : "backups"))

/* Why a target or the source was not checked (status "skipped"/"FAILED"/"TIMEOUT" with
 * "note", "skipped" or "error"), or NULL. */
const char *rep_not_checked_reason(const cJSON *target);

/* The run in numbers, for headers: results "summary" when the check stage wrote one (its
 * counts cover every finding, listed or not, and the source's), else counted from the
 * listed findings. backups and pitr count the entries of backups[] and pitr[]. */
typedef struct rep_summary {
    int backups, pitr, exercised, unchecked, checked;
    long violations, observations;
} rep_summary;
void rep_summary_of(const cJSON *results, rep_summary *out);

/* The endpoint worth showing, or NULL: the embedded emulator listens on a loopback port
 * picked at run time, which says nothing about the run (and differs every time). */
const char *rep_target_endpoint(const cJSON *target);

/* The instant a target's times are shown against: R (request_ns) for a backup, the
 * requested restore time (pitr_time_ns) for a point-in-time restore; 0 when unknown. */
int64_t rep_target_ref_ns(const cJSON *target);
/* 1 for a point-in-time restore entry (pitr[]). */
int rep_target_is_pitr(const cJSON *target);

/* 1 when the finding is a violation ("severity", default violation for safety). */
int rep_finding_is_violation(const cJSON *finding);

/* Guarantee window of the run: results "guarantee": {"before_s","after_s"} when present,
 * else from the profile name (aws-documented 60 s each side, strict 0). */
void rep_guarantee_ns(const cJSON *results, int64_t *before, int64_t *after);

/* The cost lines of a run: costs.breakdown when the check stage wrote one, else the
 * built-in prices applied to costs' quantities if their region and date match the ones the
 * check stage used (*recomputed = 1). total is always costs.usd. 0, or -1 when neither. */
struct rep_cost;
int rep_costs_of(const cJSON *results, struct rep_cost *out, int *recomputed);

/* Renderers (one per format; report.c holds the table). */
int rep_render_md(const rep_run *run, FILE *out, char *err, size_t errlen);
int rep_render_junit(const rep_run *run, FILE *out, char *err, size_t errlen);
int rep_render_html(const rep_run *run, FILE *out, char *err, size_t errlen);
#endif
