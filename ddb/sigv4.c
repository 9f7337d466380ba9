/*
 * sigv4.c - AWS Signature Version 4 (header signing) for the client, and the same
 * canonicalisation for the emulator's verification of incoming requests.
 *
 * Follows "Create a canonical request for Signature Version 4" (AWS General Reference)
 * as the AWS SigV4 test suite pins it down (tests/fixtures/sigv4): paths are normalised
 * (dot segments and duplicate slashes removed) unless the caller says not to, then
 * every byte outside the unreserved set is percent-encoded ("double encoding": an
 * existing %XX becomes %25XX); query parameters are decoded, re-encoded and sorted by
 * key then value; header names are lower-cased, values trimmed with inner whitespace
 * runs collapsed, repeated headers joined with ',' in the order they were given.
 *
 * No function here logs anything: its inputs include the secret key.
 */
#include "ddb/sigv4.h"
#include "ddb/internal.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SIGV4_TERMINATOR "aws4_request"
#define AMZ_DATE_LEN 16 /* "20150830T123600Z" */

static const char HEX_LOWER[] = "0123456789abcdef";
static const char HEX_UPPER[] = "0123456789ABCDEF";

static void to_hex(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEX_LOWER[in[i] >> 4];
        out[2 * i + 1] = HEX_LOWER[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* SHA-256 and HMAC, fetched from the provider once: SHA256() and HMAC() fetch them by
 * name on every call, a lookup under a lock that cost more than hashing a request. The
 * fetched objects are shared by all threads (OpenSSL allows it) and live until exit. */
static EVP_MD *g_sha256;
static EVP_MAC *g_hmac;
static pthread_once_t g_fetch_once = PTHREAD_ONCE_INIT;

static void fetch_algorithms(void)
{
    g_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    g_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static const EVP_MD *sha256_md(void)
{
    pthread_once(&g_fetch_once, fetch_algorithms);
    return g_sha256 ? g_sha256 : EVP_sha256();
}

static void sha256(const void *data, size_t len, unsigned char md[SHA256_DIGEST_LENGTH])
{
    if (!EVP_Digest(data ? data : "", len, md, NULL, sha256_md(), NULL))
        SHA256((const unsigned char *)(data ? data : ""), len, md);
}

void ddb_sha256(const void *data, size_t len, unsigned char out[32])
{
    sha256(data, len, out);
}

void ddb_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    sha256(data, len, md);
    to_hex(md, sizeof(md), out);
}

int ddb_consttime_streq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb) return 0;
    return CRYPTO_memcmp(a, b, la) == 0;
}

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static void uri_encode(ddb_buf *b, const char *s, size_t n, int keep_slash)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            ddb_buf_putc_fast(b, (char)c);
        } else {
            char esc[3] = {'%', HEX_UPPER[c >> 4], HEX_UPPER[c & 15]};
            ddb_buf_append(b, esc, 3);
        }
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..n) into a new buffer; an invalid escape is kept literally. */
static char *uri_decode(const char *s, size_t n, size_t *outlen)
{
    char *out = malloc(n + 1);
    if (!out) return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            out[j++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            out[j++] = s[i];
        }
    }
    out[j] = '\0';
    *outlen = j;
    return out;
}

/* Canonical URI. With normalize: "." and ".." segments and empty segments removed
 * (RFC 3986 remove_dot_segments, plus duplicate-slash collapsing as every AWS SDK does
 * for non-S3 services), a trailing slash kept. Then each byte is encoded. */
