/*
 * expr.c - the emulator's DynamoDB expression engine (see expr.h).
 *
 * One lexer and one recursive-descent parser serve all five expression languages; the
 * parser builds a small tree in a per-expression pool, which is evaluated against items
 * in the wire shape of ddb/attr.h. The grammar and the semantics follow the DynamoDB
 * Developer Guide ("Condition and filter expressions, operators, and functions",
 * "Update expressions", "Projection expressions", "Key condition expressions"):
 *
 *   condition  ::= or ; or ::= and (OR and)* ; and ::= not (AND not)* ;
 *   not        ::= NOT not | primary
 *   primary    ::= '(' condition ')' | function '(' operands ')'
 *                | operand (comparator operand | BETWEEN operand AND operand
 *                           | IN '(' operand (',' operand)* ')')
 *   operand    ::= path | :value | size '(' path ')'
 *   path       ::= name ('.' name | '[' digits ']')*      name ::= identifier | #name
 *   update     ::= (SET set (',' set)* | REMOVE path (',' path)*
 *                   | ADD path :value (',' ...)* | DELETE path :value (',' ...)*)+
 *   set        ::= path '=' value ; value ::= uoperand [('+' | '-') uoperand]
 *   uoperand   ::= path | :value | if_not_exists '(' path ',' uoperand ')'
 *                | list_append '(' uoperand ',' uoperand ')'
 *
 * Keywords are case-insensitive, function names are not (as in DynamoDB). Numbers are
 * added exactly on decimal digit strings, never through double.
 */
#include "emulator/expr.h"
#include "ddb/attr.h"

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nesting of parentheses and NOT. DynamoDB documents no limit; this one only keeps the
 * recursive-descent parser's stack bounded for any 4 KB input. */
#define EXPR_MAX_DEPTH 256
/* Supported number magnitude ("Data types": 1E-130
 * to 9.9999999999999999999999999999999999999E+125). */
#define NUM_MIN_EXP10 (-130)
#define NUM_MAX_EXP10 125
/* Digits of an exact intermediate sum: 38 digits on each side of the widest exponent gap
 * that valid numbers allow, with room to spare. */
#define NUM_WORK_DIGITS 640

/* ------------------------------------------------------------------------------------ */
/* Pool: every node of one compiled expression, freed at once.                          */

typedef struct pool_chunk {
    struct pool_chunk *next;
    max_align_t data[];
} pool_chunk;

typedef struct pool {
    pool_chunk *chunks;
    cJSON *consts; /* copies of the ExpressionAttributeValues the expression uses */
} pool;

static void *pool_alloc(pool *pl, size_t n)
{
    pool_chunk *c = calloc(1, sizeof(*c) + n);
    if (!c) return NULL;
    c->next = pl->chunks;
    pl->chunks = c;
    return c->data;
}

static char *pool_strndup(pool *pl, const char *s, size_t n)
{
    char *d = pool_alloc(pl, n + 1);
    if (d) memcpy(d, s, n);
    return d;
}

static void pool_release(pool *pl)
{
    pool_chunk *c = pl->chunks;
    while (c) {
        pool_chunk *next = c->next;
        free(c);
        c = next;
    }
    pl->chunks = NULL;
    cJSON_Delete(pl->consts);
    pl->consts = NULL;
}

/* ------------------------------------------------------------------------------------ */
/* Lexer                                                                                */

typedef enum tok_type {
    T_EOF,
    T_NAME,
    T_HASHNAME,
    T_VALUE,
    T_NUMBER,
    T_LPAREN,
    T_RPAREN,
    T_LBRACK,
    T_RBRACK,
    T_COMMA,
    T_DOT,
    T_EQ,
    T_NE,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_PLUS,
    T_MINUS,
    T_BAD
} tok_type;

typedef struct token {
    tok_type type;
    size_t start, len;
} token;

static int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}
static int is_word(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '_';
}

/* Splits s into tokens ending with two T_EOF (so one token of look-ahead never runs off
 * the end). A character outside the grammar becomes a T_BAD token that the parser
 * reports as a syntax error. */
static int lex(const char *s, token **out, int *ntok)
{
    size_t n = strlen(s);
    token *t = malloc((n + 2) * sizeof(*t));
    if (!t) return -1;
    int k = 0;
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            i++;
            continue;
        }
        token tk = {T_BAD, i, 1};
        if (is_alpha(c) || c == '_') {
            size_t j = i + 1;
            while (j < n && is_word((unsigned char)s[j]))
                j++;
            tk.type = T_NAME;
            tk.len = j - i;
        } else if (is_digit(c)) {
            size_t j = i + 1;
            while (j < n && is_digit((unsigned char)s[j]))
                j++;
            tk.type = T_NUMBER;
            tk.len = j - i;
        } else if (c == '#' || c == ':') {
            size_t j = i + 1;
            while (j < n && is_word((unsigned char)s[j]))
                j++;
            if (j > i + 1) {
                tk.type = c == '#' ? T_HASHNAME : T_VALUE;
                tk.len = j - i;
            }
        } else {
            unsigned char d = i + 1 < n ? (unsigned char)s[i + 1] : 0;
            switch (c) {
            case '(':
                tk.type = T_LPAREN;
                break;
            case ')':
                tk.type = T_RPAREN;
                break;
            case '[':
                tk.type = T_LBRACK;
                break;
            case ']':
                tk.type = T_RBRACK;
                break;
            case ',':
                tk.type = T_COMMA;
                break;
            case '.':
                tk.type = T_DOT;
                break;
            case '=':
                tk.type = T_EQ;
                break;
            case '+':
                tk.type = T_PLUS;
                break;
            case '-':
                tk.type = T_MINUS;
                break;
            case '<':
                tk.type = d == '=' ? T_LE : d == '>' ? T_NE : T_LT;
                tk.len = (d == '=' || d == '>') ? 2 : 1;
                break;
            case '>':
                tk.type = d == '=' ? T_GE : T_GT;
                tk.len = d == '=' ? 2 : 1;
                break;
            default:
                /* keep a multi-byte UTF-8 character whole in the error message */
                while (i + tk.len < n && ((unsigned char)s[i + tk.len] & 0xC0) == 0x80)
                    tk.len++;
                break;
            }
        }
        t[k++] = tk;
        i += tk.len;
    }
    t[k] = (token){T_EOF, n, 0};
    t[k + 1] = t[k];
    *out = t;
    *ntok = k + 1;
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Trees                                                                                */

typedef struct pseg {
    const char *name; /* NULL for a list index */
    long index;
} pseg;

typedef struct path {
    int n;
    pseg seg[];
} path;

typedef enum operand_kind {
    OP_PATH,
    OP_VALUE,
    OP_SIZE,
    OP_IF_NOT_EXISTS,
    OP_LIST_APPEND,
    OP_PLUS,
    OP_MINUS
} operand_kind;

typedef struct operand {
    operand_kind kind;
    path *path;         /* OP_PATH, OP_SIZE, OP_IF_NOT_EXISTS */
    const cJSON *value; /* OP_VALUE: the pool's copy */
    const cJSON *orig;  /* OP_VALUE: the caller's ExpressionAttributeValues entry */
    struct operand *a, *b;
} operand;

typedef enum cnode_kind {
    C_OR,
    C_AND,
    C_NOT,
    C_CMP,
    C_BETWEEN,
    C_IN,
    C_EXISTS,
    C_NOT_EXISTS,
    C_TYPE,
    C_BEGINS,
    C_CONTAINS
} cnode_kind;

typedef enum cmp_op { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE } cmp_op;

typedef struct cnode {
    cnode_kind kind;
    cmp_op cmp;
    struct cnode *l, *r;
    operand *x, *y, *z;
    operand **list; /* C_IN */
    int nlist;
} cnode;

struct emu_expr {
    pool pl;
    cnode *root;
};

/* ------------------------------------------------------------------------------------ */
/* Parser                                                                               */

typedef struct parser {
    const char *src;
    token *t;
    int nt, pos;
    const cJSON *names, *values;
    const char *kind; /* "ConditionExpression", ... for error messages */
    int update_mode;  /* operands may be if_not_exists/list_append instead of size */
    char *err;
    size_t errlen;
    int failed;
    int nops, depth;
    pool *pl;
} parser;

static void fmt_err(char *err, size_t errlen, const char *prefix, const char *fmt, va_list ap)
{
    if (!err || errlen == 0) return;
    int n = snprintf(err, errlen, "%s", prefix ? prefix : "");
    if (n < 0 || (size_t)n >= errlen) return;
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fmt_err(err, errlen, NULL, fmt, ap);
    va_end(ap);
}

/* An error of the expression: "Invalid <kind>: <message>". The first error wins. */
static void perr(parser *p, const char *fmt, ...)
{
    if (p->failed) return;
    p->failed = 1;
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "Invalid %s: ", p->kind);
    va_list ap;
    va_start(ap, fmt);
    fmt_err(p->err, p->errlen, prefix, fmt, ap);
    va_end(ap);
}

static void poom(parser *p)
{
    if (!p->failed) {
        p->failed = 1;
        set_err(p->err, p->errlen, "out of memory");
    }
}

/* DynamoDB's syntax error names the offending token and the text around it (the token
 * before through the token after). */
