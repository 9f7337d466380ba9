/*
 * test_emu_expr.c - the emulator's expression engine: conditions and filters, update,
 * projection and key condition expressions, DynamoDB's error messages, exact decimal
 * arithmetic, and robustness against random and truncated input.
 */
#include "emulator/expr.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* JSON with ' for " so that fixtures stay readable. */
static cJSON *J(const char *s)
{
    if (!s) return NULL;
    char *d = strdup(s);
    assert_non_null(d);
    for (char *p = d; *p; p++)
        if (*p == '\'') *p = '"';
    cJSON *j = cJSON_Parse(d);
    free(d);
    assert_non_null(j);
    return j;
}

static char g_err[512];

/* Compiles and evaluates; returns 1/0, or -1 on an error (message in g_err). */
static int cond(const char *expr, const char *names, const char *values, const char *item)
{
    cJSON *n = J(names), *v = J(values), *it = J(item);
    emu_expr *e = NULL;
    int res = -1;
    g_err[0] = '\0';
    if (emu_cond_compile(expr, n, v, &e, g_err, sizeof(g_err)) == 0) {
        assert_int_equal(emu_cond_eval(e, it, &res, g_err, sizeof(g_err)), 0);
        emu_expr_free(e);
    }
    cJSON_Delete(n);
    cJSON_Delete(v);
    cJSON_Delete(it);
    return res;
}

/* Item used by most condition tests. */
static const char ITEM[] =
    "{'pk':{'S':'user#1'},'n':{'N':'10'},'s':{'S':'apple'},'b':{'B':'AAEC'},"
    "'t':{'BOOL':true},'z':{'NULL':true},"
    "'m':{'M':{'a':{'N':'1'},'l':{'L':[{'S':'x'},{'M':{'c':{'S':'deep'}}}]}}},"
    "'ss':{'SS':['red','blue']},'ns':{'NS':['1','2.50']},'bs':{'BS':['AQ==']},"
    "'l':{'L':[{'N':'7'},{'S':'seven'}]}}";

static const char VALS[] =
    "{':n10':{'N':'10.0'},':n9':{'N':'9'},':n11':{'N':'11'},':s':{'S':'apple'},"
    "':sb':{'S':'banana'},':sa':{'S':'ap'},':nstr':{'S':'10'},':b':{'B':'AAEC'},"
    "':b0':{'B':'AA=='},':t':{'BOOL':true},':two5':{'N':'2.5'},':red':{'S':'red'},"
    "':seven':{'S':'seven'},':n7':{'N':'7'},':n5':{'N':'5'},':n2':{'N':'2'},':deep':{'S':'deep'},"
    "':typeS':{'S':'S'},':typeN':{'S':'N'},':typeSS':{'S':'SS'},':typeM':{'S':'M'},"
    "':typeL':{'S':'L'},':typeNULL':{'S':'NULL'},':typeBOOL':{'S':'BOOL'},':typeB':{'S':'B'}}";

static int c_item(const char *expr)
{
    return cond(expr, NULL, VALS, ITEM);
}

static void test_comparators(void **state)
{
    (void)state;
    /* N numerically: 10 = 10.0, 9 < 10 although "9" > "10" as text */
    assert_int_equal(c_item("n = :n10"), 1);
    assert_int_equal(c_item("n <> :n10"), 0);
    assert_int_equal(c_item("n <> :n9"), 1);
    assert_int_equal(c_item("n > :n9"), 1);
    assert_int_equal(c_item("n >= :n10"), 1);
    assert_int_equal(c_item("n < :n11"), 1);
    assert_int_equal(c_item("n <= :n9"), 0);
    assert_int_equal(c_item(":n9 < n"), 1);
    /* S bytewise */
    assert_int_equal(c_item("s = :s"), 1);
    assert_int_equal(c_item("s < :sb"), 1);
    assert_int_equal(c_item("s > :sa"), 1);
    /* B on bytes */
    assert_int_equal(c_item("b = :b"), 1);
    assert_int_equal(c_item("b > :b0"), 1);
    assert_int_equal(c_item("t = :t"), 1);
    /* different types compare false, not an error; <> is then true */
    assert_int_equal(c_item("n = :nstr"), 0);
    assert_int_equal(c_item("n < :nstr"), 0);
    assert_int_equal(c_item("n >= :nstr"), 0);
    assert_int_equal(c_item("n <> :nstr"), 1);
    /* a missing attribute is never equal, never ordered */
    assert_int_equal(c_item("missing = :n10"), 0);
    assert_int_equal(c_item("missing < :n10"), 0);
    assert_int_equal(c_item("missing <> :n10"), 1);
    /* path against path */
    assert_int_equal(cond("a = b", NULL, NULL, "{'a':{'N':'1'},'b':{'N':'1.00'}}"), 1);
    assert_int_equal(cond("a < b", NULL, NULL, "{'a':{'N':'-3'},'b':{'N':'-2'}}"), 1);
    /* maps and lists compare deeply for = */
    assert_int_equal(
        cond("m = :m", NULL, "{':m':{'M':{'x':{'N':'1'}}}}", "{'m':{'M':{'x':{'N':'1.0'}}}}"), 1);
}

static void test_between_in(void **state)
{
    (void)state;
    assert_int_equal(c_item("n BETWEEN :n9 AND :n11"), 1);
    assert_int_equal(c_item("n BETWEEN :n10 AND :n10"), 1);
    assert_int_equal(c_item("n BETWEEN :n5 AND :n9"), 0);
    assert_int_equal(c_item("s between :sa and :sb"), 1); /* keywords in any case */
    assert_int_equal(c_item("n BETWEEN :sa AND :sb"), 0); /* other type: false */
    assert_int_equal(c_item("n IN (:n9, :n10)"), 1);
    assert_int_equal(c_item("n IN (:n9, :n11)"), 0);
    assert_int_equal(c_item("s IN (:s)"), 1);
    assert_int_equal(c_item("missing IN (:s, :n10)"), 0);
    /* BETWEEN binds its own AND: the second AND is logical */
    assert_int_equal(c_item("n BETWEEN :n9 AND :n11 AND s = :s"), 1);
    assert_int_equal(c_item("n BETWEEN :n9 AND :n11 AND s = :sb"), 0);
}

