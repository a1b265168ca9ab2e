/* The helper thread and its lock on Windows (SRW lock, condition variable, CreateThread). */
#include "worker.h"

#include <errno.h>
#include <stdlib.h>
#include <windows.h>

struct ib_worker {
	SRWLOCK lock;
	CONDITION_VARIABLE changed;
	HANDLE thread;
	void (*fn)(void *);
	void *arg;
};

struct ib_worker *ib_worker_new(void)
{
	struct ib_worker *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	InitializeSRWLock(&s->lock);
	InitializeConditionVariable(&s->changed);
	return s;
}

void ib_worker_free(struct ib_worker *s)
{
	free(s); /* SRW locks and condition variables hold no resources */
}

void ib_worker_lock(struct ib_worker *s)
{
	AcquireSRWLockExclusive(&s->lock);
}
void ib_worker_unlock(struct ib_worker *s)
{
	ReleaseSRWLockExclusive(&s->lock);
}
void ib_worker_wait(struct ib_worker *s)
{
	SleepConditionVariableSRW(&s->changed, &s->lock, INFINITE, 0);
}
void ib_worker_wake(struct ib_worker *s)
{
	WakeAllConditionVariable(&s->changed);
}

static DWORD WINAPI trampoline(LPVOID arg)
{
	struct ib_worker *s = arg;

	s->fn(s->arg);
	return 0;
}

int ib_worker_start(struct ib_worker *s, void (*fn)(void *), void *arg)
{
	s->fn = fn;
	s->arg = arg;
	s->thread = CreateThread(NULL, 0, trampoline, s, 0, NULL);
	return s->thread ? 0 : -ENOMEM;
}

void ib_worker_join(struct ib_worker *s)
{
	WaitForSingleObject(s->thread, INFINITE);
	CloseHandle(s->thread);
}
