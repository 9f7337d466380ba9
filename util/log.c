/* log.c - leveled logging (see log.h). The level and file are process-wide settings
 * written once at start-up; a mutex keeps lines from interleaving. */
#include "util/log.h"
#include "util/clock.h"

#include <pthread.h>
#include <stdarg.h>

static bc_log_level g_level = BC_LOG_INFO;
static FILE *g_file;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

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
        fprintf(stderr, "backcheck: %s: ", names[level]);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
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
