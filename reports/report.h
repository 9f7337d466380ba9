/*
 * report.h - reports rendered from a run's results.json (plus history.jsonl for plots):
 * report.html (self-contained, inline SVG), report.md, junit.xml. Reports never
 * recompute a verdict.
 */
#ifndef BC_REPORT_H
#define BC_REPORT_H
#include <stdio.h>

/* Renders one format ("html", "md", "junit", "json") of run_dir to out. 0 or -1. */
int rep_render(const char *run_dir, const char *format, FILE *out, char *err, size_t errlen);
/* Writes report.html, report.md and junit.xml into run_dir. 0 or -1. */
int rep_write_all(const char *run_dir, char *err, size_t errlen);
/* `backcheck compare RUN_DIR...` (argv after the command name). Returns the exit code:
 * 0 no regression, 1 a regression, 2 usage/input error. */
int rep_compare_main(int argc, char **argv);
#endif