static void test_precedence(void **state)
{
    (void)state;
    const char *it = "{'a':{'N':'1'},'b':{'N':'0'},'c':{'N':'0'}}";
    const char *v = "{':1':{'N':'1'}}";
    /* AND binds tighter than OR: a OR (b AND c) */
    assert_int_equal(cond("a = :1 OR b = :1 AND c = :1", NULL, v, it), 1);
    assert_int_equal(cond("(a = :1 OR b = :1) AND c = :1", NULL, v, it), 0);
    assert_int_equal(cond("b = :1 AND c = :1 OR a = :1", NULL, v, it), 1);
    /* NOT binds tighter than AND: (NOT b) AND a */
    assert_int_equal(cond("NOT b = :1 AND a = :1", NULL, v, it), 1);
    assert_int_equal(cond("NOT (b = :1 OR a = :1)", NULL, v, it), 0);
    assert_int_equal(cond("NOT NOT a = :1", NULL, v, it), 1);
    assert_int_equal(cond("not a = :1 or not b = :1", NULL, v, it), 1);
    assert_int_equal(cond("((a = :1) AND ((c = :1) OR (a = :1)))", NULL, v, it), 1);
    assert_int_equal(cond("a = :1 AND b = :1 OR c = :1", NULL, v, it), 0);
}

static void test_functions(void **state)
{
    (void)state;
    assert_int_equal(c_item("attribute_exists(pk)"), 1);
    assert_int_equal(c_item("attribute_exists(nope)"), 0);
    assert_int_equal(c_item("attribute_not_exists(nope)"), 1);
    assert_int_equal(c_item("attribute_not_exists(m.a)"), 0);
    assert_int_equal(c_item("attribute_exists(m.l[1].c)"), 1);
    assert_int_equal(c_item("attribute_exists(m.l[2])"), 0);
    assert_int_equal(c_item("attribute_exists(s.x)"), 0); /* through a scalar */
    assert_int_equal(c_item("attribute_type(s, :typeS)"), 1);
    assert_int_equal(c_item("attribute_type(s, :typeN)"), 0);
    assert_int_equal(c_item("attribute_type(n, :typeN)"), 1);
    assert_int_equal(c_item("attribute_type(ss, :typeSS)"), 1);
    assert_int_equal(c_item("attribute_type(m, :typeM)"), 1);
    assert_int_equal(c_item("attribute_type(l, :typeL)"), 1);
    assert_int_equal(c_item("attribute_type(z, :typeNULL)"), 1);
    assert_int_equal(c_item("attribute_type(t, :typeBOOL)"), 1);
    assert_int_equal(c_item("attribute_type(b, :typeB)"), 1);
    assert_int_equal(c_item("attribute_type(nope, :typeS)"), 0);
    assert_int_equal(c_item("begins_with(s, :sa)"), 1);
    assert_int_equal(c_item("begins_with(s, :sb)"), 0);
    assert_int_equal(c_item("begins_with(s, :s)"), 1);
    assert_int_equal(c_item("begins_with(b, :b0)"), 1); /* bytes 00 01 02 start with 00 */
    assert_int_equal(c_item("begins_with(n, :sa)"), 0);
    assert_int_equal(cond("begins_with(pk, :p)", NULL, "{':p':{'S':'user#'}}", ITEM), 1);
    assert_int_equal(cond("contains(s, :p)", NULL, "{':p':{'S':'ppl'}}", ITEM), 1);
    assert_int_equal(cond("contains(s, :p)", NULL, "{':p':{'S':'pear'}}", ITEM), 0);
    assert_int_equal(c_item("contains(ss, :red)"), 1);
    assert_int_equal(c_item("contains(ss, :sa)"), 0);
    assert_int_equal(c_item("contains(ns, :two5)"), 1); /* 2.50 = 2.5 */
    assert_int_equal(c_item("contains(ns, :n7)"), 0);
    assert_int_equal(cond("contains(bs, :x)", NULL, "{':x':{'B':'AQ=='}}", ITEM), 1);
    assert_int_equal(c_item("contains(l, :seven)"), 1);
    assert_int_equal(c_item("contains(l, :n7)"), 1);
    assert_int_equal(c_item("contains(l, :n5)"), 0);
    assert_int_equal(c_item("contains(b, :b0)"), 1);
    assert_int_equal(c_item("contains(nope, :s)"), 0);
    /* size: string length, binary length, element counts */
    assert_int_equal(c_item("size(s) = :n5"), 1);
    assert_int_equal(cond("size(b) = :n", NULL, "{':n':{'N':'3'}}", ITEM), 1);
    assert_int_equal(c_item("size(ss) = :n2"), 1);
    assert_int_equal(c_item("size(ns) = :n2"), 1);
    assert_int_equal(c_item("size(l) = :n2"), 1);
    assert_int_equal(c_item("size(m) = :n2"), 1);
    assert_int_equal(c_item("size(m.l) < :n5"), 1);
    assert_int_equal(c_item("size(s) BETWEEN :n2 AND :n7"), 1);
    assert_int_equal(c_item("size(s) IN (:n2, :n5)"), 1);
    assert_int_equal(c_item("size(nope) = :n5"), 0);
    assert_int_equal(c_item("size(n) = :n2"), 0); /* a number has no size */
}

static void test_paths_and_names(void **state)
{
    (void)state;
    assert_int_equal(c_item("m.l[1].c = :deep"), 1);
    assert_int_equal(c_item("m.l[0] = :deep"), 0);
    assert_int_equal(c_item("l[0] = :n7"), 1);
    assert_int_equal(c_item("l[5] = :n7"), 0);
    assert_int_equal(c_item("m.a = :n10"), 0);
    /* #names stand for names, dots inside them are not path separators */
    assert_int_equal(cond("#a.#b = :v", "{'#a':'x.y','#b':'z'}", "{':v':{'N':'1'}}",
                          "{'x.y':{'M':{'z':{'N':'1'}}}}"),
                     1);
    assert_int_equal(
        cond("#st = :v", "{'#st':'status'}", "{':v':{'S':'ok'}}", "{'status':{'S':'ok'}}"), 1);
    /* #name placeholders and names are case-sensitive */
    assert_int_equal(cond("A = :v", NULL, "{':v':{'N':'1'}}", "{'a':{'N':'1'}}"), 0);
    /* the item does not exist */
    assert_int_equal(cond("attribute_not_exists(pk)", NULL, NULL, NULL), 1);
    assert_int_equal(cond("attribute_exists(pk)", NULL, NULL, NULL), 0);
    assert_int_equal(cond("v <> :v", NULL, "{':v':{'N':'1'}}", NULL), 1);
}

