/* test_fiber.c - cooperative fibers (util/fiber.h): order of execution, ends, stacks of
 * their own, and fibers on several threads at once (run under TSan in CI). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/fiber.h"

typedef struct trace {
    char log[256];
    size_t n;
} trace;

typedef struct step_arg {
    trace *t;
    char name;
    int steps;
    bc_fiber *seen_self; /* bc_fiber_current() inside */
} step_arg;

static void stepper(void *p)
{
    step_arg *a = p;
    a->seen_self = bc_fiber_current();
    for (int i = 0; i < a->steps; i++) {
        a->t->log[a->t->n++] = (char)(a->name + i);
        bc_fiber_yield();
    }
}

static void test_fibers_interleave_in_resume_order(void **state)
{
    (void)state;
    trace t = {0};
    step_arg a = {&t, 'a', 3, NULL}, b = {&t, 'A', 2, NULL};
    bc_fiber *fa = bc_fiber_new(stepper, &a, 0), *fb = bc_fiber_new(stepper, &b, 0);
    assert_non_null(fa);
    assert_non_null(fb);
    assert_null(bc_fiber_current());
    /* a: 3 yields then the end (4 resumes); b: 2 yields then the end (3 resumes). */
    int ra[4], rb[3];
    for (int i = 0; i < 4; i++) {
        ra[i] = bc_fiber_resume(fa);
        if (i < 3) rb[i] = bc_fiber_resume(fb);
    }
    assert_string_equal(t.log, "aAbBc");
    assert_int_equal(ra[0], 0);
    assert_int_equal(ra[2], 0);
    assert_int_equal(ra[3], 1);
    assert_int_equal(rb[1], 0);
    assert_int_equal(rb[2], 1);
    assert_ptr_equal(a.seen_self, fa);
    assert_ptr_equal(b.seen_self, fb);
    assert_null(bc_fiber_current());
    /* A finished fiber cannot be resumed. */
    assert_int_equal(bc_fiber_resume(fa), -1);
    bc_fiber_free(fa);
    bc_fiber_free(fb);
}

/* Each fiber's locals live on its own stack: values survive the other's run. */
typedef struct deep_arg {
    int seed;
    uint64_t sum;
} deep_arg;

static void deep(void *p)
{
    deep_arg *a = p;
    volatile unsigned char big[200 * 1024]; /* well within the default stack */
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)(a->seed * (int)(i % 251));
    bc_fiber_yield();
    uint64_t s = 0;
    for (size_t i = 0; i < sizeof big; i++)
        s += big[i];
    a->sum = s;
}

static uint64_t expected_sum(int seed)
{
    uint64_t s = 0;
    for (size_t i = 0; i < 200 * 1024; i++)
        s += (unsigned char)(seed * (int)(i % 251));
    return s;
}

static void test_fibers_keep_their_own_stacks(void **state)
{
    (void)state;
    deep_arg a = {3, 0}, b = {101, 0};
    bc_fiber *fa = bc_fiber_new(deep, &a, 0), *fb = bc_fiber_new(deep, &b, 0);
    assert_int_equal(bc_fiber_resume(fa), 0);
    assert_int_equal(bc_fiber_resume(fb), 0);
    assert_int_equal(bc_fiber_resume(fb), 1);
    assert_int_equal(bc_fiber_resume(fa), 1);
    assert_true(a.sum == expected_sum(3));
    assert_true(b.sum == expected_sum(101));
    assert_true(a.sum != b.sum);
    bc_fiber_free(fa);
    bc_fiber_free(fb);
}

static void test_yield_outside_a_fiber_returns(void **state)
{
    (void)state;
    bc_fiber_yield(); /* no fiber: nothing to switch to */
    bc_fiber_free(NULL);
    bc_fiber *f = bc_fiber_new(stepper, NULL, 0);
    bc_fiber_free(f); /* never started */
}

/* Several threads, each running its own fibers, sharing one counter per thread. */
typedef struct thr_arg {
    long counter;
    int ok;
} thr_arg;

static void bump(void *p)
{
    thr_arg *a = p;
    for (int i = 0; i < 1000; i++) {
        a->counter++;
        bc_fiber_yield();
    }
}

static void *thread_main(void *p)
{
    thr_arg *a = p;
    bc_fiber *f[4];
    for (int i = 0; i < 4; i++)
        f[i] = bc_fiber_new(bump, a, 64 * 1024);
    int live = 4;
    while (live > 0) {
        live = 0;
        for (int i = 0; i < 4; i++)
            if (f[i] && bc_fiber_resume(f[i]) == 0) live++;
    }
    for (int i = 0; i < 4; i++)
        bc_fiber_free(f[i]);
    a->ok = bc_fiber_current() == NULL;
    return NULL;
}

static void test_fibers_on_several_threads(void **state)
{
    (void)state;
    pthread_t th[3];
    thr_arg a[3];
    memset(a, 0, sizeof a);
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&th[i], NULL, thread_main, &a[i]), 0);
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(a[i].counter, 4000);
        assert_true(a[i].ok);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fibers_interleave_in_resume_order),
        cmocka_unit_test(test_fibers_keep_their_own_stacks),
        cmocka_unit_test(test_yield_outside_a_fiber_returns),
        cmocka_unit_test(test_fibers_on_several_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
