/*
 * attr.c - the DynamoDB AttributeValue model over cJSON: validation, item size,
 * ordering, equality, builders, accessors, base64 and number canonicalisation.
 *
 * Numbers are kept as the strings DynamoDB sends and canonicalised on demand into
 * (sign, significant digits, exponent) with value = sign * digits * 10^exp10, so that
 * "1.50", "15e-1" and "1.5" compare equal, size alike, and count as the same set member.
 */
#include "ddb/attr.h"
#include "ddb/internal.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Documented number range: positive 1E-130 .. 9.9999999999999999999999999999999999999E+125
 * ("Data types", Number). In terms of the position m of the leading digit (the value is
 * in [10^(m-1), 10^m)), that is -129 <= m <= 126. */
#define DDB_NUMBER_MIN_MAGNITUDE (-129)
#define DDB_NUMBER_MAX_MAGNITUDE 126
/* Attribute names are 1 to 65535 bytes ("Naming rules"). */
#define DDB_MAX_ATTR_NAME_BYTES 65535
/* Per-element and per-container overheads of the item size rules ("Item sizes"). */
#define DDB_SIZE_CONTAINER_OVERHEAD 3
#define DDB_SIZE_ELEMENT_OVERHEAD 1
#define DDB_SIZE_NUMBER_OVERHEAD 1
#define DDB_SIZE_SCALAR_BOOL_NULL 1

static const struct {
    ddb_attr_type type;
    const char *name;
} TYPE_NAMES[] = {
    {DDB_T_S, "S"}, {DDB_T_N, "N"}, {DDB_T_B, "B"},   {DDB_T_BOOL, "BOOL"}, {DDB_T_NULL, "NULL"},
    {DDB_T_M, "M"}, {DDB_T_L, "L"}, {DDB_T_SS, "SS"}, {DDB_T_NS, "NS"},     {DDB_T_BS, "BS"},
};

const char *ddb_attr_type_name(ddb_attr_type t)
{
    for (size_t i = 0; i < sizeof(TYPE_NAMES) / sizeof(TYPE_NAMES[0]); i++)
        if (TYPE_NAMES[i].type == t) return TYPE_NAMES[i].name;
    return "INVALID";
}

ddb_attr_type ddb_attr_type_of(const cJSON *av)
{
    if (!cJSON_IsObject(av) || !av->child || av->child->next || !av->child->string)
        return DDB_T_INVALID;
    const cJSON *p = av->child;
    ddb_attr_type t = DDB_T_INVALID;
    for (size_t i = 0; i < sizeof(TYPE_NAMES) / sizeof(TYPE_NAMES[0]); i++)
        if (strcmp(TYPE_NAMES[i].name, p->string) == 0) t = TYPE_NAMES[i].type;
    switch (t) {
    case DDB_T_S:
    case DDB_T_N:
    case DDB_T_B:
        return cJSON_IsString(p) ? t : DDB_T_INVALID;
    case DDB_T_BOOL:
        return cJSON_IsBool(p) ? t : DDB_T_INVALID;
    case DDB_T_NULL:
        return cJSON_IsBool(p) ? t : DDB_T_INVALID;
    case DDB_T_M:
        return cJSON_IsObject(p) ? t : DDB_T_INVALID;
    case DDB_T_L:
    case DDB_T_SS:
    case DDB_T_NS:
    case DDB_T_BS:
        return cJSON_IsArray(p) ? t : DDB_T_INVALID;
    default:
        return DDB_T_INVALID;
    }
}

const cJSON *ddb_attr_payload(const cJSON *av)
{
    return ddb_attr_type_of(av) == DDB_T_INVALID ? NULL : av->child;
}

/* ---- numbers ---- */