static int canonical_path(ddb_buf *b, const char *path, int normalize)
{
    if (!path || !*path) path = "/";
    if (!normalize) {
        uri_encode(b, path, strlen(path), 1);
        return 0;
    }
    if (path[0] == '/' && path[1] == '\0') {
        /* The root, which every DynamoDB request signs: already canonical, and common
         * enough that the segment arrays below are worth skipping. */
        ddb_buf_putc_fast(b, '/');
        return 0;
    }
    size_t n = strlen(path);
    /* Segments as (start, len) pairs; at most n/1 + 1 of them. */
    size_t *seg_start = malloc((n + 1) * sizeof(size_t));
    size_t *seg_len = malloc((n + 1) * sizeof(size_t));
    if (!seg_start || !seg_len) {
        free(seg_start);
        free(seg_len);
        return -1;
    }
    size_t nseg = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && path[i] == '/')
            i++;
        size_t st = i;
        while (i < n && path[i] != '/')
            i++;
        size_t len = i - st;
        if (len == 0 || (len == 1 && path[st] == '.')) continue;
        if (len == 2 && path[st] == '.' && path[st + 1] == '.') {
            if (nseg > 0) nseg--;
            continue;
        }
        seg_start[nseg] = st;
        seg_len[nseg] = len;
        nseg++;
    }
    ddb_buf_putc_fast(b, '/');
    for (size_t k = 0; k < nseg; k++) {
        if (k > 0) ddb_buf_putc_fast(b, '/');
        uri_encode(b, path + seg_start[k], seg_len[k], 0);
    }
    if (nseg > 0 && path[n - 1] == '/') ddb_buf_putc_fast(b, '/');
    free(seg_start);
    free(seg_len);
    return 0;
}

typedef struct qparam {
    char *key; /* encoded */
    char *val; /* encoded */
} qparam;

static int qparam_cmp(const void *a, const void *b)
{
    const qparam *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->val, y->val);
}

static char *encode_component(const char *s, size_t n)
{
    size_t dlen;
    char *dec = uri_decode(s, n, &dlen);
    if (!dec) return NULL;
    ddb_buf b;
    ddb_buf_init(&b);
    uri_encode(&b, dec, dlen, 0);
    free(dec);
    return ddb_buf_take(&b);
}

static int canonical_query(ddb_buf *b, const char *query)
{
    if (!query || !*query) return 0;
    size_t n = strlen(query);
    size_t cap = 1;
    for (size_t i = 0; i < n; i++)
        cap += query[i] == '&';
    qparam *ps = calloc(cap, sizeof(*ps));
    if (!ps) return -1;
    size_t np = 0;
    int rc = 0;
    const char *p = query;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > 0) {
            const char *eq = memchr(p, '=', len);
            size_t klen = eq ? (size_t)(eq - p) : len;
            ps[np].key = encode_component(p, klen);
            ps[np].val = eq ? encode_component(eq + 1, len - klen - 1) : strdup("");
            np++;
            if (!ps[np - 1].key || !ps[np - 1].val) {
                rc = -1;
                break;
            }
        }
        if (!amp) break;
        p = amp + 1;
    }
    if (rc == 0) {
        qsort(ps, np, sizeof(*ps), qparam_cmp);
        for (size_t i = 0; i < np; i++) {
            if (i > 0) ddb_buf_putc_fast(b, '&');
            ddb_buf_puts(b, ps[i].key);
            ddb_buf_putc_fast(b, '=');
            ddb_buf_puts(b, ps[i].val);
        }
    }
    for (size_t i = 0; i < np; i++) {
        free(ps[i].key);
        free(ps[i].val);
    }
    free(ps);
    return rc;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Trims and collapses whitespace runs (folded continuation lines included). The result
 * is never longer than v: room for all of it is made once. */
static void canonical_value(ddb_buf *b, const char *v)
{
    while (*v && is_space(*v))
        v++;
    if (ddb_buf_reserve(b, strlen(v)) != 0) return;
    char *o = b->data + b->len;
    int pending_space = 0;
    for (; *v; v++) {
        if (is_space(*v)) {
            pending_space = 1;
            continue;
        }
        if (pending_space) *o++ = ' ';
        pending_space = 0;
        *o++ = *v;
    }
    *o = '\0';
    b->len = (size_t)(o - b->data);
}

