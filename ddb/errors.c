/*
 * errors.c - DynamoDB error codes: text, mapping from the wire's __type, the retry
 * classification of the AWS "standard" retry mode, and outcome names.
 *
 * The wire shape is {"__type":"com.amazonaws.dynamodb.v20120810#Name","message":"..."}
 * (AWS-FACTS.md 1.7); authentication errors come from a different namespace
 * ("com.amazon.coral.service#UnrecognizedClientException"), so everything up to the
 * last '#' is dropped before matching.
 */
#include "ddb/ddb.h"

#include <string.h>

static const char *const ERR_TEXT[DDB_ERR__COUNT] = {
    [DDB_OK] = "ok",
    [DDB_ERR_CONDITIONAL] = "conditional check failed",
    [DDB_ERR_TXN_CANCELED] = "transaction canceled",
    [DDB_ERR_TXN_CONFLICT] = "transaction conflict",
    [DDB_ERR_THROTTLED] = "throttled",
    [DDB_ERR_RESOURCE_NOT_FOUND] = "resource not found",
    [DDB_ERR_RESOURCE_IN_USE] = "resource in use",
    [DDB_ERR_LIMIT_EXCEEDED] = "limit exceeded",
    [DDB_ERR_VALIDATION] = "validation error",
    [DDB_ERR_TABLE_NOT_FOUND] = "table not found",
    [DDB_ERR_TABLE_EXISTS] = "table already exists",
    [DDB_ERR_TABLE_IN_USE] = "table in use",
    [DDB_ERR_BACKUP_NOT_FOUND] = "backup not found",
    [DDB_ERR_BACKUP_IN_USE] = "backup in use",
    [DDB_ERR_CONTINUOUS_BACKUPS_UNAVAILABLE] = "continuous backups unavailable",
    [DDB_ERR_PITR_UNAVAILABLE] = "point-in-time recovery unavailable",
    [DDB_ERR_INVALID_RESTORE_TIME] = "invalid restore time",
    [DDB_ERR_ITEM_TOO_LARGE] = "item too large",
    [DDB_ERR_AUTH] = "authentication or authorization failed",
    [DDB_ERR_UNKNOWN_OPERATION] = "unknown operation",
    [DDB_ERR_INTERNAL] = "internal server error",
    [DDB_ERR_CONNECT] = "could not connect",
    [DDB_ERR_TIMEOUT] = "timed out",
    [DDB_ERR_NETWORK] = "network error",
    [DDB_ERR_CRC] = "response CRC32 mismatch",
    [DDB_ERR_PROTOCOL] = "unparsable response",
    [DDB_ERR_CONFIG] = "configuration error",
    [DDB_ERR_OTHER] = "service error",
};

const char *ddb_strerror(ddb_err err)
{
    if ((int)err < 0 || err >= DDB_ERR__COUNT || !ERR_TEXT[err]) return "unknown error";
    return ERR_TEXT[err];
}

/* Exception names as DynamoDB and its front end send them. */
static const struct {
    const char *type;
    ddb_err err;
} TYPE_MAP[] = {
    {"ConditionalCheckFailedException", DDB_ERR_CONDITIONAL},
    {"TransactionCanceledException", DDB_ERR_TXN_CANCELED},
    {"TransactionConflictException", DDB_ERR_TXN_CONFLICT},
    {"TransactionInProgressException", DDB_ERR_TXN_CONFLICT},
    {"ProvisionedThroughputExceededException", DDB_ERR_THROTTLED},
    {"ThrottlingException", DDB_ERR_THROTTLED},
    {"RequestLimitExceeded", DDB_ERR_THROTTLED},
    {"ResourceNotFoundException", DDB_ERR_RESOURCE_NOT_FOUND},
    {"ResourceInUseException", DDB_ERR_RESOURCE_IN_USE},
    {"LimitExceededException", DDB_ERR_LIMIT_EXCEEDED},
    {"ValidationException", DDB_ERR_VALIDATION},
    {"SerializationException", DDB_ERR_VALIDATION},
    {"TableNotFoundException", DDB_ERR_TABLE_NOT_FOUND},
    {"TableAlreadyExistsException", DDB_ERR_TABLE_EXISTS},
    {"TableInUseException", DDB_ERR_TABLE_IN_USE},
    {"BackupNotFoundException", DDB_ERR_BACKUP_NOT_FOUND},
    {"BackupInUseException", DDB_ERR_BACKUP_IN_USE},
    {"ContinuousBackupsUnavailableException", DDB_ERR_CONTINUOUS_BACKUPS_UNAVAILABLE},
    {"PointInTimeRecoveryUnavailableException", DDB_ERR_PITR_UNAVAILABLE},
    {"InvalidRestoreTimeException", DDB_ERR_INVALID_RESTORE_TIME},
    {"UnrecognizedClientException", DDB_ERR_AUTH},
    {"InvalidSignatureException", DDB_ERR_AUTH},
    {"IncompleteSignatureException", DDB_ERR_AUTH},
    {"MissingAuthenticationToken", DDB_ERR_AUTH},
    {"MissingAuthenticationTokenException", DDB_ERR_AUTH},
    {"AccessDeniedException", DDB_ERR_AUTH},
    {"ExpiredTokenException", DDB_ERR_AUTH},
    {"InvalidClientTokenId", DDB_ERR_AUTH},
    {"UnknownOperationException", DDB_ERR_UNKNOWN_OPERATION},
    {"InternalServerError", DDB_ERR_INTERNAL},
    {"InternalFailure", DDB_ERR_INTERNAL},
    {"ServiceUnavailable", DDB_ERR_INTERNAL},
    {"ServiceUnavailableException", DDB_ERR_INTERNAL},
};

/* HTTP statuses with a fixed meaning when the body names no type. */
#define HTTP_TOO_MANY_REQUESTS 429
#define HTTP_FIRST_SERVER_ERROR 500

ddb_err ddb_err_from_type(const char *type, int http_status)
{
    if (type && *type) {
        const char *name = strrchr(type, '#');
        name = name ? name + 1 : type;
        /* x-amzn-ErrorType may carry ":http://internal.amazon.com/..." after the name. */
        size_t len = strcspn(name, ":");
        for (size_t i = 0; i < sizeof(TYPE_MAP) / sizeof(TYPE_MAP[0]); i++)
            if (strlen(TYPE_MAP[i].type) == len && strncmp(TYPE_MAP[i].type, name, len) == 0)
                return TYPE_MAP[i].err;
    } else if (http_status >= 200 && http_status < 300) {
        return DDB_OK;
    }
    if (http_status >= HTTP_FIRST_SERVER_ERROR) return DDB_ERR_INTERNAL;
    if (http_status == HTTP_TOO_MANY_REQUESTS) return DDB_ERR_THROTTLED;
    return DDB_ERR_OTHER;
}

int ddb_err_retryable(ddb_err err)
{
    switch (err) {
    case DDB_ERR_THROTTLED:
    case DDB_ERR_TXN_CONFLICT:
    case DDB_ERR_INTERNAL:
    case DDB_ERR_CONNECT: /* never sent: always safe to try again */
    case DDB_ERR_TIMEOUT:
    case DDB_ERR_NETWORK:
    case DDB_ERR_CRC:
        return 1;
    default:
        return 0;
    }
}

const char *ddb_outcome_name(ddb_outcome o)
{
    switch (o) {
    case DDB_OUTCOME_OK:
        return "ok";
    case DDB_OUTCOME_FAIL:
        return "fail";
    case DDB_OUTCOME_INFO:
        return "info";
    }
    return "info";
}
