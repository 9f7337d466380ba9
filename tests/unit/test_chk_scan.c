/*
 * test_chk_scan.c - the check stage's readers: the fast op-line and item scanners must
 * agree with the general JSON path on every field the checkers use, hand anything they do
 * not fully understand (escapes) to the general path, and nanosecond instants must be
 * read exactly (a double cannot hold them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checkers/chk_internal.h"

static const char *const OP_LINES[] = {
    "{\"type\":\"op\",\"w\":3,\"s\":17,\"wl\":\"register\",\"wi\":1,\"f\":\"update\","
    "\"intended_ns\":1700000000123456789,\"invoke_ns\":1700000000123456790,"
    "\"complete_ns\":1700000000223456791,\"mono_ns\":100000001,\"outcome\":\"ok\",\"err\":null,"
    "\"attempts\":1,\"wcu\":1.5,\"rcu\":0,\"writes\":[{\"k\":\"reg/3/12\",\"wid\":\"3.17\","
    "\"op\":\"update\",\"ver\":5}]}",
    "{\"type\":\"op\",\"w\":2,\"s\":9,\"wl\":\"txn\",\"wi\":0,\"f\":\"txn\",\"intended_ns\":5,"
    "\"invoke_ns\":6,\"complete_ns\":7,\"mono_ns\":1,\"outcome\":\"info\","
    "\"err\":\"InternalServerError\",\"attempts\":3,\"wcu\":0,\"rcu\":0,\"txn\":true,"
    "\"tries\":[{\"send_ns\":1,\"recv_ns\":2,\"status\":400,\"err\":"
    "\"ProvisionedThroughputExceededException\"}],\"writes\":[{\"k\":\"a/2/1\",\"wid\":\"2.9\","
    "\"op\":\"put\"},{\"k\":\"a/2/2\",\"wid\":\"2.9\",\"op\":\"delete\",\"st\":\"fail\"}]}",
    "{ \"w\" : 1 , \"type\" : \"op\", \"s\":2, \"outcome\":\"fail\", \"writes\":[] }",
};

static void same_op(const char *line)
{
    chk_scan_op a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    assert_int_equal(chk_scan_op_fast(line, strlen(line), &a), 1);
    cJSON *v = chk_json_parse(line, strlen(line));
    assert_non_null(v);
    char err[128];
    assert_int_equal(chk_scan_op_json(v, &b, err, sizeof err), 0);
    assert_true(a.is_op && b.is_op);
    assert_int_equal(a.worker, b.worker);
    assert_true(a.seq == b.seq);
    assert_true(a.invoke_ns == b.invoke_ns);
    assert_true(a.complete_ns == b.complete_ns);
    assert_true(a.intended_ns == b.intended_ns);
    assert_int_equal(a.outcome, b.outcome);
    assert_int_equal(a.txn, b.txn);
    assert_int_equal(a.throttled, b.throttled);
    assert_true(a.wcu == b.wcu);
    assert_int_equal(a.nwrites, b.nwrites);
    for (int i = 0; i < a.nwrites; i++) {
        assert_int_equal(a.writes[i].klen, b.writes[i].klen);
        assert_memory_equal(a.writes[i].k, b.writes[i].k, a.writes[i].klen);
        assert_true(a.writes[i].wid == b.writes[i].wid);
        assert_int_equal(a.writes[i].kind, b.writes[i].kind);
        assert_int_equal(a.writes[i].status, b.writes[i].status);
        assert_true(a.writes[i].ver == b.writes[i].ver);
    }
    cJSON_Delete(v);
    chk_scan_op_free(&a);
    chk_scan_op_free(&b);
}

static void test_fast_and_general_paths_agree(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof OP_LINES / sizeof OP_LINES[0]; i++)
        same_op(OP_LINES[i]);
    chk_scan_op a;
    memset(&a, 0, sizeof a);
    const char *l = OP_LINES[0];
    assert_int_equal(chk_scan_op_fast(l, strlen(l), &a), 1);
    assert_true(a.invoke_ns == 1700000000123456790LL); /* exact, not rounded */
    assert_true(a.wcu == 1.5);
    assert_true(a.writes[0].wid == CHK_WID(3, 17));
    chk_scan_op_free(&a);
}

static void test_escapes_go_to_the_general_path(void **state)
{
    (void)state;
    const char *l = "{\"type\":\"op\",\"w\":1,\"s\":2,\"outcome\":\"ok\",\"writes\":[{\"k\":"
                    "\"q\\\"uote\",\"wid\":\"1.2\",\"op\":\"put\"}]}";
    chk_scan_op a;
    memset(&a, 0, sizeof a);
    assert_int_equal(chk_scan_op_fast(l, strlen(l), &a), 0);
    cJSON *v = chk_json_parse(l, strlen(l));
    char err[128];
    assert_int_equal(chk_scan_op_json(v, &a, err, sizeof err), 0);
    assert_string_equal(a.writes[0].k, "q\"uote");
    cJSON_Delete(v);
    chk_scan_op_free(&a);
    /* Torn lines are malformed for both paths. */
    const char *torn = "{\"type\":\"op\",\"w\":1,\"s\":2,\"outc";
    assert_int_not_equal(chk_scan_op_fast(torn, strlen(torn), &a), 1);
    assert_null(chk_json_parse(torn, strlen(torn)));
    chk_scan_op_free(&a);
}

