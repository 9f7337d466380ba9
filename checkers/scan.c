/*
 * scan.c - reading the run directory's JSON lines fast and exactly.
 *
 * Two paths read every line kind the checkers need (history op lines, snapshot items):
 *  - a purpose-built scanner for the lines as the journal and the scanner write them: no
 *    allocation, no tree, about ten times faster than building a cJSON tree per line,
 *    which is what lets a 10M-op history be checked in seconds;
 *  - a general path through chk_json_parse for anything else (escaped strings, members in
 *    unusual shapes). The fast path answers "not mine" rather than guess.
 * chk_json_parse exists because cJSON holds numbers as doubles, which cannot represent a
 * nanosecond instant (about 1.7e18 > 2^53) exactly; it keeps such integers as raw text.
 */
#include "checkers/chk_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ---------------------------------------------------------------- small helpers */

int chk_parse_wid(const char *s, size_t len, uint64_t *out)
{
    size_t i = 0;
    uint64_t w = 0, q = 0;
    if (len == 0 || s[0] < '0' || s[0] > '9') return -1;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        w = w * 10 + (uint64_t)(s[i] - '0');
        if (w > CHK_WID_MAX_WORKER) return -1;
        i++;
    }
    if (i >= len || s[i] != '.') return -1;
    i++;
    if (i >= len) return -1;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        q = q * 10 + (uint64_t)(s[i] - '0');
        if (q > CHK_WID_SEQ_MASK) return -1;
    }
    *out = CHK_WID(w, q);
    return 0;
}

void chk_fmt_wid(uint64_t wid, char out[32])
{
    snprintf(out, 32, "%d.%llu", CHK_WID_WORKER(wid), (unsigned long long)CHK_WID_SEQ(wid));
}

static int str_is(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    return n == len && memcmp(s, lit, n) == 0;
}

int chk_wkind_parse(const char *s, size_t len)
{
    if (str_is(s, len, "put")) return CHK_W_PUT;
    if (str_is(s, len, "update")) return CHK_W_UPDATE;
    if (str_is(s, len, "append")) return CHK_W_APPEND;
    if (str_is(s, len, "delete")) return CHK_W_DELETE;
    if (str_is(s, len, "add")) return CHK_W_ADD;
    return -1;
}

int chk_outcome_parse(const char *s, size_t len)
{
    if (str_is(s, len, "ok")) return CHK_O_OK;
    if (str_is(s, len, "fail")) return CHK_O_FAIL;
    if (str_is(s, len, "info")) return CHK_O_INFO;
    return -1;
}

/* DynamoDB's throttling error names (AWS-FACTS.md 1.6 and the API's common errors). */
int chk_is_throttle_name(const char *s, size_t len)
{
    static const char *const names[] = {"ProvisionedThroughputExceededException",
                                        "ThrottlingException", "RequestLimitExceeded", "Throttling",
                                        "ThrottledException"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (str_is(s, len, names[i])) return 1;
    return 0;
}

/* ---------------------------------------------------------------- exact JSON parser */

typedef struct jp {
    const char *s, *e;
    int depth;
} jp;

#define CHK_JSON_MAX_DEPTH 64 /* nesting far beyond any run file; bounds recursion */

static void jp_ws(jp *p)
{
    while (p->s < p->e && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
        p->s++;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Parses a string at p->s (on the opening quote) into a malloc'd NUL-terminated buffer. */
static char *jp_string(jp *p)
{
    if (p->s >= p->e || *p->s != '"') return NULL;
    p->s++;
    const char *start = p->s;
    while (p->s < p->e && *p->s != '"') {
        if (*p->s == '\\') p->s++;
        p->s++;
    }
    if (p->s >= p->e) return NULL;
    size_t n = (size_t)(p->s - start);
    char *out = malloc(n + 1);
    if (!out) return NULL;
    char *o = out;
    for (const char *c = start; c < p->s; c++) {
        if ((unsigned char)*c < 0x20) {
            free(out);
            return NULL;
        }
        if (*c != '\\') {
            *o++ = *c;
            continue;
        }
        c++;
        switch (*c) {
        case '"':
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '/':
            *o++ = '/';
            break;
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u': {
            unsigned cp = 0;
            for (int i = 1; i <= 4; i++) {
                int h = c + i < p->s ? hexval(c[i]) : -1;
                if (h < 0) {
                    free(out);
                    return NULL;
                }
                cp = cp * 16 + (unsigned)h;
            }
            c += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && c + 6 < p->s && c[1] == '\\' && c[2] == 'u') {
                unsigned lo = 0;
                int okh = 1;
                for (int i = 3; i <= 6; i++) {
                    int h = hexval(c[i]);
                    if (h < 0) okh = 0;
                    lo = lo * 16 + (unsigned)(h < 0 ? 0 : h);
                }
                if (okh && lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    c += 6;
                }
            }
            /* \uXXXX (6 bytes) or a surrogate pair (12) always encode to fewer bytes. */
            o += put_utf8(o, cp);
            break;
        }
        default:
            free(out);
            return NULL;
        }
    }
    *o = '\0';
    p->s++;
    return out;
}

static cJSON *jp_value(jp *p);

static cJSON *jp_number(jp *p)
{
    const char *start = p->s;
    int is_int = 1;
    if (p->s < p->e && *p->s == '-') p->s++;
    if (p->s >= p->e || *p->s < '0' || *p->s > '9') return NULL;
    while (p->s < p->e && *p->s >= '0' && *p->s <= '9')
        p->s++;
    if (p->s < p->e && *p->s == '.') {
        is_int = 0;
        p->s++;
        if (p->s >= p->e || *p->s < '0' || *p->s > '9') return NULL;
        while (p->s < p->e && *p->s >= '0' && *p->s <= '9')
            p->s++;
    }
    if (p->s < p->e && (*p->s == 'e' || *p->s == 'E')) {
        is_int = 0;
        p->s++;
        if (p->s < p->e && (*p->s == '+' || *p->s == '-')) p->s++;
        if (p->s >= p->e || *p->s < '0' || *p->s > '9') return NULL;
        while (p->s < p->e && *p->s >= '0' && *p->s <= '9')
            p->s++;
    }
    size_t n = (size_t)(p->s - start);
    char buf[64];
    if (n >= sizeof buf) return NULL;
    memcpy(buf, start, n);
    buf[n] = '\0';
    /* 2^53: the largest range in which a double holds every integer exactly. */
    if (is_int && n > 15) {
        errno = 0;
        long long v = strtoll(buf, NULL, 10);
        if (errno == 0 && (v > (1LL << 53) || v < -(1LL << 53))) return cJSON_CreateRaw(buf);
    }
    return cJSON_CreateNumber(strtod(buf, NULL));
}

static int jp_lit(jp *p, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(p->e - p->s) < n || memcmp(p->s, lit, n) != 0) return 0;
    p->s += n;
    return 1;
}