static void expect_cond_error(const char *expr, const char *names, const char *values,
                              const char *want)
{
    int r = cond(expr, names, values, ITEM);
    if (r != -1) fail_msg("expression %s: evaluated to %d, want an error", expr, r);
    if (!strstr(g_err, want))
        fail_msg("expression %s: error \"%s\" does not contain \"%s\"", expr, g_err, want);
}

static void test_condition_errors(void **state)
{
    (void)state;
    expect_cond_error("a = :nope", NULL, "{':v':{'N':'1'}}",
                      "Invalid ConditionExpression: An expression attribute value used in "
                      "expression is not defined; attribute value: :nope");
    expect_cond_error("a = :v", NULL, NULL,
                      "An expression attribute value used in expression is not defined");
    expect_cond_error("#x = :v", "{'#y':'y'}", "{':v':{'N':'1'}}",
                      "Invalid ConditionExpression: An expression attribute name used in the "
                      "document path is not defined; attribute name: #x");
    expect_cond_error("a = = :v", NULL, "{':v':{'N':'1'}}",
                      "Invalid ConditionExpression: Syntax error; token: \"=\", near: \"= = :v\"");
    expect_cond_error("a = :v AND", NULL, "{':v':{'N':'1'}}",
                      "Syntax error; token: \"<EOF>\", near: \"AND\"");
    expect_cond_error("a : b", NULL, NULL, "Syntax error; token: \":\", near: \"a : b\"");
    expect_cond_error("a = :v $", NULL, "{':v':{'N':'1'}}", "Syntax error; token: \"$\"");
    expect_cond_error("(a = :v", NULL, "{':v':{'N':'1'}}", "Syntax error; token: \"<EOF>\"");
    expect_cond_error("a = :v)", NULL, "{':v':{'N':'1'}}", "Syntax error; token: \")\"");
    expect_cond_error("a", NULL, NULL, "Syntax error; token: \"<EOF>\"");
    expect_cond_error("a[x] = :v", NULL, "{':v':{'N':'1'}}", "Syntax error; token: \"x\"");
    expect_cond_error("", NULL, NULL,
                      "Invalid ConditionExpression: The expression can not be empty;");
    expect_cond_error("   ", NULL, NULL, "The expression can not be empty;");
    expect_cond_error("and = :v", NULL, "{':v':{'N':'1'}}",
                      "Attribute name is a reserved keyword; reserved keyword: and");
    expect_cond_error("frobnicate(a)", NULL, NULL, "Invalid function name; function: frobnicate");
    expect_cond_error("Attribute_Exists(a)", NULL, NULL,
                      "Invalid function name; function: Attribute_Exists");
    expect_cond_error("attribute_exists(a, b)", NULL, NULL,
                      "Incorrect number of operands for operator or function; operator or "
                      "function: attribute_exists, number of operands: 2");
    expect_cond_error("attribute_exists(:v)", NULL, "{':v':{'N':'1'}}",
                      "Operator or function requires a document path; operator or function: "
                      "attribute_exists");
    expect_cond_error("size(:v) = :v", NULL, "{':v':{'N':'1'}}",
                      "Operator or function requires a document path; operator or function: size");
    expect_cond_error("attribute_type(a, :t)", NULL, "{':t':{'S':'STRING'}}",
                      "Invalid attribute type name found; type: STRING");
    expect_cond_error("begins_with(a, :n)", NULL, "{':n':{'N':'1'}}",
                      "Incorrect operand type for operator or function; operator or function: "
                      "begins_with, operand type: N");
    expect_cond_error("if_not_exists(a, :v) = :v", NULL, "{':v':{'N':'1'}}",
                      "The function is not allowed to be used this way in an expression; "
                      "function: if_not_exists");
    expect_cond_error("a BETWEEN :hi AND :lo", NULL, "{':lo':{'N':'1'},':hi':{'N':'5'}}",
                      "The BETWEEN operator requires upper bound to be greater than or equal to "
                      "lower bound; lower bound operand: AttributeValue: {N:5}, upper bound "
                      "operand: AttributeValue: {N:1}");
    /* the IN list holds at most 100 operands */
    char big[1200];
    size_t k = (size_t)snprintf(big, sizeof(big), "a IN (:v");
    for (int i = 0; i < 100; i++)
        k += (size_t)snprintf(big + k, sizeof(big) - k, ",:v");
    snprintf(big + k, sizeof(big) - k, ")");
    expect_cond_error(big, NULL, "{':v':{'N':'1'}}",
                      "The IN operator is provided with too many operands");
    /* 33 nesting levels */
    char deep[256];
    k = (size_t)snprintf(deep, sizeof(deep), "a");
    for (int i = 0; i < 32; i++)
        k += (size_t)snprintf(deep + k, sizeof(deep) - k, ".a");
    snprintf(deep + k, sizeof(deep) - k, " = :v");
    expect_cond_error(deep, NULL, "{':v':{'N':'1'}}",
                      "The document path has too many nesting levels; nesting levels: 33");
    /* over 4 KB */
    char *huge = malloc(EMU_EXPR_MAX_BYTES + 16);
    assert_non_null(huge);
    memset(huge, ' ', EMU_EXPR_MAX_BYTES + 10);
    memcpy(huge, "a = :v", 6);
    huge[EMU_EXPR_MAX_BYTES + 10] = '\0';
    expect_cond_error(huge, NULL, "{':v':{'N':'1'}}",
                      "Expression size has exceeded the maximum allowed size");
    free(huge);
}

static void test_filter_prefix(void **state)
{
    (void)state;
    emu_expr *e = NULL;
    char err[256];
    assert_int_equal(emu_filter_compile("a = ", NULL, NULL, &e, err, sizeof(err)), -1);
    assert_null(e);
    assert_string_equal(err,
                        "Invalid FilterExpression: Syntax error; token: \"<EOF>\", near: \"=\"");
    assert_int_equal(emu_cond_eval(NULL, NULL, &(int){0}, err, sizeof(err)), -1);
}

/* ---- update expressions ---- */

static int update(const char *expr, const char *names, const char *values, cJSON *item)
{
    cJSON *n = J(names), *v = J(values);
    g_err[0] = '\0';
    int rc = emu_update_apply(expr, n, v, item, g_err, sizeof(g_err));
    cJSON_Delete(n);
    cJSON_Delete(v);
    return rc;
}

static void assert_json(const cJSON *got, const char *want)
{
    cJSON *w = J(want);
    if (!cJSON_Compare(got, w, 1)) {
        char *g = cJSON_PrintUnformatted(got);
        char *ws = cJSON_PrintUnformatted(w);
        fail_msg("got %s, want %s", g, ws);
    }
    cJSON_Delete(w);
}