static char *lower_dup(const char *s)
{
    size_t n = strlen(s);
    char *o = malloc(n + 1);
    if (!o) return NULL;
    for (size_t i = 0; i <= n; i++)
        o[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
    return o;
}

/* A signed header's lower-case name and the first header given under it. */
typedef struct hname {
    const char *name;
    size_t first;
} hname;

static int hname_cmp(const void *a, const void *b)
{
    return strcmp(((const hname *)a)->name, ((const hname *)b)->name);
}

/* 1 if `name` (lower case) is an element of the ';'-separated list. */
static int list_has(const char *list, const char *name)
{
    size_t n = strlen(name);
    const char *p = list;
    while (*p) {
        const char *semi = strchr(p, ';');
        size_t len = semi ? (size_t)(semi - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0) return 1;
        if (!semi) break;
        p = semi + 1;
    }
    return 0;
}

/* The most headers whose names are sorted on the stack; more take an allocation. */
#define STACK_HEADERS 16

/* Writes the canonical headers and the signed-header list: the sorted unique lower-case
 * names (collected in names, NUL-separated). */
static int canonical_headers(const ddb_sigv4_input *in, ddb_buf *hdrs, ddb_buf *signed_list,
                             ddb_buf *names)
{
    size_t off_stack[STACK_HEADERS], first_stack[STACK_HEADERS];
    hname name_stack[STACK_HEADERS];
    int small = in->nheaders <= STACK_HEADERS;
    size_t *off = small ? off_stack : malloc((in->nheaders + 1) * sizeof(*off));
    size_t *firsts = small ? first_stack : malloc((in->nheaders + 1) * sizeof(*firsts));
    hname *sorted = small ? name_stack : malloc((in->nheaders + 1) * sizeof(*sorted));
    int rc = off && firsts && sorted ? 0 : -1;
    size_t nn = 0;
    int repeated = 0; /* some name given twice: values are joined, below */
    names->len = 0;
    names->oom = 0;
    for (size_t i = 0; i < in->nheaders && rc == 0; i++) {
        if (!in->headers[i].name || !in->headers[i].value) {
            rc = -1;
            break;
        }
        size_t start = names->len, nlen = strlen(in->headers[i].name);
        if (ddb_buf_reserve(names, nlen + 1) != 0) {
            rc = -1;
            break;
        }
        char *ln = names->data + start;
        for (size_t c = 0; c < nlen; c++) {
            char ch = in->headers[i].name[c];
            ln[c] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
        }
        ln[nlen] = '\0';
        names->len = start + nlen + 1;
        int keep = !in->signed_headers || list_has(in->signed_headers, ln);
        for (size_t k = 0; k < nn && keep; k++) {
            if (strcmp(names->data + off[k], ln) == 0) {
                keep = 0;
                repeated = 1;
            }
        }
        if (keep) {
            firsts[nn] = i;
            off[nn++] = start;
        } else
            names->len = start;
    }
    if (rc == 0) {
        for (size_t k = 0; k < nn; k++) {
            sorted[k].name = names->data + off[k];
            sorted[k].first = firsts[k];
        }
        qsort(sorted, nn, sizeof(*sorted), hname_cmp);
        for (size_t k = 0; k < nn; k++) {
            ddb_buf_puts(hdrs, sorted[k].name);
            ddb_buf_putc_fast(hdrs, ':');
            if (!repeated) {
                /* Each name given once: its value is the one header's. */
                canonical_value(hdrs, in->headers[sorted[k].first].value);
            } else {
                int first = 1;
                for (size_t i = sorted[k].first; i < in->nheaders; i++) {
                    if (strcasecmp(in->headers[i].name, sorted[k].name) != 0) continue;
                    if (!first) ddb_buf_putc_fast(hdrs, ',');
                    first = 0;
                    canonical_value(hdrs, in->headers[i].value);
                }
            }
            ddb_buf_putc_fast(hdrs, '\n');
            if (k > 0) ddb_buf_putc_fast(signed_list, ';');
            ddb_buf_puts(signed_list, sorted[k].name);
        }
        /* A verifier was told to check a header the request does not carry. */
        if (in->signed_headers) {
            char *want = lower_dup(in->signed_headers);
            if (!want || strcmp(want, signed_list->data ? signed_list->data : "") != 0) rc = -1;
            free(want);
        }
    }
    if (!small) {
        free(off);
        free(firsts);
        free(sorted);
    }
    return rc;
}

static const char *find_header(const ddb_sigv4_input *in, const char *name)
{
    for (size_t i = 0; i < in->nheaders; i++)
        if (in->headers[i].name && strcasecmp(in->headers[i].name, name) == 0)
            return in->headers[i].value;
    return NULL;
}

static int input_ok(const ddb_sigv4_input *in)
{
    return in && in->method && (in->headers || in->nheaders == 0) &&
           (in->body || in->body_len == 0);
}

/* The buffers and digest context one signature needs. A key cache keeps one, so that
 * signing allocates nothing once its buffers have grown; without a cache it lives on
 * the stack for one call. */
struct ddb_sigv4_scratch {
    ddb_buf creq, hdrs, names, list, sts;
    EVP_MD_CTX *md;
};
typedef struct ddb_sigv4_scratch sig_scratch;

static void scratch_init(sig_scratch *x)
{
    memset(x, 0, sizeof(*x));
    ddb_buf *bufs[] = {&x->creq, &x->hdrs, &x->names, &x->list, &x->sts};
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
        ddb_buf_init(bufs[i]);
    x->md = EVP_MD_CTX_new();
}

static void scratch_reset(sig_scratch *x)
{
    ddb_buf *bufs[] = {&x->creq, &x->hdrs, &x->names, &x->list, &x->sts};
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) {
        bufs[i]->len = 0;
        bufs[i]->oom = 0;
        if (bufs[i]->data) bufs[i]->data[0] = '\0';
    }
}