/* Every field chk_scan_op fills, compared exactly. */
static void assert_same_op_fields(const chk_scan_op *a, const chk_scan_op *b)
{
    assert_int_equal(a->is_op, b->is_op);
    assert_string_equal(a->type, b->type);
    assert_int_equal(a->worker, b->worker);
    assert_true(a->seq == b->seq);
    assert_int_equal(a->wl, b->wl);
    assert_true(a->intended_ns == b->intended_ns);
    assert_true(a->invoke_ns == b->invoke_ns);
    assert_true(a->complete_ns == b->complete_ns);
    assert_int_equal(a->outcome, b->outcome);
    assert_int_equal(a->attempts, b->attempts);
    assert_int_equal(a->throttled, b->throttled);
    assert_int_equal(a->has_err, b->has_err);
    assert_true(a->wcu == b->wcu);
    assert_true(a->rcu == b->rcu);
    assert_int_equal(a->txn, b->txn);
    assert_int_equal(a->nwrites, b->nwrites);
    for (int i = 0; i < a->nwrites; i++) {
        assert_int_equal(a->writes[i].klen, b->writes[i].klen);
        assert_memory_equal(a->writes[i].k, b->writes[i].k, a->writes[i].klen);
        assert_true(a->writes[i].wid == b->writes[i].wid);
        assert_int_equal(a->writes[i].kind, b->writes[i].kind);
        assert_int_equal(a->writes[i].status, b->writes[i].status);
        assert_true(a->writes[i].ver == b->writes[i].ver);
        assert_true(a->writes[i].delta == b->writes[i].delta);
    }
}

/* Lines as harness/history.c writes them: the journal-order path must take each one and
 * read it exactly as the member-by-member path does. */
static const char *const JOURNAL_LINES[] = {
    "{\"type\":\"op\",\"w\":3,\"s\":17,\"wl\":\"register\",\"wi\":1,\"f\":\"update\","
    "\"intended_ns\":1700000000123456789,\"invoke_ns\":1700000000123456790,"
    "\"complete_ns\":1700000000223456791,\"mono_ns\":100000001,\"outcome\":\"ok\",\"err\":null,"
    "\"attempts\":1,\"wcu\":1.5,\"rcu\":0,\"writes\":[{\"k\":\"reg/3/12\",\"wid\":\"3.17\","
    "\"op\":\"update\",\"ver\":5}]}",
    /* intended_ns 0 falls back to invoke_ns; err names throttling; txn with statuses */
    "{\"type\":\"op\",\"w\":0,\"s\":1,\"wl\":\"bank\",\"wi\":2,\"f\":\"transfer\","
    "\"intended_ns\":0,\"invoke_ns\":10,\"complete_ns\":20,\"mono_ns\":10,\"outcome\":\"info\","
    "\"err\":\"ThrottlingException\",\"attempts\":1,\"wcu\":4,\"rcu\":0.5,\"txn\":true,"
    "\"writes\":[{\"k\":\"acct/0/1\",\"wid\":\"0.1\",\"op\":\"add\",\"delta\":-7,\"st\":\"ok\"},"
    "{\"k\":\"acct/0/2\",\"wid\":\"0.1\",\"op\":\"add\",\"delta\":7,\"st\":\"fail\"}]}",
    /* no writes, null workload and function, an error that is not throttling */
    "{\"type\":\"op\",\"w\":12,\"s\":99,\"wl\":null,\"wi\":-1,\"f\":null,\"intended_ns\":5,"
    "\"invoke_ns\":6,\"complete_ns\":7,\"mono_ns\":1,\"outcome\":\"fail\","
    "\"err\":\"ConditionalCheckFailedException\",\"attempts\":1,\"wcu\":0,\"rcu\":0,"
    "\"writes\":[]}",
    /* a write id with leading zeros, read as its value */
    "{\"type\":\"op\",\"w\":7,\"s\":2,\"wl\":\"register\",\"wi\":0,\"f\":\"update\","
    "\"intended_ns\":1,\"invoke_ns\":2,\"complete_ns\":3,\"mono_ns\":1,\"outcome\":\"ok\","
    "\"err\":null,\"attempts\":1,\"wcu\":1,\"rcu\":0,\"writes\":[{\"k\":\"r/7/1\","
    "\"wid\":\"007.00000002\",\"op\":\"update\",\"ver\":3}]}",
    /* put, append, delete */
    "{\"type\":\"op\",\"w\":1,\"s\":2,\"wl\":\"list\",\"wi\":0,\"f\":\"append\",\"intended_ns\":1,"
    "\"invoke_ns\":2,\"complete_ns\":3,\"mono_ns\":1,\"outcome\":\"ok\",\"err\":null,"
    "\"attempts\":1,\"wcu\":1,\"rcu\":0,\"writes\":[{\"k\":\"l/1/0\",\"wid\":\"1.2\","
    "\"op\":\"append\"},{\"k\":\"l/1/1\",\"wid\":\"1.2\",\"op\":\"put\",\"ver\":1},"
    "{\"k\":\"l/1/2\",\"wid\":\"1.2\",\"op\":\"delete\"}]}",
};

/* Valid op lines in other shapes: the journal-order path must decline them (0) and the
 * fast path must still read them as the member-by-member path does. */