int ddb_number_parse(const char *s, int *sign, char digits[40], int *ndigits, int *exp10)
{
    if (!s) return -1;
    const char *p = s;
    int neg = 0;
    if (*p == '-' || *p == '+') neg = *p++ == '-';
    /* Collect the mantissa digits without leading zeros. */
    char buf[DDB_MAX_NUMBER_DIGITS + 2];
    int nd = 0;    /* significant digits kept so far (<= 39, then it is invalid) */
    long frac = 0; /* digits after the point that were kept or skipped as leading 0 */
    int seen_digit = 0, seen_point = 0, too_many = 0;
    long dropped_int = 0; /* integer-part zeros past the buffer: each multiplies by 10 */
    for (;; p++) {
        if (*p >= '0' && *p <= '9') {
            seen_digit = 1;
            if (seen_point) frac++;
            if (nd == 0 && *p == '0') continue;
            if (nd <= DDB_MAX_NUMBER_DIGITS) {
                buf[nd++] = *p;
            } else if (*p != '0') {
                too_many = 1; /* more than 38 significant digits */
            } else if (!seen_point) {
                if (dropped_int < 1000000) dropped_int++;
            } else {
                frac--; /* a zero past the kept fraction digits adds nothing */
            }
        } else if (*p == '.' && !seen_point) {
            seen_point = 1;
        } else {
            break;
        }
    }
    if (!seen_digit) return -1;
    long e = 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        int eneg = 0;
        if (*p == '-' || *p == '+') eneg = *p++ == '-';
        if (!(*p >= '0' && *p <= '9')) return -1;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (e < 1000000) e = e * 10 + (*p - '0');
        }
        if (eneg) e = -e;
    }
    if (*p != '\0') return -1;
    if (nd == 0) {
        *sign = 0;
        digits[0] = '\0';
        *ndigits = 0;
        *exp10 = 0;
        return 0;
    }
    if (too_many) return -1;
    long ex = e - frac + dropped_int;
    while (nd > 0 && buf[nd - 1] == '0') {
        nd--;
        ex++;
    }
    if (nd > DDB_MAX_NUMBER_DIGITS) return -1;
    long magnitude = nd + ex;
    if (magnitude < DDB_NUMBER_MIN_MAGNITUDE || magnitude > DDB_NUMBER_MAX_MAGNITUDE) return -1;
    memcpy(digits, buf, (size_t)nd);
    digits[nd] = '\0';
    *sign = neg ? -1 : 1;
    *ndigits = nd;
    *exp10 = (int)ex;
    return 0;
}

typedef struct num {
    int sign, nd, exp;
    char d[40];
} num;

static int num_parse(const char *s, num *n)
{
    return ddb_number_parse(s, &n->sign, n->d, &n->nd, &n->exp);
}

static int num_cmp(const num *a, const num *b)
{
    if (a->sign != b->sign) return a->sign < b->sign ? -1 : 1;
    if (a->sign == 0) return 0;
    int r;
    int ma = a->nd + a->exp, mb = b->nd + b->exp;
    if (ma != mb) {
        r = ma < mb ? -1 : 1;
    } else {
        int n = a->nd > b->nd ? a->nd : b->nd;
        r = 0;
        for (int i = 0; i < n && r == 0; i++) {
            char ca = i < a->nd ? a->d[i] : '0';
            char cb = i < b->nd ? b->d[i] : '0';
            r = (ca > cb) - (ca < cb);
        }
    }
    return a->sign < 0 ? -r : r;
}

static size_t number_size(const char *s)
{
    num n;
    if (num_parse(s, &n) != 0)
        return DDB_SIZE_NUMBER_OVERHEAD + (strlen(s) + 1) / 2; /* invalid: best effort */
    /* "1 byte per two significant digits, plus 1 byte" */
    return DDB_SIZE_NUMBER_OVERHEAD + (size_t)(n.nd + 1) / 2;
}

/* ---- base64 (OpenSSL does the coding; we add strict validation) ---- */

static int b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

/* 0 if s is canonical padded standard base64; fills the decoded length. */
static int b64_check(const char *s, size_t *decoded_len)
{
    size_t n = strlen(s);
    if (n % 4 != 0) return -1;
    size_t pad = 0;
    if (n >= 1 && s[n - 1] == '=') pad++;
    if (n >= 2 && s[n - 2] == '=') pad++;
    for (size_t i = 0; i < n - pad; i++)
        if (!b64_char(s[i])) return -1;
    *decoded_len = n / 4 * 3 - pad;
    return 0;
}

char *ddb_base64_encode(const void *data, size_t len)
{
    size_t outlen = 4 * ((len + 2) / 3);
    char *out = malloc(outlen + 1);
    if (!out) return NULL;
    if (len > INT32_MAX) {
        free(out);
        return NULL;
    }
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)(data ? data : ""), (int)len);
    out[outlen] = '\0';
    return out;
}

