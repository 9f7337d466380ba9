/*
 * sigv4.h - AWS Signature Version 4 (header signing), for the client and for the
 * emulator's verification of incoming requests.
 *
 * Spec: "Signature Version 4 signing process" (AWS General Reference); validated by
 * the AWS SigV4 test suite under tests/fixtures/sigv4. The signing key (the HMAC chain
 * over date/region/service) is derived once per (secret, date, region, service) and
 * cached in a ddb_sigv4_keycache owned by the caller (one per thread or per client), as
 * an HMAC context keyed with it, so that signing a request costs one HMAC and two
 * SHA-256 digests. A cache starts zeroed and is released with ddb_sigv4_keycache_clear.
 */
#ifndef BC_DDB_SIGV4_H
#define BC_DDB_SIGV4_H
#include <stddef.h>

#define DDB_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
/* Requests dated more than 15 minutes from the server's clock are rejected by AWS
 * ("Signature expired"). */
#define DDB_SIGV4_MAX_SKEW_S (15 * 60)

typedef struct ddb_header {
    const char *name;
    const char *value;
} ddb_header;

typedef struct ddb_sigv4_input {
    const char *method;        /* "POST" */
    const char *path;          /* raw request path, "/" for DynamoDB */
    const char *query;         /* raw query string without '?', or NULL/"" */
    const ddb_header *headers; /* headers as sent (must include host and x-amz-date) */
    size_t nheaders;
    const void *body;
    size_t body_len;
    const char *region;
    const char *service;  /* "dynamodb" */
    const char *amz_date; /* "20150830T123600Z" */
    const char *access_key_id;
    const char *secret_access_key;
    int normalize_path; /* 1 for every service except S3 */
    /* Names (lower case, ';'-separated, sorted) of the headers to sign, as a verifier
     * reads them from the Authorization header; NULL signs every header given. */
    const char *signed_headers;
    /* SHA-256 of secret_access_key (32 bytes) when the caller keeps it (a client
     * computes it once, as its secret does not change), so that a cache hit costs no
     * digest of the secret per request; NULL: computed here. It must match the secret. */
    const unsigned char *secret_fingerprint;
} ddb_sigv4_input;

struct evp_mac_ctx_st;    /* OpenSSL's EVP_MAC_CTX */
struct ddb_sigv4_scratch; /* buffers reused from one signature to the next */
typedef struct ddb_sigv4_keycache {
    char date[9];
    char region[64];
    char service[64];
    unsigned char secret_fingerprint[32]; /* SHA-256 of the secret, never the secret */
    struct evp_mac_ctx_st *mac;           /* HMAC-SHA256 keyed with the signing key */
    struct ddb_sigv4_scratch *scratch;
    int valid;
} ddb_sigv4_keycache;
/* Frees the cached context and wipes the cache (which may then be reused). */
void ddb_sigv4_keycache_clear(ddb_sigv4_keycache *cache);

/* Each returns 0 on success, -1 on bad input; *out is malloc'd (caller frees). */
int ddb_sigv4_canonical_request(const ddb_sigv4_input *in, char **out);
int ddb_sigv4_string_to_sign(const ddb_sigv4_input *in, const char *canonical_request, char **out);
/* Hex signature (64 chars + NUL). cache may be NULL. */
int ddb_sigv4_signature(const ddb_sigv4_input *in, ddb_sigv4_keycache *cache, char out[65]);
/* Full Authorization header value:
 * "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request,
 *  SignedHeaders=host;x-amz-date, Signature=..." */
int ddb_sigv4_authorization(const ddb_sigv4_input *in, ddb_sigv4_keycache *cache, char **out);

/* Parsed Authorization header (verification side). */
typedef struct ddb_sigv4_auth {
    char access_key_id[128];
    char date[9];
    char region[64];
    char service[64];
    char signed_headers[1024];
    char signature[65];
} ddb_sigv4_auth;
int ddb_sigv4_parse_authorization(const char *header_value, ddb_sigv4_auth *out);

/* SHA-256 of data (32 bytes out). */
void ddb_sha256(const void *data, size_t len, unsigned char out[32]);
/* Hex SHA-256 of data (65 bytes out). */
void ddb_sha256_hex(const void *data, size_t len, char out[65]);
/* Constant-time comparison of two NUL-terminated strings of equal length. */
int ddb_consttime_streq(const char *a, const char *b);
#endif
