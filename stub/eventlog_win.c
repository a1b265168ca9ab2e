/* The Windows Application event log entry of a run (source "ibpack"). */
#include "stub.h"

#include "../base/fileio.h"

#include <windows.h>

#include <stdlib.h>

#define EVENT_ID_RUN 1 /* every entry: the text carries the result */

void plat_event(int error, const char *text)
{
	HANDLE h = RegisterEventSourceW(NULL, L"ibpack");
	wchar_t *w = ib_win_wide(text);
	LPCWSTR strings[1];

	/* Best effort: a run without an event log entry is still the same run. */
	if (h && w) {
		strings[0] = w;
		ReportEventW(h, error ? EVENTLOG_ERROR_TYPE : EVENTLOG_INFORMATION_TYPE, 0, EVENT_ID_RUN, NULL, 1, 0,
			     strings, NULL);
	}
	if (h)
		DeregisterEventSource(h);
	free(w);
}