unsigned char *ddb_base64_decode(const char *s, size_t *out_len)
{
    size_t dlen;
    if (!s || b64_check(s, &dlen) != 0) return NULL;
    size_t n = strlen(s);
    if (n > INT32_MAX) return NULL;
    unsigned char *out = malloc(n / 4 * 3 + 1);
    if (!out) return NULL;
    if (n > 0 && EVP_DecodeBlock(out, (const unsigned char *)s, (int)n) < 0) {
        free(out);
        return NULL;
    }
    out[dlen] = '\0';
    if (out_len) *out_len = dlen;
    return out;
}

/* ---- set members as canonical byte strings (for duplicates and equality) ---- */

typedef struct memkey {
    unsigned char *p;
    size_t len;
} memkey;

static int memkey_cmp(const void *a, const void *b)
{
    const memkey *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->p, y->p, n) : 0;
    if (c) return c;
    return (x->len > y->len) - (x->len < y->len);
}

static void memkeys_free(memkey *k, size_t n)
{
    if (!k) return;
    for (size_t i = 0; i < n; i++)
        free(k[i].p);
    free(k);
}

/* Builds sorted canonical keys of a set's members. Returns 0, or -1 with *bad set to
 * the index of an invalid member (or -1 on allocation failure). */
static int set_keys(ddb_attr_type t, const cJSON *arr, memkey **out, size_t *count, int *bad)
{
    *out = NULL;
    *count = 0;
    *bad = -1;
    size_t n = (size_t)cJSON_GetArraySize(arr);
    memkey *k = calloc(n ? n : 1, sizeof(*k));
    if (!k) return -1;
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        if (!cJSON_IsString(e)) {
            *bad = (int)i;
            memkeys_free(k, i);
            return -1;
        }
        if (t == DDB_T_SS) {
            k[i].len = strlen(e->valuestring);
            k[i].p = (unsigned char *)strdup(e->valuestring);
        } else if (t == DDB_T_NS) {
            num nm;
            if (num_parse(e->valuestring, &nm) != 0) {
                *bad = (int)i;
                memkeys_free(k, i);
                return -1;
            }
            char tmp[80];
            int w = snprintf(tmp, sizeof(tmp), "%d|%d|%s", nm.sign, nm.exp, nm.d);
            k[i].len = (size_t)w;
            k[i].p = (unsigned char *)strdup(tmp);
        } else {
            k[i].p = ddb_base64_decode(e->valuestring, &k[i].len);
            if (!k[i].p) {
                *bad = (int)i;
                memkeys_free(k, i);
                return -1;
            }
        }
        if (!k[i].p) {
            memkeys_free(k, i);
            return -1;
        }
        i++;
    }
    qsort(k, n, sizeof(*k), memkey_cmp);
    *out = k;
    *count = n;
    return 0;
}

/* ---- validation ---- */

static int validate_rec(const cJSON *av, const char *path, int depth, char *err, size_t errlen);

/* The path only names the place in an error message: one too long for the buffer is cut
 * and ends in "...". */
static void child_path(char *out, size_t outlen, const char *path, const char *name, int index)
{
    int n = name ? snprintf(out, outlen, "%s.%s", path, name)
                 : snprintf(out, outlen, "%s[%d]", path, index);
    if (n >= 0 && (size_t)n >= outlen && outlen > 4) memcpy(out + outlen - 4, "...", 4);
}

static int validate_set(ddb_attr_type t, const cJSON *arr, const char *path, char *err,
                        size_t errlen)
{
    if (cJSON_GetArraySize(arr) == 0) {
        ddb_set_err(err, errlen, "%s: an empty set is not allowed", path);
        return -1;
    }
    memkey *k;
    size_t n;
    int bad;
    if (set_keys(t, arr, &k, &n, &bad) != 0) {
        if (bad < 0)
            ddb_set_err(err, errlen, "%s: out of memory", path);
        else if (t == DDB_T_NS)
            ddb_set_err(err, errlen, "%s[%d]: not a valid number", path, bad);
        else if (t == DDB_T_BS)
            ddb_set_err(err, errlen, "%s[%d]: not valid base64", path, bad);
        else
            ddb_set_err(err, errlen, "%s[%d]: set members must be strings", path, bad);
        return -1;
    }
    int rc = 0;
    for (size_t i = 1; i < n; i++) {
        if (memkey_cmp(&k[i - 1], &k[i]) == 0) {
            ddb_set_err(err, errlen, "%s: duplicate members in the %s set", path,
                        ddb_attr_type_name(t));
            rc = -1;
            break;
        }
    }
    memkeys_free(k, n);
    return rc;
}

