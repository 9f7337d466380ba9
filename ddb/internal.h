/*
 * internal.h - helpers shared by the ddb module's own files (not part of its API):
 * a growable byte buffer used to build canonical requests, URLs and bodies.
 */
#ifndef BC_DDB_INTERNAL_H
#define BC_DDB_INTERNAL_H
#include <stddef.h>

typedef struct ddb_buf {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    int oom; /* sticky: set when an allocation failed */
} ddb_buf;

void ddb_buf_init(ddb_buf *b);
void ddb_buf_free(ddb_buf *b);
/* Room for extra more bytes and a NUL; -1 (and oom set) if it cannot grow. */
int ddb_buf_reserve(ddb_buf *b, size_t extra);
void ddb_buf_append(ddb_buf *b, const void *data, size_t len);
void ddb_buf_puts(ddb_buf *b, const char *s);
void ddb_buf_putc(ddb_buf *b, char c);
/* ddb_buf_putc for loops that write a byte at a time (canonical requests are built
 * that way for every signed request): the common case, room already there, inline. */
static inline void ddb_buf_putc_fast(ddb_buf *b, char c)
{
    if (b->len + 2 <= b->cap && !b->oom) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return;
    }
    ddb_buf_putc(b, c);
}
void ddb_buf_printf(ddb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the NUL-terminated contents to the caller (NULL after an allocation failure). */
char *ddb_buf_take(ddb_buf *b);

/* Writes "..." truncation-safely into err (ignored when err is NULL or errlen is 0). */
void ddb_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#endif