static const char *const OTHER_SHAPES[] = {
    /* retried: "tries" */
    "{\"type\":\"op\",\"w\":2,\"s\":9,\"wl\":\"txn\",\"wi\":0,\"f\":\"txn\",\"intended_ns\":5,"
    "\"invoke_ns\":6,\"complete_ns\":7,\"mono_ns\":1,\"outcome\":\"info\","
    "\"err\":\"InternalServerError\",\"attempts\":3,\"wcu\":0,\"rcu\":0,\"txn\":true,"
    "\"tries\":[{\"send_ns\":1,\"recv_ns\":2,\"status\":400,\"err\":"
    "\"ProvisionedThroughputExceededException\"}],\"writes\":[{\"k\":\"a/2/1\",\"wid\":\"2.9\","
    "\"op\":\"put\"}]}",
    /* members reordered */
    "{\"type\":\"op\",\"s\":2,\"w\":1,\"wl\":\"register\",\"wi\":0,\"f\":\"update\","
    "\"intended_ns\":1,\"invoke_ns\":2,\"complete_ns\":3,\"mono_ns\":1,\"outcome\":\"ok\","
    "\"err\":null,\"attempts\":1,\"wcu\":1,\"rcu\":0,\"writes\":[]}",
    /* whitespace */
    "{\"type\":\"op\", \"w\":1,\"s\":2,\"wl\":\"register\",\"wi\":0,\"f\":\"update\","
    "\"intended_ns\":1,\"invoke_ns\":2,\"complete_ns\":3,\"mono_ns\":1,\"outcome\":\"ok\","
    "\"err\":null,\"attempts\":1,\"wcu\":1,\"rcu\":0,\"writes\":[]}",
    /* resubmits and an unknown member */
    "{\"type\":\"op\",\"w\":1,\"s\":2,\"wl\":\"register\",\"wi\":0,\"f\":\"update\","
    "\"intended_ns\":1,\"invoke_ns\":2,\"complete_ns\":3,\"mono_ns\":1,\"outcome\":\"ok\","
    "\"err\":null,\"attempts\":1,\"wcu\":1,\"rcu\":0,\"resubmits\":2,\"x\":[1,{\"y\":2}],"
    "\"writes\":[{\"k\":\"r/1/1\",\"wid\":\"1.2\",\"op\":\"update\",\"ver\":3}]}",
    /* signs where the journal writes none: read by fs_int on the other path */
    "{\"type\":\"op\",\"w\":1,\"s\":2,\"wl\":\"register\",\"wi\":0,\"f\":\"update\","
    "\"intended_ns\":1,\"invoke_ns\":2,\"complete_ns\":3,\"mono_ns\":-1,\"outcome\":\"ok\","
    "\"err\":null,\"attempts\":1,\"wcu\":1,\"rcu\":0,\"writes\":[]}",
    "{\"type\":\"op\",\"w\":1,\"s\":2,\"wl\":\"register\",\"wi\":0,\"f\":\"update\","
    "\"intended_ns\":1,\"invoke_ns\":2,\"complete_ns\":3,\"mono_ns\":1,\"outcome\":\"ok\","
    "\"err\":null,\"attempts\":1,\"wcu\":1,\"rcu\":0,\"writes\":[{\"k\":\"r/1/1\","
    "\"wid\":\"1.2\",\"op\":\"update\",\"ver\":-3,\"st\":\"ok\"}]}",
    /* a write id with more digits than an int64 holds, leading zeros */
    "{\"type\":\"op\",\"w\":1,\"s\":2,\"wl\":\"register\",\"wi\":0,\"f\":\"update\","
    "\"intended_ns\":1,\"invoke_ns\":2,\"complete_ns\":3,\"mono_ns\":1,\"outcome\":\"ok\","
    "\"err\":null,\"attempts\":1,\"wcu\":1,\"rcu\":0,\"writes\":[{\"k\":\"r/1/1\","
    "\"wid\":\"00000000000000000001.2\",\"op\":\"update\",\"ver\":3}]}",
    /* txn false, a capacity in exponent form */
    "{\"type\":\"op\",\"w\":1,\"s\":2,\"wl\":\"register\",\"wi\":0,\"f\":\"update\","
    "\"intended_ns\":1,\"invoke_ns\":2,\"complete_ns\":3,\"mono_ns\":1,\"outcome\":\"ok\","
    "\"err\":null,\"attempts\":1,\"wcu\":1e-05,\"rcu\":0,\"txn\":false,\"writes\":[]}",
};

static void test_journal_order_path(void **state)
{
    (void)state;
    chk_scan_op a, b, c;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(&c, 0, sizeof c);
    for (size_t i = 0; i < sizeof JOURNAL_LINES / sizeof JOURNAL_LINES[0]; i++) {
        const char *l = JOURNAL_LINES[i];
        assert_int_equal(chk_scan_op_journal(l, strlen(l), &a), 1);
        assert_int_equal(chk_scan_op_members(l, strlen(l), &b), 1);
        assert_same_op_fields(&a, &b);
        same_op(l);
        /* Any prefix is a torn line: declined, never half-read. */
        for (size_t n = 0; n < strlen(l); n += 7)
            assert_int_equal(chk_scan_op_journal(l, n, &c), 0);
    }
    assert_int_equal(chk_scan_op_journal(JOURNAL_LINES[1], strlen(JOURNAL_LINES[1]), &a), 1);
    assert_true(a.intended_ns == 10 && a.throttled && a.has_err && a.txn && a.rcu == 0.5);
    assert_true(a.writes[0].delta == -7 && a.writes[1].status == CHK_O_FAIL);
    for (size_t i = 0; i < sizeof OTHER_SHAPES / sizeof OTHER_SHAPES[0]; i++) {
        const char *l = OTHER_SHAPES[i];
        assert_int_equal(chk_scan_op_journal(l, strlen(l), &a), 0);
        assert_int_equal(chk_scan_op_fast(l, strlen(l), &a), 1);
        assert_int_equal(chk_scan_op_members(l, strlen(l), &b), 1);
        assert_same_op_fields(&a, &b);
        same_op(l);
    }
    chk_scan_op_free(&a);
    chk_scan_op_free(&b);
    chk_scan_op_free(&c);
}

/* Integers of every length up to the 19 digits of an int64, signed, and near the end of
 * the line (fewer bytes left than one 8-byte step) read exactly, on both paths. */
