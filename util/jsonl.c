/* jsonl.c - JSON Lines reader tolerant of a torn last line (see jsonl.h). */
#include "util/jsonl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int jsonl_read(const char *path, int missing_ok, jsonl_fn fn, void *arg, jsonl_stats *stats,
               char *err, size_t errlen)
{
    jsonl_stats local = {0, 0};
    if (!stats) stats = &local;
    memset(stats, 0, sizeof *stats);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (missing_ok && errno == ENOENT) return 0;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    int rc = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        int complete = n > 0 && line[n - 1] == '\n';
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0) continue;
        cJSON *v = cJSON_ParseWithLength(line, (size_t)n);
        if (!v) {
            /* Only the very last line may be torn (a killed writer). */
            int c = fgetc(f);
            if (c == EOF) {
                stats->partial_last = 1;
                break;
            }
            snprintf(err, errlen, "%s:%ld: not valid JSON", path, lineno);
            rc = -1;
            break;
        }
        if (!complete) {
            /* Valid JSON but no newline: the writer may have been cut mid-number.
             * Accept it only if it parsed as an object (a torn object never parses). */
            if (!cJSON_IsObject(v)) {
                cJSON_Delete(v);
                stats->partial_last = 1;
                break;
            }
        }
        stats->lines++;
        rc = fn ? fn(v, lineno, arg) : 0;
        cJSON_Delete(v);
        if (rc) break;
    }
    free(line);
    fclose(f);
    return rc;
}

int bc_json_ns(const cJSON *v, long long *out)
{
    if (cJSON_IsString(v) && v->valuestring[0]) {
        char *end;
        errno = 0;
        long long x = strtoll(v->valuestring, &end, 10);
        if (errno || *end) return -1;
        *out = x;
        return 0;
    }
    if (cJSON_IsNumber(v)) {
        *out = (long long)llround(v->valuedouble);
        return 0;
    }
    return -1;
}

int jsonl_write(FILE *f, const cJSON *value)
{
    char *s = cJSON_PrintUnformatted(value);
    if (!s) return -1;
    int rc = fputs(s, f) < 0 || fputc('\n', f) == EOF ? -1 : 0;
    free(s);
    return rc;
}