static void scratch_free(sig_scratch *x)
{
    ddb_buf *bufs[] = {&x->creq, &x->hdrs, &x->names, &x->list, &x->sts};
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) {
        /* The string to sign and the canonical request carry no secret, but wiping
         * costs little and keeps the rule simple: nothing of a signature outlives it. */
        if (bufs[i]->data) OPENSSL_cleanse(bufs[i]->data, bufs[i]->cap);
        ddb_buf_free(bufs[i]);
    }
    EVP_MD_CTX_free(x->md);
    x->md = NULL;
}

/* SHA-256 through the scratch's digest context (one-shot when it has none). */
static void sha256_with(EVP_MD_CTX *ctx, const void *data, size_t len,
                        unsigned char md[SHA256_DIGEST_LENGTH])
{
    unsigned int n = 0;
    if (!ctx || !EVP_DigestInit_ex2(ctx, sha256_md(), NULL) ||
        !EVP_DigestUpdate(ctx, data ? data : "", len) || !EVP_DigestFinal_ex(ctx, md, &n) ||
        n != SHA256_DIGEST_LENGTH)
        sha256(data, len, md);
}

static void sha256_hex_with(EVP_MD_CTX *ctx, const void *data, size_t len, char out[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    sha256_with(ctx, data, len, md);
    to_hex(md, sizeof(md), out);
}

/* The canonical request into x->creq and the signed-header list into x->list: one
 * pass, which both the signature and the Authorization header use. */
static int canonical_request_into(const ddb_sigv4_input *in, sig_scratch *x)
{
    if (!input_ok(in)) return -1;
    ddb_buf *creq = &x->creq, *signed_list = &x->list;
    int rc = 0;
    ddb_buf_puts(creq, in->method);
    ddb_buf_putc_fast(creq, '\n');
    if (canonical_path(creq, in->path, in->normalize_path) != 0) rc = -1;
    ddb_buf_putc_fast(creq, '\n');
    if (rc == 0 && canonical_query(creq, in->query) != 0) rc = -1;
    ddb_buf_putc_fast(creq, '\n');
    if (rc == 0 && canonical_headers(in, &x->hdrs, signed_list, &x->names) != 0) rc = -1;
    if (rc == 0) {
        ddb_buf_append(creq, x->hdrs.data ? x->hdrs.data : "", x->hdrs.len);
        ddb_buf_putc_fast(creq, '\n');
        ddb_buf_append(creq, signed_list->data ? signed_list->data : "", signed_list->len);
        ddb_buf_putc_fast(creq, '\n');
        /* S3-style callers state the payload hash in x-amz-content-sha256; everyone
         * else (DynamoDB included) hashes the body. */
        const char *declared = find_header(in, "x-amz-content-sha256");
        if (declared) {
            ddb_buf_puts(creq, declared);
        } else {
            char hex[65];
            sha256_hex_with(x->md, in->body, in->body_len, hex);
            ddb_buf_append(creq, hex, 64);
        }
    }
    if (creq->oom || signed_list->oom || x->hdrs.oom) rc = -1;
    return rc;
}

int ddb_sigv4_canonical_request(const ddb_sigv4_input *in, char **out)
{
    *out = NULL;
    sig_scratch x;
    scratch_init(&x);
    int rc = canonical_request_into(in, &x);
    if (rc == 0) *out = ddb_buf_take(&x.creq);
    scratch_free(&x);
    return rc == 0 && *out ? 0 : -1;
}

static int scope_ok(const ddb_sigv4_input *in)
{
    return in->amz_date && strlen(in->amz_date) == AMZ_DATE_LEN && in->region && *in->region &&
           in->service && *in->service && strlen(in->region) < 64 && strlen(in->service) < 64;
}

/* "<date>/<region>/<service>/aws4_request" */
static void put_scope(ddb_buf *b, const ddb_sigv4_input *in)
{
    ddb_buf_append(b, in->amz_date, 8);
    ddb_buf_putc_fast(b, '/');
    ddb_buf_puts(b, in->region);
    ddb_buf_putc_fast(b, '/');
    ddb_buf_puts(b, in->service);
    ddb_buf_putc_fast(b, '/');
    ddb_buf_puts(b, SIGV4_TERMINATOR);
}

static void string_to_sign_into(const ddb_sigv4_input *in, const char *creq, size_t creq_len,
                                EVP_MD_CTX *md, ddb_buf *b)
{
    char hex[65];
    sha256_hex_with(md, creq, creq_len, hex);
    ddb_buf_puts(b, DDB_SIGV4_ALGORITHM);
    ddb_buf_putc_fast(b, '\n');
    ddb_buf_puts(b, in->amz_date);
    ddb_buf_putc_fast(b, '\n');
    put_scope(b, in);
    ddb_buf_putc_fast(b, '\n');
    ddb_buf_append(b, hex, 64);
}

int ddb_sigv4_string_to_sign(const ddb_sigv4_input *in, const char *canonical_request, char **out)
{
    *out = NULL;
    if (!in || !canonical_request || !scope_ok(in)) return -1;
    ddb_buf b;
    ddb_buf_init(&b);
    string_to_sign_into(in, canonical_request, strlen(canonical_request), NULL, &b);
    *out = ddb_buf_take(&b);
    return *out ? 0 : -1;
}

/* A new HMAC-SHA256 context keyed with key (NULL on failure). */
static EVP_MAC_CTX *hmac_new(const void *key, size_t keylen)
{
    pthread_once(&g_fetch_once, fetch_algorithms);
    if (!g_hmac) return NULL;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(g_hmac);
    if (!ctx) return NULL;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    if (!EVP_MAC_init(ctx, key, keylen, params)) {
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* HMAC of msg with the context's key; the context is re-initialised first, so a keyed
 * context signs any number of messages. */
static int hmac_run(EVP_MAC_CTX *ctx, int reinit, const void *msg, size_t msglen,
                    unsigned char out[32])
{
    size_t outlen = 0;
    if (reinit && !EVP_MAC_init(ctx, NULL, 0, NULL)) return -1;
    if (!EVP_MAC_update(ctx, msg, msglen) || !EVP_MAC_final(ctx, out, &outlen, 32) || outlen != 32)
        return -1;
    return 0;
}

static int hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                       unsigned char out[32])
{
    EVP_MAC_CTX *ctx = hmac_new(key, keylen);
    if (!ctx) {
        unsigned int len = 32;
        if (!HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &len) || len != 32) return -1;
        return 0;
    }
    int rc = hmac_run(ctx, 0, msg, msglen, out);
    EVP_MAC_CTX_free(ctx);
    return rc;
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request") */
static int derive_key(const char *secret, const char *date, const char *region, const char *service,
                      unsigned char key[32])
{
    size_t sl = strlen(secret);
    char *k0 = malloc(sl + 5);
    if (!k0) return -1;
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret, sl + 1);
    unsigned char k1[32], k2[32], k3[32];
    int rc = hmac_sha256(k0, sl + 4, date, 8, k1);
    OPENSSL_cleanse(k0, sl + 4);
    free(k0);
    if (rc == 0) rc = hmac_sha256(k1, 32, region, strlen(region), k2);
    if (rc == 0) rc = hmac_sha256(k2, 32, service, strlen(service), k3);
    if (rc == 0) rc = hmac_sha256(k3, 32, SIGV4_TERMINATOR, strlen(SIGV4_TERMINATOR), key);
    OPENSSL_cleanse(k1, sizeof(k1));
    OPENSSL_cleanse(k2, sizeof(k2));
    OPENSSL_cleanse(k3, sizeof(k3));
    return rc;
}

void ddb_sigv4_keycache_clear(ddb_sigv4_keycache *cache)
{
    if (!cache) return;
    EVP_MAC_CTX_free(cache->mac);
    if (cache->scratch) {
        scratch_free(cache->scratch);
        free(cache->scratch);
    }
    OPENSSL_cleanse(cache, sizeof(*cache));
}

/* Signs sts with the day's signing key: from the cache's keyed HMAC context when the
 * date, region, service and secret match, else derived (and cached when there is one). */
static int sign_sts(const ddb_sigv4_input *in, ddb_sigv4_keycache *cache, EVP_MD_CTX *md,
                    const char *sts, size_t sts_len, unsigned char sig[32])
{
    char date[9];
    memcpy(date, in->amz_date, 8);
    date[8] = '\0';
    unsigned char fp[32];
    if (cache) {
        if (in->secret_fingerprint)
            memcpy(fp, in->secret_fingerprint, sizeof(fp));
        else
            sha256_with(md, in->secret_access_key, strlen(in->secret_access_key), fp);
        if (cache->valid && cache->mac && strcmp(cache->date, date) == 0 &&
            strcmp(cache->region, in->region) == 0 && strcmp(cache->service, in->service) == 0 &&
            CRYPTO_memcmp(cache->secret_fingerprint, fp, 32) == 0 &&
            hmac_run(cache->mac, 1, sts, sts_len, sig) == 0)
            return 0;
        /* A miss, or a context that cannot be reinitialised: derive the key afresh. */
    }
    unsigned char key[32];
    if (derive_key(in->secret_access_key, date, in->region, in->service, key) != 0) return -1;
    int rc = hmac_sha256(key, 32, sts, sts_len, sig);
    if (rc == 0 && cache) {
        EVP_MAC_CTX_free(cache->mac);
        sig_scratch *keep = cache->scratch;
        OPENSSL_cleanse(cache, sizeof(*cache));
        cache->scratch = keep;
        cache->mac = hmac_new(key, 32);
        memcpy(cache->date, date, sizeof(cache->date));
        snprintf(cache->region, sizeof(cache->region), "%s", in->region);
        snprintf(cache->service, sizeof(cache->service), "%s", in->service);
        memcpy(cache->secret_fingerprint, fp, 32);
        cache->valid = cache->mac != NULL;
    }
    OPENSSL_cleanse(key, sizeof(key));
    return rc;
}

/* The hex signature; the signed-header list is left in x->list. */
static int signature_into(const ddb_sigv4_input *in, ddb_sigv4_keycache *cache, sig_scratch *x,
                          char out[65])
{
    out[0] = '\0';
    if (!input_ok(in) || !scope_ok(in) || !in->secret_access_key) return -1;
    int rc = canonical_request_into(in, x);
    if (rc == 0) {
        string_to_sign_into(in, x->creq.data, x->creq.len, x->md, &x->sts);
        rc = x->sts.oom ? -1 : 0;
    }
    unsigned char sig[32];
    if (rc == 0) rc = sign_sts(in, cache, x->md, x->sts.data, x->sts.len, sig);
    if (rc != 0) return -1;
    to_hex(sig, 32, out);
    return 0;
}

/* The scratch to sign with: the cache's (made on first use), else the caller's local. */
static sig_scratch *scratch_for(ddb_sigv4_keycache *cache, sig_scratch *local)
{
    if (cache && !cache->scratch) {
        cache->scratch = malloc(sizeof(sig_scratch));
        if (cache->scratch) scratch_init(cache->scratch);
    }
    if (cache && cache->scratch) {
        scratch_reset(cache->scratch);
        return cache->scratch;
    }
    scratch_init(local);
    return local;
}

static void scratch_done(sig_scratch *x, sig_scratch *local)
{
    if (x == local) scratch_free(local);
}

int ddb_sigv4_signature(const ddb_sigv4_input *in, ddb_sigv4_keycache *cache, char out[65])
{
    sig_scratch local, *x = scratch_for(cache, &local);
    int rc = signature_into(in, cache, x, out);
    scratch_done(x, &local);
    return rc;
}

int ddb_sigv4_authorization(const ddb_sigv4_input *in, ddb_sigv4_keycache *cache, char **out)
{
    *out = NULL;
    if (!in || !in->access_key_id) return -1;
    char sig[65];
    sig_scratch local, *x = scratch_for(cache, &local);
    if (signature_into(in, cache, x, sig) != 0) {
        scratch_done(x, &local);
        return -1;
    }
    ddb_buf b;
    ddb_buf_init(&b);
    ddb_buf_reserve(&b, 128 + x->list.len + strlen(in->access_key_id) + strlen(in->region) +
                            strlen(in->service));
    ddb_buf_puts(&b, DDB_SIGV4_ALGORITHM " Credential=");
    ddb_buf_puts(&b, in->access_key_id);
    ddb_buf_putc_fast(&b, '/');
    put_scope(&b, in);
    ddb_buf_puts(&b, ", SignedHeaders=");
    ddb_buf_append(&b, x->list.data ? x->list.data : "", x->list.len);
    ddb_buf_puts(&b, ", Signature=");
    ddb_buf_append(&b, sig, 64);
    scratch_done(x, &local);
    *out = ddb_buf_take(&b);
    return *out ? 0 : -1;
}

/* Copies the value of "Name=value" (ending at ',' or end) into out; -1 if too long. */
static int auth_field(const char *h, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    const char *p = h;
    while ((p = strstr(p, name)) != NULL) {
        /* must start the string or follow a space/comma */
        if ((p == h || p[-1] == ' ' || p[-1] == ',') && p[nl] == '=') break;
        p += nl;
    }
    if (!p) return -1;
    p += nl + 1;
    size_t len = strcspn(p, ", ");
    if (len == 0 || len >= outlen) return -1;
    memcpy(out, p, len);
    out[len] = '\0';
    return 0;
}

int ddb_sigv4_parse_authorization(const char *header_value, ddb_sigv4_auth *out)
{
    memset(out, 0, sizeof(*out));
    if (!header_value) return -1;
    const char *h = header_value;
    while (*h == ' ')
        h++;
    size_t al = strlen(DDB_SIGV4_ALGORITHM);
    if (strncmp(h, DDB_SIGV4_ALGORITHM, al) != 0 || h[al] != ' ') return -1;
    h += al;
    char cred[512];
    if (auth_field(h, "Credential", cred, sizeof(cred)) != 0 ||
        auth_field(h, "SignedHeaders", out->signed_headers, sizeof(out->signed_headers)) != 0 ||
        auth_field(h, "Signature", out->signature, sizeof(out->signature)) != 0)
        goto bad;
    if (strlen(out->signature) != 64) goto bad;
    for (const char *s = out->signature; *s; s++)
        if (hexval(*s) < 0) goto bad;
    /* Credential=AKID/date/region/service/aws4_request (AKID has no '/'). */
    char *parts[5];
    int np = 0;
    char *save = NULL;
    for (char *t = strtok_r(cred, "/", &save); t && np < 5; t = strtok_r(NULL, "/", &save))
        parts[np++] = t;
    if (np != 5 || strtok_r(NULL, "/", &save) != NULL) goto bad;
    if (strcmp(parts[4], SIGV4_TERMINATOR) != 0 || strlen(parts[1]) != 8 ||
        strlen(parts[0]) >= sizeof(out->access_key_id) || strlen(parts[2]) >= sizeof(out->region) ||
        strlen(parts[3]) >= sizeof(out->service))
        goto bad;
    strcpy(out->access_key_id, parts[0]);
    strcpy(out->date, parts[1]);
    strcpy(out->region, parts[2]);
    strcpy(out->service, parts[3]);
    return 0;
bad:
    memset(out, 0, sizeof(*out));
    return -1;
}