static void test_integer_lengths(void **state)
{
    (void)state;
    chk_scan_op a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    char line[512];
    int64_t v = 0;
    for (int nd = 1; nd <= 19; nd++) {
        v = v * 10 + (nd % 10);
        int n =
            snprintf(line, sizeof line,
                     "{\"type\":\"op\",\"w\":%d,\"s\":%lld,\"wl\":\"bank\",\"wi\":0,\"f\":\"t\","
                     "\"intended_ns\":%lld,\"invoke_ns\":%lld,\"complete_ns\":%lld,"
                     "\"mono_ns\":1,\"outcome\":\"ok\",\"err\":null,\"attempts\":%d,\"wcu\":1,"
                     "\"rcu\":0,\"writes\":[{\"k\":\"b/1/1\",\"wid\":\"1.2\",\"op\":\"add\","
                     "\"delta\":-%lld},{\"k\":\"b/1/2\",\"wid\":\"1.2\",\"op\":\"update\","
                     "\"ver\":%lld}]}",
                     nd % 7, (long long)(v % 100000000000LL), (long long)v, (long long)v,
                     (long long)v, nd, (long long)v, (long long)(v % 100000));
        assert_true(n > 0 && (size_t)n < sizeof line);
        assert_int_equal(chk_scan_op_journal(line, (size_t)n, &a), 1);
        assert_int_equal(chk_scan_op_members(line, (size_t)n, &b), 1);
        assert_same_op_fields(&a, &b);
        same_op(line);
        assert_true(a.worker == nd % 7 && a.seq == (uint64_t)(v % 100000000000LL));
        assert_true(a.intended_ns == v && a.invoke_ns == v && a.complete_ns == v);
        assert_true(a.attempts == nd && a.writes[0].delta == -v);
        assert_true(a.writes[1].ver == v % 100000);
    }
    /* An invoke instant that begins with the intended one's digits but goes on, or stops
     * short of them, is read for itself (not as the intended instant repeated); mono_ns of
     * every length is accepted as the other path accepts it. */
    v = 0;
    for (int nd = 1; nd <= 18; nd++) {
        v = v * 10 + (nd % 10);
        int64_t longer = v * 10 + 3, shorter = v / 10;
        for (int k = 0; k < 2; k++) {
            int64_t inv = k ? shorter : longer;
            int n = snprintf(line, sizeof line,
                             "{\"type\":\"op\",\"w\":1,\"s\":2,\"wl\":null,\"wi\":0,\"f\":null,"
                             "\"intended_ns\":%lld,\"invoke_ns\":%lld,\"complete_ns\":%lld,"
                             "\"mono_ns\":%lld,\"outcome\":\"ok\",\"err\":null,\"attempts\":1,"
                             "\"wcu\":1,\"rcu\":0,\"writes\":[]}",
                             (long long)v, (long long)inv, (long long)v, (long long)longer);
            assert_true(n > 0 && (size_t)n < sizeof line);
            if (inv == 0) continue; /* shorter than one digit: not an instant */
            assert_int_equal(chk_scan_op_journal(line, (size_t)n, &a), 1);
            assert_int_equal(chk_scan_op_members(line, (size_t)n, &b), 1);
            assert_same_op_fields(&a, &b);
            assert_true(a.intended_ns == v && a.invoke_ns == inv && a.complete_ns == v);
        }
    }
    /* Instants of 15 to 19 digits, every digit value in every place (the first sixteen
     * are read in one step where all sixteen are there), and a non-digit at each place. */
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 4000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int nd = 15 + i % 5;
        char digits[24];
        for (int j = 0; j < nd; j++)
            digits[j] = (char)('0' + (x >> (3 * j % 61)) % 10);
        if (digits[0] == '0') digits[0] = '1';
        digits[nd] = '\0';
        if (i % 10 == 9) digits[(x >> 40) % (uint64_t)nd] = "+.e-x :"[(x >> 50) % 7];
        int n = snprintf(line, sizeof line,
                         "{\"type\":\"op\",\"w\":1,\"s\":2,\"wl\":null,\"wi\":0,\"f\":null,"
                         "\"intended_ns\":%s,\"invoke_ns\":1,\"complete_ns\":%s,"
                         "\"mono_ns\":1,\"outcome\":\"ok\",\"err\":null,\"attempts\":1,"
                         "\"wcu\":1,\"rcu\":0,\"writes\":[]}",
                         digits, digits);
        assert_true(n > 0 && (size_t)n < sizeof line);
        int ra = chk_scan_op_journal(line, (size_t)n, &a);
        int rb = chk_scan_op_members(line, (size_t)n, &b);
        if (i % 10 == 9) {
            assert_int_equal(ra, 0); /* declined: the member path decides */
            continue;
        }
        assert_int_equal(ra, 1);
        assert_int_equal(rb, 1);
        assert_same_op_fields(&a, &b);
        assert_true(a.intended_ns == (int64_t)strtoull(digits, NULL, 10));
        assert_true(a.complete_ns == a.intended_ns);
    }
    const char *mono20 = "{\"type\":\"op\",\"w\":1,\"s\":2,\"wl\":null,\"wi\":0,\"f\":null,"
                         "\"intended_ns\":1,\"invoke_ns\":1,\"complete_ns\":2,"
                         "\"mono_ns\":12345678901234567890,\"outcome\":\"ok\",\"err\":null,"
                         "\"attempts\":1,\"wcu\":1,\"rcu\":0,\"writes\":[]}";
    /* mono_ns is not used: the member path skips any number there, and the journal path
     * declines the line to it rather than accept 20 digits. */
    assert_int_equal(chk_scan_op_journal(mono20, strlen(mono20), &a), 0);
    assert_int_equal(chk_scan_op_fast(mono20, strlen(mono20), &a), 1);
    assert_int_equal(chk_scan_op_members(mono20, strlen(mono20), &b), 1);
    assert_same_op_fields(&a, &b);
    /* 20 digits do not fit: never read as a wrapped value. */
    const char *big = "{\"type\":\"op\",\"w\":1,\"s\":2,\"wl\":null,\"wi\":0,\"f\":null,"
                      "\"intended_ns\":12345678901234567890,\"invoke_ns\":1,\"complete_ns\":2,"
                      "\"mono_ns\":1,\"outcome\":\"ok\",\"err\":null,\"attempts\":1,\"wcu\":1,"
                      "\"rcu\":0,\"writes\":[]}";
    assert_int_equal(chk_scan_op_journal(big, strlen(big), &a), 0);
    assert_true(chk_scan_op_members(big, strlen(big), &b) != 1);
    chk_scan_op_free(&a);
    chk_scan_op_free(&b);
}