static int validate_rec(const cJSON *av, const char *path, int depth, char *err, size_t errlen)
{
    ddb_attr_type t = ddb_attr_type_of(av);
    if (t == DDB_T_INVALID) {
        if (!cJSON_IsObject(av))
            ddb_set_err(err, errlen, "%s: an AttributeValue must be an object", path);
        else if (!av->child)
            ddb_set_err(err, errlen, "%s: an AttributeValue needs exactly one type member", path);
        else if (av->child->next)
            ddb_set_err(err, errlen, "%s: an AttributeValue has more than one type member", path);
        else
            ddb_set_err(err, errlen, "%s: unknown type or wrong payload for \"%s\"", path,
                        av->child->string ? av->child->string : "");
        return -1;
    }
    const cJSON *p = av->child;
    char sub[512];
    switch (t) {
    case DDB_T_S:
        return 0;
    case DDB_T_N: {
        num n;
        if (num_parse(p->valuestring, &n) != 0) {
            ddb_set_err(err, errlen,
                        "%s: not a valid number (at most 38 significant digits, "
                        "magnitude 1E-130 to 1E+126)",
                        path);
            return -1;
        }
        return 0;
    }
    case DDB_T_B: {
        size_t dl;
        if (b64_check(p->valuestring, &dl) != 0) {
            ddb_set_err(err, errlen, "%s: not valid base64", path);
            return -1;
        }
        return 0;
    }
    case DDB_T_BOOL:
        return 0;
    case DDB_T_NULL:
        if (!cJSON_IsTrue(p)) {
            ddb_set_err(err, errlen, "%s: NULL must be true", path);
            return -1;
        }
        return 0;
    case DDB_T_M:
    case DDB_T_L: {
        if (depth >= DDB_MAX_NESTING_DEPTH) {
            ddb_set_err(err, errlen, "%s: nesting deeper than %d levels", path,
                        DDB_MAX_NESTING_DEPTH);
            return -1;
        }
        int i = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, p)
        {
            if (t == DDB_T_M) {
                if (!e->string || !*e->string) {
                    ddb_set_err(err, errlen, "%s: empty attribute name", path);
                    return -1;
                }
                child_path(sub, sizeof(sub), path, e->string, 0);
            } else {
                child_path(sub, sizeof(sub), path, NULL, i);
            }
            if (validate_rec(e, sub, depth + 1, err, errlen) != 0) return -1;
            i++;
        }
        return 0;
    }
    case DDB_T_SS:
    case DDB_T_NS:
    case DDB_T_BS:
        return validate_set(t, p, path, err, errlen);
    default:
        return -1;
    }
}

int ddb_attr_validate(const cJSON *av, const char *path, char *err, size_t errlen)
{
    return validate_rec(av, path ? path : "value", 0, err, errlen);
}

int ddb_item_validate(const cJSON *item, char *err, size_t errlen)
{
    if (!cJSON_IsObject(item)) {
        ddb_set_err(err, errlen, "item: must be an object of attribute name to value");
        return -1;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, item)
    {
        if (!e->string || !*e->string) {
            ddb_set_err(err, errlen, "item: empty attribute name");
            return -1;
        }
        if (strlen(e->string) > DDB_MAX_ATTR_NAME_BYTES) {
            ddb_set_err(err, errlen, "item: attribute name longer than %d bytes",
                        DDB_MAX_ATTR_NAME_BYTES);
            return -1;
        }
        for (const cJSON *f = item->child; f != e; f = f->next) {
            if (strcmp(f->string, e->string) == 0) {
                ddb_set_err(err, errlen, "%s: duplicate attribute name", e->string);
                return -1;
            }
        }
        if (validate_rec(e, e->string, 0, err, errlen) != 0) return -1;
    }
    size_t size = ddb_item_size(item);
    if (size > DDB_MAX_ITEM_BYTES) {
        ddb_set_err(err, errlen, "item: size %zu bytes exceeds the maximum of %d bytes", size,
                    DDB_MAX_ITEM_BYTES);
        return -1;
    }
    return 0;
}

/* ---- size ---- */

static size_t b64_decoded_len(const char *s)
{
    size_t dl;
    if (b64_check(s, &dl) == 0) return dl;
    return strlen(s) / 4 * 3;
}