static cJSON *jp_value(jp *p)
{
    jp_ws(p);
    if (p->s >= p->e) return NULL;
    char c = *p->s;
    if (c == '{' || c == '[') {
        if (++p->depth > CHK_JSON_MAX_DEPTH) return NULL;
        int obj = c == '{';
        cJSON *v = obj ? cJSON_CreateObject() : cJSON_CreateArray();
        p->s++;
        jp_ws(p);
        if (p->s < p->e && *p->s == (obj ? '}' : ']')) {
            p->s++;
            p->depth--;
            return v;
        }
        for (;;) {
            char *name = NULL;
            jp_ws(p);
            if (obj) {
                name = jp_string(p);
                jp_ws(p);
                if (!name || p->s >= p->e || *p->s != ':') {
                    free(name);
                    cJSON_Delete(v);
                    return NULL;
                }
                p->s++;
            }
            cJSON *m = jp_value(p);
            if (!m) {
                free(name);
                cJSON_Delete(v);
                return NULL;
            }
            if (obj) {
                /* Later duplicate members win, as in most JSON readers. */
                if (cJSON_GetObjectItemCaseSensitive(v, name))
                    cJSON_ReplaceItemInObjectCaseSensitive(v, name, m);
                else
                    cJSON_AddItemToObject(v, name, m);
                free(name);
            } else {
                cJSON_AddItemToArray(v, m);
            }
            jp_ws(p);
            if (p->s < p->e && *p->s == ',') {
                p->s++;
                continue;
            }
            if (p->s < p->e && *p->s == (obj ? '}' : ']')) {
                p->s++;
                p->depth--;
                return v;
            }
            cJSON_Delete(v);
            return NULL;
        }
    }
    if (c == '"') {
        char *s = jp_string(p);
        if (!s) return NULL;
        cJSON *v = cJSON_CreateString(s);
        free(s);
        return v;
    }
    if (jp_lit(p, "true")) return cJSON_CreateTrue();
    if (jp_lit(p, "false")) return cJSON_CreateFalse();
    if (jp_lit(p, "null")) return cJSON_CreateNull();
    return jp_number(p);
}