/* A journal line with the given worker, workload index, attempts, write-id worker,
 * version, key and function name ("wl" and "f"); its length. */
static int journal_line(char *line, size_t cap, const char *w, const char *wi, const char *att,
                        const char *widw, const char *ver, const char *key, const char *f)
{
    int n = snprintf(line, cap,
                     "{\"type\":\"op\",\"w\":%s,\"s\":2,\"wl\":\"%s\",\"wi\":%s,\"f\":\"%s\","
                     "\"intended_ns\":1,\"invoke_ns\":2,\"complete_ns\":3,\"mono_ns\":1,"
                     "\"outcome\":\"ok\",\"err\":null,\"attempts\":%s,\"wcu\":1,\"rcu\":0,"
                     "\"writes\":[{\"k\":\"%s\",\"wid\":\"%s.2\",\"op\":\"update\",\"ver\":%s}]}",
                     w, f, wi, f, att, key, widw, ver);
    assert_true(n > 0 && (size_t)n < cap);
    return n;
}

/* The journal path's short forms (numbers of one or two digits, a workload index of one
 * digit, strings that end within sixteen bytes) read what the member path reads, at
 * every length around their limits, and a string with an escape anywhere is declined. */
static void test_short_numbers_and_strings(void **state)
{
    (void)state;
    chk_scan_op a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    char line[512], key[64], esc[80];
    static const char *const nums[] = {"0",   "7",   "00",  "07",   "10",    "99",
                                       "100", "007", "123", "4096", "65535", "1234567"};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        for (int field = 0; field < 5; field++) {
            const char *v[5] = {"3", "1", "1", "3", "5"};
            v[field] = nums[i];
            int n =
                journal_line(line, sizeof line, v[0], v[1], v[2], v[3], v[4], "r/3/1", "update");
            int ra = chk_scan_op_journal(line, (size_t)n, &a);
            int rb = chk_scan_op_members(line, (size_t)n, &b);
            assert_int_equal(ra, rb);
            if (ra != 1) continue; /* out of a field's range: both decline */
            assert_same_op_fields(&a, &b);
            long long want = strtoll(nums[i], NULL, 10);
            long long got[5] = {a.worker, a.wl, a.attempts,
                                (long long)CHK_WID_WORKER(a.writes[0].wid), a.writes[0].ver};
            assert_true(got[field] == want);
        }
    int n = journal_line(line, sizeof line, "3", "-1", "1", "3", "5", "r/3/1", "update");
    assert_int_equal(chk_scan_op_journal(line, (size_t)n, &a), 1);
    assert_int_equal(a.wl, -1);
    for (int len = 0; len <= 40; len++) {
        for (int j = 0; j < len; j++)
            key[j] = (char)('a' + j % 26);
        key[len] = '\0';
        n = journal_line(line, sizeof line, "3", "1", "1", "3", "5", key, key);
        assert_int_equal(chk_scan_op_journal(line, (size_t)n, &a), 1);
        assert_int_equal(chk_scan_op_members(line, (size_t)n, &b), 1);
        assert_same_op_fields(&a, &b);
        assert_int_equal(a.writes[0].klen, len);
        assert_memory_equal(a.writes[0].k, key, (size_t)len);
        /* An escaped quote at each place of the key: declined by both fast paths, read
         * by the JSON path. */
        for (int j = 0; j <= len; j++) {
            snprintf(esc, sizeof esc, "%.*s\\\"%s", j, key, key + j);
            n = journal_line(line, sizeof line, "3", "1", "1", "3", "5", esc, "update");
            assert_int_equal(chk_scan_op_journal(line, (size_t)n, &a), 0);
            assert_int_not_equal(chk_scan_op_members(line, (size_t)n, &b), 1);
            cJSON *v = chk_json_parse(line, (size_t)n);
            assert_non_null(v);
            char err[128];
            assert_int_equal(chk_scan_op_json(v, &b, err, sizeof err), 0);
            assert_int_equal(b.writes[0].klen, len + 1);
            assert_int_equal(b.writes[0].k[j], '"');
            cJSON_Delete(v);
        }
    }
    chk_scan_op_free(&a);
    chk_scan_op_free(&b);
}

/* Keys are one name each whichever path finds them: names that read as the same
 * (prefix, worker, n) but are spelled differently stay distinct keys, and the workload
 * of a key is the first one known. */
