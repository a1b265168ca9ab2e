/* A helper thread with one lock and one condition: what the read-ahead and the file hasher run
 * on. Per platform: worker_posix.c (pthreads), worker_win.c (Win32). */
#ifndef IBPACK_WORKER_H
#define IBPACK_WORKER_H

#include <stdlib.h>
#include <string.h>

struct ib_worker;
struct ib_worker *ib_worker_new(void);
void ib_worker_free(struct ib_worker *s);
void ib_worker_lock(struct ib_worker *s);
void ib_worker_unlock(struct ib_worker *s);
void ib_worker_wait(struct ib_worker *s); /* unlocks, sleeps until woken, locks again */
void ib_worker_wake(struct ib_worker *s); /* wakes every waiter */
/* Runs fn(arg) on a new thread that takes no signals; 0 or a negative error. */
int ib_worker_start(struct ib_worker *s, void (*fn)(void *), void *arg);
void ib_worker_join(struct ib_worker *s);

/* Helper threads are used unless IBPACK_READAHEAD=0 (the serial path, for comparisons and
 * tests): the output is the same either way. */
static inline int ib_workers_wanted(void)
{
	const char *v = getenv("IBPACK_READAHEAD");

	return !v || strcmp(v, "0") != 0;
}

#endif