static void expect_update(const char *expr, const char *names, const char *values,
                          const char *before, const char *after)
{
    cJSON *it = J(before);
    if (update(expr, names, values, it) != 0) fail_msg("%s: %s", expr, g_err);
    assert_json(it, after);
    cJSON_Delete(it);
}

static void expect_update_error(const char *expr, const char *names, const char *values,
                                const char *before, const char *want)
{
    cJSON *it = J(before);
    if (update(expr, names, values, it) != -1)
        fail_msg("expression %s: succeeded, want an error", expr);
    if (!strstr(g_err, want))
        fail_msg("expression %s: error \"%s\" does not contain \"%s\"", expr, g_err, want);
    assert_json(it, before); /* a failed update changes nothing */
    cJSON_Delete(it);
}

static void test_update_set(void **state)
{
    (void)state;
    expect_update("SET a = :v", NULL, "{':v':{'S':'x'}}", "{'pk':{'S':'k'}}",
                  "{'pk':{'S':'k'},'a':{'S':'x'}}");
    expect_update("set a = :v", NULL, "{':v':{'S':'y'}}", "{'pk':{'S':'k'},'a':{'S':'x'}}",
                  "{'pk':{'S':'k'},'a':{'S':'y'}}");
    expect_update("SET a = a + :d", NULL, "{':d':{'N':'0.2'}}", "{'a':{'N':'0.1'}}",
                  "{'a':{'N':'0.3'}}");
    expect_update("SET a = :x - a", NULL, "{':x':{'N':'5'}}", "{'a':{'N':'7'}}",
                  "{'a':{'N':'-2'}}");
    expect_update("SET b = a", NULL, NULL, "{'a':{'N':'7'}}", "{'a':{'N':'7'},'b':{'N':'7'}}");
    /* every right-hand side reads the item as it was: a swap */
    expect_update("SET a = b, b = a", NULL, NULL, "{'a':{'N':'1'},'b':{'N':'2'}}",
                  "{'a':{'N':'2'},'b':{'N':'1'}}");
    expect_update("SET c = if_not_exists(c, :z)", NULL, "{':z':{'N':'0'}}", "{}",
                  "{'c':{'N':'0'}}");
    expect_update("SET c = if_not_exists(c, :z)", NULL, "{':z':{'N':'0'}}", "{'c':{'N':'4'}}",
                  "{'c':{'N':'4'}}");
    expect_update("SET c = if_not_exists(c, :z) + :one", NULL, "{':z':{'N':'0'},':one':{'N':'1'}}",
                  "{}", "{'c':{'N':'1'}}");
    expect_update("SET l = list_append(l, :n)", NULL, "{':n':{'L':[{'N':'3'}]}}",
                  "{'l':{'L':[{'N':'1'},{'N':'2'}]}}",
                  "{'l':{'L':[{'N':'1'},{'N':'2'},{'N':'3'}]}}");
    expect_update("SET l = list_append(:n, l)", NULL, "{':n':{'L':[{'N':'0'}]}}",
                  "{'l':{'L':[{'N':'1'}]}}", "{'l':{'L':[{'N':'0'},{'N':'1'}]}}");
    /* nested: map keys, list elements, an index past the end appends */
    expect_update("SET m.x = :v, m.l[0] = :v, m.l[9] = :w", NULL, "{':v':{'S':'v'},':w':{'S':'w'}}",
                  "{'m':{'M':{'l':{'L':[{'S':'a'}]}}}}",
                  "{'m':{'M':{'l':{'L':[{'S':'v'},{'S':'w'}]},'x':{'S':'v'}}}}");
    expect_update("SET #k.#x = :v", "{'#k':'m','#x':'a.b'}", "{':v':{'N':'1'}}", "{'m':{'M':{}}}",
                  "{'m':{'M':{'a.b':{'N':'1'}}}}");
}

static void test_update_remove_add_delete(void **state)
{
    (void)state;
    expect_update("REMOVE a, nope", NULL, NULL, "{'a':{'N':'1'},'b':{'N':'2'}}", "{'b':{'N':'2'}}");
    expect_update("REMOVE m.x.y, m.l[3].z, nope.x", NULL, NULL, "{'m':{'M':{'l':{'L':[]}}}}",
                  "{'m':{'M':{'l':{'L':[]}}}}");
    expect_update_error("REMOVE m.a.b", NULL, NULL, "{'m':{'M':{'a':{'N':'1'}}}}",
                        "The document path provided in the update expression is invalid for "
                        "update");
    expect_update("REMOVE m.a", NULL, NULL, "{'m':{'M':{'a':{'N':'1'},'b':{'N':'2'}}}}",
                  "{'m':{'M':{'b':{'N':'2'}}}}");
    /* indexes refer to the list as it was */
    expect_update("REMOVE l[0], l[2]", NULL, NULL,
                  "{'l':{'L':[{'N':'0'},{'N':'1'},{'N':'2'},{'N':'3'}]}}",
                  "{'l':{'L':[{'N':'1'},{'N':'3'}]}}");
    expect_update("REMOVE l[7]", NULL, NULL, "{'l':{'L':[{'N':'0'}]}}", "{'l':{'L':[{'N':'0'}]}}");
    /* ADD: numbers add, sets union, missing attributes are created */
    expect_update("ADD n :d", NULL, "{':d':{'N':'-3'}}", "{'n':{'N':'10'}}", "{'n':{'N':'7'}}");
    expect_update("ADD n :d", NULL, "{':d':{'N':'5'}}", "{}", "{'n':{'N':'5'}}");
    expect_update("ADD s :v", NULL, "{':v':{'SS':['b','c']}}", "{'s':{'SS':['a','b']}}",
                  "{'s':{'SS':['a','b','c']}}");
    expect_update("ADD s :v", NULL, "{':v':{'NS':['1.0','3']}}", "{'s':{'NS':['1','2']}}",
                  "{'s':{'NS':['1','2','3']}}");
    expect_update("ADD s :v", NULL, "{':v':{'SS':['x']}}", "{}", "{'s':{'SS':['x']}}");
    /* DELETE: set difference; an emptied set disappears; a missing one stays missing */
    expect_update("DELETE s :v", NULL, "{':v':{'SS':['a','z']}}", "{'s':{'SS':['a','b']}}",
                  "{'s':{'SS':['b']}}");
    expect_update("DELETE s :v", NULL, "{':v':{'SS':['a','b']}}", "{'s':{'SS':['a','b']}}", "{}");
    expect_update("DELETE s :v", NULL, "{':v':{'SS':['a']}}", "{}", "{}");
    expect_update("DELETE s :v", NULL, "{':v':{'NS':['2.0']}}", "{'s':{'NS':['1','2']}}",
                  "{'s':{'NS':['1']}}");
    /* all four clauses, in any order, keywords in any case */
    expect_update("remove r ADD n :one SET a = :a DELETE s :d", NULL,
                  "{':one':{'N':'1'},':a':{'S':'A'},':d':{'SS':['x']}}",
                  "{'r':{'N':'0'},'n':{'N':'1'},'s':{'SS':['x','y']}}",
                  "{'n':{'N':'2'},'s':{'SS':['y']},'a':{'S':'A'}}");
}