static void test_key_table(void **state)
{
    (void)state;
    chk_keytab kt;
    assert_int_equal(chk_keytab_init(&kt), 0);
    static const char *const names[] = {
        "reg/3/12", "reg/3/012", "reg/03/12", "reg/3/12/", "reg/3/", "reg//12", "/3/12",
        "reg/3/4294967296", "bank/3/12", "reg/3/2000000", "reg/3/0", "x",
        /* 8 bytes or more: read a word at a time where the shape allows, else byte-wise */
        "reg/3/1234567", "reg/03/1234567", "reg/3/01234567", "reg/3/12345678", "reg/13/123456",
        "reg/123/45678", "reg/3//1234567", "reg/3/12x45678", "reg/x3/123456", "reg/65536/1234",
        "reg/65535/1234", "reg/00/123456", "reg/1/1234567/"};
    enum { N = sizeof names / sizeof names[0] };
    int64_t ids[N];
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < N; i++) {
            int64_t id = chk_key_intern_wl(&kt, names[i], strlen(names[i]), round == 0 ? -1 : i);
            if (round == 0)
                ids[i] = id;
            else
                assert_true(id == ids[i]);
        }
    for (int i = 0; i < N; i++) {
        assert_true(ids[i] == i); /* first-seen order */
        assert_true(chk_key_lookup(&kt, names[i], strlen(names[i])) == i);
        assert_string_equal(chk_key_name(&kt, (uint32_t)i), names[i]);
        assert_int_equal(kt.keys[i].wl, i); /* set by the first write that knew it */
    }
    assert_true(chk_key_lookup(&kt, "reg/3/13", 8) == -1);
    /* Many keys of one lane, met in a scattered order, then all found again. */
    char buf[64];
    for (uint32_t j = 0; j < 50000; j++) {
        uint32_t n = (j * 7919u) % 50000u;
        int len = snprintf(buf, sizeof buf, "w/5/%u", n);
        assert_true(chk_key_intern_wl(&kt, buf, (size_t)len, 1) == N + (int64_t)j);
    }
    for (uint32_t j = 0; j < 50000; j++) {
        uint32_t n = (j * 7919u) % 50000u;
        int len = snprintf(buf, sizeof buf, "w/5/%u", n);
        assert_true(chk_key_lookup(&kt, buf, (size_t)len) == N + (int64_t)j);
        assert_true(chk_key_intern_wl(&kt, buf, (size_t)len, 2) == N + (int64_t)j);
        assert_int_equal(kt.keys[N + j].wl, 1);
    }
    assert_int_equal(kt.nkeys, N + 50000);
    /* Each of them the index holds sits in its lane at its own n, whether its name was
     * read a word at a time (8 bytes or more: "w/5/1000" on) or byte-wise; the others
     * (met before the lane reached them) are in the hash table. */
    const chk_kidx_prefix *wpx = NULL;
    for (int i = 0; i < kt.nkidx; i++)
        if (kt.kidx[i].len == 1 && kt.kidx[i].name[0] == 'w') wpx = &kt.kidx[i];
    assert_non_null(wpx);
    assert_true(wpx->nlanes > 5);
    uint32_t held_word = 0, held_bytes = 0;
    for (uint32_t j = 0; j < 50000; j++) {
        uint32_t n = (j * 7919u) % 50000u;
        if (n >= wpx->lanes[5].cap || !wpx->lanes[5].ids[n]) continue;
        assert_int_equal(wpx->lanes[5].ids[n] & ~CHK_KIDX_RESOLVED, N + j + 1);
        if (n >= 1000)
            held_word++;
        else
            held_bytes++;
    }
    assert_true(held_word > 10000 && held_bytes > 100);
    /* A key met before its lane reached it stays one key once the lane covers it, and a
     * name never interned is not found, whether or not its lane reaches it. */
    int64_t far = chk_key_intern_wl(&kt, "z/1/9000", 8, 3);
    assert_true(far == N + 50000);
    for (uint32_t n = 0; n < 10000; n++) {
        int len = snprintf(buf, sizeof buf, "z/1/%u", n);
        int64_t id = chk_key_intern_wl(&kt, buf, (size_t)len, 3);
        assert_true(n == 9000 ? id == far : id > far);
    }
    assert_true(chk_key_lookup(&kt, "z/1/9000", 8) == far);
    assert_true(chk_key_intern_wl(&kt, "z/1/9000", 8, 3) == far);
    assert_true(chk_key_lookup(&kt, "z/1/10000", 9) == -1);
    assert_true(chk_key_lookup(&kt, "w/5/50000", 9) == -1);
    assert_true(chk_key_lookup(&kt, "w/6/1", 5) == -1);
    assert_int_equal(kt.nkeys, N + 50000 + 10000);
    chk_keytab_free(&kt);

    /* With an allowance (set from the history's size), a lane reaches a scattered key at
     * once: such keys never enter the hash table, and are all found again. */
    assert_int_equal(chk_keytab_init(&kt), 0);
    kt.kidx_allow = 1u << 20;
    for (uint32_t j = 0; j < 1000; j++) {
        int len = snprintf(buf, sizeof buf, "s/2/%u", (j * 7919u) % 60000u);
        assert_true(chk_key_intern_wl(&kt, buf, (size_t)len, 0) == (int64_t)j);
    }
    assert_int_equal(kt.nhashed, 0);
    for (uint32_t j = 0; j < 1000; j++) {
        int len = snprintf(buf, sizeof buf, "s/2/%u", (j * 7919u) % 60000u);
        assert_true(chk_key_lookup(&kt, buf, (size_t)len) == (int64_t)j);
        assert_true(chk_key_intern_wl(&kt, buf, (size_t)len, 0) == (int64_t)j);
    }
    assert_true(chk_key_lookup(&kt, "s/2/1", 5) == -1);
    assert_int_equal(kt.nkeys, 1000);
    chk_keytab_free(&kt);
}

static void test_items(void **state)
{
    (void)state;
    const char *l = "{\"pk\":{\"S\":\"app/1/2\"},\"wid\":{\"S\":\"1.7\"},\"ver\":{\"N\":\"3\"},"
                    "\"pay\":{\"S\":\"abc\"},\"ids\":{\"L\":[{\"S\":\"1.1\"},{\"S\":\"1.7\"}]},"
                    "\"bal\":{\"N\":\"-20\"},\"other\":{\"M\":{\"x\":{\"N\":\"1\"}}}}";
    chk_item a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    assert_int_equal(chk_scan_item_fast(l, strlen(l), "pk", &a), 1);
    cJSON *v = chk_json_parse(l, strlen(l));
    char err[128];
    assert_int_equal(chk_scan_item_json(v, "pk", &b, err, sizeof err), 0);
    chk_item *its[2] = {&a, &b};
    for (int i = 0; i < 2; i++) {
        chk_item *it = its[i];
        assert_int_equal(it->keylen, 7);
        assert_memory_equal(it->key, "app/1/2", 7);
        assert_memory_equal(it->wid, "1.7", 3);
        assert_true(it->has_ver && it->ver == 3);
        assert_true(it->has_bal && it->bal == -20);
        assert_int_equal(it->nids, 2);
        assert_memory_equal(it->ids[1], "1.7", 3);
    }
    cJSON_Delete(v);
    chk_item_free(&a);
    chk_item_free(&b);
}