cJSON *chk_json_parse(const char *s, size_t len)
{
    jp p = {s, s + len, 0};
    cJSON *v = jp_value(&p);
    if (!v) return NULL;
    jp_ws(&p);
    if (p.s != p.e) {
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}

int64_t chk_json_i64(const cJSON *o, const char *name, int64_t dflt)
{
    const cJSON *v = name ? cJSON_GetObjectItemCaseSensitive(o, name) : o;
    if (!v) return dflt;
    if (cJSON_IsRaw(v) && v->valuestring) return strtoll(v->valuestring, NULL, 10);
    if (cJSON_IsNumber(v)) return (int64_t)v->valuedouble;
    return dflt;
}

double chk_json_num(const cJSON *o, const char *name, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (v && cJSON_IsRaw(v) && v->valuestring) return strtod(v->valuestring, NULL);
    return v && cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

const char *chk_json_str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

cJSON *chk_json_add_i64(cJSON *o, const char *name, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    return cJSON_AddRawToObject(o, name, buf);
}

/* ---------------------------------------------------------------- fast scanner */

typedef struct fs {
    const char *s, *e;
} fs;

/* The scanner's helpers are small and called per member of every line: inlined, the
 * cursor stays in registers instead of going through memory on each call. */
#define FS_INLINE static inline __attribute__((always_inline))

static inline void fs_ws(fs *p)
{
    while (p->s < p->e && (*p->s == ' ' || *p->s == '\t'))
        p->s++;
}

/* A string without escapes: returns 1 and its bounds, 0 when it has escapes (general path),
 * -1 when malformed. */
FS_INLINE int fs_str(fs *p, const char **out, size_t *len)
{
    if (p->s >= p->e || *p->s != '"') return -1;
    const char *start = ++p->s, *q = start;
    /* A backslash (an escape) or a newline before the closing quote answers 0: the general
     * path reads escapes, and a newline is never inside a line the reader split, so a scan
     * that runs on past its line's end (chk_scan_op_journal_line) stops there. */
#if defined(__SSE2__)
    /* Most strings (names, keys, write ids) end within sixteen bytes: one compare of
     * sixteen bytes against the three finds the end, or what answers 0. */
    if (p->e - q >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                                _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                                   _mm_cmpeq_epi8(v, _mm_set1_epi8('\n')));
        unsigned m = (unsigned)_mm_movemask_epi8(hit);
        if (m) {
            q += __builtin_ctz(m);
            if (*q != '"') return 0;
            *out = start;
            *len = (size_t)(q - start);
            p->s = q + 1;
            return 1;
        }
        q += 16;
    }
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* Eight bytes at a time while they hold none of the three (the strings are short,
     * where a libc call costs more than the scan): a byte equal to c is a zero byte of
     * v ^ c*0x01..; the lowest flagged byte is exact. */
    while (p->e - q >= 8) {
        uint64_t v, a, b, n;
        memcpy(&v, q, 8);
        a = v ^ 0x2222222222222222ULL;
        b = v ^ 0x5C5C5C5C5C5C5C5CULL;
        n = v ^ 0x0A0A0A0A0A0A0A0AULL;
        a = (a - 0x0101010101010101ULL) & ~a;
        b = (b - 0x0101010101010101ULL) & ~b;
        n = (n - 0x0101010101010101ULL) & ~n;
        uint64_t m = (a | b | n) & 0x8080808080808080ULL;
        if (m) {
            q += __builtin_ctzll(m) / 8;
            break;
        }
        q += 8;
    }
#endif
    while (q < p->e && *q != '"') {
        if (*q == '\\' || *q == '\n') return 0;
        q++;
    }
    if (q >= p->e) return -1;
    *out = start;
    *len = (size_t)(q - start);
    p->s = q + 1;
    return 1;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* Eight bytes at *q (the caller knows they are there): how many leading bytes are digits
 * (x ^ '0' is below 10 only for a digit; adding 0x76 sets the high bit of any other byte,
 * and a carry out of a byte comes only from a byte already flagged), then those digits'
 * value in one step, added to *v, and *q moved past them. 1 when all eight were digits
 * (the number may go on), 0 when it ended in this block. */
FS_INLINE int swar8_digits(const char **q, uint64_t *v)
{
    static const uint64_t pow10[8] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};
    uint64_t x, t, m;
    memcpy(&x, *q, 8);
    t = x ^ 0x3030303030303030ULL;
    m = ((t + 0x7676767676767676ULL) | t) & 0x8080808080808080ULL;
    if (!m) {
        *v = *v * 100000000ULL + chk_swar8_value(t);
        *q += 8;
        return 1;
    }
    int nd = __builtin_ctzll(m) >> 3;
    if (nd) {
        *v = *v * pow10[nd] + chk_swar8_value(t << (8 * (8 - nd)));
        *q += nd;
    }
    return 0;
}
#endif

FS_INLINE int fs_int(fs *p, int64_t *out)
{
    const char *q = p->s, *e = p->e;
    int neg = 0;
    uint64_t v = 0;
    if (q < e && *q == '-') {
        neg = 1;
        q++;
    }
    const char *start = q;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* Eight bytes at a time. Three blocks reach past the 19 digits an int64 holds
     * (unsigned wrap is harmless: the length check below rejects such a number). */
    for (int b = 0; b < 3 && e - q >= 8; b++)
        if (!swar8_digits(&q, &v)) goto done;
#endif
    while (q < e && *q >= '0' && *q <= '9') {
        v = v * 10 + (uint64_t)(*q - '0');
        q++;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
done:
#endif
    p->s = q;
    if (q == start || q - start > 19) return -1;
    if (q < e && (*q == '.' || *q == 'e' || *q == 'E')) return 0; /* not an integer: general path */
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 1;
}

/* Capacity units: short decimals such as 1, 0.5, 12.5. Anything else goes to strtod. */
static inline int fs_num(fs *p, double *out)
{
    const char *start = p->s;
    /* One digit and the end of the member (most capacity values: 0, 1, 2): no loop. */
    if (p->e - p->s >= 2 && p->s[0] >= '0' && p->s[0] <= '9' &&
        (p->s[1] == ',' || p->s[1] == '}')) {
        *out = (double)(p->s[0] - '0');
        p->s++;
        return 1;
    }
    /* Fast: digits with at most one short fraction, as the journal writes them. */
    {
        const char *q = p->s;
        uint64_t ip = 0, fp = 0, scale = 1;
        int nd = 0;
        while (q < p->e && *q >= '0' && *q <= '9' && nd < 15) {
            ip = ip * 10 + (uint64_t)(*q++ - '0');
            nd++;
        }
        if (nd && q < p->e && *q == '.') {
            q++;
            int nf = 0;
            while (q < p->e && *q >= '0' && *q <= '9' && nf < 9) {
                fp = fp * 10 + (uint64_t)(*q++ - '0');
                scale *= 10;
                nf++;
            }
            if (!nf) nd = 0;
        }
        if (nd && (q >= p->e || (*q != 'e' && *q != 'E' && (*q < '0' || *q > '9')))) {
            *out = (double)ip + (double)fp / (double)scale;
            p->s = q;
            return 1;
        }
    }
    while (p->s < p->e && ((*p->s >= '0' && *p->s <= '9') || *p->s == '-' || *p->s == '+' ||
                           *p->s == '.' || *p->s == 'e' || *p->s == 'E'))
        p->s++;
    size_t n = (size_t)(p->s - start);
    char buf[40];
    if (n == 0 || n >= sizeof buf) return -1;
    memcpy(buf, start, n);
    buf[n] = '\0';
    char *end;
    *out = strtod(buf, &end);
    return *end == '\0' ? 1 : -1;
}

static int fs_skip(fs *p, int depth);

static int fs_skip_container(fs *p, int depth)
{
    char close = *p->s == '{' ? '}' : ']';
    int obj = close == '}';
    p->s++;
    fs_ws(p);
    if (p->s < p->e && *p->s == close) {
        p->s++;
        return 1;
    }
    for (;;) {
        fs_ws(p);
        if (obj) {
            const char *k;
            size_t kl;
            int r = fs_str(p, &k, &kl);
            if (r <= 0) return r;
            fs_ws(p);
            if (p->s >= p->e || *p->s != ':') return -1;
            p->s++;
        }
        int r = fs_skip(p, depth + 1);
        if (r <= 0) return r;
        fs_ws(p);
        if (p->s < p->e && *p->s == ',') {
            p->s++;
            continue;
        }
        if (p->s < p->e && *p->s == close) {
            p->s++;
            return 1;
        }
        return -1;
    }
}

static int fs_skip(fs *p, int depth)
{
    fs_ws(p);
    if (p->s >= p->e || depth > CHK_JSON_MAX_DEPTH) return -1;
    switch (*p->s) {
    case '{':
    case '[':
        return fs_skip_container(p, depth);
    case '"': {
        const char *s;
        size_t l;
        return fs_str(p, &s, &l);
    }
    case 't':
        if (p->e - p->s >= 4 && memcmp(p->s, "true", 4) == 0) {
            p->s += 4;
            return 1;
        }
        return -1;
    case 'f':
        if (p->e - p->s >= 5 && memcmp(p->s, "false", 5) == 0) {
            p->s += 5;
            return 1;
        }
        return -1;
    case 'n':
        if (p->e - p->s >= 4 && memcmp(p->s, "null", 4) == 0) {
            p->s += 4;
            return 1;
        }
        return -1;
    default: {
        double d;
        return fs_num(p, &d);
    }
    }
}

/* Iterates members: on '{' or ',' moves to the next name. Returns 1 with the name, 0 at the
 * closing brace, -1 malformed, -2 escapes (general path). */
static inline int fs_member(fs *p, int *first, const char **name, size_t *nlen)
{
    fs_ws(p);
    if (*first) {
        if (p->s >= p->e || *p->s != '{') return -1;
        p->s++;
        fs_ws(p);
        *first = 0;
        if (p->s < p->e && *p->s == '}') {
            p->s++;
            return 0;
        }
    } else {
        if (p->s < p->e && *p->s == '}') {
            p->s++;
            return 0;
        }
        if (p->s >= p->e || *p->s != ',') return -1;
        p->s++;
        fs_ws(p);
    }
    int r = fs_str(p, name, nlen);
    if (r <= 0) return r == 0 ? -2 : -1;
    fs_ws(p);
    if (p->s >= p->e || *p->s != ':') return -1;
    p->s++;
    fs_ws(p);
    return 1;
}

#define NAME_IS(lit) (nlen == sizeof(lit) - 1 && memcmp(name, lit, sizeof(lit) - 1) == 0)

static int op_push_write(chk_scan_op *op)
{
    if (op->nwrites == op->capwrites) {
        int nc = op->capwrites ? op->capwrites * 2 : 8;
        chk_scan_write *nw = realloc(op->writes, (size_t)nc * sizeof *nw);
        if (!nw) return -1;
        op->writes = nw;
        op->capwrites = nc;
    }
    /* Field by field, not memset nor a compound literal: for this struct the compiler made
     * either a `rep stos`, whose start-up cost per write was 6% of the op-line scan. */
    chk_scan_write *w = &op->writes[op->nwrites++];
    w->k = NULL;
    w->klen = 0;
    w->kloc.px = -1;
    w->kloc.w = w->kloc.n = 0;
    w->wid = CHK_WID_NONE;
    w->kind = w->status = -1;
    w->ver = w->delta = 0;
    return 0;
}

static void op_reset(chk_scan_op *op)
{
    op->is_op = 0;
    op->type[0] = '\0';
    op->worker = -1;
    op->seq = 0;
    op->wl = -1;
    op->intended_ns = op->invoke_ns = op->complete_ns = 0;
    op->outcome = -1;
    op->attempts = 1;
    op->throttled = op->has_err = 0;
    op->wcu = op->rcu = 0;
    op->txn = 0;
    op->nwrites = 0;
}

/* Scans the writes array. 1 ok, 0 general path, -1 malformed. */
static int fs_writes(fs *p, chk_scan_op *op)
{
    fs_ws(p);
    if (p->s >= p->e || *p->s != '[') return -1;
    p->s++;
    fs_ws(p);
    if (p->s < p->e && *p->s == ']') {
        p->s++;
        return 1;
    }
    for (;;) {
        if (op_push_write(op)) return -1;
        chk_scan_write *w = &op->writes[op->nwrites - 1];
        int first = 1, r;
        const char *name;
        size_t nlen;
        while ((r = fs_member(p, &first, &name, &nlen)) == 1) {
            const char *sv;
            size_t sl;
            if (NAME_IS("k")) {
                if ((r = fs_str(p, &w->k, &w->klen)) <= 0) return r;
            } else if (NAME_IS("wid")) {
                if ((r = fs_str(p, &sv, &sl)) <= 0) return r;
                if (chk_parse_wid(sv, sl, &w->wid)) return 0;
            } else if (NAME_IS("op")) {
                if ((r = fs_str(p, &sv, &sl)) <= 0) return r;
                w->kind = chk_wkind_parse(sv, sl);
            } else if (NAME_IS("st")) {
                if ((r = fs_str(p, &sv, &sl)) <= 0) return r;
                w->status = chk_outcome_parse(sv, sl);
                if (w->status < 0) return 0;
            } else if (NAME_IS("ver")) {
                if ((r = fs_int(p, &w->ver)) <= 0) return r;
            } else if (NAME_IS("delta")) {
                if ((r = fs_int(p, &w->delta)) <= 0) return r;
            } else if ((r = fs_skip(p, 2)) <= 0) {
                return r;
            }
        }
        if (r < 0) return r == -2 ? 0 : -1;
        if (!w->k || w->wid == CHK_WID_NONE || w->kind < 0)
            return 0; /* let the general path name what is missing */
        fs_ws(p);
        if (p->s < p->e && *p->s == ',') {
            p->s++;
            fs_ws(p);
            continue;
        }
        if (p->s < p->e && *p->s == ']') {
            p->s++;
            return 1;
        }
        return -1;
    }
}

/* tries: only whether any try's err names throttling matters to the checkers. */
static int fs_tries(fs *p, chk_scan_op *op)
{
    const char *start = p->s;
    int r = fs_skip(p, 1);
    if (r <= 0) return r;
    static const char *const pats[] = {"Throttl", "ProvisionedThroughputExceeded",
                                       "RequestLimitExceeded"};
    for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++) {
        size_t n = strlen(pats[i]);
        for (const char *q = start; q + n <= p->s; q++) {
            q = memchr(q, pats[i][0], (size_t)(p->s - q));
            if (!q || q + n > p->s) break;
            if (memcmp(q, pats[i], n) == 0) {
                op->throttled = 1;
                return 1;
            }
        }
    }
    return 1;
}

/* ---------------------------------------------------------------- journal-order path */

/* Whether s[0..n) equals lit[0..n): word compares the compiler unrolls for a constant n,
 * where a libc memcmp call per member name would cost more than the compare. */
FS_INLINE int lit_eq(const char *s, const char *lit, size_t n)
{
    uint64_t a, b;
    uint32_t c, d;
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&a, s + i, 8);
            memcpy(&b, lit + i, 8);
            if (a != b) return 0;
        }
        /* The last eight bytes, overlapping the previous word when n is not a multiple. */
        memcpy(&a, s + n - 8, 8);
        memcpy(&b, lit + n - 8, 8);
        return a == b;
    }
    if (n >= 4) {
        memcpy(&c, s, 4);
        memcpy(&d, lit, 4);
        if (c != d) return 0;
        memcpy(&c, s + n - 4, 4);
        memcpy(&d, lit + n - 4, 4);
        return c == d;
    }
    for (size_t i = 0; i < n; i++)
        if (s[i] != lit[i]) return 0;
    return 1;
}