static void psyntax(parser *p)
{
    if (p->failed) return;
    const token *tk = &p->t[p->pos];
    size_t from = p->pos > 0 ? p->t[p->pos - 1].start : tk->start;
    const token *after = tk->type != T_EOF ? &p->t[p->pos + 1] : tk;
    size_t to = after->type != T_EOF ? after->start + after->len : tk->start + tk->len;
    if (tk->type == T_EOF && p->pos > 0) to = p->t[p->pos - 1].start + p->t[p->pos - 1].len;
    if (to < from) to = from;
    if (tk->type == T_EOF)
        perr(p, "Syntax error; token: \"<EOF>\", near: \"%.*s\"", (int)(to - from), p->src + from);
    else
        perr(p, "Syntax error; token: \"%.*s\", near: \"%.*s\"", (int)tk->len, p->src + tk->start,
             (int)(to - from), p->src + from);
}

static tok_type peek(const parser *p)
{
    return p->t[p->pos].type;
}

static int accept(parser *p, tok_type type)
{
    if (p->t[p->pos].type != type) return 0;
    if (type != T_EOF) p->pos++;
    return 1;
}

static int expect(parser *p, tok_type type)
{
    if (accept(p, type)) return 1;
    psyntax(p);
    return 0;
}

static int tok_is(const parser *p, int idx, const char *word, int case_insensitive)
{
    const token *tk = &p->t[idx];
    size_t n = strlen(word);
    if (tk->type != T_NAME || tk->len != n) return 0;
    for (size_t i = 0; i < n; i++) {
        char a = p->src[tk->start + i], b = word[i];
        if (case_insensitive) {
            if (a >= 'a' && a <= 'z') a = (char)(a - 'a' + 'A');
            if (b >= 'a' && b <= 'z') b = (char)(b - 'a' + 'A');
        }
        if (a != b) return 0;
    }
    return 1;
}

static int is_kw(const parser *p, int idx, const char *kw)
{
    return tok_is(p, idx, kw, 1);
}

/* The grammar's own words cannot name an attribute without a #placeholder. */
static const char *const GRAMMAR_WORDS[] = {"AND", "OR",     "NOT", "BETWEEN", "IN",
                                            "SET", "REMOVE", "ADD", "DELETE"};

static int count_op(parser *p)
{
    if (++p->nops > EMU_EXPR_MAX_OPERATORS) {
        perr(p, "The expression contains too many operators; operator count: %d", p->nops);
        return 0;
    }
    return 1;
}

static int enter(parser *p)
{
    if (++p->depth > EXPR_MAX_DEPTH) {
        perr(p, "The expression is nested too deeply; nesting levels: %d", p->depth);
        return 0;
    }
    return 1;
}

static int parse_name_seg(parser *p, pseg *seg, int first)
{
    const token *tk = &p->t[p->pos];
    if (tk->type == T_NAME) {
        if (first)
            for (size_t i = 0; i < sizeof(GRAMMAR_WORDS) / sizeof(GRAMMAR_WORDS[0]); i++)
                if (is_kw(p, p->pos, GRAMMAR_WORDS[i])) {
                    perr(p, "Attribute name is a reserved keyword; reserved keyword: %.*s",
                         (int)tk->len, p->src + tk->start);
                    return 0;
                }
        seg->name = pool_strndup(p->pl, p->src + tk->start, tk->len);
    } else if (tk->type == T_HASHNAME) {
        char key[EMU_EXPR_MAX_BYTES + 1];
        snprintf(key, sizeof(key), "%.*s", (int)tk->len, p->src + tk->start);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(p->names, key);
        if (!cJSON_IsString(v)) {
            perr(p,
                 "An expression attribute name used in the document path is not defined; "
                 "attribute name: %s",
                 key);
            return 0;
        }
        seg->name = pool_strndup(p->pl, v->valuestring, strlen(v->valuestring));
    } else {
        psyntax(p);
        return 0;
    }
    if (!seg->name) {
        poom(p);
        return 0;
    }
    seg->index = -1;
    p->pos++;
    return 1;
}

static path *parse_path(parser *p)
{
    pseg segs[DDB_MAX_NESTING_DEPTH];
    int n = 0;
    if (!parse_name_seg(p, &segs[n++], 1)) return NULL;
    for (;;) {
        tok_type tt = peek(p);
        if (tt != T_DOT && tt != T_LBRACK) break;
        if (n >= DDB_MAX_NESTING_DEPTH) {
            perr(p, "The document path has too many nesting levels; nesting levels: %d", n + 1);
            return NULL;
        }
        p->pos++;
        if (tt == T_DOT) {
            if (!parse_name_seg(p, &segs[n++], 0)) return NULL;
            continue;
        }
        const token *tk = &p->t[p->pos];
        if (tk->type != T_NUMBER) {
            psyntax(p);
            return NULL;
        }
        long idx = 0;
        for (size_t i = 0; i < tk->len; i++) {
            idx = idx * 10 + (p->src[tk->start + i] - '0');
            if (idx > INT_MAX) {
                perr(p, "List index is too large; index: %.*s", (int)tk->len, p->src + tk->start);
                return NULL;
            }
        }
        p->pos++;
        if (!expect(p, T_RBRACK)) return NULL;
        segs[n].name = NULL;
        segs[n++].index = idx;
    }
    path *pa = pool_alloc(p->pl, sizeof(*pa) + (size_t)n * sizeof(pseg));
    if (!pa) {
        poom(p);
        return NULL;
    }
    pa->n = n;
    memcpy(pa->seg, segs, (size_t)n * sizeof(pseg));
    return pa;
}

static operand *new_operand(parser *p, operand_kind kind)
{
    operand *o = pool_alloc(p->pl, sizeof(*o));
    if (!o)
        poom(p);
    else
        o->kind = kind;
    return o;
}

static operand *parse_value(parser *p)
{
    const token *tk = &p->t[p->pos];
    if (tk->type != T_VALUE) {
        psyntax(p);
        return NULL;
    }
    char key[EMU_EXPR_MAX_BYTES + 1];
    snprintf(key, sizeof(key), "%.*s", (int)tk->len, p->src + tk->start);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(p->values, key);
    if (!v) {
        perr(p,
             "An expression attribute value used in expression is not defined; attribute "
             "value: %s",
             key);
        return NULL;
    }
    operand *o = new_operand(p, OP_VALUE);
    if (!o) return NULL;
    if (!p->pl->consts && !(p->pl->consts = cJSON_CreateArray())) {
        poom(p);
        return NULL;
    }
    cJSON *copy = cJSON_Duplicate(v, 1);
    if (!copy) {
        poom(p);
        return NULL;
    }
    cJSON_AddItemToArray(p->pl->consts, copy);
    o->value = copy;
    o->orig = v;
    p->pos++;
    return o;
}

enum func_id {
    F_NONE,
    F_EXISTS,
    F_NOT_EXISTS,
    F_TYPE,
    F_BEGINS,
    F_CONTAINS,
    F_SIZE,
    F_IF_NOT_EXISTS,
    F_LIST_APPEND
};

static const struct {
    const char *name;
    enum func_id id;
} FUNCS[] = {{"attribute_exists", F_EXISTS},     {"attribute_not_exists", F_NOT_EXISTS},
             {"attribute_type", F_TYPE},         {"begins_with", F_BEGINS},
             {"contains", F_CONTAINS},           {"size", F_SIZE},
             {"if_not_exists", F_IF_NOT_EXISTS}, {"list_append", F_LIST_APPEND}};

static enum func_id func_at(const parser *p, int idx)
{
    for (size_t i = 0; i < sizeof(FUNCS) / sizeof(FUNCS[0]); i++)
        if (tok_is(p, idx, FUNCS[i].name, 0)) return FUNCS[i].id;
    return F_NONE;
}

static operand *parse_operand(parser *p);

/* Parses "name(arg, ...)" (the name is the current token) into args; returns the count
 * or -1. */
static int parse_args(parser *p, operand **args, int max)
{
    p->pos += 2; /* name and '(' */
    if (!count_op(p) || !enter(p)) return -1;
    int n = 0;
    if (peek(p) != T_RPAREN) {
        do {
            operand *o = parse_operand(p);
            if (!o) return -1;
            if (n < max) args[n] = o;
            n++;
        } while (accept(p, T_COMMA));
    }
    if (!expect(p, T_RPAREN)) return -1;
    p->depth--;
    return n;
}

static int check_nargs(parser *p, const char *fname, int got, int want)
{
    if (got == want) return 1;
    perr(p,
         "Incorrect number of operands for operator or function; operator or function: %s, "
         "number of operands: %d",
         fname, got);
    return 0;
}

static int check_is_path(parser *p, const char *fname, const operand *o)
{
    if (o->kind == OP_PATH) return 1;
    perr(p, "Operator or function requires a document path; operator or function: %s", fname);
    return 0;
}