/* Attribute values in and out of the exact {"S":"..."} shape: where the fast path reads
 * an item it reads what the JSON path reads; where it declines (0), the JSON path takes
 * the line. */
static void test_item_attribute_shapes(void **state)
{
    (void)state;
    static const char *const pk[] = {
        "{\"S\":\"k/1/2\"}",  "{ \"S\":\"k/1/2\"}",  "{\"S\" : \"k/1/2\"}",
        "{\"S\":\"k/1/2\" }", "{\"S\":\"k\\/1/2\"}", "{\"S\":\"k/1/2\",\"N\":\"1\"}",
        "{\"B\":\"AAAA\"}",   "{\"N\":\"12\"}",      "{\"S\":\"\"}",
    };
    static const char *const ver[] = {"{\"N\":\"3\"}", "{\"N\":\"3\" }", "{ \"N\":\"3\"}",
                                      "{\"S\":\"3\"}"};
    for (size_t i = 0; i < sizeof pk / sizeof pk[0]; i++)
        for (size_t j = 0; j < sizeof ver / sizeof ver[0]; j++) {
            char l[256];
            int n = snprintf(l, sizeof l, "{\"pk\":%s,\"wid\":{\"S\":\"1.7\"},\"ver\":%s}", pk[i],
                             ver[j]);
            chk_item a, b;
            memset(&a, 0, sizeof a);
            memset(&b, 0, sizeof b);
            int r = chk_scan_item_fast(l, (size_t)n, "pk", &a);
            assert_true(r == 0 || r == 1);
            cJSON *v = chk_json_parse(l, (size_t)n);
            assert_non_null(v);
            char err[128];
            if (r == 1) {
                assert_int_equal(chk_scan_item_json(v, "pk", &b, err, sizeof err), 0);
                assert_int_equal(a.keylen, b.keylen);
                if (a.keylen) assert_memory_equal(a.key, b.key, a.keylen);
                assert_int_equal(a.has_ver, b.has_ver);
                assert_true(a.ver == b.ver);
                assert_memory_equal(a.wid, "1.7", 3);
            }
            /* The exact shapes are the fast path's. */
            if ((i == 0 || i == 8) && j == 0) assert_int_equal(r, 1);
            cJSON_Delete(v);
            chk_item_free(&a);
            chk_item_free(&b);
        }
}

/* A regular file (mapped) and a pipe (read through a buffer) yield the same lines: empty
 * lines skipped, CR before the newline dropped, a line longer than the read buffer whole,
 * the unterminated last line flagged. */
typedef struct seen_lines {
    long lineno[8];
    size_t len[8];
    char first[8], lastc[8];
    int unterminated[8];
    int n;
} seen_lines;

static int seen_line(const char *line, size_t len, long lineno, int last, void *arg)
{
    seen_lines *s = arg;
    if (s->n == 8) return -1;
    s->lineno[s->n] = lineno;
    s->len[s->n] = len;
    s->first[s->n] = line[0];
    s->lastc[s->n] = line[len - 1];
    s->unterminated[s->n] = last;
    s->n++;
    return 0;
}

static void test_read_lines_file_and_pipe(void **state)
{
    (void)state;
    enum { LONG = 3 << 20 }; /* longer than the 1 MiB read buffer */
    size_t total = 4 + 1 + 3 + LONG + 1 + 4;
    char *text = malloc(total);
    assert_non_null(text);
    char *o = text;
    memcpy(o, "ab\r\n\nbc\n", 8);
    o += 8;
    memset(o, 'x', LONG);
    o[0] = 'y';
    o[LONG - 1] = 'z';
    o += LONG;
    memcpy(o, "\nlast", 5);
    o += 5;
    assert_true((size_t)(o - text) == total);
    char path[] = "/tmp/backcheck-chk-lines-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_true(write(fd, text, total) == (ssize_t)total);
    close(fd);
    seen_lines a = {0}, b = {0};
    char err[256];
    assert_int_equal(chk_read_lines(path, seen_line, &a, err, sizeof err), 0);
    unlink(path);

    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        size_t off = 0;
        while (off < total) {
            ssize_t n = write(pfd[1], text + off, total - off);
            if (n <= 0) _exit(1);
            off += (size_t)n;
        }
        _exit(0);
    }
    close(pfd[1]);
    char dev[64];
    snprintf(dev, sizeof dev, "/dev/fd/%d", pfd[0]);
    assert_int_equal(chk_read_lines(dev, seen_line, &b, err, sizeof err), 0);
    close(pfd[0]);
    int status;
    assert_true(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    free(text);

    assert_int_equal(a.n, 4);
    static const long lineno[] = {1, 3, 4, 5};
    static const size_t len[] = {2, 2, LONG, 4};
    static const char first[] = "abyl", lastc[] = "bczt";
    for (int i = 0; i < 4; i++) {
        assert_int_equal(a.lineno[i], lineno[i]);
        assert_int_equal(a.len[i], len[i]);
        assert_int_equal(a.first[i], first[i]);
        assert_int_equal(a.lastc[i], lastc[i]);
        assert_int_equal(a.unterminated[i], i == 3);
    }
    assert_memory_equal(&a, &b, sizeof a);
}

/* What a fast reader saw: the lines it took (their sizes) and the end call. */
typedef struct fast_seen {
    seen_lines slow; /* lines given to fn */
    size_t took[8];
    int ntook, ends, bad_end;
    chk_scan_op op;
} fast_seen;

static size_t fast_take(const char *s, const char *end, void *arg, int *rc)
{
    fast_seen *f = arg;
    (void)rc;
    if (s == end) {
        f->ends++;
        return 0;
    }
    if (f->ends) f->bad_end = 1; /* a line after the end call */
    size_t n = chk_scan_op_journal_line(s, end, &f->op);
    if (n && f->ntook < 8) f->took[f->ntook++] = n;
    return n;
}

static int fast_slow_line(const char *line, size_t len, long lineno, int last, void *arg)
{
    return seen_line(line, len, lineno, last, &((fast_seen *)arg)->slow);
}