static void test_update_errors(void **state)
{
    (void)state;
    const char *it = "{'pk':{'S':'k'},'s':{'S':'x'},'n':{'N':'1'},'ss':{'SS':['a']}}";
    expect_update_error("SET a = :v, b = :nope", NULL, "{':v':{'N':'1'}}", it,
                        "Invalid UpdateExpression: An expression attribute value used in "
                        "expression is not defined; attribute value: :nope");
    expect_update_error("SET #a = :v", NULL, "{':v':{'N':'1'}}", it,
                        "Invalid UpdateExpression: An expression attribute name used in the "
                        "document path is not defined; attribute name: #a");
    expect_update_error("SET a :v", NULL, "{':v':{'N':'1'}}", it,
                        "Invalid UpdateExpression: Syntax error; token: \":v\", near: \"a :v\"");
    expect_update_error("UPSERT a = :v", NULL, "{':v':{'N':'1'}}", it,
                        "Syntax error; token: \"UPSERT\"");
    expect_update_error("SET a = :v SET b = :v", NULL, "{':v':{'N':'1'}}", it,
                        "Invalid UpdateExpression: The \"SET\" section can only be used once in "
                        "an update expression;");
    expect_update_error("SET a = :v REMOVE a", NULL, "{':v':{'N':'1'}}", it,
                        "Invalid UpdateExpression: Two document paths overlap with each other; "
                        "must remove or rewrite one of these paths; path one: [a], path two: [a]");
    expect_update_error("SET m.a = :v, m = :v", NULL, "{':v':{'N':'1'}}", it,
                        "path one: [m, a], path two: [m]");
    expect_update_error("SET m.a = :v, m[0] = :v", NULL, "{':v':{'N':'1'}}", it,
                        "Two document paths conflict with each other");
    expect_update_error("SET s = s + :v", NULL, "{':v':{'N':'1'}}", it,
                        "Invalid UpdateExpression: Incorrect operand type for operator or "
                        "function; operator or function: +, operand type: S");
    expect_update_error("SET n = n - :v", NULL, "{':v':{'S':'1'}}", it,
                        "operator or function: -, operand type: S");
    expect_update_error("SET s = list_append(s, :l)", NULL, "{':l':{'L':[]}}", it,
                        "Invalid UpdateExpression: Incorrect operand type for operator or "
                        "function; operator or function: list_append, operand type: S");
    expect_update_error("SET x = nope + :v", NULL, "{':v':{'N':'1'}}", it,
                        "The provided expression refers to an attribute that does not exist in "
                        "the item");
    expect_update_error("ADD s :v", NULL, "{':v':{'N':'1'}}", it,
                        "An operand in the update expression has an incorrect data type");
    expect_update_error("ADD n :v", NULL, "{':v':{'S':'1'}}", it,
                        "Incorrect operand type for operator or function; operator: ADD, "
                        "operand type: S");
    expect_update_error("ADD ss :v", NULL, "{':v':{'NS':['1']}}", it,
                        "An operand in the update expression has an incorrect data type");
    expect_update_error("DELETE ss :v", NULL, "{':v':{'S':'a'}}", it,
                        "operator: DELETE, operand type: S");
    expect_update_error("ADD n a", NULL, NULL, it, "Syntax error; token: \"a\"");
    expect_update_error("SET nope.x = :v", NULL, "{':v':{'N':'1'}}", it,
                        "The document path provided in the update expression is invalid for "
                        "update");
    expect_update_error("SET s[0] = :v", NULL, "{':v':{'N':'1'}}", it,
                        "The document path provided in the update expression is invalid for "
                        "update");
    expect_update_error("SET a = size(s)", NULL, NULL, it,
                        "The function is not allowed to be used this way in an expression; "
                        "function: size");
    expect_update_error("", NULL, NULL, it,
                        "Invalid UpdateExpression: The expression can not be empty;");
    expect_update_error("SET n = n + :big", NULL,
                        "{':big':{'N':'99999999999999999999999999999999999999'}}",
                        "{'n':{'N':'2'}}", "Attempting to store more than 38 significant digits");
    /* the first action succeeds, the second fails: nothing is applied */
    expect_update_error("SET a = :v, b = s + :v", NULL, "{':v':{'N':'1'}}", it, "operand type: S");
}

static void test_numbers(void **state)
{
    (void)state;
    char out[256], err[256];
    struct {
        const char *a, *b;
        int sub;
        const char *want;
    } cases[] = {
        {"0.1", "0.2", 0, "0.3"},
        {"1", "1", 1, "0"},
        {"1.50", "-1.5", 0, "0"},
        {"-5", "3", 0, "-2"},
        {"3", "5", 1, "-2"},
        {"1E2", "1", 0, "101"},
        {"1e-3", "0.002", 0, "0.003"},
        {"0.005", "0", 0, "0.005"},
        {"2.5E3", "0", 0, "2500"},
        {"12345678901234567890123456789012345678", "-1", 0,
         "12345678901234567890123456789012345677"},
        {"9999999999999999999999999999999999999", "1", 0, "10000000000000000000000000000000000000"},
        {"0.00000000000000000000000000000000000001", "1", 1,
         "-0.99999999999999999999999999999999999999"},
        {"1E125", "1E125", 0,
         "2"
         "00000000000000000000000000000000000000000000000000000000000"
         "000000000000000000000000000000000000000000000000000000000000"
         "000000"},
        {"1000", "-999.999", 0, "0.001"},
        {"+7", "-007.000", 0, "0"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (emu_number_add(cases[i].a, cases[i].b, cases[i].sub, out, sizeof(out), err,
                           sizeof(err)) != 0)
            fail_msg("%s %c %s: %s", cases[i].a, cases[i].sub ? '-' : '+', cases[i].b, err);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("%s %c %s = %s, want %s", cases[i].a, cases[i].sub ? '-' : '+', cases[i].b,
                     out, cases[i].want);
    }
    /* 38 nines + 1 needs 39 digits of precision only if it is not a power of ten */
    assert_int_equal(emu_number_add("99999999999999999999999999999999999999", "1", 0, out,
                                    sizeof(out), err, sizeof(err)),
                     0);
    assert_string_equal(out, "100000000000000000000000000000000000000");
    assert_int_equal(emu_number_add("99999999999999999999999999999999999999", "2", 0, out,
                                    sizeof(out), err, sizeof(err)),
                     -1);
    assert_string_equal(err, "Attempting to store more than 38 significant digits in a Number");
    assert_int_equal(emu_number_add("1E100", "1E-100", 0, out, sizeof(out), err, sizeof(err)), -1);
    assert_int_equal(emu_number_add("9.9E125", "1E125", 0, out, sizeof(out), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "Number overflow"));
    assert_int_equal(emu_number_add("1.5E-130", "1E-130", 1, out, sizeof(out), err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "Number underflow"));
    assert_int_equal(emu_number_add("abc", "1", 0, out, sizeof(out), err, sizeof(err)), -1);
    assert_int_equal(emu_number_add("1", "1", 0, out, 1, err, sizeof(err)), -1);
    /* a version counter incremented many times stays exact */
    char ver[64] = "0";
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(emu_number_add(ver, "0.001", 0, out, sizeof(out), err, sizeof(err)), 0);
        strcpy(ver, out);
    }
    assert_string_equal(ver, "1");
}