static operand *parse_function_operand(parser *p)
{
    const token *tk = &p->t[p->pos];
    char fname[64];
    snprintf(fname, sizeof(fname), "%.*s", (int)(tk->len < 63 ? tk->len : 63), p->src + tk->start);
    enum func_id f = func_at(p, p->pos);
    int allowed = p->update_mode ? (f == F_IF_NOT_EXISTS || f == F_LIST_APPEND) : f == F_SIZE;
    if (f == F_NONE) {
        perr(p, "Invalid function name; function: %s", fname);
        return NULL;
    }
    if (!allowed) {
        perr(p, "The function is not allowed to be used this way in an expression; function: %s",
             fname);
        return NULL;
    }
    operand *args[2] = {NULL, NULL};
    int n = parse_args(p, args, 2);
    if (n < 0) return NULL;
    operand *o = NULL;
    if (f == F_SIZE) {
        if (!check_nargs(p, fname, n, 1) || !check_is_path(p, fname, args[0])) return NULL;
        if ((o = new_operand(p, OP_SIZE))) o->path = args[0]->path;
    } else if (f == F_IF_NOT_EXISTS) {
        if (!check_nargs(p, fname, n, 2) || !check_is_path(p, fname, args[0])) return NULL;
        if ((o = new_operand(p, OP_IF_NOT_EXISTS))) {
            o->path = args[0]->path;
            o->b = args[1];
        }
    } else { /* list_append */
        if (!check_nargs(p, fname, n, 2)) return NULL;
        if ((o = new_operand(p, OP_LIST_APPEND))) {
            o->a = args[0];
            o->b = args[1];
        }
    }
    return o;
}

static operand *parse_operand(parser *p)
{
    tok_type tt = peek(p);
    if (tt == T_VALUE) return parse_value(p);
    if (tt == T_NAME && p->t[p->pos + 1].type == T_LPAREN) return parse_function_operand(p);
    if (tt == T_NAME || tt == T_HASHNAME) {
        path *pa = parse_path(p);
        if (!pa) return NULL;
        operand *o = new_operand(p, OP_PATH);
        if (o) o->path = pa;
        return o;
    }
    psyntax(p);
    return NULL;
}

static cnode *new_cnode(parser *p, cnode_kind kind)
{
    cnode *n = pool_alloc(p->pl, sizeof(*n));
    if (!n)
        poom(p);
    else
        n->kind = kind;
    return n;
}

static cnode *parse_or(parser *p);

static const char *const TYPE_WORDS[] = {"S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"};

static cnode *parse_cond_function(parser *p, enum func_id f)
{
    const token *tk = &p->t[p->pos];
    char fname[64];
    snprintf(fname, sizeof(fname), "%.*s", (int)tk->len, p->src + tk->start);
    operand *args[2] = {NULL, NULL};
    int n = parse_args(p, args, 2);
    if (n < 0) return NULL;
    int want = (f == F_EXISTS || f == F_NOT_EXISTS) ? 1 : 2;
    if (!check_nargs(p, fname, n, want) || !check_is_path(p, fname, args[0])) return NULL;
    static const cnode_kind kinds[] = {[F_EXISTS] = C_EXISTS,
                                       [F_NOT_EXISTS] = C_NOT_EXISTS,
                                       [F_TYPE] = C_TYPE,
                                       [F_BEGINS] = C_BEGINS,
                                       [F_CONTAINS] = C_CONTAINS};
    if (f == F_TYPE) {
        const operand *t = args[1];
        if (t->kind != OP_VALUE || ddb_attr_type_of(t->value) != DDB_T_S) {
            perr(p,
                 "Incorrect operand type for operator or function; operator or function: %s, "
                 "operand type: %s",
                 fname,
                 t->kind == OP_VALUE ? ddb_attr_type_name(ddb_attr_type_of(t->value)) : "PATH");
            return NULL;
        }
        const char *tn = ddb_attr_payload(t->value)->valuestring;
        int ok = 0;
        for (size_t i = 0; i < sizeof(TYPE_WORDS) / sizeof(TYPE_WORDS[0]); i++)
            ok |= strcmp(tn, TYPE_WORDS[i]) == 0;
        if (!ok) {
            perr(p,
                 "Invalid attribute type name found; type: %s, valid types: "
                 "{ B,NULL,SS,BOOL,L,BS,N,NS,S,M }",
                 tn);
            return NULL;
        }
    }
    if (f == F_BEGINS && args[1]->kind == OP_VALUE) {
        ddb_attr_type vt = ddb_attr_type_of(args[1]->value);
        if (vt != DDB_T_S && vt != DDB_T_B) {
            perr(p,
                 "Incorrect operand type for operator or function; operator or function: %s, "
                 "operand type: %s",
                 fname, ddb_attr_type_name(vt));
            return NULL;
        }
    }
    cnode *c = new_cnode(p, kinds[f]);
    if (c) {
        c->x = args[0];
        c->y = args[1];
    }
    return c;
}

static int cmp_token(tok_type tt, cmp_op *op)
{
    switch (tt) {
    case T_EQ:
        *op = CMP_EQ;
        return 1;
    case T_NE:
        *op = CMP_NE;
        return 1;
    case T_LT:
        *op = CMP_LT;
        return 1;
    case T_LE:
        *op = CMP_LE;
        return 1;
    case T_GT:
        *op = CMP_GT;
        return 1;
    case T_GE:
        *op = CMP_GE;
        return 1;
    default:
        return 0;
    }
}

static int ordered_type(ddb_attr_type t)
{
    return t == DDB_T_S || t == DDB_T_N || t == DDB_T_B;
}

static void av_brief(const cJSON *v, char *buf, size_t len)
{
    ddb_attr_type t = ddb_attr_type_of(v);
    const cJSON *pl = ddb_attr_payload(v);
    if (ordered_type(t))
        snprintf(buf, len, "{%s:%s}", ddb_attr_type_name(t), pl->valuestring);
    else
        snprintf(buf, len, "{%s}", ddb_attr_type_name(t));
}

static cnode *parse_primary(parser *p)
{
    if (accept(p, T_LPAREN)) {
        if (!enter(p)) return NULL;
        cnode *n = parse_or(p);
        if (!n || !expect(p, T_RPAREN)) return NULL;
        p->depth--;
        return n;
    }
    if (peek(p) == T_NAME && p->t[p->pos + 1].type == T_LPAREN) {
        enum func_id f = func_at(p, p->pos);
        if (f == F_EXISTS || f == F_NOT_EXISTS || f == F_TYPE || f == F_BEGINS || f == F_CONTAINS)
            return parse_cond_function(p, f);
    }
    operand *x = parse_operand(p);
    if (!x) return NULL;
    cmp_op op;
    if (cmp_token(peek(p), &op)) {
        p->pos++;
        if (!count_op(p)) return NULL;
        operand *y = parse_operand(p);
        cnode *c = y ? new_cnode(p, C_CMP) : NULL;
        if (c) {
            c->cmp = op;
            c->x = x;
            c->y = y;
        }
        return c;
    }
    if (is_kw(p, p->pos, "BETWEEN")) {
        p->pos++;
        if (!count_op(p)) return NULL;
        operand *y = parse_operand(p);
        if (!y) return NULL;
        if (!is_kw(p, p->pos, "AND")) {
            psyntax(p);
            return NULL;
        }
        p->pos++;
        operand *z = parse_operand(p);
        if (!z) return NULL;
        if (y->kind == OP_VALUE && z->kind == OP_VALUE) {
            ddb_attr_type ty = ddb_attr_type_of(y->value), tz = ddb_attr_type_of(z->value);
            if (ty == tz && ordered_type(ty) && ddb_attr_compare(y->value, z->value) > 0) {
                char lo[128], hi[128];
                av_brief(y->value, lo, sizeof(lo));
                av_brief(z->value, hi, sizeof(hi));
                perr(p,
                     "The BETWEEN operator requires upper bound to be greater than or equal to "
                     "lower bound; lower bound operand: AttributeValue: %s, upper bound "
                     "operand: AttributeValue: %s",
                     lo, hi);
                return NULL;
            }
        }
        cnode *c = new_cnode(p, C_BETWEEN);
        if (c) {
            c->x = x;
            c->y = y;
            c->z = z;
        }
        return c;
    }
    if (is_kw(p, p->pos, "IN")) {
        p->pos++;
        if (!count_op(p) || !expect(p, T_LPAREN)) return NULL;
        /* in the pool, not on the stack: this frame recurses through parentheses */
        operand **list = pool_alloc(p->pl, EMU_EXPR_MAX_IN_OPERANDS * sizeof(*list));
        if (!list) {
            poom(p);
            return NULL;
        }
        int n = 0;
        do {
            operand *o = parse_operand(p);
            if (!o) return NULL;
            if (n == EMU_EXPR_MAX_IN_OPERANDS) {
                perr(p,
                     "The IN operator is provided with too many operands; number of "
                     "operands: %d",
                     n + 1);
                return NULL;
            }
            list[n++] = o;
        } while (accept(p, T_COMMA));
        if (!expect(p, T_RPAREN)) return NULL;
        cnode *c = new_cnode(p, C_IN);
        if (!c) return NULL;
        c->x = x;
        c->list = list;
        c->nlist = n;
        return c;
    }
    psyntax(p);
    return NULL;
}

static cnode *parse_not(parser *p)
{
    if (is_kw(p, p->pos, "NOT")) {
        p->pos++;
        if (!count_op(p) || !enter(p)) return NULL;
        cnode *inner = parse_not(p);
        p->depth--;
        cnode *c = inner ? new_cnode(p, C_NOT) : NULL;
        if (c) c->l = inner;
        return c;
    }
    return parse_primary(p);
}