size_t ddb_attr_size(const cJSON *av)
{
    ddb_attr_type t = ddb_attr_type_of(av);
    const cJSON *p = t == DDB_T_INVALID ? NULL : av->child;
    size_t total = 0;
    const cJSON *e;
    switch (t) {
    case DDB_T_S:
        return strlen(p->valuestring);
    case DDB_T_N:
        return number_size(p->valuestring);
    case DDB_T_B:
        return b64_decoded_len(p->valuestring);
    case DDB_T_BOOL:
    case DDB_T_NULL:
        return DDB_SIZE_SCALAR_BOOL_NULL;
    case DDB_T_M:
        total = DDB_SIZE_CONTAINER_OVERHEAD;
        cJSON_ArrayForEach(e, p) total +=
            (e->string ? strlen(e->string) : 0) + ddb_attr_size(e) + DDB_SIZE_ELEMENT_OVERHEAD;
        return total;
    case DDB_T_L:
        total = DDB_SIZE_CONTAINER_OVERHEAD;
        cJSON_ArrayForEach(e, p) total += ddb_attr_size(e) + DDB_SIZE_ELEMENT_OVERHEAD;
        return total;
    case DDB_T_SS:
        cJSON_ArrayForEach(e, p) total += cJSON_IsString(e) ? strlen(e->valuestring) : 0;
        return total;
    case DDB_T_NS:
        cJSON_ArrayForEach(e, p) total += cJSON_IsString(e) ? number_size(e->valuestring) : 0;
        return total;
    case DDB_T_BS:
        cJSON_ArrayForEach(e, p) total += cJSON_IsString(e) ? b64_decoded_len(e->valuestring) : 0;
        return total;
    default:
        return 0;
    }
}

size_t ddb_item_size(const cJSON *item)
{
    size_t total = 0;
    const cJSON *e;
    if (!cJSON_IsObject(item)) return 0;
    cJSON_ArrayForEach(e, item) total += (e->string ? strlen(e->string) : 0) + ddb_attr_size(e);
    return total;
}

/* ---- comparison and equality ---- */

static int bytes_cmp(const unsigned char *a, size_t la, const unsigned char *b, size_t lb)
{
    size_t n = la < lb ? la : lb;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c < 0 ? -1 : 1;
    return (la > lb) - (la < lb);
}

int ddb_attr_compare(const cJSON *a, const cJSON *b)
{
    ddb_attr_type ta = ddb_attr_type_of(a), tb = ddb_attr_type_of(b);
    if (ta != tb) return ta < tb ? -1 : 1;
    const char *sa, *sb;
    switch (ta) {
    case DDB_T_S:
        sa = a->child->valuestring;
        sb = b->child->valuestring;
        return bytes_cmp((const unsigned char *)sa, strlen(sa), (const unsigned char *)sb,
                         strlen(sb));
    case DDB_T_N: {
        num na, nb;
        int ra = num_parse(a->child->valuestring, &na);
        int rb = num_parse(b->child->valuestring, &nb);
        if (ra || rb) /* invalid numbers order after valid ones, then bytewise */
            return ra != rb ? (ra ? 1 : -1) : strcmp(a->child->valuestring, b->child->valuestring);
        return num_cmp(&na, &nb);
    }
    case DDB_T_B: {
        size_t la = 0, lb = 0;
        unsigned char *da = ddb_base64_decode(a->child->valuestring, &la);
        unsigned char *db = ddb_base64_decode(b->child->valuestring, &lb);
        int r;
        if (da && db)
            r = bytes_cmp(da, la, db, lb);
        else
            r = strcmp(a->child->valuestring, b->child->valuestring);
        free(da);
        free(db);
        return r;
    }
    case DDB_T_BOOL:
        return cJSON_IsTrue(a->child) - cJSON_IsTrue(b->child);
    default:
        /* Non-scalar types have no documented order: equal or not, by content. */
        return ddb_attr_equal(a, b) ? 0 : (a < b ? -1 : 1);
    }
}

static int sets_equal(ddb_attr_type t, const cJSON *pa, const cJSON *pb)
{
    memkey *ka, *kb;
    size_t na, nb;
    int bad;
    if (set_keys(t, pa, &ka, &na, &bad) != 0) return 0;
    if (set_keys(t, pb, &kb, &nb, &bad) != 0) {
        memkeys_free(ka, na);
        return 0;
    }
    int eq = na == nb;
    for (size_t i = 0; eq && i < na; i++)
        eq = memkey_cmp(&ka[i], &kb[i]) == 0;
    memkeys_free(ka, na);
    memkeys_free(kb, nb);
    return eq;
}

