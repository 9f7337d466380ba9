/*
 * report.c - the report formats' registration table and the two entry points that
 * render them (see report.h). A new format is one renderer and one line in `formats`.
 */
#include "reports/report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reports/internal.h"

static int render_json(const rep_run *run, FILE *out, char *err, size_t errlen)
{
    char *s = cJSON_Print(run->results);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    fputs(s, out);
    fputc('\n', out);
    free(s);
    return ferror(out) ? -1 : 0;
}

typedef struct rep_format {
    const char *name;
    const char *file; /* written by rep_write_all; NULL = not written */
    int (*render)(const rep_run *run, FILE *out, char *err, size_t errlen);
} rep_format;

static const rep_format formats[] = {
    {"html", "report.html", rep_render_html},
    {"md", "report.md", rep_render_md},
    {"junit", "junit.xml", rep_render_junit},
    {"json", NULL, render_json},
};
#define N_FORMATS (sizeof formats / sizeof formats[0])

int rep_render(const char *run_dir, const char *format, FILE *out, char *err, size_t errlen)
{
    const rep_format *fmt = NULL;
    for (size_t i = 0; i < N_FORMATS; i++)
        if (format && !strcmp(format, formats[i].name)) fmt = &formats[i];
    if (!fmt) {
        snprintf(err, errlen, "unknown report format '%s' (html, md, junit, json)",
                 format ? format : "");
        return -1;
    }
    rep_run run;
    if (rep_run_load(run_dir, &run, err, errlen)) return -1;
    int rc = fmt->render(&run, out, err, errlen);
    if (rc && !*err) snprintf(err, errlen, "writing the %s report failed", format);
    rep_run_free(&run);
    return rc;
}

int rep_write_all(const char *run_dir, char *err, size_t errlen)
{
    rep_run run;
    if (rep_run_load(run_dir, &run, err, errlen)) return -1;
    int rc = 0;
    for (size_t i = 0; i < N_FORMATS && rc == 0; i++) {
        if (!formats[i].file) continue;
        /* Written to a temporary name and renamed, so a reader never sees half a report. */
        char path[REP_PATH_MAX + 64], tmp[REP_PATH_MAX + 80];
        snprintf(path, sizeof path, "%s/%s", run.dir, formats[i].file);
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        FILE *f = fopen(tmp, "w");
        if (!f) {
            snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
            rc = -1;
            break;
        }
        err[0] = '\0';
        rc = formats[i].render(&run, f, err, errlen);
        if (fclose(f) != 0 && rc == 0) {
            snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
            rc = -1;
        }
        if (rc == 0 && rename(tmp, path) != 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            rc = -1;
        }
        if (rc) {
            if (!*err) snprintf(err, errlen, "%s: could not be written", path);
            remove(tmp);
        }
    }
    rep_run_free(&run);
    return rc;
}