static cnode *parse_binary(parser *p, const char *kw, cnode_kind kind, cnode *(*sub)(parser *))
{
    cnode *l = sub(p);
    while (l && is_kw(p, p->pos, kw)) {
        p->pos++;
        if (!count_op(p)) return NULL;
        cnode *r = sub(p);
        cnode *c = r ? new_cnode(p, kind) : NULL;
        if (!c) return NULL;
        c->l = l;
        c->r = r;
        l = c;
    }
    return l;
}

static cnode *parse_and(parser *p)
{
    return parse_binary(p, "AND", C_AND, parse_not);
}

static cnode *parse_or(parser *p)
{
    return parse_binary(p, "OR", C_OR, parse_and);
}

/* Sets up a parser over expr; fails on an empty or oversized expression. */
static int parser_init(parser *p, const char *kind, const char *expr, const cJSON *names,
                       const cJSON *values, pool *pl, char *err, size_t errlen)
{
    memset(p, 0, sizeof(*p));
    p->kind = kind;
    p->src = expr ? expr : "";
    p->names = names;
    p->values = values;
    p->pl = pl;
    p->err = err;
    p->errlen = errlen;
    size_t len = strlen(p->src);
    if (len > EMU_EXPR_MAX_BYTES) {
        perr(p, "Expression size has exceeded the maximum allowed size; expression size: %zu", len);
        return -1;
    }
    if (lex(p->src, &p->t, &p->nt) != 0) {
        poom(p);
        return -1;
    }
    if (p->t[0].type == T_EOF) {
        perr(p, "The expression can not be empty;");
        return -1;
    }
    return 0;
}

static void parser_done(parser *p)
{
    free(p->t);
    p->t = NULL;
}

static int compile_condition(const char *kind, const char *expr, const cJSON *names,
                             const cJSON *values, emu_expr **out, char *err, size_t errlen)
{
    *out = NULL;
    emu_expr *e = calloc(1, sizeof(*e));
    if (!e) {
        set_err(err, errlen, "out of memory");
        return -1;
    }
    parser p;
    if (parser_init(&p, kind, expr, names, values, &e->pl, err, errlen) == 0) {
        e->root = parse_or(&p);
        if (e->root && !accept(&p, T_EOF)) psyntax(&p);
    }
    parser_done(&p);
    if (p.failed || !e->root) {
        emu_expr_free(e);
        return -1;
    }
    *out = e;
    return 0;
}

int emu_cond_compile(const char *expr, const cJSON *names, const cJSON *values, emu_expr **out,
                     char *err, size_t errlen)
{
    return compile_condition("ConditionExpression", expr, names, values, out, err, errlen);
}

int emu_filter_compile(const char *expr, const cJSON *names, const cJSON *values, emu_expr **out,
                       char *err, size_t errlen)
{
    return compile_condition("FilterExpression", expr, names, values, out, err, errlen);
}

void emu_expr_free(emu_expr *e)
{
    if (!e) return;
    pool_release(&e->pl);
    free(e);
}

/* ------------------------------------------------------------------------------------ */
/* Exact decimal numbers                                                                */

/* value = (neg ? -1 : 1) * mant * 10^exp; mant has no leading or trailing zeros; nd == 0
 * means zero. */
typedef struct dec {
    int neg;
    int nd;
    long exp;
    char mant[DDB_MAX_NUMBER_DIGITS + 1];
} dec;

static int dec_parse(const char *s, dec *d)
{
    memset(d, 0, sizeof(*d));
    if (!s) return -1;
    if (*s == '-' || *s == '+') d->neg = *s++ == '-';
    int seen = 0, point = 0;
    long frac = 0, dropped = 0;
    char buf[NUM_WORK_DIGITS];
    int nb = 0;
    for (;; s++) {
        if (is_digit((unsigned char)*s)) {
            seen = 1;
            if (point) frac++;
            if (nb == 0 && *s == '0') continue; /* leading zero */
            if (nb >= NUM_WORK_DIGITS - 1) {
                if (*s != '0') return -1;
                dropped++; /* a trailing zero past the buffer */
                continue;
            }
            buf[nb++] = *s;
        } else if (*s == '.' && !point) {
            point = 1;
        } else {
            break;
        }
    }
    if (!seen) return -1;
    long e = 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        int eneg = 0;
        if (*s == '-' || *s == '+') eneg = *s++ == '-';
        if (!is_digit((unsigned char)*s)) return -1;
        for (; is_digit((unsigned char)*s); s++)
            if (e < 100000) e = e * 10 + (*s - '0');
        if (eneg) e = -e;
    }
    if (*s) return -1;
    /* drop trailing zeros of the mantissa into the exponent */
    long exp = e - frac + dropped;
    while (nb > 0 && buf[nb - 1] == '0') {
        nb--;
        exp++;
    }
    if (nb > DDB_MAX_NUMBER_DIGITS) return -1;
    memcpy(d->mant, buf, (size_t)nb);
    d->mant[nb] = '\0';
    d->nd = nb;
    d->exp = nb ? exp : 0;
    if (!nb) d->neg = 0;
    return 0;
}

static int dec_equal(const char *a, const char *b)
{
    dec x, y;
    if (dec_parse(a, &x) != 0 || dec_parse(b, &y) != 0) return strcmp(a, b) == 0;
    return x.neg == y.neg && x.nd == y.nd && x.exp == y.exp && strcmp(x.mant, y.mant) == 0;
}

/* Writes mant*10^exp (digits little-endian) into w at offset exp - base. */
static void dec_spread(const dec *d, long base, int *w)
{
    for (int i = 0; i < d->nd; i++)
        w[(d->exp - base) + (d->nd - 1 - i)] = d->mant[i] - '0';
}

int emu_number_add(const char *a, const char *b, int subtract, char *out, size_t outlen, char *err,
                   size_t errlen)
{
    dec x, y;
    if (dec_parse(a, &x) != 0 || dec_parse(b, &y) != 0) {
        set_err(err, errlen, "A value provided cannot be converted into a number");
        return -1;
    }
    if (subtract && y.nd) y.neg = !y.neg;
    long base = x.exp < y.exp ? x.exp : y.exp;
    long topx = x.nd ? x.exp + x.nd : base, topy = y.nd ? y.exp + y.nd : base;
    long width = (topx > topy ? topx : topy) - base + 1;
    if (!x.nd || !y.nd) {
        base = x.nd ? x.exp : y.exp;
        width = (x.nd ? x.nd : y.nd) + 1;
    }
    if (width > NUM_WORK_DIGITS) {
        set_err(err, errlen, "Attempting to store more than 38 significant digits in a Number");
        return -1;
    }
    int wx[NUM_WORK_DIGITS] = {0}, wy[NUM_WORK_DIGITS] = {0}, wr[NUM_WORK_DIGITS] = {0};
    if (x.nd) dec_spread(&x, base, wx);
    if (y.nd) dec_spread(&y, base, wy);
    int neg;
    if (x.neg == y.neg) {
        int carry = 0;
        for (long i = 0; i < width; i++) {
            int s = wx[i] + wy[i] + carry;
            wr[i] = s % 10;
            carry = s / 10;
        }
        neg = x.neg;
    } else {
        /* subtract the smaller magnitude from the larger */
        int cmp = 0;
        for (long i = width - 1; i >= 0 && !cmp; i--)
            cmp = wx[i] - wy[i];
        const int *big = cmp >= 0 ? wx : wy, *small = cmp >= 0 ? wy : wx;
        neg = cmp >= 0 ? x.neg : y.neg;
        int borrow = 0;
        for (long i = 0; i < width; i++) {
            int s = big[i] - small[i] - borrow;
            borrow = s < 0;
            wr[i] = s < 0 ? s + 10 : s;
        }
    }
    long hi = width - 1, lo = 0;
    while (hi >= 0 && wr[hi] == 0)
        hi--;
    if (hi < 0) {
        if (outlen < 2) {
            set_err(err, errlen, "number buffer too small");
            return -1;
        }
        strcpy(out, "0");
        return 0;
    }
    while (wr[lo] == 0)
        lo++;
    if (hi - lo + 1 > DDB_MAX_NUMBER_DIGITS) {
        set_err(err, errlen, "Attempting to store more than 38 significant digits in a Number");
        return -1;
    }
    long mag = base + hi; /* decimal exponent of the leading digit */
    if (mag > NUM_MAX_EXP10) {
        set_err(err, errlen,
                "Number overflow. Attempting to store a number with magnitude larger than "
                "supported range");
        return -1;
    }
    if (mag < NUM_MIN_EXP10) {
        set_err(err, errlen,
                "Number underflow. Attempting to store a number with magnitude smaller than "
                "supported range");
        return -1;
    }
    /* Plain decimal notation. Digit i of wr weighs 10^(base + i), so the units digit is
     * i = -base; print from the leading digit (or the units) down to the last non-zero
     * digit (or the units), with zeros outside wr. */
    char buf[NUM_WORK_DIGITS + 8];
    size_t k = 0;
    if (neg) buf[k++] = '-';
    long first = hi > -base ? hi : -base; /* at least the units digit */
    long last = lo < -base ? lo : -base;  /* at least the units digit */
    for (long i = first; i >= last; i--) {
        if (i == -base - 1 && i >= last) buf[k++] = '.';
        buf[k++] = (char)('0' + (i < width && i >= 0 ? wr[i] : 0));
    }
    buf[k] = '\0';
    if (k + 1 > outlen) {
        set_err(err, errlen, "number buffer too small");
        return -1;
    }
    memcpy(out, buf, k + 1);
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Evaluation helpers                                                                   */

static const cJSON *path_get(const path *pa, const cJSON *item)
{
    if (!item || !pa) return NULL;
    const cJSON *cur = cJSON_GetObjectItemCaseSensitive(item, pa->seg[0].name);
    for (int i = 1; cur && i < pa->n; i++) {
        const pseg *s = &pa->seg[i];
        ddb_attr_type t = ddb_attr_type_of(cur);
        if (s->name)
            cur = t == DDB_T_M ? cJSON_GetObjectItemCaseSensitive(ddb_attr_payload(cur), s->name)
                               : NULL;
        else
            cur = t == DDB_T_L ? cJSON_GetArrayItem(ddb_attr_payload(cur), (int)s->index) : NULL;
    }
    return cur;
}

static cJSON *make_av(const char *type, cJSON *payload)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !payload) {
        cJSON_Delete(o);
        cJSON_Delete(payload);
        return NULL;
    }
    cJSON_AddItemToObject(o, type, payload);
    return o;
}