/* Consumes the literal at p->s; 0 when the text differs. */
#define FS_LIT(p, lit)                                                                             \
    ((size_t)((p)->e - (p)->s) >= sizeof(lit) - 1 && lit_eq((p)->s, lit, sizeof(lit) - 1)          \
         ? ((p)->s += sizeof(lit) - 1, 1)                                                          \
         : 0)

/* A JSON string or null, as sbuf_str in harness/history.c writes it. 1 string, 2 null,
 * 0 anything else (escapes included). */
FS_INLINE int fs_str_or_null(fs *p, const char **out, size_t *len)
{
    if (p->s < p->e && *p->s == 'n') return FS_LIT(p, "null") ? 2 : 0;
    return fs_str(p, out, len) == 1 ? 1 : 0;
}

/* "ok", "fail" or "info" followed by the closing quote; -1 otherwise. */
FS_INLINE int fs_outcome_q(fs *p)
{
    if (FS_LIT(p, "ok\"")) return CHK_O_OK;
    if (FS_LIT(p, "fail\"")) return CHK_O_FAIL;
    if (FS_LIT(p, "info\"")) return CHK_O_INFO;
    return -1;
}

FS_INLINE int fs_wkind_q(fs *p)
{
    if (FS_LIT(p, "update\"")) return CHK_W_UPDATE;
    if (FS_LIT(p, "put\"")) return CHK_W_PUT;
    if (FS_LIT(p, "append\"")) return CHK_W_APPEND;
    if (FS_LIT(p, "delete\"")) return CHK_W_DELETE;
    if (FS_LIT(p, "add\"")) return CHK_W_ADD;
    return -1;
}

/* A non-negative integer of the op line's fixed shape (digits only, as fs_int reads them,
 * but without its sign and fraction tests): the caller's next literal (',', '}', '.' or
 * '"') rejects a '.', 'e' or anything else after the digits, and a sign answers 0, so
 * such a line goes to the member-by-member path, which reads it with fs_int. An accepted
 * number has fs_int's value (same digits, same arithmetic, 1 to 19 of them). */
FS_INLINE int fs_uint_j(fs *p, int64_t *out)
{
    const char *q = p->s;
    uint64_t v = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* Three blocks reach past the 19 digits an int64 holds; with 24 bytes left the blocks
     * need no bounds test each (fewer: near the line's end, digit by digit below). Without
     * `out` (a number nobody needs, mono_ns) only the digits are found: inlined with a
     * constant NULL, the value's arithmetic is not compiled in. */
    if (p->e - q >= 24) {
        for (int b = 0; b < 3; b++) {
            if (out) {
                if (!swar8_digits(&q, &v)) break;
                continue;
            }
            uint64_t x, t, m;
            memcpy(&x, q, 8);
            t = x ^ 0x3030303030303030ULL;
            m = ((t + 0x7676767676767676ULL) | t) & 0x8080808080808080ULL;
            if (m) {
                q += __builtin_ctzll(m) >> 3;
                break;
            }
            q += 8;
        }
        goto done;
    }
#endif
    while (q < p->e && *q >= '0' && *q <= '9' && q - p->s < 20) {
        v = v * 10 + (uint64_t)(*q - '0');
        q++;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
done:
#endif
    if (q == p->s || q - p->s > 19) return 0;
    p->s = q;
    if (out) *out = (int64_t)v;
    return 1;
}

/* fs_uint_j for the numbers of the op line that are mostly one or two digits (worker
 * numbers, attempts, versions): those read inline, longer ones (and a line's last bytes)
 * by fs_uint_j. The same digits give the same value either way (fs_uint_j, too, takes
 * leading zeros). */
FS_INLINE int fs_uint_j_small(fs *p, int64_t *out)
{
    const char *q = p->s;
    if (p->e - q >= 3) {
        unsigned d0 = (unsigned)(unsigned char)q[0] - '0';
        unsigned d1 = (unsigned)(unsigned char)q[1] - '0';
        if (d0 <= 9 && d1 > 9) {
            *out = d0;
            p->s = q + 1;
            return 1;
        }
        if (d0 <= 9 && (unsigned)(unsigned char)q[2] - '0' > 9) {
            *out = d0 * 10 + d1;
            p->s = q + 2;
            return 1;
        }
    }
    return fs_uint_j(p, out);
}

#if defined(__SSE2__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* Sixteen bytes at q: when all are digits, their number (the first the most significant)
 * in *v and 1, else 0. Pairs, then groups of four, then of eight digits, each step one
 * multiply-add of 16-bit lanes; a byte is a digit when its distance from '0' (wrapping
 * below it) is at most 9. */
FS_INLINE int sse16_digits(const char *q, uint64_t *v)
{
    __m128i d = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)q), _mm_set1_epi8('0'));
    __m128i over = _mm_subs_epu8(d, _mm_set1_epi8(9));
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(over, _mm_setzero_si128())) != 0xFFFF) return 0;
    const __m128i z = _mm_setzero_si128();
    const __m128i w10 = _mm_set_epi16(1, 10, 1, 10, 1, 10, 1, 10);
    __m128i lo = _mm_madd_epi16(_mm_unpacklo_epi8(d, z), w10); /* digits 0-7 as 4 pairs */
    __m128i hi = _mm_madd_epi16(_mm_unpackhi_epi8(d, z), w10); /* digits 8-15 */
    __m128i x = _mm_packs_epi32(lo, hi);                       /* 8 pairs, 0..99 */
    x = _mm_madd_epi16(x, _mm_set_epi16(1, 100, 1, 100, 1, 100, 1, 100)); /* 4 x 0..9999 */
    x = _mm_packs_epi32(x, x);
    x = _mm_madd_epi16(x, _mm_set_epi16(1, 10000, 1, 10000, 1, 10000, 1, 10000)); /* 2 x 8 digits */
    uint32_t a = (uint32_t)_mm_cvtsi128_si32(x);
    uint32_t b = (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(x, 4));
    *v = (uint64_t)a * 100000000ULL + b;
    return 1;
}
#endif

