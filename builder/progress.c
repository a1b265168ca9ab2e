/* The progress line of long steps (pack, extract, hash): size, rate and time left. */
#include "cli.h"

#include "../base/util.h"

#include <stdio.h>
#include <time.h>

#define REDRAW 0.2 /* seconds between redraws */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cli_progress_wanted(const struct cli *c)
{
	return (c->tty || c->progress) && !c->quiet && !c->json;
}

void cli_meter_start(struct cli_meter *m, const char *label)
{
	m->label = label;
	m->start = now();
	m->last = 0;
	m->shown = 0;
}

void cli_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct cli_meter *m = ctx;
	double t = now();
	char line[160];

	if (done < total && t - m->last < REDRAW)
		return;
	m->last = t;
	m->shown = 1;
	ib_progress_line(line, sizeof(line), m->label, done, total, t - m->start);
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
}

void cli_meter_end(struct cli_meter *m)
{
	if (m->shown)
		fputs("\r\033[K", stderr);
	m->shown = 0;
}

void cli_progress_deadline(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_nsec += 100 * 1000 * 1000;
	if (ts->tv_nsec >= 1000 * 1000 * 1000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000 * 1000 * 1000;
	}
}