static cJSON *make_n_size(size_t n)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%zu", n);
    return make_av("N", cJSON_CreateString(buf));
}

/* size(): length of S, decoded length of B, element count of sets, L and M. */
static cJSON *size_of(const cJSON *av)
{
    const cJSON *pl = ddb_attr_payload(av);
    switch (ddb_attr_type_of(av)) {
    case DDB_T_S:
        return make_n_size(strlen(pl->valuestring));
    case DDB_T_B: {
        size_t len = 0;
        unsigned char *d = ddb_base64_decode(pl->valuestring, &len);
        if (!d) return NULL;
        free(d);
        return make_n_size(len);
    }
    case DDB_T_SS:
    case DDB_T_NS:
    case DDB_T_BS:
    case DDB_T_L:
    case DDB_T_M:
        return make_n_size((size_t)cJSON_GetArraySize(pl));
    default:
        return NULL;
    }
}

/* An operand's value in a condition; *owned is set when it was computed (size). */
static const cJSON *cond_operand(const operand *o, const cJSON *item, cJSON **owned)
{
    *owned = NULL;
    switch (o->kind) {
    case OP_PATH:
        return path_get(o->path, item);
    case OP_VALUE:
        return o->value;
    case OP_SIZE: {
        const cJSON *v = path_get(o->path, item);
        return v ? (*owned = size_of(v)) : NULL;
    }
    default:
        return NULL;
    }
}

static int av_compare_op(const cJSON *a, const cJSON *b, cmp_op op)
{
    if (op == CMP_EQ) return a && b && ddb_attr_equal(a, b);
    if (op == CMP_NE) return !(a && b && ddb_attr_equal(a, b));
    if (!a || !b) return 0;
    ddb_attr_type ta = ddb_attr_type_of(a), tb = ddb_attr_type_of(b);
    if (ta != tb || !ordered_type(ta))
        return 0; /* different types never compare; it is false, not an error */
    int c = ddb_attr_compare(a, b);
    switch (op) {
    case CMP_LT:
        return c < 0;
    case CMP_LE:
        return c <= 0;
    case CMP_GT:
        return c > 0;
    case CMP_GE:
        return c >= 0;
    default:
        return 0;
    }
}

/* Bytes of an S or B value (B decoded); *buf is set when it must be freed. */
static const unsigned char *av_bytes(const cJSON *av, size_t *len, unsigned char **buf)
{
    *buf = NULL;
    ddb_attr_type t = ddb_attr_type_of(av);
    const cJSON *pl = ddb_attr_payload(av);
    if (t == DDB_T_S) {
        *len = strlen(pl->valuestring);
        return (const unsigned char *)pl->valuestring;
    }
    if (t == DDB_T_B) {
        *buf = ddb_base64_decode(pl->valuestring, len);
        return *buf;
    }
    return NULL;
}

static int bytes_begin(const cJSON *a, const cJSON *b)
{
    if (!a || !b || ddb_attr_type_of(a) != ddb_attr_type_of(b)) return 0;
    size_t la = 0, lb = 0;
    unsigned char *fa, *fb;
    const unsigned char *pa = av_bytes(a, &la, &fa), *pb = av_bytes(b, &lb, &fb);
    int r = pa && pb && lb <= la && memcmp(pa, pb, lb) == 0;
    free(fa);
    free(fb);
    return r;
}

static int bytes_contain(const cJSON *a, const cJSON *b)
{
    size_t la = 0, lb = 0;
    unsigned char *fa, *fb;
    const unsigned char *pa = av_bytes(a, &la, &fa), *pb = av_bytes(b, &lb, &fb);
    int r = 0;
    if (pa && pb)
        for (size_t i = 0; !r && i + lb <= la; i++)
            r = memcmp(pa + i, pb, lb) == 0;
    free(fa);
    free(fb);
    return r;
}

static int set_member_equal(ddb_attr_type set_type, const char *a, const char *b)
{
    return set_type == DDB_T_NS ? dec_equal(a, b) : strcmp(a, b) == 0;
}

static int av_contains(const cJSON *a, const cJSON *b)
{
    if (!a || !b) return 0;
    ddb_attr_type ta = ddb_attr_type_of(a), tb = ddb_attr_type_of(b);
    const cJSON *pa = ddb_attr_payload(a), *e;
    switch (ta) {
    case DDB_T_S:
    case DDB_T_B:
        return ta == tb && bytes_contain(a, b);
    case DDB_T_SS:
    case DDB_T_NS:
    case DDB_T_BS: {
        ddb_attr_type elem = ta == DDB_T_SS ? DDB_T_S : ta == DDB_T_NS ? DDB_T_N : DDB_T_B;
        if (tb != elem) return 0;
        const char *want = ddb_attr_payload(b)->valuestring;
        cJSON_ArrayForEach(e, pa)
        {
            if (cJSON_IsString(e) && set_member_equal(ta, e->valuestring, want)) return 1;
        }
        return 0;
    }
    case DDB_T_L:
        cJSON_ArrayForEach(e, pa)
        {
            if (ddb_attr_equal(e, b)) return 1;
        }
        return 0;
    default:
        return 0;
    }
}

static int cond_eval_node(const cnode *n, const cJSON *item)
{
    cJSON *ox = NULL, *oy = NULL, *oz = NULL;
    const cJSON *x, *y, *z;
    int r = 0;
    switch (n->kind) {
    case C_OR:
        return cond_eval_node(n->l, item) || cond_eval_node(n->r, item);
    case C_AND:
        return cond_eval_node(n->l, item) && cond_eval_node(n->r, item);
    case C_NOT:
        return !cond_eval_node(n->l, item);
    case C_EXISTS:
        return path_get(n->x->path, item) != NULL;
    case C_NOT_EXISTS:
        return path_get(n->x->path, item) == NULL;
    case C_CMP:
        x = cond_operand(n->x, item, &ox);
        y = cond_operand(n->y, item, &oy);
        r = av_compare_op(x, y, n->cmp);
        break;
    case C_BETWEEN:
        x = cond_operand(n->x, item, &ox);
        y = cond_operand(n->y, item, &oy);
        z = cond_operand(n->z, item, &oz);
        r = av_compare_op(x, y, CMP_GE) && av_compare_op(x, z, CMP_LE);
        break;
    case C_IN:
        x = cond_operand(n->x, item, &ox);
        for (int i = 0; x && !r && i < n->nlist; i++) {
            y = cond_operand(n->list[i], item, &oy);
            r = av_compare_op(x, y, CMP_EQ);
            cJSON_Delete(oy);
            oy = NULL;
        }
        break;
    case C_TYPE:
        x = cond_operand(n->x, item, &ox);
        y = cond_operand(n->y, item, &oy);
        r = x && y && ddb_attr_type_of(y) == DDB_T_S &&
            strcmp(ddb_attr_type_name(ddb_attr_type_of(x)), ddb_attr_payload(y)->valuestring) == 0;
        break;
    case C_BEGINS:
        x = cond_operand(n->x, item, &ox);
        y = cond_operand(n->y, item, &oy);
        r = bytes_begin(x, y);
        break;
    case C_CONTAINS:
        x = cond_operand(n->x, item, &ox);
        y = cond_operand(n->y, item, &oy);
        r = av_contains(x, y);
        break;
    }
    cJSON_Delete(ox);
    cJSON_Delete(oy);
    cJSON_Delete(oz);
    return r;
}

int emu_cond_eval(const emu_expr *e, const cJSON *item, int *result, char *err, size_t errlen)
{
    if (!e || !e->root || !result) {
        set_err(err, errlen, "no compiled expression");
        return -1;
    }
    *result = cond_eval_node(e->root, item);
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Update expressions                                                                   */

typedef enum action_kind { A_SET, A_REMOVE, A_ADD, A_DELETE } action_kind;

static const char *const CLAUSE_WORDS[] = {"SET", "REMOVE", "ADD", "DELETE"};

typedef struct action {
    action_kind kind;
    path *path;
    operand *val;
    cJSON *result; /* the computed new value; NULL with remove set = delete the attribute */
    int remove;
} action;

static void path_format(const path *pa, char *buf, size_t len)
{
    size_t k = 0;
    k += (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < pa->n && k < len; i++) {
        if (pa->seg[i].name)
            k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? ", " : "", pa->seg[i].name);
        else
            k += (size_t)snprintf(buf + k, len - k, "%s[%ld]", i ? ", " : "", pa->seg[i].index);
    }
    if (k < len) snprintf(buf + k, len - k, "]");
}