/* fs_uint_j for a nanosecond instant (19 digits until the year 2286): its first sixteen
 * digits in one step where all sixteen are there, the rest as fs_uint_j reads them, so
 * the result is fs_uint_j's in every case (same digits, same limit of 19). */
FS_INLINE int fs_uint_ns(fs *p, int64_t *out)
{
#if defined(__SSE2__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const char *q = p->s;
    uint64_t v;
    if (p->e - q >= 24 && sse16_digits(q, &v)) {
        q += 16;
        swar8_digits(&q, &v);
        if (q - p->s > 19) return 0;
        p->s = q;
        *out = (int64_t)v;
        return 1;
    }
#endif
    return fs_uint_j(p, out);
}

/* An instant that repeats the previous one's digits (invoke_ns after intended_ns, equal in
 * a closed loop): the same value without reading the digits again. Falls back to
 * fs_uint_j, so the result is fs_uint_j's either way. */
FS_INLINE int fs_uint_j_again(fs *p, const char *prev, size_t plen, int64_t prev_v, int64_t *out)
{
    if ((size_t)(p->e - p->s) > plen && lit_eq(p->s, prev, plen) &&
        (p->s[plen] < '0' || p->s[plen] > '9')) {
        p->s += plen;
        *out = prev_v;
        return 1;
    }
    return fs_uint_j(p, out);
}

/* A capacity value of the op line: one digit and the next member's comma inline (most
 * values: 0, 1, 2, 4), anything else through fs_num, which reads the same digit alike. */
FS_INLINE int fs_num_j(fs *p, double *out)
{
    if (p->e - p->s >= 2 && p->s[0] >= '0' && p->s[0] <= '9' && p->s[1] == ',') {
        *out = (double)(p->s[0] - '0');
        p->s++;
        return 1;
    }
    return fs_num(p, out) == 1;
}

/* The op line exactly as harness/history.c (serialize_op) writes it: members in its fixed
 * order, no whitespace. Every value goes through the same readers as the member-by-member
 * path, so a line accepted here yields the same op; any difference in shape (another
 * member order, whitespace, escapes, "tries", "resubmits") answers 0 and the
 * member-by-member path reads the line. Most of the scan is then literal compares instead
 * of reading and dispatching on each member name. */
static int scan_op_journal(fs *pp, chk_scan_op *op)
{
    fs p = *pp;
    const char *sv;
    size_t sl;
    int64_t iv, iv2;
    if (!FS_LIT(&p, "{\"type\":\"op\",\"w\":")) return 0;
    op_reset(op);
    memcpy(op->type, "op", 3);
    op->is_op = 1;
    if (!fs_uint_j_small(&p, &iv) || iv < 0 || iv > CHK_WID_MAX_WORKER) return 0;
    op->worker = (int)iv;
    if (!FS_LIT(&p, ",\"s\":") || !fs_uint_j(&p, &iv) || iv < 0 || (uint64_t)iv > CHK_WID_SEQ_MASK)
        return 0;
    op->seq = (uint64_t)iv;
    if (!FS_LIT(&p, ",\"wl\":") || !fs_str_or_null(&p, &sv, &sl)) return 0;
    if (!FS_LIT(&p, ",\"wi\":")) return 0;
    if (p.e - p.s >= 2 && p.s[0] >= '0' && p.s[0] <= '9' && p.s[1] == ',') /* most lines */
        iv = *p.s++ - '0';
    else if (fs_int(&p, &iv) != 1) /* -1: no workload */
        return 0;
    op->wl = (int)iv;
    if (!FS_LIT(&p, ",\"f\":") || !fs_str_or_null(&p, &sv, &sl)) return 0;
    if (!FS_LIT(&p, ",\"intended_ns\":")) return 0;
    const char *intended = p.s;
    if (!fs_uint_ns(&p, &op->intended_ns)) return 0;
    size_t intended_len = (size_t)(p.s - intended);
    if (!FS_LIT(&p, ",\"invoke_ns\":") ||
        !fs_uint_j_again(&p, intended, intended_len, op->intended_ns, &op->invoke_ns))
        return 0;
    if (!FS_LIT(&p, ",\"complete_ns\":") || !fs_uint_ns(&p, &op->complete_ns)) return 0;
    if (!FS_LIT(&p, ",\"mono_ns\":") || !fs_uint_j(&p, NULL)) return 0;
    if (!FS_LIT(&p, ",\"outcome\":\"") || (op->outcome = fs_outcome_q(&p)) < 0) return 0;
    if (!FS_LIT(&p, ",\"err\":")) return 0;
    int r = fs_str_or_null(&p, &sv, &sl);
    if (!r) return 0;
    if (r == 1) {
        op->has_err = 1;
        op->throttled = chk_is_throttle_name(sv, sl);
    }
    if (!FS_LIT(&p, ",\"attempts\":") || !fs_uint_j_small(&p, &iv)) return 0;
    op->attempts = (int)iv;
    if (!FS_LIT(&p, ",\"wcu\":") || !fs_num_j(&p, &op->wcu)) return 0;
    if (!FS_LIT(&p, ",\"rcu\":") || !fs_num_j(&p, &op->rcu)) return 0;
    if (FS_LIT(&p, ",\"txn\":true")) op->txn = 1;
    if (!FS_LIT(&p, ",\"writes\":[")) return 0;
    if (!FS_LIT(&p, "]")) {
        for (;;) {
            if (op_push_write(op)) return 0;
            chk_scan_write *w = &op->writes[op->nwrites - 1];
            if (!FS_LIT(&p, "{\"k\":") || fs_str(&p, &w->k, &w->klen) != 1) return 0;
            /* "worker.seq" read in place, with chk_parse_wid's limits; anything else (a
             * sign, escapes, a number too long) goes to the member-by-member path. */
            if (!FS_LIT(&p, ",\"wid\":\"") || !fs_uint_j_small(&p, &iv) || iv < 0 ||
                iv > CHK_WID_MAX_WORKER || !FS_LIT(&p, ".") || !fs_uint_j(&p, &iv2) ||
                (uint64_t)iv2 > CHK_WID_SEQ_MASK || !FS_LIT(&p, "\""))
                return 0;
            w->wid = CHK_WID(iv, iv2);
            if (!FS_LIT(&p, ",\"op\":\"") || (w->kind = fs_wkind_q(&p)) < 0) return 0;
            if (FS_LIT(&p, ",\"ver\":") && !fs_uint_j_small(&p, &w->ver)) return 0;
            if (FS_LIT(&p, ",\"delta\":") && fs_int(&p, &w->delta) != 1) return 0;
            if (FS_LIT(&p, ",\"st\":\"") && (w->status = fs_outcome_q(&p)) < 0) return 0;
            if (!FS_LIT(&p, "}")) return 0;
            if (FS_LIT(&p, ",")) continue;
            if (FS_LIT(&p, "]")) break;
            return 0;
        }
    }
    if (!FS_LIT(&p, "}")) return 0;
    if (op->intended_ns == 0) op->intended_ns = op->invoke_ns;
    pp->s = p.s;
    return 1;
}

