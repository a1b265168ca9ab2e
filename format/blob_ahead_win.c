/* The read-ahead thread and its lock on Windows (SRW lock, condition variable, CreateThread). */
#include "blob_ahead.h"

#include <errno.h>
#include <stdlib.h>
#include <windows.h>

struct ib_ahead_sync {
	SRWLOCK lock;
	CONDITION_VARIABLE changed;
	HANDLE thread;
	void (*fn)(void *);
	void *arg;
};

struct ib_ahead_sync *ib_ahead_sync_new(void)
{
	struct ib_ahead_sync *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	InitializeSRWLock(&s->lock);
	InitializeConditionVariable(&s->changed);
	return s;
}

void ib_ahead_sync_free(struct ib_ahead_sync *s)
{
	free(s); /* SRW locks and condition variables hold no resources */
}

void ib_ahead_lock(struct ib_ahead_sync *s)
{
	AcquireSRWLockExclusive(&s->lock);
}
void ib_ahead_unlock(struct ib_ahead_sync *s)
{
	ReleaseSRWLockExclusive(&s->lock);
}
void ib_ahead_wait(struct ib_ahead_sync *s)
{
	SleepConditionVariableSRW(&s->changed, &s->lock, INFINITE, 0);
}
void ib_ahead_wake(struct ib_ahead_sync *s)
{
	WakeAllConditionVariable(&s->changed);
}

static DWORD WINAPI trampoline(LPVOID arg)
{
	struct ib_ahead_sync *s = arg;

	s->fn(s->arg);
	return 0;
}

int ib_ahead_thread_start(struct ib_ahead_sync *s, void (*fn)(void *), void *arg)
{
	s->fn = fn;
	s->arg = arg;
	s->thread = CreateThread(NULL, 0, trampoline, s, 0, NULL);
	return s->thread ? 0 : -ENOMEM;
}

void ib_ahead_thread_join(struct ib_ahead_sync *s)
{
	WaitForSingleObject(s->thread, INFINITE);
	CloseHandle(s->thread);
}
