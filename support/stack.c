/* stack.c: run a function on a big-stack thread (see stack.h for why). */
#include "support/stack.h"

#include <pthread.h>

typedef struct {
    void (*fn)(void *);
    void *arg;
} Call;

static void *trampoline(void *p)
{
    Call *c = p;
    c->fn(c->arg);
    return NULL;
}

bool support_run_on_large_stack(void (*fn)(void *), void *arg, size_t stack_bytes)
{
    Call call = {fn, arg};
    pthread_attr_t attr;
    pthread_t thread;
    bool started = false;
    if (pthread_attr_init(&attr) == 0) {
        started = pthread_attr_setstacksize(&attr, stack_bytes) == 0 &&
                  pthread_create(&thread, &attr, trampoline, &call) == 0;
        pthread_attr_destroy(&attr);
    }
    if (!started) {
        fn(arg);
        return false;
    }
    pthread_join(thread, NULL);
    return true;
}