/* ---- projection ---- */

static void expect_projection(const char *expr, const char *names, const char *item,
                              const char *want)
{
    cJSON *n = J(names), *it = J(item), *out = NULL;
    char err[256];
    if (emu_projection_apply(expr, n, it, &out, err, sizeof(err)) != 0)
        fail_msg("%s: %s", expr, err);
    assert_json(out, want);
    cJSON_Delete(out);
    cJSON_Delete(n);
    cJSON_Delete(it);
}

static void test_projection(void **state)
{
    (void)state;
    const char *it = "{'pk':{'S':'k'},'a':{'N':'1'},'b':{'S':'x'},"
                     "'m':{'M':{'x':{'N':'1'},'y':{'L':[{'S':'p'},{'S':'q'},{'S':'r'}]}}},"
                     "'l':{'L':[{'N':'0'},{'M':{'c':{'N':'1'},'d':{'N':'2'}}},{'N':'2'}]}}";
    expect_projection("a, pk", NULL, it, "{'pk':{'S':'k'},'a':{'N':'1'}}");
    expect_projection("#x", "{'#x':'b'}", it, "{'b':{'S':'x'}}");
    expect_projection("m.x, nope, m.nope", NULL, it, "{'m':{'M':{'x':{'N':'1'}}}}");
    /* list elements come back compacted, in index order */
    expect_projection("m.y[2], m.y[0]", NULL, it, "{'m':{'M':{'y':{'L':[{'S':'p'},{'S':'r'}]}}}}");
    expect_projection("l[1].d", NULL, it, "{'l':{'L':[{'M':{'d':{'N':'2'}}}]}}");
    expect_projection("a.b, l[9]", NULL, it, "{}");

    cJSON *out = NULL;
    char err[256];
    cJSON *item = J(it);
    assert_int_equal(emu_projection_apply("m, m.x", NULL, item, &out, err, sizeof(err)), -1);
    assert_string_equal(err, "Invalid ProjectionExpression: Two document paths overlap with each "
                             "other; must remove or rewrite one of these paths; path one: [m], "
                             "path two: [m, x]");
    assert_int_equal(emu_projection_apply("a, a", NULL, item, &out, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "overlap"));
    assert_int_equal(emu_projection_apply("m.x, m[0]", NULL, item, &out, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "conflict"));
    assert_int_equal(emu_projection_apply("a,", NULL, item, &out, err, sizeof(err)), -1);
    assert_string_equal(
        err, "Invalid ProjectionExpression: Syntax error; token: \"<EOF>\", near: \",\"");
    assert_int_equal(emu_projection_apply("#q", NULL, item, &out, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "attribute name: #q"));
    assert_null(out);
    cJSON_Delete(item);
}

/* ---- key conditions ---- */

