/*
 * ddb.h - the DynamoDB client library: configuration and credential chain, SigV4,
 * HTTP over libcurl, the JSON-1.0 protocol, typed errors, AWS "standard" retries,
 * consumed capacity.
 *
 * Requests and responses are cJSON trees in DynamoDB's wire shape (items are
 * {"pk":{"S":"k1"},...}); attr.h has the AttributeValue helpers. A ddb_client owns
 * one curl easy handle (one keep-alive connection) and is used by one thread at a
 * time: each worker makes its own.
 *
 * Outcomes (see DESIGN.md "Time and identity"): every call reports whether the
 * operation definitely happened (OK), definitely did not (FAIL: a 4xx the service
 * answered before applying anything, or a connection that never sent the request), or
 * may have happened (INFO: timeout after sending, reset, 5xx, a CRC mismatch). If any
 * attempt was indeterminate, a later definite failure is still INFO (the first attempt
 * may have applied, which is why the retry was refused).
 */
#ifndef BC_DDB_H
#define BC_DDB_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* AWS "standard" retry mode defaults (max attempts 3, base 100 ms... we use the SDK's
 * documented defaults: 3 attempts, 20 s backoff cap). */
#define DDB_MAX_ATTEMPTS_LIMIT 10
#define DDB_DEFAULT_MAX_ATTEMPTS 3
#define DDB_BACKOFF_BASE_MS 100
#define DDB_BACKOFF_CAP_MS 20000

typedef enum ddb_err {
    DDB_OK = 0,
    DDB_ERR_CONDITIONAL,        /* ConditionalCheckFailedException */
    DDB_ERR_TXN_CANCELED,       /* TransactionCanceledException (reasons in body) */
    DDB_ERR_TXN_CONFLICT,       /* TransactionConflictException / TransactionInProgress */
    DDB_ERR_THROTTLED,          /* ProvisionedThroughputExceeded, ThrottlingException,
                                   RequestLimitExceeded */
    DDB_ERR_RESOURCE_NOT_FOUND, /* ResourceNotFoundException */
    DDB_ERR_RESOURCE_IN_USE,    /* ResourceInUseException */
    DDB_ERR_LIMIT_EXCEEDED,     /* LimitExceededException */
    DDB_ERR_VALIDATION,         /* ValidationException, SerializationException */
    DDB_ERR_TABLE_NOT_FOUND,    /* TableNotFoundException */
    DDB_ERR_TABLE_EXISTS,       /* TableAlreadyExistsException */
    DDB_ERR_TABLE_IN_USE,       /* TableInUseException */
    DDB_ERR_BACKUP_NOT_FOUND,   /* BackupNotFoundException */
    DDB_ERR_BACKUP_IN_USE,      /* BackupInUseException */
    DDB_ERR_CONTINUOUS_BACKUPS_UNAVAILABLE,
    DDB_ERR_PITR_UNAVAILABLE,     /* PointInTimeRecoveryUnavailableException */
    DDB_ERR_INVALID_RESTORE_TIME, /* InvalidRestoreTimeException */
    DDB_ERR_ITEM_TOO_LARGE,       /* ValidationException about item size (still VALIDATION
                                     class for retry purposes) */
    DDB_ERR_AUTH,                 /* UnrecognizedClientException, InvalidSignatureException,
                                     MissingAuthenticationToken, AccessDenied, expired */
    DDB_ERR_UNKNOWN_OPERATION,    /* UnknownOperationException: target lacks the operation */
    DDB_ERR_INTERNAL,             /* 500 InternalServerError / 503 ServiceUnavailable */
    DDB_ERR_CONNECT,              /* could not connect: the request was never sent */
    DDB_ERR_TIMEOUT,              /* timed out after (possibly) sending */
    DDB_ERR_NETWORK,              /* reset or other transport error after sending */
    DDB_ERR_CRC,                  /* x-amz-crc32 mismatch: corrupted response */
    DDB_ERR_PROTOCOL,             /* unparsable response */
    DDB_ERR_CONFIG,               /* missing credentials/region/endpoint, bad URL */
    DDB_ERR_OTHER,                /* any other service error (see err_type) */
    DDB_ERR__COUNT
} ddb_err;

