/* stack.h: run a function on a thread with a large stack.
 *
 * The front end recurses over the AST, and a flat chain a + b + c + ... is a left-deep tree:
 * 200,000 terms nest 200,000 levels, more than the 8 MiB main stack holds. Drivers (the CLI,
 * fuzzers, benchmarks) run a compilation through this, the way rustc runs on a big-stack thread.
 * The stack is reserved address space: pages are committed only as deep as the recursion goes. */
#ifndef DMLC_SUPPORT_STACK_H
#define DMLC_SUPPORT_STACK_H

#include <stdbool.h>
#include <stddef.h>

/* Room for about 200,000 levels of the front end's recursion even under AddressSanitizer. */
enum { SUPPORT_COMPILER_STACK_BYTES = 1 << 30 };

/* Calls fn(arg) on a new thread with stack_bytes of stack and waits for it. When no such thread
 * can be made (address space limits), calls fn(arg) directly and returns false. */
bool support_run_on_large_stack(void (*fn)(void *), void *arg, size_t stack_bytes);

#endif
