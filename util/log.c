/* log.c - leveled logging (see log.h). The level and file are process-wide settings
 * written once at start-up; a mutex keeps lines from interleaving. */
#include "util/log.h"
#include "util/clock.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bc_log_level g_level = BC_LOG_INFO;
static FILE *g_file;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
/* The status line shown on the terminal (bc_log_status), "" when none. */
#define BC_LOG_STATUS_MAX 256
static char g_status[BC_LOG_STATUS_MAX];

/* Overwrites the shown status line with spaces and returns to its start (plain
 * carriage return and spaces: works on any terminal). Called with g_lock held. */
static void blank_status(void)
{
    if (g_status[0]) fprintf(stderr, "\r%*s\r", (int)strlen(g_status), "");
}

void bc_log_status(const char *line)
{
    pthread_mutex_lock(&g_lock);
    blank_status();
    snprintf(g_status, sizeof g_status, "%s", line ? line : "");
    if (g_status[0]) fputs(g_status, stderr);
    fflush(stderr);
    pthread_mutex_unlock(&g_lock);
}

void bc_log_set_level(bc_log_level level)
{
    g_level = level;
}
bc_log_level bc_log_get_level(void)
{
    return g_level;
}
void bc_log_set_file(FILE *f)
{
    pthread_mutex_lock(&g_lock);
    g_file = f;
    pthread_mutex_unlock(&g_lock);
}

void bc_log(bc_log_level level, const char *fmt, ...)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    char ts[40];
    bc_fmt_iso(bc_now_ns(), ts, sizeof ts);
    pthread_mutex_lock(&g_lock);
    va_list ap;
    if (level <= g_level) {
        blank_status();
        fprintf(stderr, "backcheck: %s: ", names[level]);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        if (g_status[0]) fputs(g_status, stderr);
    }
    if (g_file) {
        fprintf(g_file, "%s %s ", ts, names[level]);
        va_start(ap, fmt);
        vfprintf(g_file, fmt, ap);
        va_end(ap);
        fputc('\n', g_file);
        fflush(g_file);
    }
    pthread_mutex_unlock(&g_lock);
}