static int seg_equal(const pseg *a, const pseg *b)
{
    if (!a->name != !b->name) return 0;
    return a->name ? strcmp(a->name, b->name) == 0 : a->index == b->index;
}

/* 0: independent, 1: one path is a prefix of the other, 2: they diverge at a level where
 * one indexes a list and the other names a map key. */
static int paths_relation(const path *a, const path *b)
{
    int n = a->n < b->n ? a->n : b->n;
    for (int i = 0; i < n; i++) {
        if (!a->seg[i].name != !b->seg[i].name) return 2;
        if (!seg_equal(&a->seg[i], &b->seg[i])) return 0;
    }
    return 1;
}

static int check_paths_disjoint(parser *p, path *const *paths, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            int rel = paths_relation(paths[i], paths[j]);
            if (!rel) continue;
            char one[512], two[512];
            path_format(paths[i], one, sizeof(one));
            path_format(paths[j], two, sizeof(two));
            perr(p,
                 "Two document paths %s with each other; must remove or rewrite one of these "
                 "paths; path one: %s, path two: %s",
                 rel == 1 ? "overlap" : "conflict", one, two);
            return 0;
        }
    return 1;
}

typedef struct upd_ctx {
    const cJSON *item; /* the item before the update */
    char *err;
    size_t errlen;
} upd_ctx;

static void incorrect_operand(upd_ctx *u, const char *what, const char *fn, const cJSON *v)
{
    set_err(u->err, u->errlen,
            "Invalid UpdateExpression: Incorrect operand type for operator or function; %s: "
            "%s, operand type: %s",
            what, fn, ddb_attr_type_name(ddb_attr_type_of(v)));
}

/* Computes a SET right-hand side against the original item; returns a new node. */
static cJSON *upd_operand(upd_ctx *u, const operand *o)
{
    switch (o->kind) {
    case OP_VALUE:
        return cJSON_Duplicate(o->value, 1);
    case OP_PATH: {
        const cJSON *v = path_get(o->path, u->item);
        if (!v) {
            set_err(u->err, u->errlen,
                    "The provided expression refers to an attribute that does not exist in the "
                    "item");
            return NULL;
        }
        return cJSON_Duplicate(v, 1);
    }
    case OP_IF_NOT_EXISTS: {
        const cJSON *v = path_get(o->path, u->item);
        return v ? cJSON_Duplicate(v, 1) : upd_operand(u, o->b);
    }
    case OP_LIST_APPEND: {
        cJSON *a = upd_operand(u, o->a);
        cJSON *b = a ? upd_operand(u, o->b) : NULL;
        if (!a || !b) {
            cJSON_Delete(a);
            return NULL;
        }
        const cJSON *bad = ddb_attr_type_of(a) != DDB_T_L   ? a
                           : ddb_attr_type_of(b) != DDB_T_L ? b
                                                            : NULL;
        if (bad) {
            incorrect_operand(u, "operator or function", "list_append", bad);
            cJSON_Delete(a);
            cJSON_Delete(b);
            return NULL;
        }
        cJSON *la = a->child, *lb = b->child, *e;
        while ((e = cJSON_DetachItemFromArray(lb, 0)))
            cJSON_AddItemToArray(la, e);
        cJSON_Delete(b);
        return a;
    }
    case OP_PLUS:
    case OP_MINUS: {
        const char *opname = o->kind == OP_PLUS ? "+" : "-";
        cJSON *a = upd_operand(u, o->a);
        cJSON *b = a ? upd_operand(u, o->b) : NULL;
        cJSON *r = NULL;
        if (a && b) {
            const cJSON *bad = ddb_attr_type_of(a) != DDB_T_N   ? a
                               : ddb_attr_type_of(b) != DDB_T_N ? b
                                                                : NULL;
            char sum[NUM_WORK_DIGITS + 8];
            if (bad)
                incorrect_operand(u, "operator or function", opname, bad);
            else if (emu_number_add(a->child->valuestring, b->child->valuestring,
                                    o->kind == OP_MINUS, sum, sizeof(sum), u->err, u->errlen) == 0)
                r = make_av("N", cJSON_CreateString(sum));
        }
        cJSON_Delete(a);
        cJSON_Delete(b);
        return r;
    }
    default:
        return NULL;
    }
}

static int is_set_type(ddb_attr_type t)
{
    return t == DDB_T_SS || t == DDB_T_NS || t == DDB_T_BS;
}

static int set_has(ddb_attr_type t, const cJSON *arr, const char *s)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        if (cJSON_IsString(e) && set_member_equal(t, e->valuestring, s)) return 1;
    }
    return 0;
}

/* ADD and DELETE: computes the new value of the attribute from the original. */
static int upd_add_delete(upd_ctx *u, action *a)
{
    const char *word = a->kind == A_ADD ? "ADD" : "DELETE";
    const cJSON *v = a->val->value;
    ddb_attr_type tv = ddb_attr_type_of(v);
    if (!(is_set_type(tv) || (a->kind == A_ADD && tv == DDB_T_N))) {
        incorrect_operand(u, "operator", word, v);
        return -1;
    }
    const cJSON *cur = path_get(a->path, u->item);
    if (!cur) {
        if (a->kind == A_ADD) a->result = cJSON_Duplicate(v, 1);
        /* DELETE from a missing attribute changes nothing */
        return a->kind == A_ADD && !a->result ? -1 : 0;
    }
    if (ddb_attr_type_of(cur) != tv) {
        set_err(u->err, u->errlen,
                "An operand in the update expression has an incorrect data type");
        return -1;
    }
    if (tv == DDB_T_N) {
        char sum[NUM_WORK_DIGITS + 8];
        if (emu_number_add(cur->child->valuestring, v->child->valuestring, 0, sum, sizeof(sum),
                           u->err, u->errlen) != 0)
            return -1;
        a->result = make_av("N", cJSON_CreateString(sum));
        return a->result ? 0 : -1;
    }
    cJSON *arr = cJSON_CreateArray();
    if (!arr) return -1;
    const cJSON *e;
    if (a->kind == A_ADD) {
        cJSON_ArrayForEach(e, cur->child)
        {
            cJSON_AddItemToArray(arr, cJSON_Duplicate(e, 1));
        }
        cJSON_ArrayForEach(e, v->child)
        {
            if (cJSON_IsString(e) && !set_has(tv, arr, e->valuestring))
                cJSON_AddItemToArray(arr, cJSON_Duplicate(e, 1));
        }
    } else {
        cJSON_ArrayForEach(e, cur->child)
        {
            if (cJSON_IsString(e) && !set_has(tv, v->child, e->valuestring))
                cJSON_AddItemToArray(arr, cJSON_Duplicate(e, 1));
        }
    }
    if (cJSON_GetArraySize(arr) == 0) { /* an empty set cannot exist: drop the attribute */
        cJSON_Delete(arr);
        a->remove = 1;
        return 0;
    }
    a->result = make_av(ddb_attr_type_name(tv), arr);
    return a->result ? 0 : -1;
}

/* The container that holds the last segment of pa (the item itself for a top-level name),
 * or NULL when the path does not lead to one. */
static cJSON *path_parent(cJSON *item, const path *pa, int *missing)
{
    *missing = 0;
    if (pa->n == 1) return item;
    cJSON *cur = cJSON_GetObjectItemCaseSensitive(item, pa->seg[0].name);
    for (int i = 1; cur && i < pa->n; i++) {
        const pseg *s = &pa->seg[i];
        ddb_attr_type t = ddb_attr_type_of(cur);
        if ((s->name && t != DDB_T_M) || (!s->name && t != DDB_T_L))
            return NULL; /* a scalar (or the wrong container) on the way */
        if (i == pa->n - 1) return cur->child;
        if (s->name)
            cur = cJSON_GetObjectItemCaseSensitive(cur->child, s->name);
        else
            cur = cJSON_GetArrayItem(cur->child, (int)s->index);
    }
    *missing = 1;
    return NULL;
}

static const char INVALID_PATH[] = "The document path provided in the update expression is "
                                   "invalid for update";

/* Stores v (consumed) at pa; a list index past the end appends, as DynamoDB does. */
static int path_put(cJSON *item, const path *pa, cJSON *v, char *err, size_t errlen)
{
    int missing;
    cJSON *parent = path_parent(item, pa, &missing);
    if (!parent) {
        cJSON_Delete(v);
        set_err(err, errlen, "%s", INVALID_PATH);
        return -1;
    }
    const pseg *last = &pa->seg[pa->n - 1];
    if (last->name) {
        if (cJSON_GetObjectItemCaseSensitive(parent, last->name))
            cJSON_ReplaceItemInObjectCaseSensitive(parent, last->name, v);
        else
            cJSON_AddItemToObject(parent, last->name, v);
    } else if (last->index < cJSON_GetArraySize(parent)) {
        cJSON_ReplaceItemInArray(parent, (int)last->index, v);
    } else {
        cJSON_AddItemToArray(parent, v);
    }
    return 0;
}