/* A mapped history: the fast reader takes the lines of the journal's exact shape that end
 * in a newline, by themselves; every other line (another type, CRLF, a torn line, the
 * unterminated last one) reaches fn with its own line number; the end call comes once,
 * last. A pipe gets no fast reader and no promise that lines stay. */
static void test_read_lines_fast_reader(void **state)
{
    (void)state;
    const char *j0 = JOURNAL_LINES[0], *j2 = JOURNAL_LINES[2];
    size_t l0 = strlen(j0), l2 = strlen(j2);
    char text[4096];
    int n = snprintf(text, sizeof text, "%s\n{\"type\":\"meta\"}\n%s\r\n%.60s\n%s\n%s", j0, j2, j2,
                     j2, j0);
    assert_true(n > 0 && (size_t)n < sizeof text);
    char path[] = "/tmp/backcheck-chk-fast-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_true(write(fd, text, (size_t)n) == n);
    close(fd);
    fast_seen f;
    memset(&f, 0, sizeof f);
    int stable = -1;
    char err[256];
    assert_int_equal(
        chk_read_lines_ex(path, fast_slow_line, fast_take, &f, &stable, err, sizeof err), 0);
    assert_int_equal(stable, 1);
    assert_int_equal(f.ntook, 2);
    assert_true(f.took[0] == l0 + 1 && f.took[1] == l2 + 1);
    assert_int_equal(f.ends, 1);
    assert_int_equal(f.bad_end, 0);
    assert_int_equal(f.slow.n, 4);
    static const long lineno[] = {2, 3, 4, 6};
    const size_t len[] = {15, l2, 60, l0};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(f.slow.lineno[i], lineno[i]);
        assert_int_equal(f.slow.len[i], len[i]);
        assert_int_equal(f.slow.unterminated[i], i == 3);
    }
    chk_scan_op_free(&f.op);

    /* The same text through a pipe: every line to fn, not stable. */
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    assert_true(write(pfd[1], text, (size_t)n) == n);
    close(pfd[1]);
    char dev[64];
    snprintf(dev, sizeof dev, "/dev/fd/%d", pfd[0]);
    memset(&f, 0, sizeof f);
    assert_int_equal(
        chk_read_lines_ex(dev, fast_slow_line, fast_take, &f, &stable, err, sizeof err), 0);
    close(pfd[0]);
    unlink(path);
    assert_int_equal(stable, 0);
    assert_int_equal(f.ntook, 0);
    assert_int_equal(f.ends, 0);
    assert_int_equal(f.slow.n, 6);
    chk_scan_op_free(&f.op);
}

/* A line torn inside a string and followed by the rest of it: read past its end, the two
 * would make one line of the journal's shape, with a newline inside a key. Never taken. */
static void test_journal_line_never_spans_lines(void **state)
{
    (void)state;
    const char *j = JOURNAL_LINES[0];
    const char *cut = strstr(j, "reg/3/12");
    assert_non_null(cut);
    size_t at = (size_t)(cut - j) + 5; /* after "reg/3" */
    char text[1024];
    int n = snprintf(text, sizeof text, "%.*s\n%s\n", (int)at, j, j + at);
    assert_true(n > 0 && (size_t)n < sizeof text);
    chk_scan_op a;
    memset(&a, 0, sizeof a);
    assert_int_equal(chk_scan_op_journal_line(text, text + n, &a), 0);
    /* The whole line, then a newline: taken, exactly. */
    n = snprintf(text, sizeof text, "%s\n%s", j, j);
    assert_int_equal(chk_scan_op_journal_line(text, text + n, &a), strlen(j) + 1);
    /* No newline after it (the file's last line), or CR LF: left to the line reader. */
    assert_int_equal(chk_scan_op_journal_line(j, j + strlen(j), &a), 0);
    n = snprintf(text, sizeof text, "%s\r\n", j);
    assert_int_equal(chk_scan_op_journal_line(text, text + n, &a), 0);
    chk_scan_op_free(&a);
}

static void test_wids_and_exact_integers(void **state)
{
    (void)state;
    uint64_t w;
    assert_int_equal(chk_parse_wid("12.345", 6, &w), 0);
    assert_int_equal(CHK_WID_WORKER(w), 12);
    assert_true(CHK_WID_SEQ(w) == 345);
    char buf[32];
    chk_fmt_wid(w, buf);
    assert_string_equal(buf, "12.345");
    assert_int_equal(chk_parse_wid("12", 2, &w), -1);
    assert_int_equal(chk_parse_wid("a.1", 3, &w), -1);
    assert_int_equal(chk_parse_wid("1.", 2, &w), -1);
    const char *j = "{\"a\":1700000000123456789,\"b\":1.5,\"c\":\"\\u00e9\"}";
    cJSON *v = chk_json_parse(j, strlen(j));
    assert_non_null(v);
    assert_true(chk_json_i64(v, "a", 0) == 1700000000123456789LL);
    assert_true(chk_json_num(v, "b", 0) == 1.5);
    assert_string_equal(chk_json_str(v, "c"), "\xc3\xa9");
    cJSON_Delete(v);
    assert_null(chk_json_parse("{\"a\":1} x", 9));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_and_general_paths_agree),
        cmocka_unit_test(test_escapes_go_to_the_general_path),
        cmocka_unit_test(test_journal_order_path),
        cmocka_unit_test(test_integer_lengths),
        cmocka_unit_test(test_short_numbers_and_strings),
        cmocka_unit_test(test_key_table),
        cmocka_unit_test(test_items),
        cmocka_unit_test(test_item_attribute_shapes),
        cmocka_unit_test(test_wids_and_exact_integers),
        cmocka_unit_test(test_read_lines_file_and_pipe),
        cmocka_unit_test(test_read_lines_fast_reader),
        cmocka_unit_test(test_journal_line_never_spans_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