/* Static text for each code ("conditional check failed"). */
const char *ddb_strerror(ddb_err err);
/* Maps a __type (with or without the "com.amazonaws...#" prefix) and HTTP status. */
ddb_err ddb_err_from_type(const char *type, int http_status);
/* 1 if the standard retry mode retries this error (throttling, 5xx, transient network,
 * CRC, TransactionConflict); 0 otherwise. */
int ddb_err_retryable(ddb_err err);

typedef enum ddb_outcome { DDB_OUTCOME_OK = 0, DDB_OUTCOME_FAIL, DDB_OUTCOME_INFO } ddb_outcome;
const char *ddb_outcome_name(ddb_outcome o); /* "ok" | "fail" | "info" */

typedef struct ddb_creds {
    char access_key_id[128];
    char secret_access_key[128];
    char session_token[2048]; /* "" when none */
    char source[64];          /* "env", "profile:NAME", "static" (never the secret) */
} ddb_creds;

typedef struct ddb_config {
    char endpoint[512]; /* "https://dynamodb.us-east-1.amazonaws.com" or a URL */
    char region[64];
    ddb_creds creds;
    long connect_timeout_ms; /* default 2000 */
    long request_timeout_ms; /* default 10000 */
    int max_attempts;        /* default DDB_DEFAULT_MAX_ATTEMPTS; 1 disables retries */
    /* Optional: connect to this "HOST:PORT" instead of the endpoint's own, keeping
     * the endpoint's host name for TLS and signing (CURLOPT_CONNECT_TO); used by the
     * fault proxy. "" when unused. */
    char connect_to[300];
    int verify_tls;       /* default 1 */
    uint64_t jitter_seed; /* seeds backoff jitter (deterministic tests) */
} ddb_config;

/* Fills cfg from the environment and shared files: credentials from
 * AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, else the profile
 * (AWS_PROFILE or "default") in AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and
 * AWS_CONFIG_FILE (~/.aws/config); region from AWS_REGION, AWS_DEFAULT_REGION or the
 * profile; endpoint from `endpoint_flag`, AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, or
 * the regional AWS endpoint. Returns DDB_OK or DDB_ERR_CONFIG with a message naming the
 * missing piece ("no credentials: set AWS_ACCESS_KEY_ID or a profile"); every missing
 * piece is named, separated by "; ". cfg is reset first (then defaults). When only the
 * credentials are missing, endpoint and region are still filled in, so a caller that
 * knows the endpoint needs none (a loopback emulator) can supply its own and go on. */
ddb_err ddb_config_resolve(ddb_config *cfg, const char *endpoint_flag, char *err, size_t errlen);
/* Sets defaults for timeouts/attempts/verify_tls, leaving every other field as it is: a
 * config built by hand must be zeroed first (memset), or connect_to/endpoint hold garbage.
 * ddb_config_resolve zeroes and calls this itself. */
void ddb_config_defaults(ddb_config *cfg);
/* 1 if url ("http://host:port/...", or "host:port" alone) names a loopback host:
 * localhost, a literal 127.0.0.0/8 address or [::1]. Such a host is always reached
 * directly: the client ignores proxy variables (http_proxy, ALL_PROXY, ...) for it. */
int ddb_url_is_loopback(const char *url);

typedef struct ddb_attempt {
    int64_t send_ns; /* CLOCK_REALTIME just before the request was handed to curl */
    int64_t recv_ns; /* just after the response (or error) */
    int http_status; /* 0 when no response */
    ddb_err err;
    int64_t backoff_ns; /* sleep before the next attempt (0 for the last) */
} ddb_attempt;

typedef struct ddb_result {
    ddb_err err; /* of the final attempt */
    ddb_outcome outcome;
    int http_status;
    char err_type[128]; /* "ConditionalCheckFailedException" (prefix stripped), or "" */
    char err_message[512];
    cJSON *body; /* parsed response (success or error), owned; may be NULL */
    int attempts;
    ddb_attempt attempt[DDB_MAX_ATTEMPTS_LIMIT];
    int64_t invoke_ns;   /* = attempt[0].send_ns */
    int64_t complete_ns; /* = attempt[attempts-1].recv_ns */
    double wcu, rcu;     /* summed ConsumedCapacity over all tables (last attempt) */
} ddb_result;

void ddb_result_free(ddb_result *r); /* frees body; safe on a zeroed result */

typedef struct ddb_client ddb_client;
/* Returns NULL only on allocation/curl init failure. cfg is copied. */
ddb_client *ddb_client_new(const ddb_config *cfg);
void ddb_client_free(ddb_client *c);