static int path_delete(cJSON *item, const path *pa, char *err, size_t errlen)
{
    int missing;
    cJSON *parent = path_parent(item, pa, &missing);
    if (!parent) {
        if (missing) return 0; /* nothing there to remove */
        set_err(err, errlen, "%s", INVALID_PATH);
        return -1;
    }
    const pseg *last = &pa->seg[pa->n - 1];
    if (last->name)
        cJSON_DeleteItemFromObjectCaseSensitive(parent, last->name);
    else if (last->index < cJSON_GetArraySize(parent))
        cJSON_DeleteItemFromArray(parent, (int)last->index);
    return 0;
}

/* Orders paths so that among siblings the larger list index comes first: REMOVE a[0],
 * a[2] must remove the elements that were at 0 and 2 before the update. */
static int path_cmp_desc(const void *pa, const void *pb)
{
    const path *a = (*(const action *const *)pa)->path, *b = (*(const action *const *)pb)->path;
    int n = a->n < b->n ? a->n : b->n;
    for (int i = 0; i < n; i++) {
        const pseg *x = &a->seg[i], *y = &b->seg[i];
        int c;
        if (x->name && y->name)
            c = strcmp(x->name, y->name);
        else if (!x->name && !y->name)
            c = (x->index > y->index) - (x->index < y->index);
        else
            c = x->name ? 1 : -1;
        if (c) return -c;
    }
    return (b->n > a->n) - (b->n < a->n);
}

static int parse_update(parser *p, action *acts, int *nacts)
{
    int seen[4] = {0, 0, 0, 0};
    int n = 0;
    while (!accept(p, T_EOF)) {
        int clause = -1;
        for (int i = 0; i < 4; i++)
            if (is_kw(p, p->pos, CLAUSE_WORDS[i])) clause = i;
        if (clause < 0) {
            psyntax(p);
            return -1;
        }
        if (seen[clause]++) {
            perr(p, "The \"%s\" section can only be used once in an update expression;",
                 CLAUSE_WORDS[clause]);
            return -1;
        }
        p->pos++;
        do {
            action *a = &acts[n];
            memset(a, 0, sizeof(*a));
            a->kind = (action_kind)clause;
            if (!(a->path = parse_path(p))) return -1;
            if (a->kind == A_SET) {
                if (!expect(p, T_EQ)) return -1;
                operand *v = parse_operand(p);
                if (!v) return -1;
                if (peek(p) == T_PLUS || peek(p) == T_MINUS) {
                    operand *sum = new_operand(p, peek(p) == T_PLUS ? OP_PLUS : OP_MINUS);
                    p->pos++;
                    if (!sum || !count_op(p)) return -1;
                    sum->a = v;
                    if (!(sum->b = parse_operand(p))) return -1;
                    v = sum;
                }
                a->val = v;
            } else if (a->kind == A_ADD || a->kind == A_DELETE) {
                if (!(a->val = parse_value(p))) return -1;
            }
            n++;
        } while (accept(p, T_COMMA));
    }
    *nacts = n;
    return 0;
}

/* Replaces the members of dst with those of src (consumed). */
static void item_take(cJSON *dst, cJSON *src)
{
    cJSON *c;
    while ((c = dst->child))
        cJSON_Delete(cJSON_DetachItemViaPointer(dst, c));
    dst->child = src->child;
    src->child = NULL;
    cJSON_Delete(src);
}

int emu_update_apply(const char *expr, const cJSON *names, const cJSON *values, cJSON *item,
                     char *err, size_t errlen)
{
    if (!cJSON_IsObject(item)) {
        set_err(err, errlen, "no item to update");
        return -1;
    }
    pool pl = {0};
    parser p;
    action *acts = NULL, **removals = NULL;
    path **paths = NULL;
    int nacts = 0, rc = -1;
    cJSON *work = NULL;
    if (parser_init(&p, "UpdateExpression", expr, names, values, &pl, err, errlen) != 0) goto done;
    p.update_mode = 1;
    /* each action takes at least two tokens, so nt bounds the count */
    acts = calloc((size_t)p.nt, sizeof(*acts));
    paths = calloc((size_t)p.nt, sizeof(*paths));
    removals = calloc((size_t)p.nt, sizeof(*removals));
    if (!acts || !paths || !removals) {
        poom(&p);
        goto done;
    }
    if (parse_update(&p, acts, &nacts) != 0) goto done;
    for (int i = 0; i < nacts; i++)
        paths[i] = acts[i].path;
    if (!check_paths_disjoint(&p, paths, nacts)) goto done;

    /* Phase 1: every new value from the item as it was. */
    upd_ctx u = {item, err, errlen};
    for (int i = 0; i < nacts; i++) {
        action *a = &acts[i];
        if (a->kind == A_SET) {
            if (!(a->result = upd_operand(&u, a->val))) goto done;
        } else if (a->kind == A_ADD || a->kind == A_DELETE) {
            if (upd_add_delete(&u, a) != 0) goto done;
        } else {
            a->remove = 1;
        }
    }
    /* Phase 2: write them into a copy, so that a failure leaves the item untouched. */
    if (!(work = cJSON_Duplicate(item, 1))) {
        set_err(err, errlen, "out of memory");
        goto done;
    }
    int nrem = 0;
    for (int i = 0; i < nacts; i++) {
        action *a = &acts[i];
        if (a->remove) {
            removals[nrem++] = a;
            continue;
        }
        if (!a->result) continue;
        cJSON *v = a->result;
        a->result = NULL;
        if (path_put(work, a->path, v, err, errlen) != 0) goto done;
    }
    qsort(removals, (size_t)nrem, sizeof(*removals), path_cmp_desc);
    for (int i = 0; i < nrem; i++)
        if (path_delete(work, removals[i]->path, err, errlen) != 0) goto done;
    item_take(item, work);
    work = NULL;
    rc = 0;
done:
    for (int i = 0; acts && i < nacts; i++)
        cJSON_Delete(acts[i].result);
    cJSON_Delete(work);
    free(acts);
    free(paths);
    free(removals);
    parser_done(&p);
    pool_release(&pl);
    return rc;
}

/* ------------------------------------------------------------------------------------ */
/* Projection expressions                                                               */

typedef struct pnode {
    const pseg *seg;
    int leaf;
    struct pnode *child, *next; /* children: list indexes kept in ascending order */
} pnode;

static int proj_insert(parser *p, pnode *root, const path *pa)
{
    pnode *cur = root;
    for (int i = 0; i < pa->n; i++) {
        if (cur->leaf) return 0; /* a prefix of this path is already projected */
        pnode **link = &cur->child, *c;
        for (c = cur->child; c; c = c->next) {
            if (!c->seg->name != !pa->seg[i].name) return 0;
            if (seg_equal(c->seg, &pa->seg[i])) break;
            if (!pa->seg[i].name && c->seg->index < pa->seg[i].index) link = &c->next;
        }
        if (!c) {
            if (!(c = pool_alloc(p->pl, sizeof(*c)))) {
                poom(p);
                return -1;
            }
            c->seg = &pa->seg[i];
            c->next = *link;
            *link = c;
        }
        cur = c;
    }
    if (cur->leaf || cur->child) return 0;
    cur->leaf = 1;
    return 1;
}

static cJSON *proj_copy(const pnode *n, const cJSON *av)
{
    if (n->leaf) return cJSON_Duplicate(av, 1);
    ddb_attr_type t = ddb_attr_type_of(av);
    int by_name = n->child->seg->name != NULL;
    if ((by_name && t != DDB_T_M) || (!by_name && t != DDB_T_L)) return NULL;
    cJSON *out = by_name ? cJSON_CreateObject() : cJSON_CreateArray();
    if (!out) return NULL;
    for (const pnode *c = n->child; c; c = c->next) {
        const cJSON *sub = by_name ? cJSON_GetObjectItemCaseSensitive(av->child, c->seg->name)
                                   : cJSON_GetArrayItem(av->child, (int)c->seg->index);
        cJSON *v = sub ? proj_copy(c, sub) : NULL;
        if (!v) continue;
        if (by_name)
            cJSON_AddItemToObject(out, c->seg->name, v);
        else
            cJSON_AddItemToArray(out, v);
    }
    if (!out->child) {
        cJSON_Delete(out);
        return NULL;
    }
    return make_av(by_name ? "M" : "L", out);
}

int emu_projection_apply(const char *expr, const cJSON *names, const cJSON *item, cJSON **out,
                         char *err, size_t errlen)
{
    *out = NULL;
    pool pl = {0};
    parser p;
    int rc = -1;
    path **paths = NULL;
    int n = 0;
    pnode root = {0};
    if (parser_init(&p, "ProjectionExpression", expr, names, NULL, &pl, err, errlen) != 0)
        goto done;
    if (!(paths = calloc((size_t)p.nt, sizeof(*paths)))) {
        poom(&p);
        goto done;
    }
    do {
        if (!(paths[n] = parse_path(&p))) goto done;
        n++;
    } while (accept(&p, T_COMMA));
    if (!accept(&p, T_EOF)) {
        psyntax(&p);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        int r = proj_insert(&p, &root, paths[i]);
        if (r < 0) goto done;
        if (r == 0) { /* name the pair the way DynamoDB does */
            if (check_paths_disjoint(&p, paths, i + 1))
                perr(&p, "Two document paths overlap with each other");
            goto done;
        }
    }
    cJSON *res = cJSON_CreateObject();
    if (!res) {
        poom(&p);
        goto done;
    }
    for (const pnode *c = root.child; c && item; c = c->next) {
        const cJSON *av = cJSON_GetObjectItemCaseSensitive(item, c->seg->name);
        cJSON *v = av ? proj_copy(c, av) : NULL;
        if (v) cJSON_AddItemToObject(res, c->seg->name, v);
    }
    *out = res;
    rc = 0;
done:
    free(paths);
    parser_done(&p);
    pool_release(&pl);
    return rc;
}