int chk_scan_op_journal(const char *line, size_t len, chk_scan_op *op)
{
    fs p = {line, line + len};
    return scan_op_journal(&p, op) && p.s == p.e;
}

size_t chk_scan_op_journal_line(const char *s, const char *end, chk_scan_op *op)
{
    fs p = {s, end};
    if (!scan_op_journal(&p, op) || p.s >= end || *p.s != '\n') return 0;
    return (size_t)(p.s + 1 - s);
}

int chk_scan_op_fast(const char *line, size_t len, chk_scan_op *op)
{
    if (chk_scan_op_journal(line, len, op)) return 1;
    return chk_scan_op_members(line, len, op);
}

int chk_scan_op_members(const char *line, size_t len, chk_scan_op *op)
{
    fs p = {line, line + len};
    op_reset(op);
    int first = 1, r;
    const char *name;
    size_t nlen;
    int have_w = 0, have_s = 0;
    while ((r = fs_member(&p, &first, &name, &nlen)) == 1) {
        const char *sv;
        size_t sl;
        int64_t iv;
        switch (name[0]) {
        case 't':
            if (NAME_IS("type")) {
                if ((r = fs_str(&p, &sv, &sl)) <= 0) return r;
                if (sl >= sizeof op->type) sl = sizeof op->type - 1;
                memcpy(op->type, sv, sl);
                op->type[sl] = '\0';
                op->is_op = str_is(sv, sl, "op");
                if (!op->is_op) return 0; /* other line kinds are rare: general path */
                continue;
            }
            if (NAME_IS("txn")) {
                if (p.e - p.s >= 4 && memcmp(p.s, "true", 4) == 0) {
                    op->txn = 1;
                    p.s += 4;
                    continue;
                }
                if ((r = fs_skip(&p, 1)) <= 0) return r;
                continue;
            }
            if (NAME_IS("tries")) {
                if ((r = fs_tries(&p, op)) <= 0) return r;
                continue;
            }
            break;
        case 'w':
            if (NAME_IS("w")) {
                if ((r = fs_int(&p, &iv)) <= 0) return r;
                if (iv < 0 || iv > CHK_WID_MAX_WORKER) return -1;
                op->worker = (int)iv;
                have_w = 1;
                continue;
            }
            if (NAME_IS("wi")) {
                if ((r = fs_int(&p, &iv)) <= 0) return r;
                op->wl = (int)iv;
                continue;
            }
            if (NAME_IS("wcu")) {
                if (fs_num(&p, &op->wcu) <= 0) return -1;
                continue;
            }
            if (NAME_IS("writes")) {
                if ((r = fs_writes(&p, op)) <= 0) return r;
                continue;
            }
            break;
        case 's':
            if (NAME_IS("s")) {
                if ((r = fs_int(&p, &iv)) <= 0) return r;
                if (iv < 0 || (uint64_t)iv > CHK_WID_SEQ_MASK) return -1;
                op->seq = (uint64_t)iv;
                have_s = 1;
                continue;
            }
            break;
        case 'i':
            if (NAME_IS("invoke_ns")) {
                if ((r = fs_int(&p, &op->invoke_ns)) <= 0) return r;
                continue;
            }
            if (NAME_IS("intended_ns")) {
                if ((r = fs_int(&p, &op->intended_ns)) <= 0) return r;
                continue;
            }
            break;
        case 'c':
            if (NAME_IS("complete_ns")) {
                if ((r = fs_int(&p, &op->complete_ns)) <= 0) return r;
                continue;
            }
            break;
        case 'o':
            if (NAME_IS("outcome")) {
                if ((r = fs_str(&p, &sv, &sl)) <= 0) return r;
                op->outcome = chk_outcome_parse(sv, sl);
                if (op->outcome < 0) return 0;
                continue;
            }
            break;
        case 'e':
            if (NAME_IS("err")) {
                if (p.s < p.e && *p.s == 'n') {
                    if ((r = fs_skip(&p, 1)) <= 0) return r;
                    continue;
                }
                if ((r = fs_str(&p, &sv, &sl)) <= 0) return r;
                op->has_err = 1;
                if (chk_is_throttle_name(sv, sl)) op->throttled = 1;
                continue;
            }
            break;
        case 'a':
            if (NAME_IS("attempts")) {
                if ((r = fs_int(&p, &iv)) <= 0) return r;
                op->attempts = (int)iv;
                continue;
            }
            break;
        case 'r':
            if (NAME_IS("rcu")) {
                if (fs_num(&p, &op->rcu) <= 0) return -1;
                continue;
            }
            break;
        default:
            break;
        }
        if ((r = fs_skip(&p, 1)) <= 0) return r;
    }
    if (r < 0) return r == -2 ? 0 : -1;
    fs_ws(&p);
    if (p.s != p.e) return -1;
    if (!op->is_op || !have_w || !have_s || op->outcome < 0)
        return 0; /* the general path reports exactly what is missing */
    if (op->intended_ns == 0) op->intended_ns = op->invoke_ns;
    return 1;
}

/* ---------------------------------------------------------------- general op path */

static int is_int_json(const cJSON *v)
{
    return v && (cJSON_IsNumber(v) || (cJSON_IsRaw(v) && v->valuestring));
}

