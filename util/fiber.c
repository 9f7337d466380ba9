/*
 * fiber.c - cooperative fibers on ucontext (fiber.h).
 *
 * Each fiber records the context that resumed it (`caller`) and switches back to it on
 * yield or at its end. Sanitizers: AddressSanitizer is told of every stack switch
 * (__sanitizer_start/finish_switch_fiber, so it neither reports the other stack's
 * frames nor loses its fake stacks) and ThreadSanitizer of every change of fiber
 * (__tsan_switch_to_fiber, so each fiber has its own shadow stack).
 */
#define _GNU_SOURCE
#include "util/fiber.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define BC_FIBER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BC_FIBER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define BC_FIBER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BC_FIBER_TSAN 1
#endif
#endif

#ifdef BC_FIBER_ASAN
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old,
                                     size_t *size_old);
#endif
#ifdef BC_FIBER_TSAN
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *fiber);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);
#endif

struct bc_fiber {
    ucontext_t ctx, caller;
    bc_fiber_fn fn;
    void *arg;
    char *map; /* guard page + stack */
    size_t map_len, stack_len;
    int finished;
#ifdef BC_FIBER_ASAN
    void *fake;                /* the fiber's fake stack while it is switched out */
    const void *caller_bottom; /* the resumer's stack, to switch back to */
    size_t caller_size;
#endif
#ifdef BC_FIBER_TSAN
    void *tsan, *tsan_caller;
#endif
};

static _Thread_local bc_fiber *current;

/* Switches from the running fiber back to its caller; `ending` when it never resumes. */
static void to_caller(bc_fiber *f, int ending)
{
#ifdef BC_FIBER_ASAN
    __sanitizer_start_switch_fiber(ending ? NULL : &f->fake, f->caller_bottom, f->caller_size);
#endif
#ifdef BC_FIBER_TSAN
    __tsan_switch_to_fiber(f->tsan_caller, 0);
#endif
    if (ending) {
        setcontext(&f->caller);
        abort(); /* setcontext returns only on failure */
    }
    swapcontext(&f->ctx, &f->caller);
#ifdef BC_FIBER_ASAN
    __sanitizer_finish_switch_fiber(f->fake, &f->caller_bottom, &f->caller_size);
#endif
}

static void trampoline(void)
{
    bc_fiber *f = current;
#ifdef BC_FIBER_ASAN
    __sanitizer_finish_switch_fiber(NULL, &f->caller_bottom, &f->caller_size);
#endif
    f->fn(f->arg);
    f->finished = 1;
    to_caller(f, 1);
}

/* getcontext returns twice in principle: kept apart, so that no caller's variable lives
 * across it (-Wclobbered). The context is only ever entered through makecontext's
 * function, never by returning here again. */
static __attribute__((noinline)) int init_context(bc_fiber *f, void *sp, size_t len)
{
    if (getcontext(&f->ctx) != 0) return -1;
    f->ctx.uc_stack.ss_sp = sp;
    f->ctx.uc_stack.ss_size = len;
    f->ctx.uc_link = NULL;
    makecontext(&f->ctx, trampoline, 0);
    return 0;
}

bc_fiber *bc_fiber_new(bc_fiber_fn fn, void *arg, size_t stack_bytes)
{
    bc_fiber *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (!stack_bytes) stack_bytes = BC_FIBER_DEFAULT_STACK;
    stack_bytes = (stack_bytes + page - 1) / page * page;
    f->map_len = stack_bytes + page;
    f->map = mmap(NULL, f->map_len, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (f->map == MAP_FAILED) {
        free(f);
        return NULL;
    }
    /* The stack grows down: an overflow faults on the guard page instead of writing
     * into whatever lies below. */
    (void)mprotect(f->map, page, PROT_NONE);
    f->stack_len = stack_bytes;
    f->fn = fn;
    f->arg = arg;
    if (init_context(f, f->map + page, stack_bytes) != 0) {
        munmap(f->map, f->map_len);
        free(f);
        return NULL;
    }
#ifdef BC_FIBER_TSAN
    f->tsan = __tsan_create_fiber(0);
#endif
    return f;
}

int bc_fiber_resume(bc_fiber *f)
{
    if (!f || f->finished || current) return -1;
    current = f;
#ifdef BC_FIBER_ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, f->map + (f->map_len - f->stack_len), f->stack_len);
#endif
#ifdef BC_FIBER_TSAN
    f->tsan_caller = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(f->tsan, 0);
#endif
    swapcontext(&f->caller, &f->ctx);
#ifdef BC_FIBER_ASAN
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
    current = NULL;
    return f->finished;
}

void bc_fiber_yield(void)
{
    bc_fiber *f = current;
    if (!f) return;
    to_caller(f, 0);
    /* Resumed: bc_fiber_resume set `current` back to f. */
}

bc_fiber *bc_fiber_current(void)
{
    return current;
}

void bc_fiber_free(bc_fiber *f)
{
    if (!f) return;
#ifdef BC_FIBER_TSAN
    __tsan_destroy_fiber(f->tsan);
#endif
    munmap(f->map, f->map_len);
    free(f);
}