/* ------------------------------------------------------------------------------------ */
/* Key condition expressions                                                            */

static const char KC_UNSUPPORTED[] = "Query key condition not supported";

/* One condition on a key attribute: top-level path compared with values only. */
static int kc_leaf(parser *p, const cnode *n, int *op, const char **name, const cJSON **v1,
                   const cJSON **v2)
{
    static const char *const CMP_WORDS[] = {"=", "<>", "<", "<=", ">", ">="};
    static const int CMP_KC[] = {EMU_KC_EQ, 0, EMU_KC_LT, EMU_KC_LE, EMU_KC_GT, EMU_KC_GE};
    *v2 = NULL;
    switch (n->kind) {
    case C_CMP:
        if (n->cmp == CMP_NE) {
            perr(p, "Invalid operator used in KeyConditionExpression: %s", CMP_WORDS[n->cmp]);
            return -1;
        }
        *op = CMP_KC[n->cmp];
        break;
    case C_BETWEEN:
        *op = EMU_KC_BETWEEN;
        break;
    case C_BEGINS:
        *op = EMU_KC_BEGINS_WITH;
        break;
    case C_OR:
        perr(p, "Invalid operator used in KeyConditionExpression: OR");
        return -1;
    case C_NOT:
        perr(p, "Invalid operator used in KeyConditionExpression: NOT");
        return -1;
    case C_IN:
        perr(p, "Invalid operator used in KeyConditionExpression: IN");
        return -1;
    case C_EXISTS:
    case C_NOT_EXISTS:
    case C_TYPE:
    case C_CONTAINS:
        perr(p, "Invalid operator used in KeyConditionExpression: %s",
             n->kind == C_EXISTS       ? "attribute_exists"
             : n->kind == C_NOT_EXISTS ? "attribute_not_exists"
             : n->kind == C_TYPE       ? "attribute_type"
                                       : "contains");
        return -1;
    default:
        perr(p, "%s", KC_UNSUPPORTED);
        return -1;
    }
    if (n->x->kind != OP_PATH || n->x->path->n != 1 || n->y->kind != OP_VALUE ||
        (n->z && n->z->kind != OP_VALUE)) {
        if (!p->failed) {
            p->failed = 1;
            set_err(p->err, p->errlen, "%s", KC_UNSUPPORTED);
        }
        return -1;
    }
    *name = n->x->path->seg[0].name;
    *v1 = n->y->orig;
    if (n->z) *v2 = n->z->orig;
    return 0;
}

int emu_keycond_parse(const char *expr, const cJSON *names, const cJSON *values, emu_keycond *out,
                      char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    emu_expr *e = NULL;
    if (compile_condition("KeyConditionExpression", expr, names, values, &e, err, errlen) != 0)
        return -1;
    parser p; /* only for its error reporting */
    memset(&p, 0, sizeof(p));
    p.kind = "KeyConditionExpression";
    p.err = err;
    p.errlen = errlen;
    const cnode *leaves[2] = {e->root, NULL};
    if (e->root->kind == C_AND) {
        leaves[0] = e->root->l;
        leaves[1] = e->root->r;
        if (leaves[0]->kind == C_AND || leaves[1]->kind == C_AND) {
            perr(&p, "The expression contains too many conditions on key attributes");
            goto fail;
        }
    }
    int ops[2] = {EMU_KC_NONE, EMU_KC_NONE};
    const char *nm[2] = {NULL, NULL};
    const cJSON *v1[2] = {NULL, NULL}, *v2[2] = {NULL, NULL};
    for (int i = 0; i < 2 && leaves[i]; i++)
        if (kc_leaf(&p, leaves[i], &ops[i], &nm[i], &v1[i], &v2[i]) != 0) goto fail;
    int h = ops[0] == EMU_KC_EQ ? 0 : (leaves[1] && ops[1] == EMU_KC_EQ) ? 1 : -1;
    if (h < 0) {
        set_err(err, errlen, "%s", KC_UNSUPPORTED);
        goto fail;
    }
    int r = 1 - h;
    if (leaves[1] && strcmp(nm[0], nm[1]) == 0) {
        set_err(err, errlen, "KeyConditionExpressions must only contain one condition per key");
        goto fail;
    }
    if (strlen(nm[h]) >= sizeof(out->hash_name) ||
        (leaves[1] && strlen(nm[r]) >= sizeof(out->range_name))) {
        set_err(err, errlen, "%s", KC_UNSUPPORTED);
        goto fail;
    }
    strcpy(out->hash_name, nm[h]);
    out->hash_value = v1[h];
    if (leaves[1]) {
        strcpy(out->range_name, nm[r]);
        out->range_op = ops[r];
        out->range_v1 = v1[r];
        out->range_v2 = v2[r];
    }
    emu_expr_free(e);
    return 0;
fail:
    memset(out, 0, sizeof(*out));
    emu_expr_free(e);
    return -1;
}

int emu_keycond_match_range(const emu_keycond *kc, const cJSON *range_value)
{
    if (!kc || kc->range_op == EMU_KC_NONE) return 1;
    if (!range_value) return 0;
    switch (kc->range_op) {
    case EMU_KC_EQ:
        return av_compare_op(range_value, kc->range_v1, CMP_EQ);
    case EMU_KC_LT:
        return av_compare_op(range_value, kc->range_v1, CMP_LT);
    case EMU_KC_LE:
        return av_compare_op(range_value, kc->range_v1, CMP_LE);
    case EMU_KC_GT:
        return av_compare_op(range_value, kc->range_v1, CMP_GT);
    case EMU_KC_GE:
        return av_compare_op(range_value, kc->range_v1, CMP_GE);
    case EMU_KC_BETWEEN:
        return av_compare_op(range_value, kc->range_v1, CMP_GE) &&
               av_compare_op(range_value, kc->range_v2, CMP_LE);
    case EMU_KC_BEGINS_WITH:
        return bytes_begin(range_value, kc->range_v1);
    default:
        return 0;
    }
}

/* ------------------------------------------------------------------------------------ */
/* Unused placeholders                                                                  */

static int placeholder_used(const char *key, tok_type type, token *const *toks, const int *ntoks,
                            const char *const *exprs, size_t nexprs)
{
    size_t klen = strlen(key);
    for (size_t i = 0; i < nexprs; i++)
        for (int j = 0; toks[i] && j < ntoks[i]; j++) {
            const token *tk = &toks[i][j];
            if (tk->type == type && tk->len == klen && memcmp(exprs[i] + tk->start, key, klen) == 0)
                return 1;
        }
    return 0;
}

static int report_unused(const cJSON *map, const char *what, tok_type type, token *const *toks,
                         const int *ntoks, const char *const *exprs, size_t nexprs, char *err,
                         size_t errlen)
{
    if (!map) return 0;
    if (!map->child) {
        set_err(err, errlen, "ExpressionAttribute%s must not be empty", what);
        return -1;
    }
    char list[1024];
    size_t k = 0;
    list[0] = '\0';
    const cJSON *e;
    cJSON_ArrayForEach(e, map)
    {
        if (!e->string || placeholder_used(e->string, type, toks, ntoks, exprs, nexprs)) continue;
        if (k < sizeof(list))
            k += (size_t)snprintf(list + k, sizeof(list) - k, "%s%s", k ? ", " : "", e->string);
    }
    if (!k) return 0;
    set_err(err, errlen,
            "Value provided in ExpressionAttribute%s unused in expressions: keys: {%s}", what,
            list);
    return -1;
}

int emu_expr_check_unused(const char *const *exprs, size_t nexprs, const cJSON *names,
                          const cJSON *values, char *err, size_t errlen)
{
    size_t present = 0;
    for (size_t i = 0; i < nexprs; i++)
        present += exprs[i] != NULL;
    if (!present && (names || values)) {
        set_err(err, errlen, "ExpressionAttribute%s can only be specified when using expressions",
                names ? "Names" : "Values");
        return -1;
    }
    token **toks = calloc(nexprs ? nexprs : 1, sizeof(*toks));
    int *ntoks = calloc(nexprs ? nexprs : 1, sizeof(*ntoks));
    int rc = -1;
    if (!toks || !ntoks) {
        set_err(err, errlen, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nexprs; i++)
        if (exprs[i] && lex(exprs[i], &toks[i], &ntoks[i]) != 0) {
            set_err(err, errlen, "out of memory");
            goto done;
        }
    if (report_unused(names, "Names", T_HASHNAME, toks, ntoks, exprs, nexprs, err, errlen) ||
        report_unused(values, "Values", T_VALUE, toks, ntoks, exprs, nexprs, err, errlen))
        goto done;
    rc = 0;
done:
    for (size_t i = 0; toks && i < nexprs; i++)
        free(toks[i]);
    free(toks);
    free(ntoks);
    return rc;
}
