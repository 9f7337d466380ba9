/*
 * buf.c - the growable byte buffer of internal.h and the error-message helper.
 */
#include "ddb/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ddb_buf_init(ddb_buf *b)
{
    memset(b, 0, sizeof(*b));
}

void ddb_buf_free(ddb_buf *b)
{
    free(b->data);
    ddb_buf_init(b);
}

int ddb_buf_reserve(ddb_buf *b, size_t extra)
{
    if (b->oom) return -1;
    if (b->len + extra + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void ddb_buf_append(ddb_buf *b, const void *data, size_t len)
{
    if (ddb_buf_reserve(b, len) != 0) return;
    if (len) memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void ddb_buf_puts(ddb_buf *b, const char *s)
{
    ddb_buf_append(b, s, strlen(s));
}

void ddb_buf_putc(ddb_buf *b, char c)
{
    ddb_buf_append(b, &c, 1);
}

void ddb_buf_printf(ddb_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || ddb_buf_reserve(b, (size_t)n) != 0) return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *ddb_buf_take(ddb_buf *b)
{
    if (b->oom) {
        ddb_buf_free(b);
        return NULL;
    }
    if (!b->data) ddb_buf_append(b, "", 0);
    char *p = b->oom ? NULL : b->data;
    if (!p) free(b->data);
    ddb_buf_init(b);
    return p;
}

void ddb_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