static void test_keycond(void **state)
{
    (void)state;
    cJSON *vals = J("{':h':{'S':'user#1'},':a':{'N':'5'},':b':{'N':'9'},':p':{'S':'ord#'},"
                    "':s':{'S':'x'}}");
    cJSON *names = J("{'#pk':'pk'}");
    emu_keycond kc;
    char err[256];
    assert_int_equal(emu_keycond_parse("#pk = :h", names, vals, &kc, err, sizeof(err)), 0);
    assert_string_equal(kc.hash_name, "pk");
    assert_ptr_equal(kc.hash_value, cJSON_GetObjectItem(vals, ":h"));
    assert_int_equal(kc.range_op, EMU_KC_NONE);
    assert_int_equal(emu_keycond_match_range(&kc, NULL), 1);

    struct {
        const char *expr;
        int op;
        const char *yes, *no;
    } cases[] = {
        {"pk = :h AND sk = :a", EMU_KC_EQ, "{'N':'5.0'}", "{'N':'6'}"},
        {"pk = :h AND sk < :a", EMU_KC_LT, "{'N':'4'}", "{'N':'5'}"},
        {"pk = :h AND sk <= :a", EMU_KC_LE, "{'N':'5'}", "{'N':'6'}"},
        {"pk = :h AND sk > :a", EMU_KC_GT, "{'N':'10'}", "{'N':'5'}"},
        {"pk = :h AND sk >= :a", EMU_KC_GE, "{'N':'5'}", "{'N':'4.99'}"},
        {"pk = :h AND sk BETWEEN :a AND :b", EMU_KC_BETWEEN, "{'N':'9'}", "{'N':'9.5'}"},
        {"pk = :h AND begins_with(sk, :p)", EMU_KC_BEGINS_WITH, "{'S':'ord#7'}", "{'S':'or'}"},
        {"(sk > :a) and (pk = :h)", EMU_KC_GT, "{'N':'6'}", "{'S':'6'}"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (emu_keycond_parse(cases[i].expr, names, vals, &kc, err, sizeof(err)) != 0)
            fail_msg("%s: %s", cases[i].expr, err);
        assert_string_equal(kc.hash_name, "pk");
        assert_string_equal(kc.range_name, "sk");
        assert_int_equal(kc.range_op, cases[i].op);
        cJSON *y = J(cases[i].yes), *n = J(cases[i].no);
        if (!emu_keycond_match_range(&kc, y) || emu_keycond_match_range(&kc, n))
            fail_msg("%s: matched wrongly", cases[i].expr);
        assert_int_equal(emu_keycond_match_range(&kc, NULL), 0);
        cJSON_Delete(y);
        cJSON_Delete(n);
    }
    struct {
        const char *expr, *want;
    } bad[] = {
        {"pk = :h OR sk = :a", "Invalid operator used in KeyConditionExpression: OR"},
        {"pk <> :h", "Invalid operator used in KeyConditionExpression: <>"},
        {"pk > :h", "Query key condition not supported"},
        {"pk = :h AND sk > :a AND x = :b", "too many conditions"},
        {"pk = :h AND pk = :h", "only contain one condition per key"},
        {"pk = :h AND contains(sk, :s)",
         "Invalid operator used in KeyConditionExpression: contains"},
        {"pk = :h AND m.x = :a", "Query key condition not supported"},
        {"pk = sk", "Query key condition not supported"},
        {"pk = :nope", "Invalid KeyConditionExpression: An expression attribute value used in "
                       "expression is not defined; attribute value: :nope"},
        {"pk = ", "Invalid KeyConditionExpression: Syntax error; token: \"<EOF>\""},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(emu_keycond_parse(bad[i].expr, names, vals, &kc, err, sizeof(err)), -1);
        if (!strstr(err, bad[i].want))
            fail_msg("%s: error \"%s\" does not contain \"%s\"", bad[i].expr, err, bad[i].want);
    }
    cJSON_Delete(vals);
    cJSON_Delete(names);
}

/* ---- unused placeholders ---- */

static void test_unused(void **state)
{
    (void)state;
    char err[256];
    cJSON *names = J("{'#a':'a','#b':'b'}"), *vals = J("{':v':{'N':'1'},':w':{'N':'2'}}");
    const char *both[] = {"SET #a = :v", "#b = :w"};
    assert_int_equal(emu_expr_check_unused(both, 2, names, vals, err, sizeof(err)), 0);
    const char *one[] = {"SET #a = :v", NULL};
    assert_int_equal(emu_expr_check_unused(one, 2, names, vals, err, sizeof(err)), -1);
    assert_string_equal(err, "Value provided in ExpressionAttributeNames unused in expressions: "
                             "keys: {#b}");
    const char *names_only[] = {"SET #a = :v, #b = :v"};
    assert_int_equal(emu_expr_check_unused(names_only, 1, names, vals, err, sizeof(err)), -1);
    assert_string_equal(err, "Value provided in ExpressionAttributeValues unused in expressions: "
                             "keys: {:w}");
    /* a placeholder's prefix does not count as a use */
    const char *prefix[] = {"SET #a = :vw, #b = :ww"};
    assert_int_equal(emu_expr_check_unused(prefix, 1, NULL, vals, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "keys: {:v, :w}"));
    const char *none[] = {NULL};
    assert_int_equal(emu_expr_check_unused(none, 1, names, NULL, err, sizeof(err)), -1);
    assert_string_equal(err, "ExpressionAttributeNames can only be specified when using "
                             "expressions");
    cJSON *empty = J("{}");
    assert_int_equal(emu_expr_check_unused(both, 2, NULL, empty, err, sizeof(err)), -1);
    assert_string_equal(err, "ExpressionAttributeValues must not be empty");
    assert_int_equal(emu_expr_check_unused(both, 2, NULL, NULL, err, sizeof(err)), 0);
    cJSON_Delete(empty);
    cJSON_Delete(names);
    cJSON_Delete(vals);
}

/* ---- the workloads' own expressions ---- */

static void test_workload_expressions(void **state)
{
    (void)state;
    /* insert-once: attribute_not_exists(pk) */
    assert_int_equal(cond("attribute_not_exists(pk)", NULL, NULL, NULL), 1);
    assert_int_equal(cond("attribute_not_exists(pk)", NULL, NULL, "{'pk':{'S':'k'}}"), 0);
    /* compare-and-set on a version */
    const char *cas_item = "{'pk':{'S':'k'},'ver':{'N':'41'},'wid':{'S':'w1'},'pay':{'S':'p'}}";
    assert_int_equal(cond("ver = :prev", NULL, "{':prev':{'N':'41'}}", cas_item), 1);
    assert_int_equal(cond("ver = :prev", NULL, "{':prev':{'N':'40'}}", cas_item), 0);
    assert_int_equal(cond("ver = :prev", NULL, "{':prev':{'N':'41'}}", NULL), 0);
    expect_update("SET ver = :v, wid = :w, pay = :p", NULL,
                  "{':v':{'N':'42'},':w':{'S':'w2'},':p':{'S':'payload'}}", cas_item,
                  "{'pk':{'S':'k'},'ver':{'N':'42'},'wid':{'S':'w2'},'pay':{'S':'payload'}}");
    /* append-only list of ids, created on first use */
    const char *app_vals = "{':empty':{'L':[]},':new':{'L':[{'S':'id1'}]}}";
    cJSON *it = J("{'pk':{'S':'k'}}");
    assert_int_equal(
        update("SET ids = list_append(if_not_exists(ids, :empty), :new)", NULL, app_vals, it), 0);
    assert_json(it, "{'pk':{'S':'k'},'ids':{'L':[{'S':'id1'}]}}");
    assert_int_equal(update("SET ids = list_append(if_not_exists(ids, :empty), :new)", NULL,
                            "{':empty':{'L':[]},':new':{'L':[{'S':'id2'}]}}", it),
                     0);
    assert_json(it, "{'pk':{'S':'k'},'ids':{'L':[{'S':'id1'},{'S':'id2'}]}}");
    cJSON_Delete(it);
    /* bank transfer: ADD bal :d guarded by attribute_exists(pk) AND bal >= :amt */
    it = J("{'pk':{'S':'acct1'},'bal':{'N':'100.25'}}");
    const char *guard = "attribute_exists(pk) AND bal >= :amt";
    char *item_text = cJSON_PrintUnformatted(it);
    assert_int_equal(cond(guard, NULL, "{':amt':{'N':'100.25'}}", item_text), 1);
    assert_int_equal(cond(guard, NULL, "{':amt':{'N':'100.26'}}", item_text), 0);
    assert_int_equal(cond(guard, NULL, "{':amt':{'N':'1'}}", NULL), 0);
    free(item_text);
    assert_int_equal(update("ADD bal :d", NULL, "{':d':{'N':'-0.25'}}", it), 0);
    assert_json(it, "{'pk':{'S':'acct1'},'bal':{'N':'100'}}");
    assert_int_equal(update("ADD bal :d", NULL, "{':d':{'N':'-100'}}", it), 0);
    assert_json(it, "{'pk':{'S':'acct1'},'bal':{'N':'0'}}");
    cJSON_Delete(it);
}

/* ---- robustness ---- */

static uint64_t g_rng = 0x9E3779B97F4A7C15ULL;
static uint32_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 16);
}

