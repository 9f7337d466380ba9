/*
 * log.h - leveled logging to stderr (and optionally a run's log.txt).
 *
 * Never pass a secret to these functions: credentials are only ever logged as
 * "AKID...(redacted)" by the ddb module's own helpers.
 */
#ifndef BC_LOG_H
#define BC_LOG_H
#include <stdio.h>

typedef enum { BC_LOG_ERROR = 0, BC_LOG_WARN, BC_LOG_INFO, BC_LOG_DEBUG } bc_log_level;

void bc_log_set_level(bc_log_level level);
bc_log_level bc_log_get_level(void);
/* Also copy every message to f (e.g. the run's log.txt); NULL to stop. */
void bc_log_set_file(FILE *f);
void bc_log(bc_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Shows `line` as a status line rewritten in place at the bottom of a terminal (a run's
 * progress line). While one is shown, each message bc_log writes to stderr first blanks
 * it and then draws it again below the message, so the two never share a line. NULL or
 * "" blanks it and shows none. Call it only when stderr is a terminal. */
void bc_log_status(const char *line);

#define bc_error(...) bc_log(BC_LOG_ERROR, __VA_ARGS__)
#define bc_warn(...) bc_log(BC_LOG_WARN, __VA_ARGS__)
#define bc_info(...) bc_log(BC_LOG_INFO, __VA_ARGS__)
#define bc_debug(...) bc_log(BC_LOG_DEBUG, __VA_ARGS__)
#endif
