/*
 * attr.h - the DynamoDB AttributeValue model over cJSON.
 *
 * An AttributeValue is a one-member JSON object {"S":"x"}, {"N":"1.5"}, {"B":"<base64>"},
 * {"BOOL":true}, {"NULL":true}, {"M":{...}}, {"L":[...]}, {"SS":[..]}, {"NS":[..]},
 * {"BS":[..]}; an item is an object of name -> AttributeValue. These helpers validate,
 * compare, size and build them, so neither the emulator nor the harness hand-parses the
 * wire shape.
 */
#ifndef BC_DDB_ATTR_H
#define BC_DDB_ATTR_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* Documented limits ("Service, account, and table quotas"). */
#define DDB_MAX_ITEM_BYTES 409600    /* 400 KB item size limit, names included */
#define DDB_MAX_HASH_KEY_BYTES 2048  /* partition key value */
#define DDB_MAX_RANGE_KEY_BYTES 1024 /* sort key value */
#define DDB_MAX_NESTING_DEPTH 32
#define DDB_MAX_NUMBER_DIGITS 38

typedef enum ddb_attr_type {
    DDB_T_INVALID = 0,
    DDB_T_S,
    DDB_T_N,
    DDB_T_B,
    DDB_T_BOOL,
    DDB_T_NULL,
    DDB_T_M,
    DDB_T_L,
    DDB_T_SS,
    DDB_T_NS,
    DDB_T_BS
} ddb_attr_type;

/* Type of one AttributeValue ({"S":..}); DDB_T_INVALID if malformed. */
ddb_attr_type ddb_attr_type_of(const cJSON *av);
const char *ddb_attr_type_name(ddb_attr_type t); /* "S", "N", ... */
/* The payload member (the string of S/N/B, the object of M, the array of L/SS...). */
const cJSON *ddb_attr_payload(const cJSON *av);

/* Validates an AttributeValue recursively (types, number syntax, base64, empty sets,
 * duplicate set members, nesting). On error writes "<path>: <reason>" to err. */
int ddb_attr_validate(const cJSON *av, const char *path, char *err, size_t errlen);
int ddb_item_validate(const cJSON *item, char *err, size_t errlen);

/* Item size by DynamoDB's documented rules (names + values, numbers by significant
 * digits, binary by raw length, 3 bytes per list/map + 1 per element). */
size_t ddb_attr_size(const cJSON *av);
size_t ddb_item_size(const cJSON *item);

/* Total order for key values of the same scalar type (S bytewise, N numerically,
 * B bytewise on decoded bytes); returns <0, 0, >0. Different types compare by type. */
int ddb_attr_compare(const cJSON *a, const cJSON *b);
/* Deep equality with DynamoDB semantics (N compared numerically, sets unordered). */
int ddb_attr_equal(const cJSON *a, const cJSON *b);

/* Builders (return new nodes the caller owns or adds to a parent). */
cJSON *ddb_attr_s(const char *s);
cJSON *ddb_attr_n_i64(int64_t v);
cJSON *ddb_attr_n_str(const char *digits);
cJSON *ddb_attr_b(const void *bytes, size_t len); /* base64-encodes */
cJSON *ddb_attr_bool(int v);
cJSON *ddb_attr_null(void);

/* Accessors: return 0 and fill *out when `name` in item has the given type. */
int ddb_item_get_s(const cJSON *item, const char *name, const char **out);
int ddb_item_get_i64(const cJSON *item, const char *name, int64_t *out);
int ddb_item_get_n_double(const cJSON *item, const char *name, double *out);

/* Room ddb_json_quote needs for a string of n bytes: every byte escaped as \u00XX,
 * and the quotes. */
#define DDB_JSON_QUOTED_MAX(n) ((n)*6 + 2)
/* Writes s (n bytes) as a quoted JSON string exactly as cJSON prints it ('"', '\\',
 * \b \f \n \r \t escaped by name, other bytes below 0x20 as \u00xx, the rest as they
 * are), into out (DDB_JSON_QUOTED_MAX(n) bytes at least, no NUL written); returns the
 * length. For requests written as text on a hot path (ddb_call_json). */
size_t ddb_json_quote(char *out, const char *s, size_t n);

/* Base64 (standard alphabet, padded). Decoding returns malloc'd bytes or NULL. */
char *ddb_base64_encode(const void *data, size_t len);
unsigned char *ddb_base64_decode(const char *s, size_t *out_len);

/* Number canonicalisation for comparison/sizing: returns 0 and fills sign, digits
 * (significant, no leading/trailing zeros) and exponent for a valid DynamoDB number. */
int ddb_number_parse(const char *s, int *sign, char digits[40], int *ndigits, int *exp10);
#endif
