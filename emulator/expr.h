/*
 * expr.h - the emulator's DynamoDB expression engine.
 *
 * Compiles and evaluates the expression languages of the DynamoDB API over items in the
 * wire shape of ddb/attr.h: ConditionExpression / FilterExpression (comparisons, BETWEEN,
 * IN, AND/OR/NOT, attribute_exists, attribute_not_exists, attribute_type, begins_with,
 * contains, size), UpdateExpression (SET with + - list_append if_not_exists, REMOVE, ADD,
 * DELETE), ProjectionExpression and the KeyConditionExpression of Query.
 *
 * Every function returns 0 or -1 with the message DynamoDB would put in its
 * ValidationException (e.g. "Invalid ConditionExpression: Syntax error; token: ...");
 * the caller wraps it in the error shape.
 *
 * Placeholders: an undefined #name or :value is an error of the expression that uses it.
 * Unused entries of ExpressionAttributeNames/Values are a property of the whole request
 * (UpdateItem shares them between its UpdateExpression and ConditionExpression), so they
 * are checked once per request with emu_expr_check_unused.
 */
#ifndef BC_EMU_EXPR_H
#define BC_EMU_EXPR_H
#include <cjson/cJSON.h>
#include <stddef.h>

/* Documented limits ("Expression parameters" in "Service, account, and table quotas"). */
#define EMU_EXPR_MAX_BYTES 4096      /* maximum length of any expression string: 4 KB */
#define EMU_EXPR_MAX_OPERATORS 300   /* operators or functions in any expression string */
#define EMU_EXPR_MAX_IN_OPERANDS 100 /* "The list can contain up to 100 values" (IN) */

/* compiled condition / filter; immutable once compiled, so any number of threads may
 * evaluate it at once */
typedef struct emu_expr emu_expr;

/* ConditionExpression (errors say "Invalid ConditionExpression: ..."). */
int emu_cond_compile(const char *expr, const cJSON *names, const cJSON *values, emu_expr **out,
                     char *err, size_t errlen);
/* The same language as a FilterExpression (errors say "Invalid FilterExpression: ..."). */
int emu_filter_compile(const char *expr, const cJSON *names, const cJSON *values, emu_expr **out,
                       char *err, size_t errlen);
/* item may be NULL (item does not exist). *result = 1 when the condition holds. */
int emu_cond_eval(const emu_expr *e, const cJSON *item, int *result, char *err, size_t errlen);
void emu_expr_free(emu_expr *e);

/* Applies an UpdateExpression to *item in place (item holds the key attributes already;
 * creates attributes as needed). All right-hand sides read the item as it was before
 * the update. On error the item is left unchanged. Returns 0, or -1 with a
 * ValidationException message. */
int emu_update_apply(const char *expr, const cJSON *names, const cJSON *values, cJSON *item,
                     char *err, size_t errlen);

/* ProjectionExpression: returns a new item with only the projected paths (list elements
 * picked by index come back compacted, in index order, as DynamoDB returns them). */
int emu_projection_apply(const char *expr, const cJSON *names, const cJSON *item, cJSON **out,
                         char *err, size_t errlen);

/* KeyConditionExpression for Query: hash = :v [AND range (=,<,<=,>,>=,BETWEEN,begins_with)].
 * The equality whose attribute is the table's hash key may come second; the parser puts
 * an equality first, so with two equalities the caller compares hash_name with the key
 * schema and swaps when needed. Value pointers point into `values`. */
enum emu_keycond_op {
    EMU_KC_NONE = 0, /* no range condition */
    EMU_KC_EQ,
    EMU_KC_LT,
    EMU_KC_LE,
    EMU_KC_GT,
    EMU_KC_GE,
    EMU_KC_BETWEEN,
    EMU_KC_BEGINS_WITH
};
typedef struct emu_keycond {
    const cJSON *hash_value;
    int range_op; /* enum emu_keycond_op */
    const cJSON *range_v1, *range_v2;
    char hash_name[256], range_name[256];
} emu_keycond;
int emu_keycond_parse(const char *expr, const cJSON *names, const cJSON *values, emu_keycond *out,
                      char *err, size_t errlen);
int emu_keycond_match_range(const emu_keycond *kc, const cJSON *range_value); /* 1 if it matches */

/* Rejects ExpressionAttributeNames / ExpressionAttributeValues entries that none of the
 * request's expressions (NULL entries are skipped) uses, as DynamoDB does:
 * "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}". */
int emu_expr_check_unused(const char *const *exprs, size_t nexprs, const cJSON *names,
                          const cJSON *values, char *err, size_t errlen);

/* Exact decimal arithmetic on DynamoDB numbers (38 significant digits, magnitude
 * 1E-130 .. 9.99E+125): writes a + b (or a - b when subtract) to out. */
int emu_number_add(const char *a, const char *b, int subtract, char *out, size_t outlen, char *err,
                   size_t errlen);
#endif