int ddb_attr_equal(const cJSON *a, const cJSON *b)
{
    ddb_attr_type ta = ddb_attr_type_of(a), tb = ddb_attr_type_of(b);
    if (ta != tb || ta == DDB_T_INVALID) return 0;
    const cJSON *pa = a->child, *pb = b->child;
    switch (ta) {
    case DDB_T_S:
    case DDB_T_N:
    case DDB_T_B:
    case DDB_T_BOOL:
        return ddb_attr_compare(a, b) == 0;
    case DDB_T_NULL:
        return cJSON_IsTrue(pa) == cJSON_IsTrue(pb);
    case DDB_T_M: {
        if (cJSON_GetArraySize(pa) != cJSON_GetArraySize(pb)) return 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, pa)
        {
            const cJSON *o = cJSON_GetObjectItemCaseSensitive(pb, e->string);
            if (!o || !ddb_attr_equal(e, o)) return 0;
        }
        return 1;
    }
    case DDB_T_L: {
        const cJSON *x = pa->child, *y = pb->child;
        for (; x && y; x = x->next, y = y->next)
            if (!ddb_attr_equal(x, y)) return 0;
        return !x && !y;
    }
    default:
        return sets_equal(ta, pa, pb);
    }
}

/* ---- builders ---- */

static cJSON *scalar(const char *type, cJSON *payload)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !payload) {
        cJSON_Delete(o);
        cJSON_Delete(payload);
        return NULL;
    }
    /* The type name is a literal: attached without a copy. */
    cJSON_AddItemToObjectCS(o, type, payload);
    return o;
}

size_t ddb_json_quote(char *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"':
        case '\\':
            *o++ = (char)c;
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o++ = '"';
    return (size_t)(o - out);
}

cJSON *ddb_attr_s(const char *s)
{
    return scalar("S", cJSON_CreateString(s ? s : ""));
}

cJSON *ddb_attr_n_i64(int64_t v)
{
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "%" PRId64, v);
    return scalar("N", cJSON_CreateString(tmp));
}

cJSON *ddb_attr_n_str(const char *digits)
{
    return scalar("N", cJSON_CreateString(digits ? digits : "0"));
}

cJSON *ddb_attr_b(const void *bytes, size_t len)
{
    char *enc = ddb_base64_encode(bytes, len);
    if (!enc) return NULL;
    cJSON *o = scalar("B", cJSON_CreateString(enc));
    free(enc);
    return o;
}

cJSON *ddb_attr_bool(int v)
{
    return scalar("BOOL", cJSON_CreateBool(v ? 1 : 0));
}

cJSON *ddb_attr_null(void)
{
    return scalar("NULL", cJSON_CreateTrue());
}

/* ---- accessors ---- */

static const cJSON *typed_member(const cJSON *item, const char *name, ddb_attr_type t)
{
    if (!cJSON_IsObject(item) || !name) return NULL;
    const cJSON *av = cJSON_GetObjectItemCaseSensitive(item, name);
    if (ddb_attr_type_of(av) != t) return NULL;
    return av->child;
}

int ddb_item_get_s(const cJSON *item, const char *name, const char **out)
{
    const cJSON *p = typed_member(item, name, DDB_T_S);
    if (!p) return -1;
    *out = p->valuestring;
    return 0;
}

int ddb_item_get_i64(const cJSON *item, const char *name, int64_t *out)
{
    const cJSON *p = typed_member(item, name, DDB_T_N);
    num n;
    if (!p || num_parse(p->valuestring, &n) != 0) return -1;
    if (n.sign == 0) {
        *out = 0;
        return 0;
    }
    /* Integral and within int64: at most 19 digits once the exponent is applied. */
    if (n.exp < 0 || n.nd + n.exp > 19) return -1;
    uint64_t v = 0;
    for (int i = 0; i < n.nd + n.exp; i++) {
        unsigned d = i < n.nd ? (unsigned)(n.d[i] - '0') : 0;
        if (v > (UINT64_MAX - d) / 10) return -1;
        v = v * 10 + d;
    }
    if (n.sign > 0) {
        if (v > (uint64_t)INT64_MAX) return -1;
        *out = (int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX + 1) return -1;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    }
    return 0;
}

int ddb_item_get_n_double(const cJSON *item, const char *name, double *out)
{
    const cJSON *p = typed_member(item, name, DDB_T_N);
    num n;
    if (!p || num_parse(p->valuestring, &n) != 0) return -1;
    *out = strtod(p->valuestring, NULL);
    return 0;
}