int chk_scan_op_json(const cJSON *v, chk_scan_op *op, char *err, size_t errlen)
{
    op_reset(op);
    if (!cJSON_IsObject(v)) {
        snprintf(err, errlen, "not a JSON object");
        return -1;
    }
    const char *type = chk_json_str(v, "type");
    if (!type) {
        snprintf(err, errlen, "no \"type\"");
        return -1;
    }
    snprintf(op->type, sizeof op->type, "%s", type);
    if (strcmp(type, "op") != 0) return 0;
    op->is_op = 1;
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(v, "w");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(v, "s");
    if (!is_int_json(w) || !is_int_json(s)) {
        snprintf(err, errlen, "op: \"w\" and \"s\" must be integers");
        return -1;
    }
    int64_t wv = chk_json_i64(w, NULL, -1), sv = chk_json_i64(s, NULL, -1);
    if (wv < 0 || wv > CHK_WID_MAX_WORKER || sv < 0 || (uint64_t)sv > CHK_WID_SEQ_MASK) {
        snprintf(err, errlen, "op: worker or seq out of range");
        return -1;
    }
    op->worker = (int)wv;
    op->seq = (uint64_t)sv;
    op->wl = (int)chk_json_i64(v, "wi", -1);
    op->invoke_ns = chk_json_i64(v, "invoke_ns", 0);
    op->complete_ns = chk_json_i64(v, "complete_ns", 0);
    op->intended_ns = chk_json_i64(v, "intended_ns", 0);
    if (op->intended_ns == 0) op->intended_ns = op->invoke_ns;
    const char *oc = chk_json_str(v, "outcome");
    op->outcome = oc ? chk_outcome_parse(oc, strlen(oc)) : -1;
    if (op->outcome < 0) {
        snprintf(err, errlen, "op %d.%llu: \"outcome\" must be ok, fail or info", op->worker,
                 (unsigned long long)op->seq);
        return -1;
    }
    op->attempts = (int)chk_json_i64(v, "attempts", 1);
    op->wcu = chk_json_num(v, "wcu", 0);
    op->rcu = chk_json_num(v, "rcu", 0);
    op->txn = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "txn"));
    const char *e = chk_json_str(v, "err");
    if (e) {
        op->has_err = 1;
        op->throttled = chk_is_throttle_name(e, strlen(e));
    }
    const cJSON *tries = cJSON_GetObjectItemCaseSensitive(v, "tries"), *t;
    cJSON_ArrayForEach(t, tries)
    {
        const char *te = chk_json_str(t, "err");
        if (te && (strstr(te, "Throttl") || strstr(te, "ProvisionedThroughputExceeded") ||
                   strstr(te, "RequestLimitExceeded")))
            op->throttled = 1;
    }
    const cJSON *writes = cJSON_GetObjectItemCaseSensitive(v, "writes"), *x;
    if (writes && !cJSON_IsArray(writes)) {
        snprintf(err, errlen, "op %d.%llu: \"writes\" must be an array", op->worker,
                 (unsigned long long)op->seq);
        return -1;
    }
    int i = 0;
    cJSON_ArrayForEach(x, writes)
    {
        const char *k = chk_json_str(x, "k"), *wid = chk_json_str(x, "wid"),
                   *kind = chk_json_str(x, "op"), *st = chk_json_str(x, "st");
        if (!k || !wid || !kind) {
            snprintf(err, errlen, "op %d.%llu: writes[%d] needs \"k\", \"wid\" and \"op\"",
                     op->worker, (unsigned long long)op->seq, i);
            return -1;
        }
        if (op_push_write(op)) return -1;
        chk_scan_write *cw = &op->writes[op->nwrites - 1];
        if (chk_parse_wid(wid, strlen(wid), &cw->wid)) {
            snprintf(err, errlen, "op %d.%llu: writes[%d].wid: expected \"W.S\"", op->worker,
                     (unsigned long long)op->seq, i);
            return -1;
        }
        cw->kind = chk_wkind_parse(kind, strlen(kind));
        if (cw->kind < 0) {
            snprintf(err, errlen, "op %d.%llu: writes[%d].op: unknown \"%s\"", op->worker,
                     (unsigned long long)op->seq, i, kind);
            return -1;
        }
        cw->status = st ? chk_outcome_parse(st, strlen(st)) : -1;
        cw->ver = chk_json_i64(x, "ver", 0);
        cw->delta = chk_json_i64(x, "delta", 0);
        /* Points into the tree, which the caller keeps until it is done with op. */
        cw->k = k;
        cw->klen = strlen(k);
        i++;
    }
    return 0;
}

void chk_scan_op_free(chk_scan_op *op)
{
    free(op->writes);
    op->writes = NULL;
    op->capwrites = op->nwrites = 0;
}

/* ---------------------------------------------------------------- items */

static void item_reset(chk_item *it)
{
    it->key = it->wid = it->pay = NULL;
    it->keylen = it->widlen = it->paylen = 0;
    it->has_ver = it->has_bal = it->has_ids = 0;
    it->ver = it->bal = 0;
    it->nids = 0;
}

static int item_push_id(chk_item *it, const char *s, size_t n)
{
    if (it->nids == it->capids) {
        int nc = it->capids ? it->capids * 2 : CHK_ITEM_MAX_IDS_INLINE;
        const char **ni = realloc(it->ids, (size_t)nc * sizeof *ni);
        if (!ni) return -1;
        it->ids = ni;
        size_t *nl = realloc(it->idlens, (size_t)nc * sizeof *nl);
        if (!nl) return -1;
        it->idlens = nl;
        it->capids = nc;
    }
    it->ids[it->nids] = s;
    it->idlens[it->nids++] = n;
    return 0;
}

/* {"S":"..."} or {"N":"..."}: returns the type letter and the string. */
static int fs_attr(fs *p, char *type, const char **s, size_t *n)
{
    /* {"S":"..."} or {"N":"..."} with nothing between (as the scan writes them) read in
     * place; anything else, or anything this does not take, member by member, which
     * reads the same text alike. */
    const char *at = p->s;
    if (p->e - at >= 6 && at[0] == '{' && at[1] == '"' && (at[2] == 'S' || at[2] == 'N') &&
        at[3] == '"' && at[4] == ':' && at[5] == '"') {
        fs q = {at + 5, p->e};
        if (fs_str(&q, s, n) == 1 && q.s < q.e && *q.s == '}') {
            *type = at[2];
            p->s = q.s + 1;
            return 1;
        }
    }
    int first = 1, r;
    const char *name;
    size_t nlen;
    *type = 0;
    while ((r = fs_member(p, &first, &name, &nlen)) == 1) {
        if (nlen == 1 && (name[0] == 'S' || name[0] == 'N') && !*type) {
            *type = name[0];
            if ((r = fs_str(p, s, n)) <= 0) return r;
        } else {
            return 0; /* L, M, B ...: general path for anything else */
        }
    }
    return r == 0 ? 1 : (r == -2 ? 0 : -1);
}

static int parse_i64(const char *s, size_t n, int64_t *out)
{
    char buf[32];
    if (n == 0 || n >= sizeof buf) return -1;
    /* Up to 18 plain digits (versions, balances) cannot overflow: read here, as strtoll
     * reads them; signs, spaces and longer numbers go to strtoll. */
    if (n <= 18) {
        int64_t v = 0;
        size_t i = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            v = v * 10 + (s[i++] - '0');
        if (i == n) {
            *out = v;
            return 0;
        }
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (*end || errno) return -1;
    *out = v;
    return 0;
}

int chk_scan_item_fast(const char *line, size_t len, const char *hash_key, chk_item *it)
{
    fs p = {line, line + len};
    item_reset(it);
    size_t hkl = strlen(hash_key);
    int first = 1, r;
    const char *name;
    size_t nlen;
    while ((r = fs_member(&p, &first, &name, &nlen)) == 1) {
        char type;
        const char *s;
        size_t n;
        if (nlen == hkl && memcmp(name, hash_key, hkl) == 0) {
            if ((r = fs_attr(&p, &type, &s, &n)) <= 0) return r;
            if (type != 'S') return 0;
            it->key = s;
            it->keylen = n;
        } else if (NAME_IS("wid")) {
            if ((r = fs_attr(&p, &type, &s, &n)) <= 0) return r;
            it->wid = s;
            it->widlen = n;
        } else if (NAME_IS("pay")) {
            if ((r = fs_attr(&p, &type, &s, &n)) <= 0) return r;
            it->pay = s;
            it->paylen = n;
        } else if (NAME_IS("ver") || NAME_IS("bal")) {
            int is_ver = name[0] == 'v';
            if ((r = fs_attr(&p, &type, &s, &n)) <= 0) return r;
            int64_t v;
            if (type != 'N' || parse_i64(s, n, &v)) return 0;
            if (is_ver) {
                it->has_ver = 1;
                it->ver = v;
            } else {
                it->has_bal = 1;
                it->bal = v;
            }
        } else if (NAME_IS("ids")) {
            /* {"L":[{"S":"1.2"},{"S":"1.5"}]} */
            int f2 = 1;
            const char *n2;
            size_t n2l;
            r = fs_member(&p, &f2, &n2, &n2l);
            if (r != 1 || n2l != 1 || n2[0] != 'L') return r == -1 ? -1 : 0;
            fs_ws(&p);
            if (p.s >= p.e || *p.s != '[') return 0;
            p.s++;
            fs_ws(&p);
            it->has_ids = 1;
            if (p.s < p.e && *p.s == ']') {
                p.s++;
            } else {
                for (;;) {
                    if ((r = fs_attr(&p, &type, &s, &n)) <= 0) return r;
                    if (type != 'S' || item_push_id(it, s, n)) return 0;
                    fs_ws(&p);
                    if (p.s < p.e && *p.s == ',') {
                        p.s++;
                        fs_ws(&p);
                        continue;
                    }
                    if (p.s < p.e && *p.s == ']') {
                        p.s++;
                        break;
                    }
                    return -1;
                }
            }
            fs_ws(&p);
            if (p.s >= p.e || *p.s != '}') return 0;
            p.s++;
        } else if ((r = fs_skip(&p, 1)) <= 0) {
            return r;
        }
    }
    if (r < 0) return r == -2 ? 0 : -1;
    fs_ws(&p);
    return p.s == p.e ? 1 : -1;
}

static const char *attr_str(const cJSON *item, const char *name, char type)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(item, name);
    if (!cJSON_IsObject(a)) return NULL;
    char t[2] = {type, 0};
    return chk_json_str(a, t);
}