/* How a client carries out its requests. By default an attempt blocks the calling thread
 * in curl_easy_perform and a retry's backoff sleeps it. A caller that keeps several
 * operations in flight on one thread (harness/lanes.c: one client per operation, each
 * running in a fiber) supplies both: `perform` runs the client's curl easy handle
 * (`easy`, a CURL *) to its end by any means, say a curl multi handle while the fiber
 * yields, and returns its CURLcode; `sleep` waits ns nanoseconds. The client keeps a
 * copy; NULL goes back to blocking. */
typedef struct ddb_driver {
    int (*perform)(void *ctx, void *easy);
    void (*sleep)(void *ctx, int64_t ns);
    void *ctx;
} ddb_driver;
void ddb_client_set_driver(ddb_client *c, const ddb_driver *d);

/* Called when a call of c has ended (every attempt made), with its operation and result:
 * a way to trace requests (`run --verbose`). NULL removes it. */
typedef void (*ddb_trace_fn)(void *ctx, const char *operation, const ddb_result *r);
void ddb_client_set_trace(ddb_client *c, ddb_trace_fn fn, void *ctx);

/* One DynamoDB operation ("PutItem", "CreateBackup", ...) with `request` as its JSON
 * body (borrowed). Adds ReturnConsumedCapacity=TOTAL to data-plane operations that
 * accept it, signs, sends, retries per the standard mode, verifies x-amz-crc32, and
 * fills *out (which the caller frees with ddb_result_free). Returns out->err. */
ddb_err ddb_call(ddb_client *c, const char *operation, const cJSON *request, ddb_result *out);
/* ddb_call with the request given as the text of a JSON object (len bytes, borrowed), for
 * hot paths that write their request directly rather than build and print a cJSON tree
 * for it (the insert workload). ReturnConsumedCapacity=TOTAL is added exactly as
 * ddb_call adds it, so the text must not carry that member: a text equal to what
 * cJSON_PrintUnformatted prints for a request sends the same bytes as ddb_call. */
ddb_err ddb_call_json(ddb_client *c, const char *operation, const char *json, size_t len,
                      ddb_result *out);

/* Helpers for multi-request operations (each call appended to `calls` when non-NULL is
 * left to the caller; these report totals). */

/* Scans the whole table with `segments` parallel segments (one thread and client per
 * segment), following LastEvaluatedKey, ConsistentRead when asked. Calls `fn` for each
 * item (from several threads: fn must be thread-safe). Totals read capacity in *rcu.
 * Returns DDB_OK or the first error (with message). */
typedef int (*ddb_item_fn)(const cJSON *item, void *arg);
ddb_err ddb_scan_all(const ddb_config *cfg, const char *table, int segments, int consistent,
                     ddb_item_fn fn, void *arg, double *rcu, long *items, char *err, size_t errlen);

/* Polls DescribeTable until TableStatus is ACTIVE, or until deadline (CLOCK_MONOTONIC ns),
 * with backoff from 50 ms up to 5 s. *active_ns gets the realtime instant it was seen. */
ddb_err ddb_wait_table_active(ddb_client *c, const char *table, int64_t deadline_mono_ns,
                              int64_t *active_ns, char *err, size_t errlen);
/* Polls DescribeBackup until BackupStatus is AVAILABLE; fills size and the instant. */
ddb_err ddb_wait_backup_available(ddb_client *c, const char *backup_arn, int64_t deadline_mono_ns,
                                  int64_t *available_ns, long long *size_bytes, char *err,
                                  size_t errlen);

/* CRC32 (zlib polynomial) of a body, as in the x-amz-crc32 response header (the emulator
 * sends it; the client verifies it). */
uint32_t ddb_crc32(const void *data, size_t len);
/* Upper bound of the full-jitter backoff before retry number `retry` (0 for the sleep
 * after the first attempt): min(DDB_BACKOFF_CAP_MS, DDB_BACKOFF_BASE_MS * 2^retry), in ns.
 * The sleep is uniform in [0, bound). */
int64_t ddb_backoff_bound_ns(int retry);
/* 1 if ddb_call adds ReturnConsumedCapacity=TOTAL to this operation's request. */
int ddb_op_accepts_consumed_capacity(const char *operation);

/* Library-wide init/cleanup (curl_global_init); call once from main. */
int ddb_global_init(void);
void ddb_global_cleanup(void);
#endif