static void run_all(const char *expr, const cJSON *names, const cJSON *vals, const cJSON *item)
{
    char err[256];
    emu_expr *e = NULL;
    if (emu_cond_compile(expr, names, vals, &e, err, sizeof(err)) == 0) {
        int r;
        assert_int_equal(emu_cond_eval(e, item, &r, err, sizeof(err)), 0);
        assert_int_equal(emu_cond_eval(e, NULL, &r, err, sizeof(err)), 0);
        emu_expr_free(e);
    } else {
        assert_null(e);
        assert_true(strlen(err) > 0);
    }
    cJSON *copy = cJSON_Duplicate(item, 1);
    if (emu_update_apply(expr, names, vals, copy, err, sizeof(err)) != 0)
        assert_true(cJSON_Compare(copy, item, 1)); /* failures leave the item alone */
    cJSON_Delete(copy);
    cJSON *out = NULL;
    if (emu_projection_apply(expr, names, item, &out, err, sizeof(err)) == 0) cJSON_Delete(out);
    emu_keycond kc;
    if (emu_keycond_parse(expr, names, vals, &kc, err, sizeof(err)) == 0)
        (void)emu_keycond_match_range(&kc, cJSON_GetObjectItem(item, "n"));
    const char *exprs[] = {expr};
    (void)emu_expr_check_unused(exprs, 1, names, vals, err, sizeof(err));
}

static void test_fuzz(void **state)
{
    (void)state;
    static const char *const pieces[] = {"a",
                                         "m",
                                         "l",
                                         "s",
                                         "n",
                                         "#a",
                                         "#m",
                                         "#zz",
                                         ":v",
                                         ":l",
                                         ":s",
                                         ":ss",
                                         ":x",
                                         ".",
                                         "[",
                                         "]",
                                         "0",
                                         "1",
                                         "99",
                                         "(",
                                         ")",
                                         ",",
                                         "=",
                                         "<>",
                                         "<",
                                         "<=",
                                         ">",
                                         ">=",
                                         "+",
                                         "-",
                                         " ",
                                         "AND",
                                         "OR",
                                         "NOT",
                                         "IN",
                                         "BETWEEN",
                                         "SET",
                                         "REMOVE",
                                         "ADD",
                                         "DELETE",
                                         "size",
                                         "contains",
                                         "begins_with",
                                         "attribute_exists",
                                         "attribute_not_exists",
                                         "attribute_type",
                                         "if_not_exists",
                                         "list_append",
                                         "$",
                                         "\xc3\xa9",
                                         ":",
                                         "#",
                                         "2147483648",
                                         "[0]",
                                         ".a",
                                         " :v ",
                                         "((",
                                         "))"};
    const size_t np = sizeof(pieces) / sizeof(pieces[0]);
    cJSON *names = J("{'#a':'a','#m':'m'}");
    cJSON *vals = J("{':v':{'N':'1'},':l':{'L':[{'N':'1'}]},':s':{'S':'S'},"
                    "':ss':{'SS':['a']},':x':{'B':'AAEC'}}");
    cJSON *item = J("{'a':{'N':'5'},'n':{'N':'1'},'s':{'SS':['a','b']},"
                    "'m':{'M':{'a':{'L':[{'N':'1'},{'M':{'a':{'S':'q'}}}]}}},"
                    "'l':{'L':[{'N':'1'},{'N':'2'}]}}");
    char buf[600];
    for (int iter = 0; iter < 20000; iter++) {
        size_t k = 0;
        int n = 1 + (int)(rnd() % 14);
        for (int i = 0; i < n; i++) {
            const char *pc = pieces[rnd() % np];
            size_t len = strlen(pc);
            if (k + len + 2 >= sizeof(buf)) break;
            memcpy(buf + k, pc, len);
            k += len;
            if (rnd() % 2) buf[k++] = ' ';
        }
        buf[k] = '\0';
        run_all(buf, names, vals, item);
    }
    /* every prefix of valid expressions */
    static const char *const valid[] = {
        "attribute_exists(pk) AND bal >= :v",
        "SET ids = list_append(if_not_exists(l, :l), :l), a = a + :v REMOVE m.a[0] ADD s :ss",
        "NOT (a BETWEEN :v AND :v OR a IN (:v, :v)) AND contains(s, :s) OR size(l) > :v",
        "#m.a[1].a, l[0], #a", "a = :v AND begins_with(s, :s)"};
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        size_t len = strlen(valid[i]);
        for (size_t cut = 0; cut <= len; cut++) {
            memcpy(buf, valid[i], cut);
            buf[cut] = '\0';
            run_all(buf, names, vals, item);
        }
    }
    /* random bytes */
    for (int iter = 0; iter < 5000; iter++) {
        size_t len = rnd() % 64;
        for (size_t i = 0; i < len; i++)
            buf[i] = (char)(1 + rnd() % 255);
        buf[len] = '\0';
        run_all(buf, names, vals, item);
    }
    /* deep nesting is refused, not a stack overflow */
    char *deep = malloc(EMU_EXPR_MAX_BYTES + 1);
    assert_non_null(deep);
    memset(deep, '(', EMU_EXPR_MAX_BYTES);
    deep[EMU_EXPR_MAX_BYTES] = '\0';
    run_all(deep, names, vals, item);
    for (int i = 0; i + 4 <= EMU_EXPR_MAX_BYTES; i += 4)
        memcpy(deep + i, "NOT ", 4);
    run_all(deep, names, vals, item);
    free(deep);
    cJSON_Delete(names);
    cJSON_Delete(vals);
    cJSON_Delete(item);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_comparators),
        cmocka_unit_test(test_between_in),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_functions),
        cmocka_unit_test(test_paths_and_names),
        cmocka_unit_test(test_condition_errors),
        cmocka_unit_test(test_filter_prefix),
        cmocka_unit_test(test_update_set),
        cmocka_unit_test(test_update_remove_add_delete),
        cmocka_unit_test(test_update_errors),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_projection),
        cmocka_unit_test(test_keycond),
        cmocka_unit_test(test_unused),
        cmocka_unit_test(test_workload_expressions),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