int chk_scan_item_json(const cJSON *v, const char *hash_key, chk_item *it, char *err, size_t errlen)
{
    item_reset(it);
    if (!cJSON_IsObject(v)) {
        snprintf(err, errlen, "item is not a JSON object");
        return -1;
    }
    /* Strings point into the cJSON tree, which the caller keeps alive while using it. */
    const char *k = attr_str(v, hash_key, 'S');
    if (k) {
        it->key = k;
        it->keylen = strlen(k);
    }
    const char *wid = attr_str(v, "wid", 'S');
    if (!wid) wid = attr_str(v, "wid", 'N');
    if (wid) {
        it->wid = wid;
        it->widlen = strlen(wid);
    }
    const char *pay = attr_str(v, "pay", 'S');
    if (pay) {
        it->pay = pay;
        it->paylen = strlen(pay);
    }
    const char *ver = attr_str(v, "ver", 'N'), *bal = attr_str(v, "bal", 'N');
    if (ver && parse_i64(ver, strlen(ver), &it->ver) == 0) it->has_ver = 1;
    if (bal && parse_i64(bal, strlen(bal), &it->bal) == 0) it->has_bal = 1;
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(v, "ids");
    const cJSON *l = cJSON_IsObject(ids) ? cJSON_GetObjectItemCaseSensitive(ids, "L") : NULL;
    if (cJSON_IsArray(l)) {
        it->has_ids = 1;
        const cJSON *e;
        cJSON_ArrayForEach(e, l)
        {
            const char *s = chk_json_str(e, "S");
            if (!s) s = "";
            if (item_push_id(it, s, strlen(s))) return -1;
        }
    }
    return 0;
}

void chk_item_free(chk_item *it)
{
    free(it->ids);
    free(it->idlens);
    memset(it, 0, sizeof *it);
}

/* ---------------------------------------------------------------- line reader */

#define CHK_READ_CHUNK (1 << 20) /* 1 MiB reads; a longer line grows the buffer */
#define CHK_MAP_DROP (8u << 20)  /* pages read are released every 8 MiB of the file */

/* A regular file is mapped (anything else, a pipe, is read): its lines are handed out where they
 * lie instead of being copied through read() into a buffer (at 10M ops, 3 GB of copies and a fifth
 * of the check's system time). The pages already read are released as the scan advances, so the
 * resident part of the mapping stays under 2 * CHK_MAP_DROP whatever the file size. 1 done (rc in
 * *rc), 0 when the file cannot be mapped (the caller reads it). */
static int map_lines(int fd, const char *path, chk_line_fn fn, chk_line_fast_fn fast, void *arg,
                     int *stable, int *rc, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
        (uint64_t)st.st_size > SIZE_MAX)
        return 0;
    size_t size = (size_t)st.st_size;
    char *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) return 0;
#ifdef MADV_SEQUENTIAL
    (void)madvise(map, size, MADV_SEQUENTIAL);
#endif
    long page = sysconf(_SC_PAGESIZE);
    size_t pg = page > 0 ? (size_t)page : 4096, dropped = 0;
    const char *s = map, *end = map + size;
    long lineno = 0;
    *rc = 0;
    if (stable) *stable = 1;
    while (s < end) {
        size_t took = fast ? fast(s, end, arg, rc) : 0;
        if (*rc) break;
        if (took) {
            lineno++;
            s += took;
        } else {
            const char *nl = memchr(s, '\n', (size_t)(end - s));
            size_t len = (size_t)((nl ? nl : end) - s);
            lineno++;
            if (nl && len && s[len - 1] == '\r') len--;
            if (len && (*rc = fn(s, len, lineno, nl == NULL, arg)) != 0) break;
            if (!nl) break;
            s = nl + 1;
        }
        /* Released pages are read again from the page cache if touched, so a line the
         * callback still holds stays valid; the last page is kept all the same. */
        size_t done = ((size_t)(s - map) / pg) * pg;
        if (done >= dropped + CHK_MAP_DROP + pg) {
            (void)madvise(map + dropped, done - pg - dropped, MADV_DONTNEED);
            dropped = done - pg;
        }
    }
    if (fast && !*rc) fast(end, end, arg, rc);
    munmap(map, size);
    (void)path;
    (void)err;
    (void)errlen;
    return 1;
}

int chk_read_lines(const char *path, chk_line_fn fn, void *arg, char *err, size_t errlen)
{
    return chk_read_lines_ex(path, fn, NULL, arg, NULL, err, errlen);
}

int chk_read_lines_ex(const char *path, chk_line_fn fn, chk_line_fast_fn fast, void *arg,
                      int *stable, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int mrc;
    if (map_lines(fileno(f), path, fn, fast, arg, stable, &mrc, err, errlen)) {
        fclose(f);
        return mrc;
    }
    if (stable) *stable = 0;
    size_t cap = CHK_READ_CHUNK, have = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        fclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    long lineno = 0;
    int rc = 0, eof = 0;
    while (!rc) {
        if (!eof) {
            if (have == cap) {
                char *nb = realloc(buf, cap * 2 + 1);
                if (!nb) {
                    snprintf(err, errlen, "%s: out of memory", path);
                    rc = -1;
                    break;
                }
                buf = nb;
                cap *= 2;
            }
            size_t n = fread(buf + have, 1, cap - have, f);
            if (n == 0) {
                if (ferror(f)) {
                    snprintf(err, errlen, "%s: read error", path);
                    rc = -1;
                    break;
                }
                eof = 1;
            }
            have += n;
        }
        char *s = buf, *end = buf + have;
        for (;;) {
            char *nl = memchr(s, '\n', (size_t)(end - s));
            if (!nl) break;
            lineno++;
            size_t len = (size_t)(nl - s);
            if (len && s[len - 1] == '\r') len--;
            s[len] = '\0';
            if (len && (rc = fn(s, len, lineno, 0, arg)) != 0) break;
            s = nl + 1;
        }
        if (rc) break;
        size_t rest = (size_t)(end - s);
        memmove(buf, s, rest);
        have = rest;
        if (eof) {
            if (have) {
                lineno++;
                buf[have] = '\0';
                rc = fn(buf, have, lineno, 1, arg);
            }
            break;
        }
    }
    free(buf);
    fclose(f);
    return rc;
}
