/*
 * fiber.h - cooperative fibers on one thread: each runs a function on its own stack and
 * gives the thread back (bc_fiber_yield) at points of its choosing, as a coroutine does.
 *
 * The harness uses them to keep several operations in flight on one worker thread
 * without rewriting the workloads as state machines: each operation's code runs in a
 * fiber, which yields while its request is on the wire, and the thread's loop resumes
 * whichever fiber's response arrived (harness/lanes.c). A fiber belongs to the thread
 * that created it; fibers never run concurrently, so they share that thread's data
 * without locks.
 *
 * Built on ucontext (makecontext/swapcontext), with the switches announced to
 * AddressSanitizer and ThreadSanitizer, which otherwise mistake a stack switch for a
 * corrupted stack.
 */
#ifndef BC_FIBER_H
#define BC_FIBER_H
#include <stddef.h>

typedef struct bc_fiber bc_fiber;
typedef void (*bc_fiber_fn)(void *arg);

/* Room for a fiber's stack: mapped, not touched, so only what a fiber uses is resident. */
#define BC_FIBER_DEFAULT_STACK (512u * 1024u)

/* A fiber that will run fn(arg) on a stack of stack_bytes (0: the default), with an
 * inaccessible guard page below it. NULL when out of memory. It starts at the first
 * bc_fiber_resume. */
bc_fiber *bc_fiber_new(bc_fiber_fn fn, void *arg, size_t stack_bytes);
/* Runs f on the calling thread until it yields or its function returns. Call only from
 * outside any fiber. Returns 1 when f has finished (resuming it again is an error: -1),
 * 0 when it yielded. */
int bc_fiber_resume(bc_fiber *f);
/* From inside a fiber: back to the bc_fiber_resume that ran it. */
void bc_fiber_yield(void);
/* The fiber running on this thread, NULL outside any. */
bc_fiber *bc_fiber_current(void);
/* Frees a fiber that has finished or never started (a fiber stopped in the middle
 * loses whatever its stack held). NULL is accepted. */
void bc_fiber_free(bc_fiber *f);
#endif
